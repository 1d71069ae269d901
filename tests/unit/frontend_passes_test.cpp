// Source-in/source-out tests, one group per rewrite pass (frontend/src/compiler/passes/).
#include "FrontendTestSupport.h"

#include <gtest/gtest.h>

using namespace jitprobe::frontend;

namespace {

using jitprobe::frontend_test::contains;
using jitprobe::frontend_test::lineOf;

CompileResult rewrite(const std::string &source, std::vector<std::string> cflags = {}) {
    return jitprobe::frontend_test::compileForTest(source, std::move(cflags));
}

const char *kTracepoint = "TRACEPOINT_PROBE(syscalls, sys_enter_getpid) {\n";

} // namespace

// ---- MapDeclPass -------------------------------------------------------------------------
TEST(MapDeclPass, HashWithDefaultsBecomesLibbpfMap) {
    auto r = rewrite(std::string("BPF_HASH(counts);\n") + kTracepoint + "return 0; }\n");
    ASSERT_TRUE(r.ok) << formatDiagnostics(r.diagnostics);
    EXPECT_EQ(lineOf(r.rewritten, 1),
              "struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 10240); "
              "__type(key, u64); __type(value, u64); } counts SEC(\".maps\");");
}

TEST(MapDeclPass, AnonymousStructLeafIsSpelledAsWritten) {
    auto r = rewrite(std::string("BPF_HASH(stats, int, struct { u64 a; u64 b; }, 10);\n") + kTracepoint +
                     "int k = 0; if (stats.lookup(&k)) return 1; return 0; }\n");
    ASSERT_TRUE(r.ok) << formatDiagnostics(r.diagnostics);
    EXPECT_TRUE(contains(lineOf(r.rewritten, 1), "__type(value, struct { u64 a; u64 b; });")) << r.rewritten;
}

TEST(MapDeclPass, HistogramWithIntKeyIsArray) {
    auto r = rewrite(std::string("BPF_HISTOGRAM(h);\n") + kTracepoint + "h.increment(bpf_log2l(3)); return 0; }\n");
    ASSERT_TRUE(r.ok) << formatDiagnostics(r.diagnostics);
    EXPECT_TRUE(contains(lineOf(r.rewritten, 1), "BPF_MAP_TYPE_ARRAY")) << r.rewritten;
    EXPECT_TRUE(contains(lineOf(r.rewritten, 1), "__uint(max_entries, 64)")) << r.rewritten;
    EXPECT_EQ(r.info.maps.at(0).kind, "histogram");
}

// Public/shared/pinned tables keep their kind: an array's increment is the array form
// (before, "public:array" and "pinned:<path>:array" were taken for hashes there).
TEST(MapDeclPass, PublicSharedAndPinnedTablesKeepTheirKind) {
    auto r = rewrite(std::string("BPF_TABLE_PUBLIC(\"array\", int, u64, p, 4);\n"
                                 "BPF_TABLE_SHARED(\"hash\", int, u64, s, 4);\n"
                                 "BPF_TABLE_PINNED(\"array\", int, u64, q, 4, \"/sys/fs/bpf/jp_q\");\n") +
                     kTracepoint + "p.increment(1); q.increment(2); s.increment(3);\nreturn 0; }\n");
    ASSERT_TRUE(r.ok) << formatDiagnostics(r.diagnostics) << r.rewritten;
    ASSERT_EQ(r.info.maps.size(), 3u);
    EXPECT_EQ(r.info.maps[0].kind, "array");
    EXPECT_EQ(r.info.maps[0].sharing, "public");
    EXPECT_EQ(r.info.maps[1].kind, "hash");
    EXPECT_EQ(r.info.maps[1].sharing, "shared");
    EXPECT_EQ(r.info.maps[2].pin_path, "/sys/fs/bpf/jp_q");
    EXPECT_EQ(r.info.maps[2].sharing, "");
    EXPECT_EQ(lineOf(r.rewritten, 5), "__jp_increment_array(&p, 1, 1); __jp_increment_array(&q, 2, 1); "
                                      "__jp_increment(&s, 3, 1);");
}

TEST(MapDeclPass, PerfOutputAndRingbufAndStackTrace) {
    auto r = rewrite(std::string("BPF_PERF_OUTPUT(ev);\nBPF_RINGBUF_OUTPUT(rb, 8);\nBPF_STACK_TRACE(st, 128);\n") +
                     kTracepoint + "return 0; }\n");
    ASSERT_TRUE(r.ok) << formatDiagnostics(r.diagnostics);
    EXPECT_TRUE(contains(lineOf(r.rewritten, 1), "BPF_MAP_TYPE_PERF_EVENT_ARRAY")) << r.rewritten;
    EXPECT_FALSE(contains(lineOf(r.rewritten, 1), "max_entries")) << r.rewritten;
    EXPECT_TRUE(contains(lineOf(r.rewritten, 2), "__uint(max_entries, 32768)")) << r.rewritten;
    EXPECT_TRUE(contains(lineOf(r.rewritten, 3), "BPF_MAP_TYPE_STACK_TRACE")) << r.rewritten;
}

TEST(MapDeclPass, LpmTrieGetsNoPreallocFlag) {
    auto r = rewrite(std::string("struct k { u32 prefixlen; u8 a[4]; };\nBPF_LPM_TRIE(t, struct k, u64, 16);\n") +
                     kTracepoint + "return 0; }\n");
    ASSERT_TRUE(r.ok) << formatDiagnostics(r.diagnostics);
    EXPECT_TRUE(contains(lineOf(r.rewritten, 2), "__uint(map_flags, 1)")) << r.rewritten;
    EXPECT_TRUE(contains(lineOf(r.rewritten, 2), "__type(key, struct k)")) << r.rewritten;
}

