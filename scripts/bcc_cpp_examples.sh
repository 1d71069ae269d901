#!/usr/bin/env bash
# Builds BCC's examples/cpp/*.cc against an installed jitprobe, changing only the include lines
# (BCC's API headers -> <jitprobe/...>) and the namespace (ebpf:: -> jitprobe::), then runs the
# ones whose attach types this kernel supports and checks they print what BCC's would.
#
#   scripts/bcc_cpp_examples.sh BCC_CHECKOUT [PREFIX]
#
# BCC_CHECKOUT: a BCC source tree (only examples/cpp is read). PREFIX: an installed jitprobe
# (cmake --install build --prefix PREFIX); default: install ./build into a temporary prefix.
# Running needs root (BPF). Set BCC_EXAMPLES_NO_RUN=1 to only build. Exits 1 if an example
# does not build or fails in a way BCC's build would not.
set -uo pipefail
bcc="${1:?usage: $0 BCC_CHECKOUT [PREFIX]}"
src_dir="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
source "$src_dir/scripts/bcc_cpp_prefix.sh"
use_prefix "$src_dir" "$work" "${2:-}" || exit 1

# The port, nothing else: BCC's API headers as its examples include them in BCC's tree
# ("BPF.h", "bcc_version.h") or installed (<bcc/BPF.h>, <bcc/BPFTable.h>, <bcc/bcc_version.h>)
# become <jitprobe/...>, and ebpf:: becomes jitprobe::.
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
[ "${BCC_EXAMPLES_NO_RUN:-0}" = 1 ] && exit $(( ${#failed[@]} > 0 ))
[ "$(id -u)" -eq 0 ] || { echo "not root: not running the examples"; exit $(( ${#failed[@]} > 0 )); }
export JITPROBE_CACHE_DIR="$work/cache"

# run NAME SECONDS OUTPUT_RE LIMIT_RE [ARGS...]: runs NAME for at most SECONDS (SIGINT, then
# KILL). OUTPUT_RE matches what BCC's build of the example prints when it works; LIMIT_RE the
# error it ends with where this kernel lacks what the example needs (BCC's build stops there
# too).
printed=(); limited=(); broken=()
run() {
  local name="$1" secs="$2" output="$3" limit="$4"; shift 4
  if [[ " ${built[*]} " != *" $name "* ]]; then echo "  SKIP run $name: did not build"; return; fi
  timeout -s INT -k 5 "$secs" "$work/$name" "$@" > "$work/$name.out" 2>&1
  local rc=$?
  if grep -Eq "$output" "$work/$name.out"; then
    printed+=("$name")
    echo "  OUTPUT $name (exit $rc): $(grep -Em1 "$output" "$work/$name.out" | cut -c1-100)"
  elif [ -n "$limit" ] && grep -Eq "$limit" "$work/$name.out"; then
    limited+=("$name")
    echo "  LIMIT  $name (exit $rc): $(grep -Em1 "$limit" "$work/$name.out" | cut -c1-140)"
  else
    broken+=("$name")
    echo "  FAIL   $name (exit $rc): $(head -c 300 "$work/$name.out" | tr '\n' '|')"
  fi
}

# Targets for the examples that trace a program: a stand-in mysqld (alloc_query(THD*, const
# char*, unsigned), the symbol RecordMySQLQuery probes) and a program with Folly's
# folly:request_context_switch_before USDT probe (written as <sys/sdt.h> would, which this
# machine lacks).
cat > "$work/fake_mysqld.cc" <<'CC'
#include <unistd.h>
struct THD;
__attribute__((noipa)) void alloc_query(THD *, const char *q, unsigned) { __asm__ volatile("" ::"r"(q)); }
// The query in a buffer the process has touched, as mysqld's is (a probe cannot fault pages in).
int main() { char q[] = "SELECT 42"; for (int i = 0; i < 100; i++) { alloc_query(nullptr, q, 9); usleep(50000); } }
CC
cat > "$work/fake_folly.c" <<'CC'
#include <unistd.h>
#define CONTEXT_SWITCH(a, b) __asm__ __volatile__( \
  "990: nop\n.pushsection .note.stapsdt,\"?\",\"note\"\n.balign 4\n" \
  ".4byte 992f-991f, 994f-993f, 3\n991: .asciz \"stapsdt\"\n992: .balign 4\n" \
  "993: .8byte 990b\n.8byte _.stapsdt.base\n.8byte 0\n.asciz \"folly\"\n" \
  ".asciz \"request_context_switch_before\"\n.asciz \"8@%0 8@%1\"\n994: .balign 4\n" \
  ".popsection\n.ifndef _.stapsdt.base\n" \
  ".pushsection .stapsdt.base,\"aG\",\"progbits\",.stapsdt.base,comdat\n" \
  ".weak _.stapsdt.base\n.hidden _.stapsdt.base\n_.stapsdt.base: .space 1\n" \
  ".size _.stapsdt.base, 1\n.popsection\n.endif\n" :: "r"(a), "r"(b))
int main(void) {
  for (unsigned long i = 0; i < 100; i++) { CONTEXT_SWITCH(0x1000 + i, 0x2000 + i); usleep(50000); }
  return 0;
}
CC
g++ -O1 -o "$work/mysqld" "$work/fake_mysqld.cc" && gcc -O1 -o "$work/folly_app" "$work/fake_folly.c" ||
  echo "  (cannot build the stand-in targets)"

# Kernel support decides what can succeed: tracepoints, raw tracepoints, uprobes, USDT and task
# iterators attach here; kprobes (no CONFIG_KPROBES), fentry/fmod_ret and some iterators (EPERM),
# hardware perf events (a VM) and removed tracepoints cannot. For those the expected output is
# the error BCC's build would also end with.
run UseExternalMap 10 '^[0-9]+ +\(.*\) ==> [0-9]+ +\(.*\): [0-9]+' ''
run TaskIterator 10 "^2	kthreadd\$" ''
run SkLocalStorageIterator 10 '^2	17	(10|20)$' 'EPERM'
( sleep 1; head -c 64 /dev/urandom > /dev/null ) &
run RandomRead 4 'PID: [0-9]+ \(.*\) on CPU [0-9]+ read [0-9]+ bits' 'urandom_read.*ENOENT'
run LLCStat 3 'Hit Rate' 'perf event.*ENOENT' 1
( "$work/mysqld" > /dev/null 2>&1 & )
run RecordMySQLQuery 10 'PID: [0-9]+ Query: SELECT 42' '' "$work/mysqld" 2
( "$work/folly_app" > /dev/null 2>&1 & )
sleep 0.2
run FollyRequestContextSwitch 3 'folly::RequestContext switch from [0-9]+ to [0-9]+' '' --binary "$work/folly_app"
run CPUDistribution 5 'CPU  0 worked for' 'no kprobe support' 1
run TCPSendStack 5 'TCP sends' 'no kprobe support' 1
run CGroupTest 5 'was opened' 'no kprobe support' "$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)"
run HelloWorld 5 'Hello, World' 'no kprobe support'
run KFuncExample 5 '^ +-?[0-9]+  ' 'EPERM'
run KModRetExample 5 'opened file' 'EPERM'
echo "${#printed[@]} print BCC's output (${printed[*]}); ${#limited[@]} stop at this kernel's limits" \
     "(${limited[*]}); ${#broken[@]} fail${broken[*]:+ (${broken[*]})}"
# Exit status: 0 when every example builds and none fails in a way BCC's build would not.
exit $(( ${#failed[@]} + ${#broken[@]} > 0 ))
