#!/bin/bash
# fuzz_lfs's large seeds (fuzz/meson.build runs this at every build of
# the harnesses, as fuzz_seeds makes the others'): disks znet-disk makes,
# longer than each bound the harness has.
#
#   fuzz/lfs-seeds.sh ZNET_DISK SEEDS_DIR STAMP
#
#   large-tree       a 64-block disk (the most the harness mounts):
#                    a 70,000-byte file (past its 64 KiB read), a
#                    directory of 260 entries (past the 256 it lists)
#                    and directories 10 deep (past the 8 it walks)
#   large-over-disk  the same and one block more (the harness cuts it)
#
# Every time and owner is fixed, so the seeds are the same at each build.
set -eu
zdisk=$1
out=$2/lfs
stamp=$3
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
t=$tmp/tree
mkdir -p "$t/wide" "$t/d1/d2/d3/d4/d5/d6/d7/d8/d9/d10"
yes 'znet fuzz_lfs: a file longer than the harness reads' | head -c 70000 >"$t/big"
for i in $(seq 1 260); do
  printf '%s\n' "$i" >"$t/wide/f$i"
done
echo deep >"$t/d1/d2/d3/d4/d5/d6/d7/d8/d9/d10/leaf"
find "$t" -exec touch -h -d @1700000000 {} +
"$zdisk" mkfs "$tmp/disk" 256K >/dev/null
"$zdisk" put -o 0:0 "$tmp/disk" "$t" / >/dev/null
"$zdisk" fsck "$tmp/disk" >/dev/null
cp "$tmp/disk" "$out/large-tree"
cat "$tmp/disk" >"$out/large-over-disk"
head -c 4096 /dev/zero | tr '\0' '\377' >>"$out/large-over-disk"
echo "2 seeds: $(stat -c %s "$out/large-tree") and $(stat -c %s "$out/large-over-disk") bytes" >"$stamp"
