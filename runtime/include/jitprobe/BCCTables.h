// The rest of BCC's table classes (ebpf::BPFTable, BPFQueueStackTable, BPFMapInMapTable, ...),
// with BCC's semantics, beside jitprobe's typed tables of BPFTable.h. As there, a table over a
// map of another kind (or none) is invalid: status() says why and every call returns it (BCC
// throws std::invalid_argument instead; jitprobe's tables never throw).
#pragma once
#include "jitprobe/BPFTable.h"

#include <linux/bpf.h>

#include <cerrno>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace jitprobe {

namespace detail {
// Invalid status unless RAW's map type is one of TYPES (WHAT: "a queue/stack map").
Status requireMapType(const BPFTableRaw &raw, std::initializer_list<uint32_t> types,
                      const char *what);
} // namespace detail

// BCC's string-keyed table: keys and values as text, read and written with printers and
// parsers made from the map's BTF, in BCC's format: integers "0x2a" (parsed as C does: "42",
// "0x2a", "052", "-1"), structs "{ 0x1 0x2 }", arrays "[ 0x1 0x2 ]", char arrays "\"text\"".
// Per-CPU maps: one string per possible CPU. Like BCC's, it stops working (every call fails)
// once its BPF object is destroyed.
class BPFTable : public BPFTableBase {
  public:
    BPFTable(BPFTableRaw raw, std::weak_ptr<const void> owner);

    Status get_value(const std::string &key_str, std::string &value) const;
    Status get_value(const std::string &key_str, std::vector<std::string> &value) const;
    Status update_value(const std::string &key_str, const std::string &value_str);
    Status update_value(const std::string &key_str, const std::vector<std::string> &value_str);
    Status remove_value(const std::string &key_str);
    Status clear_table_non_atomic();
    Status get_table_offline(std::vector<std::pair<std::string, std::string>> &res) const;

    // The printers and parsers (BCC's BPFTableBase names): KEY/VALUE are the map's bytes.
    Status string_to_key(const std::string &key_str, std::vector<uint8_t> &key) const;
    Status string_to_leaf(const std::string &value_str, std::vector<uint8_t> &value) const;
    Status key_to_string(const void *key, std::string &key_str) const;
    Status leaf_to_string(const void *value, std::string &value_str) const;

    // libbpf_num_possible_cpus(): the number of values of a per-CPU map's entry.
    static size_t get_possible_cpu_count();

  private:
    Status usable() const;
    Status parse(uint32_t type_id, const std::string &text, std::vector<uint8_t> &out) const;
    Status print(uint32_t type_id, const void *data, std::string &out) const;
    std::weak_ptr<const void> owner_; // the BPF object: its BTF and map fds
};

// BCC's rw-engine switch: whether string tables have printers. Always true (from BTF).
inline bool bpf_module_rw_engine_enabled() {
    return true;
}

// BPF_QUEUE / BPF_STACK maps: push, pop (oldest / newest first) and peek.
template <typename V> class BPFQueueStackTable : public BPFTableBase {
    static_assert(std::is_trivially_copyable_v<V>);

  public:
    explicit BPFQueueStackTable(BPFTableRaw raw) : BPFTableBase(std::move(raw)) {
        require(detail::requireMapType(raw_, {BPF_MAP_TYPE_QUEUE, BPF_MAP_TYPE_STACK},
                                       "a queue/stack map"));
        require(raw_.check_sizes(0, sizeof(V), "BPFQueueStackTable<V>"));
    }
    Status pop_value(V &value) { return valid() ? raw_.pop(&value) : status_; }
    Status push_value(const V &value, unsigned long long flags = 0) {
        return valid() ? raw_.update(nullptr, &value, flags) : status_;
    }
    // The element pop_value would take, left in place (ENOENT when empty).
    Status get_head(V &value) const { return valid() ? raw_.lookup(nullptr, &value) : status_; }
};

// BPF_ARRAY_OF_MAPS / BPF_HASH_OF_MAPS: slots hold inner map fds. As BCC's, a failed update or
// remove returns code -1 (the errno is in the message).
template <typename K> class BPFMapInMapTable : public BPFTableBase {
    static_assert(std::is_trivially_copyable_v<K>);

  public:
    explicit BPFMapInMapTable(BPFTableRaw raw) : BPFTableBase(std::move(raw)) {
        require(detail::requireMapType(
            raw_, {BPF_MAP_TYPE_ARRAY_OF_MAPS, BPF_MAP_TYPE_HASH_OF_MAPS}, "a map-in-map"));
        require(raw_.check_sizes(sizeof(K), sizeof(int), "BPFMapInMapTable<K>"));
    }
    Status update_value(const K &key, const int &inner_map_fd) {
        return bcc(valid() ? raw_.update(&key, &inner_map_fd) : status_);
    }
    Status remove_value(const K &key) { return bcc(valid() ? raw_.remove(&key) : status_); }

  private:
    static Status bcc(Status s) { return s.ok() ? s : Status(-1, s.msg()); }
};

// Maps whose slots hold fds (BCC's BPFTableBase<int, int> kinds): int key, int value.
class BPFFdSlotTable : public BPFTableBase {
  public:
    BPFFdSlotTable(BPFTableRaw raw, std::initializer_list<uint32_t> types, const char *what);
    Status update_value(const int &key, const int &value);
    Status remove_value(const int &key);

