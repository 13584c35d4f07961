#!/bin/bash
# UDP end to end against Linux: znet-echo on a TAP device in a private
# network namespace, its UDP echo exercised by netcat-openbsd and socat.
#
#   udp_echo.sh /path/to/znet-echo
#
# Needs root and /dev/net/tun; otherwise skips (see lib.sh for the status).
# Checks: small datagrams come back from nc -u and socat; a 4000-byte
# datagram (fragmented both ways) and a 1472-byte one (a full frame) come
# back byte for byte; a closed port draws ICMP port unreachable (socat
# sees "Connection refused", udp_drop_noport and icmp_err_tx count it);
# datagrams from the echo port itself and to the broadcast address are
# not echoed; --port moves the service; znet-echo exits 0 without a leak.
# Output is TAP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

ECHO=${1:-}
[ -n "$ECHO" ] && [ -x "$ECHO" ] || { echo "usage: $0 /path/to/znet-echo" >&2; exit 2; }
ECHO=$(cd "$(dirname "$ECHO")" && pwd)/$(basename "$ECHO")

need_netns
need_cmd nc socat timeout cmp
trap e2e_cleanup EXIT
e2e_tmpdir
out=$E2E_TMP/echo.out
err=$E2E_TMP/echo.err

if ! setup_netns; then
  not_ok "create network namespace with $E2E_TAP"
  finish
  exit 1
fi

if ! start_echo "$ECHO" "$out" "$err"; then
  not_ok "znet-echo starts on tap:$E2E_TAP"
  diag <"$err"
  finish
  exit 1
fi
check "znet-echo says it echoes UDP on port 7" grep -q "echoing UDP on port 7$" "$out"

# nc_case NAME PORT TEXT: one datagram with nc -u (lib.sh's udp_line);
# the same text must come back.
nc_case() {
  local name=$1 port=$2 text=$3 got
  got=$(udp_line "$E2E_ZNET_IP" "$port" "$text")
  if [ "$got" = "$text" ]; then
    ok "$name"
  else
    not_ok "$name (got '$got')"
  fi
}

nc_case "nc -u: a small datagram comes back" 7 "hello from linux"

# socat_case NAME SIZE: SIZE random bytes in one datagram through socat
# (it sends what one read of stdin returns, up to -b bytes); the reply
# must be the same bytes.  readbytes: socat ends once SIZE bytes came
# back, so -t (how long it waits for them after stdin's end; 0.5 s by
# default) can be long enough for a loaded machine at no cost.
socat_case() {
  local name=$1 size=$2 f=$E2E_TMP/dgram-$2
  head -c "$size" /dev/urandom >"$f"
  in_ns timeout 20 socat -b 65536 -t 15 - "UDP:$E2E_ZNET_IP:7,readbytes=$size" \
    <"$f" >"$f.back" 2>"$f.err"
  if cmp -s "$f" "$f.back"; then
    ok "$name"
  else
    not_ok "$name (got $(wc -c <"$f.back") bytes back)"
    diag <"$f.err"
  fi
}

socat_case "socat: a 100-byte datagram comes back" 100
socat_case "socat: a 1472-byte datagram (one full frame) comes back" 1472
socat_case "socat: a 4000-byte datagram (fragmented both ways) comes back" 4000
socat_case "socat: an 8000-byte datagram (6 fragments) comes back" 8000

# Several datagrams on one socket, one after another.  Each line is 7
# bytes and socat reads at most -b 7 at a time from the file, so each
# line is a datagram of its own whatever the scheduling (from a pipe,
# socat once read two lines at once and sent them as one datagram: 9
# echoed, not 10).  It ends once the 35 bytes came back (readbytes).
lines=$E2E_TMP/lines
for i in 1 2 3 4 5; do echo "line $i"; done >"$lines"
got=$(in_ns timeout 20 socat -b 7 -t 15 - "UDP:$E2E_ZNET_IP:7,readbytes=35" \
  <"$lines" 2>/dev/null)
if [ "$got" = "$(cat "$lines")" ]; then
  ok "socat: 5 datagrams on one socket come back in order"
else
  not_ok "socat: 5 datagrams on one socket come back in order"
  echo "$got" | diag
