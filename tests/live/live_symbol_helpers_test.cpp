// BPF::ksym / sym / get_tracepoints / get_kprobe_functions (issue 16) on this kernel.
#include "LiveSupport.h"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

using namespace jitprobe;

extern "C" __attribute__((noinline, used)) int jp_sym_target(int x) {
    __asm__ volatile("" ::: "memory");
    return x * 3;
}

namespace {

// The address /proc/kallsyms gives FUNCTION (0 when hidden: kptr_restrict without root).
uint64_t kallsymsAddress(const std::string &function) {
    std::ifstream in("/proc/kallsyms");
    std::string addr, type, name;
    while (in >> addr >> type >> name) {
        in.ignore(4096, '\n');
        if (name == function && (type == "t" || type == "T"))
            return std::stoull(addr, nullptr, 16);
    }
    return 0;
}

} // namespace

TEST(LiveSymbolHelpers, KsymNamesTheKernelFunctionAtAnAddress) {
    uint64_t addr = kallsymsAddress("vfs_read");
    if (addr == 0)
        GTEST_SKIP() << "/proc/kallsyms hides addresses (kptr_restrict; run as root)";
    BPF bpf;
    EXPECT_EQ(bpf.ksym(addr), "vfs_read");
    EXPECT_EQ(bpf.ksym(addr + 4, false, true), "vfs_read+0x4");
    EXPECT_EQ(bpf.sym(addr, -1), "vfs_read");
    EXPECT_EQ(bpf.ksym(1), "[unknown]");
}

TEST(LiveSymbolHelpers, SymNamesAFunctionOfAProcess) {
    BPF bpf;
    auto addr = reinterpret_cast<uint64_t>(&jp_sym_target);
    EXPECT_EQ(bpf.sym(addr, ::getpid()), "jp_sym_target");
    EXPECT_EQ(bpf.sym(addr + 1, ::getpid(), false, true), "jp_sym_target+0x1");
    std::string with_module = bpf.sym(addr, ::getpid(), true);
    EXPECT_TRUE(with_module.starts_with("jp_sym_target [")) << with_module;
    EXPECT_NE(with_module.find("live_tests"), std::string::npos) << with_module;
}

TEST(LiveSymbolHelpers, TracepointAndKernelFunctionLists) {
    auto tps = BPF::get_tracepoints("syscalls:sys_enter_getp*");
    ASSERT_TRUE(tps.ok()) << tps.status().msg();
    EXPECT_NE(std::find(tps->begin(), tps->end(), "syscalls:sys_enter_getpid"), tps->end());
    for (const auto &tp : *tps)
        EXPECT_TRUE(tp.starts_with("syscalls:sys_enter_getp")) << tp;
    auto fns = BPF::get_kprobe_functions("vfs_rea*");
    ASSERT_TRUE(fns.ok()) << fns.status().msg();
    EXPECT_NE(std::find(fns->begin(), fns->end(), "vfs_read"), fns->end());
    for (const auto &fn : *fns)
        EXPECT_TRUE(fn.starts_with("vfs_rea")) << fn;
}
