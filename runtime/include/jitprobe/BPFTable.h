// Map access, named after BCC's C++ tables (ebpf::BPFHashTable, BPFArrayTable, ...).
//
// Tables are cheap value types holding the map's fd and layout; they do not own the map and are
// valid only while the jitprobe::BPF object that created them lives. A table whose key/value
// types do not match the map (or whose map does not exist) is "invalid": status() says why and
// every operation returns that Status; nothing throws.
//
// Thread-safety: table operations are single syscalls on the map fd; any number of threads may
// read and update the same map concurrently (also while another thread polls a buffer).
#pragma once
#include "jitprobe/Status.h"

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

struct btf;

namespace jitprobe {

// Untyped access to one map: keys and values as bytes. Used by the output decoder (with the BTF
// type ids) and underlying the typed tables.
class BPFTableRaw {
  public:
    struct Layout {
        std::string name;
        int fd = -1;
        uint32_t map_type = 0; // enum bpf_map_type
        uint32_t key_size = 0, value_size = 0, max_entries = 0;
        uint32_t btf_key_type_id = 0, btf_value_type_id = 0;
        const struct btf *btf = nullptr; // the object's BTF (owned by the BPF object), or null
        int possible_cpus = 1;           // per-CPU maps: values are per possible CPU
    };

    BPFTableRaw() : status_(-1, "table not initialized") {}
    explicit BPFTableRaw(Layout layout) : layout_(std::move(layout)) {}
    static BPFTableRaw invalid(Status why) { return BPFTableRaw(std::move(why)); }
    // A table over a map that no BPF object made (bcc_create_map, bpf_map_create, a pinned
    // map's fd): its layout is read from the kernel. FD is not owned and must outlive the table.
    [[nodiscard]] static BPFTableRaw from_fd(int fd, std::string name = "");

    const Status &status() const { return status_; }
    bool valid() const { return status_.ok(); }
    const Layout &layout() const { return layout_; }
    const std::string &name() const { return layout_.name; }
    int fd() const { return layout_.fd; }
    uint32_t map_type() const { return layout_.map_type; }
    std::string map_type_name() const; // libbpf's name: "hash", "percpu_array", ...
    uint32_t key_size() const { return layout_.key_size; }
    uint32_t value_size() const { return layout_.value_size; } // one CPU's value
    uint32_t max_entries() const { return layout_.max_entries; }
    uint32_t btf_key_type_id() const { return layout_.btf_key_type_id; }
    uint32_t btf_value_type_id() const { return layout_.btf_value_type_id; }
    const struct btf *btf() const { return layout_.btf; }
    bool is_percpu() const;
    int possible_cpus() const { return layout_.possible_cpus; }
    // Bytes a lookup writes: value_size, or round_up(value_size, 8) * possible CPUs for per-CPU.
    size_t value_buffer_size() const;
    size_t percpu_stride() const { return (layout_.value_size + 7) / 8 * 8; }

    Status lookup(const void *key, void *value) const; // ENOENT when absent
    Status update(const void *key, const void *value, uint64_t flags = 0 /* BPF_ANY */) const;
    Status remove(const void *key) const;
    // Queue/stack maps: takes the next element (bpf_map_lookup_and_delete_elem); ENOENT if empty.
    Status pop(void *value) const;
    // KEY null: first key. Returns false at the end (status OK) or on error (status set).
    bool next_key(const void *key, void *next, Status *error = nullptr) const;
    // Visits a snapshot of all entries; stop early by returning false from VISIT.
    Status for_each(const std::function<bool(const void *key, const void *value)> &visit) const;
    // Deletes every key (hash-like) or zeroes every slot (array-like); not atomic.
    Status clear() const;

    // Invalid status if the sizes differ from the map's (WHAT names the C++ types for the message).
    Status check_sizes(size_t key_size, size_t value_size, const char *what) const;

