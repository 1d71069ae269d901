// Three small rule tables (function-name prefixes, SEC() prefixes, directive kinds) instead of
// branching code, so adding a convention is adding a row.
#include "conventions/ProbeConventions.h"

#include <cctype>
#include <string_view>
#include <vector>

namespace jitprobe::frontend {
namespace {

// How the text after a prefix becomes an attach target.
enum class Arg {
    None,     // the whole name/section must equal the prefix; no attach point
    Name,     // target = rest, as is
    CatEvent, // "CAT__EV" (names) or "CAT/EV" (sections) -> "CAT:EV"
};

struct Rule {
    std::string_view prefix;
    std::string_view section; // section (Arg::None) or section prefix the rest is appended to
    const char *prog_type;
    const char *attach_kind;  // nullptr: no attach point
    Arg arg;
    std::string_view target_prefix = {}; // prepended to the attach target (syscall__ names)
};

// BCC's naming conventions (KFUNC_PROBE names may carry a "vmlinux__" module part).
constexpr Rule kNameRules[] = {
    {"kprobe__", "kprobe/", "kprobe", "kprobe", Arg::Name},
    {"kretprobe__", "kretprobe/", "kprobe", "kretprobe", Arg::Name},
    // BCC tools attach syscall__NAME to the syscall's kernel function (x86_64 wrapper).
    {"syscall__", "kprobe/__x64_sys_", "kprobe", "kprobe", Arg::Name, "__x64_sys_"},
    {"tracepoint__", "tracepoint/", "tracepoint", "tracepoint", Arg::CatEvent},
    {"raw_tracepoint__", "raw_tracepoint/", "raw_tracepoint", "raw_tracepoint", Arg::Name},
    {"kfunc__", "fentry/", "tracing", "fentry", Arg::Name},
    {"kretfunc__", "fexit/", "tracing", "fexit", Arg::Name},
    {"kmod_ret__", "fmod_ret/", "tracing", "fmod_ret", Arg::Name},
    {"tp_btf__", "tp_btf/", "tracing", "tp_btf", Arg::Name},
    {"lsm__", "lsm/", "lsm", "lsm", Arg::Name},
    {"bpf_iter__", "iter/", "tracing", "iter", Arg::Name},
};

// Context struct -> program without attach point (prefix matches "tracepoint__*" structs).
constexpr Rule kContextRules[] = {
    {"pt_regs", "kprobe", "kprobe", nullptr, Arg::None},
    {"bpf_raw_tracepoint_args", "raw_tracepoint", "raw_tracepoint", nullptr, Arg::None},
    {"tracepoint__", "tracepoint", "tracepoint", nullptr, Arg::Name},
    {"__sk_buff", "socket", "socket_filter", nullptr, Arg::None},
    {"xdp_md", "xdp", "xdp", nullptr, Arg::None},
    {"bpf_perf_event_data", "perf_event", "perf_event", nullptr, Arg::None},
    {"bpf_sock_ops", "sockops", "sock_ops", nullptr, Arg::None},
    {"sk_msg_md", "sk_msg", "sk_msg", nullptr, Arg::None},
};

// libbpf SEC() names; the section string is kept as written.
constexpr Rule kSectionRules[] = {
    {"kprobe/", "", "kprobe", "kprobe", Arg::Name},
    {"kretprobe/", "", "kprobe", "kretprobe", Arg::Name},
    {"tracepoint/", "", "tracepoint", "tracepoint", Arg::CatEvent},
    {"tp/", "", "tracepoint", "tracepoint", Arg::CatEvent},
    {"raw_tracepoint/", "", "raw_tracepoint", "raw_tracepoint", Arg::Name},
    {"raw_tp/", "", "raw_tracepoint", "raw_tracepoint", Arg::Name},
    {"tp_btf/", "", "tracing", "tp_btf", Arg::Name},
    {"uprobe/", "", "kprobe", "uprobe", Arg::Name},
    {"uretprobe/", "", "kprobe", "uretprobe", Arg::Name},
    {"usdt/", "", "kprobe", "usdt", Arg::Name},
    {"fentry/", "", "tracing", "fentry", Arg::Name},
    {"fexit/", "", "tracing", "fexit", Arg::Name},
    {"fmod_ret/", "", "tracing", "fmod_ret", Arg::Name},
    {"lsm/", "", "lsm", "lsm", Arg::Name},
    {"iter/", "", "tracing", "iter", Arg::Name},
    {"kprobe", "", "kprobe", nullptr, Arg::None},
    {"kretprobe", "", "kprobe", nullptr, Arg::None},
    {"uprobe", "", "kprobe", nullptr, Arg::None},
    {"uretprobe", "", "kprobe", nullptr, Arg::None},
    {"usdt", "", "kprobe", nullptr, Arg::None},
    {"tracepoint", "", "tracepoint", nullptr, Arg::None},
    {"raw_tracepoint", "", "raw_tracepoint", nullptr, Arg::None},
    {"perf_event", "", "perf_event", nullptr, Arg::None},
    {"xdp", "", "xdp", nullptr, Arg::None},
    {"socket", "", "socket_filter", nullptr, Arg::None},
    {"sockops", "", "sock_ops", nullptr, Arg::None},
    {"sk_msg", "", "sk_msg", nullptr, Arg::None},
    {"sk_skb", "", "sk_skb", nullptr, Arg::None},
    {"sk_skb/stream_parser", "", "sk_skb", nullptr, Arg::None},
    {"sk_skb/stream_verdict", "", "sk_skb", nullptr, Arg::None},
    {"tc", "", "sched_cls", nullptr, Arg::None},
    {"classifier", "", "sched_cls", nullptr, Arg::None},
    {"cgroup_skb/ingress", "", "cgroup_skb", nullptr, Arg::None},
    {"cgroup_skb/egress", "", "cgroup_skb", nullptr, Arg::None},
};

// @attach kinds -> section (prefix) and program type.
constexpr Rule kDirectiveRules[] = {
    {"uprobe", "uprobe", "kprobe", "uprobe", Arg::None},
    {"uretprobe", "uretprobe", "kprobe", "uretprobe", Arg::None},
    {"usdt", "usdt", "kprobe", "usdt", Arg::None},
    {"perf_event", "perf_event", "perf_event", "perf_event", Arg::None},
    {"tracepoint", "tracepoint/", "tracepoint", "tracepoint", Arg::CatEvent},
    {"raw_tracepoint", "raw_tracepoint/", "raw_tracepoint", "raw_tracepoint", Arg::Name},
    {"kprobe", "kprobe/", "kprobe", "kprobe", Arg::Name},
    {"kretprobe", "kretprobe/", "kprobe", "kretprobe", Arg::Name},
    // Network kinds: the attach point decides the type, so one __sk_buff function can be a tc
    // classifier or a socket filter (cgroup's section also names its attach type, see below).
    {"xdp", "xdp", "xdp", "xdp", Arg::None},
    {"tc", "tc", "sched_cls", "tc", Arg::None},
    {"socket", "socket", "socket_filter", "socket", Arg::None},
    {"cgroup", "cgroup_skb/", "cgroup_skb", "cgroup", Arg::None},
};

// Splits "CAT<sep>EV"; false unless both parts are non-empty.
bool splitPair(std::string_view s, std::string_view sep, std::string &cat, std::string &ev) {
    std::size_t at = s.find(sep);
    if (at == std::string_view::npos || at == 0 || at + sep.size() >= s.size())
        return false;
    cat = s.substr(0, at);
    ev = s.substr(at + sep.size());
    return true;
}

// The rule whose prefix `s` starts with (Arg::None rules: equals) and a usable rest.
template <std::size_t N>
const Rule *match(const Rule (&rules)[N], std::string_view s, std::string &rest) {
    for (const Rule &r : rules) {
        bool exact = r.arg == Arg::None;
        if (exact ? s == r.prefix : (s.starts_with(r.prefix) && s.size() > r.prefix.size())) {
            rest = s.substr(r.prefix.size());
            return &r;
        }
    }
    return nullptr;
}

// "struct pt_regs *" / "const struct pt_regs*" -> "pt_regs"; "" when not a struct pointer.
std::string contextStruct(const std::string &type) {
    std::vector<std::string> words;
    std::string cur;
    for (char c : type + " ") {
        if (std::isalnum(static_cast<unsigned char>(c)) || c == '_') {
            cur += c;
            continue;
        }
        if (!cur.empty() && cur != "const" && cur != "volatile" && cur != "restrict")
            words.push_back(cur);
        cur.clear();
        if (c == '*')
            words.emplace_back("*");
    }
    return words.size() == 3 && words[0] == "struct" && words[2] == "*" ? words[1] : "";
}

ProgramSpec makeSpec(const std::string &name, std::string section, const char *prog_type,
                     unsigned line) {
    ProgramSpec spec;
    spec.function = name;
    spec.section = std::move(section);
    spec.prog_type = prog_type;
    spec.line = line;
    return spec;
}

} // namespace

std::optional<ProgramSpec> programForFunction(const std::string &name, const std::string &ctx_type,
                                              unsigned line) {
    std::string rest, cat, ev;
    if (const Rule *r = match(kNameRules, name, rest)) {
        std::string_view kind = r->attach_kind;
        if ((kind == "fentry" || kind == "fexit") && rest.starts_with("vmlinux__") && rest.size() > 9)
            rest = rest.substr(9);
        if (r->arg != Arg::CatEvent || splitPair(rest, "__", cat, ev)) {
            bool pair = r->arg == Arg::CatEvent;
            ProgramSpec spec = makeSpec(name, std::string(r->section) + (pair ? cat + "/" + ev : rest),
                                        r->prog_type, line);
            spec.attach.push_back(
                {r->attach_kind, pair ? cat + ":" + ev : std::string(r->target_prefix) + rest, line});
            return spec;
        }
    }
    std::string ctx = contextStruct(ctx_type);
    for (const Rule &r : kContextRules)
        if (!ctx.empty() && (r.arg == Arg::None ? ctx == r.prefix : ctx.starts_with(r.prefix)))
            return makeSpec(name, std::string(r.section), r.prog_type, line);
    return std::nullopt;
}

std::optional<ProgramSpec> programForSection(const std::string &name, const std::string &section,
                                             unsigned line) {
    std::string rest, cat, ev;
    const Rule *r = match(kSectionRules, section, rest);
    if (!r)
        return std::nullopt;
    ProgramSpec spec = makeSpec(name, section, r->prog_type, line);
    if (r->arg == Arg::CatEvent) {
        if (!splitPair(rest, "/", cat, ev))
            return std::nullopt;
        rest = cat + ":" + ev;
    }
    if (r->attach_kind)
        spec.attach.push_back({r->attach_kind, rest, line});
    return spec;
}

void addDirective(ProgramSpec &spec, const AttachDirective &d) {
    bool first = spec.attach.empty();
    spec.attach.push_back({d.kind, d.target, d.line});
    if (!first)
        return;
    for (const Rule &r : kDirectiveRules) {
        if (d.kind != r.prefix)
            continue;
        std::string suffix = d.target, cat, ev;
        if (r.arg == Arg::CatEvent && splitPair(d.target, ":", cat, ev))
            suffix = cat + "/" + ev;
        spec.section = std::string(r.section) + (r.arg == Arg::None ? "" : suffix);
        if (d.kind == "cgroup") // libbpf takes the expected attach type from the section
            spec.section += d.target.ends_with(":egress") ? "egress" : "ingress";
        spec.prog_type = r.prog_type;
        if (spec.line == 0)
            spec.line = d.line;
        return;
    }
}

} // namespace jitprobe::frontend
