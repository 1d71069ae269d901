#!/usr/bin/env bash
# Builds BCC's examples/cpp/*.cc against an installed jitprobe, changing only the include lines
# (BCC's API headers -> <jitprobe/...>) and the namespace (ebpf:: -> jitprobe::), then runs the
# ones whose attach types this kernel supports and checks they print what BCC's would.
#
#   scripts/bcc_cpp_examples.sh BCC_CHECKOUT [PREFIX]
#
# BCC_CHECKOUT: a BCC source tree (only examples/cpp is read). PREFIX: an installed jitprobe
# (cmake --install build --prefix PREFIX); default: install ./build into a temporary prefix.
# Running needs root (BPF). Set BCC_EXAMPLES_NO_RUN=1 to only build.
set -uo pipefail
bcc="${1:?usage: $0 BCC_CHECKOUT [PREFIX]}"
src_dir="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
prefix="${2:-}"
if [ -z "$prefix" ]; then
  prefix="$work/prefix"
  cmake --install "$src_dir/build" --prefix "$prefix" >/dev/null || exit 1
fi
libdir="$prefix/lib"; [ -d "$prefix/lib64" ] && libdir="$prefix/lib64"
[ -f "$libdir/libjitprobe.so" ] || libdir="$(dirname "$(find "$prefix" -name libjitprobe.so | head -1)")"

# The port: BCC's API headers (in-tree "BPF.h" or installed <bcc/BPF.h>) and the namespace.
port() {
  sed -e 's,#include "\(BPF\|BPFTable\|bcc_version\)\.h",#include <jitprobe/\1.h>,' \
      -e 's,#include <bcc/\(BPF\|BPFTable\|bcc_version\)\.h>,#include <jitprobe/\1.h>,' \
      -e 's/ebpf::/jitprobe::/g' "$1"
}

examples=("$bcc"/examples/cpp/*.cc)
built=(); failed=()
for ex in "${examples[@]}"; do
  name="$(basename "$ex" .cc)"
  port "$ex" > "$work/$name.cc"
  if g++ -std=c++20 -O1 -I"$prefix/include" "$work/$name.cc" -o "$work/$name" \
       -L"$libdir" -Wl,-rpath,"$libdir" -ljitprobe > "$work/$name.build.log" 2>&1; then
    built+=("$name")
  else
    failed+=("$name")
  fi
done
echo "${#built[@]} of ${#examples[@]} build"
for name in "${failed[@]}"; do
  echo "  FAIL build $name: $(grep -m1 'error' "$work/$name.build.log")"
done
[ "${BCC_EXAMPLES_NO_RUN:-0}" = 1 ] && exit 0
[ "$(id -u)" -eq 0 ] || { echo "not root: not running the examples"; exit 0; }
export JITPROBE_CACHE_DIR="$work/cache"

# run NAME SECONDS EXPECT_REGEX [ARGS...]: runs NAME for at most SECONDS (SIGINT, then KILL) and
# checks its output for what BCC's build of the example prints.
run() {
  local name="$1" secs="$2" expect="$3"; shift 3
  if [[ " ${built[*]} " != *" $name "* ]]; then echo "  SKIP run $name: did not build"; return; fi
  timeout -s INT -k 5 "$secs" "$work/$name" "$@" > "$work/$name.out" 2>&1
  local rc=$?
  if grep -Eq "$expect" "$work/$name.out"; then
    echo "  OK   run $name (exit $rc): $(grep -Em1 "$expect" "$work/$name.out" | cut -c1-100)"
  else
    echo "  FAIL run $name (exit $rc): $(head -c 300 "$work/$name.out" | tr '\n' '|')"
  fi
}
# Kernel support decides what runs: tracepoints, raw tracepoints, uprobes, USDT, iterators and
# software perf events attach here; kprobes (no CONFIG_KPROBES) and fentry/fmod_ret may not.
run UseExternalMap 10 '^[0-9]+ +\(.*\) ==> [0-9]+ +\(.*\): [0-9]+'
run TaskIterator 10 '^1	'
( sleep 1; head -c 64 /dev/urandom > /dev/null ) &
run RandomRead 4 'PID: [0-9]+ \(.*\) on CPU [0-9]+ read [0-9]+ bits'
run LLCStat 3 'Hit Rate' 1
run SkLocalStorageIterator 10 '^2	17	(10|20)$'
# Attach types this kernel lacks: the expected output is the attach error, printed as BCC does.
run CPUDistribution 5 'CPU  0 worked for|kprobe' 1
run TCPSendStack 5 'TCP sends|kprobe' 1
run HelloWorld 5 'Hello, World|kprobe'
run KFuncExample 5 'FNAME|kfunc|EPERM|Operation not permitted'
run KModRetExample 5 'opened file|kmod_ret|EPERM|Operation not permitted'
