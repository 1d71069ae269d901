// A failed init keeps the compile's structured diagnostics (file, line, column, message), not
// only the formatted Status message.
#include "LiveSupport.h"
#include "jitprobe/BPF.h"

#include <gtest/gtest.h>

TEST(InitDiagnostics, FailedCompileKeepsStructuredErrors) {
    JP_REQUIRE_BPF_PRIVILEGES();
    jitprobe::BPF bpf;
    jitprobe::InitOptions opts;
    opts.file_name = "broken.c";
    opts.use_cache = false;
    jitprobe::Status st = bpf.init("BPF_HASH(counts, u32, u64);\n"
                                   "TRACEPOINT_PROBE(syscalls, sys_enter_getppid) {\n"
                                   "    counts.increment(no_such_variable);\n"
                                   "    return 0;\n"
                                   "}\n",
                                   {}, opts);
    ASSERT_FALSE(st.ok());
    const auto &diags = bpf.diagnostics();
    ASSERT_FALSE(diags.empty()) << st.msg();
    const auto &d = diags.front();
    EXPECT_EQ(d.severity, jitprobe::frontend::Diagnostic::Severity::Error);
    EXPECT_EQ(d.loc.file, "broken.c");
    EXPECT_EQ(d.loc.line, 3u);
    EXPECT_NE(d.message.find("no_such_variable"), std::string::npos) << d.message;
}
