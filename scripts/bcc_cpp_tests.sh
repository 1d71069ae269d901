#!/usr/bin/env bash
# Builds BCC's own C++ API tests (tests/cc/test_*.cc that use ebpf::BPF) against an installed
# jitprobe, changing only the include lines (BCC's "BPF.h" / "api/BPF.h" / "BPFTable.h" ->
# <jitprobe/...>) and the namespace (ebpf:: -> jitprobe::), with the checkout's own Catch
# (tests/cc/catch.hpp, used in place), then runs each Catch test case on its own as root and
# reports what passed, what failed, and what stops at this kernel's limits.
#
#   scripts/bcc_cpp_tests.sh BCC_CHECKOUT [PREFIX]
#
# BCC_CHECKOUT: a BCC source tree (tests/cc is read, nothing is copied into this project).
# PREFIX: an installed jitprobe (cmake --install build --prefix PREFIX); default: install
# ./build into a temporary prefix. Set BCC_TESTS_NO_RUN=1 to only build. Exits 1 if a portable
# test file does not build or a test case fails for a reason other than this kernel's limits.
set -uo pipefail
bcc="${1:?usage: $0 BCC_CHECKOUT [PREFIX]}"
src_dir="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
source "$src_dir/scripts/bcc_cpp_prefix.sh"
use_prefix "$src_dir" "$work" "${2:-}" || exit 1
catch_hpp="$bcc/tests/cc/catch.hpp"
[ -f "$catch_hpp" ] || { echo "no $catch_hpp"; exit 1; }

# The 13 test files that use BCC's C++ API (ebpf::BPF).
tests=(test_array_table test_bpf_table test_cg_storage test_hash_table test_map_in_map
       test_perf_event test_pinned_table test_prog_table test_queuestack_table
       test_shared_table test_sk_storage test_sock_table test_usdt_probes)

# The port, nothing else: BCC's API headers become <jitprobe/...>, ebpf:: becomes jitprobe::.
port() {
  sed -e 's,#include "\(api/\)\?\(BPF\|BPFTable\)\.h",#include <jitprobe/\2.h>,' \
      -e 's,#include <bcc/\(BPF\|BPFTable\)\.h>,#include <jitprobe/\1.h>,' \
      -e 's/ebpf::/jitprobe::/g' "$1"
}
# Headers the port leaves that are not BCC's C++ API (e.g. usdt.h, the
# USDT::Context of libbcc): a file including one is not portable by include + namespace.
internal_includes() {
  grep -o '#include "[^"]*"' "$1" | sed 's/#include "\(.*\)"/\1/' | while read -r h; do
    case "$h" in catch.hpp) ;; *) echo "$h" ;; esac
  done
}

# Catch's main, once (the checkout's catch.hpp, in place).
printf '#define CATCH_CONFIG_MAIN\n#include "%s"\n' "$catch_hpp" > "$work/catch_main.cc"
g++ -std=c++20 -O0 -c "$work/catch_main.cc" -o "$work/catch_main.o" || exit 1

built=(); unportable=(); failed=()
for t in "${tests[@]}"; do
  f="$bcc/tests/cc/$t.cc"
  port "$f" > "$work/$t.cc"
  internal="$(internal_includes "$work/$t.cc" | tr '\n' ' ')"
  if [ -n "$internal" ]; then
    unportable+=("$t"); echo "  NOT PORTABLE $t: includes headers outside BCC's C++ API: $internal"; continue
  fi
  if g++ -std=c++20 -O1 -w -I"$prefix/include" -I"$bcc/tests/cc" "$work/$t.cc" \
       "$work/catch_main.o" -o "$work/$t" -L"$libdir" -Wl,-rpath,"$libdir" -ljitprobe \
       > "$work/$t.build.log" 2>&1; then
    built+=("$t")
  else
    failed+=("$t")
    echo "  FAIL build $t: $(grep -m1 'error' "$work/$t.build.log" | cut -c1-300)"
  fi
