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
JITPROBE_CACHE_DIR="$prefix/cache" "$prefix/consumer-build/consumer"
