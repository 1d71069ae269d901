// Network and cgroup attachments with real traffic: two network namespaces joined by a veth
// pair (jpa0 10.213.0.1 in A, jpb0 10.213.0.2 in B), bounded UDP bursts from B to A, and the
// interface checked afterwards (no clsact qdisc, no XDP program left, namespaces removed).
#include "LiveSupport.h"
#include "NetnsSupport.h"
#include "ProcessRunner.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>

using namespace jitprobe;
using namespace jitprobe::testing;

namespace {

constexpr int kPort = kNetTestPort;

// Counters: 0 tc seen, 1 tc dropped, 2 xdp, 3 socket filter, 4 cgroup egress.
const char *kProbe = R"(
BPF_HASH(verdict, u32, u32);
BPF_ARRAY(counts, u64, 8);
#define PORT 47123

// The issue's case: direct packet access (skb->data_end), which only tc programs may do.
int tc_policy(struct __sk_buff *skb) {
    unsigned char *p = (unsigned char *)(long)skb->data, *end = (unsigned char *)(long)skb->data_end;
    if (p + 38 > end || p[12] != 0x08 || p[13] != 0x00 || p[23] != 17 ||
        ((p[36] << 8) | p[37]) != PORT)
        return 0;
    counts.increment(0);
    u32 key = 0;
    u32 *drop = verdict.lookup(&key);
    if (drop && *drop) {
        counts.increment(1);
        return 2; // TC_ACT_SHOT
    }
    return 0; // TC_ACT_OK
}

int xdp_count(struct xdp_md *ctx) {
    unsigned char *p = (unsigned char *)(long)ctx->data, *end = (unsigned char *)(long)ctx->data_end;
    if (p + 38 <= end && p[23] == 17 && ((p[36] << 8) | p[37]) == PORT)
        counts.increment(2);
    return 2; // XDP_PASS
}

// Socket filter and (the same function) tc classifier: reads through bpf_skb_load_bytes.
int sock_count(struct __sk_buff *skb) {
    unsigned char h[38];
    if (bpf_skb_load_bytes(skb, 0, h, sizeof(h)) == 0 && h[23] == 17 &&
        ((h[36] << 8) | h[37]) == PORT)
        counts.increment(3);
    return skb->len;
}

// cgroup_skb sees the IP header first.
int cg_count(struct __sk_buff *skb) {
    unsigned char h[24];
    if (bpf_skb_load_bytes(skb, 0, h, sizeof(h)) == 0 && h[9] == 17 &&
        ((h[22] << 8) | h[23]) == PORT)
        counts.increment(4);
    return 1; // allow
}
)";

uint64_t counter(BPF &bpf, int index) {
    uint64_t v = 0;
    (void)bpf.get_array_table<uint64_t>("counts").get_value(index, v);
    return v;
}

bool hasClsact(const NetPair &net) {
    return net.inA("tc qdisc show dev jpa0").find("clsact") != std::string::npos;
}

bool hasXdp(const NetPair &net) {
    return net.inA("ip link show dev jpa0").find("xdp") != std::string::npos;
}

} // namespace

TEST(NetAttach, TcIngressVerdictComesFromTheMap) {
    JP_REQUIRE_NETNS(net);
    Receiver rx(net);
    ASSERT_GE(rx.fd, 0);
    {
        BPF bpf;
        InitOptions opts; // SEC-less __sk_buff functions are socket filters unless told
        opts.program_types = {{"tc_policy", BPF_PROG_TYPE_SCHED_CLS}};
        Status s = bpf.init(kProbe, {}, opts);
        ASSERT_TRUE(s.ok()) << s.msg();
        InNetns in(net.a);
        s = bpf.attach_tc("jpa0", "tc_policy", BPF::TcDirection::ingress);
        ASSERT_TRUE(s.ok()) << s.msg();
        EXPECT_TRUE(hasClsact(net));
        sendFromB(net, 5);
        EXPECT_EQ(rx.drain(), 5);
        EXPECT_EQ(counter(bpf, 0), 5u);
        EXPECT_EQ(counter(bpf, 1), 0u);
        auto verdict = bpf.get_hash_table<uint32_t, uint32_t>("verdict");
        ASSERT_TRUE(verdict.update_value(0, 1).ok());
        sendFromB(net, 5);
        EXPECT_EQ(rx.drain(), 0);
        EXPECT_EQ(counter(bpf, 0), 10u);
        EXPECT_EQ(counter(bpf, 1), 5u);
        EXPECT_EQ(bpf.attach_tc("jpa0", "tc_policy").code(), EEXIST);
    }
    EXPECT_FALSE(hasClsact(net)); // jitprobe created it: gone with the BPF object
    sendFromB(net, 3);
    EXPECT_EQ(rx.drain(), 3);
}

