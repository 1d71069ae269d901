// What the frontend learned about a probe source, next to the ELF it produced: the maps as the
// user declared them, and each program with its attach points. The runtime needs this to attach
// and to print results; it travels through the object cache as JSON.
#pragma once
#include <string>
#include <vector>

namespace jitprobe::frontend {

struct MapSpec {
    std::string name;
    // The BCC declaration kind: "hash", "array", "histogram", "percpu_hash", "percpu_array",
    // "lru_hash", "lpm_trie", "perf_output", "ringbuf", "stack_trace", "queue", "stack", ...
    std::string kind;
    std::string event_type; // perf_output/ringbuf: C type name of the submitted record, if known
    std::string pin_path;   // BPF_TABLE_PINNED
    unsigned line = 0;
    // The probes' own working state (a map they delete from, or `// @internal`): not a result,
    // so neither printed nor cleared between intervals.
    bool internal = false;
    // "public" (BPF_TABLE_PUBLIC) or "shared" (BPF_TABLE_SHARED, in the BPF object's maps
    // namespace): kept in the process's table storage after the load, as BCC does, so that
    // other BPF objects' BPF_TABLE("extern") of that name use this map.
    std::string sharing;
};

// One place a program attaches to. kind: "kprobe", "kretprobe", "tracepoint", "raw_tracepoint",
// "tp_btf", "uprobe", "uretprobe", "usdt", "perf_event", "fentry", "fexit", "lsm", "iter".
// target: "vfs_read", "syscalls:sys_enter_openat", "/lib/x86_64-linux-gnu/libc.so.6:malloc+0x4",
// "software:cpu-clock:freq=99", "BINARY:PROVIDER:NAME" (usdt)...
struct AttachPoint {
    std::string kind;
    std::string target;
    unsigned line = 0; // where it was declared (function or @attach directive)
};

struct ProgramSpec {
    std::string function; // the C function name (libbpf program name)
    std::string section;  // the SEC() it was given
    std::string prog_type; // "kprobe", "tracepoint", "raw_tracepoint", "socket_filter", "xdp", ...
    std::vector<AttachPoint> attach; // empty: load-only (check), not attached by attach_all
    unsigned line = 0;
};

struct ProgramInfo {
    std::vector<MapSpec> maps;
    std::vector<ProgramSpec> programs;
    // bpf_trace_printk formats, by the id PrintkPass gave their records (see PrintkFormat.h).
    std::vector<std::string> printk_formats;
    // The kernel-type PCH the object was compiled with ("<key>.pch" in the cache's
    // kernel-types/) and its SHA-256 from the verified manifest: a cached object is served only
    // while that PCH is still the one there (a PCH rebuilt after tampering invalidates it).
    std::string pch_name, pch_digest;

    const MapSpec *findMap(const std::string &name) const;
    const ProgramSpec *findProgram(const std::string &function) const;
    std::string toJson() const;
    static bool fromJson(const std::string &json, ProgramInfo &out);
};

} // namespace jitprobe::frontend
