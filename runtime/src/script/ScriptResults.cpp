// Script results: every result map read, decoded from BTF and shaped into records; stack ids
// symbolized for text output.
#include "ScriptParts.h"
#include "output/EventPlan.h"
#include "symbolize/Symbolizer.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include <cstring>
#include <fstream>
#include <sstream>

namespace jitprobe {
namespace {

// Maps without BTF key/value types (e.g. BPF_STACK_TRACE): integers by size, else bytes.
Value decodeBySize(const void *data, std::size_t size, bool is_signed) {
    const auto *p = static_cast<const std::uint8_t *>(data);
    switch (size) {
    case 1: return is_signed ? Value::integer(static_cast<std::int8_t>(p[0])) : Value::unsigned_integer(p[0]);
    case 2: {
        std::uint16_t v;
        std::memcpy(&v, p, 2);
        return is_signed ? Value::integer(static_cast<std::int16_t>(v)) : Value::unsigned_integer(v);
    }
    case 4: {
        std::uint32_t v;
        std::memcpy(&v, p, 4);
        return is_signed ? Value::integer(static_cast<std::int32_t>(v)) : Value::unsigned_integer(v);
    }
    case 8: {
        std::uint64_t v;
        std::memcpy(&v, p, 8);
        return is_signed ? Value::integer(static_cast<std::int64_t>(v)) : Value::unsigned_integer(v);
    }
    default: return Value::bytes({p, p + size});
    }
}

// A stack trace value: its non-zero frames (innermost first).
Value decodeStackFrames(const void *data, std::size_t size) {
    ValueList frames;
    for (std::size_t off = 0; off + 8 <= size; off += 8) {
        std::uint64_t ip;
        std::memcpy(&ip, static_cast<const std::uint8_t *>(data) + off, 8);
        if (ip == 0)
            break;
        frames.push_back(Value::unsigned_integer(ip));
    }
    return Value::list(std::move(frames));
}

Value decodeKey(const BPFTableRaw &t, const void *key) {
    if (t.btf() && t.btf_key_type_id())
        return decode_btf(t.btf(), t.btf_key_type_id(), key, t.key_size());
    return decodeBySize(key, t.key_size(), t.map_type() == BPF_MAP_TYPE_STACK_TRACE);
}

Value decodeValue(const BPFTableRaw &t, const void *value) {
    if (t.map_type() == BPF_MAP_TYPE_STACK_TRACE)
        return decodeStackFrames(value, t.value_size());
    bool typed = t.btf() && t.btf_value_type_id();
    if (!t.is_percpu())
        return typed ? decode_btf(t.btf(), t.btf_value_type_id(), value, t.value_size())
                     : decodeBySize(value, t.value_size(), false);
    if (typed)
        return decode_btf_percpu_sum(t.btf(), t.btf_value_type_id(), value, t.value_size(),
                                  static_cast<unsigned>(t.possible_cpus()));
    Value total;
    for (int cpu = 0; cpu < t.possible_cpus(); ++cpu)
        total = sum_values(total, decodeBySize(static_cast<const std::uint8_t *>(value) + cpu * t.percpu_stride(),
                                              t.value_size(), false));
    return total;
}

bool isKernelAddress(std::uint64_t ip) { return ip >= 0xffff800000000000ull; }

// The stack id an entry references: an integer key of a map whose name mentions "stack", or a
// key member whose name mentions "stack" (BCC tools: user_stack_id, kernel_stack_id).
std::vector<std::int64_t> referencedStackIds(const std::string &map_name, const Value &key) {
    std::vector<std::int64_t> ids;
    if (key.is_number() && map_name.find("stack") != std::string::npos)
        ids.push_back(key.as_int());
    if (key.kind() == Value::Kind::Struct)
        for (const auto &[name, v] : key.as_struct())
            if (v.is_number() && name.find("stack") != std::string::npos)
                ids.push_back(v.as_int());
    return ids;
}

} // namespace

std::vector<MapEntry> readMapEntries(const BPFTableRaw &table, const std::string &kind) {
    (void)kind;
    std::vector<MapEntry> entries;
    // A walk that fails part-way (entries deleted under it) still prints what it read: the
    // results are a snapshot of a map the probes keep changing.
    (void)table.for_each([&](const void *key, const void *value) {
        entries.push_back({decodeKey(table, key), decodeValue(table, value), {}});
        return true;
    });
    return entries;
}

Value decodeEventRecord(const struct btf *btf, const std::string &event_type, const void *data, std::size_t size) {
    return EventPlan::compile(btf, event_type).decode(data, size);
}

pid_t Script::Impl::stack_pid() const {
    if (command)
        return command->pid();
    return options.target_pid;
}

namespace {
// PID and its descendants (the shell may fork the traced program rather than exec it).
std::vector<pid_t> processTree(pid_t root) {
    std::vector<pid_t> pids{root};
    for (std::size_t i = 0; i < pids.size() && pids.size() < 64; ++i) {
        std::string p = std::to_string(pids[i]);
        std::ifstream children("/proc/" + p + "/task/" + p + "/children");
        for (pid_t child; children >> child;)
            pids.push_back(child);
    }
    return pids;
}
} // namespace

void Script::Impl::snapshot_maps() {
    pid_t root = stack_pid();
    if (root <= 0)
        return;
    for (pid_t pid : processTree(root)) {
        std::ifstream in("/proc/" + std::to_string(pid) + "/maps");
        std::stringstream text;
        text << in.rdbuf();
        if (!text.str().empty()) // a reaped or zombie process has no map: keep the last one
            remembered_maps[pid] = text.str();
    }
}

namespace {
struct StackContext {
    std::vector<BPFStackTable> tables;
    StackSymbolizer *symbolizer;
    std::vector<pid_t> pids; // the command's process tree: whose user stacks these may be

