// Counts packets per IP protocol on an interface with XDP (generic mode works everywhere).
//   jitprobe run examples/xdp_count.c --duration 5
// Edit the @attach line for another interface; ":native" for driver mode.
BPF_ARRAY(protocols, u64, 256);

// @attach xdp:lo:generic -> xdp_count
int xdp_count(struct xdp_md *ctx) {
    unsigned char *p = (unsigned char *)(long)ctx->data, *end = (unsigned char *)(long)ctx->data_end;
    if (p + 34 <= end && p[12] == 0x08 && p[13] == 0x00)
        protocols.increment(p[23]); // IPv4: protocol byte
    return 2; // XDP_PASS
}