done
echo "${#built[@]} of ${#tests[@]} build (${#unportable[@]} not portable by include+namespace)"
[ "${BCC_TESTS_NO_RUN:-0}" = 1 ] && exit $(( ${#failed[@]} > 0 ))
[ "$(id -u)" -eq 0 ] || { echo "not root: not running the tests"; exit $(( ${#failed[@]} > 0 )); }
export JITPROBE_CACHE_DIR="$work/cache"

# What this kernel lacks or refuses, found at the case's first failed assertion (Catch prints
# the expression, not the Status, so the call is found in the ported source at that line):
# - kprobes: the failed REQUIRE checks an attach_kprobe call (within the 3 lines above) and
#   tracefs has no kprobe_events (CONFIG_KPROBES unset);
# - a sockmap/sockhash update of an unbound UDP socket, which BCC's test expects to pass on
#   Linux >= 5.15 and this kernel refuses (EOPNOTSUPP; probed below with bcc_create_map).
kprobes=0
[ -e /sys/kernel/tracing/kprobe_events ] || [ -e /sys/kernel/debug/tracing/kprobe_events ] && kprobes=1
cat > "$work/udp_sockmap.cc" <<'CC'
#include <jitprobe/BPF.h>
#include <sys/socket.h>
#include <cerrno>
int main() {
  int map = bcc_create_map(BPF_MAP_TYPE_SOCKMAP, "udp_probe", 4, 4, 1, 0);
  int sock = socket(AF_INET, SOCK_DGRAM, 0), key = 0;
  if (map < 0 || sock < 0) return 1;
  return bpf_update_elem(map, &key, &sock, 0) == 0 ? 0 : errno == EOPNOTSUPP ? 2 : 1;
}
CC
udp_sockmap=1
g++ -std=c++20 -I"$prefix/include" "$work/udp_sockmap.cc" -o "$work/udp_sockmap" -L"$libdir" \
    -Wl,-rpath,"$libdir" -ljitprobe 2>/dev/null && { "$work/udp_sockmap"; [ $? = 2 ] && udp_sockmap=0; }
limit_reason() { # TEST OUTPUT: prints the kernel limit the case stopped at, or fails
  local line src
  line="$(grep -m1 -oE '\.cc:[0-9]+: FAILED:' "$2" | grep -oE '[0-9]+')" || return 1
  src="$(sed -n "$((line > 3 ? line - 3 : 1)),${line}p" "$work/$1.cc")"
  if [ "$kprobes" = 0 ] && grep -q 'attach_kprobe' <<< "$src"; then
    echo "kprobes (CONFIG_KPROBES unset): line $line checks attach_kprobe"
  elif [ "$udp_sockmap" = 0 ] && grep -q 'expected_update_result' <<< "$src"; then
    echo "this kernel refuses an unbound UDP socket in a sock map (EOPNOTSUPP): line $line"
  else
    return 1
  fi
}

# Where jitprobe differs from BCC on purpose (README "Porting BCC C++ programs"): a table of the
# wrong map kind is invalid (status() says why, every call returns it) where BCC's constructor
# throws, so a case whose only failed assertions are REQUIRE_THROWS is reported as that.
only_throws_failed() {
  awk '/FAILED:$/ { getline; n++; if ($0 ~ /REQUIRE_THROWS\(/) t++ } END { exit !(n > 0 && n == t) }' "$1"
}
# Typed tables whose C++ key/value sizes differ from the map's are refused here (BCC reads and
# writes past the C++ variable): cases that rely on that, by name.
declare -A size_mismatch=(["test_pinned_table: test pinned table"]="get_hash_table<int, int> over a u64/u64 map")

# test_pinned_table pins at this path and unlinks it only when its case passes: removed after
# each case (unless it was there before this run), so a failed case leaves nothing behind.
pin=/sys/fs/bpf/test_pinned_table
pin_was_there=0; [ -e "$pin" ] && pin_was_there=1

cases=0; passed=0; limited=0; differ=0; broken=0
for t in "${built[@]}"; do
  mapfile -t names < <(cd "$work" && "./$t" --list-test-names-only 2>/dev/null | sed '/^$/d')
  for n in "${names[@]}"; do
    cases=$((cases + 1))
    # One case per process: a crash in one does not take the others along.
    ( cd "$work" && timeout -s INT -k 5 60 "./$t" "$n" ) > "$work/case.out" 2>&1
    rc=$?
    [ "$pin_was_there" = 0 ] && rm -f "$pin"
    if [ $rc -eq 0 ]; then
      passed=$((passed + 1)); echo "  PASS  $t: $n"
    elif only_throws_failed "$work/case.out"; then
      differ=$((differ + 1))
      echo "  DIFF  $t: $n -- wrong-kind table is invalid, not an exception (only REQUIRE_THROWS failed)"
    elif [ -n "${size_mismatch["$t: $n"]:-}" ]; then
      differ=$((differ + 1))
      echo "  DIFF  $t: $n -- typed table sizes checked: ${size_mismatch["$t: $n"]}"
    elif reason="$(limit_reason "$t" "$work/case.out")"; then
      limited=$((limited + 1)); echo "  LIMIT $t: $n -- $reason"
    else
      broken=$((broken + 1))
      echo "  FAIL  $t: $n (exit $rc): $(grep -E -m3 -A3 'FAILED|REQUIRE|error|what\(\)' "$work/case.out" | tr -s ' \n' ' ' | cut -c1-400)"
    fi
  done
done
echo "${#built[@]} of ${#tests[@]} build, $passed of $cases test cases pass" \
     "($limited stop at this kernel's limits, $differ differ by design, $broken fail)"
exit $(( ${#failed[@]} + broken > 0 ))
