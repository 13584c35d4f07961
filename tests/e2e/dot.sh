#!/bin/bash
# DNS over TLS end to end (RFC 7858): znet-dns-blocker's DoT port against
# kdig and dig +tls, and its DoT upstream against a real unbound
# (Debian's) serving tls-service-key/tls-service-pem.
#
#   dot.sh /path/to/znet-dns-blocker TLS_CERT_DIR
#
# Two private network namespaces, as in dns.sh: the TAP (znet 10.77.0.2)
# and the clients in the first, unbound (10.78.0.2, DoT on 853 and plain
# DNS on 53, local data only, logging every query) in the second.  The
# certificates are tests/tls's (a test CA; the server's names
# znet.test and localhost).
#
# Checks: unbound answers DoT itself; the blocker forwards UDP, TCP and
# DoT clients' queries over DoT (unbound logs them, the counters agree),
# verifying unbound's certificate against the test CA and the name
# znet.test; kdig +tls with the CA and the name verifies the blocker's;
# blocked names answered locally over DoT; three queries on one DoT
# connection (kdig +keepopen); 30 queries from UDP clients carried by at
# most the 2 upstream connections (pipelined, persistent).  Strict: an
# upstream name that does not match gets SERVFAIL and a named failure,
# and nothing in clear reaches unbound; opportunistic: the same falls
# back to UDP.  The blocker exits 0, nothing leaked.  Needs root,
# /dev/net/tun, unbound, kdig, dig, libznet-tls; otherwise skips.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

BLOCKER=${1:-}
CERTS=${2:-}
[ -n "$BLOCKER" ] && [ -x "$BLOCKER" ] && [ -d "$CERTS" ] ||
  { echo "usage: $0 /path/to/znet-dns-blocker TLS_CERT_DIR" >&2; exit 2; }
BLOCKER=$(cd "$(dirname "$BLOCKER")" && pwd)/$(basename "$BLOCKER")
CERTS=$(cd "$CERTS" && pwd)

need_netns
need_cmd unbound kdig dig timeout
trap e2e_cleanup EXIT
e2e_tmpdir
T=$E2E_TMP
out=$T/blocker.out
err=$T/blocker.err
ulog=$T/unbound.log
Z=$E2E_ZNET_IP
U=$E2E_UPSTREAM_IP

if ! setup_netns || ! setup_upstream_ns; then
  not_ok "create the two network namespaces"
  finish
  exit 1
fi

# ---- unbound in the second namespace ------------------------------------
cat >"$T/unbound.conf" <<EOF
server:
  interface: $U@53
  interface: $U@853
  tls-port: 853
  tls-service-key: "$CERTS/server-ec.key"
  tls-service-pem: "$CERTS/server-ec.pem"
  access-control: 0.0.0.0/0 allow
  do-ip6: no
  do-daemonize: no
  username: ""
  chroot: ""
  directory: "$T"
  pidfile: ""
  use-syslog: no
  logfile: "$ulog"
  log-queries: yes
  verbosity: 1
  module-config: "iterator"
  local-zone: "test." static
EOF
for i in $(seq 1 40); do
  echo "  local-data: \"n$i.test. 300 IN A 10.1.3.$i\"" >>"$T/unbound.conf"
done
cat >>"$T/unbound.conf" <<EOF
  local-data: "allowed.test. 300 IN A 10.1.2.3"
  local-data: "viadot.test. 300 IN A 10.1.2.4"
  local-data: "keep1.test. 300 IN A 10.1.2.11"
  local-data: "keep2.test. 300 IN A 10.1.2.12"
  local-data: "keep3.test. 300 IN A 10.1.2.13"
  local-data: "clear.test. 300 IN A 10.1.2.20"
  local-data: "strict.test. 300 IN A 10.1.2.21"
remote-control:
  control-enable: no
EOF
ip netns exec "$E2E_NS2" timeout 150 unbound -d -c "$T/unbound.conf" \
  >"$T/unbound.out" 2>&1 &
E2E_BG_PIDS="$E2E_BG_PIDS $!"
# kd, and dig in this test: one try, given 10 s (they end at the answer;
# a loaded machine may be slow to give it: TLS handshakes of a sanitized
# build on both sides).
kd() {
  in_ns timeout 20 kdig +time=10 +retry=0 "$@"
}
up_ok=0
end=$((SECONDS + 60)) # unbound's start: seconds on a loaded machine
while [ "$SECONDS" -lt "$end" ]; do
  if kd +tls +tls-ca="$CERTS/ca.pem" +tls-hostname=znet.test +short "@$U" \
    allowed.test 2>/dev/null | grep -q 10.1.2.3; then
    up_ok=1
    break
  fi
  sleep 0.25
done
if [ "$up_ok" != 1 ]; then
  not_ok "unbound answers DoT on $U:853"
  diag <"$T/unbound.out"
  diag <"$ulog"
  finish
  exit 1
