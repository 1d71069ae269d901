// Event buffers: BPF_PERF_OUTPUT (perf event arrays) and BPF_RINGBUF_OUTPUT (ring buffers),
// opened and polled through jitprobe::BPF (open_perf_buffer / open_ring_buffer).
//
// Sizing: perf buffers default to 256 pages per CPU (1 MiB). BCC's 8 pages lose ~80% of a
// ~200k events/s burst on 2 cores; 256 pages lose none.
//
// Thread-safety: callbacks run on the thread that polls. One thread may poll a buffer while
// others read tables; do not open/close buffers concurrently with polling.
#pragma once
#include "jitprobe/Status.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

namespace jitprobe {

inline constexpr int kDefaultPerfBufferPageCount = 256;

// BCC's callback shapes (perf_reader_raw_cb / perf_reader_lost_cb).
using perf_reader_raw_cb = void (*)(void *cb_cookie, void *raw, int raw_size);
using perf_reader_lost_cb = void (*)(void *cb_cookie, uint64_t lost);
// libbpf's ring_buffer_sample_fn shape: return non-zero to stop consuming.
using ring_buffer_raw_cb = int (*)(void *ctx, void *data, size_t size);

// std::function shapes. CPU is the CPU that produced the record / lost the events.
using PerfEventCallback = std::function<void(int cpu, void *data, uint32_t size)>;
using PerfLostCallback = std::function<void(int cpu, uint64_t lost)>;
using RingBufferCallback = std::function<int(void *data, size_t size)>;

// One ring buffer record handed to a batch callback: valid until the callback returns.
struct RingRecord {
    const void *data;
    size_t size;
};
// Batch form (open_ring_buffer_batch): once per poll/consume that found records, all of them,
// in ring order. The records are copied out of the ring as they are read (libbpf gives the
// space back to the kernel after each record), into a buffer reused from batch to batch; a
// batch is cut at 4 MiB of records.
using RingBufferBatchCallback = std::function<void(std::span<const RingRecord> records)>;

// One perf event array map with a ring per CPU.
class BPFPerfBuffer {
  public:
    ~BPFPerfBuffer();
    BPFPerfBuffer(const BPFPerfBuffer &) = delete;
    BPFPerfBuffer &operator=(const BPFPerfBuffer &) = delete;

    // Waits up to TIMEOUT_MS (-1: forever, 0: no wait) and runs the callbacks for what arrived.
    // Returns the number of records handled, or a negative errno (-EINTR on a signal).
    int poll(int timeout_ms);
    // Handles whatever is pending without waiting; same return convention.
    int consume();
    const std::string &name() const;
    uint64_t lost_total() const;     // events the kernel dropped so far
    uint64_t received_total() const; // records delivered to the callback so far
    int epoll_fd() const;            // for integrating into the caller's own event loop

  private:
    friend class BPF;
    struct Impl;
    explicit BPFPerfBuffer(std::unique_ptr<Impl> impl);
    static Result<std::unique_ptr<BPFPerfBuffer>> open(int map_fd, const std::string &name,
                                                       PerfEventCallback on_event,
                                                       PerfLostCallback on_lost, int page_cnt);
    std::unique_ptr<Impl> impl_;
};

// All ring buffer maps of a BPF object share one epoll set (libbpf's ring_buffer manager).
class BPFRingBuffer {
  public:
    ~BPFRingBuffer();
    BPFRingBuffer(const BPFRingBuffer &) = delete;
    BPFRingBuffer &operator=(const BPFRingBuffer &) = delete;

    int poll(int timeout_ms); // records handled or a negative errno
    int consume();
    int epoll_fd() const;

  private:
    friend class BPF;
    struct Impl;
    BPFRingBuffer();
    Status add(int map_fd, const std::string &name, RingBufferCallback on_event,
               RingBufferBatchCallback on_batch = {});
    void deliverBatches();
    bool has(const std::string &name) const;
    bool empty() const; // no ring added yet (the first add failed)
    std::unique_ptr<Impl> impl_;
};

} // namespace jitprobe
