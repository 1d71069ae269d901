// Run in the VM by guest_tests.sh: a BPF task iterator (tests/vm/iter_task.c, or a .jpo built from
// it on the host) read through an iterator fd. Each record is {tgid, pid, comm[16]}; the listing
// must hold pid 1 with the comm /proc/1/comm shows, and this process with its own comm.
// Prints one line per failed check; exit 0 if none.
//   jitprobe_vm_cpp_iter PROBE
#include "VmCheck.h"
#include "jitprobe/BPF.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>

using namespace jitprobe;
using namespace jitprobe::vm;

namespace {

struct TaskRec {
    uint32_t tgid;
    uint32_t pid;
    char comm[16];
};

std::string procComm(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/comm");
    std::string comm;
    std::getline(in, comm);
    return comm;
}

// The thread-group leaders' comms (tgid == pid) the iterator wrote, and how many tasks it saw.
Result<std::map<uint32_t, std::string>> readTasks(BPF &bpf, size_t &tasks) {
    // The runtime attaches iterators but has no API to read one: libbpf's, on its object.
    bpf_program *prog = bpf_object__find_program_by_name(bpf.raw_object(), "bpf_iter__task");
    if (!prog)
        return Status(ENOENT, "no program bpf_iter__task in the object");
    bpf_link *link = bpf_program__attach_iter(prog, nullptr);
    if (!link)
        return Status(errno, "bpf_program__attach_iter: " + std::string(std::strerror(errno)));
    int it = bpf_iter_create(bpf_link__fd(link));
    std::string data;
    char buf[4096];
    ssize_t n = 0;
    while (it >= 0 && (n = ::read(it, buf, sizeof(buf))) > 0 && data.size() < (16u << 20))
        data.append(buf, size_t(n));
    int err = it < 0 || n < 0 ? errno : 0;
    if (it >= 0)
        ::close(it);
    bpf_link__destroy(link);
    if (err)
        return Status(err, "reading the iterator: " + std::string(std::strerror(err)));
    std::map<uint32_t, std::string> leaders;
    tasks = data.size() / sizeof(TaskRec);
    for (size_t i = 0; i < tasks; i++) {
        TaskRec r;
        std::memcpy(&r, data.data() + i * sizeof(r), sizeof(r));
        if (r.tgid == r.pid)
            leaders[r.tgid] = std::string(r.comm, strnlen(r.comm, sizeof(r.comm)));
    }
    return leaders;
}

} // namespace

int main(int argc, char **argv) {
    if (argc != 2) {
        std::cerr << "usage: " << argv[0] << " PROBE\n";
        return 2;
    }
    BPF bpf;
    Status s = initFrom(bpf, argv[1]);
    if (!s.ok()) {
        std::cout << "FAIL init: " << s.msg() << std::endl;
        return 1;
    }
    size_t tasks = 0;
    auto leaders = readTasks(bpf, tasks);
    if (!leaders.ok()) {
        std::cout << "FAIL " << leaders.status().msg() << std::endl;
        return 1;
    }
    int failures = 0;
    auto expectComm = [&](uint32_t pid, const std::string &want) {
        auto it = leaders->find(pid);
        std::string got = it == leaders->end() ? "(not listed)" : it->second;
        if (got != want) {
            std::cout << "FAIL pid " << pid << ": comm " << got << ", expected " << want << std::endl;
            failures++;
        }
    };
    expectComm(1, procComm(1));
    expectComm(uint32_t(::getpid()), procComm(::getpid()));
    std::cout << "cpp_iter: " << tasks << " tasks, " << leaders->size() << " processes; pid 1 is "
              << procComm(1) << (failures ? " (failed)" : "") << std::endl;
    return failures ? 1 : 0;
}
