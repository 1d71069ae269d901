// check_metric_directives (see MetricDirectives.h): `// @metric` directives against the opened
// object's maps and their BTF types, so a directive the exporter could only ignore is an error
// at its line before anything is loaded.
#include "MetricDirectives.h"

#include "jitprobe/BPF.h"
#include "jitprobe/common/CloseMatches.h"
#include "jitprobe/frontend/ProgramInfo.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <algorithm>
#include <cstdint>

namespace jitprobe::metrics {
namespace {

// A label of a map's key (or a field of a buffer's event) and what its type can decode as.
struct LabelType {
    std::string name;
    bool integer = false;
    std::size_t size = 0; // bytes
};

bool isStructLike(const btf_type *t) { return btf_is_struct(t) || btf_is_union(t); }

// TYPE's leaves as key_labels() names them: struct/union members joined with '_'; a scalar
// key is the one label "key".
void collectLabels(const btf *b, std::uint32_t id, const std::string &prefix, std::vector<LabelType> &out,
                   int depth) {
    int resolved = btf__resolve_type(b, id);
    const btf_type *t = resolved > 0 ? btf__type_by_id(b, static_cast<std::uint32_t>(resolved)) : nullptr;
    if (!t || depth > 8)
        return;
    if (isStructLike(t)) {
        const btf_member *m = btf_members(t);
        for (unsigned i = 0; i < btf_vlen(t); ++i, ++m) {
            const char *name = btf__name_by_offset(b, m->name_off);
            std::string n = name ? name : "";
            collectLabels(b, m->type, prefix.empty() ? n : prefix + "_" + n, out, depth + 1);
        }
        return;
    }
    __s64 size = btf__resolve_size(b, static_cast<std::uint32_t>(resolved));
    bool integer = btf_is_int(t) || btf_is_any_enum(t) || btf_is_ptr(t);
    out.push_back({prefix.empty() ? "key" : prefix, integer, size > 0 ? static_cast<std::size_t>(size) : 0});
}

// A buffer's event fields (top level: what labels= and value= name), from its C type's BTF.
std::vector<LabelType> eventFields(const btf *b, const std::string &event_type) {
    std::vector<LabelType> out;
    std::string name = event_type.starts_with("struct ") ? event_type.substr(7) : event_type;
    std::int32_t id = -1;
    for (int kind : {BTF_KIND_STRUCT, BTF_KIND_TYPEDEF, BTF_KIND_UNION})
        if (!name.empty() && (id = btf__find_by_name_kind(b, name.c_str(), kind)) > 0)
            break;
    int resolved = id > 0 ? btf__resolve_type(b, static_cast<std::uint32_t>(id)) : -1;
    const btf_type *t = resolved > 0 ? btf__type_by_id(b, static_cast<std::uint32_t>(resolved)) : nullptr;
    if (!t || !isStructLike(t))
        return out;
    const btf_member *m = btf_members(t);
    for (unsigned i = 0; i < btf_vlen(t); ++i, ++m) {
        std::vector<LabelType> leaf;
        collectLabels(b, m->type, "", leaf, 0);
        const char *n = btf__name_by_offset(b, m->name_off);
        bool scalar = leaf.size() == 1 && leaf[0].name == "key";
        out.push_back({n ? n : "", scalar && leaf[0].integer, scalar ? leaf[0].size : 0});
    }
    return out;
}

std::string names(const std::vector<LabelType> &labels) {
    std::string out;
    for (const LabelType &l : labels)
        out += (out.empty() ? "" : ", ") + l.name;
    return out.empty() ? "none" : out;
}

// Why KIND cannot decode LABEL ("" when it can).
std::string fitProblem(const std::string &kind, const LabelType &l) {
    if (kind == "ipv6")
        return l.size == 16 ? "" : "ipv6 decodes a 16-byte address; '" + l.name + "' is " + std::to_string(l.size) + " bytes";
    if (!l.integer)
        return kind + " decodes an integer; '" + l.name + "' is not one";
    if (kind == "ipv4" && l.size != 4)
        return "ipv4 decodes a 4-byte __be32; '" + l.name + "' is " + std::to_string(l.size) + " bytes";
    return "";
}

// The key's labels of map SPEC (a histogram's without its slot), renamed by labels=.
Result<std::vector<LabelType>> keyLabels(const MetricDirective &d, const frontend::MapSpec &spec, bpf_object *obj,
                                         const std::string &file) {
    std::vector<LabelType> labels;
    const btf *b = obj ? bpf_object__btf(obj) : nullptr;
    const bpf_map *map = obj ? bpf_object__find_map_by_name(obj, spec.name.c_str()) : nullptr;
    if (b && map && bpf_map__btf_key_type_id(map))
        collectLabels(b, bpf_map__btf_key_type_id(map), "", labels, 0);
    if (spec.kind == "histogram" || d.linear) { // the slot is the bucket, not a label
        std::size_t before = labels.size();
        std::erase_if(labels, [](const LabelType &l) { return (l.name == "slot" || l.name == "key") && l.integer; });
        if (d.linear && before == labels.size() && b && map)
            return directive_error(d, file, d.cols.at("linear"),
                                   "linear=: the key of '" + spec.name +
                                       "' is neither an integer slot nor a struct with an integer 'slot' member");
    }
    if (d.labels.size() > labels.size())
        return directive_error(d, file, d.cols.count("labels") ? d.cols.at("labels") : 0,
                               "labels= renames " + std::to_string(d.labels.size()) + " labels, but map '" +
                                   spec.name + "' has " + std::to_string(labels.size()) + " (" + names(labels) + ")");
    for (std::size_t i = 0; i < d.labels.size(); ++i)
        labels[i].name = d.labels[i];
    return labels;
}

// A buffer's directive: labels= and value= name fields of its event; decode= names a label.
Result<std::vector<LabelType>> eventLabels(const MetricDirective &d, const frontend::MapSpec &spec, bpf_object *obj,
                                           const std::string &file) {
    const btf *b = obj ? bpf_object__btf(obj) : nullptr;
    std::vector<LabelType> fields = b ? eventFields(b, spec.event_type) : std::vector<LabelType>{};
    auto field = [&](const std::string &n) {
        return std::find_if(fields.begin(), fields.end(), [&](const LabelType &f) { return f.name == n; });
    };
    std::vector<LabelType> labels;
    for (const std::string &n : d.labels) {
        if (!fields.empty() && field(n) == fields.end())
            return directive_error(d, file, d.cols.at("labels"),
                                   "the events of '" + spec.name + "' (" + spec.event_type + ") have no field '" + n +
                                       "' (fields: " + names(fields) + ")");
        labels.push_back(fields.empty() ? LabelType{n, true, 0} : *field(n));
    }
    if (!d.value.empty() && !fields.empty() && (field(d.value) == fields.end() || !field(d.value)->integer))
        return directive_error(d, file, d.cols.at("value"),
                               "value=" + d.value + ": the events of '" + spec.name + "' have no integer field '" +
                                   d.value + "' (fields: " + names(fields) + ")");
    return labels;
}

// kstack/ustack decode a stack id of a BPF_STACK_TRACE map; user stacks and addresses (usym)
// need whose they are.
Status checkStackDecodes(const MetricDirective &d, const frontend::MapSpec &spec, const frontend::ProgramInfo &info,
                         bpf_object *obj, const std::string &file) {
    for (const auto &[label, kind] : d.decode) {
        bool stack = kind == "kstack" || kind == "ustack", user = kind == "ustack" || kind == "usym";
        if (!stack && kind != "ksym" && !user)
            continue;
        unsigned col = d.cols.count("decode:" + label) ? d.cols.at("decode:" + label) : 0;
        bool stackMap = std::any_of(info.maps.begin(), info.maps.end(),
                                    [](const frontend::MapSpec &m) { return m.kind == "stack_trace"; });
        if (stack && !stackMap)
            return directive_error(d, file, col, "decode=" + label + ":" + kind + ": no BPF_STACK_TRACE map in this source");
        if (spec.kind == "perf_output" || spec.kind == "ringbuf")
            return directive_error(d, file, col, kind + " decodes map keys, not the events of '" + d.map + "'");
        const btf *b = obj ? bpf_object__btf(obj) : nullptr;
        const bpf_map *map = obj ? bpf_object__find_map_by_name(obj, spec.name.c_str()) : nullptr;
        std::vector<LabelType> members;
        if (b && map && bpf_map__btf_key_type_id(map))
            collectLabels(b, bpf_map__btf_key_type_id(map), "", members, 0);
        bool pid = std::any_of(members.begin(), members.end(),
                               [](const LabelType &l) { return l.integer && (l.name == "pid" || l.name == "tgid"); });
        if (user && b && map && !pid)
            return directive_error(d, file, col,
                                   "decode=" + label + ":" + kind + ": user addresses need their process: the key of '" +
                                       d.map + "' has no integer 'pid' or 'tgid' member");
    }
    return Status::OK();
}

Status checkOne(const MetricDirective &d, const frontend::ProgramInfo &info, bpf_object *obj, const std::string &file) {
    const frontend::MapSpec *spec = info.findMap(d.map);
    if (!spec) {
        std::vector<std::string> maps;
        for (const frontend::MapSpec &m : info.maps)
            maps.push_back(m.name);
        std::vector<std::string> near = common::closeMatches(d.map, maps, 1);
        return directive_error(d, file, d.col, "no map named '" + d.map + "' in this source",
                               near.empty() ? "" : "did you mean '" + near[0] + "'?");
    }
    bool buffer = spec->kind == "perf_output" || spec->kind == "ringbuf";
    if (!buffer && !d.value.empty())
        return directive_error(d, file, d.cols.at("value"),
                               "value= is for perf and ring buffers; '" + d.map + "' is a " + spec->kind);
    if (buffer && d.linear)
        return directive_error(d, file, d.cols.at("linear"),
                               "linear= is for maps; the events of '" + d.map + "' are counted in log2 buckets");
    if (!buffer && d.type == "histogram" && !d.linear && spec->kind != "histogram")
        return directive_error(d, file, d.cols.count("type") ? d.cols.at("type") : 0,
                               "'" + d.map + "' is a " + spec->kind + ": a histogram is a BPF_HISTOGRAM (log2 slots) "
                               "or a map keyed by slot with linear=STEP");
    if (Status s = checkStackDecodes(d, *spec, info, obj, file); !s.ok())
        return s;
    auto labels = buffer ? eventLabels(d, *spec, obj, file) : keyLabels(d, *spec, obj, file);
    if (!labels.ok())
        return labels.status();
    bool typed = obj && bpf_object__btf(obj); // without BTF nothing is known of the key
    for (const auto &[label, kind] : d.decode) {
        unsigned col = d.cols.count("decode:" + label) ? d.cols.at("decode:" + label) : 0;
        auto it = std::find_if(labels->begin(), labels->end(), [&](const LabelType &l) { return l.name == label; });
        if (it == labels->end() && (typed || buffer))
            return directive_error(d, file, col,
                                   "decode=" + label + ":" + kind + ": '" + d.map + "' has no label '" + label +
                                       "' (labels: " + names(*labels) + ")");
        if (it != labels->end() && (!buffer || it->size))
            if (std::string why = fitProblem(kind, *it); !why.empty())
                return directive_error(d, file, col, "decode=" + label + ":" + kind + ": " + why);
    }
    return Status::OK();
}

} // namespace

Status check_metric_directives(const MetricDirectives &directives, const BPF &bpf, const std::string &file_name) {
    std::vector<const MetricDirective *> by_line;
    for (const auto &[name, d] : directives)
        by_line.push_back(&d);
    std::sort(by_line.begin(), by_line.end(), [](auto *a, auto *b) { return a->line < b->line; });
    for (const MetricDirective *d : by_line)
        if (Status s = checkOne(*d, bpf.program_info(), bpf.raw_object(), file_name); !s.ok())
            return s;
    return Status::OK();
}

} // namespace jitprobe::metrics
