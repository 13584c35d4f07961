#!/bin/bash
# End to end through the Solo5 ABI test double: znet-echo and
# znet-dns-blocker compiled for Solo5 (freestanding, znet's runtime,
# netif/solo5.c; no libc in the process) and linked with tests/solo5/
# double.c, which stands in for solo5-spt on a TAP device in a private
# network namespace, against the Linux kernel, over IPv4 and IPv6.
#
#   solo5_e2e.sh SOURCE_ROOT
#
# Builds the two programs with scripts/check-freestanding --double (gcc,
# x86_64), then, with znet-echo dual-stack (--ipv4 and --ipv6) on a link
# where Linux has 10.77.0.1/24 and 2001:db8:1::1/64, checks over IPv4:
# ping (default size, a full 1500-byte frame, 4000 bytes fragmented both
# ways), arping, UDP echo (nc), TCP echo of 1 MiB checked by SHA-256, a
# frame longer than the backend's buffer (the ABI cuts it; the backend
# must drop it and go on); over IPv6: the static and link-local
# addresses reach "preferred" (DAD, on the unikernel's clock), ping -6 of
# 56 and 4000 bytes (fragmented both ways) and of the link-local
# address, UDP echo, TCP echo of 1 MiB by SHA-256.  Then znet-echo
# --slaac alone (no IPv4) forms an address from radvd's advertisement
# and answers ping -6 there.  Then znet-dns-blocker, dual-stack, answers
# the names blocked on its command line over UDP and TCP, over IPv4 and
# IPv6 (dig, dig -6), and forwards another name to an upstream over IPv6
# (dnsmasq on Linux's side).  Needs root and /dev/net/tun, else skips;
# radvd and dnsmasq for their cases, else those are skipped.  Output is
# TAP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../e2e/lib.sh"

ROOT=${1:-}
[ -n "$ROOT" ] && [ -d "$ROOT/examples/solo5" ] || { echo "usage: $0 SOURCE_ROOT" >&2; exit 2; }

[ "$(uname -m)" = x86_64 ] || skip_all "the Solo5 test double is x86_64 only"
need_netns
need_cmd gcc ragel ping arping nc sha256sum timeout
trap e2e_cleanup EXIT
e2e_tmpdir
bin=$E2E_TMP/bin
K6=2001:db8:1::1
Z6=2001:db8:1::2
SLAAC_PREFIX=2001:db8:2:

if ! timeout 280 bash "$ROOT/scripts/check-freestanding" --double "$bin" "$ROOT" \
  >"$E2E_TMP/build.log" 2>&1 || [ ! -x "$bin/znet-echo.double" ]; then
  not_ok "build the examples for Solo5 with the ABI test double"
  tail -20 "$E2E_TMP/build.log" | diag
  finish
  exit 1
fi
ok "build the examples for Solo5 with the ABI test double"

# lib.sh's namespace has IPv6 off; on for the TAP, without DAD on
# Linux's side (its addresses usable at once), as tests/e2e/ipv6.sh.
if setup_netns &&
  ipv6_on "$E2E_NS" "$E2E_TAP" "$K6/64"; then
  ok "network namespace $E2E_NS with $E2E_TAP $E2E_KERNEL_IP/$E2E_PREFIX and $K6/64"
else
  not_ok "create network namespace with $E2E_TAP, IPv4 and IPv6"
  finish
  exit 1
fi

