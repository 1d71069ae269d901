#!/usr/bin/env bash
# Installs the build tree into a temporary prefix, builds tests/install_consumer against it with
# find_package(jitprobe), and runs it (live: needs BPF privileges).
set -euo pipefail
build_dir="$1"; source_dir="$(cd "$(dirname "$0")" && pwd)"
prefix="$(mktemp -d)"; trap 'rm -rf "$prefix"' EXIT
cmake --install "$build_dir" --prefix "$prefix" >/dev/null
cmake -S "$source_dir" -B "$prefix/consumer-build" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$prefix/consumer-build" >/dev/null
if [ "$(id -u)" -ne 0 ]; then
  echo "SKIP: not root, cannot load BPF programs"; exit 0
fi
test -x "$prefix/libexec/jitprobe/jitprobe-compiler" || { echo "FAIL: no installed jitprobe-compiler"; exit 1; }
# The installed runtime must start the installed compiler (found relative to libjitprobe.so).
JITPROBE_CACHE_DIR="$prefix/cache" strace -f -qq -e trace=execve -o "$prefix/execs" \
  "$prefix/consumer-build/consumer"
grep -q "execve(\"$prefix/libexec/jitprobe/jitprobe-compiler\"" "$prefix/execs" ||
  { echo "FAIL: the installed jitprobe-compiler was not run:"; cat "$prefix/execs"; exit 1; }
# So must the installed CLI (found relative to the jitprobe executable when it links the runtime in).
printf 'TRACEPOINT_PROBE(syscalls, sys_enter_getppid) { return 0; }\n' > "$prefix/probe.c"
JITPROBE_CACHE_DIR="$prefix/cli-cache" LD_LIBRARY_PATH="$prefix/lib:$prefix/lib64" \
  strace -f -qq -e trace=execve -o "$prefix/cli-execs" "$prefix/bin/jitprobe" check "$prefix/probe.c"
grep -q "execve(\"$prefix/libexec/jitprobe/jitprobe-compiler\"" "$prefix/cli-execs" ||
  { echo "FAIL: the installed CLI did not run the installed jitprobe-compiler:"; cat "$prefix/cli-execs"; exit 1; }
