// The file system every Clang instance of a compile sees: the job's own files in memory, the
// embedded headers, and the disk, where the kernel-type directory appears under a virtual path.
#include "compiler/CompilerFileSystem.h"

#include "jitprobe/frontend/EmbeddedHeaders.h"
#include "btf/KernelIncludes.h"

#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/Path.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace jitprobe::frontend {
namespace {

// Serves the files of a real directory under a virtual one, by their virtual names. Why: the
// PCH names kernel-type files by virtual path, so it stays valid wherever the cache directory
// is; and Clang opens such a file only when it needs its text (the few parts of vmlinux.h that
// debug info asks line numbers of), where an in-memory file system would hash every byte.
class DirectoryAliasFileSystem : public llvm::vfs::ProxyFileSystem {
  public:
    DirectoryAliasFileSystem(llvm::IntrusiveRefCntPtr<llvm::vfs::FileSystem> base,
                             std::string virtual_dir, std::string real_dir)
        : ProxyFileSystem(std::move(base)), virtual_dir_(std::move(virtual_dir) + "/"),
          real_dir_(std::move(real_dir) + "/") {}

    llvm::ErrorOr<llvm::vfs::Status> status(const llvm::Twine &path) override {
        std::string name = path.str();
        std::optional<std::string> real = translate(name);
        if (!real)
            return ProxyFileSystem::status(name);
        auto st = ProxyFileSystem::status(*real);
        return st ? llvm::vfs::Status::copyWithNewName(*st, name) : st;
    }

    llvm::ErrorOr<std::unique_ptr<llvm::vfs::File>>
    openFileForRead(const llvm::Twine &path) override {
        std::string name = path.str();
        std::optional<std::string> real = translate(name);
        if (!real)
            return ProxyFileSystem::openFileForRead(name);
        return llvm::vfs::File::getWithPath(ProxyFileSystem::openFileForRead(*real), name);
    }

  private:
    // The virtual directory itself too: Clang looks a file's directory up before the file.
    std::optional<std::string> translate(const std::string &name) const {
        if (name + "/" == virtual_dir_)
            return real_dir_;
        if (name.compare(0, virtual_dir_.size(), virtual_dir_) != 0)
            return std::nullopt;
        return real_dir_ + name.substr(virtual_dir_.size());
    }
    std::string virtual_dir_, real_dir_;
};

// The embedded headers (dialect + libbpf's) as a read-only file system over the binary's own
// bytes, built once: an InMemoryFileSystem would hash their ~300 KB for every Clang instance.
class EmbeddedFileSystem : public llvm::vfs::FileSystem {
  public:
    EmbeddedFileSystem() {
        for (const auto &file : embeddedHeaders()) {
            std::string path = std::string(kVirtualIncludeDir) + "/" + std::string(file.path);
            files_.emplace(path, Node{file.contents, llvm::vfs::getNextVirtualUniqueID()});
            for (llvm::StringRef dir = llvm::sys::path::parent_path(path); dir.size() > 1;
                 dir = llvm::sys::path::parent_path(dir))
                dirs_.emplace(dir.str(), llvm::vfs::getNextVirtualUniqueID());
        }
    }

    llvm::ErrorOr<llvm::vfs::Status> status(const llvm::Twine &path) override {
        std::string name = normalized(path);
        if (auto file = files_.find(name); file != files_.end())
            return fileStatus(name, file->second);
        if (auto dir = dirs_.find(name); dir != dirs_.end())
            return llvm::vfs::Status(
                name, dir->second, {}, 0, 0, 0, llvm::sys::fs::file_type::directory_file,
                llvm::sys::fs::perms::all_read | llvm::sys::fs::perms::all_exe);
        return std::make_error_code(std::errc::no_such_file_or_directory);
    }

    llvm::ErrorOr<std::unique_ptr<llvm::vfs::File>>
    openFileForRead(const llvm::Twine &path) override {
        std::string name = normalized(path);
        auto file = files_.find(name);
        if (file == files_.end())
            return std::make_error_code(std::errc::no_such_file_or_directory);
        return std::unique_ptr<llvm::vfs::File>(
            new EmbeddedFile(fileStatus(name, file->second), file->second.contents));
    }

    llvm::vfs::directory_iterator dir_begin(const llvm::Twine &, std::error_code &ec) override {
        ec = std::make_error_code(std::errc::operation_not_supported);
        return {};
    }
    std::error_code setCurrentWorkingDirectory(const llvm::Twine &) override { return {}; }
    llvm::ErrorOr<std::string> getCurrentWorkingDirectory() const override {
        return std::string("/");
    }

