// Which BPF program a C function becomes: BCC's naming conventions (kprobe__F, tracepoint__C__E,
// ...), libbpf SEC() names, the context parameter's type, and @attach directives all end up as
// one ProgramSpec (section, program type, attach points).
#pragma once
#include "jitprobe/frontend/ProgramInfo.h"
#include "conventions/AttachDirectives.h"

#include <optional>
#include <string>

namespace jitprobe::frontend {

// `ctx_type` is the first parameter's type without qualifiers, e.g. "struct pt_regs *".
// nullopt: neither the name nor the context type says what the program is.
std::optional<ProgramSpec> programForFunction(const std::string &name, const std::string &ctx_type,
                                              unsigned line);

// A user-written SEC("...") function. nullopt: a section this project does not know.
std::optional<ProgramSpec> programForSection(const std::string &name, const std::string &section,
                                             unsigned line);

// Adds the directive's attach point. The first attach point a function gets also decides its
// section and program type (an earlier one from a name or SEC() is kept).
void addDirective(ProgramSpec &spec, const AttachDirective &d);

} // namespace jitprobe::frontend
