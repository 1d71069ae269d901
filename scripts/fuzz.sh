#!/usr/bin/env bash
# Fuzzes the frontend (parse + rewrite passes) with libFuzzer for SECONDS (default 300).
#   scripts/fuzz.sh [SECONDS]       FUZZ_BUILD_DIR (build-fuzz), FUZZ_JOBS (build jobs, 2)
# Configures a separate clang-16 build (-DJITPROBE_FUZZ=ON: -fsanitize=fuzzer,address), seeds
# the corpus from examples/*.c and ../shared/conformance/cases/*.c, and runs. Crashes, leaks
# and timeouts land in $FUZZ_BUILD_DIR/artifacts/ (exit status non-zero); keep each as a
# regression in tests/fuzz/regressions/ (tests/unit/frontend_fuzz_regressions_test.cpp runs them).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DURATION="${1:-300}"
BUILD="${FUZZ_BUILD_DIR:-$ROOT/build-fuzz}"
JOBS="${FUZZ_JOBS:-2}"

# libFuzzer for clang 16 ships in libclang-rt-16-dev (libclang_rt.fuzzer-x86_64.a).
need=()
for p in clang-16 libclang-rt-16-dev llvm-16-dev libclang-16-dev libclang-cpp16-dev cmake; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}"
fi

cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang-16 -DCMAKE_CXX_COMPILER=clang++-16 \
  -DJITPROBE_FUZZ=ON -DJITPROBE_BUILD_TESTS=OFF -DJITPROBE_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$BUILD" -j "$JOBS" --target frontend_fuzzer

corpus="$BUILD/corpus"
mkdir -p "$corpus" "$BUILD/artifacts"
mkdir -p -m 700 "$BUILD/cache" # the frontend trusts only a private PCH directory
chmod 700 "$BUILD/cache"
seeds=("$ROOT"/examples/*.c "$ROOT"/tests/fuzz/regressions/*)
[ -d "$ROOT/../shared/conformance/cases" ] && seeds+=("$ROOT"/../shared/conformance/cases/*.c)
for f in "${seeds[@]}"; do
  [ -f "$f" ] && cp -n "$f" "$corpus/" 2>/dev/null || true
done

export JITPROBE_FUZZ_CACHE="$BUILD/cache"
# LLVM's shared libraries are not instrumented; Clang keeps some allocations until exit.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1}"
echo "==> fuzzing the frontend for ${DURATION}s (corpus: $corpus)"
"$BUILD/tests/fuzz/frontend_fuzzer" "$corpus" -max_total_time="$DURATION" -timeout=30 \
  -max_len=16384 -rss_limit_mb=4096 -print_final_stats=1 \
  -dict="$ROOT/tests/fuzz/bcc.dict" -artifact_prefix="$BUILD/artifacts/" "${@:2}"
