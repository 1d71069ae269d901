// Perf event array and ring buffer consumers (libbpf perf_buffer / ring_buffer), owned by BPF.
#include "BPFImpl.h"

#include "text/Errors.h"
#include "LibbpfLog.h"

#include <poll.h>

#include <atomic>
#include <cerrno>

namespace jitprobe {

struct BPFPerfBuffer::Impl {
    std::string name;
    PerfEventCallback on_event;
    PerfLostCallback on_lost;
    perf_buffer *buffer = nullptr;
    std::atomic<uint64_t> lost{0}, received{0};

    ~Impl() {
        if (buffer)
            perf_buffer__free(buffer);
    }
    static void sample(void *ctx, int cpu, void *data, __u32 size) {
        auto *self = static_cast<Impl *>(ctx);
        self->received.fetch_add(1, std::memory_order_relaxed);
        if (self->on_event)
            self->on_event(cpu, data, size);
    }
    static void lostEvents(void *ctx, int cpu, __u64 count) {
        auto *self = static_cast<Impl *>(ctx);
        self->lost.fetch_add(count, std::memory_order_relaxed);
        if (self->on_lost)
            self->on_lost(cpu, count);
    }
};

BPFPerfBuffer::BPFPerfBuffer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
BPFPerfBuffer::~BPFPerfBuffer() = default;

Result<std::unique_ptr<BPFPerfBuffer>>
BPFPerfBuffer::open(int map_fd, const std::string &name, PerfEventCallback on_event,
                    PerfLostCallback on_lost, int page_cnt) {
    if (page_cnt <= 0 || (page_cnt & (page_cnt - 1)) != 0)
        return Status(EINVAL, "perf buffer '" + name + "': page_cnt " + std::to_string(page_cnt) +
                                  " is not a power of two");
    auto impl = std::make_unique<Impl>();
    impl->name = name;
    impl->on_event = std::move(on_event);
    impl->on_lost = std::move(on_lost);
    detail::LibbpfLogCapture capture;
    impl->buffer = perf_buffer__new(map_fd, page_cnt, &Impl::sample, &Impl::lostEvents,
                                    impl.get(), nullptr);
    if (!impl->buffer) {
        int err = errno;
        return Status(err, "perf buffer '" + name + "': cannot open (" +
                               std::to_string(page_cnt) + " pages per CPU): " +
                               detail::errnoText(err) + capture.summary());
    }
    return std::unique_ptr<BPFPerfBuffer>(new BPFPerfBuffer(std::move(impl)));
}

// libbpf returns the number of rings with data; callers want records.
int BPFPerfBuffer::poll(int timeout_ms) {
    uint64_t before = impl_->received.load();
    int err = perf_buffer__poll(impl_->buffer, timeout_ms);
    return err < 0 ? err : static_cast<int>(impl_->received.load() - before);
}
int BPFPerfBuffer::consume() {
    uint64_t before = impl_->received.load();
    int err = perf_buffer__consume(impl_->buffer);
    return err < 0 ? err : static_cast<int>(impl_->received.load() - before);
}
const std::string &BPFPerfBuffer::name() const { return impl_->name; }
uint64_t BPFPerfBuffer::lost_total() const { return impl_->lost.load(); }
uint64_t BPFPerfBuffer::received_total() const { return impl_->received.load(); }
int BPFPerfBuffer::epoll_fd() const { return perf_buffer__epoll_fd(impl_->buffer); }

struct BPFRingBuffer::Impl {
    struct Slot {
        std::string name;
        RingBufferCallback on_event;
    };
    ring_buffer *manager = nullptr;
    std::vector<std::unique_ptr<Slot>> slots; // stable addresses: libbpf holds them as ctx

    ~Impl() {
        if (manager)
            ring_buffer__free(manager);
    }
    static int sample(void *ctx, void *data, size_t size) {
        auto *slot = static_cast<Slot *>(ctx);
        return slot->on_event ? slot->on_event(data, size) : 0;
    }
};

BPFRingBuffer::BPFRingBuffer() : impl_(std::make_unique<Impl>()) {}
BPFRingBuffer::~BPFRingBuffer() = default;

bool BPFRingBuffer::has(const std::string &name) const {
    for (const auto &slot : impl_->slots)
        if (slot->name == name)
            return true;
    return false;
}

Status BPFRingBuffer::add(int map_fd, const std::string &name, RingBufferCallback on_event) {
    auto slot = std::make_unique<Impl::Slot>(Impl::Slot{name, std::move(on_event)});
    detail::LibbpfLogCapture capture;
    int err = 0;
    if (!impl_->manager) {
        impl_->manager = ring_buffer__new(map_fd, &Impl::sample, slot.get(), nullptr);
        err = impl_->manager ? 0 : errno;
    } else {
        err = -ring_buffer__add(impl_->manager, map_fd, &Impl::sample, slot.get());
    }
    if (err)
        return Status(err, "ring buffer '" + name + "': cannot open: " + detail::errnoText(err) +
                               capture.summary());
    impl_->slots.push_back(std::move(slot));
    return Status::OK();
}

int BPFRingBuffer::poll(int timeout_ms) { return ring_buffer__poll(impl_->manager, timeout_ms); }
int BPFRingBuffer::consume() { return ring_buffer__consume(impl_->manager); }
int BPFRingBuffer::epoll_fd() const { return ring_buffer__epoll_fd(impl_->manager); }

// --- BPF's buffer methods ---

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
    if (impl_->ring_buffer && impl_->ring_buffer->has(name))
        return Status(EEXIST, "ring buffer '" + name + "' is already open");
    auto fd = bufferMapFd(*this, name, BPF_MAP_TYPE_RINGBUF, "ring buffer (BPF_RINGBUF_OUTPUT)");
    if (!fd.ok())
        return fd.status();
    if (!impl_->ring_buffer)
        impl_->ring_buffer.reset(new BPFRingBuffer());
    Status s = impl_->ring_buffer->add(fd.value(), name, std::move(cb));
    if (!s.ok() && !impl_->ring_buffer->impl_->manager)
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

} // namespace jitprobe
