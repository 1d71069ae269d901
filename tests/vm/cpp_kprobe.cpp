// Run in the VM by guest_tests.sh: the C++ API's attach_kprobe (entry) and its return form with
// maxactive, on do_sys_openat2, then detach_kprobe. PROBE is tests/vm/cpp_kprobe.c or a .jpo
// built from it on the host (init_file). With OFFSET (a byte offset of an instruction inside
// do_sys_openat2 that every call runs, found by tests/vm/kprobe_offset.py), also an entry probe at
// do_sys_openat2+OFFSET, and one at +1 (inside the 5-byte __fentry__ call) that must be refused.
// Prints one line per failed check; exit 0 if none.
//   jitprobe_vm_cpp_kprobe PROBE MARKER [OFFSET]
#include "VmCheck.h"
#include "jitprobe/BPF.h"

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

using namespace jitprobe;
using namespace jitprobe::vm;

namespace {

// attach_kprobe at do_sys_openat2+OFFSET fires once per open; +1 is refused, naming the probe,
// the target and why.
void checkOffsets(BPF &bpf, uint64_t offset, const std::string &marker) {
    auto pid = uint32_t(::getpid());
    Status s = bpf.attach_kprobe("do_sys_openat2", "on_open", offset);
    check(s.ok(), "attach_kprobe at +" + std::to_string(offset) + ": " + s.msg());
    uint64_t before = bpf.get_hash_table<uint32_t, uint64_t>("entries")[pid];
    openTimes(marker, 3);
    uint64_t hits = bpf.get_hash_table<uint32_t, uint64_t>("entries")[pid] - before;
    check(hits == 3, "probe at +" + std::to_string(offset) + ": " + std::to_string(hits) +
                         " hits, expected 3");
    check(bpf.detach_kprobe("do_sys_openat2").ok(), "detach_kprobe of the offset probe");
    Status bad = bpf.attach_kprobe("do_sys_openat2", "on_open", 1);
    check(!bad.ok() && bad.code() == EILSEQ &&
              bad.msg().find("prog 'on_open': failed to attach kprobe 'do_sys_openat2+0x1'") == 0 &&
              bad.msg().find("instruction boundary") != std::string::npos,
          "offset 1 (mid-instruction) is refused with EILSEQ, named: " + bad.msg());
    std::cout << "offset +" << offset << ": " << hits << " hits; +1 refused: " << bad.msg()
              << std::endl;
}

} // namespace

int main(int argc, char **argv) {
    if (argc != 3 && argc != 4) {
        std::cerr << "usage: " << argv[0] << " PROBE MARKER [OFFSET]\n";
        return 2;
    }
    const std::string marker = argv[2], missing = std::string(argv[2]) + ".none";
    BPF bpf;
    Status s = initFrom(bpf, argv[1]);
    if (!s.ok()) {
        std::cout << "FAIL init: " << s.msg() << std::endl;
        return 1;
    }
    s = bpf.attach_kprobe("do_sys_openat2", "on_open");
    check(s.ok(), "attach_kprobe entry: " + s.msg());
    s = bpf.attach_kprobe("do_sys_openat2", "on_open_return", 0, BPF_PROBE_RETURN, 32);
    check(s.ok(), "attach_kprobe return maxactive=32: " + s.msg());
    Status bad = bpf.attach_kprobe("jitprobe_no_such_function", "on_open");
    check(!bad.ok() && bad.msg().find("'on_open'") != std::string::npos &&
              bad.msg().find("jitprobe_no_such_function") != std::string::npos,
          "a missing kernel function names the program and the function: " + bad.msg());
    // Counted by pid, and libbpf opens files of its own while attaching: deltas around our opens.
    auto pid = uint32_t(::getpid());
    auto read = [&bpf, pid](const char *map) {
        return bpf.get_hash_table<uint32_t, uint64_t>(map)[pid];
    };
    uint64_t entries0 = read("entries"), returns0 = read("returns"), ok0 = read("ok_returns");
    openTimes(marker, 3);
    openTimes(missing, 2);
    uint64_t entries = read("entries") - entries0, returns = read("returns") - returns0,
             ok = read("ok_returns") - ok0;
    check(entries == 5, "entries = " + std::to_string(entries) + ", expected 5");
    check(returns == 5, "returns = " + std::to_string(returns) + ", expected 5");
    check(ok == 3, "returns with an fd = " + std::to_string(ok) + ", expected 3");
    check(bpf.detach_kprobe("do_sys_openat2").ok(), "detach_kprobe entry");
    check(bpf.detach_kprobe("do_sys_openat2", BPF_PROBE_RETURN).ok(), "detach_kprobe return");
    check(bpf.detach_kprobe("do_sys_openat2").code() == ENOENT, "a second detach is ENOENT");
    uint64_t detached = read("entries") + read("returns");
    openTimes(marker, 4);
    check(read("entries") + read("returns") == detached, "opens after detach_kprobe were counted");
    if (argc == 4)
        checkOffsets(bpf, std::stoull(argv[3], nullptr, 0), marker);
    std::cout << (failures ? "cpp_kprobe: failed" : "cpp_kprobe: ok") << " (entries " << entries
              << ", returns " << returns << ", ok " << ok << ")" << std::endl;
    return failures ? 1 : 0;
}
