// `jitprobe serve FILE.c [...]`: load and attach every file, serve their maps to Prometheus.
#include "Cli.h"
#include "jitprobe/Exporter.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <memory>
#include <thread>

namespace jitprobe::cli {
namespace {

struct ServeArgs {
    ProbeArgs probe;
    std::vector<std::string> files;
    std::string listen = "127.0.0.1:9435", path = "/metrics", ns = "jitprobe";
    std::size_t max_series = 10000;
    CacheArgs cache;
};

po::options_description serveOptions(ServeArgs &a) {
    po::options_description desc("serve options");
    addProbeOptions(desc, a.probe, false);
    desc.add_options()
        ("files", po::value(&a.files)->multitoken(), "FILE.c ...: the probes (positional)")
        ("listen", po::value(&a.listen), "HOST:PORT to serve on (default 127.0.0.1:9435; port 0: any)")
        ("path", po::value(&a.path), "the metrics page's path (default /metrics)")
        ("namespace", po::value(&a.ns), "metric name prefix (default jitprobe)")
        ("max-series", po::value(&a.max_series), "N: series per metric at most (default 10000)")
        ("help,h", "this help");
    addCacheOptions(desc, a.cache);
    return desc;
}

struct Probe {
    std::string file;
    Script script;
    RunOptions run;
    std::thread poller;
};

Status loadProbe(Probe &p, const ServeArgs &a) {
    ScriptOptions opts;
    opts.use_cache = !a.cache.no_cache;
    if (Status s = p.script.load_file(p.file, a.probe.cflags(), opts); !s.ok())
        return s;
    logCacheOutcome(p.script.phase_times());
    return p.script.attach_all();
}

// Once bound: where, on stderr (with --listen HOST:0, the port the kernel chose).
void announce(const Exporter &exporter, const ServeArgs &a, const std::atomic<bool> &done) {
    for (int i = 0; i < 200 && exporter.bound_port() < 0 && !done.load(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
    if (exporter.bound_port() >= 0)
        std::cerr << "jitprobe: serving " << a.files.size() << " probe(s) on http://"
                  << a.listen.substr(0, a.listen.rfind(':')) << ":" << exporter.bound_port() << a.path
                  << std::endl;
}
} // namespace

int serveCommand(const std::vector<std::string> &args) {
    ServeArgs a;
    po::options_description desc = serveOptions(a);
    po::variables_map vm;
    if (!parseArgs(args, desc, vm, "files", -1))
        return kExitUsage;
    if (vm.count("help")) {
        std::cout << "usage: jitprobe serve FILE.c [FILE.c ...] [options]\n" << desc;
        return kExitOk;
    }
    if (a.files.empty()) {
        reportError("serve: missing FILE.c");
        return kExitUsage;
    }
    if (std::size_t colon = a.listen.rfind(':');
        colon == std::string::npos || colon + 1 == a.listen.size() ||
        a.listen.find_first_not_of("0123456789", colon + 1) != std::string::npos) {
        reportError("serve: --listen '" + a.listen + "': expected HOST:PORT (e.g. 127.0.0.1:9435)");
        return kExitUsage;
    }
    for (const std::string &file : a.files) { // bad directives fail before anything is compiled
        auto source = read_probe_source(file);
        Status ok = source.ok() ? Exporter::check_directives(*source, file) : source.status();
        if (!ok.ok()) {
            reportError(ok.msg());
            return source.ok() ? kExitUsage : kExitFailure;
        }
    }
    installStopHandlers();
    signal(SIGPIPE, SIG_IGN);
    ExporterOptions eo;
    eo.metric_namespace = a.ns;
    eo.max_series = a.max_series;
    eo.path = a.path;
    Exporter exporter(eo);
    std::vector<std::unique_ptr<Probe>> probes;
    for (const std::string &file : a.files) {
        auto p = std::make_unique<Probe>();
        p->file = file;
        if (Status s = loadProbe(*p, a); !s.ok()) {
            reportFailure(s);
            return kExitFailure;
        }
        reportUnattached(p->script, file, true);
        MetricLabels extra;
        if (a.files.size() > 1) // the same map name in two files must not make duplicate series
            extra.emplace_back("probe", std::filesystem::path(file).stem().string());
        auto source = read_probe_source(file);
        Status added = source.ok() ? exporter.add_script(p->script, p->run, extra, *source, file) : source.status();
        if (!added.ok()) {
            reportError(added.msg());
            return kExitUsage;
        }
        probes.push_back(std::move(p));
    }
    std::atomic<bool> done{false};
    for (auto &p : probes)
        p->poller = std::thread([&p] {
            if (Status s = p->script.run(p->run); !s.ok())
                reportFailure(s);
        });
    std::thread watcher([&] {
        announce(exporter, a, done);
        // The pollers run until a signal: then stop serving.
        for (auto &p : probes)
            p->poller.join();
        done.store(true);
        exporter.stop();
    });
    Status served = exporter.serve(a.listen);
    if (!served.ok()) {
        Script::stop_all();
        reportFailure(served);
    }
    watcher.join();
    return served.ok() ? kExitOk : kExitFailure;
}

} // namespace jitprobe::cli
