#!/usr/bin/env bash
# How much of BCC's dialect jitprobe accepts: extract the BPF C program each BCC tool
# (tools/*.py, after its own default substitutions) and each tests/python/test_clang.py snippet
# would compile, run `jitprobe check` on each, and print pass / failure class and "N of M (P%)".
#
# usage: scripts/bcc_compat.sh BCC_CHECKOUT [OUTDIR]    (OUTDIR defaults to /tmp/bcc_compat)
# env:   JITPROBE=path/to/jitprobe (default build/runtime/cli/jitprobe), ONLY=substring filter
# BCC's code and the extracted programs stay in OUTDIR; never commit them.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bcc="${1:?usage: $0 BCC_CHECKOUT [OUTDIR]}"
out="${2:-/tmp/bcc_compat}"
jitprobe="${JITPROBE:-$here/../build/runtime/cli/jitprobe}"
[[ -x "$jitprobe" ]] || { echo "no jitprobe at $jitprobe (build jitprobe-cli, or set JITPROBE)" >&2; exit 1; }
rm -rf "$out/programs" "$out/logs"
python3 "$here/bcc_compat/extract.py" "$bcc" "$out"
python3 "$here/bcc_compat/check.py" "$out" "$jitprobe" "${ONLY:-}"
