// jitprobe/Exporter.h without BPF: record sources and user-defined metrics rendered in both
// formats, served over HTTP on a loopback port, from several threads at once.
#include "jitprobe/Exporter.h"

#include <httplib.h>

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

using namespace jitprobe;

namespace {
std::vector<Record> oneMap(std::uint64_t value) {
    MapRecord m{"requests", "hash", {}};
    m.entries.push_back({Value::string("GET"), Value::unsigned_integer(value), {}});
    return {m};
}
} // namespace

TEST(Exporter, RendersSourcesAndUserMetricsInBothFormats) {
    ExporterOptions o;
    o.metric_namespace = "app";
    Exporter e(o);
    e.add_source([] { return oneMap(5); }, {{"probe", "web"}});
    e.set_gauge("app_ready", "1 when ready", {}, 1);
    e.add_counter("app_jobs_total", "jobs done", {{"kind", "a"}}, 2);
    e.add_counter("app_jobs_total", "jobs done", {{"kind", "a"}}, 3);
    Exporter::Page text = e.render("text/plain");
    EXPECT_NE(text.content_type.find("version=0.0.4"), std::string::npos);
    EXPECT_NE(text.body.find("app_requests_total{probe=\"web\",key=\"GET\"} 5\n"), std::string::npos) << text.body;
    EXPECT_NE(text.body.find("# TYPE app_ready gauge\napp_ready 1\n"), std::string::npos) << text.body;
    EXPECT_NE(text.body.find("# TYPE app_jobs_total counter\napp_jobs_total{kind=\"a\"} 5\n"), std::string::npos)
        << text.body;
    Exporter::Page om = e.render("application/openmetrics-text; version=1.0.0");
    EXPECT_NE(om.content_type.find("openmetrics-text"), std::string::npos);
    EXPECT_NE(om.body.find("# TYPE app_jobs counter\napp_jobs_total{kind=\"a\"} 5\n"), std::string::npos) << om.body;
    EXPECT_TRUE(om.body.ends_with("# EOF\n"));
}

TEST(Exporter, ScrapesWithinTheWindowShareOneSnapshot) {
    ExporterOptions o;
    o.snapshot_window_s = 60;
    Exporter e(o);
    std::atomic<int> calls{0};
    e.add_source([&] { return oneMap(static_cast<std::uint64_t>(++calls)); });
    std::vector<std::thread> scrapers;
    for (int i = 0; i < 8; ++i)
        scrapers.emplace_back([&] {
            for (int j = 0; j < 20; ++j)
                (void)e.render("");
        });
    for (auto &t : scrapers)
        t.join();
    EXPECT_EQ(calls.load(), 1); // 160 scrapes, one read
    EXPECT_NE(e.render("").body.find("jitprobe_requests_total{key=\"GET\"} 1\n"), std::string::npos);
}

TEST(Exporter, ServesGetAndHeadOnItsPathOnly) {
    Exporter e;
    e.set_gauge("up", "", {}, 1);
    Status served;
    std::thread server([&] { served = e.serve("127.0.0.1:0"); });
    for (int i = 0; i < 500 && e.bound_port() < 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    ASSERT_GT(e.bound_port(), 0);
    httplib::Client c("127.0.0.1", e.bound_port());
    auto get = c.Get("/metrics");
    ASSERT_TRUE(get);
    EXPECT_EQ(get->status, 200);
    EXPECT_NE(get->body.find("up 1\n"), std::string::npos);
    auto head = c.Head("/metrics");
    ASSERT_TRUE(head);
    EXPECT_EQ(head->status, 200);
    EXPECT_TRUE(head->body.empty());
    auto post = c.Post("/metrics", "x", "text/plain");
    ASSERT_TRUE(post);
    EXPECT_EQ(post->status, 405);
    EXPECT_EQ(post->get_header_value("Allow"), "GET, HEAD");
    auto other = c.Get("/");
    ASSERT_TRUE(other);
    EXPECT_EQ(other->status, 404);
    e.stop();
    server.join();
    EXPECT_TRUE(served.ok()) << served.msg();
}

TEST(Exporter, ServeRejectsABadAddress) {
    Exporter e;
    EXPECT_FALSE(e.serve("no-port").ok());
    EXPECT_FALSE(e.serve("127.0.0.1:99999").ok());
}
