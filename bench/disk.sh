#!/bin/bash
# An image's disk against Linux's ext4, side by side in one run:
#
#   bench/disk.sh [ROUNDS]
#
# The same program each way: bench/znb-disk.c built by znet-cc, run
#   linux   as a Linux program (musl over the kernel's calls) in a
#           directory of ext4 on a loop device, the loop's file on the
#           same host disk as the image's;
#   image   as an spt image with a disk (znet-image --volume data,
#           --mount /data=data), the disk a host file (znet-disk mkfs);
# each workload ROUNDS (3) times, the order of the two alternating, the
# median kept: 4 KiB appends each followed by fsync (2,000), a 256 MiB
# file written then fsync'ed, the same read back (the host's page cache
# dropped first, both ways), 10,000 small files written, fsync'ed and
# renamed into place; then littlefs's two known limits, measured: stats
# spread over that directory of 10,000 (a directory is a list), and a
# fresh program's first write and fsync on the disk so filled (the
# allocator's first scan of every file's blocks).  Then redis (scripts/images' znet-cc build:
# redis-disk.spt, and the same redis-server as a Linux program with its
# --dir on the ext4) under redis-benchmark SET (-c 50, 20,000 requests),
# appendonly yes with appendfsync always and everysec.
#
# The report (bench/results/disk/report.md) puts beside every figure
# what that side's fsync guarantees: the image's reaches the host's page
# cache (Solo5's block device writes with pwrite and has no flush);
# Linux's reaches the host's disk (ext4 flushes, the loop device fsyncs
# its file).  Needs root, what scripts/images needs (it runs scripts/images
# --no-virtio redis first, for the build and the redis image), e2fsprogs.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
ZN_NAME=disk
. tests/e2e/lib.sh
ROUNDS=${1:-3}
B=$ROOT/build-images
OUT=$ROOT/bench/results/disk
summary() {
  finish
}
ensure_packages e2fsprogs redis-tools || exit 1
bash scripts/images --no-virtio redis >"$B/disk-bench.images.log" 2>&1 ||
  echo "# scripts/images redis failed (its output: $B/disk-bench.images.log): going on with what it made"
. tests/rt/images-env.sh
setup_netns || { not_ok "network namespace"; finish; exit 1; }
IP=$E2E_ZNET_IP
ZD=$B/disk/znet-disk
[ -x "$ZD" ] || { not_ok "znet-disk in $B (littlefs in ../shared/littlefs)"; finish; exit 1; }

# ---- the two places: ext4 on a loop device, and the image's disk -----------
W=$B/disk-bench
mkdir -p "$W" "$OUT"
EXT=$W/ext4
mkdir -p "$EXT"
umount "$EXT" 2>/dev/null
rm -f "$W/ext4.img" "$W/image.img"
truncate -s 2G "$W/ext4.img"
mkfs.ext4 -q -F "$W/ext4.img"
LOOP=$(losetup --find --show "$W/ext4.img") && mount "$LOOP" "$EXT" ||
  { not_ok "ext4 on a loop device"; finish; exit 1; }
trap 'umount "$EXT" 2>/dev/null; losetup -d "$LOOP" 2>/dev/null; e2e_cleanup' EXIT
ok "ext4 on $LOOP ($W/ext4.img, 2 GiB), mounted on $EXT"
"$ZD" mkfs "$W/image.img" 2G >/dev/null && ok "the image's disk: $W/image.img, 2 GiB (znet-disk mkfs)"

"$ZCC" -O2 -o "$W/znb-disk" bench/znb-disk.c ||
  { not_ok "znb-disk built by znet-cc"; finish; exit 1; }
"$ZIMG" --target spt --volume data -o "$W/znb-disk.spt" "$W/znb-disk" \
  >"$W/image.log" 2>&1 || { not_ok "znb-disk.spt"; diag <"$W/image.log"; finish; exit 1; }
tar cf "$W/empty.tar" -T /dev/null
ok "znb-disk built by znet-cc, and its image (--volume data)"

drop_caches() { sync; echo 3 >/proc/sys/vm/drop_caches; }

# run_linux WORKLOAD N / run_image WORKLOAD N: znb-disk's result line.
run_linux() {
  "$W/znb-disk" "$EXT" "$@" | grep '^result'
}
run_image() {
  ip netns exec "$E2E_NS" timeout 600 solo5-spt "--net:service=$E2E_TAP" \
    "--block:rootfs=$W/empty.tar" "--block:data=$W/image.img" --mem=512 \
    "$W/znb-disk.spt" --mount /data=data -- /data "$@" 2>&1 | tr -d '\r' |
    grep '^result'
}

value() { sed -n 's/.* value=\([0-9.]*\) .*/\1/p'; }
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

declare -A fig
workloads=("append-fsync 2000" "seq-write 256" "seq-read 0" "small-files 10000"
  "dir-stat 2000" "first-write 0")
for ((r = 1; r <= ROUNDS; r++)); do
  for w in "${workloads[@]}"; do
    set -- $w
    order=(linux image)
    [ $((r % 2)) = 0 ] && order=(image linux)
    for side in "${order[@]}"; do
      [ "$1" = seq-read ] && drop_caches
      line=$(run_"$side" "$1" "$2")
      echo "# round $r $side: ${line:-(none)}"
      echo "$line" | value >>"$W/$side.$1"
    done
  done
  run_linux clean >/dev/null
  run_image clean >/dev/null
