#!/bin/bash
# znet's own images booted for real: znet-echo, znet-httpd and kvd on
# libznet-rt (the objects examples/solo5/meson.build compiles against its
# musl), made into spt images by znet-image and booted with solo5-spt on a
# TAP in a private network namespace, driven from Linux.
#
#   spt_boot.sh SOURCE_ROOT BUILD_ROOT SHARED_DIR
#
#  1. Solo5 from SHARED_DIR/solo5 built in BUILD_ROOT/solo5, the
#     namespace (spt-lib.sh: skipped without the archive, failed without
#     it under ZN_SHARED_REQUIRED); the three images.
#  2. znet-echo.spt, an empty root archive: its banner, ping, UDP echo,
#     TCP echo of 256 KiB checked by SHA-256; still running at the end.
#  3. znet-httpd.spt --root /, tests/http/www-sample as its root archive
#     (tar, on the block device): curl fetches a page and the large file
#     byte for byte, a directory's index.html, the redirect of a
#     directory without its slash, a traversal refused, two URLs on one
#     kept-alive connection.
#  4. kvd.spt (examples/posix/kvd.c, an ordinary program of the runtime):
#     tests/e2e/kvd.sh spt, its cases counted here.
#
# Needs root, /dev/net/tun, gcc, make and libseccomp (solo5-spt's
# sandbox), ping, nc, curl, sha256sum, else skips.  Output is TAP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../e2e/lib.sh"
. "$here/spt-lib.sh"

[ $# -eq 3 ] || { echo "usage: $0 SOURCE_ROOT BUILD_ROOT SHARED_DIR" >&2; exit 2; }
need_cmd ping nc curl sha256sum
spt_setup "$1" "$2" "$3"
T=$E2E_TMP
for name in znet-echo znet-httpd kvd; do
  spt_image "$name" || { finish; exit 1; }
done
tar cf "$T/empty.tar" -T /dev/null
site=$SPT_ROOT/tests/http/www-sample
tar cf "$T/site.tar" -C "$site" .

# ---- 2. znet-echo ----------------------------------------------------------

spt_boot znet-echo "$T/echo.out" "$T/empty.tar" \
  --ipv4="$E2E_ZNET_IP/$E2E_PREFIX"
if spt_wait_banner znet-echo "$T/echo.out"; then
  ok "znet-echo.spt boots: $(grep -m1 "^znet-echo: $E2E_ZNET_IP/" "$T/echo.out")"
  ping_case 56
  got=$(udp_line "$E2E_ZNET_IP" 7 "hello from linux") # (lib.sh: no fixed 1 s for the reply)
  check "UDP echo: the datagram came back" [ "$got" = "hello from linux" ]
  head -c 262144 /dev/urandom >"$T/blob"
  in_ns_t 30 nc -N -w 5 "$E2E_ZNET_IP" 7 <"$T/blob" >"$T/blob.back" 2>/dev/null
  want=$(sha256sum <"$T/blob" | cut -d' ' -f1)
  back=$(sha256sum <"$T/blob.back" | cut -d' ' -f1)
  check "TCP echo of 256 KiB, SHA-256 equal ($(stat -c %s "$T/blob.back") bytes back)" \
    [ "$want" = "$back" ]
  check "znet-echo.spt still running at the end" spt_stop
  spt_fatal_case znet-echo.spt "$T/echo.out"
else
  not_ok "znet-echo.spt boots and prints its banner"
  tail -20 "$T/echo.out" | diag
  spt_stop
fi

# ---- 3. znet-httpd ---------------------------------------------------------

spt_boot znet-httpd "$T/httpd.out" "$T/site.tar" \
  --ipv4="$E2E_ZNET_IP/$E2E_PREFIX" --root / --max-conns=16
if spt_wait_banner znet-httpd "$T/httpd.out"; then
  ok "znet-httpd.spt boots: $(grep -m1 "^znet-httpd: serving" "$T/httpd.out")"
  for f in hello.txt big.bin; do
    in_ns_t 30 curl -sS -m 20 -o "$T/$f" "http://$E2E_ZNET_IP/$f"
    check "HTTP GET /$f ($(stat -c %s "$site/$f") bytes): byte for byte" \
      cmp -s "$T/$f" "$site/$f"
  done
  in_ns_t 30 curl -sS -m 10 -o "$T/idx" "http://$E2E_ZNET_IP/docs/"
  check "GET /docs/: its index.html" cmp -s "$T/idx" "$site/docs/index.html"
  code=$(in_ns_t 30 curl -sS -m 10 -o /dev/null -w '%{http_code}' "http://$E2E_ZNET_IP/docs")
  check "GET /docs: 301 ($code)" [ "$code" = 301 ]
  code=$(in_ns_t 30 curl -sS -m 10 --path-as-is -o /dev/null -w '%{http_code}' \
    "http://$E2E_ZNET_IP/%2e%2e/%2e%2e/etc/passwd")
  check "a traversal refused ($code)" [ "$code" = 400 ]
  in_ns_t 30 curl -sS -m 10 -o /dev/null -o /dev/null -v "http://$E2E_ZNET_IP/hello.txt" \
    "http://$E2E_ZNET_IP/index.html" 2>"$T/ka.err"
  check "two URLs over one kept-alive connection" grep -q "Re-using existing connection" "$T/ka.err"
  check "znet-httpd.spt still running at the end" spt_stop
  spt_fatal_case znet-httpd.spt "$T/httpd.out"
else
  not_ok "znet-httpd.spt boots and prints its banner"
  tail -20 "$T/httpd.out" | diag
  spt_stop
fi

# ---- 4. kvd ----------------------------------------------------------------

# kvd.sh makes its own namespace; its cases become this test's, renumbered.
bash "$SPT_ROOT/tests/e2e/kvd.sh" spt "$T/kvd.spt" >"$T/kvd.tap" 2>&1
kvd_cases=0
while IFS= read -r line; do
  case $line in
  "ok "*) kvd_cases=$((kvd_cases + 1)); ok "kvd.spt: ${line#ok * - }" ;;
  "not ok "*) kvd_cases=$((kvd_cases + 1)); not_ok "kvd.spt: ${line#not ok * - }" ;;
  "#"*) echo "$line" ;;
  esac
done <"$T/kvd.tap"
check "kvd.spt: tests/e2e/kvd.sh spt ran its cases ($kvd_cases)" [ "$kvd_cases" -ge 5 ]
[ "$kvd_cases" -ge 5 ] || tail -20 "$T/kvd.tap" | diag

finish
