// Result of a runtime operation, named after BCC's ebpf::StatusTuple so BCC users feel at home.
// Errors say who/what/where/why, e.g.
//   "prog 'on_malloc': failed to attach uprobe '/bin/ls:main': ENOENT (No such file or directory)".
// Both are [[nodiscard]]: an error dropped on the floor is a bug (write `(void)` where it is
// really meant to be ignored, with a comment saying why).
#pragma once
#include <cstdio>
#include <optional>
#include <string>
#include <utility>

namespace jitprobe {

class [[nodiscard]] Status {
  public:
    Status() = default;
    Status(int code, std::string msg) : code_(code), msg_(std::move(msg)) {}
    // BCC's StatusTuple(code) and StatusTuple(code, fmt, args...) (printf-style; at least one
    // argument, so a plain message never goes through a format).
    explicit Status(int code) : code_(code) {}
    template <typename Arg, typename... Args>
    Status(int code, const char *fmt, Arg arg, Args... args) : code_(code) {
        int n = std::snprintf(nullptr, 0, fmt, arg, args...);
        msg_.resize(n > 0 ? size_t(n) : 0);
        if (n > 0)
            std::snprintf(msg_.data(), msg_.size() + 1, fmt, arg, args...);
    }
    static Status OK() { return Status(); }

    bool ok() const { return code_ == 0; }
    int code() const { return code_; } // 0 on success; a positive errno or -1 otherwise
    const std::string &msg() const { return msg_; }
    void append_msg(const std::string &more) { msg_ += more; } // BCC's StatusTuple::append_msg
    explicit operator bool() const { return ok(); }

  private:
    int code_ = 0;
    std::string msg_;
};

// BCC's name for it: code that says ebpf::StatusTuple ports as jitprobe::StatusTuple.
using StatusTuple = Status;

// A value or the Status that explains why there is none. T need not be default-constructible;
// value() of an error Result is a programming error (std::bad_optional_access).
template <typename T> class [[nodiscard]] Result {
  public:
    Result(T value) : value_(std::move(value)) {}
    Result(Status error) : status_(std::move(error)) {
        if (status_.ok()) // an error Result must carry an error
            status_ = Status(-1, "internal error: Result built from an OK status");
    }
    bool ok() const { return status_.ok(); }
    const Status &status() const { return status_; }
    T &value() { return value_.value(); }
    const T &value() const { return value_.value(); }
    T *operator->() { return &value_.value(); }
    const T *operator->() const { return &value_.value(); }
    T &operator*() { return value_.value(); }
    const T &operator*() const { return value_.value(); }

  private:
    std::optional<T> value_;
    Status status_;
};

} // namespace jitprobe
