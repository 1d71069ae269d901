// Live tests for the shipped probe scripts in examples/*.c: each one runs through the real CLI
// (`jitprobe run examples/X.c --format json -c TRIGGER`) on this kernel, and the JSON Lines it
// prints must show what the trigger really did (the comm, path, signal, port, sizes...).
#include "LiveSupport.h"

#include <nlohmann/json.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

using nlohmann::json;

std::string cliPath() { return std::string(JITPROBE_BINARY_DIR) + "/runtime/cli/jitprobe"; }

std::string shellQuote(const std::string &s) {
    std::string out = "'";
    for (char c : s)
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

// What one `jitprobe run` printed: the JSON objects, the other stdout lines, stderr, status.
struct RunResult {
    std::vector<json> records;
    std::vector<std::string> text;   // non-JSON stdout lines (the trigger's own output)
    std::string err;
    int status = -1;

    std::vector<json> events(const std::string &map) const {
        std::vector<json> out;
        for (const auto &r : records)
            if (r.value("type", "") == "event" && r.value("map", "") == map)
                out.push_back(r["data"]);
        return out;
    }
    std::vector<json> entries(const std::string &map) const {
        for (const auto &r : records)
            if (r.value("type", "") == "map" && r.value("name", "") == map)
                return r["entries"].get<std::vector<json>>();
        return {};
    }
    bool hasMap(const std::string &map) const {
        for (const auto &r : records)
            if (r.value("type", "") == "map" && r.value("name", "") == map)
                return true;
        return false;
    }
    // Buckets of the hist objects named NAME (only those whose "key" equals KEY, when given).
    std::vector<json> buckets(const std::string &name, const json &key = nullptr) const {
        std::vector<json> out;
        for (const auto &r : records) {
            if (r.value("type", "") != "hist" || r.value("name", "") != name)
                continue;
            if (!key.is_null() && (!r.contains("key") || r["key"] != key))
                continue;
            for (const auto &b : r["buckets"])
                out.push_back(b);
        }
        return out;
    }
    uint64_t total(const std::string &name, const json &key = nullptr) const {
        uint64_t n = 0;
        for (const auto &b : buckets(name, key))
            n += b["count"].get<uint64_t>();
        return n;
    }
    // The last "KEY=VALUE" line the trigger printed.
    std::string printed(const std::string &key) const {
        std::string found;
        for (const auto &line : text) {
            auto at = line.find(key + "=");
            if (at != std::string::npos)
                found = line.substr(at + key.size() + 1);
        }
        return found;
    }
    std::string describe() const {
        std::ostringstream os;
        os << "exit status " << status << ", " << records.size() << " JSON records\nstderr:\n"
           << err << "\nstdout (first records):\n";
        for (size_t i = 0; i < records.size() && i < 12; ++i)
            os << records[i].dump().substr(0, 400) << "\n";
        for (const auto &t : text)
            os << "[text] " << t << "\n";
        return os.str();
    }
};

void parseLine(const std::string &line, RunResult &res) {
    // The trigger's output may share a line with a record (no trailing newline): look for '{'.
    auto brace = line.find('{');
    if (brace != std::string::npos) {
        json j = json::parse(line.substr(brace), nullptr, false);
        if (!j.is_discarded() && j.is_object() && j.contains("type")) {
            res.records.push_back(std::move(j));
            if (brace > 0)
                res.text.push_back(line.substr(0, brace));
            return;
        }
    }
    if (!line.empty())
        res.text.push_back(line);
}

// Runs `jitprobe run examples/EXAMPLE --format json EXTRA -c TRIGGER` from the source tree.
RunResult runExample(const std::string &example, const std::string &trigger,
                     const std::string &extra = "") {
    RunResult res;
    auto errFile = std::filesystem::temp_directory_path() /
                   ("jp-example-" + std::to_string(::getpid()) + ".err");
    std::string cmd = "cd " + shellQuote(JITPROBE_SOURCE_DIR) + " && timeout -s INT 60 " +
                      shellQuote(cliPath()) + " run examples/" + example + " --format json " +
                      extra + " -c " + shellQuote(trigger) + " 2>" + shellQuote(errFile.string());
    FILE *pipe = ::popen(cmd.c_str(), "r");
    if (!pipe) {
        res.err = "popen failed";
        return res;
    }
    std::string line;
    char buf[8192];
    while (::fgets(buf, sizeof(buf), pipe)) {
        line += buf;
        if (!line.empty() && line.back() == '\n') {
            line.pop_back();
            parseLine(line, res);
            line.clear();
        }
    }
    parseLine(line, res);
    int st = ::pclose(pipe);
    res.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    std::ifstream in(errFile);
    res.err.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    std::filesystem::remove(errFile);
    return res;
}

bool anyOf(const std::vector<json> &items, const std::function<bool(const json &)> &pred) {
    for (const auto &j : items)
        if (pred(j))
            return true;
    return false;
}

class Examples : public ::testing::Test {
protected:
    void SetUp() override {
        JP_REQUIRE_BPF_PRIVILEGES();
        ASSERT_TRUE(std::filesystem::exists(cliPath()))
            << cliPath() << " is missing: build the jitprobe-cli target";
    }
};

// A python3 program that opens a listener on 127.0.0.1, prints PORT=<port>, connects to it,
// exchanges 1000 bytes one way and 300 the other, closes both ends, then tries a port that
// nobody listens on (printed as CLOSED=<port>).
const char *kTcpTrigger =
    "python3 -c 'import socket\n"
    "s = socket.socket(); s.bind((\"127.0.0.1\", 0)); s.listen()\n"
    "port = s.getsockname()[1]\n"
    "c = socket.create_connection((\"127.0.0.1\", port)); a, _ = s.accept()\n"
    "c.sendall(b\"x\" * 1000); got = 0\n"
    "while got < 1000: got += len(a.recv(4096))\n"
    "a.sendall(b\"y\" * 300); got = 0\n"
    "while got < 300: got += len(c.recv(4096))\n"
    "c.close(); a.close(); s.close()\n"
    "d = socket.socket(); d.bind((\"127.0.0.1\", 0)); closed = d.getsockname()[1]\n"
    "e = socket.socket(); e.connect_ex((\"127.0.0.1\", closed)); e.close(); d.close()\n"
    "print(\"PORT=%d\" % port); print(\"CLOSED=%d\" % closed)'";

} // namespace

