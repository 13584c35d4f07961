#!/bin/bash
# znet-httpd end to end against real clients: curl (HTTP and HTTPS),
# openssl s_client and wrk, on a TAP device in a private network
# namespace, the site a directory made here, HTTPS with the test
# certificates of tests/tls.
#
#   httpd.sh /path/to/znet-httpd /path/to/tests/tls
#
# Checks: 1 KiB and 10 MiB byte for byte by SHA-256 over HTTP and HTTPS
# (curl --cacert with the test CA, --resolve); a Range (206, the bytes
# of the file), an unsatisfiable one (416); 304 by If-None-Match and by
# If-Modified-Since; HEAD; the directory's index.html, the redirect of
# /dir to /dir/, 404; HTTP/1.0; keep-alive reuse (one curl fetching two
# URLs opens one connection, and the server counts one); traversal
# attempts in every spelling sent with --path-as-is, and symbolic links
# out of the root, refused (400, 403 or 404, never the file); a link
# inside the root followed (and, with ZN_HTTPD_NO_OPENAT2=1, the
# component-by-component walk: no link followed at all); openssl s_client: TLSv1.2, the ECDHE-ECDSA
# suite, ALPN http/1.1, a GET answered, and the same with -tls1_3;
# Strict-Transport-Security (--hsts) on HTTPS answers only; curl
# --tlsv1.3 verified; SNI (--sni, a wildcard before an exact name): each
# name gets the chain of the first entry it matches, others --cert's, over
# TLS 1.3 and TLS 1.2, and curl verifies wrong.test's; OCSP stapling
# (--ocsp, responses made by openssl ocsp with the test CA): s_client
# -tls1_3 -status sees the good one, a TLS 1.2 s_client -status none
# (BearSSL cannot staple), a SIGHUP with a bad file keeps it, one with a
# revoked response serves that; a bad --ocsp at start exits 2; wrk for 3
# s over HTTP and over
# HTTPS with no error; an access log line per request (--log info); at
# exit the counters add up, no buffer leaked, no sanitizer report.
# Needs root, /dev/net/tun, curl, openssl, wrk, sha256sum; otherwise
# skips.  Output is TAP.
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
need_cmd curl openssl wrk sha256sum timeout
trap e2e_cleanup EXIT
e2e_tmpdir
T=$E2E_TMP
Z=$E2E_ZNET_IP

if ! setup_netns; then
  not_ok "create network namespace with $E2E_TAP"
  finish
  exit 1
fi

# The site, and things beside it that must never be served.
W=$T/www
mkdir -p "$W/sub" "$W/deep/er" "$T/outside"
head -c 1024 /dev/urandom >"$W/1k.bin"
head -c $((10 << 20)) /dev/urandom >"$W/10m.bin"
printf '<h1>index</h1>\n' >"$W/index.html"
printf '<p>sub</p>\n' >"$W/sub/index.html"
printf 'hello\n' >"$W/deep/er/hello.txt"
printf 'root:x:0:0:SECRET OUTSIDE THE ROOT\n' >"$T/outside/passwd"
ln -s deep/er/hello.txt "$W/inside-link.txt"
ln -s "$T/outside/passwd" "$W/abs-link"
ln -s ../outside/passwd "$W/rel-link"
ln -s "$T/outside" "$W/out-dir"

sum() { sha256sum <"$1" | cut -d' ' -f1; }

# OCSP responses for server-ec.pem (serial from the certificate), signed
# by the test CA as its own responder: good, then revoked.
O=$T/ocsp
mkdir -p "$O"
serial=$(openssl x509 -in "$CERTS/server-ec.pem" -noout -serial | cut -d= -f2)
ocsp_resp() { # ocsp_resp INDEX_LINE OUT
  printf '%s\n' "$1" >"$O/index.txt"
  openssl ocsp -index "$O/index.txt" -rsigner "$CERTS/ca.pem" \
    -rkey "$CERTS/ca.key" -CA "$CERTS/ca.pem" -issuer "$CERTS/ca.pem" \
    -cert "$CERTS/server-ec.pem" -no_nonce -ndays 1 -respout "$2" >/dev/null 2>&1
}
ocsp_resp "$(printf 'V\t21200101000000Z\t\t%s\tunknown\t/O=znet/CN=localhost' "$serial")" "$O/good.der"
ocsp_resp "$(printf 'R\t21200101000000Z\t260101000000Z\t%s\tunknown\t/O=znet/CN=localhost' "$serial")" "$O/revoked.der"
cp "$O/good.der" "$O/resp.der"

