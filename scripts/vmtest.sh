#!/usr/bin/env bash
# Live tests on a second kernel: boots Debian 12's own 6.1 kernel in qemu (TCG) with the host's
# root as the guest's root (9p, read-only) and runs tests/vm/guest_tests.sh there, with the
# host-built jitprobe. That kernel has what this host's lacks: kprobes, fentry/fexit and BPF LSM.
#
#   scripts/vmtest.sh [BUILD_DIR]     (default: build; needs jitprobe and jitprobe-compiler built)
#
# The kernel package and busybox-static are downloaded once (apt-get download) into
# $JITPROBE_VMTEST_CACHE (default /var/cache/jitprobe-vmtest for root, else
# ${XDG_CACHE_HOME:-~/.cache}/jitprobe-vmtest; mode 0700). The guest's console goes to
# BUILD_DIR/vmtest.log. Exit status: 0 only when the guest ran every test and all passed;
# 1 on a failed test, a VM that did not boot, a timeout ($JITPROBE_VM_TIMEOUT seconds, default
# 570) or a kernel that could not be downloaded. JITPROBE_VM_KERNEL=linux-image-6.1.0-N-amd64-unsigned
# picks the package (default: the newest 6.1.0-N that apt knows).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="$(cd "${1:-$ROOT/build}" && pwd)"
TIMEOUT="${JITPROBE_VM_TIMEOUT:-570}"
start=$(date +%s)

die() { echo "vmtest: $*" >&2; exit 1; }

