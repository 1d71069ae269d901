// Target-string parsing and suggestions (runtime/src/AttachTarget), no privileges needed.
#include "attach/AttachTarget.h"
#include "attach/BinaryLookup.h"
#include "attach/ElfOffsets.h"

#include <gtest/gtest.h>
#include <linux/perf_event.h>
#include <fcntl.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>

using namespace jitprobe::detail;

TEST(RuntimeAttachTarget, UprobeSplitsAtTheBinaryAndOffset) {
    auto t = parseUprobeTarget("/lib/x86_64-linux-gnu/libc.so.6:malloc+0x4");
    ASSERT_TRUE(t.ok()) << t.status().msg();
    EXPECT_EQ(t->binary, "/lib/x86_64-linux-gnu/libc.so.6");
    EXPECT_EQ(t->symbol, "malloc");
    EXPECT_EQ(t->offset, 4u);
    // A ':' in a directory name: the prefix that is an existing file is the binary.
    char dir[] = "/tmp/jp_weird:dirXXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    std::string bin = std::string(dir) + "/bin";
    ASSERT_EQ(close(open(bin.c_str(), O_CREAT | O_WRONLY, 0600)), 0);
    t = parseUprobeTarget(bin + ":main+16");
    unlink(bin.c_str());
    rmdir(dir);
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(t->binary, bin);
    EXPECT_EQ(t->symbol, "main");
    EXPECT_EQ(t->offset, 16u);
    EXPECT_FALSE(parseUprobeTarget("/bin/ls").ok());
    EXPECT_FALSE(parseUprobeTarget("/bin/ls:").ok());
    EXPECT_FALSE(parseUprobeTarget("/bin/ls:main+zz").ok());
    EXPECT_NE(parseUprobeTarget("nocolon").status().msg().find("invalid uprobe target 'nocolon'"),
              std::string::npos);
}

TEST(RuntimeAttachTarget, UprobeSymbolsAsBinariesSpellThem) {
    struct Case {
        const char *target, *binary, *symbol;
        uint64_t offset, address;
    } cases[] = {
        {"/srv/go:net/http.(*ServeMux).ServeHTTP", "/srv/go", "net/http.(*ServeMux).ServeHTTP", 0, 0},
        {"/opt/app:ns::Widget::draw(int) const+8", "/opt/app", "ns::Widget::draw(int) const", 8, 0},
        {"libc:malloc@@GLIBC_2.2.5", "libc", "malloc@@GLIBC_2.2.5", 0, 0},
        {"libstdc++:ns::f", "libstdc++", "ns::f", 0, 0},
        {"/bin/x:0x401000", "/bin/x", "", 0, 0x401000},
        {"/bin/x:operator+", "/bin/x", "operator+", 0, 0},
    };
    for (const auto &c : cases) {
        auto t = parseUprobeTarget(c.target);
        ASSERT_TRUE(t.ok()) << c.target << ": " << t.status().msg();
        EXPECT_EQ(t->binary, c.binary) << c.target;
        EXPECT_EQ(t->symbol, c.symbol) << c.target;
        EXPECT_EQ(t->offset, c.offset) << c.target;
        EXPECT_EQ(t->address, c.address) << c.target;
    }
    EXPECT_FALSE(parseUprobeTarget("/bin/x:0x").ok());
    EXPECT_FALSE(parseUprobeTarget("/bin/x:f\tg").ok());
}

TEST(RuntimeAttachTarget, UsdtTakesLastTwoColons) {
    auto t = parseUsdtTarget("/usr/bin/python3.11:python:function__entry");
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(t->binary, "/usr/bin/python3.11");
    EXPECT_EQ(t->provider, "python");
    EXPECT_EQ(t->name, "function__entry");
    EXPECT_FALSE(parseUsdtTarget("/bin/x:onlyone").ok());
    EXPECT_FALSE(parseUsdtTarget("/bin/x::name").ok());
}

TEST(RuntimeAttachTarget, TracepointAndKprobe) {
    auto tp = parseTracepoint("syscalls:sys_enter_openat");
    ASSERT_TRUE(tp.ok());
    EXPECT_EQ(tp->category, "syscalls");
    EXPECT_EQ(tp->event, "sys_enter_openat");
    EXPECT_TRUE(parseTracepoint("sched/sched_switch").ok());
    EXPECT_FALSE(parseTracepoint("sched_switch").ok());
    EXPECT_FALSE(parseTracepoint("a:b:c").ok());
    auto kp = parseKprobeTarget("vfs_read+0x10");
    ASSERT_TRUE(kp.ok());
    EXPECT_EQ(kp->function, "vfs_read");
    EXPECT_EQ(kp->offset, 16u);
}

