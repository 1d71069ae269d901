#!/usr/bin/env bash
# Installs what is missing, builds from scratch, and runs the whole suite: unit tests, live tests
# (load + attach on this kernel; they skip only without BPF privileges) and the conformance corpus.
#
# JITPROBE_SANITIZE_TESTS=1 adds a second phase: the runtime, CLI and their tests built with
# ASan + UBSan into build-asan (the compiler is not rebuilt: the phase runs the first build's
# jitprobe-compiler), running the unit tests and the short live tests under the sanitizers.
# JITPROBE_TSAN_TESTS=1 adds a ThreadSanitizer phase (build-tsan) over the tests that use the
# C++ API from several threads (buffers polled while tables are read and updated).
# JITPROBE_PACKAGE_TESTS=1 builds the Debian packages (scripts/package.sh, lintian errors fail)
# and installs them into a clean Debian 12 root (tests/package/run.sh).
# JITPROBE_VM_TESTS=1 adds scripts/vmtest.sh: kprobes, fentry/fexit and BPF LSM attached for real
# in a qemu guest running Debian 12's 6.1 kernel (this host's kernel has none of them).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
install_packages
if [ "${KEEP_BUILD:-0}" != 1 ]; then
  rm -rf "$BUILD_DIR"
fi
configure_and_build
cd "$BUILD_DIR"
ctest --output-on-failure --timeout 900 "$@"

# sanitizer_build DIR CMAKE_OPTION TARGET...: the runtime and tests built with a sanitizer into
# DIR, reusing the first build's jitprobe-compiler (LLVM is not instrumented); cd's into DIR.
sanitizer_build() {
  local dir="$1" option="$2"
  shift 2
  cmake -S "$ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$option" \
    -DJITPROBE_BUILD_EXAMPLES=OFF -DJITPROBE_PREBUILT_COMPILER="$BUILD_DIR/frontend/jitprobe-compiler"
  cmake --build "$dir" -j "$JOBS" --target "$@"
  export JITPROBE_COMPILER="$BUILD_DIR/frontend/jitprobe-compiler"
  # The LLVM symbolizer plugin of the first build too (stack symbols; LLVM is not instrumented).
  export JITPROBE_SYMBOLIZER="$BUILD_DIR/runtime/libjitprobe-symbolizer.so"
  cd "$dir"
}

if [ "${JITPROBE_SANITIZE_TESTS:-0}" = 1 ]; then
  echo "==> sanitizer phase (ASan + UBSan)"
  start=$(date +%s)
  sanitizer_build "${ASAN_BUILD_DIR:-$ROOT/build-asan}" -DJITPROBE_SANITIZE=ON \
    jitprobe-cli common_unit_tests runtime_unit_tests text_unit_tests live_tests
  # LLVM (the symbolizer) is not instrumented; leaks there are not ours to fix.
  export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
  export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$ROOT/tests/sanitizers/lsan.supp}"
  export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
  # Unit tests, then the live tests that take seconds (not the examples, BCC corpus or
  # conformance: those exercise the frontend and the kernel more than the runtime).
  ctest --output-on-failure --timeout 900 -L unit -E '_NOT_BUILT$'
  ctest --output-on-failure --timeout 900 -L live \
    -E '_NOT_BUILT$|^conformance$|^install_consumer$|^Examples\.|^BccCorpus\.|^BadInput\.'
  echo "==> sanitizer phase: $(( $(date +%s) - start )) s"
fi

if [ "${JITPROBE_TSAN_TESTS:-0}" = 1 ]; then
  echo "==> ThreadSanitizer phase"
  start=$(date +%s)
  sanitizer_build "${TSAN_BUILD_DIR:-$ROOT/build-tsan}" -DJITPROBE_TSAN=ON live_tests
  export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1}"
  ctest --output-on-failure --timeout 900 -R '^(Concurrency|LiveBuffers|Load)\.'
  echo "==> ThreadSanitizer phase: $(( $(date +%s) - start )) s"
fi

if [ "${JITPROBE_VM_TESTS:-0}" = 1 ]; then
  echo "==> VM phase (Debian 12's 6.1 kernel under qemu)"
  start=$(date +%s)
  "$ROOT/scripts/vmtest.sh" "$BUILD_DIR"
  echo "==> VM phase: $(( $(date +%s) - start )) s"
fi

if [ "${JITPROBE_PACKAGE_TESTS:-0}" = 1 ]; then
  echo "==> package phase (scripts/package.sh + tests/package/run.sh: clean Debian 12 root)"
  start=$(date +%s)
  JOBS="$JOBS" "$ROOT/scripts/package.sh" "$BUILD_DIR/packages"
  "$ROOT/tests/package/run.sh" "$BUILD_DIR/packages"
  echo "==> package phase: $(( $(date +%s) - start )) s"
fi
