#include "BinaryLookup.h"

#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string_view>

namespace jitprobe::detail {
namespace {

// glibc's ld.so.cache "new" format (elf/cache.c, dl-cache.h): a 48-byte header, then entries of
// {int32 flags; uint32 key, value; uint32 osversion; uint64 hwcap}, string offsets counted from
// the header. Older files put this part after an "ld.so-1.7.0" table, hence the search for it.
constexpr std::string_view kMagic = "glibc-ld.so.cache1.1";
constexpr size_t kHeader = 48, kEntry = 24;
#if defined(__x86_64__)
constexpr int32_t kNativeFlags = 0x0303; // FLAG_ELF_LIBC6 | FLAG_X8664_LIB64
#elif defined(__aarch64__)
constexpr int32_t kNativeFlags = 0x0a03; // FLAG_ELF_LIBC6 | FLAG_AARCH64_LIB64
#else
constexpr int32_t kNativeFlags = -1; // any
#endif

uint32_t u32(const std::string &data, size_t at) {
    uint32_t v = 0;
    std::memcpy(&v, data.data() + at, sizeof v);
    return v;
}

std::string cString(const std::string &data, size_t base, uint32_t off) {
    if (base + off >= data.size())
        return "";
    const char *p = data.data() + base + off;
    return std::string(p, strnlen(p, data.size() - base - off));
}

std::string baseName(const std::string &path) {
    auto slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

Result<std::string> fromMaps(const std::string &name, pid_t pid) {
    std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
    if (!maps)
        return Status(ESRCH, "cannot read /proc/" + std::to_string(pid) + "/maps");
    for (std::string line; std::getline(maps, line);) {
        auto slash = line.find('/');
        if (slash != std::string::npos && line.find(" (deleted)") == std::string::npos &&
            shortNameMatches(name, baseName(line.substr(slash))))
            return line.substr(slash);
    }
    return Status(ENOENT, "process " + std::to_string(pid) + " maps no file named like '" +
                              name + "'");
}

std::string searchDirs(const std::string &name, const std::string &dirs, bool library) {
    std::stringstream in(dirs);
    for (std::string dir; std::getline(in, dir, ':');)
        if (!dir.empty() && ::access((dir + "/" + name).c_str(), library ? R_OK : X_OK) == 0)
            return dir + "/" + name;
    return "";
}

} // namespace

bool shortNameMatches(const std::string &name, const std::string &file_name) {
    for (const std::string &stem : {name, "lib" + name}) {
        if (stem != name && name.starts_with("lib"))
            continue;
        if (file_name == stem || (file_name.starts_with(stem) &&
                                  file_name.compare(stem.size(), 3, ".so") == 0 &&
                                  (file_name.size() == stem.size() + 3 ||
                                   file_name[stem.size() + 3] == '.')))
            return true;
    }
    return false;
}

Result<std::string> libraryFromLdCache(const std::string &name, const std::string &cache_path) {
    std::ifstream in(cache_path, std::ios::binary);
    if (!in)
        return Status(ENOENT, "cannot read " + cache_path);
    std::ostringstream buf;
    buf << in.rdbuf();
    const std::string text = buf.str();
    const std::string *data = &text;
    size_t base = data->find(kMagic);
    if (base == std::string::npos || data->size() < base + kHeader)
        return Status(ENOEXEC, cache_path + ": no glibc ld.so.cache 1.1 table");
    uint32_t count = u32(*data, base + kMagic.size());
    for (size_t i = 0; i < count && base + kHeader + (i + 1) * kEntry <= data->size(); i++) {
        size_t at = base + kHeader + i * kEntry;
        int32_t flags = static_cast<int32_t>(u32(*data, at));
        if (kNativeFlags != -1 && flags != kNativeFlags)
            continue;
        if (shortNameMatches(name, cString(*data, base, u32(*data, at + 4))))
            return cString(*data, base, u32(*data, at + 8));
    }
    return Status(ENOENT, "library '" + name + "' is not in " + cache_path);
}

Result<std::string> resolveShortBinary(const std::string &name, pid_t pid) {
    if (pid > 0)
        return fromMaps(name, pid);
    const bool library = name.starts_with("lib") || name.find(".so") != std::string::npos;
    const char *env = ::secure_getenv(library ? "LD_LIBRARY_PATH" : "PATH");
    std::string env_dirs = env ? env : "";
    if (std::string found = searchDirs(name, env_dirs, library); !found.empty())
        return found;
    if (library) {
        if (auto cached = libraryFromLdCache(name); cached.ok())
            return cached;
        std::string found = searchDirs(name, "/usr/lib64:/usr/lib:/lib64:/lib:"
                                             "/usr/lib/x86_64-linux-gnu:/usr/lib/aarch64-linux-gnu",
                                       true);
        if (!found.empty())
            return found;
    }
    return Status(ENOENT, "binary '" + name + "' not found in " +
                              (library ? "the loader's cache (/etc/ld.so.cache), "
                                         "$LD_LIBRARY_PATH or the system library directories"
                                       : "$PATH"));
}

} // namespace jitprobe::detail
