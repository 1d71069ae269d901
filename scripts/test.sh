#!/usr/bin/env bash
# Installs what is missing, builds from scratch, and runs the whole suite: unit tests, live tests
# (load + attach on this kernel; they skip only without BPF privileges) and the conformance corpus.
#
# JITPROBE_SANITIZE_TESTS=1 adds a second phase: the runtime, CLI and their tests built with
# ASan + UBSan into build-asan (the frontend is not rebuilt: the phase loads the first build's
# libjitprobe-frontend.so), running the unit tests and the short live tests under the sanitizers.
# JITPROBE_TSAN_TESTS=1 adds a ThreadSanitizer phase (build-tsan) over the tests that use the
# C++ API from several threads (buffers polled while tables are read and updated).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
install_packages
if [ "${KEEP_BUILD:-0}" != 1 ]; then
  rm -rf "$BUILD_DIR"
fi
configure_and_build
cd "$BUILD_DIR"
ctest --output-on-failure --timeout 900 "$@"

if [ "${JITPROBE_SANITIZE_TESTS:-0}" = 1 ]; then
  ASAN_DIR="${ASAN_BUILD_DIR:-$ROOT/build-asan}"
  echo "==> sanitizer phase (ASan + UBSan) in $ASAN_DIR"
  start=$(date +%s)
  cmake -S "$ROOT" -B "$ASAN_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DJITPROBE_SANITIZE=ON \
    -DJITPROBE_BUILD_EXAMPLES=OFF -DJITPROBE_PREBUILT_FRONTEND="$BUILD_DIR/frontend/libjitprobe-frontend.so"
  cmake --build "$ASAN_DIR" -j "$JOBS" --target jitprobe-cli runtime_unit_tests text_unit_tests live_tests
  export JITPROBE_FRONTEND_LIB="$BUILD_DIR/frontend/libjitprobe-frontend.so"
  # LLVM (dlopen'ed frontend, symbolizer) is not instrumented; leaks there are not ours to fix.
  export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
  export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$ROOT/tests/sanitizers/lsan.supp}"
  export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
  cd "$ASAN_DIR"
  # Unit tests, then the live tests that take seconds (not the examples, BCC corpus or
  # conformance: those exercise the frontend and the kernel more than the runtime).
  ctest --output-on-failure --timeout 900 -L unit -E '_NOT_BUILT$'
  ctest --output-on-failure --timeout 900 -L live \
    -E '_NOT_BUILT$|^conformance$|^install_consumer$|^Examples\.|^BccCorpus\.|^BadInput\.'
  echo "==> sanitizer phase: $(( $(date +%s) - start )) s"
fi

if [ "${JITPROBE_TSAN_TESTS:-0}" = 1 ]; then
  TSAN_DIR="${TSAN_BUILD_DIR:-$ROOT/build-tsan}"
  echo "==> ThreadSanitizer phase in $TSAN_DIR"
  start=$(date +%s)
  cmake -S "$ROOT" -B "$TSAN_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DJITPROBE_TSAN=ON \
    -DJITPROBE_BUILD_EXAMPLES=OFF -DJITPROBE_PREBUILT_FRONTEND="$BUILD_DIR/frontend/libjitprobe-frontend.so"
  cmake --build "$TSAN_DIR" -j "$JOBS" --target live_tests
  export JITPROBE_FRONTEND_LIB="$BUILD_DIR/frontend/libjitprobe-frontend.so"
  export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1}"
  cd "$TSAN_DIR"
  ctest --output-on-failure --timeout 900 -R '^(Concurrency|LiveBuffers|Load)\.'
  echo "==> ThreadSanitizer phase: $(( $(date +%s) - start )) s"
fi
