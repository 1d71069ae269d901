// std::filesystem walk of TRACEFS/events; errors (a category removed mid-walk) skip that entry.
#include "jitprobe/common/Tracepoints.h"

#include <algorithm>
#include <filesystem>

namespace jitprobe::common {

std::vector<std::string> listTracepoints(const std::string &tracefs) {
    namespace fs = std::filesystem;
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto &cat : fs::directory_iterator(fs::path(tracefs) / "events", ec)) {
        std::error_code ec2;
        if (!cat.is_directory(ec2))
            continue;
        for (const auto &ev : fs::directory_iterator(cat.path(), ec2))
            if (fs::exists(ev.path() / "format", ec2))
                out.push_back(cat.path().filename().string() + ":" + ev.path().filename().string());
    }
    std::sort(out.begin(), out.end());
    return out;
}

} // namespace jitprobe::common
