// jitprobe-serve: `jitprobe serve` in its own executable. The CLI execs it so that cpp-httplib
// (and the libssl, libcrypto, zlib and brotli Debian's build of it brings in) is mapped only by
// the command that serves, not at every `jitprobe` start.
#include "Cli.h"

#include <bpf/libbpf.h>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

int main(int argc, char **argv) {
    libbpf_set_print(nullptr); // as the CLI: libbpf's own messages are not for the user
    auto logger = spdlog::stderr_color_mt("jitprobe");
    spdlog::set_default_logger(logger);
    spdlog::set_pattern("jitprobe: %l: %v");
    spdlog::set_level(spdlog::level::warn);
    std::vector<std::string> args(argv + 1, argv + argc);
    // The CLI passes its log level first: --log-level LEVEL.
    if (args.size() >= 2 && args[0] == "--log-level") {
        spdlog::set_level(spdlog::level::from_str(args[1]));
        args.erase(args.begin(), args.begin() + 2);
    }
    try {
        return jitprobe::cli::serveCommand(args);
    } catch (const std::exception &e) {
        jitprobe::cli::reportError(std::string("internal error: ") + e.what());
        return jitprobe::cli::kExitFailure;
    }
}
