#!/bin/bash
# TLS as scanners and other implementations see it: Debian's testssl.sh
# against znet-httpd, then GnuTLS (gnutls-cli) and curl against
# znet-httpd, and gnutls-cli and kdig against znet-dns-blocker's DNS
# over TLS port; on a TAP device in a private network namespace, with
# the ECDSA certificate of tests/tls and the examples' defaults (TLS 1.3
# and 1.2, TLS 1.3 session tickets).
#
#   tls_scan.sh /path/to/znet-httpd /path/to/znet-dns-blocker /path/to/tests/tls
#
# Checks, from testssl's JSON (-p -S -U, one case each): TLS 1.3 and TLS
# 1.2 offered; SSLv2, SSLv3, TLS 1.0 and TLS 1.1 not offered; TLS 1.3
# session tickets (TLS_session_ticket) and resumption by ticket
# (sessionresumption_ticket); every vulnerability testssl checks
# (heartbleed ... RC4) neither flagged VULNERABLE nor rated MEDIUM, HIGH
# or CRITICAL, nor left undecided (WARN); nothing else of the scan rated
# HIGH or CRITICAL but the test certificate's own properties (cert_*,
# reported: a century's validity, no CRL or OCSP URI).  What testssl
# found is printed as diag lines.  OCSP stapling is not checked.
# gnutls-cli --priority NORMAL:-VERS-ALL:+VERS-TLS1.3, verifying with
# the test CA: a GET answered 200; the same with each group alone (the
# server picks X25519, P-256, P-384 as offered), with X448 then P-384
# (P-384), with P-521 then P-384 (a HelloRetryRequest for P-384),
# refused with handshake_failure when only groups znet lacks are
# offered; -r resumes.  curl --tlsv1.3 --tls-max 1.3: 200 over
# TLSv1.3.  znet-httpd exits 0 with TLS 1.3 handshakes, the resumptions
# and the HelloRetryRequest counted, nothing leaked.  The DoT port:
# gnutls-cli's TLS 1.3 handshake completes, verified; kdig +tls has a
# blocked name answered NXDOMAIN (no upstream is ever asked); the
# blocker exits 0, nothing leaked.  About 60 s.
#
# testssl's s_client calls read their stdin from /dev/null, so each
# closes the moment its handshake is done, often before the TLS 1.3
# NewSessionTicket (sent after the client's Finished, RFC 8446 §4.6.1)
# has come: a race any server loses (s_client -tls1_3 </dev/null saw the
# ticket of OpenSSL's own s_server, in the namespace, 7 times in 20, of
# znet-httpd 6 times), and then testssl reports no tickets or a
# "connect problem" for resumption.  testssl is therefore given, as
# --openssl, a wrapper that holds the stdin of the s_client calls that
# connect to znet open half a second longer; nothing else changes.
#
# Needs root, /dev/net/tun, openssl, python3 (reads the JSON); testssl
# (Debian's testssl.sh), gnutls-cli (gnutls-bin), curl and kdig
# (knot-dnsutils) each skip their cases when missing.  All traffic stays
# in the namespace (testssl with --ip and --nodns none).  Output is TAP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

HTTPD=${1:-}
BLOCKER=${2:-}
CERTS=${3:-}
[ -n "$HTTPD" ] && [ -x "$HTTPD" ] && [ -n "$BLOCKER" ] && [ -x "$BLOCKER" ] &&
  [ -n "$CERTS" ] && [ -f "$CERTS/ca.pem" ] ||
  {
    echo "usage: $0 /path/to/znet-httpd /path/to/znet-dns-blocker /path/to/tests/tls" >&2
    exit 2
  }
HTTPD=$(cd "$(dirname "$HTTPD")" && pwd)/$(basename "$HTTPD")
BLOCKER=$(cd "$(dirname "$BLOCKER")" && pwd)/$(basename "$BLOCKER")
CERTS=$(cd "$CERTS" && pwd)

need_netns
need_cmd openssl python3 timeout
trap e2e_cleanup EXIT
e2e_tmpdir
T=$E2E_TMP
Z=$E2E_ZNET_IP
NAME=znet.test # one of the test certificate's names

