# The three stages of tests/package/run.sh (sourced: uses in_root, fail, inside, root, *_deb).

# Runs opensnoop (from FILE) with -c: a script that saves /proc/$PPID/maps (the running CLI's)
# and cats a marker file. Checks the event is printed and, with CHECK_MAPS=1, that the CLI
# maps no LLVM/Clang library.
run_opensnoop() { # FILE LABEL
  printf '#!/bin/sh\ncat /proc/$PPID/maps > %s/run-%s.maps\ncat %s/marker-%s >/dev/null\n' \
    "$inside" "$2" "$inside" "$2" > "$work/cmd-$2.sh"
  chmod +x "$work/cmd-$2.sh"
  echo marker > "$work/marker-$2"
  in_root "jitprobe run $1 -c $inside/cmd-$2.sh" > "$work/run-$2.out" 2> "$work/run-$2.err" ||
    fail "$2: jitprobe run $1 failed: $(cat "$work/run-$2.err")"
  grep -q "marker-$2" "$work/run-$2.out" ||
    fail "$2: jitprobe run $1 did not report cat opening marker-$2:
$(cat "$work/run-$2.out" "$work/run-$2.err" | head -n 30)"
  grep "marker-$2" "$work/run-$2.out" | grep -q "comm=cat" || fail "$2: the event does not name cat"
  echo "    jitprobe run $1: $(grep "marker-$2" "$work/run-$2.out" | head -n1)"
  if [ "${CHECK_MAPS:-0}" = 1 ]; then
    [ -s "$work/run-$2.maps" ] || fail "$2: no /proc/PID/maps of the running CLI"
    if grep -iE 'llvm|clang' "$work/run-$2.maps"; then fail "$2: the runtime-only CLI maps LLVM"; fi
    echo "    /proc/PID/maps of the running CLI: $(awk '{print $6}' "$work/run-$2.maps" | grep / | sort -u | wc -l) files, no LLVM/Clang"
  fi
}

no_llvm_packages() {
  [ -n "$root" ] || { echo "    (host fallback: the host has LLVM installed; package check skipped)"; return 0; }
  if in_root "dpkg-query -W -f='\${Package}\n' | grep -E '^(libllvm|libclang|clang|llvm)'"; then
    fail "$1: LLVM/Clang packages are installed"
  fi
}

step_runtime_only() {
  echo "==> 1. jitprobe-runtime alone"
  in_root "apt-get install -y -qq $inside/debs/$(basename "$runtime_deb") >/dev/null"
  no_llvm_packages "jitprobe-runtime"
  in_root "ldd /usr/bin/jitprobe /usr/lib/*/libjitprobe.so.0" > "$work/ldd.out"
  if grep -iE 'llvm|clang|not found' "$work/ldd.out"; then fail "ldd names LLVM or a missing library"; fi
  echo "    ldd: $(grep -c '=>' "$work/ldd.out") libraries, none of LLVM/Clang"
  if in_root "JITPROBE_CACHE_DIR=$inside/empty-cache jitprobe check $inside/opensnoop.c" \
      > "$work/nocompiler.out" 2>&1; then
    fail "jitprobe check of a .c file succeeded without jitprobe-compiler"
  fi
  grep -qi "compiler" "$work/nocompiler.out" ||
    fail "without the compiler, the error does not say so: $(cat "$work/nocompiler.out")"
  echo "    .c without the compiler: $(head -n1 "$work/nocompiler.out")"
}

step_full() {
  echo "==> 2. + jitprobe + libjitprobe-dev"
  in_root "apt-get install -y -qq $inside/debs/$(basename "$full_deb") $inside/debs/$(basename "$dev_deb") >/dev/null"
  test -x "${root:-}/usr/libexec/jitprobe/jitprobe-compiler" || fail "no /usr/libexec/jitprobe/jitprobe-compiler"
  # The CLI never maps LLVM, even with the compiler installed (compiles run in jitprobe-compiler).
  CHECK_MAPS=1 run_opensnoop "$inside/opensnoop.c" full
  in_root "cmake -S $inside -B $inside/cmake-build >/dev/null && cmake --build $inside/cmake-build >/dev/null &&
    $inside/cmake-build/consumer" || fail "the find_package(jitprobe) consumer failed"
  in_root "cd $inside && g++ -std=c++20 consumer.cpp \$(pkg-config --cflags --libs jitprobe) -o consumer-pc &&
    ./consumer-pc" || fail "the pkg-config consumer failed"
  in_root "jitprobe build $inside/opensnoop.c -o $inside/opensnoop.jpo" || fail "jitprobe build failed"
}

# What runs with jitprobe-runtime only. A cached .c probe does not: the cache key names the
# compiler build (runtime/src/bpf/BPFCache.cpp), so without it every .c is a miss; portable
# objects are the runtime-only path: the .jpo built in stage 2 runs here, mapping no LLVM.
step_runtime_only_again() {
  echo "==> 3. jitprobe-runtime only again (jitprobe, libjitprobe-dev purged)"
  in_root "apt-get purge -y -qq jitprobe libjitprobe-dev >/dev/null && apt-get autoremove --purge -y -qq >/dev/null"
  no_llvm_packages "after purging jitprobe"
  [ ! -e "${root:-}/usr/libexec/jitprobe/jitprobe-compiler" ] || fail "jitprobe-compiler is still installed"
  in_root "jitprobe list tracepoints 'syscalls:sys_enter_openat'" > "$work/list.out" || fail "list failed"
  grep -qx "syscalls:sys_enter_openat" "$work/list.out" || fail "list: $(cat "$work/list.out")"
  in_root "jitprobe cache stats" > "$work/cache.out" || fail "cache stats failed"
  grep -q "entries:" "$work/cache.out" || fail "cache stats: $(cat "$work/cache.out")"
  in_root "jitprobe info --format json" > "$work/info.json" || fail "info failed"
  python3 - "$work/info.json" <<'PY' || fail "jitprobe info (runtime only): $(cat "$work/info.json")"
import json, sys
info = json.load(open(sys.argv[1]))
attach = {a["name"]: a for a in info["attach_types"]}
assert attach["tracepoint"]["supported"], attach["tracepoint"]
assert not info["compiler"]["supported"], info["compiler"]  # runtime only: no compiler found
PY
  echo "    list tracepoints, cache stats, info (tracepoint attached, no compiler): ok"
  [ -e "$work/opensnoop.jpo" ] || fail "no opensnoop.jpo from stage 2"
  CHECK_MAPS=1 run_opensnoop "$inside/opensnoop.jpo" jpo
}
