// issue 15: `jitprobe serve` scraped by a real Prometheus server (Debian's `prometheus`, started
// here on a loopback port with a temporary config and data dir); `promtool check metrics` on
// every example served; malformed scrapes neither crash the server nor stop the probes.
#include "LiveSupport.h"
#include "ProcessRunner.h"
#include "jitprobe/Kernel.h"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <csignal>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

using namespace jitprobe::testing;
namespace fs = std::filesystem;

namespace {

struct TempDir {
    fs::path path;
    TempDir() {
        char tmpl[] = "/tmp/jitprobe-prom-XXXXXX";
        path = mkdtemp(tmpl);
    }
    ~TempDir() { fs::remove_all(path); }
};

// A child process with a deadline: SIGTERM then SIGKILL, always reaped.
class Child {
  public:
    Child(const std::vector<std::string> &argv, const fs::path &log) {
        pid_ = fork();
        if (pid_ == 0) {
            int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
            dup2(fd, 1);
            dup2(fd, 2);
            std::vector<char *> args;
            for (const std::string &a : argv)
                args.push_back(const_cast<char *>(a.c_str()));
            args.push_back(nullptr);
            execvp(args[0], args.data());
            _exit(127);
        }
    }
    ~Child() {
        if (pid_ <= 0)
            return;
        kill(pid_, SIGTERM);
        for (int i = 0; i < 100; ++i) {
            if (waitpid(pid_, nullptr, WNOHANG) == pid_)
                return;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
    }
    pid_t pid() const { return pid_; }

  private:
    pid_t pid_ = -1;
};

// A forked workload held on a pipe until go(): SHORT 1 ms sleeps, LONG 20 ms sleeps, CALLS
// getppid() calls, then exits. Its pid is compiled into the probe as TARGET.
class Workload {
  public:
    Workload(int shortSleeps, int longSleeps, int calls) {
        int p[2];
        if (pipe2(p, O_CLOEXEC) != 0)
            return;
        pid_ = fork();
        if (pid_ == 0) {
            close(p[1]);
            char c;
            if (read(p[0], &c, 1) != 1)
                _exit(1);
            timespec shortTs{0, 1'000'000}, longTs{0, 20'000'000};
            for (int i = 0; i < shortSleeps; ++i)
                nanosleep(&shortTs, nullptr);
            for (int i = 0; i < longSleeps; ++i)
                nanosleep(&longTs, nullptr);
            for (int i = 0; i < calls; ++i)
                (void)getppid();
            _exit(0);
        }
        close(p[0]);
        go_ = p[1];
    }
    ~Workload() {
        if (go_ >= 0)
            close(go_);
        if (pid_ > 0) {
            kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
        }
    }
    void runToEnd() {
        (void)!write(go_, "g", 1);
        int status = 0;
        waitpid(pid_, &status, 0);
        pid_ = -1;
    }
    pid_t pid() const { return pid_; }

