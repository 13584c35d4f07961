#!/bin/bash
# The book's chapter 6 (and the part of chapter 7 that needs its build):
# redis from Debian 12's source, unchanged, made by
# examples/book/redis-image.sh and driven by Debian's redis-cli and
# redis-benchmark across a TAP in a private network namespace.
#
#   book_redis.sh SOURCE_ROOT BUILD_ROOT SHARED_DIR
#
#  1. Solo5 and the namespace (spt-lib.sh: skipped without Solo5's
#     archive, failed without it under ZN_SHARED_REQUIRED).
#  2. redis-image.sh BUILD_ROOT/book-redis, with BUILD_ROOT/rt on PATH:
#     Debian's source (fetched once; a rerun reuses it and redis's own
#     build), redis-server by its Makefile with CC=znet-cc, redis.spt,
#     redis-root.tar holding examples/book/redis.conf byte for byte;
#     redis-server is a static program carrying znet-image's section.
#  3. That redis-server on Linux (chapter 7): it listens on the kernel's
#     sockets (ss lists it) and answers SET/GET; under znet-run too (a
#     static program takes no preload), and it exits 0 on SHUTDOWN.
#  4. The image with too little memory (--mem=16): redis's 4 MiB thread
#     stacks do not fit, the runtime says so and the image exits 1; with
#     --thread-stack=64K the same 16 MiB serve.
#  5. The image as the chapter boots it (--mem=128 --thread-stack=64K,
#     the configuration from its root archive): SET/GET, INCR, a 1 MiB
#     value back byte for byte, CONFIG GET maxmemory as redis.conf sets
#     it, INFO (the image's kernel, pid 1, the file it read), BGSAVE
#     refused (no fork) while SAVE writes to /tmp, redis-benchmark
#     (10,000 SET and GET; the rates are printed, not checked), SHUTDOWN:
#     the image exits 0; no system call named unanswered, no fatal error
#     on its console.
#
# Needs root, /dev/net/tun, gcc, make, libseccomp, tar, redis-cli and
# redis-benchmark (redis-tools), apt with Debian's sources (or the source
# fetched before); else skips.  Output is TAP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../e2e/lib.sh"
. "$here/spt-lib.sh"

