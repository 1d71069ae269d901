// One script's maps, read on the thread that polls it (Script and BPF are not thread-safe), on
// request from a scraping thread; plus its buffers' event counts.
#pragma once
#include "Exposition.h"
#include "script/MetricDirectives.h"
#include "StackLabels.h"

#include "jitprobe/Script.h"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace jitprobe::metrics {

struct ProgramStats {
    std::string name;
    std::uint64_t run_time_ns = 0, run_count = 0;
};

// Events of one buffer aggregated per label set (see MetricDirective::value).
struct EventSeries {
    std::uint64_t slots[65] = {}; // BCC log2 slots of the observed value
    double sum = 0;
    std::uint64_t count = 0;
};
struct EventAggregate {
    std::map<Labels, EventSeries> series;
    std::uint64_t dropped = 0; // events of label sets past the cap
};

struct ScriptState {
    std::map<std::string, EventAggregate> events; // by buffer
    std::vector<Record> records;
    std::vector<ProgramStats> programs;
    std::map<std::string, std::uint64_t> received, lost; // per buffer (map name)
    std::map<std::string, std::uint64_t> ring_lost;      // ring buffers' drops, read at each scrape
    bool fresh = false; // read for this request (false: the poller did not answer in time)
};

class ScriptSnapshot {
  public:
    ScriptSnapshot(Script &script, Labels extra, MetricDirectives directives = {})
        : script_(script), extra_(std::move(extra)), directives_(std::move(directives)),
          stacks_(decodes_stacks(directives_)) {}
    // Chains on_event / on_batch of RUN.
    void hook(RunOptions &run);
    // Asks the polling thread for a fresh read (every script is asked before any is waited for,
    // so N scripts cost one poll slice, not N).
    void ask();
    // The state once the polling thread answered ask(), waiting until DEADLINE; the last state
    // when it does not answer in time (not running yet, or already stopped).
    ScriptState wait(std::chrono::steady_clock::time_point deadline);
    const Labels &extra() const { return extra_; }
    const MetricDirectives &directives() const { return directives_; }

  private:
    void on_batch(); // the polling thread
    void aggregate(const EventRecord &e); // under mu_
    Script &script_;
    Labels extra_;
    MetricDirectives directives_;
    bool stacks_; // a directive decodes stack ids (symbolized on the polling thread)
    std::mutex mu_;
    std::condition_variable cv_;
    bool requested_ = false;
    std::uint64_t generation_ = 0, asked_at_ = 0;
    ScriptState state_;
};

} // namespace jitprobe::metrics
