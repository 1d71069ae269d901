// Private pieces of jitprobe::Script: the blocked command, the private printk stream, and the
// shared implementation state.
#pragma once
#include "jitprobe/common/UniqueFd.h"
#include "jitprobe/common/Stopwatch.h"
#include "jitprobe/BPF.h"
#include "jitprobe/Script.h"
#include "jitprobe/TracePipe.h"

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace jitprobe {

class StackSymbolizer;

// COMMAND forked early and held on a pipe, so its pid is known before the probe is compiled.
// COMMAND's words if it is plain words a shell would exec as they are; empty otherwise.
std::vector<std::string> plainWords(const std::string &command);

class BlockedCommand {
  public:
    ~BlockedCommand(); // a command never released or still running is killed and reaped
    Status start(const std::string &command);
    Status release();  // lets the child exec COMMAND (see plainWords)
    bool poll_exited(); // reaps without waiting; true once the command has exited
    void terminate();   // SIGTERM, then SIGKILL after a grace period; reaps
    pid_t pid() const { return pid_; }
    int exit_fd() const { return pidfd_.get(); } // readable once the command exits (-1: none)
    int exit_code() const { return exit_code_; }

  private:
    void record_status(int status);
    pid_t pid_ = -1;
    common::UniqueFd go_fd_; // write end of the release pipe
    common::UniqueFd pidfd_;
    bool reaped_ = false;
    int exit_code_ = -1;
};

// bpf_trace_printk output of a run. Private (default): the records of the probes' rewritten
// bpf_trace_printk calls. Host (RunOptions::host_trace_pipe, for probes built with
// JITPROBE_TRACE_PIPE_PRINTK): a tracefs instance of this process with only the
// bpf_trace_printk event enabled, read in bounded batches; stale instances of dead jitprobe
// processes are removed first.
class PrintkStreams {
  public:
    Status open(const BPF &bpf, const RunOptions &options);
    // Emits the messages that arrived within TIMEOUT_MS (on_printk) and losses (on_event).
    void pump(const RunOptions &options, int timeout_ms);

  private:
    TracePipe private_, host_;
};

// Script::stop_all() was called (e.g. by a signal handler): compiles in progress are cancelled.
bool stopAllRequested();

struct Script::Impl {
    BPF bpf;
    ScriptOptions options;
    ScriptPhaseTimes times;
    std::unique_ptr<BlockedCommand> command;
    std::unique_ptr<StackSymbolizer> symbolizer;
    std::map<pid_t, std::string> remembered_maps; // /proc/PID/maps while the command lived
    std::atomic<bool> stop_requested{false};
    bool loaded = false;
    bool attached = false;

    bool stopRequested() const; // stop() or stop_all(), e.g. from a signal handler
    // Runs INIT_FN (BPF::init or init_file) with the options' InitOptions, then the load.
    // SOURCE (null for a portable object): its `// @metric` directives are checked against the
    // opened object before the load.
    Status init_and_load(const std::function<Status(const InitOptions &)> &init_fn,
                         const std::string *source = nullptr);
    Status checkMetricDirectives(const std::string &source) const;
    pid_t stack_pid() const; // whose user stacks we symbolize
    void snapshot_maps();
    std::vector<Record> build_results(bool symbolize);
};

// Decoding of map entries (runtime/src/ScriptResults.cpp).
std::vector<MapEntry> readMapEntries(const BPFTableRaw &table, const std::string &kind);
Value decodeEventRecord(const struct btf *btf, const std::string &event_type, const void *data, std::size_t size);

using common::msSince;

} // namespace jitprobe
