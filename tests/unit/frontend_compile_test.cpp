// Source-in/source-out and source-in/ELF-out tests of the whole frontend pipeline.
#include "jitprobe/frontend/Frontend.h"

#include <gtest/gtest.h>
#include <fstream>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sys/mount.h>
#include <unistd.h>

using namespace jitprobe::frontend;

namespace {

CompileOptions options() {
    CompileOptions o;
    o.file_name = "probe.c";
    // Tracepoint formats come from tracefs; tests run as root like the tool.
    if (::access("/sys/kernel/tracing/events", F_OK) != 0)
        ::mount("nodev", "/sys/kernel/tracing", "tracefs", 0, nullptr);
    return o;
}

std::string errors(const CompileResult &r) { return formatDiagnostics(r.diagnostics); }

bool isElf(const std::vector<std::uint8_t> &bytes) {
    return bytes.size() > 4 && bytes[0] == 0x7f && bytes[1] == 'E' && bytes[2] == 'L' && bytes[3] == 'F';
}

} // namespace

TEST(FrontendCompile, HashIncrementOnTracepoint) {
    auto r = compile(R"(BPF_HASH(counts, u32, u64);
TRACEPOINT_PROBE(syscalls, sys_enter_openat) {
    u32 pid = bpf_get_current_pid_tgid() >> 32;
    counts.increment(pid);
    return 0;
}
)", options());
    ASSERT_TRUE(r.ok) << errors(r);
    EXPECT_TRUE(isElf(r.object));
    EXPECT_NE(r.rewritten.find("__uint(type, BPF_MAP_TYPE_HASH)"), std::string::npos) << r.rewritten;
    EXPECT_NE(r.rewritten.find("__jp_increment(&counts, pid, 1)"), std::string::npos) << r.rewritten;
    EXPECT_NE(r.rewritten.find("SEC(\"tracepoint/syscalls/sys_enter_openat\") TRACEPOINT_PROBE"),
              std::string::npos) << r.rewritten;
    ASSERT_EQ(r.info.maps.size(), 1u);
    EXPECT_EQ(r.info.maps[0].kind, "hash");
    ASSERT_EQ(r.info.programs.size(), 1u);
    EXPECT_EQ(r.info.programs[0].attach.at(0).target, "syscalls:sys_enter_openat");
}

TEST(FrontendCompile, SyntaxErrorAtUserLine) {
    auto r = compile("BPF_HASH(c, u32, u64);\nTRACEPOINT_PROBE(syscalls, sys_enter_getpid) {\n"
                     "    u64 step = 1\n    c.increment(0, step);\n    return 0;\n}\n", options());
    ASSERT_FALSE(r.ok);
    EXPECT_NE(errors(r).find("probe.c:3:"), std::string::npos) << errors(r);
    EXPECT_NE(errors(r).find("expected ';'"), std::string::npos) << errors(r);
}

TEST(FrontendCompile, UnknownMethodNamesMapAndMethods) {
    auto r = compile("BPF_HASH(counts, u32, u64);\nTRACEPOINT_PROBE(syscalls, sys_enter_getpid) {\n"
                     "    u32 k = 1;\n    counts.frobnicate(&k);\n    return 0;\n}\n", options());
    ASSERT_FALSE(r.ok);
    std::string text = errors(r);
    EXPECT_NE(text.find("probe.c:4:"), std::string::npos) << text;
    EXPECT_NE(text.find("map 'counts' has no method 'frobnicate'"), std::string::npos) << text;
    EXPECT_NE(text.find("lookup, "), std::string::npos) << text;
}

// A near miss ("did you mean") is worded the same way, with no internal struct name or note.
TEST(FrontendCompile, MisspelledMethodNamesMapNotItsStruct) {
    auto r = compile("BPF_HASH(counts, u32, u64);\nTRACEPOINT_PROBE(syscalls, sys_enter_getpid) {\n"
                     "    u32 k = 1;\n    counts.incremnt(k);\n    return 0;\n}\n", options());
    ASSERT_FALSE(r.ok);
    std::string text = formatDiagnostics(r.diagnostics);
    EXPECT_NE(text.find("probe.c:4:"), std::string::npos) << text;
    EXPECT_NE(text.find("map 'counts' has no method 'incremnt'; did you mean 'increment'?"),
              std::string::npos) << text;
    EXPECT_NE(text.find("methods of 'counts': "), std::string::npos) << text;
    EXPECT_EQ(text.find("__jp_"), std::string::npos) << text;
    EXPECT_EQ(text.find("perf_submit"), std::string::npos) << text; // not a hash map's method
}

