#!/bin/bash
# End to end through the Solo5 ABI test double: znet-echo and
# znet-dns-blocker compiled for Solo5 (freestanding, znet's runtime,
# netif/solo5.c; no libc in the process) and linked with tests/solo5/
# double.c, which stands in for solo5-spt on a TAP device in a private
# network namespace, against the Linux kernel.
#
#   solo5_e2e.sh SOURCE_ROOT
#
# Builds the two programs with scripts/check-freestanding --double (gcc,
# x86_64), then checks: ping (default size, a full 1500-byte frame,
# 4000 bytes fragmented both ways), arping, UDP echo (nc), TCP echo of
# 1 MiB checked by SHA-256, a frame longer than the backend's buffer
# (the ABI cuts it; the backend must drop it and go on), and names
# blocked on znet-dns-blocker's command line answered over UDP and TCP
# (dig).  Needs root and /dev/net/tun, else skips.  Output is TAP.
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

if ! timeout 280 bash "$ROOT/scripts/check-freestanding" --double "$bin" "$ROOT" \
  >"$E2E_TMP/build.log" 2>&1 || [ ! -x "$bin/znet-echo.double" ]; then
  not_ok "build the examples for Solo5 with the ABI test double"
  tail -20 "$E2E_TMP/build.log" | diag
  finish
  exit 1
fi
ok "build the examples for Solo5 with the ABI test double"

if ! setup_netns; then
  not_ok "create network namespace with $E2E_TAP"
  finish
  exit 1
fi
ok "network namespace $E2E_NS with $E2E_TAP $E2E_KERNEL_IP/$E2E_PREFIX"

# start_double PROG OUT ARGS...: PROG.double on the TAP, bounded to 120 s,
# the unikernel's command line ARGS; waits (at most 10 s) for its banner.
start_double() {
  local prog=$1 out=$2
  shift 2
  ip netns exec "$E2E_NS" timeout --foreground 120 "$bin/$prog.double" \
    --net:service="$E2E_TAP" --net-mac:service=$E2E_MAC --mem=64 -- \
    --ipv4="$E2E_ZNET_IP/$E2E_PREFIX" "$@" >"$out" 2>&1 &
  E2E_ECHO_PID=$!
  wait_banner "$prog" "$out"
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

out=$E2E_TMP/echo.out
if ! start_double znet-echo "$out"; then
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

head -c 1048576 /dev/urandom >"$E2E_TMP/tcp.in"
want=$(sha256sum <"$E2E_TMP/tcp.in" | cut -d' ' -f1)
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

check "znet-echo.double still running at the end" stop_double
if grep -q "fatal\|abort" "$out"; then
  not_ok "znet-echo.double reported no fatal error"
  diag <"$out"
else
  ok "znet-echo.double reported no fatal error"
fi

# DNS: the names to block on the command line, as on Solo5 (no files);
# blocked names need no upstream.
if ! command -v dig >/dev/null; then
  skip_case "znet-dns-blocker.double answers" "needs dig"
  finish
  exit $?
fi
dns_out=$E2E_TMP/dns.out
if ! start_double znet-dns-blocker "$dns_out" --upstream="$E2E_KERNEL_IP" \
  --block=blocked.test --block=ads.example; then
  not_ok "znet-dns-blocker.double boots"
  diag <"$dns_out"
  finish
  exit 1
fi
ok "znet-dns-blocker.double boots ($(grep -m1 'blocklist' "$dns_out"))"
ans=$(in_ns dig +time=2 +tries=2 "@$E2E_ZNET_IP" blocked.test A 2>&1)
if echo "$ans" | grep -q "status: NXDOMAIN"; then
  ok "blocked.test answered NXDOMAIN by the blocker"
else
  not_ok "blocked.test answered NXDOMAIN by the blocker"
  echo "$ans" | diag
fi
ans=$(in_ns dig +tcp +time=2 +tries=2 "@$E2E_ZNET_IP" www.ads.example A 2>&1)
if echo "$ans" | grep -q "status: NXDOMAIN"; then
  ok "www.ads.example (under a blocked name) NXDOMAIN over TCP"
else
  not_ok "www.ads.example (under a blocked name) NXDOMAIN over TCP"
  echo "$ans" | diag
fi
check "znet-dns-blocker.double still running at the end" stop_double
finish