// BCC's order: init without loading, then the attach call decides the type before the load.
TEST(NetAttach, AttachBeforeLoadDecidesTheType) {
    JP_REQUIRE_NETNS(net);
    BPF bpf;
    InitOptions opts;
    opts.load_programs = false;
    ASSERT_TRUE(bpf.init(kProbe, {}, opts).ok());
    InNetns in(net.a);
    Status s = bpf.attach_tc("jpa0", "tc_policy", BPF::TcDirection::egress, 7);
    ASSERT_TRUE(s.ok()) << s.msg();
    EXPECT_NE(net.inA("tc filter show dev jpa0 egress").find("tc_policy"), std::string::npos);
    ASSERT_TRUE(bpf.detach_tc("jpa0", BPF::TcDirection::egress).ok());
    EXPECT_FALSE(hasClsact(net));
    EXPECT_EQ(bpf.detach_tc("jpa0", BPF::TcDirection::egress).code(), ENOENT);
}

// Loaded at init as a socket filter (it reads no packet data, which would make it a tc
// classifier), a context access only tc allows fails with a hint naming the attach kinds: at
// init where every rejection is an error (the CLI's form), else (BCC's lazy load) when the
// function is asked for as that type.
TEST(NetAttach, SocketFilterContextErrorHintsAtAttachKinds) {
    JP_REQUIRE_BPF_PRIVILEGES();
    const std::string source =
        "int set_class(struct __sk_buff *skb) { skb->tc_classid = 1; return 0; }\n";
    InitOptions strict;
    strict.defer_rejected_functions = false;
    BPF bpf;
    Status s = bpf.init(source, {}, strict);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.msg().find("invalid bpf_context access"), std::string::npos) << s.msg();
    EXPECT_NE(s.msg().find("@attach tc:IFACE:ingress|egress"), std::string::npos) << s.msg();
    BPF lazy;
    ASSERT_TRUE(lazy.init(source).ok());
    int fd = -1;
    s = lazy.load_func("set_class", BPF_PROG_TYPE_SOCKET_FILTER, fd);
    EXPECT_NE(s.msg().find("@attach tc:IFACE:ingress|egress"), std::string::npos) << s.msg();
    EXPECT_TRUE(lazy.load_func("set_class", BPF_PROG_TYPE_SCHED_CLS, fd).ok());
}

TEST(NetAttach, TcLeavesAClsactItDidNotCreate) {
    JP_REQUIRE_NETNS(net);
    net.inA("tc qdisc add dev jpa0 clsact");
    ASSERT_TRUE(hasClsact(net));
    {
        BPF bpf;
        InitOptions opts;
        opts.program_types = {{"tc_policy", BPF_PROG_TYPE_SCHED_CLS}};
        ASSERT_TRUE(bpf.init(kProbe, {}, opts).ok());
        InNetns in(net.a);
        ASSERT_TRUE(bpf.attach_tc("jpa0", "tc_policy").ok());
        EXPECT_EQ(bpf.attach_tc("nosuch0", "tc_policy").msg().find(
                      "prog 'tc_policy': failed to attach tc ingress on 'nosuch0': ENODEV"),
                  0u);
    }
    EXPECT_TRUE(hasClsact(net));
    EXPECT_EQ(net.inA("tc filter show dev jpa0 ingress").find("tc_policy"), std::string::npos);
}

TEST(NetAttach, XdpCountsExactlyThePacketsSent) {
    JP_REQUIRE_NETNS(net);
    Receiver rx(net);
    ASSERT_GE(rx.fd, 0);
    {
        BPF bpf;
        InitOptions opts;
        opts.program_types = {{"tc_policy", BPF_PROG_TYPE_SCHED_CLS}};
        ASSERT_TRUE(bpf.init(kProbe, {}, opts).ok());
        InNetns in(net.a);
        for (uint32_t flags : {uint32_t(XDP_FLAGS_SKB_MODE), uint32_t(XDP_FLAGS_DRV_MODE)}) {
            Status s = bpf.attach_xdp("jpa0", "xdp_count", flags);
            ASSERT_TRUE(s.ok()) << s.msg();
            EXPECT_TRUE(hasXdp(net));
            sendFromB(net, 5);
            EXPECT_EQ(rx.drain(), 5); // XDP_PASS
            ASSERT_TRUE(bpf.detach_xdp("jpa0").ok());
            EXPECT_FALSE(hasXdp(net));
        }
        EXPECT_EQ(counter(bpf, 2), 10u);
        ASSERT_TRUE(bpf.attach_xdp("jpa0", "xdp_count").ok()); // left for ~BPF
    }
    EXPECT_FALSE(hasXdp(net));
}

