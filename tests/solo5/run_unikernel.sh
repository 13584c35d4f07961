#!/bin/bash
# Run a test unikernel of a Solo5 cross build on its target, its output
# (TAP) passed through: meson test in that build (tests/solo5/meson.build).
#
#   run_unikernel.sh TARGET IMAGE [ARGS...]
#   run_unikernel.sh TARGET '' REASON      (the image is not built: skip)
#
# spt: solo5-spt from PATH (Solo5's tenders/spt).  hvt: solo5-hvt from
# PATH and a /dev/kvm this user can open.  virtio: qemu-system-x86_64
# with TCG (-cpu Westmere: SSE4.2, AES-NI, PCLMULQDQ; nested KVM often
# cannot run QEMU guests) and the isa-debug-exit device, which Solo5's
# virtio exit pokes, so QEMU ends with the unikernel; its status is not
# passed on (QEMU exits 83 for any), so there the TAP output alone
# decides.  Without its tender the test is skipped ("1..0 # SKIP ...",
# which meson counts).  The unikernel gets 32 MB and 250 s (hvt under
# nested KVM takes a minute for bearssl-kat).  The exit
# status is the unikernel's (spt, hvt).
set -u
[ $# -ge 2 ] || { echo "usage: $0 TARGET IMAGE [ARGS...]" >&2; exit 2; }
target=$1
image=$2
shift 2

skip() {
  echo "1..0 # SKIP $*"
  exit 0
}

[ -n "$image" ] || skip "${1:-no image}"
case $target in
spt | hvt)
  command -v "solo5-$target" >/dev/null ||
    skip "solo5-$target not on PATH (Solo5's tenders/$target)"
  if [ "$target" = hvt ] && ! { [ -r /dev/kvm ] && [ -w /dev/kvm ]; }; then
    skip "solo5-hvt needs /dev/kvm"
  fi
  exec timeout 250 "solo5-$target" --mem=32 "$image" "$@"
  ;;
virtio)
  command -v qemu-system-x86_64 >/dev/null ||
    skip "qemu-system-x86_64 not installed (Debian package qemu-system-x86)"
  timeout 250 qemu-system-x86_64 -cpu Westmere -m 32 -nodefaults -no-reboot \
    -display none -serial stdio -device isa-debug-exit,iobase=0x501 \
    -kernel "$image" -append "$*" </dev/null
  rc=$?
  [ $rc -eq 83 ] && rc=0
  exit $rc
  ;;
*)
  echo "run_unikernel.sh: unknown target $target" >&2
  exit 2
  ;;
esac
