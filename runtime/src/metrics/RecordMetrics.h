// Result records (what `jitprobe run` prints) -> Prometheus metric families, with no
// configuration: names from the map, labels from the key, types from the map's shape.
#pragma once
#include "Exposition.h"
#include "script/MetricDirectives.h"
#include "ScriptSnapshot.h"

#include "jitprobe/Output.h"

#include <cstddef>
#include <deque>
#include <map>
#include <string>
#include <vector>

namespace jitprobe::metrics {

struct ConvertOptions {
    std::string metric_namespace = "jitprobe"; // prefix: NAMESPACE_<map>
    std::size_t max_series = 10000;            // per family; the rest are dropped and counted
};

// Families built so far, by name (several sources may add to one family: same labels shape).
class FamilySet {
  public:
    explicit FamilySet(ConvertOptions options) : options_(std::move(options)) {}
    // MapRecord: integer values -> counter NS_<map>_total (one per struct field of integers:
    // NS_<map>_<field>_total); HistRecord (BCC log2) -> histogram NS_<map>, le = 2^slot - 1;
    // with a linear=STEP directive (a histogram or a map keyed by slot), le = (slot+1)*STEP - 1.
    // Maps named *_ns/*_us/*_ms are exported in seconds (NS_<map>_seconds). EXTRA labels
    // (e.g. the source file) come first on every sample.
    // DIRECTIVES (`// @metric` comments of the record's source) override type, unit, help,
    // label names and decode label values.
    void add_record(const Record &record, const Labels &extra = {},
                    const MetricDirectives *directives = nullptr);
    // Aggregated events of BUFFER as its directive says: histogram NS_<buffer>_<value> (log2
    // buckets, _sum, _count; value units as in map names) or counter NS_<buffer>[_<value>]_total.
    void add_events(const std::string &buffer, const MetricDirective &d, const EventAggregate &agg,
                    const Labels &extra);
    // A family by name (created with TYPE and HELP on first use).
    Family &family(const std::string &name, MetricType type, const std::string &help);
    // False (and counted as dropped) once FAMILY holds max_series series.
    bool admit(const Family &family, std::size_t samples_per_series = 1);
    std::size_t dropped() const { return dropped_; }
    std::vector<Family> take();
    const ConvertOptions &options() const { return options_; }

  private:
    void add_map(const MapRecord &record, const Labels &extra, const MetricDirective *d);
    void add_hist(const HistRecord &record, const Labels &extra, const MetricDirective *d);
    // linear=STEP on a hash/array keyed by the slot (or a struct with a `slot` member).
    void add_linear_map(const MapRecord &record, const Labels &extra, const MetricDirective &d);
    std::string full_name(const std::string &base) const;
    ConvertOptions options_;
    std::deque<Family> families_; // references stay valid as families are added
    std::map<std::string, std::size_t> index_;
    std::map<std::string, std::size_t> series_;
    std::size_t dropped_ = 0;
};

// A unit suffix of a map name: "x_ns" -> "x_seconds", divisor 1e9 (divisor 1 when none).
struct UnitSplit {
    std::string base;
    double divisor = 1; // value / divisor = seconds (division keeps 15 us "1.5e-05", not ...99e-05)
    bool seconds = false;
};
UnitSplit split_unit(const std::string &name);


// A decoded key as labels: struct members by name (nested ones joined with '_'), anything else
// as one label named DEFAULT_NAME. Numbers decimal, strings as they are, bytes and lists as hex
// / comma-separated text.
Labels key_labels(const Value &key, const std::string &default_name = "key");

} // namespace jitprobe::metrics
