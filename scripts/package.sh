#!/usr/bin/env bash
# Builds the Debian packages jitprobe-runtime, jitprobe and libjitprobe-dev from this tree with
# CPack into OUTDIR (default build/packages/), runs lintian on them when it is installed, and
# prints each package's installed size. The build tree is build-pkg/ (prefix /usr, no tests).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUTDIR="$(realpath -m "${1:-$ROOT/build/packages}")"
PKG_BUILD_DIR="${PKG_BUILD_DIR:-$ROOT/build-pkg}"
JOBS="${JOBS:-$(nproc)}"
source "$ROOT/scripts/common.sh"
use_ccache

cmake -S "$ROOT" -B "$PKG_BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr \
  -DJITPROBE_BUILD_TESTS=OFF -DJITPROBE_BUILD_EXAMPLES=OFF -DJITPROBE_SHARED_SYSTEM_LIBS=ON \
  -DJITPROBE_BUILD_TREE_LOOKUP=OFF >/dev/null
cmake --build "$PKG_BUILD_DIR" -j "$JOBS"
mkdir -p "$OUTDIR"
rm -f "$OUTDIR"/jitprobe_*.deb "$OUTDIR"/jitprobe-runtime_*.deb "$OUTDIR"/libjitprobe-dev_*.deb
(cd "$PKG_BUILD_DIR" && cpack -G DEB -B "$OUTDIR/.cpack" >/dev/null)
mv "$OUTDIR"/.cpack/*.deb "$OUTDIR"/
rm -rf "$OUTDIR/.cpack"

status=0
if command -v lintian >/dev/null; then
  # Errors fail the build; warnings are printed for the maintainer.
  lintian --no-tag-display-limit "$OUTDIR"/*.deb || status=$?
else
  echo "lintian not installed: packages not checked" >&2
fi
echo "packages in $OUTDIR (installed size: the files' bytes; Installed-Size: dpkg's field):"
for deb in "$OUTDIR"/*.deb; do
  bytes="$(dpkg-deb --fsys-tarfile "$deb" | tar -tvf - | awk '{s += $3} END {print s}')"
  awk -v n="$(basename "$deb")" -v b="$bytes" -v f="$(dpkg-deb -f "$deb" Installed-Size)" \
    -v d="$(stat -c %s "$deb")" 'BEGIN {
      printf "  %-36s %6.2f MB installed (Installed-Size %s KiB), %6.2f MB .deb\n", n, b / 1e6, f, d / 1e6 }'
done
exit "$status"
