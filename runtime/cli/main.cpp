// jitprobe: compile, load and run BCC-style probe scripts; print their results.
#include "Cli.h"
#include "jitprobe/Features.h"

#include <bpf/libbpf.h>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <iostream>
#include <map>

#ifndef JITPROBE_VERSION
#define JITPROBE_VERSION "0.1.0"
#endif
#ifndef JITPROBE_LLVM_VERSION
#define JITPROBE_LLVM_VERSION "unknown"
#endif
#ifndef JITPROBE_BUILD_TYPE
#define JITPROBE_BUILD_TYPE "unknown"
#endif

namespace {
using namespace jitprobe::cli;

const char *kUsage = R"(usage: jitprobe [-v|--log-level LEVEL] COMMAND [ARGS]

commands:
  run FILE.c    compile, load and attach every probe; run until COMMAND exits, the duration
                ends or Ctrl-C; then print every map that holds results
                (FILE.c may be - for standard input, or -e 'SOURCE' replaces it; also FILE.jpo)
      -D NAME[=VALUE]  -I DIR  --format text|json  --duration S  -c CMD  -p PID
      --interval S [--clear]  --time-phases  --no-cache
  check FILE.c  compile and load every program through the verifier (no attach)
      -D NAME[=VALUE]  -I DIR  --format text|json  --time-phases  --no-cache
  build FILE.c [-o FILE.jpo]  compile once into a portable object; `run FILE.jpo` and
                `check FILE.jpo` load it on any kernel with BTF without the compiler
      -D NAME[=VALUE]  -I DIR  --no-cache
  serve FILE.c [FILE.c ...]   load and attach every file; serve their maps as Prometheus
                metrics until Ctrl-C (see README "Prometheus")
      --listen 127.0.0.1:9435  --path /metrics  --namespace jitprobe  --max-series 10000
  dump FILE.c   show what the frontend makes of FILE: --rewritten | --ir | --asm  [--no-cache]
  cache stats|clear [--dir DIR]   the compiled-object cache ($JITPROBE_CACHE_DIR,
                $XDG_CACHE_HOME/jitprobe or ~/.cache/jitprobe; root: /var/cache/jitprobe)
  list [-v] tracepoints [GLOB]   tracepoints of this kernel ("cat:event"); -v: their fields
  list functions [GLOB]     traceable kernel functions
  info [--format text|json] what this kernel and process can do: program, attach and map
                types (really loaded and attached), BTF, capabilities, mounts, cache, compiler

options:
  -v, --verbose         debug logging (same as --log-level debug)
  --log-level LEVEL     trace|debug|info|warn|error|off (default: warn)
  --version             print the jitprobe, LLVM and libbpf versions and the build type
  -h, --help            this help

examples:
  jitprobe run opens.c -c 'cat /etc/hostname'
  jitprobe run hist.c --duration 5 --format json
  jitprobe run latency.c -D 'WATCH_COMM="ls"' --interval 1 --clear
  jitprobe check probe.c --format json
  jitprobe run -e 'TRACEPOINT_PROBE(sched, sched_process_exec) { bpf_trace_printk("exec\\n"); return 0; }'
  jitprobe build probe.c -o probe.jpo && jitprobe run probe.jpo --duration 5
  jitprobe dump probe.c --rewritten
  jitprobe list tracepoints 'syscalls:sys_enter_open*'
)";

// Global options precede the subcommand; everything after it belongs to the subcommand.
int dispatch(const std::string &command, const std::vector<std::string> &rest) {
    static const std::map<std::string, int (*)(const std::vector<std::string> &)> commands = {
        {"run", runCommand}, {"check", checkCommand}, {"dump", dumpCommand}, {"list", listCommand},
        {"cache", cacheCommand}, {"serve", serveExec}, {"build", buildCommand}, {"info", infoCommand}};
    auto it = commands.find(command);
    if (it == commands.end()) {
        reportError("unknown command '" + command + "' (see jitprobe --help)");
        return kExitUsage;
    }
    return it->second(rest);
}

// The compiler's LLVM is the one this tree was built with; the CLI itself never maps LLVM.
void printVersion() {
    jitprobe::Feature compiler = jitprobe::find_compiler();
    std::cout << "jitprobe " JITPROBE_VERSION "\n"
              << "LLVM " JITPROBE_LLVM_VERSION " (jitprobe-compiler: "
              << (compiler.supported ? compiler.detail : "not found") << ")\n"
              << "libbpf " << libbpf_version_string() << "\n"
              << "build type " JITPROBE_BUILD_TYPE "\n";
}

bool setLogLevel(const std::string &name) {
    auto level = spdlog::level::from_str(name);
    if (level == spdlog::level::off && name != "off")
        return false;
    spdlog::set_level(level);
    return true;
}
} // namespace

int main(int argc, char **argv) {
    // libbpf messages the runtime does not capture into an error (and report there) are not
    // for the CLI's user: silence libbpf's own stderr printer before the runtime chains to it.
    libbpf_set_print(nullptr);
    auto logger = spdlog::stderr_color_mt("jitprobe");
    spdlog::set_default_logger(logger);
    spdlog::set_pattern("jitprobe: %l: %v");
    spdlog::set_level(spdlog::level::warn);
    std::vector<std::string> args(argv + 1, argv + argc);
    std::size_t i = 0;
    for (; i < args.size() && !args[i].empty() && args[i][0] == '-'; ++i) {
        const std::string &a = args[i];
        if (a == "-h" || a == "--help") {
            std::cout << kUsage;
            return kExitOk;
        }
        if (a == "--version") {
            printVersion();
            return kExitOk;
        }
        if (a == "-v" || a == "--verbose") {
            spdlog::set_level(spdlog::level::debug);
        } else if ((a == "--log-level" && i + 1 < args.size() && setLogLevel(args[++i])) ||
                   (a.starts_with("--log-level=") && setLogLevel(a.substr(12)))) {
        } else {
            reportError("unknown or incomplete option '" + a + "' (see jitprobe --help)");
            return kExitUsage;
        }
    }
    if (i == args.size()) {
        std::cerr << kUsage;
        return kExitUsage;
    }
    try {
        return dispatch(args[i], std::vector<std::string>(args.begin() + i + 1, args.end()));
    } catch (const std::exception &e) { // last resort: never die with an uncaught exception
        reportError(std::string("internal error: ") + e.what());
        return kExitFailure;
    }
}