// BPF_TABLE gives every kind the same struct members; the hint lists what the kind has.
TEST(FrontendCompile, MethodHintListsOnlyWhatTheMapKindHas) {
    auto r = compile("BPF_HASH(counts, u32, u64);\nBPF_STACK_TRACE(stacks, 64);\n"
                     "TRACEPOINT_PROBE(syscalls, sys_enter_getpid) {\n"
                     "    counts.incremnt(1);\n    stacks.getstackid(args, 0);\n    return 0;\n}\n",
                     options());
    ASSERT_FALSE(r.ok);
    std::string text = formatDiagnostics(r.diagnostics);
    EXPECT_NE(text.find("methods of 'counts': lookup, lookup_or_init, lookup_or_try_init, update, "
                        "insert, delete, increment, atomic_increment\n"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("methods of 'stacks': lookup, get_stackid\n"), std::string::npos) << text;
    for (const char *foreign : {"call", "redirect_map", "sock_map_update", "check_current_task"})
        EXPECT_EQ(text.find(foreign), std::string::npos) << foreign << "\n" << text;
}

// BCC compiles maps declared in a header the probe includes; so does jitprobe: the header is
// rewritten like the probe (a libbpf map in .maps, not BCC's "maps/<kind>" section).
TEST(FrontendCompile, MapDeclaredInAnIncludedHeader) {
    char tmpl[] = "/tmp/jp_map_header.XXXXXX";
    std::string dir = ::mkdtemp(tmpl);
    std::ofstream(dir + "/maps.h") << "BPF_ARRAY(hdrmap, u64, 2);\nBPF_RINGBUF_OUTPUT(hdr_events, 8);\n";
    std::ofstream(dir + "/probe.c") << "#include \"maps.h\"\n";
    CompileOptions o = options();
    o.file_name = dir + "/probe.c";
    auto r = compile("#include \"maps.h\"\nTRACEPOINT_PROBE(syscalls, sys_enter_getpid) {\n"
                     "    hdrmap.increment(1);\n    u64 v = 1;\n"
                     "    hdr_events.ringbuf_output(&v, sizeof(v), 0);\n    return 0;\n}\n", o);
    std::filesystem::remove_all(dir);
    ASSERT_TRUE(r.ok) << errors(r);
    ASSERT_NE(r.info.findMap("hdrmap"), nullptr);
    EXPECT_EQ(r.info.findMap("hdrmap")->kind, "array");
    ASSERT_NE(r.info.findMap("hdr_events"), nullptr);
    std::string object(r.object.begin(), r.object.end());
    EXPECT_EQ(object.find("maps/array"), std::string::npos); // BCC's section: libbpf refuses it
    EXPECT_NE(object.find("__jp_ringbuf_lost"), std::string::npos); // the header's ring is counted
}

TEST(FrontendCompile, MisusedMapIsNamedAsDeclared) {
    auto r = compile("BPF_HASH(counts, u32, u64);\nTRACEPOINT_PROBE(syscalls, sys_enter_getpid) {\n"
                     "    counts = 3;\n    return 0;\n}\n", options());
    ASSERT_FALSE(r.ok);
    std::string text = formatDiagnostics(r.diagnostics);
    EXPECT_NE(text.find("probe.c:3:"), std::string::npos) << text;
    EXPECT_NE(text.find("'map counts'"), std::string::npos) << text;
    EXPECT_EQ(text.find("__jp_"), std::string::npos) << text;
}

TEST(FrontendCompile, TooManyMethodArgumentsNameTheMap) {
    auto r = compile("BPF_HASH(counts, u32, u64);\nTRACEPOINT_PROBE(syscalls, sys_enter_getpid) {\n"
                     "    u32 k = 1;\n    counts.lookup(&k, 1);\n    return 0;\n}\n", options());
    ASSERT_FALSE(r.ok);
    std::string text = formatDiagnostics(r.diagnostics);
    EXPECT_NE(text.find("probe.c:4:"), std::string::npos) << text;
    EXPECT_NE(text.find("map 'counts': method 'lookup' takes 1 argument"), std::string::npos) << text;
}

// The kernel-type PCH refers to vmlinux.h's parts by virtual path (kernel-types/<key>.d/ is
// served as /jitprobe/kernel): a cache directory that moved keeps its PCH.
TEST(FrontendCompile, KernelTypePchSurvivesAMovedCacheDirectory) {
    char tmpl[] = "/tmp/jp_pch_move.XXXXXX";
    std::string root = ::mkdtemp(tmpl);
    const char *source = R"(TRACEPOINT_PROBE(sched, sched_process_exec) {
    struct task_struct *t = (struct task_struct *)bpf_get_current_task();
    bpf_trace_printk("%d\n", t->real_parent->tgid);
    return 0;
}
)";
    auto listing = [](const std::string &dir) {
        std::vector<std::string> names;
        for (const auto &e : std::filesystem::directory_iterator(dir))
            names.push_back(e.path().filename().string() + (e.is_directory() ? "/" : ""));
        std::sort(names.begin(), names.end());
        return names;
    };
    CompileOptions o = options();
    o.cache_dir = root + "/first";
    auto first = compile(source, o);
    ASSERT_TRUE(first.ok) << errors(first);
    std::vector<std::string> kt = listing(o.cache_dir + "/kernel-types");
    auto pch = std::find_if(kt.begin(), kt.end(), [](const std::string &n) { return n.ends_with(".pch"); });
    ASSERT_NE(pch, kt.end()) << "a PCH was built";
    std::string stem = pch->substr(0, pch->size() - 4);
    auto parts = listing(o.cache_dir + "/kernel-types/" + stem + ".d");
    EXPECT_GT(parts.size(), 20u);
    EXPECT_EQ(parts.front(), "part-000.h");
    EXPECT_EQ(parts.back(), "vmlinux.h");

    ASSERT_EQ(::rename(o.cache_dir.c_str(), (root + "/moved").c_str()), 0);
    o.cache_dir = root + "/moved";
    auto second = compile(source, o);
    ASSERT_TRUE(second.ok) << errors(second);
    EXPECT_EQ(second.object, first.object) << "the same object from the moved PCH";
    EXPECT_EQ(listing(o.cache_dir + "/kernel-types"), kt) << "no PCH rebuilt";
    std::filesystem::remove_all(root);
}

