#!/bin/bash
# znet-nc's SHA-256 (examples/sha256.c, FIPS 180-4) against sha256sum, on
# the lengths where padding changes shape (55, 56, 63, 64, 65, 119, 120
# bytes: the length field fits the last block or needs another) and on
# larger inputs read in several pieces.  No network, no root.
#
#   sha256.sh /path/to/znet-nc
#
# Output is TAP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

NC=${1:-}
[ -n "$NC" ] && [ -x "$NC" ] || { echo "usage: $0 /path/to/znet-nc" >&2; exit 2; }
need_cmd sha256sum head cmp
trap e2e_cleanup EXIT
e2e_tmpdir

head -c $((3 << 20)) /dev/urandom >"$E2E_TMP/r"
for n in 0 1 3 55 56 57 63 64 65 119 120 128 1000 65535 65536 65537 $((3 << 20)); do
  head -c "$n" "$E2E_TMP/r" >"$E2E_TMP/x"
  want=$(sha256sum <"$E2E_TMP/x")
  got=$(timeout 10 "$NC" --sha256-stdin <"$E2E_TMP/x")
  check "$n bytes: $got" [ "$got" = "$want" ]
done
# FIPS 180-4's examples (the NIST example values, as sha256sum gives them).
got=$(printf 'abc' | timeout 10 "$NC" --sha256-stdin)
check "'abc': ba7816bf...f20015ad" [ "$got" = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  -" ]
got=$(printf 'abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq' | timeout 10 "$NC" --sha256-stdin)
check "the 448-bit message: 248d6a61...19db06c1" [ "$got" = "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1  -" ]
finish
