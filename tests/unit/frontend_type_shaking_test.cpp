// TypeShakingPass (frontend/src/compiler/passes/TypeShakingPass.cpp): kernel records become
// minimal CO-RE local types when every use allows it, and stay whole otherwise.
#include "FrontendTestSupport.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>

using namespace jitprobe::frontend;

namespace {

using jitprobe::frontend_test::contains;
using jitprobe::frontend_test::lineOf;

CompileResult compileSource(const std::string &source, std::vector<std::string> cflags = {},
                            bool rewrite_only = false) {
    return jitprobe::frontend_test::compileForTest(source, std::move(cflags), rewrite_only);
}

// Rules are decided before code generation: these sources need not be valid BPF.
CompileResult rewriteOnly(const std::string &source) { return compileSource(source, {}, true); }

size_t lineCount(const std::string &text) { return std::count(text.begin(), text.end(), '\n'); }

const char *kCurrent = "struct task_struct *t = (struct task_struct *)bpf_get_current_task();\n";

std::string probe(const std::string &body) {
    return std::string("TRACEPOINT_PROBE(syscalls, sys_enter_getppid) {\n") + kCurrent + body +
           "\nreturn 0; }\n";
}

const char *kCore = "BPF_HASH(counts, u32, u64);\n"
                    "TRACEPOINT_PROBE(syscalls, sys_enter_getppid)\n{\n"
                    "    struct task_struct *t = (struct task_struct *)bpf_get_current_task();\n"
                    "    u32 ppid = t->real_parent->tgid;\n"
                    "    counts.increment(ppid);\n    return 0;\n}\n";

} // namespace

TEST(TypeShakingPass, UsedFieldsOnlyAndSmallObject) {
    auto r = compileSource(kCore);
    ASSERT_TRUE(r.ok) << formatDiagnostics(r.diagnostics);
    EXPECT_EQ(lineCount(r.rewritten), lineCount(std::string(kCore)));
    EXPECT_EQ(lineOf(r.rewritten, 2).rfind("struct task_struct___jp; struct task_struct___jp { "
                                           "pid_t tgid; struct task_struct___jp *real_parent; } "
                                           "__attribute__((preserve_access_index)); SEC(", 0), 0u)
        << r.rewritten;
    EXPECT_EQ(lineOf(r.rewritten, 4), "    struct task_struct___jp *t = (struct task_struct___jp *)"
                                      "bpf_get_current_task();");
    EXPECT_EQ(lineOf(r.rewritten, 5), "    u32 ppid = BPF_CORE_READ(t, real_parent, tgid);");
    for (const auto &d : r.diagnostics)
        EXPECT_NE(d.severity, Diagnostic::Severity::Warning) << d.message;

    auto whole = compileSource(kCore, {"-DJITPROBE_NO_TYPE_SHAKING"});
    ASSERT_TRUE(whole.ok) << formatDiagnostics(whole.diagnostics);
    EXPECT_FALSE(contains(whole.rewritten, "___jp"));
    // The BTF of everything task_struct reaches (~600 KiB) is gone.
    std::printf("[ sizes    ] core.c object: shaken %zu bytes, whole %zu bytes\n", r.object.size(),
                whole.object.size());
    EXPECT_LT(r.object.size(), 64u * 1024);
    EXPECT_GT(whole.object.size(), 4 * r.object.size());
}

TEST(TypeShakingPass, AnonymousMembersAreFlattened) {
    auto r = compileSource("int kprobe__tcp_close(struct pt_regs *ctx, struct sock *sk) {\n"
                           "return sk->__sk_common.skc_dport + sk->__sk_common.skc_family; }\n");
    ASSERT_TRUE(r.ok) << formatDiagnostics(r.diagnostics);
    // skc_dport sits in anonymous structs/unions of sock_common; libbpf finds it there.
    EXPECT_TRUE(contains(lineOf(r.rewritten, 1),
                         "struct sock_common___jp { __be16 skc_dport; unsigned short skc_family; } "
                         "__attribute__((preserve_access_index)); struct sock___jp { "
                         "struct sock_common___jp __sk_common; }"))
        << r.rewritten;
    // KprobeArgsPass prints the parameter's type with the rename.
    EXPECT_TRUE(contains(lineOf(r.rewritten, 1),
                         "struct sock___jp * sk = (struct sock___jp *)PT_REGS_PARM1(ctx);"))
        << r.rewritten;
}

