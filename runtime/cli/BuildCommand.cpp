// `jitprobe build FILE.c [-o FILE.jpo]`: compile once into a portable object that `jitprobe run`
// (or BPF::init_file) loads on any kernel with BTF, without the compiler.
#include "Cli.h"
#include "jitprobe/BPF.h"

#include <atomic>
#include <csignal>
#include <iostream>

namespace jitprobe::cli {
namespace {

// probe.c -> probe.jpo (same directory); any other name gets .jpo appended.
std::string defaultOutput(const std::string &file) {
    std::string base = file.ends_with(".c") ? file.substr(0, file.size() - 2) : file;
    return base + ".jpo";
}

std::atomic<bool> g_build_cancelled{false};
void onBuildSignal(int) { g_build_cancelled = true; }


} // namespace

int buildCommand(const std::vector<std::string> &args) {
    ProbeArgs a;
    CacheArgs c;
    std::string output;
    po::options_description desc("build options");
    addProbeOptions(desc, a, false);
    addCacheOptions(desc, c);
    desc.add_options()("output,o", po::value(&output), "FILE.jpo to write (default: FILE with .c replaced by .jpo)")
        ("help,h", "this help");
    po::variables_map vm;
    if (!parseArgs(args, desc, vm))
        return kExitUsage;
    if (vm.count("help")) {
        std::cout << "usage: jitprobe build FILE.c [-o FILE.jpo] [options]\n" << desc;
        return kExitOk;
    }
    if (a.file.empty() || a.file.ends_with(".jpo")) {
        reportError(a.file.empty() ? "build: missing FILE.c" : "build: " + a.file + " is already a portable object");
        return kExitUsage;
    }
    if (output.empty())
        output = defaultOutput(a.file);
    Result<std::string> source = read_probe_source(a.file);
    if (!source.ok()) {
        reportError(source.status().msg());
        return kExitFailure;
    }
    installStopHandlers(onBuildSignal); // cancels the compile: its compiler's group is killed
    InitOptions opts;
    opts.file_name = a.file;
    opts.use_cache = !c.no_cache;
    opts.want_rewritten = true;  // kept in the .jpo for `dump FILE.jpo --rewritten`
    opts.load_programs = false;  // no verifier here: the target kernel verifies at run time
    opts.compile_cancelled = [] { return g_build_cancelled.load(); };
    BPF bpf;
    Status s = bpf.init(*source, a.cflags(), opts);
    logCacheOutcome(bpf.phase_times());
    if (s.ok())
        s = bpf.write_object_file(output);
    if (!s.ok()) {
        reportFailure(s);
        return kExitFailure;
    }
    std::cerr << "jitprobe: wrote " << output << " (" << bpf.program_info().programs.size()
              << " programs; run it with: jitprobe run " << output << ")" << std::endl;
    return kExitOk;
}

} // namespace jitprobe::cli
