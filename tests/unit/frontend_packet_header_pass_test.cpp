// PacketHeaderPass: members of <bcc/proto.h>'s packet header structs (BPF_PACKET_HEADER) read
// and written through a cursor become bpf_dext_pkt / bpf_dins_pkt with byte offset, bit offset
// and bit width in wire order; the structs' layout; the program types such functions get.
#include "FrontendTestSupport.h"

#include <gtest/gtest.h>

using namespace jitprobe::frontend;
using jitprobe::frontend_test::compileForTest;
using jitprobe::frontend_test::contains;
using jitprobe::frontend_test::lineOf;

namespace {

// Line 1 the include, line 2 the function, line 3 the cursor; the body from line 4.
std::string skbProgram(const std::string &body, const std::string &context = "struct __sk_buff *skb") {
    return "#include <bcc/proto.h>\nint on_packet(" + context + ") {\nu8 *cursor = 0;\n" + body + "}\n";
}

const ProgramSpec *program(const CompileResult &r, const std::string &name) {
    for (const auto &p : r.info.programs)
        if (p.function == name)
            return &p;
    return nullptr;
}

} // namespace

TEST(PacketHeaderPass, ReadsBecomeDextWithByteBitAndWidth) {
    auto r = compileForTest(skbProgram(
        "struct ethernet_t *eth = cursor_advance(cursor, sizeof(*eth));\n"
        "struct ip_t *ip = cursor_advance(cursor, sizeof(*ip));\n"
        "if (eth->type != ETH_P_IP || ip->ver != 4 || ip->hlen != 5) return 0;\n"
        "return ip->src + eth->src;\n"));
    ASSERT_TRUE(r.ok) << formatDiagnostics(r.diagnostics);
    EXPECT_EQ(lineOf(r.rewritten, 6),
              "if (bpf_dext_pkt(skb, (u64)eth + 12, 0, 16) != ETH_P_IP || "
              "bpf_dext_pkt(skb, (u64)ip + 0, 0, 4) != 4 || bpf_dext_pkt(skb, (u64)ip + 0, 4, 4) != 5) return 0;");
    EXPECT_EQ(lineOf(r.rewritten, 7),
              "return bpf_dext_pkt(skb, (u64)ip + 12, 0, 32) + bpf_dext_pkt(skb, (u64)eth + 6, 0, 48);");
    EXPECT_FALSE(r.object.empty());
}

// Bit-fields that straddle bytes: the offset is the byte holding the field's first bit.
TEST(PacketHeaderPass, BitFieldOffsetsFollowWireOrder) {
    auto r = compileForTest(skbProgram(
        "struct tcp_t *tcp = cursor_advance(cursor, sizeof(*tcp));\n"
        "struct dot1q_t *vlan = (void *)tcp; struct ip_t *ip = (void *)tcp;\n"
        "struct ip6_t *ip6 = (void *)tcp; struct vxlan_t *vx = (void *)tcp;\n"
        "return tcp->flag_syn + vlan->vlanid + ip->foffset + ip6->flow_label + vx->key;\n"));
    ASSERT_TRUE(r.ok) << formatDiagnostics(r.diagnostics);
    EXPECT_EQ(lineOf(r.rewritten, 7),
              "return bpf_dext_pkt(skb, (u64)tcp + 13, 6, 1) + bpf_dext_pkt(skb, (u64)vlan + 0, 4, 12) + "
              "bpf_dext_pkt(skb, (u64)ip + 6, 3, 13) + bpf_dext_pkt(skb, (u64)ip6 + 1, 4, 20) + "
              "bpf_dext_pkt(skb, (u64)vx + 4, 0, 24);");
}

TEST(PacketHeaderPass, AssignmentsBecomeDins) {
    auto r = compileForTest(skbProgram(
        "struct ip_t *ip = cursor_advance(cursor, sizeof(*ip));\n"
        "ip->src = ip->dst;\n"
        "ip->ttl -= 1;\n"
        "ip->df = 1;\n"
        "return 0;\n"));
    ASSERT_TRUE(r.ok) << formatDiagnostics(r.diagnostics);
    EXPECT_EQ(lineOf(r.rewritten, 5),
              "bpf_dins_pkt(skb, (u64)ip + 12, 0, 32,  bpf_dext_pkt(skb, (u64)ip + 16, 0, 32));");
    EXPECT_EQ(lineOf(r.rewritten, 6),
              "bpf_dins_pkt(skb, (u64)ip + 8, 0, 8, bpf_dext_pkt(skb, (u64)ip + 8, 0, 8) - ( 1));");
    EXPECT_EQ(lineOf(r.rewritten, 7), "bpf_dins_pkt(skb, (u64)ip + 6, 1, 1,  1);");
    EXPECT_FALSE(r.object.empty());
}