TEST(TypeShakingPass, EmbeddedRecordIsDefinedFirst) {
    auto r = compileSource(probe("u64 v = t->se.vruntime; void *p = &t->thread; return v + (p != 0);"));
    ASSERT_TRUE(r.ok) << formatDiagnostics(r.diagnostics);
    std::string line = lineOf(r.rewritten, 1);
    size_t se = line.find("struct sched_entity___jp { u64 vruntime; }");
    size_t thread = line.find("struct thread_struct___jp { }"); // only its address is taken
    size_t task = line.find("struct task_struct___jp { struct sched_entity___jp se;");
    ASSERT_NE(se, std::string::npos) << line;
    ASSERT_NE(thread, std::string::npos) << line;
    ASSERT_NE(task, std::string::npos) << line;
    EXPECT_LT(se, task);
    EXPECT_LT(thread, task);
    EXPECT_TRUE(contains(line, "struct thread_struct___jp thread; }")) << line;
}

TEST(TypeShakingPass, MapKeysAndPointerOnlyRecords) {
    auto r = compileSource("BPF_HASH(seen, struct task_struct *, u64);\n" +
                           probe("u64 one = 1; seen.update(&t, &one); return t->mm != 0;"));
    ASSERT_TRUE(r.ok) << formatDiagnostics(r.diagnostics);
    // The definitions precede the map declaration MapDeclPass replaced, on its line.
    EXPECT_EQ(lineOf(r.rewritten, 1).rfind("struct mm_struct___jp; struct task_struct___jp; ", 0), 0u)
        << r.rewritten;
    EXPECT_TRUE(contains(lineOf(r.rewritten, 1), "struct task_struct___jp { struct mm_struct___jp *mm; }"));
    EXPECT_TRUE(contains(lineOf(r.rewritten, 1), "__type(key, struct task_struct___jp *);"));
}

// ---- records that stay whole -------------------------------------------------------------
TEST(TypeShakingPass, SizeofAndByValueKeepRecordsWhole) {
    auto r = rewriteOnly(probe("return sizeof(*t) + t->mm->map_count;"));
    ASSERT_TRUE(r.ok) << formatDiagnostics(r.diagnostics);
    EXPECT_FALSE(contains(r.rewritten, "task_struct___jp")) << r.rewritten;
    // mm_struct is reached through a field of the whole task_struct: it stays whole too.
    EXPECT_FALSE(contains(r.rewritten, "mm_struct___jp")) << r.rewritten;

    auto copy = rewriteOnly(probe("struct sched_entity se = t->se; return se.vruntime;"));
    ASSERT_TRUE(copy.ok) << formatDiagnostics(copy.diagnostics);
    EXPECT_TRUE(contains(copy.rewritten, "struct task_struct___jp { struct sched_entity se; }"))
        << copy.rewritten;
    EXPECT_FALSE(contains(copy.rewritten, "sched_entity___jp"));
}

TEST(TypeShakingPass, PointerArithmeticAndBitFieldsKeepRecordsWhole) {
    auto r = rewriteOnly(probe("struct task_struct *n = t + 1; return n != 0;"));
    ASSERT_TRUE(r.ok) << formatDiagnostics(r.diagnostics);
    EXPECT_FALSE(contains(r.rewritten, "___jp")) << r.rewritten;
    auto bits = rewriteOnly(probe("return t->sched_reset_on_fork;"));
    ASSERT_TRUE(bits.ok) << formatDiagnostics(bits.diagnostics);
    EXPECT_FALSE(contains(bits.rewritten, "task_struct___jp")) << bits.rewritten;
}

TEST(TypeShakingPass, KernelSignaturesAndSizedMacroBodiesKeepRecordsWhole) {
    // bpf_get_current_task_btf() returns the kernel's struct task_struct *.
    auto helper = rewriteOnly("TRACEPOINT_PROBE(syscalls, sys_enter_getppid) {\n"
                              "struct task_struct *t = bpf_get_current_task_btf();\n"
                              "return t->tgid; }\n");
    ASSERT_TRUE(helper.ok) << formatDiagnostics(helper.diagnostics);
    EXPECT_FALSE(contains(helper.rewritten, "___jp")) << helper.rewritten;
    // A macro whose body sizeof()s the record keeps it whole in every expansion.
    auto sized = rewriteOnly("#define TASK_SIZE sizeof(struct task_struct)\n" +
                             probe("return t->tgid + TASK_SIZE;"));
    ASSERT_TRUE(sized.ok) << formatDiagnostics(sized.diagnostics);
    EXPECT_FALSE(contains(sized.rewritten, "___jp")) << sized.rewritten;
    // Program parameters: the verifier checks context types by name.
    auto ctx = rewriteOnly("SEC(\"tp_btf/sched_switch\") int on(struct task_struct *t) {\n"
                           "return t->pid; }\n");
    EXPECT_FALSE(contains(ctx.rewritten, "___jp")) << ctx.rewritten;
}

