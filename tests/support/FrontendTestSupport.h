// Helpers shared by the frontend's source-in/source-out tests.
#pragma once
#include "jitprobe/frontend/Frontend.h"

#include <sys/mount.h>
#include <unistd.h>

#include <string>
#include <utility>
#include <vector>

namespace jitprobe::frontend_test {

// Compiles SOURCE as "t.c" with one kernel-type PCH for the whole suite (tens of milliseconds a
// compile); REWRITE_ONLY stops after the rewrite passes. Tracepoint formats need tracefs.
inline frontend::CompileResult compileForTest(const std::string &source,
                                              std::vector<std::string> cflags = {},
                                              bool rewrite_only = false) {
    if (::access("/sys/kernel/tracing/events", F_OK) != 0)
        ::mount("nodev", "/sys/kernel/tracing", "tracefs", 0, nullptr);
    frontend::CompileOptions o;
    o.file_name = "t.c";
    o.cflags = std::move(cflags);
    o.cache_dir = JITPROBE_BINARY_DIR "/test-cache";
    o.stop_after_rewrite = rewrite_only;
    return frontend::compile(source, o);
}

inline bool contains(const std::string &text, const std::string &part) {
    return text.find(part) != std::string::npos;
}

// Line LINE (1-based) of TEXT, without its newline.
inline std::string lineOf(const std::string &text, unsigned line) {
    size_t pos = 0;
    for (unsigned i = 1; i < line && pos != std::string::npos; ++i)
        pos = text.find('\n', pos) + 1;
    return text.substr(pos, text.find('\n', pos) - pos);
}

} // namespace jitprobe::frontend_test
