# The shards part of scripts/bench (sourced by it, --only shards): nginx
# with its master process and 1 or 2 workers, unmodified, under znet-run
# on a multi-queue TAP (a group of shards: each process a stack of its
# own on a queue of its own, new connections spread over the workers by
# the TAP's steering program: docs/POSIX.md, posix/preload/group.h)
# against the same nginx, the same configuration, on the kernel's sockets
# over the veth pair (offloads on, as bench/posix.sh), wrk as the client,
# in HTTP_ROUNDS rounds, the two stacks' order alternating by round and
# the worker counts' order too.
#
# The TAP: SHARDS_TAP, made here with multi_queue in the TAP's namespace,
# SHARDS_KERNEL/24 on the kernel's side, znet at SHARDS_STACK, the same
# queue length as the bench's own TAP, znet-run's offloads as it sets
# them by default; deleted at the end (and by scripts/bench's cleanup).
# No --shards: the TAP takes multi-queue, so znet-run makes a group.
# Every znet run has --tcp-conns SHARDS_TCP_CONNS per stack: with the
# default, 64, a connection per request at 15k/s filled the table and
# most connections of a run were made with SYN cookies (tcp_syncookie_tx:
# 14,003 of 63,664 in one 5 s run), and 1,000 connections do not fit.
# The imbalance run adds --bufs SHARDS_IMB_BUFS: with the default 512
# frame buffers, 500 connections a stack each with a request and an
# answer in flight hit the stack-wide TCP buffer bound (tcp_drop_mem:
# 158 and 369 in the two workers in 3 s), the client retransmitted and
# wrk's p99 was 0.5-1.5 s; with 4096, 30 ms.
#
# Workloads (wrk -tW -c32, RSECS s each, --latency, GETs of a 1 KiB file;
# W = the worker count):
#   shards-1k-wW     keep-alive
#   shards-close-wW  Connection: close (a new TCP connection per request)
# Both run against one server per worker count (1k first).
#
# Pinning: the server is not pinned (with 2 workers it needs both cores);
# wrk is pinned to CLIENT_CPU as in the other parts.  Measured before
# choosing, 3 runs each of keep-alive with 1 and 2 workers on the shared
# machine: the server's CPU per request was the same pinned or not
# within the noise (znet 12.4-13.1 us pinned, 13.0-14.1 unpinned; the
# kernel 14.2-16.5 and 14.9-15.2), while unpinned the rates swung with
# where the scheduler put wrk (the kernel, 1 worker: 28k-36k requests/s
# unpinned; pinned 55k and 67k, and 21k in a run beside other work);
# pinned, wrk never takes more than one core and a worker count's extra
# core is the server's to use.
#
# Each line recorded is wrk's ("rps= mbps= p50_ms= p99_ms= errors=", as
# bench/http.sh's wrk_line) with "reqs=" (the requests wrk completed, its
# "N requests in" line), "secs= cpu_srv= cpu_cli=" (cpu_fields) and the
# server's own CPU over the client's run, exact: "srv_cpu=" (seconds,
# proc_cpu summed over the master and every worker: all their threads,
# znet's driver threads included), "w_cpu=" (each worker's seconds, in
# the order of their pids), "m_cpu=" (the master's), "srv_user_s=
# srv_sys_s=" (user and kernel seconds of the same processes from
# /proc/PID/stat: tick samples, which give the split, not the sum) and
# "cli_cpu=" (wrk's own CPU seconds, exact: its rusage).  The report's
# cost per request is srv_cpu over reqs.  What the processes'
# time holds: their own work, and the kernel's receive work for the
# frames they send (the TAP's write and the veth's transmit run it in
# the sender's context), the same for both stacks; the kernel's own
# receive work for the frames the client sends runs in wrk's context
# over the veth and is not nginx's, while znet's receive work is in its
# worker.  So the kernel is not charged for its own receive path: the
# capacity ratio leans the kernel's way, most for a connection per
# request, whose handshake the kernel does wholly in wrk's context (the
# SYN, the SYN-ACK, wrk's side of it, the ACK).  wrk's CPU plus the
# servers' counts every side's work wherever it ran; the client is the
# same program for both stacks, so the difference of the two sums is
# the servers' difference.  (ksoftirqd took under 0.1 s of a 5 s run.)
#
# Last in each round, a stack per thread: thread_server
# (tests/e2e/thread_server.c), SHARDS_THREADS threads each with its own
# SO_REUSEPORT listener and epoll, as envoy-style servers are written:
# under znet-run with one stack for the process (stack "znet": the
# threads take its one lock), under znet-run --thread-shards (stack
# "znet-threads": a stack per thread), and on the kernel's sockets over
# the veth ("linux"); wrk -t1 -c32 keep-alive, threads-ka.
#
# Then, in each round after the four workloads, for each stack:
# shards-imb-w2, 2 workers and SHARDS_IMB_CONNS keep-alive connections
# (wrk -t2 -c1000), the access log on for that run only, "$pid
# $connection" per request: per worker the distinct connections it
# served and the requests ("w_conns=", "w_reqs="), and its CPU seconds
# over the run ("w_cpu=").  In every round, not once: where the
# scheduler runs each worker (one core is wrk's too) moves its CPU and
# requests from run to run (one worker 4.13 s and the other 2.47 in one
# run, 3.27 and 3.27 in the next), the connections' spread does not.

