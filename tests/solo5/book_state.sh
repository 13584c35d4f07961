#!/bin/bash
# The book's chapter 10: examples/book/notes.c, a TCP server that
# appends each line to a file and answers "ok N" once it is fsync'ed, as
# an image with a disk.
#
#   book_state.sh SOURCE_ROOT BUILD_ROOT SHARED_DIR
#
#  1. Solo5 and the namespace (spt-lib.sh).
#  2. notes (BUILD/examples/book/notes, znet-cc's) on Linux: it counts
#     the lines of its file at start and appends what it is sent.
#  3. notes.spt made by znet-image --volume data; a 16 MiB disk made by
#     znet-disk mkfs.
#  4. Three times: the image booted on the disk says how many lines the
#     file holds, at least the lines acknowledged before the last kill
#     and at most one more; a client sends lines one at a time, each
#     acknowledged before the next, until the tender is killed (SIGKILL)
#     0.3 s after its first acknowledgement.
#  5. znet-disk get: the file on the host holds every acknowledged line,
#     in order, and at most one more for each kill; znet-disk fsck: clean.
#  6. hvt, where /dev/kvm is usable (skipped otherwise): notes.hvt
#     killed once under acknowledged lines, booted again: they are there.
#  7. The same on virtio (notes.virtio under qemu-system-x86_64, TCG,
#     its root and its disk two virtio-blk devices), killed twice;
#     skipped without QEMU.
#
# Needs what spt-lib.sh needs, python3, and littlefs in the build
# (BUILD/disk/znet-disk); else skips.  Output is TAP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../e2e/lib.sh"
. "$here/spt-lib.sh"

