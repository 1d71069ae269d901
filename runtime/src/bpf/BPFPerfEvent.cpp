// BPF_PERF_ARRAY counters (BCC's open_perf_event): one perf event per CPU, its fd stored in the
// array slot of that CPU, so bpf_perf_event_read(&map, BPF_F_CURRENT_CPU) reads the local one.
#include "BPFImpl.h"

#include "jitprobe/common/Errors.h"

#include <bpf/bpf.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace jitprobe {
namespace {

int openCounter(uint32_t type, uint64_t config, pid_t pid, int cpu) {
    perf_event_attr attr{};
    attr.size = sizeof(attr);
    attr.type = type;
    attr.config = config;
    return static_cast<int>(
        ::syscall(__NR_perf_event_open, &attr, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC));
}

} // namespace

Status BPF::open_perf_event(const std::string &name, uint32_t type, uint64_t config, pid_t pid) {
    if (impl_->perf_event_fds.count(name))
        return Status(EEXIST, "map '" + name + "': perf events are already open");
    BPFTableRaw table = get_raw_table(name);
    if (!table.valid())
        return table.status();
    if (table.map_type() != BPF_MAP_TYPE_PERF_EVENT_ARRAY)
        return Status(EINVAL, "map '" + name + "' is not a BPF_PERF_ARRAY");
    int cpus = libbpf_num_possible_cpus();
    std::vector<common::UniqueFd> fds;
    for (int cpu = 0; cpu < cpus && cpu < static_cast<int>(table.max_entries()); cpu++) {
        int fd = openCounter(type, config, pid, cpu);
        if (fd < 0 && errno == ENODEV)
            continue; // an offline CPU
        if (fd < 0) {
            int err = errno;
            return Status(err, "map '" + name + "': perf_event_open(type " + std::to_string(type) +
                                   ", config " + std::to_string(config) + ", cpu " +
                                   std::to_string(cpu) + "): " + detail::errnoText(err));
        }
        fds.emplace_back(fd);
        uint32_t key = static_cast<uint32_t>(cpu);
        if (Status s = table.update(&key, &fd); !s.ok())
            return s;
    }
    impl_->perf_event_fds[name] = std::move(fds);
    return Status::OK();
}

Status BPF::close_perf_event(const std::string &name) {
    auto it = impl_->perf_event_fds.find(name);
    if (it == impl_->perf_event_fds.end())
        return Status(ENOENT, "map '" + name + "': no perf events are open");
    BPFTableRaw table = get_raw_table(name);
    for (uint32_t key = 0; table.valid() && key < table.max_entries(); key++)
        (void)table.remove(&key);
    impl_->perf_event_fds.erase(it); // closes the events
    return Status::OK();
}

} // namespace jitprobe
