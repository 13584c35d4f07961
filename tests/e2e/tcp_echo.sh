#!/bin/bash
# TCP end to end against Linux: znet-echo and znet-nc on a TAP device in a
# private network namespace, against netcat-openbsd and small python3
# clients.
#
#   tcp_echo.sh /path/to/znet-echo /path/to/znet-nc
#
# Checks, with znet-echo: a line and 1 MiB come back from nc; 64 MiB come
# back byte for byte (SHA-256); 64 MiB go into the discard service; 200
# connections at once each get their own data back; a client that does
# not read for a while gets everything back once it does (the echo stops
# reading while its send buffer is full); a client's reset is survived; a
# closed port answers with a reset (nc: Connection refused); at exit every
# connection has been closed and counted, nothing leaked.
# With znet-nc: Linux sends 64 MiB into znet-nc --listen --sink --sha256
# (the hash must be sha256sum's); znet-nc --send 64M to Linux's nc -l
# piped into sha256sum (the hash must be the pattern's, computed by
# nc_pattern.py, and the one znet-nc prints); stdin/stdout streams both
# ways with Linux as the client and as the server; connecting to a closed
# port fails with "connection refused" and exit 1; a reset from Linux
# makes znet-nc exit 1; usage errors exit 2.  Transfer times are printed
# as TAP comments.  Needs root, /dev/net/tun, nc, python3, sha256sum;
# otherwise skips.  Output is TAP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

ECHO=${1:-}
NC=${2:-}
[ -n "$ECHO" ] && [ -x "$ECHO" ] && [ -n "$NC" ] && [ -x "$NC" ] ||
  { echo "usage: $0 /path/to/znet-echo /path/to/znet-nc" >&2; exit 2; }
ECHO=$(cd "$(dirname "$ECHO")" && pwd)/$(basename "$ECHO")
E2E_NC=$(cd "$(dirname "$NC")" && pwd)/$(basename "$NC")

need_netns
need_cmd nc python3 sha256sum timeout cmp ss
trap e2e_cleanup EXIT
e2e_tmpdir
T=$E2E_TMP
out=$T/echo.out
err=$T/echo.err
Z=$E2E_ZNET_IP
K=$E2E_KERNEL_IP
BIG=$((64 << 20))

if ! setup_netns; then
  not_ok "create network namespace with $E2E_TAP"
  finish
  exit 1
fi

head -c "$BIG" /dev/urandom >"$T/r64"
head -c $((1 << 20)) /dev/urandom >"$T/r1"
head -c 777777 /dev/urandom >"$T/r2"
r64sum=$(sha256sum <"$T/r64" | cut -d' ' -f1)

# ---- znet-echo ------------------------------------------------------------

# 200 connections at once hold many frame buffers (each connection's
# received data waits in the frames it came in until it is echoed): a
# pool much larger than the default's 512.
if ! start_echo "$ECHO" "$out" "$err" --mac "$E2E_MAC" --tcp-conns 256 --bufs 16384; then
  not_ok "znet-echo starts on tap:$E2E_TAP"
  diag <"$err"
  finish
  exit 1
fi
check "znet-echo says it echoes TCP on port 7" grep -q "echoing TCP on port 7 " "$out"
check "znet-echo says it discards on port 9" grep -q "discarding UDP and TCP on port 9$" "$out"

got=$(printf 'hello over tcp\n' | in_ns_t 10 nc -N "$Z" 7 2>&1)
check "nc: a line comes back (got '$got')" [ "$got" = "hello over tcp" ]

in_ns_t 30 nc -N "$Z" 7 <"$T/r1" >"$T/r1.back" 2>"$T/nc.err"
check "nc: 1 MiB comes back byte for byte" cmp -s "$T/r1" "$T/r1.back"

t0=$(now_s)
back=$(in_ns_t 60 nc -N "$Z" 7 <"$T/r64" 2>"$T/nc.err" | sha256sum | cut -d' ' -f1)
dt=$(elapsed "$t0")
check "nc: 64 MiB come back, SHA-256 equal (${dt} s round trip)" [ "$back" = "$r64sum" ]
echo "# 64 MiB echoed (64 MiB each way at once) in $dt s: $(mbit "$BIG" "$dt") Mbit/s each way"