JITPROBE="$BUILD_DIR/runtime/cli/jitprobe"
COMPILER="$BUILD_DIR/frontend/jitprobe-compiler"
case "$ROOT/:$BUILD_DIR/" in
  /tmp/* | *:/tmp/*) die "$ROOT or $BUILD_DIR is under /tmp, which the guest replaces with a tmpfs" ;;
esac
[ -x "$JITPROBE" ] || die "$JITPROBE not built (cmake --build $BUILD_DIR --target jitprobe-cli)"
[ -x "$COMPILER" ] || die "$COMPILER not built (cmake --build $BUILD_DIR --target jitprobe-compiler)"

# Portable objects for the guest, built here on this host's kernel (compile once, run
# everywhere): under BUILD_DIR, which the guest reads over 9p (its /tmp is its own).
OBJDIR="$BUILD_DIR/vm-objects"
# The members tests/vm/core_net.c reads, in its net[100 + i] order (guest_tests.sh compares).
NET_FIELDS="sock.__sk_common.skc_dport sock.sk_protocol sock.sk_type sk_buff.len sk_buff.protocol sk_buff.dev sk_buff.sk"
mkdir -p "$OBJDIR"
# build_jpo SRC NAME [-D ...]: $OBJDIR/NAME.jpo from $ROOT/SRC. Most guest tests run these:
# a compile under TCG takes 15-25 s, a .jpo loads in 1-2 s.
build_jpo() {
  local src="$1" name="$2"
  shift 2
  timeout 300 "$JITPROBE" build "$ROOT/$src" -o "$OBJDIR/$name.jpo" "$@" >"$OBJDIR/$name.log" 2>&1 ||
    { cat "$OBJDIR/$name.log" >&2; die "could not build $OBJDIR/$name.jpo on the host"; }
}
for name in core_task core_missing cpp_kprobe fmod_ret kprobe_args kretprobe_ret kfunc; do
  build_jpo "tests/vm/$name.c" "$name"
done
build_jpo tests/vm/lsm_file_open.c lsm_check -D TARGET_PID=0
build_jpo examples/opensnoop_kprobe.c opensnoop_kprobe
build_jpo tests/vm/lsm_inode_storage.c lsm_inode_storage
build_jpo tests/dialect/kfuncs.c dialect_kfuncs
[ -x "$BUILD_DIR/tests/jitprobe_vm_cpp_kprobe" ] ||
  die "$BUILD_DIR/tests/jitprobe_vm_cpp_kprobe not built (cmake --build $BUILD_DIR --target jitprobe_vm_cpp_kprobe)"
# Network CO-RE (struct sock, struct sk_buff), the task iterator, and BCC's tools in their kprobe
# forms (tests/bcc_corpus: tcpconnect, tcplife; tests/vm: biolatency), all host-built. The host's member
# offsets, read from its BTF, let the guest show that its layout differs from the build host's.
for name in core_net iter_task biolatency_kprobe; do
  build_jpo "tests/vm/$name.c" "$name"
done
for name in tcpconnect tcplife; do
  build_jpo "tests/bcc_corpus/$name.c" "${name}_kprobe"
done
python3 "$ROOT/tests/vm/btf_offsets.py" /sys/kernel/btf/vmlinux $NET_FIELDS >"$OBJDIR/host_offsets.txt" ||
  die "could not read member offsets from this host's /sys/kernel/btf/vmlinux"
[ -x "$BUILD_DIR/tests/jitprobe_vm_cpp_kfunc" ] ||
  die "$BUILD_DIR/tests/jitprobe_vm_cpp_kfunc not built (cmake --build $BUILD_DIR --target jitprobe_vm_cpp_kfunc)"
[ -x "$BUILD_DIR/tests/jitprobe_vm_cpp_iter" ] ||
  die "$BUILD_DIR/tests/jitprobe_vm_cpp_iter not built (cmake --build $BUILD_DIR --target jitprobe_vm_cpp_iter)"

if ! command -v qemu-system-x86_64 >/dev/null; then
  [ "$(id -u)" -eq 0 ] || die "qemu-system-x86_64 missing: apt-get install qemu-system-x86"
  echo "==> installing qemu-system-x86"
  timeout 300 apt-get install -y -qq --no-install-recommends qemu-system-x86 >/dev/null ||
    die "could not install qemu-system-x86"
fi

if [ -n "${JITPROBE_VMTEST_CACHE:-}" ]; then
  CACHE="$JITPROBE_VMTEST_CACHE"
elif [ "$(id -u)" -eq 0 ]; then
  CACHE=/var/cache/jitprobe-vmtest
else
  CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/jitprobe-vmtest"
fi
mkdir -p "$CACHE"
chmod 0700 "$CACHE"

TMP="$(mktemp -d /tmp/jitprobe-vmtest.XXXXXX)"
QEMU_PID=""
cleanup() {
  if [ -n "$QEMU_PID" ] && kill -0 "$QEMU_PID" 2>/dev/null; then
    kill "$QEMU_PID" 2>/dev/null || true
    wait "$QEMU_PID" 2>/dev/null || true
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the kernel and busybox -----------------------------------------------------------------
# download PACKAGE: the .deb into $CACHE/debs (apt-get download as the _apt user needs a
# directory it can write: download into a world-writable temp dir, then move).
download() {
  local pkg="$1" dl
  mkdir -p "$CACHE/debs"
  if compgen -G "$CACHE/debs/${pkg}_*.deb" >/dev/null; then
    return 0
  fi
  echo "==> downloading $pkg"
  dl="$TMP/dl"
  mkdir -p "$dl" && chmod 0777 "$dl"
  if ! (cd "$dl" && timeout 300 apt-get download "$pkg" >"$TMP/apt.log" 2>&1); then
    cat "$TMP/apt.log" >&2
    return 1
  fi
  mv "$dl"/"${pkg}"_*.deb "$CACHE/debs/"
}

KPKG="${JITPROBE_VM_KERNEL:-}"
if [ -z "$KPKG" ]; then
  KPKG="$(apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-amd64-unsigned$' 2>/dev/null |
    awk '{print $1}' | sort -V | tail -1 || true)"
fi
if [ -z "$KPKG" ]; then
  # apt knows no 6.1 kernel (no Debian 12 sources, or no apt-get update): use a cached one.
  KPKG="$(ls "$CACHE/debs" 2>/dev/null | sed -n 's/^\(linux-image-6\.1\.0-[0-9]*-amd64-unsigned\)_.*/\1/p' |
    sort -V | tail -1 || true)"
  [ -n "$KPKG" ] || die "no linux-image-6.1.0-N-amd64-unsigned package known to apt (apt-get update? Debian 12 sources?) and none cached in $CACHE"
