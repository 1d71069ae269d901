#include "VerifierExplain.h"

#include <sstream>
#include <string_view>
#include <vector>

namespace jitprobe::detail {
namespace {

struct KnownRejection {
    std::string_view needle; // substring of the verifier's reason
    std::string_view hint;
};

constexpr std::string_view kCoreFailure = "failed to resolve CO-RE relocation";

constexpr std::string_view kOverrideReturnHint =
    "this kernel cannot load it: bpf_override_return needs CONFIG_BPF_KPROBE_OVERRIDE (and "
    "kprobes, CONFIG_FUNCTION_ERROR_INJECTION)";

constexpr KnownRejection kKnown[] = {
    {kCoreFailure, "this kernel has no such type or field (the object was compiled against a "
                   "kernel that has it, e.g. a .jpo built elsewhere): guard the read with "
                   "bpf_core_field_exists(), or read another field on this kernel"},
    {"_or_null", "a pointer that may be NULL (e.g. a map lookup result) is used without a check: "
                 "add `if (!p) return 0;` before dereferencing it"},
    {"invalid mem access 'scalar'", "memory is read through a plain integer or a kernel/user pointer: "
                                    "use bpf_probe_read_kernel/_user or BPF_CORE_READ (p->field on "
                                    "kernel struct pointers is rewritten automatically)"},
    {"too large", "the verifier could not prove that a loop ends: bound it by a constant, e.g. "
                  "`for (int i = 0; i < 64 && i < n; i++)`"},
    {"too complex", "the verifier gave up following the program's branches (a loop whose end it "
                    "cannot prove, or too many paths): bound loops by a constant, e.g. "
                    "`for (int i = 0; i < 64 && i < n; i++)`, or use bpf_loop()"},
    {"infinite loop", "the verifier could not prove that a loop ends: bound it by a constant, e.g. "
                      "`for (int i = 0; i < 64 && i < n; i++)`, or use bpf_loop()"},
    {"back-edge", "a loop without a provable bound: bound it by a constant"},
    {"invalid indirect read from stack", "a stack buffer passed to a helper is not initialized: "
                                         "declare it as `= {}`"},
    {"!read_ok", "a register is used before it holds a value (uninitialized variable or missing return)"},
    {"GPL-restricted", "this helper needs a GPL-compatible license"},
    {"cannot use helper bpf_override_return", kOverrideReturnHint},
    // Kernels built without CONFIG_FUNCTION_ERROR_INJECTION (Debian 12's 6.1) lack the helper.
    {"unknown func bpf_override_return", kOverrideReturnHint},
    {"stack", "the BPF stack is 512 bytes: move large buffers into a per-CPU array map"},
    // Also code whose bound the compiler split in two compares an older verifier (6.1) cannot
    // join: `if (n < 1 || n >= 2) return 0; a[n - 1]` (6.1 does not narrow n != 0 && n <= 1).
    {"unbounded min value", "an index or offset may be negative: check `idx >= 0` (or use an unsigned "
                            "type); if your code already bounds it, this kernel's verifier lost the "
                            "bound (older ones, e.g. 6.1, do not narrow `n != 0 && n <= 1` to "
                            "`n == 1`): bound the index you use, `u64 i = n - 1; if (i >= N) return 0;`"},
    {"invalid access to map value", "an access past the end of a map value: bound the index by the value's size"},
    {"unknown func", "this helper is not available to this program type or kernel"},
    {"cannot be called from", "this helper is not available to this program type"},
};

bool startsWith(const std::string &s, std::string_view p) { return s.compare(0, p.size(), p) == 0; }

// "; u64 *v = ... @ probe.c:11" -> source "u64 *v = ...", location "probe.c:11"
void parseSourceComment(const std::string &line, VerifierExplanation &out) {
    auto at = line.rfind(" @ ");
    std::string text = line.substr(1, at == std::string::npos ? std::string::npos : at - 1);
    size_t first = text.find_first_not_of(' ');
    out.source = first == std::string::npos ? "" : text.substr(first);
    out.location = at == std::string::npos ? "" : line.substr(at + 3);
}

} // namespace

VerifierExplanation explainVerifierLog(const std::string &log) {
    std::vector<std::string> lines;
    std::istringstream in(log);
    for (std::string line; std::getline(in, line);)
        if (!line.empty() && !startsWith(line, "processed ") && !startsWith(line, "verification time"))
            lines.push_back(line);
    VerifierExplanation out;
    // The reason is the last line that is neither an instruction ("12: (..)") nor a comment.
    for (size_t i = lines.size(); i-- > 0;) {
        const std::string &l = lines[i];
        bool insn = !l.empty() && std::isdigit(static_cast<unsigned char>(l[0])) &&
                    l.find(": ") != std::string::npos && l.find(": R") != std::string::npos;
        // "cur state:" / "old state:" detail the reason above them ("infinite loop detected").
        if (l[0] == ';' || (insn && l.find(") ") != std::string::npos) || startsWith(l, "cur state:") ||
            startsWith(l, "old state:"))
            continue;
        out.reason = l;
        for (size_t j = i; j-- > 0;)
            if (lines[j][0] == ';') {
                parseSourceComment(lines[j], out);
                break;
            }
        break;
    }
    // libbpf names the failed relocation with the probe's local type ("task_struct___jp", the
    // rewriter's flavor of the kernel's task_struct): the user wrote "task_struct".
    if (out.reason.find(kCoreFailure) != std::string::npos)
        for (std::size_t at; (at = out.reason.find("___jp")) != std::string::npos;)
            out.reason.erase(at, 5);
    for (const auto &k : kKnown)
        if (out.reason.find(k.needle) != std::string::npos) {
            out.hint = k.hint;
            break;
        }
    return out;
}

std::string missingAttachTarget(const std::string &libbpf_log, const std::string &prog) {
    const std::string needle = "prog '" + prog + "': failed to find kernel BTF type ID of '";
    auto at = libbpf_log.find(needle);
    if (at == std::string::npos)
        return {};
    at += needle.size();
    auto end = libbpf_log.find('\'', at);
    return end == std::string::npos ? std::string() : libbpf_log.substr(at, end - at);
}

std::string formatExplanation(const VerifierExplanation &e) {
    if (e.reason.empty())
        return {};
    std::string out = (e.location.empty() ? "" : e.location + ": ") + e.reason + "\n";
    if (!e.source.empty())
        out += "  " + e.source + "\n";
    if (!e.hint.empty())
        out += "  hint: " + e.hint + "\n";
    return out;
}

} // namespace jitprobe::detail
