// go_http.c — requests and latency of a Go HTTP server, by uprobes on Go's net/http.
//
// Go symbols are attached as Go spells them. The request's goroutine (Go keeps the current g in
// register r14 on amd64) keys the start time from ServeMux.ServeHTTP's entry to the entry of
// response.finishRequest, which runs on the same goroutine once the handler has returned: a
// latency without uretprobes (a Go return probe can crash the program: Go moves stacks).
// requests_by_mux counts requests per *ServeMux (the receiver, the first register argument).
//
// BINARY below is found in $PATH ("goserver"); give the absolute path of your server instead.
// Run it (tests/support/goserver/main.go is such a server; curl makes the requests):
//   PATH=$PWD/build/tests/goserver:$PATH jitprobe run examples/go_http.c --duration 10
//
// @attach uprobe:goserver:net/http.(*ServeMux).ServeHTTP -> on_serve
// @attach uprobe:goserver:net/http.(*response).finishRequest -> on_finish

#include <uapi/linux/ptrace.h>

BPF_HASH(start_by_goroutine, u64, u64, 10240);
BPF_HASH(requests_by_mux, u64, u64);
BPF_HISTOGRAM(latency_us);

int on_serve(struct pt_regs *ctx) {
    u64 g = ctx->r14, now = bpf_ktime_get_ns();
    start_by_goroutine.update(&g, &now);
    requests_by_mux.increment(ctx->ax); // GO_PARAM1: the *ServeMux
    return 0;
}

int on_finish(struct pt_regs *ctx) {
    u64 g = ctx->r14;
    u64 *start = start_by_goroutine.lookup(&g);
    if (!start)
        return 0;
    latency_us.increment(bpf_log2l((bpf_ktime_get_ns() - *start) / 1000));
    start_by_goroutine.delete(&g);
    return 0;
}
