// Privilege-free runtime pieces: the compiler process (search paths, wire format, a compile),
// verifier log selection, trace_pipe lines, errno text, and the never-map-LLVM promise.
#include "compiler/CompilerLocator.h"
#include "compiler/CompilerProcess.h"
#include "bpf/SealedFile.h"
#include "bpf/VerifierLog.h"
#include "jitprobe/BPF.h"
#include "jitprobe/Script.h"
#include "jitprobe/TracePipe.h"
#include "jitprobe/frontend/ProcessPipe.h"
#include "jitprobe/common/Errors.h"

#include "ScopedEnv.h"

#include <gtest/gtest.h>
#include <link.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>

using namespace jitprobe;
using namespace jitprobe::detail;

using jitprobe::testing::ScopedEnv;
using jitprobe::testing::fakeCompiler;

namespace {

Status compileWith(const std::string &compiler, frontend::CompileResult &result) {
    ScopedEnv env("JITPROBE_COMPILER", compiler);
    frontend::CompileOptions options;
    options.file_name = "p.c";
    return compileInChildProcess("int x;\n", options, result);
}

} // namespace

TEST(RuntimeCompilerLocator, SearchOrderEnvSelfSiblingBuildInstall) {
    auto paths = CompilerLocator::candidatePaths("/opt/x/cc", "/b/runtime", "/b/frontend",
                                                 "/usr/libexec/jitprobe");
    std::vector<std::string> want{
        "/opt/x/cc", "/b/runtime/jitprobe-compiler", "/b/libexec/jitprobe/jitprobe-compiler",
        "/b/frontend/jitprobe-compiler", "/usr/libexec/jitprobe/jitprobe-compiler"};
    EXPECT_EQ(paths, want) << "the build dir duplicates the ../frontend sibling and is dropped";
    EXPECT_EQ(CompilerLocator::candidatePaths("", "", "", "/usr/libexec/jitprobe"),
              std::vector<std::string>{"/usr/libexec/jitprobe/jitprobe-compiler"});
}

TEST(RuntimeCompilerLocator, SelfDirectoryIsWhereLibjitprobeLives) {
    std::string dir = CompilerLocator::selfDirectory();
    EXPECT_FALSE(dir.empty());
    EXPECT_TRUE(std::ifstream(dir + "/libjitprobe.so").good()) << dir;
}

TEST(RuntimeCompilerLocator, FindsTheBuiltCompilerOrSaysWhereItLooked) {
    Result<std::string> found = CompilerLocator::find();
    ASSERT_TRUE(found.ok()) << found.status().msg();
    EXPECT_EQ(::access(found->c_str(), X_OK), 0) << *found;
    ScopedEnv env("JITPROBE_COMPILER", "/nonexistent/jitprobe-compiler");
    auto paths = CompilerLocator::searchPaths();
    ASSERT_FALSE(paths.empty());
    EXPECT_EQ(paths.front(), "/nonexistent/jitprobe-compiler") << "the override comes first";
}

static int countLoadedLlvm(struct dl_phdr_info *info, size_t, void *data) {
    if (info->dlpi_name && std::string(info->dlpi_name).find("libLLVM") != std::string::npos)
        ++*static_cast<int *>(data);
    return 0;
}

TEST(RuntimeCompilerLocator, LinkingTheRuntimeDoesNotLoadLlvm) {
    BPF bpf; // constructing, failing init_object: none of it may pull in LLVM
    EXPECT_FALSE(bpf.init_object({}, {}).ok());
    int llvm = 0;
    ::dl_iterate_phdr(countLoadedLlvm, &llvm);
    EXPECT_EQ(llvm, 0);
}

TEST(RuntimeCompilerProcess, ResultCrossesThePipeIntact) {
    frontend::CompileResult in;
    in.ok = true;
    in.object = {0x7f, 'E', 'L', 'F', 0, '\n', 0xff};
    in.rewritten = "int x;\n";
    in.ir = "; ir";
    in.asm_text = "r0 = 0";
    in.core_btf = {0x9f, 0xeb, 1, 0};
    in.core_btf_note = "a note";
    in.times = {1.5, 2.5, 3.5, 4.5, 5.5};
    in.diagnostics.push_back(
        {frontend::Diagnostic::Severity::Warning, {"p.c", 3, 7}, "careful", "  int y;", "a hint"});
    frontend::CompileResult out;
    ASSERT_TRUE(frontend::decodeCompileResult(frontend::encodeCompileResult(in), out));
    EXPECT_TRUE(out.ok);
    EXPECT_EQ(out.object, in.object);
    EXPECT_EQ(out.rewritten, in.rewritten);
    EXPECT_EQ(out.ir, in.ir);
    EXPECT_EQ(out.asm_text, in.asm_text);
    EXPECT_EQ(out.core_btf, in.core_btf);
    EXPECT_EQ(out.core_btf_note, in.core_btf_note);
    EXPECT_EQ(out.times.codegen_ms, 4.5);
    EXPECT_EQ(out.times.core_btf_ms, 5.5);
    ASSERT_EQ(out.diagnostics.size(), 1u);
    EXPECT_EQ(out.diagnostics[0].str(), in.diagnostics[0].str());

    std::string bytes = frontend::encodeCompileResult(in);
    frontend::CompileResult bad;
    EXPECT_FALSE(frontend::decodeCompileResult(bytes.substr(0, bytes.size() - 1), bad))
        << "truncated";
    EXPECT_FALSE(frontend::decodeCompileResult("garbage", bad));
    int code = 0;
    std::string message;
    EXPECT_FALSE(frontend::decodeCompileFailure(bytes, code, message)) << "a result is no failure";
    ASSERT_TRUE(
        frontend::decodeCompileFailure(frontend::encodeCompileFailure(22, "why"), code, message));
    EXPECT_EQ(code, 22);
    EXPECT_EQ(message, "why");
}