SHARDS_TAP=znbmq
SHARDS_KERNEL=10.79.0.1
SHARDS_STACK=10.79.0.2
SHARDS_CONNS=32
SHARDS_IMB_CONNS=1000
SHARDS_TCP_CONNS=4096
SHARDS_IMB_BUFS=4096
SHARDS_NOFILE=16384
SHARDS_THREADS=2

# shards_setup: the multi-queue TAP in the TAP's namespace.
shards_setup() {
  in_ns "$NS_TAP" ip tuntap add dev "$SHARDS_TAP" mode tap multi_queue &&
    in_ns "$NS_TAP" ip addr add "$SHARDS_KERNEL/24" dev "$SHARDS_TAP" &&
    in_ns "$NS_TAP" ip link set dev "$SHARDS_TAP" txqueuelen 10000 &&
    in_ns "$NS_TAP" ip link set "$SHARDS_TAP" up
}

shards_teardown() {
  in_ns "$NS_TAP" ip link del "$SHARDS_TAP" 2>/dev/null
  return 0
}

# shards_conf FILE WORKERS [LOG]: nginx's configuration, bench/posix.sh's
# but with its master process and WORKERS workers; LOG: the access log,
# "$pid $connection" per request (otherwise none).
shards_conf() {
  local f=$1 w=$2 log=${3:-} d=$SCRATCH/shards access="access_log off;"
  [ -n "$log" ] && access="log_format shards '\$pid \$connection';
  access_log $log shards;"
  cat >"$f" <<EOF
worker_processes $w;
worker_rlimit_nofile $SHARDS_NOFILE;
daemon off;
master_process on;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 4096; }
http {
  $access
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_requests 1000000;
  keepalive_timeout 65;
  types { application/octet-stream bin; }
  client_body_temp_path $d/body;
  proxy_temp_path $d/proxy;
  fastcgi_temp_path $d/fastcgi;
  uwsgi_temp_path $d/uwsgi;
  scgi_temp_path $d/scgi;
  server {
    listen 80;
    root $d/www;
  }
}
EOF
}

# shards_prepare: the file and the configurations, in $SCRATCH/shards
# (readable by nginx's workers, which run as nobody).
shards_prepare() {
  local d=$SCRATCH/shards
  rm -rf "$d" && mkdir -p "$d/www" || return 1
  head -c 1024 /dev/urandom >"$d/www/1k.bin" || return 1
  chmod a+rx "$d" "$d/www" && chmod a+r "$d/www/1k.bin" || return 1
  cc -O2 -pthread -o "$d/thread_server" "$ROOT/tests/e2e/thread_server.c" ||
    return 1
  shards_conf "$d/nginx-w1.conf" 1 &&
    shards_conf "$d/nginx-w2.conf" 2 &&
    shards_conf "$d/nginx-imb.conf" 2 "$d/access.log"
}

