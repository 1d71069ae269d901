// Perf event array and ring buffer consumers (libbpf perf_buffer / ring_buffer), owned by BPF.
#include "jitprobe/PerfBuffer.h"
#include "jitprobe/BPFTable.h"

#include <bpf/libbpf.h>

#include "jitprobe/common/Errors.h"
#include "libbpf/LibbpfLog.h"

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

bool BPFRingBuffer::empty() const { return impl_->manager == nullptr; }

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

} // namespace jitprobe
