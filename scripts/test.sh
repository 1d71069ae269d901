#!/usr/bin/env bash
# Installs what is missing, builds from scratch, and runs the whole suite: unit tests, live tests
# (load + attach on this kernel; they skip only without BPF privileges) and the conformance corpus.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
install_packages
if [ "${KEEP_BUILD:-0}" != 1 ]; then
  rm -rf "$BUILD_DIR"
fi
configure_and_build
cd "$BUILD_DIR"
ctest --output-on-failure --timeout 900 "$@"
