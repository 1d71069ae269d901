// `jitprobe list [-v] tracepoints|functions [GLOB]`.
#include "Cli.h"
#include "jitprobe/Kernel.h"

#include <iostream>

namespace jitprobe::cli {
namespace {

const char *kListUsage = "usage: jitprobe list [-v] tracepoints [GLOB]   tracepoints (\"cat:event\")\n"
                         "       jitprobe list functions [GLOB]          traceable kernel functions\n"
                         "list options:\n"
                         "  -v [ --verbose ]      with tracepoints: each one's fields\n"
                         "  -h [ --help ]         this help\n";

// A GLOB that matches nothing is a failure: a typo must not look like an empty kernel.
int printNames(const Result<std::vector<std::string>> &names, const char *what, const std::string &glob) {
    if (!names.ok()) {
        reportError(std::string("cannot list ") + what + ": " + names.status().msg());
        return kExitFailure;
    }
    if (names->empty()) {
        reportError(std::string("no ") + what + (glob.empty() ? " on this kernel" : " match '" + glob + "'"));
        return kExitFailure;
    }
    for (const std::string &n : names.value())
        std::cout << n << '\n';
    return kExitOk;
}

// bpftrace -lv style: the name, then each field of the record (not the common_* header).
int printTracepointFields(const std::vector<std::string> &names) {
    for (const std::string &name : names) {
        Result<std::vector<TracepointField>> fields = tracepoint_fields(name);
        if (!fields.ok()) {
            reportError(fields.status().msg());
            return kExitFailure;
        }
        std::cout << name << '\n';
        for (const TracepointField &f : *fields)
            if (!f.name.starts_with("common_"))
                std::cout << "    " << f.type << (f.type.ends_with("*") ? "" : " ") << f.name << '\n';
    }
    return kExitOk;
}

int listTracepoints(const std::string &glob, bool verbose) {
    Result<std::vector<std::string>> names = list_tracepoints(glob);
    if (!verbose || !names.ok() || names->empty())
        return printNames(names, "tracepoints", glob);
    return printTracepointFields(*names);
}

int listFunctions(const std::string &glob) {
    if (!kprobes_supported())
        std::cerr << "jitprobe: note: this kernel cannot create kprobes (no kprobe event source: built "
                     "without CONFIG_KPROBES): these functions cannot be attached with kprobe:/kretprobe:"
                  << std::endl;
    return printNames(list_kernel_functions(glob), "kernel functions", glob);
}

} // namespace

int listCommand(const std::vector<std::string> &args) {
    bool verbose = false;
    std::vector<std::string> words;
    for (const std::string &a : args) {
        if (a == "-h" || a == "--help") {
            std::cout << kListUsage;
            return kExitOk;
        }
        if (a == "-v" || a == "--verbose")
            verbose = true;
        else
            words.push_back(a);
    }
    if (words.empty() || words.size() > 2) {
        reportError(words.empty() ? "list: what to list? (tracepoints or functions)" : "list: too many arguments");
        std::cerr << kListUsage;
        return kExitUsage;
    }
    std::string glob = words.size() == 2 ? words[1] : "";
    if (words[0] == "tracepoints")
        return listTracepoints(glob, verbose);
    if (words[0] == "functions")
        return listFunctions(glob);
    reportError("list: unknown kind '" + words[0] + "' (tracepoints or functions)");
    return kExitUsage;
}

} // namespace jitprobe::cli