t0=$(now_s)
in_ns_t 60 nc -N "$Z" 9 <"$T/r64" >"$T/discard.out" 2>"$T/nc.err"
rc=$?
dt=$(elapsed "$t0")
check "nc: 64 MiB into the discard service, exit 0 (got $rc; ${dt} s)" [ "$rc" -eq 0 ]
check "the discard service sends nothing back" [ ! -s "$T/discard.out" ]
echo "# 64 MiB discarded in $dt s: $(mbit "$BIG" "$dt") Mbit/s"
echo "udp discard" | in_ns_t 5 nc -u -w 1 "$Z" 9 >"$T/udpdiscard.out" 2>&1
check "UDP discard: no answer" [ ! -s "$T/udpdiscard.out" ]

cout=$T/clients.out
in_ns_t 90 python3 "$here/tcp_clients.py" "$Z" 7 200 20000 60 1 >"$cout" 2>&1
rc=$?
check "200 connections at once, each echoed correctly ($(tail -n 1 "$cout"))" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || head -n 20 "$cout" | diag

in_ns_t 90 python3 "$here/tcp_clients.py" "$Z" 7 2 8000000 60 2 2 >"$cout" 2>&1
rc=$?
check "backpressure: 2 clients send 4-8 MB and read only after 2 s, all back ($(tail -n 1 "$cout"))" \
  [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || head -n 20 "$cout" | diag

in_ns_t 60 python3 "$here/tcp_reset.py" "$Z" 7 100000 >"$T/reset.out" 2>&1
check "a client resets its connection mid-stream" [ $? -eq 0 ]
got=$(printf 'still here\n' | in_ns_t 10 nc -N "$Z" 7 2>&1)
check "after the reset the echo still answers (got '$got')" [ "$got" = "still here" ]

in_ns_t 10 nc -v -N "$Z" 8 </dev/null >"$T/closed.out" 2>&1
rc=$?
check "closed port 8: nc fails with Connection refused (a RST; exit $rc)" \
  eval '[ "$rc" -ne 0 ] && grep -q "Connection refused" "$T/closed.out"'

# Everything should be closed by now; the last close needs the client's
# final ACK, taken before the stop (settle_tcp).
settle_tcp 7 9
stop_echo
rc=$?
check "znet-echo exits 0 on SIGINT (got $rc)" [ "$rc" -eq 0 ]
cp "$err" "$T/echo-first.err"
acc=$(counter "$err" tcp_echo.accepted)
closed=$(counter "$err" tcp_echo.closed)
left=$(counter "$err" tcp_echo.active_at_exit)
maxa=$(counter "$err" tcp_echo.max_active)
errs=$(counter "$err" tcp_echo.errors)
bin=$(counter "$err" tcp_echo.bytes_in)
bout=$(counter "$err" tcp_echo.bytes_out)
stalls=$(counter "$err" tcp_echo.stalls)
dbytes=$(counter "$err" tcp_discard.bytes_in)
dacc=$(counter "$err" tcp_discard.accepted)
udpd=$(counter "$err" udp_discard.datagrams)
noport=$(counter "$err" tcp_drop_noport)
check "tcp_echo.accepted >= 207 (got $acc)" [ "$acc" -ge 207 ]
check "every echo connection closed before exit: closed $closed of $acc, $left reset at exit" \
  [ "$closed" -eq "$acc" -a "$left" -eq 0 ]
grep "resetting at exit" "$err" | diag
check "tcp_echo.max_active >= 50: the clients were served at once (got $maxa)" [ "$maxa" -ge 50 ]
check "tcp_echo.errors >= 1: the client's reset (got $errs)" [ "$errs" -ge 1 ]
check "tcp_echo.bytes_in = bytes_out (got $bin, $bout)" [ "$bin" -eq "$bout" -a "$bin" -gt "$BIG" ]
check "tcp_echo.stalls >= 1: reading paused while the send buffer was full (got $stalls)" [ "$stalls" -ge 1 ]
check "tcp_discard: 1 connection, 64 MiB (got $dacc, $dbytes)" [ "$dacc" -eq 1 -a "$dbytes" -eq "$BIG" ]
check "udp_discard.datagrams = 1 (got $udpd)" [ "$udpd" -eq 1 ]
check "tcp_drop_noport >= 1: the SYN to port 8 (got $noport)" [ "$noport" -ge 1 ]
no_leak_case "znet-echo" "$err"

# ---- znet-nc ---------------------------------------------------------------

# Linux -> znet: 64 MiB into znet-nc --sink, hashed as it is consumed.
nout=$T/nc.out
nerr=$T/nc.err
if start_nc_listen "$nout" "$nerr" 0.0.0.0 5001 --sink --sha256 -w 30; then
  t0=$(now_s)
  in_ns_t 60 nc -N "$Z" 5001 <"$T/r64" 2>"$T/lnc.err"
  lrc=$?
  wait_nc 30
  rc=$?
  dt=$(elapsed "$t0")
  check "Linux nc -> znet-nc --sink: both exit 0 (got $lrc, $rc; ${dt} s)" [ "$lrc" -eq 0 -a "$rc" -eq 0 ]
  check "znet-nc received 64 MiB, SHA-256 equal to sha256sum's" \
    grep -q "^znet-nc: sha256 received $r64sum\$" "$nerr"
  check "znet-nc says it closed cleanly" grep -q "^znet-nc: closed cleanly" "$nerr"
  grep "^znet-nc: \(received\|tcp\)" "$nerr" | diag
  no_leak_case "znet-nc --sink" "$nerr"
else
  not_ok "znet-nc --listen --sink starts"
  diag <"$nerr"
fi

# znet -> Linux: 64 MiB of the pattern, zero copy, into nc -l | sha256sum.
want=$(python3 "$here/nc_pattern.py" "$BIG")
lsum=$T/linux.sha
linux_listen 5002 "$lsum" sha256sum
lpid=$E2E_LPID
t0=$(now_s)
znet_nc "$K" 5002 --send 64M --sha256 -w 30 >"$nout" 2>"$nerr"
rc=$?
wait_bg "$lpid" 30
dt=$(elapsed "$t0")
got=$(cut -d' ' -f1 <"$lsum")
check "znet-nc --send 64M -> Linux nc -l: exit 0 (got $rc; ${dt} s)" [ "$rc" -eq 0 ]
check "Linux received the pattern: sha256sum = nc_pattern.py's" [ "$got" = "$want" ]
check "znet-nc's own SHA-256 of what it sent is the same" grep -q "^znet-nc: sha256 sent $want\$" "$nerr"
grep "^znet-nc: \(sent\|tcp\)" "$nerr" | diag
no_leak_case "znet-nc --send" "$nerr"

# The TAP offloads (on by default): the 64 MiB each way went as TSO
# frames and coalesced frames.  Then the same with no large buffer (every
# coalesced frame cut into segments in the TAP backend) and with the
# offloads off, hashed end to end each time.
stat_of() { sed -n "s/^ *$1  *\([0-9]*\)\$/\1/p" "$2" | head -1; }
if start_nc_listen "$nout" "$nerr" 0.0.0.0 5011 --sink --sha256 -w 30 -v; then
  in_ns_t 60 nc -N "$Z" 5011 <"$T/r64" 2>"$T/lnc.err"
  wait_nc 30
  rc=$?
  gso=$(stat_of tap.rx_gso "$nerr")
  check "offloads: Linux -> znet-nc, 64 MiB, SHA-256 right (exit $rc)" \
    grep -q "^znet-nc: sha256 received $r64sum\$" "$nerr"
  check "offloads: the kernel sent coalesced frames, taken whole (tap.rx_gso ${gso:-0})" \
    [ "${gso:-0}" -gt 0 -a -z "$(stat_of tap.rx_gso_bad "$nerr")" ]
  no_leak_case "znet-nc --sink, offloads" "$nerr"
else
  not_ok "znet-nc --listen --sink -v starts"
  diag <"$nerr"
fi
if start_nc_listen "$nout" "$nerr" 0.0.0.0 5012 --sink --sha256 -w 30 -v --bigbufs 0; then
  in_ns_t 60 nc -N "$Z" 5012 <"$T/r64" 2>"$T/lnc.err"
  wait_nc 30
  rc=$?
  split=$(stat_of tap.rx_gso_split "$nerr")
  check "offloads, no large buffer: Linux -> znet-nc, 64 MiB, SHA-256 right (exit $rc)" \
    grep -q "^znet-nc: sha256 received $r64sum\$" "$nerr"
  check "offloads, no large buffer: coalesced frames cut into segments (tap.rx_gso_split ${split:-0})" \
    [ "${split:-0}" -gt 0 ]
  no_leak_case "znet-nc --sink --bigbufs 0" "$nerr"
else
  not_ok "znet-nc --listen --sink --bigbufs 0 starts"
  diag <"$nerr"
fi
for mode in offload no-offload; do
  extra=()
  [ "$mode" = no-offload ] && extra=(--no-offload)
  linux_listen 5013 "$lsum" sha256sum
  lpid=$E2E_LPID
  znet_nc "$K" 5013 --send 64M --sha256 -w 30 -v "${extra[@]}" >"$nout" 2>"$nerr"
  rc=$?
  wait_bg "$lpid" 30
  got=$(cut -d' ' -f1 <"$lsum")
  tso=$(stat_of tap.tx_tso "$nerr")
  check "$mode: znet-nc --send 64M -> Linux: exit 0, Linux's SHA-256 right (got $rc)" \
    [ "$rc" -eq 0 -a "$got" = "$want" ]
  if [ "$mode" = offload ]; then
    check "offload: TSO frames sent (tap.tx_tso ${tso:-0})" [ "${tso:-0}" -gt 0 ]
  else
    check "no-offload: no TSO frame, no checksum left to the kernel" \
      [ -z "$tso" -a -z "$(stat_of tap.tx_csum "$nerr")" ]
  fi
  no_leak_case "znet-nc --send, $mode" "$nerr"
done

# Streams both ways, Linux as the client: znet-nc's stdin (r2) reaches
# Linux, Linux's (r1) reaches znet-nc's stdout.
if E2E_NC_STDIN=$T/r2 start_nc_listen "$T/fromlinux" "$nerr" 0.0.0.0 5003 -w 30; then
  in_ns_t 60 nc -N "$Z" 5003 <"$T/r1" >"$T/fromznet" 2>"$T/lnc.err"
  lrc=$?
  wait_nc 30
  rc=$?
  check "stdin/stdout both ways, Linux the client: exit 0 both (got $lrc, $rc)" [ "$lrc" -eq 0 -a "$rc" -eq 0 ]
  check "Linux got znet-nc's stdin" cmp -s "$T/r2" "$T/fromznet"
  check "znet-nc's stdout got Linux's stdin" cmp -s "$T/r1" "$T/fromlinux"
else
  not_ok "znet-nc --listen (stream mode) starts"
  diag <"$nerr"
fi

# Linux as the server: znet-nc connects, its stdin goes to nc -l.
linux_listen 5004 "$T/gotr1"
lpid=$E2E_LPID
znet_nc "$K" 5004 -w 30 <"$T/r1" >"$nout" 2>"$nerr"
rc=$?
wait_bg "$lpid" 30
check "znet-nc -> Linux nc -l, stdin: exit 0 (got $rc)" [ "$rc" -eq 0 ]
check "Linux got znet-nc's stdin byte for byte" cmp -s "$T/r1" "$T/gotr1"

# A closed port on Linux: the kernel resets the SYN.
znet_nc "$K" 5999 -w 10 </dev/null >"$nout" 2>"$nerr"
rc=$?
check "znet-nc to a closed port: exit 1 (got $rc)" [ "$rc" -eq 1 ]
check "znet-nc to a closed port: 'connection refused'" grep -q "failed: connection refused" "$nerr"

# A reset from Linux in the middle of a transfer.
if start_nc_listen "$nout" "$nerr" 0.0.0.0 5005 --sink -w 30; then
  in_ns_t 60 python3 "$here/tcp_reset.py" "$Z" 5005 300000 >"$T/reset.out" 2>&1
  wait_nc 30
  rc=$?
  check "a reset from Linux: znet-nc exits 1 (got $rc)" [ "$rc" -eq 1 ]
  check "a reset from Linux: 'connection reset by peer'" grep -q "failed: connection reset by peer" "$nerr"
  no_leak_case "znet-nc after a reset" "$nerr"
else
  not_ok "znet-nc --listen --sink starts"
  diag <"$nerr"
fi

# Usage errors.
for bad in "--send 1M --sink $K 5000" "$K" "$K 0" "$K 70000" "--send 1X $K 5000" \
  "0.0.0.0 5000" "--listen $K 5000 -w 0"; do
  # shellcheck disable=SC2086
  timeout 10 "$E2E_NC" --netif tap:zn0 --ipv4 "$Z/24" $bad >/dev/null 2>"$T/bad.err" </dev/null
  rc=$?
  check "znet-nc $bad: exit 2 (got $rc)" [ "$rc" -eq 2 ]
done

echo "# znet-echo counters:"
grep "tcp_\|udp_discard" "$T/echo-first.err" | diag
finish
