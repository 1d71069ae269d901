#include "LibbpfLog.h"

#include <bpf/libbpf.h>

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <mutex>
#include <sstream>

namespace jitprobe::detail {
namespace {

thread_local LibbpfLogCapture *active_capture = nullptr;
// The callback the application had installed before jitprobe's (libbpf's default printer when it
// set none; nullptr when it silenced libbpf, as the CLI does).
std::atomic<libbpf_print_fn_t> previous_print{nullptr};

int routeLibbpfPrint(enum libbpf_print_level level, const char *fmt, va_list args) {
    if (active_capture == nullptr) { // not ours: what the application asked for
        libbpf_print_fn_t previous = previous_print.load();
        return previous ? previous(level, fmt, args) : 0;
    }
    if (level == LIBBPF_DEBUG)
        return 0;
    char buf[2048];
    int n = std::vsnprintf(buf, sizeof buf, fmt, args);
    if (n > 0)
        active_capture->append(buf);
    return n;
}

void installCallbackOnce() {
    static std::once_flag once;
    std::call_once(once, [] { previous_print.store(libbpf_set_print(routeLibbpfPrint)); });
}

} // namespace

LibbpfLogCapture::LibbpfLogCapture() {
    installCallbackOnce();
    outer_ = active_capture;
    active_capture = this;
}

LibbpfLogCapture::~LibbpfLogCapture() {
    active_capture = outer_;
    if (outer_)
        outer_->append(text_);
}

std::string LibbpfLogCapture::summary() const {
    std::istringstream in(text_);
    std::string line, out;
    bool in_dump = false;
    while (std::getline(in, line)) {
        if (line.find("-- BEGIN PROG LOAD LOG --") != std::string::npos) {
            in_dump = true;
            continue;
        }
        if (line.find("-- END PROG LOAD LOG --") != std::string::npos) {
            in_dump = false;
            continue;
        }
        if (in_dump || line.empty())
            continue;
        out += "\n  libbpf: " + (line.starts_with("libbpf: ") ? line.substr(8) : line);
    }
    return out;
}

} // namespace jitprobe::detail
