#!/bin/bash
# Duplicate address detection and ping from znet, against Linux on a TAP
# in a private network namespace (Linux's side: 2001:db8:1::1/64).
#
#   ipv6_nd.sh /path/to/znet-echo
#
# DAD conflict (RFC 4862 5.4): Linux holds 2001:db8:1::2 (added with
# DAD, on a bridge that holds the TAP: see below) before
# znet-echo starts with --ipv6 2001:db8:1::2/64 --ipv6 2001:db8:1::3/64:
# ::2 ends duplicate (znet-echo prints it so, dad_dup_na counts Linux's
# answer), echo requests to ::2 sent to znet's MAC are not answered,
# ::3 becomes preferred and answers ping and TCP.  Then the reverse:
# Linux adds ::3 with DAD; znet defends it (answers the probe), Linux's
# copy goes dadfailed and ::3 still answers.  Ping from znet (--ping):
# to Linux's global address and to its link-local one, Linux's
# link-layer address found by ND (nd_ns_tx, nd_na_rx), 3 replies each;
# and an IPv4 ping from the same option for comparison.
# Needs root, /dev/net/tun, ping, nc, python3.  Output is TAP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

ECHO=${1:-}
[ -n "$ECHO" ] && [ -x "$ECHO" ] || { echo "usage: $0 /path/to/znet-echo" >&2; exit 2; }
ECHO=$(cd "$(dirname "$ECHO")" && pwd)/$(basename "$ECHO")

need_netns
need_cmd ping nc timeout python3
trap e2e_cleanup EXIT
e2e_tmpdir
T=$E2E_TMP
K6=2001:db8:1::1
DUP=2001:db8:1::2
Z6=2001:db8:1::3

if ! setup_netns; then
  not_ok "create network namespace with $E2E_TAP"
  finish
  exit 1
fi
# Linux's addresses live on a bridge (with the TAP and one end of a
# veth pair as ports) rather than on the TAP itself: a TAP without a
# reader has no carrier, and Linux restarts DAD on every address when
# the carrier comes back, so its DAD would race znet's on each start.
# The veth keeps the bridge up; Linux does DAD on it (accept_dad=1)
# except for its own ::1 (usable at once).
BR=znbr0
if in_ns ip link add "$BR" type bridge stp_state 0 forward_delay 0 mcast_snooping 0 &&
  in_ns ip link add znv0 type veth peer name znv1 &&
  in_ns sysctl -qw "net.ipv6.conf.$BR.disable_ipv6=0" &&
  in_ns sysctl -qw "net.ipv6.conf.$BR.accept_dad=1" &&
  in_ns sysctl -qw "net.ipv6.conf.$BR.accept_ra=0" &&
  in_ns ip link set znv0 master "$BR" &&
  in_ns ip link set "$E2E_TAP" master "$BR" &&
  in_ns ip addr del "$E2E_KERNEL_IP/$E2E_PREFIX" dev "$E2E_TAP" &&
  in_ns ip addr add "$E2E_KERNEL_IP/$E2E_PREFIX" dev "$BR" &&
  in_ns ip link set znv0 up && in_ns ip link set znv1 up &&
  in_ns ip link set "$BR" up &&
  in_ns ip -6 addr add "$K6/64" dev "$BR" nodad; then
  ok "network namespace $E2E_NS: $E2E_TAP in bridge $BR with $K6/64"
else
  not_ok "bridge $BR with $E2E_TAP and $K6/64"
  finish
  exit 1
fi

# linux_addr_state ADDR: Linux's flags for ADDR on the TAP ("" if none).
linux_addr_state() {
  in_ns ip -6 addr show dev "$BR" | awk -v a="$1/64" '$2 == a { $1 = $2 = ""; print }'
}

# ---- Linux holds the address first ---------------------------------------------
in_ns ip -6 addr add "$DUP/64" dev "$BR"
for i in $(seq 1 50); do
  linux_addr_state "$DUP" | grep -q tentative || break
  sleep 0.1
