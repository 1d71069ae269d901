// Privilege-free runtime pieces: frontend search paths, verifier log selection, trace_pipe lines,
// errno text, and the dlopen-only-on-demand promise.
#include "CompilerProcess.h"
#include "Errors.h"
#include "FrontendLoader.h"
#include "VerifierLog.h"
#include "jitprobe/BPF.h"
#include "jitprobe/TracePipe.h"

#include <gtest/gtest.h>
#include <link.h>

#include <cstdlib>
#include <fstream>

using namespace jitprobe;
using namespace jitprobe::detail;

TEST(RuntimeFrontendLoader, SearchOrderEnvSelfSiblingBuildInstall) {
    auto paths = FrontendLoader::candidatePaths("/opt/x/libf.so", "/b/runtime", "/b/frontend",
                                                "/usr/lib");
    std::vector<std::string> want{"/opt/x/libf.so", "/b/runtime/libjitprobe-frontend.so",
                                  "/b/frontend/libjitprobe-frontend.so",
                                  "/usr/lib/libjitprobe-frontend.so"};
    EXPECT_EQ(paths, want) << "the build dir duplicates the ../frontend sibling and is dropped";
    EXPECT_EQ(FrontendLoader::candidatePaths("", "", "", "/usr/lib"),
              std::vector<std::string>{"/usr/lib/libjitprobe-frontend.so"});
}

TEST(RuntimeFrontendLoader, SelfDirectoryIsWhereLibjitprobeLives) {
    std::string dir = FrontendLoader::selfDirectory();
    EXPECT_FALSE(dir.empty());
    EXPECT_TRUE(std::ifstream(dir + "/libjitprobe.so").good()) << dir;
}


static int countLoadedLlvm(struct dl_phdr_info *info, size_t, void *data) {
    if (info->dlpi_name && std::string(info->dlpi_name).find("libLLVM") != std::string::npos)
        ++*static_cast<int *>(data);
    return 0;
}

TEST(RuntimeFrontendLoader, LinkingTheRuntimeDoesNotLoadLlvm) {
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
    in.times = {1.5, 2.5, 3.5, 4.5};
    in.diagnostics.push_back({frontend::Diagnostic::Severity::Warning, {"p.c", 3, 7}, "careful",
                              "  int y;", "a hint"});
    frontend::CompileResult out;
    ASSERT_TRUE(decodeCompileResult(encodeCompileResult(in), out));
    EXPECT_TRUE(out.ok);
    EXPECT_EQ(out.object, in.object);
    EXPECT_EQ(out.rewritten, in.rewritten);
    EXPECT_EQ(out.ir, in.ir);
    EXPECT_EQ(out.asm_text, in.asm_text);
    EXPECT_EQ(out.times.codegen_ms, 4.5);
    ASSERT_EQ(out.diagnostics.size(), 1u);
    EXPECT_EQ(out.diagnostics[0].str(), in.diagnostics[0].str());

    std::string bytes = encodeCompileResult(in);
    frontend::CompileResult bad;
    EXPECT_FALSE(decodeCompileResult(bytes.substr(0, bytes.size() - 1), bad)) << "truncated";
    EXPECT_FALSE(decodeCompileResult("garbage", bad));
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
