#!/bin/bash
# Chapter 6: redis from Debian 12's source package, unchanged, made a
# unikernel.  Its own Makefile builds it with CC=znet-cc; znet-image makes
# the image; a tar archive holds its configuration file.
#
#   examples/book/redis-image.sh DIR
#
# znet-cc and znet-image come from PATH, Solo5 as znet-image finds it.
# Makes, in DIR: src/ (Debian's source, by scripts/debian-src), redis-server
# (znet-cc's output, a static Linux program), redis.spt (the image) and
# redis-root.tar (the root archive: /etc/redis/redis.conf).  A second run
# reuses the source and the build.
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
book=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$1"
dir=$(cd "$1" && pwd)

echo "== Debian's source of redis"
src=$(bash "$book/../../scripts/debian-src" redis "$dir/src" | tail -n1)

echo "== redis-server, by its own Makefile"
make -C "$src" -j"$(nproc)" CC=znet-cc MALLOC=libc BUILD_TLS=no \
  USE_SYSTEMD=no redis-server
cp "$src/src/redis-server" "$dir/redis-server"

echo "== the image and its root archive"
znet-image --target spt -o "$dir/redis.spt" "$dir/redis-server"
mkdir -p "$dir/root/etc/redis"
cp "$book/redis.conf" "$dir/root/etc/redis/redis.conf"
tar cf "$dir/redis-root.tar" -C "$dir/root" .
ls -l "$dir/redis-server" "$dir/redis.spt" "$dir/redis-root.tar"
