// ScriptSnapshot: maps read on the polling thread, on request (see ScriptSnapshot.h).
#include "ScriptSnapshot.h"
#include "StackLabels.h"
#include "script/RingLosses.h"

#include "jitprobe/BPF.h"

#include <bpf/bpf.h>

#include <algorithm>

namespace jitprobe::metrics {
namespace {

// Run time and count of every loaded program (non-zero only with kernel.bpf_stats_enabled=1).
std::vector<ProgramStats> programStats(Script &script) {
    std::vector<ProgramStats> out;
    for (const ProgramRecord &p : script.programs()) {
        int fd = -1;
        if (!script.bpf().load_func(p.name, -1, fd).ok() || fd < 0)
            continue;
        bpf_prog_info info{};
        __u32 len = sizeof info;
        if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0)
            continue;
        out.push_back({p.name, info.run_time_ns, info.run_cnt});
    }
    return out;
}

// BCC's bpf_log2l slot: 0 for 0, else floor(log2(v)) + 1.
unsigned log2Slot(std::uint64_t v) {
    unsigned s = 0;
    while (v) {
        ++s;
        v >>= 1;
    }
    return s;
}

std::string fieldText(const Value &v) {
    if (v.kind() == Value::Kind::String)
        return v.as_string();
    if (v.kind() == Value::Kind::Int)
        return std::to_string(v.as_int());
    if (v.kind() == Value::Kind::UInt)
        return std::to_string(v.as_uint());
    return value_to_text(v);
}

constexpr std::size_t kMaxEventSeries = 10000; // label sets per buffer
} // namespace

void ScriptSnapshot::aggregate(const EventRecord &e) {
    auto it = directives_.find(e.map);
    if (it == directives_.end() || it->second.type == "ignore" || e.data.kind() != Value::Kind::Struct)
        return;
    const MetricDirective &d = it->second;
    Labels labels;
    for (const std::string &name : d.labels) {
        const Value *f = e.data.field(name);
        std::string text = f ? fieldText(*f) : "";
        for (const auto &[label, kind] : d.decode)
            if (label == name)
                text = decode_label(kind, text);
        labels.emplace_back(sanitize_label_name(name), std::move(text));
    }
    EventAggregate &agg = state_.events[e.map];
    auto s = agg.series.find(labels);
    if (s == agg.series.end()) {
        if (agg.series.size() >= kMaxEventSeries) {
            ++agg.dropped;
            return;
        }
        s = agg.series.emplace(std::move(labels), EventSeries{}).first;
    }
    const Value *v = d.value.empty() ? nullptr : e.data.field(d.value);
    double x = v && v->is_number() ? v->as_double() : 0;
    ++s->second.count;
    s->second.sum += x;
    s->second.slots[std::min(64u, log2Slot(v && v->is_number() ? v->as_uint() : 0))]++;
}

void ScriptSnapshot::hook(RunOptions &run) {
    auto prev_event = run.on_event;
    run.on_event = [this, prev_event](const Record &r) {
        {
            std::lock_guard lock(mu_);
            if (const auto *e = std::get_if<EventRecord>(&r)) {
                ++state_.received[e->map];
                aggregate(*e);
            }
            else if (const auto *l = std::get_if<LostRecord>(&r); l && !state_.ring_lost.count(l->map))
                state_.lost[l->map] += l->count; // a ring buffer's: read live by on_batch
        }
        if (prev_event)
            prev_event(r);
    };
    auto prev_batch = run.on_batch;
    run.on_batch = [this, prev_batch] {
        on_batch();
        if (prev_batch)
            prev_batch();
    };
}

void ScriptSnapshot::on_batch() {
    {
        std::lock_guard lock(mu_);
        if (!requested_)
            return;
    }
    // Read without the lock: a scrape waiting on it must not block event counting for long.
    std::vector<Record> records = script_.results(false);
    if (stacks_)
        fold_stack_labels(records, directives_, script_.bpf());
    std::vector<ProgramStats> programs = programStats(script_);
    std::map<std::string, std::uint64_t> ring_lost = ring_buffer_losses(script_.bpf());
    std::lock_guard lock(mu_);
    for (const auto &[name, n] : ring_lost)
        state_.ring_lost[name] = state_.lost[name] = n; // cumulative in the kernel
    state_.records = std::move(records);
    state_.programs = std::move(programs);
    requested_ = false;
    ++generation_;
    cv_.notify_all();
}

void ScriptSnapshot::ask() {
    std::lock_guard lock(mu_);
    asked_at_ = generation_;
    requested_ = true;
}

ScriptState ScriptSnapshot::wait(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(mu_);
    bool fresh = cv_.wait_until(lock, deadline, [&] { return generation_ != asked_at_; });
    ScriptState out = state_;
    out.fresh = fresh;
    return out;
}

} // namespace jitprobe::metrics
