#!/bin/bash
# IPv6 end to end against Linux: znet-echo dual-stack on a TAP device in a
# private network namespace whose kernel side has 2001:db8:1::1/64.
#
#   ipv6.sh /path/to/znet-echo
#
# Checks: znet-echo prints its link-local and its static address, and the
# static one becomes preferred (DAD done); ping -6 of 56 and 4000 bytes
# (fragmented both ways) to the global address and ping to the link-local
# one all answered; a line and 1 MiB come back from the TCP echo over
# IPv6 (nc), 16 MiB with an equal SHA-256; a datagram comes back from the
# UDP echo; znet-echo exits 0 on SIGINT, its counters show the
# reassemblies and fragments, nothing leaked.  That run has the TAP
# offloads on (the default): its counters show TSO frames sent and
# coalesced TCP/IPv6 frames taken whole from the kernel.  The 16 MiB echo
# again with --no-offload (no virtio header, nothing left to the kernel)
# and with --bigbufs 0 (every coalesced frame cut into segments by the
# TAP backend).  Then SLAAC: radvd in the
# namespace advertises 2001:db8:2::/64, znet-echo --slaac (no IPv4 at all)
# forms an address in it, and Linux pings that address.
# Needs root, /dev/net/tun, ping, nc, sha256sum; radvd for the SLAAC part
# (skipped without it).  Output is TAP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

ECHO=${1:-}
[ -n "$ECHO" ] && [ -x "$ECHO" ] || { echo "usage: $0 /path/to/znet-echo" >&2; exit 2; }
ECHO=$(cd "$(dirname "$ECHO")" && pwd)/$(basename "$ECHO")

need_netns
need_cmd ping nc sha256sum timeout cmp
trap e2e_cleanup EXIT
e2e_tmpdir
T=$E2E_TMP
out=$T/echo.out
err=$T/echo.err
K6=2001:db8:1::1
Z6=2001:db8:1::2
SLAAC_PREFIX=2001:db8:2:

if ! setup_netns; then
  not_ok "create network namespace with $E2E_TAP"
  finish
  exit 1
fi
# lib.sh turns IPv6 off in the namespace; on for the TAP only, without
# DAD on Linux's side (its addresses are usable at once: no wait for a
# tentative link-local before it can ping znet's).
if ipv6_on "$E2E_NS" "$E2E_TAP" "$K6/64"; then
  ok "network namespace $E2E_NS with $E2E_TAP $K6/64"
else
  not_ok "IPv6 on $E2E_TAP with $K6/64"
  finish
  exit 1
fi

head -c $((1 << 20)) /dev/urandom >"$T/r1"
head -c $((16 << 20)) /dev/urandom >"$T/r16"
r16sum=$(sha256sum <"$T/r16" | cut -d' ' -f1)

if ! start_echo "$ECHO" "$out" "$err" --mac "$E2E_MAC" --ipv6 "$Z6/64"; then
  not_ok "znet-echo starts on tap:$E2E_TAP"
  diag <"$err"
  finish
  exit 1
fi
ok "znet-echo starts on tap:$E2E_TAP ($(head -n1 "$out"))"

check "znet-echo prints its static address" \
  grep -q "^znet-echo: ipv6 $Z6/64 [a-z]* static$" "$out"
check "znet-echo prints a link-local address" \
  grep -Eq "^znet-echo: ipv6 fe80:[0-9a-f:]*/64 [a-z]+ link-local$" "$out"
wait_line "$out" "^znet-echo: ipv6 $Z6/64 preferred static$" 30
check "$Z6 becomes preferred (DAD done)" [ $? -eq 0 ]
wait_line "$out" "^znet-echo: ipv6 fe80:[0-9a-f:]*/64 preferred link-local$" 30
check "the link-local address becomes preferred" [ $? -eq 0 ]
ll=$(sed -nE 's|^znet-echo: ipv6 (fe80:[0-9a-f:]*)/64 .*|\1|p' "$out" | head -n1)

ping6_case "global $Z6" "$Z6" 56
ping6_case "global $Z6" "$Z6" 4000
if [ -n "$ll" ]; then
  ping6_case "link-local $ll" "$ll%$E2E_TAP" 56
else
  not_ok "link-local: no fe80:: address in znet-echo's output"
fi

got=$(printf 'hello over tcp6\n' | in_ns_t 10 nc -N "$Z6" 7 2>&1)
check "TCP over IPv6: a line comes back (got '$got')" [ "$got" = "hello over tcp6" ]
in_ns_t 30 nc -N "$Z6" 7 <"$T/r1" >"$T/r1.back" 2>"$T/nc.err"
check "TCP over IPv6: 1 MiB comes back byte for byte" cmp -s "$T/r1" "$T/r1.back"
t0=$(now_s)
back=$(in_ns_t 60 nc -N "$Z6" 7 <"$T/r16" 2>"$T/nc.err" | sha256sum | cut -d' ' -f1)
dt=$(elapsed "$t0")
check "TCP over IPv6: 16 MiB come back, SHA-256 equal (${dt} s)" [ "$back" = "$r16sum" ]
if [ -n "$ll" ]; then
  got=$(printf 'hello link-local\n' | in_ns_t 10 nc -N "$ll%$E2E_TAP" 7 2>&1)
  check "TCP to the link-local address (got '$got')" [ "$got" = "hello link-local" ]
fi

got=$(udp_line "$Z6" 7 "hello over udp6" -6)
check "UDP over IPv6: the datagram comes back (got '$got')" [ "$got" = "hello over udp6" ]

