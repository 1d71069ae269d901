#!/usr/bin/python3
"""Side-by-side benchmark: jitprobe vs BCC (python3-bpfcc) vs bpftrace, in one run.

Run through scripts/bench.sh (which installs the peers, prepares BCC_KERNEL_SOURCE and builds
the helpers); see scripts/bench/README.md for how to read the output. Every measurement is
repeated RUNS times, tools interleaved round-robin (rotating the order), so that load from other
work on the machine hits all tools alike; only min/median and ratios measured in this run are
printed, never a verdict on absolute times.
"""
import argparse
import json
import os
import resource
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PROBES = [  # (key, description)
    ("trivial", "(1) trivial"),
    ("count", "(2) hash count/pid"),
    ("opensnoop_perf", "(3) openat event, perf"),
    ("readlat", "(4) read latency hist"),
]
TOOLS = ["jitprobe", "bcc", "bpftrace"]
TOOL_NAME = {"jitprobe": "jitprobe", "bcc": "BCC", "bpftrace": "bpftrace"}
FLOOD_PATH = "/nonexistent/jitprobe-bench-flood"
PHASES_RE = re.compile(r"phases: compile ([\d.]+) ms, load ([\d.]+) ms, attach ([\d.]+) ms")


class Failed(Exception):
    pass


def short(msg, n=70):
    msg = " ".join(msg.split())
    return msg if len(msg) <= n else msg[: n - 3] + "..."


