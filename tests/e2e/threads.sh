#!/bin/bash
# A stack per thread: znet-run --thread-shards on a multi-queue TAP in a
# private network namespace.
#
#   threads.sh /path/to/znet-run /path/to/thread_server
#
# thread_server (tests/e2e/thread_server.c) opens a SO_REUSEPORT
# listener and an epoll in each of its threads, as envoy-style servers
# do.  Under --thread-shards each thread gets a shard (its own stack on
# its own queue): 40 connections are answered by both threads, wrk runs
# without a socket error, and at exit --stats shows two shards that each
# established connections (their sum the group's).  Without the flag the
# threads share one stack and both still answer.  wrk as a client, its
# two threads on two shards, against thread_server on Linux.  More
# threads than slots (--shards 2, 4 threads): one line, threads share
# the shards, all four answer.  memcached -t 4 and haproxy with
# nbthread 2 (their main thread opens the listeners: one stack in
# effect) serve.  A thread's epoll given another thread's
# socket: EPERM and one line on stderr (a poll over both: EINVAL); each
# socket still works in its own thread; a port another thread holds
# without SO_REUSEPORT is refused (EADDRINUSE); an empty epoll the main thread
# made moves to the stack of the first socket a thread adds (as wrk's
# event loops).  A single-queue TAP: one line,
# one stack, both threads answer.  Needs root, /dev/net/tun, curl, wrk,
# nc; the memcached and haproxy parts skip without them.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

RUN=${1:-}
SRV=${2:-}
[ -n "$RUN" ] && [ -x "$RUN" ] && [ -n "$SRV" ] && [ -x "$SRV" ] ||
  { echo "usage: $0 /path/to/znet-run /path/to/thread_server" >&2; exit 2; }
RUN=$(cd "$(dirname "$RUN")" && pwd)/$(basename "$RUN")
SRV=$(cd "$(dirname "$SRV")" && pwd)/$(basename "$SRV")
E2E_RUN=$RUN

need_netns
need_cmd curl wrk timeout nc
trap e2e_cleanup EXIT
e2e_tmpdir
T=$E2E_TMP
Z=$E2E_ZNET_IP
K=$E2E_KERNEL_IP

if ! setup_netns_multi_queue; then
  not_ok "create network namespace with a multi-queue $E2E_TAP"
  finish
  exit 1
fi

# answers N URL: N answers of curl (a new connection each), a line each
# ("" for a failure; curl says why on stderr).  -m 20: a SYN the client
# must send again (1 s, then 3 s and 7 s later) and a slow answer on a
# loaded machine need more than 5 s; curl ends at the answer.
answers() {
  local _
  for _ in $(seq 1 "$1"); do
    in_ns_t 30 curl -sS -m 20 "$2" || true
  done
}

# tally FILE: n, the answers in FILE that name a thread, and t, how many
# threads they name.
tally() {
  n=$(grep -c '^thread [0-9]*$' "$1")
  t=$(sort -u "$1" | grep -c '^thread [0-9]*$')
}

# wait_text FILE TEXT: until FILE has TEXT (30 s at most: a sanitized
# znet-run's start on a loaded machine).
wait_text() {
  local _
  for _ in $(seq 1 300); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# shard_est FILE: "SHARD ESTABLISHED" for each shard's counters in FILE.
shard_est() {
  awk '/^znet-run: pid [0-9]+, shard [0-9]+: counters/ {
         s = $5; sub(":", "", s); on = 1; est[s] += 0; next }
       /^[^ ]/ { on = 0 }
       on && $1 == "tcp_established" { est[s] += $2 }
       END { for (s in est) print s, est[s] }' "$1" | sort -n
}

# sum_est FILE: the group's sum of tcp_established.
sum_est() {
  awk 'index($0, "znet-run: every shard together") == 1 { on = 1; next }
       /^[^ ]/ { on = 0 }
       on && $1 == "tcp_established" { n += $2 } END { print n + 0 }' "$1"
}

