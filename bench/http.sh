# The web server part of scripts/bench (sourced by it, --only http):
# znet-httpd on the TAP against nginx (Debian's nginx-light, one worker)
# on Linux over the veth pair, the same files and the same certificate,
# wrk as the client (Debian's wrk, one thread), server on SERVER_CPU and
# client on CLIENT_CPU, in HTTP_ROUNDS rounds.  In a round each workload
# runs against one server and then at once against the other (a fresh
# server for each, the order alternating with the round), so the two
# runs compared are seconds apart and a slow phase of the host weighs on
# both (the report gives the ratio within each round beside the ratio of
# the medians).
#
# Workloads (wrk -t1, run for RSECS s each, --latency):
#   http-1k    keep-alive GETs of a 1 KiB file, 32 connections
#   https-1k   the same over TLS
#   http-10m   GETs of a 10 MiB file, 4 connections (throughput)
#   http-close GETs of the 1 KiB file with Connection: close, 32
#              connections (a new TCP connection per request)
#   https-hs   a full handshake per request: HTTP_RESUME_PROCS processes
#              of openssl s_time -new (no ticket offered: X25519 and the
#              server's ECDSA P-256 signature every time), GET of the 1
#              KiB file over HTTP/1.0; handshakes/s is their connections
#              over the wall time.  (wrk cannot do it over TLS 1.3: it
#              offers the tickets it got, so its "Connection: close"
#              requests are resumed ones.)
#   https-resume  the same with s_time -reuse (each process keeps the
#              first session's ticket and offers it on every new
#              connection: TLS 1.3 PSK with X25519, no certificate)
# Both servers speak TLS 1.3 only, each taking the client's first suite
# and group (wrk's OpenSSL: TLS_AES_256_GCM_SHA384, X25519; nginx does
# not prefer its own by default), ECDSA P-256 signatures; each sends the
# session tickets it sends by default (OpenSSL two, znet one), which wrk
# never uses.  (Until 062146c both spoke TLS 1.2 with
# ECDHE-ECDSA-AES128-GCM-SHA256: znet had no TLS 1.3.)  Each line recorded is
# "znb mode=WORKLOAD rps= mbps= p50_ms= p99_ms= errors=" from wrk's
# output; errors counts socket errors and non-2xx/3xx answers.  Every
# line also has "secs= cpu_srv= cpu_cli=": SERVER_CPU's and CLIENT_CPU's
# busy share over the client's run (stat_cpus), and "srv_cpu=": the
# server process's own CPU seconds over the run, exact (proc_cpu), from
# which the report gives the server's time per request or handshake --
# what a server costs, where the rate may be the client's pace (s_time's
# 8 processes share one core).  (The busy shares are the kernel's tick
# samples, which a bursty server aliases: proc_cpu says how much.)  Each
# side's core also does the kernel's receive work
# for the packets it sends (the TAP's write and the veth's transmit both
# run it in the sender's context), so the two servers are charged alike.

HTTP_WORKLOADS=(http-1k https-1k http-10m http-close https-hs https-resume)
HTTP_RESUME_PROCS=8

# stime_client NS ADDR WORKLOAD: s_time -new (https-hs) or -reuse
# (https-resume) in HTTP_RESUME_PROCS processes for RSECS s, as one "znb"
# line (rps: connections per second of wall time; errors: processes that
# failed, or handshakes not of the kind asked for).
stime_client() {
  local ns=$1 addr=$2 w=$3 i t0 t1 pids=() mode=-reuse
  [ "$w" = https-hs ] && mode=-new
  t0=$(date +%s.%N)
  for i in $(seq 1 "$HTTP_RESUME_PROCS"); do
    timeout $((${RSECS%.*} + 30)) ip netns exec "$ns" taskset -c "$CLIENT_CPU" \
      openssl s_time -connect "$addr:443" "$mode" -time "${RSECS%.*}" -www /1k.bin \
      >"$SCRATCH/stime.$i" 2>>"$DIR/errors.log" &
    pids+=($!)
  done
  local err=0
  for i in "${pids[@]}"; do wait "$i" || err=$((err + 1)); done
  t1=$(date +%s.%N)
  # "N connections in T real seconds, ..." after one character per
  # connection: '*' new, 'r' resumed.  Fewer than 99% of the kind asked
  # for is an error of the run.
  awk -v w="$w" -v t0="$t0" -v t1="$t1" -v err="$err" '
    / connections in [0-9]+ real seconds/ { n += $1 }
    /^[*r]+$/ { all += length($0); r += gsub(/r/, "") }
    END {
      if (n == 0 || all == 0) exit 1
      if (w == "https-hs" ? r > 0.01 * all : r < 0.99 * all) err++
      printf "znb mode=%s rps=%.0f errors=%d resumed=%d of=%d\n",
        w, n / (t1 - t0), err, r, all
    }' "$SCRATCH"/stime.*
}

