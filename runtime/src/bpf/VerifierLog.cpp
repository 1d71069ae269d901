#include "VerifierLog.h"

#include <sstream>
#include <vector>

namespace jitprobe::detail {

std::string relevantVerifierLines(const std::string &log, size_t tail_lines) {
    std::vector<std::string> lines;
    std::istringstream in(log);
    for (std::string line; std::getline(in, line);)
        if (!line.empty())
            lines.push_back(line);
    // The last source comment before the error is the line whose instruction failed.
    ptrdiff_t last_source = -1;
    for (size_t i = 0; i < lines.size(); i++)
        if (lines[i].starts_with("; "))
            last_source = static_cast<ptrdiff_t>(i);
    size_t first = lines.size() > tail_lines ? lines.size() - tail_lines : 0;
    std::string out;
    if (last_source >= 0 && static_cast<size_t>(last_source) < first)
        out += "  " + lines[last_source] + "\n  ...\n";
    for (size_t i = first; i < lines.size(); i++)
        out += "  " + lines[i] + "\n";
    return out;
}

} // namespace jitprobe::detail
