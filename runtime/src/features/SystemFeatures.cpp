// probe_system_features(): program and map types through libbpf's probes, the ring buffer,
// bpf_stats, capabilities, mounts, the cache directory and the compiler, plus the attach probes.
#include "FeatureProbes.h"

#include "attach/Tracefs.h"
#include "compiler/CompilerLocator.h"
#include "jitprobe/Cache.h"
#include "jitprobe/common/Errors.h"
#include "jitprobe/common/UniqueFd.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>

namespace jitprobe {
namespace {

using detail::errnoText;

Feature probeResult(const std::string &name, int ret) {
    if (ret == 1)
        return {name, true, ""};
    return {name, false, ret == 0 ? "not supported" : errnoText(-ret)};
}

std::vector<Feature> programTypes() {
    std::vector<Feature> out;
    for (int t = BPF_PROG_TYPE_UNSPEC + 1;; ++t) {
        const char *name = libbpf_bpf_prog_type_str(static_cast<bpf_prog_type>(t));
        if (!name)
            break;
        out.push_back(
            probeResult(name, libbpf_probe_bpf_prog_type(static_cast<bpf_prog_type>(t), nullptr)));
    }
    return out;
}

std::vector<Feature> mapTypes() {
    std::vector<Feature> out;
    for (int t = BPF_MAP_TYPE_UNSPEC + 1;; ++t) {
        const char *name = libbpf_bpf_map_type_str(static_cast<bpf_map_type>(t));
        if (!name)
            break;
        out.push_back(
            probeResult(name, libbpf_probe_bpf_map_type(static_cast<bpf_map_type>(t), nullptr)));
    }
    return out;
}

std::string readFirstLine(const std::string &path) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    return line;
}

std::vector<Feature> runtimeFeatures() {
    Feature ring =
        probeResult("ring_buffer", libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, nullptr));
    // BPF_ENABLE_STATS: run-time statistics on while the fd is open; closed at once.
    common::UniqueFd stats(bpf_enable_stats(BPF_STATS_RUN_TIME));
    std::string sysctl = readFirstLine("/proc/sys/kernel/bpf_stats_enabled");
    Feature bpf_stats{
        "bpf_stats", stats.valid(),
        (stats.valid() ? "BPF_ENABLE_STATS works" : "BPF_ENABLE_STATS: " + errnoText(errno)) +
            (sysctl.empty() ? "" : "; kernel.bpf_stats_enabled=" + sysctl)};
    return {ring, bpf_stats};
}

// Not in Debian 12's <linux/capability.h> under these names on every toolchain.
constexpr int kCapPerfmon = 38;
constexpr int kCapBpf = 39;

std::vector<Feature> capabilities() {
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    bool known = ::syscall(SYS_capget, &header, data) == 0;
    std::vector<Feature> out;
    for (auto [cap, name] :
         {std::pair{kCapBpf, "CAP_BPF"}, std::pair{kCapPerfmon, "CAP_PERFMON"},
          std::pair{CAP_SYS_ADMIN, "CAP_SYS_ADMIN"}, std::pair{CAP_NET_ADMIN, "CAP_NET_ADMIN"}}) {
        bool has = known && ((data[cap / 32].effective >> (cap % 32)) & 1);
        out.push_back({name, has, known ? (has ? "effective" : "not effective") : "capget failed"});
    }
    return out;
}

std::vector<Feature> mounts() {
    Feature tracefs{"tracefs", false, "not mounted"}, bpffs{"bpffs", false, "not mounted"};
    std::ifstream in("/proc/self/mounts");
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string source, dir, type;
        fields >> source >> dir >> type;
        Feature *f = type == "tracefs" ? &tracefs : type == "bpf" ? &bpffs : nullptr;
        if (f && !f->supported)
            *f = {f->name, true, "mounted at " + dir};
    }
    return {tracefs, bpffs};
}

Feature cacheState() {
    Result<CacheStats> stats = cache_stats();
    if (!stats.ok())
        return {"cache", false, cache_directory() + ": " + stats.status().msg()};
    return {"cache", true,
            stats->directory + ": " + std::to_string(stats->entries) + " objects, " +
                std::to_string(stats->bytes / 1024) + " KiB"};
}

} // namespace

Feature find_compiler() {
    Result<std::string> path = detail::CompilerLocator::find();
    return {"jitprobe-compiler", path.ok(), path.ok() ? *path : path.status().msg()};
}

const Feature *find_feature(const std::vector<Feature> &list, const std::string &name) {
    for (const Feature &f : list)
        if (f.name == name)
            return &f;
    return nullptr;
}

SystemFeatures probe_system_features() {
    SystemFeatures s;
    utsname u{};
    s.kernel_release = ::uname(&u) == 0 ? u.release : "unknown";
    bool btf = ::access("/sys/kernel/btf/vmlinux", R_OK) == 0;
    s.btf = {"btf", btf,
             btf ? "/sys/kernel/btf/vmlinux" : "/sys/kernel/btf/vmlinux: " + errnoText(errno)};
    s.program_types = programTypes();
    s.map_types = mapTypes();
    s.features = runtimeFeatures();
    s.capabilities = capabilities();
    s.mounts = mounts();
    Result<std::string> tracefs = detail::Tracefs::ensureMounted();
    bool kprobe_events = tracefs.ok() && ::access((*tracefs + "/kprobe_events").c_str(), F_OK) == 0;
    s.attach_types = detail::probeAttachTypes(kprobe_events);
    s.cache = cacheState();
    s.compiler = find_compiler();
    s.libbpf_version = libbpf_version_string();
    return s;
}

} // namespace jitprobe
