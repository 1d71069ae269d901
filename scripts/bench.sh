#!/bin/bash
# Side-by-side benchmark of jitprobe against BCC and bpftrace (issue 5); see scripts/bench/README.md.
#   scripts/bench.sh                      # 5 runs per measurement, 2 s floods
#   RUNS=9 FLOOD_SECONDS=3 scripts/bench.sh
#   JITPROBE=path/to/jitprobe scripts/bench.sh   (default: $BUILD_DIR/runtime/cli/jitprobe)
# Installs what it compares with (Debian packages) when missing, prepares BCC's kernel headers,
# builds its helpers into build/bench, then runs scripts/bench/bench.py. A tool that is missing
# or fails shows up in the tables as "n/a (reason)"; the script itself fails only when it cannot
# run at all. Prints ratios measured in this run, never a pass/fail verdict on absolute times.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$ROOT/scripts/bench"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
OUT="${OUT:-$ROOT/build/bench}"
JITPROBE_GIVEN="${JITPROBE:-}"
JITPROBE="${JITPROBE:-$BUILD_DIR/runtime/cli/jitprobe}"
RUNS="${RUNS:-5}"
FLOOD_SECONDS="${FLOOD_SECONDS:-2}"
PACKAGES=(bpfcc-tools python3-bpfcc bpftrace linux-headers-amd64 gnuplot-nox time clang-16 libbpf-dev)

if [ "$(id -u)" -ne 0 ]; then
  echo "bench.sh: needs root (loads BPF programs)" >&2
  exit 1
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> installing: ${missing[*]}" >&2
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"; } >&2 ||
    echo "bench.sh: warning: could not install ${missing[*]}; those tools will show as n/a" >&2
fi

mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing || true

# BCC needs kernel headers; this kernel has none, so merge Debian's 6.1 trees (field notes).
# Tracepoint formats come from tracefs, so 6.1 headers do not change what these probes read.
if [ -z "${BCC_KERNEL_SOURCE:-}" ]; then
  BCC_KERNEL_SOURCE=/tmp/kheaders-6.1
  if [ ! -e "$BCC_KERNEL_SOURCE/Makefile" ]; then
    common=$(ls -d /usr/src/linux-headers-6.1.*-common 2>/dev/null | sort -V | tail -1 || true)
    arch=$(ls -d /usr/src/linux-headers-6.1.*-amd64 2>/dev/null | sort -V | tail -1 || true)
    if [ -n "$common" ] && [ -n "$arch" ]; then
      rm -rf "$BCC_KERNEL_SOURCE" && mkdir -p "$BCC_KERNEL_SOURCE"
      cp -as "$common/." "$BCC_KERNEL_SOURCE/"
      cp -as --remove-destination "$arch/." "$BCC_KERNEL_SOURCE/"
    else
      echo "bench.sh: warning: no linux-headers-6.1 trees in /usr/src; BCC will show as n/a" >&2
      BCC_KERNEL_SOURCE=""
    fi
  fi
fi
export BCC_KERNEL_SOURCE

if [ -z "$JITPROBE_GIVEN" ] && [ ! -x "$JITPROBE" ]; then
  echo "==> building jitprobe in $BUILD_DIR" >&2
  { cmake -S "$ROOT" -B "$BUILD_DIR" >/dev/null && cmake --build "$BUILD_DIR" -j "$(nproc)"; } >&2 ||
    echo "bench.sh: warning: jitprobe build failed; it will show as n/a" >&2
fi

# Helpers: the flood generator / attach marker, the libbpf loader and the hand-written objects.
HELPERS="$OUT/helpers"
mkdir -p "$HELPERS"
cc -O2 -Wall -o "$HELPERS/benchgen" "$BENCH/benchgen.c"
cc -O2 -Wall -o "$HELPERS/loader" "$BENCH/libbpf/loader.c" -lbpf ||
  echo "bench.sh: warning: libbpf loader did not build; hand-written insns will show as n/a" >&2
for src in "$BENCH"/libbpf/*.bpf.c; do
  obj="$HELPERS/$(basename "${src%.c}").o"
  clang-16 -O2 -g -target bpf -I/usr/include/x86_64-linux-gnu -c "$src" -o "$obj" ||
    { echo "bench.sh: warning: $src did not compile" >&2; rm -f "$obj"; }
done

# The C++ API's ring-buffer callback cost (issue 18), against the jitprobe library under test.
RUNTIME_LIB="${JITPROBE_LIB_DIR:-$BUILD_DIR/runtime}"
c++ -std=c++20 -O2 -I"$ROOT/runtime/include" -I"$ROOT/frontend/include" -I"$ROOT/common/include" \
  -o "$HELPERS/ringcost" "$BENCH/ringcost.cpp" -L"$RUNTIME_LIB" -ljitprobe -Wl,-rpath,"$RUNTIME_LIB" ||
  { echo "bench.sh: warning: ringcost did not build; its row will show as n/a" >&2; rm -f "$HELPERS/ringcost"; }

# The scrape row (issue 15): CPU of `jitprobe serve` per scrape of 10k and 100k series.
echo "==> jitprobe serve: CPU per scrape" >&2
bash "$BENCH/scrape.sh" "$JITPROBE" || echo "bench.sh: warning: the scrape row failed" >&2
bash "$BENCH/serve_loss.sh" "$JITPROBE" "$HELPERS/benchgen" || echo "bench.sh: warning: the serve-loss row failed" >&2

exec /usr/bin/python3 "$BENCH/bench.py" --jitprobe "$JITPROBE" --helpers "$HELPERS" --out "$OUT" \
  --runs "$RUNS" --flood-seconds "$FLOOD_SECONDS" --bcc-kernel-source "$BCC_KERNEL_SOURCE" \
  ${BENCH_KEEP:+--keep}