fi

# A closed port: the kernel gets ICMP port unreachable, which socat reports
# as ECONNREFUSED on its connected socket, and ends.  -t 15: how long it
# waits for that after stdin's end (0.5 s by default, a round trip a
# loaded machine may take).
cerr=$E2E_TMP/closed.err
echo probe | in_ns timeout 20 socat -t 15 - "UDP:$E2E_ZNET_IP:11" >/dev/null 2>"$cerr"
if grep -q "Connection refused" "$cerr"; then
  ok "closed port 11: ICMP port unreachable (socat: Connection refused)"
else
  not_ok "closed port 11: ICMP port unreachable (socat: Connection refused)"
  diag <"$cerr"
fi

# Loop protection: a datagram from port 7 (another echo service) and one
# to the broadcast address are ignored, not echoed.
got=$(printf 'ping-pong\n' | in_ns timeout 5 nc -u -w 1 -p 7 "$E2E_ZNET_IP" 7 2>&1)
check "a datagram from source port 7 is not echoed (got '$got')" [ -z "$got" ]
echo bcast | in_ns timeout 5 socat -T 1 - "UDP-DATAGRAM:10.77.0.255:7,broadcast" \
  >"$E2E_TMP/bcast.out" 2>/dev/null
check "a datagram to the broadcast address is not echoed" [ ! -s "$E2E_TMP/bcast.out" ]

stop_echo
rc=$?
check "znet-echo exits 0 on SIGINT (got $rc)" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || diag <"$err"
cp "$err" "$E2E_TMP/first.err"

echoed=$(counter "$err" udp_echo.echoed)
ignored=$(counter "$err" udp_echo.ignored)
noport=$(counter "$err" udp_drop_noport)
icmperr=$(counter "$err" icmp_err_tx)
reass=$(counter "$err" ip_reass_ok)
fragtx=$(counter "$err" ip_frag_tx)
# Exactly what was sent to port 7: nc's line, socat's 4 datagrams, the 5
# lines (each its own datagram, above).
check "udp_echo.echoed = 10 (got $echoed)" [ "$echoed" -eq 10 ]
check "udp_echo.ignored >= 2: source port 7 and broadcast (got $ignored)" [ "$ignored" -ge 2 ]
check "udp_drop_noport >= 1 and icmp_err_tx >= 1 (got $noport, $icmperr)" \
  [ "$noport" -ge 1 -a "$icmperr" -ge 1 ]
check "ip_reass_ok >= 2: large datagrams reassembled (got $reass)" [ "$reass" -ge 2 ]
check "ip_frag_tx >= 8: large replies fragmented (got $fragtx)" [ "$fragtx" -ge 8 ]
if grep -q "still in use\|ERROR: AddressSanitizer\|runtime error:" "$err"; then
  not_ok "no buffer leaked, no sanitizer report"
  diag <"$err"
else
  ok "no buffer leaked, no sanitizer report"
fi

# --port moves the service: port 7 is closed then.
if start_echo "$ECHO" "$out" "$err" --port 5007; then
  check "znet-echo --port 5007 says so" grep -q "echoing UDP on port 5007$" "$out"
  nc_case "nc -u: echo on port 5007" 5007 "moved"
  echo probe | in_ns timeout 20 socat -t 15 - "UDP:$E2E_ZNET_IP:7" >/dev/null 2>"$cerr"
  check "port 7 is closed with --port 5007" grep -q "Connection refused" "$cerr"
  stop_echo
  rc=$?
  check "znet-echo --port 5007 exits 0 (got $rc)" [ "$rc" -eq 0 ]
else
  not_ok "znet-echo --port 5007 starts"
  diag <"$err"
fi

# Bad --port values are usage errors.
for bad in 0 65536 seven; do
  timeout 5 "$ECHO" --netif tap:zn0 --ipv4 10.0.0.2/24 --port "$bad" >/dev/null 2>"$E2E_TMP/bad.err"
  rc=$?
  check "--port $bad: exit 2 (got $rc)" [ "$rc" -eq 2 ]
done

echo "# znet-echo counters (first run):"
diag <"$E2E_TMP/first.err"
finish