done
st=$(linux_addr_state "$DUP")
check "Linux holds $DUP after its own DAD (flags: '${st# }')" \
  bash -c "[ -n '$st' ] && ! echo '$st' | grep -q 'tentative\|dadfailed'"

out=$T/echo.out
err=$T/echo.err
# Five probes per address (--dad-transmits, RFC 4862 5.1), not one: the
# bridge forwards to and from the TAP only once Linux's link watcher has
# seen the carrier znet's open brings up, and on a loaded machine (other
# tests creating and deleting namespaces hold the same lock) that can
# take longer than one probe and its second of waiting.  (Then ::2 stays
# znet's too, Linux picks ::2 as its source for ::3, and every exchange
# with ::3 fails: CI saw that.)
if ! start_echo "$ECHO" "$out" "$err" --mac "$E2E_MAC" --ipv6 "$DUP/64" \
  --ipv6 "$Z6/64" --dad-transmits 5 --ping "$K6"; then
  not_ok "znet-echo starts with $DUP and $Z6"
  diag <"$err"
  finish
  exit 1
fi
ok "znet-echo starts with --ipv6 $DUP/64 --ipv6 $Z6/64 --dad-transmits 5 --ping $K6"
# (Bounds well past DAD's 5 s and the pings' 1 s apart: a loaded machine
# may start or answer late; wait_line returns at the line.)
wait_line "$out" "^znet-echo: ipv6 $DUP/64 duplicate static$" 30
check "$DUP, held by Linux, ends duplicate in znet-echo's output" [ $? -eq 0 ]
wait_line "$out" "^znet-echo: ipv6 $Z6/64 preferred static$" 30
check "$Z6, not held by Linux, becomes preferred" [ $? -eq 0 ]
check "no line says $DUP is preferred" \
  bash -c "! grep -q '^znet-echo: ipv6 $DUP/64 preferred' '$out'"
st=$(linux_addr_state "$DUP")
check "Linux still holds $DUP (flags: '${st# }')" \
  bash -c "[ -n '$st' ] && ! echo '$st' | grep -q 'tentative\|dadfailed'"

in_ns_t 20 python3 "$here/attack_ipv6.py" probe "$E2E_TAP" "$DUP" "$E2E_MAC" \
  "$K6" 5 >"$T/probe_dup.txt" 2>&1
rep=$(awk '$1 == "replies" { print $2 }' "$T/probe_dup.txt")
check "echo requests to $DUP at znet's MAC are not answered (${rep:-?} replies to 5)" \
  [ "${rep:-x}" = 0 ]
in_ns_t 20 python3 "$here/attack_ipv6.py" probe "$E2E_TAP" "$Z6" "$E2E_MAC" \
  "$K6" 5 >"$T/probe_z6.txt" 2>&1
rep=$(awk '$1 == "replies" { print $2 }' "$T/probe_z6.txt")
check "the same requests to $Z6 are (${rep:-?} replies to 5)" [ "${rep:-x}" = 5 ]
in_ns ping -6 -n -c 3 -i 0.2 -W 10 "$Z6" >"$T/p1.log" 2>&1
check "Linux pings $Z6: 3/3" grep -q " 3 received" "$T/p1.log"
got=$(printf 'hello after DAD\n' | in_ns_t 10 nc -N "$Z6" 7 2>&1)
check "TCP echo on $Z6 (got '$got')" [ "$got" = "hello after DAD" ]

# ---- ping from znet --------------------------------------------------------------
wait_line "$out" "^znet-echo: ping reply from $K6 seq 2 " 30
check "znet pings Linux's $K6: replies to seq 0..2 printed" [ $? -eq 0 ]
grep "^znet-echo: ping reply" "$out" | head -3 | diag

