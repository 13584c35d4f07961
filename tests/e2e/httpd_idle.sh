#!/bin/bash
# znet-httpd holding HTTPD_IDLE_CONNS (default 20,000) idle keep-alive
# connections, on a TAP device in a private network namespace, the
# client bench/znb-hold (Linux's sockets).
#
#   httpd_idle.sh /path/to/znet-httpd /path/to/znb-hold
#
# Checks: every connection is made and answered a 1 KiB file (the bytes
# compared); while they are all held, a fresh client (curl) still gets
# the file right; after the hold every one of them is still open and
# answers a second request right; znb-hold closes them, and then the
# server has none left open (http.conns_open_at_exit 0), closed none
# for room or by a timeout, and leaked no buffer; no sanitizer report.
# About 20 s under AddressSanitizer.  znb-hold is a bench program
# (-Dbench=true, with BearSSL): without it the test skips.  Needs root,
# /dev/net/tun; otherwise skips.  Output is TAP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

HTTPD=${1:-}
HOLD=${2:-}
[ -n "$HTTPD" ] && [ -x "$HTTPD" ] ||
  { echo "usage: $0 /path/to/znet-httpd /path/to/znb-hold" >&2; exit 2; }
[ -n "$HOLD" ] && [ -x "$HOLD" ] ||
  skip_all "needs znb-hold (meson -Dbench=true, with libbearssl-dev)"
CONNS=${HTTPD_IDLE_CONNS:-20000}

need_netns
ensure_packages curl 2>&1 | diag
need_cmd curl timeout
trap e2e_cleanup EXIT
e2e_tmpdir
T=$E2E_TMP
Z=$E2E_ZNET_IP

if ! setup_netns; then
  not_ok "create network namespace with $E2E_TAP"
  finish
  exit 1
fi
in_ns sysctl -qw net.ipv4.ip_local_port_range="1024 65535"
# Room in the TAP's queue for the closing burst (the kernel would send
# the FINs it drops again, later).
in_ns ip link set dev "$E2E_TAP" txqueuelen 20000

mkdir -p "$T/www"
head -c 1024 /dev/urandom >"$T/www/1k.bin"

export ASAN_OPTIONS="quarantine_size_mb=16:${ASAN_OPTIONS:-}"
out=$T/httpd.out
err=$T/httpd.err
# Idle connections held longer than the default 30 s would be closed by
# the server; the cap is above them all.  The pool is znet-httpd's
# default, about a buffer for four connections: TCP offers every
# connection a window of a segment at least, however many share the
# pool (src/tcp/tcp_mem.c); when it offered each only its share of the
# pool, below about 1.8 buffers per connection the newest got a zero
# window and their requests waited.
if ! start_znet znet-httpd "$HTTPD" "$out" "$err" --mac "$E2E_MAC" \
  --root "$T/www" --port 80 --max-conns $((CONNS + 1024)) --busy 256 \
  --idle-timeout 600000 --log warn; then
  not_ok "znet-httpd starts"
  diag <"$err"
  finish
  exit 1
fi
grep "serving\|memory" "$out" | diag

# The holder: its standard input a FIFO held open here; closing it ends
# the hold.
mkfifo "$T/ctl"
ready=$T/ready
t0=$(now_s)
ip netns exec "$E2E_NS" timeout 100 "$HOLD" "$Z" 80 /1k.bin "$CONNS" \
  --ready "$ready" --expect "$T/www/1k.bin" --again "$CONNS" \
  --hold 90 --timeout 60 <"$T/ctl" >"$T/hold.out" 2>"$T/hold.err" &
hold_pid=$!
bg_pid "$hold_pid"
exec 7>"$T/ctl"
for _ in $(seq 1 900); do
  [ -s "$ready" ] && break
  kill -0 "$hold_pid" 2>/dev/null || break
  sleep 0.1
done
held=$(awk '{ print $2 }' "$ready" 2>/dev/null)
check "$CONNS connections made, each answered the file (held ${held:-0} in $(elapsed "$t0") s)" \
  [ "${held:-0}" = "$CONNS" ]
[ "${held:-0}" = "$CONNS" ] || diag <"$T/hold.err"

# A fresh client while they are all held.
fresh=0
for i in 1 2 3; do
  in_ns_t 10 curl -s -o "$T/fresh-$i" "http://$Z/1k.bin" &&
    cmp -s "$T/fresh-$i" "$T/www/1k.bin" && fresh=$((fresh + 1))
done
check "a fresh client, while they are held, gets the file right ($fresh/3)" [ "$fresh" = 3 ]

# The hold ends: every connection asks again, then all close.
exec 7>&-
wait_bg "$hold_pid" 60
rc=$?
line=$(grep '^znb mode=hold' "$T/hold.out")
echo "# ${line#znb }"
again=$(sed -n 's/.* again_ok=\([0-9]*\).*/\1/p' <<<"$line")
open_end=$(sed -n 's/.* open_end=\([0-9]*\).*/\1/p' <<<"$line")
check "after the hold, all $CONNS still open (${open_end:-0}) and answer a second request right (${again:-0})" \
  [ "$rc" = 0 ] && [ "${again:-0}" = "$CONNS" ] && [ "${open_end:-0}" = "$CONNS" ]
[ "$rc" = 0 ] || diag <"$T/hold.err"

# The server sees every close (FIN, its own FIN, the last ACK): 20,000
# of them take a while on a loaded machine (settle_tcp, not a fixed 3 s).
settle_tcp 80
stop_echo
rc=$?
check "znet-httpd exits 0 on SIGINT (got $rc)" [ "$rc" -eq 0 ]
grep "^  http\.\|^  tcp\.conn" "$err" | diag
reqs=$(counter "$err" http.requests)
check "the server answered $((2 * CONNS + 3)) requests ($reqs)" [ "$reqs" = $((2 * CONNS + 3)) ]
check "no connection left open at exit ($(counter "$err" http.conns_open_at_exit))" \
  [ "$(counter "$err" http.conns_open_at_exit)" = 0 ]
closed=$(($(counter "$err" http.conns_evicted_idle) + $(counter "$err" http.idle_timeouts)))
check "none closed for room or by the idle timeout ($closed)" [ "$closed" = 0 ]
no_leak_case "znet-httpd" "$err"
finish
