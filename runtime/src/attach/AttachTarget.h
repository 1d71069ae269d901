// Parsing of the attach-target strings found in ProgramInfo (and @attach directives), plus the
// "did you mean" suggestion helper. Pure functions: unit-tested without privileges.
#pragma once
#include "jitprobe/Status.h"

#include <cstdint>
#include <string>
#include <vector>

namespace jitprobe::detail {

struct TracepointName {
    std::string category, event;
};
// "cat:event" (also "cat/event").
Result<TracepointName> parseTracepoint(const std::string &target);

struct UprobeTarget {
    std::string binary, symbol;
    uint64_t offset = 0;
    uint64_t address = 0; // BINARY:0xADDRESS (symbol empty)
};
// "BINARY:SYMBOL[+OFFSET]" or "BINARY:0xADDRESS" (common::parseUprobeSpec's grammar).
Result<UprobeTarget> parseUprobeTarget(const std::string &target);

struct KprobeTarget {
    std::string function;
    uint64_t offset = 0;
};
// "FUNC[+OFFSET]".
Result<KprobeTarget> parseKprobeTarget(const std::string &target);

struct UsdtTarget {
    std::string binary, provider, name;
};
// "BINARY:PROVIDER:NAME": the last two ':' separate provider and name.
Result<UsdtTarget> parseUsdtTarget(const std::string &target);

struct PerfEventSpec {
    uint32_t type = 0;   // PERF_TYPE_SOFTWARE
    uint32_t config = 0; // PERF_COUNT_SW_*
    uint64_t sample_period = 0, sample_freq = 0; // exactly one is non-zero
    std::string event;   // "cpu-clock"
};
// "software:EVENT[:freq=N|:period=N]", EVENT in cpu-clock, task-clock, page-faults,
// context-switches; default freq=99.
Result<PerfEventSpec> parsePerfEventTarget(const std::string &target);

// Network and cgroup targets (@attach xdp:/tc:/socket:/cgroup:).
enum class XdpMode { Default, Generic, Native };
struct XdpTarget {
    std::string iface;
    XdpMode mode = XdpMode::Default;
};
// "IFACE[:generic|native]".
Result<XdpTarget> parseXdpTarget(const std::string &target);

struct DirectionTarget {
    std::string where; // interface or cgroup path
    bool ingress = true;
};
// "IFACE:ingress|egress".
Result<DirectionTarget> parseTcTarget(const std::string &target);
// "/CGROUP/PATH:ingress|egress": the last ':' separates the direction.
Result<DirectionTarget> parseCgroupTarget(const std::string &target);
// "IFACE".
Result<std::string> parseSocketTarget(const std::string &target);

// "0-3,5" (the format of /sys/devices/system/cpu/online).
Result<std::vector<int>> parseCpuList(const std::string &text);
Result<std::vector<int>> onlineCpus();

// Parses decimal or 0x-hex; false on junk or overflow.
bool parseUnsigned(const std::string &text, uint64_t &out);

} // namespace jitprobe::detail
