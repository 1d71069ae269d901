#!/bin/bash
# Where jitprobe's event consumer spends its time (issue 18): one openat flood through the
# 256-page ring buffer (probe 3b), every event printed as JSON Lines to a file, measured with
# `perf stat --no-inherit` (the jitprobe process only, not the flood command) and
# `perf record`, whose self time per symbol is summed into decode / format / write / ring /
# epoll groups by consumer_profile.py. As root:
#   scripts/bench/consumer_profile.sh [JITPROBE] [SECONDS]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
J="${1:-$ROOT/build/runtime/cli/jitprobe}"
SECS="${2:-2}"
W="$(mktemp -d /tmp/jitprobe-profile.XXXXXX)"
trap 'rm -rf "$W"' EXIT
cc -O2 -o "$W/benchgen" "$ROOT/scripts/bench/benchgen.c"
export JITPROBE_CACHE_DIR="$W/cache"
PROBE="$ROOT/scripts/bench/opensnoop_ring.c"
"$J" run "$PROBE" --format json -c "$W/benchgen mark $W/m" >/dev/null 2>&1 # fill the cache
perf stat --no-inherit -x, -o "$W/stat" \
  -e task-clock,context-switches,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_write -- \
  "$J" run "$PROBE" --format json -c "$W/benchgen flood $SECS $W/gen" >"$W/out" 2>/dev/null
gen=$(cat "$W/gen"); got=$(grep -c jitprobe-bench-flood "$W/out" || true)
echo "generated $gen, received $got, missing $((gen - got))"
grep -v '^#' "$W/stat" | awk -F, -v n="$got" 'NF > 2 && n > 0 {
  printf "%-32s %12s   per event %.4f%s\n", $3, $1, $1 / n, ($3 == "task-clock" ? " ms" : "") }'
perf record -q --no-inherit -F 4999 -o "$W/perf.data" -- \
  "$J" run "$PROBE" --format json -c "$W/benchgen flood $SECS $W/gen" >"$W/out" 2>/dev/null
python3 "$ROOT/scripts/bench/consumer_profile.py" "$W/perf.data"
