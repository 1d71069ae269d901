#!/usr/bin/env bash
# Installs what jitprobe needs, builds it, and runs the main job: a real probe script on this
# kernel (syscount by process: syscall tracepoint counts for 3 seconds while `ls` and `cat` run).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
install_packages
configure_and_build
echo "==> jitprobe run examples/syscount.c (3 s)"
"$BUILD_DIR/runtime/cli/jitprobe" run "$ROOT/examples/syscount.c" --duration 3 \
  -c "sh -c 'for i in 1 2 3 4 5; do ls / >/dev/null; cat /etc/hostname >/dev/null; done; sleep 2'"