if ! setup_netns; then
  not_ok "create network namespace with $E2E_TAP"
  finish
  exit 1
fi

mkdir -p "$T/www"
printf '<h1>scanned</h1>\n' >"$T/www/index.html"

out=$T/httpd.out
err=$T/httpd.err
# testssl alone takes 60 s on a quiet machine, twice that beside another
# test and a busy core, and more than 170 s on a loaded one (CI's other
# lane, a second job): it is bounded to 400 s, and the server lives as
# long as the test (meson.build's timeout, 540 s) less a margin.  The
# bounds cost nothing when testssl ends sooner.
E2E_SERVER_TIMEOUT=500
if ! start_znet znet-httpd "$HTTPD" "$out" "$err" --mac "$E2E_MAC" \
  --root "$T/www" --port 0 --tls-port 443 --cert "$CERTS/server-ec.pem" \
  --key "$CERTS/server-ec.key"; then
  not_ok "znet-httpd starts with --tls-port 443"
  diag <"$err"
  finish
  exit 1
fi
resumes=0 # how many clients below resume a session
hrrs=0    # how many get a HelloRetryRequest
tls13=0   # 1 once a TLS 1.3 client has run

# ---- testssl ----------------------------------------------------------------

# sev ID, fnd ID: the severity and the finding testssl gave ID (its first
# entry), from $T/scan.tsv; "#" left out (TAP reads it as a directive).
sev() { awk -F'\t' -v id="$1" '$1 == id { print $2; exit }' "$T/scan.tsv"; }
fnd() { awk -F'\t' -v id="$1" '$1 == id { gsub(/#/, ""); print $3; exit }' "$T/scan.tsv"; }

# proto_case ID LABEL WANT: testssl's finding for a protocol starts with
# WANT ("offered", "not offered").
proto_case() {
  local f
  f=$(fnd "$1")
  if [ "$3" = offered ]; then
    check "testssl: $2 offered ($1: $f)" eval '[[ $f == offered* ]]'
  else
    check "testssl: $2 not offered ($1: $f)" eval '[[ $f == "not offered"* ]]'
  fi
}

# vuln_case ID: testssl checked ID and found nothing: no VULNERABLE in
# the finding, a severity of OK, INFO or LOW.
vuln_case() {
  local id=$1 s f
  s=$(sev "$id")
  f=$(fnd "$id")
  if [ -z "$s" ]; then
    not_ok "testssl $id: not reported (the vulnerability checks did not run)"
  elif [[ $f == *VULNERABLE* ]]; then
    not_ok "testssl $id: flagged VULNERABLE ($s: $f)"
  else
    case $s in
    OK | INFO | LOW) ok "testssl $id: $s ($f)" ;;
    WARN) not_ok "testssl $id: could not be decided ($s: $f)" ;;
    *) not_ok "testssl $id: rated $s ($f)" ;;
    esac
  fi
}

# testssl 3.0's -U, as Debian 12 has it.
VULNS=(heartbleed CCS ticketbleed ROBOT secure_renego secure_client_renego
  CRIME_TLS BREACH POODLE_SSL fallback_SCSV SWEET32 FREAK DROWN LOGJAM
  BEAST LUCKY13 RC4)

if command -v testssl >/dev/null; then
  ossl=$(command -v openssl)
  cat >"$T/openssl" <<EOF
#!/bin/bash
# openssl for testssl: s_client to znet with its stdin held open 0.5 s
# past testssl's input, long enough for a TLS 1.3 ticket to arrive.
case " \$* " in
*" -connect $Z:"*) { cat; sleep 0.5; } | "$ossl" "\$@" ;;
*) exec "$ossl" "\$@" ;;
esac
EOF
  chmod +x "$T/openssl"
  t0=$(now_s)
  TMPDIR=$T in_ns_t 400 testssl --quiet --color 0 --warnings batch \
    --nodns none --ip "$Z" --add-ca "$CERTS/ca.pem" --openssl "$T/openssl" \
    -p -S -U --jsonfile "$T/scan.json" "$NAME:443" >"$T/scan.txt" 2>&1
  rc=$?
  took=$(elapsed "$t0")
  python3 - "$T/scan.json" >"$T/scan.tsv" 2>"$T/scan.py.err" <<'PY'
