#!/usr/bin/env bash
# Soak: `jitprobe run` under a steady event rate for MINUTES (default 10); reports the CLI's
# RSS over time and the events received / lost / generated at the end.
#   scripts/soak.sh [MINUTES]      RATE (events/s, default 5000), BUILD_DIR (default build)
# Exit status 1 if the CLI failed, RSS grew by more than 50%, or events went unaccounted for.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MINUTES="${1:-10}"
RATE="${RATE:-5000}"
DURATION_S="${SOAK_SECONDS:-$((MINUTES * 60))}" # SOAK_SECONDS: for a quick try
CLI="${BUILD_DIR:-$ROOT/build}/runtime/cli/jitprobe"
[ -x "$CLI" ] || { echo "soak: $CLI not built (scripts/setup.sh)" >&2; exit 2; }
WORK="$(mktemp -d /tmp/jp-soak.XXXXXX)"
trap 'kill $GEN_PID $CLI_PID 2>/dev/null || true; rm -rf "$WORK"' EXIT

cat > "$WORK/soak.c" <<'PROBE'
struct soak_event { u32 pid; u64 seq; };
BPF_PERF_OUTPUT(soak_events);
BPF_ARRAY(soak_sent, u64, 1);
TRACEPOINT_PROBE(syscalls, sys_enter_getppid)
{
    if ((bpf_get_current_pid_tgid() >> 32) != TARGET_PID)
        return 0;
    struct soak_event ev = {};
    ev.pid = TARGET_PID;
    ev.seq = 1;
    soak_sent.increment(0);
    soak_events.perf_submit(args, &ev, sizeof(ev));
    return 0;
}
PROBE

# The generator: waits for $WORK/go, then calls getppid() RATE times a second until stopped,
# and writes how many calls it made to $WORK/generated.
python3 - "$WORK" "$RATE" <<'GEN' &
import os, signal, sys, time
work, rate = sys.argv[1], int(sys.argv[2])
n = 0
def done(*_):
    open(work + "/generated", "w").write(str(n)); sys.exit(0)
signal.signal(signal.SIGTERM, done)
while not os.path.exists(work + "/go"): time.sleep(0.05)
start = time.monotonic()
while True:
    due = int((time.monotonic() - start) * rate)
    while n < due: os.getppid(); n += 1
    time.sleep(0.01)
GEN
GEN_PID=$!

"$CLI" run "$WORK/soak.c" --pid "$GEN_PID" --duration "$DURATION_S" --format json \
  >"$WORK/out.jsonl" 2>"$WORK/err.txt" &
CLI_PID=$!
sleep 3
touch "$WORK/go"
echo "==> soak: ${DURATION_S} s at ${RATE} events/s (cli pid $CLI_PID)"
printf '%8s %10s\n' "elapsed" "rss_kb"
first_rss=""; last_rss=0; t0=$(date +%s)
while kill -0 "$CLI_PID" 2>/dev/null; do
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$CLI_PID/status" 2>/dev/null || true)
  if [ -n "$rss" ]; then
    first_rss=${first_rss:-$rss}; last_rss=$rss
    printf '%7ds %10s\n' $(( $(date +%s) - t0 )) "$rss"
  fi
  sleep "${SOAK_SAMPLE_S:-30}" & wait $! || true
done
kill -TERM "$GEN_PID"; wait "$GEN_PID" || true
set +e # from here on a grep that finds nothing is an answer, not an error
wait "$CLI_PID"; cli_rc=$?

received=$(grep -c '"type":"event"' "$WORK/out.jsonl" || true)
lost=$(grep '"type":"lost"' "$WORK/out.jsonl" | sed 's/.*"count":\([0-9]*\).*/\1/' | awk '{s+=$1} END {print s+0}')
sent=$(grep '"name":"soak_sent"' "$WORK/out.jsonl" | tail -1 | grep -o '"value":[0-9]*' | head -1 | cut -d: -f2)
generated=$(cat "$WORK/generated" 2>/dev/null || echo "?")
echo "==> cli exit $cli_rc; rss ${first_rss:-?} KB -> $last_rss KB"
echo "==> generated $generated (getppid calls, some after the CLI stopped), probe sent ${sent:-?}, received $received, lost $lost"
fail=0
[ "$cli_rc" -eq 0 ] || { echo "FAIL: cli exited $cli_rc"; cat "$WORK/err.txt"; fail=1; }
if [ -n "$first_rss" ] && [ "$last_rss" -gt $(( first_rss * 3 / 2 )) ]; then
  echo "FAIL: RSS grew by more than 50%"; fail=1
fi
if [ -n "${sent:-}" ] && [ $((received + lost)) -ne "$sent" ]; then
  echo "FAIL: received + lost != sent"; fail=1
fi
exit $fail