// ---- MapCallPass -------------------------------------------------------------------------
TEST(MapCallPass, MethodsBecomeHelpers) {
    auto r = rewrite(std::string("BPF_HASH(m, u32, u64);\n") + kTracepoint +
                     "u32 k = 1; u64 v = 2;\n"
                     "m.update(&k, &v); m.insert(&k, &v); m.delete(&k);\n"
                     "u64 *p = m.lookup(&k); if (p) *p += 1;\n"
                     "m.increment(k); m.increment(k, 5); m.atomic_increment(k);\n"
                     "return 0; }\n");
    ASSERT_TRUE(r.ok) << formatDiagnostics(r.diagnostics);
    EXPECT_EQ(lineOf(r.rewritten, 4), "bpf_map_update_elem(&m, &k, &v, BPF_ANY); "
                                      "bpf_map_update_elem(&m, &k, &v, BPF_NOEXIST); "
                                      "bpf_map_delete_elem(&m, &k);");
    EXPECT_EQ(lineOf(r.rewritten, 5),
              "u64 *p = ((__typeof__(m.value))bpf_map_lookup_elem(&m, &k)); if (p) *p += 1;");
    EXPECT_EQ(lineOf(r.rewritten, 6), "__jp_increment(&m, k, 1); __jp_increment(&m, k, 5); "
                                      "__jp_atomic_increment(&m, k, 1);");
}

// Ring-buffer calls count what the kernel drops in a global (__jp_ringbuf_lost, declared before
// the first ring buffer); JITPROBE_NO_RINGBUF_LOST_COUNT leaves them plain libbpf calls.
TEST(MapCallPass, RingBufferCallsCountLossesUnlessOptedOut) {
    const std::string body = "BPF_RINGBUF_OUTPUT(rb, 8);\n" + std::string(kTracepoint) +
                             "u64 x = 1; rb.ringbuf_output(&x, sizeof(x), 0);\n"
                             "u64 *p = rb.ringbuf_reserve(sizeof(u64)); if (p) rb.ringbuf_submit(p, 0);\n"
                             "return 0; }\n";
    auto counted = rewrite(body);
    ASSERT_TRUE(counted.ok) << formatDiagnostics(counted.diagnostics);
    EXPECT_TRUE(contains(lineOf(counted.rewritten, 1),
                         "__u64 __jp_ringbuf_lost[1] SEC(\".data.jp_lost\");")) << counted.rewritten;
    EXPECT_EQ(lineOf(counted.rewritten, 3), "u64 x = 1; __jp_ringbuf_output(&rb, &x, sizeof(x), 0, 0);");
    EXPECT_TRUE(contains(lineOf(counted.rewritten, 4), "__jp_ringbuf_reserve(&rb, sizeof(u64), 0)"))
        << counted.rewritten;

    auto plain = rewrite("#define JITPROBE_NO_RINGBUF_LOST_COUNT\n" + body);
    ASSERT_TRUE(plain.ok) << formatDiagnostics(plain.diagnostics);
    EXPECT_FALSE(contains(plain.rewritten, "__jp_ringbuf_lost")) << plain.rewritten;
    EXPECT_EQ(lineOf(plain.rewritten, 4), "u64 x = 1; bpf_ringbuf_output(&rb, &x, sizeof(x), 0);");
    EXPECT_TRUE(contains(lineOf(plain.rewritten, 5), "bpf_ringbuf_reserve(&rb, sizeof(u64), 0)"))
        << plain.rewritten;
    EXPECT_FALSE(plain.object.empty());
}

TEST(MapCallPass, ArraysIncrementWithoutInsertFallback) {
    auto r = rewrite(std::string("BPF_ARRAY(a, u64, 4);\nBPF_HISTOGRAM(h);\n") + kTracepoint +
                     "a.increment(1); h.atomic_increment(bpf_log2l(5), 2);\nreturn 0; }\n");
    ASSERT_TRUE(r.ok) << formatDiagnostics(r.diagnostics);
    EXPECT_EQ(lineOf(r.rewritten, 4),
              "__jp_increment_array(&a, 1, 1); __jp_atomic_increment_array(&h, bpf_log2l(5), 2);");
}

TEST(MapCallPass, NestedCallsKeepInnerRewrite) {
    auto r = rewrite(std::string("BPF_HASH(a, u32, u64);\nBPF_HASH(b, u64, u64);\n") + kTracepoint +
                     "u32 k = 0; u64 *v = a.lookup(&k); if (!v) return 0;\n"
                     "b.increment(*a.lookup(&k) ? 1 : 2);\nreturn 0; }\n");
    ASSERT_TRUE(r.ok) << formatDiagnostics(r.diagnostics);
    EXPECT_EQ(lineOf(r.rewritten, 5),
              "__jp_increment(&b, *((__typeof__(a.value))bpf_map_lookup_elem(&a, &k)) ? 1 : 2, 1);");
}

// A macro that expands its argument twice gives two calls spelled at one place: rewritten once
// (before, the second rewrite garbled the first: `bpf_map_lookup_elem(&a, k)))`).
TEST(MapCallPass, CallInAMacroArgumentExpandedTwiceIsRewrittenOnce) {
    auto r = rewrite(std::string("#define TWICE(x) ((x) + (x))\nBPF_HASH(a, u32, u64);\n") +
                     kTracepoint + "u32 k = 0;\nu64 z = TWICE(a.lookup(&k) != 0);\nreturn z; }\n");
    ASSERT_TRUE(r.ok) << formatDiagnostics(r.diagnostics) << r.rewritten;
    EXPECT_EQ(lineOf(r.rewritten, 5),
              "u64 z = TWICE(((__typeof__(a.value))bpf_map_lookup_elem(&a, &k)) != 0);");
}

