#!/bin/bash
# znet-disk (disk/znet-disk.c) on host files: a tree put in and got back
# the same (bytes, modes, times; owners when root), the listing, fsck on
# a clean disk and on damaged ones, and the refusals (a disk holding
# data, a size too small, a full disk, a file that is no disk).  TAP.
#
#   znet_disk.sh ZNET-DISK
set -uo pipefail
. "$(dirname "$0")/../e2e/lib.sh"
ZD=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# A tree with what a volume holds: nested directories, an empty file, a
# file of 3 MiB (many blocks), modes and times of their own, and a
# symbolic link (the disk has none: put skips it, naming it).
mkdir -p "$T/src/etc/app" "$T/src/var/lib/db" "$T/src/empty-dir"
printf 'hello\n' >"$T/src/etc/app/conf"
: >"$T/src/var/lib/db/empty"
head -c 3145728 /dev/urandom >"$T/src/var/lib/db/big"
chmod 0600 "$T/src/etc/app/conf"
chmod 0750 "$T/src/var/lib"
touch -d '2020-02-02 02:02:02' "$T/src/etc/app/conf"
ln -s conf "$T/src/etc/app/link"

# quiet ARGS...: znet-disk with its standard output left out of the TAP.
quiet() { "$ZD" "$@" >/dev/null; }

check "mkfs: a 16 MiB disk" quiet mkfs "$T/d.img" 16M
check "mkfs: the file is 16 MiB" [ "$(stat -c %s "$T/d.img")" = 16777216 ]
"$ZD" mkfs "$T/d.img" 16M 2>"$T/err"
st=$?
check "mkfs: a disk holding data refused without -f (status $st)" \
  [ "$st" = 2 ] && grep -q 'holds data' "$T/err"
"$ZD" mkfs "$T/small.img" 32K 2>"$T/err"
check "mkfs: 32 KiB refused as too small" grep -q 'too small' "$T/err"

"$ZD" put "$T/d.img" "$T/src" / 2>"$T/put.err"
st=$?
check "put: status 1 (an entry skipped)" [ "$st" = 1 ]
check "put: the symbolic link named as skipped" grep -q 'link.*symbolic link' "$T/put.err"
"$ZD" ls "$T/d.img" >"$T/ls" 2>&1
check "ls: every entry listed" [ "$(grep -c . "$T/ls")" = 10 ]
check "ls: conf's mode and size" grep -q '^-rw------- .* 6 2020-02-02 02:02 /etc/app/conf$' "$T/ls"
check "ls: big's size" grep -q ' 3145728 .* /var/lib/db/big$' "$T/ls"
"$ZD" fsck "$T/d.img" >"$T/fsck" 2>&1
check "fsck: clean after put" grep -q '7 directories, 3 files, 3145734 bytes; 0 entries without.*clean$' "$T/fsck" ||
  diag <"$T/fsck"

mkdir "$T/out"
check "get: the whole tree" "$ZD" get "$T/d.img" / "$T/out"
rm "$T/src/etc/app/link"
check "get: the same bytes" diff -r "$T/src" "$T/out"
check "get: the same modes" [ "$(cd "$T/src" && find . -printf '%m %p\n' | sort)" = \
  "$(cd "$T/out" && find . -printf '%m %p\n' | sort)" ]
check "get: the same modification times" [ "$(cd "$T/src" && find . -type f -printf '%T@ %p\n' | sort)" = \
  "$(cd "$T/out" && find . -type f -printf '%T@ %p\n' | sort)" ]
if [ "$(id -u)" = 0 ]; then
  chown 1234:5678 "$T/src/etc/app/conf"
  "$ZD" put "$T/d.img" "$T/src/etc/app/conf" /etc/app
  "$ZD" get "$T/d.img" /etc/app/conf "$T/conf.copy"
  check "get: the owner kept (root)" [ "$(stat -c %u:%g "$T/conf.copy")" = 1234:5678 ]
  "$ZD" put -o 7:8 "$T/d.img" "$T/src/etc/app/conf" /etc/app/conf2
  check "put -o: the owner given" grep -q . <("$ZD" ls "$T/d.img" /etc/app/conf2 | grep '^-rw------- *7 *8 ')
else
  skip_case "owners" "not root"
  skip_case "put -o" "not root"
fi
check "put: a file into a directory keeps its name" \
  "$ZD" put "$T/d.img" "$T/src/etc/app/conf" /var
check "ls: /var/conf" grep -q ' /var/conf$' <("$ZD" ls "$T/d.img" /var)

# A full disk: put fails with the reason, and the disk stays sound.
"$ZD" mkfs "$T/full.img" 1M >/dev/null
head -c 2097152 /dev/urandom >"$T/2m"
"$ZD" put "$T/full.img" "$T/2m" / 2>"$T/err"
st=$?
check "put: a full disk answers 'no space' (status $st)" [ "$st" = 2 ] && grep -q 'no space' "$T/err"
check "fsck: the full disk still clean" quiet fsck "$T/full.img"

# Damaged disks: each a clear line and status 1 or 2, never a crash.
damaged() { # NAME: the disk at $T/bad.img
  "$ZD" fsck "$T/bad.img" >"$T/bad.out" 2>&1
  st=$?
  check "fsck: $1: status $st, with a reason" [ "$st" = 1 -o "$st" = 2 ] &&
    grep -q -e 'PROBLEMS' -e 'no file system' -e 'too small' "$T/bad.out" ||
    diag <"$T/bad.out"
}
head -c 4194304 /dev/urandom >"$T/bad.img"
damaged "random bytes"
cp "$T/d.img" "$T/bad.img" && truncate -s 1M "$T/bad.img"
damaged "truncated to 1 MiB"
truncate -s 0 "$T/bad.img" && truncate -s 16M "$T/bad.img"
damaged "all zero"
if command -v mkfs.ext4 >/dev/null; then
  truncate -s 0 "$T/bad.img" && truncate -s 16M "$T/bad.img"
  mkfs.ext4 -q -F "$T/bad.img" && damaged "ext4"
else
  skip_case "fsck: ext4" "no mkfs.ext4"
fi
# Every block of the metadata pairs at 0 and 1 scribbled in turn.
for blk in 0 1; do
  cp "$T/d.img" "$T/bad.img"
  printf '\xff\xff\xff\xff\xff\xff\xff\xff' |
    dd of="$T/bad.img" bs=1 seek=$((blk * 4096 + 20)) conv=notrunc status=none
  "$ZD" fsck "$T/bad.img" >"$T/bad.out" 2>&1
  st=$?
  check "fsck: metadata block $blk scribbled: status $st, not a crash" [ "$st" -le 2 ]
done
finish