# http_prepare: the files, the certificate, nginx's configuration, in
# $SCRATCH/http.
http_prepare() {
  local d=$SCRATCH/http
  rm -rf "$d" && mkdir -p "$d/www" "$d/nginx" || return 1
  head -c 1024 /dev/urandom >"$d/www/1k.bin" &&
    head -c 10485760 /dev/urandom >"$d/www/10m.bin" || return 1
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$d/key.pem" -out "$d/cert.pem" -days 30 -subj /CN=bench.test \
    -addext "subjectAltName=DNS:bench.test" >/dev/null 2>&1 || return 1
  cat >"$d/nginx/nginx.conf" <<EOF
worker_processes 1;
daemon off;
master_process off;
pid $d/nginx/nginx.pid;
error_log $d/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_requests 1000000;
  keepalive_timeout 65;
  types { application/octet-stream bin; }
  client_body_temp_path $d/nginx/body;
  proxy_temp_path $d/nginx/proxy;
  fastcgi_temp_path $d/nginx/fastcgi;
  uwsgi_temp_path $d/nginx/uwsgi;
  scgi_temp_path $d/nginx/scgi;
  server {
    listen 80 reuseport;
    listen 443 ssl reuseport;
    ssl_certificate $d/cert.pem;
    ssl_certificate_key $d/key.pem;
    ssl_protocols TLSv1.3;
    ssl_session_cache off;
    root $d/www;
  }
}
EOF
}

# wrk_line OUTFILE WORKLOAD: wrk's report as one "znb" line.
wrk_line() {
  awk -v w="$2" '
    function ms(v) {
      if (v ~ /us$/) return v / 1000
      if (v ~ /ms$/) return v + 0
      if (v ~ /s$/) return v * 1000
      return v + 0
    }
    function mb(v) {
      if (v ~ /GB$/) return v * 1024
      if (v ~ /MB$/) return v + 0
      if (v ~ /KB$/) return v / 1024
      if (v ~ /B$/) return v / 1048576
      return v + 0
    }
    /Requests\/sec:/ { rps = $2 }
    /Transfer\/sec:/ { mbps = mb($2) * 8.388608 }
    $1 == "50%" { p50 = ms($2) }
    $1 == "99%" { p99 = ms($2) }
    /Socket errors:/ { gsub(/,/, ""); err += $4 + $6 + $8 + $10 }
    /Non-2xx or 3xx responses:/ { err += $5 }
    END {
      if (rps == "") exit 1
      printf "znb mode=%s rps=%.0f mbps=%.1f p50_ms=%.3f p99_ms=%.3f errors=%d\n",
        w, rps, mbps, p50, p99, err
    }' "$1"
}

