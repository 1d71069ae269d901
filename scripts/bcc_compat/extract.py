#!/usr/bin/env python3
"""Extract the BPF C programs BCC's tools and tests/python/test_clang.py would compile.

usage: extract.py BCC_CHECKOUT OUTDIR
Writes OUTDIR/programs/<name>.c and OUTDIR/programs.tsv (name, file, note). Each tool runs with
python3 against a stand-in `bcc` package (fakebcc_init.py) whose BPF() constructor writes the
final program text and exits; test_clang.py snippets are read from its AST (text= literals).
"""
import ast
import json
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
# Tools that cannot run without a positional argument: the argument a user would most likely give.
TOOL_ARGS = {
    "funccount": ["vfs_read"], "funclatency": ["vfs_read"], "funcinterval": ["vfs_read"],
    "stackcount": ["vfs_read"], "dbslower": ["mysql", "-x", "/bin/true"],
    "dbstat": ["mysql", "-p", "1"], "argdist": ["-C", "p::do_sys_open()"],
    "trace": ["do_sys_open"], "tcpsubnet": [],
    "ucalls": ["-l", "java", "1"], "uflow": ["-l", "java", "1"], "ugc": ["-l", "java", "1"],
    "uobjnew": ["-l", "c", "1"], "ustat": [], "uthreads": ["1"], "sslsniff": [],
    "dirtop": ["-d", "/tmp"], "funcslower": ["vfs_read"], "netqtop": ["-n", "lo"],
    "inject": ["kmalloc", "__x64_sys_mount()"], "reset-trace": [],
    "deadlock": [str(os.getpid())], "mysqld_qslower": [str(os.getpid())], "ttysnoop": ["/dev/null"],
}
# Examples that need an argument to reach their BPF() call.
_PID = [str(os.getpid())]
EXAMPLE_ARGS = {
    "example_networking_net_monitor": ["lo"], "example_networking_sockmap": ["-c", "/sys/fs/cgroup"],
    "example_networking_xdp_xdp_redirect_cpu": ["lo", "1"], "example_perf_ipc": ["-s", "vfs_read"],
    "example_tracing_mallocstacks": _PID, "example_tracing_mysqld_query": _PID,
    "example_tracing_nodejs_http_server": _PID, "example_tracing_strlen_snoop": _PID,
    "example_tracing_stacksnoop": ["vfs_read"], "example_networking_dns_matching_dns_matching": ["-d", "example.com"],
    "example_networking_tcp_mon_block_src_tcp_mon_block": ["-i", "lo"],
    "example_networking_xdp_xdp_drop_count": ["lo"], "example_networking_xdp_xdp_macswap_count": ["lo"],
    "example_networking_xdp_xdp_redirect_map": ["lo", "lo"],
    "example_usdt_sample_scripts_lat_avg": ["-p"] + _PID, "example_usdt_sample_scripts_lat_dist": ["-p"] + _PID,
    "example_usdt_sample_scripts_latency": ["-p"] + _PID,
}
# Tools that compile no BPF program here, BCC included: measured apart, never as passes.
NOT_APPLICABLE = {
    "bpflist": "no BPF program: the tool lists loaded BPF programs",
    "tplist": "no BPF program: the tool lists tracepoints and USDT probes",
    "slabratetop": "the tool refuses kernels >= 6.8 (BCC too)",
    "criticalstat": "this kernel has no preemptirq tracepoints: the tool refuses to start (BCC too)",
}
# Environment a tool needs to reach its BPF() call on this machine (see fakebcc_init.py).
TOOL_ENV = {"mptcpify": {"FAKEBCC_FMOD_RET": "1"}}  # its only form is fmod_ret
# Data symbols the *slower/*dist tools and drsnoop look up in /proc/kallsyms (present only with
# CONFIG_KALLSYMS_ALL, which this kernel lacks): a copy with them is bind-mounted over it while
# the tools run (root only), so they reach their BPF() call as on a kernel that has them.
KALLSYMS_DATA = ["btrfs_file_operations", "ext4_file_operations", "f2fs_file_operations",
                 "vm_zone_stat"]
TUI_TOOLS = {"cachetop"}  # curses: given a terminal by script(1)
PY_HELPERS = ["containers.py", "tcp.py", "syscall.py", "exec.py", "utils.py"]
LIBBCC_STUB = "class _Lib:\n    def __getattr__(self, name):\n        return lambda *a, **k: 0\n\n\nlib = _Lib()\n"


def make_package(bcc_root, out):
    pkg = os.path.join(out, "pkg", "bcc")
    os.makedirs(pkg, exist_ok=True)
    shutil.copy(os.path.join(HERE, "fakebcc_init.py"), os.path.join(pkg, "__init__.py"))
    for helper in PY_HELPERS:
        src = os.path.join(bcc_root, "src", "python", "bcc", helper)
        if os.path.exists(src):
            shutil.copy(src, pkg)
    with open(os.path.join(pkg, "libbcc.py"), "w") as f:
        f.write(LIBBCC_STUB)
    return os.path.dirname(pkg)


