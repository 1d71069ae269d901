// Exporter's private state (shared by Exporter.cpp and ExporterServer.cpp).
#pragma once
#include "RecordMetrics.h"
#include "ScriptSnapshot.h"

#include "jitprobe/Exporter.h"

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

namespace httplib {
class Server;
}

namespace jitprobe {

struct Exporter::Impl {
    struct Source {
        std::function<std::vector<Record>()> fn;
        metrics::Labels extra;
    };
    struct UserMetric {
        metrics::MetricType type = metrics::MetricType::Gauge;
        std::string help;
        std::map<metrics::Labels, double> values;
    };
    struct Cached {
        std::string body;
        std::chrono::steady_clock::time_point at;
        bool valid = false;
    };

    ExporterOptions options;
    std::mutex mu; // scripts, sources, user metrics, server
    std::vector<std::unique_ptr<metrics::ScriptSnapshot>> scripts;
    std::vector<Source> sources;
    std::map<std::string, UserMetric> user;
    std::mutex render_mu; // one collection at a time; the cache below
    Cached cached[2];     // text 0.0.4, OpenMetrics
    std::size_t dropped_total = 0;
    std::shared_ptr<httplib::Server> server;
    std::atomic<bool> stopped{false};
    std::atomic<bool> listening{false}; // serve() is in (or about to enter) the accept loop
    std::atomic<int> port{-1};

    std::vector<metrics::Family> collect();
    void add_script_metrics(metrics::FamilySet &set, const metrics::ScriptSnapshot &snap,
                            const metrics::ScriptState &st);
    void add_user_metrics(metrics::FamilySet &set);
};

} // namespace jitprobe