TEST_F(Examples, ExecsnoopReportsCommandsWithParentAndArgs) {
    auto r = runExample("execsnoop.c", "sh -c 'ls / >/dev/null; cat /etc/hostname >/dev/null'");
    ASSERT_EQ(r.status, 0) << r.describe();
    auto ev = r.events("exec_events");
    // The inner sh execs ls and cat: both succeed, both have the inner sh as parent.
    uint32_t shPid = 0;
    for (const auto &e : ev)
        if (e["comm"] == "sh" && e["ret"] == 0 && e["argv"][1] == "-c" &&
            e["argv"][2].get<std::string>().rfind("ls / >/dev/null; cat", 0) == 0)
            shPid = e["pid"].get<uint32_t>();
    ASSERT_NE(shPid, 0u) << r.describe();
    EXPECT_TRUE(anyOf(ev, [&](const json &e) {
        return e["comm"] == "cat" && e["ret"] == 0 && e["ppid"] == shPid &&
               e["filename"].get<std::string>().find("/cat") != std::string::npos &&
               e["argv"][0] == "cat" && e["argv"][1] == "/etc/hostname";
    })) << r.describe();
    EXPECT_TRUE(anyOf(ev, [&](const json &e) {
        return e["comm"] == "ls" && e["ret"] == 0 && e["ppid"] == shPid && e["argv"][1] == "/";
    })) << r.describe();
}

TEST_F(Examples, OpensnoopReportsPathsAndResults) {
    auto r = runExample("opensnoop.c", "cat /etc/hostname /nonexistent-jitprobe >/dev/null 2>&1");
    ASSERT_EQ(r.status, 0) << r.describe();
    auto ev = r.events("open_events");
    EXPECT_TRUE(anyOf(ev, [](const json &e) {
        return e["comm"] == "cat" && e["path"] == "/etc/hostname" && e["ret"].get<int>() >= 0 &&
               e["pid"].get<int>() > 0;
    })) << r.describe();
    EXPECT_TRUE(anyOf(ev, [](const json &e) {
        return e["comm"] == "cat" && e["path"] == "/nonexistent-jitprobe" && e["ret"] == -2;
    })) << r.describe();
}