// A type only a module's BTF has (BCC's nfsslower reads struct nfs_commit_data): the error says
// the kernel's BTF lacks it, not just "incomplete".
TEST(FrontendCompile, TypeMissingFromKernelBtfSaysSo) {
    auto r = compile("int kprobe__nfs_commit_done(struct pt_regs *ctx, struct jp_no_such_module_type *d) {\n"
                     "    return d->status;\n}\n", options());
    ASSERT_FALSE(r.ok);
    std::string text = formatDiagnostics(r.diagnostics);
    EXPECT_NE(text.find("probe.c:2:13: error: incomplete definition of type 'struct jp_no_such_module_type'"),
              std::string::npos) << text;
    EXPECT_NE(text.find("not in this kernel's BTF"), std::string::npos) << text;
}

// Clang reports a map method's arity on the map's internal member: the message names the map
// and the method, and the hint shows the call's form.
TEST(FrontendCompile, MapMethodArityNamesMapAndMethod) {
    auto r = compile("BPF_HASH(counts, u32, u64);\nTRACEPOINT_PROBE(syscalls, sys_enter_getpid) {\n"
                     "    u32 k = 1;\n    counts.update(&k);\n    return 0;\n}\n", options());
    ASSERT_FALSE(r.ok);
    std::string text = formatDiagnostics(r.diagnostics);
    EXPECT_NE(text.find("probe.c:4:"), std::string::npos) << text;
    EXPECT_NE(text.find("map 'counts': wrong number of arguments to 'update' (expected at least 2, have 1)"),
              std::string::npos) << text;
    EXPECT_NE(text.find("call it as counts.update(&key, &value)"), std::string::npos) << text;
    auto many = compile("BPF_HASH(counts, u32, u64);\nTRACEPOINT_PROBE(syscalls, sys_enter_getpid) {\n"
                        "    u32 k = 1;\n    counts.delete(&k, (1 + 2), 3);\n    return 0;\n}\n", options());
    std::string many_text = formatDiagnostics(many.diagnostics);
    EXPECT_NE(many_text.find("map 'counts': method 'delete' takes 1 argument(s), 3 given"), std::string::npos)
        << many_text;
}

TEST(FrontendCompile, RingbufQueryIsBccsMethod) {
    auto r = compile("BPF_RINGBUF_OUTPUT(events, 8);\nTRACEPOINT_PROBE(syscalls, sys_enter_getpid) {\n"
                     "    return events.ringbuf_query(0) > 0;\n}\n", options());
    ASSERT_TRUE(r.ok) << formatDiagnostics(r.diagnostics);
    EXPECT_NE(r.rewritten.find("bpf_ringbuf_query(&events, 0)"), std::string::npos) << r.rewritten;
}

// `n < 1 || n >= 2` is one compare, n != 1, as BCC's LLVM 14 emits it: with LLVM 16's icmp
// serialization it stays two (n == 0, n > 1), which a 6.1 verifier cannot join, and
// `slot[n - 1]` after it is refused there ("unbounded min value").
TEST(FrontendCompile, SplitRangeCheckIsOneCompare) {
    CompileOptions o = options();
    o.want_asm = true;
    auto r = compile(R"(struct st { u64 cur; u64 n; u64 slot[2]; };
BPF_HASH(m, u32, struct st);
int kprobe__vfs_read(struct pt_regs *ctx) {
    u32 k = 0;
    struct st *v = m.lookup(&k);
    if (!v)
        return 0;
    if (v->n < 1 || v->n >= 2)
        return 0;
    return v->slot[v->n - 1] == v->cur;
}
)", o);
    ASSERT_TRUE(r.ok) << errors(r);
    EXPECT_NE(r.asm_text.find(" != 1 goto"), std::string::npos) << r.asm_text;
    EXPECT_EQ(r.asm_text.find(" > 1 goto"), std::string::npos) << r.asm_text;
}
