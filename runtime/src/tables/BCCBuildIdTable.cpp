// BCC's BPFStackBuildIdTable: stacks of (build id, file offset) frames, symbolized with the
// FUNC symbols of the ELF files BPF::add_module registered under their GNU build ids.
#include "jitprobe/BCCTables.h"

#include "jitprobe/common/ElfFile.h"

#include <cerrno>
#include <cstdio>

namespace jitprobe {
namespace {

std::string hex(const unsigned char *bytes, size_t n) {
    std::string out;
    char buf[3];
    for (size_t i = 0; i < n; i++) {
        std::snprintf(buf, sizeof(buf), "%02x", bytes[i]);
        out += buf;
    }
    return out;
}

// The function symbol of ELF covering file offset OFFSET, or "" when none does.
std::string symbolAtOffset(const common::ElfFile &elf, uint64_t offset) {
    std::string name;
    elf.forEachSymbol([&](const GElf_Sym &sym, const char *sym_name) {
        if (!name.empty() || GELF_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_size == 0 ||
            !sym_name || !*sym_name)
            return;
        auto start = elf.vaddrToFileOffset(sym.st_value);
        if (start.ok() && offset >= *start && offset < *start + sym.st_size)
            name = sym_name;
    });
    return name;
}

} // namespace

Result<std::string> elf_build_id(const std::string &path) {
    auto elf = common::ElfFile::open(path);
    if (!elf.ok())
        return elf.status();
    std::string id;
    elf->forEachSection([&](Elf_Scn *scn, const GElf_Shdr &shdr, std::string_view) {
        Elf_Data *data = shdr.sh_type == SHT_NOTE ? elf_getdata(scn, nullptr) : nullptr;
        GElf_Nhdr note;
        size_t off = 0, name_off = 0, desc_off = 0;
        while (data && (off = gelf_getnote(data, off, &note, &name_off, &desc_off)) > 0) {
            auto bytes = static_cast<const unsigned char *>(data->d_buf);
            if (note.n_type == NT_GNU_BUILD_ID && note.n_namesz == 4 &&
                std::memcmp(bytes + name_off, "GNU", 4) == 0) {
                id = hex(bytes + desc_off, note.n_descsz);
                return false;
            }
        }
        return true;
    });
    if (id.empty())
        return Status(ENOENT, path + ": no GNU build id note");
    return id;
}

BPFStackBuildIdTable::BPFStackBuildIdTable(BPFTableRaw raw, std::shared_ptr<const Modules> modules)
    : BPFTableBase(std::move(raw)), modules_(std::move(modules)) {
    require(detail::requireMapType(raw_, {BPF_MAP_TYPE_STACK_TRACE}, "a stack_trace map"));
    if (valid() && raw_.value_size() % sizeof(bpf_stack_build_id) != 0)
        require(Status(EINVAL, "map '" + raw_.name() +
                                   "' holds addresses, not build ids: use get_stack_table"));
}

std::vector<bpf_stack_build_id> BPFStackBuildIdTable::get_stack_addr(int stack_id) const {
    std::vector<bpf_stack_build_id> frames;
    if (!valid() || stack_id < 0)
        return frames;
    frames.resize(raw_.value_size() / sizeof(bpf_stack_build_id));
    uint32_t id = static_cast<uint32_t>(stack_id);
    if (!raw_.lookup(&id, frames.data()).ok())
        return {};
    size_t n = 0;
    while (n < frames.size() && frames[n].status == BPF_STACK_BUILD_ID_VALID)
        n++;
    frames.resize(n);
    return frames;
}

std::vector<std::string> BPFStackBuildIdTable::get_stack_symbol(int stack_id) const {
    std::vector<std::string> names;
    std::map<std::string, std::optional<common::ElfFile>> opened; // by build id, this call
    for (const bpf_stack_build_id &f : get_stack_addr(stack_id)) {
        std::string id = hex(f.build_id, sizeof(f.build_id));
        std::string name;
        if (auto m = modules_ ? modules_->find(id) : Modules::const_iterator();
            modules_ && m != modules_->end()) {
            auto [it, fresh] = opened.try_emplace(id);
            if (fresh)
                if (auto elf = common::ElfFile::open(m->second); elf.ok())
                    it->second.emplace(std::move(*elf));
            if (it->second)
                name = symbolAtOffset(*it->second, f.offset);
        }
        names.push_back(name.empty() ? "[UNKNOWN]" : name);
    }
    return names;
}

} // namespace jitprobe
