/* BCC's packet header structs (`#include <bcc/proto.h>`), written from the protocol definitions
 * with BCC's member names and bit widths. Members are in wire order: the first bit of a struct
 * is the most significant bit of the header's first byte. Reading `ip->ttl` through a cursor
 * pointer becomes bpf_dext_pkt(skb, ...) and assigning it bpf_dins_pkt(skb, ...)
 * (PacketHeaderPass), which load and store in network byte order: values are host order. */
#ifndef __JITPROBE_BCC_PROTO_H
#define __JITPROBE_BCC_PROTO_H

/* Ethernet II (IEEE 802.3): destination and source MAC, EtherType. 14 bytes. */
struct ethernet_t {
    unsigned long long dst : 48;
    unsigned long long src : 48;
    unsigned int type : 16;
} BPF_PACKET_HEADER;

/* IEEE 802.1Q tag after the MAC addresses: priority, drop eligible, VLAN id, inner EtherType. */
struct dot1q_t {
    unsigned short pri : 3;
    unsigned short cfi : 1;
    unsigned short vlanid : 12;
    unsigned short type;
} BPF_PACKET_HEADER;

/* ARP for Ethernet/IPv4 (RFC 826): 28 bytes. */
struct arp_t {
    unsigned short htype;
    unsigned short ptype;
    unsigned char hlen;
    unsigned char plen;
    unsigned short oper;
    unsigned long long sha : 48;
    unsigned long long spa : 32;
    unsigned long long tha : 48;
    unsigned int tpa;
} BPF_PACKET_HEADER;

/* IPv4 (RFC 791) without options: 20 bytes. */
struct ip_t {
    unsigned char ver : 4;
    unsigned char hlen : 4;          /* in 32-bit words */
    unsigned char tos;
    unsigned short tlen;
    unsigned short identification;
    unsigned short ffo_unused : 1;   /* reserved flag */
    unsigned short df : 1;
    unsigned short mf : 1;
    unsigned short foffset : 13;
    unsigned char ttl;
    unsigned char nextp;             /* protocol */
    unsigned short hchecksum;
    unsigned int src;
    unsigned int dst;
} BPF_PACKET_HEADER;

/* ICMP (RFC 792) common header. */
struct icmp_t {
    unsigned char type;
    unsigned char code;
    unsigned short checksum;
} BPF_PACKET_HEADER;

/* IPv6 (RFC 8200) fixed header: 40 bytes; addresses as high and low 64-bit halves. */
struct ip6_t {
    unsigned int ver : 4;
    unsigned int priority : 8;       /* traffic class */
    unsigned int flow_label : 20;
    unsigned short payload_len;
    unsigned char next_header;
    unsigned char hop_limit;
    unsigned long long src_hi;
    unsigned long long src_lo;
    unsigned long long dst_hi;
    unsigned long long dst_lo;
} BPF_PACKET_HEADER;

/* IPv6 extension header (hop-by-hop, destination options): its first 8 bytes. */
struct ip6_opt_t {
    unsigned char next_header;
    unsigned char ext_len;
    unsigned char pad[6];
} BPF_PACKET_HEADER;

/* ICMPv6 (RFC 4443) common header. */
struct icmp6_t {
    unsigned char type;
    unsigned char code;
    unsigned short checksum;
} BPF_PACKET_HEADER;

/* UDP (RFC 768): 8 bytes. */
struct udp_t {
    unsigned short sport;
    unsigned short dport;
    unsigned short length;
    unsigned short crc;
} BPF_PACKET_HEADER;

/* TCP (RFC 9293) without options: 20 bytes; offset in 32-bit words, then the flag bits. */
struct tcp_t {
    unsigned short src_port;
    unsigned short dst_port;
    unsigned int seq_num;
    unsigned int ack_num;
    unsigned char offset : 4;
    unsigned char reserved : 4;
    unsigned char flag_cwr : 1;
    unsigned char flag_ece : 1;
    unsigned char flag_urg : 1;
    unsigned char flag_ack : 1;
    unsigned char flag_psh : 1;
    unsigned char flag_rst : 1;
    unsigned char flag_syn : 1;
    unsigned char flag_fin : 1;
    unsigned short rcv_wnd;
    unsigned short cksum;
    unsigned short urg_ptr;
} BPF_PACKET_HEADER;

/* VXLAN (RFC 7348): flags with the I bit, 24-bit VNI ("key"). 8 bytes. */
struct vxlan_t {
    unsigned int rsv1 : 4;
    unsigned int iflag : 1;
    unsigned int rsv2 : 3;
    unsigned int rsv3 : 24;
    unsigned int key : 24;
    unsigned int rsv4 : 8;
} BPF_PACKET_HEADER;

/* VXLAN group policy extension (draft-smith-vxlan-group-policy): G, I, D, A bits, group tag. */
struct vxlan_gbp_t {
    unsigned int gflag : 1;
    unsigned int rsv1 : 3;
    unsigned int iflag : 1;
    unsigned int rsv2 : 3;
    unsigned int rsv3 : 1;
    unsigned int dflag : 1;
    unsigned int rsv4 : 1;
    unsigned int aflag : 1;
    unsigned int rsv5 : 3;
    unsigned int tag : 16;
    unsigned int key : 24;
    unsigned int rsv6 : 8;
} BPF_PACKET_HEADER;

#endif
