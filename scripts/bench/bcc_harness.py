"""What the BCC forms of the bench probes share: the same CLI contract as `jitprobe run`.

    python3 PROBE.py [-c CMD] [--pages N]

Compiles and attaches PROBE's program (BCC's C dialect; the very same .c file jitprobe runs, so
both tools compile identical source), opens its output buffers, then runs CMD through /bin/sh
(after everything is attached, like `jitprobe run -c`), polls until CMD exits, drains, prints
the maps and exits. One line per event: "PID COMM FILENAME"; losses: "lost N".
"""
import argparse
import os
import subprocess
import sys

from bcc import BPF

HERE = os.path.dirname(os.path.abspath(__file__))


def run(source, perf=(), ring=(), hashes=(), hists=()):
    ap = argparse.ArgumentParser()
    ap.add_argument("-c", dest="command", default=None)
    ap.add_argument("--pages", type=int, default=256, help="perf buffer pages per CPU")
    a = ap.parse_args()
    b = BPF(src_file=os.path.join(HERE, source))  # TRACEPOINT_PROBEs attach here
    out = sys.stdout
    lost = [0]

    def printer(name):
        table = b[name]

        def cb(*args):  # perf: (cpu, data, size); ring buffer: (ctx, data, size)
            ev = table.event(args[1])
            out.write("%d %s %s\n" % (ev.pid, ev.comm.decode("utf-8", "replace"),
                                      ev.fname.decode("utf-8", "replace")))
        return cb

    def on_lost(count):
        lost[0] += count

    for name in perf:
        b[name].open_perf_buffer(printer(name), page_cnt=a.pages, lost_cb=on_lost)
    for name in ring:
        b[name].open_ring_buffer(printer(name))
    proc = subprocess.Popen(a.command, shell=True) if a.command else None
    try:
        while proc is not None and proc.poll() is None:
            if perf:
                b.perf_buffer_poll(timeout=50)
            if ring:
                b.ring_buffer_poll(timeout=50)
            if not perf and not ring:
                proc.wait()
    except KeyboardInterrupt:
        pass
    if perf:  # drain
        b.perf_buffer_consume()
    if ring:
        b.ring_buffer_consume()
    if perf or ring:
        out.write("lost %d\n" % lost[0])
    for name in hashes:
        for k, v in sorted(b[name].items(), key=lambda kv: kv[1].value):
            out.write("%s %d\n" % (k.value, v.value))
    for name in hists:
        b[name].print_log2_hist("ns")
    out.flush()
    b.cleanup()  # explicit: BCC 0.26's PerfEventArray.__del__ raises KeyError at interpreter exit
