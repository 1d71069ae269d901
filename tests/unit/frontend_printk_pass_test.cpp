// PrintkPass: bpf_trace_printk / bpf_printk become records on the hidden printk ring buffer.
#include "FrontendTestSupport.h"

#include <gtest/gtest.h>

using namespace jitprobe::frontend;
using jitprobe::frontend_test::compileForTest;
using jitprobe::frontend_test::contains;
using jitprobe::frontend_test::lineOf;

namespace {
const char *kTracepoint = "TRACEPOINT_PROBE(syscalls, sys_enter_openat) {\n";
} // namespace

TEST(PrintkPass, CallBecomesARingBufferRecordOnItsLine) {
    auto r = compileForTest(std::string(kTracepoint) +
                            "bpf_trace_printk(\"open %s by %d\\n\", args->filename, 7);\n"
                            "bpf_printk(\"second\");\nreturn 0; }\n");
    ASSERT_TRUE(r.ok) << formatDiagnostics(r.diagnostics);
    std::string line = lineOf(r.rewritten, 2);
    EXPECT_TRUE(contains(line, "bpf_ringbuf_reserve(&__jp_printk_ring")) << r.rewritten;
    EXPECT_TRUE(contains(line, "__jp_printk_str(__jp_p->a0, (args->filename))")) << line;
    EXPECT_TRUE(contains(line, "__jp_printk_lost")) << line;
    EXPECT_FALSE(contains(r.rewritten, "bpf_trace_printk(")) << r.rewritten;
    EXPECT_TRUE(contains(lineOf(r.rewritten, 1), "__jp_printk_ring SEC(\".maps\")")) << r.rewritten;
    ASSERT_EQ(r.info.printk_formats.size(), 2u);
    EXPECT_EQ(r.info.printk_formats[0], "open %s by %d\n");
    EXPECT_EQ(r.info.printk_formats[1], "second");
    EXPECT_FALSE(r.object.empty());
}

TEST(PrintkPass, SameFormatSharesAnId) {
    auto r = compileForTest(std::string(kTracepoint) +
                            "bpf_trace_printk(\"x %d\", 1);\nbpf_trace_printk(\"x %d\", 2);\nreturn 0; }\n");
    ASSERT_TRUE(r.ok) << formatDiagnostics(r.diagnostics);
    EXPECT_EQ(r.info.printk_formats.size(), 1u);
}

TEST(PrintkPass, UnsupportedConversionNamesItsColumn) {
    auto r = compileForTest(std::string(kTracepoint) + "  bpf_trace_printk(\"ip %pI4\", 1);\nreturn 0; }\n");
    ASSERT_FALSE(r.ok);
    std::string text = formatDiagnostics(r.diagnostics);
    EXPECT_TRUE(contains(text, "t.c:2:24")) << text; // the % of %pI4
    EXPECT_TRUE(contains(text, "%pI")) << text;
}

TEST(PrintkPass, ArgumentCountMustMatch) {
    auto r = compileForTest(std::string(kTracepoint) + "bpf_trace_printk(\"%d %d\", 1);\nreturn 0; }\n");
    ASSERT_FALSE(r.ok);
    EXPECT_TRUE(contains(formatDiagnostics(r.diagnostics), "2 conversion(s), 1 argument(s)"))
        << formatDiagnostics(r.diagnostics);
}

TEST(PrintkPass, HostTracePipeOptOutKeepsTheKernelHelper) {
    auto r = compileForTest(std::string("#define JITPROBE_TRACE_PIPE_PRINTK\n") + kTracepoint +
                            "bpf_trace_printk(\"a %d %d %d %d\", 1, 2, 3, 4);\n"
                            "bpf_trace_printk(\"b %d\", 1);\nreturn 0; }\n");
    ASSERT_TRUE(r.ok) << formatDiagnostics(r.diagnostics);
    EXPECT_TRUE(contains(lineOf(r.rewritten, 3), "bpf_trace_vprintk(")) << r.rewritten;
    EXPECT_TRUE(contains(lineOf(r.rewritten, 4), "(bpf_trace_printk)(__jp_fmt")) << r.rewritten;
    EXPECT_TRUE(r.info.printk_formats.empty());
    EXPECT_FALSE(contains(r.rewritten, "__jp_printk_ring"));
}

TEST(PrintkPass, CallInsideAUserMacroIsAnError) {
    auto r = compileForTest(std::string("#define LOG(x) bpf_trace_printk(\"v %d\", x + 1)\n") +
                            kTracepoint + "LOG(3);\nreturn 0; }\n");
    ASSERT_FALSE(r.ok);
    EXPECT_TRUE(contains(formatDiagnostics(r.diagnostics), "macro expansion"))
        << formatDiagnostics(r.diagnostics);
}

// BCC's rewriter only warns about a conversion the kernel's helper refuses; the helper then
// prints nothing and returns -EINVAL. The rewritten call does the same, arguments still evaluated.
TEST(PrintkPass, ConversionTheKernelRefusesWarnsAndReturnsEinval) {
    auto r = compileForTest(std::string(kTracepoint) + "  long rc = bpf_trace_printk(\"%0.2f\\n\", 1);\n"
                            "return rc; }\n");
    ASSERT_TRUE(r.ok) << formatDiagnostics(r.diagnostics);
    std::string text = formatDiagnostics(r.diagnostics);
    EXPECT_TRUE(contains(text, "t.c:2:31")) << text; // the % of %0.2f
    EXPECT_TRUE(contains(text, "warning")) << text;
    EXPECT_TRUE(contains(text, "-EINVAL")) << text;
    std::string line = lineOf(r.rewritten, 2);
    EXPECT_TRUE(contains(line, "(void)(1); (long)-22;")) << line;
    EXPECT_FALSE(contains(line, "__jp_printk_ring")) << line;
    EXPECT_TRUE(r.info.printk_formats.empty());
}

// BCC's examples print bpf_ntohl(...) and ntohs(...): an argument that is a macro call is
// copied as written.
TEST(PrintkPass, MacroCallArgumentIsCopiedAsWritten) {
    auto r = compileForTest("#define twice(x) ((x) * 2)\n" + std::string(kTracepoint) +
                            "  bpf_trace_printk(\"%d %d\\n\", bpf_ntohl(args->flags),\n"
                            "                   twice(args->mode));\nreturn 0; }\n");
    ASSERT_TRUE(r.ok) << formatDiagnostics(r.diagnostics);
    EXPECT_TRUE(contains(r.rewritten, "= (__u64)(bpf_ntohl(args->flags));")) << r.rewritten;
    EXPECT_TRUE(contains(r.rewritten, "= (__u64)(twice(args->mode));")) << r.rewritten;
}
