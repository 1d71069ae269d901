// Script::run: release the command, pump perf/ring buffers and printk until the end
// condition, then drain.
//
// Printk rule: the probes' bpf_trace_printk calls are records on their own hidden ring buffer
// (PrintkPass), so a run sees exactly its probes' lines, and a printed string cannot forge a
// line. Only with RunOptions::host_trace_pipe, for probes built with JITPROBE_TRACE_PIPE_PRINTK,
// is the host's trace_pipe read (a tracefs instance of this run, opened before the command is
// released): there, lines of other BPF programs in the same window cannot be told apart.
#include "RingLosses.h"
#include "ScriptParts.h"
#include "output/EventPlan.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include <algorithm>
#include <thread>

#include <poll.h>
#include <sys/resource.h>

namespace jitprobe {
namespace {
// Process-wide stop request (signal handlers): sticky, so a signal during compile also ends
// the run that follows.
std::atomic<bool> g_stop_all{false};
constexpr int kPollSliceMs = 50;
constexpr int kStackPollSliceMs = 10; // short-lived commands: snapshot their maps often
constexpr int kDrainPrintkMs = 150; // trace_pipe lines can trail the event that caused them

struct EventSink {
    const RunOptions &options;
    void emit(Record r) const {
        if (options.on_event)
            options.on_event(r);
    }
};

// One event buffer's consumer: its plan (compiled once) and the line buffer reused per event.
struct EventConsumer {
    const RunOptions &options;
    std::string name;
    EventPlan plan;
    std::string line, prefix; // prefix: {"type":"event","map":NAME,"data":
    std::uint64_t *delivered;

    void operator()(const void *data, std::size_t size) {
        ++*delivered;
        if (!options.on_event_json) {
            EventSink{options}.emit(EventRecord{name, plan.decode(data, size)});
            return;
        }
        line.assign(prefix);
        plan.append_json(line, data, size);
        line += '}';
        options.on_event_json(line);
    }
};

std::shared_ptr<EventConsumer> makeConsumer(const struct btf *btf, const frontend::MapSpec &spec,
                                            const RunOptions &options, std::uint64_t &delivered) {
    auto consumer = std::make_shared<EventConsumer>(
        EventConsumer{options, spec.name, EventPlan::compile(btf, spec.event_type), {}, {}, &delivered});
    std::string open = render_json_line(EventRecord{spec.name, Value::null()});
    consumer->prefix = open.substr(0, open.size() - std::string_view("null}").size());
    consumer->line.reserve(4096);
    return consumer;
}

Status openBuffers(BPF &bpf, const RunOptions &options, std::uint64_t &delivered) {
    const struct btf *btf = bpf.raw_object() ? bpf_object__btf(bpf.raw_object()) : nullptr;
    for (const frontend::MapSpec &spec : bpf.program_info().maps) {
        if (spec.kind != "perf_output" && spec.kind != "ringbuf")
            continue;
        std::shared_ptr<EventConsumer> consume = makeConsumer(btf, spec, options, delivered);
        std::string name = spec.name;
        Status s;
        if (spec.kind == "perf_output") {
            s = bpf.open_perf_buffer(
                name, [consume](int, void *data, uint32_t size) { (*consume)(data, size); },
                [name, &options](int, uint64_t lost) { EventSink{options}.emit(LostRecord{name, lost}); });
        } else {
            s = bpf.open_ring_buffer(name, [consume](void *data, std::size_t size) {
                (*consume)(data, size);
                return 0;
            });
        }
        if (!s.ok())
            return s;
    }
    return Status::OK();
}

// Ring-buffer drops (RingLosses.h), reported once at the end of a run.
void reportRingBufferLosses(BPF &bpf, const RunOptions &options) {
    for (const auto &[name, total] : ring_buffer_losses(bpf))
        if (total > 0)
            EventSink{options}.emit(LostRecord{name, total});
}

bool hasBuffers(const BPF &bpf, const char *kind) {
    for (const frontend::MapSpec &spec : bpf.program_info().maps)
        if (spec.kind == kind)
            return true;
    return false;
}

bool hasStackMaps(const BPF &bpf) { return hasBuffers(bpf, "stack_trace"); }

} // namespace

void Script::stop() { impl_->stop_requested.store(true); }
void Script::stop_all() { g_stop_all.store(true); }
bool stopAllRequested() {
    return g_stop_all.load();
}
bool Script::Impl::stopRequested() const {
    return stop_requested.load() || g_stop_all.load();
}

namespace {
// Buffers under a flood: the kernel wakes a waiting consumer for the first record after it
// caught up (perf buffers: for every record), so waiting in epoll after every small batch costs
// a wake-up per few records. After a batch of kBusyBatch records or more, nap kNap and take what
// piled up instead (without waiting): one wake-up per nap. At 2 M records/s a nap gathers ~500
// records, ~80 KiB of a default 1 MiB ring; a smaller batch means the flood is over and epoll
// takes over again.
class BufferPacer {
  public:
    static constexpr int kBusyBatch = 4;
    static constexpr std::chrono::microseconds kNap{250};
    BufferPacer(bool perf, bool ring) : perf_(perf), ring_(ring) {}
    bool any() const { return perf_ || ring_; }
    void pump(BPF &bpf, int wait_ms) {
        int n = 0;
        if (napping_)
            std::this_thread::sleep_for(kNap);
        if (perf_)
            n += std::max(0, bpf.poll_perf_buffers(napping_ ? 0 : wait_ms));
        if (ring_)
            n += std::max(0, napping_ ? bpf.consume_ring_buffer() : bpf.poll_ring_buffer(perf_ ? 0 : wait_ms));
        napping_ = n >= kBusyBatch;
    }

