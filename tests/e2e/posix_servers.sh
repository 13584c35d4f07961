#!/bin/bash
# Unmodified servers from Debian on znet's sockets (znet-run), driven by
# their own clients on Linux across a TAP in a private network namespace.
#
#   posix_servers.sh /path/to/znet-run
#
# redis-server: redis-cli SET/GET/LPUSH/LRANGE read back exact values;
# redis-benchmark with 50 clients (SET, GET, LPUSH) and pipelined (-P 16)
# completes every request, and the keys it wrote are there afterwards.
# nginx (master_process off, daemon off, one worker, sendfile on): a
# 3 MiB file and a 1 KiB one to curl byte for byte, 200 keep-alive
# requests on one connection, and a short wrk run with 50 connections
# without a socket error.  Rates are printed as TAP comments (the
# benchmarks are bench/'s, not these).  Needs root, /dev/net/tun,
# redis-server, redis-tools, nginx, curl, wrk; otherwise skips.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

RUN=${1:-}
[ -n "$RUN" ] && [ -x "$RUN" ] ||
  { echo "usage: $0 /path/to/znet-run" >&2; exit 2; }
RUN=$(cd "$(dirname "$RUN")" && pwd)/$(basename "$RUN")
E2E_RUN=$RUN

need_netns
need_cmd redis-server redis-cli redis-benchmark curl wrk timeout cmp
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || skip_all "needs nginx"
trap e2e_cleanup EXIT
e2e_tmpdir
T=$E2E_TMP
Z=$E2E_ZNET_IP

if ! setup_netns; then
  not_ok "create network namespace with $E2E_TAP"
  finish
  exit 1
fi

# Every server with room for the clients' connections, and the
# counters printed at exit (checked for drops).
ZRUN_FLAGS="--tcp-conns 512 --stats"

rcli() { in_ns_t 20 redis-cli -h "$Z" -p 6379 "$@"; }

# ---- redis ------------------------------------------------------------------

zrun_bg "$T/redis.out" "$T/redis.err" 240 redis-server --port 6379 \
  --save '' --appendonly no --protected-mode no --dir "$T"
if wait_znet_port 6379; then
  check "redis under znet-run: SET" [ "$(rcli set k1 value-one)" = OK ]
  check "redis under znet-run: GET returns the value" \
    [ "$(rcli get k1)" = value-one ]
  rcli del l1 >/dev/null
  for i in 1 2 3; do rcli rpush l1 "item$i" >/dev/null; done
  got=$(rcli lrange l1 0 -1 | tr '\n' ' ')
  check "redis under znet-run: RPUSH/LRANGE in order ('$got')" \
    [ "$got" = "item1 item2 item3 " ]
  big=$(head -c 100000 /dev/urandom | base64 -w0)
  rcli -x set kbig <<<"$big" >/dev/null
  check "redis under znet-run: a 133 KB value reads back exact" \
    [ "$(rcli get kbig)" = "$big" ]
  in_ns_t 120 redis-benchmark -h "$Z" -p 6379 -c 50 -n 20000 \
    -t set,get,lpush -q >"$T/rb.out" 2>&1
  rc=$?
  check "redis-benchmark, 50 clients, SET/GET/LPUSH: exit $rc" [ "$rc" = 0 ]
  tr '\r' '\n' <"$T/rb.out" | grep "requests per second" | sed 's/^/# /'
  in_ns_t 120 redis-benchmark -h "$Z" -p 6379 -c 50 -n 100000 -P 16 \
    -t set,get -q >"$T/rbp.out" 2>&1
  rc=$?
  check "redis-benchmark, 50 clients, pipelined 16: exit $rc" [ "$rc" = 0 ]
  tr '\r' '\n' <"$T/rbp.out" | grep "requests per second" | sed 's/^/# /'
  check "redis under znet-run: the benchmark's key is there" \
    [ "$(rcli exists key:__rand_int__)" = 1 ]
  check "redis under znet-run: its list holds 20000 items" \
    [ "$(rcli llen mylist)" = 20000 ]
  # BGSAVE forks: the child writes the snapshot (its inherited sockets
  # are orphans it never touches) while the parent goes on serving.
  rcli bgsave >/dev/null
  end=$((SECONDS + 60)) # the fork and its write: seconds on a loaded machine
  while [ "$SECONDS" -lt "$end" ]; do
    [ "$(rcli info persistence | tr -d '\r' | grep -c '^rdb_bgsave_in_progress:0')" = 1 ] &&
      [ -s "$T/dump.rdb" ] && break
    sleep 0.1
  done
  check "redis under znet-run: BGSAVE (a fork) wrote the snapshot" [ -s "$T/dump.rdb" ]
  st=$(rcli info persistence | tr -d '\r' | grep '^rdb_last_bgsave_status:')
  check "redis under znet-run: the last save succeeded ($st)" \
    [ "$st" = "rdb_last_bgsave_status:ok" ]
  check "redis under znet-run: serves after the fork" [ "$(rcli get k1)" = value-one ]