TEST(RuntimeCompilerProcess, RequestCrossesThePipeIntact) {
    frontend::CompileOptions in;
    in.file_name = "p.c";
    in.cflags = {"-DX=1", "-I/x y"};
    in.kernel_btf_path = "/b";
    in.tracefs_path = "/t";
    in.cache_dir = "/c";
    in.want_ir = in.want_core_btf = true;
    std::string source = "int x;\n\nBPF_HASH(h);\n";
    std::string bytes = frontend::encodeCompileRequest(source, in);
    frontend::CompileOptions out;
    std::string got;
    ASSERT_TRUE(frontend::decodeCompileRequest(bytes, got, out));
    EXPECT_EQ(got, source);
    EXPECT_EQ(out.file_name, "p.c");
    EXPECT_EQ(out.cflags, in.cflags);
    EXPECT_EQ(out.kernel_btf_path, "/b");
    EXPECT_EQ(out.tracefs_path, "/t");
    EXPECT_EQ(out.cache_dir, "/c");
    EXPECT_TRUE(out.want_ir && out.want_core_btf && !out.want_asm && !out.stop_after_rewrite);
    EXPECT_FALSE(frontend::decodeCompileRequest(bytes.substr(0, bytes.size() - 1), got, out));
    EXPECT_FALSE(frontend::decodeCompileRequest("{}\n", got, out));
}

TEST(RuntimeCompilerProcess, CompilesInAChildAndReportsDiagnostics) {
    frontend::CompileOptions options;
    options.file_name = "bad.c";
    frontend::CompileResult result;
    Status s = compileInChildProcess("int f(void) { return undeclared; }\n", options, result);
    ASSERT_TRUE(s.ok()) << s.msg();
    EXPECT_FALSE(result.ok);
    std::string text = frontend::formatDiagnostics(result.diagnostics);
    EXPECT_NE(text.find("bad.c:1:"), std::string::npos) << text;
    EXPECT_NE(text.find("undeclared"), std::string::npos) << text;
}

TEST(RuntimeCompilerProcess, AFailingCompilerIsAClearError) {
    frontend::CompileResult result;
    // Exits before reading: no SIGPIPE here. As root the path is shown resolved (/usr/bin/...).
    std::string false_path = std::filesystem::canonical("/bin/false");
    Status s = compileWith(false_path, result);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.msg().find("p.c: the probe compiler " + false_path + " failed (exit status 1)"),
              std::string::npos)
        << s.msg();

    s = compileWith("/nonexistent/jitprobe-compiler", result);
    EXPECT_EQ(s.code(), ENOENT);
    EXPECT_NE(s.msg().find("p.c: cannot find the probe compiler jitprobe-compiler"),
              std::string::npos)
        << s.msg();
    EXPECT_NE(s.msg().find("/nonexistent/jitprobe-compiler: ENOENT"), std::string::npos) << s.msg();
}

TEST(RuntimeCompilerProcess, ACrashGarbageOrRefusalIsReportedNotTrusted) {
    frontend::CompileResult result;
    Status s = compileWith(fakeCompiler("jp_crash.sh", "cat >/dev/null; kill -SEGV $$"), result);
    EXPECT_NE(s.msg().find("crashed (Segmentation fault); please report this"), std::string::npos)
        << s.msg();
    s = compileWith(
        fakeCompiler("jp_garbage.sh", "cat >/dev/null; echo '{\"ok\":true}'; echo junk"), result);
    EXPECT_NE(s.msg().find("sent more than the 12 bytes its reply header announced"),
              std::string::npos)
        << s.msg();
    s = compileWith(fakeCompiler("jp_garbage2.sh", "cat >/dev/null; echo '{\"ok\":true}'"), result);
    EXPECT_EQ(s.msg(), "p.c: the probe compiler sent an unreadable result");
    s = compileWith(
        fakeCompiler("jp_refuse.sh",
                     "cat >/dev/null; echo '{\"error_code\":22,\"error\":\"p.c: no\"}'; exit 2"),
        result);
    EXPECT_EQ(s.code(), 22);
    EXPECT_EQ(s.msg(), "p.c: no");
}

