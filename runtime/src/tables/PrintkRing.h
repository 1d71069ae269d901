// TracePipe's private-stream reader (shared by TracePipe.cpp and PrintkRing.cpp).
#pragma once
#include "jitprobe/TracePipe.h"

#include "jitprobe/common/PrintkFormat.h"
#include "jitprobe/common/UniqueFd.h"

#include <bpf/libbpf.h>

#include <cstring>

#include <unistd.h>

namespace jitprobe {

struct TracePipe::Ring {
    struct ring_buffer *reader = nullptr;
    common::UniqueFd lost_fd; // our duplicate of the one-slot array of __jp_printk_lost
    std::uint64_t lost_seen = 0;
    std::uint64_t malformed = 0; // records too short for their format, or unknown ids
    std::vector<std::string> formats;
    std::vector<common::PrintkFormat> parsed;
    std::vector<TraceLine> pending;

    ~Ring() {
        ring_buffer__free(reader);
    }

    static int onRecord(void *ctx, void *data, size_t size) {
        auto &ring = *static_cast<Ring *>(ctx);
        const auto *bytes = static_cast<const std::uint8_t *>(data);
        common::PrintkHead head{};
        TraceLine line;
        if (size < sizeof head) {
            ++ring.malformed;
            return 0;
        }
        std::memcpy(&head, bytes, sizeof head);
        if (head.id >= ring.formats.size() ||
            !common::formatPrintk(ring.formats[head.id], ring.parsed[head.id], bytes, size, line.msg)) {
            ++ring.malformed;
            return 0;
        }
        line.task = std::string(head.comm, strnlen(head.comm, sizeof head.comm));
        line.pid = static_cast<int>(head.tid);
        line.cpu = static_cast<int>(head.cpu);
        line.timestamp = static_cast<double>(head.ts_ns) / 1e9;
        ring.pending.push_back(std::move(line));
        // A negative return stops libbpf's loop: one read takes a bounded batch under a flood.
        return ring.pending.size() >= kMaxLinesPerRead ? -1 : 0;
    }
};

} // namespace jitprobe
