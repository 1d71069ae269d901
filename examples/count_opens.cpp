// Counts openat() calls per process for 2 seconds with a BCC-style probe, then prints the top
// processes. Run as root: ./count_opens
#include "jitprobe/BPF.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>

namespace {

const char *kProbe = R"(
BPF_HASH(counts, u32, u64);

TRACEPOINT_PROBE(syscalls, sys_enter_openat) {
    u32 pid = bpf_get_current_pid_tgid() >> 32;
    counts.increment(pid);
    return 0;
}
)";

std::string commOf(uint32_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/comm");
    std::string comm;
    return std::getline(in, comm) ? comm : "?";
}

} // namespace

int main() {
    jitprobe::BPF bpf;
    jitprobe::InitOptions opts;
    opts.file_name = "count_opens.c";
    jitprobe::Status s = bpf.init(kProbe, {}, opts);
    if (s.ok())
        s = bpf.attach_all();
    if (!s.ok()) {
        std::fprintf(stderr, "count_opens: %s\n", s.msg().c_str());
        return 1;
    }
    std::printf("Counting openat() for 2 s...\n");
    std::this_thread::sleep_for(std::chrono::seconds(2));

    auto counts = bpf.get_hash_table<uint32_t, uint64_t>("counts").get_table_offline();
    std::sort(counts.begin(), counts.end(),
              [](const auto &a, const auto &b) { return a.second > b.second; });
    std::printf("%-8s %-16s %s\n", "PID", "COMM", "OPENS");
    for (size_t i = 0; i < counts.size() && i < 10; i++)
        std::printf("%-8u %-16s %llu\n", counts[i].first, commOf(counts[i].first).c_str(),
                    static_cast<unsigned long long>(counts[i].second));
    return 0;
}
