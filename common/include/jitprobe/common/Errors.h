// Small helpers that turn errno values and libbpf error codes into Status messages with the
// errno's name, e.g. "ENOENT (No such file or directory)".
#pragma once
#include "jitprobe/Status.h"

#include <string>

namespace jitprobe::detail {

// "ENOENT (No such file or directory)"; accepts negative libbpf-style codes too.
std::string errnoText(int err);

// Status whose code is the positive errno and whose message ends with ": " + errnoText(err).
Status errnoStatus(int err, const std::string &what);

// Prepends "context: " to a failed Status' message (keeps OK statuses as they are).
Status withContext(const Status &status, const std::string &context);

} // namespace jitprobe::detail
