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
#     in order; znet-disk fsck: clean.
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

boot() { # OUT
  ip netns exec "$E2E_NS" solo5-spt --mem=64 "--net:service=$E2E_TAP" \
    "--block:rootfs=$T/empty.tar" "--block:data=$T/data.img" "$T/notes.spt" \
    "--ipv4=$Z/$E2E_PREFIX" --mount /data=data -- /data/notes.log 7070 \
    >"$1" 2>&1 &
  E2E_ECHO_PID=$!
  E2E_BG_PIDS+=" $E2E_ECHO_PID"
  for _ in $(seq 100); do
    grep -q '^notes: ' "$1" && in_ns_t 2 nc -z "$Z" 7070 2>/dev/null && return 0
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
  bash -c "head -n \$(grep -c . '$T/acked') '$T/notes.log' | cmp -s - '$T/acked'"
"$ZD" fsck "$T/data.img" >"$T/fsck" 2>&1
check "znet-disk fsck: $(tail -1 "$T/fsck")" grep -q 'clean$' "$T/fsck"
finish
