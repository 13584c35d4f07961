#!/bin/bash
# DNS over IPv6 end to end: znet-dns-blocker and znet-resolve against a
# real dnsmasq reached over IPv6 through a router.
#
#   dns6.sh /path/to/znet-dns-blocker /path/to/znet-resolve
#
# Two private network namespaces: the first holds the TAP (znet is
# 10.77.0.2 and 2001:db8:77::2, the kernel 10.77.0.1 and 2001:db8:77::1,
# a router advertising itself with radvd) and the dig client; the second,
# behind a veth pair, holds dnsmasq on 10.78.0.2 and 2001:db8:78::2.  znet
# learns its IPv6 default router and the RDNSS server 2001:db8:78::2 from
# radvd's advertisements.
#
# Checks: dig -6 at the blocker's IPv6 address, over UDP and TCP, for A
# and AAAA, with the upstream given as an IPv6 address (the queries reach
# dnsmasq from znet's IPv6 address); a blocked name gets NXDOMAIN for A
# and AAAA over IPv6 and never reaches dnsmasq, and in --block-mode zero
# `::` for AAAA and 0.0.0.0 for A; the IPv4 side still answers (both
# families served at once); znet-resolve asks dnsmasq over IPv6 for AAAA
# (given --resolver, and with no --resolver through the RDNSS server);
# no leak, no sanitizer report.  Needs root, /dev/net/tun, dnsmasq, dig,
# radvd; otherwise skips.  Output is TAP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

BLOCKER=${1:-}
RESOLVE=${2:-}
[ -n "$BLOCKER" ] && [ -x "$BLOCKER" ] && [ -n "$RESOLVE" ] && [ -x "$RESOLVE" ] ||
  { echo "usage: $0 /path/to/znet-dns-blocker /path/to/znet-resolve" >&2; exit 2; }
BLOCKER=$(cd "$(dirname "$BLOCKER")" && pwd)/$(basename "$BLOCKER")
RESOLVE=$(cd "$(dirname "$RESOLVE")" && pwd)/$(basename "$RESOLVE")

need_netns
need_cmd dnsmasq dig radvd timeout
trap e2e_cleanup EXIT
e2e_tmpdir
T=$E2E_TMP
out=$T/blocker.out
err=$T/blocker.err
qlog=$T/dnsmasq.log
Z6=$E2E_ZNET_IP6
U6=$E2E_UPSTREAM_IP6

if ! setup_netns || ! setup_upstream_ns || ! setup_tap6 || ! setup_upstream6; then
  not_ok "create the two network namespaces with IPv6"
  finish
  exit 1
fi
ok "namespaces $E2E_NS (TAP $E2E_KERNEL_IP6, router) and $E2E_NS2 (dnsmasq on $U6)"

if ! start_dnsmasq "$qlog" --listen-address="$U6" \
  --auth-server=ns.test,zne2e1 --auth-zone=test \
  --auth-soa=1,hostmaster.test,1200,120,604800 --auth-ttl=300 --local-ttl=300 \
  --host-record=allowed.test,10.1.2.3 \
  --host-record=host6.test,10.1.2.6,2001:db8:99::6 \
  --host-record=tcp6.test,10.1.2.7,2001:db8:99::7 \
  --host-record=blocked.test,10.9.9.1,2001:db8:99::9 \
  $(for i in $(seq 256 315); do printf -- '--host-record=big6.test,2001:db8:99::%x ' "$i"; done); then
  not_ok "dnsmasq starts in $E2E_NS2"
  diag <"$qlog.out"
  finish
  exit 1
fi
got=$(in_ns dig -6 +short +time=10 +tries=1 "@$U6" host6.test AAAA 2>&1)
check "dnsmasq answers over IPv6 at $U6 (got '$got')" [ "$got" = "2001:db8:99::6" ]

# The router: default route (lifetime 1800 s) and RDNSS, every 3-4 s.
cat >"$T/radvd.conf" <<CONF
interface $E2E_TAP {
  AdvSendAdvert on;
  MinRtrAdvInterval 3;
  MaxRtrAdvInterval 4;
  AdvDefaultLifetime 1800;
  prefix 2001:db8:77::/64 {
    AdvOnLink on;
    AdvAutonomous off;
  };
  RDNSS $U6 {
    AdvRDNSSLifetime 600;
  };
};
CONF
start_radvd "$T/radvd.conf" "$T/radvd.log"

