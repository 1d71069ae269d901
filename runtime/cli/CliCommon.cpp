// Option groups and error reporting shared by the subcommands.
#include "Cli.h"
#include "jitprobe/BPF.h"

#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <iostream>

namespace jitprobe::cli {

std::vector<std::string> ProbeArgs::cflags() const {
    std::vector<std::string> flags;
    for (const std::string &d : defines)
        flags.push_back("-D" + d);
    for (const std::string &i : include_dirs)
        flags.push_back("-I" + i);
    return flags;
}

std::string ProbeArgs::name() const { return expression.empty() ? probe_source_name(file) : "<inline>"; }

std::string ProbeArgs::sourceProblem(const char *command) const {
    if (file.empty() && expression.empty())
        return std::string(command) + ": missing FILE.c (or -e SOURCE, or - for standard input)";
    if (!file.empty() && !expression.empty())
        return std::string(command) + ": give FILE.c or -e SOURCE, not both";
    return "";
}

Result<std::string> ProbeArgs::read() const {
    if (expression.empty())
        return read_probe_source(file);
    if (expression.find_first_not_of(" \t\r\n\f\v") == std::string::npos)
        return Status(EINVAL, "<inline>: empty source (no probes)");
    return expression;
}

Status ProbeArgs::load(Script &script, ScriptOptions options) const {
    options.file_name = name();
    if (expression.empty()) // a file, "-" or a portable object (FILE.jpo)
        return script.load_file(file, cflags(), options);
    Result<std::string> source = read();
    if (!source.ok())
        return source.status();
    return script.load(*source, cflags(), options);
}

void addProbeOptions(po::options_description &desc, ProbeArgs &args, bool inline_source) {
    desc.add_options()("file", po::value(&args.file), "probe source (BCC restricted C); - reads standard input");
    if (inline_source)
        desc.add_options()("expr,e", po::value(&args.expression), "SOURCE: the probe source inline, instead of FILE");
    desc.add_options()
        ("define,D", po::value(&args.defines)->composing(), "NAME[=VALUE]: define a macro for the probe source")
        ("include,I", po::value(&args.include_dirs)->composing(), "DIR: add an include directory")
        ("format", po::value(&args.format)->default_value("text"), "output format: text | json (JSON Lines)");
}

bool parseArgs(const std::vector<std::string> &args, const po::options_description &desc, po::variables_map &vm,
               const char *positional_name, int positional_count) {
    po::positional_options_description pos;
    pos.add(positional_name, positional_count);
    try {
        po::store(po::command_line_parser(args).options(desc).positional(pos).run(), vm);
        po::notify(vm);
    } catch (const po::error &e) {
        reportError(std::string(e.what()) + " (see jitprobe --help)");
        return false;
    }
    return true;
}

namespace {
extern "C" void onStopSignal(int) {
    Script::stop_all();
}
} // namespace

void installStopHandlers() { installStopHandlers(onStopSignal); }

void installStopHandlers(void (*handler)(int)) {
    struct sigaction sa {};
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
}

namespace {
// A directive that would attach a program of PROG_TYPE, for the hint.
std::string attachExample(const std::string &prog_type) {
    if (prog_type == "socket_filter" || prog_type == "sched_cls")
        return "tc:IFACE:ingress or socket:IFACE";
    if (prog_type == "xdp")
        return "xdp:IFACE";
    if (prog_type == "cgroup_skb")
        return "cgroup:/CGROUP/PATH:egress";
    return "KIND:TARGET";
}
} // namespace

void reportUnattached(Script &script, const std::string &file, bool running) {
    for (const frontend::ProgramSpec &p : script.bpf().program_info().programs) {
        if (!p.attach.empty())
            continue;
        std::cerr << "jitprobe: note: " << file << ":" << p.line << ": '" << p.function
                  << "' has no attach point in the source: "
                  << (running ? "loaded but left unattached" : "verified") << " as a " << p.prog_type
                  << " program" << (running ? " (attach it from C++, or name a target with "
                                              "'// @attach " + attachExample(p.prog_type) + " -> " + p.function + "')"
                                            : " (the type BCC's Python side would load it by name with)")
                  << std::endl;
    }
}

namespace {
DiagnosticRecord toRecord(const frontend::Diagnostic &d) {
    using Severity = frontend::Diagnostic::Severity;
    const char *severity = d.severity == Severity::Error ? "error" : d.severity == Severity::Warning ? "warning" : "note";
    return DiagnosticRecord{severity, d.loc.file, d.loc.line, d.loc.column, d.message, d.hint};
}
// STATUS as a record; a clang-style "NAME:LINE:COL: error: MESSAGE" first line (a bad
// `// @metric` directive, checked by Script::load) keeps its place.
DiagnosticRecord statusRecord(const Status &status, const std::string &name) {
    const std::string &msg = status.msg();
    std::string first = msg.substr(0, msg.find('\n'));
    unsigned line = 0, column = 0;
    int used = 0;
    std::size_t at = first.find(": error: ");
    if (first.starts_with(name + ":") && at != std::string::npos &&
        std::sscanf(first.c_str() + name.size() + 1, "%u:%u: %n", &line, &column, &used) == 2 &&
        name.size() + 1 + static_cast<std::size_t>(used) == at + 2)
    {
        std::size_t hint = msg.find("\n  hint: ");
        std::string text = hint == std::string::npos ? "" : msg.substr(hint + 9);
        return DiagnosticRecord{"error", name, line, column, first.substr(at + 9), text.substr(0, text.find('\n'))};
    }
    return DiagnosticRecord{"error", name, 0, 0, msg, ""};
}
} // namespace

void reportFailure(const Status &status, Script &script, const ProbeArgs &probe) {
    reportFailure(status);
    if (!probe.json())
        return;
    const std::vector<frontend::Diagnostic> &diagnostics = script.bpf().diagnostics();
    bool any_error = false;
    for (const frontend::Diagnostic &d : diagnostics) {
        any_error = any_error || d.severity == frontend::Diagnostic::Severity::Error;
        write_record(std::cout, OutputFormat::Json, toRecord(d));
    }
    if (!any_error) // not a compile error (unreadable file, verifier, attach): the status says why
        write_record(std::cout, OutputFormat::Json, statusRecord(status, probe.name()));
    std::cout.flush();
}

void reportError(const std::string &message) {
    // Paths, compiler messages and kernel text inside it are chosen by others.
    std::string text = escape_terminal_controls(message);
    while (!text.empty() && text.back() == '\n')
        text.pop_back();
    bool formatted = text.find(": error: ") != std::string::npos; // compiler diagnostics
    std::cerr << (formatted ? "" : "jitprobe: error: ") << text << std::endl;
    spdlog::debug("failure reported: {}", text.substr(0, text.find('\n')));
}

} // namespace jitprobe::cli
