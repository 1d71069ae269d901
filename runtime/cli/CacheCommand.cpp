// `jitprobe cache stats|clear` and the --time-phases report shared by run and check.
#include "Cli.h"
#include "jitprobe/Cache.h"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <iostream>
#include <sstream>

namespace jitprobe::cli {
namespace {

void printStats(const CacheStats &s, bool json, const char *verb) {
    if (json) {
        std::printf("{\"type\":\"cache\",\"action\":\"%s\",\"directory\":\"%s\",\"entries\":%llu,"
                    "\"bytes\":%llu,\"pch_files\":%llu,\"pch_bytes\":%llu}\n",
                    verb, s.directory.c_str(), static_cast<unsigned long long>(s.entries),
                    static_cast<unsigned long long>(s.bytes),
                    static_cast<unsigned long long>(s.pch_files),
                    static_cast<unsigned long long>(s.pch_bytes));
        return;
    }
    const char *prefix = std::string(verb) == "clear" ? "removed " : "";
    std::printf("directory: %s\n%sentries:   %llu (%.1f KiB)\n%skernel-type files: %llu "
                "(%.1f MiB)\n",
                s.directory.c_str(), prefix, static_cast<unsigned long long>(s.entries),
                s.bytes / 1024.0, prefix, static_cast<unsigned long long>(s.pch_files),
                s.pch_bytes / (1024.0 * 1024.0));
}

std::string jsonEscape(const std::string &text) {
    std::string out;
    for (char c : text) {
        if (c == '"' || c == '\\')
            out += '\\';
        if (static_cast<unsigned char>(c) < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
            continue;
        }
        out += c;
    }
    return out;
}

const char *cacheOutcome(const PhaseTimes &t) {
    if (t.cache_hit)
        return "hit";
    if (!t.cache_used)
        return "off";
    return t.cache_rebuilt ? "rebuilt" : "miss";
}

} // namespace

int cacheCommand(const std::vector<std::string> &args) {
    std::string action, dir, format = "text";
    po::options_description desc("cache options");
    desc.add_options()
        ("action", po::value(&action), "stats | clear")
        ("dir", po::value(&dir), "DIR: the cache directory (default: $JITPROBE_CACHE_DIR, "
                                 "$XDG_CACHE_HOME/jitprobe, ~/.cache/jitprobe; root: /var/cache/jitprobe)")
        ("format", po::value(&format)->default_value("text"), "text | json")
        ("help,h", "this help");
    po::variables_map vm;
    if (!parseArgs(args, desc, vm, "action"))
        return kExitUsage;
    if (vm.count("help")) {
        std::cout << "usage: jitprobe cache stats|clear [--dir DIR] [--format text|json]\n" << desc;
        return kExitOk;
    }
    if ((action != "stats" && action != "clear") || (format != "text" && format != "json")) {
        reportError("cache: give stats or clear (and --format text|json)");
        return kExitUsage;
    }
    Result<CacheStats> stats = action == "stats" ? cache_stats(dir) : cache_clear(dir);
    if (!stats.ok()) {
        reportError(stats.status().msg());
        return kExitFailure;
    }
    printStats(*stats, format == "json", action.c_str());
    return kExitOk;
}

void addCacheOptions(po::options_description &desc, CacheArgs &args) {
    desc.add_options()
        ("no-cache", po::bool_switch(&args.no_cache), "always recompile (bypass the object cache)")
        ("time-phases", po::bool_switch(&args.time_phases),
         "print per-phase times (cache lookup, parse, rewrite, codegen, load, attach)");
}

void logCacheOutcome(const PhaseTimes &t) {
    spdlog::debug("object cache: {}; frontend {}loaded", cacheOutcome(t),
                  t.frontend_loaded ? "" : "not ");
    if (!t.cache_note.empty())
        spdlog::info("{}", escape_terminal_controls(t.cache_note));
    if (!t.core_btf_note.empty())
        spdlog::info("{}", escape_terminal_controls(t.core_btf_note));
}

void printPhases(const ScriptPhaseTimes &t, bool json, bool with_run) {
    const std::pair<const char *, double> phases[] = {
        {"cache_lookup", t.cache_lookup_ms}, {"kernel_types", t.kernel_types_ms},
        {"parse", t.parse_ms},               {"rewrite", t.rewrite_ms},
        {"codegen", t.codegen_ms},           {"core_btf", t.core_btf_ms},
        {"cache_store", t.cache_store_ms},   {"open", t.open_ms},
        {"load", t.load_ms},                 {"attach", t.attach_ms},
        {"run", with_run ? t.run_ms : -1},   {"run_cpu", with_run ? t.run_cpu_ms : -1}};
    std::ostringstream out;
    out.setf(std::ios::fixed);
    out.precision(3);
    if (json) {
        out << "{\"type\":\"phases\"";
        for (auto [name, ms] : phases)
            if (ms >= 0)
                out << ",\"" << name << "_ms\":" << ms;
        out << ",\"cache\":\"" << cacheOutcome(t) << "\",\"cache_hit\":"
            << (t.cache_hit ? "true" : "false") << ",\"frontend_loaded\":"
            << (t.frontend_loaded ? "true" : "false") << ",\"core_btf_minimized\":"
            << (t.core_btf_minimized ? "true" : "false") << ",\"cache_note\":\""
            << jsonEscape(t.cache_note) << "\"";
        if (with_run)
            out << ",\"run_wakeups\":" << t.run_wakeups << ",\"run_events\":" << t.run_events;
        out << "}\n";
        std::cout << out.str() << std::flush;
        return;
    }
    for (auto [name, ms] : phases)
        if (ms >= 0)
            out << "phase " << name << ": " << ms << " ms\n";
    if (with_run)
        out << "phase run_wakeups: " << t.run_wakeups << "\nphase run_events: " << t.run_events << "\n";
    out << "phase cache: " << cacheOutcome(t) << "\n"
        << "phase frontend_loaded: " << (t.frontend_loaded ? "yes" : "no") << "\n"
        << "phase kernel_btf: " << (t.core_btf_minimized ? "minimized" : "not minimized") << "\n";
    std::cerr << out.str() << std::flush;
}

} // namespace jitprobe::cli
