// ring_buffer_losses (see RingLosses.h).
#include "RingLosses.h"

#include "jitprobe/BPF.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <vector>

namespace jitprobe {

std::map<std::string, std::uint64_t> ring_buffer_losses(BPF &bpf) {
    std::map<std::string, std::uint64_t> out;
    struct bpf_map *map = bpf.raw_object() ? bpf_object__find_map_by_name(bpf.raw_object(), ".data.jp_lost") : nullptr;
    std::vector<std::uint64_t> lost(map ? bpf_map__value_size(map) / sizeof(std::uint64_t) : 0);
    std::uint32_t slot = 0;
    if (lost.empty() || bpf_map_lookup_elem(bpf_map__fd(map), &slot, lost.data()) != 0)
        return out;
    std::size_t index = 0;
    for (const frontend::MapSpec &spec : bpf.program_info().maps)
        if (spec.kind == "ringbuf") {
            out[spec.name] = index < lost.size() ? lost[index] : 0;
            ++index;
        }
    return out;
}

} // namespace jitprobe
