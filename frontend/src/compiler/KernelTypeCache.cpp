#include "compiler/KernelTypeCache.h"

#include "jitprobe/frontend/Frontend.h"
#include "text/KernelIncludes.h"
#include "text/KernelTypes.h"
#include "text/Sha256.h"

#include <chrono>
#include <fcntl.h>
#include <fstream>
#include <mutex>
#include <sys/stat.h>
#include <unistd.h>

namespace jitprobe::frontend {
namespace {

const std::string kVmlinuxPath = std::string(kVirtualIncludeDir) + "/vmlinux.h";
const std::string kCompatPath = std::string(kVirtualIncludeDir) + "/jitprobe/kernel_compat.h";

// A directory we may trust: ours, not writable by anyone else. Created 0700 when missing.
bool trustedDirectory(const std::string &dir) {
    ::mkdir(dir.c_str(), 0700);
    struct stat st {};
    if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
        return false;
    return st.st_uid == ::geteuid() && (st.st_mode & 0077) == 0;
}

bool writeAtomically(const std::string &path, const std::vector<std::uint8_t> &bytes) {
    std::string tmp = path + ".tmp." + std::to_string(::getpid());
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return false;
    size_t done = 0;
    while (done < bytes.size()) {
        ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n <= 0)
            break;
        done += static_cast<size_t>(n);
    }
    bool ok = done == bytes.size() && ::fsync(fd) == 0;
    ::close(fd);
    if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
        ::unlink(tmp.c_str());
        return false;
    }
    return true;
}

bool usablePch(const std::string &path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == ::geteuid() &&
           (st.st_mode & 0022) == 0 && st.st_size > 0;
}

// vmlinux.h is the same for the life of the process: generate it once.
bool vmlinuxHeader(const std::string &btf_path, std::string &text, std::string &error) {
    static std::mutex lock;
    static std::string cached_path, cached_text;
    std::lock_guard<std::mutex> guard(lock);
    if (cached_path != btf_path || cached_text.empty()) {
        if (!generateVmlinuxHeader(btf_path, cached_text, error))
            return false;
        cached_path = btf_path;
    }
    text = cached_text;
    return true;
}

// The prefix header parsed (or precompiled) before every probe source.
ClangJob prefixJob(std::vector<VirtualFile> files) {
    ClangJob job;
    job.main_path = std::string(kVirtualIncludeDir) + "/jitprobe/pch_main.h";
    job.main_source = "#include <jitprobe/prefix.h>\n";
    job.user_file = "<kernel types>";
    job.files = std::move(files);
    return job;
}

} // namespace

bool prepareKernelTypes(const std::string &btf_path, const std::string &cache_dir,
                        KernelTypes &out, std::vector<Diagnostic> &diags) {
    auto start = std::chrono::steady_clock::now();
    out.files.push_back({kCompatPath, std::string(kernelCompatMacros())});
    for (auto stub : kernelIncludeStubs())
        out.files.push_back({std::string(kVirtualIncludeDir) + "/" + std::string(stub), ""});

    std::string pch_path;
    if (!cache_dir.empty() && trustedDirectory(cache_dir) &&
        trustedDirectory(cache_dir + "/kernel-types")) {
        std::string digest = fileDigest(btf_path);
        std::string key = sha256Hex(digest + "\n" + compilerVersion()).substr(0, 24);
        pch_path = cache_dir + "/kernel-types/" + key + ".pch";
    }
    if (!pch_path.empty() && usablePch(pch_path)) {
        out.files.push_back({kVmlinuxPath, "#ifndef __VMLINUX_H__\n#define __VMLINUX_H__\n#endif\n"});
        out.pch_path = pch_path;
    } else {
        std::string text, error;
        if (!vmlinuxHeader(btf_path, text, error)) {
            diags.push_back({Diagnostic::Severity::Error, {btf_path, 0, 0},
                             "cannot read kernel types: " + error, "", 
                             "jitprobe needs a kernel with BTF (CONFIG_DEBUG_INFO_BTF=y)"});
            return false;
        }
        out.files.push_back({kVmlinuxPath, std::move(text)});
        std::vector<std::uint8_t> pch;
        std::vector<Diagnostic> pch_diags;
        // A PCH that fails to build is not fatal: this compile parses vmlinux.h instead.
        if (!pch_path.empty() && buildPrefixPch(prefixJob(out.files), pch, pch_diags) &&
            writeAtomically(pch_path, pch))
            out.pch_path = pch_path;
    }
    out.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    return true;
}

} // namespace jitprobe::frontend
