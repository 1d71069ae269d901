#!/bin/bash
# Event loss of a ring-buffer probe under `jitprobe serve` (issue 15), side by side in one run:
# not scraped vs scraped every second. Each run: serve the probe, flood openat() from benchgen
# for FLOOD_SECONDS (with or without a curl of /metrics every second), then read the serving
# process's own counters. The probe also counts into a 10k-entry hash, so every scrape reads 10k
# series on the thread that consumes the ring buffer (the case where a scrape could cost events).
#   scripts/bench/serve_loss.sh [JITPROBE [BENCHGEN]]   (root; LOSS_RUNS=3 FLOOD_SECONDS=2 PAGES=256)
# generated = benchgen's openat calls; missing = generated - received (a failed
# bpf_ringbuf_output is silent in the kernel; "lost" is jitprobe's own loss counter). Medians of
# LOSS_RUNS runs per column, the runs alternating.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
JITPROBE="${1:-${JITPROBE:-$ROOT/build/runtime/cli/jitprobe}}"
LOSS_RUNS="${LOSS_RUNS:-3}"
FLOOD_SECONDS="${FLOOD_SECONDS:-2}"
PAGES="${PAGES:-256}"
TMP="$(mktemp -d /tmp/jitprobe-serve-loss-XXXXXX)"
PID=""
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$TMP"' EXIT
BENCHGEN="${2:-$TMP/benchgen}"
[ -x "$BENCHGEN" ] || cc -O2 -o "$BENCHGEN" "$ROOT/scripts/bench/benchgen.c"

cat > "$TMP/loss.c" <<PROBE
struct open_event { u32 pid; char comm[16]; char fname[128]; };
BPF_RINGBUF_OUTPUT(events, $PAGES);
BPF_HASH(seen, u32, u64, 10240);
BPF_ARRAY(next, u32, 1);
TRACEPOINT_PROBE(syscalls, sys_enter_openat) {
    struct open_event ev = {};
    bpf_get_current_comm(&ev.comm, sizeof(ev.comm));
    if (ev.comm[0] != 'b' || ev.comm[1] != 'e' || ev.comm[2] != 'n' || ev.comm[3] != 'c' ||
        ev.comm[4] != 'h' || ev.comm[5] != 'g' || ev.comm[6] != 'e' || ev.comm[7] != 'n')
        return 0;
    ev.pid = bpf_get_current_pid_tgid() >> 32;
    bpf_probe_read_user_str(&ev.fname, sizeof(ev.fname), args->filename);
    events.ringbuf_output(&ev, sizeof(ev), 0);
    int zero = 0;
    u32 *n = next.lookup(&zero);
    if (n) {
        u32 key = __sync_fetch_and_add(n, 1) % 10000;
        seen.increment(key);
    }
    return 0;
}
PROBE

metric() { # metric PAGE NAME: the value of NAME{buffer="events"} (0 when absent)
  awk -v m="$2{buffer=\"events\"}" '$1 == m { v = $2 } END { print v + 0 }' "$1"
}

one_run() { # one_run SCRAPE(0|1): prints "generated/s received missing lost"
  "$JITPROBE" serve "$TMP/loss.c" --listen 127.0.0.1:0 2> "$TMP/serve.err" &
  PID=$!
  for _ in $(seq 200); do grep -q serving "$TMP/serve.err" && break; sleep 0.1; done
  local addr scraper=""
  addr=$(grep -o '127.0.0.1:[0-9]*' "$TMP/serve.err" | head -1)
  if [ "$1" = 1 ]; then
    ( while :; do curl -s -m 5 "http://$addr/metrics" > /dev/null; sleep 1; done ) &
    scraper=$!
  fi
  "$BENCHGEN" flood "$FLOOD_SECONDS" "$TMP/calls"
  [ -n "$scraper" ] && { kill "$scraper"; wait "$scraper" 2>/dev/null || true; }
  sleep 0.7 # the consumer drains; past the 0.5 s snapshot window
  curl -s -m 10 "http://$addr/metrics" > "$TMP/page"
  kill -INT "$PID"; wait "$PID" || true
  PID=""
  local gen recv lost
  gen=$(cat "$TMP/calls")
  recv=$(metric "$TMP/page" jitprobe_events_received_total)
  lost=$(metric "$TMP/page" jitprobe_events_lost_total)
  echo "$((gen / FLOOD_SECONDS)) $recv $((gen - recv)) $lost $gen"
}

: > "$TMP/runs"
for _ in $(seq "$LOSS_RUNS"); do
  for scrape in 0 1; do
    echo "$scrape $(one_run "$scrape")" >> "$TMP/runs"
  done
done
python3 - "$TMP/runs" "$PAGES" <<'PY'
import statistics, sys
runs = [list(map(int, l.split())) for l in open(sys.argv[1]) if l.strip()]
print(f"ring buffer of {sys.argv[2]} pages, medians of {len(runs) // 2} runs each")
print("%-16s %14s %12s %10s %10s" % ("scraped", "generated/s", "received", "missing %", "lost"))
for scrape, name in ((0, "no"), (1, "every 1 s")):
    rows = [r[1:] for r in runs if r[0] == scrape]
    rate, recv, lost = (statistics.median(r[i] for r in rows) for i in (0, 1, 3))
    missing = statistics.median(100.0 * r[2] / r[4] if r[4] else 0 for r in rows)
    print("%-16s %14d %12d %10.2f %10d" % (name, rate, recv, missing, lost))
PY
