// `jitprobe list tracepoints|functions [GLOB]`.
#include "Cli.h"
#include "jitprobe/Kernel.h"

#include <iostream>

namespace jitprobe::cli {
namespace {

int printNames(const Result<std::vector<std::string>> &names, const char *what) {
    if (!names.ok()) {
        reportError(std::string("cannot list ") + what + ": " + names.status().msg());
        return kExitFailure;
    }
    for (const std::string &n : names.value())
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
        return printNames(list_tracepoints(glob), "tracepoints");
    if (args[0] == "functions")
        return printNames(list_kernel_functions(glob), "kernel functions");
    reportError("list: unknown kind '" + args[0] + "' (tracepoints or functions)");
    return kExitUsage;
}

} // namespace jitprobe::cli