# ---- znet defends its address ---------------------------------------------------------
in_ns ip -6 addr add "$Z6/64" dev "$BR"
for i in $(seq 1 50); do
  linux_addr_state "$Z6" | grep -q dadfailed && break
  sleep 0.1
done
st=$(linux_addr_state "$Z6")
check "znet defends $Z6: Linux's later copy goes dadfailed (flags: '${st# }')" \
  bash -c "echo '$st' | grep -q dadfailed"
in_ns ip -6 addr del "$Z6/64" dev "$BR" 2>/dev/null
in_ns ping -6 -n -c 3 -i 0.2 -W 10 "$Z6" >"$T/p2.log" 2>&1
check "$Z6 still answers Linux's ping: 3/3" grep -q " 3 received" "$T/p2.log"
check "znet-echo still lists $Z6 preferred (no later line for it)" \
  [ "$(grep "^znet-echo: ipv6 $Z6/64 " "$out" | tail -n1)" = "znet-echo: ipv6 $Z6/64 preferred static" ]

stop_echo
rc=$?
check "znet-echo exits 0 on SIGINT (got $rc)" [ "$rc" -eq 0 ]
no_leak_case "znet-echo (DAD conflict)" "$err"
check "dad_dup_na counts Linux's answer for $DUP ($(counter "$err" dad_dup_na))" \
  [ "$(counter "$err" dad_dup_na)" -ge 1 ]
check "nd_dad_rx counts Linux's probe for $Z6 ($(counter "$err" nd_dad_rx))" \
  [ "$(counter "$err" nd_dad_rx)" -ge 2 ]
check "znet resolved Linux by ND (nd_ns_tx $(counter "$err" nd_ns_tx), nd_na_rx $(counter "$err" nd_na_rx))" \
  [ "$(counter "$err" nd_ns_tx)" -ge 1 -a "$(counter "$err" nd_na_rx)" -ge 1 ]
check "icmp6_echo_reply_rx counts the replies to znet's pings ($(counter "$err" icmp6_echo_reply_rx), ping.received $(counter "$err" ping.received))" \
  [ "$(counter "$err" icmp6_echo_reply_rx)" -ge 3 -a "$(counter "$err" ping.received)" -ge 3 ]
grep -E "^  (dad_|nd_|ping\.|icmp6_echo)" "$err" | diag

# ---- ping from znet to Linux's link-local address, and over IPv4 ----------------------
kll=$(in_ns ip -6 addr show dev "$BR" scope link | sed -nE 's|.*inet6 (fe80:[0-9a-f:]*)/64.*|\1|p' | head -n1)
if [ -n "$kll" ]; then
  out=$T/ll.out
  err=$T/ll.err
  if start_echo "$ECHO" "$out" "$err" --mac "$E2E_MAC" --ipv6 "$Z6/64" --ping "$kll"; then
    wait_line "$out" "^znet-echo: ping reply from $kll seq 2 " 30
    check "znet pings Linux's link-local $kll: replies to seq 0..2" [ $? -eq 0 ]
    grep "^znet-echo: ping reply" "$out" | head -3 | diag
    stop_echo
    check "znet-echo --ping $kll exits 0" [ $? -eq 0 ]
    no_leak_case "znet-echo --ping link-local" "$err"
  else
    not_ok "znet-echo --ping $kll starts"
  fi
else
  not_ok "Linux has a link-local address on $BR"
fi
out=$T/v4p.out
err=$T/v4p.err
if start_echo "$ECHO" "$out" "$err" --mac "$E2E_MAC" --ping "$E2E_KERNEL_IP"; then
  wait_line "$out" "^znet-echo: ping reply from $E2E_KERNEL_IP seq 2 " 30
  check "znet pings $E2E_KERNEL_IP over IPv4 (same option): replies to seq 0..2" [ $? -eq 0 ]
  stop_echo
else
  not_ok "znet-echo --ping $E2E_KERNEL_IP starts"
fi

finish
