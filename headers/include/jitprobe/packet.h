/* BCC's packet cursors: cursor_advance, BPF_PACKET_HEADER (the structs of <bcc/proto.h>) and
 * the helpers that members of such structs read and write through (PacketHeaderPass):
 *   ip->ttl        ->  bpf_dext_pkt(skb, (u64)ip + 8, 0, 8)
 *   ip->ttl = 1    ->  bpf_dins_pkt(skb, (u64)ip + 8, 0, 8, 1)
 * A cursor starts at 0 (`u8 *cursor = 0;`): header pointers are offsets into the packet. The
 * helpers read and write in network byte order with host-order values, through the skb
 * (bpf_skb_load_bytes / bpf_skb_store_bytes): socket filters and tc programs, not XDP. */
#ifndef __JITPROBE_PACKET_H
#define __JITPROBE_PACKET_H

/* Marks a packed struct whose members are packet fields in wire order. BCC spells the mark
 * as deprecated("packet"); PacketHeaderPass recognises both. */
#define BPF_PACKET_HEADER __attribute__((packed)) __attribute__((annotate("jitprobe_packet_header")))

/* The cursor's current position, then the cursor moves LEN bytes on. */
#define cursor_advance(_cursor, _len) \
    ({ void *__jp_at = (void *)(_cursor); (_cursor) += (_len); __jp_at; })

/* BCC's LD_ABS loads (LLVM's BPF intrinsics): the skb context and an offset from the packet
 * start, network order in, host order out. */
unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");
unsigned long long load_half(void *skb, unsigned long long off) asm("llvm.bpf.load.half");
unsigned long long load_word(void *skb, unsigned long long off) asm("llvm.bpf.load.word");

static __always_inline __u64 __jp_low_bits(__u64 n) {
    return n < 64 ? (1ULL << n) - 1 : ~0ULL;
}

/* The width (8, 16, 32 or 64 bits) of the smallest load covering BSZ bits from bit BOFS. */
static __always_inline __u64 __jp_pkt_width(__u64 bofs, __u64 bsz) {
    __u64 end = bofs + bsz;
    return end <= 8 ? 8 : end <= 16 ? 16 : end <= 32 ? 32 : 64;
}

/* WIDTH bits at packet byte OFF, host order; 0 beyond the packet. bpf_skb_load_bytes rather
 * than LD_ABS: LD_ABS may not run while a ring buffer record is reserved (bpf_trace_printk's
 * arguments are evaluated then) and ends the program on a short packet. Its result is not
 * tested: it zeroes the buffer on failure, and a branch per load would multiply the verifier's
 * paths in unrolled loops (BCC's dns_matching example: over the 1M-instruction limit). */
static __always_inline __u64 __jp_pkt_load(void *pkt, __u64 off, __u64 width) {
    union { __u8 b; __u16 h; __u32 w; __u64 d; } in = {};
    (void)bpf_skb_load_bytes(pkt, off, &in, width / 8);
    if (width == 8)
        return in.b;
    if (width == 16)
        return bpf_ntohs(in.h);
    if (width == 32)
        return bpf_ntohl(in.w);
    return __builtin_bswap64(in.d);
}

/* BSZ bits at bit BOFS (0 = the most significant bit) of the packet byte OFF, host order. */
static __always_inline __u64 bpf_dext_pkt(void *pkt, __u64 off, __u64 bofs, __u64 bsz) {
    __u64 width = __jp_pkt_width(bofs, bsz);
    if (bofs + bsz > 64)
        return 0;
    return (__jp_pkt_load(pkt, off, width) >> (width - bofs - bsz)) & __jp_low_bits(bsz);
}

/* Stores VAL (host order) into BSZ bits at bit BOFS of the packet byte OFF, keeping the bits
 * around it; bpf_skb_store_bytes, so tc programs only. */
static __always_inline void bpf_dins_pkt(void *pkt, __u64 off, __u64 bofs, __u64 bsz, __u64 val) {
    __u64 width = __jp_pkt_width(bofs, bsz), shift = width - bofs - bsz;
    __u64 mask = __jp_low_bits(bsz) << shift, v;
    union { __u8 b; __u16 h; __u32 w; __u64 d; } out;
    if (bofs + bsz > 64)
        return;
    v = bsz == width ? 0 : __jp_pkt_load(pkt, off, width) & ~mask;
    v |= (val << shift) & mask;
    if (width == 8)
        out.b = v;
    else if (width == 16)
        out.h = bpf_htons(v);
    else if (width == 32)
        out.w = bpf_htonl(v);
    else
        out.d = __builtin_bswap64(v);
    bpf_skb_store_bytes(pkt, off, &out, width / 8, 0);
}

/* BCC's checksum updates for a packet field changed from OLD to NEW (host order).
 * PacketHeaderPass turns incr_cksum_l3(&ip->hchecksum, old, new) into
 * __jp_l3_csum_replace(skb, offset, old, new, size): the low 4 bits of FLAGS are the field's
 * size, by which the values are put in network order for the kernel's helpers. */
int incr_cksum_l3(void *off, __u64 oldval, __u64 newval);
int incr_cksum_l4(void *off, __u64 oldval, __u64 newval, __u64 flags);

static __always_inline __u64 __jp_csum_order(__u64 v, __u64 flags) {
    __u64 size = flags & 0xf;
    return size == 2 ? bpf_htons(v) : size == 4 ? bpf_htonl(v) : size == 8 ? __builtin_bswap64(v) : v;
}

static __always_inline int __jp_l3_csum_replace(void *skb, __u64 off, __u64 from, __u64 to, __u64 flags) {
    return bpf_l3_csum_replace(skb, off, __jp_csum_order(from, flags), __jp_csum_order(to, flags), flags);
}

static __always_inline int __jp_l4_csum_replace(void *skb, __u64 off, __u64 from, __u64 to, __u64 flags) {
    return bpf_l4_csum_replace(skb, off, __jp_csum_order(from, flags), __jp_csum_order(to, flags), flags);
}

#endif