# shards_start NS CLIENT-NS ADDR WORKERS CMD...: CMD (nginx, perhaps
# under znet-run) in NS, not pinned, until a GET from CLIENT-NS answers
# and WORKERS workers run; sets SERVER_PID (the master) and SHARDS_WPIDS.
shards_start() {
  local ns=$1 cns=$2 addr=$3 w=$4 ok=0
  shift 4
  SHARDS_WPIDS=()
  # (A worker reads its limit from worker_rlimit_nofile; this is the
  # master's.)
  (ulimit -n "$SHARDS_NOFILE" 2>/dev/null; exec ip netns exec "$ns" "$@") \
    >>"$DIR/servers.log" 2>&1 &
  SERVER_PID=$!
  zn_bg "$SERVER_PID"
  # Until a worker serves, znet holds the port's SYNs (the client sends
  # them again after a second): up to 15 s.
  for _ in $(seq 1 60); do
    ip netns exec "$cns" curl -sf -m 3 -o /dev/null "http://$addr/1k.bin" 2>/dev/null &&
      { ok=1; break; }
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.2
  done
  for _ in $(seq 1 50); do
    mapfile -t SHARDS_WPIDS < <(pgrep -P "$SERVER_PID" | sort -n)
    [ "${#SHARDS_WPIDS[@]}" = "$w" ] && break
    sleep 0.1
  done
  if [ "$ok" = 0 ] || [ "${#SHARDS_WPIDS[@]}" != "$w" ]; then
    echo "bench: nginx with $w workers did not start ($*): ${#SHARDS_WPIDS[@]} workers"
    return 1
  fi
  # Every worker takes its stack and serves the port as it starts
  # (nginx adds the listener to its epoll): give the last one time.
  sleep 1
}

# shards_stop: the master (nginx stops its workers), then any worker
# still there.
shards_stop() {
  local p
  stop_pid "$SERVER_PID"
  for p in "${SHARDS_WPIDS[@]}"; do
    kill -0 "$p" 2>/dev/null && zn_stop "$p" KILL 2
  done
  cat "$SCRATCH/shards/error.log" >>"$DIR/servers.log" 2>/dev/null
  rm -f "$SCRATCH/shards/error.log"
}

# shards_cpus PID...: each process's CPU seconds so far (proc_cpu), one a
# line.
shards_cpus() {
  local p
  for p in "$@"; do proc_cpu "$p"; done
}

# shards_ticks PID...: "user system" clock ticks of the processes, summed.
shards_ticks() {
  local p
  for p in "$@"; do cpu_ticks "$p"; done | awk '{ u += $1; s += $2 } END { print u + 0, s + 0 }'
}

# shards_cpu_fields BEFORE AFTER TICKS0 TICKS1: "srv_cpu= m_cpu= w_cpu=
# srv_user_s= srv_sys_s=" from two shards_cpus readings (the master's
# first) and two shards_ticks.
shards_cpu_fields() {
  paste <(echo "$1") <(echo "$2") | awk -v t0="$3" -v t1="$4" -v hz="$(getconf CLK_TCK)" '
    { d = $2 - $1; sum += d; if (NR == 1) m = d; else w = w (NR > 2 ? "," : "") sprintf("%.6f", d) }
    END {
      split(t0, a, " "); split(t1, b, " ")
      printf "srv_cpu=%.6f m_cpu=%.6f w_cpu=%s srv_user_s=%.2f srv_sys_s=%.2f",
        sum, m, w, (b[1] - a[1]) / hz, (b[2] - a[2]) / hz
    }'
}

# shards_wrk NS ADDR WORKLOAD THREADS CONNS EXTRA...: one wrk run against
# the server, into $SCRATCH/wrk.out; prints the line's fields.
shards_wrk() {
  local ns=$1 addr=$2 wl=$3 t=$4 c=$5 pids c0 c1 k0 k1 line reqs
  shift 5
  pids=("$SERVER_PID" "${SHARDS_WPIDS[@]}")
  stat_cpus >"$SCRATCH/cpu.0"
  c0=$(shards_cpus "${pids[@]}")
  k0=$(shards_ticks "${pids[@]}")
  # wrk's own CPU, exact: its rusage as a waited-for child (user and
  # system, whose sum is the scheduler's run time).
  local TIMEFORMAT='%3U %3S'
  # (time's report goes to the group's standard error, not the
  # command's: hence the inner braces.)
  { time { (ulimit -n "$SHARDS_NOFILE" 2>/dev/null
    exec timeout $((${RSECS%.*} + 60)) ip netns exec "$ns" taskset -c "$CLIENT_CPU" \
      wrk -t"$t" -c"$c" -d"${RSECS}s" --latency "$@" "http://$addr/1k.bin") \
      >"$SCRATCH/wrk.out" 2>>"$DIR/errors.log"; }; } 2>"$SCRATCH/wrk.time"
  stat_cpus >"$SCRATCH/cpu.1"
  c1=$(shards_cpus "${pids[@]}")
  k1=$(shards_ticks "${pids[@]}")
  # The same processes all along: a worker killed (by something else
  # than the bench) and respawned by the master would serve uncounted.
  local now want="" p
  now=$(pgrep -P "$SERVER_PID" | sort -n | tr '\n' ' ')
  for p in "${SHARDS_WPIDS[@]}"; do want+="$p "; done
  if [ "$now" != "$want" ]; then
    echo "$wl: the workers changed during the run (${SHARDS_WPIDS[*]} -> $now)" >>"$DIR/errors.log"
    echo "bench: $wl: the workers changed during the run (${SHARDS_WPIDS[*]} -> $now): not recorded" >&2
    return 1
  fi
  reqs=$(awk '/ requests in / { print $1 }' "$SCRATCH/wrk.out")
  line=$(wrk_line "$SCRATCH/wrk.out" "$wl") && [ -n "$reqs" ] || return 1
  echo "$line reqs=$reqs $(cpu_fields "$SCRATCH/cpu.0" "$SCRATCH/cpu.1") $(shards_cpu_fields "$c0" "$c1" "$k0" "$k1") $(awk 'NF == 2 { printf "cli_cpu=%.3f", $1 + $2 }' "$SCRATCH/wrk.time")"
}

