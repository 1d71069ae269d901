// The object cache behind BPF::init (see jitprobe/Cache.h for the user's view): a trusted
// directory, content-addressed entries with a verified SHA-256, atomic writes, the kernel BTF
// digest kept beside them. Never prints; every refusal and failure comes back as text.
#pragma once
#include "jitprobe/Cache.h"
#include "jitprobe/Status.h"
#include "jitprobe/common/UniqueFd.h"

#include <cstdint>
#include <string>
#include <vector>

namespace jitprobe::detail {

// What a cache entry holds: the BPF ELF, its ProgramInfo as JSON, the rewritten C (dump), and
// the kernel BTF minimized to what the object's CO-RE relocations need (MinCoreBtf.h; empty
// when the object has none or none could be made), so a hit never parses the kernel's BTF.
struct CacheEntry {
    std::vector<std::uint8_t> elf;
    std::string info_json;
    std::string rewritten;
    std::vector<std::uint8_t> core_btf;
};

// Everything a compiled object depends on. The key also folds in JITPROBE_VERSION and the LLVM
// version the runtime was built against.
struct CacheKeyInputs {
    std::string source;
    std::vector<std::string> cflags;
    std::string file_name;   // only its base name: it is in the object's line info
    std::string btf_digest;  // kernel BTF (types, CO-RE targets, tracepoint layouts)
    std::string frontend_id; // which frontend build compiles (path, size, mtime)
};
std::string cacheKey(const CacheKeyInputs &inputs); // 64 lowercase hex digits

// Why a compile must not be cached ("" if it may): inputs the key cannot see, like user
// headers found through -I or #include "file".
std::string uncacheableReason(const std::string &source, const std::vector<std::string> &cflags);

// The on-disk entry format (exposed for tests): header (magic, version, lengths), SHA-256 over
// key + header + payload, payload.
std::string encodeEntry(const std::string &key, const CacheEntry &entry);
[[nodiscard]] Result<CacheEntry> decodeEntry(const std::string &key, const std::string &bytes);

// Beyond this many entries a store prunes the least recently used (a quarter of them).
inline constexpr std::size_t kMaxCacheEntries = 256;
// An entry is read whole into memory: one larger is neither stored nor read (a lookup deletes
// it and recompiles). Objects are a few MB.
inline constexpr std::uint64_t kMaxCacheEntrySize = std::uint64_t(128) << 20;
// Leftovers of an interrupted write (".tmp.*", "*.tmp.PID") older than this are removed.
inline constexpr int kStaleTempSeconds = 10 * 60;
// A kernel-type PCH (and its <key>.d/) unused this long is removed: one of another kernel,
// compiler build or jitprobe version. The frontend touches the PCH it uses (hourly at most).
inline constexpr int kStalePchSeconds = 24 * 60 * 60;

enum class CacheLookup { Hit, Miss, Corrupt };

class ObjectCache {
  public:
    ObjectCache() = default;
    ObjectCache(ObjectCache &&other) noexcept = default;
    ObjectCache &operator=(ObjectCache &&other) noexcept = default;

    // Opens DIR (cache_directory() when empty), creating it, objects/ and kernel-types/ with
    // mode 0700. Refuses (with the reason) a directory that is a symlink, not owned by us, not
    // exactly 0700, or under a parent others may write.
    static Result<ObjectCache> open(const std::string &dir = "");
    const std::string &directory() const { return dir_; }
    // The directory as opened and checked: all cache I/O, the compiler's included, goes through
    // it, never through the path again.
    int directoryFd() const { return dir_fd_.get(); }

    // SHA-256 of the kernel BTF at BTF_PATH, recomputed only when its (size, mtime, inode) or
    // the boot id change; otherwise read from a small digest file in kernel-types/ (state of
    // this kernel, like the PCH beside it).
    Result<std::string> kernelBtfDigest(const std::string &btf_path);

    // Hit: OUT filled. Corrupt (bad hash, truncated, foreign file): the entry is deleted and
    // NOTE says why; it is never returned.
    CacheLookup lookup(const std::string &key, CacheEntry &out, std::string &note);
    // Atomic (temp file + rename, mode 0600): concurrent writers leave one valid entry; one a
    // crash tore fails its SHA-256 check and is rebuilt.
    Status store(const std::string &key, const CacheEntry &entry);
    std::string entryPath(const std::string &key) const;

    CacheStats stats() const;
    CacheStats clear(); // what was removed

  private:
    void pruneOldEntries();
    void pruneStaleFiles() const; // temp leftovers, unused PCHs (CacheMaintenance.cpp)
    std::string dir_;
    common::UniqueFd dir_fd_, objects_fd_, kernel_types_fd_;
};

// $JITPROBE_CACHE_DIR, else root: /var/cache/jitprobe, else $XDG_CACHE_HOME/jitprobe, else
// ~/.cache/jitprobe ("" when there is no home directory).
std::string defaultCacheDirectory();

// A directory file descriptor that passed the trust checks (exposed for tests).
Result<int> openTrustedDirectory(const std::string &path, bool create);

// Helpers shared by the cache files (ObjectCache.cpp, CacheDirectory.cpp).
// NAME whole if it is a private regular file of this user of at most MAX_SIZE bytes (checked
// with fstat before anything is read). ENOENT when it does not exist, else why it was refused.
[[nodiscard]] Result<std::string> readOwnFile(int dir_fd, const std::string &name, std::uint64_t max_size);

} // namespace jitprobe::detail
