#!/bin/bash
# TLS end to end against OpenSSL: znet-echo's TLS echo (--tls-port) and
# znet-nc --tls on a TAP device in a private network namespace, with the
# test certificates of tests/tls (make-certs.sh).
#
#   tls.sh /path/to/znet-echo /path/to/znet-nc /path/to/tests/tls
#
# Checks, with znet-echo and openssl s_client: for the ECDSA and the RSA
# certificate, each of the three suites of the policy forced with
# -cipher: TLSv1.2 and that suite negotiated, the chain verified against
# the test CA, 1 KiB echoed byte for byte (SHA-256); 10 MiB echoed byte
# for byte with each certificate; sessions resumed from the server's
# cache (-reconnect); RFC 8446 §4.1.3's downgrade sentinel ending the
# ServerHello.random of each TLS 1.2 handshake (-tls1_2 -msg), resumed
# ones too; refused cleanly (no session, the server up, the
# failure counted by reason): a TLS 1.0-only and a TLS 1.1-only client, a
# client offering only weak suites (RSA key exchange, CBC), a TLS
# 1.3-only client, a renegotiation.  With znet-nc --tls (znet's TLS 1.3
# client) and openssl s_server: TLS 1.3, the chain verified with the test
# CA, 1 MiB of znet-nc's pattern arrives intact (SHA-256), stdin goes
# through (RSA: RSA-PSS); each TLS 1.3 suite; -groups P-256 and P-384 (a
# HelloRetryRequest); a TLS 1.2-only s_server with each certificate
# (BearSSL's engine takes over); -verify (a CertificateRequest); nginx
# (TLS 1.3 only) serving a file; gnutls-serv --echo (TLS 1.3 only);
# refused with a wrong --tls-name, with
# an expired certificate, with a certificate of an unknown CA, each
# naming the reason and exiting 1.  At exit no buffer leaked and nothing
# was reported by the sanitizers.  Needs root, /dev/net/tun, openssl,
# python3, sha256sum; otherwise skips.  Output is TAP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

ECHO=${1:-}
NC=${2:-}
CERTS=${3:-}
[ -n "$ECHO" ] && [ -x "$ECHO" ] && [ -n "$NC" ] && [ -x "$NC" ] &&
  [ -n "$CERTS" ] && [ -f "$CERTS/ca.pem" ] ||
  { echo "usage: $0 /path/to/znet-echo /path/to/znet-nc /path/to/tests/tls" >&2; exit 2; }
ECHO=$(cd "$(dirname "$ECHO")" && pwd)/$(basename "$ECHO")
E2E_NC=$(cd "$(dirname "$NC")" && pwd)/$(basename "$NC")
CERTS=$(cd "$CERTS" && pwd)

need_netns
need_cmd openssl python3 sha256sum timeout mkfifo stat
trap e2e_cleanup EXIT
e2e_tmpdir
T=$E2E_TMP
Z=$E2E_ZNET_IP
K=$E2E_KERNEL_IP
PORT=7443

if ! setup_netns; then
  not_ok "create network namespace with $E2E_TAP"
  finish
  exit 1
fi

head -c 1024 /dev/urandom >"$T/r1k"
head -c $((10 << 20)) /dev/urandom >"$T/r10m"

# s_client_echo FILE OUT ERR [S_CLIENT ARGS...]: FILE through znet-echo's
# TLS echo.  s_client reads its stdin from a FIFO that stays open until
# everything came back: at its end it sends close_notify and exits, and
# TLS 1.2 has no half-close (RFC 5246 §7.2.1), so it must not end before.
s_client_echo() {
  local file=$1 out=$2 err=$3
  shift 3
  local size fifo=$T/fifo.$RANDOM i
  size=$(stat -c %s "$file")
  mkfifo "$fifo"
  : >"$out"
  in_ns_t 90 openssl s_client -connect "$Z:$PORT" -CAfile "$CERTS/ca.pem" \
    -verify_return_error -servername localhost -brief -no_ign_eof -nocommands "$@" \
    <"$fifo" >"$out" 2>"$err" &
  local pid=$!
  {
    cat "$file"
    for i in $(seq 1 600); do
      [ "$(stat -c %s "$out" 2>/dev/null || echo 0)" -ge "$size" ] && break
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
  } >"$fifo" 2>/dev/null
  wait "$pid"
  local rc=$?
  rm -f "$fifo"
  return $rc
}

sum() { sha256sum <"$1" | cut -d' ' -f1; }

