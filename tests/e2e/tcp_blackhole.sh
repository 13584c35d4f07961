#!/bin/bash
# A PMTU black hole, against Linux: znet-nc on a TAP in a private network
# namespace sends to Linux's nc across a path that silently drops every
# packet from znet longer than the path takes, and sends no ICMP
# "fragmentation needed" / "packet too big" (an nftables netdev rule on
# the TAP's ingress, counted).  znet must find the hole by its RTOs
# (tcp_out.c blackhole_lower), lower its MSS and deliver everything.
#
#   tcp_blackhole.sh /path/to/znet-nc
#
# Cases, each byte-exact by SHA-256 and with both ends exiting 0:
#   IPv4  1 MiB across a hole that takes 1100-byte packets (the MSS comes
#         down to 1024 after three RTOs);
#   IPv6  1 MiB across one that takes 1300-byte packets (down to 1220);
#   off   with --tcp-blackhole-probe-ms 0 the same IPv4 transfer fails
#         (nothing longer than the hole takes ever gets through).
# Needs root, /dev/net/tun, nft, nc, python3, sha256sum; otherwise skips.
# Output is TAP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

NC=${1:-}
[ -n "$NC" ] && [ -x "$NC" ] || { echo "usage: $0 /path/to/znet-nc" >&2; exit 2; }
E2E_NC=$(cd "$(dirname "$NC")" && pwd)/$(basename "$NC")

need_netns
need_cmd nc nft python3 sha256sum timeout ss
trap e2e_cleanup EXIT
e2e_tmpdir
T=$E2E_TMP
K=$E2E_KERNEL_IP
K6=2001:db8:77::1
Z6=2001:db8:77::2

if ! setup_netns || ! in_ns ip link set dev "$E2E_TAP" gso_max_segs 1 ||
  ! ipv6_on "$E2E_NS" "$E2E_TAP" "$K6/64"; then
  not_ok "create network namespace with $E2E_TAP, IPv4 and IPv6"
  finish
  exit 1
fi

# hole_on: drop znet's IPv4 packets over 1100 bytes and IPv6 ones over
# 1300, silently.
hole_on() {
  in_ns nft -f - <<EOF
table netdev znhole {
  chain from_znet {
    type filter hook ingress device "$E2E_TAP" priority 0;
    ip length > 1100 counter drop
    ip6 length > 1260 counter drop
  }
}
EOF
}

# holed: packets the hole swallowed so far.
holed() {
  in_ns nft list chain netdev znhole from_znet 2>/dev/null |
    sed -n 's/.*counter packets \([0-9]*\).*/\1/p' | awk '{ s += $1 } END { print s + 0 }'
}

# listen6 PORT OUT: Linux's nc on IPv6 in the namespace, the SHA-256 of
# what it receives into OUT (linux_listen's, for nc -6).
listen6() {
  local port=$1 out=$2
  ip netns exec "$E2E_NS" timeout 120 nc -6 -l -p "$port" </dev/null 2>"$out.err" |
    sha256sum >"$out" &
  E2E_LPID=$!
  bg_pid "$E2E_LPID"
  wait_listen "$port"
}

# send LABEL DST PORT ZNET-ADDR-FLAGS... -- EXTRA...: znet-nc --send 1M to
# Linux's nc -l on DST, checked by SHA-256.  Sets RC and OK_SHA.
send() {
  local label=$1 dst=$2 port=$3 nerr=$T/send-$3.err lsum=$T/linux-$3.sha want
  shift 3
  want=$(python3 "$here/nc_pattern.py" $((1 << 20)))
  if [ "${dst#*:}" != "$dst" ]; then
    listen6 "$port" "$lsum"
  else
    linux_listen "$port" "$lsum" sha256sum
  fi
  local lpid=$E2E_LPID
  # (-w: idle seconds.  Three RTOs before the MSS comes down take 1.4 s,
  # or 21 s when the SYN went twice and the RTO starts at 3 s, RFC 6298
  # §5.7.)
  E2E_NC_TIMEOUT=60 znet_nc "$dst" "$port" --send 1M --sha256 -w "${SEND_W:-30}" -v "$@" \
    >"$T/send.out" 2>"$nerr"
  RC=$?
  wait_bg "$lpid" 20
  OK_SHA=0
  [ "$(cut -d' ' -f1 <"$lsum" 2>/dev/null)" = "$want" ] && OK_SHA=1
  grep "^znet-nc: \(sent\|tcp\|failed\)" "$nerr" | diag
  BH=$(counter "$nerr" tcp_blackhole)
  PROBES=$(counter "$nerr" tcp_blackhole_reprobe)
  RESTORED=$(counter "$nerr" tcp_blackhole_restored)
}

if ! hole_on; then
  not_ok "nft rule for the black hole"
  finish
  exit 1
fi
ok "nft: znet's IPv4 packets over 1100 bytes and IPv6 over 1260 dropped, no ICMP"

send ipv4 "$K" 6101
check "IPv4: 1 MiB across the hole, exit 0 (got $RC)" [ "$RC" -eq 0 ]
check "IPv4: Linux's SHA-256 is the pattern's" [ "$OK_SHA" = 1 ]
check "IPv4: znet lowered its MSS (tcp_blackhole $BH), the hole took $(holed) packets" \
  [ "${BH:-0}" -ge 1 ]
check "IPv4: it probed the full size again (probes ${PROBES:-0}); the hole kept the MSS down (restored ${RESTORED:-0})" \
  [ "${PROBES:-0}" -ge 1 -a "${RESTORED:-0}" -eq 0 ]
no_leak_case "IPv4: znet-nc --send" "$T/send-6101.err"

send ipv6 "$K6" 6102 --ipv6 "$Z6/64"
check "IPv6: 1 MiB across the hole, exit 0 (got $RC)" [ "$RC" -eq 0 ]
check "IPv6: Linux's SHA-256 is the pattern's" [ "$OK_SHA" = 1 ]
check "IPv6: znet lowered its MSS (tcp_blackhole $BH)" [ "${BH:-0}" -ge 1 ]
check "IPv6: probes (${PROBES:-0}) did not bring the full size back (restored ${RESTORED:-0})" \
  [ "${PROBES:-0}" -ge 1 -a "${RESTORED:-0}" -eq 0 ]

SEND_W=12 send off "$K" 6103 --tcp-blackhole-probe-ms 0
check "off: without detection the transfer fails (exit $RC)" [ "$RC" -ne 0 ]
check "off: and the MSS stayed (tcp_blackhole ${BH:-0})" [ "${BH:-0}" -eq 0 ]
finish
