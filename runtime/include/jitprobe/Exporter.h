// Probe results as Prometheus metrics: an exporter to embed in a C++ service.
//
//   jitprobe::Script script;                       // loaded and attached as usual
//   jitprobe::Exporter exporter;                   // namespace "jitprobe", 10000 series/metric
//   jitprobe::RunOptions run;
//   exporter.add_script(script, run);              // before script.run(run)
//   std::thread poller([&] { (void)script.run(run); });
//   exporter.set_gauge("myapp_ready", "1 when serving", {}, 1);
//   exporter.serve("127.0.0.1:9435");              // blocks until stop(); or, in your server:
//   auto page = exporter.render(request_accept_header); // page.body, page.content_type
//
// Every map becomes metrics with no configuration (see README "Prometheus"): counters
// NAMESPACE_<map>_total labelled by the key's members, BCC log2 histograms as Prometheus
// histograms, maps named *_ns/_us/_ms in seconds. Thread-safe: render() may run on any thread,
// concurrently with the thread polling the script (maps are read on that thread, on request).
#pragma once
#include "jitprobe/Output.h"
#include "jitprobe/Script.h"
#include "jitprobe/Status.h"

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace jitprobe {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

struct ExporterOptions {
    std::string metric_namespace = "jitprobe"; // metric names: NAMESPACE_<map>
    std::size_t max_series = 10000;            // per metric; more are dropped (and counted)
    double snapshot_window_s = 0.5;            // scrapes within this window share one snapshot
    double snapshot_timeout_s = 2;             // how long a scrape waits for the polling thread
    // serve(): the page's path; worker threads; a request's size cap; read/write timeouts.
    std::string path = "/metrics";
    std::size_t threads = 4;
    std::size_t max_request_bytes = 8192;
    int io_timeout_s = 5;
};

class Exporter {
  public:
    explicit Exporter(ExporterOptions options = {});
    ~Exporter(); // stops serving
    Exporter(const Exporter &) = delete;
    Exporter &operator=(const Exporter &) = delete;

    // Exposes SCRIPT's maps (which must outlive the exporter) and counts its buffers' events.
    // Hooks RUN's on_event/on_batch (chaining existing ones): pass RUN to script.run() afterwards.
    // EXTRA labels are added to every series of this script (e.g. {"probe", "opens"}).
    void add_script(Script &script, RunOptions &run, MetricLabels extra = {});
    // As above, with the `// @metric MAP ...` directives of SOURCE, the script's source text
    // (README "Prometheus"). A malformed directive: an error naming FILE_NAME:LINE:COL, and
    // nothing is added.
    Status add_script(Script &script, RunOptions &run, MetricLabels extra, const std::string &source,
                      const std::string &file_name);
    // Whether SOURCE's `// @metric` directives parse (the error names FILE_NAME:LINE:COL).
    // Script::load checks them against the compiled maps as well (names, key labels, types).
    static Status check_directives(const std::string &source, const std::string &file_name);
    // Records from SOURCE (called on the scraping thread, at most once per snapshot window).
    void add_source(std::function<std::vector<Record>()> source, MetricLabels extra = {});

    // User-defined metrics (names used as given, after sanitizing).
    void set_gauge(const std::string &name, const std::string &help, MetricLabels labels, double value);
    void add_counter(const std::string &name, const std::string &help, MetricLabels labels, double delta = 1);

    struct Page {
        std::string body;
        std::string content_type;
    };
    // The exposition: OpenMetrics when ACCEPT asks for it, else text 0.0.4.
    Page render(std::string_view accept = "");

    // Serves GET/HEAD on options.path at LISTEN ("HOST:PORT"; "127.0.0.1:9435" by default)
    // until stop(). Fails when the address cannot be bound.
    Status serve(const std::string &listen = "127.0.0.1:9435");
    // Makes serve() return (any thread; not from a signal handler). Idempotent.
    void stop();
    // After serve() bound: the port (useful with port 0).
    int bound_port() const;

    struct Impl;

  private:
    std::unique_ptr<Impl> impl_;
};

} // namespace jitprobe
