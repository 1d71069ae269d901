// libjitprobe-symbolizer.so: kernel addresses through /proc/kallsyms, user addresses through
// /proc/PID/maps + llvm::symbolize::LLVMSymbolizer (DWARF, then ELF symbol tables).
#include "SymbolizerApi.h"

#include <llvm/DebugInfo/Symbolize/Symbolize.h>

#include <elf.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct KernelSymbol {
    uint64_t addr;
    std::string name;
    std::string module; // empty for vmlinux
};

// One line of /proc/PID/maps that maps a file.
struct Mapping {
    uint64_t start, end, file_offset;
    std::string path;
};

std::string baseName(const std::string &path) {
    auto slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::vector<KernelSymbol> readKallsyms() {
    std::vector<KernelSymbol> syms;
    std::ifstream in("/proc/kallsyms");
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string addr, type, name, module;
        if (!(fields >> addr >> type >> name))
            continue;
        char t = static_cast<char>(std::tolower(static_cast<unsigned char>(type[0])));
        if (t != 't' && t != 'w')
            continue; // only text symbols can appear in stacks
        fields >> module;
        if (module.size() > 2)
            module = module.substr(1, module.size() - 2); // "[mod]" -> "mod"
        syms.push_back({std::strtoull(addr.c_str(), nullptr, 16), name, module});
    }
    std::sort(syms.begin(), syms.end(), [](const auto &a, const auto &b) { return a.addr < b.addr; });
    return syms;
}

std::vector<Mapping> parseMaps(const std::string &text) {
    std::vector<Mapping> maps;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        uint64_t start, end, offset;
        char perms[8], path[4096] = "";
        unsigned dev_major, dev_minor;
        unsigned long inode;
        int n = std::sscanf(line.c_str(), "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64 " %x:%x %lu %4095[^\n]",
                            &start, &end, perms, &offset, &dev_major, &dev_minor, &inode, path);
        if (n < 8 || path[0] != '/')
            continue;
        std::string p = path;
        if (auto del = p.find(" (deleted)"); del != std::string::npos)
            p.erase(del);
        maps.push_back({start, end, offset, p});
    }
    return maps;
}

std::string readFile(const std::string &path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// LLVMSymbolizer wants the ELF virtual address; a mapping gives a file offset. The PT_LOAD
// segment containing the offset converts one into the other (no-op for most shared libraries).
bool fileOffsetToVaddr(const std::string &path, uint64_t offset, uint64_t &vaddr) {
    std::ifstream in(path, std::ios::binary);
    Elf64_Ehdr eh{};
    if (!in.read(reinterpret_cast<char *>(&eh), sizeof eh) || std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
        eh.e_ident[EI_CLASS] != ELFCLASS64)
        return false;
    for (unsigned i = 0; i < eh.e_phnum; ++i) {
        Elf64_Phdr ph{};
        in.seekg(static_cast<std::streamoff>(eh.e_phoff + i * sizeof(Elf64_Phdr)));
        if (!in.read(reinterpret_cast<char *>(&ph), sizeof ph))
            return false;
        if (ph.p_type == PT_LOAD && offset >= ph.p_offset && offset < ph.p_offset + ph.p_filesz) {
            vaddr = offset - ph.p_offset + ph.p_vaddr;
            return true;
        }
    }
    return false;
}

size_t emit(const std::string &text, char *buf, size_t len) {
    if (len > 0) {
        size_t n = std::min(text.size(), len - 1);
        std::memcpy(buf, text.data(), n);
        buf[n] = '\0';
    }
    return text.size();
}

std::string hex(uint64_t v) {
    char b[32];
    std::snprintf(b, sizeof b, "0x%" PRIx64, v);
    return b;
}

class Symbolizer {
  public:
    std::string kernel(uint64_t addr) {
        if (!kallsyms_loaded_) {
            kallsyms_ = readKallsyms();
            kallsyms_loaded_ = true;
        }
        auto it = std::upper_bound(kallsyms_.begin(), kallsyms_.end(), addr,
                                   [](uint64_t a, const KernelSymbol &s) { return a < s.addr; });
        if (it == kallsyms_.begin())
            return {};
        --it;
        std::string out = it->name + "+" + hex(addr - it->addr);
        if (!it->module.empty())
            out += " [" + it->module + "]";
        return out;
    }

    std::string user(int pid, uint64_t addr) {
        const std::vector<Mapping> &maps = mapsOf(pid);
        auto it = std::find_if(maps.begin(), maps.end(), [&](const Mapping &m) { return addr >= m.start && addr < m.end; });
        if (it == maps.end())
            return {};
        uint64_t offset = addr - it->start + it->file_offset, vaddr = offset;
        fileOffsetToVaddr(it->path, offset, vaddr);
        std::string module = " [" + baseName(it->path) + "]";
        auto info = llvm_.symbolizeCode(it->path, {vaddr, llvm::object::SectionedAddress::UndefSection});
        if (!info || info->FunctionName == llvm::DILineInfo::BadString) {
            if (!info)
                llvm::consumeError(info.takeError());
            return hex(offset) + module;
        }
        std::string out = info->FunctionName;
        if (info->StartAddress)
            out += "+" + hex(vaddr - *info->StartAddress);
        return out + module;
    }

    void rememberMaps(int pid, const char *text) { maps_[pid] = parseMaps(text ? text : ""); }

  private:
    const std::vector<Mapping> &mapsOf(int pid) {
        auto it = maps_.find(pid);
        if (it != maps_.end() && !it->second.empty())
            return it->second;
        std::vector<Mapping> fresh = parseMaps(readFile("/proc/" + std::to_string(pid) + "/maps"));
        return maps_[pid] = std::move(fresh);
    }

    llvm::symbolize::LLVMSymbolizer llvm_{[] {
        llvm::symbolize::LLVMSymbolizer::Options opts;
        opts.Demangle = true;
        opts.UseSymbolTable = true;
        return opts;
    }()};
    bool kallsyms_loaded_ = false;
    std::vector<KernelSymbol> kallsyms_;
    std::map<int, std::vector<Mapping>> maps_;
};

Symbolizer *self(void *handle) { return static_cast<Symbolizer *>(handle); }

const jitprobe_symbolizer_ops kApi = {
    JITPROBE_SYMBOLIZER_ABI,
    []() -> void * { return new Symbolizer(); },
    [](void *h) { delete self(h); },
    [](void *h, uint64_t addr, char *buf, size_t len) { return emit(self(h)->kernel(addr), buf, len); },
    [](void *h, int pid, uint64_t addr, char *buf, size_t len) { return emit(self(h)->user(pid, addr), buf, len); },
    [](void *h, int pid, const char *text) { self(h)->rememberMaps(pid, text); },
};

} // namespace

extern "C" const jitprobe_symbolizer_ops *jitprobe_symbolizer_api(void) { return &kApi; }
