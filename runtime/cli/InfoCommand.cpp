// jitprobe info: what this kernel and process can do (jitprobe/Features.h), as text or JSON.
#include "Cli.h"
#include "jitprobe/Features.h"

#include <nlohmann/json.hpp>

#include <iostream>

namespace jitprobe::cli {
namespace {

void printRows(const char *title, const std::vector<Feature> &rows) {
    std::cout << title << ":\n";
    for (const Feature &f : rows)
        std::cout << "  " << f.name << std::string(f.name.size() < 20 ? 20 - f.name.size() : 1, ' ')
                  << (f.supported ? "yes" : "no ")
                  << (f.detail.empty() ? "" : "  " + escape_terminal_controls(f.detail)) << '\n';
}

// Program and map types are many: one line of names for each answer.
void printSummary(const char *title, const std::vector<Feature> &rows) {
    std::string yes, no;
    for (const Feature &f : rows)
        (f.supported ? yes : no) += " " + f.name;
    std::cout << title << ":\n  supported:" << (yes.empty() ? " none" : yes) << '\n';
    if (!no.empty())
        std::cout << "  not supported:" << no << '\n';
}

void printText(const SystemFeatures &s) {
    std::cout << "kernel:   " << s.kernel_release << '\n'
              << "btf:      " << (s.btf.supported ? "yes  " : "no   ") << s.btf.detail << '\n'
              << "libbpf:   " << s.libbpf_version << '\n'
              << "compiler: " << (s.compiler.supported ? "" : "not found: ") << s.compiler.detail
              << '\n'
              << "cache:    " << (s.cache.supported ? "" : "unusable: ") << s.cache.detail << '\n';
    printRows("attach types (loaded and attached)", s.attach_types);
    printRows("features", s.features);
    printRows("capabilities", s.capabilities);
    printRows("mounts", s.mounts);
    printSummary("program types (loaded)", s.program_types);
    printSummary("map types (created)", s.map_types);
}

nlohmann::json toJson(const Feature &f) {
    return {{"name", f.name},
            {"supported", f.supported},
            {"detail", escape_terminal_controls(f.detail)}};
}

nlohmann::json toJson(const std::vector<Feature> &rows) {
    nlohmann::json out = nlohmann::json::array();
    for (const Feature &f : rows)
        out.push_back(toJson(f));
    return out;
}

void printJson(const SystemFeatures &s) {
    nlohmann::json j = {{"type", "info"},
                        {"kernel", s.kernel_release},
                        {"btf", toJson(s.btf)},
                        {"libbpf", s.libbpf_version},
                        {"compiler", toJson(s.compiler)},
                        {"cache", toJson(s.cache)},
                        {"attach_types", toJson(s.attach_types)},
                        {"features", toJson(s.features)},
                        {"capabilities", toJson(s.capabilities)},
                        {"mounts", toJson(s.mounts)},
                        {"program_types", toJson(s.program_types)},
                        {"map_types", toJson(s.map_types)}};
    std::cout << j.dump() << '\n';
}

} // namespace

int infoCommand(const std::vector<std::string> &args) {
    std::string format = "text";
    po::options_description desc("info options");
    desc.add_options()("format", po::value(&format)->default_value("text"),
                       "output format: text | json")("help,h", "this help");
    po::variables_map vm;
    if (!parseArgs(args, desc, vm, "format", 0))
        return kExitUsage;
    if (vm.count("help")) {
        std::cout << "usage: jitprobe info [--format text|json]\n" << desc;
        return kExitOk;
    }
    if (format != "text" && format != "json") {
        reportError("--format must be text or json");
        return kExitUsage;
    }
    SystemFeatures s = probe_system_features();
    if (format == "json")
        printJson(s);
    else
        printText(s);
    return kExitOk;
}

} // namespace jitprobe::cli
