// `jitprobe list tracepoints|functions [GLOB]`.
#include "Cli.h"

#include <fnmatch.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <fstream>
#include <iostream>
#include <set>

namespace jitprobe::cli {
namespace {

// The tracefs root, mounting it at /sys/kernel/tracing when nothing is mounted (this host).
std::string tracefsRoot() {
    for (const char *dir : {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"}) {
        struct stat st {};
        if (stat((std::string(dir) + "/events").c_str(), &st) == 0)
            return dir;
    }
    if (mount("nodev", "/sys/kernel/tracing", "tracefs", 0, nullptr) == 0)
        return "/sys/kernel/tracing";
    return {};
}

bool matches(const std::string &glob, const std::string &name) {
    return glob.empty() || fnmatch(glob.c_str(), name.c_str(), 0) == 0;
}

int listTracepoints(const std::string &glob) {
    std::string root = tracefsRoot();
    std::ifstream in(root + "/available_events");
    if (root.empty() || !in) {
        reportError("cannot read the tracepoint list (tracefs not available)");
        return kExitFailure;
    }
    std::set<std::string> names;
    for (std::string line; std::getline(in, line);)
        if (matches(glob, line))
            names.insert(line);
    for (const std::string &n : names)
        std::cout << n << '\n';
    return kExitOk;
}

// available_filter_functions ("name [module]") when tracefs has it, else kallsyms text symbols.
int listFunctions(const std::string &glob) {
    std::set<std::string> names;
    std::string root = tracefsRoot();
    std::ifstream filter(root.empty() ? "" : root + "/available_filter_functions");
    if (filter) {
        for (std::string line; std::getline(filter, line);) {
            std::string name = line.substr(0, line.find(' '));
            if (matches(glob, name))
                names.insert(name);
        }
    } else {
        std::ifstream kallsyms("/proc/kallsyms");
        std::string addr, type, name;
        while (kallsyms >> addr >> type >> name) {
            kallsyms.ignore(4096, '\n');
            if ((type == "t" || type == "T") && matches(glob, name))
                names.insert(name);
        }
    }
    for (const std::string &n : names)
        std::cout << n << '\n';
    return kExitOk;
}
} // namespace

int listCommand(const std::vector<std::string> &args) {
    if (args.empty() || args[0] == "-h" || args[0] == "--help") {
        std::cout << "usage: jitprobe list tracepoints [GLOB]\n       jitprobe list functions [GLOB]\n";
        return args.empty() ? kExitUsage : kExitOk;
    }
    if (args.size() > 2) {
        reportError("list: too many arguments");
        return kExitUsage;
    }
    std::string glob = args.size() == 2 ? args[1] : "";
    if (args[0] == "tracepoints")
        return listTracepoints(glob);
    if (args[0] == "functions")
        return listFunctions(glob);
    reportError("list: unknown kind '" + args[0] + "' (tracepoints or functions)");
    return kExitUsage;
}

} // namespace jitprobe::cli