// A base that is not a plain variable is parenthesised; a macro argument is rewritten once.
TEST(PacketHeaderPass, ExpressionBasesAndMacroArguments) {
    auto r = compileForTest(skbProgram(
        "#define TWICE(x) ((x) + (x))\n"
        "struct udp_t *udp = cursor_advance(cursor, sizeof(*udp));\n"
        "return TWICE(udp->dport) + ((struct udp_t *)cursor)->sport;\n"));
    ASSERT_TRUE(r.ok) << formatDiagnostics(r.diagnostics);
    EXPECT_EQ(lineOf(r.rewritten, 6), "return TWICE(bpf_dext_pkt(skb, (u64)udp + 2, 0, 16)) + "
                                      "bpf_dext_pkt(skb, (u64)((struct udp_t *)cursor) + 0, 0, 16);");
}

// The user's own packet header structs, with jitprobe's mark or BCC's spelling of it.
TEST(PacketHeaderPass, UserStructsMarkedAsPacketHeaders) {
    auto r = compileForTest(
        "struct mine { u8 a : 3; u8 b : 5; u16 c; } BPF_PACKET_HEADER;\n"
        "struct bccs { u32 x; } __attribute__((packed)) __attribute__((deprecated(\"packet\")));\n"
        "int on_packet(struct __sk_buff *skb) { u8 *cursor = 0;\n"
        "struct mine *m = cursor_advance(cursor, sizeof(*m)); struct bccs *b = cursor_advance(cursor, 4);\n"
        "return m->b + m->c + b->x; }\n");
    ASSERT_TRUE(r.ok) << formatDiagnostics(r.diagnostics);
    EXPECT_EQ(lineOf(r.rewritten, 5), "return bpf_dext_pkt(skb, (u64)m + 0, 3, 5) + bpf_dext_pkt(skb, (u64)m + 1, 0, 16) + "
                                      "bpf_dext_pkt(skb, (u64)b + 0, 0, 32); }");
}

// A struct copied to the stack is plain memory, and other structs are untouched.
TEST(PacketHeaderPass, StackCopiesAndOtherStructsAreLeftAlone) {
    auto r = compileForTest(skbProgram(
        "struct udp_t copy = {}; struct plain { u16 dport; } p = {}, *pp = &p;\n"
        "return copy.dport + pp->dport;\n"));
    ASSERT_TRUE(r.ok) << formatDiagnostics(r.diagnostics);
    EXPECT_EQ(lineOf(r.rewritten, 5), "return copy.dport + pp->dport;");
}

// <bcc/proto.h>'s structs have the sizes of the headers they describe.
TEST(PacketHeaderPass, ProtoStructsHaveTheirWireSizes) {
    auto r = compileForTest(skbProgram(
        "_Static_assert(sizeof(struct ethernet_t) == 14 && sizeof(struct dot1q_t) == 4 &&\n"
        "  sizeof(struct arp_t) == 28 && sizeof(struct ip_t) == 20 && sizeof(struct icmp_t) == 4 &&\n"
        "  sizeof(struct ip6_t) == 40 && sizeof(struct ip6_opt_t) == 8 && sizeof(struct icmp6_t) == 4 &&\n"
        "  sizeof(struct udp_t) == 8 && sizeof(struct tcp_t) == 20 && sizeof(struct vxlan_t) == 8 &&\n"
        "  sizeof(struct vxlan_gbp_t) == 8, \"wire sizes\");\n"
        "return 0;\n"));
    EXPECT_TRUE(r.ok) << formatDiagnostics(r.diagnostics);
}

TEST(PacketHeaderPass, WithoutAnSkbContextTheErrorNamesTheField) {
    auto r = compileForTest(skbProgram("struct ip_t *ip = cursor_advance(cursor, sizeof(*ip));\n"
                                       "  return ip->ttl;\n",
                                       "struct pt_regs *ctx"));
    ASSERT_FALSE(r.ok);
    ASSERT_FALSE(r.diagnostics.empty());
    const Diagnostic &d = r.diagnostics.front();
    EXPECT_EQ(d.loc.line, 5u);
    EXPECT_EQ(d.loc.column, 10u);
    EXPECT_TRUE(contains(d.message, "packet header field 'ttl' of 'struct ip_t'")) << d.message;
    EXPECT_TRUE(contains(d.message, "'on_packet' has no 'struct __sk_buff *' first parameter")) << d.message;
    EXPECT_TRUE(contains(d.hint, "int on_packet(struct __sk_buff *skb, ...)")) << d.hint;
}

