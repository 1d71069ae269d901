// Live network tests: two network namespaces joined by a veth pair (jpa0 10.213.0.1 in A,
// jpb0 10.213.0.2 in B), removed with the NetPair; bounded UDP bursts from B to A.
#pragma once
#include "LiveSupport.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace jitprobe::testing {

inline constexpr int kNetTestPort = 47123;


inline std::string shell(const std::string &cmd) {
    std::string out;
    if (FILE *p = ::popen((cmd + " 2>&1").c_str(), "r")) {
        char buf[512];
        while (std::fgets(buf, sizeof buf, p))
            out += buf;
        ::pclose(p);
    }
    return out;
}

// Moves the calling thread into netns NAME and back (setns is per thread for CLONE_NEWNET).
class InNetns {
  public:
    explicit InNetns(const std::string &name) : home_(::open("/proc/thread-self/ns/net", O_RDONLY)) {
        int fd = ::open(("/var/run/netns/" + name).c_str(), O_RDONLY);
        ok_ = fd >= 0 && ::setns(fd, CLONE_NEWNET) == 0;
        if (fd >= 0)
            ::close(fd);
    }
    ~InNetns() {
        if (home_ >= 0 && ::setns(home_, CLONE_NEWNET) != 0)
            std::abort(); // the rest of the suite must not run in a test namespace
        ::close(home_);
    }
    bool ok() const { return ok_; }

  private:
    int home_;
    bool ok_ = false;
};

// The two namespaces and the veth pair; removed in the destructor (the veth goes with them).
struct NetPair {
    std::string a = "jpnetA" + std::to_string(::getpid()), b = "jpnetB" + std::to_string(::getpid());
    bool ok = false;
    NetPair() {
        std::string out = shell("ip netns add " + a + " && ip netns add " + b +
                                " && ip link add jpa0 netns " + a + " type veth peer name jpb0 netns " + b +
                                " && ip -n " + a + " addr add 10.213.0.1/24 dev jpa0 && ip -n " + b +
                                " addr add 10.213.0.2/24 dev jpb0 && ip -n " + a +
                                " link set jpa0 up && ip -n " + b + " link set jpb0 up && echo READY");
        ok = out.find("READY") != std::string::npos;
        // Static neighbours: no ARP in the counted traffic and no wait for it.
        shell("ip -n " + a + " neigh add 10.213.0.2 lladdr $(ip -n " + b +
              " -o link show jpb0 | grep -o 'link/ether [^ ]*' | cut -d' ' -f2) dev jpa0");
        shell("ip -n " + b + " neigh add 10.213.0.1 lladdr $(ip -n " + a +
              " -o link show jpa0 | grep -o 'link/ether [^ ]*' | cut -d' ' -f2) dev jpb0");
    }
    ~NetPair() {
        shell("ip netns del " + a);
        shell("ip netns del " + b);
    }
    std::string inA(const std::string &cmd) const { return shell("ip netns exec " + a + " " + cmd); }
};

// A UDP socket bound in A on PORT (so A answers nothing), and N datagrams sent from B.
struct Receiver {
    int fd = -1;
    explicit Receiver(const NetPair &net, int port = kNetTestPort) {
        InNetns in(net.a);
        fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        sockaddr_in addr{AF_INET, htons(port), {htonl(INADDR_ANY)}, {}};
        if (::bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0) {
            ::close(fd);
            fd = -1;
        }
    }
    ~Receiver() { ::close(fd); }
    int drain() const {
        char buf[256];
        int n = 0;
        ::usleep(100 * 1000); // veth delivery is asynchronous (backlog)
        while (::recv(fd, buf, sizeof buf, 0) > 0)
            n++;
        return n;
    }
};

inline void sendFromB(const NetPair &net, int count, int port = kNetTestPort) {
    InNetns in(net.b);
    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in to{AF_INET, htons(port), {}, {}};
    ::inet_pton(AF_INET, "10.213.0.1", &to.sin_addr);
    for (int i = 0; i < count; i++)
        (void)::sendto(fd, "jitprobe", 8, 0, reinterpret_cast<sockaddr *>(&to), sizeof to);
    ::close(fd);
}

} // namespace jitprobe::testing

#define JP_REQUIRE_NETNS(net)                                                                  \
    JP_REQUIRE_BPF_PRIVILEGES();                                                               \
    NetPair net;                                                                               \
    if (!net.ok)                                                                               \
        GTEST_SKIP() << "cannot create network namespaces / veth (iproute2, CAP_NET_ADMIN)";