  private:
    pid_t pid_ = -1;
    int go_ = -1;
};

const char *kProbe = R"(
struct call_key { u32 nr; };
BPF_HASH(calls, struct call_key, u64, 1024);
BPF_HASH(sleep_begin, u32, u64, 1024);
BPF_HISTOGRAM(sleep_us);
// The same sleeps in 5 ms steps, as BCC's print_linear_hist tools count (slot = ms / 5).
BPF_HISTOGRAM(sleep_step_ms);
// @metric sleep_step_ms linear=5 help="nanosleep latency in 5 ms steps"

TRACEPOINT_PROBE(raw_syscalls, sys_enter) {
    if ((bpf_get_current_pid_tgid() >> 32) != TARGET)
        return 0;
    struct call_key k = {.nr = (u32)args->id};
    calls.increment(k);
    return 0;
}
TRACEPOINT_PROBE(syscalls, sys_enter_clock_nanosleep) {
    u64 id = bpf_get_current_pid_tgid();
    if ((id >> 32) != TARGET)
        return 0;
    u32 tid = (u32)id;
    u64 now = bpf_ktime_get_ns();
    sleep_begin.update(&tid, &now);
    return 0;
}
TRACEPOINT_PROBE(syscalls, sys_exit_clock_nanosleep) {
    u32 tid = (u32)bpf_get_current_pid_tgid();
    u64 *begin = sleep_begin.lookup(&tid);
    if (!begin)
        return 0;
    u64 delta = bpf_ktime_get_ns() - *begin;
    sleep_us.increment(bpf_log2l(delta / 1000));
    sleep_step_ms.increment(delta / 1000000 / 5);
    sleep_begin.delete(&tid);
    return 0;
}
)";

// The value of the single series QUERY returns (NaN if none yet).
double queryOne(httplib::Client &prom, const std::string &query) {
    auto res = prom.Get("/api/v1/query?query=" + httplib::detail::encode_query_param(query));
    if (!res || res->status != 200)
        return std::nan("");
    auto j = nlohmann::json::parse(res->body, nullptr, false);
    if (j.is_discarded() || j["data"]["result"].size() != 1)
        return std::nan("");
    return std::stod(j["data"]["result"][0]["value"][1].get<std::string>());
}

// Polls QUERY until PRED holds for its value or 30 s pass.
double waitFor(httplib::Client &prom, const std::string &query,
               const std::function<bool(double)> &pred) {
    double v = std::nan("");
    for (int i = 0; i < 150; ++i) {
        v = queryOne(prom, query);
        if (!std::isnan(v) && pred(v))
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return v;
}

bool havePrometheus() {
    return access("/usr/bin/prometheus", X_OK) == 0 && access("/usr/bin/promtool", X_OK) == 0;
}

} // namespace

TEST(PrometheusLive, ServerScrapesCountersAndHistogramQuantiles) {
    JP_REQUIRE_BPF_PRIVILEGES();
    if (!havePrometheus())
        GTEST_SKIP() << "prometheus/promtool not installed (scripts/common.sh PACKAGES)";
    TempDir dir;
    std::ofstream(dir.path / "sleeps.c") << kProbe;
    int servePort = freeLoopbackPort(), promPort = freeLoopbackPort();
    ASSERT_GT(servePort, 0);
    std::ofstream(dir.path / "prometheus.yml")
        << "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
           "scrape_configs:\n  - job_name: jitprobe\n    static_configs:\n      - targets: "
           "['127.0.0.1:"
        << servePort << "']\n";
    Workload work(10, 30, 37);
    double calls = 0, p10 = 0, p90 = 0, inf = 0, linInf = 0, linP10 = 0, linP90 = 0;
    ProcessOptions po;
    po.timeout_s = 120;
    po.ready_text = "serving";
    po.send_signal = SIGINT;
    po.on_ready = [&] {
        Child prom({"prometheus", "--config.file=" + (dir.path / "prometheus.yml").string(),
                    "--storage.tsdb.path=" + (dir.path / "data").string(),
                    "--web.listen-address=127.0.0.1:" + std::to_string(promPort)},
                   dir.path / "prometheus.log");
        work.runToEnd();
        httplib::Client client("127.0.0.1", promPort);
        client.set_read_timeout(5, 0);
        calls =
            waitFor(client, "jitprobe_calls_total{nr=\"110\"}", [](double v) { return v >= 37; });
        inf = waitFor(client, "jitprobe_sleep_seconds_bucket{le=\"+Inf\"}",
                      [](double v) { return v >= 40; });
        p10 = queryOne(client, "histogram_quantile(0.1, jitprobe_sleep_seconds_bucket)");
        p90 = queryOne(client, "histogram_quantile(0.9, jitprobe_sleep_seconds_bucket)");
        linInf = waitFor(client, "jitprobe_sleep_step_seconds_bucket{le=\"+Inf\"}",
                         [](double v) { return v >= 40; });
        linP10 = queryOne(client, "histogram_quantile(0.1, jitprobe_sleep_step_seconds_bucket)");
        linP90 = queryOne(client, "histogram_quantile(0.9, jitprobe_sleep_step_seconds_bucket)");
    };
    auto r = runProcess({cliPath(), "serve", (dir.path / "sleeps.c").string(), "-D",
                         "TARGET=" + std::to_string(work.pid()), "--listen",
                         "127.0.0.1:" + std::to_string(servePort)},
                        po);
    EXPECT_TRUE(r.exited() && r.exit_code == 0) << r.output;
    EXPECT_EQ(calls, 37) << "getppid() calls of the workload, as Prometheus stored them\n"
                         << readWholeFile(dir.path / "prometheus.log");
    EXPECT_EQ(inf, 40); // every nanosleep: 10 short + 30 long
    // 1 ms sleeps fall in [1024, 2047] us, 20 ms ones in [16384, 32767] us: the quantiles must
    // land in those buckets.
    EXPECT_GE(p10, 0.001023) << p10;
    EXPECT_LE(p10, 0.002047) << p10;
    EXPECT_GE(p90, 0.016383) << p90;
    EXPECT_LE(p90, 0.032767) << p90;
    // Linear, 5 ms steps: 1 ms sleeps in slot 0 (le 0.004 s), 20 ms ones in slot 4 (le 0.024 s;
    // slot 5 when a sleep overruns by 5 ms): the quantiles interpolate within those slots.
    EXPECT_EQ(linInf, 40);
    EXPECT_GE(linP10, 0) << linP10;
    EXPECT_LE(linP10, 0.004) << linP10;
    EXPECT_GE(linP90, 0.019) << linP90;
    EXPECT_LE(linP90, 0.029) << linP90;
}

namespace {
std::string shellQuote(const std::string &s) {
    std::string out = "'";
    for (char c : s)
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

// Every example this kernel can attach: the kprobe forms (*_kprobe.c) only where kprobes exist
// (they run in the VM phase otherwise); go_http.c attaches to the tests' Go server by name, found
// in $PATH (left out only when Go cannot build it).
std::vector<std::string> exampleProbes() {
    std::string why, server = jitprobe::testing::goServer(why);
    if (!server.empty()) {
        std::string path = server.substr(0, server.rfind('/')) + ":" +
                           (std::getenv("PATH") ? std::getenv("PATH") : "/usr/bin:/bin");
        ::setenv("PATH", path.c_str(), 1);
    }
    std::vector<std::string> files;
    for (const auto &e : fs::directory_iterator(fs::path(JITPROBE_SOURCE_DIR) / "examples")) {
        std::string stem = e.path().stem().string();
        if (e.path().extension() == ".c" &&
            (jitprobe::kprobes_supported() || !stem.ends_with("_kprobe")) &&
            (!server.empty() || stem != "go_http"))
            files.push_back(e.path().string());
    }
    std::sort(files.begin(), files.end());
    return files;
}
} // namespace

TEST(PrometheusLive, PromtoolAcceptsEveryExampleServed) {
    JP_REQUIRE_BPF_PRIVILEGES();
    if (!havePrometheus())
        GTEST_SKIP() << "prometheus/promtool not installed (scripts/common.sh PACKAGES)";
    TempDir dir;
    int port = freeLoopbackPort();
    std::vector<std::string> files = exampleProbes();
    ASSERT_GE(files.size(), 10u);
    std::vector<std::string> argv{cliPath(), "serve"};
    argv.insert(argv.end(), files.begin(), files.end());
    argv.insert(argv.end(), {"--listen", "127.0.0.1:" + std::to_string(port)});
    std::string text, open_metrics;
    ProcessOptions po;
    po.timeout_s = 300;
    po.ready_text = "serving";
    po.send_signal = SIGTERM;
    po.on_ready = [&] {
        std::this_thread::sleep_for(std::chrono::seconds(2)); // let the probes see some events
        httplib::Client client("127.0.0.1", port);
        client.set_read_timeout(10, 0);
        if (auto res = client.Get("/metrics"))
            text = res->body;
        if (auto res =
                client.Get("/metrics", {{"Accept", "application/openmetrics-text; version=1.0.0"}}))
            open_metrics = res->body;
    };
    auto r = runProcess(argv, po);
    EXPECT_TRUE(r.exited() && r.exit_code == 0) << r.output;
    for (const std::string &f : files) // every example loaded: its programs are counted
        EXPECT_NE(
            text.find("jitprobe_programs_loaded{probe=\"" + fs::path(f).stem().string() + "\"}"),
            std::string::npos)
            << f;
    EXPECT_NE(text.find("# TYPE jitprobe_syscalls_total counter"), std::string::npos);
    EXPECT_NE(text.find("# TYPE jitprobe_runq_lat_seconds histogram"), std::string::npos);
    EXPECT_TRUE(open_metrics.ends_with("# EOF\n"));
    std::ofstream(dir.path / "page.txt") << text;
    std::ofstream(dir.path / "page.om") << open_metrics;
    ProcessOptions checkOptions;
    checkOptions.timeout_s = 60;
    auto check =
        runProcess({"/bin/sh", "-c",
                    "promtool check metrics < " + shellQuote((dir.path / "page.txt").string())},
                   checkOptions);
    EXPECT_TRUE(check.exited() && check.exit_code == 0) << check.output << text;
}

namespace {
// N connections that send a partial request line and then nothing (slowloris). Non-blocking:
// once the server's backlog is full, connect() must not hold the test.
std::vector<int> openIdleConnections(int port, int n) {
    std::vector<int> idle;
    for (int i = 0; i < n; ++i) {
        int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(static_cast<uint16_t>(port));
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (connect(s, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0 || errno == EINPROGRESS) {
            pollfd p{s, POLLOUT, 0};
            if (poll(&p, 1, 200) == 1)
                (void)!write(s, "GET /metr", 9);
        }
        idle.push_back(s);
    }
    return idle;
}
} // namespace

TEST(PrometheusLive, MalformedScrapesNeitherCrashNorBlockProbes) {
    JP_REQUIRE_BPF_PRIVILEGES();
    TempDir dir;
    std::ofstream(dir.path / "sleeps.c") << kProbe;
    int port = freeLoopbackPort();
    Workload work(0, 0, 500);
    double counted = -1;
    std::vector<int> statuses;
    ProcessOptions po;
    po.timeout_s = 120;
    po.ready_text = "serving";
    po.send_signal = SIGINT;
    po.on_ready = [&] {
        std::vector<int> idle = openIdleConnections(port, 64);
        work.runToEnd(); // the probe counts while every worker is held by an idle connection
        // The held connections end: the server must serve again (no worker lost, no crash).
        for (int s : idle)
            close(s);
        httplib::Client client("127.0.0.1", port);
        client.set_read_timeout(30, 0);
        client.set_connection_timeout(30, 0);
        auto status = [&](httplib::Result res) { statuses.push_back(res ? res->status : -1); };
        status(client.Get("/metrics?" + std::string(100000, 'a'))); // URI over the cap
        status(client.Post("/metrics", "x", "text/plain"));         // method not allowed
        status(client.Delete("/metrics"));
        status(client.Get("/elsewhere"));
        auto res = client.Get("/metrics");
        status(std::move(res));
        auto again = client.Get("/metrics");
        if (again && again->status == 200) {
            std::string want = "jitprobe_calls_total{nr=\"110\"} ";
            std::size_t at = again->body.find(want);
            if (at != std::string::npos)
                counted = std::stod(again->body.substr(at + want.size()));
        }
    };
    auto r = runProcess({cliPath(), "serve", (dir.path / "sleeps.c").string(), "-D",
                         "TARGET=" + std::to_string(work.pid()), "--listen",
                         "127.0.0.1:" + std::to_string(port)},
                        po);
    EXPECT_TRUE(r.exited() && r.exit_code == 0) << r.output;
    ASSERT_EQ(statuses.size(), 5u);
    // A request line over httplib's 8 KiB cap: 414, or the connection closed unanswered.
    EXPECT_TRUE(statuses[0] == 414 || statuses[0] == -1) << statuses[0];
    EXPECT_EQ(statuses[1], 405);
    EXPECT_EQ(statuses[2], 405);
    EXPECT_EQ(statuses[3], 404);
    EXPECT_EQ(statuses[4], 200);
    EXPECT_EQ(counted, 500); // every getppid() of the workload, counted during the flood
}

namespace {
const char *kEventProbe = R"(
struct event { u32 tgid; u64 latency_ns; };
BPF_PERF_OUTPUT(sleeps);
BPF_HASH(sleep_begin, u32, u64, 1024);
// @metric sleeps histogram value=latency_ns labels=tgid help="nanosleep latency"
TRACEPOINT_PROBE(syscalls, sys_enter_clock_nanosleep) {
    u64 id = bpf_get_current_pid_tgid();
    if ((id >> 32) != TARGET)
        return 0;
    u32 tid = (u32)id;
    u64 now = bpf_ktime_get_ns();
    sleep_begin.update(&tid, &now);
    return 0;
}
TRACEPOINT_PROBE(syscalls, sys_exit_clock_nanosleep) {
    u64 id = bpf_get_current_pid_tgid();
    u32 tid = (u32)id;
    u64 *begin = sleep_begin.lookup(&tid);
    if (!begin)
        return 0;
    struct event e = {.tgid = id >> 32, .latency_ns = bpf_ktime_get_ns() - *begin};
    sleep_begin.delete(&tid);
    sleeps.perf_submit(args, &e, sizeof(e));
    return 0;
}
)";
} // namespace

TEST(PrometheusLive, BufferEventsAggregateIntoAHistogramWithExactSum) {
    JP_REQUIRE_BPF_PRIVILEGES();
    TempDir dir;
    std::ofstream(dir.path / "events.c") << kEventProbe;
    int port = freeLoopbackPort();
    Workload work(10, 5, 0);
    std::string target = std::to_string(work.pid()), body;
    ProcessOptions po;
    po.timeout_s = 120;
    po.ready_text = "serving";
    po.send_signal = SIGINT;
    po.on_ready = [&] {
        work.runToEnd();
        httplib::Client client("127.0.0.1", port);
        client.set_read_timeout(10, 0);
        std::string want = "jitprobe_sleeps_latency_seconds_count{tgid=\"" + target + "\"} 15";
        for (int i = 0; i < 50 && body.find(want) == std::string::npos; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(600)); // past the snapshot window
            if (auto res = client.Get("/metrics"))
                body = res->body;
        }
    };
    auto r = runProcess({cliPath(), "serve", (dir.path / "events.c").string(), "-D",
                         "TARGET=" + target, "--listen", "127.0.0.1:" + std::to_string(port)},
                        po);
    EXPECT_TRUE(r.exited() && r.exit_code == 0) << r.output;
    std::string series = "{tgid=\"" + target + "\"}";
    EXPECT_NE(body.find("# HELP jitprobe_sleeps_latency_seconds nanosleep latency\n"),
              std::string::npos)
        << body;
    EXPECT_NE(body.find("jitprobe_sleeps_latency_seconds_count" + series + " 15\n"),
              std::string::npos)
        << body;
    // 10 sleeps of 1 ms and 5 of 20 ms: the exact sum is at least 0.11 s, with little slack.
    std::string sumKey = "jitprobe_sleeps_latency_seconds_sum" + series + " ";
    std::size_t at = body.find(sumKey);
    ASSERT_NE(at, std::string::npos) << body;
    double sum = std::stod(body.substr(at + sumKey.size()));
    EXPECT_GE(sum, 0.11);
    EXPECT_LT(sum, 0.5);
    EXPECT_NE(body.find("jitprobe_events_received_total{buffer=\"sleeps\"} 15\n"),
              std::string::npos)
        << body;
}

// A ring buffer's drops are counted while serving (read from the kernel at each scrape, not
// only when the run ends): a burst into a one-page ring loses events, and received + lost
// accounts for every one of them.
TEST(PrometheusLive, RingBufferDropsAreCountedWhileServing) {
    JP_REQUIRE_BPF_PRIVILEGES();
    TempDir dir;
    std::ofstream(dir.path / "ring.c") << R"(struct ev { u32 tgid; u32 n; u64 pad[6]; };
BPF_RINGBUF_OUTPUT(burst, 1);
TRACEPOINT_PROBE(syscalls, sys_enter_getppid) {
    if ((bpf_get_current_pid_tgid() >> 32) != TARGET)
        return 0;
    struct ev e = {.tgid = TARGET};
    burst.ringbuf_output(&e, sizeof(e), 0);
    return 0;
}
)";
    int port = freeLoopbackPort();
    Workload work(0, 0, 20000);
    std::string target = std::to_string(work.pid()), body;
    double received = 0, lost = 0;
    auto value = [&](const std::string &name) {
        std::string key = name + "{buffer=\"burst\"} ";
        std::size_t at = body.find(key);
        return at == std::string::npos ? -1.0 : std::stod(body.substr(at + key.size()));
    };
    ProcessOptions po;
    po.timeout_s = 120;
    po.ready_text = "serving";
    po.send_signal = SIGINT;
    po.on_ready = [&] {
        work.runToEnd();
        httplib::Client client("127.0.0.1", port);
        client.set_read_timeout(10, 0);
        for (int i = 0; i < 50 && received + lost != 20000; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(600)); // past the snapshot window
            if (auto res = client.Get("/metrics"))
                body = res->body;
            received = value("jitprobe_events_received_total");
            lost = value("jitprobe_events_lost_total");
        }
    };
    auto r = runProcess({cliPath(), "serve", (dir.path / "ring.c").string(), "-D",
                         "TARGET=" + target, "--listen", "127.0.0.1:" + std::to_string(port)},
                        po);
    EXPECT_TRUE(r.exited() && r.exit_code == 0) << r.output;
    EXPECT_GT(lost, 0) << body;
    EXPECT_EQ(received + lost, 20000) << body;
}