  protected:
    Status get(const int &key, int &value) const;
};
// BPF_SOCKMAP: socket fds by index.
class BPFSockmapTable : public BPFFdSlotTable {
  public:
    explicit BPFSockmapTable(BPFTableRaw raw);
};
// BPF_SOCKHASH: socket fds by key.
class BPFSockhashTable : public BPFFdSlotTable {
  public:
    explicit BPFSockhashTable(BPFTableRaw raw);
};
// BPF_DEVMAP: interface indexes by slot (get_value reads them back).
class BPFDevmapTable : public BPFFdSlotTable {
  public:
    explicit BPFDevmapTable(BPFTableRaw raw);
    Status get_value(const int &index, int &value) const { return get(index, value); }
};
// BPF_XSKMAP: AF_XDP socket fds by queue.
class BPFXskmapTable : public BPFFdSlotTable {
  public:
    explicit BPFXskmapTable(BPFTableRaw raw);
    Status get_value(const int &index, int &value) const { return get(index, value); }
};

// BPF_INODE_STORAGE / BPF_TASK_STORAGE: a V per inode / task, keyed from user space by an fd
// (of a file on the inode / a pidfd of the task, pidfd_open(2)).
template <typename V, uint32_t MapType> class BPFFdKeyedStorageTable : public BPFTableBase {
    static_assert(std::is_trivially_copyable_v<V>);

  public:
    explicit BPFFdKeyedStorageTable(BPFTableRaw raw) : BPFTableBase(std::move(raw)) {
        require(detail::requireMapType(
            raw_, {MapType},
            MapType == BPF_MAP_TYPE_INODE_STORAGE ? "an inode_storage map" : "a task_storage map"));
        require(raw_.check_sizes(sizeof(int), sizeof(V), "BPF*StorageTable<V>"));
    }
    Status get_value(const int &fd, V &value) const {
        return valid() ? raw_.lookup(&fd, &value) : status_;
    }
    Status update_value(const int &fd, const V &value) {
        return valid() ? raw_.update(&fd, &value) : status_;
    }
    Status remove_value(const int &fd) { return valid() ? raw_.remove(&fd) : status_; }
};
template <typename V>
using BPFInodeStorageTable = BPFFdKeyedStorageTable<V, BPF_MAP_TYPE_INODE_STORAGE>;
template <typename V>
using BPFTaskStorageTable = BPFFdKeyedStorageTable<V, BPF_MAP_TYPE_TASK_STORAGE>;

// BPF_CGROUP_STORAGE: a V per (cgroup, attach type) of an attached program.
template <typename V> class BPFCgStorageTable : public BPFTableBase {
    static_assert(std::is_trivially_copyable_v<V>);

  public:
    explicit BPFCgStorageTable(BPFTableRaw raw) : BPFTableBase(std::move(raw)) {
        require(
            detail::requireMapType(raw_, {BPF_MAP_TYPE_CGROUP_STORAGE}, "a cgroup_storage map"));
        require(
            raw_.check_sizes(sizeof(bpf_cgroup_storage_key), sizeof(V), "BPFCgStorageTable<V>"));
    }
    Status get_value(const bpf_cgroup_storage_key &key, V &value) const {
        return valid() ? raw_.lookup(&key, &value) : status_;
    }
    Status update_value(const bpf_cgroup_storage_key &key, const V &value) {
        return valid() ? raw_.update(&key, &value) : status_;
    }
};

// BPF_PERCPU_CGROUP_STORAGE: one V per possible CPU (V's size a multiple of 8, as in BCC).
template <typename V> class BPFPercpuCgStorageTable : public BPFTableBase {
    static_assert(std::is_trivially_copyable_v<V>);

  public:
    explicit BPFPercpuCgStorageTable(BPFTableRaw raw) : BPFTableBase(std::move(raw)) {
        require(detail::requireMapType(raw_, {BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE},
                                       "a percpu_cgroup_storage map"));
        require(raw_.check_sizes(sizeof(bpf_cgroup_storage_key), sizeof(V),
                                 "BPFPercpuCgStorageTable<V>"));
    }
    Status get_value(const bpf_cgroup_storage_key &key, std::vector<V> &values) const {
        return valid() ? detail::lookupPercpu(raw_, &key, values) : status_;
    }
    Status update_value(const bpf_cgroup_storage_key &key, const std::vector<V> &values) {
        return valid() ? detail::updatePercpu(raw_, &key, values) : status_;
    }
};

// BPF_STACK_TRACE_BUILDID maps: frames as (build id, file offset), symbolized through the
// ELF files given to BPF::add_module (matched by their GNU build id).
class BPFStackBuildIdTable : public BPFTableBase {
  public:
    using Modules = std::map<std::string, std::string>; // build id (hex) -> ELF path
    BPFStackBuildIdTable(BPFTableRaw raw, std::shared_ptr<const Modules> modules);
    // The valid frames, innermost first; empty for a negative or unknown id.
    std::vector<bpf_stack_build_id> get_stack_addr(int stack_id) const;
    // One function name per frame: the FUNC symbol of the module with the frame's build id that
    // covers its offset, "[UNKNOWN]" where none does.
    std::vector<std::string> get_stack_symbol(int stack_id) const;

  private:
    std::shared_ptr<const Modules> modules_;
};

// The GNU build id of the ELF file at PATH, in hex (BPF::add_module).
[[nodiscard]] Result<std::string> elf_build_id(const std::string &path);

} // namespace jitprobe