  private:
    explicit BPFTableRaw(Status why) : status_(std::move(why)) {}
    Layout layout_;
    Status status_;
};

namespace detail {
template <typename T> std::vector<uint8_t> bytesOf(const T &v) {
    std::vector<uint8_t> b(sizeof(T));
    std::memcpy(b.data(), &v, sizeof(T));
    return b;
}
} // namespace detail

// Base of the typed tables: the raw table plus a sticky validity status.
class BPFTableBase {
  public:
    explicit BPFTableBase(BPFTableRaw raw) : raw_(std::move(raw)), status_(raw_.status()) {}
    const Status &status() const { return status_; }
    bool valid() const { return status_.ok(); }
    const BPFTableRaw &raw() const { return raw_; }
    int get_fd() const { return raw_.fd(); }                    // BCC's name
    size_t capacity() const { return raw_.max_entries(); }      // BCC's name
    Status clear_table_non_atomic() { return valid() ? raw_.clear() : status_; }

  protected:
    void require(Status s) {
        if (status_.ok())
            status_ = std::move(s);
    }
    BPFTableRaw raw_;
    Status status_;
};

template <typename K, typename V> class BPFHashTable : public BPFTableBase {
    static_assert(std::is_trivially_copyable_v<K> && std::is_trivially_copyable_v<V>);

  public:
    explicit BPFHashTable(BPFTableRaw raw) : BPFTableBase(std::move(raw)) {
        require(raw_.check_sizes(sizeof(K), sizeof(V), "BPFHashTable<K,V>"));
        if (valid() && raw_.is_percpu())
            require(Status(EINVAL, "map '" + raw_.name() +
                                       "' is per-CPU: use get_percpu_hash_table"));
    }
    Status get_value(const K &key, V &value) const {
        return valid() ? raw_.lookup(&key, &value) : status_;
    }
    Status update_value(const K &key, const V &value) {
        return valid() ? raw_.update(&key, &value) : status_;
    }
    Status remove_value(const K &key) { return valid() ? raw_.remove(&key) : status_; }
    // BCC's table[key]: the value, or a value-initialized V when the key is absent.
    V operator[](const K &key) const {
        V value{};
        if (!get_value(key, value).ok())
            value = V{};
        return value;
    }
    Status get_table_offline(std::vector<std::pair<K, V>> &out) const {
        out.clear();
        if (!valid())
            return status_;
        return raw_.for_each([&](const void *k, const void *v) {
            std::pair<K, V> e;
            std::memcpy(&e.first, k, sizeof(K));
            std::memcpy(&e.second, v, sizeof(V));
            out.push_back(e);
            return true;
        });
    }
    std::vector<std::pair<K, V>> get_table_offline() const {
        std::vector<std::pair<K, V>> out;
        (void)get_table_offline(out);
        return out;
    }
};

template <typename V> class BPFArrayTable : public BPFTableBase {
    static_assert(std::is_trivially_copyable_v<V>);

  public:
    explicit BPFArrayTable(BPFTableRaw raw) : BPFTableBase(std::move(raw)) {
        require(raw_.check_sizes(sizeof(uint32_t), sizeof(V), "BPFArrayTable<V>"));
        if (valid() && raw_.is_percpu())
            require(Status(EINVAL, "map '" + raw_.name() +
                                       "' is per-CPU: use get_percpu_array_table"));
    }
    Status get_value(int index, V &value) const {
        uint32_t k = static_cast<uint32_t>(index);
        return valid() ? raw_.lookup(&k, &value) : status_;
    }
    Status update_value(int index, const V &value) {
        uint32_t k = static_cast<uint32_t>(index);
        return valid() ? raw_.update(&k, &value) : status_;
    }
    // BCC's table[index]: the value, or a value-initialized V when the index is out of range.
    V operator[](int index) const {
        V value{};
        if (!get_value(index, value).ok())
            value = V{};
        return value;
    }
    // Every slot in index order (0 .. max_entries-1).
    Status get_table_offline(std::vector<V> &out) const {
        out.clear();
        if (!valid())
            return status_;
        for (uint32_t i = 0; i < raw_.max_entries(); i++) {
            V v{};
            if (Status s = raw_.lookup(&i, &v); !s.ok())
                return s;
            out.push_back(v);
        }
        return Status::OK();
    }
    std::vector<V> get_table_offline() const {
        std::vector<V> out;
        (void)get_table_offline(out);
        return out;
    }
    size_t size() const { return raw_.max_entries(); }
};

// BCC's BPFProgTable: the slots of a BPF_PROG_ARRAY hold program fds (tail-call targets,
// from BPF::load_func).
class BPFProgTable : public BPFTableBase {
  public:
    static constexpr uint32_t kProgArrayMapType = 3; // BPF_MAP_TYPE_PROG_ARRAY
    explicit BPFProgTable(BPFTableRaw raw) : BPFTableBase(std::move(raw)) {
        if (valid() && raw_.map_type() != kProgArrayMapType)
            require(Status(EINVAL, "map '" + raw_.name() + "' is not a BPF_PROG_ARRAY"));
    }
    Status update_value(int index, int prog_fd) {
        uint32_t k = static_cast<uint32_t>(index);
        return valid() ? raw_.update(&k, &prog_fd) : status_;
    }
    Status remove_value(int index) {
        uint32_t k = static_cast<uint32_t>(index);
        return valid() ? raw_.remove(&k) : status_;
    }
};

namespace detail {
// Splits a per-CPU lookup buffer into one V per possible CPU.
template <typename V> std::vector<V> splitPercpu(const BPFTableRaw &raw, const uint8_t *buf) {
    std::vector<V> values(raw.possible_cpus());
    for (int c = 0; c < raw.possible_cpus(); c++)
        std::memcpy(&values[c], buf + c * raw.percpu_stride(), sizeof(V));
    return values;
}
template <typename V>
std::vector<uint8_t> joinPercpu(const BPFTableRaw &raw, const std::vector<V> &values) {
    std::vector<uint8_t> buf(raw.value_buffer_size());
    for (size_t c = 0; c < values.size() && c < size_t(raw.possible_cpus()); c++)
        std::memcpy(buf.data() + c * raw.percpu_stride(), &values[c], sizeof(V));
    return buf;
}
Status percpuCountMismatch(const BPFTableRaw &raw, size_t got);
// One V per possible CPU at KEY (every per-CPU table's get_value / update_value).
template <typename V>
Status lookupPercpu(const BPFTableRaw &raw, const void *key, std::vector<V> &values) {
    std::vector<uint8_t> buf(raw.value_buffer_size());
    Status s = raw.lookup(key, buf.data());
    if (s.ok())
        values = splitPercpu<V>(raw, buf.data());
    return s;
}
template <typename V>
Status updatePercpu(const BPFTableRaw &raw, const void *key, const std::vector<V> &values) {
    if (values.size() != size_t(raw.possible_cpus()))
        return percpuCountMismatch(raw, values.size());
    return raw.update(key, joinPercpu(raw, values).data());
}
} // namespace detail

// Values are one V per possible CPU (libbpf_num_possible_cpus()), index = CPU number.
template <typename K, typename V> class BPFPercpuHashTable : public BPFTableBase {
    static_assert(std::is_trivially_copyable_v<K> && std::is_trivially_copyable_v<V>);

  public:
    explicit BPFPercpuHashTable(BPFTableRaw raw) : BPFTableBase(std::move(raw)) {
        require(raw_.check_sizes(sizeof(K), sizeof(V), "BPFPercpuHashTable<K,V>"));
        if (valid() && !raw_.is_percpu())
            require(Status(EINVAL, "map '" + raw_.name() + "' is not per-CPU"));
    }
    Status get_value(const K &key, std::vector<V> &values) const {
        return valid() ? detail::lookupPercpu(raw_, &key, values) : status_;
    }
    Status update_value(const K &key, const std::vector<V> &values) {
        return valid() ? detail::updatePercpu(raw_, &key, values) : status_;
    }
    Status remove_value(const K &key) { return valid() ? raw_.remove(&key) : status_; }
    Status get_table_offline(std::vector<std::pair<K, std::vector<V>>> &out) const {
        out.clear();
        if (!valid())
            return status_;
        return raw_.for_each([&](const void *k, const void *v) {
            K key;
            std::memcpy(&key, k, sizeof(K));
            out.emplace_back(key, detail::splitPercpu<V>(raw_, static_cast<const uint8_t *>(v)));
            return true;
        });
    }
    std::vector<std::pair<K, std::vector<V>>> get_table_offline() const {
        std::vector<std::pair<K, std::vector<V>>> out;
        (void)get_table_offline(out);
        return out;
    }
};

template <typename V> class BPFPercpuArrayTable : public BPFTableBase {
    static_assert(std::is_trivially_copyable_v<V>);

  public:
    explicit BPFPercpuArrayTable(BPFTableRaw raw) : BPFTableBase(std::move(raw)) {
        require(raw_.check_sizes(sizeof(uint32_t), sizeof(V), "BPFPercpuArrayTable<V>"));
        if (valid() && !raw_.is_percpu())
            require(Status(EINVAL, "map '" + raw_.name() + "' is not per-CPU"));
    }
    Status get_value(int index, std::vector<V> &values) const {
        uint32_t k = static_cast<uint32_t>(index);
        return valid() ? detail::lookupPercpu(raw_, &k, values) : status_;
    }
    Status update_value(int index, const std::vector<V> &values) {
        uint32_t k = static_cast<uint32_t>(index);
        return valid() ? detail::updatePercpu(raw_, &k, values) : status_;
    }
    // Slot i's per-CPU values at out[i].
    Status get_table_offline(std::vector<std::vector<V>> &out) const {
        out.clear();
        for (uint32_t i = 0; valid() && i < raw_.max_entries(); i++) {
            std::vector<V> values;
            if (Status s = get_value(int(i), values); !s.ok())
                return s;
            out.push_back(std::move(values));
        }
        return status_;
    }
    std::vector<std::vector<V>> get_table_offline() const {
        std::vector<std::vector<V>> out;
        (void)get_table_offline(out);
        return out;
    }
    size_t size() const { return raw_.max_entries(); }
};

class StackSymbolizer;

// BPF_STACK_TRACE maps: stack id -> instruction addresses (innermost first).
class BPFStackTable : public BPFTableBase {
  public:
    explicit BPFStackTable(BPFTableRaw raw);
    // Empty when the id is negative (a failed bpf_get_stackid) or unknown.
    std::vector<uintptr_t> get_stack_addr(int stack_id) const;
    Status get_stack_addr(int stack_id, std::vector<uintptr_t> &out) const;
    // BCC's get_stack_symbol: one function name per frame, "[UNKNOWN]" where none resolves.
    // PID < 0: kernel addresses; otherwise addresses in process PID. The symbolizer (LLVM's,
    // loaded on first use) and what it learnt are shared by copies of this table, so unlike
    // the other table calls this one is for one thread at a time.
    std::vector<std::string> get_stack_symbol(int stack_id, int pid) const;