def block_device():
    devices = [d for d in sorted(os.listdir("/sys/block")) if not d.startswith(("loop", "zram", "ram"))]
    return devices[0] if devices else "sda"


def kallsyms_copy(out):
    """OUTDIR/kallsyms: this kernel's symbols plus KALLSYMS_DATA."""
    path = os.path.join(out, "kallsyms")
    with open("/proc/kallsyms") as src, open(path, "w") as dst:
        dst.write(src.read())
        for i, name in enumerate(KALLSYMS_DATA):
            dst.write("%016x D %s\n" % (0xffffffff82f00000 + 0x1000 * i, name))
    return path


def confined(cmd, kallsyms=None):
    """CMD in a network namespace of its own (and, with KALLSYMS, a mount namespace where that
    file is /proc/kallsyms): BCC's networking examples create veths, bridges, namespaces and
    qdiscs with pyroute2 before their BPF() call, and must not touch this host's."""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        sys.exit("bcc_compat: run as root (tools and examples run in namespaces of their own)")
    # `ip netns add` names namespaces under /run/netns: a tmpfs of this mount namespace's own.
    mount = "mkdir -p /run/netns && mount -t tmpfs jp-compat /run/netns && "
    mount += 'mount --bind "$0" /proc/kallsyms && ' if kallsyms else ""
    return ["unshare", "--net", "--mount", "--propagation", "private", "sh", "-c",
            mount + 'exec "$@"', kallsyms or "-"] + cmd


def tool_command(tools, entry, name, kallsyms):
    cmd = [sys.executable, os.path.join(tools, entry)] + TOOL_ARGS.get(name, [])
    if name == "biolatpcts":
        cmd.append(block_device())
    if name in TUI_TOOLS:
        cmd = ["script", "-qec", " ".join(cmd), "/dev/null"]
    return confined(cmd, kallsyms)


def extract_tools(bcc_root, out, pkg_dir, rows):
    tools = os.path.join(bcc_root, "tools")
    kallsyms = kallsyms_copy(out)
    for entry in sorted(os.listdir(tools)):
        if not entry.endswith(".py"):
            continue
        name = entry[:-3]
        if name in NOT_APPLICABLE:
            rows.append(("tool_" + name, "", "n/a: " + NOT_APPLICABLE[name]))
            continue
        target = os.path.join(out, "programs", "tool_" + name + ".c")
        env = dict(os.environ, PYTHONPATH=pkg_dir, PYTHONDONTWRITEBYTECODE="1", TERM="xterm",
                   BCC_COMPAT_OUT=target, **TOOL_ENV.get(name, {}))
        cmd = tool_command(tools, entry, name, kallsyms)
        try:
            run = subprocess.run(cmd, cwd=tools, env=env, stdin=subprocess.DEVNULL,
                                 capture_output=True, timeout=30)
            note = "" if os.path.exists(target) else "no BPF(): " + lastline(run.stderr or run.stdout)
        except subprocess.TimeoutExpired:
            note = "no BPF(): timed out"
        rows.append(("tool_" + name, target if not note else "", note))


def lastline(data):
    lines = [l for l in data.decode(errors="replace").splitlines() if l.strip()]
    return lines[-1][:100] if lines else "exit without output"


def literal(node, assigns):
    if isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)):
        return node.value.decode() if isinstance(node.value, bytes) else node.value
    if isinstance(node, ast.Name):
        return assigns.get(node.id)
    return None


def expects_failure(stack):
    for node in stack:
        if isinstance(node, ast.With):
            for item in node.items:
                call = item.context_expr
                if isinstance(call, ast.Call) and getattr(call.func, "attr", "") == "assertRaises":
                    return True
    return False


