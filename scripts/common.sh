# Shared by setup.sh and test.sh: install what is missing (Debian 12 packages only), configure,
# build. Idempotent: a second run installs nothing and rebuilds only what changed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
JOBS="${JOBS:-$(nproc)}"

PACKAGES=(build-essential cmake pkg-config python3 golang-go
  llvm-16-dev libclang-16-dev libclang-cpp16-dev clang-16 libbpf-dev libelf-dev zlib1g-dev
  libzstd-dev # its libzstd.a: jitprobe-compiler is linked fully static
  libboost-program-options-dev libspdlog-dev libgtest-dev libgmock-dev nlohmann-json3-dev
  strace # a live test proves a cache hit never opens the kernel BTF
  libcpp-httplib-dev prometheus # jitprobe serve / Exporter.h; prometheus + promtool: its live tests
  asciidoctor lintian debootstrap # the man page; scripts/package.sh and tests/package
  ccache) # the package and sanitizer builds recompile little of what the first build compiled

install_packages() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    return 0
  fi
  echo "==> installing: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
}

# ccache for every build of this tree: paths relative to ROOT and no build-directory hash, so
# build-pkg (scripts/package.sh) hits what build/ compiled with the same flags.
use_ccache() {
  command -v ccache >/dev/null || return 0
  export CMAKE_CXX_COMPILER_LAUNCHER="${CMAKE_CXX_COMPILER_LAUNCHER:-ccache}"
  export CMAKE_C_COMPILER_LAUNCHER="${CMAKE_C_COMPILER_LAUNCHER:-ccache}"
  export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$ROOT}" CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-1}"
}

configure_and_build() {
  use_ccache
  echo "==> configuring in $BUILD_DIR"
  cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DJITPROBE_WERROR="${JITPROBE_WERROR:-OFF}" "$@"
  echo "==> building with $JOBS jobs"
  cmake --build "$BUILD_DIR" -j "$JOBS"
}
