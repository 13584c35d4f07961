#!/bin/bash
# End to end against the Linux kernel, dual-stack: znet-echo and
# znet-dns-blocker as spt images on libznet-rt (examples/solo5/, made by
# znet-image), booted with solo5-spt on a TAP in a private network
# namespace, over IPv4 and IPv6.
#
#   solo5_e2e.sh SOURCE_ROOT BUILD_ROOT SHARED_DIR
#
# Solo5 built from SHARED_DIR/solo5 and the namespace as spt-lib.sh says
# (skipped without the archive, failed without it under
# ZN_SHARED_REQUIRED).  With znet-echo dual-stack (--ipv4 and --ipv6) on
# a link where Linux has 10.77.0.1/24 and 2001:db8:1::1/64, checks over
# IPv4: ping (default size, a full 1500-byte frame, 4000 bytes fragmented
# both ways), arping, UDP echo (nc), TCP echo of 1 MiB checked by
# SHA-256, a frame longer than the backend's buffer (the tender cuts it;
# the backend must drop it and go on); over IPv6: the static and
# link-local addresses reach "preferred" (DAD, on the image's clock),
# ping -6 of 56 and 4000 bytes (fragmented both ways) and of the
# link-local address, UDP echo, TCP echo of 1 MiB by SHA-256.  Then
# znet-echo in the least memory it boots in (--mem=5), and znet-echo
# --slaac alone (no IPv4), which forms an address from radvd's
# advertisement and answers ping -6 there.  Then znet-dns-blocker,
# dual-stack, answers the names blocked by a blocklist read from its
# root archive and by --block over UDP and TCP, over IPv4 and IPv6 (dig,
# dig -6), and forwards another name to an upstream over IPv6 (dnsmasq
# on Linux's side).  Needs root, /dev/net/tun and libseccomp, else
# skips; radvd and dnsmasq for their cases, else those are skipped.
# Output is TAP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../e2e/lib.sh"
. "$here/spt-lib.sh"

