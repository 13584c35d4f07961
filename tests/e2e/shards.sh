#!/bin/bash
# A stack per worker: Debian's nginx with its master process and
# worker_processes 2 under znet-run (no flag: the TAP takes multi-queue,
# so a group of shards), on a multi-queue TAP in a private network
# namespace, driven by curl and wrk from Linux; then nginx as Debian
# configures it (its nginx.conf: worker_processes auto, user www-data,
# and daemonizing).
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
# stay right; a worker killed mid-download resets that client only; a
# reload (SIGHUP) keeps serving; Debian's configuration serves, a worker
# per CPU, and every process (the caretaker of the first one's stack
# too) is gone after a graceful quit; on a TAP made without multi-queue,
# --shards says why it cannot, and without it each worker says why its
# inherited listener fails (EBADF, as before).  Needs root, /dev/net/tun,
# nginx, curl, wrk; otherwise skips.
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

# The namespace with a multi-queue TAP (setup_netns's is single-queue).
if ! setup_netns_multi_queue; then
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
  server { listen 8080; root $T/www; add_header X-Pid \$pid; }
}
EOF

# No --shards: the TAP takes multi-queue, so a group of 2 x CPUs + 2 (at
# least 8) slots: the master, 2 workers, a respawned one and a reload's
# two while the old ones finish.
ZRUN_FLAGS="--tcp-conns 1024"
zrun_bg "$T/nginx.out" "$T/nginx.err" 240 "$NGINX" -c "$T/nginx.conf" -p "$T"
MASTER=$E2E_ECHO_PID