done
for w in "${workloads[@]}"; do
  set -- $w
  for side in linux image; do
    fig[$side.$1]=$(median <"$W/$side.$1")
    rm -f "$W/$side.$1"
  done
  check "znb-disk $1: linux ${fig[linux.$1]}, image ${fig[image.$1]}" \
    [ -n "${fig[linux.$1]}" ] && [ -n "${fig[image.$1]}" ]
done

# ---- redis: SET with appendfsync always and everysec ---------------------------
REDIS=$(ls "$B"/pkgs/redis/redis-*/src/redis-server 2>/dev/null | head -1)
redis_rps() { # SIDE FSYNC: redis-benchmark's SET requests/s
  local side=$1 fs=$2 pid
  local args=(--appendonly yes --appendfsync "$fs" --save "''" --protected-mode no)
  if [ "$side" = linux ]; then
    rm -rf "$EXT/redis" && mkdir -p "$EXT/redis"
    ip netns exec "$E2E_NS" "$REDIS" --dir "$EXT/redis" --port 6379 \
      --bind 127.0.0.1 --appendonly yes --appendfsync "$fs" --save "" \
      >"$W/redis.$side.log" 2>&1 &
    pid=$!
    host=127.0.0.1
  else
    "$ZD" mkfs -f "$W/redis.img" 1G >/dev/null
    ip netns exec "$E2E_NS" solo5-spt "--net:service=$E2E_TAP" \
      "--block:rootfs=$W/empty.tar" "--block:data=$W/redis.img" --mem=512 \
      "$B/img/redis-disk.spt" "--ipv4=$IP/$E2E_PREFIX" --mount /data=data \
      -- --dir /data "${args[@]}" >"$W/redis.$side.log" 2>&1 &
    pid=$!
    host=$IP
  fi
  for _ in $(seq 50); do in_ns_t 2 redis-cli -h "$host" PING 2>/dev/null | grep -q PONG && break; sleep 0.2; done
  in_ns_t 300 redis-benchmark -h "$host" -c 50 -n 20000 -t set --csv 2>/dev/null |
    sed -n 's/^"SET","\([0-9.]*\)".*/\1/p'
  kill "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
}
if [ -n "$REDIS" ] && [ -f "$B/img/redis-disk.spt" ]; then
  for fs in always everysec; do
    for side in linux image; do
      for ((r = 1; r <= ROUNDS; r++)); do redis_rps "$side" "$fs"; done | median >"$W/r"
      fig[$side.redis-$fs]=$(cat "$W/r")
    done
    check "redis SET, appendfsync $fs: linux ${fig[linux.redis-$fs]}, image ${fig[image.redis-$fs]}" \
      [ -n "${fig[linux.redis-$fs]}" ] && [ -n "${fig[image.redis-$fs]}" ]
  done
else
  skip_case "redis" "no redis-disk.spt in $B/img (scripts/images redis makes it)"
fi

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0 && b > 0) printf "%.2f", b / a; else print "-" }'; }
{
  echo "# An image's disk against Linux's ext4"
  echo
  echo "Run: $(date -u '+%Y-%m-%d %H:%M UTC'); znet $(git rev-parse --short=8 HEAD); machine: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(nproc) CPUs, Linux $(uname -r); command: \`bench/disk.sh $ROUNDS\` (medians of $ROUNDS rounds)."
  echo
  echo "The same znet-cc-built programs each way.  **linux**: a Linux program on ext4 over a loop device (its file on the host's disk); its \`fsync\` reaches the host's disk.  **image**: an spt image on its disk (littlefs, \`--mount\`), a host file on the same disk; its \`fsync\` reaches the host's page cache only (Solo5's block device has no flush): a SIGKILL of the tender loses nothing fsync'ed, a crash of the host may."
  echo
  echo "redis: the Linux one on the namespace's loopback, the image over its TAP (the client beside each)."
  echo
  echo "| workload | linux (fsync: the disk) | image (fsync: the host's page cache) | image / linux |"
  echo "|---|---:|---:|---:|"
  for w in "append-fsync:4 KiB append + fsync, ops/s" "seq-write:256 MiB written + fsync, MiB/s" \
    "seq-read:256 MiB read (caches dropped), MiB/s" "small-files:10,000 files write + fsync + rename, files/s" \
    "dir-stat:stat in a directory of 10,000 entries, stats/s" \
    "first-write:a new program's first 4 KiB write + fsync on the filled disk, ms (less is better)" \
    "redis-always:redis SET, appendfsync always, requests/s" "redis-everysec:redis SET, appendfsync everysec, requests/s"; do
    k=${w%%:*}
    echo "| ${w#*:} | ${fig[linux.$k]:--} | ${fig[image.$k]:--} | $(ratio "${fig[linux.$k]:-0}" "${fig[image.$k]:-0}") |"
  done
} >"$OUT/report.md"
echo "# report: $OUT/report.md"
finish
