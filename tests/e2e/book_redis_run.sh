#!/bin/bash
# The book's chapter 7: Debian's own redis-server, unchanged, on znet's
# sockets under znet-run, with the configuration file of chapter 6
# (examples/book/redis.conf), on a TAP in a private network namespace,
# driven by Debian's redis-cli and redis-benchmark.
#
#   book_redis_run.sh /path/to/znet-run /path/to/redis.conf
#
# Checks: Debian's redis-server is dynamically linked (what a preload
# needs); under znet-run it answers on znet's address while the kernel
# lists no listening socket of it; SET/GET, INCR, a 1 MiB value back byte
# for byte, CONFIG GET maxmemory as redis.conf sets it; BGSAVE forks and
# the child writes the snapshot (the image of chapter 6 cannot);
# redis-benchmark (10,000 SET and GET; the rates are printed, not
# checked); SHUTDOWN: exit 0, the stack's counters printed (--stats) with
# no drop.  (tests/e2e/posix_servers.sh drives the same server harder.)
# Needs root, /dev/net/tun, redis-server and redis-tools; otherwise
# skips.  Output is TAP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

RUN=${1:-}
CONF=${2:-}
[ -n "$RUN" ] && [ -x "$RUN" ] && [ -f "$CONF" ] ||
  { echo "usage: $0 /path/to/znet-run /path/to/redis.conf" >&2; exit 2; }
RUN=$(cd "$(dirname "$RUN")" && pwd)/$(basename "$RUN")

need_netns
need_cmd redis-server redis-cli redis-benchmark readelf ss cmp timeout
trap e2e_cleanup EXIT
e2e_tmpdir
T=$E2E_TMP
Z=$E2E_ZNET_IP

if ! setup_netns; then
  not_ok "create network namespace with $E2E_TAP"
  finish
  exit 1
fi

rcli() { in_ns_t 20 redis-cli -h "$Z" "$@"; }

SERVER=$(command -v redis-server)
check "Debian's $SERVER is dynamically linked: $(readelf -l "$SERVER" | grep -o 'interpreter: [^]]*')" \
  eval 'readelf -l "$SERVER" | grep -q "program interpreter"'

# As the chapter runs it, but the snapshot in the test's directory.
out=$T/redis.out
err=$T/redis.err
ip netns exec "$E2E_NS" timeout --foreground 240 "$RUN" --netif "tap:$E2E_TAP" \
  --ipv4 "$Z/$E2E_PREFIX" --stats -- redis-server "$CONF" --dir "$T" \
  >"$out" 2>"$err" &
E2E_ECHO_PID=$!
if ! wait_line "$out" "Ready to accept connections" 60; then
  not_ok "redis-server under znet-run says it is ready"
  tail -10 "$out" | diag
  diag <"$err"
  finish
  exit 1
fi
ok "redis-server under znet-run says it is ready"

got=$(rcli PING)
check "it answers on znet's $Z (PING: '$got'); the kernel lists no listener on 6379" \
  eval '[ "$got" = PONG ] && ! in_ns ss -Hltn "sport = :6379" | grep -q .'

got=$(rcli SET greeting hello)
got=$got,$(rcli GET greeting)
check "SET then GET (got '$got')" [ "$got" = OK,hello ]
got=$(rcli INCR visits),$(rcli INCR visits)
check "INCR twice: 1 then 2 (got $got)" [ "$got" = 1,2 ]

head -c 1048576 /dev/urandom >"$T/blob"
rcli -x SET blob <"$T/blob" >"$T/blob.set"
got=$(rcli STRLEN blob)
# redis-cli ends what it prints with a newline of its own.
rcli GET blob | head -c -1 | cmp - "$T/blob" >"$T/blob.cmp" 2>&1
rc=$?
check "a 1 MiB value: SET, STRLEN $got, GET back byte for byte (cmp: $rc)" \
  eval '[ "$(cat "$T/blob.set")" = OK ] && [ "$got" = 1048576 ] && [ "$rc" -eq 0 ]'
[ "$rc" -eq 0 ] || diag <"$T/blob.cmp"

got=$(rcli CONFIG GET maxmemory | paste -sd' ')
check "CONFIG GET maxmemory: 64 MiB, from redis.conf (got '$got')" \
  [ "$got" = "maxmemory 67108864" ]

# BGSAVE forks: the child writes the file while the parent serves.
got=$(rcli BGSAVE)
end=$((SECONDS + 60)) # the fork and its write: seconds on a loaded machine
while [ "$SECONDS" -lt "$end" ]; do
  rcli INFO persistence | tr -d '\r' | grep -qx 'rdb_bgsave_in_progress:0' &&
    [ -s "$T/dump.rdb" ] && break
  sleep 0.1
done
st=$(rcli INFO persistence | tr -d '\r' | grep '^rdb_last_bgsave_status:')
check "BGSAVE ('$got'): a forked child wrote dump.rdb ($st)" \
  eval '[ "$got" = "Background saving started" ] && [ -s "$T/dump.rdb" ] &&
    [ "$st" = rdb_last_bgsave_status:ok ]'

t0=$(now_s)
in_ns_t 120 redis-benchmark -h "$Z" -q -n 10000 -t set,get >"$T/bench" 2>&1
rc=$?
tr '\r' '\n' <"$T/bench" | grep -o '^[A-Z]*: [0-9.]* requests per second' >"$T/rates"
check "redis-benchmark -n 10000 -t set,get: exit $rc, $(paste -sd, "$T/rates") ($(elapsed "$t0") s)" \
  eval '[ "$rc" -eq 0 ] && [ "$(grep -c "^SET: \|^GET: " "$T/rates")" = 2 ]'

rcli SHUTDOWN NOSAVE >/dev/null 2>&1
wait_bg "$E2E_ECHO_PID" 15
rc=$?
E2E_ECHO_PID=""
check "SHUTDOWN NOSAVE: exit 0 (got $rc), the stack's counters printed, no drop" \
  eval '[ "$rc" -eq 0 ] && grep -q "(drops total) *0$" "$err"'
[ "$rc" -eq 0 ] || diag <"$err"
no_leak_case "znet-run" "$err"
finish
