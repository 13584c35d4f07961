#!/bin/bash
# BearSSL for Solo5 where no Solo5 tender boots (CI): compiled exactly
# as for a unikernel and its known answers checked inside one, linked
# with the ABI test double (tests/solo5/double.c).
#
#   solo5_bearssl.sh SOURCE_ROOT BUILD_ROOT
#
#  1. BearSSL's source: scripts/bearssl-src BUILD_ROOT/bearssl, Debian's
#     source package (as root it adds deb-src entries for Debian's
#     archive if there are none, and installs dpkg-dev).  Not root, a
#     tree fetched before is used, and without one the test is skipped;
#     as root a failure to fetch is a failure.
#  2. scripts/check-freestanding --cc gcc --bearssl TREE --double BIN:
#     every file of BearSSL compiled freestanding against znet's Solo5
#     runtime headers, with tls/bearssl-solo5/solo5_config.h as the
#     meson build does, needs nothing beyond memcpy, memmove, memset,
#     memcmp and strlen; bearssl_kat.c linked with BearSSL, the core and
#     the runtime needs only the Solo5 ABI; built with
#     -mgeneral-regs-only (-Dsolo5_no_sse=true) none of it has an SSE or
#     x87 instruction.
#  3. bearssl-kat.double and bearssl-kat-nosse.double (the two builds)
#     run with no device; each of their TAP cases is a case here.
#  4. znet-httpd-tls.double (libznet-tls over that BearSSL, a test
#     certificate compiled in) serves HTTPS on a TAP in a private
#     namespace to curl and openssl s_client (root and /dev/net/tun,
#     else skipped).
#
# gcc, x86_64 Linux.  Output is TAP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../e2e/lib.sh
. "$here/../e2e/lib.sh"

ROOT=${1:-}
BUILD=${2:-}
if [ -z "$ROOT" ] || [ -z "$BUILD" ] || [ ! -d "$ROOT/examples/solo5" ]; then
  echo "usage: $0 SOURCE_ROOT BUILD_ROOT" >&2
  exit 2
fi

[ "$(uname -m)" = x86_64 ] || skip_all "the Solo5 test double is x86_64 only"
need_cmd gcc ragel nm objdump ar
trap e2e_cleanup EXIT
e2e_tmpdir

log=$E2E_TMP/bearssl-src.log
if [ "$(id -u)" = 0 ]; then
  if ! tree=$(timeout 900 bash "$ROOT/scripts/bearssl-src" "$BUILD/bearssl" 2>"$log"); then
    not_ok "fetch BearSSL's source (scripts/bearssl-src)"
    diag <"$log"
    finish
    exit 1
  fi
elif ! tree=$(bash "$ROOT/scripts/bearssl-src" --offline "$BUILD/bearssl" 2>"$log") &&
  ! tree=$(timeout 300 bash "$ROOT/scripts/bearssl-src" "$BUILD/bearssl" 2>"$log"); then
  diag <"$log"
  skip_all "no BearSSL source and, not root, cannot fetch it (scripts/bearssl-src)"
fi
version=$(bash "$ROOT/scripts/bearssl-src" --version "$tree")
ok "BearSSL ${version:-?} from Debian's source package in $tree"

bin=$E2E_TMP/bin
t0=$(now_s)
if timeout 800 bash "$ROOT/scripts/check-freestanding" --cc gcc --bearssl "$tree" \
  --double "$bin" "$ROOT" >"$E2E_TMP/build.log" 2>&1; then
  ok "BearSSL compiled for Solo5, with and without SSE, needs only the Solo5 ABI ($(elapsed "$t0") s)"
  grep "BearSSL for Solo5 (.*files" "$E2E_TMP/build.log" | diag
else
  not_ok "BearSSL compiled for Solo5, with and without SSE, needs only the Solo5 ABI"
  tail -20 "$E2E_TMP/build.log" | diag
  finish
  exit 1
fi

# run_kat NAME: NAME.double's cases as ours, its plan and exit checked.
run_kat() {
  local name=$1 out=$E2E_TMP/$1.out line desc plan rc
  timeout 60 "$bin/$name.double" --mem=16 >"$out" 2>&1
  rc=$?
  while IFS= read -r line; do
    case $line in
    "ok "*"# SKIP "*)
      desc=${line#ok * - }
      skip_case "$name: ${desc%% # SKIP *}" "${line##*# SKIP }"
      ;;
    "ok "*) ok "$name: ${line#ok * - }" ;;
    "not ok "*) not_ok "$name: ${line#not ok * - }" ;;
    esac
  done <"$out"
  plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$out")
  if [ "$rc" -eq 0 ] && [ -n "$plan" ] &&
    [ "$(grep -c '^\(not \)\{0,1\}ok ' "$out")" = "$plan" ]; then
    ok "$name: exits 0 after its plan of $plan cases"
  else
    not_ok "$name: exits 0 after its plan of $plan cases (exit $rc)"
    diag <"$out"
  fi
}

run_kat bearssl-kat
run_kat bearssl-kat-nosse

