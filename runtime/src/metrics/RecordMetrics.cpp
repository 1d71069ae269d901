// Records -> metric families (see RecordMetrics.h).
#include "RecordMetrics.h"

#include <cmath>
#include <limits>
#include <optional>

namespace jitprobe::metrics {
namespace {

std::string labelText(const Value &v) {
    switch (v.kind()) {
    case Value::Kind::String: return v.as_string();
    case Value::Kind::Int: return std::to_string(v.as_int());
    case Value::Kind::UInt: return std::to_string(v.as_uint());
    case Value::Kind::Bool: return v.as_bool() ? "1" : "0";
    case Value::Kind::Null: return "";
    default: return value_to_text(v);
    }
}

void flattenKey(const Value &key, const std::string &prefix, Labels &out) {
    for (const auto &[name, v] : key.as_struct()) {
        std::string label = prefix.empty() ? name : prefix + "_" + name;
        if (v.kind() == Value::Kind::Struct)
            flattenKey(v, label, out);
        else
            out.emplace_back(sanitize_label_name(label), labelText(v));
    }
}

Labels withExtra(const Labels &extra, Labels labels) {
    Labels out = extra;
    out.insert(out.end(), labels.begin(), labels.end());
    return out;
}

// The unit a directive asks for, else the one the name says.
UnitSplit unitFor(const std::string &name, const MetricDirective *d) {
    UnitSplit byName = split_unit(name);
    if (!d || !d->divisor)
        return byName;
    if (*d->divisor == 0)
        return {name, 1, false};
    return {byName.seconds ? byName.base : name + "_seconds", *d->divisor, true};
}

// The key's labels, renamed (labels=) and decoded (decode=) as a directive says.
Labels directedLabels(Labels labels, const MetricDirective *d) {
    if (!d)
        return labels;
    for (std::size_t i = 0; i < labels.size() && i < d->labels.size(); ++i)
        labels[i].first = d->labels[i];
    for (auto &[name, value] : labels)
        for (const auto &[label, kind] : d->decode)
            if (label == name)
                value = decode_label(kind, value);
    return labels;
}

// Histogram bucket bounds: BCC slot s holds [2^(s-1), 2^s - 1] (slot 0: [0, 0]).
double slotBound(unsigned slot) { return slot == 0 ? 0 : std::ldexp(1.0, static_cast<int>(slot)) - 1; }

// Linear buckets (MetricDirective::linear): each non-empty slot k as le = ((k+1)*STEP - 1) / DIVISOR,
// preceded by its lower neighbour's bound when that slot was not written (histogram_quantile
// then interpolates within the slot's own range, however sparse the slots are). OVERFLOW counts
// only in +Inf.
void linearBuckets(Family &f, const Labels &labels, const std::map<std::uint64_t, double> &slots,
                   std::uint64_t step, double divisor, double overflow) {
    auto bound = [&](std::uint64_t k) {
        return ((static_cast<double>(k) + 1) * static_cast<double>(step) - 1) / divisor;
    };
    auto bucket = [&](double le, double cumulative) {
        Labels l = labels;
        l.emplace_back("le", format_value(le));
        f.samples.push_back({"_bucket", std::move(l), cumulative});
    };
    double cumulative = 0;
    std::optional<std::uint64_t> last;
    for (const auto &[k, count] : slots) {
        if (k > 0 && last != k - 1)
            bucket(bound(k - 1), cumulative);
        cumulative += count;
        bucket(bound(k), cumulative);
        last = k;
    }
    bucket(std::numeric_limits<double>::infinity(), cumulative + overflow);
    f.samples.push_back({"_count", labels, cumulative + overflow});
}

// A linear histogram's slot and the rest of KEY: an integer key is the slot; a struct key's
// `slot` member is (the other members are labels).
std::optional<std::uint64_t> splitSlot(const Value &key, Value &rest) {
    auto slotOf = [](const Value &v) -> std::optional<std::uint64_t> {
        if (!v.is_number() || (v.kind() == Value::Kind::Int && v.as_int() < 0))
            return std::nullopt;
        return v.as_uint();
    };
    if (key.kind() != Value::Kind::Struct)
        return slotOf(key);
    std::optional<std::uint64_t> slot;
    ValueFields fields;
    for (const auto &[name, v] : key.as_struct())
        if (name == "slot" && !slot)
            slot = slotOf(v);
        else
            fields.emplace_back(name, v);
    rest = Value::structure(std::move(fields));
    return slot;
}

} // namespace

UnitSplit split_unit(const std::string &name) {
    static const std::pair<const char *, double> units[] = {{"_ns", 1e9}, {"_us", 1e6}, {"_ms", 1e3}};
    for (const auto &[suffix, divisor] : units) {
        std::string s = suffix;
        if (name.size() > s.size() && name.ends_with(s))
            return {name.substr(0, name.size() - s.size()) + "_seconds", divisor, true};
    }
    return {name, 1, false};
}

Labels key_labels(const Value &key, const std::string &default_name) {
    Labels out;
    if (key.kind() == Value::Kind::Struct)
        flattenKey(key, "", out);
    else if (!key.is_null())
        out.emplace_back(default_name, labelText(key));
    return out;
}

Family &FamilySet::family(const std::string &name, MetricType type, const std::string &help) {
    auto it = index_.find(name);
    if (it != index_.end())
        return families_[it->second];
    index_.emplace(name, families_.size());
    families_.push_back(Family{name, help, type, {}});
    return families_.back();
}

bool FamilySet::admit(const Family &family, std::size_t samples_per_series) {
    (void)samples_per_series;
    std::size_t &n = series_[family.name];
    if (n >= options_.max_series) {
        ++dropped_;
        return false;
    }
    ++n;
    return true;
}

std::vector<Family> FamilySet::take() {
    index_.clear();
    series_.clear();
    std::vector<Family> out(std::make_move_iterator(families_.begin()), std::make_move_iterator(families_.end()));
    families_.clear();
    return out;
}

std::string FamilySet::full_name(const std::string &base) const {
    return options_.metric_namespace.empty() ? base : options_.metric_namespace + "_" + base;
}

void FamilySet::add_record(const Record &record, const Labels &extra, const MetricDirectives *directives) {
    auto directive = [&](const std::string &map) -> const MetricDirective * {
        if (!directives)
            return nullptr;
        auto it = directives->find(map);
        return it == directives->end() ? nullptr : &it->second;
    };
    if (const auto *m = std::get_if<MapRecord>(&record))
        add_map(*m, extra, directive(m->name));
    else if (const auto *h = std::get_if<HistRecord>(&record))
        add_hist(*h, extra, directive(h->name));
}

void FamilySet::add_map(const MapRecord &record, const Labels &extra, const MetricDirective *d) {
    // Stacks are what keys reference. The probes' working state (BCC's `start` timestamps: maps
    // they delete from, or `// @internal`) never reaches here: Script::results() leaves it out.
    if (d ? d->type == "ignore" : record.kind == "stack_trace")
        return;
    if (d && d->linear)
        return add_linear_map(record, extra, *d);
    UnitSplit unit = unitFor(sanitize_metric_name(record.name), d);
    std::string base = full_name(unit.base);
    bool gauge = d && d->type == "gauge";
    MetricType type = gauge ? MetricType::Gauge : MetricType::Counter;
    const char *suffix = gauge ? "" : "_total";
    std::string help = d && !d->help.empty() ? d->help : "BPF map '" + record.name + "' (" + record.kind + ")";
    for (const MapEntry &e : record.entries) {
        Labels labels = withExtra(extra, directedLabels(key_labels(e.key), d));
        if (e.value.kind() != Value::Kind::Struct) {
            if (!e.value.is_number())
                continue;
            Family &f = family(base, type, help);
            if (admit(f))
                f.samples.push_back({suffix, labels, e.value.as_double() / unit.divisor});
            continue;
        }
        for (const auto &[field, v] : e.value.as_struct()) {
            if (!v.is_number())
                continue;
            UnitSplit fu = split_unit(sanitize_metric_name(field));
            Family &f = family(base + "_" + fu.base, type, help + " field '" + field + "'");
            if (admit(f))
                f.samples.push_back({suffix, labels, v.as_double() / unit.divisor / fu.divisor});
        }
    }
}

void FamilySet::add_linear_map(const MapRecord &record, const Labels &extra, const MetricDirective &d) {
    UnitSplit unit = unitFor(sanitize_metric_name(record.name), &d);
    std::string help = !d.help.empty() ? d.help
                                       : "BPF linear histogram '" + record.name + "' (step " + std::to_string(d.linear) +
                                             ")" + (unit.seconds ? " in seconds" : "");
    Family &f = family(full_name(unit.base), MetricType::Histogram, help);
    std::map<Labels, std::map<std::uint64_t, double>> groups;
    for (const MapEntry &e : record.entries) {
        Value rest;
        std::optional<std::uint64_t> slot = splitSlot(e.key, rest);
        if (slot && e.value.is_number())
            groups[withExtra(extra, directedLabels(key_labels(rest), &d))][*slot] += e.value.as_double();
    }
    for (const auto &[labels, slots] : groups) {
        if (!admit(f))
            return;
        linearBuckets(f, labels, slots, d.linear, unit.divisor, 0);
    }
}

void FamilySet::add_hist(const HistRecord &record, const Labels &extra, const MetricDirective *d) {
    if (d && d->type == "ignore")
        return;
    UnitSplit unit = unitFor(sanitize_metric_name(record.name), d);
    std::string help = d && !d->help.empty()
                           ? d->help
                           : "BPF log2 histogram '" + record.name + "'" + (unit.seconds ? " in seconds" : "");
    Family &f = family(full_name(unit.base), MetricType::Histogram, help);
    if (!admit(f))
        return;
    Labels labels = withExtra(extra, directedLabels(record.key ? key_labels(*record.key) : Labels{}, d));
    if (d && d->linear) { // slots from 64 on were merged into slot 64 (build_histograms): +Inf only
        std::map<std::uint64_t, double> slots;
        double overflow = 0;
        for (const HistBucket &b : record.buckets)
            (b.slot >= 64 ? overflow : slots[b.slot]) += static_cast<double>(b.count);
        return linearBuckets(f, labels, slots, d->linear, unit.divisor, overflow);
    }
    unsigned top = 0;
    for (const HistBucket &b : record.buckets)
        top = std::max(top, b.slot);
    // Every slot up to the highest one seen: histogram_quantile interpolates within a bucket,
    // so a missing empty bucket would widen its neighbour's range.
    double cumulative = 0;
    std::size_t next = 0;
    for (unsigned slot = 0; slot <= top && !record.buckets.empty(); ++slot) {
        while (next < record.buckets.size() && record.buckets[next].slot == slot)
            cumulative += static_cast<double>(record.buckets[next++].count);
        Labels le = labels;
        le.emplace_back("le", format_value(slotBound(slot) / unit.divisor));
        f.samples.push_back({"_bucket", std::move(le), cumulative});
    }
    Labels inf = labels;
    inf.emplace_back("le", "+Inf");
    f.samples.push_back({"_bucket", std::move(inf), cumulative});
    f.samples.push_back({"_count", labels, cumulative});
}

} // namespace jitprobe::metrics

