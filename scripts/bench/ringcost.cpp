// Bench helper (issue 18): the C++ API's ring-buffer callback path, per event, under an openat
// flood. Loads probe (3b) through jitprobe::BPF, starts `benchgen flood SECONDS FILE`, and polls
// until it exits, with a user callback that only counts; prints one JSON line per form:
//   {"form":"record"|"batch","events":N,"cpu_us_per_event":X,"wakeups_per_event":Y}
// CPU and wake-ups are the polling thread's (getrusage RUSAGE_THREAD). The loop paces itself as
// `jitprobe run` does: after a batch of 4 or more records it naps 250 us and consumes instead of
// waiting in epoll.
//   ringcost PROBE.c BENCHGEN SECONDS OUTFILE
#include "jitprobe/BPF.h"

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace {
struct Usage {
    double cpu_us;
    long wakeups;
};
Usage threadUsage() {
    rusage ru{};
    getrusage(RUSAGE_THREAD, &ru);
    auto us = [](const timeval &tv) { return tv.tv_sec * 1e6 + tv.tv_usec; };
    return {us(ru.ru_utime) + us(ru.ru_stime), ru.ru_nvcsw};
}

int measure(const char *probe, const char *gen, const char *secs, const char *out, bool batch) {
    jitprobe::BPF bpf;
    std::ifstream in(probe);
    std::stringstream source;
    source << in.rdbuf();
    jitprobe::InitOptions opts;
    opts.file_name = probe;
    if (jitprobe::Status s = bpf.init(source.str(), {}, opts); !s.ok()) {
        std::fprintf(stderr, "ringcost: %s\n", s.msg().c_str());
        return 1;
    }
    unsigned long long events = 0;
    jitprobe::Status s = batch ? bpf.open_ring_buffer_batch("events", [&](std::span<const jitprobe::RingRecord> r) {
                                     events += r.size();
                                 })
                               : bpf.open_ring_buffer("events", [&](void *, size_t) {
                                     ++events;
                                     return 0;
                                 });
    if (!s.ok() || !(s = bpf.attach_tracepoint("syscalls:sys_enter_openat",
                                                "tracepoint__syscalls__sys_enter_openat")).ok()) {
        std::fprintf(stderr, "ringcost: %s\n", s.msg().c_str());
        return 1;
    }
    pid_t child = fork();
    if (child == 0) {
        execl(gen, gen, "flood", secs, out, static_cast<char *>(nullptr));
        _exit(127);
    }
    Usage u0 = threadUsage();
    bool napping = false;
    int status = 0;
    while (waitpid(child, &status, WNOHANG) == 0) {
        int n;
        if (napping) {
            std::this_thread::sleep_for(std::chrono::microseconds(250));
            n = bpf.consume_ring_buffer();
        } else {
            n = bpf.poll_ring_buffer(50);
        }
        napping = n >= 4;
    }
    bpf.consume_ring_buffer();
    Usage u1 = threadUsage();
    std::printf("{\"form\":\"%s\",\"events\":%llu,\"cpu_us_per_event\":%.4f,\"wakeups_per_event\":%.5f}\n",
                batch ? "batch" : "record", events, events ? (u1.cpu_us - u0.cpu_us) / events : 0.0,
                events ? double(u1.wakeups - u0.wakeups) / events : 0.0);
    return 0;
}
} // namespace

int main(int argc, char **argv) {
    if (argc != 5) {
        std::fprintf(stderr, "usage: ringcost PROBE.c BENCHGEN SECONDS OUTFILE\n");
        return 2;
    }
    return measure(argv[1], argv[2], argv[3], argv[4], false) | measure(argv[1], argv[2], argv[3], argv[4], true);
}
