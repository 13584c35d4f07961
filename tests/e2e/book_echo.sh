#!/bin/bash
# The book's echo server (examples/book/echo.c, chapter 2) on Linux: the
# program built against libznet-app, on a TAP device in a private network
# namespace, against netcat-openbsd and socat.
#
#   book_echo.sh /path/to/echo
#
# Checks: the banner "echo: ADDR mac MAC on tap:NAME"; ping; UDP echo of a
# line (nc -u) and of 100, 1472 (a full frame) and 4000 bytes (fragmented
# both ways) byte for byte (socat); TCP echo of a line, of 256 KiB and of
# 4 MiB by SHA-256 (nc -N: the send buffer fills, so the echo writes short
# and finishes on on_writable) and of 256 KiB through socat; 6 clients at
# once, each getting its own bytes back; with a table of 8 connections,
# 12 clients that reset mid-stream and then a line still echoed (the echo
# closes a failed connection's handle); the program's own arguments after
# "--" taken; --help exits 0 with the usage line, a bad flag and a word
# before "--" exit 1 with one line each; SIGINT ends it with status 0, no
# buffer leaked, no sanitizer report.  Needs root, /dev/net/tun, nc,
# socat, python3, sha256sum; otherwise skips.  Output is TAP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

ECHO=${1:-}
[ -n "$ECHO" ] && [ -x "$ECHO" ] || { echo "usage: $0 /path/to/echo" >&2; exit 2; }
ECHO=$(cd "$(dirname "$ECHO")" && pwd)/$(basename "$ECHO")

need_netns
need_cmd nc socat python3 sha256sum timeout cmp
trap e2e_cleanup EXIT
e2e_tmpdir
T=$E2E_TMP
Z=$E2E_ZNET_IP

if ! setup_netns; then
  not_ok "create network namespace with $E2E_TAP"
  finish
  exit 1
fi

# ---- usage -------------------------------------------------------------------

"$ECHO" --help >"$T/help.out" 2>&1
rc=$?
check "--help exits 0 (got $rc)" [ "$rc" -eq 0 ]
check "--help prints the usage line and znet's flags" \
  eval 'grep -q "^usage: echo \[OPTIONS\] \[-- ARGUMENTS\]$" "$T/help.out" &&
    grep -q -- "--netif tap:NAME" "$T/help.out" && grep -q -- "--tcp-sndbuf" "$T/help.out"'
usage_case() {
  local name=$1 want=$2
  shift 2
  "$ECHO" "$@" >"$T/usage.out" 2>"$T/usage.err"
  local rc=$?
  if [ "$rc" -eq 1 ] && [ "$(wc -l <"$T/usage.err")" -eq 1 ] &&
    grep -q "^echo: $want" "$T/usage.err" && [ ! -s "$T/usage.out" ]; then
    ok "$name: exit 1, one line ($(cat "$T/usage.err"))"
  else
    not_ok "$name: exit 1 and one line 'echo: $want...' (got $rc)"
    diag <"$T/usage.err"
  fi
}
usage_case "a bad --ipv4" "bad --ipv4 '10.0.0.300/24'" --netif tap:zn0 --ipv4 10.0.0.300/24
usage_case "no --netif" "no --netif given"
usage_case "a word before --" "unexpected argument 'seven'" --netif tap:zn0 seven

# ---- serving -----------------------------------------------------------------

out=$T/echo.out
err=$T/echo.err
if ! start_znet echo "$ECHO" "$out" "$err" --mac "$E2E_MAC" --tcp-conns 8 \
  -- the program\'s own words; then
  not_ok "echo starts on tap:$E2E_TAP"
  diag <"$err"
  finish
  exit 1
fi
check "the banner: $(head -n 1 "$out")" \
  grep -qx "echo: $Z/$E2E_PREFIX mac $E2E_MAC on tap:$E2E_TAP" "$out"
ping_case 56

got=$(udp_line "$Z" 7 "hello over udp")
check "UDP: a line comes back from nc -u (got '$got')" [ "$got" = "hello over udp" ]
for size in 100 1472 4000; do
  f=$T/dgram-$size
  head -c "$size" /dev/urandom >"$f"
  # readbytes: socat ends once the datagram came back, so its wait for
  # it after stdin's end (-t, 0.5 s by default) can be long.
  in_ns timeout 20 socat -b 65536 -t 15 - "UDP:$Z:7,readbytes=$size" <"$f" >"$f.back" 2>"$f.err"
  check "UDP: a $size-byte datagram comes back byte for byte (socat)" cmp -s "$f" "$f.back"
done

got=$(printf 'hello over tcp\n' | in_ns_t 10 nc -N "$Z" 7 2>&1)
check "TCP: a line comes back from nc -N (got '$got')" [ "$got" = "hello over tcp" ]

# tcp_case NAME BYTES CLIENT...: BYTES random bytes through the client
# (reading stdin, writing stdout); what comes back must hash the same.
tcp_case() {
  local name=$1 bytes=$2 f=$T/tcp-$2
  shift 2
  head -c "$bytes" /dev/urandom >"$f"
  local want back t0
  want=$(sha256sum <"$f" | cut -d' ' -f1)
  t0=$(now_s)
  back=$("$@" <"$f" 2>"$f.err" | sha256sum | cut -d' ' -f1)
  check "$name ($(elapsed "$t0") s)" [ "$back" = "$want" ]
  [ "$back" = "$want" ] || diag <"$f.err"
}
tcp_case "TCP: 256 KiB come back, SHA-256 equal (nc -N)" $((256 << 10)) \
  in_ns_t 30 nc -N "$Z" 7
tcp_case "TCP: 4 MiB come back, SHA-256 equal (nc -N)" $((4 << 20)) \
  in_ns_t 60 nc -N "$Z" 7
tcp_case "TCP: 256 KiB come back, SHA-256 equal (socat)" $((256 << 10)) \
  in_ns_t 30 socat -b 65536 - "TCP:$Z:7,shut-down"

# Six clients at once (the table holds 8: the listener and 7).
head -c $((512 << 10)) /dev/urandom >"$T/many"
want=$(sha256sum <"$T/many" | cut -d' ' -f1)
pids=""
for i in 1 2 3 4 5 6; do
  (in_ns_t 60 nc -N "$Z" 7 <"$T/many" | sha256sum | cut -d' ' -f1 >"$T/many.$i") &
  pids="$pids $!"
done
for p in $pids; do wait "$p"; done
same=0
for i in 1 2 3 4 5 6; do [ "$(cat "$T/many.$i")" = "$want" ] && same=$((same + 1)); done
check "TCP: 6 clients at once, 512 KiB each, all come back ($same of 6)" [ "$same" -eq 6 ]

# Resets: each client's handle must be closed (on_error), or 7 of them
# would fill the table of 8 and the line after them would find no room.
resets=0
for i in $(seq 1 12); do
  in_ns_t 60 python3 "$here/tcp_reset.py" "$Z" 7 100000 >/dev/null 2>&1 &&
    resets=$((resets + 1))
done
check "TCP: 12 clients reset their connections mid-stream ($resets of 12)" [ "$resets" -eq 12 ]
sleep 0.5
got=$(printf 'after the resets\n' | in_ns_t 10 nc -N "$Z" 7 2>&1)
check "TCP: then a line still comes back (got '$got')" [ "$got" = "after the resets" ]

stop_echo
rc=$?
check "echo exits 0 on SIGINT (got $rc)" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || diag <"$err"
no_leak_case "echo" "$err"
finish
