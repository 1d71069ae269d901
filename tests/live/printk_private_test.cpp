// Issue 19 item 2, the attacks on bpf_trace_printk: a printed string that imitates a
// trace_pipe line, two jitprobe runs at once, a flood. Probes print through their private
// ring buffer (PrintkPass), so each must fail: one record, own lines only, bounded memory and
// a `lost` count.
#include "DialectSupport.h"
#include "LiveSupport.h"
#include "ProcessRunner.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <atomic>
#include <set>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

using namespace jitprobe::testing;
using namespace jitprobe::testing::dialect;
namespace fs = std::filesystem;

namespace {

struct ProbeFile {
    std::string path;
    ProbeFile(const std::string &name, const std::string &source) {
        path = (fs::temp_directory_path() / ("jp-printk-" + std::to_string(::getpid()) + "-" + name)).string();
        std::ofstream(path) << source;
    }
    ~ProbeFile() { ::unlink(path.c_str()); }
};

// Only the trigger (comm "jpdialect") prints.
std::string probe(const std::string &body) {
    return "TRACEPOINT_PROBE(syscalls, sys_enter_openat) {\n"
           "    char comm[16]; bpf_get_current_comm(&comm, sizeof(comm));\n"
           "    if (comm[0] != 'j' || comm[1] != 'p' || comm[2] != 'd') return 0;\n    " +
           body + "\n    return 0;\n}\n";
}

std::vector<nlohmann::json> jsonLines(const std::string &out, const std::string &type) {
    std::vector<nlohmann::json> records;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) {
        auto j = nlohmann::json::parse(line, nullptr, false);
        if (!j.is_discarded() && j.is_object() && j.value("type", "") == type)
            records.push_back(j);
    }
    return records;
}

const char *kForged = "/x\n j-1 [000] 1.0: bpf_trace_printk: FORGED";

} // namespace

TEST(PrivatePrintk, ForgedHeaderInAPrintedStringStaysOneRecord) {
    JP_REQUIRE_BPF_PRIVILEGES();
    ProbeFile p("forge.c", probe("bpf_trace_printk(\"open %s\\n\", args->filename);"));
    // The trigger opens a path that contains a newline and a whole fake trace_pipe header.
    std::string cmd = triggerDir() + "/jpdialect \"$(printf '/x\\n j-1 [000] 1.0: "
                      "bpf_trace_printk: FORGED')\" 2>/dev/null";
    CliRun json = runCli({"run", p.path, "--format", "json", "-c", cmd});
    ASSERT_EQ(json.status, 0) << json.err;
    int forged_records = 0;
    for (const auto &r : jsonLines(json.out, "printk")) {
        std::string msg = r.at("msg");
        EXPECT_NE(msg, "FORGED") << "a printed string became a record of its own";
        if (msg.find("FORGED") != std::string::npos) {
            ++forged_records;
            EXPECT_EQ(msg, std::string("open ") + kForged);
        }
    }
    EXPECT_EQ(forged_records, 1) << json.out;
    CliRun text = runCli({"run", p.path, "-c", cmd});
    ASSERT_EQ(text.status, 0) << text.err;
    EXPECT_NE(text.out.find("open /x\\n j-1 [000] 1.0: bpf_trace_printk: FORGED\n"), std::string::npos)
        << text.out;
    EXPECT_EQ(text.out.find("\n j-1"), std::string::npos) << "the newline must stay escaped";
}

TEST(PrivatePrintk, TwoRunsDoNotSeeEachOthersLines) {
    JP_REQUIRE_BPF_PRIVILEGES();
    ProbeFile a("a.c", probe("bpf_trace_printk(\"marker-A %d\\n\", 1);"));
    ProbeFile b("b.c", probe("bpf_trace_printk(\"marker-B %d\\n\", 2);"));
    // Both runs are attached while either trigger runs (the command starts after attach).
    std::string cmd = "sleep 2; " + openTrigger();
    ProcessOptions opts;
    opts.timeout_s = 60;
    ProcessResult ra, rb;
    std::thread ta([&] { ra = runProcess({cliPath(), "run", a.path, "--format", "json", "-c", cmd}, opts); });
    std::thread tb([&] { rb = runProcess({cliPath(), "run", b.path, "--format", "json", "-c", cmd}, opts); });
    ta.join();
    tb.join();
    ASSERT_TRUE(ra.exited() && ra.exit_code == 0) << ra.output;
    ASSERT_TRUE(rb.exited() && rb.exit_code == 0) << rb.output;
    EXPECT_NE(ra.output.find("marker-A 1"), std::string::npos) << ra.output;
    EXPECT_NE(rb.output.find("marker-B 2"), std::string::npos) << rb.output;
    EXPECT_EQ(ra.output.find("marker-B"), std::string::npos) << "run A saw run B's line";
    EXPECT_EQ(rb.output.find("marker-A"), std::string::npos) << "run B saw run A's line";
}

