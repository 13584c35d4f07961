# The socket-layer part of scripts/bench (sourced by it, --only posix):
# unmodified Debian programs under znet-run on the TAP against the same
# programs on the kernel's sockets over the veth pair (offloads on), the
# same client, the program measured on SERVER_CPU and its peer on
# CLIENT_CPU, in HTTP_ROUNDS rounds with the two sides' order alternating.
#
# Workloads:
#   redis-set, redis-get      redis-benchmark -c 50 against redis-server
#                             (no persistence), requests/s
#   redis-set-p16, redis-get-p16   the same, pipelined 16 deep
#   nginx-1k                  wrk -t1 -c32, keep-alive GETs of a 1 KiB
#                             file from nginx (one worker, the web part's
#                             settings), requests/s
#   curl-100m                 curl fetching a 100 MiB file from nginx on
#                             the kernel (the TAP's kernel side for znet,
#                             the veth's far end for the kernel), seconds;
#                             CURL_FETCHES fetches a round, each recorded
#
# Each line recorded is "znb mode=WORKLOAD rps= secs= cpu_srv= cpu_cli=":
# cpu_srv and cpu_cli are SERVER_CPU's and CLIENT_CPU's busy share (%)
# over the run, from /proc/stat, user, system and softirq together.  They
# matter here: over a veth the kernel runs the receiving side's protocol
# work on the sending core (its softirq), so the kernel's measured
# program gets part of its work done on its peer's core, while on the TAP
# znet does all of its own on its core.  The report gives both cores'
# CPU time per request beside the rates.
#
# Then the socket layer's cost per call (posix_cost): bench/znb-pxcost
# under callgrind, a non-blocking recv and send of 64 bytes on a ready
# socket, and the same calls timed beside the kernel's.

POSIX_WORKLOADS=(redis-set redis-get redis-set-p16 redis-get-p16 nginx-1k curl-100m)
CURL_FETCHES=5

# posix_prepare: the files and nginx's configurations, in $SCRATCH/posix.
posix_prepare() {
  local d=$SCRATCH/posix
  rm -rf "$d" && mkdir -p "$d/www" "$d/nginx" "$d/nginx-peer" "$d/redis" || return 1
  head -c 1024 /dev/urandom >"$d/www/1k.bin" &&
    head -c 104857600 /dev/urandom >"$d/www/100m.bin" || return 1
  local which port
  for which in nginx:80 nginx-peer:8080; do
    port=${which#*:}
    cat >"$d/${which%%:*}/nginx.conf" <<EOF
worker_processes 1;
daemon off;
master_process off;
pid $d/${which%%:*}/nginx.pid;
error_log $d/${which%%:*}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_requests 1000000;
  keepalive_timeout 65;
  types { application/octet-stream bin; }
  client_body_temp_path $d/${which%%:*}/body;
  proxy_temp_path $d/${which%%:*}/proxy;
  fastcgi_temp_path $d/${which%%:*}/fastcgi;
  uwsgi_temp_path $d/${which%%:*}/uwsgi;
  scgi_temp_path $d/${which%%:*}/scgi;
  server {
    listen $port;
    root $d/www;
  }
}
EOF
  done
}