TEST(RuntimeCompilerProcess, TheCompilerStartsWithDefaultSignals) {
    // The CLI ignores SIGPIPE; a shell started with SIGPIPE ignored could not be killed by it.
    auto old = ::signal(SIGPIPE, SIG_IGN);
    frontend::CompileResult result;
    Status s =
        compileWith(fakeCompiler("jp_sigpipe.sh", "cat >/dev/null; kill -PIPE $$; exit 0"), result);
    ::signal(SIGPIPE, old);
    EXPECT_NE(s.msg().find("crashed (Broken pipe)"), std::string::npos) << s.msg();
}

TEST(RuntimeCompilerProcess, DumpIrAndAssemblyComeFromTheCompilerProcess) {
    const std::string source = "int kprobe__vfs_read(struct pt_regs *ctx) { return 1; }\n";
    Result<std::string> ir = dump_probe(source, {}, "p.c", DumpKind::IR, false);
    ASSERT_TRUE(ir.ok()) << ir.status().msg();
    EXPECT_NE(ir->find("define dso_local i32 @kprobe__vfs_read"), std::string::npos) << *ir;
    Result<std::string> assembly = dump_probe(source, {}, "p.c", DumpKind::Asm, false);
    ASSERT_TRUE(assembly.ok()) << assembly.status().msg();
    EXPECT_NE(assembly->find("w0 = 1"), std::string::npos) << *assembly;
    EXPECT_NE(assembly->find("exit"), std::string::npos) << *assembly;
}

TEST(RuntimeVerifierLog, KeepsTailAndTheFailingSourceLine) {
    std::string log = "func#0 @0\n; int x = *p; @ probe.c:7\n0: (79) r1 = *(u64 *)(r1 +0)\n";
    for (int i = 0; i < 30; i++)
        log += "line " + std::to_string(i) + "\n";
    log += "R0 invalid mem access 'scalar'\nprocessed 5 insns\n";
    std::string out = relevantVerifierLines(log, 5);
    EXPECT_EQ(out.find("  ; int x = *p; @ probe.c:7\n  ...\n"), 0u) << out;
    EXPECT_NE(out.find("R0 invalid mem access 'scalar'"), std::string::npos);
    EXPECT_EQ(out.find("line 10"), std::string::npos);
    EXPECT_EQ(relevantVerifierLines("a\n\nb\n"), "  a\n  b\n");
}

TEST(RuntimeTraceLine, ParsesTaskPidCpuTimestampMessage) {
    TraceLine t;
    ASSERT_TRUE(TraceLine::parse(
        "     my-task 2-1234    [001] d..31 12345.678901: bpf_trace_printk: hello world", t));
    EXPECT_EQ(t.task, "my-task 2");
    EXPECT_EQ(t.pid, 1234);
    EXPECT_EQ(t.cpu, 1);
    EXPECT_EQ(t.flags, "d..31");
    EXPECT_DOUBLE_EQ(t.timestamp, 12345.678901);
    EXPECT_EQ(t.msg, "hello world");
    ASSERT_TRUE(TraceLine::parse("  <...>-77 [000] 5.000001: bpf_trace_printk: x: y", t));
    EXPECT_EQ(t.task, "<...>");
    EXPECT_EQ(t.msg, "x: y");
    EXPECT_FALSE(TraceLine::parse("garbage", t));
}

TEST(RuntimeErrors, ErrnoTextHasNameAndDescription) {
    EXPECT_EQ(errnoText(ENOENT), "ENOENT (No such file or directory)");
    EXPECT_EQ(errnoText(-EPERM), "EPERM (Operation not permitted)");
    Status s = errnoStatus(-EACCES, "prog 'f': load failed");
    EXPECT_EQ(s.code(), EACCES);
    EXPECT_EQ(s.msg(), "prog 'f': load failed: EACCES (Permission denied)");
    EXPECT_EQ(withContext(s, "ctx").msg(), "ctx: " + s.msg());
    EXPECT_TRUE(withContext(Status::OK(), "ctx").ok());
}

TEST(RuntimeSealedFile, IsReadOnlyAndReadable) {
    std::vector<std::uint8_t> bytes = {1, 2, 3, 4, 5};
    Result<SealedFile> f = sealedMemoryFile(bytes, "jp-test");
    ASSERT_TRUE(f.ok()) << f.status().msg();
    EXPECT_LT(::write(f->fd, "x", 1), 0) << "sealed against writes";
    FILE *in = std::fopen(f->path.c_str(), "rb");
    ASSERT_TRUE(in) << f->path;
    unsigned char buf[8] = {};
    EXPECT_EQ(std::fread(buf, 1, sizeof buf, in), bytes.size());
    std::fclose(in);
    EXPECT_EQ(std::vector<std::uint8_t>(buf, buf + bytes.size()), bytes);
    ::close(f->fd);
}
