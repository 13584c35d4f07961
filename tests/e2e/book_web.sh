#!/bin/bash
# The book's web server (examples/book/web.c, chapter 5) on Linux: the
# program built against libznet-app, -http and -tls, on a TAP device in a
# private network namespace, against curl and openssl s_client, with a
# key and a self-signed certificate made by openssl as the chapter makes
# them, serving a copy of examples/book/site with a 1 MiB file added.
#
#   book_web.sh /path/to/web SOURCE_ROOT
#
# Checks: --help exits 0 with the usage line; no SITE, a missing
# certificate, a key that is not the certificate's, a missing SITE each
# exit 1 with one line saying which; the banner and the "serving" line;
# the chapter's commands: curl --tlsv1.3 --cacert cert.pem for / (the
# site's index.html, byte for byte), -sI for style.css (200, its type
# and length, a Date), a missing file (404), --path-as-is for ../key.pem
# (400 Bad Request), a 1 MiB file added while it runs (SHA-256), openssl
# s_client -brief (TLSv1.3, verified); then curl --tlsv1.3:
# index.html (for /) and style.css
# byte for byte by SHA-256 with their content types, the 1 MiB file by
# SHA-256, over TLS 1.3 and verified; the same files over plain HTTP on
# port 80; 404 for a missing file; ".." refused (400, sent as is, and
# percent-encoded), never the file beside the site; a symbolic link out
# of the site refused (403); openssl s_client: TLSv1.3, ALPN http/1.1,
# the certificate verified; 6 clients at once, 1 MiB each, all byte for
# byte; curl without the certificate refuses the server; SIGINT ends it
# with status 0, no buffer leaked, no sanitizer report.  Needs root,
# /dev/net/tun, curl, openssl, sha256sum; otherwise skips.  Output is
# TAP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

WEB=${1:-}
ROOT=${2:-}
[ -n "$WEB" ] && [ -x "$WEB" ] && [ -n "$ROOT" ] && [ -d "$ROOT/examples/book/site" ] ||
  { echo "usage: $0 /path/to/web SOURCE_ROOT" >&2; exit 2; }
WEB=$(cd "$(dirname "$WEB")" && pwd)/$(basename "$WEB")
ROOT=$(cd "$ROOT" && pwd)

need_netns
need_cmd curl openssl sha256sum timeout
trap e2e_cleanup EXIT
e2e_tmpdir
T=$E2E_TMP
Z=$E2E_ZNET_IP

if ! setup_netns; then
  not_ok "create network namespace with $E2E_TAP"
  finish
  exit 1
fi

# The chapter's key and certificate (for this test's address), its site,
# a secret beside it and a link to that secret.
cd "$T" || exit 1
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -days 30 -subj "/CN=$Z" -addext "subjectAltName=IP:$Z" \
  -keyout key.pem -out cert.pem >openssl.log 2>&1
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -days 30 -subj "/CN=other" -keyout other.pem -out other-cert.pem >>openssl.log 2>&1
check "openssl made a P-256 key and a certificate for $Z" \
  eval '[ -s key.pem ] && [ -s cert.pem ] && [ -s other.pem ]'
cp -r "$ROOT/examples/book/site" site
printf 'SECRET beside the site\n' >secret.txt
ln -s "$T/secret.txt" site/link-out.txt

sum() { sha256sum <"$1" | cut -d' ' -f1; }

# ---- usage -------------------------------------------------------------------

"$WEB" --help >help.out 2>&1
rc=$?
check "--help exits 0 (got $rc)" [ "$rc" -eq 0 ]
check "--help prints the usage line" \
  grep -q "^usage: web \[OPTIONS\] -- SITE CERT.pem KEY.pem$" help.out