  private:
    struct Node {
        std::string_view contents; // NUL-terminated (cmake/EmbedFiles.cmake)
        llvm::sys::fs::UniqueID id;
    };
    class EmbeddedFile : public llvm::vfs::File {
      public:
        EmbeddedFile(llvm::vfs::Status status, std::string_view contents)
            : status_(std::move(status)), contents_(contents) {}
        llvm::ErrorOr<llvm::vfs::Status> status() override { return status_; }
        llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> getBuffer(const llvm::Twine &name,
                                                                     int64_t, bool, bool) override {
            return llvm::MemoryBuffer::getMemBuffer(
                llvm::StringRef(contents_.data(), contents_.size()), name.str(), true);
        }
        std::error_code close() override { return {}; }

      private:
        llvm::vfs::Status status_;
        std::string_view contents_;
    };

    static std::string normalized(const llvm::Twine &path) {
        llvm::SmallString<256> p;
        path.toVector(p);
        llvm::sys::path::remove_dots(p, true);
        return std::string(p.str());
    }
    static llvm::vfs::Status fileStatus(const std::string &name, const Node &node) {
        return llvm::vfs::Status(name, node.id, {}, 0, 0, node.contents.size(),
                                 llvm::sys::fs::file_type::regular_file,
                                 llvm::sys::fs::perms::all_read);
    }
    std::map<std::string, Node> files_;
    std::map<std::string, llvm::sys::fs::UniqueID> dirs_;
};

// Why an include was refused, as Clang prints it ("cannot open file 'PATH': MESSAGE", at the
// #include's file:line:col).
enum class IncludeError { NotRegular = 1, TooLarge };

class IncludeErrorCategory : public std::error_category {
  public:
    const char *name() const noexcept override { return "jitprobe-include"; }
    std::string message(int code) const override {
        if (code == static_cast<int>(IncludeError::NotRegular))
            return "not a regular file (a device or FIFO would block or never end); "
                   "only regular files can be included";
        return "larger than the " + std::to_string(kMaxIncludedFileSize >> 20) +
               " MiB cap for included files";
    }
};

std::error_code includeError(IncludeError e) {
    static const IncludeErrorCategory category;
    return {static_cast<int>(e), category};
}

// A file opened and checked once (no stat-then-open race): Clang's buffer comes from this fd.
class CheckedFile : public llvm::vfs::File {
  public:
    CheckedFile(int fd, llvm::vfs::Status status) : fd_(fd), status_(std::move(status)) {}
    ~CheckedFile() override { (void)close(); }
    llvm::ErrorOr<llvm::vfs::Status> status() override { return status_; }
    llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> getBuffer(const llvm::Twine &name,
                                                                 int64_t size, bool null_terminated,
                                                                 bool is_volatile) override {
        // Never more than fstat saw and the cap allowed, should the file grow meanwhile.
        uint64_t bytes = size < 0 ? status_.getSize() : std::min<uint64_t>(size, status_.getSize());
        return llvm::MemoryBuffer::getOpenFile(fd_, name, bytes, null_terminated, is_volatile);
    }
    std::error_code close() override {
        if (fd_ >= 0)
            ::close(fd_);
        fd_ = -1;
        return {};
    }

  private:
    int fd_;
    llvm::vfs::Status status_;
};

// The disk as Clang may read it: regular files only (a #include of /dev/zero or a FIFO would
// hang the compile or read forever), at most kMaxIncludedFileSize each (a 1 GiB include took 5 s
// and 1.1 GB of RSS) except in jitprobe's own kernel-type cache directory (the PCH is ~15 MB).
class RegularFileSystem : public llvm::vfs::ProxyFileSystem {
  public:
    RegularFileSystem(llvm::IntrusiveRefCntPtr<llvm::vfs::FileSystem> base, std::string own_dir,
                      std::shared_ptr<std::set<std::string>> opened)
        : ProxyFileSystem(std::move(base)), own_dir_(std::move(own_dir)), opened_(std::move(opened)) {}

    llvm::ErrorOr<std::unique_ptr<llvm::vfs::File>>
    openFileForRead(const llvm::Twine &path) override {
        std::string name = path.str();
        // O_NONBLOCK: opening a FIFO must not wait for a writer; cleared once it is known regular.
        int fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
            return std::error_code(errno, std::generic_category());
        struct stat st {};
        std::error_code refused;
        if (::fstat(fd, &st) != 0)
            refused = std::error_code(errno, std::generic_category());
        else if (!S_ISREG(st.st_mode))
            refused = includeError(IncludeError::NotRegular);
        else if (static_cast<uint64_t>(st.st_size) > kMaxIncludedFileSize && !isOwn(name))
            refused = includeError(IncludeError::TooLarge);
        llvm::sys::fs::file_status status;
        if (!refused)
            refused = llvm::sys::fs::status(fd, status);
        if (refused) {
            ::close(fd);
            return refused;
        }
        ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
        // Whatever spelled the #include (%:include, #import, a splice, a macro, <linux/../x>),
        // this is where the file was really opened.
        if (!isOwn(name) && opened_)
            opened_->insert(name);
        return std::unique_ptr<llvm::vfs::File>(
            new CheckedFile(fd, llvm::vfs::Status::copyWithNewName(status, name)));
    }