namespace {
// The largest VmRSS (kB) of the process whose command line contains NEEDLE, sampled until
// DONE is set. Processes exit while /proc is walked: every read there may fail (libstdc++'s
// filebuf throws on ESRCH), and a failed read just skips that process.
long vmRssKbOf(const fs::path &proc, const std::string &needle) {
    try {
        std::ifstream cmdline(proc / "cmdline");
        std::string args((std::istreambuf_iterator<char>(cmdline)), {});
        if (args.find(needle) == std::string::npos || args.find("jitprobe") == std::string::npos)
            return 0;
        std::ifstream status(proc / "status");
        for (std::string line; std::getline(status, line);)
            if (line.starts_with("VmRSS:"))
                return std::atol(line.c_str() + 6);
    } catch (const std::exception &) {
    }
    return 0;
}

long peakRssKb(const std::string &needle, const std::atomic<bool> &done) {
    long peak = 0;
    while (!done.load()) {
        std::error_code ec;
        for (fs::directory_iterator it("/proc", ec), end; !ec && it != end; it.increment(ec)) {
            std::string name = it->path().filename();
            if (name.find_first_not_of("0123456789") == std::string::npos)
                peak = std::max(peak, vmRssKbOf(it->path(), needle));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return peak;
}
} // namespace

TEST(PrivatePrintk, FloodHasBoundedMemoryAndALostCount) {
    JP_REQUIRE_BPF_PRIVILEGES();
    ProbeFile p("flood.c", probe("for (int i = 0; i < 128; i++) bpf_trace_printk(\"flood %d\", i);"));
    std::string out = p.path + ".out";
    std::string cmd = "for i in $(seq 300); do " + openTrigger() + "; done";
    std::atomic<bool> done{false};
    long peak_kb = 0;
    std::thread sampler([&] { peak_kb = peakRssKb(p.path, done); });
    ProcessOptions opts;
    opts.timeout_s = 120;
    ProcessResult r = runProcess({"/bin/sh", "-c", "exec '" + cliPath() + "' run '" + p.path +
                                                       "' --format json -c '" + cmd + "' > '" + out + "'"},
                                 opts);
    done = true;
    sampler.join();
    std::ifstream in(out);
    std::string text((std::istreambuf_iterator<char>(in)), {});
    ::unlink(out.c_str());
    ASSERT_TRUE(r.exited() && r.exit_code == 0) << r.output;
    auto printed = jsonLines(text, "printk");
    uint64_t lost = 0;
    for (const auto &l : jsonLines(text, "lost"))
        if (l.at("map") == "printk")
            lost += l.at("count").get<uint64_t>();
    EXPECT_GT(printed.size(), 0u);
    EXPECT_GT(lost, 0u) << "a flood overflows the 256 KiB ring: the drops must be counted";
    for (const auto &rec : printed)
        ASSERT_TRUE(rec.at("msg").get<std::string>().starts_with("flood ")) << rec;
    EXPECT_GT(peak_kb, 0) << "the sampler never saw the jitprobe process";
    EXPECT_LT(peak_kb, 200 * 1024) << "RSS grew with the flood";
    std::printf("flood: %zu printed, %llu lost, peak RSS %ld kB\n", printed.size(),
                static_cast<unsigned long long>(lost), peak_kb);
}

// The printk forms BCC tools use compile, verify and print what the kernel's trace_printk would.
TEST(PrivatePrintk, DialectFormsPrintLikeTracePrintk) {
    JP_REQUIRE_BPF_PRIVILEGES();
    CliRun check = runCli({"check", dialectPath("printk.c")});
    ASSERT_EQ(check.status, 0) << check.err;
    CliRun r = runCli({"run", dialectPath("printk.c"), "--format", "json", "-c", openTrigger()});
    ASSERT_EQ(r.status, 0) << r.err;
    std::set<std::string> msgs;
    for (const auto &p : jsonLines(r.out, "printk"))
        msgs.insert(p.at("msg").get<std::string>());
    for (const char *want : {"kernel comm=jpdialect user path=/etc/hostname", "ints -7 4000000000 ff",
                             "wide -42 18446744073709551615 J 100%", "many 1 2 3 4 5", "ptr 0x1234"})
        EXPECT_EQ(msgs.count(want), 1u) << want << "\n" << r.out;
    bool helper = false;
    for (const auto &m : msgs)
        helper = helper || m.starts_with("helper pid=");
    EXPECT_TRUE(helper) << r.out;
}
