// BCC's table entry points jitprobe's own API lacks: tables over outside maps, cgroup arrays,
// stack symbols (see BPFTable.h), and BCC's C helpers of BCCHelpers.h.
#include "jitprobe/BCCHelpers.h"
#include "jitprobe/BCCTables.h"
#include "jitprobe/common/UniqueFd.h"
#include "jitprobe/BPFTable.h"

#include "symbolize/Symbolizer.h"
#include "jitprobe/common/Errors.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace jitprobe {

using detail::errnoText;

BPFTableRaw BPFTableRaw::from_fd(int fd, std::string name) {
    bpf_map_info info{};
    uint32_t len = sizeof(info);
    if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0) {
        int err = errno;
        return invalid(Status(err, "map fd " + std::to_string(fd) + ": " + errnoText(err)));
    }
    Layout l;
    l.name = name.empty() ? info.name : std::move(name);
    l.fd = fd;
    l.map_type = info.type;
    l.key_size = info.key_size;
    l.value_size = info.value_size;
    l.max_entries = info.max_entries;
    l.btf_key_type_id = info.btf_key_type_id;
    l.btf_value_type_id = info.btf_value_type_id;
    int cpus = libbpf_num_possible_cpus();
    l.possible_cpus = cpus > 0 ? cpus : 1;
    return BPFTableRaw(std::move(l));
}

BPFCgroupArray::BPFCgroupArray(BPFTableRaw raw) : BPFTableBase(std::move(raw)) {
    if (valid() && raw_.map_type() != BPF_MAP_TYPE_CGROUP_ARRAY)
        require(Status(EINVAL, "map '" + raw_.name() + "' is a " + raw_.map_type_name() +
                                   " map, not a cgroup_array map"));
}

Status BPFCgroupArray::update_value(int index, int cgroup2_fd) {
    uint32_t k = static_cast<uint32_t>(index);
    uint32_t v = static_cast<uint32_t>(cgroup2_fd);
    return valid() ? raw_.update(&k, &v) : status_;
}

