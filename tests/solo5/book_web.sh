#!/bin/bash
# The book's web server (examples/book/web.c, chapter 5) as a unikernel
# image, made as the book tells a reader to make it and booted under
# solo5-spt on a TAP in a private network namespace, its site, key and
# certificate in its root archive.
#
#   book_web.sh SOURCE_ROOT BUILD_ROOT SHARED_DIR
#
#  1. Solo5 from SHARED_DIR/solo5 built in BUILD_ROOT/solo5, the namespace
#     (spt-lib.sh: skipped without the archive, failed without it under
#     ZN_SHARED_REQUIRED); skipped when the images have no libznet-tls
#     (no BUILD_ROOT/examples/book/web.o).
#  2. web.spt made by znet-image from BUILD_ROOT/examples/book/web.o
#     (compiled by znet-cc from the file the Linux build compiles; no
#     flag: znet-image links libznet-http, -tls and BearSSL itself).
#  3. A key and a self-signed certificate made by openssl as the chapter
#     makes them; a copy of examples/book/site with a 1 MiB file added;
#     "tar cf root.tar site cert.pem key.pem".  Booted without key.pem in
#     its archive, the image says which file is missing and exits 1.
#  4. Booted with the archive: the banner and the "serving /site" line;
#     the chapter's commands: curl --tlsv1.3 --cacert cert.pem for /
#     (index.html byte for byte) and the 1 MiB file (SHA-256), a missing
#     file (404), --path-as-is for ../key.pem (400 Bad Request); plain
#     HTTP on port 80; openssl s_client -brief (TLSv1.3, verified); 3
#     clients at once, 1 MiB each; still running at the end, no fatal
#     error on the console.
#
# Needs root, /dev/net/tun, gcc, make and libseccomp (solo5-spt's
# sandbox), curl, openssl, sha256sum, else skips.  Output is TAP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../e2e/lib.sh"
. "$here/spt-lib.sh"

[ $# -eq 3 ] || { echo "usage: $0 SOURCE_ROOT BUILD_ROOT SHARED_DIR" >&2; exit 2; }
[ -f "$2/examples/book/web.o" ] ||
  skip_all "the images have no libznet-tls (BearSSL's source: -Drt=enabled fetches it)"
need_cmd curl openssl sha256sum tar
spt_setup "$1" "$2" "$3"
T=$E2E_TMP
Z=$E2E_ZNET_IP

spt_image web "$SPT_BUILD/examples/book/web.o" || { finish; exit 1; }

cd "$T" || exit 1
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -days 30 -subj "/CN=$Z" -addext "subjectAltName=IP:$Z" \
  -keyout key.pem -out cert.pem >openssl.log 2>&1
cp -r "$SPT_ROOT/examples/book/site" site
head -c $((1 << 20)) /dev/urandom >site/big.bin
tar cf root.tar site cert.pem key.pem
tar cf nokey.tar site cert.pem
check "root.tar holds the site, the certificate and the key" \
  eval '[ "$(tar tf root.tar | grep -c -e "^site/index.html$" -e "^site/big.bin$" \
    -e "^cert.pem$" -e "^key.pem$")" = 4 ]'
sum() { sha256sum <"$1" | cut -d' ' -f1; }

# ---- without its key ---------------------------------------------------------

ip netns exec "$E2E_NS" timeout --foreground 60 solo5-spt --mem=64 \
  --net:service="$E2E_TAP" --block:rootfs=nokey.tar web.spt \
  --ipv4="$Z/$E2E_PREFIX" -- site cert.pem key.pem >nokey.out 2>&1
rc=$?
check "without key.pem in its archive: says so, exits 1 (solo5-spt $rc)" \
  eval 'grep -qx "web: key.pem: No such file or directory" nokey.out &&
    grep -q "solo5_exit(1)" nokey.out && [ "$rc" -eq 1 ]'
[ "$E2E_FAILED" -eq 0 ] || tail -20 nokey.out | diag

# ---- serving -----------------------------------------------------------------

out=$T/web.out
spt_boot web "$out" root.tar --ipv4="$Z/$E2E_PREFIX" -- site cert.pem key.pem
if ! spt_wait_banner web "$out" || ! wait_line "$out" "^web: serving " 10; then
  not_ok "web.spt boots and serves"
  tail -20 "$out" | diag
  spt_stop
  finish
  exit 1
fi
check "web.spt boots: $(grep -m1 '^web: .* mac ' "$out")" \
  grep -qx "web: $Z/$E2E_PREFIX mac $E2E_MAC on solo5:service" "$out"
check "it serves its archive's site: $(grep -m1 '^web: serving' "$out")" \
  grep -qx "web: serving /site on ports 443 (HTTPS) and 80" "$out"

# The chapter's commands (its 10.0.0.2 is $Z here).
tls=(--tlsv1.3 --cacert cert.pem)
https=https://$Z
in_ns_t 30 curl "${tls[@]}" "$https/" >got.index 2>got.err
check "curl --tlsv1.3 --cacert cert.pem https://$Z/: site/index.html, byte for byte" \
  cmp -s got.index site/index.html
back=$(in_ns_t 30 curl "${tls[@]}" -s "$https/big.bin" | sha256sum)
check "curl ... https://$Z/big.bin: 1 MiB, SHA-256 equal" \
  [ "$back" = "$(sha256sum <site/big.bin)" ]
got=$(in_ns_t 30 curl "${tls[@]}" -s -o /dev/null -w '%{http_code}\n' \
  "$https/nothing.html")
check "curl ... https://$Z/nothing.html: 404 (got $got)" [ "$got" = 404 ]
got=$(in_ns_t 30 curl "${tls[@]}" -s --path-as-is "$https/../key.pem")
check "curl ... --path-as-is https://$Z/../key.pem: '400 Bad Request' (got '$got')" \
  [ "$got" = "400 Bad Request" ]
got=$(in_ns_t 30 curl -s "http://$Z/style.css" | sha256sum)
check "curl http://$Z/style.css (port 80): SHA-256 equal" \
  [ "$got" = "$(sha256sum <site/style.css)" ]
in_ns_t 20 openssl s_client -connect "$Z:443" -CAfile cert.pem -brief \
  </dev/null >sclient.out 2>&1
check "openssl s_client -brief: TLSv1.3, the certificate verified" \
  eval 'grep -qx "Protocol version: TLSv1.3" sclient.out &&
    grep -qx "Verification: OK" sclient.out'
[ "$E2E_FAILED" -eq 0 ] || diag <got.err
pids=""
for i in 1 2 3; do
  (in_ns_t 60 curl -sS -m 50 "${tls[@]}" "$https/big.bin" | sha256sum |
    cut -d' ' -f1 >"many.$i") &
  pids="$pids $!"
done
for p in $pids; do wait "$p"; done
same=0
for i in 1 2 3; do [ "$(cat "many.$i")" = "$(sum site/big.bin)" ] && same=$((same + 1)); done
check "3 clients at once over TLS 1.3, 1 MiB each, all byte for byte ($same of 3)" \
  [ "$same" -eq 3 ]
check "web.spt still running at the end" spt_stop
spt_fatal_case web.spt "$out"
finish