// A user macro's body is renamed once, for all of its expansions (kept on its own line).
TEST(TypeShakingPass, UserMacroBodiesAreRenamed) {
    const std::string source = "#define TASK(p) ((struct task_struct *)(p))\n"
                               "#define CURRENT TASK(bpf_get_current_task())\n"
                               "BPF_HASH(counts, u32, u64);\n"
                               "TRACEPOINT_PROBE(syscalls, sys_enter_getppid) {\n"
                               "    struct task_struct *t = CURRENT;\n"
                               "    u32 ppid = t->real_parent->tgid;\n"
                               "    counts.increment(ppid);\n    return 0; }\n";
    auto r = compileSource(source);
    ASSERT_TRUE(r.ok) << formatDiagnostics(r.diagnostics);
    EXPECT_EQ(lineOf(r.rewritten, 1), "#define TASK(p) ((struct task_struct___jp *)(p))")
        << r.rewritten;
    EXPECT_TRUE(contains(lineOf(r.rewritten, 4), "struct task_struct___jp { ")) << r.rewritten;
    EXPECT_EQ(lineCount(r.rewritten), lineCount(source));
    EXPECT_LT(r.object.size(), 64u * 1024) << "the whole task_struct BTF came back";
    auto whole = compileSource(source, {"-DJITPROBE_NO_TYPE_SHAKING"});
    ASSERT_TRUE(whole.ok) << formatDiagnostics(whole.diagnostics);
    EXPECT_GT(whole.object.size(), 4 * r.object.size());
}

TEST(TypeShakingPass, OptOutMacro) {
    auto r = rewriteOnly("#define JITPROBE_NO_TYPE_SHAKING\n" + probe("return t->tgid;"));
    ASSERT_TRUE(r.ok) << formatDiagnostics(r.diagnostics);
    EXPECT_FALSE(contains(r.rewritten, "___jp")) << r.rewritten;
}

TEST(TypeShakingPass, FailedCodegenFallsBackToWholeTypes) {
    // A user type that collides with the minimal one: the shaken source cannot compile, the
    // unshaken one does, and the user sees no diagnostic about it.
    auto r = compileSource("struct task_struct___jp { int mine; };\n" + probe("return t->tgid;"));
    ASSERT_TRUE(r.ok) << formatDiagnostics(r.diagnostics);
    EXPECT_TRUE(contains(r.rewritten, "struct task_struct *t")) << r.rewritten;
    EXPECT_TRUE(r.diagnostics.empty()) << formatDiagnostics(r.diagnostics);
    EXPECT_FALSE(r.object.empty());
}

TEST(TypeShakingPass, CorpusObjectsShrink) {
    for (const char *name : {"execsnoop.c", "runqlat.c", "tcplife.c"}) {
        std::ifstream in(std::string(JITPROBE_SOURCE_DIR "/tests/bcc_corpus/") + name);
        std::string source((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        auto shaken = compileSource(source);
        auto whole = compileSource(source, {"-DJITPROBE_NO_TYPE_SHAKING"});
        ASSERT_TRUE(shaken.ok && whole.ok) << name << formatDiagnostics(shaken.diagnostics);
        EXPECT_TRUE(contains(shaken.rewritten, "___jp")) << name;
        std::printf("[ sizes    ] %s object: shaken %zu bytes (codegen %.0f ms), whole %zu bytes "
                    "(codegen %.0f ms)\n",
                    name, shaken.object.size(), shaken.times.codegen_ms, whole.object.size(),
                    whole.times.codegen_ms);
        EXPECT_LT(shaken.object.size(), whole.object.size()) << name;
    }
}

TEST(TypeShakingPass, DefinitionsGoBeforeAttributes) {
    auto r = compileSource("SEC(\"kprobe/do_nanosleep\") int on_sleep(struct pt_regs *ctx) {\n"
                           "struct task_struct *t = (struct task_struct *)bpf_get_current_task();\n"
                           "return t->tgid; }\n");
    ASSERT_TRUE(r.ok) << formatDiagnostics(r.diagnostics);
    EXPECT_EQ(lineOf(r.rewritten, 1),
              "struct task_struct___jp; struct task_struct___jp { pid_t tgid; } "
              "__attribute__((preserve_access_index)); SEC(\"kprobe/do_nanosleep\") int "
              "on_sleep(struct pt_regs *ctx) {");
}