TEST(RuntimeAttachTarget, PerfEventDefaultsAndRates) {
    auto p = parsePerfEventTarget("software:cpu-clock");
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p->type, uint32_t(PERF_TYPE_SOFTWARE));
    EXPECT_EQ(p->config, uint32_t(PERF_COUNT_SW_CPU_CLOCK));
    EXPECT_EQ(p->sample_freq, 99u);
    EXPECT_EQ(p->sample_period, 0u);
    p = parsePerfEventTarget("software:page-faults:period=1000");
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p->config, uint32_t(PERF_COUNT_SW_PAGE_FAULTS));
    EXPECT_EQ(p->sample_period, 1000u);
    EXPECT_EQ(p->sample_freq, 0u);
    p = parsePerfEventTarget("software:context-switches:freq=7");
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p->sample_freq, 7u);
    EXPECT_FALSE(parsePerfEventTarget("software:cpu-clock:freq=0").ok());
    EXPECT_FALSE(parsePerfEventTarget("hardware:cycles").ok());
    EXPECT_NE(parsePerfEventTarget("software:cpu-clocks").status().msg().find("unknown software"),
              std::string::npos);
}

TEST(RuntimeAttachTarget, CpuListsAndNumbers) {
    auto cpus = parseCpuList("0-2,5,7-8\n");
    ASSERT_TRUE(cpus.ok());
    EXPECT_EQ(cpus.value(), (std::vector<int>{0, 1, 2, 5, 7, 8}));
    EXPECT_FALSE(parseCpuList("3-1").ok());
    EXPECT_FALSE(parseCpuList("").ok());
    uint64_t v = 0;
    EXPECT_TRUE(parseUnsigned("0xFF", v));
    EXPECT_EQ(v, 255u);
    EXPECT_FALSE(parseUnsigned("99999999999999999999999", v));
    EXPECT_FALSE(parseUnsigned("0x", v));
}

TEST(RuntimeElfSymbols, VersionedAliasesResolveToOneAddress) {
    const std::string libc = "/lib/x86_64-linux-gnu/libc.so.6";
    auto vaddr = elfFunctionAddress(libc, "clock_nanosleep");
    ASSERT_TRUE(vaddr.ok()) << vaddr.status().msg();
    EXPECT_GT(vaddr.value(), 0u);
    auto offset = elfVaddrToFileOffset(libc, vaddr.value());
    ASSERT_TRUE(offset.ok()) << offset.status().msg();
    EXPECT_EQ(elfFunctionAddress(libc, "jp_no_such_symbol").status().code(), ENOENT);
    EXPECT_FALSE(elfFunctionAddress("/etc/hostname", "main").ok());
}

TEST(RuntimeElfSymbols, VersionedNamesResolveLikeTheirBaseName) {
    const std::string libc = "/lib/x86_64-linux-gnu/libc.so.6";
    auto plain = elfFunctionAddress(libc, "malloc");
    ASSERT_TRUE(plain.ok()) << plain.status().msg();
    auto versioned = elfFunctionAddress(libc, "malloc@@GLIBC_2.2.5");
    ASSERT_TRUE(versioned.ok()) << versioned.status().msg();
    EXPECT_EQ(versioned.value(), plain.value());
}

namespace jp_demangle {
// Overloads and a unique function, found in this test's own binary by their demangled names.
__attribute__((noinline, used)) int probe_me(int x) { return x + 1; }
__attribute__((noinline, used)) int overloaded(int x) { return x * 2; }
__attribute__((noinline, used)) int overloaded(double x) { return static_cast<int>(x) * 3; }
} // namespace jp_demangle

TEST(RuntimeElfSymbols, DemangledCxxNamesResolveToTheMangledSymbol) {
    const std::string self = "/proc/self/exe";
    auto mangled = elfFunctionAddress(self, "_ZN11jp_demangle8probe_meEi");
    ASSERT_TRUE(mangled.ok()) << mangled.status().msg();
    auto bare = elfFunctionAddress(self, "jp_demangle::probe_me");
    ASSERT_TRUE(bare.ok()) << bare.status().msg();
    EXPECT_EQ(bare.value(), mangled.value());
    auto full = elfFunctionAddress(self, "jp_demangle::probe_me(int)");
    ASSERT_TRUE(full.ok()) << full.status().msg();
    EXPECT_EQ(full.value(), mangled.value());
    auto ambiguous = elfFunctionAddress(self, "jp_demangle::overloaded");
    EXPECT_EQ(ambiguous.status().code(), EINVAL);
    EXPECT_NE(ambiguous.status().msg().find("_ZN11jp_demangle10overloadedEd"), std::string::npos)
        << ambiguous.status().msg();
    auto one = elfFunctionAddress(self, "jp_demangle::overloaded(double)");
    ASSERT_TRUE(one.ok()) << one.status().msg();
    EXPECT_EQ(one.value(), elfFunctionAddress(self, "_ZN11jp_demangle10overloadedEd").value());
    EXPECT_EQ(elfFunctionAddress(self, "jp_demangle::probe").status().code(), ENOENT);
}

// A function as rustc (legacy mangling, Debian's rustc 1.63) names `demo::work`: the C++ scheme
// with a 17h<hash> last component.
extern "C" __attribute__((noinline, used)) int jp_rust_like(int x) __asm__("_ZN4demo4work17h0123456789abcdefE");
int jp_rust_like(int x) { return x + 2; }