TEST(MapCallPass, PerfSubmitRecordsEventType) {
    auto r = rewrite("struct ev_t { u32 pid; char comm[16]; };\nBPF_PERF_OUTPUT(events);\n" +
                     std::string(kTracepoint) +
                     "struct ev_t e = {}; events.perf_submit(args, &e, sizeof(e)); return 0; }\n");
    ASSERT_TRUE(r.ok) << formatDiagnostics(r.diagnostics);
    EXPECT_TRUE(contains(lineOf(r.rewritten, 4),
                         "bpf_perf_event_output(args, &events, BPF_F_CURRENT_CPU, &e, sizeof(e))"))
        << r.rewritten;
    EXPECT_EQ(r.info.maps.at(0).event_type, "ev_t");
}

TEST(MapCallPass, WrongArityIsLocatedError) {
    auto r = rewrite(std::string("BPF_HASH(m, u32, u64);\n") + kTracepoint +
                     "u32 k = 0;\nm.increment(k, 1, 2);\nreturn 0; }\n");
    ASSERT_FALSE(r.ok);
    EXPECT_TRUE(contains(formatDiagnostics(r.diagnostics), "t.c:4:1")) << formatDiagnostics(r.diagnostics);
}

// ---- ProbeFunctionPass -------------------------------------------------------------------
TEST(ProbeFunctionPass, NamingConventionsGetSections) {
    auto r = rewrite("int kprobe__vfs_read(struct pt_regs *ctx) { return 0; }\n"
                     "int kretprobe__vfs_read(struct pt_regs *ctx) { return 0; }\n"
                     "int raw_tracepoint__sched_switch(struct bpf_raw_tracepoint_args *ctx) { return 0; }\n"
                     "static int helper(void) { return 1; }\n");
    ASSERT_TRUE(r.ok) << formatDiagnostics(r.diagnostics);
    EXPECT_EQ(lineOf(r.rewritten, 1).rfind("SEC(\"kprobe/vfs_read\") int kprobe__vfs_read", 0), 0u);
    EXPECT_EQ(lineOf(r.rewritten, 2).rfind("SEC(\"kretprobe/vfs_read\") int", 0), 0u);
    EXPECT_EQ(lineOf(r.rewritten, 3).rfind("SEC(\"raw_tracepoint/sched_switch\") int", 0), 0u);
    EXPECT_EQ(lineOf(r.rewritten, 4), "__attribute__((always_inline)) static int helper(void) { return 1; }");
    EXPECT_EQ(r.info.programs.size(), 3u);
}

TEST(ProbeFunctionPass, AttachDirectiveGivesUprobe) {
    auto r = rewrite("// @attach uprobe:/lib/x86_64-linux-gnu/libc.so.6:malloc -> on_malloc\n"
                     "int on_malloc(struct pt_regs *ctx) { return 0; }\n");
    ASSERT_TRUE(r.ok) << formatDiagnostics(r.diagnostics);
    ASSERT_EQ(r.info.programs.size(), 1u);
    EXPECT_EQ(r.info.programs[0].attach.at(0).kind, "uprobe");
    EXPECT_EQ(r.info.programs[0].attach.at(0).target, "/lib/x86_64-linux-gnu/libc.so.6:malloc");
    EXPECT_EQ(lineOf(r.rewritten, 2).rfind("SEC(\"uprobe\") int on_malloc", 0), 0u) << r.rewritten;
}

TEST(ProbeFunctionPass, NoProbesIsAnError) {
    auto r = rewrite("static int helper(void) { return 1; }\n");
    ASSERT_FALSE(r.ok);
    EXPECT_TRUE(contains(formatDiagnostics(r.diagnostics), "no probes found"));
}

// BCC's Python side loads such functions by name (load_func); BCC gives them the kprobe type.
TEST(ProbeFunctionPass, UnnamedFunctionIsLoadOnlyKprobe) {
    auto r = rewrite("BPF_HASH(hits, u64, u64);\n"
                     "static u64 key(void) { return 7; }\n"
                     "int add(int x) { return x + 1; }\n"
                     "int trace_count(void *ctx) { u64 k = key(); hits.increment(k, add(1)); return 0; }\n");
    ASSERT_TRUE(r.ok) << formatDiagnostics(r.diagnostics);
    ASSERT_EQ(r.info.programs.size(), 1u) << r.rewritten; // `add` is called: a helper
    EXPECT_EQ(r.info.programs[0].function, "trace_count");
    EXPECT_EQ(r.info.programs[0].prog_type, "kprobe");
    EXPECT_TRUE(r.info.programs[0].attach.empty());
    EXPECT_EQ(lineOf(r.rewritten, 4).rfind("SEC(\"kprobe\") int trace_count(void *ctx)", 0), 0u) << r.rewritten;
    EXPECT_EQ(lineOf(r.rewritten, 3), "int add(int x) { return x + 1; }");
}

TEST(ProbeFunctionPass, SkbProgramReadingPacketDataIsATcClassifier) {
    auto r = rewrite("int filter(struct __sk_buff *skb) { return skb->len > 100; }\n"
                     "int classify(struct __sk_buff *skb) {\n"
                     "void *end = (void *)(long)skb->data_end; return (void *)(long)skb->data + 14 > end; }\n");
    ASSERT_TRUE(r.ok) << formatDiagnostics(r.diagnostics);
    ASSERT_EQ(r.info.programs.size(), 2u);
    EXPECT_EQ(r.info.programs[0].prog_type, "socket_filter");
    EXPECT_EQ(r.info.programs[1].prog_type, "sched_cls");
    EXPECT_EQ(lineOf(r.rewritten, 2).rfind("SEC(\"tc\") int classify", 0), 0u) << r.rewritten;
}

