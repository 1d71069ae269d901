#include "compiler/KernelTypeCache.h"
#include "jitprobe/common/Files.h"

#include "jitprobe/frontend/EmbeddedHeaders.h"
#include "jitprobe/frontend/Frontend.h"
#include "btf/KernelIncludes.h"
#include "btf/KernelTypes.h"
#include "jitprobe/common/Sha256.h"
#include "jitprobe/common/UniqueFd.h"
#include "compiler/KernelTypeManifest.h"

#include <chrono>
#include <ctime>
#include <fcntl.h>
#include <fstream>
#include <mutex>
#include <sys/stat.h>
#include <unistd.h>

namespace jitprobe::frontend {
namespace {

const std::string kVmlinuxPath = std::string(kVirtualIncludeDir) + "/vmlinux.h";
const std::string kCompatPath = std::string(kVirtualIncludeDir) + "/jitprobe/kernel_compat.h";
// Part of the PCH key: a PCH of another layout (v1: one vmlinux.h beside it) is not reused.
constexpr const char *kPchFormat = "pch-v2: vmlinux.h in parts under <key>.d/";
constexpr std::size_t kVmlinuxPartBytes = 32 * 1024;
// What <vmlinux.h> is when the kernel types come from the PCH and its directory.
const std::string kVmlinuxStub =
    std::string("#include \"") + kKernelTypesVirtualDir + "/vmlinux.h\"\n";

bool usableFile(const std::string &path);

// A directory we may trust: ours, not a symlink, not open to anyone else.
bool privateDirectory(const std::string &dir) {
    struct stat st {};
    return ::lstat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == ::geteuid() &&
           (st.st_mode & 0077) == 0;
}

// The same, created 0700 when missing.
bool trustedDirectory(const std::string &dir) {
    ::mkdir(dir.c_str(), 0700);
    return privateDirectory(dir);
}

// The cache directory itself. The runtime hands it over open, named /proc/self/fd/N: the one
// magic link followed, to the directory it checked, never re-resolving the path a user gave.
bool trustedCacheRoot(const std::string &dir) {
    if (dir.rfind("/proc/self/fd/", 0) != 0)
        return trustedDirectory(dir);
    struct stat st {};
    return ::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == ::geteuid() &&
           (st.st_mode & 0077) == 0;
}

// Writes PATH's pages to disk and drops them from the page cache. Why: every compile mmaps the
// PCH, and the page cache as Clang's writer leaves it gets mapped in much larger pieces than
// pages read back through readahead (measured: +10 MiB peak RSS in every later compile).
void settleInPageCache(int fd) {
    if (::fdatasync(fd) == 0)
        ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
}

// Builds the PCH beside its final name and renames it into place, so a concurrent reader
// never sees a half-written file. The temp name is unpredictable and created with O_EXCL first
// (mkostemp): Clang then writes over our own regular file, never through a planted symlink.
bool buildPchAtomically(const ClangJob &job, const std::string &path) {
    std::string tmp = path + ".tmp.XXXXXX";
    common::UniqueFd placeholder(::mkostemp(tmp.data(), O_CLOEXEC));
    if (!placeholder)
        return false;
    placeholder.reset();
    std::vector<Diagnostic> diags; // a failed PCH is not the user's problem: parse instead
    bool ok = buildPrefixPch(job, tmp, diags);
    if (ok) {
        common::UniqueFd fd(::open(tmp.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
        ok = fd && ::fchmod(fd.get(), 0600) == 0;
        if (ok)
            settleInPageCache(fd.get());
    }
    ok = ok && ::rename(tmp.c_str(), path.c_str()) == 0;
    if (!ok)
        ::unlink(tmp.c_str());
    return ok;
}

std::string readSmallFile(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
        text.pop_back();
    return text;
}

// The kernel BTF's SHA-256, remembered beside the PCH: hashing 5.5 MB costs ~70 ms per compile,
// and the file cannot change while its size, mtime, inode and the boot stay the same.
std::string btfDigest(const std::string &btf_path, const std::string &dir) {
    struct stat st {};
    if (::stat(btf_path.c_str(), &st) != 0)
        return fileDigest(btf_path);
    std::string identity = std::to_string(st.st_size) + ":" + std::to_string(st.st_mtime) + ":" +
                           std::to_string(st.st_ino) + ":" +
                           readSmallFile("/proc/sys/kernel/random/boot_id") + ":" + btf_path;
    std::string memo = dir + "/btf.digest";
    std::string saved = usableFile(memo) ? readSmallFile(memo) : "";
    auto space = saved.rfind(' ');
    if (space != std::string::npos && saved.substr(0, space) == identity)
        return saved.substr(space + 1);
    std::string digest = fileDigest(btf_path);
    (void)common::writeFileAtomically(AT_FDCWD, memo, identity + " " + digest + "\n");
    return digest;
}

// The runtime removes a PCH unused for a day (one of another kernel or build): its mtime says
// when it was last used, refreshed hourly at most (a metadata write per compile is not free).
void markUsed(const std::string &pch) {
    struct stat st {};
    if (::stat(pch.c_str(), &st) == 0 && ::time(nullptr) - st.st_mtime > 3600)
        ::utimensat(AT_FDCWD, pch.c_str(), nullptr, 0);
}

bool usableFile(const std::string &path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == ::geteuid() &&
           (st.st_mode & 0022) == 0 && st.st_size > 0;
}

// vmlinux.h is the same for the life of the process: generate it once.
Result<std::string> vmlinuxHeader(const std::string &btf_path) {
    static std::mutex lock;
    static std::string cached_path, cached_text;
    std::lock_guard<std::mutex> guard(lock);
    if (cached_path != btf_path || cached_text.empty()) {
        Result<std::string> text = generateVmlinuxHeader(btf_path);
        if (!text.ok())
            return text;
        cached_text = std::move(*text);
        cached_path = btf_path;
    }
    return cached_text;
}

// The PCH holds the dialect and libbpf headers too: a jitprobe build with other headers must
// not reuse it.
std::string headersDigest() {
    static const std::string digest = [] {
        Sha256 hash;
        hash.update(embeddedHeadersDigest());
        hash.update(kernelCompatMacros());
        return hash.finishHex();
    }();
    return digest;
}

void removeDirectory(const std::string &dir, const std::vector<std::string> &names) {
    for (const auto &name : names)
        ::unlink((dir + "/" + name).c_str());
    ::rmdir(dir.c_str());
}

// DIR (<key>.d) holding vmlinux.h as its split top ("vmlinux.h") and parts, written whole beside
// it and renamed into place: a reader sees all of it or nothing. A concurrent builder's DIR
// (the same text: same key) is as good as ours.
bool writeKernelTypeDirectory(const std::string &dir, const std::string &vmlinux) {
    if (privateDirectory(dir))
        return true;
    SplitHeader split = splitVmlinuxHeader(vmlinux, kVmlinuxPartBytes);
    std::vector<std::pair<std::string, std::string>> files = {{"vmlinux.h", std::move(split.top)}};
    for (std::size_t i = 0; i < split.parts.size(); ++i)
        files.emplace_back(vmlinuxPartName(i), std::move(split.parts[i]));
    std::string tmp = dir + ".tmp.XXXXXX";
    std::vector<std::string> written;
    bool ok = ::mkdtemp(tmp.data()) != nullptr; // a fresh 0700 directory, never a planted one
    for (const auto &[name, text] : files) {
        ok = ok && common::writeFileAtomically(AT_FDCWD, tmp + "/" + name, text).ok();
        if (ok)
            written.push_back(name);
    }
    if (ok && ::rename(tmp.c_str(), dir.c_str()) == 0)
        return true;
    removeDirectory(tmp, written);
    return privateDirectory(dir);
}

// The PCH and parts under STEM exactly as their manifest recorded them. Anything else (a part
// changed or replaced by a symlink, a corrupt PCH, one without a manifest, a .d/ without its
// PCH) is removed: rebuilt from the kernel BTF, never compiled in.
bool verifiedKernelTypes(const std::string &stem) {
    if (usableFile(stem + ".pch") && privateDirectory(stem + ".d") && verifyKernelTypeManifest(stem).ok())
        return true;
    removeKernelTypes(stem);
    return false;
}

// The prefix header parsed (or precompiled) before every probe source.
// Its main file must stay visible to every compile that uses the PCH built from it.
const VirtualFile kPchMain{std::string(kVirtualIncludeDir) + "/jitprobe/pch_main.h",
                           "#include <jitprobe/prefix.h>\n"};

ClangJob prefixJob(std::vector<VirtualFile> files) {
    ClangJob job;
    job.main_path = kPchMain.path;
    job.main_source = kPchMain.contents;
    job.user_file = "<kernel types>";
    job.files = std::move(files);
    return job;
}

} // namespace

bool prepareKernelTypes(const std::string &btf_path, const std::string &cache_dir,
                        KernelTypes &out, std::vector<Diagnostic> &diags) {
    auto start = std::chrono::steady_clock::now();
    out.files.push_back({kCompatPath, std::string(kernelCompatMacros())});
    out.files.push_back(kPchMain);
    for (auto stub : kernelIncludeStubs())
        out.files.push_back({std::string(kVirtualIncludeDir) + "/" + std::string(stub), ""});

    std::string stem; // cache_dir/kernel-types/<key>: .pch and .d/ (vmlinux.h in parts)
    if (!cache_dir.empty() && trustedCacheRoot(cache_dir) &&
        trustedDirectory(cache_dir + "/kernel-types")) {
        std::string key = sha256Hex(btfDigest(btf_path, cache_dir + "/kernel-types") + "\n" +
                                    compilerVersion() + "\n" + headersDigest() + "\n" +
                                    kPchFormat).substr(0, 24);
        stem = cache_dir + "/kernel-types/" + key;
    }
    auto usePch = [&] {
        out.pch_path = stem + ".pch";
        out.kernel_types_dir = stem + ".d";
        out.files.push_back({kVmlinuxPath, kVmlinuxStub});
    };
    if (!stem.empty() && verifiedKernelTypes(stem)) {
        markUsed(stem + ".pch");
        usePch();
    } else {
        Result<std::string> header = vmlinuxHeader(btf_path);
        if (!header.ok()) {
            diags.push_back({Diagnostic::Severity::Error, {btf_path, 0, 0},
                             "cannot read kernel types: " + header.status().msg(), "",
                             "jitprobe needs a kernel with BTF (CONFIG_DEBUG_INFO_BTF=y)"});
            return false;
        }
        std::string text = std::move(*header);
        // A PCH that fails to build is not fatal: this compile parses vmlinux.h instead.
        if (!stem.empty() && writeKernelTypeDirectory(stem + ".d", text)) {
            ClangJob job = prefixJob(out.files);
            job.files.push_back({kVmlinuxPath, kVmlinuxStub});
            job.kernel_types_dir = stem + ".d";
            if (buildPchAtomically(job, stem + ".pch")) {
                (void)writeKernelTypeManifest(stem); // without it, the next compile rebuilds
                usePch();
            }
        }
        if (out.pch_path.empty())
            out.files.push_back({kVmlinuxPath, std::move(text)});
    }
    out.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    return true;
}

} // namespace jitprobe::frontend