class Bench:
    def __init__(self, a):
        self.a = a
        self.out = a.out
        self.work = tempfile.mkdtemp(prefix="run-", dir=self.out)
        self.gen = os.path.join(a.helpers, "benchgen")
        self.samples = {}  # key -> list of values
        self.errors = {}   # key -> reason of the last failure
        self.phases = {}   # (probe, scenario) -> list of (compile, load, attach)
        self.notes = []
        self.unavailable = {}  # tool -> reason
        self.n = 0
        self.pch_template = self.warm_dir = None

    # ---- bookkeeping -------------------------------------------------------------------------
    def add(self, key, value):
        self.samples.setdefault(key, []).append(value)

    def fail(self, key, reason):
        self.errors[key] = short(reason)
        self.samples.setdefault(key, [])

    def fresh_dir(self, tag):
        self.n += 1
        d = os.path.join(self.work, "%s-%d" % (tag, self.n))
        os.makedirs(d, mode=0o700)
        return d

    # ---- one process run ---------------------------------------------------------------------
    def run(self, argv, env_extra=None, command=None, timeout=180):
        """Runs ARGV (whose -c COMMAND is built by COMMAND(marker)) under /usr/bin/time.
        Returns dict(startup_ms, total_ms, rss_kb, cpu_ms, stdout, stderr); cpu_ms is user + system
        time of the whole run (the tool and every child it waited for, e.g. jitprobe-compiler), from
        this process's RUSAGE_CHILDREN (microseconds, not time's 10 ms)."""
        d = self.fresh_dir("p")
        marker, rss, so, se = (os.path.join(d, f) for f in ("marker", "rss", "stdout", "stderr"))
        cmd = command(marker) if command else "%s mark %s" % (self.gen, marker)
        argv = [x.replace("{CMD}", cmd) for x in argv]
        env = dict(os.environ)
        env.update(env_extra or {})
        ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.monotonic_ns()
        try:
            with open(so, "w") as fo, open(se, "w") as fe:
                rc = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss] + argv, stdout=fo,
                                    stderr=fe, env=env, timeout=timeout, stdin=subprocess.DEVNULL).returncode
        except subprocess.TimeoutExpired:
            raise Failed("timeout after %d s" % timeout)
        t1 = time.monotonic_ns()
        ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu_ms = (ru1.ru_utime + ru1.ru_stime - ru0.ru_utime - ru0.ru_stime) * 1000.0
        stderr = open(se, errors="replace").read()
        if rc != 0:
            lines = [l for l in stderr.splitlines() if l.strip() and "Command exited" not in l
                     and "RLIMIT_MEMLOCK" not in l]
            raise Failed("exit %d: %s" % (rc, lines[-1] if lines else "no message"))
        try:
            mark = int(open(marker).read())
        except (OSError, ValueError):
            mark = None
        if command is None and mark is None:
            raise Failed("command never ran (no attach?)")
        try:
            rss_kb = int(open(rss).read().split()[-1])
        except (OSError, ValueError, IndexError):
            rss_kb = None
        res = {"startup_ms": (mark - t0) / 1e6 if mark else None, "total_ms": (t1 - t0) / 1e6,
               "rss_kb": rss_kb, "cpu_ms": cpu_ms, "stdout": so, "stderr": stderr, "dir": d}
        return res

    # ---- tools -------------------------------------------------------------------------------
    def jitprobe_argv(self, probe, json_out=False):
        argv = [self.a.jitprobe, "run", os.path.join(HERE, probe + ".c"), "--time-phases", "-c", "{CMD}"]
        if json_out:
            argv[3:3] = ["--format", "json"]
        return argv

    def tool_argv(self, tool, probe, json_out=False):
        if tool == "jitprobe":
            return self.jitprobe_argv(probe, json_out)
        if tool == "bcc":
            return ["/usr/bin/python3", os.path.join(HERE, probe + ".py"), "-c", "{CMD}"]
        bt = os.path.join(HERE, probe + ".bt")
        if not os.path.exists(bt):
            raise Failed("bpftrace 0.17 prints through a perf buffer only")
        return [self.a.bpftrace, "-c", "{CMD}", bt]

    def tool_env(self, tool, cache_dir=None):
        if tool == "jitprobe":
            return {"JITPROBE_CACHE_DIR": cache_dir} if cache_dir else {}
        if tool == "bcc":
            return {"BCC_KERNEL_SOURCE": self.a.bcc_kernel_source}
        return {"BPFTRACE_STRLEN": "128", "BPFTRACE_PERF_RB_PAGES": "256"}

    def check_tools(self):
        if not os.access(self.a.jitprobe, os.X_OK):
            self.unavailable["jitprobe"] = "no binary at %s" % self.a.jitprobe
        try:
            subprocess.run(["/usr/bin/python3", "-c", "import bcc"], check=True, capture_output=True)
            if not os.path.isdir(self.a.bcc_kernel_source or "/nonexistent"):
                self.unavailable["bcc"] = "no kernel headers (BCC_KERNEL_SOURCE)"
        except (subprocess.CalledProcessError, OSError):
            self.unavailable["bcc"] = "python3-bpfcc not installed"
        if not shutil.which(self.a.bpftrace):
            self.unavailable["bpftrace"] = "bpftrace not installed"

    # ---- jitprobe cache preparation ------------------------------------------------------------
    def prepare_jitprobe_cache(self):
        """First runs in empty cache dirs (they build the kernel-type PCH), then a PCH-only template
        for cold runs and a filled dir for warm runs."""
        if "jitprobe" in self.unavailable:
            return
        for i in range(self.a.runs):
            d = self.fresh_dir("empty")
            try:
                r = self.run(self.jitprobe_argv("trivial"), self.tool_env("jitprobe", d))
                self.add(("first", "jitprobe", "startup"), r["startup_ms"])
                self.record_phases(("trivial", "first"), r["stderr"])
            except Failed as e:
                self.fail(("first", "jitprobe", "startup"), str(e))
                continue
            if self.pch_template is None:
                self.pch_template = d
        if self.pch_template is None:
            self.unavailable["jitprobe"] = self.errors.get(("first", "jitprobe", "startup"), "failed")
            return
        contents = sorted(os.listdir(self.pch_template))
        if not contents:
            self.notes.append("this jitprobe build wrote nothing to JITPROBE_CACHE_DIR: there is no "
                              "PCH/object cache, so 'cold' and 'warm' are both full compiles")
        elif "kernel-types" not in contents:
            self.notes.append("JITPROBE_CACHE_DIR holds %s but no kernel-types/: cold runs start from "
                              "a copy of all of it minus likely object entries" % contents)
        for entry in contents:  # keep only the kernel-type PCH (+ vmlinux.h)
            if entry != "kernel-types":
                p = os.path.join(self.pch_template, entry)
                shutil.rmtree(p) if os.path.isdir(p) and not os.path.islink(p) else os.unlink(p)
        self.warm_dir = self.fresh_dir("warm")
        os.rmdir(self.warm_dir)
        shutil.copytree(self.pch_template, self.warm_dir, symlinks=True)
        for probe, _ in PROBES + [("opensnoop_ring", "")]:
            try:
                self.run(self.jitprobe_argv(probe), self.tool_env("jitprobe", self.warm_dir))
            except Failed:
                pass  # reported by the measured runs

    def cold_dir(self):
        """One cache dir holding the kernel-type PCH, its objects removed before each cold run: a
        user's cache after the first run, where the PCH files keep their identity (issue 18: the
        PCH is hashed once, then known by dev/ino/size/mtime/ctime)."""
        d = os.path.join(self.work, "cold")
        if not os.path.isdir(d):
            shutil.copytree(self.pch_template, d, symlinks=True)
            os.chmod(d, 0o700)
        for entry in os.listdir(d):
            if entry != "kernel-types":
                p = os.path.join(d, entry)
                shutil.rmtree(p) if os.path.isdir(p) and not os.path.islink(p) else os.unlink(p)
        # Like a PCH jitprobe built earlier (it drops what it writes from the page cache, see
        # KernelTypeCache.cpp) and compiles have read since.
        for root, _, files in os.walk(d):
            for f in files:
                fd = os.open(os.path.join(root, f), os.O_RDONLY)
                os.fsync(fd)
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                while os.read(fd, 1 << 20):
                    pass
                os.close(fd)
        return d

    def record_phases(self, key, stderr):
        m = PHASES_RE.search(stderr)
        if m:
            self.phases.setdefault(key, []).append(tuple(float(x) for x in m.groups()))

    # ---- measurements ----------------------------------------------------------------------------
    def startup_round(self, i):
        for probe, _ in PROBES:
            order = ["jitprobe-cold", "jitprobe-warm", "bcc", "bpftrace"]
            k = i % len(order)
            for variant in order[k:] + order[:k]:
                tool = variant.split("-")[0]
                scen = variant.split("-")[1] if "-" in variant else "normal"
                key = (probe, variant)
                if tool in self.unavailable:
                    self.fail((probe, variant, "startup"), self.unavailable[tool])
                    self.fail((probe, variant, "rss"), self.unavailable[tool])
                    continue
                try:
                    cache = None
                    if tool == "jitprobe":
                        cache = self.cold_dir() if scen == "cold" else self.warm_dir
                    r = self.run(self.tool_argv(tool, probe), self.tool_env(tool, cache))
                except Failed as e:
                    self.fail((probe, variant, "startup"), str(e))
                    self.fail((probe, variant, "rss"), str(e))
                    continue
                self.add((probe, variant, "startup"), r["startup_ms"])
                if r["rss_kb"] is not None:
                    self.add((probe, variant, "rss"), r["rss_kb"] / 1024.0)
                    self.add((probe, variant, "cpu"), r["cpu_ms"])
                if tool == "jitprobe":
                    self.record_phases((probe, scen), r["stderr"])

    def flood_round(self, i):
        secs = self.a.flood_seconds
        order = [(t, b) for t in TOOLS for b in ("perf", "ring")]
        k = i % len(order)
        for tool, buf in order[k:] + order[:k]:
            key = ("flood", tool, buf)
            if tool in self.unavailable:
                for what in ("generated", "received", "lost", "missing", "rate"):
                    self.fail(key + (what,), self.unavailable[tool])
                continue
            probe = "opensnoop_" + buf
            try:
                argv = self.tool_argv(tool, probe, json_out=True)
                countf = [None]

                def command(marker, countf=countf):
                    countf[0] = marker + ".generated"
                    return "%s flood %s %s" % (self.gen, secs, countf[0])
                r = self.run(argv, self.tool_env(tool, self.warm_dir), command)
                generated = int(open(countf[0]).read())
            except (Failed, OSError, ValueError) as e:
                for what in ("generated", "received", "lost", "missing", "rate"):
                    self.fail(key + (what,), str(e))
                continue
            received = lost = 0
            phases = None
            with open(r["stdout"], errors="replace") as f:
                for line in f:
                    if FLOOD_PATH in line:
                        received += 1
                    elif tool == "jitprobe" and line.startswith('{"type":"phases"'):
                        phases = json.loads(line)
                    elif tool == "jitprobe" and '"type":"lost"' in line:
                        lost += json.loads(line).get("count", 0)
                    elif tool == "bcc" and line.startswith("lost "):
                        lost += int(line.split()[1])
                    elif tool == "bpftrace" and line.startswith("Lost "):
                        lost += int(line.split()[1])
            os.unlink(r["stdout"])  # can be large
            self.add(key + ("generated",), generated)
            self.add(key + ("received",), received)
            self.add(key + ("lost",), lost)
            self.add(key + ("missing",), max(0, generated - received))
            self.add(key + ("rate",), received / secs)
            if phases and phases.get("run_events"):  # the run loop's own cost (issue 18)
                self.add(key + ("cpu_us",), phases["run_cpu_ms"] * 1000.0 / phases["run_events"])
                self.add(key + ("wakeups",), phases["run_wakeups"] / phases["run_events"])
                self.add(key + ("missing_pct",), 100.0 * max(0, generated - received) / max(1, generated))

    def ringcost_round(self):
        """The C++ API's ring-buffer callback path per event (ringcost.cpp), per-record and batch."""
        exe = os.path.join(self.a.helpers, "ringcost")
        if not os.path.exists(exe):
            for form in ("record", "batch"):
                self.fail(("ringcost", form, "cpu_us"), "ringcost not built")
            return
        d = self.fresh_dir("rc")
        try:
            p = subprocess.run([exe, os.path.join(HERE, "opensnoop_ring.c"), self.gen, str(self.a.flood_seconds),
                                os.path.join(d, "generated")], capture_output=True, text=True,
                               env=dict(os.environ, **self.tool_env("jitprobe", self.warm_dir)), timeout=120)
        except subprocess.TimeoutExpired:
            for form in ("record", "batch"):
                self.fail(("ringcost", form, "cpu_us"), "timeout")
            return
        rows = [json.loads(l) for l in p.stdout.splitlines() if l.startswith("{")]
        for form in ("record", "batch"):
            got = [r for r in rows if r["form"] == form]
            if not got:
                self.fail(("ringcost", form, "cpu_us"), p.stderr or "no output")
                continue
            self.add(("ringcost", form, "cpu_us"), got[0]["cpu_us_per_event"])
            self.add(("ringcost", form, "wakeups"), got[0]["wakeups_per_event"])
            self.add(("ringcost", form, "events"), got[0]["events"])

    def insns(self):
        """Instruction counts after the verifier: jitprobe check, BCC, hand-written libbpf."""
        rows = []
        probes = [p for p, _ in PROBES[:3]] + ["opensnoop_ring", "readlat"]
        jit, bcc, hand = {}, {}, {}
        for probe in probes:
            src = os.path.join(HERE, probe + ".c")
            if "jitprobe" not in self.unavailable:
                p = subprocess.run([self.a.jitprobe, "check", src, "--format", "json"], capture_output=True,
                                   text=True, env=dict(os.environ, **self.tool_env("jitprobe", self.warm_dir)))
                objs = [json.loads(l) for l in p.stdout.splitlines() if l.startswith("{")]
                jit[probe] = [o["insns"] for o in objs] or "n/a (%s)" % short(p.stderr, 40)
            obj = os.path.join(self.a.helpers, probe + ".bpf.o")
            if os.path.exists(obj):
                p = subprocess.run([os.path.join(self.a.helpers, "loader"), obj], capture_output=True, text=True)
                objs = [json.loads(l) for l in p.stdout.splitlines() if l.startswith("{")]
                hand[probe] = [o["insns"] for o in objs] or "n/a (%s)" % short(p.stderr, 40)
            else:
                hand[probe] = "n/a (not built)"
        if "bcc" not in self.unavailable:
            p = subprocess.run(["/usr/bin/python3", os.path.join(HERE, "bcc_insns.py")]
                               + [os.path.join(HERE, x + ".c") for x in probes], capture_output=True, text=True,
                               env=dict(os.environ, BCC_KERNEL_SOURCE=self.a.bcc_kernel_source))
            for l in p.stdout.splitlines():
                o = json.loads(l)
                bcc.setdefault(os.path.basename(o["file"])[:-2], []).append(o["insns"])
        # The ring-buffer loss counter is jitprobe's own addition; without it the code should be
        # the hand-written one exactly.
        if "jitprobe" not in self.unavailable:
            p = subprocess.run([self.a.jitprobe, "check", "-D", "JITPROBE_NO_RINGBUF_LOST_COUNT",
                                os.path.join(HERE, "opensnoop_ring.c"), "--format", "json"],
                               capture_output=True, text=True,
                               env=dict(os.environ, **self.tool_env("jitprobe", self.warm_dir)))
            objs = [json.loads(l) for l in p.stdout.splitlines() if l.startswith("{")]
            jit["uncounted"] = [o["insns"] for o in objs] or "n/a (%s)" % short(p.stderr, 40)
        hand["uncounted"] = hand.get("opensnoop_ring", "n/a (not built)")
        if "opensnoop_ring" in bcc:
            bcc["uncounted"] = bcc["opensnoop_ring"]
        probes.append("uncounted")
        names = {"readlat": ["sys_enter_read", "sys_exit_read"],
                 "uncounted": ["opensnoop_ring -DJITPROBE_NO_RINGBUF_LOST_COUNT"]}
        for probe in probes:
            for idx, prog in enumerate(names.get(probe, [probe])):
                def pick(d, tool=None):
                    v = d.get(probe, "n/a (%s)" % self.unavailable.get(tool, "failed"))
                    return v if isinstance(v, str) else (v[idx] if idx < len(v) else "n/a")
                rows.append((prog if probe in names else probe, pick(jit, "jitprobe"), pick(hand), pick(bcc, "bcc")))
        return rows