import json
import sys

for o in json.load(open(sys.argv[1])):
    f = ' '.join(str(o.get('finding', '')).split())
    print(f"{o.get('id', '')}\t{o.get('severity', '')}\t{f}")
PY
  if [ -n "$(sev scanTime)" ]; then
    ok "testssl -p -S -U ran to its end (exit status $rc, ${took} s)"
  else
    not_ok "testssl -p -S -U ran to its end (exit status $rc, ${took} s)"
    diag <"$T/scan.txt"
    diag <"$T/scan.py.err"
  fi
  awk -F'\t' '$1 != "cert" { print "testssl: " $1 " [" $2 "] " $3 }' "$T/scan.tsv" | diag

  proto_case TLS1_3 "TLS 1.3" offered
  proto_case TLS1_2 "TLS 1.2" offered
  proto_case SSLv2 SSLv2 not
  proto_case SSLv3 SSLv3 not
  proto_case TLS1 "TLS 1.0" not
  proto_case TLS1_1 "TLS 1.1" not

  tk=$(fnd TLS_session_ticket)
  rs=$(fnd sessionresumption_ticket)
  check "testssl: session tickets (TLS_session_ticket: $tk) and resumption by ticket (sessionresumption_ticket: $rs)" \
    eval '[[ $tk == valid* ]] && [ "$rs" = supported ]'
  resumes=$((resumes + 1))
  tls13=1

  for v in "${VULNS[@]}"; do
    vuln_case "$v"
  done
  # Anything else that testssl rates HIGH or CRITICAL, or calls
  # VULNERABLE, but the test certificate's own properties.
  awk -F'\t' '$1 !~ /^cert/ && ($2 == "HIGH" || $2 == "CRITICAL" || $3 ~ /VULNERABLE/) {
    gsub(/#/, ""); print $1 " [" $2 "] " $3 }' "$T/scan.tsv" >"$T/bad"
  check "testssl: nothing else rated HIGH or CRITICAL or VULNERABLE (outside cert_*)" \
    eval '[ ! -s "$T/bad" ]'
  diag <"$T/bad"
  awk -F'\t' '$1 ~ /^cert/ && $2 != "OK" && $2 != "INFO" {
    print "the test certificate (tests/tls, not znet): " $1 " [" $2 "] " $3 }' \
    "$T/scan.tsv" | diag
else
  skip_case "testssl scan" "testssl not installed (Debian package testssl.sh)"
fi

# ---- gnutls-cli and curl against znet-httpd --------------------------------

TLS13=NORMAL:-VERS-ALL:+VERS-TLS1.3
# gnutls PORT PRIORITY OUT [ARGS...]: gnutls-cli to znet verifying
# $NAME with the test CA, a GET /index.html on its stdin; its output and
# status to OUT.  The server closes after answering, which ends
# gnutls-cli; its stdin stays open until then (at most 20 s): at its end
# gnutls-cli closes the session, and a fixed 2 s for a handshake and an
# answer is a bet a loaded machine can lose.
gnutls() {
  local port=$1 pri=$2 o=$3 fifo=$T/gnutls.fifo pid rc end
  shift 3
  mkfifo "$fifo"
  in_ns_t 30 gnutls-cli --x509cafile "$CERTS/ca.pem" --sni-hostname "$NAME" \
    --verify-hostname "$NAME" --priority "$pri" -p "$port" "$@" "$Z" \
    <"$fifo" >"$o" 2>&1 &
  pid=$!
  (
    printf 'GET /index.html HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' "$NAME"
    end=$((SECONDS + 20))
    while [ "$SECONDS" -lt "$end" ] && kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  ) >"$fifo"
  wait "$pid"
  rc=$?
  rm -f "$fifo"
  echo "status $rc" >>"$o"
}
# desc OUT: gnutls-cli's "(TLS1.3-X.509)-(ECDHE-X25519)-..." line.
desc() { sed -n 's/^- Description: //p' "$1" | head -1; }
# answered OUT: the handshake verified and the GET answered 200 with the file.
answered() {
  grep -q "^- Status: The certificate is trusted" "$1" &&
    grep -q "^- Handshake was completed" "$1" &&
    grep -q "^HTTP/1.1 200 OK" "$1" && grep -q "<h1>scanned</h1>" "$1"
}

