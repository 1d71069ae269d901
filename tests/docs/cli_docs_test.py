#!/usr/bin/env python3
"""The CLI's --help, the man page (docs/jitprobe.8.adoc) and the bash completion agree.

  cli_docs_test.py man JITPROBE ADOC          every option of `jitprobe --help` and of
                                              `jitprobe CMD --help` is in the man page's section
                                              for it, and every option there is in the help
  cli_docs_test.py completion JITPROBE SCRIPT completions of a few inputs, and `CMD -<TAB>`
                                              offers exactly the options of `CMD --help`
"""
import os
import re
import subprocess
import sys
import tempfile

# Positional arguments that Boost.Program_options also accepts as --file/--action: documented
# as FILE.c and stats|clear, not as options.
POSITIONAL = {"--file", "--action"}


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=30, **kw)


def commands(jitprobe):
    """Command names from `jitprobe --help` (two-space-indented words under 'commands:')."""
    text = run([jitprobe, "--help"]).stdout
    block = text.split("commands:", 1)[1].split("\noptions:", 1)[0]
    return sorted({m.group(1) for m in re.finditer(r"^  ([a-z]+) ", block, re.M)})


def global_options(jitprobe):
    """[{names}] of the global options (`jitprobe --help`, section 'options:')."""
    text = run([jitprobe, "--help"]).stdout
    block = text.split("\noptions:", 1)[1].split("\n\n", 1)[0]
    return [set(re.findall(r"(?<![\w-])--?[A-Za-z][\w-]*", line.split("  ")[1] if line.startswith("  ") else ""))
            for line in block.splitlines() if line.strip()]


def command_options(jitprobe, command):
    """[{names}] of one command's options, from `jitprobe COMMAND --help` (Boost's table:
    '  -D [ --define ] arg   ...' or '  --format arg (=text)  ...')."""
    out = run([jitprobe, command, "--help"])
    entries = []
    for line in out.stdout.splitlines():
        m = re.match(r"^  (-\w)? ?(?:\[ )?(--[\w-]+)?", line)
        if m and (m.group(1) or m.group(2)):
            names = {n for n in m.groups() if n} - POSITIONAL
            if names:
                entries.append(names)
    return entries


def man_sections(adoc):
    """{'GLOBAL': text, 'run': text, ...}: the man page's option sections."""
    text = open(adoc, encoding="utf-8").read()
    sections = {"GLOBAL": text.split("== GLOBAL OPTIONS", 1)[1].split("\n== ", 1)[0]}
    for m in re.finditer(r"^=== ([a-z]+)\b(.*?)(?=^==)", text, re.M | re.S):
        sections[m.group(1)] = m.group(2)
    return sections


def man_option_names(section):
    return set(re.findall(r"\*(--?[A-Za-z][\w-]*)\*", section))


def check_man(jitprobe, adoc):
    sections = man_sections(adoc)
    errors = []
    wanted = {"GLOBAL": global_options(jitprobe)}
    for c in commands(jitprobe):
        wanted[c] = command_options(jitprobe, c)
        if c not in sections:
            errors.append(f"man page: no section '=== {c}' for the command {c}")
    for where, entries in wanted.items():
        documented = man_option_names(sections.get(where, ""))
        helped = set().union(*entries) if entries else set()
        for names in entries:
            if not names & documented:
                errors.append(f"{where}: {'/'.join(sorted(names))} is in --help, not in the man page")
        for name in sorted(documented - helped):
            errors.append(f"{where}: {name} is in the man page, not in --help")
    return errors


def complete(script, jitprobe_dir, line, cwd):
    """COMPREPLY of _jitprobe for LINE (completing its last word), one per line."""
    words = line.split(" ")
    prog = f"""
source {os.path.abspath(script)} || exit 3
COMP_WORDS=({' '.join(repr(w) for w in words)})
COMP_CWORD={len(words) - 1}
COMP_LINE={line!r}; COMP_POINT={len(line)}
_jitprobe
printf '%s\\n' "${{COMPREPLY[@]}}"
"""
    env = dict(os.environ, PATH=jitprobe_dir + ":" + os.environ.get("PATH", ""))
    out = run(["bash", "--norc", "--noprofile", "-c", prog], cwd=cwd, env=env)
    if out.returncode != 0:
        raise RuntimeError(f"completion of {line!r} failed: {out.stderr}")
    return {w for w in out.stdout.splitlines() if w}


def check_completion(jitprobe, script):
    errors = []
    bindir = tempfile.mkdtemp()
    os.symlink(os.path.abspath(jitprobe), os.path.join(bindir, "jitprobe"))
    src = tempfile.mkdtemp()
    os.makedirs(os.path.join(src, "probes"))
    for name in ("probes/opens.c", "probes/notes.txt"):
        open(os.path.join(src, name), "w").close()

    def expect(line, want, exact=False):
        got = complete(script, bindir, line, src)
        if (exact and got != want) or (not exact and not want <= got):
            errors.append(f"completing {line!r}: want {'exactly ' if exact else ''}{sorted(want)}, got {sorted(got)}")

    expect("jitprobe r", {"run"}, exact=True)
    expect("jitprobe ", set(commands(jitprobe)), exact=True)
    expect("jitprobe --log-level d", {"debug"}, exact=True)
    expect("jitprobe list tr", {"tracepoints"}, exact=True)
    expect("jitprobe run --format j", {"json"}, exact=True)
    expect("jitprobe cache st", {"stats"}, exact=True)
    expect("jitprobe run probes/", {"probes/opens.c"}, exact=True)  # .c files, not notes.txt
    expect("jitprobe -v check probes/o", {"probes/opens.c"}, exact=True)
    for c in commands(jitprobe):
        if c == "list":
            continue
        helped = set().union(*command_options(jitprobe, c))
        expect(f"jitprobe {c} -", helped, exact=True)
    # list patterns come from this kernel's tracefs (readable as root)
    if os.access("/sys/kernel/tracing/available_events", os.R_OK):
        expect("jitprobe list tracepoints syscalls:sys_enter_opena", {"syscalls:sys_enter_openat"})
    else:
        print("note: tracefs not readable: list pattern completion not checked")
    return errors


def main():
    mode, jitprobe, path = sys.argv[1:4]
    errors = check_man(jitprobe, path) if mode == "man" else check_completion(jitprobe, path)
    for e in errors:
        print("FAIL:", e)
    if not errors:
        print(f"PASS: {mode}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