# bad_case NAME WANT ARGS...: the program on the TAP exits 1 with WANT as
# the last line of its stderr.
bad_case() {
  local name=$1 want=$2
  shift 2
  in_ns_t 20 "$WEB" --netif "tap:$E2E_TAP" --ipv4 "$Z/$E2E_PREFIX" \
    --mac "$E2E_MAC" "$@" >bad.out 2>bad.err
  local rc=$? last
  last=$(tail -n 1 bad.err)
  if [ "$rc" -eq 1 ] && [ "$last" = "$want" ] && [ "$(wc -l <bad.err)" -eq 1 ]; then
    ok "$name: exit 1, one line ($last)"
  else
    not_ok "$name: exit 1 and one line '$want' (got $rc)"
    diag <bad.err
  fi
}
bad_case "no SITE after --" "web: want SITE CERT.pem KEY.pem after --"
bad_case "a missing SITE" "web: nosite: No such file or directory" \
  -- nosite cert.pem key.pem
bad_case "a missing certificate" "web: nocert.pem: No such file or directory" \
  -- site nocert.pem key.pem
bad_case "a key that is not the certificate's" \
  "web: cert.pem, other.pem: the private key is not the certificate's" \
  -- site cert.pem other.pem

# ---- serving -----------------------------------------------------------------

out=$T/web.out
err=$T/web.err
if ! start_znet web "$WEB" "$out" "$err" --mac "$E2E_MAC" -- site cert.pem key.pem ||
  ! wait_line "$out" "^web: serving " 30; then
  not_ok "web starts on tap:$E2E_TAP and serves"
  diag <"$err"
  finish
  exit 1
fi
check "the banner: $(head -n 1 "$out")" \
  grep -qx "web: $Z/$E2E_PREFIX mac $E2E_MAC on tap:$E2E_TAP" "$out"
check "it serves: $(grep '^web: serving' "$out")" \
  grep -qx "web: serving $T/site on ports 443 (HTTPS) and 80" "$out"

# ---- the chapter's commands (its 10.0.0.2 is $Z here) -------------------

in_ns_t 30 curl --tlsv1.3 --cacert cert.pem "https://$Z/" >ch.index 2>ch.err
check "curl --tlsv1.3 --cacert cert.pem https://$Z/: site/index.html, byte for byte" \
  cmp -s ch.index site/index.html
in_ns_t 30 curl -sI --tlsv1.3 --cacert cert.pem "https://$Z/style.css" |
  tr -d '\r' >ch.head
check "curl -sI .../style.css: 200, text/css, its length, a Date" \
  eval 'grep -qx "HTTP/1.1 200 OK" ch.head &&
    grep -qx "Content-Type: text/css; charset=utf-8" ch.head &&
    grep -qx "Content-Length: $(stat -c %s site/style.css)" ch.head &&
    grep -q "^Date: .* GMT$" ch.head'
got=$(in_ns_t 30 curl --tlsv1.3 --cacert cert.pem -s -o /dev/null \
  -w '%{http_code}\n' "https://$Z/nothing.html")
check "curl ... https://$Z/nothing.html: 404 (got $got)" [ "$got" = 404 ]
got=$(in_ns_t 30 curl --tlsv1.3 --cacert cert.pem -s --path-as-is \
  "https://$Z/../key.pem")
check "curl ... --path-as-is https://$Z/../key.pem: '400 Bad Request' (got '$got')" \
  [ "$got" = "400 Bad Request" ]
head -c 1048576 /dev/urandom >site/big.bin
back=$(in_ns_t 30 curl --tlsv1.3 --cacert cert.pem -s "https://$Z/big.bin" | sha256sum)
check "a 1 MiB file added while it runs: curl's SHA-256 is the file's" \
  [ "$back" = "$(sha256sum <site/big.bin)" ]
in_ns_t 20 openssl s_client -connect "$Z:443" -CAfile cert.pem -brief \
  </dev/null >ch.sclient 2>&1
check "openssl s_client -brief: TLSv1.3, the certificate verified" \
  eval 'grep -qx "Protocol version: TLSv1.3" ch.sclient &&
    grep -qx "Verification: OK" ch.sclient'
[ "$E2E_FAILED" -eq 0 ] || diag <ch.err

# ---- more --------------------------------------------------------------------

