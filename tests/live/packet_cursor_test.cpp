// BCC's packet cursors on this kernel: <bcc/proto.h> headers read through cursor_advance
// (bpf_dext_pkt) and written (bpf_dins_pkt). One crafted frame through BPF_PROG_TEST_RUN checks
// every field and the rewritten bytes exactly; real traffic over a veth pair checks a socket
// filter's per-port counts and a tc program's port rewrite as the receiving sockets see it.
#include "LiveSupport.h"
#include "NetnsSupport.h"

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include <array>
#include <cstring>

using namespace jitprobe;
using namespace jitprobe::testing;

namespace {

constexpr int kFromPort = 47200, kToPort = 47201, kOtherPort = 47202;

const char *kProbe = R"(#include <bcc/proto.h>
BPF_HASH(ports, u16, u64);
BPF_ARRAY(fields, u64, 16);
#define FROM_PORT 47200
#define TO_PORT 47201

static void put(u32 k, u64 v) { fields.update(&k, &v); }

// Socket filter: IPv4 UDP datagrams counted by destination port.
int count_udp(struct __sk_buff *skb) {
    u8 *cursor = 0;
    struct ethernet_t *eth = cursor_advance(cursor, sizeof(*eth));
    if (eth->type != ETH_P_IP)
        return 0;
    struct ip_t *ip = cursor_advance(cursor, sizeof(*ip));
    if (ip->ver != 4 || ip->hlen != 5 || ip->nextp != IPPROTO_UDP)
        return 0;
    struct udp_t *udp = cursor_advance(cursor, sizeof(*udp));
    u16 port = udp->dport;
    ports.increment(port);
    return 0;
}

// tc ingress: datagrams to FROM_PORT are delivered to TO_PORT (checksum 0: none, for IPv4).
int move_port(struct __sk_buff *skb) {
    u8 *cursor = 0;
    struct ethernet_t *eth = cursor_advance(cursor, sizeof(*eth));
    if (eth->type != ETH_P_IP)
        return 0;
    struct ip_t *ip = cursor_advance(cursor, sizeof(*ip));
    if (ip->nextp != IPPROTO_UDP)
        return 0;
    struct udp_t *udp = cursor_advance(cursor, sizeof(*udp));
    if (udp->dport == FROM_PORT) {
        udp->crc = 0;
        udp->dport = TO_PORT;
    }
    return 0; // TC_ACT_OK
}

// Every field of one frame into `fields`, then writes of whole, bit-field and 48-bit fields.
int fields_and_writes(struct __sk_buff *skb) {
    u8 *cursor = 0;
    struct ethernet_t *eth = cursor_advance(cursor, sizeof(*eth));
    struct ip_t *ip = cursor_advance(cursor, sizeof(*ip));
    struct udp_t *udp = cursor_advance(cursor, sizeof(*udp));
    put(0, eth->dst); put(1, eth->src); put(2, eth->type);
    put(3, ip->ver); put(4, ip->hlen); put(5, ip->tos); put(6, ip->df); put(7, ip->mf);
    put(8, ip->foffset); put(9, ip->ttl); put(10, ip->nextp); put(11, ip->src);
    put(12, ip->dst); put(13, udp->sport); put(14, udp->dport); put(15, ip->identification);
    ip->ttl -= 1;
    ip->foffset = 0x155;
    eth->src = 0x0200000000AALL;
    udp->dport = 3333;
    return 7;
}

// Destination NAT to 10.0.0.99 with BCC's incremental checksum updates (IP and UDP).
int nat_dst(struct __sk_buff *skb) {
    u8 *cursor = 0;
    struct ethernet_t *eth = cursor_advance(cursor, sizeof(*eth));
    struct ip_t *ip = cursor_advance(cursor, sizeof(*ip));
    struct udp_t *udp = cursor_advance(cursor, sizeof(*udp));
    u32 old_dst = ip->dst, new_dst = 0x0a000063;
    ip->dst = new_dst;
    incr_cksum_l3(&ip->hchecksum, old_dst, new_dst);
    incr_cksum_l4(&udp->crc, old_dst, new_dst, 1);
    return 0;
}
)";

