// BPF::ksym / sym / get_tracepoints / get_kprobe_functions (issue 16): BCC Python's symbol
// helpers over the runtime's symbolizer and jitprobe/Kernel.h's lists.
#include "BPFImpl.h"

#include "jitprobe/Kernel.h"
#include "symbolize/Symbolizer.h"

namespace jitprobe {
namespace {

// The symbolizer's "name+0xOFF [module]" cut to what BCC's flags ask for.
std::string formatFrame(std::string frame, bool show_module, bool show_offset) {
    std::string module;
    if (auto at = frame.rfind(" ["); at != std::string::npos && frame.back() == ']') {
        module = frame.substr(at);
        frame.resize(at);
    }
    if (frame.empty() || frame.starts_with("0x"))
        return "[unknown]" + (show_module ? module : "");
    if (auto off = frame.rfind("+0x"); !show_offset && off != std::string::npos && off > 0)
        frame.resize(off);
    return frame + (show_module ? module : "");
}

} // namespace

std::string BPF::ksym(uint64_t addr, bool show_module, bool show_offset) {
    if (!impl_->symbolizer)
        impl_->symbolizer = StackSymbolizer::load();
    return impl_->symbolizer ? formatFrame(impl_->symbolizer->kernel(addr), show_module, show_offset)
                             : "[unknown]";
}

std::string BPF::sym(uint64_t addr, int pid, bool show_module, bool show_offset) {
    if (pid < 0)
        return ksym(addr, show_module, show_offset);
    if (!impl_->symbolizer)
        impl_->symbolizer = StackSymbolizer::load();
    return impl_->symbolizer
               ? formatFrame(impl_->symbolizer->user(pid, addr), show_module, show_offset)
               : "[unknown]";
}

Result<std::vector<std::string>> BPF::get_tracepoints(const std::string &pattern) {
    return list_tracepoints(pattern);
}

Result<std::vector<std::string>> BPF::get_kprobe_functions(const std::string &pattern) {
    return list_kernel_functions(pattern);
}

} // namespace jitprobe