// BCC's vlan_learning pops a VLAN tag in a function its Python loads as BPF.SCHED_CLS: a helper
// only tc programs may call makes the function a classifier.
TEST(ProbeFunctionPass, SkbProgramCallingTcOnlyHelpersIsATcClassifier) {
    auto r = rewrite("int untag(struct __sk_buff *skb) { bpf_skb_vlan_pop(skb); return 1; }\n"
                     "int count(struct __sk_buff *skb) { return bpf_get_prandom_u32() & 1; }\n");
    ASSERT_TRUE(r.ok) << formatDiagnostics(r.diagnostics);
    ASSERT_EQ(r.info.programs.size(), 2u);
    EXPECT_EQ(r.info.programs[0].prog_type, "sched_cls");
    EXPECT_EQ(r.info.programs[1].prog_type, "socket_filter");
}

// ---- KprobeArgsPass ----------------------------------------------------------------------
TEST(KprobeArgsPass, SixthArgumentIsR9) {
    auto r = rewrite("int six(struct pt_regs *ctx, long a, long b, long c, long d, long e, long f)\n"
                     "{ return f; }\n");
    ASSERT_TRUE(r.ok) << formatDiagnostics(r.diagnostics);
    EXPECT_TRUE(contains(r.rewritten, "long f = (long)PT_REGS_PARM6(ctx);")) << r.rewritten;
}

TEST(KprobeArgsPass, TypedArgumentsBecomeRegisterReads) {
    auto r = rewrite("int kprobe__vfs_read(struct pt_regs *ctx, struct file *file,\n"
                     "                     size_t count)\n{\n    return count > 0;\n}\n");
    ASSERT_TRUE(r.ok) << formatDiagnostics(r.diagnostics);
    // TypeShakingPass made `struct file` (used through a pointer only) a minimal local type.
    EXPECT_EQ(lineOf(r.rewritten, 1), "struct file___jp; SEC(\"kprobe/vfs_read\") int kprobe__vfs_read(struct pt_regs *ctx");
    EXPECT_EQ(lineOf(r.rewritten, 2), ")");
    EXPECT_EQ(lineOf(r.rewritten, 3), "{ struct file___jp * file = (struct file___jp *)PT_REGS_PARM1(ctx); "
                                      "size_t count = (size_t)PT_REGS_PARM2(ctx);");
    EXPECT_EQ(lineOf(r.rewritten, 4), "    return count > 0;"); // user lines stay put
}

TEST(MapCallPass, LookupOrInitReturnsFromTheProbeOnFailure) {
    auto r = rewrite(std::string("BPF_HASH(h, u32, u64);\n") + kTracepoint +
                     "u32 k = 1; u64 zero = 0; u64 *a = h.lookup_or_init(&k, &zero); ++(*a);\n"
                     "u64 *b = h.lookup_or_try_init(&k, &zero); return b ? *b : 0; }\n");
    ASSERT_TRUE(r.ok) << formatDiagnostics(r.diagnostics);
    EXPECT_TRUE(contains(lineOf(r.rewritten, 3), "u64 *a = __jp_lookup_or_init(&h, &k, &zero);")) << r.rewritten;
    EXPECT_TRUE(contains(lineOf(r.rewritten, 4), "u64 *b = __jp_lookup_or_try_init(&h, &k, &zero);")) << r.rewritten;
}

// ---- CoreReadPass ------------------------------------------------------------------------
TEST(CoreReadPass, KernelPointerChainsBecomeCoreReads) {
    auto r = rewrite("RAW_TRACEPOINT_PROBE(sched_switch) {\n"
                     "struct task_struct *next = (struct task_struct *)ctx->args[2];\n"
                     "u32 ppid = next->real_parent->tgid;\n"
                     "u64 start = next->se.exec_start;\n"
                     "char comm[16]; bpf_probe_read_kernel_str(&comm, sizeof(comm), &next->comm);\n"
                     "return ppid + start + sizeof(next->pid); }\n",
                     {"-DJITPROBE_NO_TYPE_SHAKING"}); // kernel types as spelled (TypeShakingPass)
    ASSERT_TRUE(r.ok) << formatDiagnostics(r.diagnostics);
    EXPECT_EQ(lineOf(r.rewritten, 2), "struct task_struct *next = (struct task_struct *)ctx->args[2];");
    EXPECT_EQ(lineOf(r.rewritten, 3), "u32 ppid = BPF_CORE_READ(next, real_parent, tgid);");
    EXPECT_EQ(lineOf(r.rewritten, 4), "u64 start = BPF_CORE_READ(next, se.exec_start);");
    EXPECT_EQ(lineOf(r.rewritten, 5), "char comm[16]; bpf_probe_read_kernel_str(&comm, sizeof(comm), &next->comm);");
    EXPECT_EQ(lineOf(r.rewritten, 6), "return ppid + start + sizeof(next->pid); }");
}

TEST(CoreReadPass, ContextAndLocalStructsStayDirect) {
    auto r = rewrite("struct v { u64 n; };\nBPF_HASH(m, u32, struct v);\n"
                     "int kprobe__vfs_read(struct pt_regs *ctx) {\n"
                     "u32 k = ctx->di; struct v *p = m.lookup(&k); if (p) p->n += 1;\n"
                     "return 0; }\n");
    ASSERT_TRUE(r.ok) << formatDiagnostics(r.diagnostics);
    EXPECT_TRUE(contains(lineOf(r.rewritten, 4), "u32 k = ctx->di;")) << r.rewritten;
    EXPECT_TRUE(contains(lineOf(r.rewritten, 4), "if (p) p->n += 1;")) << r.rewritten;
}

