// What the C++ programs guest_tests.sh runs share: a failed check prints one "FAIL" line (the
// program's exit status counts them), the marker file's opens, and init from a .c or a .jpo.
#pragma once
#include "jitprobe/BPF.h"

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

namespace jitprobe::vm {

inline int failures = 0;

inline void check(bool ok, const std::string &what) {
    if (!ok) {
        std::cout << "FAIL " << what << std::endl;
        failures++;
    }
}

inline void openTimes(const std::string &path, int n) {
    for (int i = 0; i < n; i++) {
        int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd >= 0)
            ::close(fd);
    }
}

// PROBE: a portable object (init_file) or a source compiled here.
inline Status initFrom(BPF &bpf, const std::string &probe) {
    if (probe.ends_with(".jpo"))
        return bpf.init_file(probe);
    std::ifstream in(probe);
    std::stringstream text;
    text << in.rdbuf();
    InitOptions opts;
    opts.file_name = probe;
    return bpf.init(text.str(), {}, opts);
}

} // namespace jitprobe::vm
