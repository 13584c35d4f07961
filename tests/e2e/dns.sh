#!/bin/bash
# DNS end to end: znet-dns-blocker and znet-resolve against a real dnsmasq.
#
#   dns.sh /path/to/znet-dns-blocker /path/to/znet-resolve
#
# Two private network namespaces: the first holds the TAP (znet is
# 10.77.0.2, the kernel 10.77.0.1 and its router) and the dig client; the
# second, behind a veth pair, holds dnsmasq (10.78.0.2) serving a test
# zone and logging every query it gets.  znet reaches dnsmasq through the
# kernel as its gateway.
#
# Checks: allowed names resolve through the blocker (A, AAAA, a CNAME, an
# NXDOMAIN passed on); blocked names and their subdomains get NXDOMAIN
# (hosts-file and plain entries, any case) and never reach dnsmasq; a
# name's parent and lookalikes are not blocked; a repeated query is served
# from the cache (dnsmasq sees it once) with its TTL lowered and the
# client's ID and case; crafted and random datagrams get FORMERR/NOTIMP or
# are dropped, and service goes on; --block-mode zero answers 0.0.0.0, ::
# and no data; an upstream that never answers yields SERVFAIL after
# --upstream-timeout; against a misbehaving upstream (dns_fake_upstream.py)
# forged and late answers are ignored, an answer with TC reaches the
# client as TC (the retry over TCP is refused: this upstream has no TCP;
# dns_tcp.sh tests TCP), a malformed answer becomes SERVFAIL, TTL 0 is
# not cached; negative answers are cached by
# their SOA, and EDNS is answered per client; znet-resolve resolves A,
# AAAA, a CNAME, reports NXDOMAIN and a timeout with the right exit
# status.  Needs root, /dev/net/tun, dnsmasq, dig, socat and python3;
# otherwise skips.  Output is TAP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

BLOCKER=${1:-}
RESOLVE=${2:-}
[ -n "$BLOCKER" ] && [ -x "$BLOCKER" ] && [ -n "$RESOLVE" ] && [ -x "$RESOLVE" ] ||
  { echo "usage: $0 /path/to/znet-dns-blocker /path/to/znet-resolve" >&2; exit 2; }
BLOCKER=$(cd "$(dirname "$BLOCKER")" && pwd)/$(basename "$BLOCKER")
RESOLVE=$(cd "$(dirname "$RESOLVE")" && pwd)/$(basename "$RESOLVE")

need_netns
need_cmd dnsmasq dig socat python3 timeout
trap e2e_cleanup EXIT
e2e_tmpdir
out=$E2E_TMP/blocker.out
err=$E2E_TMP/blocker.err
qlog=$E2E_TMP/dnsmasq.log
Z=$E2E_ZNET_IP

if ! setup_netns || ! setup_upstream_ns; then
  not_ok "create the two network namespaces"
  finish
  exit 1
fi
ok "namespaces $E2E_NS (TAP, router, client) and $E2E_NS2 (dnsmasq on $E2E_UPSTREAM_IP)"

# The zone: dnsmasq is authoritative for .test (so its negative answers
# carry a SOA, whose MINIMUM, 300, with --auth-ttl is the negative TTL);
# --local-ttl gives the records a TTL to cache by.
if ! start_dnsmasq "$qlog" --auth-server=ns.test,zne2e1 --auth-zone=test \
  --auth-soa=1,hostmaster.test,1200,120,604800 --auth-ttl=300 --local-ttl=300 \
  --host-record=allowed.test,10.1.2.3 \
  --host-record=cached.test,10.1.2.7 \
  --host-record=host6.test,10.1.2.6,2001:db8::6 \
  --host-record=example.test,10.1.2.8 \
  --host-record=myads.example.test,10.1.2.9 \
  --host-record=blocked.test,10.9.9.1 \
  --host-record=www.blocked.test,10.9.9.2 \
  --address=/plain-block.test/10.9.9.3 \
  --cname=alias.test,allowed.test; then
  not_ok "dnsmasq starts in $E2E_NS2"
  diag <"$qlog.out"
  finish
  exit 1
