#!/bin/bash
# Hostile TLS clients against znet-echo's TLS port (libznet-tls): floods
# of ClientHellos closed at once, half ClientHellos, garbage, and
# connections that say nothing (or only hello) and wait, while a witness
# client (Python's ssl) completes a real handshake and echo every second
# (tls_flood.py says what each sends and how much).
#
#   tls_attack.sh /path/to/znet-echo /path/to/tests/tls
#
# Checks: the server stays up and every witness echo succeeds; its
# resident memory stays bounded (less than 16 MiB over the first
# measure: sessions live in the TCP table's bound, 64, and each holds one
# block of zn_tls_conn_size()); the silent and stalled connections are
# reset by the server itself (its 10 s handshake timeout); the counters
# name the failures (failed_peer_closed, failed_version or protocol for
# garbage, failed_timeout) and add up (sessions = handshakes ok + failed);
# at exit no session is left and no sanitizer report.  Needs root,
# /dev/net/tun, python3; otherwise skips.  Output is TAP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

ECHO=${1:-}
CERTS=${2:-}
[ -n "$ECHO" ] && [ -x "$ECHO" ] && [ -n "$CERTS" ] && [ -f "$CERTS/ca.pem" ] ||
  { echo "usage: $0 /path/to/znet-echo /path/to/tests/tls" >&2; exit 2; }
ECHO=$(cd "$(dirname "$ECHO")" && pwd)/$(basename "$ECHO")
CERTS=$(cd "$CERTS" && pwd)

need_netns
need_cmd python3 timeout ps
trap e2e_cleanup EXIT
e2e_tmpdir
T=$E2E_TMP
PORT=7443

if ! setup_netns; then
  not_ok "create network namespace with $E2E_TAP"
  finish
  exit 1
fi

# A small ASan quarantine, so that RSS shows what the program keeps, not
# what the sanitizer holds back of what it freed.
export ASAN_OPTIONS="quarantine_size_mb=4:${ASAN_OPTIONS:-}"
out=$T/echo.out
err=$T/echo.err
if ! start_echo "$ECHO" "$out" "$err" --mac "$E2E_MAC" --bufs 2048 \
  --tls-port "$PORT" --cert "$CERTS/server-ec.pem" --key "$CERTS/server-ec.key"; then
  not_ok "znet-echo --tls-port starts"
  diag <"$err"
  finish
  exit 1
fi
zpid=$(ps -o pid= --ppid "$E2E_ECHO_PID" | tr -d ' ' | head -1)
res=$T/flood.txt
t0=$(now_s)
in_ns_t 240 python3 "$here/tls_flood.py" "$E2E_ZNET_IP" "$PORT" "${zpid:-0}" \
  "$CERTS/ca.pem" >"$res" 2>&1
dt=$(elapsed "$t0")
diag <"$res"
v() { awk -v k="$1" '$1 == k { print $2 }' "$res"; }

check "the floods ran: $(v hello) ClientHellos, $(v partial) half ones, $(v garbage) garbage ($dt s)" \
  [ "$(v hello)" -ge 250 -a "$(v partial)" -ge 250 -a "$(v garbage)" -ge 250 ]
check "every witness handshake and echo succeeded ($(v witness_ok)/$(v witness), slowest $(v witness_max_ms) ms)" \
  [ "$(v witness)" -ge 5 -a "$(v witness_ok)" = "$(v witness)" ]
check "no failure reported by the flooder" eval '! grep -q "^fail" "$res"'
r0=$(v rss_start_kb)
rp=$(v rss_peak_kb)
check "memory bounded: RSS ${r0:-?} kB -> peak ${rp:-?} kB (+$(( ${rp:-0} - ${r0:-0} )) kB < 16384)" \
  [ "${r0:-0}" -gt 0 -a $(( ${rp:-0} - ${r0:-0} )) -lt 16384 ]
check "all $(v silent) silent connections reset by the server ($(v silent_reset))" \
  [ "$(v silent_reset)" = "$(v silent)" ]
check "all $(v stall) connections stalled after their hello reset by the server ($(v stall_reset))" \
  [ "$(v stall_reset)" = "$(v stall)" ]

settle_tcp "$PORT"
stop_echo
rc=$?
check "znet-echo survived and exits 0 (got $rc)" [ "$rc" -eq 0 ]
c() { counter "$err" "$1"; }
sess=$(c tls.sessions)
hok=$(c tls.handshakes_ok)
hfail=$(c tls.handshakes_failed)
check "the counters add up: sessions $sess = handshakes ok $hok + failed $hfail (+ at most the last)" \
  [ "$sess" -ge $((hok + hfail)) -a "$sess" -le $((hok + hfail + 1)) ]
check "closed mid-handshake counted: failed_peer_closed + failed_tcp $(( $(c tls.failed_peer_closed) + $(c tls.failed_tcp) )) >= $(v partial)" \
  [ $(( $(c tls.failed_peer_closed) + $(c tls.failed_tcp) )) -ge "$(v partial)" ]
check "garbage counted: failed_version + failed_protocol $(( $(c tls.failed_version) + $(c tls.failed_protocol) )) >= $(( $(v garbage) * 9 / 10 ))" \
  [ $(( $(c tls.failed_version) + $(c tls.failed_protocol) )) -ge $(( $(v garbage) * 9 / 10 )) ]
check "silence counted: failed_timeout $(c tls.failed_timeout) >= $(( $(v silent) + $(v stall) ))" \
  [ "$(c tls.failed_timeout)" -ge $(( $(v silent) + $(v stall) )) ]
check "no session left at exit ($(c tls_echo.active_at_exit))" [ "$(c tls_echo.active_at_exit)" -eq 0 ]
grep -E "^  (tls|tcp_|buf_)" "$err" | diag
no_leak_case "znet-echo" "$err"
finish