// The Internet checksum (RFC 1071) over LEN bytes at P, plus SUM.
uint16_t checksum(const uint8_t *p, size_t len, uint32_t sum = 0) {
    for (size_t i = 0; i + 1 < len; i += 2)
        sum += (p[i] << 8) | p[i + 1];
    if (len % 2)
        sum += p[len - 1] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(~sum);
}

// The UDP checksum over the IPv4 pseudo-header, header and payload of FRAME (IP at 14, UDP at 34).
template <size_t N> uint16_t udpChecksum(const std::array<uint8_t, N> &f) {
    uint32_t pseudo = 17 + (N - 34);
    for (size_t i = 26; i < 34; i += 2)
        pseudo += (f[i] << 8) | f[i + 1];
    return checksum(f.data() + 34, N - 34, pseudo);
}

// Ethernet, IPv4 (DF and MF set, fragment offset 0x0abc), UDP 1111 -> 2222, 4 bytes payload.
std::array<uint8_t, 46> frame() {
    return {0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x08, 0x00, // eth
            0x45, 0x2e, 0x00, 0x20, 0x12, 0x34, 0x6a, 0xbc, 0x40, 0x11, 0x00, 0x00,                // ip
            0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02,
            0x04, 0x57, 0x08, 0xae, 0x00, 0x0c, 0x00, 0x00,                                      // udp
            'j', 'p', '!', '!'};
}

[[nodiscard]] Status loadProbe(BPF &bpf) {
    InitOptions opts;
    opts.program_types = {{"move_port", BPF_PROG_TYPE_SCHED_CLS}};
    return bpf.init(kProbe, {}, opts);
}

} // namespace

TEST(PacketCursor, FieldsAndWritesOnACraftedFrame) {
    JP_REQUIRE_BPF_PRIVILEGES();
    BPF bpf;
    Status s = loadProbe(bpf);
    ASSERT_TRUE(s.ok()) << s.msg();
    int fd = -1;
    s = bpf.load_func("fields_and_writes", BPF_PROG_TYPE_SCHED_CLS, fd);
    ASSERT_TRUE(s.ok()) << s.msg();
    auto in = frame();
    std::array<uint8_t, 64> out{};
    LIBBPF_OPTS(bpf_test_run_opts, run, .data_in = in.data(), .data_out = out.data(),
                .data_size_in = in.size(), .data_size_out = out.size(), .repeat = 1);
    ASSERT_EQ(bpf_prog_test_run_opts(fd, &run), 0) << std::strerror(errno);
    EXPECT_EQ(run.retval, 7u);
    ASSERT_EQ(run.data_size_out, in.size());

    const uint64_t want[16] = {0x020000000001, 0x020000000002, 0x0800, 4, 5, 0x2e, 1, 1,
                               0x0abc, 0x40, 17, 0x0a000001, 0x0a000002, 1111, 2222, 0x1234};
    auto table = bpf.get_array_table<uint64_t>("fields");
    for (int i = 0; i < 16; i++) {
        uint64_t v = 0;
        ASSERT_TRUE(table.get_value(i, v).ok());
        EXPECT_EQ(v, want[i]) << "field " << i;
    }
    auto expect = in;
    expect[11] = 0xaa;                 // eth->src = 02:00:00:00:00:aa
    expect[20] = 0x61, expect[21] = 0x55; // foffset 0x155 under DF|MF (0x6000)
    expect[22] = 0x3f;                 // ttl 64 - 1
    expect[36] = 0x0d, expect[37] = 0x05; // dport 3333
    for (size_t i = 0; i < in.size(); i++)
        EXPECT_EQ(out[i], expect[i]) << "byte " << i;
}