reached() {
  grep -ci "\(query\|auth\)\[[A-Z]*\] $1 from" "$qlog"
}
reached_from_v6() {
  grep -ci "\(query\|auth\)\[[A-Z]*\] $1 from $Z6" "$qlog"
}

# dig6 ARGS...: dig from the first namespace at the blocker's IPv6
# address; one try, given 10 s (it ends at the answer; a loaded machine
# may be slow to give it).
dig6() {
  in_ns dig -6 +time=10 +tries=1 "@$Z6" "$@"
}
answer6() {
  local name=$1 want=$2 got
  shift 2
  got=$(dig6 +short "$@" 2>&1 | tr '\n' ' ' | sed 's/ $//')
  if [ "$got" = "$want" ]; then ok "$name"; else not_ok "$name (got '$got')"; fi
}
status6() {
  local name=$1 want=$2 got
  shift 2
  got=$(dig6 "$@" 2>&1 | sed -n 's/.*status: \([A-Z]*\).*/\1/p')
  if [ "$got" = "$want" ]; then ok "$name"; else not_ok "$name (got '$got')"; fi
}

# wait_dig6 NAME TYPE SECONDS: until the blocker answers over IPv6 (its
# address past DAD, the router learnt).
wait_dig6() {
  local end=$((SECONDS + $3))
  while [ "$SECONDS" -lt "$end" ]; do
    [ -n "$(in_ns dig -6 +short +time=2 +tries=1 "@$Z6" "$1" "$2" 2>/dev/null)" ] &&
      return 0
    kill -0 "$E2E_ECHO_PID" 2>/dev/null || return 1
    sleep 0.5
  done
  return 1
}

# ---- the blocker, upstream over IPv6 ---------------------------------------

if ! start_znet znet-dns-blocker "$BLOCKER" "$out" "$err" --mac "$E2E_MAC" \
  --gateway "$E2E_KERNEL_IP" --ipv6 "$Z6/64" --upstream "$U6" \
  --block blocked.test; then
  not_ok "znet-dns-blocker starts on tap:$E2E_TAP"
  diag <"$err"
  finish
  exit 1
fi
ok "znet-dns-blocker starts ($(grep -m1 'serving DNS' "$out" | sed 's/^znet-dns-blocker: //'))"
check "its banner writes the IPv6 upstream as [$U6]:53" \
  grep -qF "upstream [$U6]:53," "$out"
t0=$(now_s)
if wait_dig6 host6.test AAAA 20; then
  ok "the blocker answers over IPv6 (after $(elapsed "$t0") s: DAD, router)"
else
  not_ok "the blocker answers over IPv6 within 20 s"
  diag <"$err"
  diag <"$T/radvd.log"
fi

answer6 "dig -6 AAAA host6.test over UDP" "2001:db8:99::6" host6.test AAAA
answer6 "dig -6 A host6.test over UDP" "10.1.2.6" host6.test A
answer6 "dig -6 +tcp AAAA tcp6.test" "2001:db8:99::7" +tcp tcp6.test AAAA
answer6 "dig -6 +tcp A allowed.test" "10.1.2.3" +tcp allowed.test A
n=$(reached_from_v6 host6.test)
check "host6.test reached dnsmasq from $Z6 (got $n)" [ "$n" -ge 1 ]
n=$(reached_from_v6 tcp6.test)
check "tcp6.test reached dnsmasq from $Z6 (got $n)" [ "$n" -ge 1 ]
status6 "blocked.test AAAA over IPv6: NXDOMAIN" NXDOMAIN blocked.test AAAA
status6 "www.blocked.test A over IPv6 (+tcp): NXDOMAIN" NXDOMAIN +tcp www.blocked.test A
check "no blocked name reached dnsmasq" [ "$(reached blocked.test)" -eq 0 ]
got=$(in_ns dig +short +time=10 +tries=1 "@$E2E_ZNET_IP" host6.test AAAA 2>&1)
check "the IPv4 side answers too (got '$got')" [ "$got" = "2001:db8:99::6" ]