    // The first process whose memory map knows ADDR wins; else the address in hex.
    std::string user(std::uint64_t addr) const {
        std::string fallback;
        for (pid_t pid : pids) {
            std::string s = symbolizer->user(pid, addr);
            if (!s.starts_with("0x"))
                return s;
            fallback = s;
        }
        return fallback.empty() ? symbolizer->user(-1, addr) : fallback;
    }

    std::vector<std::string> symbolize(const Value &frames) const {
        std::vector<std::string> out;
        if (frames.kind() != Value::Kind::List)
            return out;
        for (const Value &ip : frames.as_list())
            out.push_back(isKernelAddress(ip.as_uint()) ? symbolizer->kernel(ip.as_uint()) : user(ip.as_uint()));
        return out;
    }
    std::vector<std::string> lookup(std::int64_t id) const {
        if (id < 0)
            return {"[stack id " + std::to_string(id) + ": not captured]"};
        ValueList frames;
        for (const BPFStackTable &t : tables)
            for (std::uintptr_t ip : t.get_stack_addr(static_cast<int>(id)))
                frames.push_back(Value::unsigned_integer(ip));
        return symbolize(Value::list(std::move(frames)));
    }
};

void attachStacks(const StackContext &ctx, MapRecord &record, bool is_stack_map) {
    for (MapEntry &e : record.entries) {
        if (is_stack_map) {
            e.stack = ctx.symbolize(e.value);
            continue;
        }
        for (std::int64_t id : referencedStackIds(record.name, e.key)) {
            auto frames = ctx.lookup(id);
            e.stack.insert(e.stack.end(), frames.begin(), frames.end());
        }
    }
}
} // namespace

std::vector<Record> Script::Impl::build_results(bool symbolize) {
    std::vector<Record> out;
    const frontend::ProgramInfo &info = bpf.program_info();
    StackContext stacks{{}, nullptr, {}};
    if (stack_pid() > 0)
        stacks.pids.push_back(stack_pid());
    for (const auto &entry : remembered_maps)
        if (entry.first != stack_pid())
            stacks.pids.push_back(entry.first);
    for (const frontend::MapSpec &spec : info.maps)
        if (spec.kind == "stack_trace")
            stacks.tables.push_back(bpf.get_stack_table(spec.name));
    if (symbolize && !stacks.tables.empty() && !symbolizer)
        symbolizer = StackSymbolizer::load();
    if (symbolizer)
        for (const auto &[pid, text] : remembered_maps)
            symbolizer->rememberMaps(pid, text);
    stacks.symbolizer = symbolize ? symbolizer.get() : nullptr;

    for (const frontend::MapSpec &spec : info.maps) {
        if (is_non_result_kind(spec.kind) || spec.internal) // internal: the probes' working state
            continue;
        BPFTableRaw table = bpf.get_raw_table(spec.name);
        if (!table.valid())
            continue;
        std::vector<MapEntry> entries = readMapEntries(table, spec.kind);
        if (spec.kind == "histogram") {
            for (HistRecord &h : build_histograms(spec.name, entries))
                out.emplace_back(std::move(h));
            continue;
        }
        MapRecord record = build_map_record(spec.name, spec.kind, std::move(entries));
        if (stacks.symbolizer)
            attachStacks(stacks, record, spec.kind == "stack_trace");
        out.emplace_back(std::move(record));
    }
    return out;
}

} // namespace jitprobe