// One __sk_buff function as a packet-socket filter and, loaded once more, a tc classifier.
TEST(NetAttach, SocketFilterAndTcFromOneFunction) {
    JP_REQUIRE_NETNS(net);
    Receiver rx(net);
    ASSERT_GE(rx.fd, 0);
    BPF bpf;
    InitOptions opts;
    opts.program_types = {{"tc_policy", BPF_PROG_TYPE_SCHED_CLS}};
    ASSERT_TRUE(bpf.init(kProbe, {}, opts).ok());
    InNetns in(net.a);
    int sock = -1;
    Status s = bpf.attach_raw_socket("sock_count", "jpa0", &sock);
    ASSERT_TRUE(s.ok()) << s.msg();
    EXPECT_GE(sock, 0);
    sendFromB(net, 5);
    EXPECT_EQ(rx.drain(), 5);
    EXPECT_EQ(counter(bpf, 3), 5u);
    s = bpf.attach_tc("jpa0", "sock_count");
    ASSERT_TRUE(s.ok()) << s.msg();
    int fd = -1;
    ASSERT_TRUE(bpf.load_func("sock_count", BPF_PROG_TYPE_SCHED_CLS, fd).ok());
    EXPECT_GE(fd, 0);
    sendFromB(net, 5);
    EXPECT_EQ(rx.drain(), 5);
    EXPECT_EQ(counter(bpf, 3), 15u); // socket filter + tc: each of the 5 counted twice
    ASSERT_TRUE(bpf.detach_raw_socket("jpa0").ok());
    ASSERT_TRUE(bpf.detach_tc("jpa0").ok());
    EXPECT_FALSE(hasClsact(net));
}

TEST(NetAttach, CgroupSkbEgressCountsInATemporaryCgroup) {
    JP_REQUIRE_NETNS(net);
    std::string root;
    std::ifstream mounts("/proc/mounts");
    for (std::string dev, dir, type, rest; mounts >> dev >> dir >> type && std::getline(mounts, rest);)
        if (type == "cgroup2" && root.empty())
            root = dir;
    if (root.empty())
        GTEST_SKIP() << "cgroup2 is not mounted";
    std::string cg = root + "/jitprobe-net-" + std::to_string(::getpid());
    ASSERT_TRUE(std::filesystem::create_directory(cg));
    {
        BPF bpf;
        InitOptions opts;
        opts.program_types = {{"tc_policy", BPF_PROG_TYPE_SCHED_CLS}};
        ASSERT_TRUE(bpf.init(kProbe, {}, opts).ok());
        Status s = bpf.attach_cgroup(cg, "cg_count", BPF_CGROUP_INET_EGRESS);
        ASSERT_TRUE(s.ok()) << s.msg();
        pid_t child = ::fork();
        if (child == 0) { // a socket belongs to its creator's cgroup: create it in there
            std::ofstream(cg + "/cgroup.procs") << ::getpid() << std::flush;
            sendFromB(net, 5);
            ::_exit(0);
        }
        int status = 0;
        ::waitpid(child, &status, 0);
        sendFromB(net, 2); // from outside the cgroup: not counted
        EXPECT_EQ(counter(bpf, 4), 5u);
    }
    EXPECT_EQ(::rmdir(cg.c_str()), 0) << "cgroup still in use";
}

