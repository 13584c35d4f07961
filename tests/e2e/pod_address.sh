#!/bin/bash
# A pod's addresses end to end against Linux: znet-echo with the /32 and
# the /128 a Kubernetes network plugin hands out, and a gateway outside
# them, reached on the link.  The namespace's kernel side plays the node
# as Calico sets it up: the TAP holds only the gateway's addresses
# (169.254.1.1/32 and a link-local fe80::ecee:eeff:feee:eeee, or a
# global IPv6 gateway as Cilium gives), a host route to the pod's
# address, and the node's own addresses on lo, which the TAP does not
# answer ARP or neighbor solicitations for (arp_ignore=1; Linux answers
# an NS only for the interface's own addresses).  So a reply reaches
# Linux only through the gateway.
#
#   pod_address.sh /path/to/znet-echo
#
# Checks, IPv4: znet-echo --ipv4 10.77.0.2/32 --gateway 169.254.1.1:
# ping from the node's address, a TCP echo of 1 MiB (cmp), a UDP echo;
# its ARP for the gateway answered, nothing dropped unresolved.  IPv6: --ipv6 fd00:77::2/128
# with --ipv6-gateway, link-local then global: ping -6 and the TCP echo
# from the node's address each time.  znet-echo exits 0 on SIGINT, no
# leak.  Needs root, /dev/net/tun, ping, nc, cmp.  Output is TAP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

ECHO=${1:-}
[ -n "$ECHO" ] && [ -x "$ECHO" ] || { echo "usage: $0 /path/to/znet-echo" >&2; exit 2; }
ECHO=$(cd "$(dirname "$ECHO")" && pwd)/$(basename "$ECHO")

need_netns
need_cmd ping nc cmp timeout
trap e2e_cleanup EXIT
e2e_tmpdir
T=$E2E_TMP
NODE4=10.99.0.1
GW4=169.254.1.1
NODE6=fd00:99::1
Z6=fd00:77::2
GW6_LL=fe80::ecee:eeff:feee:eeee
GW6_GLOBAL=fd00:77:ffff::1

if ! setup_netns; then
  not_ok "create network namespace with $E2E_TAP"
  finish
  exit 1
fi
# The node's side: the gateway's addresses on the TAP, its own on lo.
if in_ns ip addr flush dev "$E2E_TAP" &&
  in_ns sysctl -qw "net.ipv4.conf.$E2E_TAP.arp_ignore=1" &&
  in_ns ip addr add "$GW4/32" dev "$E2E_TAP" &&
  in_ns ip link set lo up &&
  in_ns ip addr add "$NODE4/32" dev lo &&
  in_ns ip route add "$E2E_ZNET_IP/32" dev "$E2E_TAP" src "$NODE4" &&
  ipv6_on "$E2E_NS" "$E2E_TAP" "$GW6_LL/64" &&
  in_ns sysctl -qw net.ipv6.conf.lo.disable_ipv6=0 &&
  in_ns ip -6 addr add "$NODE6/128" dev lo &&
  in_ns ip -6 route add "$Z6/128" dev "$E2E_TAP" src "$NODE6"; then
  ok "the node's side: $GW4/32 and $GW6_LL on $E2E_TAP, $NODE4 and $NODE6 on lo"
else
  not_ok "the node's side set up"
  finish
  exit 1
fi
head -c $((1 << 20)) /dev/urandom >"$T/r1"

# tcp_echo_case NAME ADDR: 1 MiB through znet-echo's TCP echo, compared.
tcp_echo_case() {
  in_ns_t 30 nc -N "$2" 7 <"$T/r1" >"$T/r1.back" 2>"$T/nc.err"
  if cmp -s "$T/r1" "$T/r1.back"; then
    ok "$1: 1 MiB through the TCP echo, the same bytes"
  else
    not_ok "$1: 1 MiB through the TCP echo, the same bytes"
    diag <"$T/nc.err"
  fi
}

# ---- IPv4: a /32 and 169.254.1.1 ----------------------------------------

E2E_PREFIX=32
out=$T/echo4.out
err=$T/echo4.err
if start_echo "$ECHO" "$out" "$err" --mac "$E2E_MAC" --gateway "$GW4"; then
  ok "znet-echo --ipv4 $E2E_ZNET_IP/32 --gateway $GW4 starts"
  log=$T/ping4.log
  in_ns ping -n -c 5 -i 0.2 -W 10 -I "$NODE4" "$E2E_ZNET_IP" >"$log" 2>&1
  check "ping from the node's $NODE4: 5/5 replies, through the gateway" \
    grep -q " 5 received" "$log"
  tcp_echo_case "IPv4 /32" "$E2E_ZNET_IP"
  got=$(udp_line "$E2E_ZNET_IP" 7 "hello over udp" -s "$NODE4")
  check "a datagram through the UDP echo" [ "$got" = "hello over udp" ]
  stop_echo
  check "znet-echo exits 0 on SIGINT" [ $? -eq 0 ]
  # The gateway resolved (the node's own address would not have been:
  # arp_ignore=1), nothing dropped unresolved.
  arp_ok=false
  [ "$(counter "$err" arp_req_tx)" -ge 1 ] &&
    [ "$(counter "$err" arp_resolve_fail)" -eq 0 ] &&
    [ "$(counter "$err" arp_drop_unresolved)" -eq 0 ] && arp_ok=true
  check "znet-echo's ARP for the gateway answered ($(counter "$err" arp_req_tx) sent, none failed)" $arp_ok
  no_leak_case "IPv4 /32" "$err"
else
  not_ok "znet-echo --ipv4 $E2E_ZNET_IP/32 --gateway $GW4 starts"
  diag <"$err"
fi

# ---- IPv6: a /128, a link-local gateway, then a global one -------------

E2E_PREFIX=24
in_ns ip -6 addr add "$GW6_GLOBAL/128" dev "$E2E_TAP" nodad
for gw in "$GW6_LL" "$GW6_GLOBAL"; do
  out=$T/echo6-$gw.out
  err=$T/echo6-$gw.err
  if ! start_echo "$ECHO" "$out" "$err" --mac "$E2E_MAC" --ipv6 "$Z6/128" \
    --ipv6-gateway "$gw" --dad-transmits 0; then
    not_ok "znet-echo --ipv6 $Z6/128 --ipv6-gateway $gw starts"
    diag <"$err"
    continue
  fi
  ok "znet-echo --ipv6 $Z6/128 --ipv6-gateway $gw starts"
  log=$T/ping6-$gw.log
  in_ns ping -6 -n -c 5 -i 0.2 -W 10 -I "$NODE6" "$Z6" >"$log" 2>&1
  if grep -q " 5 received" "$log"; then
    ok "ping -6 from the node's $NODE6 through $gw: 5/5 replies"
  else
    not_ok "ping -6 from the node's $NODE6 through $gw: 5/5 replies"
    diag <"$log"
  fi
  tcp_echo_case "IPv6 /128 through $gw" "$Z6"
  stop_echo
  check "znet-echo exits 0 on SIGINT" [ $? -eq 0 ]
  no_leak_case "IPv6 /128 through $gw" "$err"
done

finish
