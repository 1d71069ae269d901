#include "AttachTarget.h"

#include "jitprobe/common/UprobeSpec.h"

#include <linux/perf_event.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <sstream>

namespace jitprobe::detail {
namespace {

Status invalid(const std::string &kind, const std::string &target, const std::string &why) {
    return Status(EINVAL, "invalid " + kind + " target '" + target + "': " + why);
}

// Splits "NAME+OFF" into NAME and OFF.
bool splitOffset(const std::string &text, std::string &name, uint64_t &offset) {
    auto plus = text.rfind('+');
    name = text.substr(0, plus);
    offset = 0;
    return plus == std::string::npos || parseUnsigned(text.substr(plus + 1), offset);
}

struct SoftwareEvent {
    const char *name;
    uint32_t config;
};
constexpr SoftwareEvent kSoftwareEvents[] = {
    {"cpu-clock", PERF_COUNT_SW_CPU_CLOCK},
    {"task-clock", PERF_COUNT_SW_TASK_CLOCK},
    {"page-faults", PERF_COUNT_SW_PAGE_FAULTS},
    {"context-switches", PERF_COUNT_SW_CONTEXT_SWITCHES},
};

bool validIface(const std::string &name) {
    return !name.empty() && name.size() < 16 &&
           name.find_first_of("/: \t\n") == std::string::npos;
}

// "WHERE:ingress|egress", split at the last ':'.
Result<DirectionTarget> parseDirection(const std::string &kind, const std::string &target,
                                       const char *form) {
    auto colon = target.rfind(':');
    if (colon == std::string::npos || colon == 0)
        return invalid(kind, target, std::string("expected ") + form);
    std::string dir = target.substr(colon + 1);
    if (dir != "ingress" && dir != "egress")
        return invalid(kind, target, "'" + dir + "' is not ingress or egress");
    return DirectionTarget{target.substr(0, colon), dir == "ingress"};
}

} // namespace

Result<XdpTarget> parseXdpTarget(const std::string &target) {
    auto colon = target.find(':');
    XdpTarget t{target.substr(0, colon), XdpMode::Default};
    if (!validIface(t.iface))
        return invalid("xdp", target, "expected IFACE[:generic|native]");
    if (colon == std::string::npos)
        return t;
    std::string mode = target.substr(colon + 1);
    if (mode != "generic" && mode != "native")
        return invalid("xdp", target, "mode '" + mode + "' is not generic or native");
    t.mode = mode == "generic" ? XdpMode::Generic : XdpMode::Native;
    return t;
}

Result<DirectionTarget> parseTcTarget(const std::string &target) {
    auto t = parseDirection("tc", target, "IFACE:ingress|egress");
    if (t.ok() && !validIface(t->where))
        return invalid("tc", target, "'" + t->where + "' is not an interface name");
    return t;
}

Result<DirectionTarget> parseCgroupTarget(const std::string &target) {
    auto t = parseDirection("cgroup", target, "/CGROUP/PATH:ingress|egress");
    if (t.ok() && t->where[0] != '/')
        return invalid("cgroup", target, "'" + t->where + "' is not an absolute path");
    return t;
}

Result<std::string> parseSocketTarget(const std::string &target) {
    if (!validIface(target))
        return invalid("socket", target, "expected IFACE");
    return target;
}

bool parseUnsigned(const std::string &text, uint64_t &out) {
    if (text.empty())
        return false;
    bool hex = text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
    const std::string digits = hex ? text.substr(2) : text;
    uint64_t value = 0;
    for (char c : digits) {
        int d = (c >= '0' && c <= '9')                ? c - '0'
                : (hex && c >= 'a' && c <= 'f')        ? c - 'a' + 10
                : (hex && c >= 'A' && c <= 'F')        ? c - 'A' + 10
                                                       : -1;
        uint64_t base = hex ? 16 : 10;
        if (d < 0 || value > (UINT64_MAX - d) / base)
            return false;
        value = value * base + d;
    }
    out = value;
    return true;
}

Result<TracepointName> parseTracepoint(const std::string &target) {
    auto sep = target.find_first_of(":/");
    if (sep == std::string::npos || sep == 0 || sep + 1 == target.size() ||
        target.find_first_of(":/", sep + 1) != std::string::npos)
        return invalid("tracepoint", target, "expected CATEGORY:EVENT");
    return TracepointName{target.substr(0, sep), target.substr(sep + 1)};
}

Result<UprobeTarget> parseUprobeTarget(const std::string &target) {
    common::UprobeSpec spec;
    if (std::string problem = common::parseUprobeSpec(target, spec); !problem.empty())
        return invalid("uprobe", target, problem);
    return UprobeTarget{spec.binary, spec.symbol, spec.offset, spec.address};
}

Result<KprobeTarget> parseKprobeTarget(const std::string &target) {
    KprobeTarget t;
    if (!splitOffset(target, t.function, t.offset) || t.function.empty())
        return invalid("kprobe", target, "expected FUNCTION[+OFFSET]");
    return t;
}

Result<UsdtTarget> parseUsdtTarget(const std::string &target) {
    auto last = target.rfind(':');
    auto mid = last == std::string::npos || last == 0 ? std::string::npos
                                                      : target.rfind(':', last - 1);
    if (mid == std::string::npos || mid == 0 || mid + 1 == last || last + 1 == target.size())
        return invalid("usdt", target, "expected BINARY:PROVIDER:NAME");
    return UsdtTarget{target.substr(0, mid), target.substr(mid + 1, last - mid - 1),
                      target.substr(last + 1)};
}

Result<PerfEventSpec> parsePerfEventTarget(const std::string &target) {
    std::vector<std::string> parts;
    std::stringstream in(target);
    for (std::string part; std::getline(in, part, ':');)
        parts.push_back(part);
    if (parts.size() < 2 || parts.size() > 3 || parts[0] != "software")
        return invalid("perf_event", target, "expected software:EVENT[:freq=N|:period=N]");
    PerfEventSpec spec{PERF_TYPE_SOFTWARE, 0, 0, 99, parts[1]};
    auto known = std::find_if(std::begin(kSoftwareEvents), std::end(kSoftwareEvents),
                              [&](const SoftwareEvent &e) { return parts[1] == e.name; });
    if (known == std::end(kSoftwareEvents))
        return invalid("perf_event", target,
                       "unknown software event '" + parts[1] +
                           "' (known: cpu-clock, task-clock, page-faults, context-switches)");
    spec.config = known->config;
    if (parts.size() == 3) {
        const std::string &rate = parts[2];
        uint64_t n = 0;
        bool freq = rate.starts_with("freq="), period = rate.starts_with("period=");
        if ((!freq && !period) || !parseUnsigned(rate.substr(rate.find('=') + 1), n) || n == 0)
            return invalid("perf_event", target, "expected freq=N or period=N with N > 0");
        spec.sample_freq = freq ? n : 0;
        spec.sample_period = period ? n : 0;
    }
    return spec;
}

Result<std::vector<int>> parseCpuList(const std::string &text) {
    std::vector<int> cpus;
    std::stringstream in(text);
    for (std::string range; std::getline(in, range, ',');) {
        while (!range.empty() && (range.back() == '\n' || range.back() == ' '))
            range.pop_back();
        if (range.empty())
            continue;
        auto dash = range.find('-');
        uint64_t lo = 0, hi = 0;
        if (!parseUnsigned(range.substr(0, dash), lo) ||
            !parseUnsigned(dash == std::string::npos ? range.substr(0, dash)
                                                     : range.substr(dash + 1),
                           hi) ||
            hi < lo || hi > 65535)
            return Status(EINVAL, "bad CPU list '" + text + "'");
        for (uint64_t c = lo; c <= hi; c++)
            cpus.push_back(static_cast<int>(c));
    }
    if (cpus.empty())
        return Status(EINVAL, "empty CPU list '" + text + "'");
    return cpus;
}

Result<std::vector<int>> onlineCpus() {
    const char *path = "/sys/devices/system/cpu/online";
    std::ifstream in(path);
    std::string text;
    if (!std::getline(in, text))
        return Status(ENOENT, std::string("cannot read ") + path);
    return parseCpuList(text);
}

} // namespace jitprobe::detail
