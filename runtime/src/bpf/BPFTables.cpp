// BPF's table lookups: a loaded map by name, as a BPFTableRaw or an fd.
#include "BPFImpl.h"

#include "jitprobe/common/Errors.h"

#include <bpf/bpf.h>

#include <cerrno>

namespace jitprobe {
namespace {

std::string mapNames(bpf_object *obj) {
    std::string names;
    bpf_map *map;
    bpf_object__for_each_map(map, obj) {
        names += (names.empty() ? "'" : ", '") + std::string(bpf_map__name(map)) + "'";
    }
    return names.empty() ? "none" : names;
}

} // namespace

BPFTableRaw BPF::get_raw_table(const std::string &name) {
    if (Status s = impl_->ensureLoaded(); !s.ok())
        return BPFTableRaw::invalid(detail::withContext(s, "map '" + name + "'"));
    bpf_map *map = bpf_object__find_map_by_name(impl_->object.get(), name.c_str());
    if (!map)
        return BPFTableRaw::invalid(Status(ENOENT, "no map named '" + name + "' (maps: " +
                                                       mapNames(impl_->object.get()) + ")"));
    BPFTableRaw::Layout l;
    l.name = name;
    l.fd = bpf_map__fd(map);
    l.map_type = bpf_map__type(map);
    l.key_size = bpf_map__key_size(map);
    l.value_size = bpf_map__value_size(map);
    l.max_entries = bpf_map__max_entries(map);
    l.btf_key_type_id = bpf_map__btf_key_type_id(map);
    l.btf_value_type_id = bpf_map__btf_value_type_id(map);
    l.btf = bpf_object__btf(impl_->object.get());
    int cpus = libbpf_num_possible_cpus();
    l.possible_cpus = cpus > 0 ? cpus : 1;
    return BPFTableRaw(std::move(l));
}

BPFTable BPF::get_table(const std::string &name) {
    return BPFTable(get_raw_table(name), impl_->alive);
}

BPFStackBuildIdTable BPF::get_stackbuildid_table(const std::string &name, bool use_debug_file,
                                                 bool check_debug_file_crc) {
    (void)use_debug_file, (void)check_debug_file_crc;
    return BPFStackBuildIdTable(get_raw_table(name), impl_->buildid_modules);
}

bool BPF::add_module(const std::string &module) {
    auto id = elf_build_id(module);
    if (!id.ok())
        return false;
    (*impl_->buildid_modules)[*id] = module;
    return true;
}

int BPF::get_map_fd(const std::string &name) {
    if (!impl_->ensureLoaded().ok())
        return -1;
    bpf_map *map = bpf_object__find_map_by_name(impl_->object.get(), name.c_str());
    return map ? bpf_map__fd(map) : -1;
}

} // namespace jitprobe