sleep 1
stop_echo
rc=$?
check "znet-echo exits 0 on SIGINT (got $rc)" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || diag <"$err"
replies=$(counter "$err" icmp6_echo_reply_tx)
reass=$(counter "$err" ip6_reass_ok)
fragtx=$(counter "$err" ip6_frag_tx)
check "icmp6_echo_reply_tx >= 15 (got $replies)" [ "$replies" -ge 15 ]
check "ip6_reass_ok > 0: 4000-byte pings reassembled (got $reass)" [ "$reass" -gt 0 ]
check "ip6_frag_tx > 0: 4000-byte replies fragmented (got $fragtx)" [ "$fragtx" -gt 0 ]
stat_of() { sed -n "s/^ *$1  *\([0-9]*\)\$/\1/p" "$2" | head -1; }
tso=$(stat_of tap.tx_tso "$err")
gso=$(stat_of tap.rx_gso "$err")
check "offloads: TSO frames sent over IPv6 (tap.tx_tso ${tso:-0})" [ "${tso:-0}" -gt 0 ]
check "offloads: coalesced TCP/IPv6 frames taken (tap.rx_gso ${gso:-0}), none bad" \
  [ "${gso:-0}" -gt 0 -a -z "$(stat_of tap.rx_gso_bad "$err")" ]
no_leak_case "znet-echo (static IPv6)" "$err"
echo "# znet-echo counters:"
diag <"$err"

# echo16_case MODE ARGS...: znet-echo with ARGS, 16 MiB over TCP/IPv6
# and back, SHA-256 equal; exits 0, nothing leaked.
echo16_case() {
  local mode=$1 o=$T/echo-$1.out e=$T/echo-$1.err
  shift
  if ! start_echo "$ECHO" "$o" "$e" --mac "$E2E_MAC" --ipv6 "$Z6/64" "$@" ||
    ! wait_line "$o" "^znet-echo: ipv6 $Z6/64 preferred static$" 30; then
    not_ok "$mode: znet-echo starts, $Z6 preferred"
    diag <"$e"
    stop_echo
    return 1
  fi
  local t0 back dt rc
  t0=$(now_s)
  back=$(in_ns_t 60 nc -N "$Z6" 7 <"$T/r16" 2>"$T/nc.err" | sha256sum | cut -d' ' -f1)
  dt=$(elapsed "$t0")
  check "$mode: TCP over IPv6, 16 MiB come back, SHA-256 equal (${dt} s)" \
    [ "$back" = "$r16sum" ]
  stop_echo
  rc=$?
  check "$mode: znet-echo exits 0 on SIGINT (got $rc)" [ "$rc" -eq 0 ]
  E2E_MODE_ERR=$e
  no_leak_case "znet-echo $mode" "$e"
  return 0
}
if echo16_case no-offload --no-offload; then
  check "no-offload: no TSO frame, no checksum left to the kernel" \
    [ -z "$(stat_of tap.tx_tso "$E2E_MODE_ERR")" -a \
      -z "$(stat_of tap.tx_csum "$E2E_MODE_ERR")" ]
fi
if echo16_case bigbufs0 --bigbufs 0; then
  split=$(stat_of tap.rx_gso_split "$E2E_MODE_ERR")
  check "offloads, no large buffer: coalesced TCP/IPv6 frames cut (tap.rx_gso_split ${split:-0}), none bad" \
    [ "${split:-0}" -gt 0 -a -z "$(stat_of tap.rx_gso_bad "$E2E_MODE_ERR")" ]
fi

# ---- SLAAC from radvd -------------------------------------------------------

if ! command -v radvd >/dev/null; then
  skip_case "SLAAC from radvd" "needs radvd"
  finish
  exit $?
fi

cat >"$T/radvd.conf" <<EOF
interface $E2E_TAP {
  AdvSendAdvert on;
  MinRtrAdvInterval 3;
  MaxRtrAdvInterval 4;
  prefix ${SLAAC_PREFIX}:/64 {
    AdvOnLink on;
    AdvAutonomous on;
  };
};
EOF
# Linux, the router, is on the advertised prefix too (its route to znet's
# address there).
in_ns sysctl -qw net.ipv6.conf.all.forwarding=1
in_ns ip -6 addr add "${SLAAC_PREFIX}:1/64" dev "$E2E_TAP" nodad
sout=$T/slaac.out
serr=$T/slaac.err
# No --ipv4: the address comes from the router advertisement only.
ip netns exec "$E2E_NS" timeout --foreground 120 "$ECHO" --netif "tap:$E2E_TAP" \
  --mac "$E2E_MAC" --slaac >"$sout" 2>"$serr" &
E2E_ECHO_PID=$!
ip netns exec "$E2E_NS" timeout 100 radvd -n -C "$T/radvd.conf" \
  -p "$T/radvd.pid" -m stderr >"$T/radvd.log" 2>&1 &
bg_pid $!

if wait_line "$sout" "^znet-echo: ipv6 ${SLAAC_PREFIX}[0-9a-f:]*/64 preferred slaac$" 20; then
  ok "znet-echo --slaac: an address in ${SLAAC_PREFIX}:/64, preferred"
else
  not_ok "znet-echo --slaac: an address in ${SLAAC_PREFIX}:/64, preferred"
  diag <"$sout"
  diag <"$serr"
  diag <"$T/radvd.log"
fi
sa=$(sed -nE "s|^znet-echo: ipv6 (${SLAAC_PREFIX}[0-9a-f:]*)/64 preferred slaac$|\1|p" "$sout" | head -n1)
if [ -n "$sa" ]; then
  ping6_case "SLAAC address $sa" "$sa" 56
else
  not_ok "SLAAC address: none to ping"
fi
stop_echo
rc=$?
check "znet-echo --slaac exits 0 on SIGINT (got $rc)" [ "$rc" -eq 0 ]
no_leak_case "znet-echo --slaac" "$serr"

finish