# ---- printing -----------------------------------------------------------------------------------
def stats(values):
    return (min(values), statistics.median(values)) if values else None


def cell(b, key, fmt="%.0f", scale=1.0):
    v = b.samples.get(key, [])
    if not v:
        return "n/a (%s)" % b.errors.get(key, "not run")
    lo, med = stats(v)
    s = "%s / %s" % (fmt % (lo * scale), fmt % (med * scale))
    fails = b.errors.get(key)
    if fails and len(v) < b.a.runs:
        s += " (%d failed)" % (b.a.runs - len(v))
    return s


def ratio(b, k1, k2):
    v1, v2 = b.samples.get(k1, []), b.samples.get(k2, [])
    if not v1 or not v2 or statistics.median(v2) == 0:
        return "n/a"
    return "%.2f" % (statistics.median(v1) / statistics.median(v2))


def table(title, header, rows):
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    print("\n" + title)
    line = "  ".join(str(h).ljust(w) for h, w in zip(header, widths))
    print(line)
    print("-" * len(line))
    for r in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)))


def report(b):
    a = b.a
    print("jitprobe bench: %d runs per cell, tools interleaved; cells are 'min / median'; ratios are "
          "median/median from this run (< 1: jitprobe is faster/smaller)." % a.runs)
    for tool, why in sorted(b.unavailable.items()):
        print("  %s unavailable: %s" % (TOOL_NAME[tool], why))
    for n in b.notes:
        print("  note: " + n)
    rows = []
    for scen in ("cold", "warm"):
        for probe, desc in PROBES:
            jk = (probe, "jitprobe-" + scen, "startup")
            rows.append((desc, scen, cell(b, jk), cell(b, (probe, "bcc", "startup")),
                         cell(b, (probe, "bpftrace", "startup")), ratio(b, jk, (probe, "bcc", "startup")),
                         ratio(b, jk, (probe, "bpftrace", "startup"))))
    table("== Start-up: ms from process start to all probes attached (cold = jitprobe with an empty object "
          "cache but the PCH built; warm = jitprobe cache filled; BCC/bpftrace have no cache: the same "
          "normal-start samples appear in both) ==",
          ("probe", "run", "jitprobe", "BCC", "bpftrace", "jit/BCC", "jit/bpftrace"), rows)
    print("jitprobe one-time cost, first run in an empty cache dir (builds vmlinux.h + kernel-type PCH), "
          "probe (1): %s ms" % cell(b, ("first", "jitprobe", "startup")))
    prow = []
    for (probe, scen), vals in sorted(b.phases.items()):
        c, l, t = (statistics.median(x[i] for x in vals) for i in range(3))
        prow.append((probe, scen, "%.1f" % c, "%.1f" % l, "%.1f" % t))
    if prow:
        table("== jitprobe --time-phases, medians in ms (inside the process; start-up above also "
              "includes exec, dynamic linking, and the -c command's fork/exec) ==",
              ("probe", "run", "compile", "load", "attach"), prow)
    rows = []
    for probe, desc in PROBES:
        rows.append((desc, cell(b, (probe, "jitprobe-cold", "rss"), "%.1f"),
                     cell(b, (probe, "jitprobe-warm", "rss"), "%.1f"), cell(b, (probe, "bcc", "rss"), "%.1f"),
                     cell(b, (probe, "bpftrace", "rss"), "%.1f"),
                     ratio(b, (probe, "jitprobe-warm", "rss"), (probe, "bcc", "rss")),
                     ratio(b, (probe, "jitprobe-warm", "rss"), (probe, "bpftrace", "rss"))))
    table("== Peak RSS, MiB (/usr/bin/time %M, start-up runs; ratios use jitprobe warm) ==",
          ("probe", "jitprobe cold", "jitprobe warm", "BCC", "bpftrace", "jit/BCC", "jit/bpftrace"), rows)
    rows = []
    for probe, desc in PROBES:
        cold = (probe, "jitprobe-cold", "cpu")
        rows.append((desc, cell(b, cold), cell(b, (probe, "jitprobe-warm", "cpu")),
                     cell(b, (probe, "bcc", "cpu")), cell(b, (probe, "bpftrace", "cpu")),
                     ratio(b, cold, (probe, "bcc", "cpu")), ratio(b, cold, (probe, "bpftrace", "cpu"))))
    table("== CPU time, ms (user + system of the whole start-up run, children included: compile + "
          "load + attach + exit; getrusage of the children; ratios use jitprobe cold) ==",
          ("probe", "jitprobe cold", "jitprobe warm", "BCC", "bpftrace", "jit/BCC", "jit/bpftrace"), rows)
    rows = []
    for buf in ("perf", "ring"):
        for tool in TOOLS:
            k = ("flood", tool, buf)
            if not b.samples.get(k + ("rate",)):
                rows.append((buf, TOOL_NAME[tool], cell(b, k + ("rate",)), "-", "-", "-", "-", "n/a"))
                continue
            rows.append((buf, TOOL_NAME[tool], cell(b, k + ("generated",)), cell(b, k + ("received",)),
                         cell(b, k + ("lost",)), cell(b, k + ("missing",)), cell(b, k + ("rate",)),
                         ("1.00" if b.samples.get(k + ("rate",)) else "n/a") if tool == "jitprobe" else ratio(b, ("flood", "jitprobe", buf, "rate"), k + ("rate",))))
    table("== Probe (3) under an openat flood of %s s (benchgen, 1 process): events per run; "
          "lost = reported by the tool; missing = generated - received; ratio = jitprobe events/s "
          "over this tool's (> 1: jitprobe consumed more) ==" % a.flood_seconds,
          ("buffer", "tool", "generated", "received", "lost", "missing", "events/s consumed", "jit/tool"), rows)
    rows = []
    for buf in ("perf", "ring"):
        k = ("flood", "jitprobe", buf)
        rows.append((buf, cell(b, k + ("cpu_us",), "%.3f"), cell(b, k + ("wakeups",), "%.4f"),
                     cell(b, k + ("missing_pct",), "%.1f")))
    table("== jitprobe's consumer in the flood above (its --time-phases: the run loop's thread CPU and "
          "voluntary context switches, over the events it delivered; every event printed as JSON Lines "
          "to a file) ==", ("buffer", "CPU us/event", "wake-ups/event", "missing %"), rows)
    rows = []
    for form in ("record", "batch"):
        k = ("ringcost", form)
        rows.append((form, cell(b, k + ("events",)), cell(b, k + ("cpu_us",), "%.3f"),
                     cell(b, k + ("wakeups",), "%.4f")))
    table("== C++ API ring-buffer callback path under the same flood (ringcost.cpp: open_ring_buffer / "
          "open_ring_buffer_batch, a callback that only counts; polling thread's CPU per event) ==",
          ("form", "events", "CPU us/event", "wake-ups/event"), rows)
    rows = []
    for prog, jit, hand, bcc in b.insns():
        r = "%.2f" % (jit / hand) if isinstance(jit, int) and isinstance(hand, int) and hand else "n/a"
        rows.append((prog, jit, hand, bcc, r))
    table("== Generated code: BPF instructions after the verifier (xlated_prog_len / 8) ==",
          ("program", "jitprobe", "hand-written libbpf", "BCC", "jit/libbpf"), rows)


