#!/bin/bash
# DNS over TCP end to end: znet-dns-blocker's TCP service (RFC 1035
# 4.2.2, RFC 7766) against dig and a python3 client, and its fallback to
# TCP when the upstream's UDP answer comes back truncated, against a real
# dnsmasq and against dns_fake_upstream.py.
#
#   dns_tcp.sh /path/to/znet-dns-blocker
#
# Two private network namespaces, as in dns.sh: the TAP (znet 10.77.0.2,
# the kernel 10.77.0.1 and its router) and the clients in the first,
# dnsmasq (10.78.0.2) in the second, logging every query.
#
# Checks: dig +tcp gets answers (forwarded, blocked, cached); several
# queries on one connection (dig +keepopen); 20 pipelined queries written
# at once all answered; a query written a byte at a time; FORMERR over
# TCP; a bad length prefix and an idle connection are closed; a client's
# half-close still gets its answer; 40 dig +tcp at once.  Truncation: a
# TXT record too big for 512 bytes, asked without EDNS over TCP, comes
# back whole (dnsmasq truncates it over UDP, the blocker asks it again
# over TCP); asked over UDP it comes back truncated (TC, too big for the
# client) and dig's own retry over TCP gets it from the cache; with EDNS
# it fits and no TCP is needed.  Against the fake upstream: a truncated
# answer fetched whole over TCP goes to a UDP client; a TCP upstream that
# closes without answering or answers under another ID yields TC (UDP
# client) or SERVFAIL (TCP client).  The blocker exits 0, its counters
# agree, nothing leaked.  Needs root, /dev/net/tun, dnsmasq, dig, python3;
# otherwise skips.  Output is TAP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

BLOCKER=${1:-}
[ -n "$BLOCKER" ] && [ -x "$BLOCKER" ] ||
  { echo "usage: $0 /path/to/znet-dns-blocker" >&2; exit 2; }
BLOCKER=$(cd "$(dirname "$BLOCKER")" && pwd)/$(basename "$BLOCKER")

need_netns
need_cmd dnsmasq dig python3 timeout
trap e2e_cleanup EXIT
e2e_tmpdir
T=$E2E_TMP
out=$T/blocker.out
err=$T/blocker.err
qlog=$T/dnsmasq.log
Z=$E2E_ZNET_IP

if ! setup_netns || ! setup_upstream_ns; then
  not_ok "create the two network namespaces"
  finish
  exit 1
fi

# Four 200-byte strings: 842 bytes of answer, more than 512.
S=$(printf 'x%.0s' $(seq 1 200))
if ! start_dnsmasq "$qlog" --local=/test/ --local-ttl=300 \
  --host-record=allowed.test,10.1.2.3 \
  --host-record=cached.test,10.1.2.7 \
  --host-record=keep1.test,10.1.2.11 \
  --host-record=keep2.test,10.1.2.12 \
  --host-record=keep3.test,10.1.2.13 \
  --txt-record=big.test,"$S","$S","$S","$S" \
  --txt-record=big2.test,"$S","$S","$S","$S" \
  --txt-record=big3.test,"$S","$S","$S","$S"; then
  not_ok "dnsmasq starts in $E2E_NS2"
  diag <"$qlog.out"
  finish
  exit 1
fi
ok "dnsmasq answers on $E2E_UPSTREAM_IP:53 (UDP and TCP)"

blocklist=$T/blocklist
printf '0.0.0.0 blocked.test\n' >"$blocklist"

reached() {
  grep -ci "query\[[A-Z]*\] $1 from" "$qlog"
}
# One try (dnsmasq's count of each name is checked), given 10 s: dig
# ends at the answer, and a loaded machine may be slow to give it (the
# SERVFAIL after the fake upstream's 2 s too).
dig_ns() {
  in_ns dig +time=10 +tries=1 "@$Z" "$@"
}
answer_case() {
  local name=$1 want=$2 got
  shift 2
  got=$(dig_ns +short "$@" 2>&1 | tr '\n' ' ' | sed 's/ $//')
  if [ "$got" = "$want" ]; then ok "$name"; else not_ok "$name (got '$got')"; fi
}
status_case() {
  local name=$1 want=$2 got
  shift 2
  got=$(dig_ns "$@" 2>&1 | sed -n 's/.*status: \([A-Z]*\).*/\1/p')
  if [ "$got" = "$want" ]; then ok "$name"; else not_ok "$name (got '$got')"; fi
}
probe() {
  in_ns_t 30 python3 "$here/dns_tcp_probe.py" "$Z" 53 "$@"
}

# ---- against dnsmasq --------------------------------------------------

if ! start_znet znet-dns-blocker "$BLOCKER" "$out" "$err" --gateway "$E2E_KERNEL_IP" \
  --upstream "$E2E_UPSTREAM_IP" --blocklist "$blocklist" --tcp-idle-timeout 1500 \
  --tcp-conns 128; then
  not_ok "znet-dns-blocker starts on tap:$E2E_TAP"
  diag <"$err"
  finish
  exit 1
