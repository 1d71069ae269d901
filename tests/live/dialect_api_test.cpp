// ISSUE 4, the dialect kinds that need user-space setup, through the C++ API: tail calls
// (get_prog_table), maps of maps, a socket filter with perf_submit_skb, XDP (generic, on lo),
// sk storage from cgroup_skb, cgroup arrays, perf counters in a BPF_PERF_ARRAY
// (open_perf_event) and a task iterator. Sources: tests/dialect/*.c.
#include "DialectSupport.h"
#include "LiveSupport.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/perf_event.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>

using namespace jitprobe;
using namespace jitprobe::testing;
using namespace jitprobe::testing::dialect;

namespace {

Status initDialect(BPF &bpf, const std::string &file) {
    InitOptions opts;
    opts.file_name = dialectPath(file);
    return bpf.init(readDialect(file), {}, opts);
}

std::vector<uint64_t> arrayValues(BPF &bpf, const std::string &name) {
    return bpf.get_array_table<uint64_t>(name).get_table_offline();
}

// A UDP receiver on 127.0.0.1 (ephemeral port) and a sender; closed on destruction.
struct UdpPair {
    int rx = -1, tx = -1;
    sockaddr_in addr{};
    UdpPair() {
        rx = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        tx = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof(addr);
        ::bind(rx, reinterpret_cast<sockaddr *>(&addr), sizeof(addr));
        ::getsockname(rx, reinterpret_cast<sockaddr *>(&addr), &len);
    }
    ~UdpPair() {
        ::close(rx);
        ::close(tx);
    }
    void send(int count, size_t size) {
        std::vector<char> payload(size, 'x');
        for (int i = 0; i < count; i++)
            ::sendto(tx, payload.data(), size, 0, reinterpret_cast<sockaddr *>(&addr), sizeof(addr));
    }
    int drain() {
        char buf[2048];
        int n = 0;
        while (::recv(rx, buf, sizeof(buf), 0) >= 0)
            n++;
        return n;
    }
};

// cgroup v2, mounted privately (this machine mounts only v1 hierarchies); unmounted at the end.
struct Cgroup2 {
    std::string root;
    bool mounted = false;
    Cgroup2() {
        root = triggerDir() + "/cgroup2";
        std::filesystem::create_directories(root);
        mounted = ::mount("none", root.c_str(), "cgroup2", 0, nullptr) == 0;
    }
    ~Cgroup2() {
        if (mounted)
            ::umount2(root.c_str(), MNT_DETACH);
    }
    int open(const std::string &rel = "") const {
        return ::open((root + rel).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
};

} // namespace

TEST(DialectApi, TailCallThroughProgArray) {
    JP_REQUIRE_BPF_PRIVILEGES();
    BPF bpf;
    Status s = initDialect(bpf, "prog_array.c");
    ASSERT_TRUE(s.ok()) << s.msg();
    int target = -1;
    ASSERT_TRUE(bpf.load_func("tail_target", BPF_PROG_TYPE_RAW_TRACEPOINT, target).ok());
    auto jumps = bpf.get_prog_table("jumps");
    ASSERT_TRUE(jumps.valid()) << jumps.status().msg();
    ASSERT_TRUE(jumps.update_value(1, target).ok());
    ASSERT_TRUE(bpf.attach_all().ok());
    runOpenTrigger();
    ASSERT_TRUE(bpf.detach_all().ok());
    auto hits = arrayValues(bpf, "hits");
    ASSERT_GE(hits.at(0), 3u);
    EXPECT_EQ(hits.at(1), hits.at(0)); // every call landed in tail_target...
    EXPECT_EQ(hits.at(2), 0u);         // ...and never returned
    // An empty slot: the call falls through.
    ASSERT_TRUE(jumps.remove_value(1).ok());
    ASSERT_TRUE(bpf.attach_all().ok());
    runOpenTrigger();
    ASSERT_TRUE(bpf.detach_all().ok());
    auto after = arrayValues(bpf, "hits");
    EXPECT_EQ(after.at(1), hits.at(1));
    EXPECT_EQ(after.at(2), after.at(0) - hits.at(0));
    EXPECT_FALSE(bpf.get_prog_table("hits").valid()); // not a BPF_PROG_ARRAY
}

TEST(DialectApi, MapsOfMapsReachTheInnerMap) {
    JP_REQUIRE_BPF_PRIVILEGES();
    BPF bpf;
    Status s = initDialect(bpf, "map_in_map.c");
    ASSERT_TRUE(s.ok()) << s.msg();
    int inner = bpf.get_map_fd("inner");
    ASSERT_GE(inner, 0);
    ASSERT_TRUE(bpf.get_array_table<int>("outer_array").update_value(0, inner).ok());
    ASSERT_TRUE((bpf.get_hash_table<uint32_t, int>("outer_hash").update_value(5, inner).ok()));
    ASSERT_TRUE(bpf.attach_all().ok());
    runOpenTrigger();
    ASSERT_TRUE(bpf.detach_all().ok());
    auto v = arrayValues(bpf, "inner");
    EXPECT_GE(v.at(0), 3u);     // through BPF_ARRAY_OF_MAPS
    EXPECT_EQ(v.at(1), v.at(0)); // through BPF_HASH_OF_MAPS
}

TEST(DialectApi, SocketFilterCountsLoopbackPacketsAndSubmitsSkb) {
    JP_REQUIRE_BPF_PRIVILEGES();
    BPF bpf;
    Status s = initDialect(bpf, "net.c");
    ASSERT_TRUE(s.ok()) << s.msg();
    int fd = -1;
    ASSERT_TRUE(bpf.load_func("sock_count", BPF_PROG_TYPE_SOCKET_FILTER, fd).ok());
    int events = 0, with_packet = 0;
    ASSERT_TRUE(bpf.open_perf_buffer("skb_events", [&](int, void *data, uint32_t size) {
                       events++;
                       // the record, then the packet's first bytes (perf_submit_skb)
                       with_packet += size >= 8 + 16 && *static_cast<uint32_t *>(data) >= 16;
                   }).ok());
    UdpPair udp;
    ASSERT_EQ(::setsockopt(udp.rx, SOL_SOCKET, SO_ATTACH_BPF, &fd, sizeof(fd)), 0);
    udp.send(10, 100);
    EXPECT_EQ(udp.drain(), 10); // the filter keeps whole packets
    bpf.poll_perf_buffer("skb_events", 500);
    auto pkts = arrayValues(bpf, "sock_pkts");
    EXPECT_EQ(pkts.at(0), 10u);
    EXPECT_GE(pkts.at(1), 10u * 100);
    EXPECT_EQ(events, 10);
    EXPECT_EQ(with_packet, 10);
}

TEST(DialectApi, XdpGenericOnLoopbackCountsPackets) {
    JP_REQUIRE_BPF_PRIVILEGES();
    BPF bpf;
    Status s = initDialect(bpf, "net.c");
    ASSERT_TRUE(s.ok()) << s.msg();
    int fd = -1;
    ASSERT_TRUE(bpf.load_func("xdp_count", BPF_PROG_TYPE_XDP, fd).ok());
    int lo = static_cast<int>(::if_nametoindex("lo"));
    // The runtime has no XDP attach (BCC's attach_xdp): libbpf directly.
    int err = bpf_xdp_attach(lo, fd, XDP_FLAGS_SKB_MODE | XDP_FLAGS_UPDATE_IF_NOEXIST, nullptr);
    if (err == -EBUSY || err == -EEXIST)
        GTEST_SKIP() << "another XDP program is attached to lo";
    ASSERT_EQ(err, 0);
    UdpPair udp;
    udp.send(10, 64);
    int received = udp.drain();
    bpf_xdp_detach(lo, XDP_FLAGS_SKB_MODE, nullptr);
    EXPECT_EQ(received, 10); // XDP_PASS
    EXPECT_GE(arrayValues(bpf, "xdp_pkts").at(0), 10u);
}

TEST(DialectApi, SkStorageCountsPerSocketFromCgroupSkb) {
    JP_REQUIRE_BPF_PRIVILEGES();
    Cgroup2 cg;
    if (!cg.mounted)
        GTEST_SKIP() << "cannot mount cgroup2";
    BPF bpf;
    Status s = initDialect(bpf, "sk_storage.c");
    ASSERT_TRUE(s.ok()) << s.msg();
    int fd = -1;
    ASSERT_TRUE(bpf.load_func("count_egress", BPF_PROG_TYPE_CGROUP_SKB, fd).ok());
    int root = cg.open();
    ASSERT_GE(root, 0);
    // The root cgroup (every process is under it), briefly; the program only counts.
    ASSERT_EQ(bpf_prog_attach(fd, root, BPF_CGROUP_INET_EGRESS, BPF_F_ALLOW_MULTI), 0);
    UdpPair udp;
    udp.send(5, 10);
    uint64_t count = 0;
    int map = bpf.get_map_fd("sk_pkts");
    int found = bpf_map_lookup_elem(map, &udp.tx, &count); // sk storage: the key is a socket fd
    udp.send(1, 99); // the program deletes the socket's storage on this size
    int after = bpf_map_lookup_elem(map, &udp.tx, &count);
    uint64_t rx_count = 0;
    int rx_found = bpf_map_lookup_elem(map, &udp.rx, &rx_count);
    bpf_prog_detach2(fd, root, BPF_CGROUP_INET_EGRESS);
    ::close(root);
    ASSERT_EQ(found, 0);
    EXPECT_EQ(after, -ENOENT); // sk_storage_delete
    EXPECT_NE(rx_found, 0);    // the receiver sent nothing: no storage
}

TEST(DialectApi, CgroupArrayCheckCurrentTask) {
    JP_REQUIRE_BPF_PRIVILEGES();
    Cgroup2 cg;
    if (!cg.mounted)
        GTEST_SKIP() << "cannot mount cgroup2";
    std::string child = "/jp-dialect-empty";
    std::filesystem::create_directories(cg.root + child);
    int root = cg.open(), empty = cg.open(child);
    ASSERT_GE(root, 0);
    ASSERT_GE(empty, 0);
    BPF bpf;
    Status s = initDialect(bpf, "cgroup_array.c");
    ASSERT_TRUE(s.ok()) << s.msg();
    auto cgroups = bpf.get_array_table<int>("cgroups");
    ASSERT_TRUE(cgroups.update_value(0, root).ok()); // everyone is under the root
    ASSERT_TRUE(bpf.attach_all().ok());
    openFileTimes("/etc/hostname", 5);
    ASSERT_TRUE(bpf.detach_all().ok());
    auto under_root = arrayValues(bpf, "results");
    ASSERT_TRUE(cgroups.update_value(0, empty).ok()); // no process is in this one
    ASSERT_TRUE(bpf.get_array_table<uint64_t>("results").clear_table_non_atomic().ok());
    ASSERT_TRUE(bpf.attach_all().ok());
    openFileTimes("/etc/hostname", 5);
    ASSERT_TRUE(bpf.detach_all().ok());
    auto under_empty = arrayValues(bpf, "results");
    ::close(root);
    ::close(empty);
    ::rmdir((cg.root + child).c_str());
    EXPECT_GE(under_root.at(0), 5u);
    EXPECT_EQ(under_root.at(1), 0u);
    EXPECT_EQ(under_empty.at(0), 0u);
    EXPECT_GE(under_empty.at(1), 5u);
    EXPECT_EQ(under_root.at(2) + under_empty.at(2), 0u); // no helper errors
}

TEST(DialectApi, PerfArrayReadsSoftwareCounters) {
    JP_REQUIRE_BPF_PRIVILEGES();
    BPF bpf;
    Status s = initDialect(bpf, "perf_array.c");
    ASSERT_TRUE(s.ok()) << s.msg();
    s = bpf.open_perf_event("clocks", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK);
    ASSERT_TRUE(s.ok()) << s.msg();
    EXPECT_EQ(bpf.open_perf_event("clocks", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK).code(),
              EEXIST);
    EXPECT_FALSE(bpf.open_perf_event("results", PERF_TYPE_SOFTWARE, 0).ok()); // not a perf array
    ASSERT_TRUE(bpf.attach_all().ok());
    runOpenTrigger();
    ASSERT_TRUE(bpf.detach_all().ok());
    auto r = arrayValues(bpf, "results");
    EXPECT_GE(r.at(0), 3u); // perf_read succeeded...
    EXPECT_EQ(r.at(1), 0u); // ...every time
    EXPECT_GT(r.at(2), 0u); // the cpu-clock counter (ns) has run
    EXPECT_EQ(r.at(3), r.at(0)); // perf_counter_value
    EXPECT_GT(r.at(4), 0u);      // its enabled time
    EXPECT_TRUE(bpf.close_perf_event("clocks").ok());
}

TEST(DialectApi, TaskIteratorVisitsTasks) {
    JP_REQUIRE_BPF_PRIVILEGES();
    BPF bpf;
    Status s = initDialect(bpf, "iter.c");
    ASSERT_TRUE(s.ok()) << s.msg();
    // The runtime attaches iterators (attach_func) but has no API to read one: libbpf directly.
    bpf_program *prog = bpf_object__find_program_by_name(bpf.raw_object(), "bpf_iter__task");
    ASSERT_NE(prog, nullptr);
    bpf_link *link = bpf_program__attach_iter(prog, nullptr);
    ASSERT_NE(link, nullptr);
    int it = bpf_iter_create(bpf_link__fd(link));
    ASSERT_GE(it, 0);
    char buf[4096];
    while (::read(it, buf, sizeof(buf)) > 0) {
    }
    ::close(it);
    bpf_link__destroy(link);
    EXPECT_GT(arrayValues(bpf, "tasks").at(0), 10u); // every thread on the machine
}