def plot(b):
    """build/bench/timings.png: every start-up sample, per probe, tool and cold/warm."""
    gnuplot = shutil.which("gnuplot")
    png = os.path.join(b.out, "timings.png")
    series = [("jitprobe-cold", "jitprobe cold"), ("jitprobe-warm", "jitprobe warm"), ("bcc", "BCC"),
              ("bpftrace", "bpftrace")]
    dat = os.path.join(b.out, "timings.dat")
    with open(dat, "w") as f:
        for si, (variant, label) in enumerate(series):
            f.write("# %s\n" % label)
            for pi, (probe, _) in enumerate(PROBES):
                vals = b.samples.get((probe, variant, "startup"), [])
                for j, v in enumerate(vals):
                    x = pi + (si - 1.5) * 0.18 + (j - len(vals) / 2) * 0.012
                    f.write("%.3f %.3f\n" % (x, v))
            f.write("\n\n")
    if not gnuplot:
        print("plot: n/a (gnuplot not installed); data in %s" % dat)
        return
    xtics = ", ".join('"%s" %d' % (desc, i) for i, (_, desc) in enumerate(PROBES))
    script = """set terminal pngcairo size 1200,650 noenhanced
set output '%s'
set title 'Start-up to attached, every run (%d per cell; log scale)'
set ylabel 'ms'
set logscale y
set grid ytics mytics
set xrange [-0.6:%f]
set xtics (%s)
set key top left
plot %s
""" % (png, b.a.runs, len(PROBES) - 0.4, xtics,
       ", ".join("'%s' index %d using 1:2 with points pt 7 ps 1.2 title '%s'" % (dat, i, label)
                 for i, (_, label) in enumerate(series)))
    p = subprocess.run([gnuplot], input=script, text=True, capture_output=True)
    if p.returncode != 0 or not os.path.exists(png):
        print("plot: n/a (gnuplot failed: %s)" % short(p.stderr))
    else:
        print("\nplot: %s" % png)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--jitprobe", required=True)
    ap.add_argument("--bpftrace", default="bpftrace")
    ap.add_argument("--bcc-kernel-source", default=os.environ.get("BCC_KERNEL_SOURCE", ""))
    ap.add_argument("--helpers", required=True, help="dir with benchgen, loader, *.bpf.o")
    ap.add_argument("--out", required=True)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--flood-seconds", type=float, default=2.0)
    ap.add_argument("--keep", action="store_true", help="keep per-run dirs (stdout/stderr) in OUT")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    b = Bench(a)
    b.check_tools()
    print("preparing jitprobe caches...", file=sys.stderr)
    b.prepare_jitprobe_cache()
    for i in range(a.runs):
        print("start-up round %d/%d..." % (i + 1, a.runs), file=sys.stderr)
        b.startup_round(i)
    for i in range(a.runs):
        print("flood round %d/%d..." % (i + 1, a.runs), file=sys.stderr)
        b.flood_round(i)
        if "jitprobe" not in b.unavailable:
            b.ringcost_round()
    report(b)
    plot(b)
    with open(os.path.join(a.out, "samples.json"), "w") as f:
        json.dump({"|".join(map(str, k)): v for k, v in b.samples.items()}, f, indent=1)
    if not a.keep:
        shutil.rmtree(b.work, ignore_errors=True)


if __name__ == "__main__":
    main()