# ---- znet-httpd with libznet-tls: HTTPS from the unikernel ------------------
# znet-httpd-tls.double: libznet-tls over this BearSSL, the test
# certificate tests/tls/server-ec.pem (names localhost and 10.77.0.2,
# signed by tests/tls/ca.pem) compiled in, tests/http/www-sample packed
# in; on a TAP in a private namespace, against curl and openssl.
site=$ROOT/tests/http/www-sample
ca=$ROOT/tests/tls/ca.pem
if [ "$(id -u)" != 0 ] || [ ! -c /dev/net/tun ]; then
  skip_case "znet-httpd-tls.double serves HTTPS" "needs root and /dev/net/tun"
elif ! command -v curl >/dev/null || ! command -v openssl >/dev/null; then
  skip_case "znet-httpd-tls.double serves HTTPS" "needs curl and openssl"
elif ! setup_netns; then
  not_ok "network namespace $E2E_NS with $E2E_TAP"
else
  hout=$E2E_TMP/httpd-tls.out
  ip netns exec "$E2E_NS" timeout --foreground 120 "$bin/znet-httpd-tls.double" \
    --net:service="$E2E_TAP" --net-mac:service=$E2E_MAC --mem=64 -- \
    --ipv4="$E2E_ZNET_IP/$E2E_PREFIX" --tls-port=443 --max-conns=16 \
    >"$hout" 2>&1 &
  E2E_ECHO_PID=$!
  if ! wait_line "$hout" "HTTPS port 443" 10; then
    not_ok "znet-httpd-tls.double boots with HTTPS"
    diag <"$hout"
  else
    check "znet-httpd-tls.double serves HTTPS with its built-in certificate" \
      grep -q "HTTPS port 443 ([0-9]* bytes per session, built-in certificate)" "$hout"
    https=https://$E2E_ZNET_IP
    for f in big.bin docs/index.html; do
      got=$(in_ns curl -sS -m 20 --cacert "$ca" "$https/$f" | sha256sum | cut -d' ' -f1)
      check "HTTPS GET /$f: byte for byte (SHA-256), certificate verified" \
        [ "$got" = "$(sha256sum <"$site/$f" | cut -d' ' -f1)" ]
    done
    in_ns curl -sS -m 20 --cacert "$ca" -r 100-1099 -o "$E2E_TMP/range" \
      -w '%{http_code}' "$https/big.bin" >"$E2E_TMP/range.code"
    check "HTTPS Range 100-1099: 206 and those 1000 bytes ($(cat "$E2E_TMP/range.code"))" \
      eval '[ "$(cat "$E2E_TMP/range.code")" = 206 ] &&
        cmp -s "$E2E_TMP/range" <(tail -c +101 "$site/big.bin" | head -c 1000)'
    in_ns curl -sS -m 20 --cacert "$ca" -o /dev/null -o /dev/null -v \
      "$https/hello.txt" "$https/index.html" 2>"$E2E_TMP/ka.err"
    check "HTTPS: two URLs over one kept-alive session" \
      grep -q "Re-using existing connection" "$E2E_TMP/ka.err"
    in_ns_t 20 openssl s_client -connect "$E2E_ZNET_IP:443" -CAfile "$ca" \
      -servername localhost </dev/null >"$E2E_TMP/sclient.out" 2>&1
    check "openssl s_client: TLSv1.3 (the default), verified" \
      eval 'grep -q "^New, TLSv1.3, Cipher is" "$E2E_TMP/sclient.out" &&
        grep -q "Verify return code: 0" "$E2E_TMP/sclient.out"'
    in_ns_t 20 openssl s_client -connect "$E2E_ZNET_IP:443" -CAfile "$ca" \
      -servername localhost -tls1_2 </dev/null >"$E2E_TMP/sclient12.out" 2>&1
    check "openssl s_client -tls1_2: TLSv1.2, ECDHE-ECDSA with AES-GCM, verified" \
      eval 'grep -q "Protocol *: TLSv1.2" "$E2E_TMP/sclient12.out" &&
        grep -q "Cipher *: ECDHE-ECDSA-AES[0-9]*-GCM" "$E2E_TMP/sclient12.out" &&
        grep -q "Verify return code: 0" "$E2E_TMP/sclient12.out"'
    code=$(in_ns curl -sS -m 20 -o /dev/null -w '%{http_code}' \
      "$https/hello.txt" 2>/dev/null)
    check "curl without the CA refuses the server ($code)" [ "$code" = 000 ]
    alive=0
    kill -0 "$E2E_ECHO_PID" 2>/dev/null && alive=1
    kill_tree TERM "$E2E_ECHO_PID"
    wait "$E2E_ECHO_PID" 2>/dev/null
    E2E_ECHO_PID=""
    check "znet-httpd-tls.double still running at the end" [ "$alive" = 1 ]
    check "znet-httpd-tls.double reported no fatal error" \
      eval '! grep -q "fatal\|abort" "$hout"'
  fi
fi
finish