Status BPFCgroupArray::update_value(int index, const std::string &cgroup2_path) {
    if (!valid())
        return status_;
    // Closed on return: the map holds its own reference to the cgroup.
    common::UniqueFd fd(::open(cgroup2_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) {
        int err = errno;
        return Status(err, "map '" + raw_.name() + "': cannot open cgroup '" + cgroup2_path +
                               "': " + errnoText(err));
    }
    return update_value(index, fd.get());
}

Status BPFCgroupArray::remove_value(int index) {
    uint32_t k = static_cast<uint32_t>(index);
    return valid() ? raw_.remove(&k) : status_;
}

Status detail::requireMapType(const BPFTableRaw &raw, std::initializer_list<uint32_t> types,
                              const char *what) {
    if (!raw.valid())
        return raw.status();
    for (uint32_t t : types)
        if (raw.map_type() == t)
            return Status::OK();
    return Status(EINVAL, "map '" + raw.name() + "' is a " + raw.map_type_name() + " map, not " + what);
}

BPFFdSlotTable::BPFFdSlotTable(BPFTableRaw raw, std::initializer_list<uint32_t> types,
                               const char *what)
    : BPFTableBase(std::move(raw)) {
    require(detail::requireMapType(raw_, types, what));
    require(raw_.check_sizes(sizeof(int), sizeof(int), what));
}

Status BPFFdSlotTable::update_value(const int &key, const int &value) {
    return valid() ? raw_.update(&key, &value) : status_;
}

Status BPFFdSlotTable::remove_value(const int &key) {
    return valid() ? raw_.remove(&key) : status_;
}

Status BPFFdSlotTable::get(const int &key, int &value) const {
    return valid() ? raw_.lookup(&key, &value) : status_;
}

BPFSockmapTable::BPFSockmapTable(BPFTableRaw raw)
    : BPFFdSlotTable(std::move(raw), {BPF_MAP_TYPE_SOCKMAP}, "a sockmap map") {}
BPFSockhashTable::BPFSockhashTable(BPFTableRaw raw)
    : BPFFdSlotTable(std::move(raw), {BPF_MAP_TYPE_SOCKHASH}, "a sockhash map") {}
BPFDevmapTable::BPFDevmapTable(BPFTableRaw raw)
    : BPFFdSlotTable(std::move(raw), {BPF_MAP_TYPE_DEVMAP, BPF_MAP_TYPE_DEVMAP_HASH},
                     "a devmap map") {}
BPFXskmapTable::BPFXskmapTable(BPFTableRaw raw)
    : BPFFdSlotTable(std::move(raw), {BPF_MAP_TYPE_XSKMAP}, "an xskmap map") {}

namespace {
// The symbolizer's "name+0xOFF [module]" as BCC prints a frame: the name alone, or
// "[UNKNOWN]" when only an address (or module offset) is known.
std::string bccFrameName(std::string frame) {
    if (auto module = frame.rfind(" ["); module != std::string::npos && frame.back() == ']')
        frame.resize(module);
    if (frame.empty() || frame.starts_with("0x"))
        return "[UNKNOWN]";
    if (auto off = frame.rfind("+0x"); off != std::string::npos && off > 0)
        frame.resize(off);
    return frame;
}
} // namespace

std::vector<std::string> BPFStackTable::get_stack_symbol(int stack_id, int pid) const {
    std::vector<std::string> names;
    std::vector<uintptr_t> addrs;
    if (!get_stack_addr(stack_id, addrs).ok() || addrs.empty())
        return names;
    if (!symbolizer_)
        symbolizer_ = StackSymbolizer::load();
    for (uintptr_t addr : addrs) {
        if (!symbolizer_)
            names.emplace_back("[UNKNOWN]");
        else
            names.push_back(bccFrameName(pid < 0 ? symbolizer_->kernel(addr)
                                                 : symbolizer_->user(pid, addr)));
    }
    return names;
}

} // namespace jitprobe

// BCC's C helpers: thin wrappers over libbpf's bpf() calls, returning what BCC's do.
int bcc_create_map(enum bpf_map_type map_type, const char *name, int key_size, int value_size,
                   int max_entries, int map_flags) {
    LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = uint32_t(map_flags));
    return bpf_map_create(map_type, name, uint32_t(key_size), uint32_t(value_size),
                          uint32_t(max_entries), &opts);
}

int bpf_lookup_elem(int fd, void *key, void *value) { return bpf_map_lookup_elem(fd, key, value); }

int bpf_update_elem(int fd, void *key, void *value, unsigned long long flags) {
    return bpf_map_update_elem(fd, key, value, flags);
}

int bpf_delete_elem(int fd, void *key) { return bpf_map_delete_elem(fd, key); }

int bpf_get_first_key(int fd, void *key, size_t key_size) {
    (void)key_size; // a null key asks the kernel for the first one
    return bpf_map_get_next_key(fd, nullptr, key);
}

int bpf_get_next_key(int fd, void *key, void *next_key) {
    return bpf_map_get_next_key(fd, key, next_key);
}

int bpf_obj_pin(int fd, const std::string &pathname) { return bpf_obj_pin(fd, pathname.c_str()); }

int bpf_obj_get(const std::string &pathname) { return bpf_obj_get(pathname.c_str()); }

int bpf_attach_kfunc(int prog_fd) { return bpf_raw_tracepoint_open(nullptr, prog_fd); }

int bcc_iter_attach(int prog_fd, union bpf_iter_link_info *link_info, uint32_t link_info_len) {
    LIBBPF_OPTS(bpf_link_create_opts, opts);
    opts.iter_info = link_info;
    opts.iter_info_len = link_info_len;
    return bpf_link_create(prog_fd, 0, BPF_TRACE_ITER, &opts);
}

int bcc_iter_create(int link_fd) { return bpf_iter_create(link_fd); }
