// Which maps hold results: `// @internal MAP [MAP ...]` marks a map as the probe's own working
// state (BCC tools' `start` timestamps: not printed as results, not cleared by --clear);
// `// @results MAP [MAP ...]` keeps a map printed that the convention below would hide.
// The convention (BCC's tools follow it): a map the probes delete entries from is working
// state, since results are read by user space, not removed by the probe.
#pragma once
#include "jitprobe/frontend/Diagnostic.h"
#include "jitprobe/frontend/ProgramInfo.h"

#include <string>
#include <vector>

namespace jitprobe::frontend {

struct MapDirective {
    bool internal = true; // @internal, else @results
    std::vector<std::string> maps;
    SourceLocation loc;      // the '@'
    std::string source_line; // for the caret display
};

// Every @internal / @results comment in source order; one without a map name (or with a name
// that is not an identifier) adds an Error diagnostic at its '@'.
std::vector<MapDirective> parseMapDirectives(const std::string &source, const std::string &file_name,
                                             std::vector<Diagnostic> &diags);

// Sets MapSpec::internal from DIRECTIVES over the convention already applied; a name that is no
// map of INFO is an error at its directive (with the closest map name as hint).
void applyMapDirectives(const std::vector<MapDirective> &directives, ProgramInfo &info,
                        std::vector<Diagnostic> &diags);

} // namespace jitprobe::frontend
