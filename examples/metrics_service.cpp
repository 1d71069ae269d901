// A small service that embeds jitprobe's Prometheus exporter: a BCC-style probe counts the
// openat() calls of every process name and measures its own read() latency; the service adds a
// metric of its own and serves everything on 127.0.0.1:9436/metrics until Ctrl-C.
// Run as root: ./metrics_service [HOST:PORT], then: curl -s 127.0.0.1:9436/metrics
#include "jitprobe/Exporter.h"
#include "jitprobe/Script.h"

#include <csignal>
#include <cstdio>
#include <thread>

namespace {

const char *kProbe = R"(
struct comm_key { char comm[16]; };
BPF_HASH(opens, struct comm_key, u64, 1024);
BPF_HASH(read_start, u32, u64, 1024);
BPF_HISTOGRAM(read_latency_ns);

TRACEPOINT_PROBE(syscalls, sys_enter_openat) {
    struct comm_key k = {};
    bpf_get_current_comm(&k.comm, sizeof(k.comm));
    opens.increment(k);
    return 0;
}
TRACEPOINT_PROBE(syscalls, sys_enter_read) {
    u32 tid = bpf_get_current_pid_tgid();
    u64 now = bpf_ktime_get_ns();
    read_start.update(&tid, &now);
    return 0;
}
TRACEPOINT_PROBE(syscalls, sys_exit_read) {
    u32 tid = bpf_get_current_pid_tgid();
    u64 *start = read_start.lookup(&tid);
    if (start) {
        read_latency_ns.increment(bpf_log2l(bpf_ktime_get_ns() - *start));
        read_start.delete(&tid);
    }
    return 0;
}
)";


} // namespace

int main(int argc, char **argv) {
    std::string listen = argc > 1 ? argv[1] : "127.0.0.1:9436";
    jitprobe::Script script;
    jitprobe::ScriptOptions opts;
    opts.file_name = "metrics_service.c";
    jitprobe::Status s = script.load(kProbe, {}, opts);
    if (s.ok())
        s = script.attach_all();
    if (!s.ok()) {
        std::fprintf(stderr, "metrics_service: %s\n", s.msg().c_str());
        return 1;
    }
    jitprobe::ExporterOptions eo;
    eo.metric_namespace = "myservice";
    jitprobe::Exporter exporter(eo);
    jitprobe::RunOptions run;
    exporter.add_script(script, run); // before run(): the exporter hooks its callbacks
    exporter.set_gauge("myservice_up", "1 while the service runs", {}, 1);
    std::thread poller([&] { (void)script.run(run); }); // returns after Script::stop_all()
    // SIGINT/SIGTERM: stop the polling (async-signal-safe); the main thread then stops serving.
    std::signal(SIGINT, [](int) { jitprobe::Script::stop_all(); });
    std::signal(SIGTERM, [](int) { jitprobe::Script::stop_all(); });
    std::thread stopper([&] {
        poller.join();
        exporter.stop();
    });
    std::fprintf(stderr, "metrics_service: serving on http://%s/metrics\n", listen.c_str());
    s = exporter.serve(listen);
    if (!s.ok()) {
        std::fprintf(stderr, "metrics_service: %s\n", s.msg().c_str());
        jitprobe::Script::stop_all();
    }
    stopper.join();
    return s.ok() ? 0 : 1;
}