TEST_F(Examples, SyscountCountsByProcessAndSyscall) {
    auto r = runExample("syscount.c", "ls / >/dev/null; cat /etc/hostname >/dev/null");
    ASSERT_EQ(r.status, 0) << r.describe();
    uint64_t ls = 0, cat = 0;
    for (const auto &e : r.entries("by_comm")) {
        if (e["key"]["comm"] == "ls")
            ls = e["value"].get<uint64_t>();
        if (e["key"]["comm"] == "cat")
            cat = e["value"].get<uint64_t>();
    }
    EXPECT_GT(ls, 20u) << r.describe();
    EXPECT_GT(cat, 10u) << r.describe();
    EXPECT_TRUE(anyOf(r.entries("syscalls"), [](const json &e) {
        return e["key"]["nr"] == 257 && e["key"]["name"] == "openat" && e["value"].get<int>() > 0;
    })) << r.describe();
}

TEST_F(Examples, SyscountCommFilterKeepsOnlyThatProcess) {
    auto r = runExample("syscount.c", "ls / >/dev/null", "-D 'ONLY_COMM=\"ls\"'");
    ASSERT_EQ(r.status, 0) << r.describe();
    auto comms = r.entries("by_comm");
    ASSERT_EQ(comms.size(), 1u) << r.describe();
    EXPECT_EQ(comms[0]["key"]["comm"], "ls");
    uint64_t perSyscall = 0;
    bool exitGroup = false, getdents = false;
    for (const auto &e : r.entries("syscalls")) {
        perSyscall += e["value"].get<uint64_t>();
        exitGroup |= e["key"]["name"] == "exit_group" && e["value"] == 1;
        getdents |= e["key"]["name"] == "getdents64";
    }
    EXPECT_EQ(perSyscall, comms[0]["value"].get<uint64_t>()) << "both maps count the same calls";
    EXPECT_TRUE(exitGroup && getdents) << r.describe();
}

TEST_F(Examples, RunqlatHistogramHasTheSleepersWakeups) {
    auto r = runExample("runqlat.c",
                        "python3 -c 'import time; [time.sleep(0.001) for _ in range(200)]'",
                        "-D BY_COMM=1");
    ASSERT_EQ(r.status, 0) << r.describe();
    // Each of the 200 sleeps ends with a wakeup, and the woken thread waits in a run queue.
    EXPECT_GE(r.total("runq_lat_us", {{"comm", "python3"}}), 150u) << r.describe();
    for (const auto &b : r.buckets("runq_lat_us"))
        EXPECT_LE(b["low"].get<uint64_t>(), b["high"].get<uint64_t>());
}

TEST_F(Examples, RunqlatDefaultIsOneHistogram) {
    auto r = runExample("runqlat.c", "sleep 0.2");
    ASSERT_EQ(r.status, 0) << r.describe();
    EXPECT_GT(r.total("runq_lat_us"), 0u) << r.describe();
}

TEST_F(Examples, BiolatencySeesDirectWrites) {
    // A file in the build tree (on a disk; /tmp may be tmpfs). O_DIRECT sends each 4 KiB write
    // to the device as its own request; without O_DIRECT support, fall back to fsync'ed writes.
    std::string file = std::string(JITPROBE_BINARY_DIR) + "/jp-biolatency.dat";
    std::string dd = "dd if=/dev/zero of=" + file + " bs=4k count=256";
    auto r = runExample("biolatency.c", "(" + dd + " oflag=direct || " + dd + " conv=fsync) " +
                                            "2>/dev/null; rm -f " + file);
    ASSERT_EQ(r.status, 0) << r.describe();
    EXPECT_GE(r.total("bio_lat_us"), 1u) << r.describe();
    uint64_t written = 0;
    for (const auto &e : r.entries("bio_bytes"))
        if (e["key"]["rwbs"].get<std::string>().find('W') != std::string::npos)
            written += e["value"].get<uint64_t>();
    EXPECT_GE(written, 256u * 4096u) << r.describe();
}