# n small answers, each byte for byte: how many were right (curl says
# why one failed on stderr).  -m 20, not 5: a SYN sent again (1 s, then
# 3 s and 7 s later; see below) and a slow answer on a loaded machine.
small_ok() {
  local _ ok=0
  for _ in $(seq 1 "$1"); do
    [ "$(in_ns_t 30 curl -sS -m 20 "http://$Z:8080/")" = "hello from a shard" ] &&
      ok=$((ok + 1))
  done
  echo "$ok"
}

# This nginx's master (its pid file; not any nginx on the machine) and
# its workers.
master_pid() { cat "$T/nginx.pid" 2>/dev/null; }
worker_pids() { pgrep -P "$(master_pid)" 2>/dev/null | sort; }

# Until a worker uses the listener, SYNs to 8080 go to the master's
# stack, whose listener is held (its SYNs unanswered, sent again by the
# client): none waits there for an accept() that never comes.
if wait_znet_port 8080; then
  check "nginx, master and 2 workers, a group (the TAP takes multi-queue): 40 answers byte for byte" \
    [ "$(small_ok 40)" = 40 ]
  got=$(in_ns_t 20 curl -s -m 15 "http://$Z:8080/big.bin" | sha256sum | cut -d' ' -f1)
  check "a 1 MiB file by SHA-256" [ "$got" = "$want_big" ]
  in_ns_t 20 wrk -t2 -c32 -d3s --timeout "$E2E_WRK_TIMEOUT" "http://$Z:8080/" >"$T/wrk.txt" 2>&1
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
    end=$((SECONDS + 30)) # the master respawns it at once; 30 s for a loaded machine
    while [ "$SECONDS" -lt "$end" ]; do
      [ "$(worker_pids | wc -l)" = 2 ] && ! worker_pids | grep -qx "$victim" && break
      sleep 0.1
    done
    check "a worker killed by SIGKILL: respawned ($(worker_pids | wc -l) workers)" \
      [ "$(worker_pids | wc -l)" = 2 ]
    : >"$T/logs/access.log"
    check "after the kill: 40 answers byte for byte" [ "$(small_ok 40)" = 40 ]
  else
    not_ok "no nginx worker found to kill"
  fi

  # A worker killed in the middle of a download: that client sees a
  # reset (its flow is forgotten, its next segment reaches another
  # worker, which has no such connection); the others go on.
  # (16 MiB at 128 KiB/s: two minutes, more than any buffer on the way
  # holds, so the worker still has most of it to send when it dies.)
  head -c 16777216 /dev/zero >"$T/www/huge.bin"
  # The client's receive buffer small (this namespace's, for this case):
  # it then sends a window update every few hundred ms as curl reads,
  # and the first after the kill is the segment that draws the reset.
  # With Linux's default (up to 6 MiB) and znet-run's 4,096 buffers the
  # worker could fill it before dying, and curl took longer to drain it
  # at 128 KiB/s, silent meanwhile, than the case waits.
  rmem=$(in_ns sysctl -n net.ipv4.tcp_rmem)
  in_ns sysctl -qw net.ipv4.tcp_rmem="4096 65536 131072"
  t_start=$(now_s)
  in_ns_t 60 curl -s --limit-rate 128k -D "$T/slow.h" -o "$T/slow.out" \
    -w '%{size_download} bytes in %{time_total} s\n' \
    "http://$Z:8080/huge.bin" >"$T/slow.w" 2>"$T/slow.err" &
  slow=$!
  end=$((SECONDS + 30))
  while [ "$SECONDS" -lt "$end" ]; do
    grep -qi '^x-pid:' "$T/slow.h" 2>/dev/null && break
    sleep 0.1
  done
  victim=$(sed -n 's/^[Xx]-[Pp]id: *\([0-9]*\).*/\1/p' "$T/slow.h" | head -1)
  if [ -n "$victim" ] && kill -KILL "$victim"; then
    t0=$(now_s)
    wait "$slow"
    rc=$?
    check "a worker killed mid-download: its client sees a reset (curl exit 56: $rc, after $(elapsed "$t0") s; $(cat "$T/slow.w"), started $(elapsed "$t_start") s ago)" \
      [ "$rc" = 56 ]
    check "and the others still answer: 20 byte for byte" [ "$(small_ok 20)" = 20 ]
  else
    not_ok "a worker killed mid-download: no X-Pid in the answer's head"
    kill "$slow" 2>/dev/null
  fi
  in_ns sysctl -qw net.ipv4.tcp_rmem="$rmem"

  # A reload: new workers, serving.  Asked once the old workers are gone
  # and two new ones run (not after a fixed 2 s, which a loaded machine
  # may not give the reload; the old workers would have answered).
  old=$(worker_pids)
  kill -HUP "$(master_pid)"
  if workers_replaced "$old" 30 worker_pids; then
    ok "a reload (SIGHUP): two new workers, the old ones gone ($E2E_WORKERS)"
  else
    not_ok "a reload (SIGHUP): two new workers, the old ones gone ($E2E_WORKERS)"
  fi
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

# ---- nginx as Debian configures it: /etc/nginx/nginx.conf and its
# default site, only the paths of the pid file, the logs, the sites and
# the root moved into $T; its master daemonizes (nginx's default), so
# znet-run's process exits at once and a caretaker keeps its stack
# (ARP, the group's slot 0) until the last worker is gone. ----
D=$T/debian
mkdir -p "$D/sites" "$D/www"
chmod a+rx "$D" "$D/www"
echo "debian's default site" >"$D/www/index.html"
conf=/etc/nginx/nginx.conf
site=/etc/nginx/sites-available/default
if [ -r "$conf" ] && [ -r "$site" ] && grep -q '^worker_processes auto;' "$conf" &&
  grep -q '^user www-data;' "$conf"; then
  sed -e "s#^pid .*#pid $D/nginx.pid;#" -e "s#error_log .*;#error_log $D/error.log;#" \
    -e "s#access_log .*;#access_log $D/access.log;#" \
    -e "s#/etc/nginx/sites-enabled/\*#$D/sites/*#" "$conf" >"$D/nginx.conf"
  sed "s#root /var/www/html;#root $D/www;#" "$site" >"$D/sites/default"
  ip netns exec "$E2E_NS" timeout 30 "$RUN" --netif "tap:$E2E_TAP" \
    --ipv4 "$Z/$E2E_PREFIX" --mac "$E2E_MAC" --stats -- nginx -c "$D/nginx.conf" \
    >"$T/deb.out" 2>"$T/deb.err"
  rc=$?
  check "Debian's nginx.conf (worker_processes auto, user www-data, daemon): started, exit 0 (got $rc)" \
    [ "$rc" = 0 ]
  got=
  end=$((SECONDS + 30))
  while [ "$SECONDS" -lt "$end" ]; do
    got=$(in_ns_t 3 curl -s -m 2 "http://$Z/") && [ -n "$got" ] && break
    sleep 0.1
  done
  check "Debian's nginx answers on port 80 ('$got')" [ "$got" = "debian's default site" ]
  ok_n=0
  for _ in $(seq 1 40); do
    [ "$(in_ns_t 30 curl -sS -m 20 "http://$Z/")" = "debian's default site" ] && ok_n=$((ok_n + 1))
  done
  check "Debian's nginx: 40 answers byte for byte ($ok_n)" [ "$ok_n" = 40 ]
  # 600 connections at once (its workers take 768 each): znet-run's
  # own defaults hold them (a stack's 64 did not).
  in_ns_t 60 wrk -t 2 -c 600 -d 3 --timeout "$E2E_WRK_TIMEOUT" "http://$Z/" >"$T/deb.wrk" 2>&1
  reqs=$(awk '/requests in/ { print $1 }' "$T/deb.wrk")
  check "Debian's nginx: wrk -c 600, ${reqs:-0} requests, no socket error" \
    eval '[ "${reqs:-0}" -gt 1000 ] && ! grep -q "Socket errors\|Non-2xx" "$T/deb.wrk"'
  grep "Socket errors\|Non-2xx" "$T/deb.wrk" | diag
  if [ "$ok_n" != 40 ]; then
    grep -v '^  ' "$T/deb.err" | head -5 | diag
    grep -v '\[notice\]\|^  ' "$D/error.log" | head -8 | diag
    ps -eo pid,ppid,stat,cmd | grep "[n]ginx" | diag
  fi
  dmaster=$(cat "$D/nginx.pid" 2>/dev/null)
  nw=$(pgrep -P "${dmaster:-0}" 2>/dev/null | wc -l)
  check "Debian's nginx: a worker per CPU ($nw of $(nproc))" [ "$nw" = "$(nproc)" ]
  [ -n "$dmaster" ] && kill -QUIT "$dmaster"
  left=
  end=$((SECONDS + 30))
  while [ "$SECONDS" -lt "$end" ]; do
    left=$(pgrep -f "$D/nginx.conf")
    [ -z "$left" ] && break
    sleep 0.1
  done
  check "after nginx -s quit every process is gone, the caretaker too ($left)" [ -z "$left" ]
  [ -n "$left" ] && kill -KILL $left 2>/dev/null
  [ -z "$left" ] && tap_left_whole "a group's last process (the caretaker)" --multi-queue
  # --stats: each shard's counters (the workers' in nginx's error log,
  # their stderr), and the last one's sum of all.
  est() { awk -v h="$1" 'index($0, h) == 1 { on = 1; next } /^[^ ]/ { on = 0 }
    on && $1 == "tcp_established" { n += $2 } END { print n + 0 }' "${@:2}"; }
  each=$(est "znet-run: pid " "$T/deb.err" "$D/error.log")
  all=$(est "znet-run: every shard together" "$T/deb.err" "$D/error.log")
  shards=$(cat "$T/deb.err" "$D/error.log" | grep -c "^znet-run: pid [0-9]*, shard [0-9]*: counters")
  check "--stats: each shard's counters ($shards) and their sum: $all connections, $each by the shards' own" \
    eval '[ "$shards" -ge 3 ] && [ "$all" -ge 641 ] && [ "$all" = "$each" ]'
  # The address is announced once for the group: by slot 0's stack.
  ann() { awk -v want="$1" '/^znet-run: pid [0-9]*, shard [0-9]*: counters/ {
      s = $5; sub(/:$/, "", s); on = (want == "0") == (s == "0"); next }
    /^[^ ]/ { on = 0 }
    on && $1 == "arp_announce_tx" { n += $2 } END { print n + 0 }' \
    "$T/deb.err" "$D/error.log"; }
  a0=$(ann 0)
  an=$(ann other)
  check "ARP announcements: $a0 by slot 0, $an by the other shards" \
    eval '[ "$a0" -ge 1 ] && [ "$an" = 0 ]'
  sed 's/^/# znet-run: /' "$T/deb.err" | head -5
else
  ok "Debian's nginx.conf # SKIP not found as Debian ships it ($conf)"
fi

# A TAP without multi-queue: one stack.  Asked for, --shards says why at
# once; without it, each worker says why when it first uses the socket
# its master opened (and fails with EBADF, as before).
zn_in "$E2E_NS" ip link del "$E2E_TAP"
zn_in "$E2E_NS" ip tuntap add dev "$E2E_TAP" mode tap
zn_in "$E2E_NS" ip addr add "$E2E_KERNEL_IP/$E2E_PREFIX" dev "$E2E_TAP"
zn_in "$E2E_NS" ip link set "$E2E_TAP" up
ZRUN_FLAGS="--shards 4"
zrun_bg "$T/one.out" "$T/one.err" 30 "$NGINX" -c "$T/nginx.conf" -p "$T"
end=$((SECONDS + 30))
while [ "$SECONDS" -lt "$end" ]; do grep -q "one queue" "$T/one.err" && break; sleep 0.1; done
check "a single-queue TAP: --shards 4 says so on stderr" \
  grep -q "^znet-run: --shards: the TAP has one queue" "$T/one.err"
stop_znet 10
: >"$T/logs/error.log"
ZRUN_FLAGS=
zrun_bg "$T/one.out" "$T/one.err" 30 "$NGINX" -c "$T/nginx.conf" -p "$T"
# (nginx's workers write their stderr to its error log.)
end=$((SECONDS + 30))
while [ "$SECONDS" -lt "$end" ]; do grep -q "before fork" "$T/logs/error.log" && break; sleep 0.1; done
check "a single-queue TAP without --shards: a worker's one line on stderr" \
  grep -q "^znet-run: pid [0-9]*: fd [0-9]* was opened before fork: it stays with the parent's stack and fails here (EBADF); one stack for every process: the TAP has one queue" "$T/logs/error.log"
grep -m1 "before fork" "$T/logs/error.log" | sed 's/^/# /'
stop_znet 10
finish