fi
ok "unbound answers DoT on $U:853 (its certificate verified by kdig)"

# How many queries for NAME unbound saw.
reached() {
  grep -c " $1\. A IN" "$ulog" 2>/dev/null
}

start_blocker() {
  start_znet znet-dns-blocker "$BLOCKER" "$out" "$err" --gateway "$E2E_KERNEL_IP" \
    --block blocked.test "$@"
}

# ---- strict, verified: the main run -------------------------------------
if ! start_blocker --upstream-tls "znet.test@$U" --ca "$CERTS/ca.pem" \
  --tls-port 853 --cert "$CERTS/server-ec.pem" --key "$CERTS/server-ec.key"; then
  not_ok "znet-dns-blocker starts with --upstream-tls and --tls-port"
  diag <"$err"
  finish
  exit 1
fi
check "the banner names the DoT port and the upstream over TLS" \
  grep -q "TLS port 853, upstream znet.test@$U:853 over TLS (strict)" "$out" ||
  diag <"$out"

got=$(in_ns dig +time=10 +tries=1 +short "@$Z" allowed.test 2>&1 | tr '\n' ' ')
check "dig (UDP) through the blocker, forwarded over DoT (got '$got')" \
  [ "$got" = "10.1.2.3 " ]
got=$(kd +tls +tls-ca="$CERTS/ca.pem" +tls-hostname=znet.test +short "@$Z" \
  viadot.test 2>&1 | tr '\n' ' ')
check "kdig +tls verifies the blocker's certificate and gets the answer (got '$got')" \
  [ "$got" = "10.1.2.4 " ]
got=$(in_ns timeout 20 dig +tls +time=10 +tries=1 "@$Z" blocked.test 2>&1 |
  sed -n 's/.*status: \([A-Z]*\).*/\1/p')
check "dig +tls: blocked.test is NXDOMAIN, answered by the blocker (got '$got')" \
  [ "$got" = NXDOMAIN ]
check "blocked.test never reached unbound" [ "$(reached blocked.test)" = 0 ]
got=$(kd +tls +keepopen +tls-ca="$CERTS/ca.pem" +tls-hostname=znet.test +short \
  "@$Z" keep1.test keep2.test keep3.test 2>&1 | tr '\n' ' ')
check "kdig +tls +keepopen: three queries on one DoT connection (got '$got')" \
  [ "$got" = "10.1.2.11 10.1.2.12 10.1.2.13 " ]
got=$(kd +tls +tls-hostname=wrong.test +tls-ca="$CERTS/ca.pem" +short "@$Z" \
  allowed.test 2>&1)
check "kdig +tls refuses the blocker under another name" \
  [ -z "$(grep -o '10\.1\.2\.3' <<<"$got")" ]

# 30 names at once from UDP clients: the upstream connections carry them.
pids=""
for i in $(seq 1 30); do
  in_ns dig +time=10 +tries=1 +short "@$Z" "n$i.test" >"$T/n$i.out" 2>&1 &
  pids="$pids $!"
done
# shellcheck disable=SC2086
wait $pids
answered=0
for i in $(seq 1 30); do
  grep -q "^10\.1\.3\.$i$" "$T/n$i.out" && answered=$((answered + 1))
done
check "30 concurrent UDP queries, all answered over DoT ($answered/30)" [ "$answered" = 30 ]

if stop_echo; then ok "the blocker exits 0"; else not_ok "the blocker exits 0"; fi
no_leak_case "the blocker" "$err"
c() { counter "$err" "$1"; }
opens=$(c dns.upstream_stream_opens)
check "every query went over at most 2 upstream TLS connections (opens $opens)" \
  [ "$opens" -ge 1 -a "$opens" -le 2 ]
check "the upstream queries counted ($(c dns.upstream_stream_queries) >= 35)" \
  [ "$(c dns.upstream_stream_queries)" -ge 35 ]
check "DoT clients counted ($(c dns.stream_connections) >= 3)" \
  [ "$(c dns.stream_connections)" -ge 3 ]
check "no upstream query failed ($(c dns.upstream_stream_failed), $(c dns.servfail))" \
  [ "$(c dns.upstream_stream_failed)" = 0 -a "$(c dns.servfail)" = 0 ]
check "the upstream sessions are TLS 1.3 ($(c upstream_tls.handshakes_tls13) of $(c upstream_tls.handshakes_ok))" \
  [ "$(c upstream_tls.handshakes_tls13)" -ge 1 -a \
  "$(c upstream_tls.handshakes_tls13)" = "$(c upstream_tls.handshakes_ok)" ]
grep -E "^  (dns\.(stream|upstream_stream|tcp_)|tls\.|upstream_tls\.)|DoT" "$err" | diag

