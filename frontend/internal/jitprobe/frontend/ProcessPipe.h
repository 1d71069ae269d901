// What the compiler processes send through pipes: the frontend's code-generation child (see
// IsolatedRun), and the runtime (see CompilerProcess) and the jitprobe-compiler executable,
// which exchange a compile request and its result.
#pragma once
#include "jitprobe/Status.h"
#include "jitprobe/frontend/Diagnostic.h"
#include "jitprobe/frontend/Frontend.h"

#include <string>
#include <vector>

namespace jitprobe::frontend {

// Writes all of DATA to FD (retrying short writes and EINTR); false on an error.
bool writeAll(int fd, const std::string &data);
// Reads FD to end of file (retrying EINTR).
std::string readAll(int fd);

// Diagnostics as a JSON array and back; false (OUT untouched) when TEXT is not such an array.
std::string diagnosticsToJson(const std::vector<Diagnostic> &diags);
bool diagnosticsFromJson(const std::string &text, std::vector<Diagnostic> &out);

// A compile request (source + options) and back; false when BYTES is not one.
std::string encodeCompileRequest(const std::string &source, const CompileOptions &options);
bool decodeCompileRequest(const std::string &bytes, std::string &source, CompileOptions &options);

// Caps on what the runtime accepts from the compiler process: a compiler that is broken or not
// ours (JITPROBE_COMPILER) must not make the caller allocate without bound. Generous: objects
// are a few MB, IR/assembly dumps tens of MB; the kernel-type PCH never crosses the pipe.
struct ReplyLimits {
    size_t max_header = size_t(16) << 20; // the JSON line (diagnostics, program info)
    size_t max_part = size_t(256) << 20;  // each of object, rewritten, IR, assembly, BTF
    size_t max_total = size_t(512) << 20; // all parts together
};

// How many bytes follow HEADER (a reply's first line, without its newline): the sum of the
// announced part sizes (0 for a failure record or a header without sizes); an error (e.g.
// "reply part 'object' of 9223372036854775807 bytes exceeds the 256 MiB cap") when a size
// breaks LIMITS or the sum overflows.
[[nodiscard]] Result<size_t> replyBodySize(const std::string &header, const ReplyLimits &limits);

// A compile result: one JSON line (verdict, diagnostics, program info, times, sizes), then the
// object, rewritten source, IR, assembly and minimized kernel BTF back to back. False when
// BYTES is not a whole result (e.g. truncated).
std::string encodeCompileResult(const CompileResult &result);
bool decodeCompileResult(const std::string &bytes, CompileResult &result);

// What the compiler process sends when it could not compile at all, and back (false: BYTES is
// a result, not a failure).
std::string encodeCompileFailure(int code, const std::string &message);
bool decodeCompileFailure(const std::string &bytes, int &code, std::string &message);

} // namespace jitprobe::frontend