TEST(CoreReadPass, PointerBeforeAnArrayOrAddressIsStillRead) {
    auto r = rewrite("RAW_TRACEPOINT_PROBE(sched_switch) {\n"
                     "struct task_struct *t = (struct task_struct *)ctx->args[1];\n"
                     "char c[16]; bpf_probe_read_kernel_str(c, sizeof(c), t->real_parent->comm);\n"
                     "return &t->real_parent->pid != 0; }\n",
                     {"-DJITPROBE_NO_TYPE_SHAKING"});
    ASSERT_TRUE(r.ok) << formatDiagnostics(r.diagnostics) << r.rewritten;
    EXPECT_TRUE(contains(lineOf(r.rewritten, 3), "BPF_CORE_READ(t, real_parent)->comm")) << r.rewritten;
    EXPECT_EQ(lineOf(r.rewritten, 4), "return &BPF_CORE_READ(t, real_parent)->pid != 0; }");
}

// fentry/fexit/fmod_ret/LSM/tp_btf: a struct pointer loaded through a typed argument stays a
// load (the verifier's BTF pointer, which bpf_inode_storage_get needs); scalars, pointers from
// elsewhere and the same code in a kprobe are still read.
TEST(CoreReadPass, BtfProgramsLoadTrackedStructPointers) {
    auto r = rewrite("BPF_INODE_STORAGE(st, u64);\n"
                     "LSM_PROBE(inode_rename, struct inode *od, struct dentry *old, struct inode *nd,\n"
                     "          struct dentry *new_dentry, unsigned int flags) {\n"
                     "struct inode *i; i = old->d_inode; struct dentry *d = new_dentry;\n"
                     "u64 *v = st.inode_storage_get(old->d_inode, 0, 1); st.inode_storage_get(i, 0, 0);\n"
                     "struct super_block *sb = d->d_inode->i_sb; u64 n = old->d_inode->i_ino;\n"
                     "struct task_struct *t = (void *)bpf_get_current_task(); t = t->real_parent;\n"
                     "struct inode *mixed = t ? i : (void *)0; mixed = (void *)bpf_get_current_task();\n"
                     "return v ? *v + n + BPF_CORE_READ(sb, s_magic) + mixed->i_ino : 0; }\n"
                     "SEC(\"fexit/vfs_read\") int BPF_PROG(on_read, struct file *file) {\n"
                     "struct inode *f = file->f_inode; return f->i_ino + file->f_path.dentry->d_flags; }\n"
                     "int kprobe__vfs_write(struct pt_regs *ctx, struct file *file) {\n"
                     "struct inode *w = file->f_inode; return w != 0; }\n",
                     {"-DJITPROBE_NO_TYPE_SHAKING"});
    ASSERT_TRUE(r.ok) << formatDiagnostics(r.diagnostics) << r.rewritten;
    EXPECT_EQ(lineOf(r.rewritten, 4), "struct inode *i; i = old->d_inode; struct dentry *d = new_dentry;");
    EXPECT_TRUE(contains(lineOf(r.rewritten, 5), "bpf_inode_storage_get(&st, old->d_inode, 0, 1);"))
        << r.rewritten;
    EXPECT_TRUE(contains(lineOf(r.rewritten, 5), "bpf_inode_storage_get(&st, i, 0, 0);")) << r.rewritten;
    EXPECT_EQ(lineOf(r.rewritten, 6), "struct super_block *sb = d->d_inode->i_sb; "
                                      "u64 n = BPF_CORE_READ(old, d_inode, i_ino);");
    EXPECT_TRUE(contains(lineOf(r.rewritten, 7), "t = BPF_CORE_READ(t, real_parent);")) << r.rewritten;
    EXPECT_TRUE(contains(lineOf(r.rewritten, 9), "BPF_CORE_READ(mixed, i_ino)")) << r.rewritten;
    EXPECT_EQ(lineOf(r.rewritten, 11), "struct inode *f = file->f_inode; "
                                       "return BPF_CORE_READ(f, i_ino) + BPF_CORE_READ(file, f_path.dentry, d_flags); }");
    EXPECT_TRUE(contains(lineOf(r.rewritten, 13), "struct inode *w = BPF_CORE_READ(file, f_inode);"))
        << r.rewritten;
}

// ---- KernelDerefPass ---------------------------------------------------------------------
TEST(KernelDerefPass, ArrayElementsDerefsAndKprobeArgumentsAreProbeReads) {
    auto r = rewrite("int kprobe__d_lookup(struct pt_regs *ctx, const struct dentry *parent,\n"
                     "                     const struct qstr *name, char **argv) {\n"
                     "int a = name->name[1] + (name->name)[2];\n"
                     "int b = *parent->d_name.name;\n"
                     "int c = (*argv)[1];\n"
                     "return a + b + c; }\n",
                     {"-DJITPROBE_NO_TYPE_SHAKING"});
    ASSERT_TRUE(r.ok) << formatDiagnostics(r.diagnostics) << r.rewritten;
    // qstr.name is a pointer: read it (CoreReadPass), then the byte it points to.
    EXPECT_TRUE(contains(lineOf(r.rewritten, 3), "int a = __jp_kread(BPF_CORE_READ(name, name)[1]) + "
                                                 "__jp_kread((BPF_CORE_READ(name, name))[2]);")) << r.rewritten;
    EXPECT_TRUE(contains(lineOf(r.rewritten, 4), "int b = __jp_kread(*BPF_CORE_READ(parent, d_name.name));"))
        << r.rewritten;
    EXPECT_TRUE(contains(lineOf(r.rewritten, 5), "int c = __jp_kread((__jp_kread(*argv))[1]);")) << r.rewritten;
}