fi
download "$KPKG" || die "could not download $KPKG (see apt-get's message above)"
download busybox-static || die "could not download busybox-static (see apt-get's message above)"

KDIR="$CACHE/$KPKG"
if [ ! -e "$KDIR/.extracted" ]; then
  rm -rf "$KDIR" && mkdir -p "$KDIR"
  dpkg-deb -x "$CACHE/debs/${KPKG}"_*.deb "$KDIR"
  touch "$KDIR/.extracted"
fi
BBDIR="$CACHE/busybox-static"
if [ ! -e "$BBDIR/.extracted" ]; then
  rm -rf "$BBDIR" && mkdir -p "$BBDIR"
  dpkg-deb -x "$CACHE"/debs/busybox-static_*.deb "$BBDIR"
  touch "$BBDIR/.extracted"
fi
VMLINUZ="$(ls "$KDIR"/boot/vmlinuz-* | head -1)"
MODDIR="$(ls -d "$KDIR"/lib/modules/*/kernel | head -1)"
BUSYBOX="$BBDIR/bin/busybox"
[ -f "$VMLINUZ" ] && [ -d "$MODDIR" ] && [ -x "$BUSYBOX" ] || die "broken cache in $CACHE (remove it)"

# --- the initramfs --------------------------------------------------------------------------
INITRD="$TMP/initrd"
mkdir -p "$INITRD"/{bin,dev,proc,sys,mnt,modules}
cp "$BUSYBOX" "$INITRD/bin/busybox"
ln -s busybox "$INITRD/bin/sh"

# The 9p modules, each after what its depends= line names (the order differs between 6.1.0-N
# builds). A module that is not found is built in.
ORDER=()
add_module() {
  local m="$1" f d deps
  for d in "${ORDER[@]}"; do [ "$d" = "$m" ] && return 0; done
  f="$(find "$MODDIR" \( -name "$m.ko" -o -name "$m.ko.xz" -o -name "${m//_/-}.ko" -o -name "${m//_/-}.ko.xz" \) | head -1)"
  [ -n "$f" ] || return 0
  case "$f" in
    *.xz) xz -dc "$f" >"$INITRD/modules/$m.ko" ;;
    *) cp "$f" "$INITRD/modules/$m.ko" ;;
  esac
  deps="$(strings "$INITRD/modules/$m.ko" | sed -n 's/^depends=//p' | head -1)"
  for d in ${deps//,/ }; do add_module "${d//-/_}"; done
  ORDER+=("$m")
}
for m in virtio virtio_ring virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci netfs fscache \
  9pnet 9pnet_virtio 9p virtio_blk; do
  add_module "$m"
done
printf '%s\n' "${ORDER[@]}" >"$INITRD/modules/order"

cat >"$INITRD/init" <<'EOF'
#!/bin/sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $(cat /modules/order); do insmod /modules/$m.ko || echo "vmtest-init: insmod $m failed"; done
if ! mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000 host /mnt; then
  echo "vmtest-init: cannot mount the host root over 9p"; poweroff -f
fi
# The host root is read-only: a tmpfs on its /tmp holds the jitprobe cache and the out share.
mount -t tmpfs -o mode=1777 tmp /mnt/tmp
mkdir -p /mnt/tmp/out
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 out /mnt/tmp/out ||
  echo "vmtest-init: cannot mount the out share"
