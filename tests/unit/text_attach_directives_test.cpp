// `// @attach KIND:TARGET -> FUNCTION` parsing and its diagnostics.
#include "conventions/AttachDirectives.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

using namespace jitprobe::frontend;

namespace {
std::vector<AttachDirective> parse(const std::string &src, std::vector<Diagnostic> &diags) {
    return parseAttachDirectives(src, "probe.c", diags);
}
} // namespace

TEST(TextAttachDirectives, AllKinds) {
    const std::string src =
        "// CASE: x\n"
        "// @attach uprobe:/lib/x86_64-linux-gnu/libc.so.6:malloc -> on_malloc\n"
        "//@attach uretprobe:/lib/x86_64-linux-gnu/libc.so.6:clock_nanosleep->sleep_exit\n"
        "   // @attach perf_event:software:cpu-clock:freq=99 -> on_sample\r\n"
        "// @attach perf_event:software:page-faults -> on_fault\n"
        "// @attach tracepoint:syscalls:sys_enter_openat -> on_open\n"
        "// @attach raw_tracepoint:sched_switch -> on_switch\n"
        "// @attach kprobe:vfs_read+0x10 -> on_read\n"
        "// @attach kretprobe:do_sys_openat2 -> on_ret\n"
        "// @attach usdt:/usr/bin/python3.11:python:function__entry -> on_call\n"
        "// @attach uprobe:/bin/x:f+16 -> on_malloc\n";
    std::vector<Diagnostic> diags;
    auto ds = parse(src, diags);
    EXPECT_TRUE(diags.empty()) << formatDiagnostics(diags);
    ASSERT_EQ(ds.size(), 10u);
    EXPECT_EQ(ds[0].kind, "uprobe");
    EXPECT_EQ(ds[0].target, "/lib/x86_64-linux-gnu/libc.so.6:malloc");
    EXPECT_EQ(ds[0].function, "on_malloc");
    EXPECT_EQ(ds[0].line, 2u);
    EXPECT_EQ(ds[1].kind, "uretprobe");
    EXPECT_EQ(ds[1].function, "sleep_exit");
    EXPECT_EQ(ds[2].target, "software:cpu-clock:freq=99");
    EXPECT_EQ(ds[2].function, "on_sample");
    EXPECT_EQ(ds[4].target, "syscalls:sys_enter_openat");
    EXPECT_EQ(ds[5].target, "sched_switch");
    EXPECT_EQ(ds[6].target, "vfs_read+0x10");
    EXPECT_EQ(ds[8].target, "/usr/bin/python3.11:python:function__entry");
    EXPECT_EQ(ds[9].line, 11u);
}

TEST(TextAttachDirectives, NetworkKinds) {
    const std::string src = "// @attach xdp:veth0 -> a\n"
                            "// @attach xdp:veth0:generic -> a\n"
                            "// @attach tc:veth0:egress -> b\n"
                            "// @attach socket:lo -> c\n"
                            "// @attach cgroup:/sys/fs/cgroup/my:app:ingress -> d\n";
    std::vector<Diagnostic> diags;
    auto ds = parse(src, diags);
    EXPECT_TRUE(diags.empty()) << formatDiagnostics(diags);
    ASSERT_EQ(ds.size(), 5u);
    EXPECT_EQ(ds[1].kind, "xdp");
    EXPECT_EQ(ds[1].target, "veth0:generic");
    EXPECT_EQ(ds[2].kind, "tc");
    EXPECT_EQ(ds[3].target, "lo");
    EXPECT_EQ(ds[4].target, "/sys/fs/cgroup/my:app:ingress");
}

TEST(TextAttachDirectives, NotDirectives) {
    std::vector<Diagnostic> diags;
    auto ds = parse("int x; // @attach uprobe:/a:b -> f\n"
                    "/* @attach uprobe:/a:b -> f */\n"
                    "// @attachment is not a directive\n"
                    "// see @attach below\n",
                    diags);
    EXPECT_TRUE(ds.empty());
    EXPECT_TRUE(diags.empty());
}

struct BadCase {
    const char *line;
    const char *message; // substring
    const char *hint;    // substring
};

// Symbols as binaries spell them: Go, demangled C++ (with "::"), versioned, short names.
TEST(TextAttachDirectives, UprobeSymbolsAsBinariesSpellThem) {
    const char *targets[] = {
        "/srv/goserver:net/http.(*ServeMux).ServeHTTP", "/srv/goserver:main.main",
        "/opt/app:ns::Widget::draw(int) const",          "/opt/app:_ZN2ns6Widget4drawEi",
        "libc:malloc@@GLIBC_2.2.5",                      "/weird:dir/bin:main+0x10",
        "/bin/x:0x401000",                               "libc.so.6:operator+"};
    for (const char *t : targets) {
        std::vector<Diagnostic> diags;
        auto ds = parse(std::string("// @attach uprobe:") + t + " -> f\n", diags);
        EXPECT_TRUE(diags.empty()) << t << ": " << (diags.empty() ? "" : diags[0].message);
        ASSERT_EQ(ds.size(), 1u) << t;
        EXPECT_EQ(ds[0].target, t);
    }
}

