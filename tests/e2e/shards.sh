#!/bin/bash
# A stack per worker: Debian's nginx with its master process and
# worker_processes 2 under znet-run --shards 8, on a multi-queue TAP in a
# private network namespace, driven by curl and wrk from Linux.
#
#   shards.sh /path/to/znet-run
#
# Each worker, forked by the master after it bound port 8080, gets a
# stack of its own on its own queue (posix/preload/group.c) when it first
# uses its sockets; the TAP's steering program spreads new connections
# over the workers and keeps each with its worker.  Checked: every answer
# byte for byte (40 small, a 1 MiB file by SHA-256), both workers
# answering (nginx's $pid in its access log), wrk without a socket error;
# a worker killed by SIGKILL is respawned by the master and all answers
# stay right; a reload (SIGHUP) keeps serving; on a TAP made without
# multi-queue, --shards says why it cannot and nginx's workers fail as
# before.  Needs root, /dev/net/tun, nginx, curl, wrk; otherwise skips.
#
# ZN_PLAIN_RUN, when set, names the znet-run to use instead: scripts/test
# sets it to a build without sanitizers.  GCC 12's ASan does not hold its
# allocator's locks across fork(), so a worker forked while znet-run's
# driver thread was inside malloc waits forever in its first malloc (seen
# with gdb: nginx's worker in initgroups; beside two busy loops 2 runs of
# 5 had a worker that never served).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

RUN=${ZN_PLAIN_RUN:-${1:-}}
[ -n "$RUN" ] && [ -x "$RUN" ] ||
  { echo "usage: $0 /path/to/znet-run" >&2; exit 2; }
RUN=$(cd "$(dirname "$RUN")" && pwd)/$(basename "$RUN")
E2E_RUN=$RUN

need_netns
need_cmd curl wrk timeout sha256sum
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || skip_all "needs nginx"
trap e2e_cleanup EXIT
e2e_tmpdir
T=$E2E_TMP
Z=$E2E_ZNET_IP

# The namespace with a multi-queue TAP (lib.sh's is single-queue).
E2E_NS="zne2e$$s$RANDOM"
if ! zn_netns_add "$E2E_NS" ||
  ! zn_in "$E2E_NS" ip tuntap add dev "$E2E_TAP" mode tap multi_queue ||
  ! zn_in "$E2E_NS" ip addr add "$E2E_KERNEL_IP/$E2E_PREFIX" dev "$E2E_TAP" ||
  ! zn_in "$E2E_NS" ip link set "$E2E_TAP" up; then
  not_ok "create network namespace with a multi-queue $E2E_TAP"
  finish
  exit 1
fi

mkdir -p "$T/www" "$T/logs"
chmod a+rx "$T" "$T/www" # nginx's workers run as nobody
echo "hello from a shard" >"$T/www/index.html"
head -c 1048576 /dev/urandom >"$T/www/big.bin"
want_big=$(sha256sum <"$T/www/big.bin" | cut -d' ' -f1)
cat >"$T/nginx.conf" <<EOF
worker_processes 2;
daemon off;
master_process on;
error_log $T/logs/error.log notice;
pid $T/nginx.pid;
events { worker_connections 512; }
http {
  log_format pids '\$pid';
  access_log $T/logs/access.log pids;
  client_body_temp_path $T/cb; proxy_temp_path $T/px;
  fastcgi_temp_path $T/fc; uwsgi_temp_path $T/uw; scgi_temp_path $T/sc;
  server { listen 8080; root $T/www; }
}
EOF

# 8 slots: the master, 2 workers, a respawned one and a reload's two
# while the old ones finish.
ZRUN_FLAGS="--shards 8 --tcp-conns 1024"
zrun_bg "$T/nginx.out" "$T/nginx.err" 240 "$NGINX" -c "$T/nginx.conf" -p "$T"
MASTER=$E2E_ECHO_PID