stop_echo
rc=$?
check "znet-dns-blocker exits 0 on SIGINT (got $rc)" [ "$rc" -eq 0 ]
no_leak_case "znet-dns-blocker" "$err"
fwd=$(counter "$err" dns.forwarded)
echo "# dns.forwarded $fwd"

# ---- --block-mode zero over IPv6 -------------------------------------------

if start_znet znet-dns-blocker "$BLOCKER" "$out" "$err" --mac "$E2E_MAC" \
  --gateway "$E2E_KERNEL_IP" --ipv6 "$Z6/64" --upstream "$U6" \
  --block blocked.test --block-mode zero && wait_dig6 host6.test AAAA 20; then
  ok "znet-dns-blocker --block-mode zero answers over IPv6"
  answer6 "blocked.test AAAA in zero mode: ::" "::" blocked.test AAAA
  answer6 "blocked.test A in zero mode: 0.0.0.0" "0.0.0.0" blocked.test A
  answer6 "www.blocked.test AAAA +tcp in zero mode: ::" "::" +tcp www.blocked.test AAAA
  stop_echo
  no_leak_case "znet-dns-blocker --block-mode zero" "$err"
else
  not_ok "znet-dns-blocker --block-mode zero answers over IPv6"
  diag <"$err"
  stop_echo
fi

# ---- znet-resolve over IPv6 ------------------------------------------------

rout=$T/resolve.out
rerr=$T/resolve.err
in_ns_t 60 "$RESOLVE" --netif "tap:$E2E_TAP" --mac "$E2E_MAC" --ipv6 "$Z6/64" \
  --resolver "$U6" --timeout 2000 --tries 4 -t AAAA host6.test tcp6.test -v \
  >"$rout" 2>"$rerr"
rc=$?
check "znet-resolve --resolver $U6 -t AAAA exits 0 (got $rc)" [ "$rc" -eq 0 ]
check "znet-resolve prints host6.test's AAAA" grep -qx "host6.test has IPv6 address 2001:db8:99::6" "$rout"
check "znet-resolve prints tcp6.test's AAAA" grep -qx "tcp6.test has IPv6 address 2001:db8:99::7" "$rout"
[ "$rc" -eq 0 ] || { diag <"$rout"; diag <"$rerr"; diag <"$T/radvd.log"; }
no_leak_case "znet-resolve --resolver $U6" "$rerr"

# 60 AAAA records: more than dnsmasq puts in 1232 bytes of UDP; the
# truncated answer is asked again over TCP/IPv6.
in_ns_t 60 "$RESOLVE" --netif "tap:$E2E_TAP" --mac "$E2E_MAC" --ipv6 "$Z6/64" \
  --resolver "$U6" --timeout 2000 --tries 4 -t AAAA big6.test -v \
  >"$rout" 2>"$rerr"
rc=$?
n=$(grep -c "^big6.test has IPv6 address 2001:db8:99::" "$rout")
tcp=$(counter "$rerr" dns.tcp_answers)
check "znet-resolve big6.test (60 AAAA): exits 0, $n addresses shown (got $rc)" \
  [ "$rc" -eq 0 ] && [ "$n" -ge 16 ]
check "... the answer came over TCP (dns.tcp_answers $tcp)" [ "$tcp" -eq 1 ]
[ "$rc" -eq 0 ] || { diag <"$rout"; diag <"$rerr"; }
no_leak_case "znet-resolve big6.test" "$rerr"

# No --resolver, no IPv4: the server radvd names (RDNSS).  The first
# tries go before the router is known (the address is tentative, no
# route): --timeout and --tries leave room for the advertisement.
in_ns_t 60 "$RESOLVE" --netif "tap:$E2E_TAP" --mac "$E2E_MAC" --ipv6 "$Z6/64" \
  --timeout 2000 --tries 4 -t both host6.test >"$rout" 2>"$rerr"
rc=$?
check "znet-resolve without --resolver (RDNSS) exits 0 (got $rc)" [ "$rc" -eq 0 ]
check "... prints host6.test's AAAA" grep -qx "host6.test has IPv6 address 2001:db8:99::6" "$rout"
check "... prints host6.test's A" grep -qx "host6.test has address 10.1.2.6" "$rout"
[ "$rc" -eq 0 ] || { diag <"$rout"; diag <"$rerr"; diag <"$T/radvd.log"; }
no_leak_case "znet-resolve (RDNSS)" "$rerr"

finish
