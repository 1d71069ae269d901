// PrintkStreams: a run's bpf_trace_printk output, private by default (see ScriptParts.h).
#include "ScriptParts.h"
#include "attach/Tracefs.h"

#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include <cerrno>
#include <cstdio>
#include <fstream>

#include <dirent.h>
#include <signal.h>
#include <unistd.h>

namespace jitprobe {
namespace {
bool writeFile(const std::string &path, const std::string &text) {
    std::ofstream out(path);
    out << text;
    return static_cast<bool>(out.flush());
}

// Instances left by jitprobe processes that died without cleaning up (SIGKILL, crash).
void removeStaleInstances(const std::string &instances_dir) {
    DIR *dir = opendir(instances_dir.c_str());
    if (!dir)
        return;
    while (dirent *e = readdir(dir)) {
        int pid = 0;
        if (std::sscanf(e->d_name, "jitprobe-%d-", &pid) != 1 || pid <= 0)
            continue;
        if (kill(pid, 0) == 0 || errno != ESRCH)
            continue;
        std::string path = instances_dir + "/" + e->d_name;
        writeFile(path + "/events/bpf_trace/bpf_trace_printk/enable", "0");
        rmdir(path.c_str());
    }
    closedir(dir);
}

// Whether any program calls the kernel's bpf_trace_printk / bpf_trace_vprintk (sources built
// with JITPROBE_TRACE_PIPE_PRINTK): only then is the host trace_pipe worth reading.
bool usesKernelPrintk(const BPF &bpf) {
    struct bpf_object *obj = bpf.raw_object();
    struct bpf_program *prog;
    if (!obj)
        return false;
    bpf_object__for_each_program(prog, obj) {
        const struct bpf_insn *insns = bpf_program__insns(prog);
        for (std::size_t i = 0; insns && i < bpf_program__insn_cnt(prog); ++i)
            if (insns[i].code == (BPF_JMP | BPF_CALL) && insns[i].src_reg == 0 &&
                (insns[i].imm == BPF_FUNC_trace_printk || insns[i].imm == BPF_FUNC_trace_vprintk))
                return true;
    }
    return false;
}
} // namespace

Status PrintkStreams::open(const BPF &bpf, const RunOptions &options) {
    if (!bpf.program_info().printk_formats.empty())
        if (Status s = private_.open(bpf); !s.ok())
            return s;
    if (!options.host_trace_pipe || !usesKernelPrintk(bpf))
        return Status::OK();
    auto root = detail::Tracefs::ensureMounted();
    if (!root.ok())
        return root.status();
    removeStaleInstances(*root + "/instances");
    return host_.open_private();
}

void PrintkStreams::pump(const RunOptions &options, int timeout_ms) {
    for (TracePipe *pipe : {&private_, &host_}) {
        if (!pipe->is_open())
            continue;
        auto lines = pipe->read_fields(timeout_ms);
        if (lines.ok() && options.on_printk)
            for (TraceLine &line : lines.value())
                options.on_printk(PrintkRecord{std::move(line.msg)});
        if (std::uint64_t lost = pipe->take_lost(); lost > 0 && options.on_event)
            options.on_event(LostRecord{pipe == &private_ ? "printk" : "trace_pipe", lost});
    }
}

} // namespace jitprobe