# shards_client NS ADDR STACK ROUND WORKERS: the two workloads against a
# running server of WORKERS workers.
shards_client() {
  local ns=$1 addr=$2 stack=$3 round=$4 w=$5 kind wl extra line
  for kind in 1k close; do
    wl=shards-$kind-w$w
    extra=()
    [ "$kind" = close ] && extra=(-H "Connection: close")
    if line=$(shards_wrk "$ns" "$addr" "$wl" "$w" "$SHARDS_CONNS" "${extra[@]}"); then
      record "$round" "$stack" "$wl" "$line workers=$w"
    else
      echo "bench: round $round $stack $wl: FAILED (see errors.log)"
      { echo "round $round $stack $wl failed:"; cat "$SCRATCH/wrk.out"; } >>"$DIR/errors.log"
    fi
    sleep 0.5
  done
}

# shards_order ROUND: the worker counts, 1 then 2 in odd rounds, 2 then 1
# in even ones.
shards_order() { if [ $(($1 % 2)) = 1 ]; then echo 1 2; else echo 2 1; fi; }

# shards_znet_cmd CONF [FLAG...]: nginx under znet-run on the
# multi-queue TAP, into SHARDS_CMD.
shards_znet_cmd() {
  local conf=$1
  shift
  SHARDS_CMD=("$BUILD/posix/preload/znet-run" --netif "tap:$SHARDS_TAP"
    --ipv4 "$SHARDS_STACK/24" --tcp-conns "$SHARDS_TCP_CONNS" "$@" --
    nginx -c "$conf" -p "$SCRATCH/shards")
}

run_shards_znet() {
  local round=$1 w
  for w in $(shards_order "$round"); do
    in_ns "$NS_TAP" ip neigh flush dev "$SHARDS_TAP"
    shards_znet_cmd "$SCRATCH/shards/nginx-w$w.conf"
    if shards_start "$NS_TAP" "$NS_TAP" "$SHARDS_STACK" "$w" "${SHARDS_CMD[@]}"; then
      shards_client "$NS_TAP" "$SHARDS_STACK" znet "$round" "$w"
    fi
    shards_stop
  done
  shards_imbalance znet "$round"
  local zr=("$BUILD/posix/preload/znet-run" --netif "tap:$SHARDS_TAP"
    --ipv4 "$SHARDS_STACK/24" --tcp-conns "$SHARDS_TCP_CONNS")
  shards_threads znet "$round" "${zr[@]}" --
  shards_threads znet-threads "$round" "${zr[@]}" --thread-shards --
}

run_shards_linux() {
  local round=$1 w
  offloads on
  for w in $(shards_order "$round"); do
    if shards_start "$NS_VS" "$NS_VC" "$VETH_SERVER" "$w" \
      nginx -c "$SCRATCH/shards/nginx-w$w.conf" -p "$SCRATCH/shards"; then
      shards_client "$NS_VC" "$VETH_SERVER" linux "$round" "$w"
    fi
    shards_stop
  done
  shards_imbalance linux "$round"
  offloads on
  shards_threads linux "$round"
}