# ---- strict: the upstream's certificate does not name it ------------------
if start_blocker --upstream-tls "wrong.test@$U" --ca "$CERTS/ca.pem"; then
  st=$(in_ns dig +time=10 +tries=1 "@$Z" strict.test 2>&1 |
    sed -n 's/.*status: \([A-Z]*\).*/\1/p')
  check "strict, wrong upstream name: SERVFAIL (got '$st')" [ "$st" = SERVFAIL ]
  stop_echo
  check "strict: nothing asked in clear (strict.test reached unbound $(reached strict.test) times)" \
    [ "$(reached strict.test)" = 0 ]
  check "strict: the failed open is counted ($(c dns.upstream_stream_open_failed))" \
    [ "$(c dns.upstream_stream_open_failed)" -ge 1 ]
  check "strict: the TLS failure is named (upstream_tls.failed_*)" \
    grep -q "upstream_tls\.failed_" "$err"
  grep -E "upstream_tls\.|dns\.upstream" "$err" | diag
  no_leak_case "the strict blocker" "$err"
else
  not_ok "znet-dns-blocker starts with a wrong upstream name"
  diag <"$err"
fi

# ---- resumption: a second upstream connection resumes with a ticket --------
# A second unbound on port 854 closes a TLS connection idle 300 ms, so
# the blocker's next query opens another one: it offers the ticket the
# first session kept (ex_tls_client_new's store) and unbound takes it.
sed -e "s/@853/@854/; s/tls-port: 853/tls-port: 854/" \
  -e "s|logfile: \"$ulog\"|logfile: \"$T/unbound2.log\"|" \
  -e "s/^server:/server:\n  tcp-idle-timeout: 300/" \
  "$T/unbound.conf" >"$T/unbound2.conf"
ip netns exec "$E2E_NS2" timeout 60 unbound -d -c "$T/unbound2.conf" \
  >"$T/unbound2.out" 2>&1 &
E2E_BG_PIDS="$E2E_BG_PIDS $!"
up2=0
end=$((SECONDS + 60))
while [ "$SECONDS" -lt "$end" ]; do
  if kd +tls +tls-ca="$CERTS/ca.pem" +tls-hostname=znet.test +short "@$U" \
    -p 854 allowed.test 2>/dev/null | grep -q 10.1.2.3; then
    up2=1
    break
  fi
  sleep 0.25
done
if [ "$up2" = 1 ] && start_blocker --upstream-tls "znet.test@$U:854" \
  --ca "$CERTS/ca.pem"; then
  a=$(in_ns dig +time=10 +tries=1 +short "@$Z" n1.test 2>&1 | tr '\n' ' ')
  sleep 1
  b=$(in_ns dig +time=10 +tries=1 +short "@$Z" n2.test 2>&1 | tr '\n' ' ')
  check "two queries a second apart, both answered over DoT (got '$a' '$b')" \
    [ "$a" = "10.1.3.1 " -a "$b" = "10.1.3.2 " ]
  stop_echo
  check "unbound closed the idle one: two upstream connections ($(c dns.upstream_stream_opens))" \
    [ "$(c dns.upstream_stream_opens)" = 2 ]
  check "the second resumed a TLS 1.3 session (tickets kept $(c upstream_tls.tickets_kept), offered $(c upstream_tls.tickets_offered), resumed $(c upstream_tls.handshakes_resumed))" \
    [ "$(c upstream_tls.tickets_kept)" -ge 1 -a \
    "$(c upstream_tls.tickets_offered)" = 1 -a \
    "$(c upstream_tls.handshakes_resumed)" = 1 ]
  grep -E "upstream_tls\.|dns\.upstream_stream" "$err" | diag
  no_leak_case "the resuming blocker" "$err"
else
  not_ok "unbound on 854 and znet-dns-blocker to it start"
  diag <"$T/unbound2.out"
  diag <"$err"
fi

# ---- opportunistic: the same falls back to UDP ------------------------------
if start_blocker --upstream-tls "wrong.test@$U" --ca "$CERTS/ca.pem" \
  --upstream-tls-opportunistic; then
  # The first query waits on the connection that fails; once it has, the
  # rule applies.
  in_ns dig +time=10 +tries=1 +short "@$Z" allowed.test >/dev/null 2>&1
  got=$(in_ns dig +time=10 +tries=1 +short "@$Z" clear.test 2>&1 | tr '\n' ' ')
  check "opportunistic: answered over UDP once TLS failed (got '$got')" \
    [ "$got" = "10.1.2.20 " ]
  stop_echo
  check "opportunistic: counted ($(c dns.upstream_fallback_udp) >= 1)" \
    [ "$(c dns.upstream_fallback_udp)" -ge 1 ]
  no_leak_case "the opportunistic blocker" "$err"
else
  not_ok "znet-dns-blocker starts with --upstream-tls-opportunistic"
  diag <"$err"
fi

finish