// The CLI: @attach tc: in a namespace, SIGINT, the map printed, nothing left on the interface.
TEST(NetAttach, CliRunAttachesTcAndCleansUpOnSigint) {
    JP_REQUIRE_NETNS(net);
    Receiver rx(net);
    std::string file = std::filesystem::temp_directory_path() / ("jp_tc_" + std::to_string(::getpid()) + ".c");
    std::string src = kProbe;
    src.replace(src.find("int tc_policy"), 0, "// @attach tc:jpa0:ingress -> tc_policy\n");
    src.replace(src.find("int xdp_count"), 0, "// @attach xdp:jpa0:generic -> xdp_count\n");
    std::ofstream(file) << src;
    ProcessOptions po;
    po.timeout_s = 60;
    po.ready_text = "jitprobe: attached";
    po.send_signal = SIGINT;
    po.on_ready = [&] { sendFromB(net, 4); ::usleep(200 * 1000); };
    std::string ip = shell("command -v ip");
    ip.erase(ip.find_last_not_of("\n") + 1);
    ProcessResult r = runProcess({ip, "netns", "exec", net.a, cliPath(), "run", file, "--format",
                                  "json", "--no-cache"}, po);
    std::filesystem::remove(file);
    EXPECT_TRUE(r.exited()) << r.output;
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("attached tc jpa0 ingress -> tc_policy"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("'sock_count' has no attach point in the source: loaded but left unattached as a socket_filter program"), std::string::npos);
    EXPECT_NE(r.output.find("'cg_count' has no attach point"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find(R"({"key":0,"value":4})"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find(R"({"key":2,"value":4})"), std::string::npos) << r.output;
    EXPECT_EQ(rx.drain(), 4);
    EXPECT_FALSE(hasClsact(net));
    EXPECT_FALSE(hasXdp(net));
}

// examples/tc_policy.cpp as built, in namespace A: its policy map changed from its stdin while
// the classifier runs decides which of B's datagrams arrive.
class PolicyDaemon {
  public:
    explicit PolicyDaemon(const std::vector<std::string> &argv) {
        int in[2], out[2];
        if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0)
            return;
        pid_ = ::fork();
        if (pid_ == 0) {
            ::dup2(in[0], 0);
            ::dup2(out[1], 1);
            std::vector<char *> args;
            for (const std::string &a : argv)
                args.push_back(const_cast<char *>(a.c_str()));
            args.push_back(nullptr);
            ::execvp(args[0], args.data());
            ::_exit(127);
        }
        ::close(in[0]);
        ::close(out[1]);
        to_ = in[1];
        from_ = out[0];
    }
    ~PolicyDaemon() {
        closeInput();
        if (from_ >= 0)
            ::close(from_);
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
    }
    // One line of its stdout (at most 256 bytes) within SECONDS; "" on timeout or EOF.
    std::string line(int seconds) {
        std::string text;
        char c;
        pollfd p{from_, POLLIN, 0};
        while (text.size() < 256 && ::poll(&p, 1, seconds * 1000) == 1 &&
               ::read(from_, &c, 1) == 1 && c != '\n')
            text += c;
        return text;
    }
    std::string command(const std::string &cmd) {
        std::string text = cmd + "\n";
        if (::write(to_, text.data(), text.size()) != ssize_t(text.size()))
            return "";
        return line(10);
    }
    void closeInput() {
        if (to_ >= 0)
            ::close(to_);
        to_ = -1;
    }
    // Its exit status within SECONDS, or -1 (then killed by the destructor).
    int wait(int seconds) {
        for (int i = 0; i < seconds * 20; i++) {
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                return status;
            }
            ::usleep(50 * 1000);
        }
        return -1;
    }

  private:
    pid_t pid_ = -1;
    int to_ = -1, from_ = -1;
};

TEST(NetAttach, TcPolicyExampleFollowsItsMapWhileRunning) {
#ifndef EXAMPLE_TC_POLICY
    GTEST_SKIP() << "the examples are not built (JITPROBE_BUILD_EXAMPLES=OFF)";
#else
    JP_REQUIRE_NETNS(net);
    Receiver rx(net);
    ASSERT_GE(rx.fd, 0);
    std::string ip = shell("command -v ip");
    ip.erase(ip.find_last_not_of("\n") + 1);
    {
        PolicyDaemon daemon({ip, "netns", "exec", net.a, EXAMPLE_TC_POLICY, "jpa0", "60"});
        ASSERT_EQ(daemon.line(60), "enforcing on jpa0 ingress for 60 s");
        EXPECT_TRUE(hasClsact(net));
        sendFromB(net, 5);
        EXPECT_EQ(rx.drain(), 5);
        EXPECT_EQ(daemon.command("deny " + std::to_string(kPort)), "deny 47123: ok");
        sendFromB(net, 5);
        EXPECT_EQ(rx.drain(), 0);
        EXPECT_EQ(daemon.command("allow " + std::to_string(kPort)), "allow 47123: ok");
        sendFromB(net, 4);
        EXPECT_EQ(rx.drain(), 4);
        EXPECT_EQ(daemon.command("stats"), "passed 9, dropped 5");
        EXPECT_EQ(daemon.command("deny nothing"),
                  "error: expected 'deny PORT', 'allow PORT' or 'stats'");
        daemon.closeInput(); // end of input: it exits, detaching
        EXPECT_EQ(daemon.line(10), "passed 9, dropped 5");
        EXPECT_EQ(daemon.wait(10), 0);
    }
    EXPECT_FALSE(hasClsact(net)); // the example created it: gone when it exited
    sendFromB(net, 2);
    EXPECT_EQ(rx.drain(), 2);
#endif
}

// Runs last in this file: the namespaces of every test above are gone.
TEST(NetAttach, NoTestNamespaceLeft) {
    std::string pid = std::to_string(::getpid());
    std::string list = shell("ip netns list");
    EXPECT_EQ(list.find("jpnetA" + pid), std::string::npos) << list;
    EXPECT_EQ(list.find("jpnetB" + pid), std::string::npos) << list;
}