TEST(PacketHeaderPass, IncrementIsAnErrorWithAHint) {
    auto r = compileForTest(skbProgram("struct ip_t *ip = cursor_advance(cursor, sizeof(*ip));\n"
                                       "ip->ttl++;\nreturn 0;\n"));
    ASSERT_FALSE(r.ok);
    EXPECT_TRUE(contains(formatDiagnostics(r.diagnostics), "t.c:5:1: error: packet header field 'ttl': ++ and --"))
        << formatDiagnostics(r.diagnostics);
}

// Reading packet headers keeps an skb function a socket filter; writing them (bpf_skb_store_bytes)
// makes it a tc classifier, and so does using them from BCC's `void *ctx`.
TEST(PacketHeaderPass, ProgramTypesFollowTheAccess) {
    std::string read = "struct ip_t *ip = cursor_advance(cursor, sizeof(*ip));\nreturn ip->ttl;\n";
    std::string write = "struct ip_t *ip = cursor_advance(cursor, sizeof(*ip));\nip->ttl = 1;\nreturn 0;\n";
    auto reader = compileForTest(skbProgram(read));
    auto writer = compileForTest(skbProgram(write));
    auto untyped = compileForTest(skbProgram(read, "void *ctx"));
    auto untyped_writer = compileForTest(skbProgram(write, "void *ctx"));
    for (const auto *r : {&reader, &writer, &untyped, &untyped_writer})
        ASSERT_TRUE(r->ok) << formatDiagnostics(r->diagnostics);
    ASSERT_TRUE(program(reader, "on_packet") && program(writer, "on_packet") && program(untyped, "on_packet"));
    EXPECT_EQ(program(reader, "on_packet")->prog_type, "socket_filter");
    EXPECT_EQ(program(writer, "on_packet")->prog_type, "sched_cls");
    EXPECT_EQ(program(untyped, "on_packet")->prog_type, "sched_cls");
    ASSERT_TRUE(program(untyped_writer, "on_packet"));
    EXPECT_EQ(program(untyped_writer, "on_packet")->prog_type, "sched_cls");
    EXPECT_EQ(lineOf(untyped.rewritten, 5), "return bpf_dext_pkt(ctx, (u64)ip + 8, 0, 8);");
    EXPECT_FALSE(contains(untyped.rewritten, "__jp_kread")) << untyped.rewritten;
}

// BCC's incremental checksum calls get the skb and the new value's size (of its own type, not
// of the u64 a packet field reads as).
TEST(PacketHeaderPass, ChecksumCallsGetTheSkbAndTheFieldSize) {
    auto r = compileForTest(skbProgram(
        "struct ip_t *ip = cursor_advance(cursor, sizeof(*ip));\n"
        "struct udp_t *udp = cursor_advance(cursor, sizeof(*udp)); u32 to = 7; u16 port = 9;\n"
        "incr_cksum_l3(&ip->hchecksum, ip->dst, to);\n"
        "incr_cksum_l4(&udp->crc, udp->dport, port, 0);\n"
        "return 0;\n"));
    ASSERT_TRUE(r.ok) << formatDiagnostics(r.diagnostics);
    EXPECT_EQ(lineOf(r.rewritten, 6), "__jp_l3_csum_replace(skb, (u64)(&ip->hchecksum), "
                                      "bpf_dext_pkt(skb, (u64)ip + 16, 0, 32), to, 4);");
    EXPECT_EQ(lineOf(r.rewritten, 7), "__jp_l4_csum_replace(skb, (u64)(&udp->crc), "
                                      "bpf_dext_pkt(skb, (u64)udp + 2, 0, 16), port, (((0) & 0x1) << 4) | 2);");
}

// A field spelled inside a macro body has no text of its own to rewrite; XDP has no skb.
TEST(PacketHeaderPass, MacroBodiesAndXdpAreErrors) {
    auto macro = compileForTest(skbProgram("#define TTL(p) ((p)->ttl)\n"
                                           "struct ip_t *ip = cursor_advance(cursor, sizeof(*ip));\n"
                                           "return TTL(ip);\n"));
    ASSERT_FALSE(macro.ok);
    EXPECT_TRUE(contains(formatDiagnostics(macro.diagnostics),
                         "t.c:6:8: error: packet header field 'ttl' is used inside a macro expansion"))
        << formatDiagnostics(macro.diagnostics);
    auto xdp = compileForTest(skbProgram("struct ip_t *ip = cursor_advance(cursor, sizeof(*ip));\n"
                                         "return ip->ttl;\n",
                                         "struct xdp_md *ctx"));
    ASSERT_FALSE(xdp.ok);
    EXPECT_TRUE(contains(formatDiagnostics(xdp.diagnostics), "has no 'struct __sk_buff *' first parameter"))
        << formatDiagnostics(xdp.diagnostics);
}