  private:
    bool isOwn(const std::string &name) const {
        return !own_dir_.empty() && name.compare(0, own_dir_.size() + 1, own_dir_ + "/") == 0;
    }
    std::string own_dir_;
    std::shared_ptr<std::set<std::string>> opened_;
};

// Any kernel include the layers below lack (`<linux/time64.h>`, `<rdma/rdma_cm.h>`) is an empty
// file under the virtual include directory, and the directories on its way exist: the types
// are in vmlinux.h already (isKernelIncludePath). Clang asks for a file's directory first.
class KernelIncludeFallback : public llvm::vfs::ProxyFileSystem {
  public:
    explicit KernelIncludeFallback(llvm::IntrusiveRefCntPtr<llvm::vfs::FileSystem> base)
        : ProxyFileSystem(std::move(base)) {}

    llvm::ErrorOr<llvm::vfs::Status> status(const llvm::Twine &path) override {
        std::string name = path.str();
        auto st = ProxyFileSystem::status(name);
        if (st || !isFallback(name))
            return st;
        bool header = llvm::StringRef(name).endswith(".h");
        return llvm::vfs::Status(name, idOf(name), {}, 0, 0, 0,
                                 header ? llvm::sys::fs::file_type::regular_file
                                        : llvm::sys::fs::file_type::directory_file,
                                 llvm::sys::fs::perms::all_read | llvm::sys::fs::perms::all_exe);
    }

    llvm::ErrorOr<std::unique_ptr<llvm::vfs::File>>
    openFileForRead(const llvm::Twine &path) override {
        std::string name = path.str();
        auto file = ProxyFileSystem::openFileForRead(name);
        if (file || !isFallback(name) || !llvm::StringRef(name).endswith(".h"))
            return file;
        return std::unique_ptr<llvm::vfs::File>(new EmptyFile(*status(name)));
    }

  private:
    class EmptyFile : public llvm::vfs::File {
      public:
        explicit EmptyFile(llvm::vfs::Status status) : status_(std::move(status)) {}
        llvm::ErrorOr<llvm::vfs::Status> status() override { return status_; }
        llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> getBuffer(const llvm::Twine &name,
                                                                     int64_t, bool, bool) override {
            return llvm::MemoryBuffer::getMemBuffer("", name.str(), true);
        }
        std::error_code close() override { return {}; }

      private:
        llvm::vfs::Status status_;
    };

    static bool isFallback(const std::string &name) {
        std::string dir = std::string(kVirtualIncludeDir) + "/";
        return name.compare(0, dir.size(), dir) == 0 && isKernelIncludePath(name.substr(dir.size()));
    }
    llvm::sys::fs::UniqueID idOf(const std::string &name) {
        std::lock_guard lock(mutex_);
        auto [it, added] = ids_.try_emplace(name, llvm::sys::fs::UniqueID());
        if (added)
            it->second = llvm::vfs::getNextVirtualUniqueID();
        return it->second;
    }
    std::mutex mutex_;
    std::map<std::string, llvm::sys::fs::UniqueID> ids_;
};

} // namespace

llvm::IntrusiveRefCntPtr<llvm::vfs::FileSystem> makeFileSystem(const ClangJob &job) {
    static const auto embedded = llvm::makeIntrusiveRefCnt<EmbeddedFileSystem>();
    auto memory = llvm::makeIntrusiveRefCnt<llvm::vfs::InMemoryFileSystem>();
    auto add = [&](const std::string &path, std::string_view text) {
        memory->addFile(path, 0,
                        llvm::MemoryBuffer::getMemBuffer(llvm::StringRef(text.data(), text.size()),
                                                         path, false));
    };
    for (const auto &file : job.files)
        add(file.path, file.contents);
    for (const auto &file : job.rewritten_headers)
        add(file.path, file.contents);
    add(job.main_path, job.main_source);
    // The kernel-type cache directory: the parent of both the PCH and its <key>.d/.
    std::string own_dir = job.kernel_types_dir.empty()
                              ? std::string()
                              : llvm::sys::path::parent_path(job.kernel_types_dir).str();
    llvm::IntrusiveRefCntPtr<llvm::vfs::FileSystem> disk =
        llvm::makeIntrusiveRefCnt<RegularFileSystem>(llvm::vfs::getRealFileSystem(), own_dir,
                                                      job.disk_files);
    if (!job.kernel_types_dir.empty())
        disk = llvm::makeIntrusiveRefCnt<DirectoryAliasFileSystem>(disk, kKernelTypesVirtualDir,
                                                                   job.kernel_types_dir);
    auto overlay = llvm::makeIntrusiveRefCnt<llvm::vfs::OverlayFileSystem>(disk);
    overlay->pushOverlay(embedded);
    overlay->pushOverlay(memory);
    return llvm::makeIntrusiveRefCnt<KernelIncludeFallback>(overlay);
}

} // namespace jitprobe::frontend