# s_client_bg OUT ERR S_CLIENT ARGS...: s_client in the background, its
# stdin a FIFO the caller writes to (S_FIFO, S_PID), each next line only
# once await saw the last one's effect: s_client takes a command letter
# (k, K, R) only at the start of what one read of stdin returns, so
# lines written at fixed intervals come to it at once when a loaded
# machine delays its handshake past them; and at the end of its stdin
# it closes the session, so that end must wait for the last answer, not
# a sleep.  The writer is a subshell: a write after s_client ended must
# not end the test's own shell by SIGPIPE.  s_client_end collects its
# status.
s_client_bg() {
  local out=$1 err=$2
  shift 2
  S_FIFO=$T/s_client.fifo.$RANDOM
  mkfifo "$S_FIFO"
  : >"$out" # no line left from an earlier session for await to find
  : >"$err"
  in_ns_t 60 openssl s_client "$@" <"$S_FIFO" >"$out" 2>"$err" &
  S_PID=$!
}
s_client_end() {
  wait "$S_PID"
  local rc=$?
  rm -f "$S_FIFO"
  return $rc
}

# await FILE REGEX: until a line of FILE matches REGEX (at most 30 s),
# while s_client (S_PID) runs.
await() {
  local end=$((SECONDS + 30))
  while [ "$SECONDS" -lt "$end" ]; do
    grep -q "$2" "$1" 2>/dev/null && return 0
    kill -0 "$S_PID" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# echo_case KIND CIPHER FILE: one s_client session with only CIPHER.
echo_case() {
  local kind=$1 cipher=$2 file=$3 out=$T/echo.out err=$T/echo.err
  s_client_echo "$file" "$out" "$err" -tls1_2 -cipher "$cipher"
  local rc=$?
  if [ "$rc" -eq 0 ] && grep -q "^Protocol version: TLSv1.2$" "$err" &&
    grep -q "^Ciphersuite: $cipher$" "$err" && grep -q "^Verification: OK$" "$err" &&
    [ "$(sum "$out")" = "$(sum "$file")" ]; then
    ok "$kind: s_client -cipher $cipher: TLSv1.2, $cipher, verified, $(stat -c %s "$file") bytes echoed (SHA-256)"
  else
    not_ok "$kind: s_client -cipher $cipher: TLSv1.2, $cipher, verified, echo intact (rc $rc)"
    diag <"$err"
  fi
}

# tls13_case KIND FILE S_CLIENT ARGS...: one TLS 1.3 session: FILE echoed,
# the suite and group named in the check.
tls13_case() {
  local kind=$1 file=$2 out=$T/echo13.out err=$T/echo13.err
  shift 2
  s_client_echo "$file" "$out" "$err" -tls1_3 "$@"
  local rc=$?
  local suite group
  suite=$(sed -n 's/^Ciphersuite: //p' "$err")
  group=$(sed -n 's/^\(Negotiated TLS1.3 group\|Server Temp Key\): //p' "$err" | head -1)
  if [ "$rc" -eq 0 ] && grep -q "^Protocol version: TLSv1.3$" "$err" &&
    grep -q "^Verification: OK$" "$err" && [ "$(sum "$out")" = "$(sum "$file")" ]; then
    ok "$kind: s_client -tls1_3 $*: TLSv1.3, $suite, ${group:-?}, verified, $(stat -c %s "$file") bytes echoed"
  else
    not_ok "$kind: s_client -tls1_3 $*: TLSv1.3, verified, echo intact (rc $rc)"
    diag <"$err"
  fi
}

# key_update_case KIND k|K: a line, s_client's KeyUpdate (K asks ours
# back), another line: both echoed across the key change (RFC 8446
# §4.6.3).
key_update_case() {
  local kind=$1 cmd=$2
  s_client_bg "$T/ku.out" "$T/ku.err" -connect "$Z:$PORT" -servername localhost \
    -CAfile "$CERTS/ca.pem" -tls1_3 -brief
  (
    printf 'before the update\n'
    await "$T/ku.out" "^before the update"
    printf '%s\n' "$cmd"
    await "$T/ku.err" "^KEYUPDATE"
    printf 'after the update\n'
    await "$T/ku.out" "^after the update"
  ) >"$S_FIFO"
  s_client_end
  if grep -q "^before the update" "$T/ku.out" && grep -q "^after the update" "$T/ku.out" &&
    grep -q "^KEYUPDATE" "$T/ku.err"; then
    ok "$kind: TLS 1.3 KeyUpdate ($cmd): the echo goes on under the new keys"
  else
    not_ok "$kind: TLS 1.3 KeyUpdate ($cmd): the echo goes on under the new keys"
    diag <"$T/ku.err"
    diag <"$T/ku.out"
  fi
}

# resumption_case KIND: a session's ticket saved (-sess_out), then
# offered (-sess_in): the second handshake resumes it (RFC 8446 §2.2).
resumption_case() {
  local kind=$1
  rm -f "$T/sess"
  # The first session ends once its line came back and its ticket (sent
  # after the handshake) is saved.
  s_client_bg "$T/res1.out" "$T/res1.err" -connect "$Z:$PORT" -servername localhost \
    -CAfile "$CERTS/ca.pem" -tls1_3 -sess_out "$T/sess"
  (
    printf 'first\n'
    await "$T/res1.out" "^first"
    await "$T/sess" "END SSL SESSION PARAMETERS"
  ) >"$S_FIFO"
  s_client_end
  s_client_bg "$T/res2.out" "$T/res2.err" -connect "$Z:$PORT" -servername localhost \
    -CAfile "$CERTS/ca.pem" -tls1_3 -sess_in "$T/sess"
  (
    printf 'second\n'
    await "$T/res2.out" "^second"
  ) >"$S_FIFO"
  s_client_end
  if [ -s "$T/sess" ] && grep -q "^Reused, TLSv1.3" "$T/res2.out" &&
    grep -q "^second" "$T/res2.out"; then
    ok "$kind: TLS 1.3 resumption: the ticket of one session resumes the next ($(grep -o '^Reused, TLSv1.3, Cipher is [A-Z0-9_]*' "$T/res2.out"))"
  else
    not_ok "$kind: TLS 1.3 resumption with -sess_out / -sess_in"
    cat "$T/res2.out" "$T/res2.err" | grep -i "reused\|new,\|ticket\|error" | head -5 | diag
  fi
}

# server_randoms FILE: the random of each ServerHello in s_client -msg's
# output FILE, in hex, one a line (RFC 5246 §7.4.1.3: after the 4-byte
# header and the 2-byte version).
server_randoms() {
  python3 - "$1" <<'PY'
import re, sys
hexline = re.compile(r'^\s+([0-9a-f]{2}(?:[ -][0-9a-f]{2})*)\s*$')
msg = None
for line in open(sys.argv[1], errors='replace'):
    if msg is not None:
        m = hexline.match(line)
        if m:
            msg += re.split(r'[ -]', m.group(1))
            continue
        if len(msg) >= 38:
            print(''.join(msg[6:38]))
        msg = None
    if re.match(r'^<<< TLS 1\.2, Handshake .*ServerHello$', line):
        msg = []
if msg is not None and len(msg) >= 38:
    print(''.join(msg[6:38]))
PY
}

# RFC 8446 §4.1.3: the random of a TLS 1.3 server that answers TLS 1.2
# ends with "DOWNGRD\x01".
DOWNGRD01=444f574e47524401

# downgrade_case KIND: s_client -tls1_2 (which offers no TLS 1.3, so
# checks nothing) completes its handshake with znet-echo, which speaks
# TLS 1.3 too: the ServerHello's random (-msg) ends with the sentinel.
downgrade_case() {
  local kind=$1 r
  printf 'x\n' | in_ns_t 20 openssl s_client -connect "$Z:$PORT" -CAfile "$CERTS/ca.pem" \
    -verify_return_error -servername localhost -tls1_2 -msg >"$T/dg.out" 2>&1
  local rc=$?
  r=$(server_randoms "$T/dg.out")
  if [ "$rc" -eq 0 ] && grep -q "^New, TLSv1.2, Cipher is ECDHE-" "$T/dg.out" &&
    [ "$(echo "$r" | wc -l)" -eq 1 ] && [ "${r: -16}" = "$DOWNGRD01" ]; then
    ok "$kind: s_client -tls1_2: handshake done, ServerHello.random $r ends with $DOWNGRD01"
  else
    not_ok "$kind: s_client -tls1_2: handshake done, ServerHello.random ends with $DOWNGRD01 (exit $rc, random '${r:-none}')"
    grep -i "error\|alert\|New,\|ServerHello" "$T/dg.out" | head -8 | diag
  fi
}

# refused_case NAME S_CLIENT ARGS...: a client the server must refuse: no
# session (s_client fails, no Ciphersuite line).
refused_case() {
  local name=$1
  shift
  printf 'x' | in_ns_t 20 openssl s_client -connect "$Z:$PORT" -servername localhost \
    -CAfile "$CERTS/ca.pem" -brief -no_ign_eof "$@" >"$T/ref.out" 2>"$T/ref.err"
  local rc=$?
  if [ "$rc" -ne 0 ] && ! grep -q "^Ciphersuite:" "$T/ref.err"; then
    ok "$name refused ($(grep -o 'alert [a-z ]*\|no protocols available\|no ciphers available\|wrong version number' "$T/ref.err" | head -1))"
  else
    not_ok "$name refused (s_client exit $rc)"
    diag <"$T/ref.err"
  fi
}

# ---- znet-echo's TLS echo, ECDSA then RSA ---------------------------------

ec_ciphers=(ECDHE-ECDSA-AES128-GCM-SHA256 ECDHE-ECDSA-AES256-GCM-SHA384
  ECDHE-ECDSA-CHACHA20-POLY1305)
rsa_ciphers=(ECDHE-RSA-AES128-GCM-SHA256 ECDHE-RSA-AES256-GCM-SHA384
  ECDHE-RSA-CHACHA20-POLY1305)
tls13_suites=(TLS_AES_128_GCM_SHA256 TLS_AES_256_GCM_SHA384
  TLS_CHACHA20_POLY1305_SHA256)
tls13_groups=(X25519 P-256 P-384)

for kind in ec rsa; do
  out=$T/echo-$kind.out
  err=$T/echo-$kind.err
  if ! start_echo "$ECHO" "$out" "$err" --mac "$E2E_MAC" --bufs 4096 \
    --tls-port "$PORT" --cert "$CERTS/server-$kind.pem" --key "$CERTS/server-$kind.key"; then
    not_ok "znet-echo --tls-port $PORT ($kind) starts"
    diag <"$err"
    continue
  fi
  check "$kind: znet-echo says it echoes TLS on port $PORT" \
    grep -q "echoing TLS on port $PORT " "$out"
  if [ "$kind" = ec ]; then ciphers=("${ec_ciphers[@]}"); else ciphers=("${rsa_ciphers[@]}"); fi
  for c in "${ciphers[@]}"; do
    echo_case "$kind" "$c" "$T/r1k"
  done
  for c in "${tls13_suites[@]}"; do
    tls13_case "$kind" "$T/r1k" -ciphersuites "$c"
  done
  for g in "${tls13_groups[@]}"; do
    tls13_case "$kind" "$T/r1k" -groups "$g"
  done
  # A share only for P-521, which znet does not do: a HelloRetryRequest
  # asks for P-256, the client's next choice.
  tls13_case "$kind" "$T/r1k" -groups P-521:P-256
  t0=$(now_s)
  s_client_echo "$T/r10m" "$T/big13.out" "$T/big13.err" -tls1_3
  rc=$?
  dt=$(elapsed "$t0")
  check "$kind: TLS 1.3: 10 MiB echoed byte for byte (SHA-256; $dt s, exit $rc)" \
    [ "$(sum "$T/big13.out")" = "$(sum "$T/r10m")" ]
  echo "# $kind: TLS 1.3: 10 MiB echoed in $dt s: $(mbit $((10 << 20)) "$dt") Mbit/s each way"
  key_update_case "$kind" k
  key_update_case "$kind" K
  resumption_case "$kind"
  downgrade_case "$kind"
  t0=$(now_s)
  s_client_echo "$T/r10m" "$T/big.out" "$T/big.err" -tls1_2
  rc=$?
  dt=$(elapsed "$t0")
  check "$kind: 10 MiB echoed byte for byte (SHA-256; $dt s, exit $rc)" \
    [ "$(sum "$T/big.out")" = "$(sum "$T/r10m")" ]
  echo "# $kind: 10 MiB echoed in $dt s: $(mbit $((10 << 20)) "$dt") Mbit/s each way"
  if [ "$kind" = ec ]; then
    printf 'x\n' | in_ns_t 60 openssl s_client -connect "$Z:$PORT" -CAfile "$CERTS/ca.pem" \
      -servername localhost -tls1_2 -reconnect -msg >"$T/reconnect.out" 2>&1
    reused=$(grep -c "^Reused, TLSv1.2" "$T/reconnect.out")
    check "s_client -reconnect: sessions resumed from the cache ($reused of 5)" [ "$reused" -ge 4 ]
    hellos=$(server_randoms "$T/reconnect.out" | wc -l)
    marked=$(server_randoms "$T/reconnect.out" | grep -c "$DOWNGRD01\$")
    check "s_client -reconnect: every ServerHello.random, resumed ones too, ends with $DOWNGRD01 ($marked of $hellos)" \
      [ "$hellos" -ge 5 -a "$marked" -eq "$hellos" ]
    refused_case "a TLS 1.0-only client" -tls1 -cipher 'DEFAULT:@SECLEVEL=0'
    refused_case "a TLS 1.1-only client" -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0'
    refused_case "a client offering only RSA key exchange and CBC (AES128-SHA, AES256-SHA256)" \
      -tls1_2 -cipher 'AES128-SHA:AES256-SHA256:@SECLEVEL=0'
    refused_case "a client offering only ECDHE with CBC (ECDHE-ECDSA-AES128-SHA)" \
      -tls1_2 -cipher 'ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0'
    # s_client's R command asks for a renegotiation, which the policy
    # refuses (no_renegotiation); OpenSSL then gives up the session.
    s_client_bg "$T/reneg.out" "$T/reneg.err" -connect "$Z:$PORT" -servername localhost \
      -CAfile "$CERTS/ca.pem" -tls1_2 -brief
    (
      printf 'hello\n'
      await "$T/reneg.out" "^hello"
      printf 'R\n'
      await "$T/reneg.err" "^RENEGOTIATING"
    ) >"$S_FIFO"
    s_client_end
    check "a renegotiation is refused (the session ends, the echo goes on)" \
      grep -q "^RENEGOTIATING" "$T/reneg.err"
    echo_case "$kind" "${ec_ciphers[0]}" "$T/r1k" # still serving
  fi
  settle_tcp "$PORT"
  stop_echo
  rc=$?
  check "$kind: znet-echo exits 0 on SIGINT (got $rc)" [ "$rc" -eq 0 ]
  opened=$(counter "$err" tls_echo.opened)
  ok_hs=$(counter "$err" tls.handshakes_ok)
  left=$(counter "$err" tls_echo.active_at_exit)
  check "$kind: every session closed before exit ($left left); handshakes $ok_hs = opened $opened" \
    [ "$left" -eq 0 -a "$ok_hs" -eq "$opened" -a "$ok_hs" -ge 4 ]
  t13=$(counter "$err" tls.handshakes_tls13)
  hrr=$(counter "$err" tls.handshakes_hrr)
  res=$(counter "$err" tls.handshakes_resumed)
  check "$kind: TLS 1.3 handshakes counted ($t13 >= 9), one after a HelloRetryRequest ($hrr), one resumed ($res)" \
    [ "$t13" -ge 9 -a "$hrr" -eq 1 -a "$res" -eq 1 ]
  if [ "$kind" = ec ]; then
    fv=$(counter "$err" tls.failed_version)
    fc=$(counter "$err" tls.failed_no_shared_cipher)
    check "refusals counted: failed_version $fv >= 2 (TLS 1.0, 1.1), failed_no_shared_cipher $fc >= 2 (weak)" \
      [ "$fv" -ge 2 -a "$fc" -ge 2 ]
    as=$(counter "$err" tls.alerts_sent)
    check "each refusal told the client with a fatal alert ($as)" [ "$as" -ge 4 ]
  fi
  grep "^  tls" "$err" | diag
  no_leak_case "znet-echo ($kind)" "$err"
done

# ---- znet-nc --tls against openssl s_server --------------------------------

# start_s_server CERT KEY OUT: one connection on $K:4433, what it receives
# to OUT (-quiet: the data only).  Its stdin is a FIFO this script holds
# open (fd 7), so that it never ends: its end would close the session.
SPORT=4433
mkfifo "$T/hold"
exec 7<>"$T/hold"
start_s_server() {
  local cert=$1 key=$2 out=$3
  shift 3
  : >"$out"
  ip netns exec "$E2E_NS" timeout 60 openssl s_server \
    -accept "$K:$SPORT" -cert "$cert" -key "$key" -naccept 1 -quiet "$@" \
    <"$T/hold" >"$out" 2>"$out.err" &
  bg_pid $!
  wait_listen "$SPORT"
}

nout=$T/nc.out
nerr=$T/nc.err
start_s_server "$CERTS/server-ec.pem" "$CERTS/server-ec.key" "$T/s1.out"
want=$(python3 "$here/nc_pattern.py" $((1 << 20)))
znet_nc "$K" "$SPORT" --tls --tls-name localhost --ca "$CERTS/ca.pem" --send 1M \
  --sha256 -w 30 -v >"$nout" 2>"$nerr"
rc=$?
sleep 0.5
check "znet-nc --tls --send 1M -> s_server: exit 0 (got $rc)" [ "$rc" -eq 0 ]
check "znet-nc: TLSv1.3, certificate verified for localhost" \
  grep -q "^znet-nc: tls: TLSv1.3 TLS_AES_.*, certificate verified for localhost$" "$nerr"
check "s_server received the pattern: SHA-256 = nc_pattern.py's" [ "$(sum "$T/s1.out")" = "$want" ]
check "znet-nc closed cleanly (close_notify both ways)" grep -q "^znet-nc: closed cleanly" "$nerr"
grep "^znet-nc: \(tls\|sent\)" "$nerr" | diag
no_leak_case "znet-nc --tls --send" "$nerr"

start_s_server "$CERTS/server-rsa.pem" "$CERTS/server-rsa.key" "$T/s2.out"
printf 'hello over tls\n' >"$T/hello"
znet_nc "$K" "$SPORT" --tls --tls-name znet.test --ca "$CERTS/ca.pem" -w 10 \
  <"$T/hello" >"$nout" 2>"$nerr"
rc=$?
sleep 0.5
check "znet-nc --tls stdin -> s_server (RSA, name znet.test): exit 0 (got $rc)" [ "$rc" -eq 0 ]
check "s_server got znet-nc's stdin" cmp -s "$T/hello" "$T/s2.out"
check "znet-nc: TLSv1.3 with the RSA certificate (RSA-PSS)" \
  grep -q "^znet-nc: tls: TLSv1.3 TLS_AES_" "$nerr"

# nc_case NAME WANT CERT KEY [S_SERVER ARGS...]: znet-nc --tls sends 64 KiB
# of its pattern to s_server run with ARGS; its "tls:" line must match
# WANT and the data arrive intact.
nc_case() {
  local name=$1 want_re=$2 cert=$3 key=$4
  shift 4
  start_s_server "$cert" "$key" "$T/s4.out" "$@"
  znet_nc "$K" "$SPORT" --tls --tls-name localhost --ca "$CERTS/ca.pem" --send 64K \
    -w 20 -v >"$nout" 2>"$nerr"
  local rc=$?
  sleep 0.3
  local want
  want=$(python3 "$here/nc_pattern.py" $((64 << 10)))
  if [ "$rc" -eq 0 ] && grep -q "^znet-nc: tls: $want_re" "$nerr" &&
    [ "$(sum "$T/s4.out")" = "$want" ]; then
    ok "znet-nc --tls -> s_server $name: $(sed -n 's/^znet-nc: tls: //p' "$nerr"), 64 KiB intact"
  else
    not_ok "znet-nc --tls -> s_server $name: exit 0 (got $rc), '$want_re', 64 KiB intact"
    diag <"$nerr"
    diag <"$T/s4.out.err"
  fi
  no_leak_case "znet-nc -> s_server $name" "$nerr"
}

EC_CERT=$CERTS/server-ec.pem
EC_KEY=$CERTS/server-ec.key
for suite in TLS_AES_128_GCM_SHA256 TLS_AES_256_GCM_SHA384 TLS_CHACHA20_POLY1305_SHA256; do
  nc_case "-tls1_3 -ciphersuites $suite" "TLSv1.3 $suite " "$EC_CERT" "$EC_KEY" \
    -tls1_3 -ciphersuites "$suite"
done
# znet's client sends an X25519 share: a server that takes only P-256 or
# P-384 answers with a HelloRetryRequest.
nc_case "-groups P-256 (HelloRetryRequest)" "TLSv1.3 " "$EC_CERT" "$EC_KEY" -tls1_3 -groups P-256
nc_case "-groups P-384 (HelloRetryRequest)" "TLSv1.3 " "$EC_CERT" "$EC_KEY" -tls1_3 -groups P-384
# A TLS 1.2-only server: BearSSL's engine takes over from its
# ServerHello, with the hello znet's client sent.
nc_case "-tls1_2 (ECDSA)" "TLSv1.2 ECDHE-ECDSA-" "$EC_CERT" "$EC_KEY" -tls1_2
nc_case "-tls1_2 (RSA)" "TLSv1.2 ECDHE-RSA-" "$CERTS/server-rsa.pem" \
  "$CERTS/server-rsa.key" -tls1_2
# A TLS 1.2 ServerHello cut over records of 16 bytes (a relay between
# them, tls_reframe.py): gathered, remade as one record and handed to
# BearSSL's engine.
start_s_server "$EC_CERT" "$EC_KEY" "$T/s6.out" -tls1_2
ip netns exec "$E2E_NS" timeout 40 python3 "$here/tls_reframe.py" "$K" 4434 "$K" "$SPORT" 16 \
  >"$T/reframe.out" 2>"$T/reframe.err" &
bg_pid $!
wait_listen 4434
znet_nc "$K" 4434 --tls --tls-name localhost --ca "$CERTS/ca.pem" --send 64K \
  -w 20 -v >"$nout" 2>"$nerr"
rc=$?
sleep 0.3
want=$(python3 "$here/nc_pattern.py" $((64 << 10)))
cut_ok=0
[ "$rc" -eq 0 ] && [ "$(sum "$T/s6.out")" = "$want" ] &&
  grep -q "^znet-nc: tls: TLSv1.2 ECDHE-ECDSA-" "$nerr" &&
  grep -q "^cut " "$T/reframe.err" && cut_ok=1
check "znet-nc --tls -> a TLS 1.2 ServerHello in records of 16 bytes: exit 0 (got $rc), TLSv1.2, 64 KiB intact ($(cat "$T/reframe.err"))" \
  [ "$cut_ok" = 1 ]
[ "$cut_ok" = 1 ] || diag <"$nerr"
no_leak_case "znet-nc -> a cut TLS 1.2 hello" "$nerr"

nc_case "-tls1_3 -verify (a CertificateRequest: no certificate sent)" \
  "TLSv1.3 " "$EC_CERT" "$EC_KEY" -tls1_3 -verify 1

# Resumption: znet-nc --repeat 3 keeps s_server's tickets and offers one
# on each next connection; s_server (-groups P-256) asks each hello for a
# P-256 share, so the ticket is offered again after the HelloRetryRequest
# with its binder over that exchange, and taken.
start_s_server "$EC_CERT" "$EC_KEY" "$T/s5.out" -tls1_3 -groups P-256 -naccept 3
znet_nc "$K" "$SPORT" --tls --tls-name localhost --ca "$CERTS/ca.pem" --send 16K \
  --repeat 3 -w 20 -v >"$nout" 2>"$nerr"
rc=$?
sleep 0.3
want=$(python3 "$here/nc_pattern.py" $((16 << 10)))
resumed=$(grep -c "^znet-nc: tls: TLSv1.3 .* resumed, a session of a certificate verified for localhost$" "$nerr")
check "znet-nc --tls --repeat 3 -> s_server -groups P-256: exit 0 (got $rc), 3 clean closes" \
  [ "$rc" -eq 0 -a "$(grep -c '^znet-nc: closed cleanly' "$nerr")" = 3 ]
check "the second and third resumed after a HelloRetryRequest ($resumed resumed; offered $(counter "$nerr" tls.tickets_offered), hrr $(counter "$nerr" tls.handshakes_hrr))" \
  [ "$resumed" = 2 -a "$(counter "$nerr" tls.handshakes_resumed)" = 2 -a \
  "$(counter "$nerr" tls.handshakes_hrr)" = 3 ]
check "s_server received the pattern three times" \
  [ "$(python3 -c 'import sys,hashlib; d=open(sys.argv[1],"rb").read(); n=len(d)//3; print(hashlib.sha256(d[:n]).hexdigest() if len(d)==3*n and d[:n]==d[n:2*n]==d[2*n:] else "bad")' "$T/s5.out")" = "$want" ]
grep "^znet-nc: \(tls\|connection\)\|tls\.\(tickets\|handshakes\)" "$nerr" | diag
no_leak_case "znet-nc --repeat 3" "$nerr"

# nginx (its OpenSSL, TLS 1.3 only) serving a file: znet-nc --tls sends
# the request and gets the file whole.
if command -v nginx >/dev/null 2>&1; then
  ng=$T/nginx
  mkdir -p "$ng/www"
  head -c 100000 /dev/urandom >"$ng/www/f.bin"
  cat >"$ng/nginx.conf" <<EOF
worker_processes 1;
daemon off;
master_process off;
pid $ng/nginx.pid;
error_log $ng/error.log warn;
events { worker_connections 64; }
http {
  access_log off;
  types { application/octet-stream bin; }
  client_body_temp_path $ng/body;
  proxy_temp_path $ng/proxy;
  fastcgi_temp_path $ng/fastcgi;
  uwsgi_temp_path $ng/uwsgi;
  scgi_temp_path $ng/scgi;
  server {
    listen $K:$SPORT ssl;
    ssl_certificate $EC_CERT;
    ssl_certificate_key $EC_KEY;
    ssl_protocols TLSv1.3;
    root $ng/www;
  }
}
EOF
  ip netns exec "$E2E_NS" timeout 30 nginx -c "$ng/nginx.conf" -p "$ng" >"$ng/out" 2>&1 &
  ng_pid=$!
  bg_pid $ng_pid
  wait_listen "$SPORT"
  printf 'GET /f.bin HTTP/1.0\r\nHost: localhost\r\n\r\n' >"$T/ng.req"
  # stdin stays open until the answer is whole (or znet-nc ended): its
  # end is znet-nc's close_notify, on which nginx stops sending (a fixed
  # 2 s is a bet a loaded machine can lose).
  mkfifo "$T/ng.fifo"
  : >"$T/ng.resp"
  znet_nc "$K" "$SPORT" --tls --tls-name localhost --ca "$CERTS/ca.pem" -w 20 -v \
    <"$T/ng.fifo" >"$T/ng.resp" 2>"$nerr" &
  nc_pid=$!
  (
    cat "$T/ng.req"
    end=$((SECONDS + 30))
    while [ "$SECONDS" -lt "$end" ] && kill -0 "$nc_pid" 2>/dev/null; do
      [ "$(stat -c %s "$T/ng.resp")" -gt 100000 ] && python3 -c '
import sys
d = open(sys.argv[1], "rb").read()
h = d.find(b"\r\n\r\n")
sys.exit(0 if h >= 0 and len(d) - h - 4 >= 100000 else 1)' "$T/ng.resp" && break
      sleep 0.1
    done
  ) >"$T/ng.fifo"
  wait "$nc_pid"
  rm -f "$T/ng.fifo"
  # The body: what follows the head's blank line.
  python3 -c 'import sys; d=open(sys.argv[1],"rb").read(); sys.stdout.buffer.write(d[d.find(b"\r\n\r\n")+4:])' \
    "$T/ng.resp" >"$T/ng.body"
  if grep -q "^znet-nc: tls: TLSv1.3 " "$nerr" && head -1 "$T/ng.resp" | grep -q " 200 " &&
    cmp -s "$ng/www/f.bin" "$T/ng.body"; then
    ok "znet-nc --tls -> nginx (TLS 1.3 only): $(sed -n 's/^znet-nc: tls: //p' "$nerr"), 200 and the 100,000-byte file whole"
  else
    not_ok "znet-nc --tls -> nginx (TLS 1.3 only): 200 and the file whole"
    diag <"$nerr"
    diag <"$ng/error.log"
  fi
  kill "$ng_pid" 2>/dev/null
  wait "$ng_pid" 2>/dev/null
else
  skip_case "znet-nc --tls -> nginx" "nginx not installed"
fi

# gnutls-serv (GnuTLS, another implementation) as the TLS 1.3 server.
if command -v gnutls-serv >/dev/null 2>&1; then
  ip netns exec "$E2E_NS" timeout 30 gnutls-serv --echo -p "$SPORT" \
    --x509certfile "$EC_CERT" --x509keyfile "$EC_KEY" \
    --priority "NORMAL:-VERS-ALL:+VERS-TLS1.3" >"$T/gs.out" 2>&1 &
  gs_pid=$!
  bg_pid $gs_pid
  wait_listen "$SPORT"
  printf 'through gnutls\n' >"$T/gs.in"
  znet_nc "$K" "$SPORT" --tls --tls-name localhost --ca "$CERTS/ca.pem" -w 20 -v \
    <"$T/gs.in" >"$T/gs.echo" 2>"$nerr"
  if grep -q "^znet-nc: tls: TLSv1.3 " "$nerr" && cmp -s "$T/gs.in" "$T/gs.echo"; then
    ok "znet-nc --tls -> gnutls-serv --echo (TLS 1.3 only): $(sed -n 's/^znet-nc: tls: //p' "$nerr"), echoed"
  else
    not_ok "znet-nc --tls -> gnutls-serv --echo (TLS 1.3 only): echoed"
    diag <"$nerr"
    diag <"$T/gs.out"
  fi
  kill "$gs_pid" 2>/dev/null
  wait "$gs_pid" 2>/dev/null
else
  skip_case "znet-nc --tls -> gnutls-serv" "gnutls-serv not installed"
fi

# refused_nc NAME CERT KEY TLS-NAME REASON: znet-nc must refuse s_server's
# certificate, say why, exit 1.
refused_nc() {
  local name=$1 cert=$2 key=$3 tname=$4 reason=$5
  start_s_server "$cert" "$key" "$T/s3.out"
  znet_nc "$K" "$SPORT" --tls --tls-name "$tname" --ca "$CERTS/ca.pem" --send 1K \
    -w 10 >"$nout" 2>"$nerr"
  local rc=$?
  if [ "$rc" -eq 1 ] && grep -q "^znet-nc: failed: tls: $reason" "$nerr" &&
    [ ! -s "$T/s3.out" ]; then
    ok "znet-nc refuses $name: exit 1, '$(sed -n 's/^znet-nc: failed: //p' "$nerr")'"
  else
    not_ok "znet-nc refuses $name: exit 1 (got $rc), '$reason'"
    diag <"$nerr"
  fi
  grep -q "alert" "$T/s3.out.err" && grep -o "alert [a-z ]*" "$T/s3.out.err" | head -1 | diag
  no_leak_case "znet-nc refusing $name" "$nerr"
  sleep 0.3
}

refused_nc "a wrong --tls-name" "$CERTS/server-ec.pem" "$CERTS/server-ec.key" \
  wrong.test "certificate does not match the server name"
refused_nc "an expired certificate" "$CERTS/expired.pem" "$CERTS/expired.key" \
  localhost "certificate expired or not yet valid"
refused_nc "a certificate from an unknown CA" "$CERTS/unknown-ca-server.pem" \
  "$CERTS/unknown-ca-server.key" localhost "certificate not issued by a trusted CA"

# Usage errors.
for bad in "--tls $K 4433" "--tls --ca $CERTS/ca.pem $K 4433" \
  "--tls-name x $K 4433" "--tls --listen --ca $CERTS/ca.pem --tls-name x 0.0.0.0 4433"; do
  # shellcheck disable=SC2086
  timeout 10 "$E2E_NC" --netif tap:zn0 --ipv4 "$Z/24" $bad >/dev/null 2>"$T/bad.err" </dev/null
  rc=$?
  check "znet-nc $bad: exit 2 (got $rc)" [ "$rc" -eq 2 ]
done
timeout 10 "$ECHO" --netif tap:zn0 --ipv4 "$Z/24" --tls-port 7 >/dev/null 2>"$T/bad.err"
check "znet-echo --tls-port 7 (the echo's own port): exit 2" [ $? -eq 2 ]

finish