TEST(KernelDerefPass, ArrayMembersAndMacroArgumentsAreReadOnce) {
    auto r = rewrite("int kprobe__tcp_close(struct pt_regs *ctx, struct sock *sk) {\n"
                     "u32 a = sk->__sk_common.skc_v6_daddr.in6_u.u6_addr32[3];\n"
                     "bpf_trace_printk(\"%d\\n\", sk->__sk_common.skc_family);\n"
                     "return a + bpf_ntohs(sk->__sk_common.skc_dport); }\n",
                     {"-DJITPROBE_NO_TYPE_SHAKING"});
    ASSERT_TRUE(r.ok) << formatDiagnostics(r.diagnostics) << r.rewritten;
    EXPECT_TRUE(contains(lineOf(r.rewritten, 2),
                         "u32 a = __jp_kread(sk->__sk_common.skc_v6_daddr.in6_u.u6_addr32[3]);")) << r.rewritten;
    EXPECT_TRUE(contains(lineOf(r.rewritten, 3), "(__u64)(BPF_CORE_READ(sk, __sk_common.skc_family));")) << r.rewritten;
    EXPECT_TRUE(contains(lineOf(r.rewritten, 4), "bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport)); }"))
        << r.rewritten;
}

// A probe that defines a kernel-internal struct itself (BCC tools copy private kernel headers):
// its own layout wins over vmlinux.h's, and reads through it are probe reads of that layout.
TEST(KernelDerefPass, ProbesOwnDefinitionOfAKernelStructWins) {
    auto r = rewrite("struct mnt_namespace { u64 pad; struct ns_common ns; };\n"
                     "int kprobe__x(struct pt_regs *ctx, struct nsproxy *nsp) {\n"
                     "struct mnt_namespace *m; m = (struct mnt_namespace *)nsp->mnt_ns;\n"
                     "return m->ns.inum; }\n",
                     {"-DJITPROBE_NO_TYPE_SHAKING"});
    ASSERT_TRUE(r.ok) << formatDiagnostics(r.diagnostics) << r.rewritten;
    EXPECT_EQ(lineOf(r.rewritten, 1), "struct mnt_namespace { u64 pad; struct ns_common ns; };");
    EXPECT_TRUE(contains(lineOf(r.rewritten, 4), "return __jp_kread(m->ns.inum); }")) << r.rewritten;
    EXPECT_EQ(r.info.programs.size(), 1u);
}

TEST(CoreReadPass, PacketPointersStayDirectAccess) {
    auto r = rewrite("static int proto(struct ethhdr *eth) { return eth->h_proto; }\n"
                     "int on_xdp(struct xdp_md *ctx) {\n"
                     "void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;\n"
                     "struct iphdr *ip = data + sizeof(struct ethhdr); if ((void *)(ip + 1) > end) return XDP_PASS;\n"
                     "return ip->protocol == 6 && proto(data) ? XDP_DROP : XDP_PASS; }\n");
    ASSERT_TRUE(r.ok) << formatDiagnostics(r.diagnostics);
    EXPECT_FALSE(contains(r.rewritten, "BPF_CORE_READ")) << r.rewritten;
    EXPECT_FALSE(contains(r.rewritten, "__jp_kread")) << r.rewritten;
}

// `sk_daddr` is a member shortcut macro of the kernel's struct sock; not in the probe's own.
TEST(KernelDerefPass, OwnStructSockKeepsItsMemberNames) {
    auto r = rewrite("struct sock {\n    u32 *sk_daddr;\n};\n"
                     "int kprobe__x(struct pt_regs *ctx, struct sock *skp) { return *(skp->sk_daddr); }\n");
    ASSERT_TRUE(r.ok) << formatDiagnostics(r.diagnostics) << r.rewritten;
    EXPECT_TRUE(contains(r.rewritten, "__jp_kread(*(__jp_kread(skp->sk_daddr)))")) << r.rewritten;
}

TEST(KernelDerefPass, LocalsFromKernelPointersAndHelperResults) {
    auto r = rewrite("static u32 *field(struct sock *sk) { return &sk->__sk_common.skc_daddr; }\n"
                     "int kprobe__tcp_close(struct pt_regs *ctx, struct sock *sk) {\n"
                     "u32 *d = field(sk); u32 local = 1; u32 *mine = &local;\n"
                     "return *d + *mine; }\n",
                     {"-DJITPROBE_NO_TYPE_SHAKING"});
    ASSERT_TRUE(r.ok) << formatDiagnostics(r.diagnostics) << r.rewritten;
    EXPECT_TRUE(contains(lineOf(r.rewritten, 4), "return __jp_kread(*d) + *mine; }")) << r.rewritten;
}

TEST(KernelDerefPass, StaticHelperParametersPassedKernelPointers) {
    auto r = rewrite("static u64 inner(char **p, int n) { return p[1][0] + n; }\n"
                     "static u64 outer(char **p, int n) { return inner(p + 1, n); }\n"
                     "static u64 local(char *p) { return p[0]; }\n"
                     "int kprobe__x(struct pt_regs *ctx, void *vq, char **sgs, int n) {\n"
                     "char buf[4] = {}; return outer(sgs, n) + local(buf); }\n");
    ASSERT_TRUE(r.ok) << formatDiagnostics(r.diagnostics);
    EXPECT_TRUE(contains(lineOf(r.rewritten, 1), "return __jp_kread(__jp_kread(p[1])[0]) + n; }")) << r.rewritten;
    EXPECT_TRUE(contains(lineOf(r.rewritten, 3), "{ return p[0]; }")) << r.rewritten; // only a stack buffer
}

