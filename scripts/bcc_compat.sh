#!/usr/bin/env bash
# How much of BCC's dialect jitprobe accepts: extract the BPF C program each BCC tool
# (tools/*.py, after its own default substitutions) and each tests/python/test_clang.py snippet
# would compile, run `jitprobe check` on each, and print pass / failure class and "N of M (P%)".
#
# usage: scripts/bcc_compat.sh BCC_CHECKOUT [OUTDIR]    (OUTDIR defaults to /tmp/bcc_compat)
# env:   JITPROBE=path/to/jitprobe (default build/runtime/cli/jitprobe), ONLY=substring filter,
#        VM=1 (also check the programs this kernel cannot load on Debian's 6.1 kernel in qemu)
# BCC's code and the extracted programs stay in OUTDIR; never commit them.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bcc="${1:?usage: $0 BCC_CHECKOUT [OUTDIR]}"
out="${2:-/tmp/bcc_compat}"
jitprobe="${JITPROBE:-$here/../build/runtime/cli/jitprobe}"
[[ -x "$jitprobe" ]] || { echo "no jitprobe at $jitprobe (build jitprobe-cli, or set JITPROBE)" >&2; exit 1; }
# Debian's python3 (BCC's tools run on the system's; pyenv shims may shadow it).
py=/usr/bin/python3
[[ -x $py ]] || py=python3
# bashreadline reads its binary's symbols with pyelftools (Debian: python3-pyelftools).
# and BCC's networking examples import pyroute2, netaddr, netifaces, dnslib before their BPF() call.
if ! "$py" -c 'import elftools, pyroute2, netaddr, netifaces, dnslib' 2>/dev/null && [[ $(id -u) -eq 0 ]]; then
  apt-get install -y -qq python3-pyelftools python3-pyroute2 python3-netaddr python3-netifaces \
    python3-dnslib >/dev/null 2>&1 || echo "note: python modules missing: some tools/examples are not measured" >&2
fi
rm -rf "$out/programs" "$out/logs"
"$py" "$here/bcc_compat/extract.py" "$bcc" "$out"
"$py" "$here/bcc_compat/check.py" "$out" "$jitprobe" "${ONLY:-}"
# VM=1: the programs this kernel cannot load, checked again on Debian's 6.1 kernel in qemu.
if [[ ${VM:-0} == 1 ]]; then
  "$here/bcc_compat/vm_check.sh" "$out" "$(dirname "$(dirname "$(dirname "$jitprobe")")")"
fi
