// The dlopen'ed stack symbolizer on this test process's own code and on kernel symbols.
#include "symbolize/Symbolizer.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <sstream>

extern "C" __attribute__((noinline)) int jitprobe_symbolizer_test_target(int x) {
    asm volatile("" ::: "memory"); // keep a body the compiler cannot fold away
    return x * 3 + 1;
}

namespace {
std::unique_ptr<jitprobe::StackSymbolizer> loadOrSkip() {
    jitprobe::Status why;
    auto sym = jitprobe::StackSymbolizer::load(&why);
    return sym;
}
} // namespace

TEST(RuntimeStackSymbolizer, OwnFunctionByPid) {
    auto sym = loadOrSkip();
    if (!sym)
        GTEST_SKIP() << "libjitprobe-symbolizer.so not built";
    auto addr = reinterpret_cast<std::uintptr_t>(&jitprobe_symbolizer_test_target) + 4;
    std::string name = sym->user(getpid(), addr);
    EXPECT_NE(name.find("jitprobe_symbolizer_test_target+0x4"), std::string::npos) << name;
    EXPECT_NE(name.find("runtime_unit_tests"), std::string::npos) << name;
}

TEST(RuntimeStackSymbolizer, RememberedMapsOutliveTheProcess) {
    auto sym = loadOrSkip();
    if (!sym)
        GTEST_SKIP() << "libjitprobe-symbolizer.so not built";
    std::ifstream in("/proc/self/maps");
    std::stringstream maps;
    maps << in.rdbuf();
    const int fake_pid = 0x7ffffff0; // no such process: only the remembered maps can answer
    sym->rememberMaps(fake_pid, maps.str());
    auto addr = reinterpret_cast<std::uintptr_t>(&jitprobe_symbolizer_test_target);
    EXPECT_NE(sym->user(fake_pid, addr).find("jitprobe_symbolizer_test_target"), std::string::npos);
    EXPECT_EQ(sym->user(fake_pid + 1, 0x1234), "0x1234");
}

TEST(RuntimeStackSymbolizer, KernelAddressFromKallsyms) {
    auto sym = loadOrSkip();
    if (!sym)
        GTEST_SKIP() << "libjitprobe-symbolizer.so not built";
    std::ifstream in("/proc/kallsyms");
    std::string addr, type, name;
    while (in >> addr >> type >> name) {
        in.ignore(4096, '\n');
        if (name == "schedule")
            break;
    }
    std::uint64_t a = std::stoull(addr, nullptr, 16);
    if (name != "schedule" || a == 0)
        GTEST_SKIP() << "kallsyms addresses hidden";
    EXPECT_EQ(sym->kernel(a + 0x10).rfind("schedule+0x10", 0), 0u) << sym->kernel(a + 0x10);
}
