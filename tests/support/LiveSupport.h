// Helpers for the live tests: privilege check, compiling small libbpf-style C with clang-16,
// triggering events, counting fds.
#pragma once
#include "jitprobe/BPF.h"

#include <bpf/libbpf.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace jitprobe::testing {

// Empty if this process may load BPF programs, else the reason it may not.
std::string missingBpfPrivileges();

#define JP_REQUIRE_BPF_PRIVILEGES()                                                           \
    do {                                                                                       \
        if (std::string why = ::jitprobe::testing::missingBpfPrivileges(); !why.empty())       \
            GTEST_SKIP() << why;                                                               \
    } while (0)

// Compiles libbpf-style C (bpf_helpers.h, bpf_tracing.h available) into a BPF ELF.
// On failure returns an empty vector and puts clang's output into ERROR.
std::vector<uint8_t> compileBpfC(const std::string &source, const std::vector<std::string> &defines,
                                 std::string &error);

// A ProgramSpec with one attach point.
frontend::ProgramSpec programSpec(const std::string &function, const std::string &kind,
                                  const std::string &target);

// The standard preamble: includes, license, and a u32->u64 helper `bump(map, key)`.
extern const char *kPreamble;

void openFileTimes(const std::string &path, int times);
int countOpenFds();
std::string readWholeFile(const std::string &path);
// Runs UPROBE_TARGET with N iterations; returns its exit status.
int runUprobeTarget(int n);
// GO_SERVER_BIN (tests/support/goserver), built with Debian's golang-go when missing or older
// than its source (300 s deadline, Go's cache in the build directory). "" and WHY set on failure.
std::string goServer(std::string &why);

// Where cgroup v2 is mounted ("" if nowhere): /sys/fs/cgroup, or /sys/fs/cgroup/unified on
// hybrid hosts.
std::string cgroup2Mount();

} // namespace jitprobe::testing
