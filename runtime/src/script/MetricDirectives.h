// `// @metric MAP ...` comments: how a probe source overrides what a map becomes in Prometheus,
// as comments BCC ignores.
//
//   // @metric MAP [counter|gauge|histogram|ignore] [unit=ns|us|ms|s|none] [help="TEXT"]
//   //         [linear=STEP] [labels=NAME,NAME...] [decode=LABEL:KIND]... [value=FIELD]
//
// linear=STEP (implies histogram): the map (a BPF_HISTOGRAM, or a hash/array keyed by the slot,
// or by a struct with a `slot` member) counts values by slot = value / STEP.
//
// On a perf/ring buffer, events are aggregated in user space: labels= names the event's fields
// that become labels, value= the field a histogram observes (log2 buckets, with _sum) or a
// counter sums (without value=, a counter counts events).
//
// KIND: errno (-2 -> ENOENT), ipv4 (a __be32 address), ipv6 (16 bytes), comm (a pid -> its
// /proc comm), hex, syscall (number -> name, this architecture), cgroup (id -> path), kstack /
// ustack (a stack id of the source's first BPF_STACK_TRACE map -> its folded frames
// "outer;...;inner"; user stacks of the key's tgid or pid member), ksym / usym (one kernel /
// user address -> its function). labels=
// renames the key's labels in order. A directive names a declared map; one that does not parse,
// names no map, or decodes a label the key does not have (or with a KIND its type does not
// fit) is an error at FILE:LINE:COL, raised by Script::load before the programs are loaded.
#pragma once
#include "jitprobe/Status.h"
#include "jitprobe/frontend/Diagnostic.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace jitprobe {
class BPF;
}

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
    // linear=STEP: a linear histogram (BCC's print_linear_hist) of a map keyed by value / STEP:
    // slot k holds [k*STEP, (k+1)*STEP - 1], so its bucket is le = (k+1)*STEP - 1. 0: log2.
    std::uint64_t linear = 0;
    unsigned line = 0, col = 0; // of the map name (1-based)
    std::string source_line;    // for the caret display of a later error
    // Where each option was written: "type", "labels", "value", "decode:LABEL" -> its column.
    std::map<std::string, unsigned> cols;
};

using MetricDirectives = std::map<std::string, MetricDirective>; // by map name

// Every `// @metric` comment of SOURCE; the first malformed one is an error naming
// FILE_NAME:LINE:COL and what was expected.
Result<MetricDirectives> parse_metric_directives(const std::string &source, const std::string &file_name);

// DIRECTIVES checked against BPF's opened object (maps and their BTF key/event types; the
// programs need not be loaded): every directive names a map of it, labels= renames no more
// labels than the key has, decode= names one of its labels with a KIND that fits its type,
// value= and labels= of a buffer name fields of its event. The first problem, as a diagnostic.
Status check_metric_directives(const MetricDirectives &directives, const BPF &bpf, const std::string &file_name);

// A diagnostic (clang style, with the caret and the directive grammar as hint) at D's COL.
Status directive_error(const MetricDirective &d, const std::string &file_name, unsigned col,
                       const std::string &why, const std::string &hint = "");

// A label value through a decode= KIND (the value unchanged when it does not apply).
std::string decode_label(const std::string &kind, const std::string &value);

} // namespace jitprobe::metrics