https=https://$Z
# get URL OUT [CURL ARGS...]: the body to OUT, "CODE TYPE" on stdout.
get() {
  local url=$1 o=$2
  shift 2
  in_ns_t 30 curl -sS -m 20 "$@" -o "$o" -w '%{http_code} %{content_type}' "$url" 2>"$o.err"
}
# file_case NAME PATH FILE TYPE [CURL ARGS...]: PATH comes back as FILE,
# 200 and TYPE.
file_case() {
  local name=$1 path=$2 file=$3 type=$4 got
  shift 4
  got=$(get "$path" got.body "$@")
  check "$name: 200, $type, SHA-256 equal ($got)" \
    eval '[ "$got" = "200 $type" ] && [ "$(sum got.body)" = "$(sum "$file")" ]'
  [ "$got" = "200 $type" ] || diag <got.body.err
}
tls=(--tlsv1.3 --cacert cert.pem)
file_case "HTTPS GET / (index.html)" "$https/" site/index.html \
  "text/html; charset=utf-8" "${tls[@]}"
file_case "HTTPS GET /style.css" "$https/style.css" site/style.css \
  "text/css; charset=utf-8" "${tls[@]}"
file_case "HTTPS GET /big.bin, 1 MiB" "$https/big.bin" site/big.bin \
  "application/octet-stream" "${tls[@]}"
file_case "HTTP GET /index.html on port 80" "http://$Z/index.html" \
  site/index.html "text/html; charset=utf-8"
file_case "HTTP GET /big.bin on port 80, 1 MiB" "http://$Z/big.bin" \
  site/big.bin "application/octet-stream"
in_ns_t 30 curl -sS -m 20 -v "${tls[@]}" -o /dev/null "$https/" 2>curl.v
check "curl: TLSv1.3 and ALPN http/1.1" \
  eval 'grep -q "SSL connection using TLSv1.3" curl.v &&
    grep -Eq "ALPN.*server accepted.*http/1.1" curl.v'

code=$(get "$https/missing.html" got.body "${tls[@]}")
check "a missing file: 404 ($code)" [ "${code%% *}" = 404 ]
for p in /../secret.txt /%2e%2e/secret.txt /a/../../secret.txt; do
  code=$(get "$https$p" got.body "${tls[@]}" --path-as-is)
  check "$p refused: 400, not the secret ($code)" \
    eval '[ "${code%% *}" = 400 ] && ! grep -q SECRET got.body'
done
code=$(get "$https/link-out.txt" got.body "${tls[@]}")
check "a link out of the site refused: 403, not the secret ($code)" \
  eval '[ "${code%% *}" = 403 ] && ! grep -q SECRET got.body'

in_ns_t 20 openssl s_client -connect "$Z:443" -CAfile cert.pem -alpn http/1.1 \
  </dev/null >sclient.out 2>&1
check "openssl s_client: TLSv1.3, ALPN http/1.1, verified" \
  eval 'grep -q "^New, TLSv1.3, Cipher is" sclient.out &&
    grep -q "^ALPN protocol: http/1.1" sclient.out &&
    grep -q "Verify return code: 0 (ok)" sclient.out'

pids=""
for i in 1 2 3 4 5 6; do
  (in_ns_t 60 curl -sS -m 50 "${tls[@]}" "$https/big.bin" | sha256sum |
    cut -d' ' -f1 >"many.$i") &
  pids="$pids $!"
done
for p in $pids; do wait "$p"; done
same=0
for i in 1 2 3 4 5 6; do [ "$(cat "many.$i")" = "$(sum site/big.bin)" ] && same=$((same + 1)); done
check "6 clients at once over TLS 1.3, 1 MiB each, all byte for byte ($same of 6)" \
  [ "$same" -eq 6 ]
code=$(get "$https/" got.body)
check "curl without the certificate refuses the server ($code)" [ "${code%% *}" = 000 ]

stop_echo
rc=$?
check "web exits 0 on SIGINT (got $rc)" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || diag <"$err"
no_leak_case "web" "$err"
finish
