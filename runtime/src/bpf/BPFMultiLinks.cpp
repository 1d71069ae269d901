// The multi expected attach type of kprobe/uprobe wildcard programs: set before the load when
// every attach point of a program is such a wildcard, else a copy loaded with it (BPFWildcards).
#include "BPFWildcards.h"

#include "attach/AttachTarget.h"
#include "attach/MultiLinks.h"

namespace jitprobe::detail {
namespace {

// The multi attach type of one attach point, or -1 when it is not a kprobe/uprobe wildcard.
int multiTypeOf(const frontend::AttachPoint &ap, pid_t pid) {
    if (ap.kind == "kprobe" || ap.kind == "kretprobe") {
        auto t = parseKprobeTarget(ap.target);
        return t.ok() && !t->offset && isWildcard(t->function) ? kTraceKprobeMulti : -1;
    }
    if (ap.kind == "uprobe" || ap.kind == "uretprobe") {
        auto t = parseUprobeTarget(ap.target);
        return t.ok() && !t->address && !t->offset &&
                       isUprobePattern(t->binary, t->symbol, pid > 0 ? pid : -1)
                   ? kTraceUprobeMulti
                   : -1;
    }
    return -1;
}

// The multi attach type every attach point of SPEC needs, if this kernel has it; else -1.
int multiTypeFor(const frontend::ProgramSpec &spec, pid_t pid) {
    int want = -1;
    for (const frontend::AttachPoint &ap : spec.attach) {
        int type = multiTypeOf(ap, pid);
        if (type < 0 || (want >= 0 && type != want))
            return -1; // a single target needs the plain type: the program keeps it
        want = type;
    }
    if (want == kTraceKprobeMulti && !kprobeMultiSupport().ok())
        return -1;
    if (want == kTraceUprobeMulti && !uprobeMultiSupport().ok())
        return -1;
    return want;
}

} // namespace

void presetMultiAttachTypes(BPF::Impl &impl) {
    for (const frontend::ProgramSpec &spec : impl.info.programs) {
        bpf_program *prog = bpf_object__find_program_by_name(impl.object.get(),
                                                             spec.function.c_str());
        if (!prog || bpf_program__type(prog) != BPF_PROG_TYPE_KPROBE)
            continue;
        int expected = multiTypeFor(spec, impl.options.attach_pid);
        if (expected >= 0)
            (void)bpf_program__set_expected_attach_type(prog,
                                                        static_cast<bpf_attach_type>(expected));
    }
}

Result<int> multiProgramFd(BPF::Impl &impl, const std::string &func, int expected) {
    return impl.programFdAs(func, BPF_PROG_TYPE_KPROBE, expected);
}

} // namespace jitprobe::detail
