// minimizeCoreBtf: the kernel types a BPF object's CO-RE relocations consult, as a small raw
// BTF. The matching rules mirror libbpf 1.1's (relo_core.c, bpf_core_add_cands): candidates by
// essential name and core-compatible kind; field accesses by member name through anonymous
// members; arrays by element. See MinCoreBtf.h for why what is kept is sufficient.
#include "btf/MinCoreBtf.h"
#include "jitprobe/common/ElfFile.h"

#include "jitprobe/common/Errors.h"


#include <bpf/btf.h>
#include <elf.h>
#include <linux/bpf.h> // enum bpf_core_relo_kind

#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <string_view>
#include <unordered_map>

namespace jitprobe::frontend {
namespace {

using detail::errnoStatus;
using detail::errnoText;

struct BtfDeleter {
    void operator()(struct btf *b) const { btf__free(b); }
};
using BtfPtr = std::unique_ptr<struct btf, BtfDeleter>;

struct Span {
    const std::uint8_t *data = nullptr;
    std::size_t size = 0;
};

// One .BTF.ext core_relo record (struct bpf_core_relo in linux/bpf.h).
struct CoreRelo {
    std::uint32_t insn_off, type_id, access_str_off, kind;
};

Status unsupported(const std::string &why) {
    return Status(EOPNOTSUPP, "no minimized kernel BTF: " + why);
}

// Section NAME of the BPF object ("" data when absent), found by libelf. The bytes are the
// section's own: BPF objects are read as they are (no conversion to host order).
Status findSection(const std::vector<std::uint8_t> &elf, const char *name, Span &out) {
    auto file = common::ElfFile::fromMemory(
        {reinterpret_cast<const char *>(elf.data()), elf.size()}, "the BPF object");
    if (!file.ok())
        return unsupported(file.status().msg());
    out = {};
    Status status = Status::OK();
    file->forEachSection([&](Elf_Scn *, const GElf_Shdr &sh, std::string_view sec_name) {
        if (sec_name != name)
            return true;
        if (sh.sh_offset > elf.size() || sh.sh_size > elf.size() - sh.sh_offset)
            status = unsupported(std::string("section ") + name + " lies outside the file");
        else
            out = {elf.data() + sh.sh_offset, static_cast<std::size_t>(sh.sh_size)};
        return false;
    });
    return status;
}

std::uint32_t readU32(const std::uint8_t *p) {
    std::uint32_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

// The core_relo records of a .BTF.ext section (layout: Documentation/bpf/btf.rst, "BTF.ext"):
// header {u16 magic, u8 version, u8 flags, u32 hdr_len, u32 func_info_off/len,
// line_info_off/len, core_relo_off/len (when hdr_len >= 32)}, offsets after the header; the
// core_relo part is u32 record size, then per ELF section {u32 name_off, u32 count, records}.
Status readCoreRelos(Span ext, std::vector<CoreRelo> &out) {
    out.clear();
    if (ext.size == 0)
        return Status::OK();
    if (ext.size < 24 || ext.data[0] != 0x9f || ext.data[1] != 0xeb)
        return unsupported(".BTF.ext has an unknown header (or another byte order)");
    std::uint32_t hdr_len = readU32(ext.data + 4);
    if (hdr_len > ext.size)
        return unsupported(".BTF.ext header is longer than the section");
    if (hdr_len < 32)
        return Status::OK(); // an old header without CO-RE relocations
    std::uint32_t off = readU32(ext.data + 24), len = readU32(ext.data + 28);
    if (len == 0)
        return Status::OK();
    if (off > ext.size - hdr_len || len > ext.size - hdr_len - off || len < 4)
        return unsupported(".BTF.ext core_relo section lies outside .BTF.ext");
    const std::uint8_t *p = ext.data + hdr_len + off, *end = p + len;
    std::uint32_t rec = readU32(p);
    p += 4;
    if (rec < sizeof(CoreRelo))
        return unsupported(".BTF.ext core_relo records are smaller than bpf_core_relo");
    while (end - p >= 8) {
        std::uint32_t count = readU32(p + 4);
        p += 8;
        if (static_cast<std::uint64_t>(count) * rec > static_cast<std::uint64_t>(end - p))
            return unsupported(".BTF.ext core_relo records run past the section");
        for (std::uint32_t i = 0; i < count; i++, p += rec)
            out.push_back({readU32(p), readU32(p + 4), readU32(p + 8), readU32(p + 12)});
    }
    if (p != end)
        return unsupported(".BTF.ext core_relo section has trailing bytes");
    return Status::OK();
}

// libbpf's "essential name": NAME without a ___flavor suffix (task_struct___old -> task_struct).
std::string_view essentialName(const char *name) {
    std::string_view n = name ? name : "";
    for (std::size_t i = n.size() >= 5 ? n.size() - 5 + 1 : 0; i-- > 0;)
        if (n[i] != '_' && n.compare(i + 1, 3, "___") == 0 && n[i + 4] != '_')
            return n.substr(0, i + 1);
    return n;
}

const btf_type *skipModsAndTypedefs(const struct btf *b, std::uint32_t id, std::uint32_t &out) {
    const btf_type *t = btf__type_by_id(b, id);
    while (t && (btf_is_mod(t) || btf_is_typedef(t))) {
        id = t->type;
        t = btf__type_by_id(b, id);
    }
    out = id;
    return t;
}

// A step of a relocation's access path, as libbpf's high-level spec: a named member, or an
// array index (empty name; the first step is the index on the root pointer).
struct Access {
    std::string name;
    std::uint32_t index = 0;
};

// The access path of field relocation R in the object's own BTF.
Status parseAccessPath(const struct btf *local, const CoreRelo &r, std::vector<Access> &out) {
    const char *spec = btf__name_by_offset(local, r.access_str_off);
    if (!spec || !*spec)
        return unsupported("a CO-RE relocation has no access string");
    std::vector<std::uint32_t> raw;
    for (const char *p = spec; *p;) {
        char *next = nullptr;
        unsigned long v = std::strtoul(p, &next, 10);
        if (next == p || v > 0xffffffffu)
            return unsupported(std::string("unreadable CO-RE access string '") + spec + "'");
        raw.push_back(static_cast<std::uint32_t>(v));
        p = *next == ':' ? next + 1 : next;
    }
    std::uint32_t id = 0;
    const btf_type *t = skipModsAndTypedefs(local, r.type_id, id);
    out = {{"", raw.empty() ? 0 : raw[0]}};
    for (std::size_t i = 1; i < raw.size(); i++) {
        t = skipModsAndTypedefs(local, id, id);
        if (t && btf_is_composite(t) && raw[i] < btf_vlen(t)) {
            const btf_member *m = btf_members(t) + raw[i];
            if (m->name_off)
                out.push_back({btf__name_by_offset(local, m->name_off), raw[i]});
            id = m->type;
        } else if (t && btf_is_array(t)) {
            skipModsAndTypedefs(local, btf_array(t)->type, id);
            out.push_back({"", raw[i]});
        } else {
            return unsupported(std::string("CO-RE access string '") + spec +
                               "' does not fit its type");
        }
    }
    return Status::OK();
}

constexpr std::uint32_t kUnmapped = 0xffffffffu;

bool isFieldKind(std::uint32_t kind) { return kind <= BPF_CORE_FIELD_RSHIFT_U64; }

// Collects the kernel types and members the relocations need, then writes them as a new BTF.
class Minimizer {
  public:
    Minimizer(const struct btf *local, const struct btf *kernel) : local_(local), kernel_(kernel) {}
    Status collect(const std::vector<CoreRelo> &relos);
    Result<CoreBtf> build() const;

  private:
    Status indexCandidates(const std::vector<CoreRelo> &relos);
    Status addRelocation(const CoreRelo &r);
    Status keepShape(std::uint32_t id);
    Status keepMember(std::uint32_t composite, std::uint32_t index);
    bool findMember(std::uint32_t composite, const std::string &name,
                    std::vector<std::pair<std::uint32_t, std::uint32_t>> &path) const;
    Status walkField(std::uint32_t candidate, const std::vector<Access> &path);
    Status emit(struct btf *out, std::uint32_t id,
                const std::unordered_map<std::uint32_t, std::uint32_t> &ids) const;

    const struct btf *local_;
    const struct btf *kernel_;
    // essential name -> kernel types of that name, for the names the relocations use
    std::unordered_map<std::string_view, std::vector<std::uint32_t>> by_name_;
    std::set<std::uint32_t> kept_;                              // kernel type ids
    std::map<std::uint32_t, std::set<std::uint32_t>> members_; // composite -> kept members
};

// One pass over the kernel types, bucketing those whose essential name a relocation wants.
Status Minimizer::indexCandidates(const std::vector<CoreRelo> &relos) {
    for (const CoreRelo &r : relos) {
        if (r.kind == BPF_CORE_TYPE_ID_LOCAL)
            continue;
        const btf_type *t = btf__type_by_id(local_, r.type_id);
        if (!t)
            return unsupported("a CO-RE relocation names type " + std::to_string(r.type_id) +
                               ", which the object's BTF lacks");
        std::string_view name = essentialName(btf__name_by_offset(local_, t->name_off));
        if (name.empty())
            return unsupported("a CO-RE relocation is against an anonymous type");
        by_name_.try_emplace(name);
    }
    std::uint32_t n = btf__type_cnt(kernel_);
    for (std::uint32_t id = 1; id < n; id++) {
        const btf_type *t = btf__type_by_id(kernel_, id);
        if (!t->name_off)
            continue;
        auto it = by_name_.find(essentialName(btf__name_by_offset(kernel_, t->name_off)));
        if (it != by_name_.end())
            it->second.push_back(id);
    }
    return Status::OK();
}

Status Minimizer::collect(const std::vector<CoreRelo> &relos) {
    if (Status s = indexCandidates(relos); !s.ok())
        return s;
    for (const CoreRelo &r : relos)
        if (Status s = addRelocation(r); !s.ok())
            return s;
    return Status::OK();
}

Status Minimizer::addRelocation(const CoreRelo &r) {
    switch (r.kind) {
    case BPF_CORE_TYPE_ID_LOCAL:
        return Status::OK(); // resolved in the object's own BTF
    case BPF_CORE_TYPE_ID_TARGET:
        return unsupported("a bpf_core_type_id_kernel relocation wants kernel type ids, "
                           "which a minimized BTF renumbers");
    case BPF_CORE_TYPE_MATCHES:
        return unsupported("a bpf_core_type_matches relocation compares whole types");
    default:
        if (r.kind > BPF_CORE_TYPE_MATCHES)
            return unsupported("unknown CO-RE relocation kind " + std::to_string(r.kind));
    }
    const btf_type *local_t = btf__type_by_id(local_, r.type_id);
    std::string_view name = essentialName(btf__name_by_offset(local_, local_t->name_off));
    std::vector<Access> path;
    if (isFieldKind(r.kind))
        if (Status s = parseAccessPath(local_, r, path); !s.ok())
            return s;
    std::size_t candidates = 0;
    for (std::uint32_t id : by_name_.at(name)) {
        if (!btf_kind_core_compat(btf__type_by_id(kernel_, id), local_t))
            continue;
        candidates++;
        Status s = keepShape(id);
        if (s.ok() && isFieldKind(r.kind))
            s = walkField(id, path);
        if (!s.ok())
            return s;
    }
    if (candidates == 0) // libbpf would go on to search kernel module BTFs
        return unsupported("no kernel type '" + std::string(name) + "' in vmlinux BTF");
    return Status::OK();
}

// Keeps ID with everything libbpf's checks read from it: kind, name, size, int encoding, enum
// values, array bounds, and (recursively) what it refers to. Structs and unions are kept as
// shells (name and size); their members come only through keepMember.
Status Minimizer::keepShape(std::uint32_t id) {
    if (id == 0 || !kept_.insert(id).second)
        return Status::OK();
    const btf_type *t = btf__type_by_id(kernel_, id);
    switch (btf_kind(t)) {
    case BTF_KIND_INT:
    case BTF_KIND_FLOAT:
    case BTF_KIND_ENUM:
    case BTF_KIND_ENUM64:
    case BTF_KIND_FWD:
    case BTF_KIND_STRUCT:
    case BTF_KIND_UNION:
        return Status::OK();
    case BTF_KIND_PTR:
    case BTF_KIND_TYPEDEF:
    case BTF_KIND_VOLATILE:
    case BTF_KIND_CONST:
    case BTF_KIND_RESTRICT:
    case BTF_KIND_TYPE_TAG:
        return keepShape(t->type);
    case BTF_KIND_ARRAY:
        if (Status s = keepShape(btf_array(t)->type); !s.ok())
            return s;
        return keepShape(btf_array(t)->index_type);
    case BTF_KIND_FUNC_PROTO:
        for (std::uint16_t i = 0; i < btf_vlen(t); i++)
            if (Status s = keepShape(btf_params(t)[i].type); !s.ok())
                return s;
        return keepShape(t->type);
    default:
        return unsupported("kernel type " + std::to_string(id) + " has BTF kind " +
                           std::to_string(btf_kind(t)) + ", unexpected on a CO-RE path");
    }
}

Status Minimizer::keepMember(std::uint32_t composite, std::uint32_t index) {
    if (Status s = keepShape(composite); !s.ok())
        return s;
    members_[composite].insert(index);
    return keepShape(btf_members(btf__type_by_id(kernel_, composite))[index].type);
}

// libbpf's member search: NAME among COMPOSITE's members, depth first through anonymous
// struct/union members. PATH gets (composite, member index) from COMPOSITE to the member.
bool Minimizer::findMember(std::uint32_t composite, const std::string &name,
                           std::vector<std::pair<std::uint32_t, std::uint32_t>> &path) const {
    std::uint32_t id = 0;
    const btf_type *t = skipModsAndTypedefs(kernel_, composite, id);
    if (!t || !btf_is_composite(t))
        return false;
    const btf_member *m = btf_members(t);
    for (std::uint32_t i = 0; i < btf_vlen(t); i++, m++) {
        path.emplace_back(id, i);
        if (!m->name_off) {
            if (findMember(m->type, name, path))
                return true;
        } else if (name == btf__name_by_offset(kernel_, m->name_off)) {
            return true; // C member names are unique, anonymous members included
        }
        path.pop_back();
    }
    return false;
}

// Follows PATH through kernel type CANDIDATE as libbpf's spec matching does, keeping every
// member it passes. Where libbpf would stop (no such member, not an array), so does this: the
// minimized candidate then fails to match exactly as the full one does.
Status Minimizer::walkField(std::uint32_t candidate, const std::vector<Access> &path) {
    std::uint32_t id = candidate, last_composite = 0, last_index = 0;
    for (std::size_t i = 0; i < path.size(); i++) {
        const btf_type *t = skipModsAndTypedefs(kernel_, id, id);
        if (!t)
            return unsupported("kernel BTF type " + std::to_string(id) + " is missing");
        if (!path[i].name.empty()) {
            std::vector<std::pair<std::uint32_t, std::uint32_t>> found;
            if (!findMember(id, path[i].name, found))
                return Status::OK();
            for (auto [composite, index] : found)
                if (Status s = keepMember(composite, index); !s.ok())
                    return s;
            std::tie(last_composite, last_index) = found.back();
            id = btf_members(btf__type_by_id(kernel_, last_composite))[last_index].type;
        } else if (i > 0) {
            if (!btf_is_array(t))
                return Status::OK();
            // A flexible array is recognized by being its struct's last member: keep the real
            // last member too, so that dropping members cannot make a [0] array flexible.
            const btf_type *holder = btf__type_by_id(kernel_, last_composite);
            if (btf_array(t)->nelems == 0 && !path[i - 1].name.empty() && btf_vlen(holder) > 0)
                if (Status s = keepMember(last_composite, btf_vlen(holder) - 1); !s.ok())
                    return s;
            id = btf_array(t)->type;
        }
    }
    return Status::OK();
}

// The minimized id of kernel type ID. Every reference of a kept type is kept by construction;
// should one not be, it maps to an id past the end, which btf__add_field / the final check
// reject (a wrong BTF must never be written).
std::uint32_t mapped(const std::unordered_map<std::uint32_t, std::uint32_t> &ids,
                     std::uint32_t id) {
    if (id == 0)
        return 0;
    auto it = ids.find(id);
    return it == ids.end() ? kUnmapped : it->second;
}

// Appends kernel type ID to OUT: structs and unions with their kept members only, every other
// kind copied whole with its type references renumbered.
Status Minimizer::emit(struct btf *out, std::uint32_t id,
                       const std::unordered_map<std::uint32_t, std::uint32_t> &ids) const {
    const btf_type *t = btf__type_by_id(kernel_, id);
    const char *name = t->name_off ? btf__name_by_offset(kernel_, t->name_off) : nullptr;
    bool unmapped = false;
    auto map = [&](std::uint32_t ref) {
        std::uint32_t m = mapped(ids, ref);
        unmapped |= m == kUnmapped;
        return m;
    };
    int err = 0;
    if (btf_is_composite(t)) {
        err = btf_is_struct(t) ? btf__add_struct(out, name, t->size)
                               : btf__add_union(out, name, t->size);
        auto kept = members_.find(id);
        if (err > 0 && kept != members_.end())
            for (std::uint32_t i : kept->second) {
                const btf_member *m = btf_members(t) + i;
                const char *mname = m->name_off ? btf__name_by_offset(kernel_, m->name_off)
                                                : nullptr;
                int e = btf__add_field(out, mname, static_cast<int>(map(m->type)),
                                       btf_member_bit_offset(t, i), btf_member_bitfield_size(t, i));
                err = e < 0 ? e : err;
            }
    } else if ((err = btf__add_type(out, kernel_, t)) > 0) {
        // btf__add_type copies type ids verbatim; the copy is ours to renumber in place.
        auto *copy = const_cast<btf_type *>(btf__type_by_id(out, err));
        if (btf_is_ptr(copy) || btf_is_typedef(copy) || btf_is_mod(copy) || btf_is_func_proto(copy))
            copy->type = map(copy->type);
        if (btf_is_array(copy)) {
            btf_array(copy)->type = map(btf_array(copy)->type);
            btf_array(copy)->index_type = map(btf_array(copy)->index_type);
        }
        for (std::uint16_t i = 0; btf_is_func_proto(copy) && i < btf_vlen(copy); i++)
            btf_params(copy)[i].type = map(btf_params(copy)[i].type);
    }
    if (err < 0 || unmapped)
        return unsupported("cannot copy kernel type " + std::to_string(id) + " (" +
                           (name ? name : "anonymous") + "): " +
                           (unmapped ? "it refers to a type that was not kept" : errnoText(err)));
    return Status::OK();
}

Result<CoreBtf> Minimizer::build() const {
    std::unordered_map<std::uint32_t, std::uint32_t> ids; // kernel id -> minimized id
    for (std::uint32_t id : kept_)
        ids.emplace(id, static_cast<std::uint32_t>(ids.size() + 1));
    BtfPtr out(btf__new_empty());
    if (!out)
        return errnoStatus(errno, "no minimized kernel BTF: cannot create a BTF");
    for (std::uint32_t id : kept_) // ascending: the kernel's order, so the output is stable
        if (Status s = emit(out.get(), id, ids); !s.ok())
            return s;
    std::uint32_t size = 0;
    const void *raw = btf__raw_data(out.get(), &size);
    if (!raw)
        return errnoStatus(errno, "no minimized kernel BTF: cannot serialize it");
    CoreBtf result;
    result.btf.assign(static_cast<const std::uint8_t *>(raw),
                      static_cast<const std::uint8_t *>(raw) + size);
    result.types = kept_.size();
    return result;
}

// The object's CO-RE relocation records and its own BTF (null when there are no records).
Status readObject(const std::vector<std::uint8_t> &elf, std::vector<CoreRelo> &relos,
                  BtfPtr &local) {
    Span btf_sec, ext_sec;
    if (Status s = findSection(elf, ".BTF.ext", ext_sec); !s.ok())
        return s;
    if (Status s = readCoreRelos(ext_sec, relos); !s.ok() || relos.empty())
        return s;
    if (Status s = findSection(elf, ".BTF", btf_sec); !s.ok())
        return s;
    local.reset(btf__new(btf_sec.data, static_cast<std::uint32_t>(btf_sec.size)));
    if (!local)
        return unsupported("the object's .BTF does not parse: " + errnoText(errno));
    return Status::OK();
}

} // namespace

Result<std::size_t> countCoreRelocations(const std::vector<std::uint8_t> &elf) {
    Span ext;
    std::vector<CoreRelo> relos;
    if (Status s = findSection(elf, ".BTF.ext", ext); !s.ok())
        return s;
    if (Status s = readCoreRelos(ext, relos); !s.ok())
        return s;
    return relos.size();
}

Result<CoreBtf> minimizeCoreBtf(const std::vector<std::uint8_t> &elf, const struct btf *kernel) {
    std::vector<CoreRelo> relos;
    BtfPtr local;
    if (Status s = readObject(elf, relos, local); !s.ok())
        return s;
    if (relos.empty())
        return CoreBtf{};
    Minimizer minimizer(local.get(), kernel);
    if (Status s = minimizer.collect(relos); !s.ok())
        return s;
    Result<CoreBtf> built = minimizer.build();
    if (built.ok())
        built->relocations = relos.size();
    return built;
}

Result<CoreBtf> minimizeCoreBtf(const std::vector<std::uint8_t> &elf,
                                const std::string &kernel_btf_path) {
    Result<std::size_t> count = countCoreRelocations(elf);
    if (!count.ok() || *count == 0)
        return count.ok() ? Result<CoreBtf>(CoreBtf{}) : Result<CoreBtf>(count.status());
    BtfPtr kernel(btf__parse(kernel_btf_path.c_str(), nullptr));
    if (!kernel)
        return errnoStatus(errno, "no minimized kernel BTF: cannot parse " + kernel_btf_path);
    return minimizeCoreBtf(elf, kernel.get());
}

} // namespace jitprobe::frontend