if command -v gnutls-cli >/dev/null; then
  o=$T/gnutls.out
  gnutls 443 "$TLS13" "$o"
  check "gnutls-cli TLS 1.3 only: verified, GET answered 200 ($(desc "$o"))" \
    eval 'answered "$o" && [[ $(desc "$o") == "(TLS1.3-"* ]]'
  answered "$o" || diag <"$o"
  for g in X25519 SECP256R1 SECP384R1; do
    o=$T/gnutls-$g.out
    gnutls 443 "$TLS13:-GROUP-ALL:+GROUP-$g" "$o"
    check "gnutls-cli, group $g alone: the server picks it, GET answered 200 ($(desc "$o"))" \
      eval 'answered "$o" && [[ $(desc "$o") == "(TLS1.3-X.509)-(ECDHE-$g)-"* ]]'
    answered "$o" || diag <"$o"
  done
  o=$T/gnutls-x448.out
  gnutls 443 "$TLS13:-GROUP-ALL:+GROUP-X448:+GROUP-SECP384R1" "$o"
  check "gnutls-cli, X448 (not znet's) then SECP384R1: the server picks P-384 ($(desc "$o"))" \
    eval 'answered "$o" && [[ $(desc "$o") == "(TLS1.3-X.509)-(ECDHE-SECP384R1)-"* ]]'
  # gnutls sends one share for two groups of the same kind: the first.
  o=$T/gnutls-hrr.out
  gnutls 443 "$TLS13:-GROUP-ALL:+GROUP-SECP521R1:+GROUP-SECP384R1" "$o" -d 4
  check "gnutls-cli, SECP521R1 (not znet's, its share sent) then SECP384R1: a HelloRetryRequest for P-384 ($(desc "$o"))" \
    eval 'answered "$o" && grep -q "HRR key share with SECP384R1" "$o" &&
      [[ $(desc "$o") == "(TLS1.3-X.509)-(ECDHE-SECP384R1)-"* ]]'
  hrrs=1
  tls13=1
  o=$T/gnutls-none.out
  gnutls 443 "$TLS13:-GROUP-ALL:+GROUP-X448:+GROUP-SECP521R1:+GROUP-FFDHE2048" "$o"
  check "gnutls-cli, only X448, P-521, FFDHE2048: refused with handshake_failure ($(grep -o 'Received alert.*' "$o"))" \
    eval 'grep -q "Received alert \[40\]" "$o" && ! grep -q "^HTTP/1.1" "$o"'
  o=$T/gnutls-r.out
  in_ns_t 20 gnutls-cli --x509cafile "$CERTS/ca.pem" --sni-hostname "$NAME" \
    --verify-hostname "$NAME" --priority "$TLS13" -p 443 -r "$Z" </dev/null >"$o" 2>&1
  check "gnutls-cli -r: the second connection resumes the first's TLS 1.3 session" \
    eval 'grep -q "^- Resume Handshake was completed" "$o" &&
      grep -q "This is a resumed session" "$o"'
  grep -q "This is a resumed session" "$o" || diag <"$o"
  resumes=$((resumes + 1))
else
  skip_case "gnutls-cli against znet-httpd" "gnutls-cli not installed (Debian package gnutls-bin)"
fi

if command -v curl >/dev/null; then
  code=$(in_ns_t 20 curl -sS -v --tlsv1.3 --tls-max 1.3 --cacert "$CERTS/ca.pem" \
    --resolve "$NAME:443:$Z" -o "$T/curl.body" -w '%{http_code}' \
    "https://$NAME/index.html" 2>"$T/curl.err")
  using=$(grep -o "SSL connection using .*" "$T/curl.err" | head -1)
  if [ "$code" = 200 ] && [[ $using == "SSL connection using TLSv1.3 "* ]] &&
    cmp -s "$T/curl.body" "$T/www/index.html"; then
    ok "curl --tlsv1.3 --tls-max 1.3: 200 ($using)"
    tls13=1
  else
    not_ok "curl --tlsv1.3 --tls-max 1.3: 200 (got '$code', '$using')"
    diag <"$T/curl.err"
  fi