# start_double PROG OUT ARGS...: PROG.double on the TAP, bounded to 120 s,
# with ${S5_MEM:-64} MiB of memory and the unikernel's command line ARGS;
# waits (at most 10 s) for its banner ("PROG: ADDR mac ..." or "PROG:
# no-ipv4 mac ...").
start_double() {
  local prog=$1 out=$2 i
  shift 2
  ip netns exec "$E2E_NS" timeout --foreground 120 "$bin/$prog.double" \
    --net:service="$E2E_TAP" --net-mac:service=$E2E_MAC --mem="${S5_MEM:-64}" -- \
    "$@" >"$out" 2>&1 &
  E2E_ECHO_PID=$!
  for i in $(seq 1 100); do
    grep -q "^$prog: [^ ]* mac " "$out" 2>/dev/null && return 0
    kill -0 "$E2E_ECHO_PID" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# stop_double: the double has no signal handling (a unikernel runs until
# its tender is stopped): SIGTERM ends it; returns whether it was still
# running, i.e. had not crashed or exited on its own.
stop_double() {
  local pid=$E2E_ECHO_PID alive=1
  kill -0 "$pid" 2>/dev/null && alive=0
  kill_tree TERM "$pid"
  wait "$pid" 2>/dev/null
  E2E_ECHO_PID=""
  return $alive
}

# fatal_case PROG OUT: one case, ok if the unikernel printed no fatal
# error or abort.
fatal_case() {
  if grep -q "fatal\|abort" "$2"; then
    not_ok "$1 reported no fatal error"
    diag <"$2"
  else
    ok "$1 reported no fatal error"
  fi
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
if ! start_double znet-echo "$out" --ipv4="$E2E_ZNET_IP/$E2E_PREFIX" \
  --ipv6="$Z6/64"; then
  not_ok "znet-echo.double boots on $E2E_TAP"
  diag <"$out"
  finish
  exit 1
fi
ok "znet-echo.double boots on $E2E_TAP ($(grep -m1 'entropy from' "$out"))"

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

got=$(printf 'solo5 udp echo\n' | in_ns nc -u -w 1 "$E2E_ZNET_IP" 7 2>/dev/null)
check "UDP echo on port 7 (got '$got')" [ "$got" = "solo5 udp echo" ]

t0=$(now_s)
have=$(in_ns_t 60 nc -N -w 10 "$E2E_ZNET_IP" 7 <"$E2E_TMP/tcp.in" 2>/dev/null |
  sha256sum | cut -d' ' -f1)
check "TCP echo of 1 MiB comes back whole ($(elapsed "$t0") s)" [ "$have" = "$want" ]

# A frame longer than the buffer the backend reads into: the kernel's MTU
# raised to 9000, a 3000-byte ping that may not be fragmented.  The ABI
# cuts it to the buffer; the backend must drop it (not hand a cut frame
# to the stack, not stop) and answer the next ping.
in_ns ip link set "$E2E_TAP" mtu 9000
in_ns ping -n -c 2 -i 0.2 -W 1 -M do -s 3000 "$E2E_ZNET_IP" >"$E2E_TMP/big.log" 2>&1
big_rc=$?
in_ns ip link set "$E2E_TAP" mtu 1500
in_ns ping -n -c 3 -i 0.2 -W 2 "$E2E_ZNET_IP" >"$E2E_TMP/after.log" 2>&1
if [ $big_rc -ne 0 ] && grep -q " 3 received" "$E2E_TMP/after.log"; then
  ok "a 3028-byte frame (cut by the ABI) is dropped; pings after it answered"
else
  not_ok "a 3028-byte frame (cut by the ABI) is dropped; pings after it answered"
  diag <"$E2E_TMP/big.log"
  diag <"$E2E_TMP/after.log"
fi

# IPv6: the addresses are printed by ex_ipv6_report on the run loop's
# tick, so "preferred" shows that DAD's timers ran on the unikernel's
# clock (solo5_clock_monotonic, solo5_yield's deadline).
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

got=$(printf 'solo5 udp6 echo\n' | in_ns_t 5 nc -6 -u -w 1 "$Z6" 7 2>/dev/null)
check "UDP echo over IPv6 (got '$got')" [ "$got" = "solo5 udp6 echo" ]

t0=$(now_s)
have=$(in_ns_t 60 nc -N -w 10 "$Z6" 7 <"$E2E_TMP/tcp.in" 2>/dev/null |
  sha256sum | cut -d' ' -f1)
check "TCP echo of 1 MiB over IPv6 comes back whole ($(elapsed "$t0") s)" \
  [ "$have" = "$want" ]

check "znet-echo.double still running at the end" stop_double
fatal_case znet-echo.double "$out"

# ---- a small unikernel ------------------------------------------------------

# 3 MiB: 1 MiB left to the C stack, 2 MiB for malloc, in which the stack's
# memory (about 1.45 MB) must fit.  The runtime's malloc sizes such a
# block to the page; a power-of-two class would take all 2 MiB.
mout=$E2E_TMP/small.out
if S5_MEM=3 start_double znet-echo "$mout" --ipv6="$Z6/64"; then
  ok "znet-echo.double boots in --mem=3 ($(grep -m1 'heap left' "$mout"))"
  wait_line "$mout" "^znet-echo: ipv6 $Z6/64 preferred static$" 10
  check "--mem=3: $Z6 becomes preferred" [ $? -eq 0 ]
  ping6_case "--mem=3: $Z6" "$Z6" 4000
  check "znet-echo.double --mem=3 still running at the end" stop_double
else
  not_ok "znet-echo.double boots in --mem=3"
  diag <"$mout"
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
  if start_double znet-echo "$sout" --slaac; then
    ok "znet-echo.double --slaac boots ($(grep -m1 ' mac ' "$sout"))"
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
    check "znet-echo.double --slaac still running at the end" stop_double
    fatal_case "znet-echo.double --slaac" "$sout"
    # No more advertisements for the programs after it.
    wait_bg "$radvd_pid" 0 >/dev/null 2>&1
  else
    not_ok "znet-echo.double --slaac boots"
    diag <"$sout"
  fi
else
  skip_case "SLAAC from radvd" "needs radvd"
fi

# ---- znet-dns-blocker, dual-stack --------------------------------------------

# The names to block on the command line, as on Solo5 (no files); blocked
# names need no upstream.  The upstream is dnsmasq on Linux's IPv6
# address, so a name not blocked is forwarded over IPv6.
# ---- znet-httpd: the site packed into the image -----------------------------

site=$ROOT/tests/http/www-sample
ip netns exec "$E2E_NS" timeout 10 "$bin/znet-httpd.double" \
  --net:service="$E2E_TAP" -- --ipv4="$E2E_ZNET_IP/$E2E_PREFIX" --root=/srv \
  >"$E2E_TMP/root.out" 2>&1
rc=$?
check "znet-httpd.double refuses --root (no files on Solo5): exit $rc" \
  eval '[ $rc -eq 2 ] && grep -q "site is compiled in" "$E2E_TMP/root.out"'
hout=$E2E_TMP/httpd.out
if ! command -v curl >/dev/null; then
  skip_case "znet-httpd.double serves its site" "needs curl"
elif ! start_double znet-httpd "$hout" --ipv4="$E2E_ZNET_IP/$E2E_PREFIX" \
  --max-conns=16; then
  not_ok "znet-httpd.double boots"
  diag <"$hout"
else
  check "znet-httpd.double serves the compiled-in site ($(grep -o 'serving [^,]*' "$hout"))" \
    grep -q "serving the compiled-in site (8 files" "$hout"
  got=$(in_ns curl -sS -m 10 "http://$E2E_ZNET_IP/big.bin" | sha256sum | cut -d' ' -f1)
  check "GET /big.bin: byte for byte (SHA-256)" \
    [ "$got" = "$(sha256sum <"$site/big.bin" | cut -d' ' -f1)" ]
  in_ns curl -sS -m 10 -o "$E2E_TMP/idx" "http://$E2E_ZNET_IP/docs/"
  check "GET /docs/: its index.html" cmp -s "$E2E_TMP/idx" "$site/docs/index.html"
  code=$(in_ns curl -sS -m 10 -o /dev/null -w '%{http_code}' "http://$E2E_ZNET_IP/docs")
  check "GET /docs: 301 ($code)" [ "$code" = 301 ]
  code=$(in_ns curl -sS -m 10 --path-as-is -o /dev/null -w '%{http_code}' \
    "http://$E2E_ZNET_IP/%2e%2e/%2e%2e/etc/passwd")
  check "a traversal refused ($code)" [ "$code" = 400 ]
  in_ns curl -sS -m 10 -o /dev/null -o /dev/null -v "http://$E2E_ZNET_IP/hello.txt" \
    "http://$E2E_ZNET_IP/index.html" 2>"$E2E_TMP/ka.err"
  check "two URLs over one kept-alive connection" grep -q "Re-using existing connection" "$E2E_TMP/ka.err"
  check "znet-httpd.double still running at the end" stop_double
  fatal_case znet-httpd.double "$hout"
fi

if ! command -v dig >/dev/null; then
  skip_case "znet-dns-blocker.double answers" "needs dig"
  finish
  exit $?
fi
dns_out=$E2E_TMP/dns.out
if ! start_double znet-dns-blocker "$dns_out" --ipv4="$E2E_ZNET_IP/$E2E_PREFIX" \
  --ipv6="$Z6/64" --upstream="$K6" --block=blocked.test --block=ads.example; then
  not_ok "znet-dns-blocker.double boots"
  diag <"$dns_out"
  finish
  exit 1
fi
ok "znet-dns-blocker.double boots ($(grep -m1 'blocklist' "$dns_out"))"
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
dig_status_case "www.ads.example (under a blocked name) NXDOMAIN over TCP" \
  NXDOMAIN +tcp "@$E2E_ZNET_IP" www.ads.example A
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
check "znet-dns-blocker.double still running at the end" stop_double
fatal_case znet-dns-blocker.double "$dns_out"
finish
