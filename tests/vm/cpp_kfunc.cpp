// Run in the VM by guest_tests.sh: fentry/fexit through the C++ API as BCC's own C++ programs
// attach them (its KFuncExample): load_func(name, BPF_PROG_TYPE_TRACING, fd), then the C helper
// bpf_attach_kfunc(fd), detached by closing the link fd. PROBE is a .jpo built on the host from
// tests/vm/kfunc.c. Prints one line per failed check; exit 0 if none.
//   jitprobe_vm_cpp_kfunc PROBE MARKER
#include "VmCheck.h"
#include "jitprobe/BPF.h"

#include <fcntl.h>
#include <unistd.h>

#include <iostream>
#include <string>

using namespace jitprobe;
using namespace jitprobe::vm;

namespace {

uint64_t slot(BPF &bpf, int index) { return bpf.get_array_table<uint64_t>("counts")[index]; }

} // namespace

int main(int argc, char **argv) {
    if (argc != 3) {
        std::cerr << "usage: " << argv[0] << " PROBE MARKER\n";
        return 2;
    }
    const std::string marker = argv[2];
    BPF bpf;
    Status s = bpf.init_file(argv[1]);
    if (!s.ok()) {
        std::cout << "FAIL init_file: " << s.msg() << std::endl;
        return 1;
    }
    int entry_fd = -1, exit_fd = -1;
    check(bpf.load_func("kfunc__do_sys_openat2", BPF_PROG_TYPE_TRACING, entry_fd).ok() && entry_fd >= 0,
          "load_func(kfunc__do_sys_openat2, BPF_PROG_TYPE_TRACING)");
    check(bpf.load_func("kretfunc__do_sys_openat2", BPF_PROG_TYPE_TRACING, exit_fd).ok() && exit_fd >= 0,
          "load_func(kretfunc__do_sys_openat2, BPF_PROG_TYPE_TRACING)");
    int entry_link = bpf_attach_kfunc(entry_fd), exit_link = bpf_attach_kfunc(exit_fd);
    check(entry_link >= 0 && exit_link >= 0, "bpf_attach_kfunc of both programs");
    openTimes(marker, 4);
    uint64_t entries = slot(bpf, 0), returns = slot(bpf, 1), ok = slot(bpf, 2);
    check(entries == 4 && returns == 4 && ok == 4,
          "4 opens seen: entries " + std::to_string(entries) + ", returns " + std::to_string(returns) +
              ", successful " + std::to_string(ok));
    ::close(entry_link);
    ::close(exit_link);
    openTimes(marker, 2);
    check(slot(bpf, 0) == entries && slot(bpf, 1) == returns, "no counts after the links are closed");
    std::cout << "kfunc via load_func + bpf_attach_kfunc: " << entries << " entries, " << returns
              << " returns; detached by close" << std::endl;
    return failures == 0 ? 0 : 1;
}