fi
check "the blocker serves UDP and TCP" grep -q "serving DNS on UDP and TCP port 53" "$out"

answer_case "dig +tcp: allowed.test through the blocker" "10.1.2.3" +tcp allowed.test
status_case "dig +tcp: blocked.test is NXDOMAIN" NXDOMAIN +tcp blocked.test
answer_case "dig +tcp: cached.test" "10.1.2.7" +tcp cached.test
answer_case "dig +tcp: cached.test again" "10.1.2.7" +tcp cached.test
answer_case "dig (UDP): cached.test a third time" "10.1.2.7" cached.test
check "cached.test reached dnsmasq once (got $(reached cached.test))" [ "$(reached cached.test)" -eq 1 ]

got=$(dig_ns +tcp +keepopen +short keep1.test keep2.test keep3.test 2>&1 | tr '\n' ' ' | sed 's/ $//')
check "dig +tcp +keepopen: three queries on one connection (got '$got')" \
  [ "$got" = "10.1.2.11 10.1.2.12 10.1.2.13" ]

res=$(probe pipeline 20 allowed.test blocked.test cached.test keep1.test 2>&1)
check "20 pipelined queries on one connection, all answered ($res)" \
  grep -q "^answered 20 of 20" <<<"$res"
res=$(probe drip allowed.test 2>&1)
check "a query written a byte at a time is answered ($res)" [ "$res" = "rcode=0 an=1" ]
res=$(probe formerr 2>&1)
check "a framed query that does not parse: FORMERR over TCP ($res)" [ "$res" = "rcode=1 id-ok" ]
res=$(probe badlen 0 2>&1)
check "length prefix 0: the connection is closed ($res)" grep -q "^closed after" <<<"$res"
res=$(probe badlen 5000 2>&1)
check "length prefix 5000: the connection is closed ($res)" grep -q "^closed after" <<<"$res"
res=$(probe halfclose allowed.test 2>&1)
check "query then half-close: answered, then closed ($res)" [ "$res" = "rcode=0 an=1 then closed" ]
# Not before 1.5 s, and well before the default 10 s: the flag was
# taken (up to 8 s: a loaded machine may run the timer late).
res=$(probe idle 9 2>&1)
t=${res#closed after }
t=${t% s}
check "an idle connection is closed after --tcp-idle-timeout 1.5 s ($res)" \
  awk -v t="$t" 'BEGIN { exit !(t + 0 >= 1.2 && t + 0 <= 8) }'

# 40 clients at once.
pids=""
for i in $(seq 1 40); do
  dig_ns +tcp +short allowed.test >"$T/many.$i" 2>&1 &
  pids="$pids $!"
done
# shellcheck disable=SC2086
wait $pids
n=$(cat "$T"/many.* | grep -cx "10.1.2.3")
check "40 dig +tcp at once: all answered (got $n)" [ "$n" -eq 40 ]

# Truncation.  Over TCP without EDNS: the blocker forwards over UDP (512
# bytes), dnsmasq truncates, the blocker asks again over TCP.
txt=$(dig_ns +tcp +noedns +short big.test TXT 2>&1 | tr -d '" \n' | wc -c)
check "dig +tcp +noedns big.test TXT: the whole 800-byte record (got $txt characters)" [ "$txt" -eq 800 ]
check "big.test reached dnsmasq twice: UDP (truncated), then TCP (got $(reached big.test))" \
  [ "$(reached big.test)" -eq 2 ]
# Over UDP without EDNS: too big for the client, so TC; dig retries over
# TCP by itself and gets it from the blocker's cache.
tc=$(dig_ns +noedns +ignore big2.test TXT 2>&1)
check "dig +noedns +ignore big2.test TXT (UDP): truncated for the client (TC)" \
  grep -q "flags: qr tc" <<<"$tc"
txt=$(dig_ns +noedns +short big2.test TXT 2>&1 | tr -d '" \n' | wc -c)
check "dig +noedns big2.test TXT: dig's TCP retry gets all 800 bytes (got $txt)" [ "$txt" -eq 800 ]
check "big2.test reached dnsmasq twice: dig's retries were served from the cache (got $(reached big2.test))" \
  [ "$(reached big2.test)" -eq 2 ]
# With EDNS (1232 bytes) it fits: no truncation, one query.
txt=$(dig_ns +short big3.test TXT 2>&1 | tr -d '" \n' | wc -c)
check "dig big3.test TXT with EDNS: 800 bytes over UDP (got $txt)" [ "$txt" -eq 800 ]
check "big3.test reached dnsmasq once (got $(reached big3.test))" [ "$(reached big3.test)" -eq 1 ]

answer_case "after all that, UDP still works" "10.1.2.3" allowed.test
settle_tcp 53 # the idle timeout closes what the clients left open
stop_echo
rc=$?
check "znet-dns-blocker exits 0 on SIGINT (got $rc)" [ "$rc" -eq 0 ]
conns=$(counter "$err" dns.tcp_connections)
tq=$(counter "$err" dns.tcp_queries)
ta=$(counter "$err" dns.tcp_answers)
idle=$(counter "$err" dns.tcp_idle_closed)
badlen=$(counter "$err" dns.tcp_bad_length)
fb=$(counter "$err" dns.tcp_fallback)
fbok=$(counter "$err" dns.tcp_fallback_ok)
trunc=$(counter "$err" dns.truncated)
tfc=$(counter "$err" dns.truncated_for_client)
open=$(counter "$err" dns.tcp_open_at_exit)
check "dns.tcp_connections >= 50 (got $conns)" [ "$conns" -ge 50 ]
check "dns.tcp_queries >= 70, dns.tcp_answers >= 70 (got $tq, $ta)" [ "$tq" -ge 70 -a "$ta" -ge 70 ]
check "dns.tcp_idle_closed >= 1, dns.tcp_bad_length = 2 (got $idle, $badlen)" [ "$idle" -ge 1 -a "$badlen" -eq 2 ]
check "dns.truncated = 2, dns.tcp_fallback = 2, ok 2 (got $trunc, $fb, $fbok)" \
  [ "$trunc" -eq 2 -a "$fb" -eq 2 -a "$fbok" -eq 2 ]
check "dns.truncated_for_client = 2: big2.test twice (got $tfc)" [ "$tfc" -eq 2 ]
check "no TCP connection left open at exit (got $open)" [ "$open" -eq 0 ]
no_leak_case "znet-dns-blocker" "$err"
echo "# znet-dns-blocker counters (dnsmasq upstream):"
grep "dns\." "$err" | awk '$2 != 0' | diag

# ---- against the fake upstream, TCP on ---------------------------------

fake=$T/fake.log
ip netns exec "$E2E_NS2" timeout 90 python3 "$here/dns_fake_upstream.py" \
  "$E2E_UPSTREAM_IP" 5300 60 tcp >"$fake" 2>&1 &
bg_pid $!
end=$((SECONDS + 30)) # python3's start: seconds on a loaded machine
while [ "$SECONDS" -lt "$end" ]; do
  grep -q listening "$fake" 2>/dev/null && break
  sleep 0.1
done
if start_znet znet-dns-blocker "$BLOCKER" "$out" "$err" --gateway "$E2E_KERNEL_IP" \
  --upstream "$E2E_UPSTREAM_IP:5300" --upstream-timeout 2000 --blocklist "$blocklist"; then
  tc=$(dig_ns +ignore tc.test 2>&1)
  check "tc.test over UDP: the truncated answer is fetched whole over TCP (10.5.5.9, no TC)" \
    eval 'grep -q "10\.5\.5\.9" <<<"$tc" && ! grep -q "flags: qr tc" <<<"$tc"'
  check "the fake upstream got tc.test over UDP, then over TCP" \
    eval '[ "$(grep -cx tc.test "$fake")" -eq 1 ] && [ "$(grep -cx "tcp tc.test" "$fake")" -eq 1 ]'
  answer_case "tc.test again: from the cache" "10.5.5.9" tc.test
  tc=$(dig_ns +ignore tcprst.test 2>&1)
  check "tcprst.test over UDP (TCP closes unanswered): TC to the client" grep -q "flags: qr tc" <<<"$tc"
  status_case "tcprst.test over TCP: SERVFAIL" SERVFAIL +tcp tcprst.test
  tc=$(dig_ns +ignore wrongid.test 2>&1)
  check "wrongid.test (TCP answer under another ID): TC to the UDP client, not the answer" \
    eval 'grep -q "flags: qr tc" <<<"$tc" && ! grep -q "10\.5\.5\.10" <<<"$tc"'
  stop_echo
  rc=$?
  check "exits 0 (got $rc)" [ "$rc" -eq 0 ]
  fb=$(counter "$err" dns.tcp_fallback)
  fbok=$(counter "$err" dns.tcp_fallback_ok)
  fbf=$(counter "$err" dns.tcp_fallback_failed)
  mm=$(counter "$err" dns.upstream_mismatch)
  check "dns.tcp_fallback 4: ok 1, failed 3 (got $fb, $fbok, $fbf)" \
    [ "$fb" -eq 4 -a "$fbok" -eq 1 -a "$fbf" -eq 3 ]
  check "dns.upstream_mismatch >= 1: the answer under another ID (got $mm)" [ "$mm" -ge 1 ]
  no_leak_case "znet-dns-blocker (fake upstream)" "$err"
else
  not_ok "znet-dns-blocker with the fake upstream starts"
  diag <"$err"
fi

finish
