// Attach probes for `jitprobe info`: each loads a two-instruction program (r0 = 0; exit) of the
// type, attaches it the way `run` would, and detaches it again (RAII: every fd closes; tc and
// XDP in a private network namespace).
#include "FeatureProbes.h"

#include "attach/ElfOffsets.h"
#include "attach/MultiLinks.h"
#include "attach/Tracefs.h"
#include "jitprobe/common/Errors.h"
#include "jitprobe/common/UniqueFd.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <linux/perf_event.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <memory>
#include <thread>

namespace jitprobe::detail {
namespace {

using common::UniqueFd;

constexpr const char *kKernelFunction = "vfs_read"; // in every kernel, traceable, not inlined
constexpr const char *kLibc = "/lib/x86_64-linux-gnu/libc.so.6";

struct ProgSpec {
    bpf_prog_type type;
    bpf_attach_type expected = static_cast<bpf_attach_type>(0);
    __u32 btf_id = 0;
};

Result<UniqueFd> loadTiny(const ProgSpec &spec) {
    const bpf_insn insns[] = {
        {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0}, // r0 = 0
        {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},                  // exit
    };
    LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = spec.expected,
                .attach_btf_id = spec.btf_id);
    int fd = bpf_prog_load(spec.type, "jp_info", "GPL", insns, 2, &opts);
    if (fd < 0)
        return errnoStatus(-fd, "load");
    return UniqueFd(fd);
}

Feature result(const std::string &name, const Status &st, const std::string &ok_detail) {
    return Feature{name, st.ok(), st.ok() ? ok_detail : st.msg()};
}

int perfEventOpen(perf_event_attr &attr, int cpu) {
    return static_cast<int>(
        ::syscall(SYS_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC));
}

// perf event of ATTR with a fresh program of TYPE attached (PERF_EVENT_IOC_SET_BPF).
Status attachPerf(bpf_prog_type type, perf_event_attr attr) {
    Result<UniqueFd> prog = loadTiny({type});
    if (!prog.ok())
        return prog.status();
    UniqueFd event(perfEventOpen(attr, 0));
    if (!event.valid())
        return errnoStatus(errno, "perf_event_open");
    if (::ioctl(event.get(), PERF_EVENT_IOC_SET_BPF, prog->get()) != 0)
        return errnoStatus(errno, "PERF_EVENT_IOC_SET_BPF");
    return Status::OK();
}

// The PMU type number of kprobe/uprobe (perf's dynamic PMUs); absent without the feature.
Result<int> pmuType(const std::string &pmu) {
    std::ifstream in("/sys/bus/event_source/devices/" + pmu + "/type");
    int type = -1;
    if (!(in >> type))
        return Status(ENOENT, "no " + pmu + " PMU (/sys/bus/event_source/devices/" + pmu + ")");
    return type;
}

Feature probeTracepoint() {
    Result<std::string> root = Tracefs::ensureMounted();
    if (!root.ok())
        return result("tracepoint", root.status(), "");
    std::ifstream in(*root + "/events/syscalls/sys_enter_getpid/id");
    unsigned long long id = 0;
    if (!(in >> id))
        return {"tracepoint", false, "no syscalls:sys_enter_getpid in " + *root};
    perf_event_attr attr{};
    attr.type = PERF_TYPE_TRACEPOINT;
    attr.size = sizeof attr;
    attr.config = id;
    return result("tracepoint", attachPerf(BPF_PROG_TYPE_TRACEPOINT, attr),
                  "attached to syscalls:sys_enter_getpid");
}

Feature probeKprobe(bool has_kprobe_events) {
    Result<int> type = pmuType("kprobe");
    if (!type.ok())
        return {"kprobe", false,
                type.status().msg() +
                    (has_kprobe_events ? "" : " and no kprobe_events in tracefs") +
                    ": this kernel has no kprobe support (CONFIG_KPROBES is not set)"};
    perf_event_attr attr{};
    attr.type = *type;
    attr.size = sizeof attr;
    attr.config1 = reinterpret_cast<__u64>(kKernelFunction);
    return result("kprobe", attachPerf(BPF_PROG_TYPE_KPROBE, attr),
                  std::string("attached to ") + kKernelFunction);
}

Feature probeKprobeMulti() {
    return result("kprobe.multi", probeKprobeMultiLink(),
                  std::string("attached to ") + kKernelFunction);
}

Feature probeUprobe() {
    Result<int> type = pmuType("uprobe");
    if (!type.ok())
        return result("uprobe", type.status(), "");
    Result<uint64_t> addr = elfFunctionAddress(kLibc, "getpid");
    Result<uint64_t> offset =
        addr.ok() ? elfVaddrToFileOffset(kLibc, *addr) : Result<uint64_t>(addr.status());
    if (!offset.ok())
        return result("uprobe", offset.status(), "");
    perf_event_attr attr{};
    attr.type = *type;
    attr.size = sizeof attr;
    attr.config1 = reinterpret_cast<__u64>(kLibc);
    attr.config2 = *offset;
    return result("uprobe", attachPerf(BPF_PROG_TYPE_KPROBE, attr),
                  std::string("attached to ") + kLibc + ":getpid");
}

Feature probeUprobeMulti() {
    return result("uprobe.multi", probeUprobeMultiLink(),
                  std::string("attached to ") + kLibc + ":getpid");
}

// fentry and LSM: BTF-typed programs on a kernel function, attached through a trampoline.
Feature probeBtfTrampoline(const std::string &name, bpf_prog_type type, bpf_attach_type expected,
                           const std::string &function) {
    std::unique_ptr<btf, decltype(&btf__free)> vmlinux(btf__load_vmlinux_btf(), btf__free);
    if (!vmlinux)
        return {name, false, "no kernel BTF: " + errnoText(errno)};
    int id = btf__find_by_name_kind(vmlinux.get(), function.c_str(), BTF_KIND_FUNC);
    if (id < 0)
        return {name, false, "no BTF for " + function};
    Result<UniqueFd> prog = loadTiny({type, expected, static_cast<__u32>(id)});
    if (!prog.ok())
        return {name, false, "refused: " + prog.status().msg() + " (" + function + ")"};
    UniqueFd link(bpf_raw_tracepoint_open(nullptr, prog->get()));
    if (!link.valid())
        return {name, false, "refused: attach " + function + ": " + errnoText(errno)};
    return {name, true, "attached to " + function};
}

Feature probeRawTracepoint() {
    Result<UniqueFd> prog = loadTiny({BPF_PROG_TYPE_RAW_TRACEPOINT});
    if (!prog.ok())
        return result("raw_tp", prog.status(), "");
    UniqueFd link(bpf_raw_tracepoint_open("sys_enter", prog->get()));
    if (!link.valid())
        return {"raw_tp", false, "raw_tracepoint_open(sys_enter): " + errnoText(errno)};
    return {"raw_tp", true, "attached to sys_enter"};
}

Feature probePerfEvent() {
    perf_event_attr attr{};
    attr.type = PERF_TYPE_SOFTWARE;
    attr.size = sizeof attr;
    attr.config = PERF_COUNT_SW_CPU_CLOCK;
    attr.sample_period = 1000000000ULL; // never fires while attached
    return result("perf_event", attachPerf(BPF_PROG_TYPE_PERF_EVENT, attr),
                  "attached to software:cpu-clock on CPU 0");
}

Feature probeSocketFilter() {
    Result<UniqueFd> prog = loadTiny({BPF_PROG_TYPE_SOCKET_FILTER});
    if (!prog.ok())
        return result("socket", prog.status(), "");
    UniqueFd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    int fd = prog->get();
    if (!sock.valid() || ::setsockopt(sock.get(), SOL_SOCKET, SO_ATTACH_BPF, &fd, sizeof fd) != 0)
        return {"socket", false, "SO_ATTACH_BPF: " + errnoText(errno)};
    return {"socket", true, "attached to a UDP socket"};
}

Feature probeXdp(int ifindex) {
    Result<UniqueFd> prog = loadTiny({BPF_PROG_TYPE_XDP});
    if (!prog.ok())
        return result("xdp", prog.status(), "");
    int err = bpf_xdp_attach(ifindex, prog->get(), XDP_FLAGS_SKB_MODE, nullptr);
    if (err)
        return {"xdp", false, "attach (generic) to lo: " + errnoText(err)};
    (void)bpf_xdp_detach(ifindex, XDP_FLAGS_SKB_MODE, nullptr); // the namespace goes anyway
    return {"xdp", true, "attached (generic) to lo of a private network namespace"};
}

Feature probeTc(int ifindex) {
    Result<UniqueFd> prog = loadTiny({BPF_PROG_TYPE_SCHED_CLS});
    if (!prog.ok())
        return result("tc", prog.status(), "");
    LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
    int err = bpf_tc_hook_create(&hook);
    if (err && err != -EEXIST)
        return {"tc", false, "clsact qdisc on lo: " + errnoText(err)};
    LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = prog->get());
    err = bpf_tc_attach(&hook, &opts);
    (void)bpf_tc_hook_destroy(&hook);
    if (err)
        return {"tc", false, "attach to lo ingress: " + errnoText(err)};
    return {"tc", true, "attached to lo ingress of a private network namespace"};
}