# stop_server: SIGTERM to the program zrun_bg started, and its exit.
stop_server() {
  kill -TERM "$E2E_ECHO_PID" 2>/dev/null
  wait_bg "$E2E_ECHO_PID" 10 >/dev/null 2>&1 || kill_tree KILL "$E2E_ECHO_PID"
  E2E_ECHO_PID=""
}

# ---- 1. a shard per thread ----
ZRUN_FLAGS="--thread-shards --stats"
zrun_bg "$T/a.out" "$T/a.err" 120 "$SRV" 8080 2
if wait_text "$T/a.out" "^listening: 2 threads" && wait_znet_port 8080; then
  answers 40 "http://$Z:8080/" >"$T/a.ans"
  tally "$T/a.ans"
  check "--thread-shards: 40 answers ($n), from both threads ($t)" \
    eval '[ "$n" = 40 ] && [ "$t" = 2 ]'
  in_ns_t 60 wrk -t 2 -c 16 -d 3 --timeout "$E2E_WRK_TIMEOUT" "http://$Z:8080/" >"$T/a.wrk" 2>&1
  reqs=$(awk '/requests in/ { print $1 }' "$T/a.wrk")
  check "wrk -c 16 against the two shards: no socket error, ${reqs:-0} requests" \
    eval '! grep -q "Socket errors\|Non-2xx" "$T/a.wrk" && [ "${reqs:-0}" -gt 100 ]'
  stop_server
  sed 's/^/# /' "$T/a.out"
  acc=$(awk '/^thread [01]: accepted/ && $4 > 0 && $6 > 0' "$T/a.out" | wc -l)
  check "each thread accepted and answered ($acc of 2)" [ "$acc" = 2 ]
  shard_est "$T/a.err" >"$T/a.est"
  sed 's/^/# shard, connections: /' "$T/a.est"
  busy=$(awk '$2 > 0' "$T/a.est" | wc -l)
  each=$(awk '{ n += $2 } END { print n + 0 }' "$T/a.est")
  all=$(sum_est "$T/a.err")
  check "--stats: two shards established connections ($busy), their sum the group's ($each = $all)" \
    eval '[ "$busy" = 2 ] && [ "$each" = "$all" ] && [ "$all" -ge 56 ]'
else
  not_ok "--thread-shards: thread_server listens"
  sed 's/^/# /' "$T/a.err" | head -20
  stop_server
fi

# ---- 2. without the flag: one stack for the process's threads ----
ZRUN_FLAGS="--stats"
zrun_bg "$T/b.out" "$T/b.err" 60 "$SRV" 8080 2
if wait_text "$T/b.out" "^listening: 2 threads" && wait_znet_port 8080; then
  answers 40 "http://$Z:8080/" >"$T/b.ans"
  tally "$T/b.ans"
  stop_server
  shards=$(shard_est "$T/b.err" | wc -l)
  check "without --thread-shards: 40 answers ($n), both threads ($t), one shard ($shards)" \
    eval '[ "$n" = 40 ] && [ "$t" = 2 ] && [ "$shards" = 1 ]'
else
  not_ok "without --thread-shards: thread_server listens"
  stop_server
fi

# ---- 3. a client: wrk's two threads on two shards ----
ip netns exec "$E2E_NS" timeout 60 "$SRV" 8081 2 >"$T/k.out" 2>&1 &
kpid=$!
bg_pid "$kpid"
if wait_listen 8081; then
  ZRUN_FLAGS="--thread-shards --stats"
  zrun_bg "$T/c.out" "$T/c.err" 60 wrk -t 2 -c 8 -d 3 --timeout "$E2E_WRK_TIMEOUT" "http://$K:8081/"
  wait_bg "$E2E_ECHO_PID" 30 >/dev/null 2>&1
  E2E_ECHO_PID=""
  reqs=$(awk '/requests in/ { print $1 }' "$T/c.out")
  shard_est "$T/c.err" >"$T/c.est"
  sed 's/^/# shard, connections: /' "$T/c.est"
  # (wrk's main thread tries a connection first: shard 0's.)
  busy=$(awk '$2 >= 4' "$T/c.est" | wc -l)
  check "wrk -t 2 -c 8 under --thread-shards: ${reqs:-0} requests, no socket error, two shards of 4 connections ($busy)" \
    eval '[ "${reqs:-0}" -gt 100 ] && ! grep -q "Socket errors\|Non-2xx" "$T/c.out" && [ "$busy" = 2 ]' ||
    sed 's/^/# /' "$T/c.out" "$T/c.err" | grep -v "^#   " | head -20