TEST(KernelDerefPass, UserPointersAreReadAsUserMemory) {
    auto r = rewrite("int syscall__execve(struct pt_regs *ctx, const char __user *filename,\n"
                     "                    const char __user *const __user *argv) {\n"
                     "const char *a1 = argv[1]; return filename[0] + (a1 ? a1[0] : 0); }\n"
                     "int kprobe__vfs_write(struct pt_regs *ctx, struct file *f, const char __user *buf) {\n"
                     "char k = *(char *)f; return buf[0] + k; }\n",
                     {"-DJITPROBE_NO_TYPE_SHAKING"});
    ASSERT_TRUE(r.ok) << formatDiagnostics(r.diagnostics) << r.rewritten;
    EXPECT_TRUE(contains(lineOf(r.rewritten, 3), "const char *a1 = __jp_uread(argv[1]); "
                                                 "return __jp_uread(filename[0]) + (a1 ? __jp_uread(a1[0]) : 0); }"))
        << r.rewritten;
    EXPECT_TRUE(contains(lineOf(r.rewritten, 5), "char k = __jp_kread(*(char *)f); return __jp_uread(buf[0]) + k; }"))
        << r.rewritten;
}

TEST(KernelDerefPass, PacketProgramsAndMapValuesStayDirect) {
    auto r = rewrite("BPF_ARRAY(vals, u64, 4);\n"
                     "int on_packet(struct __sk_buff *skb) {\n"
                     "unsigned char *p = (void *)(long)skb->data; if ((void *)(p + 2) > (void *)(long)skb->data_end) return 0;\n"
                     "int k = 0; u64 *v = vals.lookup(&k); if (v) *v += p[1];\n"
                     "return 0; }\n");
    ASSERT_TRUE(r.ok) << formatDiagnostics(r.diagnostics) << r.rewritten;
    EXPECT_FALSE(contains(r.rewritten, "__jp_kread(")) << r.rewritten;
}

TEST(CoreReadPass, OptOutMacro) {
    auto r = rewrite("#define JITPROBE_NO_AUTO_READ\nRAW_TRACEPOINT_PROBE(sched_switch) {\n"
                     "struct task_struct *t = (struct task_struct *)ctx->args[1];\n"
                     "return t->pid; }\n");
    ASSERT_TRUE(r.ok) << formatDiagnostics(r.diagnostics);
    EXPECT_EQ(lineOf(r.rewritten, 4), "return t->pid; }");
}

TEST(CoreReadPass, FieldRelocationBuiltinsNameTheFieldWithoutReadingIt) {
    auto r = rewrite("RAW_TRACEPOINT_PROBE(sched_switch) {\n"
                     "struct task_struct *t = (struct task_struct *)ctx->args[1];\n"
                     "if (!bpf_core_field_exists(t->pid)) return 0;\n"
                     "return t->pid + bpf_core_field_size(t->tgid); }\n",
                     {"-DJITPROBE_NO_TYPE_SHAKING"});
    ASSERT_TRUE(r.ok) << formatDiagnostics(r.diagnostics) << r.rewritten;
    EXPECT_EQ(lineOf(r.rewritten, 3), "if (!bpf_core_field_exists(t->pid)) return 0;");
    EXPECT_EQ(lineOf(r.rewritten, 4), "return BPF_CORE_READ(t, pid) + bpf_core_field_size(t->tgid); }");
}

TEST(CoreReadPass, TypedefRootIsCastToItsStruct) {
    auto r = rewrite("typedef struct task_struct ts_t;\nRAW_TRACEPOINT_PROBE(sched_switch) {\n"
                     "ts_t *t = (ts_t *)ctx->args[1];\n"
                     "return t->real_parent->tgid; }\n",
                     {"-DJITPROBE_NO_TYPE_SHAKING"});
    ASSERT_TRUE(r.ok) << formatDiagnostics(r.diagnostics) << r.rewritten;
    EXPECT_EQ(lineOf(r.rewritten, 4),
              "return BPF_CORE_READ(((struct task_struct *)(t)), real_parent, tgid); }");
}

TEST(CoreReadPass, AnonymousMembersAreReachedThroughNamedOnes) {
    auto r = rewrite("int kprobe__tcp_close(struct pt_regs *ctx, struct sock *sk, struct file *f) {\n"
                     "u16 d = sk->__sk_common.skc_dport; u16 n = sk->sk_num;\n"
                     "void *de = f->f_path.dentry;\n"
                     "return d + n + (de != 0); }\n");
    ASSERT_TRUE(r.ok) << formatDiagnostics(r.diagnostics) << r.rewritten;
    EXPECT_EQ(lineOf(r.rewritten, 2), "u16 d = BPF_CORE_READ(sk, __sk_common.skc_dport); "
                                      "u16 n = BPF_CORE_READ(sk, __sk_common.skc_num);");
    EXPECT_EQ(lineOf(r.rewritten, 3), "void *de = BPF_CORE_READ(f, f_path.dentry);");
}

TEST(KprobeArgsPass, SyscallProbesReadTheSyscallsOwnRegisters) {
    auto r = rewrite("int syscall__execve(struct pt_regs *ctx, const char *filename) {\n"
                     "return filename != 0; }\n");
    ASSERT_TRUE(r.ok) << formatDiagnostics(r.diagnostics);
    EXPECT_EQ(r.info.programs.at(0).attach.at(0).target, "__x64_sys_execve");
    EXPECT_TRUE(contains(lineOf(r.rewritten, 1),
                         "struct pt_regs *__jp_sys = (struct pt_regs *)PT_REGS_PARM1(ctx); "
                         "const char * filename = (const char *)PT_REGS_PARM1_CORE_SYSCALL(__jp_sys);"))
        << r.rewritten;
}

