// Wildcard and regex forms of attach_tracepoint / attach_kprobe / attach_uprobe (issue 16): each
// expands its pattern and attaches every match, all or nothing: kprobes and uprobes through one
// kprobe.multi / uprobe.multi link where the kernel has them, else (and tracepoints always) one
// link per target through the single-target call.
#pragma once
#include "BPFImpl.h"
#include "attach/Wildcards.h"
#include "jitprobe/common/ElfFile.h"

namespace jitprobe::detail {

// REQUEST_KEY: what detach_* of the request is given (the glob, or "/REGEX/").
[[nodiscard]] Status attachTracepointPattern(BPF &bpf, BPF::Impl &impl, const NameMatcher &matcher,
                                             const std::string &request_key,
                                             const std::string &probe_func);
[[nodiscard]] Status attachKprobePattern(BPF &bpf, BPF::Impl &impl, const NameMatcher &matcher,
                                         const std::string &request_key,
                                         const std::string &probe_func,
                                         bpf_probe_attach_type attach_type);
// FILE is BINARY opened; REQUEST_KEY the uprobe key of the request (binary:pattern [pid N]).
struct UprobePattern {
    const std::string &binary;
    const common::ElfFile &file;
    const NameMatcher &matcher;
    const std::string &request_key;
    bpf_probe_attach_type attach_type;
    pid_t pid;
};
[[nodiscard]] Status attachUprobePattern(BPF &bpf, BPF::Impl &impl, const UprobePattern &pattern,
                                         const std::string &probe_func);

// BPFMultiLinks.cpp. Before the load: a program whose attach points are all kprobe (or all
// uprobe) wildcards is loaded with the multi expected attach type when the kernel has those
// links, so the wildcard needs no second copy of it.
void presetMultiAttachTypes(BPF::Impl &impl);
// FUNC's fd loaded with the multi expected attach type EXPECTED (the program itself if it was
// preset, else a copy this object owns).
[[nodiscard]] Result<int> multiProgramFd(BPF::Impl &impl, const std::string &func, int expected);
// True when SYMBOL is a glob naming no symbol of BINARY literally (Go's "(*T).M" has a '*').
bool isUprobePattern(const std::string &binary, const std::string &symbol, pid_t pid);

} // namespace jitprobe::detail
