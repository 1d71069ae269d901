// Cache upkeep: stats, clear, least-recently-used pruning, and the public functions of
// jitprobe/Cache.h.
#include "ObjectCache.h"
#include "jitprobe/common/UniqueFd.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <functional>
#include <vector>

namespace jitprobe {
namespace detail {
namespace {

struct FileInfo {
    std::string name;
    std::uint64_t size = 0;
    timespec mtime{};
};

// Regular files directly in DIR_FD (no recursion, no symlinks followed); with SUBDIRS, the
// names of its directories too.
std::vector<FileInfo> listFiles(int dir_fd, std::vector<std::string> *subdirs = nullptr) {
    std::vector<FileInfo> files;
    common::UniqueFd fd(::dup(dir_fd));
    DIR *dir = fd ? ::fdopendir(fd.get()) : nullptr;
    if (!dir)
        return files;
    (void)fd.release(); // the DIR owns it now: closedir closes it
    ::rewinddir(dir);
    while (const dirent *e = ::readdir(dir)) {
        struct stat st {};
        if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
            continue;
        if (::fstatat(dir_fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            continue;
        if (S_ISREG(st.st_mode))
            files.push_back({e->d_name, static_cast<std::uint64_t>(st.st_size), st.st_mtim});
        else if (S_ISDIR(st.st_mode) && subdirs)
            subdirs->push_back(e->d_name);
    }
    ::closedir(dir);
    return files;
}

bool endsWith(const std::string &s, const char *suffix) {
    std::size_t n = std::strlen(suffix);
    return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

// Counts (and with REMOVE, deletes) the files of DIR_FD accepted by WANT.
void sweep(int dir_fd, bool remove, const std::function<bool(const std::string &)> &want,
           std::uint64_t &count, std::uint64_t &bytes) {
    for (const FileInfo &f : listFiles(dir_fd)) {
        if (!want(f.name))
            continue;
        if (remove && ::unlinkat(dir_fd, f.name.c_str(), 0) != 0)
            continue;
        count++;
        bytes += f.size;
    }
}

// Counts (and with REMOVE, deletes) every file of DIR_FD and of its directories (kernel-types/
// keeps vmlinux.h in parts in <key>.d/); emptied directories are removed.
void sweepTree(int dir_fd, bool remove, std::uint64_t &count, std::uint64_t &bytes, int depth = 0) {
    std::vector<std::string> subdirs;
    for (const FileInfo &f : listFiles(dir_fd, depth < 2 ? &subdirs : nullptr)) {
        if (remove && ::unlinkat(dir_fd, f.name.c_str(), 0) != 0)
            continue;
        count++;
        bytes += f.size;
    }
    for (const std::string &name : subdirs) {
        common::UniqueFd fd(::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!fd)
            continue;
        sweepTree(fd.get(), remove, count, bytes, depth + 1);
        fd.reset();
        if (remove)
            ::unlinkat(dir_fd, name.c_str(), AT_REMOVEDIR);
    }
}

CacheStats survey(int dir_fd, int objects_fd, const std::string &dir, bool remove) {
    CacheStats stats;
    stats.directory = dir;
    std::uint64_t other = 0, other_bytes = 0;
    sweep(objects_fd, remove, [](const std::string &n) { return endsWith(n, ".entry"); },
          stats.entries, stats.bytes);
    common::UniqueFd kt(::openat(dir_fd, "kernel-types", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (kt)
        sweepTree(kt.get(), remove, stats.pch_files, stats.pch_bytes);
    if (remove) { // leftovers of interrupted writes, digests written by older versions
        sweep(objects_fd, true, [](const std::string &) { return true; }, other, other_bytes);
        sweep(dir_fd, true, [](const std::string &n) { return endsWith(n, ".digest") ||
                                                               n.starts_with(".tmp."); },
              other, other_bytes);
    }
    return stats;
}

bool isTempName(const std::string &name) {
    return name.find(".tmp.") != std::string::npos;
}

// Seconds since NAME in DIR_FD was last modified (-1: cannot tell).
long ageOf(int dir_fd, const std::string &name, time_t now) {
    struct stat st {};
    if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
        return -1;
    return static_cast<long>(now - st.st_mtim.tv_sec);
}

void removeTree(int dir_fd, const std::string &name) {
    common::UniqueFd fd(::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd)
        return;
    std::uint64_t count = 0, bytes = 0;
    sweepTree(fd.get(), true, count, bytes);
    fd.reset();
    ::unlinkat(dir_fd, name.c_str(), AT_REMOVEDIR);
}

// kernel-types/: temp leftovers, PCHs unused for kStalePchSeconds with their <key>.d/, and
// <key>.d/ directories whose PCH is gone.
void pruneKernelTypes(int kt_fd, time_t now) {
    std::vector<std::string> subdirs;
    for (const FileInfo &f : listFiles(kt_fd, &subdirs)) {
        long age = static_cast<long>(now - f.mtime.tv_sec);
        if (isTempName(f.name) ? age > kStaleTempSeconds
                               : endsWith(f.name, ".pch") && age > kStalePchSeconds)
            ::unlinkat(kt_fd, f.name.c_str(), 0);
    }
    for (const std::string &name : subdirs) {
        long age = ageOf(kt_fd, name, now);
        std::string pch = endsWith(name, ".d") ? name.substr(0, name.size() - 2) + ".pch" : "";
        bool orphan = !pch.empty() && ageOf(kt_fd, pch, now) < 0 && age > kStaleTempSeconds;
        if ((isTempName(name) && age > kStaleTempSeconds) || orphan)
            removeTree(kt_fd, name);
    }
}

} // namespace

// Why: an interrupted write leaves its temp file behind, and every kernel update or jitprobe
// build adds a ~15 MB PCH that nothing would ever remove.
void ObjectCache::pruneStaleFiles() const {
    time_t now = ::time(nullptr);
    for (const FileInfo &f : listFiles(objects_fd_.get()))
        if (isTempName(f.name) && now - f.mtime.tv_sec > kStaleTempSeconds)
            ::unlinkat(objects_fd_.get(), f.name.c_str(), 0);
    pruneKernelTypes(kernel_types_fd_.get(), now);
}

CacheStats ObjectCache::stats() const {
    pruneStaleFiles();
    return survey(dir_fd_.get(), objects_fd_.get(), dir_, false);
}

CacheStats ObjectCache::clear() { return survey(dir_fd_.get(), objects_fd_.get(), dir_, true); }

void ObjectCache::pruneOldEntries() {
    std::vector<FileInfo> entries = listFiles(objects_fd_.get());
    std::erase_if(entries, [](const FileInfo &f) { return !endsWith(f.name, ".entry"); });
    if (entries.size() <= kMaxCacheEntries)
        return;
    std::sort(entries.begin(), entries.end(), [](const FileInfo &a, const FileInfo &b) {
        return a.mtime.tv_sec != b.mtime.tv_sec ? a.mtime.tv_sec < b.mtime.tv_sec
                                                : a.mtime.tv_nsec < b.mtime.tv_nsec;
    });
    std::size_t excess = entries.size() - kMaxCacheEntries * 3 / 4; // prune in batches
    for (std::size_t i = 0; i < excess; i++)
        ::unlinkat(objects_fd_.get(), entries[i].name.c_str(), 0);
}

} // namespace detail

std::string cache_directory(const std::string &override_dir) {
    return override_dir.empty() ? detail::defaultCacheDirectory() : override_dir;
}

Result<CacheStats> cache_stats(const std::string &dir) {
    Result<detail::ObjectCache> cache = detail::ObjectCache::open(dir);
    if (!cache.ok())
        return cache.status();
    return cache->stats();
}

Result<CacheStats> cache_clear(const std::string &dir) {
    Result<detail::ObjectCache> cache = detail::ObjectCache::open(dir);
    if (!cache.ok())
        return cache.status();
    return cache->clear();
}

} // namespace jitprobe
