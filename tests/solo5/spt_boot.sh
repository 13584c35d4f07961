#!/bin/bash
# znet's own unikernels booted for real: Solo5 built from the shared
# source archive, the images cross-built for spt, and each booted with
# solo5-spt on a TAP in a private network namespace and driven from
# Linux.  (solo5_e2e and solo5_kvd run the same code on the ABI test
# double; this one runs the images a user boots.)
#
#   spt_boot.sh SOURCE_ROOT BUILD_ROOT SHARED_DIR
#
#  1. Solo5: SHARED_DIR/solo5/solo5-*.tar.gz unpacked and built (its
#     ./configure.sh and make) in BUILD_ROOT/solo5/, never in the source
#     tree; reused while BUILD_ROOT/solo5/stamp names the same archive.
#     Without the archive the test skips, and with ZN_SHARED_REQUIRED set
#     (CI) it fails.
#  2. The images: meson setup BUILD_ROOT/solo5-spt --cross-file
#     cross/solo5-spt.ini -Dhttpd_root=tests/http/www-sample, with Solo5's
#     toolchain on PATH; ninja.
#  3. znet-echo.spt: the banner, ping, UDP echo, TCP echo of 256 KiB
#     checked by SHA-256.
#  4. znet-httpd.spt serving the packed site: curl fetches a page and the
#     large file, each byte for byte against the tree's copy.
#  5. kvd.spt (examples/posix/kvd.c on libznet-posix): tests/e2e/kvd.sh
#     spt, its cases counted here.
#
# Needs root, /dev/net/tun, gcc, make and libseccomp (solo5-spt's
# sandbox), else skips.  Output is TAP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../e2e/lib.sh"

ROOT=${1:-}
BUILD=${2:-}
SHARED=${3:-}
[ -n "$ROOT" ] && [ -d "$ROOT/cross" ] && [ -n "$BUILD" ] && [ -n "$SHARED" ] ||
  { echo "usage: $0 SOURCE_ROOT BUILD_ROOT SHARED_DIR" >&2; exit 2; }
ROOT=$(cd "$ROOT" && pwd)
BUILD=$(cd "$BUILD" && pwd)

[ "$(uname -m)" = x86_64 ] || skip_all "Solo5's spt target is x86_64 here"
need_shared "$SHARED/solo5"
archive=$(find "$SHARED/solo5" -maxdepth 1 -name 'solo5-*.tar.gz' | sort | tail -1)
need_shared "${archive:-$SHARED/solo5/solo5-*.tar.gz}"
need_netns
need_cmd gcc make ragel meson ninja ping nc curl sha256sum timeout
pkg-config --exists libseccomp 2>/dev/null ||
  skip_all "needs libseccomp (Debian package libseccomp-dev) for solo5-spt"
trap e2e_cleanup EXIT
e2e_tmpdir
T=$E2E_TMP

# ---- 1. Solo5, in the build directory ------------------------------------

. "$here/solo5-build.sh"
s5=$BUILD/solo5
name=$(basename "$archive" .tar.gz)
if tree=$(solo5_build "$archive" "$s5" "$T/solo5-build.log"); then
  ok "Solo5 $name, built in $s5"
else
  not_ok "Solo5 $name built in $s5"
  tail -20 "$T/solo5-build.log" 2>/dev/null | diag
  finish
  exit 1
fi
export PATH=$tree/toolchain/bin:$tree/tenders/spt:$tree/elftool:$PATH

# ---- 2. the images ---------------------------------------------------------

img=$BUILD/solo5-spt
opts=(--cross-file "$ROOT/cross/solo5-spt.ini" "-Dhttpd_root=$ROOT/tests/http/www-sample")
if {
  if [ -f "$img/meson-private/coredata.dat" ]; then
    meson setup --reconfigure "$img" "$ROOT" "${opts[@]}" ||
      meson setup --wipe "$img" "$ROOT" "${opts[@]}"
  else
    rm -rf "$img" && meson setup "$img" "$ROOT" "${opts[@]}"
  fi
  timeout 900 ninja -C "$img"
} >"$T/images.log" 2>&1; then
  ok "znet-echo.spt, znet-httpd.spt and kvd.spt built in $img"
else
  not_ok "znet-echo.spt, znet-httpd.spt and kvd.spt built in $img"
  grep -E "error|FAILED" "$T/images.log" | head -20 | diag
  finish
  exit 1
fi

if setup_netns; then
  ok "network namespace $E2E_NS with $E2E_TAP $E2E_KERNEL_IP/$E2E_PREFIX"
else
  not_ok "create network namespace with $E2E_TAP"
  finish
  exit 1
fi

# boot PROG [ARGS...]: IMAGE PROG.spt under solo5-spt on the TAP, in the
# background (bounded to 120 s), until its banner "PROG: ADDR/".
boot() {
  local prog=$1
  shift
  ip netns exec "$E2E_NS" timeout --foreground 120 solo5-spt \
    "--net:service=$E2E_TAP" "$img/examples/solo5/$prog.spt" \
    --ipv4 "$E2E_ZNET_IP/$E2E_PREFIX" "$@" >"$T/$prog.out" 2>&1 &
  E2E_ECHO_PID=$!
  if wait_banner "$prog" "$T/$prog.out"; then
    ok "$prog.spt boots: $(grep -m1 "^$prog: $E2E_ZNET_IP/" "$T/$prog.out")"
  else
    not_ok "$prog.spt boots and prints its banner"
    tail -20 "$T/$prog.out" | diag
    return 1
  fi
}

# ---- 3. znet-echo ----------------------------------------------------------

if boot znet-echo; then
  ping_case 56
  got=$(echo "hello from linux" | in_ns_t 5 nc -u -w 1 "$E2E_ZNET_IP" 7)
  check "UDP echo: the datagram came back" [ "$got" = "hello from linux" ]
  head -c 262144 /dev/urandom >"$T/blob"
  in_ns_t 30 nc -N -w 5 "$E2E_ZNET_IP" 7 <"$T/blob" >"$T/blob.back" 2>/dev/null
  want=$(sha256sum <"$T/blob" | cut -d' ' -f1)
  back=$(sha256sum <"$T/blob.back" | cut -d' ' -f1)
  check "TCP echo of 256 KiB, SHA-256 equal ($(stat -c %s "$T/blob.back") bytes back)" \
    [ "$want" = "$back" ]
fi
stop_echo

# ---- 4. znet-httpd ---------------------------------------------------------

if boot znet-httpd; then
  for f in hello.txt big.bin; do
    in_ns_t 30 curl -s -o "$T/$f" "http://$E2E_ZNET_IP/$f"
    check "HTTP GET /$f ($(stat -c %s "$ROOT/tests/http/www-sample/$f") bytes): byte for byte" \
      cmp -s "$T/$f" "$ROOT/tests/http/www-sample/$f"
  done
fi
stop_echo

# ---- 5. kvd ----------------------------------------------------------------

# kvd.sh makes its own namespace; its cases become this test's, renumbered.
bash "$ROOT/tests/e2e/kvd.sh" spt "$img/examples/solo5/kvd.spt" >"$T/kvd.tap" 2>&1
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
