// Shared pieces of the `jitprobe` command line: option groups, error reporting, subcommands.
#pragma once
#include "jitprobe/Output.h"
#include "jitprobe/Script.h"
#include "jitprobe/Status.h"

#include <boost/program_options.hpp>

#include <string>
#include <vector>

namespace jitprobe::cli {

namespace po = boost::program_options;

// Exit statuses: 0 success, 1 a failure of the probe (compile, verifier, attach), 2 bad usage.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// -D/-I/--format and the probe (FILE, "-" for standard input, or -e SOURCE) shared by run,
// check and dump.
struct ProbeArgs {
    std::string file;
    std::string expression; // -e SOURCE: the probe inline (diagnostics name it "<inline>")
    std::vector<std::string> defines, include_dirs;
    std::string format = "text";
    std::vector<std::string> cflags() const; // "-DNAME=VALUE", "-IDIR"
    bool json() const { return format == "json"; }
    // The name diagnostics and notes use: FILE, "<stdin>" or "<inline>".
    std::string name() const;
    // "" when exactly one of FILE and -e was given, else why not (for a usage error).
    std::string sourceProblem(const char *command) const;
    // The probe's text: -e SOURCE, standard input for "-", or FILE.
    Result<std::string> read() const;
    // SCRIPT.load() of the probe, its name set in OPTIONS.
    Status load(Script &script, ScriptOptions options) const;
};
// INLINE_SOURCE: also -e SOURCE (not for build and serve, which name their files).
void addProbeOptions(po::options_description &desc, ProbeArgs &args, bool inline_source = true);
// Parses ARGS with DESC (+ FILE as the first positional). False (after printing why) on errors.
bool parseArgs(const std::vector<std::string> &args, const po::options_description &desc, po::variables_map &vm,
               const char *positional_name = "file", int positional_count = 1);

// SIGINT/SIGTERM call Script::stop_all(): a compile in progress is cancelled (its compiler's
// process group killed, not orphaned) and a run stops.
void installStopHandlers();
// SIGINT/SIGTERM call HANDLER instead.
void installStopHandlers(void (*handler)(int));

// The message of a failure, on stderr (multi-line diagnostics pass through untouched).
void reportError(const std::string &message);
// One note per program the source gives no attach point (BCC's Python side would load or
// attach it by name): `check` verified it as its program type, `run` leaves it unattached.
void reportUnattached(Script &script, const std::string &file, bool running);
// reportError(status.msg()), plus which capability is missing when it is a permission error.
void reportFailure(const Status &status);
// With --format json, also the failure as records on stdout: one per diagnostic of the
// compile ({"type":"error","file":..,"line":..,"column":..,"message":..}), else one for STATUS.
void reportFailure(const Status &status, Script &script, const ProbeArgs &probe);
// "CAP_BPF, CAP_PERFMON": what this process lacks to load tracing probes ("" if nothing).
std::string missingCapabilities();

// --no-cache and --time-phases (run, check, dump) and what they print.
struct CacheArgs {
    bool no_cache = false, time_phases = false;
};
void addCacheOptions(po::options_description &desc, CacheArgs &args);
// -v: whether the object cache was hit and why it was bypassed or rebuilt.
void logCacheOutcome(const PhaseTimes &times);
// One line per phase on stderr, or a {"type":"phases",...} JSON line on stdout.
void printPhases(const ScriptPhaseTimes &times, bool json, bool with_run);

int buildCommand(const std::vector<std::string> &args);
int runCommand(const std::vector<std::string> &args);
int checkCommand(const std::vector<std::string> &args);
int dumpCommand(const std::vector<std::string> &args);
int listCommand(const std::vector<std::string> &args);
int cacheCommand(const std::vector<std::string> &args);
int serveCommand(const std::vector<std::string> &args);
int infoCommand(const std::vector<std::string> &args);
int serveExec(const std::vector<std::string> &args); // execs jitprobe-serve (ServeExec.cpp)

} // namespace jitprobe::cli
