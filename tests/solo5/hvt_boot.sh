#!/bin/bash
# znet's images on solo5-hvt (KVM), where /dev/kvm is usable:
#
#   hvt_boot.sh SOURCE_ROOT BUILD_ROOT SHARED_DIR
#
#  1. Solo5 and the namespace as spt_boot.sh has them (spt-lib.sh);
#     skipped without a readable and writable /dev/kvm.
#  2. tests/solo5/hvt-probe.sh on that Solo5: whether this host's KVM
#     emulates CPL 0 (PVM does), which instructions stop a guest there,
#     and that they run at CPL 3; its verdict as diagnostics.
#  3. znet-echo.hvt (musl and the runtime use SSE): boots, says it runs
#     at CPL 3 exactly where the probe found CPL 0 emulated
#     (rt/plat_hvt.c), ping, UDP echo, TCP echo of 256 KiB checked by
#     SHA-256, still running at the end, no fatal error.
#  4. kvd.hvt: tests/e2e/kvd.sh hvt, its cases counted here.
#
# Needs what spt_boot.sh needs and /dev/kvm.  Output is TAP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../e2e/lib.sh"
. "$here/spt-lib.sh"

[ $# -eq 3 ] || { echo "usage: $0 SOURCE_ROOT BUILD_ROOT SHARED_DIR" >&2; exit 2; }
if ! [ -c /dev/kvm ] || ! [ -r /dev/kvm ] || ! [ -w /dev/kvm ]; then
  skip_all "solo5-hvt needs a readable and writable /dev/kvm"
fi
need_cmd ping nc sha256sum objdump
spt_setup "$1" "$2" "$3"
T=$E2E_TMP
tree=$(cd "$(dirname "$(command -v solo5-spt)")/../.." && pwd)
export PATH=$tree/tenders/hvt:$PATH

# ---- 2. the probe ----------------------------------------------------------

ZN_SOLO5_TREE=$tree timeout 300 bash "$here/hvt-probe.sh" "$3" "$T/probe" \
  >"$T/probe.out" 2>&1
status=$?
emulated=false
grep -q '^verdict: CPL 0 is EMULATED' "$T/probe.out" && emulated=true
if [ $status -eq 0 ]; then
  ok "hvt-probe.sh: $(grep -m1 '^verdict: a 3-instruction' "$T/probe.out" | sed 's/^verdict: //')"
  grep '^verdict:' "$T/probe.out" | diag
else
  not_ok "hvt-probe.sh ran (status $status)"
  tail -20 "$T/probe.out" | diag
fi

# ---- 3. znet-echo ----------------------------------------------------------

hvt_image() {
  local name=$1 obj=$SPT_BUILD/examples/solo5/$1.o
  if "$SPT_BUILD/rt/znet-image" --target hvt -o "$T/$name.hvt" \
    --name "$name" "$obj" >"$T/$name.img.log" 2>&1; then
    ok "$name.hvt made by znet-image ($(stat -c %s "$T/$name.hvt") bytes)"
  else
    not_ok "$name.hvt made by znet-image from $obj"
    diag <"$T/$name.img.log"
    return 1
  fi
}
for name in znet-echo kvd; do
  hvt_image "$name" || { finish; exit 1; }
done
tar cf "$T/empty.tar" -T /dev/null

ip netns exec "$E2E_NS" timeout --foreground 120 \
  solo5-hvt --mem=64 --net:service="$E2E_TAP" --net-mac:service="$E2E_MAC" \
  --block:rootfs="$T/empty.tar" "$T/znet-echo.hvt" \
  --ipv4="$E2E_ZNET_IP/$E2E_PREFIX" >"$T/echo.out" 2>&1 &
# shellcheck disable=SC2034 # spt-lib.sh's spt_wait_banner and spt_stop
E2E_ECHO_PID=$!
if spt_wait_banner znet-echo "$T/echo.out"; then
  ok "znet-echo.hvt boots: $(grep -m1 "^znet-echo: $E2E_ZNET_IP/" "$T/echo.out")"
  cpl3=$(grep -m1 '^znet: hvt: ' "$T/echo.out")
  if $emulated; then
    check "CPL 0 emulated: the program runs at CPL 3 (${cpl3:-no line})" \
      [ -n "$cpl3" ]
  else
    check "CPL 0 native: the program stays at CPL 0" [ -z "$cpl3" ]
  fi
  ping_case 56
  got=$(udp_line "$E2E_ZNET_IP" 7 "hello from linux") # (lib.sh: no fixed 1 s for the reply)
  check "UDP echo: the datagram came back" [ "$got" = "hello from linux" ]
  head -c 262144 /dev/urandom >"$T/blob"
  in_ns_t 60 nc -N -w 10 "$E2E_ZNET_IP" 7 <"$T/blob" >"$T/blob.back" 2>/dev/null
  want=$(sha256sum <"$T/blob" | cut -d' ' -f1)
  back=$(sha256sum <"$T/blob.back" | cut -d' ' -f1)
  check "TCP echo of 256 KiB, SHA-256 equal ($(stat -c %s "$T/blob.back") bytes back)" \
    [ "$want" = "$back" ]
  check "znet-echo.hvt still running at the end" spt_stop
  spt_fatal_case znet-echo.hvt "$T/echo.out"
else
  not_ok "znet-echo.hvt boots and prints its banner"
  tail -20 "$T/echo.out" | diag
  spt_stop
fi

# ---- 4. kvd ------------------------------------------------------------------

bash "$SPT_ROOT/tests/e2e/kvd.sh" hvt "$T/kvd.hvt" >"$T/kvd.tap" 2>&1
kvd_cases=0
while IFS= read -r line; do
  case $line in
  "ok "*) kvd_cases=$((kvd_cases + 1)); ok "kvd.hvt: ${line#ok * - }" ;;
  "not ok "*) kvd_cases=$((kvd_cases + 1)); not_ok "kvd.hvt: ${line#not ok * - }" ;;
  "#"*) echo "$line" ;;
  esac
done <"$T/kvd.tap"
check "kvd.hvt: tests/e2e/kvd.sh hvt ran its cases ($kvd_cases)" [ "$kvd_cases" -ge 5 ]
[ "$kvd_cases" -ge 5 ] || tail -20 "$T/kvd.tap" | diag

finish
