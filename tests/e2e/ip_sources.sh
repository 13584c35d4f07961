#!/bin/bash
# IPv4 source and TTL rules end to end (issue 14, defects 1 and 2):
# ip_sources.py sends raw frames to znet-echo on the TAP.
#
#   ip_sources.sh /path/to/znet-echo
#
# Checks: an echo request, a UDP datagram and a TCP SYN to a closed port
# and a datagram of an unknown protocol are each answered at TTL 0 and
# at TTL 1 (RFC 1122 §3.2.1.7); the same probes from 0/8, 127/8,
# multicast, broadcast and 240/4 sources get no answer at all, and each
# is counted under its own drop counter (RFC 1122 §3.2.1.3, RFC 1812
# §5.3.7); no ICMP error was sent about any of them; znet-echo exits 0
# with no leak.  Needs root, /dev/net/tun, python3.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

ECHO=${1:-}
[ -n "$ECHO" ] && [ -x "$ECHO" ] || { echo "usage: $0 /path/to/znet-echo" >&2; exit 2; }
ECHO=$(cd "$(dirname "$ECHO")" && pwd)/$(basename "$ECHO")

need_netns
need_cmd python3 timeout
trap e2e_cleanup EXIT
e2e_tmpdir
out=$E2E_TMP/echo.out
err=$E2E_TMP/echo.err

if ! setup_netns; then
  not_ok "create network namespace with $E2E_TAP"
  finish
  exit 1
fi
if ! start_echo "$ECHO" "$out" "$err" --mac "$E2E_MAC"; then
  not_ok "znet-echo starts on tap:$E2E_TAP"
  diag <"$err"
  finish
  exit 1
fi
# The kernel learns znet's MAC first, so its own ARP traffic is over.
in_ns ping -n -c 1 -W 2 "$E2E_ZNET_IP" >/dev/null 2>&1

res=$E2E_TMP/sources.txt
in_ns_t 60 python3 "$here/ip_sources.py" "$E2E_TAP" "$E2E_ZNET_IP" "$E2E_MAC" \
  >"$res" 2>&1
val() { awk -v k="$1" '$1 == k { print $2 }' "$res"; }
diag <"$res"

check "4 probes with TTL 0 all answered (got $(val answered_ttl0))" [ "$(val answered_ttl0)" = 4 ]
check "4 probes with TTL 1 all answered (got $(val answered_ttl1))" [ "$(val answered_ttl1)" = 4 ]
check "$(val martian_sent) probes from martian sources: none answered (got $(val martian_answered))" \
  [ "$(val martian_answered)" = 0 -a "$(val martian_sent)" = 40 ]

if stop_echo; then ok "znet-echo exits 0"; else not_ok "znet-echo exits 0"; fi
no_leak_case "znet-echo after the probes" "$err"
for k in zero loopback mcast bcast class_e; do
  n=$(counter "$err" "ip_drop_src_$k")
  check "ip_drop_src_$k counts the $(val "sent_$k") probes from such sources (got $n)" \
    [ "$n" = "$(val "sent_$k")" ]
done
icmp_err=$(counter "$err" icmp_err_tx)
check "ICMP errors sent: exactly the two TTL rounds' port and protocol unreachables (got $icmp_err)" \
  [ "$icmp_err" = 4 ]
grep -E "^  ip_" "$err" | diag
finish
