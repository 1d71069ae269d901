// `jitprobe run FILE.c ...`: load, attach, run, print results.
#include "Cli.h"
#include "jitprobe/BPF.h"
#include "jitprobe/Script.h"

#include <spdlog/spdlog.h>

#include <cerrno>
#include <csignal>
#include <ctime>
#include <iostream>
#include <string_view>

#include <unistd.h>

namespace jitprobe::cli {
namespace {

struct RunArgs {
    ProbeArgs probe;
    double duration = 0, interval = 0;
    std::string command;
    int pid = -1;
    bool clear = false;
    bool trace_pipe = false;
    CacheArgs cache;
};

po::options_description runOptions(RunArgs &a) {
    po::options_description desc("run options");
    addProbeOptions(desc, a.probe);
    desc.add_options()
        ("duration", po::value(&a.duration), "S: stop after S seconds")
        ("command,c", po::value(&a.command), "CMD: run CMD after attaching (plain words directly, else via /bin/sh -c); stop when it exits")
        ("pid,p", po::value(&a.pid), "PID: compile with -DTARGET_PID=PID")
        ("interval", po::value(&a.interval), "S: print results every S seconds")
        ("clear", po::bool_switch(&a.clear), "with --interval: clear the maps after each print")
        ("trace-pipe", po::bool_switch(&a.trace_pipe),
         "also read the host's trace_pipe (probes built with -DJITPROBE_TRACE_PIPE_PRINTK); "
         "its lines can be forged by other tracers and by what is printed")
        ("help,h", "this help");
    addCacheOptions(desc, a.cache);
    return desc;
}

void printResults(const std::vector<Record> &records, OutputFormat format) {
    for (const Record &r : records)
        write_record(std::cout, format, r);
}

// Records of a run, gathered and written to stdout once per poll batch (or per 1 MiB): under
// a flood that is one write(2) per batch instead of one per 4 KiB stdio buffer.
class StdoutBatch {
  public:
    static constexpr std::size_t kFlushBytes = 1 << 20;
    void add(std::string_view text) {
        pending_.append(text);
        if (pending_.size() >= kFlushBytes)
            flush();
    }
    void flush() {
        std::cout.flush(); // whatever went through std::cout before stays first
        std::size_t done = 0;
        while (done < pending_.size()) {
            ssize_t n = ::write(STDOUT_FILENO, pending_.data() + done, pending_.size() - done);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break; // a closed stdout (| head): drop, as std::cout would
            done += static_cast<std::size_t>(n);
        }
        pending_.clear();
    }

  private:
    std::string pending_;
};

RunOptions makeRunOptions(const RunArgs &a, OutputFormat format, StdoutBatch &out) {
    RunOptions run;
    run.duration_s = a.duration;
    run.interval_s = a.interval;
    run.clear = a.clear;
    run.host_trace_pipe = a.trace_pipe;
    run.symbolize_stacks = format == OutputFormat::Text;
    auto record = [format, &out](const Record &r) {
        out.add(format == OutputFormat::Json ? render_json_line(r) + '\n' : render_text(r));
    };
    run.on_event = record;
    run.on_printk = record;
    if (format == OutputFormat::Json)
        run.on_event_json = [&out](std::string_view line) {
            out.add(line);
            out.add("\n");
        };
    run.on_batch = [&out] { out.flush(); };
    run.on_interval = [format, &out](const std::vector<Record> &records) {
        out.flush();
        if (format == OutputFormat::Text) {
            std::time_t now = std::time(nullptr);
            char stamp[16];
            std::strftime(stamp, sizeof stamp, "%H:%M:%S", std::localtime(&now));
            std::cout << "\n" << stamp << "\n";
        }
        printResults(records, format);
        std::cout.flush();
    };
    return run;
}
// Says what runs, on stderr (stdout is the results' contract): every attachment, and a warning
// when nothing is attached (reportUnattached names each function left out).
void reportAttachments(Script &script) {
    BPF &bpf = script.bpf();
    std::vector<std::string> attached = bpf.attachments();
    if (attached.empty()) {
        spdlog::warn("no program attached: the maps will stay empty");
        return;
    }
    std::string list;
    for (const std::string &a : attached)
        list += (list.empty() ? "" : ", ") + a;
    std::cerr << "jitprobe: attached " << list << std::endl;
    for (const std::string &match : bpf.wildcard_matches()) // -v: each pattern's targets
        spdlog::debug("{}", match);
}
} // namespace

int runCommand(const std::vector<std::string> &args) {
    RunArgs a;
    po::options_description desc = runOptions(a);
    po::variables_map vm;
    if (!parseArgs(args, desc, vm))
        return kExitUsage;
    if (vm.count("help")) {
        std::cout << "usage: jitprobe run FILE.c|-|-e SOURCE [options]\n" << desc;
        return kExitOk;
    }
    std::string problem = a.probe.sourceProblem("run");
    if (!problem.empty() || (a.probe.format != "text" && a.probe.format != "json")) {
        reportError(!problem.empty() ? problem : "--format must be text or json");
        return kExitUsage;
    }
    installStopHandlers();
    signal(SIGPIPE, SIG_IGN); // a closed stdout (| head) must not skip detaching and cleanup
    OutputFormat format = a.probe.json() ? OutputFormat::Json : OutputFormat::Text;
    ScriptOptions opts;
    opts.command = a.command;
    opts.target_pid = a.pid;
    opts.use_cache = !a.cache.no_cache;
    Script script;
    Status loaded = a.probe.load(script, opts);
    logCacheOutcome(script.phase_times());
    if (Status s = loaded; !s.ok()) {
        reportFailure(s, script, a.probe);
        return kExitFailure;
    }
    if (Status s = script.attach_all(); !s.ok()) {
        reportFailure(s, script, a.probe);
        return kExitFailure;
    }
    reportUnattached(script, a.probe.name(), true);
    reportAttachments(script);
    spdlog::info("attached; running{}", a.command.empty() ? "" : " '" + a.command + "'");
    StdoutBatch out;
    Status ran = script.run(makeRunOptions(a, format, out));
    out.flush();
    if (Status s = ran; !s.ok()) {
        reportFailure(s);
        return kExitFailure;
    }
    if (script.command_pid() > 0)
        spdlog::info("command exited with status {}", script.command_exit_code());
    printResults(script.results(format == OutputFormat::Text), format);
    if (a.cache.time_phases)
        printPhases(script.phase_times(), format == OutputFormat::Json, true);
    return kExitOk; // also when the command failed: its failure is not ours
}

} // namespace jitprobe::cli