[ $# -eq 3 ] || { echo "usage: $0 SOURCE_ROOT BUILD_ROOT SHARED_DIR" >&2; exit 2; }
need_cmd ping arping nc sha256sum
spt_setup "$1" "$2" "$3"
K6=2001:db8:1::1
Z6=2001:db8:1::2
SLAAC_PREFIX=2001:db8:2:
for name in znet-echo znet-dns-blocker; do
  spt_image "$name" || { finish; exit 1; }
done
tar cf "$E2E_TMP/empty.tar" -T /dev/null

# lib.sh's namespace has IPv6 off; on for the TAP, without DAD on
# Linux's side (its addresses usable at once), as tests/e2e/ipv6.sh.
if ipv6_on "$E2E_NS" "$E2E_TAP" "$K6/64"; then
  ok "IPv6 on $E2E_TAP with $K6/64"
else
  not_ok "IPv6 on $E2E_TAP with $K6/64"
  finish
  exit 1
fi

# start_spt PROG OUT ARGS...: PROG.spt on the TAP with an empty root
# archive and the command line ARGS (spt_boot); waits for its banner.
start_spt() {
  local prog=$1 out=$2
  shift 2
  spt_boot "$prog" "$out" "${SPT_ROOTFS:-$E2E_TMP/empty.tar}" "$@"
  spt_wait_banner "$prog" "$out"
}

# dig_status_case NAME STATUS DIG-ARGS...: one case, ok if dig (from the
# namespace) reports STATUS.
dig_status_case() {
  local name=$1 want=$2 ans
  shift 2
  ans=$(in_ns dig +time=2 +tries=2 "$@" 2>&1)
  if echo "$ans" | grep -q "status: $want"; then
    ok "$name"
  else
    not_ok "$name"
    echo "$ans" | diag
  fi
}

head -c 1048576 /dev/urandom >"$E2E_TMP/tcp.in"
want=$(sha256sum <"$E2E_TMP/tcp.in" | cut -d' ' -f1)

# ---- znet-echo, dual-stack ---------------------------------------------------

out=$E2E_TMP/echo.out
if ! start_spt znet-echo "$out" --ipv4="$E2E_ZNET_IP/$E2E_PREFIX" \
  --ipv6="$Z6/64"; then
  not_ok "znet-echo.spt boots on $E2E_TAP"
  diag <"$out"
  finish
  exit 1
fi
ok "znet-echo.spt boots on $E2E_TAP ($(grep -m1 'entropy from' "$out"))"

ping_case 56
ping_case 1472
ping_case 4000

alog=$E2E_TMP/arping.log
if in_ns arping -c 3 -w 5 -I "$E2E_TAP" "$E2E_ZNET_IP" >"$alog" 2>&1 &&
  grep -q "Received 3 response" "$alog"; then
  ok "arping resolves $E2E_ZNET_IP"
else
  not_ok "arping resolves $E2E_ZNET_IP"
  diag <"$alog"
fi

got=$(udp_line "$E2E_ZNET_IP" 7 "solo5 udp echo") # (lib.sh: no fixed 1 s for the reply)
check "UDP echo on port 7 (got '$got')" [ "$got" = "solo5 udp echo" ]

t0=$(now_s)
have=$(in_ns_t 60 nc -N -w 10 "$E2E_ZNET_IP" 7 <"$E2E_TMP/tcp.in" 2>/dev/null |
  sha256sum | cut -d' ' -f1)
check "TCP echo of 1 MiB comes back whole ($(elapsed "$t0") s)" [ "$have" = "$want" ]

# A frame longer than the buffer the backend reads into: the kernel's MTU
# raised to 9000, a 3000-byte ping that may not be fragmented.  The
# tender cuts it to the buffer; the backend must drop it (not hand a cut
# frame to the stack, not stop) and answer the next ping.
in_ns ip link set "$E2E_TAP" mtu 9000
in_ns ping -n -c 2 -i 0.2 -W 1 -M do -s 3000 "$E2E_ZNET_IP" >"$E2E_TMP/big.log" 2>&1
big_rc=$?
in_ns ip link set "$E2E_TAP" mtu 1500
in_ns ping -n -c 3 -i 0.2 -W 2 "$E2E_ZNET_IP" >"$E2E_TMP/after.log" 2>&1
if [ $big_rc -ne 0 ] && grep -q " 3 received" "$E2E_TMP/after.log"; then
  ok "a 3028-byte frame (cut by the tender) is dropped; pings after it answered"
else
  not_ok "a 3028-byte frame (cut by the tender) is dropped; pings after it answered"
  diag <"$E2E_TMP/big.log"
  diag <"$E2E_TMP/after.log"
fi

# IPv6: the addresses are printed by zn__app_ipv6_report on the run loop's
# tick, so "preferred" shows that DAD's timers ran on the image's clock
# (the runtime's scheduler waking zn__app_run at the stack's deadline).
wait_line "$out" "^znet-echo: ipv6 $Z6/64 preferred static$" 10
check "$Z6 becomes preferred (DAD done)" [ $? -eq 0 ]
wait_line "$out" "^znet-echo: ipv6 fe80:[0-9a-f:]*/64 preferred link-local$" 10
check "the link-local address becomes preferred" [ $? -eq 0 ]
ll=$(sed -nE 's|^znet-echo: ipv6 (fe80:[0-9a-f:]*)/64 preferred .*|\1|p' "$out" | head -n1)

ping6_case "$Z6" "$Z6" 56
ping6_case "$Z6" "$Z6" 4000
if [ -n "$ll" ]; then
  ping6_case "link-local $ll" "$ll%$E2E_TAP" 56
else
  not_ok "link-local: no preferred fe80:: address in znet-echo's output"
fi

got=$(udp_line "$Z6" 7 "solo5 udp6 echo" -6)
check "UDP echo over IPv6 (got '$got')" [ "$got" = "solo5 udp6 echo" ]

t0=$(now_s)
have=$(in_ns_t 60 nc -N -w 10 "$Z6" 7 <"$E2E_TMP/tcp.in" 2>/dev/null |
  sha256sum | cut -d' ' -f1)
check "TCP echo of 1 MiB over IPv6 comes back whole ($(elapsed "$t0") s)" \
  [ "$have" = "$want" ]

check "znet-echo.spt still running at the end" spt_stop
spt_fatal_case znet-echo.spt "$out"

# ---- a small image --------------------------------------------------------------

# 5 MiB: the runtime keeps 1 MiB for the main thread's stack and wants
# as much again at least (--mem=4 is refused at start); the stack's
# memory (about 1.6 MB), musl's and the runtime's own, and the socket
# layer take most of the rest.
mout=$E2E_TMP/small.out
if SPT_MEM=5 start_spt znet-echo "$mout" --ipv6="$Z6/64"; then
  ok "znet-echo.spt boots in --mem=5 ($(grep -m1 'memory left' "$mout"))"
  wait_line "$mout" "^znet-echo: ipv6 $Z6/64 preferred static$" 10
  check "--mem=5: $Z6 becomes preferred" [ $? -eq 0 ]
  ping6_case "--mem=5: $Z6" "$Z6" 4000
  check "znet-echo.spt --mem=5 still running at the end" spt_stop
else
  not_ok "znet-echo.spt boots in --mem=5"
  diag <"$mout"
  spt_stop
fi

# ---- SLAAC from radvd, no IPv4 ----------------------------------------------

if command -v radvd >/dev/null; then
  cat >"$E2E_TMP/radvd.conf" <<RADVD
interface $E2E_TAP {
  AdvSendAdvert on;
  MinRtrAdvInterval 3;
  MaxRtrAdvInterval 4;
  prefix ${SLAAC_PREFIX}:/64 {
    AdvOnLink on;
    AdvAutonomous on;
  };
};
RADVD
  # Linux, the router, is on the advertised prefix too (its route to the
  # unikernel's address there).
  in_ns sysctl -qw net.ipv6.conf.all.forwarding=1
  in_ns ip -6 addr add "${SLAAC_PREFIX}:1/64" dev "$E2E_TAP" nodad
  sout=$E2E_TMP/slaac.out
  if start_spt znet-echo "$sout" --slaac; then
    ok "znet-echo.spt --slaac boots ($(grep -m1 ' mac ' "$sout"))"
    ip netns exec "$E2E_NS" timeout 100 radvd -n -C "$E2E_TMP/radvd.conf" \
      -p "$E2E_TMP/radvd.pid" -m stderr >"$E2E_TMP/radvd.log" 2>&1 &
    radvd_pid=$!
    bg_pid $radvd_pid
    re="^znet-echo: ipv6 ${SLAAC_PREFIX}[0-9a-f:]*/64 preferred slaac$"
    if wait_line "$sout" "$re" 20; then
      ok "SLAAC: an address in ${SLAAC_PREFIX}:/64 from radvd, preferred"
    else
      not_ok "SLAAC: an address in ${SLAAC_PREFIX}:/64 from radvd, preferred"
      diag <"$sout"
      diag <"$E2E_TMP/radvd.log"
    fi
    sa=$(sed -nE "s|^znet-echo: ipv6 (${SLAAC_PREFIX}[0-9a-f:]*)/64 preferred slaac$|\1|p" \
      "$sout" | head -n1)
    if [ -n "$sa" ]; then
      ping6_case "SLAAC address $sa" "$sa" 56
    else
      not_ok "SLAAC address: none to ping"
    fi
    check "znet-echo.spt --slaac still running at the end" spt_stop
    spt_fatal_case "znet-echo.spt --slaac" "$sout"
    # No more advertisements for the programs after it.
    wait_bg "$radvd_pid" 0 >/dev/null 2>&1
  else
    not_ok "znet-echo.spt --slaac boots"
    diag <"$sout"
    spt_stop
  fi
else
  skip_case "SLAAC from radvd" "needs radvd"
fi

# ---- znet-dns-blocker, dual-stack --------------------------------------------

# A blocklist in the image's root archive (hosts-file lines) and a name
# on the command line; blocked names need no upstream.  The upstream is
# dnsmasq on Linux's IPv6 address, so a name not blocked is forwarded
# over IPv6.
if ! command -v dig >/dev/null; then
  skip_case "znet-dns-blocker.spt answers" "needs dig"
  finish
  exit $?
fi
dns_out=$E2E_TMP/dns.out
mkdir -p "$E2E_TMP/dnsroot/etc"
printf '# ads\n0.0.0.0 ads.example\n0.0.0.0 tracker.example\n' \
  >"$E2E_TMP/dnsroot/etc/blocklist"
tar cf "$E2E_TMP/dnsroot.tar" -C "$E2E_TMP/dnsroot" .
if ! SPT_ROOTFS=$E2E_TMP/dnsroot.tar start_spt znet-dns-blocker "$dns_out" \
  --ipv4="$E2E_ZNET_IP/$E2E_PREFIX" --ipv6="$Z6/64" --upstream="$K6" \
  --blocklist=/etc/blocklist --block=blocked.test; then
  not_ok "znet-dns-blocker.spt boots"
  diag <"$dns_out"
  finish
  exit 1
fi
ok "znet-dns-blocker.spt boots ($(grep -m1 'blocklist' "$dns_out"))"
# dnsmasq on Linux's IPv6 address, the blocker's upstream.  It is probed
# from the namespace itself (through lo, so IPv6 goes on there too) once
# the TAP has its carrier (the unikernel attached).
upstream_up=false
if command -v dnsmasq >/dev/null; then
  in_ns sysctl -qw net.ipv6.conf.lo.disable_ipv6=0
  ip netns exec "$E2E_NS" timeout 120 dnsmasq --keep-in-foreground \
    --conf-file=/dev/null --no-resolv --no-hosts --no-poll --user=root \
    --pid-file= --listen-address="$K6" --bind-interfaces \
    --address=/up.test/2001:db8::99 >"$E2E_TMP/dnsmasq.log" 2>&1 &
  bg_pid $!
  for i in $(seq 1 20); do
    if in_ns dig -6 +short +time=1 +tries=1 "@$K6" up.test AAAA 2>/dev/null |
      grep -q '^2001:db8::99$'; then
      upstream_up=true
      break
    fi
    sleep 0.5
  done
fi
dig_status_case "blocked.test answered NXDOMAIN by the blocker" NXDOMAIN \
  "@$E2E_ZNET_IP" blocked.test A
dig_status_case "www.ads.example (under a name of the archive's blocklist) NXDOMAIN over TCP" \
  NXDOMAIN +tcp "@$E2E_ZNET_IP" www.ads.example A
dig_status_case "tracker.example (the archive's blocklist) NXDOMAIN over UDP" \
  NXDOMAIN "@$E2E_ZNET_IP" tracker.example A
wait_line "$dns_out" "^znet-dns-blocker: ipv6 $Z6/64 preferred static$" 10
check "znet-dns-blocker: $Z6 becomes preferred" [ $? -eq 0 ]
dig_status_case "dig -6: blocked.test AAAA NXDOMAIN over UDP/IPv6" NXDOMAIN \
  -6 "@$Z6" blocked.test AAAA
dig_status_case "dig -6: www.ads.example NXDOMAIN over TCP/IPv6" NXDOMAIN \
  -6 +tcp "@$Z6" www.ads.example AAAA
if ! command -v dnsmasq >/dev/null; then
  skip_case "dig -6: a name forwarded over IPv6" "needs dnsmasq"
elif ! $upstream_up; then
  not_ok "dnsmasq answers on $K6 (the upstream)"
  diag <"$E2E_TMP/dnsmasq.log"
else
  ans=$(in_ns dig -6 +short +time=2 +tries=2 "@$Z6" up.test AAAA 2>&1)
  check "dig -6: up.test forwarded to dnsmasq at $K6 (got '$ans')" \
    [ "$ans" = "2001:db8::99" ]
fi
check "znet-dns-blocker.spt still running at the end" spt_stop
spt_fatal_case znet-dns-blocker.spt "$dns_out"
finish
