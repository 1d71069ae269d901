// Perf event array and ring buffer consumers (libbpf perf_buffer / ring_buffer), owned by BPF.
#include "jitprobe/PerfBuffer.h"
#include "jitprobe/BPFTable.h"

#include <bpf/libbpf.h>

#include <cstring>

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
        RingBufferBatchCallback on_batch;
        // Batch form: records copied out of the ring (8-byte aligned) and their places.
        std::vector<std::uint64_t> arena;
        std::vector<std::pair<std::size_t, std::size_t>> places; // (offset in words, size)
        std::vector<RingRecord> records;

        void deliver() {
            if (places.empty())
                return;
            records.clear();
            for (auto [offset, size] : places)
                records.push_back({arena.data() + offset, size});
            on_batch(std::span<const RingRecord>(records));
            places.clear();
            arena.clear();
        }
    };
    static constexpr std::size_t kMaxBatchWords = (4u << 20) / sizeof(std::uint64_t);
    ring_buffer *manager = nullptr;
    std::vector<std::unique_ptr<Slot>> slots; // stable addresses: libbpf holds them as ctx

    ~Impl() {
        if (manager)
            ring_buffer__free(manager);
    }
    static int sample(void *ctx, void *data, size_t size) {
        auto *slot = static_cast<Slot *>(ctx);
        if (slot->on_batch) {
            std::size_t words = (size + 7) / 8, offset = slot->arena.size();
            slot->arena.resize(offset + words);
            std::memcpy(slot->arena.data() + offset, data, size);
            slot->places.emplace_back(offset, size);
            if (slot->arena.size() >= kMaxBatchWords)
                slot->deliver();
            return 0;
        }
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

Status BPFRingBuffer::add(int map_fd, const std::string &name, RingBufferCallback on_event,
                          RingBufferBatchCallback on_batch) {
    auto slot = std::make_unique<Impl::Slot>();
    slot->name = name;
    slot->on_event = std::move(on_event);
    slot->on_batch = std::move(on_batch);
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

void BPFRingBuffer::deliverBatches() {
    for (auto &slot : impl_->slots)
        if (slot->on_batch)
            slot->deliver();
}

int BPFRingBuffer::poll(int timeout_ms) {
    int n = ring_buffer__poll(impl_->manager, timeout_ms);
    deliverBatches();
    return n;
}
int BPFRingBuffer::consume() {
    int n = ring_buffer__consume(impl_->manager);
    deliverBatches();
    return n;
}
int BPFRingBuffer::epoll_fd() const { return ring_buffer__epoll_fd(impl_->manager); }

} // namespace jitprobe
