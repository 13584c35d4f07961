#!/bin/bash
# Why an hvt guest stops at its first SSE instruction, or not: the host's
# /dev/kvm, and a bare Solo5 program (hvt_probe.c, no znet) run under
# solo5-hvt one instruction kind per boot, at CPL 0 as the tender starts
# it and again at CPL 3.  Prints what it finds and a verdict.
#
#   tests/solo5/hvt-probe.sh [--trace] [SHARED_DIR [WORK_DIR]]
#
# SHARED_DIR: the shared material, its solo5/solo5-*.tar.gz (default
# $ZN_SHARED_DIR, else ../shared beside the checkout).  WORK_DIR: where
# Solo5 is built (tests/solo5/solo5-build.sh: reused while the archive
# is the same; ZN_SOLO5_TREE names a built tree to use instead) and the
# probe made (default ${TMPDIR:-/tmp}/znet-hvt-probe).
# --trace (root, tracefs): KVM's kvm_emulate_insn and kvm_inj_exception
# events around the steps that stop, so that KVM itself names the
# instruction it could not emulate; the tracing state is put back after.
#
# Each boot is bounded (30 s); the whole takes under a minute once Solo5
# is built (about 40 s on two cores).  Exit status: 0 with a verdict, 1
# if Solo5 or the probe cannot be built, 77 (skipped, one line) without
# x86_64, a usable /dev/kvm, the archive, gcc, make or objdump.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
trace=false
if [ "${1:-}" = --trace ]; then
  trace=true
  shift
fi
shared=${1:-${ZN_SHARED_DIR:-$root/../shared}}
work=${2:-${TMPDIR:-/tmp}/znet-hvt-probe}

skip() {
  echo "skip: $*"
  exit 77
}
[ "$(uname -m)" = x86_64 ] || skip "x86_64 only"
[ -c /dev/kvm ] || skip "no /dev/kvm"
if ! [ -r /dev/kvm ] || ! [ -w /dev/kvm ]; then
  skip "/dev/kvm not readable and writable here"
fi
for c in gcc make tar timeout objdump; do
  command -v "$c" >/dev/null || skip "needs $c"
done
archive=$(find "$shared/solo5" -maxdepth 1 -name 'solo5-*.tar.gz' \
  2>/dev/null | sort | tail -1)
[ -n "$archive" ] || skip "no Solo5 archive in $shared/solo5"

# ---- the host --------------------------------------------------------------

flags=$(grep -m1 '^flags' /proc/cpuinfo)
has() { case " ${flags#*:} " in *" $1 "*) echo yes ;; *) echo no ;; esac; }
model=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')
echo "host: kernel $(uname -r); cpu: $model"
echo "host: cpu flags: vmx $(has vmx), svm $(has svm)," \
  "hypervisor $(has hypervisor) (yes: this host is a guest itself)"
kvm_kind=""
for m in kvm_intel kvm_amd kvm_pvm; do
  [ -d "/sys/module/$m" ] || continue
  kvm_kind="$kvm_kind $m"
  params=""
  for p in ept npt nested enable_shadow_vmcs unrestricted_guest pvm_native; do
    [ -r "/sys/module/$m/parameters/$p" ] &&
      params="$params $p=$(cat "/sys/module/$m/parameters/$p")"
  done
  echo "host: module $m loaded${params:+:$params}"
done
[ -n "$kvm_kind" ] ||
  echo "host: none of kvm_intel, kvm_amd, kvm_pvm loaded (built in?)"
[ -r /sys/module/kvm/parameters/tdp_mmu ] &&
  echo "host: kvm tdp_mmu=$(cat /sys/module/kvm/parameters/tdp_mmu)"

# ---- Solo5 and the probe ---------------------------------------------------

mkdir -p "$work"
# shellcheck source=tests/solo5/solo5-build.sh
. "$here/solo5-build.sh"
if [ -n "${ZN_SOLO5_TREE:-}" ] &&
  [ -x "$ZN_SOLO5_TREE/tenders/hvt/solo5-hvt" ]; then
  tree=$ZN_SOLO5_TREE
elif ! tree=$(solo5_build "$archive" "$work/solo5" "$work/solo5-build.log")
then
  echo "error: Solo5 did not build (log: $work/solo5-build.log)" >&2
  tail -5 "$work/solo5-build.log" >&2
  exit 1
fi
hvt=$tree/tenders/hvt/solo5-hvt
cc=$tree/toolchain/bin/x86_64-solo5-none-static-cc
p=$work/probe
img=$p/hvt_probe.hvt
mkdir -p "$p"
printf '{"type":"solo5.manifest","version":1,"devices":[]}\n' \
  >"$p/manifest.json"
if ! {
  "$tree/elftool/solo5-elftool" gen-manifest "$p/manifest.json" \
    "$p/manifest.c" &&
    "$cc" -c "$p/manifest.c" -o "$p/manifest.o" &&
    "$cc" -std=c11 -O2 -Wall -Wextra -mgeneral-regs-only -mno-red-zone \
      -c "$here/hvt_probe.c" -o "$p/hvt_probe.o" &&
    "$cc" -z solo5-abi=hvt "$p/hvt_probe.o" "$p/manifest.o" -o "$img"
} >"$p/build.log" 2>&1; then
  echo "error: the probe did not build:" >&2
  cat "$p/build.log" >&2
  exit 1
fi
echo "solo5: $(basename "$tree"); probe: $img"

# ---- tracing (--trace) -----------------------------------------------------

