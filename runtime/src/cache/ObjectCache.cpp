// Object cache entries: keys, the verified on-disk format, lookup/store, the kernel BTF digest,
// stats and clear. Directory trust and file I/O live in CacheDirectory.cpp.
#include "ObjectCache.h"
#include "jitprobe/common/Files.h"

#include "jitprobe/common/Errors.h"
#include "jitprobe/common/Sha256.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <sstream>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <utility>

#ifndef JITPROBE_VERSION
#define JITPROBE_VERSION "unknown"
#endif
#ifndef JITPROBE_LLVM_VERSION
#define JITPROBE_LLVM_VERSION "unknown"
#endif

namespace jitprobe::detail {
namespace {

using frontend::Sha256;

constexpr char kMagic[8] = {'J', 'P', 'O', 'B', 'J', 'C', 'A', '1'};
// Version 2 added the minimized kernel BTF; a version 1 entry is rebuilt once.
constexpr std::uint32_t kFormatVersion = 2;
constexpr std::size_t kHeaderSize = 48; // magic, version, reserved, 4 x u64 length
constexpr std::size_t kDigestSize = 32;
constexpr const char *kEntrySuffix = ".entry";

void putU64(std::string &out, std::uint64_t v) {
    for (int i = 0; i < 8; i++)
        out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::uint64_t getU64(const std::string &in, std::size_t at) {
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | static_cast<unsigned char>(in[at + i]);
    return v;
}

// Length-prefixed, so ("ab","c") and ("a","bc") never hash alike.
void field(Sha256 &sha, std::string_view bytes) {
    std::string len;
    putU64(len, bytes.size());
    sha.update(len);
    sha.update(bytes);
}

std::string baseName(const std::string &path) {
    auto slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string digestOf(const std::string &key, const std::string &bytes, std::size_t payload_len) {
    Sha256 sha;
    field(sha, key);
    sha.update(bytes.data(), kHeaderSize);
    sha.update(bytes.data() + kHeaderSize + kDigestSize, payload_len);
    auto d = sha.finish();
    return std::string(d.begin(), d.end());
}

std::string readBootId() {
    std::ifstream in("/proc/sys/kernel/random/boot_id");
    std::string id;
    std::getline(in, id);
    return id;
}

Result<std::string> hashFile(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return errnoStatus(errno ? errno : ENOENT, "kernel BTF " + path + ": cannot read");
    Sha256 sha;
    std::vector<char> buf(1 << 16);
    while (in.read(buf.data(), buf.size()) || in.gcount() > 0)
        sha.update(buf.data(), static_cast<std::size_t>(in.gcount()));
    return sha.finishHex();
}

constexpr const char *kIdentifierChars =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789";

// SOURCE as the preprocessor reads its directives: trigraph ??= and digraph %: as '#',
// backslash-newline splices joined, comments replaced by a space (string and character
// literals kept, so a "/*" inside one hides nothing). Keeps the lines of directives intact.
std::string preprocessorView(const std::string &source) {
    std::string joined;
    for (std::size_t i = 0; i < source.size(); ++i) {
        if (source.compare(i, 3, "?\?=") == 0 || source.compare(i, 2, "%:") == 0) {
            joined += '#';
            i += source[i] == '?' ? 2 : 1;
        } else if (source[i] == '\\' && i + 1 < source.size() && source[i + 1] == '\n') {
            ++i;
        } else {
            joined += source[i];
        }
    }
    std::string out;
    char quote = 0;
    for (std::size_t i = 0; i < joined.size(); ++i) {
        char c = joined[i];
        if (quote) {
            out += c;
            if (c == '\\' && i + 1 < joined.size())
                out += joined[++i];
            else if (c == quote || c == '\n')
                quote = 0;
        } else if (joined.compare(i, 2, "//") == 0) {
            i = std::min(joined.find('\n', i), joined.size()) - 1;
            out += ' ';
        } else if (joined.compare(i, 2, "/*") == 0) {
            std::size_t close = joined.find("*/", i + 2);
            i = close == std::string::npos ? joined.size() : close + 1;
            out += ' ';
        } else {
            if (c == '"' || c == '\'')
                quote = c;
            out += c;
        }
    }
    return out;
}

} // namespace

std::string cacheKey(const CacheKeyInputs &in) {
    Sha256 sha;
    field(sha, "jitprobe-object-cache-v1");
    field(sha, JITPROBE_VERSION);
    field(sha, JITPROBE_LLVM_VERSION);
    field(sha, in.frontend_id);
    field(sha, in.btf_digest);
    field(sha, baseName(in.file_name));
    field(sha, in.source);
    field(sha, std::to_string(in.cflags.size()));
    for (const std::string &flag : in.cflags)
        field(sha, flag);
    return sha.finishHex();
}

std::string uncacheableReason(const std::string &source, const std::vector<std::string> &cflags) {
    for (const std::string &f : cflags)
        for (const char *p : {"-I", "-include", "-isystem", "-iquote", "-idirafter", "--include"})
            if (f.starts_with(p))
                return "cflag '" + f + "' names user headers, whose contents the cache key cannot see";
    // Every spelling of an include directive (#, %:, ??=, comments or splices inside it).
    std::istringstream lines(preprocessorView(source));
    for (std::string line; std::getline(lines, line);) {
        std::size_t hash = line.find_first_not_of(" \t");
        if (hash == std::string::npos || line[hash] != '#')
            continue;
        std::size_t name = std::min(line.find_first_not_of(" \t", hash + 1), line.size());
        std::size_t end = std::min(line.find_first_not_of(kIdentifierChars, name), line.size());
        std::string directive = line.substr(name, end - name);
        if (directive != "include" && directive != "include_next" && directive != "import" &&
            directive != "embed")
            continue;
        // #include "file", #include </abs/path>, #include MACRO, #import, #embed: a user file.
        std::size_t arg = line.find_first_not_of(" \t", end);
        bool embedded = directive == "include" && arg != std::string::npos && line[arg] == '<' &&
                        line.compare(arg, 2, "</") != 0;
        if (!embedded)
            return "the source includes a user header, whose contents the cache key cannot see";
    }
    return "";
}

std::string encodeEntry(const std::string &key, const CacheEntry &e) {
    std::string out(kMagic, sizeof kMagic);
    for (std::uint32_t v : {kFormatVersion, 0u})
        for (int i = 0; i < 4; i++)
            out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    putU64(out, e.elf.size());
    putU64(out, e.info_json.size());
    putU64(out, e.rewritten.size());
    putU64(out, e.core_btf.size());
    out.append(kDigestSize, '\0');
    out.append(reinterpret_cast<const char *>(e.elf.data()), e.elf.size());
    out += e.info_json;
    out += e.rewritten;
    out.append(reinterpret_cast<const char *>(e.core_btf.data()), e.core_btf.size());
    std::string digest = digestOf(key, out, out.size() - kHeaderSize - kDigestSize);
    out.replace(kHeaderSize, kDigestSize, digest);
    return out;
}

Result<CacheEntry> decodeEntry(const std::string &key, const std::string &bytes) {
    if (bytes.size() < kHeaderSize + kDigestSize || bytes.compare(0, 8, kMagic, 8) != 0)
        return Status(EBADMSG, "not a jitprobe cache entry (bad header or truncated)");
    std::uint32_t version = static_cast<std::uint32_t>(getU64(bytes, 8) & 0xffffffffu);
    if (version != kFormatVersion)
        return Status(EBADMSG, "entry format version " + std::to_string(version) + ", expected " +
                                   std::to_string(kFormatVersion));
    std::uint64_t elf = getU64(bytes, 16), info = getU64(bytes, 24), rw = getU64(bytes, 32);
    std::uint64_t btf = getU64(bytes, 40);
    std::uint64_t payload = bytes.size() - kHeaderSize - kDigestSize;
    if (elf > payload || info > payload || rw > payload || btf > payload || elf + info + rw + btf != payload)
        return Status(EBADMSG, "entry lengths do not match its size (truncated or tampered)");
    if (digestOf(key, bytes, payload) != bytes.substr(kHeaderSize, kDigestSize))
        return Status(EBADMSG, "entry SHA-256 mismatch (corrupted or tampered)");
    const char *p = bytes.data() + kHeaderSize + kDigestSize;
    CacheEntry out;
    out.elf.assign(p, p + elf);
    out.info_json.assign(p + elf, info);
    out.rewritten.assign(p + elf + info, rw);
    out.core_btf.assign(p + elf + info + rw, p + elf + info + rw + btf);
    return out;
}

Result<ObjectCache> ObjectCache::open(const std::string &dir) {
    std::string path = dir.empty() ? defaultCacheDirectory() : dir;
    if (path.empty())
        return Status(ENOENT, "no cache directory: neither JITPROBE_CACHE_DIR, XDG_CACHE_HOME "
                              "nor HOME is set");
    while (path.size() > 1 && path.back() == '/')
        path.pop_back();
    ObjectCache cache;
    cache.dir_ = path;
    // kernel-types/ holds the frontend's PCH: it must be just as private.
    for (auto [sub, fd] : {std::pair{"", &cache.dir_fd_}, {"/objects", &cache.objects_fd_},
                           {"/kernel-types", &cache.kernel_types_fd_}}) {
        Result<int> opened = openTrustedDirectory(path + sub, true);
        if (!opened.ok())
            return opened.status();
        fd->reset(*opened);
    }
    return cache;
}

std::string ObjectCache::entryPath(const std::string &key) const {
    return dir_ + "/objects/" + key + kEntrySuffix;
}

Result<std::string> ObjectCache::kernelBtfDigest(const std::string &btf_path) {
    struct stat st {};
    if (::stat(btf_path.c_str(), &st) != 0)
        return errnoStatus(errno, "kernel BTF " + btf_path + ": cannot stat");
    std::string stamp = btf_path + " " + std::to_string(st.st_size) + " " +
                        std::to_string(st.st_mtim.tv_sec) + "." +
                        std::to_string(st.st_mtim.tv_nsec) + " " + std::to_string(st.st_ino) +
                        " " + std::to_string(st.st_dev) + " " + readBootId() + " ";
    std::string name = "btf-" + frontend::sha256Hex(btf_path).substr(0, 16) + ".digest";
    Result<std::string> text = readOwnFile(kernel_types_fd_.get(), name, 4096);
    if (text.ok() && text->size() == stamp.size() + 65 && text->compare(0, stamp.size(), stamp) == 0 &&
        text->back() == '\n')
        return text->substr(stamp.size(), 64);
    Result<std::string> digest = hashFile(btf_path);
    if (digest.ok())
        (void)common::writeFileAtomically(kernel_types_fd_.get(), name, stamp + *digest + "\n");
    return digest;
}

CacheLookup ObjectCache::lookup(const std::string &key, CacheEntry &out, std::string &note) {
    std::string name = key + kEntrySuffix;
    Result<std::string> bytes = readOwnFile(objects_fd_.get(), name, kMaxCacheEntrySize);
    if (!bytes.ok() && bytes.status().code() == ENOENT)
        return CacheLookup::Miss;
    Result<CacheEntry> entry = bytes.ok() ? decodeEntry(key, *bytes) : Result<CacheEntry>(bytes.status());
    if (entry.ok()) {
        out = std::move(*entry);
        ::utimensat(objects_fd_.get(), name.c_str(), nullptr, AT_SYMLINK_NOFOLLOW); // LRU
        return CacheLookup::Hit;
    }
    note = "cache entry " + entryPath(key) + ": " + entry.status().msg() + "; deleted, recompiling";
    ::unlinkat(objects_fd_.get(), name.c_str(), 0);
    out = {};
    return CacheLookup::Corrupt;
}

Status ObjectCache::store(const std::string &key, const CacheEntry &entry) {
    std::string why, bytes = encodeEntry(key, entry);
    if (bytes.size() > kMaxCacheEntrySize)
        return Status(EFBIG, "cache " + dir_ + "/objects: an entry of " +
                                 std::to_string(bytes.size()) + " bytes is over the " +
                                 std::to_string(kMaxCacheEntrySize >> 20) + " MiB cap");
    if (Status s = common::writeFileAtomically(objects_fd_.get(), key + kEntrySuffix, bytes); !s.ok())
        return Status(s.code(), "cache " + dir_ + "/objects: " + s.msg());
    pruneOldEntries();
    pruneStaleFiles();
    return Status::OK();
}

} // namespace jitprobe::detail
