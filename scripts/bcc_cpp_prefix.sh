# Sourced by bcc_cpp_examples.sh and bcc_cpp_tests.sh: the installed jitprobe their ports build
# against. use_prefix SRC_DIR WORK [PREFIX] sets `prefix` (PREFIX, else SRC_DIR/build installed
# into WORK/prefix) and `libdir` (where libjitprobe.so is); returns 1 if the install fails.
use_prefix() {
  local src_dir="$1" work="$2"
  prefix="${3:-}"
  if [ -z "$prefix" ]; then
    prefix="$work/prefix"
    cmake --install "$src_dir/build" --prefix "$prefix" >/dev/null || return 1
  fi
  libdir="$prefix/lib"; [ -d "$prefix/lib64" ] && libdir="$prefix/lib64"
  [ -f "$libdir/libjitprobe.so" ] || libdir="$(dirname "$(find "$prefix" -name libjitprobe.so | head -1)")"
  return 0
}
