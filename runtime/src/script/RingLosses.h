// Records the kernel dropped because a ring buffer was full: the rewritten ringbuf_output /
// ringbuf_reserve count them per ring buffer in the hidden global __jp_ringbuf_lost[], which
// libbpf keeps in the one-slot array map of its section, ".data.jp_lost".
#pragma once
#include <cstdint>
#include <map>
#include <string>

namespace jitprobe {
class BPF;

// Each ring buffer's drops so far (cumulative), by map name; empty when the object has none.
std::map<std::string, std::uint64_t> ring_buffer_losses(BPF &bpf);
} // namespace jitprobe