[ $# -eq 3 ] || { echo "usage: $0 SOURCE_ROOT BUILD_ROOT SHARED_DIR" >&2; exit 2; }
need_cmd redis-cli redis-benchmark ss cmp readelf
spt_setup "$1" "$2" "$3"
T=$E2E_TMP
Z=$E2E_ZNET_IP
K=$E2E_KERNEL_IP
D=$SPT_BUILD/book-redis
CONF=$SPT_ROOT/examples/book/redis.conf
RUN=$SPT_BUILD/posix/preload/znet-run

# rcli HOST ARGS...: Debian's redis-cli from the namespace, bounded.
rcli() {
  local h=$1
  shift
  in_ns_t 20 redis-cli -h "$h" "$@"
}

# ---- 2. the build -------------------------------------------------------------

t0=$(now_s)
PATH=$SPT_BUILD/rt:$PATH bash "$SPT_ROOT/examples/book/redis-image.sh" "$D" \
  >"$T/image.log" 2>&1
rc=$?
check "redis-image.sh made redis-server, redis.spt and redis-root.tar (exit $rc, $(elapsed "$t0") s)" \
  eval '[ "$rc" -eq 0 ] && [ -x "$D/redis-server" ] && [ -s "$D/redis.spt" ] &&
    [ -s "$D/redis-root.tar" ]'
if [ "$rc" -ne 0 ]; then
  grep -iE "error|debian-src|fatal" "$T/image.log" | head -10 | diag
  tail -10 "$T/image.log" | diag
  finish
  exit 1
fi
grep '^-rwx\|^-rw' "$T/image.log" | diag
check "redis-root.tar holds etc/redis/redis.conf, examples/book/redis.conf byte for byte" \
  cmp -s "$CONF" <(tar xOf "$D/redis-root.tar" ./etc/redis/redis.conf)
check "redis-server is a static program (no interpreter) with a .znet_relink section" \
  eval '! readelf -l "$D/redis-server" | grep -q INTERP &&
    readelf -S "$D/redis-server" | grep -q "\.znet_relink"'

# ---- 3. znet-cc's redis-server on Linux -----------------------------------------

# kernel_redis NAME CMD...: CMD (redis-server on port 6380) in the
# namespace; the kernel must list its listener and it must answer on the
# kernel's address, then exit 0 on SHUTDOWN.
kernel_redis() {
  local name=$1
  shift
  : >"$T/linux.out"
  ip netns exec "$E2E_NS" timeout 60 "$@" >"$T/linux.out" 2>&1 &
  local pid=$!
  bg_pid "$pid"
  local _
  for _ in $(seq 1 100); do
    grep -q "Ready to accept connections" "$T/linux.out" && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  check "$name: the kernel lists its listening socket (ss)" \
    eval 'in_ns ss -Hltn "sport = :6380" | grep -q LISTEN'
  rcli "$K" -p 6380 SET greeting "hello from Linux" >/dev/null
  local got
  got=$(rcli "$K" -p 6380 GET greeting)
  check "$name: SET and GET on the kernel's address (got '$got')" \
    [ "$got" = "hello from Linux" ]
  rcli "$K" -p 6380 SHUTDOWN NOSAVE >/dev/null 2>&1
  wait_bg "$pid" 10
  local rc=$?
  check "$name: SHUTDOWN, exit 0 (got $rc)" [ "$rc" -eq 0 ]
  [ "$rc" -eq 0 ] || tail -5 "$T/linux.out" | diag
}
kernel_redis "redis-server of znet-cc on Linux" \
  "$D/redis-server" "$CONF" --port 6380 --dir "$T"
if [ -x "$RUN" ]; then
  kernel_redis "the same under znet-run (a static program: no preload)" \
    "$RUN" --netif "tap:$E2E_TAP" --ipv4 "$Z/$E2E_PREFIX" \
    -- "$D/redis-server" "$CONF" --port 6380 --dir "$T"
else
  skip_case "the same under znet-run" "no $RUN"
fi

# ---- 4. memory ------------------------------------------------------------------

# boot OUT TENDER-FLAGS... -- IMAGE-FLAGS...: redis.spt as the chapter
# boots it, in the background (bounded to 300 s), its console to OUT;
# waits (20 s) for redis's "Ready to accept connections" (false if the
# image ended first or never said it).
boot() {
  local out=$1 tf=()
  shift
  while [ $# -gt 0 ] && [ "$1" != -- ]; do
    tf+=("$1")
    shift
  done
  shift
  : >"$out"
  ip netns exec "$E2E_NS" timeout --foreground 300 solo5-spt "${tf[@]}" \
    --net:service="$E2E_TAP" --block:rootfs="$D/redis-root.tar" \
    "$D/redis.spt" --ipv4="$Z/$E2E_PREFIX" "$@" \
    -- /etc/redis/redis.conf >"$out" 2>&1 &
  E2E_ECHO_PID=$!
  local _
  for _ in $(seq 1 200); do
    grep -q "Ready to accept connections" "$out" && return 0
    kill -0 "$E2E_ECHO_PID" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

boot "$T/small.out" --mem=16 --
wait_bg "$E2E_ECHO_PID" 20
rc=$?
E2E_ECHO_PID=""
check "--mem=16 alone: redis cannot start its threads, the image exits 1 (got $rc)" \
  eval '[ "$rc" -eq 1 ] && grep -q "^znet-rt: out of memory: mmap of 4206592 bytes failed" "$T/small.out" &&
    grep -q "Fatal: Can.t initialize Background Jobs" "$T/small.out"'
[ "$rc" -eq 1 ] || grep -v '^Solo5: \|^ *[|_.`(-]' "$T/small.out" | tail -10 | diag
if boot "$T/small64.out" --mem=16 -- --thread-stack=64K; then
  got=$(rcli "$Z" PING)
  check "--mem=16 --thread-stack=64K: redis serves (PING: '$got')" [ "$got" = PONG ]
else
  not_ok "--mem=16 --thread-stack=64K: redis starts"
  grep -v '^Solo5: ' "$T/small64.out" | tail -10 | diag
fi
spt_stop

# ---- 5. the image -----------------------------------------------------------------

out=$T/redis.out
if ! boot "$out" --mem=128 -- --thread-stack=64K; then
  not_ok "redis.spt boots and redis says it is ready"
  grep -v '^Solo5: ' "$out" | tail -15 | diag
  spt_stop
  finish
  exit 1
fi
ok "redis.spt boots: $(grep -m1 '^znet-rt: .* mac ' "$out")"

got=$(rcli "$Z" SET greeting hello)
got=$got,$(rcli "$Z" GET greeting)
check "SET then GET (got '$got')" [ "$got" = OK,hello ]
got=$(rcli "$Z" INCR visits),$(rcli "$Z" INCR visits)
check "INCR twice: 1 then 2 (got $got)" [ "$got" = 1,2 ]

head -c 1048576 /dev/urandom >"$T/blob"
rcli "$Z" -x SET blob <"$T/blob" >"$T/blob.set"
got=$(rcli "$Z" STRLEN blob)
# redis-cli ends what it prints with a newline of its own.
rcli "$Z" GET blob | head -c -1 | cmp - "$T/blob" >"$T/blob.cmp" 2>&1
rc=$?
check "a 1 MiB value: SET, STRLEN $got, GET back byte for byte (cmp: $rc)" \
  eval '[ "$(cat "$T/blob.set")" = OK ] && [ "$got" = 1048576 ] && [ "$rc" -eq 0 ]'
[ "$rc" -eq 0 ] || diag <"$T/blob.cmp"

got=$(rcli "$Z" CONFIG GET maxmemory | paste -sd' ')
check "CONFIG GET maxmemory: 64 MiB, from redis.conf in the root archive (got '$got')" \
  [ "$got" = "maxmemory 67108864" ]
rcli "$Z" INFO server | tr -d '\r' >"$T/info"
check "INFO: $(grep -E '^(os|process_id|config_file):' "$T/info" | paste -sd' ')" \
  eval 'grep -qx "os:Linux 6.1.0-znet x86_64" "$T/info" && grep -qx "process_id:1" "$T/info" &&
    grep -qx "config_file:/etc/redis/redis.conf" "$T/info"'

got=$(rcli "$Z" BGSAVE 2>&1 | head -n1)
check "BGSAVE refused (got '$got'): the console says fork is not implemented" \
  eval '[ "$got" = ERR ] &&
    grep -q "Can.t save in background: fork: Function not implemented" "$out"'
got=$(rcli "$Z" SAVE)
check "SAVE writes the snapshot to /tmp, in memory (got '$got')" \
  eval '[ "$got" = OK ] && grep -q "DB saved on disk" "$out"'

t0=$(now_s)
in_ns_t 120 redis-benchmark -h "$Z" -q -n 10000 -t set,get >"$T/bench" 2>&1
rc=$?
tr '\r' '\n' <"$T/bench" | grep -o '^[A-Z]*: [0-9.]* requests per second' >"$T/rates"
check "redis-benchmark -n 10000 -t set,get: exit $rc, $(paste -sd, "$T/rates") ($(elapsed "$t0") s)" \
  eval '[ "$rc" -eq 0 ] && [ "$(grep -c "^SET: \|^GET: " "$T/rates")" = 2 ]'
got=$(rcli "$Z" GET greeting)
check "after the benchmark, greeting is still there (got '$got')" [ "$got" = hello ]

rcli "$Z" SHUTDOWN NOSAVE >/dev/null 2>&1
wait_bg "$E2E_ECHO_PID" 10
rc=$?
E2E_ECHO_PID=""
check "SHUTDOWN NOSAVE: the image exits 0, and so does solo5-spt (got $rc)" \
  eval '[ "$rc" -eq 0 ] && grep -q "solo5_exit(0)" "$out"'
n=$(grep -c 'is not answered here' "$out")
check "redis made no system call the runtime does not answer ($n named)" [ "$n" -eq 0 ]
grep 'is not answered here' "$out" | head -5 | diag
spt_fatal_case redis.spt "$out"
finish