  private:
    mutable std::shared_ptr<StackSymbolizer> symbolizer_;
};

// BPF_CGROUP_ARRAY maps: slots hold cgroup v2 directory fds (check_current_task and friends).
class BPFCgroupArray : public BPFTableBase {
  public:
    explicit BPFCgroupArray(BPFTableRaw raw);
    Status update_value(int index, int cgroup2_fd);
    // Opens CGROUP2_PATH (a cgroup v2 directory) for the update; the map keeps the cgroup.
    Status update_value(int index, const std::string &cgroup2_path);
    Status remove_value(int index);
};

// BPF_SK_STORAGE maps: a V per socket, keyed from user space by a socket fd.
template <typename V> class BPFSkStorageTable : public BPFTableBase {
    static_assert(std::is_trivially_copyable_v<V>);

  public:
    static constexpr uint32_t kSkStorageMapType = 24; // BPF_MAP_TYPE_SK_STORAGE
    explicit BPFSkStorageTable(BPFTableRaw raw) : BPFTableBase(std::move(raw)) {
        require(raw_.check_sizes(sizeof(int), sizeof(V), "BPFSkStorageTable<V>"));
        if (valid() && raw_.map_type() != kSkStorageMapType)
            require(Status(EINVAL, "map '" + raw_.name() + "' is not a BPF_SK_STORAGE"));
    }
    Status get_value(int sock_fd, V &value) const {
        return valid() ? raw_.lookup(&sock_fd, &value) : status_;
    }
    Status update_value(int sock_fd, const V &value) {
        return valid() ? raw_.update(&sock_fd, &value) : status_;
    }
    Status remove_value(int sock_fd) { return valid() ? raw_.remove(&sock_fd) : status_; }
};

} // namespace jitprobe
