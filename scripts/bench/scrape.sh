#!/bin/bash
# Scrape cost of `jitprobe serve` (issue 15): CPU time of the serving process per scrape and per
# series, for a hash map of 10k and of 100k entries (one series each).
#   scripts/bench/scrape.sh [JITPROBE]        (root; default: build/runtime/cli/jitprobe)
# Each size: fill the map (SERIES getppid() calls, each adding one key), let the process idle
# SCRAPES * 0.6 s for a baseline, then scrape SCRAPES times 0.6 s apart (past the 0.5 s snapshot
# window, so every scrape reads the maps); CPU = utime + stime from /proc/PID/stat.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
JITPROBE="${1:-${JITPROBE:-$ROOT/build/runtime/cli/jitprobe}}"
SCRAPES="${SCRAPES:-5}"
TMP="$(mktemp -d /tmp/jitprobe-scrape-XXXXXX)"
trap 'kill "$PID" 2>/dev/null || true; rm -rf "$TMP"' EXIT
PID=""
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

printf '%-10s %14s %16s %18s\n' series "ms CPU/scrape" "us CPU/series" "bytes/scrape"
for SERIES in 10000 100000; do
  cat > "$TMP/fill.c" <<PROBE
BPF_HASH(entries, u32, u64, $SERIES);
BPF_ARRAY(next, u32, 1);
TRACEPOINT_PROBE(syscalls, sys_enter_getppid) {
    if ((bpf_get_current_pid_tgid() >> 32) != FILLER)
        return 0;
    int zero = 0;
    u32 *n = next.lookup(&zero);
    if (!n)
        return 0;
    u32 key = __sync_fetch_and_add(n, 1);
    u64 one = 1;
    entries.update(&key, &one);
    return 0;
}
PROBE
  # The filler waits on a fifo until the probe is attached, then makes SERIES getppid() calls.
  mkfifo "$TMP/go"
  python3 -c "import os; open('$TMP/go').read(); [os.getppid() for _ in range($SERIES)]" &
  FILLER=$!
  "$JITPROBE" serve "$TMP/fill.c" -D FILLER=$FILLER --max-series $((SERIES + 10)) \
    --listen 127.0.0.1:0 2> "$TMP/serve.err" &
  PID=$!
  for _ in $(seq 100); do grep -q serving "$TMP/serve.err" && break; sleep 0.1; done
  ADDR=$(grep -o '127.0.0.1:[0-9]*' "$TMP/serve.err" | head -1)
  echo go > "$TMP/go"
  wait "$FILLER"
  rm -f "$TMP/go"
  curl -s "http://$ADDR/metrics" > /dev/null # warm: first read
  sleep 0.6
  t0=$(cpu_ticks "$PID"); sleep "$(awk "BEGIN{print $SCRAPES * 0.6}")"; idle=$(( $(cpu_ticks "$PID") - t0 ))
  bytes=0
  t0=$(cpu_ticks "$PID")
  for _ in $(seq "$SCRAPES"); do
    bytes=$(curl -s "http://$ADDR/metrics" | wc -c)
    sleep 0.6
  done
  busy=$(( $(cpu_ticks "$PID") - t0 - idle ))
  hz=$(getconf CLK_TCK)
  python3 -c "b=$busy/$hz/$SCRAPES; print('%-10d %14.1f %16.2f %18d' % ($SERIES, b*1e3, b*1e6/$SERIES, $bytes))"
  kill -INT "$PID"; wait "$PID" || true
done
