// Built against an installed jitprobe: init a probe string, attach it, read a map.
// Exits 0 only if the map counted this process's own openat() calls.
#include <jitprobe/BPF.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <string>

int main() {
    const std::string probe = R"(
BPF_HASH(opens, u32, u64);
TRACEPOINT_PROBE(syscalls, sys_enter_openat) {
    u32 tgid = bpf_get_current_pid_tgid() >> 32;
    if (tgid != TARGET_PID)
        return 0;
    opens.increment(tgid);
    return 0;
})";
    jitprobe::BPF bpf;
    auto st = bpf.init(probe, {"-DTARGET_PID=" + std::to_string(::getpid())});
    if (st.ok())
        st = bpf.attach_all();
    if (!st.ok()) {
        std::fprintf(stderr, "consumer: %s\n", st.msg().c_str());
        return 1;
    }
    for (int i = 0; i < 7; i++) {
        int fd = ::open("/etc/hostname", O_RDONLY);
        if (fd >= 0)
            ::close(fd);
    }
    uint64_t count = 0;
    st = bpf.get_hash_table<uint32_t, uint64_t>("opens").get_value(::getpid(), count);
    std::printf("consumer: %llu opens counted\n", static_cast<unsigned long long>(count));
    return st.ok() && count >= 7 ? 0 : 1;
}