def extract_test_clang(bcc_root, out, rows):
    path = os.path.join(bcc_root, "tests", "python", "test_clang.py")
    tree = ast.parse(open(path).read())
    for cls in [n for n in tree.body if isinstance(n, ast.ClassDef)]:
        for fn in [n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test")]:
            found = []
            walk_function(fn, [], {}, found)
            for i, (text, cflags, failing) in enumerate(found):
                name = "clang_" + fn.name + ("" if len(found) == 1 else "_%d" % (i + 1))
                target = os.path.join(out, "programs", name + ".c")
                with open(target, "w") as f:
                    f.write("".join("#define %s\n" % c[2:].replace("=", " ", 1) for c in cflags) + text)
                rows.append((name, target, "expect-fail: BCC expects this to fail" if failing else ""))


def walk_function(node, stack, assigns, found):
    """BPF(text=...) calls in source order; `text = "..."` assignments seen so far resolve names."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.Assign) and len(child.targets) == 1 and isinstance(child.targets[0], ast.Name):
            value = literal(child.value, assigns)
            if value is not None:
                assigns[child.targets[0].id] = value
        if isinstance(child, ast.Call) and getattr(child.func, "id", getattr(child.func, "attr", "")) == "BPF":
            kw = {k.arg: k.value for k in child.keywords}
            text = literal(kw["text"], assigns) if "text" in kw else None
            if text is not None:
                cflags = []
                if isinstance(kw.get("cflags"), ast.List):
                    cflags = [e.value for e in kw["cflags"].elts if isinstance(e, ast.Constant)]
                cflags = [c for c in cflags if c.startswith("-D")]
                found.append((text, cflags, expects_failure(stack + [node])))
        walk_function(child, stack + [node], assigns, found)


def extract_examples(bcc_root, out, pkg_dir, rows):
    """examples/**/*.py, run like the tools (their BPF() call writes the program and exits)."""
    top = os.path.join(bcc_root, "examples")
    for dirpath, dirs, files in sorted(os.walk(top)):
        dirs[:] = sorted(d for d in dirs if d != "lua")  # BCC's Lua frontend: another dialect host
        for entry in sorted(f for f in files if f.endswith(".py")):
            rel = os.path.relpath(os.path.join(dirpath, entry), top)[:-3]
            name = "example_" + rel.replace("/", "_").replace("-", "_")
            target = os.path.join(out, "programs", name + ".c")
            env = dict(os.environ, PYTHONPATH=pkg_dir, PYTHONDONTWRITEBYTECODE="1", TERM="xterm",
                       BCC_COMPAT_OUT=target)
            try:
                run = subprocess.run(confined([sys.executable, entry] + EXAMPLE_ARGS.get(name, [])), cwd=dirpath,
                                     env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
                note = "" if os.path.exists(target) else "no BPF(): " + lastline(run.stderr or run.stdout)
            except subprocess.TimeoutExpired:
                note = "no BPF(): timed out"
            rows.append((name, target if not note else "", note))


# tests/python files that take their program's file name on the command line (BCC's CMakeLists).
TEST_ARGS = {"test_brb": ["test_brb.c"], "test_brb2": ["test_brb2.c"], "test_call1": ["test_call1.c"],
             "test_stat1": ["test_stat1.c"], "test_trace3": ["test_trace3.c"],
             "test_xlate1": ["test_xlate1.c"]}


def in_assert_raises(path, line):
    """Is the BPF() call at PATH:LINE inside `with self.assertRaises(...)` (BCC expects it to fail)?"""
    tree = ast.parse(open(path).read())
    found = []

    def walk(node, stack):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Call) and getattr(child, "lineno", 0) == line:
                found.append(expects_failure(stack + [node]))
            walk(child, stack + [node])
    walk(tree, [])
    return any(found)


def extract_tests_python(bcc_root, out, pkg_dir, rows):
    """BCC's other tests/python/test_*.py, run under unittest with the stand-in package in its
    BCC_COMPAT_TESTS mode: each test's BPF() call records its program (after the test's own
    substitutions) and ends that test. One row per distinct program of a file."""
    top = os.path.join(bcc_root, "tests", "python")
    for entry in sorted(f for f in os.listdir(top) if f.startswith("test_") and f.endswith(".py")):
        base = entry[:-3]
        if base in ("test_clang", "test_tools_smoke", "test_tools_memleak"):
            continue  # test_clang: measured from its AST above; the others run the tools (measured)
        records = os.path.join(out, "programs", base + ".jsonl")
        env = dict(os.environ, PYTHONPATH=pkg_dir, PYTHONDONTWRITEBYTECODE="1", BCC_COMPAT_TESTS=records)
        try:
            subprocess.run(confined([sys.executable, entry] + TEST_ARGS.get(base, [])), cwd=top, env=env,
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
        except subprocess.TimeoutExpired:
            pass
        if not os.path.exists(records):
            rows.append(("pytest_" + base, "", "no BPF() reached"))
            continue
        seen = set()
        for rec in (json.loads(l) for l in open(records)):
            key = (rec["text"], tuple(rec["cflags"]))
            if key in seen:
                continue  # setUp's program, once per test
            seen.add(key)
            name = "pytest_%s_%s" % (base[5:], rec["test"][5:] if rec["test"].startswith("test_") else rec["test"])
            name += "_%d" % len(seen) if any(r[0] == name for r in rows) else ""
            target = os.path.join(out, "programs", name + ".c")
            with open(target, "w") as f:
                f.write(rec["text"])
            failing = rec["decorated_fail"] or in_assert_raises(rec["file"], rec["line"])
            rows.append((name, target, "expect-fail: BCC expects this to fail" if failing else "",
                         " ".join(rec["cflags"])))


def main():
    bcc_root, out = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    os.makedirs(os.path.join(out, "programs"), exist_ok=True)
    rows = []
    pkg_dir = make_package(bcc_root, out)
    extract_tools(bcc_root, out, pkg_dir, rows)
    extract_test_clang(bcc_root, out, rows)
    extract_tests_python(bcc_root, out, pkg_dir, rows)
    if os.path.isdir(os.path.join(bcc_root, "examples")):
        extract_examples(bcc_root, out, pkg_dir, rows)
    with open(os.path.join(out, "programs.tsv"), "w") as f:
        for row in rows:
            f.write("\t".join(row) + "\n")


if __name__ == "__main__":
    main()
