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
finish