TEST_F(Examples, TcpconnectSeesSuccessfulAndRefusedConnects) {
    auto r = runExample("tcpconnect.c", kTcpTrigger);
    ASSERT_EQ(r.status, 0) << r.describe();
    int port = std::atoi(r.printed("PORT").c_str());
    int closed = std::atoi(r.printed("CLOSED").c_str());
    ASSERT_GT(port, 0) << r.describe();
    auto ev = r.events("connects");
    json loopback = {127, 0, 0, 1};
    EXPECT_TRUE(anyOf(ev, [&](const json &e) {
        return e["comm"] == "python3" && e["dport"] == port && e["connected"] == 1 &&
               e["family"] == 2 && e["daddr"] == loopback && e["sport"].get<int>() > 0;
    })) << r.describe();
    EXPECT_TRUE(anyOf(ev, [&](const json &e) {
        return e["comm"] == "python3" && e["dport"] == closed && e["connected"] == 0;
    })) << r.describe();
}

TEST_F(Examples, TcplifeReportsBothEndsWithBytes) {
    auto r = runExample("tcplife.c", kTcpTrigger);
    ASSERT_EQ(r.status, 0) << r.describe();
    int port = std::atoi(r.printed("PORT").c_str());
    ASSERT_GT(port, 0) << r.describe();
    auto ev = r.events("sessions");
    // The client sent 1000 bytes and received 300; the accepted socket the other way round.
    EXPECT_TRUE(anyOf(ev, [&](const json &e) {
        return e["comm"] == "python3" && e["dport"] == port && e["tx_bytes"] >= 1000 &&
               e["rx_bytes"] >= 300 && e["rx_bytes"] < 1000;
    })) << r.describe();
    EXPECT_TRUE(anyOf(ev, [&](const json &e) {
        return e["comm"] == "python3" && e["sport"] == port && e["rx_bytes"] >= 1000 &&
               e["tx_bytes"] >= 300 && e["tx_bytes"] < 1000;
    })) << r.describe();
}

TEST_F(Examples, KillsnoopSeesShellSendingSigterm) {
    auto r = runExample("killsnoop.c", "sh -c 'sleep 5 & kill $!'");
    ASSERT_EQ(r.status, 0) << r.describe();
    EXPECT_TRUE(anyOf(r.events("kills"), [](const json &e) {
        return e["comm"] == "sh" && e["sig"] == 15 && e["ret"] == 0 && e["target"].get<int>() > 0;
    })) << r.describe();
    EXPECT_TRUE(anyOf(r.entries("signals"), [](const json &e) {
        return e["key"]["sender"] == "sh" && e["key"]["sig"] == 15 && e["value"].get<int>() >= 1;
    })) << r.describe();
}

TEST_F(Examples, MallocsizeHistogramHasThePythonAllocations) {
    auto r = runExample("mallocsize.c",
                        "python3 -c 'keep = [bytearray(5000) for _ in range(50)]'");
    ASSERT_EQ(r.status, 0) << r.describe();
    EXPECT_TRUE(anyOf(r.buckets("malloc_size"), [](const json &b) {
        return b["low"] == 4096 && b["high"] == 8191 && b["count"] >= 50;
    })) << r.describe();
    EXPECT_TRUE(anyOf(r.entries("alloc_bytes"), [](const json &e) {
        return e["key"]["comm"] == "python3" && e["value"] >= 50 * 5001;
    })) << r.describe();
}

TEST_F(Examples, ProfileSamplesTheBusyTargetWithUserStacks) {
    // exec the real interpreter: a python3 shim (pyenv) is a bash script whose own processes
    // would be sampled too.
    auto r = runExample("profile.c", "exec /usr/bin/python3 -c 'import time; t = time.time()\n"
                                     "while time.time() - t < 1: pass'");
    ASSERT_EQ(r.status, 0) << r.describe();
    std::set<int64_t> stackIds;
    for (const auto &e : r.entries("stacks"))
        if (!e["value"].empty())
            stackIds.insert(e["key"].get<int64_t>());
    uint64_t samples = 0, withStack = 0;
    for (const auto &e : r.entries("samples")) {
        // TARGET_PID (the sh of -c) and its children only: nothing else may show up.
        EXPECT_TRUE(e["key"]["comm"] == "python3" || e["key"]["comm"] == "sh" ||
                    e["key"]["comm"] == "jitprobe")
            << e.dump();
        if (e["key"]["comm"] != "python3")
            continue;
        samples += e["value"].get<uint64_t>();
        if (stackIds.count(e["key"]["user_stack"].get<int64_t>()))
            withStack += e["value"].get<uint64_t>();
    }
    // 49 Hz for ~1 s of CPU; the host is shared, so ask for a fraction of that.
    EXPECT_GE(samples, 10u) << r.describe();
    EXPECT_GE(withStack, samples / 2) << r.describe();
}