namespace jitprobe::metrics {

void FamilySet::add_events(const std::string &buffer, const MetricDirective &d, const EventAggregate &agg,
                           const Labels &extra) {
    UnitSplit unit = unitFor(sanitize_metric_name(d.value.empty() ? "events" : d.value), &d);
    std::string name = full_name(sanitize_metric_name(buffer) + (d.value.empty() ? "" : "_" + unit.base));
    bool hist = d.type == "histogram";
    std::string help = !d.help.empty() ? d.help : "events of buffer '" + buffer + "'" +
                                                      (d.value.empty() ? "" : " by " + d.value);
    Family &f = family(name, hist ? MetricType::Histogram : MetricType::Counter, help);
    dropped_ += agg.dropped;
    for (const auto &[key, s] : agg.series) {
        if (!admit(f))
            return;
        Labels labels = withExtra(extra, key);
        if (!hist) {
            f.samples.push_back({"_total", labels, d.value.empty() ? static_cast<double>(s.count) : s.sum / unit.divisor});
            continue;
        }
        unsigned top = 0;
        for (unsigned i = 0; i < 65; ++i)
            if (s.slots[i])
                top = i;
        double cumulative = 0;
        for (unsigned slot = 0; slot <= top; ++slot) {
            cumulative += static_cast<double>(s.slots[slot]);
            Labels le = labels;
            le.emplace_back("le", format_value(slotBound(slot) / unit.divisor));
            f.samples.push_back({"_bucket", std::move(le), cumulative});
        }
        Labels inf = labels;
        inf.emplace_back("le", "+Inf");
        f.samples.push_back({"_bucket", std::move(inf), static_cast<double>(s.count)});
        f.samples.push_back({"_sum", labels, s.sum / unit.divisor}); // exact: every event seen
        f.samples.push_back({"_count", labels, static_cast<double>(s.count)});
    }
}

} // namespace jitprobe::metrics
