// libbpf reports details (missing symbols, relocation failures) only through its print callback,
// which prints to stderr by default. A library must not print, so jitprobe installs a callback
// that routes libbpf's warnings during jitprobe's own calls into the calling thread's active
// LibbpfLogCapture, and error Statuses quote the captured lines. Messages outside any capture
// (the application's own libbpf calls) go to the callback the application had installed before,
// so embedding jitprobe does not take libbpf's log away from its host.
#pragma once
#include <string>

namespace jitprobe::detail {

class LibbpfLogCapture {
  public:
    LibbpfLogCapture();  // installs the process-wide callback on first use; nests per thread
    ~LibbpfLogCapture();
    LibbpfLogCapture(const LibbpfLogCapture &) = delete;
    LibbpfLogCapture &operator=(const LibbpfLogCapture &) = delete;

    const std::string &text() const { return text_; }
    // The captured warnings as "; libbpf: ..." lines suited for appending to a Status message,
    // or "" when libbpf said nothing. Drops the multi-line verifier dump (reported separately).
    std::string summary() const;
    void clear() { text_.clear(); }
    void append(const std::string &line) { text_ += line; }

  private:
    std::string text_;
    LibbpfLogCapture *outer_ = nullptr;
};

} // namespace jitprobe::detail