fi
ok "dnsmasq answers on $E2E_UPSTREAM_IP:53"

blocklist=$E2E_TMP/blocklist
cat >"$blocklist" <<'EOF'
# a hosts-format blocklist, with the usual local lines
127.0.0.1 localhost
::1 localhost ip6-localhost ip6-loopback
0.0.0.0 blocked.test    # and therefore www.blocked.test
0.0.0.0 Ads.Example.TEST tracker.test
plain-block.test
EOF

# reached NAME: how many queries for NAME (any type) dnsmasq logged
# ("auth[A] NAME from ..." in authoritative mode, "query[A] ..." else).
reached() {
  grep -ci "\(query\|auth\)\[[A-Z]*\] $1 from" "$qlog"
}

# dig_ns ARGS...: dig from the first namespace at the blocker.  One try
# (dnsmasq's count of each name is checked), given 10 s: it ends at the
# answer, and a loaded machine may be slow to give it.
dig_ns() {
  in_ns dig +time=10 +tries=1 "@$Z" "$@"
}

# answer_case NAME WANT ARGS...: the answer section (+short) must be WANT.
answer_case() {
  local name=$1 want=$2 got
  shift 2
  got=$(dig_ns +short "$@" 2>&1 | tr '\n' ' ' | sed 's/ $//')
  if [ "$got" = "$want" ]; then ok "$name"; else not_ok "$name (got '$got')"; fi
}

# status_case NAME WANT ARGS...: the header status must be WANT.
status_case() {
  local name=$1 want=$2 got
  shift 2
  got=$(dig_ns "$@" 2>&1 | sed -n 's/.*status: \([A-Z]*\).*/\1/p')
  if [ "$got" = "$want" ]; then ok "$name"; else not_ok "$name (got '$got')"; fi
}

# ---- the blocker, NXDOMAIN mode ----------------------------------------

if ! start_znet znet-dns-blocker "$BLOCKER" "$out" "$err" --gateway "$E2E_KERNEL_IP" \
  --upstream "$E2E_UPSTREAM_IP" --blocklist "$blocklist"; then
  not_ok "znet-dns-blocker starts on tap:$E2E_TAP"
  diag <"$err"
  finish
  exit 1
fi
ok "znet-dns-blocker starts ($(sed -n 2p "$out" | sed 's/^znet-dns-blocker: //'))"
check "blocklist: 4 names, 4 local names ignored" \
  grep -q "blocklist .*: 4 names (.*4 local names ignored" "$out"

answer_case "allowed.test resolves through the blocker" "10.1.2.3" allowed.test
answer_case "alias.test: the CNAME and its target" "allowed.test. 10.1.2.3" alias.test
answer_case "host6.test AAAA" "2001:db8::6" host6.test AAAA
status_case "nosuch.test: dnsmasq's NXDOMAIN passed on" NXDOMAIN nosuch.test
check "nosuch.test reached dnsmasq" [ "$(reached nosuch.test)" -eq 1 ]

status_case "blocked.test: NXDOMAIN" NXDOMAIN blocked.test
status_case "www.blocked.test (a subdomain): NXDOMAIN" NXDOMAIN www.blocked.test
status_case "a.b.ads.example.test (list in mixed case): NXDOMAIN" NXDOMAIN a.b.ads.example.test
status_case "TRACKER.test (second name on a hosts line): NXDOMAIN" NXDOMAIN TRACKER.test AAAA
status_case "plain-block.test (a plain list line): NXDOMAIN" NXDOMAIN plain-block.test
n=$(($(reached blocked.test) + $(reached www.blocked.test) + $(reached plain-block.test) + $(reached tracker.test)))
check "no blocked name reached dnsmasq (got $n)" [ "$n" -eq 0 ]
answer_case "example.test (parent of a blocked name) is not blocked" "10.1.2.8" example.test
answer_case "myads.example.test (not on a label boundary) is not blocked" "10.1.2.9" myads.example.test
ttlblock=$(dig_ns +noall +answer +authority blocked.test | grep -c SOA)
check "the blocker's own NXDOMAIN carries no SOA" [ "$ttlblock" -eq 0 ]