# proc_cpu PID: the CPU time of PID's threads so far, in seconds, exact
# (schedstat's nanoseconds on CPU).  The kernel of the bench machine
# counts /proc/stat's busy time by sampling at its tick (250 Hz, no
# IRQ_TIME_ACCOUNTING), which a server waking for 50-200 us at a time
# aliases: a reader woken by a pipe every 100 us, spinning 20 us, was
# 23.1% busy by schedstat and 3.2% by /proc/stat.  Without
# IRQ_TIME_ACCOUNTING the softirq work done in a process's context (a
# veth's receive after nginx's send, the TAP's after znet's write) is
# in its time too.
proc_cpu() {
  cat /proc/"$1"/task/*/schedstat 2>/dev/null |
    awk '{ ns += $1 } END { printf "%.6f\n", ns / 1e9 }'
}

# srv_cpu_field BEFORE AFTER: "srv_cpu=S", the seconds between two
# proc_cpu readings.
srv_cpu_field() { awk -v a="$1" -v b="$2" 'BEGIN { printf "srv_cpu=%.6f", b - a }'; }

# http_client NS ADDR STACK ROUND WORKLOAD...: the workloads against a
# running server.
http_client() {
  local ns=$1 addr=$2 stack=$3 round=$4 w url conns extra line p0 p1
  shift 4
  for w in "$@"; do
    extra=()
    case $w in
    http-1k) url=http://$addr/1k.bin conns=32 ;;
    https-1k) url=https://$addr/1k.bin conns=32 ;;
    http-10m) url=http://$addr/10m.bin conns=4 ;;
    http-close) url=http://$addr/1k.bin conns=32 extra=(-H "Connection: close") ;;
    https-hs | https-resume)
      stat_cpus >"$SCRATCH/cpu.0"
      p0=$(proc_cpu "$SERVER_PID")
      if line=$(stime_client "$ns" "$addr" "$w"); then
        stat_cpus >"$SCRATCH/cpu.1"
        p1=$(proc_cpu "$SERVER_PID")
        record "$round" "$stack" "$w" "$line $(cpu_fields "$SCRATCH/cpu.0" "$SCRATCH/cpu.1") $(srv_cpu_field "$p0" "$p1")"
      else
        echo "bench: round $round $stack $w: FAILED (see errors.log)"
      fi
      sleep 0.5
      continue
      ;;
    esac
    stat_cpus >"$SCRATCH/cpu.0"
    p0=$(proc_cpu "$SERVER_PID")
    timeout $((${RSECS%.*} + 30)) ip netns exec "$ns" taskset -c "$CLIENT_CPU" \
      wrk -t1 -c"$conns" -d"${RSECS}s" --latency "${extra[@]}" "$url" \
      >"$SCRATCH/wrk.out" 2>>"$DIR/errors.log"
    stat_cpus >"$SCRATCH/cpu.1"
    p1=$(proc_cpu "$SERVER_PID")
    if line=$(wrk_line "$SCRATCH/wrk.out" "$w"); then
      record "$round" "$stack" "$w" "$line $(cpu_fields "$SCRATCH/cpu.0" "$SCRATCH/cpu.1") $(srv_cpu_field "$p0" "$p1")"
    else
      echo "bench: round $round $stack $w: FAILED (see errors.log)"
      { echo "round $round $stack $w failed:"; cat "$SCRATCH/wrk.out"; } >>"$DIR/errors.log"
    fi
    sleep 0.5
  done
}

# run_http_znet ROUND WORKLOAD...
run_http_znet() {
  local httpd=$BUILD/examples/znet-httpd d=$SCRATCH/http
  if [ ! -x "$httpd" ]; then
    echo "bench: no $httpd (built without TLS?): znet-httpd not measured"
    return 1
  fi
  in_ns "$NS_TAP" ip neigh flush dev "$TAP"
  start_server "$NS_TAP" "$SCRATCH/server.out" "serving" "$httpd" \
    --netif "tap:$TAP" --ipv4 "$TAP_STACK/24" --root "$d/www" --port 80 \
    --tls-port 443 --cert "$d/cert.pem" --key "$d/key.pem" \
    --max-conns 256 --log warn || return 1
  http_client "$NS_TAP" "$TAP_STACK" znet-httpd "$@"
  stop_pid "$SERVER_PID"
  cat "$SCRATCH/server.out.err" >>"$DIR/servers.log"
}

# start_nginx: nginx in the veth server's namespace, listening; sets
# SERVER_PID.
start_nginx() {
  local d=$SCRATCH/http i
  offloads on
  ip netns exec "$NS_VS" taskset -c "$SERVER_CPU" nginx -c "$d/nginx/nginx.conf" \
    -p "$d/nginx" >"$SCRATCH/server.out" 2>&1 &
  SERVER_PID=$!
  zn_bg "$SERVER_PID"
  for i in $(seq 1 50); do
    ip netns exec "$NS_VS" ss -ltn 2>/dev/null | grep -q ':443 ' && return 0
    sleep 0.1
  done
  return 1
}

# run_http_nginx ROUND WORKLOAD...
run_http_nginx() {
  local d=$SCRATCH/http
  rm -f "$d/nginx/error.log"
  start_nginx
  http_client "$NS_VC" "$VETH_SERVER" nginx "$@"
  stop_pid "$SERVER_PID"
  cat "$d/nginx/error.log" >>"$DIR/servers.log" 2>/dev/null
}

# Memory per connection (once, after the rounds), recorded as "znb
# mode=mem-conn plain_bytes= tls_bytes=":
#   znet-httpd  what one more connection of --max-conns costs, from the
#               banner's memory line (all taken at start): the stack
#               (two TCP connections, four frame buffers), the server's
#               slot and, over TLS, 1.25 sessions; the difference between
#               --max-conns 1280 and 256, over 1024.
#   nginx       the growth of its resident memory (VmRSS) while
#               bench/hold-conns.py holds HTTP_MEM_CONNS connections open,
#               each past one request, plain and then over TLS, over
#               HTTP_MEM_CONNS.
HTTP_MEM_CONNS=1000

# httpd_mem MAX: znet-httpd's "memory" line's total with --max-conns MAX,
# without TLS and with it, as "PLAIN TLS".
httpd_mem() {
  local max=$1 d=$SCRATCH/http httpd=$BUILD/examples/znet-httpd plain tls
  start_server "$NS_TAP" "$SCRATCH/mem.out" "memory" "$httpd" \
    --netif "tap:$TAP" --ipv4 "$TAP_STACK/24" --root "$d/www" --port 80 \
    --tls-port 443 --cert "$d/cert.pem" --key "$d/key.pem" \
    --max-conns "$max" --log warn || return 1
  stop_pid "$SERVER_PID"
  # "... stack S (...), server V, TLS sessions T"
  read -r plain tls < <(sed -n 's/.*: memory [0-9]* bytes: stack \([0-9]*\) .*server \([0-9]*\), TLS sessions \([0-9]*\).*/\1 \2 \3/p' \
    "$SCRATCH/mem.out" | awk '{ print $1 + $2, $1 + $2 + $3 }')
  [ -n "$tls" ] && echo "$plain $tls"
}

