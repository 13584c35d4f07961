# shellcheck shell=bash
# What the tests that boot znet's images share (spt_boot.sh,
# solo5_e2e.sh, solo5_bearssl.sh).  Sourced after tests/e2e/lib.sh:
#
#   spt_setup ROOT BUILD SHARED
#       Skips (or, under ZN_SHARED_REQUIRED, fails) without x86_64,
#       libznet-rt in BUILD (-Drt), Solo5's archive in SHARED/solo5,
#       root and network namespaces, gcc, make, tar or libseccomp; else
#       builds Solo5 in BUILD/solo5 (tests/solo5/solo5-build.sh: once,
#       shared by the tests, which take turns), puts solo5-spt and
#       Solo5's toolchain on PATH, makes $E2E_TMP and the namespace with
#       its TAP ($E2E_NS, $E2E_TAP), one case each.  Sets SPT_ROOT and
#       SPT_BUILD.
#   spt_image NAME [OBJECT]
#       $E2E_TMP/NAME.spt made by BUILD/rt/znet-image from OBJECT
#       (default BUILD/examples/solo5/NAME.o), one case.
#   spt_boot NAME OUT ROOTFS ARGS...
#       NAME.spt under solo5-spt on the TAP in the background (bounded to
#       SPT_TIMEOUT s, default 120; --mem=${SPT_MEM:-64}), ROOTFS (a tar
#       archive) on its block device "rootfs", ARGS its command line, its
#       console to OUT; $E2E_ECHO_PID is the tender.
#   spt_wait_banner NAME OUT
#       Waits (10 s) for an API program's banner, "NAME: ADDR mac ..."
#       (or "NAME: no-ipv4 mac ..."); false if the image ended first.
#   spt_stop
#       Ends the tender with SIGTERM (an image runs until its tender is
#       stopped); true if it was still running, i.e. had not crashed or
#       exited on its own.
#   spt_fatal_case NAME OUT
#       One case: the console shows no abort, panic or fatal error.

spt_setup() {
  SPT_ROOT=$(cd "$1" && pwd)
  SPT_BUILD=$(cd "$2" && pwd)
  local shared=$3 archive tree
  [ "$(uname -m)" = x86_64 ] || skip_all "libznet-rt's images are x86_64"
  [ -x "$SPT_BUILD/rt/znet-image" ] ||
    skip_all "the build has no libznet-rt (-Drt=enabled)"
  need_shared "$shared/solo5"
  archive=$(find "$shared/solo5" -maxdepth 1 -name 'solo5-*.tar.gz' | sort | tail -1)
  need_shared "${archive:-$shared/solo5/solo5-*.tar.gz}"
  need_netns
  need_cmd gcc make tar timeout
  pkg-config --exists libseccomp 2>/dev/null ||
    skip_all "needs libseccomp (Debian package libseccomp-dev) for solo5-spt"
  trap e2e_cleanup EXIT
  e2e_tmpdir
  . "$SPT_ROOT/tests/solo5/solo5-build.sh"
  if tree=$(solo5_build "$archive" "$SPT_BUILD/solo5" "$E2E_TMP/solo5-build.log"); then
    ok "Solo5 $(basename "$tree") in $SPT_BUILD/solo5"
  else
    not_ok "Solo5 built in $SPT_BUILD/solo5"
    tail -20 "$E2E_TMP/solo5-build.log" 2>/dev/null | diag
    finish
    exit 1
  fi
  export PATH=$tree/toolchain/bin:$tree/tenders/spt:$tree/elftool:$PATH
  if setup_netns; then
    ok "network namespace $E2E_NS with $E2E_TAP $E2E_KERNEL_IP/$E2E_PREFIX"
  else
    not_ok "create network namespace with $E2E_TAP"
    finish
    exit 1
  fi
}

spt_image() {
  local name=$1 obj=${2:-$SPT_BUILD/examples/solo5/$1.o}
  if "$SPT_BUILD/rt/znet-image" --target spt -o "$E2E_TMP/$name.spt" \
    --name "$name" "$obj" >"$E2E_TMP/$name.img.log" 2>&1; then
    ok "$name.spt made by znet-image ($(stat -c %s "$E2E_TMP/$name.spt") bytes)"
  else
    not_ok "$name.spt made by znet-image from $obj"
    diag <"$E2E_TMP/$name.img.log"
    return 1
  fi
}

spt_boot() {
  local name=$1 out=$2 rootfs=$3
  shift 3
  ip netns exec "$E2E_NS" timeout --foreground "${SPT_TIMEOUT:-120}" \
    solo5-spt --mem="${SPT_MEM:-64}" --net:service="$E2E_TAP" \
    --net-mac:service="$E2E_MAC" --block:rootfs="$rootfs" \
    "$E2E_TMP/$name.spt" "$@" >"$out" 2>&1 &
  E2E_ECHO_PID=$!
}

spt_wait_banner() {
  local name=$1 out=$2 _
  for _ in $(seq 1 100); do
    grep -q "^$name: [^ ]* mac " "$out" 2>/dev/null && return 0
    kill -0 "$E2E_ECHO_PID" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

spt_stop() {
  local pid=$E2E_ECHO_PID alive=1
  kill -0 "$pid" 2>/dev/null && alive=0
  kill_tree TERM "$pid"
  wait "$pid" 2>/dev/null
  E2E_ECHO_PID=""
  return $alive
}

spt_fatal_case() {
  if grep -qi "fatal\|abort\|panic\|deadlock" "$2"; then
    not_ok "$1 reported no fatal error"
    diag <"$2"
  else
    ok "$1 reported no fatal error"
  fi
}
