// jitprobe::Exporter: scripts' maps and user-defined metrics as one Prometheus page
// (rendering here; serving over HTTP in ExporterServer.cpp).
#include "ExporterImpl.h"

#include <algorithm>

namespace jitprobe {
using namespace metrics;

namespace {
Labels toLabels(const MetricLabels &in) {
    Labels out;
    for (const auto &[k, v] : in)
        out.emplace_back(sanitize_label_name(k), v);
    return out;
}

double secondsSince(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}
} // namespace

Exporter::Exporter(ExporterOptions options) : impl_(std::make_unique<Impl>()) {
    impl_->options = std::move(options);
}

Exporter::~Exporter() { stop(); }

void Exporter::add_script(Script &script, RunOptions &run, MetricLabels extra) {
    auto snap = std::make_unique<ScriptSnapshot>(script, toLabels(extra));
    snap->hook(run);
    std::lock_guard lock(impl_->mu);
    impl_->scripts.push_back(std::move(snap));
}

Status Exporter::add_script(Script &script, RunOptions &run, MetricLabels extra, const std::string &source,
                            const std::string &file_name) {
    auto directives = parse_metric_directives(source, file_name);
    if (!directives.ok())
        return directives.status();
    auto snap = std::make_unique<ScriptSnapshot>(script, toLabels(extra), std::move(*directives));
    snap->hook(run);
    std::lock_guard lock(impl_->mu);
    impl_->scripts.push_back(std::move(snap));
    return Status::OK();
}

Status Exporter::check_directives(const std::string &source, const std::string &file_name) {
    auto directives = parse_metric_directives(source, file_name);
    return directives.ok() ? Status::OK() : directives.status();
}

void Exporter::add_source(std::function<std::vector<Record>()> source, MetricLabels extra) {
    std::lock_guard lock(impl_->mu);
    impl_->sources.push_back({std::move(source), toLabels(extra)});
}

void Exporter::set_gauge(const std::string &name, const std::string &help, MetricLabels labels, double value) {
    std::lock_guard lock(impl_->mu);
    Impl::UserMetric &m = impl_->user[sanitize_metric_name(name)];
    m.type = MetricType::Gauge;
    m.help = help;
    m.values[toLabels(labels)] = value;
}

void Exporter::add_counter(const std::string &name, const std::string &help, MetricLabels labels, double delta) {
    std::string n = sanitize_metric_name(name);
    if (n.ends_with("_total"))
        n.resize(n.size() - 6); // the family's base name; samples carry _total
    std::lock_guard lock(impl_->mu);
    Impl::UserMetric &m = impl_->user[n];
    m.type = MetricType::Counter;
    m.help = help;
    m.values[toLabels(labels)] += delta;
}

void Exporter::Impl::add_script_metrics(FamilySet &set, const ScriptSnapshot &snap, const ScriptState &st) {
    const std::string ns = options.metric_namespace.empty() ? "jitprobe" : options.metric_namespace;
    for (const Record &r : st.records)
        set.add_record(r, snap.extra(), &snap.directives());
    for (const auto &[buffer, agg] : st.events)
        if (auto d = snap.directives().find(buffer); d != snap.directives().end())
            set.add_events(buffer, d->second, agg, snap.extra());
    Family &loaded = set.family(ns + "_programs_loaded", MetricType::Gauge, "BPF programs loaded");
    loaded.samples.push_back({"", snap.extra(), static_cast<double>(st.programs.size())});
    Family &rt = set.family(ns + "_program_run_time_seconds", MetricType::Counter,
                            "time spent in the program (kernel.bpf_stats_enabled=1 only)");
    Family &rc = set.family(ns + "_program_runs", MetricType::Counter,
                            "runs of the program (kernel.bpf_stats_enabled=1 only)");
    for (const ProgramStats &p : st.programs) {
        Labels l = snap.extra();
        l.emplace_back("program", p.name);
        rt.samples.push_back({"_total", l, static_cast<double>(p.run_time_ns) * 1e-9});
        rc.samples.push_back({"_total", l, static_cast<double>(p.run_count)});
    }
    auto buffers = [&](const char *what, const std::map<std::string, std::uint64_t> &counts) {
        Family &f = set.family(ns + "_events_" + what, MetricType::Counter,
                               std::string("events ") + what + " per perf/ring buffer");
        for (const auto &[buffer, n] : counts) {
            Labels l = snap.extra();
            l.emplace_back("buffer", buffer);
            f.samples.push_back({"_total", l, static_cast<double>(n)});
        }
    };
    buffers("received", st.received);
    buffers("lost", st.lost);
}

void Exporter::Impl::add_user_metrics(FamilySet &set) {
    std::lock_guard lock(mu);
    for (const auto &[name, m] : user) {
        Family &f = set.family(name, m.type, m.help);
        for (const auto &[labels, v] : m.values)
            f.samples.push_back({m.type == MetricType::Counter ? "_total" : "", labels, v});
    }
}

std::vector<Family> Exporter::Impl::collect() {
    auto start = std::chrono::steady_clock::now();
    FamilySet set(ConvertOptions{options.metric_namespace, options.max_series});
    std::vector<ScriptSnapshot *> snaps;
    std::vector<Source> srcs;
    {
        std::lock_guard lock(mu);
        for (auto &s : scripts)
            snaps.push_back(s.get());
        srcs = sources;
    }
    auto deadline = start + std::chrono::milliseconds(static_cast<long>(options.snapshot_timeout_s * 1000));
    for (ScriptSnapshot *s : snaps)
        s->ask();
    for (ScriptSnapshot *s : snaps)
        add_script_metrics(set, *s, s->wait(deadline));
    for (const Source &s : srcs)
        for (const Record &r : s.fn())
            set.add_record(r, s.extra);
    add_user_metrics(set);
    const std::string ns = options.metric_namespace.empty() ? "jitprobe" : options.metric_namespace;
    dropped_total += set.dropped();
    set.family(ns + "_series_dropped", MetricType::Counter, "series left out by the per-metric cap")
        .samples.push_back({"_total", {}, static_cast<double>(dropped_total)});
    set.family(ns + "_scrape_duration_seconds", MetricType::Gauge, "time to read the maps for this page")
        .samples.push_back({"", {}, secondsSince(start)});
    return set.take();
}

Exporter::Page Exporter::render(std::string_view accept) {
    Format format = negotiate(accept);
    Impl &impl = *impl_;
    // One snapshot for every scrape within the window: concurrent scrapers wait for the one in
    // progress, then reuse its page.
    std::lock_guard lock(impl.render_mu);
    Impl::Cached &c = impl.cached[format == Format::OpenMetrics ? 1 : 0];
    if (!c.valid || secondsSince(c.at) > impl.options.snapshot_window_s) {
        std::vector<Family> families = impl.collect();
        for (int i = 0; i < 2; ++i) {
            impl.cached[i].body.clear();
            metrics::render(impl.cached[i].body, families, i ? Format::OpenMetrics : Format::Text004);
            impl.cached[i].at = std::chrono::steady_clock::now();
            impl.cached[i].valid = true;
        }
    }
    return Page{c.body, std::string(content_type(format))};
}

} // namespace jitprobe