// Not an example: the ring-buffer loss accounting every ring-buffer script gets.
TEST_F(Examples, RingBufferDropsAreCountedExactly) {
    auto r = runExample("../tests/live/probes/ringbuf_flood.c",
                        "exec /usr/bin/python3 -c 'import os; [os.getpid() for _ in range(20000)]'");
    ASSERT_EQ(r.status, 0) << r.describe();
    uint64_t attempts = 0, lost = 0;
    for (const auto &e : r.entries("attempts"))
        attempts += e["value"].get<uint64_t>();
    for (const auto &rec : r.records)
        if (rec.value("type", "") == "lost" && rec.value("map", "") == "flood")
            lost += rec["count"].get<uint64_t>();
    uint64_t received = r.events("flood").size();
    EXPECT_GE(attempts, 20000u) << r.describe();
    EXPECT_GT(lost, 0u) << "a one-page ring buffer cannot hold 20000 KiB records\n" << r.describe();
    EXPECT_EQ(received + lost, attempts) << r.describe();
    EXPECT_FALSE(r.hasMap("__jp_ringbuf_lost") || r.hasMap(".data.jp_lost")) << "internal map printed";
}

// JITPROBE_NO_RINGBUF_LOST_COUNT: the same flood loads and runs, nothing is counted as lost (the
// kernel drops silently), and what arrives is still what the consumer received.
TEST_F(Examples, RingBufferLossCountCanBeTurnedOff) {
    auto r = runExample("../tests/live/probes/ringbuf_flood.c",
                        "exec /usr/bin/python3 -c 'import os; [os.getpid() for _ in range(20000)]'",
                        "-D JITPROBE_NO_RINGBUF_LOST_COUNT");
    ASSERT_EQ(r.status, 0) << r.describe();
    uint64_t attempts = 0;
    for (const auto &e : r.entries("attempts"))
        attempts += e["value"].get<uint64_t>();
    EXPECT_GE(attempts, 20000u) << r.describe();
    for (const auto &rec : r.records)
        EXPECT_NE(rec.value("type", ""), "lost") << rec.dump();
    EXPECT_GT(r.events("flood").size(), 0u) << r.describe();
    EXPECT_LT(r.events("flood").size(), attempts) << "a one-page ring buffer still drops\n" << r.describe();
}

// issue 16: Go uprobes by Go symbol; the Go server (tests/support/goserver) is found in $PATH.
TEST_F(Examples, GoHttpCountsRequestsAndTheirLatency) {
    std::string why, server = jitprobe::testing::goServer(why);
    if (server.empty())
        GTEST_SKIP() << why;
    std::string dir = server.substr(0, server.rfind('/'));
    std::string path = dir + ":" + (std::getenv("PATH") ? std::getenv("PATH") : "/usr/bin:/bin");
    ::setenv("PATH", path.c_str(), 1);
    // The server prints its port; 6 requests; bounded waits everywhere.
    auto r = runExample("go_http.c",
                        "f=$(mktemp); goserver >$f & s=$!; for i in $(seq 50); do "
                        "[ -s $f ] && break; sleep 0.1; done; p=$(cat $f); for i in 1 2 3 4 5 6; "
                        "do curl -s -m 5 -o /dev/null http://127.0.0.1:$p/; done; kill $s; rm -f $f");
    ASSERT_EQ(r.status, 0) << r.describe();
    auto muxes = r.entries("requests_by_mux");
    ASSERT_EQ(muxes.size(), 1u) << r.describe();
    EXPECT_EQ(muxes[0]["value"], 6) << r.describe();
    EXPECT_EQ(r.total("latency_us"), 6u) << r.describe();
}
