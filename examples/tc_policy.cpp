// A tc ingress policy whose verdict comes from a map: UDP datagrams to a port listed in
// `blocked` are dropped, the rest pass; both are counted. Run as root:
//   ./tc_policy IFACE PORT [SECONDS]
// The clsact qdisc is created if IFACE has none, and removed again when the program exits.
#include "jitprobe/BPF.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

namespace {

const char *kProbe = R"(
BPF_HASH(blocked, u16, u8);
BPF_ARRAY(verdicts, u64, 2); // 0 passed, 1 dropped

int policy(struct __sk_buff *skb) {
    unsigned char *p = (unsigned char *)(long)skb->data, *end = (unsigned char *)(long)skb->data_end;
    if (p + 38 > end || p[12] != 0x08 || p[13] != 0x00 || p[23] != 17 || (p[14] & 0x0f) != 5)
        return 0; // TC_ACT_OK: not IPv4/UDP without options
    u16 port = (p[36] << 8) | p[37];
    if (blocked.lookup(&port)) {
        verdicts.increment(1);
        return 2; // TC_ACT_SHOT
    }
    verdicts.increment(0);
    return 0;
}
)";

} // namespace

int main(int argc, char **argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s IFACE PORT [SECONDS]\n", argv[0]);
        return 2;
    }
    std::string dev = argv[1];
    uint16_t port = static_cast<uint16_t>(std::atoi(argv[2]));
    int seconds = argc > 3 ? std::atoi(argv[3]) : 10;
    jitprobe::BPF bpf;
    jitprobe::InitOptions opts;
    opts.file_name = "tc_policy.c";
    // `policy` reads skb->data_end, which a socket filter (the type a SEC-less __sk_buff
    // function has by default) may not: it is a tc classifier.
    opts.program_types = {{"policy", BPF_PROG_TYPE_SCHED_CLS}};
    jitprobe::Status s = bpf.init(kProbe, {}, opts);
    if (s.ok())
        s = bpf.get_hash_table<uint16_t, uint8_t>("blocked").update_value(port, 1);
    if (s.ok())
        s = bpf.attach_tc(dev, "policy", jitprobe::BPF::TcDirection::ingress);
    if (!s.ok()) {
        std::fprintf(stderr, "%s\n", s.msg().c_str());
        return 1;
    }
    std::printf("dropping UDP to port %u on %s for %d s\n", port, dev.c_str(), seconds);
    std::this_thread::sleep_for(std::chrono::seconds(seconds));
    auto verdicts = bpf.get_array_table<uint64_t>("verdicts");
    uint64_t passed = 0, dropped = 0;
    (void)verdicts.get_value(0, passed);
    (void)verdicts.get_value(1, dropped);
    std::printf("passed %llu, dropped %llu UDP packets\n", (unsigned long long)passed,
                (unsigned long long)dropped);
    return 0; // ~BPF detaches the filter (and the clsact qdisc it created)
}
