// `jitprobe check FILE.c` (verifier only) and `jitprobe dump FILE.c --rewritten|--ir|--asm`.
#include "Cli.h"
#include "jitprobe/BPF.h"
#include "jitprobe/Script.h"

#include <iostream>

namespace jitprobe::cli {

int checkCommand(const std::vector<std::string> &args) {
    ProbeArgs a;
    CacheArgs c;
    po::options_description desc("check options");
    addProbeOptions(desc, a);
    addCacheOptions(desc, c);
    bool maps_only = false;
    desc.add_options()("allow-no-programs", po::bool_switch(&maps_only),
                       "accept a source that only declares maps (BCC's BPF(text=...) does): its maps are created")
        ("help,h", "this help");
    po::variables_map vm;
    if (!parseArgs(args, desc, vm))
        return kExitUsage;
    if (vm.count("help")) {
        std::cout << "usage: jitprobe check FILE.c|-|-e SOURCE [options]\n" << desc;
        return kExitOk;
    }
    if (std::string problem = a.sourceProblem("check"); !problem.empty() || (a.format != "text" && a.format != "json")) {
        reportError(!problem.empty() ? problem : "--format must be text or json");
        return kExitUsage;
    }
    installStopHandlers();
    Script script;
    ScriptOptions opts;
    opts.use_cache = !c.no_cache;
    opts.require_programs = !maps_only;
    opts.extern_tables_local = true; // verifying needs a map of the declared shape, not the shared one
    Status loaded = a.load(script, opts);
    logCacheOutcome(script.phase_times());
    if (c.time_phases)
        printPhases(script.phase_times(), a.json(), false);
    if (Status s = loaded; !s.ok()) {
        reportFailure(s, script, a);
        return kExitFailure;
    }
    std::vector<ProgramRecord> programs = script.programs();
    bool all_verified = !programs.empty() || maps_only;
    for (const ProgramRecord &p : programs) {
        all_verified = all_verified && p.insns > 0;
        write_record(std::cout, a.json() ? OutputFormat::Json : OutputFormat::Text, p);
    }
    if (all_verified)
        reportUnattached(script, a.name(), false);
    if (programs.empty() && maps_only)
        std::cerr << "jitprobe: note: " << a.name() << " declares no program; its "
                  << script.bpf().program_info().maps.size() << " map(s) were created" << std::endl;
    if (!all_verified) {
        std::string why = programs.empty() ? "no programs found" : "not every program was verified";
        reportFailure(Status(EINVAL, a.name() + ": " + why), script, a);
        return kExitFailure;
    }
    return kExitOk;
}

namespace {
// A portable object keeps the rewritten C; IR and assembly would need the compiler.
int dumpPortable(const std::string &file, bool rewritten) {
    if (!rewritten) {
        reportError(file + ": a portable object holds only the rewritten C (--rewritten); "
                           "dump the source for --ir/--asm");
        return kExitUsage;
    }
    BPF bpf;
    InitOptions opts;
    opts.want_rewritten = true;
    opts.load_programs = false;
    opts.defer_rejected_functions = false; // check reports every rejected function
    if (Status s = bpf.init_file(file, opts); !s.ok()) {
        reportError(s.msg());
        return kExitFailure;
    }
    std::string text = bpf.rewritten_source();
    std::cout << text << (text.empty() || text.back() == '\n' ? "" : "\n");
    return kExitOk;
}
} // namespace

int dumpCommand(const std::vector<std::string> &args) {
    ProbeArgs a;
    bool rewritten = false, ir = false, assembly = false, no_cache = false;
    po::options_description desc("dump options");
    addProbeOptions(desc, a);
    desc.add_options()("no-cache", po::bool_switch(&no_cache), "always recompile (bypass the object cache)");
    desc.add_options()
        ("rewritten", po::bool_switch(&rewritten), "the rewritten libbpf-style C")
        ("ir", po::bool_switch(&ir), "the LLVM IR")
        ("asm", po::bool_switch(&assembly), "the BPF assembly")
        ("help,h", "this help");
    po::variables_map vm;
    if (!parseArgs(args, desc, vm))
        return kExitUsage;
    if (vm.count("help")) {
        std::cout << "usage: jitprobe dump FILE.c|-|-e SOURCE --rewritten|--ir|--asm [options]\n" << desc;
        return kExitOk;
    }
    if (std::string problem = a.sourceProblem("dump"); !problem.empty() || int(rewritten) + int(ir) + int(assembly) != 1) {
        reportError(!problem.empty() ? problem : "dump: give exactly one of --rewritten, --ir, --asm");
        return kExitUsage;
    }
    if (a.expression.empty() && a.file.ends_with(".jpo"))
        return dumpPortable(a.file, rewritten);
    Result<std::string> source = a.read();
    if (!source.ok()) {
        reportError(source.status().msg());
        return kExitFailure;
    }
    installStopHandlers();
    DumpKind kind = rewritten ? DumpKind::Rewritten : (ir ? DumpKind::IR : DumpKind::Asm);
    Result<std::string> text = dump_probe(*source, a.cflags(), a.name(), kind, !no_cache);
    if (!text.ok()) {
        reportError(text.status().msg());
        return kExitFailure;
    }
    std::cout << *text;
    if (!text->empty() && text->back() != '\n')
        std::cout << '\n';
    return kExitOk;
}

} // namespace jitprobe::cli