TEST(RuntimeElfSymbols, RustLegacyNamesResolveWithoutTheirHash) {
    const std::string self = "/proc/self/exe";
    auto mangled = elfFunctionAddress(self, "_ZN4demo4work17h0123456789abcdefE");
    ASSERT_TRUE(mangled.ok()) << mangled.status().msg();
    auto path = elfFunctionAddress(self, "demo::work");
    ASSERT_TRUE(path.ok()) << path.status().msg();
    EXPECT_EQ(path.value(), mangled.value());
    auto hashed = elfFunctionAddress(self, "demo::work::h0123456789abcdef");
    ASSERT_TRUE(hashed.ok()) << hashed.status().msg();
    EXPECT_EQ(hashed.value(), mangled.value());
    EXPECT_EQ(elfFunctionAddress(self, "demo::wor").status().code(), ENOENT);
}

TEST(RuntimeBinaryLookup, ShortNamesMatchLibraryFileNames) {
    EXPECT_TRUE(shortNameMatches("libc", "libc.so.6"));
    EXPECT_TRUE(shortNameMatches("c", "libc.so.6"));
    EXPECT_TRUE(shortNameMatches("libc.so.6", "libc.so.6"));
    EXPECT_TRUE(shortNameMatches("libz", "libz.so"));
    EXPECT_FALSE(shortNameMatches("libc", "libcrypt.so.1"));
    EXPECT_FALSE(shortNameMatches("libc", "libc.sox"));
    EXPECT_FALSE(shortNameMatches("lib", "libc.so.6"));
}

// The loader's choice: what ld.so.cache lists is the file the dynamic linker maps for "libc".
TEST(RuntimeBinaryLookup, LibcShortNameIsTheLoadersLibc) {
    auto cached = libraryFromLdCache("libc");
    ASSERT_TRUE(cached.ok()) << cached.status().msg();
    EXPECT_TRUE(cached->ends_with("/libc.so.6")) << *cached;
    auto resolved = resolveShortBinary("libc", -1);
    ASSERT_TRUE(resolved.ok()) << resolved.status().msg();
    char a[PATH_MAX], b[PATH_MAX];
    ASSERT_TRUE(realpath(resolved->c_str(), a) && realpath("/lib/x86_64-linux-gnu/libc.so.6", b));
    EXPECT_STREQ(a, b);
    // This process maps libc: the PID form finds that very file.
    auto mapped = resolveShortBinary("libc", getpid());
    ASSERT_TRUE(mapped.ok()) << mapped.status().msg();
    ASSERT_TRUE(realpath(mapped->c_str(), a));
    EXPECT_STREQ(a, b);
    EXPECT_EQ(resolveShortBinary("libjp_no_such_lib", -1).status().code(), ENOENT);
    EXPECT_EQ(libraryFromLdCache("libc", "/etc/hostname").status().code(), ENOEXEC);
}

TEST(RuntimeAttachTarget, NetworkAndCgroupTargets) {
    auto x = parseXdpTarget("veth0");
    ASSERT_TRUE(x.ok());
    EXPECT_EQ(x->iface, "veth0");
    EXPECT_EQ(x->mode, XdpMode::Default);
    EXPECT_EQ(parseXdpTarget("veth0:generic")->mode, XdpMode::Generic);
    EXPECT_EQ(parseXdpTarget("veth0:native")->mode, XdpMode::Native);
    EXPECT_NE(parseXdpTarget("veth0:fast").status().msg().find("not generic or native"),
              std::string::npos);
    EXPECT_FALSE(parseXdpTarget("").ok());
    EXPECT_FALSE(parseXdpTarget("averyveryverylongname0").ok()); // IFNAMSIZ
    auto tc = parseTcTarget("eth0:egress");
    ASSERT_TRUE(tc.ok());
    EXPECT_EQ(tc->where, "eth0");
    EXPECT_FALSE(tc->ingress);
    EXPECT_TRUE(parseTcTarget("eth0:ingress")->ingress);
    EXPECT_FALSE(parseTcTarget("eth0").ok());
    EXPECT_FALSE(parseTcTarget("eth0:in").ok());
    EXPECT_FALSE(parseTcTarget("a/b:ingress").ok());
    auto cg = parseCgroupTarget("/sys/fs/cgroup/a:b:ingress");
    ASSERT_TRUE(cg.ok());
    EXPECT_EQ(cg->where, "/sys/fs/cgroup/a:b");
    EXPECT_TRUE(cg->ingress);
    EXPECT_FALSE(parseCgroupTarget("sys/fs/cgroup:egress").ok());
    EXPECT_FALSE(parseCgroupTarget("/sys/fs/cgroup").ok());
    EXPECT_EQ(*parseSocketTarget("lo"), "lo");
    EXPECT_FALSE(parseSocketTarget("lo:1").ok());
}
