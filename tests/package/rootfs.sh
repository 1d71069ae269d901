#!/usr/bin/env bash
# Prints the path of a cached minimal Debian 12 root (a tarball), creating it on the first run:
# debootstrap from the first mirror apt uses on this host, plus what building a consumer needs.
# Cache: /var/cache/jitprobe-pkgtest (root-owned, 0700), override with JITPROBE_PKGTEST_CACHE.
set -euo pipefail
cache="${JITPROBE_PKGTEST_CACHE:-/var/cache/jitprobe-pkgtest}"
suite=bookworm
tarball="$cache/debian-$suite-$(dpkg --print-architecture).tar.gz"
# Bump when the package list changes so stale roots are rebuilt.
include="apt,ca-certificates,build-essential,cmake,pkg-config,procps"
stamp="$cache/$(basename "$tarball").include"

apt_mirror() {
  local uri
  uri="$(grep -hs -E '^(URIs:|deb )' /etc/apt/sources.list /etc/apt/sources.list.d/*.sources \
    /etc/apt/sources.list.d/*.list 2>/dev/null | grep -v security | head -n1 |
    sed -E 's/^URIs:[[:space:]]*//; s/^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?//; s/[[:space:]].*$//')"
  echo "${uri:-http://deb.debian.org/debian}"
}

install -d -m 0700 -o root -g root "$cache"
if [ -s "$tarball" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$include" ]; then
  echo "$tarball"; exit 0
fi
mirror="$(apt_mirror)"
work="$(mktemp -d "$cache/build.XXXXXX")"
trap 'rm -rf "$work"' EXIT
echo "==> debootstrap $suite from $mirror (cached in $cache afterwards)" >&2
if ! timeout 900 debootstrap --variant=minbase --include="$include" "$suite" "$work/root" \
    "$mirror" > "$work/debootstrap.log" 2>&1; then
  tail -n 20 "$work/debootstrap.log" >&2
  echo "debootstrap from $mirror failed (see above)" >&2
  exit 2
fi
# The same package source inside the root, so apt there resolves the packages' dependencies.
echo "deb $mirror $suite main" > "$work/root/etc/apt/sources.list"
rm -rf "$work/root/var/cache/apt/archives/"*.deb
tar -C "$work/root" -czf "$work/root.tar.gz" .
mv "$work/root.tar.gz" "$tarball"
echo "$include" > "$stamp"
echo "$tarball"
