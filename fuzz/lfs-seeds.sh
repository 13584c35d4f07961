#!/bin/bash
# fuzz_lfs's large seeds (fuzz/meson.build runs this at every build of
# the harnesses, as fuzz_seeds makes the others'): disks znet-disk makes,
# longer than each bound the harness has.
#
#   fuzz/lfs-seeds.sh ZNET_DISK SEEDS_DIR STAMP
#
#   large-big        a 64-block disk (the most the harness mounts) with a
#                    70,000-byte file (past its 64 KiB read) and
#                    directories 10 deep (past the 8 it walks)
#   large-wide       a 64-block disk with a directory of 260 entries
#                    (past the 256 it lists; empty files: each takes
#                    its directory's room only), 10 deep too
#   large-over-disk  large-big and one block more (the harness cuts it)
#
# (Both trees would not fit one 64-block disk: the 260 entries with
# znet's attributes take 28 blocks, the file 18, the directories 20.)
# Every time and owner is fixed, so the seeds are the same at each build.
set -eu
zdisk=$1
out=$2/lfs
stamp=$3
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# seed NAME WHAT: a tree with the deep directories and WHAT (big or
# wide), on a fresh 64-block disk, as $out/NAME.
seed() {
  local t=$tmp/$1
  mkdir -p "$t/d1/d2/d3/d4/d5/d6/d7/d8/d9/d10"
  echo deep >"$t/d1/d2/d3/d4/d5/d6/d7/d8/d9/d10/leaf"
  if [ "$2" = big ]; then
    yes 'znet fuzz_lfs: a file longer than the harness reads' | head -c 70000 >"$t/big"
  else
    mkdir "$t/wide"
    for i in $(seq 1 260); do : >"$t/wide/f$i"; done
  fi
  find "$t" -exec touch -h -d @1700000000 {} +
  "$zdisk" mkfs "$tmp/$1.img" 256K >/dev/null
  "$zdisk" put -o 0:0 "$tmp/$1.img" "$t" / >/dev/null
  "$zdisk" fsck "$tmp/$1.img" >/dev/null
  cp "$tmp/$1.img" "$out/$1"
}
seed large-big big
seed large-wide wide
cat "$out/large-big" >"$out/large-over-disk"
head -c 4096 /dev/zero | tr '\0' '\377' >>"$out/large-over-disk"
echo "3 seeds: $(stat -c %s "$out/large-big"), $(stat -c %s "$out/large-wide") and $(stat -c %s "$out/large-over-disk") bytes" >"$stamp"
