// What this kernel and this process can do (`jitprobe info`): every answer comes from a real
// minimal load or attach of hand-assembled programs (no compiler), or from the file or syscall
// that decides it, never from the kernel version.
#pragma once
#include <string>
#include <vector>

namespace jitprobe {

// One probed fact: NAME is supported or not, and DETAIL says how it was decided or why not
// ("ENOENT (No such file or directory)", "mounted at /sys/fs/bpf", ...).
struct Feature {
    std::string name;
    bool supported = false;
    std::string detail;
};

struct SystemFeatures {
    std::string kernel_release;         // uname -r
    Feature btf;                        // /sys/kernel/btf/vmlinux
    std::vector<Feature> program_types; // loaded with libbpf_probe_bpf_prog_type
    std::vector<Feature> attach_types;  // tracepoint, kprobe, ..., loaded and attached
    std::vector<Feature> map_types;     // created with libbpf_probe_bpf_map_type
    std::vector<Feature> features;      // ring buffer, bpf_stats
    std::vector<Feature> capabilities;  // CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN, CAP_NET_ADMIN
    std::vector<Feature> mounts;        // tracefs, bpffs
    Feature cache;                      // the object cache directory and its state
    Feature compiler;                   // jitprobe-compiler found (its path) or not
    std::string libbpf_version;         // of the libbpf this runtime runs with
};

// Probes everything above. Attach probes need BPF privileges; without them they report the
// permission error as the reason. Creates and removes only its own programs, maps and links
// (tc and XDP in a network namespace of a short-lived thread of its own).
SystemFeatures probe_system_features();

// The jitprobe-compiler a compile would run (its path in detail), or why none is found.
Feature find_compiler();

// The first (or only) entry named NAME in LIST, nullptr when absent.
const Feature *find_feature(const std::vector<Feature> &list, const std::string &name);

} // namespace jitprobe
