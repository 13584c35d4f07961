#!/bin/bash
# Hostile clients against znet-httpd (attack_httpd.py says what each
# does): slowloris, a burst of idle connections past the cap, huge heads,
# 10,000 pipelined requests on one connection, a TLS ClientHello flood
# and connections closed or reset mid-handshake, while a witness fetches
# a file every half second over a fresh connection.
#
#   attack_httpd.sh /path/to/znet-httpd /path/to/tests/tls
#
# Checks: the slow connections are closed by the server within the
# header timeout (3 s here, +2 s); the idle burst is met by closing the
# oldest idle connections, never the witness's; both huge heads get 431
# and a close; all 10,000 pipelined requests are answered in order; every
# witness fetch succeeds; the server's resident memory stays bounded
# (less than 16 MiB over its start); the counters name what happened
# (header_timeouts, conns_evicted_idle, status_431, the TLS failures by
# reason); at exit no buffer leaked and no sanitizer report.  Needs root,
# /dev/net/tun, python3; otherwise skips.  Output is TAP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

HTTPD=${1:-}
CERTS=${2:-}
[ -n "$HTTPD" ] && [ -x "$HTTPD" ] && [ -n "$CERTS" ] && [ -f "$CERTS/ca.pem" ] ||
  { echo "usage: $0 /path/to/znet-httpd /path/to/tests/tls" >&2; exit 2; }
HTTPD=$(cd "$(dirname "$HTTPD")" && pwd)/$(basename "$HTTPD")
CERTS=$(cd "$CERTS" && pwd)

need_netns
need_cmd python3 timeout ps
trap e2e_cleanup EXIT
e2e_tmpdir
T=$E2E_TMP
MAX_CONNS=64
HEADER_TIMEOUT_MS=3000

if ! setup_netns; then
  not_ok "create network namespace with $E2E_TAP"
  finish
  exit 1
fi

mkdir -p "$T/www"
head -c 1024 /dev/urandom >"$T/www/1k.bin"
printf 'a small text file' >"$T/www/small.txt"

# A small ASan quarantine, so that RSS shows what the program keeps.
export ASAN_OPTIONS="quarantine_size_mb=4:${ASAN_OPTIONS:-}"
out=$T/httpd.out
err=$T/httpd.err
if ! start_znet znet-httpd "$HTTPD" "$out" "$err" --mac "$E2E_MAC" \
  --root "$T/www" --tls-port 443 --cert "$CERTS/server-ec.pem" \
  --key "$CERTS/server-ec.key" --max-conns "$MAX_CONNS" \
  --header-timeout "$HEADER_TIMEOUT_MS" --log warn; then
  not_ok "znet-httpd starts"
  diag <"$err"
  finish
  exit 1
fi
zpid=$(ps -o pid= --ppid "$E2E_ECHO_PID" | tr -d ' ' | head -1)
res=$T/attack.txt
t0=$(now_s)
in_ns_t 300 python3 "$here/attack_httpd.py" "$E2E_ZNET_IP" "${zpid:-0}" \
  "$CERTS/ca.pem" $((HEADER_TIMEOUT_MS / 1000)) "$MAX_CONNS" >"$res" 2>&1
dt=$(elapsed "$t0")
diag <"$res"
v() { awk -v k="$1" '$1 == k { print $2 }' "$res"; }

check "slowloris: all $(v slow) slow heads closed by the server ($(v slow_closed), the last after $(v slow_closed_max_s) s)" \
  eval '[ "$(v slow_closed)" = "$(v slow)" ] && awk -v s="$(v slow_closed_max_s)" "BEGIN { exit !(s >= 0 && s <= 5) }"'
check "an idle burst of $(v idle) connections: idle ones closed for room ($(v idle_closed))" \
  [ "$(v idle_closed)" -ge $(($(v idle) - MAX_CONNS)) ]
check "a 100 KB field line: 431 and a close" [ "$(v huge_field_431)" = 1 ]
check "1000 field lines: 431 and a close" [ "$(v many_fields_431)" = 1 ]
check "$(v pipeline) pipelined requests: $(v pipeline_answered) answered in $(v pipeline_s) s, $(v pipeline_out_of_order) wrong" \
  eval '[ "$(v pipeline_answered)" = "$(v pipeline)" ] && [ "$(v pipeline_out_of_order)" = 0 ]'
check "TLS: $(v tls_hello) ClientHellos closed at once, $(v tls_half) halves, $(v tls_reset) resets mid-handshake" \
  eval '[ "$(v tls_hello)" = 300 ] && [ "$(v tls_half)" = 300 ] && [ "$(v tls_reset)" = 100 ]'
check "every witness fetch succeeded ($(v witness_ok)/$(v witness), $(v witness_tls_ok)/$(v witness_tls) over HTTPS, slowest $(v witness_max_ms) ms; $dt s in all)" \
  eval '[ "$(v witness)" -ge 10 ] && [ "$(v witness_ok)" = "$(v witness)" ] && [ "$(v witness_tls)" -ge 3 ]'
check "no failure reported by the attacker" eval '! grep -q "^fail" "$res"'
r0=$(v rss_start_kb)
rp=$(v rss_peak_kb)
check "memory bounded: RSS ${r0:-?} kB -> peak ${rp:-?} kB (+$((${rp:-0} - ${r0:-0})) kB < 16384)" \
  [ "${r0:-0}" -gt 0 -a $((${rp:-0} - ${r0:-0})) -lt 16384 ]
check "the server is still up" kill -0 "$E2E_ECHO_PID"

settle_tcp 80 443
stop_echo
rc=$?
check "znet-httpd exits 0 on SIGINT (got $rc)" [ "$rc" -eq 0 ]
ht=$(counter "$err" http.header_timeouts)
ev=$(counter "$err" http.conns_evicted_idle)
s431=$(counter "$err" http.status_431)
req=$(counter "$err" http.requests)
check "counters: header_timeouts $ht >= $(v slow), conns_evicted_idle $ev > 0, status_431 $s431 = 2, requests $req >= $(v pipeline)" \
  [ "$ht" -ge "$(v slow)" -a "$ev" -gt 0 -a "$s431" -eq 2 -a "$req" -ge "$(v pipeline)" ]
fpc=$(counter "$err" tls.failed_peer_closed)
ftcp=$(counter "$err" tls.failed_tcp)
fto=$(counter "$err" tls.failed_timeout)
sess=$(counter "$err" tls.sessions)
hok=$(counter "$err" tls.handshakes_ok)
hf=$(counter "$err" tls.handshakes_failed)
check "TLS failures named: peer_closed $fpc, tcp $ftcp, timeout $fto; sessions $sess = ok $hok + failed $hf" \
  [ $((fpc + ftcp + fto)) -ge 500 -a "$sess" -eq $((hok + hf)) ]
check "no connection left at exit" [ "$(counter "$err" http.conns_open_at_exit)" -eq 0 ]
grep "^  http\.\|^  tls\." "$err" | diag
no_leak_case "znet-httpd under attack" "$err"

finish
