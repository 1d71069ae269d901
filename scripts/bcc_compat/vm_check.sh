#!/usr/bin/env bash
# The programs this host's kernel cannot load (bcc_compat.sh's "kernel:" classes), checked on
# Debian 12's 6.1 kernel in the VM (scripts/vmtest.sh): each is built here into a portable
# object (`jitprobe build`), and the guest runs `jitprobe check` on it.
#   vm_check.sh OUTDIR BUILD_DIR      (after check.py wrote OUTDIR/results.tsv)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$1" build="$(cd "$2" && pwd)"
objs="$build/vm-compat" # under BUILD_DIR: the guest reads it over 9p (its /tmp is its own)
rm -rf "$objs" && mkdir -p "$objs"
while IFS=$'\t' read -r name cls _; do
  [[ $cls == kernel:* ]] || continue
  if "$build/runtime/cli/jitprobe" build "$out/programs/$name.c" -o "$objs/$name.jpo" >"$objs/$name.log" 2>&1; then
    echo "built    $name"
  else
    echo "no build $name: $(grep -m1 -i error "$objs/$name.log" | cut -c1-150)"
  fi
done <"$out/results.tsv"
JITPROBE_VM_EXTRA_CHECKS="$objs" "$here/../vmtest.sh" "$build" >"$objs/vmtest.out" 2>&1 ||
  echo "note: the VM's own tests did not all pass (see $objs/vmtest.out)"
grep '^EXTRA ' "$build/vmtest-results.txt" | sed 's/^EXTRA /in the 6.1 guest: /' || echo "no guest results"