[ $# -eq 3 ] || { echo "usage: $0 SOURCE_ROOT BUILD_ROOT SHARED_DIR" >&2; exit 2; }
need_cmd python3
[ -x "$2/disk/znet-disk" ] || skip_all "no littlefs in the build (../shared/littlefs): no disks"
spt_setup "$1" "$2" "$3"
T=$E2E_TMP
Z=$E2E_ZNET_IP
ZD=$SPT_BUILD/disk/znet-disk
NOTES=$SPT_BUILD/examples/book/notes

# ---- 2. on Linux -------------------------------------------------------------
printf 'one\ntwo\n' >"$T/linux.log"
"$NOTES" "$T/linux.log" 17070 >"$T/linux.out" 2>&1 &
lp=$!
E2E_BG_PIDS+=" $lp"
for _ in $(seq 50); do nc -z 127.0.0.1 17070 2>/dev/null && break; sleep 0.1; done
r=$(printf 'three\n' | timeout 5 nc -q1 127.0.0.1 17070 | tr '\n' ' ')
check "notes on Linux: 'lines 2', then 'ok 3' for a line ($r)" [ "$r" = "lines 2 ok 3 " ]
kill "$lp" 2>/dev/null
wait "$lp" 2>/dev/null

# ---- 3. the image and its disk ---------------------------------------------------
if "$SPT_BUILD/rt/znet-image" --target spt --volume data -o "$T/notes.spt" "$NOTES" \
  >"$T/img.log" 2>&1; then
  ok "notes.spt made by znet-image --volume data"
else
  not_ok "notes.spt made by znet-image --volume data"
  diag <"$T/img.log"
  finish
  exit 1
fi
check "a 16 MiB disk made by znet-disk mkfs" "$ZD" mkfs "$T/data.img" 16M
tar cf "$T/empty.tar" -T /dev/null

# The client: lines one at a time, each logged when acknowledged.
cat >"$T/client.py" <<'PY'
import socket, sys
host, log, start = sys.argv[1], sys.argv[2], int(sys.argv[3])
out = open(log, "a", buffering=1)
s = socket.create_connection((host, 7070), timeout=5)
f = s.makefile("rb")
f.readline()
i = start
try:
    while True:
        s.sendall(b"note %d\n" % i)
        r = f.readline()
        if not r.startswith(b"ok "):
            break
        out.write("note %d\n" % i)
        i += 1
except OSError:
    pass
PY

# in_order FILE ACKED KILLS: FILE holds every line of ACKED, in order,
# and at most KILLS lines more (each kill may land after a line was
# written and before its acknowledgement left: that line stays, and the
# next boot's follow it).
in_order() {
  python3 - "$1" "$2" "$3" <<'PY'
import sys
held = open(sys.argv[1]).read().splitlines()
acked = open(sys.argv[2]).read().splitlines()
i = extra = 0
for line in held:
    if i < len(acked) and line == acked[i]:
        i += 1
    else:
        extra += 1
sys.exit(0 if i == len(acked) and extra <= int(sys.argv[3]) else 1)
PY
}

boot() { # OUT [TARGET [DISK]]: spt (default) or hvt
  local t=${2:-spt} disk=${3:-$T/data.img}
  ip netns exec "$E2E_NS" "$(dirname "$(command -v solo5-spt)")/../$t/solo5-$t" --mem=64 \
    "--net:service=$E2E_TAP" "--block:rootfs=$T/empty.tar" "--block:data=$disk" "$T/notes.$t" \
    "--ipv4=$Z/$E2E_PREFIX" --mount /data=data -- /data/notes.log 7070 \
    >"$1" 2>&1 &
  E2E_ECHO_PID=$!
  E2E_BG_PIDS+=" $E2E_ECHO_PID"
  for _ in $(seq 100); do
    grep -q '^notes: ' "$1" 2>/dev/null && in_ns_t 2 nc -z "$Z" 7070 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# ---- 4. killed three times ---------------------------------------------------------
: >"$T/acked"
for k in 1 2 3; do
  out=$T/boot$k.out
  if ! boot "$out"; then
    not_ok "boot $k on the disk"
    diag <"$out"
    break
  fi
  held=$(sed -n 's/^notes: .* holds \([0-9]*\) lines.*/\1/p' "$out")
  acked=$(grep -c . "$T/acked")
  check "boot $k: the file holds $held lines, $acked acknowledged before" \
    [ "${held:-0}" -ge "$acked" ] && [ "${held:-0}" -le $((acked + 1)) ]
  ip netns exec "$E2E_NS" python3 "$T/client.py" "$Z" "$T/acked" $((k * 100000)) &
  cp=$!
  # Killed once the client has had lines acknowledged (python's start
  # is slow beside a build), 0.3 s into its stream.
  for _ in $(seq 100); do
    [ "$(grep -c . "$T/acked")" -gt "$acked" ] && break
    sleep 0.1
  done
  sleep 0.3
  kill -9 "$E2E_ECHO_PID"
  wait "$E2E_ECHO_PID" 2>/dev/null
  wait "$cp" 2>/dev/null
done
check "the clients had lines acknowledged in each of the three ($(grep -c . "$T/acked"))" \
  [ "$(grep -c '^note 1[0-9]' "$T/acked")" -gt 0 ] && [ "$(grep -c '^note 2[0-9]' "$T/acked")" -gt 0 ] &&
  [ "$(grep -c '^note 3[0-9]' "$T/acked")" -gt 0 ]

# ---- 5. the disk on the host ----------------------------------------------------------
"$ZD" get "$T/data.img" /notes.log "$T/notes.log" 2>"$T/get.err"
check "znet-disk get: every acknowledged line in the file, in order" \
  in_order "$T/notes.log" "$T/acked" 3
"$ZD" fsck "$T/data.img" >"$T/fsck" 2>&1
check "znet-disk fsck: $(tail -1 "$T/fsck")" grep -q 'clean$' "$T/fsck"

# ---- 6. hvt, where /dev/kvm is usable ------------------------------------------------
if [ -c /dev/kvm ] && [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
  "$SPT_BUILD/rt/znet-image" --target hvt --volume data -o "$T/notes.hvt" "$NOTES" \
    >"$T/himg.log" 2>&1
  "$ZD" mkfs "$T/hdata.img" 16M >/dev/null
  : >"$T/hacked"
  if [ -f "$T/notes.hvt" ] && boot "$T/hboot1.out" hvt "$T/hdata.img"; then
    ip netns exec "$E2E_NS" python3 "$T/client.py" "$Z" "$T/hacked" 100000 &
    cp=$!
    for _ in $(seq 100); do
      [ -s "$T/hacked" ] && break
      sleep 0.1
    done
    sleep 0.3
    kill -9 "$E2E_ECHO_PID"
    wait "$E2E_ECHO_PID" 2>/dev/null
    wait "$cp" 2>/dev/null
    boot "$T/hboot2.out" hvt "$T/hdata.img"
    held=$(sed -n 's/^notes: .* holds \([0-9]*\) lines.*/\1/p' "$T/hboot2.out")
    acked=$(grep -c . "$T/hacked")
    check "hvt: killed after $acked acknowledged lines, booted again: the file holds $held" \
      [ "$acked" -gt 0 ] && [ "${held:-0}" -ge "$acked" ] && [ "${held:-0}" -le $((acked + 1)) ]
    kill -9 "$E2E_ECHO_PID" 2>/dev/null
    wait "$E2E_ECHO_PID" 2>/dev/null
  else
    not_ok "hvt: notes.hvt made and booted on a disk"
    cat "$T/himg.log" "$T/hboot1.out" 2>/dev/null | grep -v '^Solo5: ' | tail -10 | diag
  fi
else
  skip_case "hvt: notes.hvt on a disk" "no usable /dev/kvm here"
fi

# ---- 7. the same on virtio, under QEMU ------------------------------------------------
# Solo5's virtio binds the PCI devices it finds, in slot order, to the
# manifest's devices in order (the network, the root, then each disk):
# the slots are given so.  QEMU's raw file with its default cache
# (writeback): what the image wrote is in the host's page cache when
# QEMU completes the request, as with spt's pwrite.
if ! command -v qemu-system-x86_64 >/dev/null; then
  skip_case "virtio: notes.virtio on a disk" "no qemu-system-x86_64"
  finish
  exit 0
fi
if "$SPT_BUILD/rt/znet-image" --target virtio --volume data -o "$T/notes.virtio" "$NOTES" \
  >"$T/vimg.log" 2>&1; then
  ok "notes.virtio made by znet-image --target virtio --volume data"
else
  not_ok "notes.virtio made by znet-image --target virtio --volume data"
  diag <"$T/vimg.log"
  finish
  exit 1
fi
"$ZD" mkfs "$T/vdata.img" 16M >/dev/null
vboot() { # OUT
  ip netns exec "$E2E_NS" qemu-system-x86_64 -cpu Westmere -m 128 -nodefaults \
    -no-reboot -display none -serial stdio -kernel "$T/notes.virtio" \
    -append "--ipv4=$Z/$E2E_PREFIX --mount /data=data -- /data/notes.log 7070" \
    -netdev "tap,id=n0,ifname=$E2E_TAP,script=no,downscript=no" \
    -device virtio-net-pci,netdev=n0,event_idx=off,addr=0x3 \
    -drive "file=$T/empty.tar,if=none,id=d0,format=raw" \
    -device virtio-blk-pci,drive=d0,addr=0x4 \
    -drive "file=$T/vdata.img,if=none,id=d1,format=raw" \
    -device virtio-blk-pci,drive=d1,addr=0x5 </dev/null >"$1" 2>&1 &
  E2E_ECHO_PID=$!
  E2E_BG_PIDS+=" $E2E_ECHO_PID"
  # (TCG: a boot takes seconds.)
  for _ in $(seq 600); do
    grep -q '^notes: ' "$1" 2>/dev/null && in_ns_t 2 nc -z "$Z" 7070 2>/dev/null && return 0
    kill -0 "$E2E_ECHO_PID" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}
: >"$T/vacked"
for k in 1 2; do
  out=$T/vboot$k.out
  if ! vboot "$out"; then
    not_ok "virtio boot $k on the disk"
    grep -v '^Solo5: ' "$out" | tail -15 | diag
    kill -9 "$E2E_ECHO_PID" 2>/dev/null
    break
  fi
  held=$(sed -n 's/^notes: .* holds \([0-9]*\) lines.*/\1/p' "$out")
  acked=$(grep -c . "$T/vacked")
  check "virtio boot $k: the file holds $held lines, $acked acknowledged before" \
    [ "${held:-0}" -ge "$acked" ] && [ "${held:-0}" -le $((acked + 1)) ]
  ip netns exec "$E2E_NS" python3 "$T/client.py" "$Z" "$T/vacked" $((k * 100000)) &
  cp=$!
  for _ in $(seq 100); do
    [ "$(grep -c . "$T/vacked")" -gt "$acked" ] && break
    sleep 0.1
  done
  sleep 0.5
  kill -9 "$E2E_ECHO_PID"
  wait "$E2E_ECHO_PID" 2>/dev/null
  wait "$cp" 2>/dev/null
done
check "virtio: the clients had lines acknowledged in both ($(grep -c . "$T/vacked"))" \
  [ "$(grep -c '^note 1[0-9]' "$T/vacked")" -gt 0 ] && [ "$(grep -c '^note 2[0-9]' "$T/vacked")" -gt 0 ]
"$ZD" get "$T/vdata.img" /notes.log "$T/vnotes.log" 2>"$T/vget.err"
check "virtio: znet-disk get: every acknowledged line in the file, in order" \
  in_order "$T/vnotes.log" "$T/vacked" 2
"$ZD" fsck "$T/vdata.img" >"$T/vfsck" 2>&1
check "virtio: znet-disk fsck: $(tail -1 "$T/vfsck")" grep -q 'clean$' "$T/vfsck"
finish