else
  not_ok "thread_server on Linux listens on 8081"
fi
kill -TERM "$kpid" 2>/dev/null
wait "$kpid" 2>/dev/null
acc=$(awk '/^thread [01]: accepted/ && $4 > 0' "$T/k.out" | wc -l)
check "Linux's thread_server answered wrk ($acc threads accepted)" \
  [ "$acc" -ge 1 ]

# ---- 4. more threads than slots ----
ZRUN_FLAGS="--thread-shards --shards 2"
zrun_bg "$T/d.out" "$T/d.err" 60 "$SRV" 8080 4
if wait_text "$T/d.out" "^listening: 4 threads" && wait_znet_port 8080; then
  answers 60 "http://$Z:8080/" >"$T/d.ans"
  tally "$T/d.ans"
  stop_server
  check "4 threads, --shards 2: 60 answers ($n), from every thread ($t)" \
    eval '[ "$n" = 60 ] && [ "$t" = 4 ]'
  check "4 threads, --shards 2: one line says threads share the shards" \
    grep -q "^znet-run: pid [0-9]*: --thread-shards: no shard left for another thread: threads share the 2 there are" "$T/d.err"
else
  not_ok "4 threads, --shards 2: thread_server listens"
  sed 's/^/# /' "$T/d.err" | head
  stop_server
fi

# ---- 5. a thread's sets given another thread's socket ----
ZRUN_FLAGS="--thread-shards"
zrun_bg "$T/e.out" "$T/e.err" 30 "$SRV" 8082 cross
wait_bg "$E2E_ECHO_PID" 20 >/dev/null 2>&1
rc=$?
E2E_ECHO_PID=""
sed 's/^/# /' "$T/e.out"
check "an empty epoll the main thread made takes a thread's socket (it moves to its stack)" \
  eval 'grep -q "^epoll_ctl main.s instance, mine: 0 ok" "$T/e.out" &&
        grep -q "^epoll_wait main.s instance: 0 ok" "$T/e.out"'
check "another thread's socket in a thread's epoll: EPERM; the thread's own: added" \
  eval 'grep -q "^epoll_ctl other: -1 Operation not permitted" "$T/e.out" &&
        grep -q "^epoll_ctl mine: 0 ok" "$T/e.out"'
check "a poll over two threads' sockets: EINVAL; over its own: polled" \
  eval 'grep -q "^poll both: -1 Invalid argument" "$T/e.out" &&
        grep -q "^poll mine: 0 ok" "$T/e.out"'
check "the other socket still polls in its own thread (exit $rc)" \
  eval 'grep -q "^poll other in its thread: 1 ok" "$T/e.out" && [ "$rc" = 0 ]'
check "a port another thread's listener holds (no SO_REUSEPORT): EADDRINUSE, as in one stack" \
  grep -q "^bind the main thread's port: -1 Address already in use" "$T/e.out"
lines=$(grep -c "belongs to another thread's stack (--thread-shards)" "$T/e.err")
check "one line on stderr says why ($lines)" [ "$lines" = 1 ]
grep -m1 "another thread's stack" "$T/e.err" | sed 's/^/# /'

