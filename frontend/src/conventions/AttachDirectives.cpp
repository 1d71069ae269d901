// One table row per directive kind: its expected form (the hint) and a target check, so a
// mistake is reported at the directive instead of as a failed attach at run time.
#include "conventions/AttachDirectives.h"

#include "jitprobe/common/CloseMatches.h"
#include "jitprobe/common/UprobeSpec.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <sstream>

namespace jitprobe::frontend {
namespace {

using Check = std::string (*)(const std::string &target); // "" when fine, else the problem

std::string trim(const std::string &s) {
    std::size_t b = s.find_first_not_of(" \t\r"), e = s.find_last_not_of(" \t\r");
    return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

bool isIdentifier(const std::string &s, const char *extra = "") {
    if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0])))
        return false;
    return std::all_of(s.begin(), s.end(), [&](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || std::strchr(extra, c);
    });
}

bool isNumber(const std::string &s) {
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        return std::all_of(s.begin() + 2, s.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

// SYMBOL[+OFFSET]
std::string checkSymbol(const std::string &sym, const char *what) {
    std::size_t plus = sym.find('+');
    if (!isIdentifier(sym.substr(0, plus), ".@$*?[]")) // globs: every matching function
        return std::string("'") + sym + "' is not a " + what;
    if (plus != std::string::npos && !isNumber(sym.substr(plus + 1)))
        return "offset '" + sym.substr(plus + 1) + "' is not a number";
    return "";
}

// Symbols as binaries spell them (Go, demangled C++, versioned); BINARY a path or short name.
std::string checkUprobe(const std::string &t) {
    common::UprobeSpec spec;
    return common::parseUprobeSpec(t, spec);
}

std::string checkUsdt(const std::string &t) {
    std::size_t last = t.rfind(':');
    std::size_t prev = last == std::string::npos || last == 0 ? std::string::npos : t.rfind(':', last - 1);
    if (prev == std::string::npos || prev == 0)
        return "expected BINARY:PROVIDER:NAME";
    if (t[0] != '/')
        return "binary '" + t.substr(0, prev) + "' is not an absolute path";
    if (!isIdentifier(t.substr(prev + 1, last - prev - 1)) || !isIdentifier(t.substr(last + 1)))
        return "provider and probe name must be identifiers";
    return "";
}

std::string checkPerfEvent(const std::string &t) {
    static const std::vector<std::string> events = {"cpu-clock", "task-clock", "page-faults",
                                                    "context-switches"};
    std::vector<std::string> parts;
    std::stringstream in(t);
    for (std::string p; std::getline(in, p, ':');)
        parts.push_back(p);
    if (parts.empty() || parts[0] != "software")
        return "only software perf events are supported, as 'software:EVENT'";
    if (parts.size() < 2 || std::find(events.begin(), events.end(), parts[1]) == events.end()) {
        std::string ev = parts.size() < 2 ? "" : parts[1], msg = "unknown software event '" + ev + "'";
        auto near = common::closeMatches(ev, events, 1);
        return msg + (near.empty() ? "" : " (did you mean '" + near[0] + "'?)") +
               "; one of cpu-clock, task-clock, page-faults, context-switches";
    }
    if (parts.size() > 3)
        return "too many ':' fields";
    if (parts.size() == 3) {
        std::size_t eq = parts[2].find('=');
        std::string key = parts[2].substr(0, eq), value = eq == std::string::npos ? "" : parts[2].substr(eq + 1);
        if ((key != "freq" && key != "period") || !isNumber(value) || value.size() > 18 || std::stoull(value, nullptr, 0) == 0)
            return "expected freq=N or period=N (N > 0), got '" + parts[2] + "'";
    }
    return "";
}

std::string checkTracepoint(const std::string &t) {
    std::size_t colon = t.find(':');
    // Globs ('*', '?', '[...]') attach every matching tracepoint.
    if (colon == std::string::npos || !isIdentifier(t.substr(0, colon), "*?[]") ||
        !isIdentifier(t.substr(colon + 1), "*?[]"))
        return "expected CATEGORY:EVENT";
    return "";
}

// Interface names: what the kernel accepts (IFNAMSIZ - 1 bytes, no '/', ':' or blanks).
std::string checkIface(const std::string &t) {
    bool ok = !t.empty() && t.size() < 16 && std::none_of(t.begin(), t.end(), [](char c) {
        return c == '/' || c == ':' || std::isspace(static_cast<unsigned char>(c));
    });
    return ok ? "" : "'" + t + "' is not an interface name";
}

// "IFACE:WORD" where WORD is one of CHOICES ("" allowed when OPTIONAL).
std::string checkIfaceWith(const std::string &t, std::vector<std::string> choices, bool optional) {
    std::size_t colon = t.find(':');
    if (colon == std::string::npos)
        return optional ? checkIface(t) : "expected IFACE:" + choices[0] + "|" + choices[1];
    std::string word = t.substr(colon + 1);
    if (std::find(choices.begin(), choices.end(), word) == choices.end()) {
        auto near = common::closeMatches(word, choices, 1);
        return "'" + word + "' is not " + choices[0] + " or " + choices[1] +
               (near.empty() ? "" : " (did you mean '" + near[0] + "'?)");
    }
    return checkIface(t.substr(0, colon));
}

std::string checkXdp(const std::string &t) { return checkIfaceWith(t, {"generic", "native"}, true); }
std::string checkTc(const std::string &t) { return checkIfaceWith(t, {"ingress", "egress"}, false); }

// "/CGROUP/PATH:ingress|egress"
std::string checkCgroup(const std::string &t) {
    std::size_t colon = t.rfind(':');
    if (colon == std::string::npos || colon == 0)
        return "expected /CGROUP/PATH:ingress|egress";
    if (t[0] != '/')
        return "cgroup '" + t.substr(0, colon) + "' is not an absolute path";
    std::string dir = t.substr(colon + 1);
    return dir == "ingress" || dir == "egress" ? "" : "'" + dir + "' is not ingress or egress";
}

std::string checkName(const std::string &t) { return isIdentifier(t) ? "" : "'" + t + "' is not an event name"; }
std::string checkKernelFunction(const std::string &t) { return checkSymbol(t, "kernel function name"); }

struct Kind {
    const char *name;
    const char *form; // after "// @attach "
    Check check;
};

const Kind kKinds[] = {
    {"uprobe", "uprobe:BINARY:SYMBOL[+OFFSET]|0xADDRESS -> FUNCTION (BINARY an absolute path or a short name: libc)", checkUprobe},
    {"uretprobe", "uretprobe:BINARY:SYMBOL|0xADDRESS -> FUNCTION (BINARY an absolute path or a short name: libc)", checkUprobe},
    {"perf_event", "perf_event:software:EVENT[:freq=N|:period=N] -> FUNCTION", checkPerfEvent},
    {"tracepoint", "tracepoint:CATEGORY:EVENT -> FUNCTION (globs: syscalls:sys_enter_*)", checkTracepoint},
    {"raw_tracepoint", "raw_tracepoint:EVENT -> FUNCTION", checkName},
    {"kprobe", "kprobe:KERNEL_FUNCTION[+OFFSET] -> FUNCTION (globs: tcp_*)", checkKernelFunction},
    {"kretprobe", "kretprobe:KERNEL_FUNCTION -> FUNCTION", checkKernelFunction},
    {"usdt", "usdt:/ABSOLUTE/PATH/BINARY:PROVIDER:NAME -> FUNCTION", checkUsdt},
    {"xdp", "xdp:IFACE[:generic|native] -> FUNCTION", checkXdp},
    {"tc", "tc:IFACE:ingress|egress -> FUNCTION", checkTc},
    {"socket", "socket:IFACE -> FUNCTION", checkIface},
    {"cgroup", "cgroup:/CGROUP/PATH:ingress|egress -> FUNCTION", checkCgroup},
};

const Kind *findKind(const std::string &name) {
    for (const auto &k : kKinds)
        if (name == k.name)
            return &k;
    return nullptr;
}

std::string unknownKindHint(const std::string &kind) {
    std::vector<std::string> names;
    for (const auto &k : kKinds)
        names.emplace_back(k.name);
    auto near = common::closeMatches(kind, names, 1);
    std::string hint = near.empty() ? "" : "did you mean '" + near[0] + "'? ";
    hint += "expected: // @attach KIND:TARGET -> FUNCTION, KIND one of";
    for (const auto &n : names)
        hint += " " + n;
    return hint;
}

// The directive text after "@attach"; "" on success, else the problem (and hint set).
std::string parseBody(const std::string &body, AttachDirective &d, std::string &hint) {
    const std::string generic = "expected: // @attach KIND:TARGET -> FUNCTION";
    std::size_t arrow = body.find("->");
    std::string left = trim(body.substr(0, arrow));
    std::size_t colon = left.find(':');
    d.kind = trim(left.substr(0, colon));
    const Kind *kind = findKind(d.kind);
    hint = kind ? std::string("expected: // @attach ") + kind->form : generic;
    if (colon == std::string::npos || d.kind.empty())
        return "malformed @attach directive: expected KIND:TARGET";
    if (!kind) {
        hint = unknownKindHint(d.kind);
        return "unknown @attach kind '" + d.kind + "'";
    }
    if (arrow == std::string::npos)
        return "malformed @attach directive: missing '-> FUNCTION'";
    d.target = trim(left.substr(colon + 1));
    d.function = trim(body.substr(arrow + 2));
    if (!isIdentifier(d.function))
        return "malformed @attach directive: '" + d.function + "' is not a function name";
    if (d.target.empty())
        return "malformed @attach directive: empty " + d.kind + " target";
    if (std::string problem = kind->check(d.target); !problem.empty())
        return "bad " + d.kind + " target '" + d.target + "': " + problem;
    return "";
}

} // namespace

std::size_t directiveAt(const std::string &line, std::string_view name) {
    std::size_t p = line.find_first_not_of(" \t");
    if (p == std::string::npos || line.compare(p, 2, "//") != 0)
        return std::string::npos;
    p = line.find_first_not_of(" \t", p + 2);
    if (p == std::string::npos || line.compare(p, name.size(), name) != 0)
        return std::string::npos;
    std::size_t after = p + name.size();
    return after == line.size() || std::isspace(static_cast<unsigned char>(line[after])) ? p : std::string::npos;
}

void forEachSourceLine(const std::string &source, const std::function<void(const std::string &, unsigned)> &fn) {
    std::istringstream in(source);
    std::string line;
    for (unsigned n = 1; std::getline(in, line); ++n) {
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        fn(line, n);
    }
}

std::vector<AttachDirective> parseAttachDirectives(const std::string &source,
                                                   const std::string &file_name,
                                                   std::vector<Diagnostic> &diags) {
    std::vector<AttachDirective> out;
    forEachSourceLine(source, [&](const std::string &line, unsigned n) {
        std::size_t at = directiveAt(line, "@attach");
        if (at == std::string::npos)
            return;
        AttachDirective d;
        d.line = n;
        std::string hint, problem = parseBody(line.substr(at + 7), d, hint);
        if (problem.empty()) {
            out.push_back(std::move(d));
            return;
        }
        diags.push_back({Diagnostic::Severity::Error, {file_name, n, unsigned(at + 1)}, problem, line, hint});
    });
    return out;
}

} // namespace jitprobe::frontend