  private:
    bool perf_, ring_;
    bool napping_ = false;
};

// One slice of the run loop: buffers (waiting up to WAIT_MS), then printk without waiting.
// Without buffers the wait ends early when EXIT_FD (the command's pidfd) says it exited.
void pumpOnce(BPF &bpf, PrintkStreams &printk, const RunOptions &options, BufferPacer &buffers,
              int wait_ms, int exit_fd = -1) {
    if (buffers.any()) {
        buffers.pump(bpf, wait_ms);
    } else {
        pollfd exited{exit_fd, POLLIN, 0};
        if (exit_fd < 0 || ::poll(&exited, 1, wait_ms) < 0)
            std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms));
    }
    printk.pump(options, 0);
    if (options.on_batch)
        options.on_batch();
}

struct ThreadUsage {
    double cpu_ms = 0;
    std::uint64_t voluntary_switches = 0;
    static ThreadUsage now() {
        rusage ru{};
        ::getrusage(RUSAGE_THREAD, &ru);
        auto ms = [](const timeval &tv) { return tv.tv_sec * 1000.0 + tv.tv_usec / 1000.0; };
        return {ms(ru.ru_utime) + ms(ru.ru_stime), static_cast<std::uint64_t>(ru.ru_nvcsw)};
    }
};
} // namespace

Status Script::run(const RunOptions &options) {
    Impl &impl = *impl_;
    if (!impl.attached)
        return Status(EINVAL, "run: attach_all() first");
    std::uint64_t delivered = 0;
    if (Status s = openBuffers(impl.bpf, options, delivered); !s.ok())
        return s;
    PrintkStreams printk;
    if (Status s = printk.open(impl.bpf, options); !s.ok())
        return s;
    bool perf = hasBuffers(impl.bpf, "perf_output"), ring = hasBuffers(impl.bpf, "ringbuf");
    bool stacks = hasStackMaps(impl.bpf);

    using Clock = std::chrono::steady_clock;
    auto start = Clock::now(), last_interval = start;
    ThreadUsage usage0 = ThreadUsage::now();
    BufferPacer buffers(perf, ring);
    if (impl.command)
        if (Status s = impl.command->release(); !s.ok())
            return s;
    for (;;) {
        if (impl.stop_requested.load() || g_stop_all.load())
            break;
        if (options.duration_s > 0 && msSince(start) >= options.duration_s * 1000)
            break;
        if (impl.command && impl.command->poll_exited())
            break;
        if (stacks)
            impl.snapshot_maps(); // user stacks outlive the command: keep its memory map
        pumpOnce(impl.bpf, printk, options, buffers, stacks ? kStackPollSliceMs : kPollSliceMs,
                 impl.command ? impl.command->exit_fd() : -1);
        if (options.interval_s > 0 && msSince(last_interval) >= options.interval_s * 1000) {
            if (options.on_interval)
                options.on_interval(impl.build_results(options.symbolize_stacks));
            if (options.clear)
                (void)clear_maps();
            last_interval = Clock::now();
        }
    }
    if (impl.command)
        impl.command->terminate(); // duration or signal: do not leave the command behind
    // The run is over: detach now, on a background thread, while the buffers are drained and
    // the results read and printed; the links' RCU waits no longer come after all of that.
    // BPF's destructor joins it, so no link outlives the process.
    impl.bpf.detach_all_in_background();
    pumpOnce(impl.bpf, printk, options, buffers, 0);
    if (ring)
        reportRingBufferLosses(impl.bpf, options);
    printk.pump(options, options.host_trace_pipe ? kDrainPrintkMs : 0);
    if (options.on_batch)
        options.on_batch();
    impl.times.run_ms = msSince(start);
    ThreadUsage usage1 = ThreadUsage::now();
    impl.times.run_cpu_ms = usage1.cpu_ms - usage0.cpu_ms;
    impl.times.run_wakeups = usage1.voluntary_switches - usage0.voluntary_switches;
    impl.times.run_events = delivered;
    return Status::OK();
}

} // namespace jitprobe