TEST(TextAttachDirectives, MalformedDirectivesAreErrorsAtTheirLine) {
    const BadCase cases[] = {
        {"// @attach uprobe:/lib/libc.so.6:malloc on_malloc", "missing '-> FUNCTION'",
         "uprobe:BINARY:SYMBOL"},
        {"// @attach uprob:/lib/libc.so.6:malloc -> f", "unknown @attach kind 'uprob'",
         "did you mean 'uprobe'?"},
        {"// @attach uprobe:/bin/x:0xzz -> f", "'0xzz' is not an address", "0xADDRESS"},
        {"// @attach uprobe:libc: -> f", "bad uprobe target", "short name"},
        {"// @attach uprobe:/lib/libc.so.6 -> f", "bad uprobe target", "BINARY:SYMBOL"},
        {"// @attach uprobe:/lib/libc.so.6:malloc+zz -> f", "offset 'zz'", "OFFSET"},
        {"// @attach perf_event:software:cpu-clocks -> f", "unknown software event 'cpu-clocks'",
         "perf_event:software:EVENT"},
        {"// @attach perf_event:hardware:cycles -> f", "only software", "software:EVENT"},
        {"// @attach perf_event:software:cpu-clock:freq=0 -> f", "freq=N", "freq=N"},
        {"// @attach perf_event:software:cpu-clock:hz=9 -> f", "freq=N", "freq=N"},
        {"// @attach tracepoint:sys_enter_openat -> f", "CATEGORY:EVENT", "tracepoint:CATEGORY:EVENT"},
        {"// @attach tcc:veth0:ingress -> f", "unknown @attach kind 'tcc'", "did you mean 'tc'?"},
        {"// @attach tc:veth0 -> f", "bad tc target", "tc:IFACE:ingress|egress"},
        {"// @attach tc:veth0:ingres -> f", "did you mean 'ingress'?", "tc:IFACE"},
        {"// @attach xdp:veth0:fast -> f", "not generic or native", "xdp:IFACE[:generic|native]"},
        {"// @attach xdp:a/b -> f", "not an interface name", "xdp:IFACE"},
        {"// @attach socket:eth0:x -> f", "not an interface name", "socket:IFACE"},
        {"// @attach cgroup:sys/fs/cgroup:egress -> f", "not an absolute path", "cgroup:/CGROUP"},
        {"// @attach cgroup:/sys/fs/cgroup:out -> f", "not ingress or egress", "cgroup:/CGROUP"},
        {"// @attach kprobe:vfs_read -> 9f", "not a function name", "kprobe:KERNEL_FUNCTION"},
        {"// @attach usdt:/usr/bin/python3:function__entry -> f", "PROVIDER:NAME", "usdt:"},
        {"// @attach -> f", "expected KIND:TARGET", "KIND:TARGET"},
        {"// @attach", "expected KIND:TARGET", "KIND:TARGET"},
    };
    for (const auto &c : cases) {
        std::vector<Diagnostic> diags;
        std::string src = std::string("int a;\n") + c.line + "\n";
        auto ds = parse(src, diags);
        EXPECT_TRUE(ds.empty()) << c.line;
        ASSERT_EQ(diags.size(), 1u) << c.line;
        const Diagnostic &d = diags[0];
        EXPECT_EQ(d.severity, Diagnostic::Severity::Error);
        EXPECT_EQ(d.loc.file, "probe.c");
        EXPECT_EQ(d.loc.line, 2u);
        EXPECT_EQ(d.loc.column, 4u) << c.line;
        EXPECT_EQ(d.source_line, c.line);
        EXPECT_NE(d.message.find(c.message), std::string::npos) << c.line << " -> " << d.message;
        EXPECT_NE(d.hint.find(c.hint), std::string::npos) << c.line << " -> " << d.hint;
    }
}

TEST(TextAttachDirectives, GoodAndBadTogether) {
    std::vector<Diagnostic> diags;
    auto ds = parse("// @attach uprobe:/a:b -> f\n\t// @attach bogus:x -> g\n// @attach raw_tracepoint:x -> h\n", diags);
    ASSERT_EQ(ds.size(), 2u);
    ASSERT_EQ(diags.size(), 1u);
    EXPECT_EQ(diags[0].loc.line, 2u);
    EXPECT_EQ(diags[0].loc.column, 5u);
    EXPECT_NE(diags[0].str().find("probe.c:2:5: error: unknown @attach kind 'bogus'"), std::string::npos)
        << diags[0].str();
}

TEST(TextAttachDirectives, ConformanceCorpusDirectivesParse) {
    namespace fs = std::filesystem;
    fs::path dir = fs::path(JITPROBE_CONFORMANCE_DIR) / "cases";
    if (!fs::is_directory(dir))
        GTEST_SKIP() << "no corpus at " << dir;
    std::size_t total = 0;
    for (const auto &e : fs::directory_iterator(dir)) {
        if (e.path().extension() != ".c")
            continue;
        std::ifstream in(e.path(), std::ios::binary);
        std::string src((std::istreambuf_iterator<char>(in)), {});
        std::vector<Diagnostic> diags;
        total += parseAttachDirectives(src, e.path().filename().string(), diags).size();
        EXPECT_TRUE(diags.empty()) << formatDiagnostics(diags);
    }
    EXPECT_GE(total, 7u);
}
