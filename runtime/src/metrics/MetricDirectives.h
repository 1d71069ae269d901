// `// @metric MAP ...` comments: how a probe source overrides what a map becomes in Prometheus,
// as comments BCC ignores.
//
//   // @metric MAP [counter|gauge|histogram|ignore] [unit=ns|us|ms|s|none] [help="TEXT"]
//   //         [labels=NAME,NAME...] [decode=LABEL:KIND]... [value=FIELD]
//
// On a perf/ring buffer, events are aggregated in user space: labels= names the event's fields
// that become labels, value= the field a histogram observes (log2 buckets, with _sum) or a
// counter sums (without value=, a counter counts events).
//
// KIND: errno (-2 -> ENOENT), ipv4 (a __be32 address), ipv6 (16 bytes), comm (a pid -> its
// /proc comm), hex, syscall (number -> name, this architecture), cgroup (id -> path). labels= renames the key's labels in order. A directive names a declared map;
// one that does not parse is an error at FILE:LINE:COL.
#pragma once
#include "jitprobe/Status.h"

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace jitprobe::metrics {

enum class MetricType;

struct MetricDirective {
    std::string map;
    std::string type;            // "", counter, gauge, histogram, ignore
    std::optional<double> divisor; // unit=: value / divisor = seconds (1: seconds, 0: unit=none)
    std::string help;
    std::vector<std::string> labels;
    std::vector<std::pair<std::string, std::string>> decode; // label -> kind
    std::string value; // events: the field observed
    unsigned line = 0;
};

using MetricDirectives = std::map<std::string, MetricDirective>; // by map name

// Every `// @metric` comment of SOURCE; the first malformed one is an error naming
// FILE_NAME:LINE:COL and what was expected.
Result<MetricDirectives> parse_metric_directives(const std::string &source, const std::string &file_name);

// A label value through a decode= KIND (the value unchanged when it does not apply).
std::string decode_label(const std::string &kind, const std::string &value);

} // namespace jitprobe::metrics
