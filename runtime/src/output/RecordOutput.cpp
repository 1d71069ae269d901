// Building result records: array zero-omission and log2 histogram grouping.
#include "jitprobe/Output.h"

#include <algorithm>
#include <map>
#include <set>

namespace jitprobe {

HistBucket log2_bucket(unsigned slot, std::uint64_t count) {
    HistBucket b;
    b.slot = slot;
    b.count = count;
    if (slot == 0) {
        b.low = b.high = 0;
    } else if (slot == 1) {
        b.low = 0;
        b.high = 1;
    } else if (slot >= 64) {
        b.low = std::uint64_t(1) << 63;
        b.high = UINT64_MAX;
    } else {
        b.low = std::uint64_t(1) << (slot - 1);
        b.high = (std::uint64_t(1) << slot) - 1;
    }
    return b;
}

bool is_array_kind(const std::string &kind) {
    return kind == "array" || kind == "percpu_array" || kind == "histogram" || kind == "prog_array" ||
           kind == "cgroup_array" || kind == "perf_array" || kind == "devmap" || kind == "cpumap";
}

// Buffers, and maps whose values are kernel objects (programs, sockets, devices, CPUs,
// cgroups, inner maps) or per-object storage that cannot be listed by key.
bool is_non_result_kind(const std::string &kind) {
    static const std::set<std::string> kinds{
        "queue",   "stack",       "perf_output",   "ringbuf",       "perf_array",
        "prog",    "prog_array",  "devmap",        "cpumap",        "xskmap",
        "sockmap", "sockhash",    "cgroup_array",  "array_of_maps", "hash_of_maps",
        "sk_storage", "inode_storage", "task_storage"};
    return kinds.count(kind) != 0;
}

MapRecord build_map_record(std::string name, std::string kind, std::vector<MapEntry> entries) {
    if (is_array_kind(kind))
        std::erase_if(entries, [](const MapEntry &e) { return e.value.is_zero(); });
    return MapRecord{std::move(name), std::move(kind), std::move(entries)};
}

namespace {
// Split a histogram key into (slot, group key). Integer keys have no group.
bool splitHistKey(const Value &key, unsigned &slot, std::optional<Value> &group) {
    if (key.is_number()) {
        std::int64_t s = key.as_int();
        slot = s < 0 ? 0 : static_cast<unsigned>(std::min<std::int64_t>(s, 64));
        return s >= 0;
    }
    if (key.kind() != Value::Kind::Struct)
        return false;
    ValueFields rest;
    bool found = false;
    for (const auto &[n, v] : key.as_struct()) {
        if (n == "slot" && v.is_number()) {
            std::int64_t s = v.as_int();
            slot = s < 0 ? 0 : static_cast<unsigned>(std::min<std::int64_t>(s, 64));
            found = true;
        } else {
            rest.emplace_back(n, v);
        }
    }
    group = Value::structure(std::move(rest));
    return found;
}
} // namespace

std::vector<HistRecord> build_histograms(const std::string &name, const std::vector<MapEntry> &entries) {
    // Groups keep first-seen order; slots are summed per group (several keys may share a slot).
    std::vector<std::pair<std::optional<Value>, std::map<unsigned, std::uint64_t>>> groups;
    for (const MapEntry &e : entries) {
        unsigned slot = 0;
        std::optional<Value> group;
        if (!splitHistKey(e.key, slot, group) || e.value.is_zero())
            continue;
        auto it = std::find_if(groups.begin(), groups.end(), [&](const auto &g) { return g.first == group; });
        if (it == groups.end()) {
            groups.emplace_back(group, std::map<unsigned, std::uint64_t>{});
            it = groups.end() - 1;
        }
        it->second[slot] += e.value.as_uint();
    }
    std::vector<HistRecord> out;
    for (auto &[group, slots] : groups) {
        HistRecord h{name, group, {}};
        for (auto [slot, count] : slots)
            h.buckets.push_back(log2_bucket(slot, count));
        out.push_back(std::move(h));
    }
    if (out.empty()) // an empty histogram still shows up (with no buckets)
        out.push_back(HistRecord{name, std::nullopt, {}});
    return out;
}

} // namespace jitprobe