# The cache: the same question twice, two seconds apart, then in other
# case; dnsmasq must see it once, the TTL must have gone down.
a1=$(dig_ns +noall +answer cached.test)
sleep 2.2
a2=$(dig_ns +noall +answer cached.test)
a3=$(dig_ns +noall +answer +question CAChed.TEST)
ttl1=$(echo "$a1" | awk '$4 == "A" { print $2 }')
ttl2=$(echo "$a2" | awk '$4 == "A" { print $2 }')
check "cached.test: 10.1.2.7 both times" \
  [ "$(echo "$a1" | awk '{ print $5 }')" = 10.1.2.7 -a "$(echo "$a2" | awk '{ print $5 }')" = 10.1.2.7 ]
check "cached.test reached dnsmasq once (got $(reached cached.test))" [ "$(reached cached.test)" -eq 1 ]
check "the cached answer's TTL went down: $ttl1 then $ttl2" \
  [ "${ttl1:-0}" -eq 300 -a "${ttl2:-999}" -le 298 -a "${ttl2:-0}" -ge 290 ]
check "a cache hit carries the client's case in its question" \
  grep -q "^;CAChed.TEST\." <<<"$a3"
# EDNS: the cached answer was stored without the upstream's OPT record;
# an EDNS client gets the blocker's, a client without EDNS none.
e1=$(dig_ns cached.test)
e2=$(dig_ns +noedns cached.test)
check "a cache hit to an EDNS client carries an OPT record (udp 1232)" \
  grep -q "; EDNS: version: 0, flags:; udp: 1232" <<<"$e1"
check "a cache hit to a client without EDNS carries none" \
  eval '! grep -q "EDNS:" <<<"$e2" && grep -q "10.1.2.7" <<<"$e2"'

# Negative caching: dnsmasq's NXDOMAIN carries a SOA; a second query is
# answered from the cache, the SOA's TTL lowered.
n1=$(dig_ns +noall +authority +comments nxcached.test)
sleep 1.1
n2=$(dig_ns +noall +authority +comments nxcached.test)
s1=$(awk '$4 == "SOA" { print $2 }' <<<"$n1")
s2=$(awk '$4 == "SOA" { print $2 }' <<<"$n2")
check "nxcached.test: NXDOMAIN twice" \
  eval 'grep -q "status: NXDOMAIN" <<<"$n1" && grep -q "status: NXDOMAIN" <<<"$n2"'
check "nxcached.test reached dnsmasq once (got $(reached nxcached.test))" \
  [ "$(reached nxcached.test)" -eq 1 ]
check "the cached NXDOMAIN's SOA TTL went down: $s1 then $s2" \
  [ "${s1:-0}" -ge 1 -a "${s2:-999}" -lt "${s1:-0}" ]

# Garbage: crafted queries must get FORMERR (1) or NOTIMP (4), with the
# client's ID; what cannot be answered is dropped; a query after them is
# still answered.
probe=$E2E_TMP/probe.out
in_ns timeout 60 python3 "$here/dns_probe.py" "$Z" 53 >"$probe" 2>&1
expect_probe() {
  local case=$1 want=$2
  if grep -q "^$case $want" "$probe"; then
    ok "crafted '$case': $want"
  else
    not_ok "crafted '$case': $want (got '$(grep "^$case " "$probe")')"
  fi
}
expect_probe short-5-bytes "no reply"
expect_probe empty "no reply"
expect_probe response-qr1 "no reply"
expect_probe two-questions "rcode=1 .* id-ok"
expect_probe no-question "rcode=1 .* id-ok"
expect_probe opcode-status "rcode=4 .* id-ok"
expect_probe opcode-notify "rcode=4 .* id-ok"
expect_probe pointer-loop "rcode=1 qd=0 .* id-ok"
expect_probe pointer-header "rcode=1 qd=0 .* id-ok"
expect_probe question-cut "rcode=1 qd=0 .* id-ok"
expect_probe label-too-long "rcode=1 qd=0 .* id-ok"
expect_probe reserved-label "rcode=1 qd=0 .* id-ok"
expect_probe counts-lie "rcode=1 .* id-ok"
expect_probe two-opt "rcode=1 .* id-ok"
expect_probe good-query "rcode=0 qd=1 an=1 qr=1 id-ok"
n=$(grep -c "^random-" "$probe")
bad=$(grep "^random-" "$probe" | grep -vc "no reply\|rcode=[14] .*id-ok")
check "20 random datagrams: each dropped, FORMERR or NOTIMP ($bad otherwise)" [ "$n" -eq 20 -a "$bad" -eq 0 ]