# shards_imbalance STACK ROUND: 2 workers, SHARDS_IMB_CONNS keep-alive
# connections, the access log on: per worker its connections, requests
# and CPU.
shards_imbalance() {
  local stack=$1 round=$2 ns cns addr line log=$SCRATCH/shards/access.log per
  rm -f "$log"
  if [ "$stack" = znet ]; then
    ns=$NS_TAP cns=$NS_TAP addr=$SHARDS_STACK
    in_ns "$NS_TAP" ip neigh flush dev "$SHARDS_TAP"
    shards_znet_cmd "$SCRATCH/shards/nginx-imb.conf" --bufs "$SHARDS_IMB_BUFS"
  else
    ns=$NS_VS cns=$NS_VC addr=$VETH_SERVER
    offloads on
    SHARDS_CMD=(nginx -c "$SCRATCH/shards/nginx-imb.conf" -p "$SCRATCH/shards")
  fi
  if ! shards_start "$ns" "$cns" "$addr" 2 "${SHARDS_CMD[@]}"; then
    shards_stop
    return 1
  fi
  : >"$log" # the start's GETs are not the run's (nginx appends)
  if line=$(shards_wrk "$cns" "$addr" shards-imb-w2 2 "$SHARDS_IMB_CONNS"); then
    # Per worker (in pid order): distinct connections, requests.
    per=$(awk -v pids="${SHARDS_WPIDS[*]}" '
      { n[$1]++; if (!(($1, $2) in seen)) { seen[$1, $2] = 1; c[$1]++ } }
      END {
        k = split(pids, p, " ")
        for (i = 1; i <= k; i++) {
          cs = cs (i > 1 ? "," : "") (c[p[i]] + 0)
          rs = rs (i > 1 ? "," : "") (n[p[i]] + 0)
          tot += c[p[i]]
        }
        printf "w_conns=%s w_reqs=%s conns_seen=%d", cs, rs, tot
      }' "$log")
    record "$round" "$stack" shards-imb-w2 "$line $per conns=$SHARDS_IMB_CONNS workers=2"
  else
    echo "bench: round $round $stack shards-imb-w2: FAILED (see errors.log)"
    { echo "round $round $stack shards-imb-w2 failed:"; cat "$SCRATCH/wrk.out"; } >>"$DIR/errors.log"
  fi
  shards_stop
}

# shards_threads STACK ROUND CMD...: the threads part: thread_server
# (tests/e2e/thread_server.c, built by shards_prepare) with
# SHARDS_THREADS threads, each its own SO_REUSEPORT listener and epoll,
# under CMD's stack; wrk -t1 -cSHARDS_CONNS keep-alive (its answer is a
# line, not the 1 KiB file: it ignores the path), recorded as
# threads-ka.  Its cost per request is the process's CPU (every thread,
# znet's drivers included) over wrk's requests.
shards_threads() {
  local stack=$1 round=$2 ns cns addr line
  shift 2
  case $stack in
  linux) ns=$NS_VS cns=$NS_VC addr=$VETH_SERVER:8090 ;;
  *) ns=$NS_TAP cns=$NS_TAP addr=$SHARDS_STACK:8090
    in_ns "$NS_TAP" ip neigh flush dev "$SHARDS_TAP" ;;
  esac
  if shards_start "$ns" "$cns" "$addr" 0 "$@" \
    "$SCRATCH/shards/thread_server" 8090 "$SHARDS_THREADS"; then
    if line=$(shards_wrk "$cns" "$addr" threads-ka 1 "$SHARDS_CONNS"); then
      record "$round" "$stack" threads-ka "$line threads=$SHARDS_THREADS"
    else
      echo "bench: round $round $stack threads-ka: FAILED (see errors.log)"
      { echo "round $round $stack threads-ka failed:"; cat "$SCRATCH/wrk.out"; } >>"$DIR/errors.log"
    fi
  fi
  shards_stop
}

# run_shards: the TAP, the rounds, the TAP deleted.
run_shards() {
  shards_prepare || { echo "bench: cannot prepare the shards files" >&2; return 1; }
  shards_setup || { echo "bench: cannot create the multi-queue TAP $SHARDS_TAP" >&2; return 1; }
  {
    printf 'meta\tnginx\t%s\n' "$(nginx -v 2>&1 | sed 's/^nginx version: //')"
    printf 'meta\twrk\t%s\n' "$(wrk -v 2>&1 | awk 'NR == 1 { print $1, $2 }')"
    printf 'meta\tshards_tcp_conns\t%s\n' "$SHARDS_TCP_CONNS"
    printf 'meta\tshards_imb_conns\t%s\n' "$SHARDS_IMB_CONNS"
    printf 'meta\tshards_imb_bufs\t%s\n' "$SHARDS_IMB_BUFS"
  } >>"$TSV"
  alternate_rounds shards run_shards_znet run_shards_linux
  shards_teardown
}