# n small answers, each byte for byte: how many were right.
small_ok() {
  local i ok=0
  for i in $(seq 1 "$1"); do
    [ "$(in_ns_t 10 curl -s -m 5 "http://$Z:8080/")" = "hello from a shard" ] &&
      ok=$((ok + 1))
  done
  echo "$ok"
}

worker_pids() { pgrep -P "$(pgrep -f "nginx: master" | head -1)" 2>/dev/null | sort; }

# Until a worker uses the listener, SYNs to 8080 go to the master's
# stack, whose listener is held (its SYNs unanswered, sent again by the
# client): none waits there for an accept() that never comes.
if wait_znet_port 8080; then
  check "nginx, master and 2 workers under --shards 8: 40 answers byte for byte" \
    [ "$(small_ok 40)" = 40 ]
  got=$(in_ns_t 20 curl -s -m 15 "http://$Z:8080/big.bin" | sha256sum | cut -d' ' -f1)
  check "a 1 MiB file by SHA-256" [ "$got" = "$want_big" ]
  in_ns_t 20 wrk -t2 -c32 -d3s "http://$Z:8080/" >"$T/wrk.txt" 2>&1
  rate=$(sed -n 's/^Requests\/sec: *//p' "$T/wrk.txt")
  diag "wrk -c32 3 s: ${rate:-?} requests/s"
  check "wrk: no socket error, no non-2xx answer" \
    eval "grep -q 'Requests/sec' '$T/wrk.txt' && ! grep -q 'Socket errors\|Non-2xx' '$T/wrk.txt'"
  n=$(sort -u "$T/logs/access.log" | wc -l)
  check "both workers answered (distinct pids in the access log: $n)" [ "$n" -ge 2 ]

  # A worker killed: the master respawns it; answers stay right.
  victim=$(worker_pids | head -1)
  if [ -n "$victim" ]; then
    kill -KILL "$victim"
    sleep 1
    check "a worker killed by SIGKILL: respawned ($(worker_pids | wc -l) workers)" \
      [ "$(worker_pids | wc -l)" = 2 ]
    : >"$T/logs/access.log"
    check "after the kill: 40 answers byte for byte" [ "$(small_ok 40)" = 40 ]
  else
    not_ok "no nginx worker found to kill"
  fi

  # A reload: new workers, serving.
  kill -HUP "$(pgrep -f "nginx: master" | head -1)"
  sleep 2
  check "after a reload (SIGHUP): 40 answers byte for byte" [ "$(small_ok 40)" = 40 ]
  grep '\[alert\]\|\[emerg\]' "$T/logs/error.log" | grep -v 'exited on signal 9' >"$T/alerts"
  check "nginx logged no alert but the kill's" [ ! -s "$T/alerts" ]
  head -5 "$T/alerts" | sed 's/^/# /'
  sed 's/^/# znet-run: /' "$T/nginx.err" | head -5
else
  not_ok "nginx under znet-run --shards answers on 8080"
  sed 's/^/# /' "$T/nginx.err" | head -20
fi
stop_znet 10
[ -n "$MASTER" ] && kill_tree KILL "$MASTER" 2>/dev/null

# A TAP without multi-queue: --shards says why, one stack.
zn_in "$E2E_NS" ip link del "$E2E_TAP"
zn_in "$E2E_NS" ip tuntap add dev "$E2E_TAP" mode tap
zn_in "$E2E_NS" ip addr add "$E2E_KERNEL_IP/$E2E_PREFIX" dev "$E2E_TAP"
zn_in "$E2E_NS" ip link set "$E2E_TAP" up
zrun_bg "$T/one.out" "$T/one.err" 30 "$NGINX" -c "$T/nginx.conf" -p "$T"
wait_znet_port 8080 >/dev/null 2>&1
sleep 1
check "a single-queue TAP: --shards says so on stderr" \
  grep -q "shards: the TAP has one queue" "$T/one.err"
stop_znet 10
finish