# More random bytes through socat and nc, as fast as they go.
for i in $(seq 1 50); do
  head -c $((RANDOM % 200 + 1)) /dev/urandom
done >"$E2E_TMP/noise"
split -b 97 "$E2E_TMP/noise" "$E2E_TMP/noise."
for f in "$E2E_TMP"/noise.*; do
  in_ns timeout 2 socat -u "OPEN:$f" "UDP-SENDTO:$Z:53" 2>/dev/null
done
head -c 3 /dev/urandom | in_ns timeout 2 nc -u -w 0 "$Z" 53 2>/dev/null
answer_case "after the garbage, allowed.test still resolves" "10.1.2.3" allowed.test
status_case "after the garbage, blocked.test is still blocked" NXDOMAIN blocked.test

stop_echo
rc=$?
check "znet-dns-blocker exits 0 on SIGINT (got $rc)" [ "$rc" -eq 0 ]
upq=$(grep -c "\(query\|auth\)\[[A-Z]*\] .* from $Z\$" "$qlog")
hits=$(counter "$err" dns.cache_hits)
blocked=$(counter "$err" dns.blocked)
fwd=$(counter "$err" dns.forwarded)
formerr=$(counter "$err" dns.formerr)
notimp=$(counter "$err" dns.notimp)
short=$(counter "$err" dns.dropped_short)
resp=$(counter "$err" dns.dropped_response)
check "dns.cache_hits >= 2 (got $hits)" [ "$hits" -ge 2 ]
check "dns.blocked >= 7 (got $blocked)" [ "$blocked" -ge 7 ]
check "dns.forwarded ($fwd) = queries dnsmasq got from znet ($upq)" [ "$fwd" -eq "$upq" -a "$fwd" -ge 7 ]
check "dns.formerr >= 10, dns.notimp >= 2 (got $formerr, $notimp)" [ "$formerr" -ge 10 -a "$notimp" -ge 2 ]
check "dns.dropped_short >= 2, dns.dropped_response >= 1 (got $short, $resp)" [ "$short" -ge 2 -a "$resp" -ge 1 ]
if grep -q "still in use\|ERROR: AddressSanitizer\|runtime error:" "$err"; then
  not_ok "no buffer leaked, no sanitizer report"
  diag <"$err"
else
  ok "no buffer leaked, no sanitizer report"
fi
echo "# znet-dns-blocker counters (NXDOMAIN mode):"
grep "dns\." "$err" | awk '$2 != 0' | diag

# ---- zero mode ---------------------------------------------------------

if start_znet znet-dns-blocker "$BLOCKER" "$out" "$err" --gateway "$E2E_KERNEL_IP" \
  --upstream "$E2E_UPSTREAM_IP" --blocklist "$blocklist" --block-mode zero; then
  answer_case "zero mode: blocked.test A is 0.0.0.0" "0.0.0.0" blocked.test
  answer_case "zero mode: www.blocked.test AAAA is ::" "::" www.blocked.test AAAA
  status_case "zero mode: blocked.test MX is NOERROR" NOERROR blocked.test MX
  answer_case "zero mode: blocked.test MX has no data" "" blocked.test MX
  answer_case "zero mode: allowed.test still resolves" "10.1.2.3" allowed.test
  stop_echo
  rc=$?
  check "zero mode: exits 0 (got $rc)" [ "$rc" -eq 0 ]
