// What the compiler processes send through pipes: the frontend's code-generation child (see
// IsolatedRun) and the runtime's compiler child (see CompilerProcess) both use these.
#pragma once
#include "jitprobe/frontend/Diagnostic.h"

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

} // namespace jitprobe::frontend