out=$T/httpd.out
err=$T/httpd.err
if ! start_znet znet-httpd "$HTTPD" "$out" "$err" --mac "$E2E_MAC" \
  --root "$W" --port 80 --tls-port 443 --cert "$CERTS/server-ec.pem" \
  --key "$CERTS/server-ec.key" --hsts 31536000 --ocsp "$O/resp.der" --log info \
  --sni "*.test=$CERTS/wrong-name.pem,$CERTS/wrong-name.key" \
  --sni "znet.test=$CERTS/server-rsa.pem,$CERTS/server-rsa.key"; then
  not_ok "znet-httpd starts"
  diag <"$err"
  finish
  exit 1
fi
check "znet-httpd says it is serving ($(grep -o 'serving.*' "$out" | head -1))" \
  grep -q "serving $W" "$out"

HTTP=http://$Z
HTTPS=https://localhost
RES=(--resolve "localhost:443:$Z" --cacert "$CERTS/ca.pem")

# get URL OUT [CURL ARGS...]: the body to OUT, prints the status.
get() {
  local url=$1 o=$2
  shift 2
  in_ns_t 60 curl -sS -o "$o" -w '%{http_code}' "${RES[@]}" "$@" "$url" 2>>"$T/curl.err"
}

# ---- bytes ------------------------------------------------------------------

for f in 1k.bin 10m.bin; do
  for base in "$HTTP" "$HTTPS"; do
    code=$(get "$base/$f" "$T/got")
    check "$base/$f: 200, byte for byte (SHA-256 $(sum "$T/got" | cut -c1-16))" \
      [ "$code" = 200 -a "$(sum "$T/got")" = "$(sum "$W/$f")" ]
  done
done

# ---- ranges, validators, methods, directories ------------------------------

code=$(get "$HTTP/10m.bin" "$T/got" -r 1000000-1000999)
dd if="$W/10m.bin" of="$T/want" bs=1000 skip=1000 count=1 2>/dev/null
check "Range 1000000-1000999: 206 and those 1000 bytes" \
  eval '[ "$code" = 206 ] && cmp -s "$T/got" "$T/want"'
code=$(get "$HTTPS/10m.bin" "$T/got" -r -100)
tail -c 100 "$W/10m.bin" >"$T/want"
check "Range -100 over HTTPS: 206 and the last 100 bytes" \
  eval '[ "$code" = 206 ] && cmp -s "$T/got" "$T/want"'
code=$(get "$HTTP/1k.bin" "$T/got" -r 5000-)
check "Range 5000- of 1 KiB: 416" [ "$code" = 416 ]

in_ns_t 20 curl -sS -D "$T/h1" -o /dev/null "$HTTP/1k.bin"
etag=$(awk -F': ' 'tolower($1) == "etag" { sub(/\r$/, "", $2); print $2 }' "$T/h1")
lm=$(awk -F': ' 'tolower($1) == "last-modified" { sub(/\r$/, "", $2); print $2 }' "$T/h1")
check "a 200 carries ETag ($etag) and Last-Modified ($lm)" [ -n "$etag" -a -n "$lm" ]
code=$(get "$HTTP/1k.bin" "$T/got" -H "If-None-Match: $etag")
check "If-None-Match with its ETag: 304, no body" [ "$code" = 304 -a ! -s "$T/got" ]
code=$(get "$HTTPS/1k.bin" "$T/got" -H "If-Modified-Since: $lm")
check "If-Modified-Since its Last-Modified (HTTPS): 304" [ "$code" = 304 ]
code=$(get "$HTTP/1k.bin" "$T/got" -H 'If-None-Match: "other"')
check "If-None-Match with another tag: 200" [ "$code" = 200 ]
in_ns_t 20 curl -sS -I "$HTTP/10m.bin" >"$T/head" 2>&1
check "HEAD: 200 with Content-Length 10485760, Accept-Ranges, Server: znet" \
  eval 'grep -qi "^content-length: 10485760" "$T/head" &&
    grep -qi "^accept-ranges: bytes" "$T/head" && grep -qi "^server: znet" "$T/head"'