mount -t proc proc /mnt/proc
mount -t sysfs sys /mnt/sys
mount -t devtmpfs dev /mnt/dev
mount -t bpf bpf /mnt/sys/fs/bpf
mount -t tracefs tracefs /mnt/sys/kernel/tracing
mount -t debugfs debugfs /mnt/sys/kernel/debug 2>/dev/null
echo "vmtest-init: booted $(uname -r)"
echo booted >/mnt/tmp/out/booted
chroot /mnt /bin/sh /tmp/out/run.sh
echo "vmtest-init: done"
sync
poweroff -f
EOF
chmod +x "$INITRD/init"
(cd "$INITRD" && find . | "$BUSYBOX" cpio -o -H newc 2>/dev/null | gzip -1 >"$TMP/initrd.gz")

# --- the guest's command and the out share --------------------------------------------------
OUT="$TMP/out"
mkdir -p "$OUT"
chmod 0777 "$OUT"
cat >"$OUT/run.sh" <<EOF
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/tmp LANG=C.UTF-8
export JITPROBE_CACHE_DIR=/tmp/jitprobe-cache
export JITPROBE_COMPILER="$COMPILER"
export JITPROBE_VM_EXTRA_CHECKS="${JITPROBE_VM_EXTRA_CHECKS:-}"
cd /tmp
timeout $(( TIMEOUT > 60 ? TIMEOUT - 30 : TIMEOUT )) bash "$ROOT/tests/vm/guest_tests.sh" "$BUILD_DIR" >/tmp/out/results.txt 2>&1
echo \$? >/tmp/out/status
EOF

# --- boot -----------------------------------------------------------------------------------
# A scratch disk (the guest's /dev/vda) for the block I/O tests: sparse, 16 MiB.
truncate -s 16M "$TMP/disk.img"
LOG="$BUILD_DIR/vmtest.log"
rm -f "$BUILD_DIR/vmtest-results.txt"
echo "==> booting $(basename "$VMLINUZ") under qemu (TCG, timeout ${TIMEOUT}s); console: $LOG"
set +e
timeout --kill-after=10 "$TIMEOUT" qemu-system-x86_64 \
  -accel tcg -cpu max -smp 1 -m 2G -nographic -no-reboot -nic none \
  -kernel "$VMLINUZ" -initrd "$TMP/initrd.gz" \
  -append "console=ttyS0 panic=-1 quiet loglevel=4 lsm=lockdown,capability,landlock,yama,apparmor,bpf" \
  -virtfs local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap \
  -virtfs local,path="$OUT",mount_tag=out,security_model=none,multidevs=remap \
  -drive file="$TMP/disk.img",if=virtio,format=raw,cache=unsafe \
  </dev/null >"$LOG" 2>&1 &
QEMU_PID=$!
wait "$QEMU_PID"
qemu_rc=$?
QEMU_PID=""
set -e

if [ -f "$OUT/results.txt" ]; then
  cp "$OUT/results.txt" "$BUILD_DIR/vmtest-results.txt"
  cat "$OUT/results.txt"
fi
elapsed=$(( $(date +%s) - start ))
if [ "$qemu_rc" -eq 124 ] || [ "$qemu_rc" -eq 137 ]; then
  die "timed out after ${TIMEOUT}s (qemu killed; guest console in $LOG)"
fi
if [ ! -f "$OUT/booted" ]; then
  tail -20 "$LOG" >&2
  die "the VM did not boot to its init or could not mount the host root (qemu exit $qemu_rc; console in $LOG)"
fi
if [ ! -f "$OUT/status" ]; then
  tail -20 "$LOG" >&2
  die "the guest tests did not finish (qemu exit $qemu_rc; console in $LOG)"
fi
status="$(cat "$OUT/status")"
if [ "$status" != 0 ]; then
  die "guest tests failed (exit $status) in ${elapsed}s; results in $BUILD_DIR/vmtest-results.txt, console in $LOG"
fi
echo "==> vmtest: all guest tests passed in ${elapsed}s ($KPKG)"
