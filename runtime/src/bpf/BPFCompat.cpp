// BCC's ebpf::BPF entry points that jitprobe's own API names differently or lacks: the
// constructor with a TableStorage, init with USDT probes, load_func with flags, fd-based
// attach_func, get_syscall_fnname (see BPF.h).
#include "BPFImpl.h"
#include "jitprobe/common/Errors.h"

#include <bpf/bpf.h>
#include <fcntl.h>

#include <cerrno>
#include <fstream>
#include <mutex>

namespace jitprobe {

using detail::errnoText;

BPF::BPF(unsigned int flag, TableStorage *ts, bool rw_engine_enabled, const std::string &maps_ns,
         bool allow_rlimit)
    : BPF() {
    (void)flag, (void)rw_engine_enabled, (void)allow_rlimit; // see BPF.h
    impl_->table_storage = ts;
    impl_->maps_ns = maps_ns;
}

namespace {

// BCC keeps public and shared tables in one storage for the whole process (its
// SharedTableStorage): a later BPF object's BPF_TABLE("extern") finds them there without being
// handed a TableStorage, and they outlive the object that created them (the storage holds an fd
// of its own), as in BCC.
struct ProcessTables {
    std::mutex mutex;
    TableStorage tables;
};

ProcessTables &processTables() {
    static ProcessTables tables;
    return tables;
}

// Where a public ({name}) or shared ({maps_ns, name}) table is kept.
Path sharedPath(const frontend::MapSpec &spec, const std::string &maps_ns) {
    return spec.sharing == "shared" ? Path({maps_ns, spec.name}) : Path({spec.name});
}

// The fd an extern or public/shared map takes from outside, or -1: the TableStorage given to
// the constructor first, then the process's tables (this namespace's shared ones, then public).
int outsideTable(const frontend::MapSpec &spec, TableStorage *given, const std::string &maps_ns) {
    TableStorage::iterator it;
    if (spec.kind == "extern" && given && given->Find(Path({spec.name}), it))
        return int(it->second.fd);
    auto &process = processTables();
    std::lock_guard lock(process.mutex);
    std::vector<Path> paths;
    if (spec.kind == "extern")
        paths = {Path({maps_ns, spec.name}), Path({spec.name})};
    else if (!spec.sharing.empty())
        paths = {sharedPath(spec, maps_ns)};
    for (const auto &path : paths)
        if (process.tables.Find(path, it))
            return int(it->second.fd); // valid while the process runs: never deleted
    return -1;
}

} // namespace

void BPF::Impl::publishSharedTables() {
    auto &process = processTables();
    std::lock_guard lock(process.mutex);
    for (const auto &spec : info.maps) {
        TableStorage::iterator it;
        bpf_map *map = bpf_object__find_map_by_name(object.get(), spec.name.c_str());
        if (spec.sharing.empty() || !map || process.tables.Find(sharedPath(spec, maps_ns), it))
            continue;
        int fd = ::fcntl(bpf_map__fd(map), F_DUPFD_CLOEXEC, 0);
        if (fd < 0)
            continue; // out of fds: the table stays this object's own
        process.tables.Insert(sharedPath(spec, maps_ns),
                              TableDesc(spec.name, FileDesc(fd), bpf_map__type(map), bpf_map__key_size(map),
                                        bpf_map__value_size(map), bpf_map__max_entries(map),
                                        int(bpf_map__map_flags(map))));
    }
}

Status BPF::Impl::applyExternTables(bool local_if_missing) {
    for (const auto &spec : info.maps) {
        if (spec.kind != "extern" && spec.sharing.empty())
            continue;
        int outside = outsideTable(spec, table_storage, maps_ns);
        if (outside < 0 && (local_if_missing || spec.kind != "extern"))
            continue; // created by the load from its declaration
        if (outside < 0)
            return Status(ENOENT, "map '" + spec.name + "' is BPF_TABLE(\"extern\"): no table '" +
                                      spec.name + "' in the TableStorage given to BPF(flag, ts) "
                                      "nor a BPF_TABLE_PUBLIC/_SHARED one of another BPF object");
        bpf_map *map = bpf_object__find_map_by_name(object.get(), spec.name.c_str());
        int err = map ? bpf_map__reuse_fd(map, outside) : -ENOENT;
        if (err)
            return Status(-err, "map '" + spec.name + "': cannot use the outside table's fd " +
                                    std::to_string(outside) + ": " + errnoText(-err));
    }
    return Status::OK();
}

Status BPF::init(const std::string &source, const std::vector<std::string> &cflags,
                 const std::vector<USDT> &usdt) {
    if (impl_->object)
        return Status(EBUSY, "BPF::init: this BPF object is already initialized");
    size_t before = impl_->usdt.size();
    impl_->usdt.insert(impl_->usdt.end(), usdt.begin(), usdt.end());
    Status s = init(source, cflags, InitOptions{});
    if (!s.ok()) // as BCC: a failed init keeps none of its probes
        impl_->usdt.erase(impl_->usdt.begin() + long(before), impl_->usdt.end());
    return s;
}

Status BPF::init(const std::string &source, const std::vector<std::string> &cflags,
                 std::initializer_list<USDT> usdt) {
    return init(source, cflags, std::vector<USDT>(usdt));
}

Status BPF::init_usdt(const USDT &usdt) {
    impl_->usdt.push_back(usdt);
    return Status::OK();
}

Status BPF::attach_usdt(const USDT &usdt, pid_t pid) {
    pid_t p = pid >= 0 ? pid : usdt.pid();
    return attach_usdt(usdt.resolved_binary(), usdt.provider(), usdt.name(), usdt.probe_func(), p);
}

Status BPF::detach_usdt(const USDT &usdt, pid_t pid) {
    pid_t p = pid >= 0 ? pid : usdt.pid();
    return detach_usdt(usdt.resolved_binary(), usdt.provider(), usdt.name(), p);
}

// As BCC: stops at the first failure, detaching what this call attached.
Status BPF::attach_usdt_all() {
    for (size_t i = 0; i < impl_->usdt.size(); i++) {
        Status s = attach_usdt(impl_->usdt[i]);
        if (s.ok())
            continue;
        for (size_t j = 0; j < i; j++)
            (void)detach_usdt(impl_->usdt[j]);
        return s;
    }
    return Status::OK();
}

Status BPF::detach_usdt_all() {
    Status first;
    for (const auto &u : impl_->usdt)
        if (Status s = detach_usdt(u); !s.ok() && first.ok())
            first = s;
    return first;
}

Status BPF::attach_kprobe(const std::string &kernel_func, const std::string &probe_func,
                          uint64_t kernel_func_offset, bpf_probe_attach_type attach_type,
                          int maxactive) {
    // perf_event kprobes take no maxactive: the kernel's default number of instances applies.
    (void)maxactive;
    return attach_kprobe(kernel_func, probe_func, kernel_func_offset, attach_type);
}

Status BPF::attach_uprobe(const std::string &binary_path, const std::string &symbol,
                          const std::string &probe_func, uint64_t symbol_addr,
                          bpf_probe_attach_type attach_type, pid_t pid, uint64_t symbol_offset,
                          uint32_t ref_ctr_offset) {
    if (ref_ctr_offset != 0)
        return Status(ENOTSUP, "prog '" + probe_func + "': attach_uprobe with a ref_ctr_offset " +
                                   "is not supported: attach_usdt sets USDT semaphores");
    return attach_uprobe(binary_path, symbol, probe_func, symbol_addr, attach_type, pid,
                         symbol_offset);
}

Status BPF::load_func(const std::string &func, int prog_type, int &fd, unsigned flags,
                      int expected_attach_type) {
    if (Status s = load_func(func, prog_type, fd); !s.ok())
        return s;
    bpf_program *prog = bpf_object__find_program_by_name(impl_->object.get(), func.c_str());
    uint32_t have = bpf_program__flags(prog);
    if ((have & flags) != flags)
        return Status(EINVAL, "prog '" + func + "': loaded with flags " + std::to_string(have) +
                                  ", not the requested " + std::to_string(flags) +
                                  " (programs are loaded at init, from their section)");
    int attach = bpf_program__expected_attach_type(prog);
    if (expected_attach_type >= 0 && attach != expected_attach_type)
        return Status(EINVAL, "prog '" + func + "': loaded for attach type " +
                                  std::to_string(attach) + ", not the requested " +
                                  std::to_string(expected_attach_type));
    return Status::OK();
}

Status BPF::unload_func(const std::string &func) {
    auto prog = impl_->findProgram(func);
    return prog.ok() ? Status::OK() : prog.status();
}

Status BPF::attach_func(int prog_fd, int attachable_fd, enum bpf_attach_type attach_type,
                        uint64_t flags) {
    if (bpf_prog_attach(prog_fd, attachable_fd, attach_type, unsigned(flags)) < 0) {
        int err = errno;
        return Status(err, "can't attach prog fd " + std::to_string(prog_fd) + " to fd " +
                               std::to_string(attachable_fd) + " (attach type " +
                               std::to_string(int(attach_type)) + "): " + errnoText(err));
    }
    return Status::OK();
}

Status BPF::detach_func(int prog_fd, int attachable_fd, enum bpf_attach_type attach_type) {
    if (bpf_prog_detach2(prog_fd, attachable_fd, attach_type) < 0) {
        int err = errno;
        return Status(err, "can't detach prog fd " + std::to_string(prog_fd) + " from fd " +
                               std::to_string(attachable_fd) + ": " + errnoText(err));
    }
    return Status::OK();
}

namespace {
// The prefix of this kernel's syscall entry functions, found as BCC does: the first of the
// known prefixes under which the bpf syscall shows in /proc/kallsyms ("sys_" if none).
std::string findSyscallPrefix() {
    static const char *const prefixes[] = {"sys_",          "__x64_sys_",   "__x32_compat_sys_",
                                           "__ia32_compat_sys_", "__arm64_sys_", "__s390x_sys_",
                                           "__s390_sys_",   "__riscv_sys_", "__loongarch_sys_"};
    std::ifstream kallsyms("/proc/kallsyms");
    std::string addr, type, name;
    size_t best = std::size(prefixes);
    while (kallsyms >> addr >> type >> name) {
        kallsyms.ignore(4096, '\n'); // a module column may follow
        for (size_t i = 0; i < best; i++)
            if (name.size() == std::string_view(prefixes[i]).size() + 3 &&
                name == std::string(prefixes[i]) + "bpf")
                best = i;
    }
    return best < std::size(prefixes) ? prefixes[best] : "sys_";
}
} // namespace

std::string BPF::get_syscall_fnname(const std::string &name) {
    static std::once_flag once;
    static std::string prefix;
    std::call_once(once, [] { prefix = findSyscallPrefix(); });
    return prefix + name;
}

} // namespace jitprobe
