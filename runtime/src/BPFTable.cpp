// Untyped map access (BPFTableRaw), stack tables, and BPF's table lookups.
#include "BPFImpl.h"

#include "text/Errors.h"

#include <bpf/bpf.h>

#include <cerrno>

namespace jitprobe {
namespace {

using detail::errnoStatus;

bool isArrayLike(uint32_t type) {
    return type == BPF_MAP_TYPE_ARRAY || type == BPF_MAP_TYPE_PERCPU_ARRAY ||
           type == BPF_MAP_TYPE_PERF_EVENT_ARRAY || type == BPF_MAP_TYPE_CGROUP_ARRAY;
}

std::string mapNames(bpf_object *obj) {
    std::string names;
    bpf_map *map;
    bpf_object__for_each_map(map, obj) {
        names += (names.empty() ? "'" : ", '") + std::string(bpf_map__name(map)) + "'";
    }
    return names.empty() ? "none" : names;
}

} // namespace

std::string BPFTableRaw::map_type_name() const {
    const char *name = libbpf_bpf_map_type_str(static_cast<bpf_map_type>(layout_.map_type));
    return name ? name : "unknown";
}

bool BPFTableRaw::is_percpu() const {
    switch (layout_.map_type) {
    case BPF_MAP_TYPE_PERCPU_HASH:
    case BPF_MAP_TYPE_PERCPU_ARRAY:
    case BPF_MAP_TYPE_LRU_PERCPU_HASH:
    case BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE:
        return true;
    default:
        return false;
    }
}

size_t BPFTableRaw::value_buffer_size() const {
    return is_percpu() ? percpu_stride() * size_t(layout_.possible_cpus) : layout_.value_size;
}

Status BPFTableRaw::lookup(const void *key, void *value) const {
    if (!valid())
        return status_;
    if (bpf_map_lookup_elem(layout_.fd, key, value) != 0)
        return errnoStatus(errno, "map '" + layout_.name + "': lookup failed");
    return Status::OK();
}

Status BPFTableRaw::update(const void *key, const void *value, uint64_t flags) const {
    if (!valid())
        return status_;
    if (bpf_map_update_elem(layout_.fd, key, value, flags) != 0)
        return errnoStatus(errno, "map '" + layout_.name + "': update failed");
    return Status::OK();
}

Status BPFTableRaw::remove(const void *key) const {
    if (!valid())
        return status_;
    if (bpf_map_delete_elem(layout_.fd, key) != 0)
        return errnoStatus(errno, "map '" + layout_.name + "': delete failed");
    return Status::OK();
}

bool BPFTableRaw::next_key(const void *key, void *next, Status *error) const {
    if (error)
        *error = status_;
    if (!valid())
        return false;
    if (bpf_map_get_next_key(layout_.fd, key, next) == 0)
        return true;
    if (errno != ENOENT && error)
        *error = errnoStatus(errno, "map '" + layout_.name + "': get_next_key failed");
    return false;
}

Status BPFTableRaw::for_each(
    const std::function<bool(const void *key, const void *value)> &visit) const {
    if (!valid())
        return status_;
    std::vector<uint8_t> key(layout_.key_size), next(layout_.key_size);
    std::vector<uint8_t> value(value_buffer_size());
    const void *prev = nullptr;
    Status err;
    while (next_key(prev, next.data(), &err)) {
        key.swap(next);
        prev = key.data();
        if (bpf_map_lookup_elem(layout_.fd, key.data(), value.data()) != 0) {
            if (errno == ENOENT)
                continue; // deleted between get_next_key and lookup
            return errnoStatus(errno, "map '" + layout_.name + "': lookup failed");
        }
        if (!visit(key.data(), value.data()))
            break;
    }
    return err;
}

Status BPFTableRaw::clear() const {
    if (!valid())
        return status_;
    if (isArrayLike(layout_.map_type)) {
        std::vector<uint8_t> zero(value_buffer_size());
        for (uint32_t i = 0; i < layout_.max_entries; i++)
            if (Status s = update(&i, zero.data()); !s.ok())
                return s;
        return Status::OK();
    }
    // Deleting while iterating would restart iteration; collect the keys first.
    std::vector<std::vector<uint8_t>> keys;
    Status s = for_each([&](const void *k, const void *) {
        auto p = static_cast<const uint8_t *>(k);
        keys.emplace_back(p, p + layout_.key_size);
        return true;
    });
    for (const auto &k : keys)
        if (bpf_map_delete_elem(layout_.fd, k.data()) != 0 && errno != ENOENT)
            return errnoStatus(errno, "map '" + layout_.name + "': delete failed");
    return s;
}

Status BPFTableRaw::check_sizes(size_t key_size, size_t value_size, const char *what) const {
    if (!valid())
        return status_;
    if (key_size == layout_.key_size && value_size == layout_.value_size)
        return Status::OK();
    return Status(EINVAL, std::string(what) + " for map '" + layout_.name + "': C++ key/value are " +
                              std::to_string(key_size) + "/" + std::to_string(value_size) +
                              " bytes, the map's are " + std::to_string(layout_.key_size) + "/" +
                              std::to_string(layout_.value_size));
}

Status detail::percpuCountMismatch(const BPFTableRaw &raw, size_t got) {
    return Status(EINVAL, "map '" + raw.name() + "': " + std::to_string(got) +
                              " per-CPU values given, need one per possible CPU (" +
                              std::to_string(raw.possible_cpus()) + ")");
}

BPFStackTable::BPFStackTable(BPFTableRaw raw) : BPFTableBase(std::move(raw)) {
    if (valid() && raw_.map_type() != BPF_MAP_TYPE_STACK_TRACE)
        require(Status(EINVAL, "map '" + raw_.name() + "' is a " + raw_.map_type_name() +
                                   " map, not a stack_trace map"));
}

Status BPFStackTable::get_stack_addr(int stack_id, std::vector<uintptr_t> &out) const {
    out.clear();
    if (!valid())
        return status_;
    if (stack_id < 0)
        return Status(EINVAL, "map '" + raw_.name() + "': invalid stack id " +
                                  std::to_string(stack_id) + " (bpf_get_stackid failed)");
    std::vector<uint64_t> frames(raw_.value_size() / sizeof(uint64_t));
    uint32_t id = static_cast<uint32_t>(stack_id);
    if (Status s = raw_.lookup(&id, frames.data()); !s.ok())
        return s;
    for (uint64_t ip : frames) {
        if (ip == 0)
            break;
        out.push_back(static_cast<uintptr_t>(ip));
    }
    return Status::OK();
}

std::vector<uintptr_t> BPFStackTable::get_stack_addr(int stack_id) const {
    std::vector<uintptr_t> out;
    (void)get_stack_addr(stack_id, out);
    return out;
}

BPFTableRaw BPF::get_raw_table(const std::string &name) {
    if (Status s = impl_->ensureLoaded(); !s.ok())
        return BPFTableRaw::invalid(detail::withContext(s, "map '" + name + "'"));
    bpf_map *map = bpf_object__find_map_by_name(impl_->object.get(), name.c_str());
    if (!map)
        return BPFTableRaw::invalid(Status(ENOENT, "no map named '" + name + "' (maps: " +
                                                       mapNames(impl_->object.get()) + ")"));
    BPFTableRaw::Layout l;
    l.name = name;
    l.fd = bpf_map__fd(map);
    l.map_type = bpf_map__type(map);
    l.key_size = bpf_map__key_size(map);
    l.value_size = bpf_map__value_size(map);
    l.max_entries = bpf_map__max_entries(map);
    l.btf_key_type_id = bpf_map__btf_key_type_id(map);
    l.btf_value_type_id = bpf_map__btf_value_type_id(map);
    l.btf = bpf_object__btf(impl_->object.get());
    int cpus = libbpf_num_possible_cpus();
    l.possible_cpus = cpus > 0 ? cpus : 1;
    return BPFTableRaw(std::move(l));
}

int BPF::get_map_fd(const std::string &name) {
    if (!impl_->ensureLoaded().ok())
        return -1;
    bpf_map *map = bpf_object__find_map_by_name(impl_->object.get(), name.c_str());
    return map ? bpf_map__fd(map) : -1;
}

} // namespace jitprobe
