// TracePipe's private stream: records of rewritten bpf_trace_printk calls, read from the
// probes' hidden ring buffer and formatted with their format strings (PrintkFormat.h).
#include "PrintkRing.h"

#include "jitprobe/common/Errors.h"
#include "jitprobe/common/PrintkFormat.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <fcntl.h>
#include <cstring>

namespace jitprobe {

Status TracePipe::open_ring(int ring_fd, int lost_fd, const std::vector<std::string> &formats) {
    auto ring = std::make_unique<Ring>();
    ring->formats = formats;
    for (const auto &f : formats)
        ring->parsed.push_back(common::parsePrintkFormat(f));
    // Duplicated (and the ring buffer mmapped): this reader may outlive the BPF object.
    ring->lost_fd.reset(lost_fd >= 0 ? ::fcntl(lost_fd, F_DUPFD_CLOEXEC, 0) : -1);
    ring->reader = ring_buffer__new(ring_fd, &Ring::onRecord, ring.get(), nullptr);
    if (!ring->reader)
        return detail::errnoStatus(errno, "cannot read the printk ring buffer");
    close();
    ring_ = std::move(ring);
    return Status::OK();
}

Result<std::vector<TraceLine>> TracePipe::read_ring(int timeout_ms) {
    int n = ring_buffer__poll(ring_->reader, timeout_ms);
    if (n < 0 && n != -1 && n != -EINTR) // -1: onRecord stopped the batch
        return Status(-n, std::string("reading the printk ring buffer failed: ") + std::strerror(-n));
    return std::exchange(ring_->pending, {});
}

std::uint64_t TracePipe::take_lost() {
    std::uint64_t lost = std::exchange(lost_, 0);
    if (!ring_)
        return lost;
    std::uint32_t slot = 0;
    std::uint64_t total = 0;
    if (ring_->lost_fd && bpf_map_lookup_elem(ring_->lost_fd.get(), &slot, &total) == 0 &&
        total > ring_->lost_seen) {
        lost += total - ring_->lost_seen;
        ring_->lost_seen = total;
    }
    return lost + std::exchange(ring_->malformed, 0);
}

int TracePipe::fd() const { return ring_ ? ring_buffer__epoll_fd(ring_->reader) : fd_; }

bool TracePipe::is_open() const { return fd_ >= 0 || ring_ != nullptr; }

} // namespace jitprobe