code=$(get "$HTTP/sub/" "$T/got")
check "/sub/: its index.html" eval '[ "$code" = 200 ] && cmp -s "$T/got" "$W/sub/index.html"'
loc=$(in_ns_t 20 curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' "$HTTP/sub")
check "/sub: 301 to /sub/ ($loc)" [ "$loc" = "301 $HTTP/sub/" ]
code=$(get "$HTTP/" "$T/got")
check "/: the root's index.html" eval '[ "$code" = 200 ] && cmp -s "$T/got" "$W/index.html"'
code=$(get "$HTTP/nothing-here" "$T/got")
check "a missing file: 404" [ "$code" = 404 ]
code=$(get "$HTTP/1k.bin" "$T/got" -X POST -d x=1)
check "POST: 405" [ "$code" = 405 ]
code=$(get "$HTTP/1k.bin" "$T/got" -0)
check "HTTP/1.0: 200, byte for byte" eval '[ "$code" = 200 ] && cmp -s "$T/got" "$W/1k.bin"'

# ---- keep-alive ------------------------------------------------------------

before=$(grep -c '"GET ' "$out")
in_ns_t 20 curl -sS -v -o /dev/null -o /dev/null "$HTTP/1k.bin" "$HTTP/index.html" 2>"$T/ka.err"
conns=$(grep -c "^\* Connected to" "$T/ka.err")
check "one curl, two URLs: one connection ($conns), reused" \
  eval '[ "$conns" -eq 1 ] && grep -q "Re-using existing connection" "$T/ka.err"'
in_ns_t 20 curl -sS -v -o /dev/null -o /dev/null "${RES[@]}" "$HTTPS/1k.bin" \
  "$HTTPS/index.html" 2>"$T/ka2.err"
conns=$(grep -c "^\* Connected to" "$T/ka2.err")
check "the same over HTTPS: one connection ($conns), reused" \
  eval '[ "$conns" -eq 1 ] && grep -q "Re-using existing connection" "$T/ka2.err"'

# ---- what must never be served ---------------------------------------------

for t in "/../outside/passwd" "/../../../../etc/passwd" "/%2e%2e/outside/passwd" \
  "/%2E%2E/%2E%2E/etc/passwd" "/.%2e/outside/passwd" "/%2e./outside/passwd" \
  "/..%2foutside%2fpasswd" "/%2e%2e%2foutside%2fpasswd" "/sub/..%2f..%2foutside/passwd" \
  "/..%5coutside%5cpasswd" "/%c0%ae%c0%ae/outside/passwd" "/%c0%af../outside/passwd" \
  "/sub/../../outside/passwd" "//../outside/passwd" "/./../outside/passwd" \
  "/%252e%252e/outside/passwd" "/1k.bin%00.html" "/abs-link" "/rel-link" \
  "/out-dir/passwd" "/out-dir/"; do
  code=$(in_ns_t 20 curl -sS --path-as-is -o "$T/got" -w '%{http_code}' "$HTTP$t" 2>>"$T/curl.err")
  case $code in
  400 | 403 | 404) if grep -q SECRET "$T/got"; then leak=1; else leak=0; fi ;;
  *) leak=1 ;;
  esac
  check "--path-as-is $t: refused ($code)" [ "$leak" = 0 ]
done
code=$(get "$HTTP/inside-link.txt" "$T/got")
check "a link inside the root is followed: 200" \
  eval '[ "$code" = 200 ] && cmp -s "$T/got" "$W/deep/er/hello.txt"'

# ---- openssl s_client ------------------------------------------------------

printf 'GET /index.html HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' |
  in_ns_t 20 openssl s_client -connect "$Z:443" -servername localhost \
    -CAfile "$CERTS/ca.pem" -verify_return_error -tls1_2 -alpn http/1.1 \
    -ign_eof >"$T/sc.out" 2>"$T/sc.err"
check "s_client: TLSv1.2, verified" grep -q "Protocol *: TLSv1.2" "$T/sc.out"
check "s_client: an ECDHE-ECDSA AEAD suite ($(awk '/Cipher *:/ { print $3; exit }' "$T/sc.out"))" \
  grep -Eq "Cipher *: ECDHE-ECDSA-(AES128-GCM-SHA256|AES256-GCM-SHA384|CHACHA20-POLY1305)" "$T/sc.out"
check "s_client: ALPN http/1.1" grep -q "ALPN protocol: http/1.1" "$T/sc.out"
check "s_client: the GET answered 200 with the file" \
  eval 'grep -q "^HTTP/1.1 200 OK" "$T/sc.out" && grep -q "<h1>index</h1>" "$T/sc.out"'

printf 'GET /index.html HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' |
  in_ns_t 20 openssl s_client -connect "$Z:443" -servername localhost \
    -CAfile "$CERTS/ca.pem" -verify_return_error -tls1_3 -alpn http/1.1 \
    -ign_eof >"$T/sc13.out" 2>"$T/sc13.err"
