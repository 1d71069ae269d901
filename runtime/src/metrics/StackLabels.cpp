// Stack ids -> folded frames (see StackLabels.h).
#include "StackLabels.h"

#include "RecordMetrics.h"

#include "jitprobe/BPF.h"

#include <map>
#include <optional>
#include <tuple>

namespace jitprobe::metrics {
namespace {

using StackKey = std::tuple<bool, std::int64_t, std::int64_t>; // user, pid, id

} // namespace

std::string fold_frames(const std::vector<std::string> &frames, bool cut) {
    std::string out = cut ? "..." : "";
    for (auto it = frames.rbegin(); it != frames.rend(); ++it)
        out += (out.empty() ? "" : ";") + *it;
    if (out.size() > kMaxStackLabelBytes)
        out = "..." + out.substr(out.size() - (kMaxStackLabelBytes - 3));
    return out;
}

namespace {

class Folder {
  public:
    explicit Folder(BPF &bpf) : bpf_(bpf) {
        for (const frontend::MapSpec &m : bpf.program_info().maps)
            if (m.kind == "stack_trace") {
                table_.emplace(bpf.get_stack_table(m.name));
                break;
            }
    }
    // One address (ksym/usym): its function, "[unknown]" when none covers it.
    std::string symbol(bool user, std::int64_t pid, std::uint64_t addr) {
        auto [it, fresh] = symbols_.try_emplace(std::tuple{user, pid, addr});
        if (fresh)
            it->second = user ? bpf_.sym(addr, static_cast<int>(pid)) : bpf_.ksym(addr);
        return it->second;
    }
    std::string operator()(bool user, std::int64_t pid, std::int64_t id) {
        auto [it, fresh] = cache_.try_emplace(StackKey{user, pid, id});
        if (fresh)
            it->second = symbolize(user, pid, id);
        return it->second;
    }

  private:
    std::string symbolize(bool user, std::int64_t pid, std::int64_t id) {
        if (id < 0)
            return "[missed stack]";
        std::vector<uintptr_t> addrs = table_ ? table_->get_stack_addr(static_cast<int>(id)) : std::vector<uintptr_t>{};
        if (addrs.empty())
            return "[stack " + std::to_string(id) + ": not captured]";
        std::vector<std::string> frames;
        for (std::size_t i = 0; i < addrs.size() && i < kMaxStackFrames; ++i)
            frames.push_back(user ? bpf_.sym(addrs[i], static_cast<int>(pid)) : bpf_.ksym(addrs[i]));
        return fold_frames(frames, addrs.size() > kMaxStackFrames);
    }
    BPF &bpf_;
    std::optional<BPFStackTable> table_;
    std::map<StackKey, std::string> cache_;
    std::map<std::tuple<bool, std::int64_t, std::uint64_t>, std::string> symbols_;
};

bool isSymbolKind(const std::string &kind) {
    return kind == "kstack" || kind == "ustack" || kind == "ksym" || kind == "usym";
}

std::optional<std::int64_t> memberInt(const Value &key, const char *name) {
    const Value *v = key.kind() == Value::Kind::Struct ? key.field(name) : nullptr;
    return v && v->is_number() ? std::optional(v->as_int()) : std::nullopt;
}

// The top-level member of KEY that LABEL (a name after labels=) comes from; null if none.
Value *stackMember(Value &key, const MetricDirective &d, const std::string &label) {
    if (key.kind() != Value::Kind::Struct)
        return (d.labels.empty() ? label == "key" : d.labels[0] == label) ? &key : nullptr;
    Labels names = key_labels(key);
    for (std::size_t i = 0; i < names.size(); ++i) {
        if ((i < d.labels.size() ? d.labels[i] : names[i].first) != label)
            continue;
        for (auto &[member, v] : key.as_struct())
            if (sanitize_label_name(member) == names[i].first)
                return &v;
    }
    return nullptr;
}

void foldEntry(MapEntry &e, const MetricDirective &d, Folder &folder) {
    std::int64_t pid = memberInt(e.key, "tgid").value_or(memberInt(e.key, "pid").value_or(-1));
    for (const auto &[label, kind] : d.decode) {
        bool user = kind == "ustack" || kind == "usym";
        Value *v = isSymbolKind(kind) ? stackMember(e.key, d, label) : nullptr;
        if (!v || !v->is_number())
            continue;
        if (kind.ends_with("stack"))
            *v = Value::string(folder(user, user ? pid : -1, v->as_int()));
        else
            *v = Value::string(folder.symbol(user, user ? pid : -1, v->as_uint()));
    }
}

} // namespace

bool decodes_stacks(const MetricDirectives &directives) {
    for (const auto &[name, d] : directives)
        for (const auto &[label, kind] : d.decode)
            if (isSymbolKind(kind))
                return true;
    return false;
}

void fold_stack_labels(std::vector<Record> &records, const MetricDirectives &directives, BPF &bpf) {
    Folder folder(bpf);
    for (Record &r : records) {
        auto *m = std::get_if<MapRecord>(&r);
        auto d = m ? directives.find(m->name) : directives.end();
        if (d == directives.end() || d->second.type == "ignore")
            continue;
        for (MapEntry &e : m->entries)
            foldEntry(e, d->second, folder);
    }
}

} // namespace jitprobe::metrics
