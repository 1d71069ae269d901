// Untyped map access (BPFTableRaw) and stack tables.
#include "jitprobe/BPFTable.h"

#include "jitprobe/common/Errors.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>

namespace jitprobe {
namespace {

using detail::errnoStatus;

bool isArrayLike(uint32_t type) {
    return type == BPF_MAP_TYPE_ARRAY || type == BPF_MAP_TYPE_PERCPU_ARRAY ||
           type == BPF_MAP_TYPE_PERF_EVENT_ARRAY || type == BPF_MAP_TYPE_CGROUP_ARRAY;
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

Status BPFTableRaw::pop(void *value) const {
    if (!valid())
        return status_;
    if (bpf_map_lookup_and_delete_elem(layout_.fd, nullptr, value) != 0)
        return errnoStatus(errno, "map '" + layout_.name + "': pop failed");
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

} // namespace jitprobe