else
  not_ok "redis under znet-run listens on $Z:6379"
  diag <"$T/redis.err"
fi
stop_znet 15
check "redis under znet-run: no drop in the stack's counters" \
  grep -q "(drops total) *0$" "$T/redis.err"

# ---- nginx ------------------------------------------------------------------

mkdir -p "$T/ngx/www" "$T/ngx/logs"
head -c $((3 << 20)) /dev/urandom >"$T/ngx/www/big.bin"
head -c 1024 /dev/urandom >"$T/ngx/www/1k.bin"
cat >"$T/ngx/nginx.conf" <<EOF
master_process off;
daemon off;
worker_processes 1;
error_log $T/ngx/logs/error.log notice;
pid $T/ngx/nginx.pid;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  keepalive_requests 100000;
  client_body_temp_path $T/ngx;
  proxy_temp_path $T/ngx;
  fastcgi_temp_path $T/ngx;
  uwsgi_temp_path $T/ngx;
  scgi_temp_path $T/ngx;
  server {
    listen 8080;
    root $T/ngx/www;
  }
}
EOF
zrun_bg "$T/nginx.out" "$T/nginx.err" 240 "$NGINX" -e "$T/ngx/logs/error.log" \
  -c "$T/ngx/nginx.conf"
if wait_znet_port 8080; then
  in_ns_t 60 curl -sS -o "$T/big.back" "http://$Z:8080/big.bin"
  check "nginx under znet-run: 3 MiB to curl, byte for byte" \
    cmp -s "$T/ngx/www/big.bin" "$T/big.back"
  in_ns_t 20 curl -sS -o "$T/1k.back" "http://$Z:8080/1k.bin"
  check "nginx under znet-run: 1 KiB to curl, byte for byte" \
    cmp -s "$T/ngx/www/1k.bin" "$T/1k.back"
  urls=()
  for i in $(seq 1 200); do urls+=(-o /dev/null "http://$Z:8080/1k.bin"); done
  n=$(in_ns_t 60 curl -sS -w '%{http_code} %{num_connects}\n' "${urls[@]}" |
    grep -c '^200 [01]$')
  check "nginx under znet-run: 200/200 requests on one kept-alive connection ($n)" \
    [ "$n" = 200 ]
  in_ns_t 60 wrk -t1 -c50 -d3s --timeout "$E2E_WRK_TIMEOUT" "http://$Z:8080/1k.bin" >"$T/wrk.out" 2>&1
  sed 's/^/# /' <"$T/wrk.out"
  check "wrk, 50 connections, 3 s: requests served, no socket error" \
    bash -c "grep -q 'Requests/sec' '$T/wrk.out' && ! grep -q 'Socket errors' '$T/wrk.out'"
else
  not_ok "nginx under znet-run listens on $Z:8080"
  diag <"$T/nginx.err"
  diag <"$T/ngx/logs/error.log"
fi
stop_znet 15

finish