check "s_client -tls1_3: TLSv1.3, verified, ALPN http/1.1, 200" eval \
  'grep -q "^New, TLSv1.3, Cipher is" "$T/sc13.out" && grep -q "ALPN protocol: http/1.1" "$T/sc13.out" &&
   grep -q "^HTTP/1.1 200 OK" "$T/sc13.out" && grep -q "Verify return code: 0" "$T/sc13.out"'
# RFC 6797: HSTS over HTTPS only.
in_ns_t 20 curl -sS -o /dev/null -D "$T/hsts.h" "${RES[@]}" https://localhost/index.html
in_ns_t 20 curl -sS -o /dev/null -D "$T/plain.h" "http://$Z/index.html"
check "--hsts: HTTPS answers carry Strict-Transport-Security: max-age=31536000, plain HTTP ones do not" \
  eval 'grep -qi "^strict-transport-security: max-age=31536000" "$T/hsts.h" &&
        ! grep -qi "^strict-transport-security" "$T/plain.h"'
in_ns_t 20 curl -sS -o /dev/null -w '%{http_version} %{ssl_verify_result}' --tlsv1.3 \
  "${RES[@]}" https://localhost/index.html >"$T/c13" 2>&1
check "curl --tlsv1.3: verified ($(cat "$T/c13"))" grep -q " 0$" "$T/c13"

# SNI (--sni): the chain for the name asked for, first match in order
# ("*.test" before "znet.test": znet.test gets wrong-name's chain, which
# does not name it), --cert's for any other; TLS 1.3 and TLS 1.2.
sni_case() {
  local name=$1 want=$2 v=$3
  in_ns_t 20 openssl s_client -connect "$Z:443" -servername "$name" "$v" \
    -CAfile "$CERTS/ca.pem" </dev/null >"$T/sni.out" 2>&1
  local cn
  cn=$(sed -n 's/^subject=.*CN *= *\([^,]*\).*/\1/p' "$T/sni.out" | head -1)
  check "s_client $v -servername $name: the chain of $want (subject CN $cn)" [ "$cn" = "$want" ]
}
for v in -tls1_3 -tls1_2; do
  sni_case wrong.test wrong.test "$v"
  sni_case znet.test wrong.test "$v"
  sni_case localhost localhost "$v"
done
in_ns_t 20 curl -sS -o /dev/null -w '%{http_code} %{ssl_verify_result}' \
  --resolve "wrong.test:443:$Z" --cacert "$CERTS/ca.pem" https://wrong.test/index.html \
  >"$T/csni" 2>&1
check "curl https://wrong.test/: 200, verified against wrong.test's chain ($(cat "$T/csni"))" \
  grep -q "^200 0$" "$T/csni"

# ---- OCSP stapling ---------------------------------------------------------

# status VERSION OUT: s_client -status with -tls1_3 or -tls1_2.
status() {
  in_ns_t 20 openssl s_client -connect "$Z:443" -servername localhost \
    -CAfile "$CERTS/ca.pem" -verify_return_error "$1" -status \
    </dev/null >"$2" 2>&1
}
# hup FILE REGEX: SIGHUP (timeout passes it on), until FILE says REGEX.
hup() {
  kill -HUP "$E2E_ECHO_PID"
  wait_line "$1" "$2" 10
}
check "--ocsp: read at start ($(grep -o 'ocsp: .*bytes' "$out"))" \
  grep -q "ocsp: $O/resp.der, [0-9]* bytes" "$out"
status -tls1_3 "$T/st13"
check "s_client -tls1_3 -status: the response stapled, successful, good" \
  eval 'grep -q "OCSP Response Status: successful" "$T/st13" &&
        grep -q "Cert Status: good" "$T/st13" && grep -q "Verify return code: 0" "$T/st13"'
status -tls1_2 "$T/st12"
check "s_client -tls1_2 -status: no response sent (BearSSL's TLS 1.2 cannot staple)" \
  eval 'grep -q "OCSP response: no response sent" "$T/st12" && grep -q "Protocol *: TLSv1.2" "$T/st12"'
printf 'not DER\n' >"$O/resp.der"
check "SIGHUP with a bad file: refused, the response before stays" \
  hup "$err" "ocsp: reload of .* failed"
status -tls1_3 "$T/st13b"
check "s_client -tls1_3 -status after it: still good" grep -q "Cert Status: good" "$T/st13b"
cp "$O/revoked.der" "$O/resp.der"
check "SIGHUP with a revoked response: 'ocsp: reloaded $O/resp.der, $(stat -c %s "$O/revoked.der") bytes'" \
  hup "$out" "ocsp: reloaded $O/resp.der, $(stat -c %s "$O/revoked.der") bytes"
