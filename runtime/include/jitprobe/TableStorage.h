// BCC's table storage, reduced to what BCC programs use it for: handing maps created outside
// (bcc_create_map, bpf_map_create, a pinned map's fd) to a BPF object whose source declares them
// BPF_TABLE("extern", ...). A global Path names the table ({"control"}); BPF(0, &storage)
// makes init use that map instead of creating one. The storage owns the fds (FileDesc).
//
// One module's BPF_TABLE_PUBLIC / BPF_TABLE_SHARED tables reach another module's
// BPF_TABLE("extern") through a storage of the process's own, as BCC's do (BPFCompat.cpp);
// this class is only what a program hands in.
#pragma once
#include <unistd.h>

#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <utility>

namespace jitprobe {

// An owned fd (closed on destruction), as BCC's ebpf::FileDesc.
class FileDesc {
  public:
    explicit FileDesc(int fd = -1) : fd_(fd) {}
    FileDesc(FileDesc &&other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    FileDesc &operator=(FileDesc &&other) noexcept {
        if (this != &other)
            reset(std::exchange(other.fd_, -1));
        return *this;
    }
    FileDesc(const FileDesc &) = delete;
    FileDesc &operator=(const FileDesc &) = delete;
    ~FileDesc() { reset(); }
    FileDesc &operator=(int fd) {
        reset(fd);
        return *this;
    }
    operator int() const { return fd_; }
    [[nodiscard]] FileDesc dup() const { return FileDesc(fd_ >= 0 ? ::dup(fd_) : -1); }

  private:
    void reset(int fd = -1) {
        if (fd_ >= 0)
            ::close(fd_);
        fd_ = fd;
    }
    int fd_;
};

// One table: its name, owned fd and layout (BPF_MAP_TYPE_*, sizes), as BCC's ebpf::TableDesc.
struct TableDesc {
    TableDesc() = default;
    TableDesc(const std::string &name, FileDesc &&fd, int type, size_t key_size,
              size_t leaf_size, size_t max_entries, int flags)
        : name(name), fd(std::move(fd)), type(type), key_size(key_size), leaf_size(leaf_size),
          max_entries(max_entries), flags(flags) {}
    TableDesc(TableDesc &&) = default;
    TableDesc &operator=(TableDesc &&) = default;
    std::string name;
    FileDesc fd;
    int type = 0;
    size_t key_size = 0, leaf_size = 0, max_entries = 0;
    int flags = 0;
};

// A table's name in the storage: {"control"} is global (what BPF_TABLE("extern") finds).
class Path {
  public:
    static constexpr char DELIM = '/';
    Path() = default;
    Path(std::initializer_list<std::string> parts) {
        for (const auto &p : parts)
            path_ += DELIM + p;
    }
    const std::string &to_string() const { return path_; }
    bool operator<(const Path &other) const { return path_ < other.path_; }

  private:
    std::string path_;
};

class TableStorage {
  public:
    using Map = std::map<std::string, TableDesc>;
    using iterator = Map::iterator;

    void Insert(const Path &path, TableDesc &&desc) { tables_[path.to_string()] = std::move(desc); }
    bool Find(const Path &path, iterator &result) {
        result = tables_.find(path.to_string());
        return result != tables_.end();
    }
    bool Delete(const Path &path) { return tables_.erase(path.to_string()) > 0; }
    iterator begin() { return tables_.begin(); }
    iterator end() { return tables_.end(); }
    size_t size() const { return tables_.size(); }

  private:
    Map tables_;
};

inline std::unique_ptr<TableStorage> createSharedTableStorage() {
    return std::make_unique<TableStorage>();
}

} // namespace jitprobe
