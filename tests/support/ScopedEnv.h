// Test helpers for code that reads the environment or runs a compiler: an environment variable
// set for one scope, and an executable shell script standing in for jitprobe-compiler.
#pragma once
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <string>

namespace jitprobe::testing {

// Sets NAME to VALUE (nullptr: unsets it) until the end of the scope, then restores it (tests
// run one at a time).
struct ScopedEnv {
    std::string name, saved;
    bool had = false;
    ScopedEnv(const char *n, const char *value) : name(n) {
        const char *old = std::getenv(n);
        had = old != nullptr;
        saved = old ? old : "";
        value ? ::setenv(n, value, 1) : ::unsetenv(n);
    }
    ScopedEnv(const char *n, const std::string &value) : ScopedEnv(n, value.c_str()) {}
    ~ScopedEnv() {
        if (had)
            ::setenv(name.c_str(), saved.c_str(), 1);
        else
            ::unsetenv(name.c_str());
    }
    ScopedEnv(const ScopedEnv &) = delete;
    ScopedEnv &operator=(const ScopedEnv &) = delete;
};

// An executable `#!/bin/sh` script NAME in the test's temp dir running BODY.
inline std::string fakeCompiler(const std::string &name, const std::string &body) {
    std::string path = ::testing::TempDir() + name;
    std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
    ::chmod(path.c_str(), 0755);
    return path;
}

} // namespace jitprobe::testing