// ---- dialect coverage fixes (tests/dialect) -----------------------------------------------
TEST(MapDeclPass, BuildIdStackTraceGetsBuildIdFlag) {
    auto r = rewrite(std::string("BPF_STACK_TRACE_BUILDID(st, 128);\n") + kTracepoint +
                     "return 0; }\n");
    ASSERT_TRUE(r.ok) << formatDiagnostics(r.diagnostics);
    EXPECT_EQ(lineOf(r.rewritten, 1),
              "struct { __uint(type, BPF_MAP_TYPE_STACK_TRACE); __uint(max_entries, 128); "
              "__uint(map_flags, 32); __uint(key_size, 4); "
              "__uint(value_size, 127 * sizeof(struct bpf_stack_build_id)); } st SEC(\".maps\");");
}

TEST(MapDeclPass, MapOfMapsTakesBccQuotedInnerName) {
    auto r = rewrite(std::string("BPF_ARRAY(inner, u64, 4);\nBPF_ARRAY_OF_MAPS(outer, \"inner\", 2);\n") +
                     kTracepoint + "int i = 0; void *m = outer.lookup(&i); return m != 0; }\n");
    ASSERT_TRUE(r.ok) << formatDiagnostics(r.diagnostics);
    EXPECT_EQ(lineOf(r.rewritten, 2),
              "struct { __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS); __uint(max_entries, 2); "
              "__type(key, int); __uint(value_size, 4); __array(values, __typeof__(inner)); } "
              "outer SEC(\".maps\");");
    // The value of a map of maps is an inner map: lookup yields `void *`, not a typed value.
    EXPECT_TRUE(contains(lineOf(r.rewritten, 4),
                         "void *m = ((void *)bpf_map_lookup_elem(&outer, &i));"))
        << r.rewritten;
}

TEST(MapCallPass, PerfReadOnCurrentCpu) {
    auto r = rewrite(std::string("BPF_PERF_ARRAY(c, 8);\n") + kTracepoint +
                     "return c.perf_read(CUR_CPU_IDENTIFIER) > 0; }\n");
    ASSERT_TRUE(r.ok) << formatDiagnostics(r.diagnostics);
    EXPECT_TRUE(contains(lineOf(r.rewritten, 3), "bpf_perf_event_read(&c, CUR_CPU_IDENTIFIER)"))
        << r.rewritten;
}

TEST(ProbeFunctionPass, BtfTypedMacrosGetSections) {
    auto r = rewrite("TP_BTF_PROBE(sched_switch, bool preempt, struct task_struct *prev) {\n"
                     "  return prev->pid; }\n"
                     "KMOD_RET(security_file_open, struct file *file) { return 0; }\n"
                     "KFUNC_PROBE(vfs_read, struct file *file) { return 0; }\n"
                     "int on_msg(struct sk_msg_md *msg) { return 1; }\n",
                     {"-DJITPROBE_NO_TYPE_SHAKING"});
    ASSERT_TRUE(r.ok) << formatDiagnostics(r.diagnostics);
    EXPECT_EQ(lineOf(r.rewritten, 1).rfind("SEC(\"tp_btf/sched_switch\") TP_BTF_PROBE(", 0), 0u)
        << r.rewritten;
    EXPECT_EQ(lineOf(r.rewritten, 3).rfind("SEC(\"fmod_ret/security_file_open\") KMOD_RET(", 0), 0u);
    EXPECT_EQ(lineOf(r.rewritten, 4).rfind("SEC(\"fentry/vfs_read\") KFUNC_PROBE(", 0), 0u);
    EXPECT_EQ(lineOf(r.rewritten, 5).rfind("SEC(\"sk_msg\") int on_msg", 0), 0u);
    ASSERT_EQ(r.info.programs.size(), 4u);
    EXPECT_EQ(r.info.programs[0].attach.at(0).kind, "tp_btf");
    EXPECT_EQ(r.info.programs[0].attach.at(0).target, "sched_switch");
    EXPECT_EQ(r.info.programs[1].attach.at(0).kind, "fmod_ret");
    EXPECT_EQ(r.info.programs[3].prog_type, "sk_msg");
}

TEST(Prelude, UsdtReadargSourcesGetLibbpfUsdt) {
    auto r = rewrite("// @attach usdt:/usr/lib/x86_64-linux-gnu/libstdc++.so.6:libstdcxx:throw -> f\n"
                     "int f(struct pt_regs *ctx) {\n"
                     "  u64 t = 0; char buf[8];\n"
                     "  if (bpf_usdt_readarg(2, ctx, &t)) return 0;\n"
                     "  return bpf_usdt_readarg_p(2, ctx, buf, sizeof(buf)); }\n");
    ASSERT_TRUE(r.ok) << formatDiagnostics(r.diagnostics);
    // The macros expand to libbpf's bpf_usdt_arg with a 0-based index; it is only in the
    // object when <bpf/usdt.bpf.h> came in.
    EXPECT_TRUE(contains(lineOf(r.rewritten, 4), "bpf_usdt_readarg(2, ctx, &t)")) << r.rewritten;
    EXPECT_FALSE(r.object.empty());
    std::string elf(r.object.begin(), r.object.end());
    EXPECT_TRUE(contains(elf, "__bpf_usdt_specs"));
    auto plain = rewrite(std::string(kTracepoint) + "return 0; }\n");
    ASSERT_TRUE(plain.ok);
    EXPECT_FALSE(contains(std::string(plain.object.begin(), plain.object.end()), "__bpf_usdt_specs"));
}
