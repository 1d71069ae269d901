# Shared by setup.sh and test.sh: install what is missing (Debian 12 packages only), configure,
# build. Idempotent: a second run installs nothing and rebuilds only what changed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
JOBS="${JOBS:-$(nproc)}"

PACKAGES=(build-essential cmake pkg-config python3 golang-go
  llvm-16-dev libclang-16-dev libclang-cpp16-dev clang-16 libbpf-dev libelf-dev zlib1g-dev
  libboost-program-options-dev libspdlog-dev libgtest-dev libgmock-dev nlohmann-json3-dev
  strace) # strace: a live test proves a cache hit never opens the kernel BTF

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

configure_and_build() {
  echo "==> configuring in $BUILD_DIR"
  cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DJITPROBE_WERROR="${JITPROBE_WERROR:-OFF}" "$@"
  echo "==> building with $JOBS jobs"
  cmake --build "$BUILD_DIR" -j "$JOBS"
}
