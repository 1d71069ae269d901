// jitprobe::list_tracepoints / list_kernel_functions (jitprobe/Kernel.h).
#include "jitprobe/Kernel.h"
#include "jitprobe/common/Tracepoints.h"

#include "Tracefs.h"

#include <fnmatch.h>
#include <unistd.h>

#include <fstream>
#include <set>

namespace jitprobe {
namespace {

bool matches(const std::string &glob, const std::string &name) {
    return glob.empty() || fnmatch(glob.c_str(), name.c_str(), 0) == 0;
}

std::set<std::string> kallsymsFunctions(const std::string &glob) {
    std::set<std::string> names;
    std::ifstream kallsyms("/proc/kallsyms");
    std::string addr, type, name;
    while (kallsyms >> addr >> type >> name) {
        kallsyms.ignore(4096, '\n');
        if ((type == "t" || type == "T") && matches(glob, name))
            names.insert(name);
    }
    return names;
}

} // namespace

Result<std::vector<std::string>> list_tracepoints(const std::string &glob) {
    auto root = detail::Tracefs::ensureMounted();
    if (!root.ok())
        return root.status();
    std::vector<std::string> out;
    for (std::string &name : common::listTracepoints(root.value()))
        if (matches(glob, name))
            out.push_back(std::move(name));
    return out;
}

Result<std::vector<std::string>> list_kernel_functions(const std::string &glob) {
    auto root = detail::Tracefs::ensureMounted();
    std::ifstream filter(root.ok() ? root.value() + "/available_filter_functions" : "");
    if (!filter) { // no tracefs function list: every text symbol
        auto names = kallsymsFunctions(glob);
        return std::vector<std::string>(names.begin(), names.end());
    }
    std::set<std::string> names;
    for (std::string line; std::getline(filter, line);) {
        std::string name = line.substr(0, line.find(' ')); // "name [module]"
        if (matches(glob, name))
            names.insert(name);
    }
    return std::vector<std::string>(names.begin(), names.end());
}

Result<std::vector<TracepointField>> tracepoint_fields(const std::string &name) {
    auto root = detail::Tracefs::ensureMounted();
    if (!root.ok())
        return root.status();
    std::size_t colon = name.find(':');
    if (colon == std::string::npos)
        return Status(EINVAL, "tracepoint '" + name + "': expected CATEGORY:EVENT");
    Result<common::TracepointFormat> format =
        common::readTracepointFormat(root.value(), name.substr(0, colon), name.substr(colon + 1));
    if (!format.ok())
        return format.status();
    std::vector<TracepointField> fields;
    for (const common::TracepointField &f : format->fields)
        fields.push_back({f.type, f.name, f.offset, f.size, f.is_signed});
    return fields;
}

bool kprobes_supported() { return ::access("/sys/bus/event_source/devices/kprobe", F_OK) == 0; }

} // namespace jitprobe