# ---- 6. Debian's multi-threaded servers whose main thread opens the
# listeners: they run as on one stack ----
MEMCACHED=$(command -v memcached || true)
if [ -n "$MEMCACHED" ]; then
  ZRUN_FLAGS="--thread-shards"
  zrun_bg "$T/m.out" "$T/m.err" 60 "$MEMCACHED" -u root -t 4 -p 11211 -U 0 \
    -l 0.0.0.0
  if wait_znet_port 11211; then
    # nc waits for memcached's close (its answer to quit), not a fixed
    # second after its stdin's end (-q 1), which a loaded machine can
    # overrun.
    for i in $(seq 1 20); do
      printf 'set k%d 0 0 6\r\nvalue%d\r\nget k%d\r\nquit\r\n' "$i" $((i % 10)) "$i" |
        in_ns_t 20 nc "$Z" 11211
    done | tr -d '\r' >"$T/m.ans"
    n=$(grep -c '^value[0-9]$' "$T/m.ans")
    check "memcached -t 4 under --thread-shards: 20 sets and gets ($n)" [ "$n" = 20 ]
  else
    not_ok "memcached -t 4 under --thread-shards listens"
    sed 's/^/# /' "$T/m.err" | head
  fi
  stop_server
else
  ok "memcached under --thread-shards # SKIP not installed"
fi

HAPROXY=$(command -v haproxy || true)
if [ -n "$HAPROXY" ]; then
  ip netns exec "$E2E_NS" timeout 60 "$SRV" 8083 2 >"$T/hk.out" 2>&1 &
  bg_pid $!
  cat >"$T/h.cfg" <<EOF
global
  nbthread 2
defaults
  mode http
  timeout connect 5s
  timeout client 10s
  timeout server 10s
frontend f
  bind :8080 thread 1
  bind :8080 thread 2
  default_backend b
backend b
  server linux $K:8083
EOF
  ZRUN_FLAGS="--thread-shards"
  zrun_bg "$T/h.out" "$T/h.err" 60 "$HAPROXY" -db -f "$T/h.cfg"
  if wait_listen 8083 && wait_znet_port 8080; then
    answers 20 "http://$Z:8080/" >"$T/h.ans"
    tally "$T/h.ans"
    in_ns_t 60 wrk -t 2 -c 16 -d 2 --timeout "$E2E_WRK_TIMEOUT" "http://$Z:8080/" >"$T/h.wrk" 2>&1
    reqs=$(awk '/requests in/ { print $1 }' "$T/h.wrk")
    check "haproxy nbthread 2 under --thread-shards, to Linux: 20 answers ($n), wrk ${reqs:-0} requests, no socket error" \
      eval '[ "$n" = 20 ] && [ "${reqs:-0}" -gt 100 ] && ! grep -q "Socket errors\|Non-2xx" "$T/h.wrk"'
  else
    not_ok "haproxy nbthread 2 under --thread-shards listens"
    sed 's/^/# /' "$T/h.err" | head
  fi
  stop_server
else
  ok "haproxy under --thread-shards # SKIP not installed"
fi

# ---- 7. a single-queue TAP: one stack, said ----
zn_in "$E2E_NS" ip link del "$E2E_TAP"
zn_in "$E2E_NS" ip tuntap add dev "$E2E_TAP" mode tap
zn_in "$E2E_NS" ip addr add "$K/$E2E_PREFIX" dev "$E2E_TAP"
zn_in "$E2E_NS" ip link set "$E2E_TAP" up
ZRUN_FLAGS="--thread-shards"
zrun_bg "$T/f.out" "$T/f.err" 60 "$SRV" 8080 2
if wait_text "$T/f.out" "^listening: 2 threads" && wait_znet_port 8080; then
  answers 20 "http://$Z:8080/" >"$T/f.ans"
  tally "$T/f.ans"
  check "a single-queue TAP: one line says one stack; 20 answers ($n), both threads ($t)" \
    eval 'grep -q "^znet-run: --thread-shards: the TAP has one queue" "$T/f.err" &&
          [ "$n" = 20 ] && [ "$t" = 2 ]'
else
  not_ok "a single-queue TAP: thread_server listens"
  sed 's/^/# /' "$T/f.err" | head
fi
stop_server
finish
