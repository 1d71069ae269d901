// The scripting API: what `jitprobe run` does, in a few lines of C++.
//
//   jitprobe::Script s;
//   jitprobe::ScriptOptions opts;
//   opts.command = "cat /etc/hostname";            // started blocked; its pid is TARGET_PID
//   if (auto st = s.load_file("probe.c", {"-DMIN_TGID=2"}, opts); !st.ok()) { ... st.msg() ... }
//   if (auto st = s.attach_all(); !st.ok()) { ... }
//   jitprobe::RunOptions run;
//   run.on_event = [](const jitprobe::Record &r) { std::cout << jitprobe::render_json_line(r) << "\n"; };
//   s.run(run);                                     // releases the command, waits, drains
//   for (const auto &r : s.results()) jitprobe::write_record(std::cout, jitprobe::OutputFormat::Json, r);
//
// The library never prints; callbacks and results() hand records to the caller.
// A Script owns its jitprobe::BPF: destroying it detaches everything and ends the command.
#pragma once
#include "jitprobe/Output.h"
#include "jitprobe/PhaseTimes.h"
#include "jitprobe/Status.h"

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace jitprobe {

class BPF;

struct ScriptOptions {
    std::string file_name = "<probe>"; // for diagnostics (load_file sets it to the path)
    // Run COMMAND through /bin/sh -c. It is forked before compiling, blocked until run(), so
    // its pid can be compiled in as TARGET_PID.
    std::string command;
    // -p PID: compiled in as TARGET_PID, and the process @attach uprobes belong to (short names
    // resolved in its maps; they fire in it alone). Ignored with a command.
    pid_t target_pid = -1;
    bool use_cache = true;
    std::string cache_dir;
    bool want_rewritten = false;
    // A source with no program fails the load ("no probes found"); false accepts one that only
    // declares maps, as BCC's BPF(text=...) does (`jitprobe check --allow-no-programs`).
    bool require_programs = true;
    // BPF_TABLE("extern") maps are created locally (InitOptions::extern_tables_local): `check`.
    bool extern_tables_local = false;
};

struct RunOptions {
    double duration_s = 0;  // > 0: stop after this many seconds
    double interval_s = 0;  // > 0: call on_interval with results() this often
    bool clear = false;     // with interval: clear the maps after each on_interval
    bool symbolize_stacks = false; // results for on_interval carry symbolized frames
    // Also read the host's trace_pipe (a tracefs instance of this run) for probes that call
    // the kernel's bpf_trace_printk (built with JITPROBE_TRACE_PIPE_PRINTK). Off by default:
    // the host stream is shared by every tracer and its lines can be forged by what is printed.
    bool host_trace_pipe = false;
    std::function<void(const Record &)> on_event;   // EventRecord / LostRecord, as they arrive
    // JSON Lines fast path: when set, each event comes here as its JSON line (no newline;
    // byte for byte render_json_line(EventRecord)) instead of through on_event, rendered from
    // a decode plan compiled once per event type into a buffer reused for every event. The
    // view is valid during the call only. LostRecords still come through on_event.
    std::function<void(std::string_view line)> on_event_json;
    std::function<void(const Record &)> on_printk;  // PrintkRecord, as they arrive
    std::function<void(const std::vector<Record> &)> on_interval;
    // After each poll slice (at most ~100 ms apart) and at the end: e.g. flush output written
    // by on_event, so a flood costs one write per batch rather than one per event.
    std::function<void()> on_batch;
};

// Milliseconds spent per phase (0 when the phase did not run): BPF's phases and cache outcome
// (PhaseTimes.h: cache lookup, kernel types, parse, rewrite, codegen, open, load, attach) plus
// the script's own.
struct ScriptPhaseTimes : PhaseTimes {
    double compile_ms = 0; // init as a whole: cache lookup or frontend, + object open
    double run_ms = 0;     // from releasing the command to the end of the drain
    // The run loop's own cost (the thread that ran it, getrusage(RUSAGE_THREAD)): CPU, and
    // wake-ups (voluntary context switches: epoll waits and naps that slept), with the event
    // records it delivered, so a flood's cost per event can be read off.
    double run_cpu_ms = 0;
    std::uint64_t run_wakeups = 0;
    std::uint64_t run_events = 0;
};

class Script {
  public:
    Script();
    ~Script();
    Script(const Script &) = delete;
    Script &operator=(const Script &) = delete;

    // Compiles and loads SOURCE (BCC dialect). CFLAGS are driver-style ("-DX=1", "-IDIR").
    Status load(const std::string &source, const std::vector<std::string> &cflags = {},
                const ScriptOptions &options = {});
    // Reads PATH first: an empty file or one that is not text is an error naming PATH.
    // A PATH ending in .jpo is a portable object: load_object_file.
    Status load_file(const std::string &path, const std::vector<std::string> &cflags = {},
                    ScriptOptions options = {});
    // Loads a portable object (`jitprobe build`, BPF::init_file): no compiler is started.
    // CFLAGS must be empty and OPTIONS.target_pid unset (they are compiled in); a command runs.
    Status load_object_file(const std::string &path, const std::vector<std::string> &cflags = {},
                            const ScriptOptions &options = {});
    // Every program with an attach point. Load-only programs are left alone.
    Status attach_all();
    // Releases the command, then collects events/printk until the command exits, the duration
    // ends or stop() is called; then drains what is pending. Returns an error only when the
    // buffers cannot be opened (a failing command is not an error: see command_exit_code()).
    Status run(const RunOptions &options = {});
    // Async-signal-safe: makes run() return soon (for SIGINT/SIGTERM handlers); during load(),
    // cancels the compile (its compiler process group is killed; load fails with EINTR).
    void stop();
    // stop() on every Script, now and later in this process (sticky: a signal during the
    // compile also ends the run that follows), and cancels dump_probe's compile.
    static void stop_all();
    // The names before the snake_case rule, kept for one release.
    [[deprecated("use load_file")]] Status loadFile(const std::string &path,
                                                    const std::vector<std::string> &cflags = {},
                                                    ScriptOptions options = {}) {
        return load_file(path, cflags, std::move(options));
    }
    [[deprecated("use stop_all")]] static void stopAll() { stop_all(); }

    // One record per result map (hist records for histograms), in declaration order. Queue,
    // stack, perf and ring-buffer maps are skipped. SYMBOLIZE_STACKS: fill MapEntry::stack for
    // stack-trace maps and for entries whose key references a stack id (text output).
    std::vector<Record> results(bool symbolize_stacks = false);
    // Clears every result map (for --interval --clear).
    Status clear_maps();

    // After load(): one record per loaded program (the verifier accepted them all).
    std::vector<ProgramRecord> programs() const;
    // Load-only convenience: load() + programs() (what `jitprobe check` prints).
    Result<std::vector<ProgramRecord>> check(const std::string &source, const std::vector<std::string> &cflags = {},
                                             const ScriptOptions &options = {});

    ScriptPhaseTimes phase_times() const;
    pid_t command_pid() const;      // -1 without a command
    int command_exit_code() const;  // exit status, 128+signal, or -1 if not (yet) reaped
    std::string rewritten_source() const;
    BPF &bpf();

    struct Impl;

  private:
    std::unique_ptr<Impl> impl_;
};

// What the frontend makes of SOURCE, without loading anything (`jitprobe dump`): the rewritten
// libbpf-style C, the LLVM IR, or the BPF assembly. Compile errors come back as the Status.
// The rewritten C comes from the object cache when USE_CACHE and an entry exists.
enum class DumpKind { Rewritten, IR, Asm };
Result<std::string> dump_probe(const std::string &source, const std::vector<std::string> &cflags,
                              const std::string &file_name, DumpKind kind, bool use_cache = true,
                              const std::string &cache_dir = "");

// Reads a probe source file, rejecting empty and non-text files with "PATH: ..." messages.
// PATH "-" reads standard input (named "<stdin>" in messages), under the same 4 MiB cap.
Result<std::string> read_probe_source(const std::string &path);
// The name diagnostics use for PATH: "<stdin>" for "-", else PATH itself.
std::string probe_source_name(const std::string &path);

[[deprecated("use read_probe_source")]] inline Result<std::string> readProbeSource(const std::string &path) {
    return read_probe_source(path);
}

} // namespace jitprobe
