// A tc ingress policy enforcer whose verdict comes from a map that this program updates while
// the classifier runs: UDP datagrams to a port in `blocked` are dropped, the rest pass; both are
// counted. Run as root:
//   ./tc_policy IFACE [SECONDS] [PORT...]
// PORTs start blocked. Then, one command per line on stdin, each answered on stdout:
//   deny PORT    drop UDP to PORT from now on
//   allow PORT   let it pass again
//   stats        "passed N, dropped M"
// End of input or SECONDS (default 60) ends it. The clsact qdisc is created if IFACE has none,
// and removed again when the program exits.
#include "jitprobe/BPF.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>

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

std::string stats(jitprobe::BPF &bpf) {
    auto verdicts = bpf.get_array_table<uint64_t>("verdicts");
    uint64_t passed = 0, dropped = 0;
    (void)verdicts.get_value(0, passed);
    (void)verdicts.get_value(1, dropped);
    return "passed " + std::to_string(passed) + ", dropped " + std::to_string(dropped);
}

// One command line: the policy map changes under the running classifier.
std::string applyCommand(jitprobe::BPF &bpf, const std::string &line) {
    std::istringstream in(line);
    std::string verb;
    long port = -1;
    bool has_port = static_cast<bool>(in >> verb >> port);
    if (verb == "stats")
        return stats(bpf);
    if ((verb != "deny" && verb != "allow") || !has_port || port < 0 || port > 65535)
        return "error: expected 'deny PORT', 'allow PORT' or 'stats'";
    auto blocked = bpf.get_hash_table<uint16_t, uint8_t>("blocked");
    uint16_t key = static_cast<uint16_t>(port);
    jitprobe::Status s = verb == "deny" ? blocked.update_value(key, 1) : blocked.remove_value(key);
    if (!s.ok() && !(verb == "allow" && s.code() == ENOENT))
        return "error: " + s.msg();
    return verb + " " + std::to_string(port) + ": ok";
}

} // namespace

int main(int argc, char **argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s IFACE [SECONDS] [PORT...]\n", argv[0]);
        return 2;
    }
    std::string dev = argv[1];
    int seconds = argc > 2 ? std::atoi(argv[2]) : 60;
    jitprobe::BPF bpf;
    jitprobe::InitOptions opts;
    opts.file_name = "tc_policy.c";
    // `policy` reads skb->data_end, which a socket filter (the type a SEC-less __sk_buff
    // function has by default) may not: it is a tc classifier.
    opts.program_types = {{"policy", BPF_PROG_TYPE_SCHED_CLS}};
    jitprobe::Status s = bpf.init(kProbe, {}, opts);
    for (int i = 3; s.ok() && i < argc; i++)
        s = bpf.get_hash_table<uint16_t, uint8_t>("blocked").update_value(
            static_cast<uint16_t>(std::atoi(argv[i])), 1);
    if (s.ok())
        s = bpf.attach_tc(dev, "policy", jitprobe::BPF::TcDirection::ingress);
    if (!s.ok()) {
        std::fprintf(stderr, "%s\n", s.msg().c_str());
        return 1;
    }
    std::cout << "enforcing on " << dev << " ingress for " << seconds << " s" << std::endl;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    std::string pending; // stdin read by hand: poll() must see what is not yet consumed
    while (std::chrono::steady_clock::now() < deadline) {
        if (size_t nl = pending.find('\n'); nl != std::string::npos) {
            std::cout << applyCommand(bpf, pending.substr(0, nl)) << std::endl;
            pending.erase(0, nl + 1);
            continue;
        }
        pollfd in{STDIN_FILENO, POLLIN, 0};
        if (::poll(&in, 1, 200) <= 0)
            continue; // nothing yet: check the deadline again
        char buf[256];
        ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
        if (n <= 0)
            break; // end of input
        pending.append(buf, static_cast<size_t>(n));
        if (pending.size() > 4096 && pending.find('\n') == std::string::npos)
            pending.clear(); // no command is that long
    }
    std::cout << stats(bpf) << std::endl;
    return 0; // ~BPF detaches the filter (and the clsact qdisc it created)
}