else
  not_ok "znet-dns-blocker --block-mode zero starts"
  diag <"$err"
fi

# ---- an upstream that never answers -----------------------------------

if start_znet znet-dns-blocker "$BLOCKER" "$out" "$err" --gateway "$E2E_KERNEL_IP" \
  --upstream 10.78.0.99 --upstream-timeout 1000 --blocklist "$blocklist"; then
  status_case "dead upstream: SERVFAIL after --upstream-timeout" SERVFAIL allowed.test
  status_case "dead upstream: blocked names still answered" NXDOMAIN blocked.test
  stop_echo
  to=$(counter "$err" dns.upstream_timeouts)
  check "dns.upstream_timeouts = 1 (got $to)" [ "$to" -eq 1 ]
else
  not_ok "znet-dns-blocker with a dead upstream starts"
  diag <"$err"
fi

# ---- a misbehaving upstream -------------------------------------------

fake=$E2E_TMP/fake.log
ip netns exec "$E2E_NS2" timeout 90 python3 "$here/dns_fake_upstream.py" \
  "$E2E_UPSTREAM_IP" 5300 60 >"$fake" 2>&1 &
E2E_BG_PIDS="$E2E_BG_PIDS $!"
end=$((SECONDS + 30)) # python3's start: seconds on a loaded machine
while [ "$SECONDS" -lt "$end" ]; do
  grep -q listening "$fake" 2>/dev/null && break
  sleep 0.1
done
if start_znet znet-dns-blocker "$BLOCKER" "$out" "$err" --gateway "$E2E_KERNEL_IP" \
  --upstream "$E2E_UPSTREAM_IP:5300" --upstream-timeout 1000 --blocklist "$blocklist"; then
  answer_case "forged answers (other ID, other question) ignored: forged.test is 10.5.5.5" \
    "10.5.5.5" forged.test
  tc=$(dig_ns +ignore tc.test)
  check "an answer with TC, the upstream without TCP: TC to the client" grep -q "flags: qr tc" <<<"$tc"
  status_case "a malformed upstream answer: SERVFAIL" SERVFAIL bad.test
  status_case "an answer later than --upstream-timeout: SERVFAIL" SERVFAIL late.test
  answer_case "ttl0.test (TTL 0) resolves" "10.5.5.7" ttl0.test
  answer_case "ttl0.test again" "10.5.5.7" ttl0.test
  # The late answer, once the fake upstream has sent it (not after a
  # fixed second); then a query it answers later, over the same way to
  # the blocker, which by its answer has taken the late one too.
  end=$((SECONDS + 30))
  while [ "$SECONDS" -lt "$end" ]; do
    grep -qx "late.test answered" "$fake" && break
    sleep 0.1
  done
  answer_case "after the late answer, the upstream's next answer: after.test is 10.5.5.8" \
    "10.5.5.8" after.test
  check "ttl0.test is not cached: asked upstream twice" [ "$(grep -cx ttl0.test "$fake")" -eq 2 ]
  stop_echo
  rc=$?
  check "exits 0 (got $rc)" [ "$rc" -eq 0 ]
  mm=$(counter "$err" dns.upstream_mismatch)
  tr=$(counter "$err" dns.truncated)
  mal=$(counter "$err" dns.upstream_malformed)
  to=$(counter "$err" dns.upstream_timeouts)
  unc=$(counter "$err" dns.cache_uncacheable)
  check "dns.upstream_mismatch 3: two forged, one late (got $mm)" [ "$mm" -eq 3 ]
  check "dns.truncated 1, dns.upstream_malformed 1, dns.upstream_timeouts 1 (got $tr, $mal, $to)" \
    [ "$tr" -eq 1 -a "$mal" -eq 1 -a "$to" -eq 1 ]
  check "dns.cache_uncacheable >= 2: the TTL 0 answers (got $unc)" [ "$unc" -ge 2 ]
  if grep -q "still in use\|ERROR: AddressSanitizer\|runtime error:" "$err"; then
    not_ok "misbehaving upstream: no leak, no sanitizer report"
    diag <"$err"
  else
    ok "misbehaving upstream: no leak, no sanitizer report"
  fi