status -tls1_3 "$T/st13c"
check "s_client -tls1_3 -status: the new response, revoked" \
  eval 'grep -q "OCSP Response Status: successful" "$T/st13c" && grep -q "Cert Status: revoked" "$T/st13c"'

# ---- wrk -------------------------------------------------------------------

for base in "$HTTP" "$HTTPS"; do
  url=$base/1k.bin
  [ "$base" = "$HTTPS" ] && url=https://$Z/1k.bin
  in_ns_t 60 wrk -t1 -c16 -d3s --timeout "$E2E_WRK_TIMEOUT" "$url" >"$T/wrk.out" 2>&1
  rps=$(awk '/Requests\/sec/ { print $2 }' "$T/wrk.out")
  n=$(awk '/requests in/ { print $1 }' "$T/wrk.out")
  check "wrk 3 s $url: ${rps:-?} req/s, ${n:-0} requests, no error" \
    eval '[ -n "$rps" ] && [ "${n:-0}" -gt 100 ] && ! grep -q "Socket errors\|Non-2xx" "$T/wrk.out"'
  grep -q "Socket errors\|Non-2xx" "$T/wrk.out" && diag <"$T/wrk.out"
  echo "# wrk -t1 -c16 $url: $rps req/s (sanitized build)"
done

# ---- the log, the exit -----------------------------------------------------

check "the access log has a line per request ('\"GET /1k.bin HTTP/1.1\" 200 ...')" \
  grep -q "^10.77.0.1 - - \[.*\] \"GET /1k.bin HTTP/1.1\" 200 " "$out"
check "HTTPS requests are marked tls in it" grep -q "\" 200 [0-9]* tls$" "$out"
settle_tcp 80 443
stop_echo
rc=$?
check "znet-httpd exits 0 on SIGINT (got $rc)" [ "$rc" -eq 0 ]
req=$(counter "$err" http.requests)
tv=$(counter "$err" http.traversal_refused)
hs=$(counter "$err" tls.handshakes_ok)
check "counters: $req requests, $tv traversals refused, $hs TLS handshakes" \
  [ "$req" -gt 1000 -a "$tv" -ge 10 -a "$hs" -ge 10 ]
st=$(counter "$err" tls.handshakes_stapled)
check "counters: $st handshakes stapled (the three s_client -tls1_3 -status)" [ "$st" -eq 3 ]
check "no connection left at exit" [ "$(counter "$err" http.conns_open_at_exit)" -eq 0 ]
grep "^  http\.\|^  files\.\|^  tls\." "$err" | diag
no_leak_case "znet-httpd" "$err"

# A bad --ocsp at start: a clear message, exit 2.
ip netns exec "$E2E_NS" timeout 20 "$HTTPD" --netif "tap:$E2E_TAP" \
  --ipv4 "$E2E_ZNET_IP/$E2E_PREFIX" --root "$W" --tls-port 443 \
  --cert "$CERTS/server-ec.pem" --key "$CERTS/server-ec.key" \
  --ocsp "$O/index.txt" >"$T/bad.out" 2>"$T/bad.err"
rc=$?
check "--ocsp with a file that is not a response: exit 2 ($rc), '$(grep -o 'ocsp: .*' "$T/bad.err" | head -1)'" \
  eval '[ "$rc" -eq 2 ] && grep -q "ocsp: $O/index.txt: not a DER OCSP response" "$T/bad.err"'
no_leak_case "znet-httpd (bad --ocsp)" "$T/bad.err"

# ---- without openat2: no link followed at all ------------------------------

export ZN_HTTPD_NO_OPENAT2=1
if start_znet znet-httpd "$HTTPD" "$out" "$err" --mac "$E2E_MAC" --root "$W"; then
  check "ZN_HTTPD_NO_OPENAT2=1: the banner says links are not followed" \
    grep -q "links not followed" "$out"
  code=$(get "$HTTP/deep/er/hello.txt" "$T/got")
  check "ZN_HTTPD_NO_OPENAT2=1: a file two directories down: 200" [ "$code" = 200 ]
  for t in /inside-link.txt /abs-link /rel-link /out-dir/passwd; do
    code=$(get "$HTTP$t" "$T/got")
    check "ZN_HTTPD_NO_OPENAT2=1: $t refused ($code)" \
      eval '[ "$code" = 403 -o "$code" = 404 ] && ! grep -q SECRET "$T/got"'
  done
  stop_echo
  no_leak_case "znet-httpd (no openat2)" "$err"
else
  not_ok "znet-httpd starts with ZN_HTTPD_NO_OPENAT2=1"
fi
unset ZN_HTTPD_NO_OPENAT2

finish
