// Script::run: release the command, pump perf/ring buffers and printk until the end
// condition, then drain.
//
// Printk rule: the probes' bpf_trace_printk calls are records on their own hidden ring buffer
// (PrintkPass), so a run sees exactly its probes' lines, and a printed string cannot forge a
// line. Only with RunOptions::host_trace_pipe, for probes built with JITPROBE_TRACE_PIPE_PRINTK,
// is the host's trace_pipe read (a tracefs instance of this run, opened before the command is
// released): there, lines of other BPF programs in the same window cannot be told apart.
#include "ScriptParts.h"
#include "output/EventPlan.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include <thread>

#include <poll.h>

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

    void operator()(const void *data, std::size_t size) {
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
                                            const RunOptions &options) {
    auto consumer = std::make_shared<EventConsumer>(
        EventConsumer{options, spec.name, EventPlan::compile(btf, spec.event_type), {}, {}});
    std::string open = render_json_line(EventRecord{spec.name, Value::null()});
    consumer->prefix = open.substr(0, open.size() - std::string_view("null}").size());
    consumer->line.reserve(4096);
    return consumer;
}

Status openBuffers(BPF &bpf, const RunOptions &options) {
    const struct btf *btf = bpf.raw_object() ? bpf_object__btf(bpf.raw_object()) : nullptr;
    for (const frontend::MapSpec &spec : bpf.program_info().maps) {
        if (spec.kind != "perf_output" && spec.kind != "ringbuf")
            continue;
        std::shared_ptr<EventConsumer> consume = makeConsumer(btf, spec, options);
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

// Records the kernel dropped because a ring buffer was full: the rewritten ringbuf_output /
// ringbuf_reserve count them per ring buffer in the hidden global __jp_ringbuf_lost[], which
// libbpf keeps in the one-slot array map of its section, ".data.jp_lost".
void reportRingBufferLosses(BPF &bpf, const RunOptions &options) {
    struct bpf_map *map = bpf_object__find_map_by_name(bpf.raw_object(), ".data.jp_lost");
    std::vector<uint64_t> lost(map ? bpf_map__value_size(map) / sizeof(uint64_t) : 0);
    uint32_t slot = 0;
    if (lost.empty() || bpf_map_lookup_elem(bpf_map__fd(map), &slot, lost.data()) != 0)
        return;
    std::size_t index = 0;
    for (const frontend::MapSpec &spec : bpf.program_info().maps) {
        if (spec.kind != "ringbuf")
            continue;
        uint64_t total = index < lost.size() ? lost[index] : 0;
        ++index;
        if (total > 0)
            EventSink{options}.emit(LostRecord{spec.name, total});
    }
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
// One slice of the run loop: buffers (waiting up to WAIT_MS), then printk without waiting.
// Without buffers the wait ends early when EXIT_FD (the command's pidfd) says it exited.
void pumpOnce(BPF &bpf, PrintkStreams &printk, const RunOptions &options, bool perf, bool ring,
              int wait_ms, int exit_fd = -1) {
    if (perf) {
        bpf.poll_perf_buffers(wait_ms);
    } else if (!ring) {
        pollfd exited{exit_fd, POLLIN, 0};
        if (exit_fd < 0 || ::poll(&exited, 1, wait_ms) < 0)
            std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms));
    }
    if (ring)
        bpf.poll_ring_buffer(perf ? 0 : wait_ms);
    printk.pump(options, 0);
    if (options.on_batch)
        options.on_batch();
}
} // namespace

Status Script::run(const RunOptions &options) {
    Impl &impl = *impl_;
    if (!impl.attached)
        return Status(EINVAL, "run: attach_all() first");
    if (Status s = openBuffers(impl.bpf, options); !s.ok())
        return s;
    PrintkStreams printk;
    if (Status s = printk.open(impl.bpf, options); !s.ok())
        return s;
    bool perf = hasBuffers(impl.bpf, "perf_output"), ring = hasBuffers(impl.bpf, "ringbuf");
    bool stacks = hasStackMaps(impl.bpf);

    using Clock = std::chrono::steady_clock;
    auto start = Clock::now(), last_interval = start;
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
        pumpOnce(impl.bpf, printk, options, perf, ring, stacks ? kStackPollSliceMs : kPollSliceMs,
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
    pumpOnce(impl.bpf, printk, options, perf, ring, 0);
    if (ring)
        reportRingBufferLosses(impl.bpf, options);
    printk.pump(options, options.host_trace_pipe ? kDrainPrintkMs : 0);
    if (options.on_batch)
        options.on_batch();
    impl.times.run_ms = msSince(start);
    return Status::OK();
}

} // namespace jitprobe