// tc and XDP attach to the loopback device of a network namespace of their own: a thread that
// unshares CLONE_NEWNET (namespaces are per thread), so no interface of this host changes; the
// namespace and everything in it goes when the thread ends.
std::vector<Feature> probeNetAttach() {
    std::vector<Feature> out;
    std::thread worker([&out] {
        if (::unshare(CLONE_NEWNET) != 0) {
            std::string why = "unshare(CLONE_NEWNET): " + errnoText(errno);
            out = {{"tc", false, why}, {"xdp", false, why}};
            return;
        }
        int lo = static_cast<int>(::if_nametoindex("lo"));
        out = {probeTc(lo), probeXdp(lo)};
    });
    worker.join();
    return out;
}
} // namespace

std::vector<Feature> probeAttachTypes(bool has_kprobe_events) {
    std::vector<Feature> out{
        probeTracepoint(),
        probeRawTracepoint(),
        probeKprobe(has_kprobe_events),
        probeKprobeMulti(),
        probeUprobe(),
        probeUprobeMulti(),
        probeBtfTrampoline("fentry", BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY, kKernelFunction),
        probeBtfTrampoline("lsm", BPF_PROG_TYPE_LSM, BPF_LSM_MAC, "bpf_lsm_file_open"),
        probePerfEvent(),
        probeSocketFilter()};
    for (Feature &f : probeNetAttach())
        out.push_back(std::move(f));
    return out;
}

} // namespace jitprobe::detail