else
  not_ok "znet-dns-blocker with the fake upstream starts"
  diag <"$err"
fi

# ---- znet-resolve, on the same TAP once the blocker is gone ------------

# resolve ARGS...: znet-resolve as 10.77.0.2 with dnsmasq as its resolver.
resolve() {
  in_ns timeout 30 "$RESOLVE" --netif "tap:$E2E_TAP" --ipv4 "$Z/$E2E_PREFIX" \
    --gateway "$E2E_KERNEL_IP" "$@"
}
rout=$E2E_TMP/resolve.out
resolve --resolver "$E2E_UPSTREAM_IP" allowed.test alias.test host6.test -t both \
  >"$rout" 2>"$rout.err"
rc=$?
check "znet-resolve: three names, exit 0 (got $rc)" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || diag <"$rout.err"
check "znet-resolve: allowed.test has address 10.1.2.3" grep -qx "allowed.test has address 10.1.2.3" "$rout"
check "znet-resolve: alias.test is an alias for allowed.test." grep -qx "alias.test is an alias for allowed.test." "$rout"
check "znet-resolve: host6.test has IPv6 address 2001:db8::6" grep -qx "host6.test has IPv6 address 2001:db8::6" "$rout"
check "znet-resolve: allowed.test has no AAAA record" grep -qx "allowed.test has no AAAA record" "$rout"
cat "$rout" | diag

resolve --resolver "$E2E_UPSTREAM_IP" allowed.test nosuch.test >"$rout" 2>&1
rc=$?
check "znet-resolve: an NXDOMAIN makes exit 1 (got $rc)" [ "$rc" -eq 1 ]
check "znet-resolve: Host nosuch.test not found: 3(NXDOMAIN)" \
  grep -qx "Host nosuch.test not found: 3(NXDOMAIN)" "$rout"
check "znet-resolve: the other name still printed" grep -qx "allowed.test has address 10.1.2.3" "$rout"

resolve --resolver "$E2E_UPSTREAM_IP:53" -t AAAA host6.test >"$rout" 2>&1
check "znet-resolve -t AAAA with an explicit :53" grep -qx "host6.test has IPv6 address 2001:db8::6" "$rout"

resolve --resolver 10.78.0.99 --timeout 200 --tries 2 allowed.test >"$rout" 2>&1
rc=$?
check "znet-resolve: no answer makes exit 1 (got $rc)" [ "$rc" -eq 1 ]
check "znet-resolve: timeout message" grep -q "^Host allowed.test not found: connection timed out" "$rout"
[ "$rc" -eq 1 ] || diag <"$rout"

for bad in "--resolver 10.78.0.2" "allowed.test" "--resolver nowhere allowed.test" \
  "--resolver 10.78.0.2 -t MX allowed.test" "--resolver 10.78.0.2 bad..name"; do
  # shellcheck disable=SC2086
  resolve $bad >/dev/null 2>&1
  rc=$?
  check "znet-resolve $bad: exit 2 (got $rc)" [ "$rc" -eq 2 ]
done

# And the blocker's own usage errors.
for bad in "--blocklist $blocklist" "--upstream $E2E_UPSTREAM_IP" \
  "--upstream x --blocklist $blocklist" \
  "--upstream $E2E_UPSTREAM_IP --blocklist $blocklist --block-mode maybe"; do
  # shellcheck disable=SC2086
  timeout 10 "$BLOCKER" --netif tap:zn0 --ipv4 "$Z/24" $bad >/dev/null 2>&1
  rc=$?
  check "znet-dns-blocker $bad: exit 2 (got $rc)" [ "$rc" -eq 2 ]
done
timeout 10 "$BLOCKER" --netif tap:zn0 --ipv4 "$Z/24" --upstream "$E2E_UPSTREAM_IP" \
  --blocklist "$E2E_TMP/no-such-file" >/dev/null 2>&1
rc=$?
check "znet-dns-blocker with a missing blocklist: exit 1 (got $rc)" [ "$rc" -eq 1 ]

finish
