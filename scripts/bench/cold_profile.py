#!/usr/bin/env python3
"""Where jitprobe's cold start goes (issue 18). As root, from the repository root:

    scripts/bench/cold_profile.py [--jitprobe build/runtime/cli/jitprobe] [--runs 20]
        [--baseline OTHER/jitprobe:OTHER/jitprobe-compiler]   # interleaved with another build
        [--timeline]   # bpftrace: fork, the compiler's exec/request/reply, attach, -c exec

Cold = a cache dir holding only the kernel-type PCH (kernel-types/), the compiled objects removed
before each run, as in bench.py. Prints, as min / median over RUNS runs:
  - start-up: ms from starting `jitprobe run trivial.c -c 'date +%s%N'` to the command's clock
    (it runs once everything is attached), and the same for bpftrace when it is installed;
  - `--time-phases` of jitprobe (kernel types, parse, codegen, load, attach);
  - the compiler process alone, fed the request a cold run sends it (captured once through
    JITPROBE_COMPILER): wall ms, task-clock ms, page faults, from `perf stat` when available.
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PHASES_RE = re.compile(r"phase ([a-z_]+): ([0-9.]+) ms")


def clean(cache):
    for entry in os.listdir(cache):
        if entry != "kernel-types":
            p = os.path.join(cache, entry)
            shutil.rmtree(p) if os.path.isdir(p) and not os.path.islink(p) else os.unlink(p)


def started_to_mark(argv, env):
    """ms from starting ARGV to its -c command printing CLOCK_REALTIME, and its stderr."""
    t0 = time.time_ns()
    r = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
    marks = [l for l in r.stdout.split() if l.isdigit() and len(l) >= 18]
    if r.returncode != 0 or not marks:
        sys.exit("failed: %s\n%s%s" % (" ".join(argv), r.stdout, r.stderr))
    return (int(marks[0]) - t0) / 1e6, r.stderr


def cell(values, fmt="%.1f"):
    return (fmt + " / " + fmt) % (min(values), statistics.median(values))


def capture_request(jitprobe, probe, cache, work):
    """The bytes a cold run writes to the compiler's stdin (through a tee wrapper)."""
    compiler = os.path.join(ROOT, "build/frontend/jitprobe-compiler")
    request = os.path.join(work, "request")
    wrapper = os.path.join(work, "tee-compiler")
    with open(wrapper, "w") as f:
        f.write("#!/bin/sh\ntee %s | exec %s\n" % (request, compiler))
    os.chmod(wrapper, 0o755)
    clean(cache)
    env = dict(os.environ, JITPROBE_CACHE_DIR=cache, JITPROBE_COMPILER=wrapper)
    subprocess.run([jitprobe, "check", probe], env=env, check=True, capture_output=True)
    return compiler, request


# The runtime hands the compiler the cache directory open as fd 3 (ChildGroup::kExtraFd).
def with_cache_fd(cache):
    return "exec 3< %s; " % cache


def perf_stat(argv, stdin_path, runs, cache):
    """perf stat -r RUNS of ARGV < STDIN_PATH: {event: mean}."""
    if not shutil.which("perf"):
        return {}
    out = tempfile.NamedTemporaryFile(suffix=".perf", delete=False).name
    # Each run reads the request afresh through sh, which execs the compiler (one process).
    sh = with_cache_fd(cache) + "exec %s < %s > /dev/null" % (" ".join(argv), stdin_path)
    r = subprocess.run(["perf", "stat", "-x", ",", "-o", out, "-r", str(runs),
                        "-e", "task-clock,page-faults,minor-faults,major-faults", "sh", "-c", sh],
                       capture_output=True)
    result = {}
    for line in open(out):
        parts = line.strip().split(",")
        if len(parts) > 3 and parts[0] and parts[0][0].isdigit():
            result[parts[2]] = float(parts[0])
    os.unlink(out)
    return result


def measure_startup(variants, probe, cache, runs):
    """Cold runs of every variant, interleaved: {name: (start-up ms list, {phase: ms list})}."""
    out = {name: ([], {}) for name, _, _ in variants}
    for _ in range(runs):
        for name, jitprobe, compiler in variants:
            env = dict(os.environ, JITPROBE_CACHE_DIR=cache)
            env.pop("JITPROBE_COMPILER", None)
            if compiler:
                env["JITPROBE_COMPILER"] = compiler
            clean(cache)
            argv = [jitprobe, "run", probe, "--time-phases", "-c", "/usr/bin/date +%s%N"]
            t, err = started_to_mark(argv, env)
            out[name][0].append(t)
            for phase, value in PHASES_RE.findall(err):
                out[name][1].setdefault(phase, []).append(float(value))
    return out


def compiler_alone(compiler, request, cache, runs):
    walls = []
    for _ in range(runs):
        fd = os.open(cache, os.O_RDONLY | os.O_DIRECTORY)
        if fd != 3:
            os.dup2(fd, 3)
            os.close(fd)
        with open(request, "rb") as f:
            t0 = time.perf_counter()
            subprocess.run([compiler], stdin=f, stdout=subprocess.DEVNULL, check=True,
                           pass_fds=(3,))
            walls.append((time.perf_counter() - t0) * 1e3)
        os.close(3)
    return walls