TEST(PacketCursor, ChecksumUpdatesKeepHeadersValid) {
    JP_REQUIRE_BPF_PRIVILEGES();
    BPF bpf;
    Status s = loadProbe(bpf);
    ASSERT_TRUE(s.ok()) << s.msg();
    int fd = -1;
    s = bpf.load_func("nat_dst", BPF_PROG_TYPE_SCHED_CLS, fd);
    ASSERT_TRUE(s.ok()) << s.msg();
    auto in = frame();
    uint16_t ip_sum = checksum(in.data() + 14, 20);
    in[24] = ip_sum >> 8, in[25] = ip_sum & 0xff;
    uint16_t udp_sum = udpChecksum(in);
    in[40] = udp_sum >> 8, in[41] = udp_sum & 0xff;
    ASSERT_EQ(checksum(in.data() + 14, 20), 0);
    std::array<uint8_t, 46> out{};
    LIBBPF_OPTS(bpf_test_run_opts, run, .data_in = in.data(), .data_out = out.data(),
                .data_size_in = in.size(), .data_size_out = out.size(), .repeat = 1);
    ASSERT_EQ(bpf_prog_test_run_opts(fd, &run), 0) << std::strerror(errno);
    EXPECT_EQ(out[33], 99); // 10.0.0.99
    EXPECT_NE(out[25], in[25]);
    EXPECT_EQ(checksum(out.data() + 14, 20), 0) << "IP header checksum";
    EXPECT_EQ(udpChecksum(out), 0) << "UDP checksum";
}

TEST(PacketCursor, SocketFilterCountsUdpByDestinationPort) {
    JP_REQUIRE_NETNS(net);
    Receiver rx(net, kFromPort), other(net, kOtherPort);
    ASSERT_GE(rx.fd, 0);
    ASSERT_GE(other.fd, 0);
    BPF bpf;
    Status s = loadProbe(bpf);
    ASSERT_TRUE(s.ok()) << s.msg();
    InNetns in(net.a);
    ASSERT_TRUE(in.ok());
    s = bpf.attach_raw_socket("count_udp", "jpa0");
    ASSERT_TRUE(s.ok()) << s.msg();
    sendFromB(net, 5, kFromPort);
    sendFromB(net, 3, kOtherPort);
    EXPECT_EQ(rx.drain(), 5);
    EXPECT_EQ(other.drain(), 3);
    auto ports = bpf.get_hash_table<uint16_t, uint64_t>("ports");
    uint64_t from = 0, others = 0;
    ASSERT_TRUE(ports.get_value(kFromPort, from).ok());
    ASSERT_TRUE(ports.get_value(kOtherPort, others).ok());
    EXPECT_EQ(from, 5u);
    EXPECT_EQ(others, 3u);
    EXPECT_EQ(ports.get_table_offline().size(), 2u); // nothing else was UDP over IPv4 here
    ASSERT_TRUE(bpf.detach_raw_socket("jpa0").ok());
}

TEST(PacketCursor, TcRewriteMovesDatagramsToAnotherPort) {
    JP_REQUIRE_NETNS(net);
    Receiver from(net, kFromPort), to(net, kToPort);
    ASSERT_GE(from.fd, 0);
    ASSERT_GE(to.fd, 0);
    {
        BPF bpf;
        Status s = loadProbe(bpf);
        ASSERT_TRUE(s.ok()) << s.msg();
        InNetns in(net.a);
        ASSERT_TRUE(in.ok());
        s = bpf.attach_tc("jpa0", "move_port", BPF::TcDirection::ingress);
        ASSERT_TRUE(s.ok()) << s.msg();
        sendFromB(net, 4, kFromPort);
        EXPECT_EQ(from.drain(), 0);
        EXPECT_EQ(to.drain(), 4);
    }
    sendFromB(net, 2, kFromPort); // detached with the BPF object: delivered as sent
    EXPECT_EQ(from.drain(), 2);
    EXPECT_EQ(to.drain(), 0);
}
