#!/usr/bin/env python3
"""Run `jitprobe check` on every extracted program and print a table with failure classes.

usage: check.py OUTDIR JITPROBE [NAME_FILTER]
Reads OUTDIR/programs.tsv (from extract.py); writes OUTDIR/results.tsv and OUTDIR/logs/<name>.txt.
"""
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

# (class, pattern over the check output): first match wins. "kernel" classes are programs this
# machine's kernel cannot load (no kprobe attach is needed by check, but fentry/LSM give EPERM,
# and a tracepoint or function may be missing); they are counted apart from dialect failures.
CLASSES = [
    ("kernel: fentry/LSM not permitted here", r"EPERM|Operation not permitted"),
    ("kernel: tracepoint missing here", r"(unknown|no such) tracepoint|tracepoint .* (does not exist|not found)"),
    ("kernel: function missing here", r"no (kernel )?function named|unknown kfunc|has no function .* to attach to"),
    ("2 struct redefinition", r"redefinition of"),
    ("3 kernel include not found", r"file not found"),
    ("5 no probes found", r"no probes"),
    ("10 internal names in diagnostics", r"__jp_"),
    ("4 macro/constant/inline missing", r"undeclared (identifier|function)|unknown type name|no member named 's6_addr"),
    ("1 automatic kernel reads (verifier)", r"verifier rejected"),
    ("11 other compile errors", r"error"),
]


def classify(output, rc, source="", expect_fail=False):
    """The class of the first error line (later errors are often consequences of it)."""
    if expect_fail:  # BCC's test expects its compile to fail: so must jitprobe's, cleanly
        return "expected failure: fails" if 0 < rc < 124 else "expected failure: rc %d" % rc
    if rc == 0:
        return "pass"
    if rc == 124:
        return "timeout"
    if re.search(r"cannot use helper bpf_override_return", output):
        return "kernel: bpf_override_return unavailable here"  # no CONFIG_BPF_KPROBE_OVERRIDE
    first = first_error(output)
    if "incomplete definition of type" in first and "type is not in this kernel's BTF" in output:
        return "kernel: type not in this kernel's BTF (module)"
    # A kernel struct's member this kernel no longer has (task_struct.real_start_time, gone in
    # 5.5): BCC, compiling against this kernel's headers, fails the same way.
    gone = re.search(r"no member named '\w+' in 'struct (\w+)'", first)
    if gone and "s6_addr" not in first and not re.search(r"struct\s+%s\s*\{" % gone.group(1), source):
        return "kernel: struct member not in this kernel"
    if re.search(r"no probes found", first) and not re.search(r"\w+\s*\([^;{]*\)\s*\{", source):
        return "map-only source (jitprobe wants a function)"
    for name, pattern in CLASSES:
        if re.search(pattern, first, re.I):
            return name
    return "other"


def first_error(output):
    lines = output.splitlines()
    return next((l for l in lines if "error" in l.lower()), lines[0] if lines else "")


def check(jitprobe, logs, name, path, note="", flags=""):
    try:
        # --allow-no-programs: BCC's BPF(text=...) accepts a source of maps alone (the test
        # snippets that only declare tables); every function a source has is still verified.
        run = subprocess.run(["timeout", "120", jitprobe, "check", "--no-cache", "--allow-no-programs", path]
                             + flags.split(),
                             capture_output=True, text=True)
        output, rc = run.stdout + run.stderr, run.returncode
    except OSError as err:
        output, rc = str(err), 1
    with open(os.path.join(logs, name + ".txt"), "w") as f:
        f.write(output)
    with open(path, errors="replace") as f:
        source = f.read()
    expect_fail = note.startswith("expect-fail")
    return name, classify(output, rc, source, expect_fail), first_error(output)[:160]


def main():
    out, jitprobe = sys.argv[1], os.path.abspath(sys.argv[2])
    only = sys.argv[3] if len(sys.argv) > 3 else ""
    logs = os.path.join(out, "logs")
    os.makedirs(logs, exist_ok=True)
    rows = [l.rstrip("\n").split("\t") for l in open(os.path.join(out, "programs.tsv"))]
    rows = [r + [""] * (4 - len(r)) for r in rows]  # NAME PATH NOTE [-D flags]
    todo = [(n, p, note, flags) for n, p, note, flags in rows if p and only in n]
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda r: check(jitprobe, logs, *r), todo))
    with open(os.path.join(out, "results.tsv"), "w") as f:
        for name, cls, detail in results:
            f.write("%s\t%s\t%s\n" % (name, cls, detail))
            print("%-44s %-36s %s" % (name, cls, detail if cls != "pass" else ""))
    print_summary(results, rows)


def print_summary(results, rows):
    expected = [cls for _, cls, _ in results if cls.startswith("expected failure")]
    results = [r for r in results if not r[1].startswith("expected failure")]
    counts = {}
    for _, cls, _ in results:
        counts[cls] = counts.get(cls, 0) + 1
    print("\nBCC's expected compile failures that jitprobe also refuses: %d of %d"
          % (expected.count("expected failure: fails"), len(expected)))
    for r in rows:
        if not r[1]:
            print("  not measured: %-28s %s" % (r[0], r[2]))
    kernel = sum(n for c, n in counts.items() if c.startswith("kernel:"))
    passed, total = counts.get("pass", 0), len(results)
    print("not measured: %d (see programs.tsv)" % sum(1 for r in rows if not r[1]))
    for cls in sorted(counts):
        print("  %-40s %d" % (cls, counts[cls]))
    for group, label in (("tool_", "tools/*.py"), ("clang_", "test_clang.py"), ("pytest_", "tests/python (other)"), ("example_", "examples/")):
        mine = [c for n, c, _ in results if n.startswith(group)]
        if mine:
            print("  %-16s %d of %d pass, %d this kernel cannot load" % (
                label, mine.count("pass"), len(mine), sum(1 for c in mine if c.startswith("kernel:"))))
    print("passed: %d of %d (%.1f%%)" % (passed, total, 100.0 * passed / max(total, 1)))
    print("passed, not counting the %d this kernel cannot load: %d of %d (%.1f%%)"
          % (kernel, passed, total - kernel, 100.0 * passed / max(total - kernel, 1)))


if __name__ == "__main__":
    main()