# redis_bench NS ADDR STACK ROUND: the four redis workloads.
redis_bench() {
  local ns=$1 addr=$2 stack=$3 round=$4 w n p t rps
  for w in redis-set redis-get redis-set-p16 redis-get-p16; do
    t=${w#redis-} p=1 n=$((${RSECS%.*} * 150000))
    if [[ $t == *-p16 ]]; then
      t=${t%-p16} p=16 n=$((${RSECS%.*} * 1500000))
    fi
    stat_cpus >"$SCRATCH/cpu.0"
    timeout $((${RSECS%.*} * 10 + 30)) ip netns exec "$ns" taskset -c "$CLIENT_CPU" \
      redis-benchmark -h "$addr" -c 50 -n "$n" -P "$p" -t "$t" --csv \
      >"$SCRATCH/redis.out" 2>>"$DIR/errors.log"
    stat_cpus >"$SCRATCH/cpu.1"
    # "SET","157480.31","0.170",...
    rps=$(awk -F'"' -v t="${t^^}" '$2 == t { print $4 }' "$SCRATCH/redis.out")
    if [ -n "$rps" ]; then
      record "$round" "$stack" "$w" "znb mode=$w rps=$rps $(cpu_fields "$SCRATCH/cpu.0" "$SCRATCH/cpu.1")"
    else
      echo "bench: round $round $stack $w: FAILED (see errors.log)"
      { echo "round $round $stack $w failed:"; cat "$SCRATCH/redis.out"; } >>"$DIR/errors.log"
    fi
    sleep 0.5
  done
}

# nginx_bench NS ADDR STACK ROUND
nginx_bench() {
  local ns=$1 addr=$2 stack=$3 round=$4 line
  stat_cpus >"$SCRATCH/cpu.0"
  timeout $((${RSECS%.*} + 30)) ip netns exec "$ns" taskset -c "$CLIENT_CPU" \
    wrk -t1 -c32 -d"${RSECS}s" --latency "http://$addr/1k.bin" \
    >"$SCRATCH/wrk.out" 2>>"$DIR/errors.log"
  stat_cpus >"$SCRATCH/cpu.1"
  if line=$(wrk_line "$SCRATCH/wrk.out" nginx-1k); then
    record "$round" "$stack" nginx-1k "$line $(cpu_fields "$SCRATCH/cpu.0" "$SCRATCH/cpu.1")"
  else
    echo "bench: round $round $stack nginx-1k: FAILED (see errors.log)"
    { echo "round $round $stack nginx-1k failed:"; cat "$SCRATCH/wrk.out"; } >>"$DIR/errors.log"
  fi
}

# curl_bench NS URL STACK ROUND CMD-PREFIX...: CURL_FETCHES fetches, each
# recorded with curl's own transfer time; the bytes are counted and must
# all be there.
curl_bench() {
  local ns=$1 url=$2 stack=$3 round=$4 i out secs size
  shift 4
  for i in $(seq 1 "$CURL_FETCHES"); do
    stat_cpus >"$SCRATCH/cpu.0"
    out=$(timeout 120 ip netns exec "$ns" taskset -c "$SERVER_CPU" "$@" curl -s \
      -o /dev/null -w '%{time_total} %{size_download}' "$url" 2>>"$DIR/errors.log")
    stat_cpus >"$SCRATCH/cpu.1"
    read -r secs size <<<"$out"
    if [ "${size:-0}" = 104857600 ]; then
      record "$round" "$stack" curl-100m "znb mode=curl-100m xfer_secs=$secs $(cpu_fields "$SCRATCH/cpu.0" "$SCRATCH/cpu.1")"
    else
      echo "bench: round $round $stack curl-100m: FAILED ($out)"
      echo "round $round $stack curl-100m failed: $out" >>"$DIR/errors.log"
    fi
  done
}

# start_prog NS CPU READY-CMD CMD...: CMD in NS on CPU, until READY-CMD
# (run in NS) succeeds; sets SERVER_PID.
start_prog() {
  local ns=$1 cpu=$2 ready=$3 i
  shift 3
  ip netns exec "$ns" taskset -c "$cpu" "$@" >>"$DIR/servers.log" 2>&1 &
  SERVER_PID=$!
  zn_bg "$SERVER_PID"
  for i in $(seq 1 100); do
    ip netns exec "$ns" sh -c "$ready" >/dev/null 2>&1 && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "bench: did not start: $*" >&2
  return 1
}

REDIS_ARGS=(--port 6379 --save '' --appendonly no --protected-mode no --daemonize no)

run_posix_znet() {
  local round=$1 d=$SCRATCH/posix zrun=$BUILD/posix/preload/znet-run
  local z=("$zrun" --netif "tap:$TAP" --ipv4 "$TAP_STACK/24" --)
  in_ns "$NS_TAP" ip neigh flush dev "$TAP"
  if start_prog "$NS_TAP" "$SERVER_CPU" "redis-cli -h $TAP_STACK ping | grep -q PONG" \
    "${z[@]}" redis-server "${REDIS_ARGS[@]}" --dir "$d/redis"; then
    redis_bench "$NS_TAP" "$TAP_STACK" znet "$round"
  fi
  stop_pid "$SERVER_PID"
  if start_prog "$NS_TAP" "$SERVER_CPU" "curl -sf -o /dev/null http://$TAP_STACK/1k.bin" \
    "${z[@]}" nginx -c "$d/nginx/nginx.conf" -p "$d/nginx"; then
    nginx_bench "$NS_TAP" "$TAP_STACK" znet "$round"
  fi
  stop_pid "$SERVER_PID"
  if start_prog "$NS_TAP" "$CLIENT_CPU" "curl -sf -o /dev/null http://$TAP_KERNEL:8080/1k.bin" \
    nginx -c "$d/nginx-peer/nginx.conf" -p "$d/nginx-peer"; then
    curl_bench "$NS_TAP" "http://$TAP_KERNEL:8080/100m.bin" znet "$round" "${z[@]}"
  fi
  stop_pid "$SERVER_PID"
}

run_posix_linux() {
  local round=$1 d=$SCRATCH/posix
  offloads on
  if start_prog "$NS_VS" "$SERVER_CPU" "redis-cli -h $VETH_SERVER ping | grep -q PONG" \
    redis-server "${REDIS_ARGS[@]}" --dir "$d/redis"; then
    redis_bench "$NS_VC" "$VETH_SERVER" linux "$round"
  fi
  stop_pid "$SERVER_PID"
  if start_prog "$NS_VS" "$SERVER_CPU" "curl -sf -o /dev/null http://$VETH_SERVER/1k.bin" \
    nginx -c "$d/nginx/nginx.conf" -p "$d/nginx"; then
    nginx_bench "$NS_VC" "$VETH_SERVER" linux "$round"
  fi
  stop_pid "$SERVER_PID"
  if start_prog "$NS_VS" "$CLIENT_CPU" "curl -sf -o /dev/null http://$VETH_SERVER:8080/1k.bin" \
    nginx -c "$d/nginx-peer/nginx.conf" -p "$d/nginx-peer"; then
    curl_bench "$NS_VC" "http://$VETH_SERVER:8080/100m.bin" linux "$round"
  fi
  stop_pid "$SERVER_PID"
}

# run_posix: the rounds, the two sides' order alternating, then the
# per-call cost (bench/znb-pxcost under callgrind, and timed against the
# kernel's own calls).
run_posix() {
  posix_prepare || { echo "bench: cannot prepare the socket-layer files" >&2; return 1; }
  printf 'meta\tredis\t%s\n' "$(redis-server --version | sed -n 's/^Redis server v=\([^ ]*\).*/redis \1/p')" >>"$TSV"
  printf 'meta\tcurl\t%s\n' "$(curl --version | awk 'NR == 1 { print $1, $2 }')" >>"$TSV"
  printf 'meta\tnginx\t%s\n' "$(nginx -v 2>&1 | sed 's/^nginx version: //')" >>"$TSV"
  alternate_rounds posix run_posix_znet run_posix_linux
  wait_quiet posix-cost
  posix_cost
}

# ---- the socket layer's cost per call ----

# pxcost_ir FILE: "TOTAL LAYER" instructions of a callgrind output of
# znb-pxcost: all of the measured calls, and the part in the socket
# layer's own functions (px_*, zn_posix_*, the call's frame).
pxcost_ir() {
  callgrind_annotate --inclusive=no --auto=no "$1" 2>/dev/null | awk '
    /PROGRAM TOTALS/ { gsub(/,/, "", $1); total = $1; next }
    /^ *[0-9,]+ \(/ {
      n = $1; gsub(/,/, "", n)
      f = $0; sub(/ \[.*$/, "", f); sub(/^.*:/, "", f)
      if (f ~ /^(px_|zn_posix_|measured_call)/) layer += n
    }
    END { printf "%d %d\n", total, layer }'
}

# posix_cost: instructions per call (callgrind, the difference of a run
# of POSIX_COST_N1 and one of POSIX_COST_N2 calls, so set-up cancels),
# with and without the preload's mutex around the call, and the time per
# call on the layer and on the kernel's sockets (median of 20,000).
POSIX_COST_N1=1000
POSIX_COST_N2=3000
posix_cost() {
  local prog=$BUILD/bench/znb-pxcost op v n d=$SCRATCH/pxcost line
  mkdir -p "$d"
  for op in recv send; do
    for v in plain lock; do
      for n in $POSIX_COST_N1 $POSIX_COST_N2; do
        valgrind --tool=callgrind --toggle-collect=measured_call \
          --callgrind-out-file="$d/$op-$v-$n.out" "$prog" "$op" "$n" \
          $([ $v = lock ] && echo --lock) >/dev/null 2>>"$DIR/errors.log" ||
          { echo "bench: znb-pxcost $op $n under callgrind: FAILED"; return 1; }
      done
    done
    line=$(taskset -c "$SERVER_CPU" "$prog" "$op" 20000 --time 2>>"$DIR/errors.log" |
      grep '^znb mode=') || { echo "bench: znb-pxcost $op --time: FAILED"; return 1; }
    local a b la lb
    read -r a la < <(pxcost_ir "$d/$op-plain-$POSIX_COST_N1.out")
    read -r b lb < <(pxcost_ir "$d/$op-plain-$POSIX_COST_N2.out")
    local k=$((POSIX_COST_N2 - POSIX_COST_N1)) c e
    read -r c _ < <(pxcost_ir "$d/$op-lock-$POSIX_COST_N1.out")
    read -r e _ < <(pxcost_ir "$d/$op-lock-$POSIX_COST_N2.out")
    record cost znet "pxcost-$op" "$(awk -v a="$a" -v b="$b" -v la="$la" -v lb="$lb" \
      -v c="$c" -v e="$e" -v k="$k" -v op="$op" -v t="${line#znb mode=* unit=op }" 'BEGIN {
      printf "znb mode=pxcost-%s ir=%.1f ir_layer=%.1f ir_locked=%.1f %s\n",
        op, (b - a) / k, (lb - la) / k, (e - c) / k, t }')"
  done
}