SEGMENTS = [("CLI exec -> compiler fork", "fork1", None),
            ("fork -> compiler exec", "cexec0", "fork1"),
            ("compiler exec -> reads its request", "cread0", "cexec0"),
            ("compile: request read -> reply written", "cwrite0", "cread0"),
            ("reply -> perf_event_open (reap, store, load)", "attach0", "cwrite0"),
            ("attach -> -c command exec", "date0", "attach0"),
            ("total: CLI exec -> -c command exec", "date0", None)]


def timeline(variants, probe, cache, runs):
    """Cold runs under cold_timeline.bt (bpftrace), interleaved: per variant, per segment, ms."""
    out_path = os.path.join(os.path.dirname(cache), "timeline.txt")
    bt = subprocess.Popen(["bpftrace", os.path.join(ROOT, "scripts/bench/cold_timeline.bt")],
                          stdout=open(out_path, "w"), stderr=subprocess.DEVNULL)
    time.sleep(4)  # attached
    measure_startup(variants, probe, cache, runs)
    bt.send_signal(2)
    bt.wait(timeout=30)
    compilers = {c or os.path.join(ROOT, "build/frontend/jitprobe-compiler"): n
                 for n, _, c in variants}
    segments = {name: {} for name, _, _ in variants}
    for block in open(out_path).read().split("---"):
        events, seen, variant = {}, {}, None
        for line in block.splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[0] == "compiler":
                variant = compilers.get(os.path.realpath(parts[1]), compilers.get(parts[1]))
            elif len(parts) == 2 and parts[1].isdigit():
                k = seen[parts[0]] = seen.get(parts[0], -1) + 1
                events[parts[0] + str(k)] = int(parts[1]) / 1000.0
        if variant is None or not all(k in events for k in ("fork1", "cwrite0", "date0")):
            continue
        values = [events[end] - (events[begin] if begin else 0) for _, end, begin in SEGMENTS]
        if min(values) < 0:  # bpftrace prints per CPU: an event of the next run came early
            continue
        for (name, _, _), value in zip(SEGMENTS, values):
            segments[variant].setdefault(name, []).append(value)
    print("%-46s %s" % ("segment (ms, min / median)", "  ".join("%18s" % n for n in segments)))
    for name, _, _ in SEGMENTS:
        cells = [cell(segments[v][name], "%.2f") if segments[v].get(name) else "n/a"
                 for v in segments]
        print("%-46s %s" % (name, "  ".join("%18s" % c for c in cells)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--jitprobe", default=os.path.join(ROOT, "build/runtime/cli/jitprobe"))
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--probe", default=os.path.join(ROOT, "scripts/bench/trivial.c"))
    ap.add_argument("--baseline", metavar="JITPROBE:COMPILER",
                    help="another build's CLI and compiler, measured interleaved with this one")
    ap.add_argument("--timeline", action="store_true",
                    help="also a bpftrace timeline of the cold start's milestones")
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="jp-cold-")
    cache = os.path.join(work, "cache")
    os.mkdir(cache, 0o700)
    variants = [("this", a.jitprobe, None)]
    if a.baseline:
        variants.insert(0, ("baseline",) + tuple(a.baseline.split(":", 1)))
    env = dict(os.environ, JITPROBE_CACHE_DIR=cache)
    env.pop("JITPROBE_COMPILER", None)
    started_to_mark([a.jitprobe, "run", a.probe, "-c", "/usr/bin/date +%s%N"], env)  # the PCH
    if a.timeline and shutil.which("bpftrace"):
        timeline(variants, a.probe, cache, a.runs)
    results = measure_startup(variants, a.probe, cache, a.runs)
    for name, (ms, phases) in results.items():
        print("%s: jitprobe cold start-up (ms, min / median of %d): %s" % (name, a.runs, cell(ms)))
        for phase, values in phases.items():
            print("  phase %-14s %s" % (phase, cell(values)))
    bt = os.path.join(ROOT, "scripts/bench/trivial.bt")
    if shutil.which("bpftrace") and a.probe.endswith("trivial.c"):
        bms = [started_to_mark(["bpftrace", bt, "-c", "/usr/bin/date +%s%N"], env)[0]
               for _ in range(min(a.runs, 10))]
        print("bpftrace start-up (ms): %s" % cell(bms))
        for name, (ms, _) in results.items():
            print("  %s / bpftrace, ratio of medians: %.2f" %
                  (name, statistics.median(ms) / statistics.median(bms)))
    compiler, request = capture_request(a.jitprobe, a.probe, cache, work)
    compilers = [("this", compiler)] + ([("baseline", variants[0][2])] if a.baseline else [])
    for name, path in compilers:
        print("%s: compiler alone, wall (ms): %s" % (name, cell(compiler_alone(path, request, cache, a.runs))))
        for event, value in perf_stat([path], request, a.runs, cache).items():
            print("  perf stat mean %-14s %.1f" % (event, value))
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
