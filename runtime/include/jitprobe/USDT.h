// BCC's ebpf::USDT: one USDT probe (provider:name in a binary and/or a process) and the BPF
// function to run there. Passed to BPF::init(text, cflags, {usdt...}) and attached with
// BPF::attach_usdt_all(). jitprobe reads USDT arguments with libbpf's USDT support
// (bpf_usdt_readarg in the probe source), so unlike BCC no per-probe code is generated: init
// only records the probes.
#pragma once
#include "jitprobe/Status.h"

#include <sys/types.h>

#include <cstdint>
#include <ostream>
#include <string>

namespace jitprobe {

class USDT {
  public:
    USDT(const std::string &binary_path, const std::string &provider, const std::string &name,
         const std::string &probe_func)
        : USDT(binary_path, -1, provider, name, probe_func) {}
    USDT(pid_t pid, const std::string &provider, const std::string &name,
         const std::string &probe_func)
        : USDT("", pid, provider, name, probe_func) {}
    USDT(const std::string &binary_path, pid_t pid, const std::string &provider,
         const std::string &name, const std::string &probe_func)
        : binary_path_(binary_path), pid_(pid), provider_(provider), name_(name),
          probe_func_(probe_func) {}

    const std::string &binary_path() const { return binary_path_; }
    pid_t pid() const { return pid_; }
    const std::string &provider() const { return provider_; }
    const std::string &name() const { return name_; }
    const std::string &probe_func() const { return probe_func_; }

    // The binary to attach to: binary_path, else the process's executable (/proc/PID/exe).
    [[nodiscard]] std::string resolved_binary() const {
        if (!binary_path_.empty() || pid_ <= 0)
            return binary_path_;
        return "/proc/" + std::to_string(pid_) + "/exe";
    }
    // BCC resolves the probe here; libbpf does it at attach time, so there is nothing to do.
    [[nodiscard]] Status init() { return Status::OK(); }
    // Accepted for BCC compatibility; libbpf matches probes by path. Returns 0 like BCC.
    int set_probe_matching_kludge(uint8_t) { return 0; }

    bool operator==(const USDT &other) const {
        return binary_path_ == other.binary_path_ && pid_ == other.pid_ &&
               provider_ == other.provider_ && name_ == other.name_ &&
               probe_func_ == other.probe_func_;
    }
    std::string print_name() const {
        return provider_ + ":" + name_ + " from binary " + binary_path_ + " PID " +
               std::to_string(pid_) + " for probe " + probe_func_;
    }
    friend std::ostream &operator<<(std::ostream &out, const USDT &usdt) {
        return out << usdt.print_name();
    }

  private:
    std::string binary_path_;
    pid_t pid_ = -1;
    std::string provider_;
    std::string name_;
    std::string probe_func_;
};

} // namespace jitprobe
