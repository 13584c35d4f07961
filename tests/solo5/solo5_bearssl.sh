#!/bin/bash
# BearSSL and TLS inside Solo5 images: BearSSL compiled for the images
# (tls/bearssl-solo5: Debian's source, against libznet-rt's musl, at the
# end of rt/meson.build), its known answers checked inside an image, and
# znet-httpd serving HTTPS from one.
#
#   solo5_bearssl.sh SOURCE_ROOT BUILD_ROOT SHARED_DIR
#
#  1. Solo5 and the namespace as spt-lib.sh says (skipped without the
#     archive, failed without it under ZN_SHARED_REQUIRED); skipped
#     when the build has no BearSSL for the images (no source at hand:
#     -Dtls=enabled or -Drt=enabled fetches it).
#  2. bearssl-kat.spt (tests/solo5/bearssl_kat.c) boots and runs its
#     known-answer tests; each of its TAP cases is a case here, and it
#     must exit 0 after its plan.
#  3. znet-httpd.spt with libznet-tls over that BearSSL, the test
#     certificate tests/tls/server-ec.pem (names localhost and 10.77.0.2,
#     signed by tests/tls/ca.pem) and its key read from the root archive
#     with tests/http/www-sample: HTTPS to curl (bytes, a range,
#     keep-alive) and openssl s_client (TLS 1.3 and 1.2, verified).
#
# Needs root, /dev/net/tun, libseccomp, curl and openssl.  Output is TAP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../e2e/lib.sh"
. "$here/spt-lib.sh"

[ $# -eq 3 ] || { echo "usage: $0 SOURCE_ROOT BUILD_ROOT SHARED_DIR" >&2; exit 2; }
[ -f "$2/tests/solo5/bearssl-kat.o" ] ||
  skip_all "the build has no BearSSL for the images (-Dtls=enabled or -Drt=enabled fetches its source)"
need_cmd curl openssl sha256sum
spt_setup "$1" "$2" "$3"
ROOT=$SPT_ROOT
spt_image bearssl-kat "$SPT_BUILD/tests/solo5/bearssl-kat.o" || { finish; exit 1; }
spt_image znet-httpd || { finish; exit 1; }
tar cf "$E2E_TMP/empty.tar" -T /dev/null

# run_kat NAME: NAME.spt's cases as ours, its plan and exit checked.
run_kat() {
  local name=$1 out=$E2E_TMP/$1.out line desc plan rc
  ip netns exec "$E2E_NS" timeout 60 solo5-spt --mem=32 \
    --net:service="$E2E_TAP" --block:rootfs="$E2E_TMP/empty.tar" \
    "$E2E_TMP/$name.spt" >"$out" 2>&1
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

# ---- znet-httpd with libznet-tls: HTTPS from the image ---------------------
# The site and, under /tls, the test certificate and its key in the root
# archive.
site=$ROOT/tests/http/www-sample
ca=$ROOT/tests/tls/ca.pem
mkdir -p "$E2E_TMP/root/tls"
cp -r "$site"/. "$E2E_TMP/root/"
cp "$ROOT/tests/tls/server-ec.pem" "$ROOT/tests/tls/server-ec.key" "$E2E_TMP/root/tls/"
tar cf "$E2E_TMP/root.tar" -C "$E2E_TMP/root" .
hout=$E2E_TMP/httpd-tls.out
spt_boot znet-httpd "$hout" "$E2E_TMP/root.tar" \
  --ipv4="$E2E_ZNET_IP/$E2E_PREFIX" --root / --tls-port=443 --max-conns=16 \
  --cert=/tls/server-ec.pem --key=/tls/server-ec.key
if ! wait_line "$hout" "HTTPS port 443" 10; then
  not_ok "znet-httpd.spt boots with HTTPS"
  diag <"$hout"
  spt_stop
else
  check "znet-httpd.spt serves HTTPS with the certificate from its root archive" \
    grep -q "HTTPS port 443 ([0-9]* bytes per session, /tls/server-ec.pem)" "$hout"
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
  check "znet-httpd.spt still running at the end" spt_stop
  spt_fatal_case znet-httpd.spt "$hout"
fi
finish
