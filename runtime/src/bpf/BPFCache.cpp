// BPF::init's compile step through the object cache: a hit opens the cached object and never
// starts the compiler (no LLVM anywhere); a miss runs jitprobe-compiler and stores the result.
// Phase times and the cache outcome land in BPF::Impl::times.
#include "jitprobe/common/Stopwatch.h"
#include "BPFImpl.h"

#include "cache/ElfTrim.h"
#include "compiler/CompilerLocator.h"
#include "cache/ObjectCache.h"

#include "jitprobe/common/UniqueFd.h"

#include <fcntl.h>
#include <link.h>
#include <unistd.h>
#include <malloc.h>
#include <sys/stat.h>

#include <chrono>
#include <optional>

namespace jitprobe {
namespace {

using common::Clock;
using common::msSince;

constexpr const char *kDefaultBtf = "/sys/kernel/btf/vmlinux";

// Which compiler build would compile: its path, size and mtime (a rebuilt compiler may emit
// different code under the same version number).
std::string compilerIdentity() {
    Result<std::string> path = detail::CompilerLocator::find();
    struct stat st {};
    if (!path.ok() || ::stat(path->c_str(), &st) != 0)
        return "no-compiler";
    return *path + ":" + std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) +
           "." + std::to_string(st.st_mtim.tv_nsec);
}

// Is LLVM/Clang mapped into this process? (It never should be: compiles run in
// jitprobe-compiler.) The loader's list of objects, not /proc/self/maps: no syscalls.
bool compilerMapped() {
    auto visit = [](struct dl_phdr_info *info, size_t, void *) -> int {
        std::string_view name = info->dlpi_name ? info->dlpi_name : "";
        return name.find("libjitprobe-frontend") != std::string_view::npos ||
               name.find("libclang-cpp") != std::string_view::npos ||
               name.find("libLLVM") != std::string_view::npos;
    };
    return ::dl_iterate_phdr(visit, nullptr) != 0;
}

// The cache of this init (none: disabled or refused, times says why) and the key of this
// source (empty: not cacheable).
struct CacheSession {
    std::optional<detail::ObjectCache> cache;
    std::string key;
};

CacheSession openCache(const std::string &source, const std::vector<std::string> &cflags,
                       const InitOptions &opts, PhaseTimes &times) {
    CacheSession session;
    Result<detail::ObjectCache> cache = detail::ObjectCache::open(opts.cache_dir);
    if (!cache.ok()) {
        times.cache_note = "object cache bypassed: " + cache.status().msg();
        return session;
    }
    session.cache = std::move(*cache); // its kernel-types/ serves the frontend's PCH either way
    if (!opts.use_cache) {
        times.cache_note = "object cache disabled (--no-cache / InitOptions::use_cache); "
                           "kernel-type PCH still used";
        return session;
    }
    // A quick look at the text: a source that names user headers is not looked up. Not the
    // defence: storeEntry refuses any compile the compiler says read a file from disk.
    if (std::string why = detail::uncacheableReason(source, cflags); !why.empty()) {
        times.cache_note = "not cached: " + why;
        return session;
    }
    std::string btf = opts.kernel_btf_path.empty() ? kDefaultBtf : opts.kernel_btf_path;
    Result<std::string> digest = session.cache->kernelBtfDigest(btf);
    if (!digest.ok()) {
        times.cache_note = "object cache bypassed: " + digest.status().msg();
        return session;
    }
    session.key = detail::cacheKey({source, cflags, opts.file_name, *digest, compilerIdentity()});
    times.cache_used = true;
    return session;
}

// The digest kernel-types/<stem>.manifest records for PCH_NAME now ("" if none), read through
// the cache directory's descriptor.
std::string currentPchDigest(int dir_fd, const std::string &pch_name) {
    if (pch_name.find('/') != std::string::npos || !pch_name.ends_with(".pch"))
        return "";
    std::string manifest = "kernel-types/" + pch_name.substr(0, pch_name.size() - 4) + ".manifest";
    common::UniqueFd fd(::openat(dir_fd, manifest.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    std::string text(64 * 1024, '\0');
    ssize_t n = fd ? ::read(fd.get(), text.data(), text.size()) : -1;
    text.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    std::string suffix = " " + pch_name + "\n";
    auto at = text.find(suffix);
    if (at == std::string::npos)
        return "";
    auto begin = text.rfind('\n', at);
    begin = begin == std::string::npos ? 0 : begin + 1;
    return text.substr(begin, at - begin);
}

// The entry of SESSION's key, if a valid one exists. A corrupt one is deleted and reported.
bool lookupEntry(CacheSession &session, detail::CompiledProbe &out, PhaseTimes &times) {
    detail::CacheEntry entry;
    std::string note;
    switch (session.cache->lookup(session.key, entry, note)) {
    case detail::CacheLookup::Miss:
        return false;
    case detail::CacheLookup::Corrupt:
        times.cache_rebuilt = true;
        times.cache_note = note;
        return false;
    case detail::CacheLookup::Hit:
        break;
    }
    if (!frontend::ProgramInfo::fromJson(entry.info_json, out.info)) {
        times.cache_rebuilt = true;
        times.cache_note = "cache entry " + session.cache->entryPath(session.key) +
                           ": unreadable program info; recompiling";
        return false;
    }
    // Compiled with a kernel-type PCH: served only while that very PCH is the one in the cache.
    if (!out.info.pch_name.empty() &&
        currentPchDigest(session.cache->directoryFd(), out.info.pch_name) != out.info.pch_digest) {
        times.cache_rebuilt = true;
        times.cache_note = "cache entry " + session.cache->entryPath(session.key) +
                           ": compiled with a kernel-type PCH that is no longer there; recompiling";
        return false;
    }
    out.elf = std::move(entry.elf);
    out.rewritten = std::move(entry.rewritten);
    out.core_btf = std::move(entry.core_btf);
    return true;
}

void storeEntry(CacheSession &session, const frontend::CompileResult &result,
                const std::vector<std::uint8_t> &core_btf, PhaseTimes &times) {
    // The compiler's own report of what it read decides, not the source text: a file it
    // opened from disk (however the #include was spelled) is not in the key.
    if (!result.disk_files.empty()) {
        times.cache_note = "not cached: the compile read " + result.disk_files.front() +
                           (result.disk_files.size() > 1
                                ? " and " + std::to_string(result.disk_files.size() - 1) + " more file(s)"
                                : std::string()) +
                           ", whose contents the cache key cannot see";
        return;
    }
    auto t0 = Clock::now();
    detail::CacheEntry entry{result.object, result.info.toJson(), result.rewritten, core_btf};
    if (Status s = session.cache->store(session.key, entry); !s.ok())
        times.cache_note = "object cache: entry not stored: " + s.msg();
    times.cache_store_ms = msSince(t0);
}

} // namespace

Status BPF::Impl::obtainObject(const std::string &source, const std::vector<std::string> &cflags,
                               const InitOptions &opts, detail::CompiledProbe &out) {
    times = {};
    auto t0 = Clock::now();
    CacheSession session = openCache(source, cflags, opts, times);
    bool hit = !session.key.empty() && lookupEntry(session, out, times);
    times.cache_lookup_ms = msSince(t0);
    if (hit) {
        times.cache_hit = true;
        return Status::OK();
    }
    frontend::CompileResult result;
    int pch_dir_fd = session.cache ? session.cache->directoryFd() : -1;
    Status s = compileSource(source, cflags, opts, pch_dir_fd, !session.key.empty(), result);
    static_cast<frontend::CompileTimes &>(times) = result.times;
    times.core_btf_note = result.core_btf_note;
    // The same bytes on a miss as on a later hit: without DWARF (see ElfTrim.h).
    if (s.ok())
        if (auto stripped = detail::stripDebugSections(result.object); stripped.ok())
            result.object = std::move(stripped.value());
    if (s.ok() && !session.key.empty()) {
        // Loaded with it right away too: a miss relocates exactly as every later hit will.
        out.core_btf = std::move(result.core_btf);
        storeEntry(session, result, out.core_btf, times);
    }
    out.elf = std::move(result.object);
    out.info = std::move(result.info);
    out.rewritten = std::move(result.rewritten);
    out.diagnostics = std::move(result.diagnostics);
    result = {};
    ::malloc_trim(0); // hand the compiler's heap back: the probe may run for hours
    return s;
}

const PhaseTimes &BPF::phase_times() const {
    impl_->times.frontend_loaded = compilerMapped();
    return impl_->times;
}

} // namespace jitprobe