else
  skip_case "curl --tlsv1.3 against znet-httpd" "curl not installed"
fi

stop_echo
rc=$?
check "znet-httpd exits 0 on SIGINT (got $rc)" [ "$rc" -eq 0 ]
c() { counter "$err" "$1"; }
counts="$(c tls.handshakes_ok) handshakes, $(c tls.handshakes_tls13) TLS 1.3, $(c tls.handshakes_resumed) resumed, $(c tls.handshakes_hrr) after a HelloRetryRequest, $(c tls.handshakes_failed) failed"
if [ "$(c tls.handshakes_tls13)" -ge "$tls13" ] && [ "$(c tls.handshakes_resumed)" -ge "$resumes" ] &&
  [ "$(c tls.handshakes_hrr)" -ge "$hrrs" ]; then
  ok "znet-httpd's counters: $counts"
else
  not_ok "znet-httpd's counters: $counts (want >= $tls13 TLS 1.3, >= $resumes resumed, >= $hrrs HelloRetryRequest)"
fi
grep "^  tls\." "$err" | diag
no_leak_case "znet-httpd" "$err"

# ---- the DNS-over-TLS port ----------------------------------------------------

# No upstream is ever asked: the only name queried is blocked, answered
# by the blocker itself; --upstream names the TAP's kernel side, inside
# the namespace.
if command -v gnutls-cli >/dev/null || command -v kdig >/dev/null; then
  out=$T/blocker.out
  err=$T/blocker.err
  if start_znet znet-dns-blocker "$BLOCKER" "$out" "$err" --mac "$E2E_MAC" \
    --upstream "$E2E_KERNEL_IP" --block blocked.test --tls-port 853 \
    --cert "$CERTS/server-ec.pem" --key "$CERTS/server-ec.key"; then
    if command -v gnutls-cli >/dev/null; then
      o=$T/dot.out
      in_ns_t 20 gnutls-cli --x509cafile "$CERTS/ca.pem" --sni-hostname "$NAME" \
        --verify-hostname "$NAME" --priority "$TLS13" -p 853 "$Z" </dev/null >"$o" 2>&1
      check "gnutls-cli to the DoT port 853: TLS 1.3 handshake completed, verified ($(desc "$o"))" \
        eval 'grep -q "^- Handshake was completed" "$o" &&
          grep -q "^- Status: The certificate is trusted" "$o" &&
          [[ $(desc "$o") == "(TLS1.3-"* ]]'
      grep -q "^- Handshake was completed" "$o" || diag <"$o"
    else
      skip_case "gnutls-cli to the DoT port" "gnutls-cli not installed (Debian package gnutls-bin)"
    fi
    if command -v kdig >/dev/null; then
      in_ns_t 20 kdig +tls +tls-ca="$CERTS/ca.pem" +tls-hostname="$NAME" +time=10 \
        +retry=0 "@$Z" blocked.test >"$T/kdig.out" 2>&1
      st=$(sed -n 's/.*status: \([A-Z]*\).*/\1/p' "$T/kdig.out")
      sess=$(sed -n 's/^;; TLS session //p' "$T/kdig.out")
      check "kdig +tls: blocked.test NXDOMAIN over $sess (got '$st')" \
        eval '[ "$st" = NXDOMAIN ] && [[ $sess == "(TLS1.3)-"* ]]'
    else
      skip_case "kdig +tls to the DoT port" "kdig not installed (Debian package knot-dnsutils)"
    fi
    if stop_echo; then ok "the blocker exits 0"; else not_ok "the blocker exits 0"; fi
    check "the blocker's counters: $(c tls.handshakes_tls13) TLS 1.3 handshakes of $(c tls.handshakes_ok)" \
      eval '[ "$(c tls.handshakes_tls13)" -ge 1 ] &&
        [ "$(c tls.handshakes_tls13)" = "$(c tls.handshakes_ok)" ]'
    no_leak_case "the blocker" "$err"
  else
    not_ok "znet-dns-blocker starts with --tls-port 853"
    diag <"$err"
  fi
else
  skip_case "the DoT port" "neither gnutls-cli nor kdig installed"
fi

finish
