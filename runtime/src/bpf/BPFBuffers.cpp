// BPF's buffer methods: open, poll and close the perf and ring buffers it owns.
#include "BPFImpl.h"
#include "jitprobe/TracePipe.h"

#include "jitprobe/common/Errors.h"
#include "libbpf/LibbpfLog.h"

#include <poll.h>

#include <atomic>
#include <cerrno>

namespace jitprobe {

namespace {
Result<int> bufferMapFd(BPF &bpf, const std::string &name, uint32_t want_type,
                        const char *want_desc) {
    BPFTableRaw table = bpf.get_raw_table(name);
    if (!table.valid())
        return table.status();
    if (table.map_type() != want_type)
        return Status(EINVAL, "map '" + name + "' is a " + table.map_type_name() +
                                  " map, not a " + want_desc);
    return table.fd();
}
} // namespace

Status BPF::open_perf_buffer(const std::string &name, perf_reader_raw_cb cb,
                             perf_reader_lost_cb lost_cb, void *cb_cookie, int page_cnt) {
    PerfEventCallback on_event;
    if (cb)
        on_event = [cb, cb_cookie](int, void *data, uint32_t size) {
            cb(cb_cookie, data, static_cast<int>(size));
        };
    PerfLostCallback on_lost;
    if (lost_cb)
        on_lost = [lost_cb, cb_cookie](int, uint64_t lost) { lost_cb(cb_cookie, lost); };
    return open_perf_buffer(name, std::move(on_event), std::move(on_lost), page_cnt);
}

Status BPF::open_perf_buffer(const std::string &name, PerfEventCallback cb,
                             PerfLostCallback lost_cb, int page_cnt) {
    if (impl_->perf_buffers.count(name))
        return Status(EEXIST, "perf buffer '" + name + "' is already open");
    auto fd = bufferMapFd(*this, name, BPF_MAP_TYPE_PERF_EVENT_ARRAY,
                          "perf event array (BPF_PERF_OUTPUT)");
    if (!fd.ok())
        return fd.status();
    auto buffer = BPFPerfBuffer::open(fd.value(), name, std::move(cb), std::move(lost_cb), page_cnt);
    if (!buffer.ok())
        return buffer.status();
    impl_->perf_buffers.emplace(name, std::move(buffer.value()));
    return Status::OK();
}

Status BPF::close_perf_buffer(const std::string &name) {
    if (impl_->perf_buffers.erase(name) == 0)
        return Status(ENOENT, "perf buffer '" + name + "' is not open");
    return Status::OK();
}

BPFPerfBuffer *BPF::get_perf_buffer(const std::string &name) {
    auto it = impl_->perf_buffers.find(name);
    return it == impl_->perf_buffers.end() ? nullptr : it->second.get();
}

int BPF::poll_perf_buffer(const std::string &name, int timeout_ms) {
    BPFPerfBuffer *buffer = get_perf_buffer(name);
    return buffer ? buffer->poll(timeout_ms) : -ENOENT;
}

int BPF::poll_perf_buffers(int timeout_ms) {
    std::vector<pollfd> fds;
    for (const auto &[name, buffer] : impl_->perf_buffers)
        fds.push_back({buffer->epoll_fd(), POLLIN, 0});
    if (fds.empty())
        return -ENOENT;
    if (::poll(fds.data(), fds.size(), timeout_ms) < 0)
        return -errno;
    int total = 0;
    for (const auto &[name, buffer] : impl_->perf_buffers) {
        int n = buffer->consume();
        if (n < 0)
            return n;
        total += n;
    }
    return total;
}

Status BPF::open_ring_buffer(const std::string &name, ring_buffer_raw_cb cb, void *ctx) {
    RingBufferCallback on_event;
    if (cb)
        on_event = [cb, ctx](void *data, size_t size) { return cb(ctx, data, size); };
    return open_ring_buffer(name, std::move(on_event));
}

Status BPF::open_ring_buffer(const std::string &name, RingBufferCallback cb) {
    return openRing(name, std::move(cb), {});
}

Status BPF::open_ring_buffer_batch(const std::string &name, RingBufferBatchCallback cb) {
    if (!cb)
        return Status(EINVAL, "ring buffer '" + name + "': no batch callback");
    return openRing(name, {}, std::move(cb));
}

Status BPF::openRing(const std::string &name, RingBufferCallback cb, RingBufferBatchCallback batch) {
    if (impl_->ring_buffer && impl_->ring_buffer->has(name))
        return Status(EEXIST, "ring buffer '" + name + "' is already open");
    auto fd = bufferMapFd(*this, name, BPF_MAP_TYPE_RINGBUF, "ring buffer (BPF_RINGBUF_OUTPUT)");
    if (!fd.ok())
        return fd.status();
    if (!impl_->ring_buffer)
        impl_->ring_buffer.reset(new BPFRingBuffer());
    Status s = impl_->ring_buffer->add(fd.value(), name, std::move(cb), std::move(batch));
    if (!s.ok() && impl_->ring_buffer->empty())
        impl_->ring_buffer.reset();
    return s;
}

int BPF::poll_ring_buffer(int timeout_ms) {
    return impl_->ring_buffer ? impl_->ring_buffer->poll(timeout_ms) : -ENOENT;
}

int BPF::consume_ring_buffer() {
    return impl_->ring_buffer ? impl_->ring_buffer->consume() : -ENOENT;
}

BPFRingBuffer *BPF::get_ring_buffer() { return impl_->ring_buffer.get(); }


// TracePipe's private stream lives in the BPF object (PrintkPass's hidden ring buffer).
Status TracePipe::open(const BPF &bpf) {
    struct bpf_object *obj = bpf.raw_object();
    struct bpf_map *ring = obj ? bpf_object__find_map_by_name(obj, "__jp_printk_ring") : nullptr;
    if (!ring || bpf.program_info().printk_formats.empty())
        return Status(EINVAL, "trace pipe: no probe of this BPF object calls bpf_trace_printk "
                              "(or it was built with JITPROBE_TRACE_PIPE_PRINTK: use open())");
    struct bpf_map *lost = bpf_object__find_map_by_name(obj, ".data.jp_printk");
    int lost_fd = lost && bpf_map__value_size(lost) == sizeof(std::uint64_t) ? bpf_map__fd(lost) : -1;
    return open_ring(bpf_map__fd(ring), lost_fd, bpf.program_info().printk_formats);
}

} // namespace jitprobe