T=/sys/kernel/tracing
E1=$T/events/kvm/kvm_emulate_insn/enable
E2=$T/events/kvm/kvm_inj_exception/enable
trace_ok=false
mounted=false
trace_restore() {
  $trace_ok || return 0
  echo 0 >"$T/tracing_on"
  echo "$saved_e1" >"$E1"
  echo "$saved_e2" >"$E2"
  echo "$saved_on" >"$T/tracing_on"
  if $mounted; then umount "$T"; fi
}
if $trace; then
  if ! [ -e "$E1" ] && mount -t tracefs nodev "$T" 2>/dev/null; then
    mounted=true
  fi
  if [ -w "$E1" ] && [ -w "$E2" ]; then
    trace_ok=true
    saved_on=$(cat "$T/tracing_on")
    saved_e1=$(cat "$E1")
    saved_e2=$(cat "$E2")
    trap trace_restore EXIT
  else
    echo "trace: no tracefs with KVM's events here; going on without"
  fi
fi
trace_start() {
  $trace_ok || return 0
  echo 0 >"$T/tracing_on"
  echo >"$T/trace"
  echo 1 >"$E1"
  echo 1 >"$E2"
  echo 1 >"$T/tracing_on"
}
# The tender's last failed emulation, and an exception KVM injected.
trace_show() {
  $trace_ok || return 0
  echo 0 >"$T/tracing_on"
  grep -E 'kvm_emulate_insn:.*failed|kvm_inj_exception' "$T/trace" |
    grep solo5-hvt | tail -2 | sed 's/^.*\(kvm_[a-z_]*: \)/    trace: \1/'
}

# ---- the steps -------------------------------------------------------------

# step NAME [PREFIX...]: one boot running the PREFIX steps, then NAME;
# "ok" and what the probe said, or "STOPPED" and the tender's error.
declare -A result
step() {
  local name=$1 label
  shift
  label="$*${*:+ }$name"
  trace_start
  timeout 30 "$hvt" "$img" "$@" "$name" >"$p/out" 2>&1
  echo $? >"$p/status"
  if grep -q "^probe: $name ok" "$p/out"; then
    result[$label]=ok
    printf '  %-22s ok%s\n' "$label" \
      "$(sed -n "s/^probe: $name ok\( .*\)/\1/p" "$p/out" | head -1)"
  else
    result[$label]=stopped
    printf '  %-22s STOPPED: %s\n' "$label" \
      "$(grep -v '^probe:' "$p/out" |
        grep -m1 -iE 'error|trap|abort|fail' ||
        echo "status $(cat "$p/status")")"
    trace_show
  fi
}

echo "the probe's instructions (objdump -d), to read a RIP against:"
objdump -d "$img" |
  grep -E '^ +[0-9a-f]+:.*(xmm|fld|fxsave|stmxcsr|xgetbv)' |
  grep -v 'call ' | sed 's/^ */    /'

kinds0="sse-reg sse-ld-stack sse-ld-data sse-ld-fresh sse-st pxor mulps
  mulps-mem cvtsi2sd x87 fxsave stmxcsr"
kinds3="sse-reg sse-ld-stack sse-st pxor mulps mulps-mem cvtsi2sd x87
  stmxcsr"
echo "at CPL 0 (as solo5-hvt starts a guest):"
for s in regs cpuid loop yield clock $kinds0 xgetbv; do
  step "$s"
done
echo "at CPL 3 (the probe's page tables, user segments, #GP handler):"
step ring3
if [ "${result[ring3]}" = ok ]; then
  for s in loop yield clock $kinds3 xgetbv cpuid; do
    step "$s" ring3
  done
fi

# ---- the verdict -----------------------------------------------------------

cycles() { # TSC cycles of one iteration of the loop step
  timeout 30 "$hvt" "$img" "$@" loop 2>/dev/null |
    sed -n 's/^probe: loop ok .* \([0-9][0-9]*\) TSC cycles each$/\1/p'
}
c0=$(cycles)
c3=$(cycles ring3)
stop0=""
for s in $kinds0; do
  [ "${result[$s]}" = stopped ] && stop0="$stop0 $s"
done
stop3=""
for s in $kinds3; do
  [ "${result[ring3 $s]:-stopped}" = stopped ] && stop3="$stop3 $s"
done
v() { echo "verdict: $*"; }
v "a 3-instruction loop iteration takes ${c0:-?} TSC cycles at CPL 0," \
  "${c3:-?} at CPL 3"
if [ -n "$c0" ] && [ "$c0" -gt 150 ]; then
  v "CPL 0 is EMULATED here: KVM steps through the guest's kernel mode"
  v "  with its instruction emulator, one instruction at a time."
  case $kvm_kind in
  *kvm_pvm*)
    v "  /dev/kvm is kvm_pvm (PVM: virtualization without VMX or SVM),"
    v "  which runs the user mode of a guest not written for PVM"
    v "  natively, and its kernel mode so."
    ;;
  esac
else
  v "CPL 0 runs natively here."
fi
if [ -n "$stop0" ]; then
  v "at CPL 0 these stop the guest (KVM_INTERNAL_ERROR_EMULATION,"
  v "  suberror 1: the emulator lacks the instruction):$stop0"
else
  v "every SSE and x87 step ran at CPL 0."
fi
if [ "${result[ring3]}" = ok ] && [ -z "$stop3" ]; then
  v "at CPL 3 every step ran, SSE and x87 included: an image that"
  v "  drops to CPL 3 (znet's hvt images do: rt/plat_hvt.c) runs here."
elif [ "${result[ring3]}" = ok ]; then
  v "at CPL 3 these stop too:$stop3"
else
  v "the drop to CPL 3 itself failed."
fi
exit 0