# rss_kb PID: resident memory of PID, KiB.
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# nginx_mem_growth TLS: nginx's RSS growth in bytes per held connection
# (TLS: --tls or "").
nginx_mem_growth() {
  local tls=$1 port=80 before after ready=$SCRATCH/held i
  [ -n "$tls" ] && port=443
  rm -f "$ready"
  before=$(rss_kb "$SERVER_PID")
  # Its standard input held open by a sleep: the holder waits for it.
  sleep 60 | ip netns exec "$NS_VC" taskset -c "$CLIENT_CPU" python3 \
    bench/hold-conns.py $tls "$VETH_SERVER" "$port" /1k.bin "$HTTP_MEM_CONNS" \
    "$ready" 2>>"$DIR/errors.log" &
  local holder=$!
  for i in $(seq 1 300); do
    [ -s "$ready" ] && break
    kill -0 "$holder" 2>/dev/null || break
    sleep 0.1
  done
  if [ ! -s "$ready" ]; then
    pkill -f "hold-conns.py.*$ready"
    wait "$holder" 2>/dev/null
    return 1
  fi
  after=$(rss_kb "$SERVER_PID")
  pkill -f "hold-conns.py.*$ready"
  wait "$holder" 2>/dev/null
  echo $(((after - before) * 1024 / HTTP_MEM_CONNS))
}

run_http_mem() {
  local small big plain="" tls=""
  if [ -x "$BUILD/examples/znet-httpd" ] &&
    small=$(httpd_mem 256) && big=$(httpd_mem 1280); then
    read -r plain tls < <(echo "$small $big" |
      awk '{ printf "%d %d\n", ($3 - $1) / 1024, ($4 - $2) / 1024 }')
    record mem znet-httpd mem-conn "znb mode=mem-conn plain_bytes=$plain tls_bytes=$tls"
  else
    echo "bench: znet-httpd's memory: FAILED"
  fi
  # A fresh nginx for each: memory it freed is not given back.
  plain="" tls=""
  start_nginx && plain=$(nginx_mem_growth "")
  stop_pid "$SERVER_PID"
  start_nginx && tls=$(nginx_mem_growth --tls)
  stop_pid "$SERVER_PID"
  if [ -n "$plain" ] && [ -n "$tls" ]; then
    record mem nginx mem-conn "znb mode=mem-conn plain_bytes=$plain tls_bytes=$tls"
  else
    echo "bench: nginx's memory: FAILED (see errors.log)"
  fi
}

# http_round ROUND: each workload against both servers in turn,
# znet-httpd first in odd rounds.
http_round() {
  local round=$1 w
  for w in "${HTTP_WORKLOADS[@]}"; do
    alternate_pair "$round" run_http_znet run_http_nginx "$w"
  done
}

# run_http: the rounds, each once the machine is quiet.
run_http() {
  http_prepare || { echo "bench: cannot prepare the web server files" >&2; return 1; }
  printf 'meta\tnginx\t%s\n' "$(nginx -v 2>&1 | sed 's/^nginx version: //')" >>"$TSV"
  printf 'meta\twrk\t%s\n' "$(wrk -v 2>&1 | head -1)" >>"$TSV"
  local round
  for round in $(seq 1 "$HTTP_ROUNDS"); do
    wait_quiet "http-$round"
    http_round "$round"
  done
  run_http_mem
}
