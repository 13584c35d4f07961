#!/bin/bash
# Idle connections: what one more idle keep-alive connection costs
# znet-httpd (on a TAP in a network namespace) and nginx (Debian's
# nginx-light, on the kernel across a veth pair), the same files, and
# what holding them does to a few busy connections.
#
#   bench/idle.sh [-o DIR] [-b BUILD] [-n LIST] [-s N] [-w SECONDS]
#
#   -o DIR      where the results go (default results/DATE-idle in the
#               build directory; a report to publish goes to
#               bench/results/FAMILY: bench/README.md says how)
#   -b BUILD    a build with -Dbench=true (default build-idle, configured
#               --buildtype=release -Dbench=true here if missing)
#   -n LIST     cases, comma-separated PROTO:N (default
#               http:100000,https:100000,http:1000000)
#   -s N        servers' baseline size (default 1024 connections)
#   -w SECONDS  each wrk run (default 5)
#   -r          only write DIR/report.md again from DIR/results.tsv
#
# ZNB_ZNET_REV, if set, names the znet source measured in the report
# (default: git describe of this tree).
#
# For each case and server: the server starts sized for N (znet-httpd:
# --max-conns N+1024, its stack's memory block taken at start; nginx:
# enough workers of 19,000 connections each), wrk -t1 -c8 fetches a
# 1 KiB file for -w seconds, then bench/znb-hold opens N connections
# from 62 source addresses, each answered the file once (HTTPS: TLS 1.3,
# a full handshake each), and holds them; meanwhile the same wrk runs
# again (the ratio with/without is the report's; a first wrk run, not
# counted, warms the server up), and the memory is
# read before and while they are held:
#   znet-httpd  the stack's block from its banner, and its growth per
#               connection against the baseline size ((mem(N) -
#               mem(S)) / (N - S)); the process's VmRSS growth per held
#               connection (the block's pages an idle connection
#               touches); over TLS the sessions' block likewise
#   nginx       VmRSS growth of the master and every worker, per held
#               connection; the kernel's: /proc/meminfo's Slab growth
#               and /proc/net/sockstat's TCP "mem" pages, per
#               connection, less the same growth during znet's run (the
#               client's own sockets, the same in both), so what is left
#               is the server's side
# Slab and sockstat are the whole machine's: other work on it adds
# noise (the report gives the raw figures too).  CPU figures (wrk's
# rates, the open rates) depend on what else runs on the machine;
# memory does not.
#
# The sysctls it needs, set for the run and put back at exit: fs.file-max
# (every socket of both ends, 2N and more), fs.nr_open (znb-hold and
# nginx raise RLIMIT_NOFILE; past the hard limit that needs
# CAP_SYS_RESOURCE, and without it znb-hold shares the connections among
# processes and nginx gets more workers), and in the client namespaces
# net.ipv4.ip_local_port_range 1024-65535 (64,512 ports per source
# address).  Needs root, /dev/net/tun, about 10 GiB free for 1,000,000.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
ZN_NAME=idle
. scripts/lib.sh
. bench/http.sh # http_prepare (files, certificate), wrk_line, rss_kb
ROOT=$(pwd)

OUT=""
BUILD=$ROOT/build-idle
CASES=http:100000,https:100000,http:1000000
SMALL=1024
WSECS=5
REPORT_ONLY=0
while [ $# -gt 0 ]; do
  case $1 in
  -o) OUT=${2:-}; shift; shift ;;
  -b) BUILD=${2:-}; shift; shift ;;
  -n) CASES=${2:-}; shift; shift ;;
  -s) SMALL=${2:-}; shift; shift ;;
  -w) WSECS=${2:-}; shift; shift ;;
  -r) REPORT_ONLY=1; shift ;;
  -h | --help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
  *) echo "idle: bad argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done
[[ $SMALL =~ ^[0-9]+$ ]] && [[ $WSECS =~ ^[0-9]+$ ]] || { echo "idle: bad -s or -w" >&2; exit 2; }
for c in ${CASES//,/ }; do
  [[ $c =~ ^https?:[0-9]+$ ]] || { echo "idle: bad case '$c' (PROTO:N)" >&2; exit 2; }
done
TAG=$$r$RANDOM
NS_TAP=znidt$TAG
NS_VS=znidvs$TAG
NS_VC=znidvc$TAG
TAP=zntap0
TAP_KERNEL=10.77.0.1
TAP_STACK=10.77.0.2
VETH_CLIENT=10.78.0.1
VETH_SERVER=10.78.0.2
# 62 source addresses each side (.65 to .126): 1,000,000 connections
# are 16,130 ports of each.
SRC_TAP=10.77.0.64/26
SRC_VETH=10.78.0.64/26
SERVER_CPU=1
CLIENT_CPU=0
BUSY=256

# ---- at exit: the processes, the namespaces, the sysctls put back ----
cleanup() {
  exec 7>&- 2>/dev/null
  zn_stop_all TERM 10
  zn_netns_cleanup
  zn_sysctl_restore
}
trap cleanup EXIT

# addrs NS DEV BLOCK: every host address of a /26 on DEV.
addrs() {
  local ns=$1 dev=$2 base=${3%.*/*} first=${3##*.} i
  first=${first%/*}
  for i in $(seq $((first + 1)) $((first + 62))); do
    zn_in "$ns" ip addr add "$base.$i/24" dev "$dev" || return 1
  done
}

setup() {
  local ns
  for ns in "$NS_TAP" "$NS_VS" "$NS_VC"; do
    zn_netns_add "$ns" &&
      zn_in "$ns" sysctl -qw net.ipv4.ip_local_port_range="1024 65535" &&
      zn_in "$ns" sysctl -qw net.core.somaxconn=4096 || return 1
  done
  zn_in "$NS_TAP" ip tuntap add dev "$TAP" mode tap &&
    zn_in "$NS_TAP" ip addr add "$TAP_KERNEL/24" dev "$TAP" &&
    addrs "$NS_TAP" "$TAP" "$SRC_TAP" &&
    zn_in "$NS_TAP" ip link set dev "$TAP" txqueuelen 10000 &&
    zn_in "$NS_TAP" ip link set "$TAP" up || return 1
  ip link add znidv0 netns "$NS_VC" type veth peer name znidv1 netns "$NS_VS" &&
    zn_in "$NS_VC" ip addr add "$VETH_CLIENT/24" dev znidv0 &&
    zn_in "$NS_VS" ip addr add "$VETH_SERVER/24" dev znidv1 &&
    addrs "$NS_VC" znidv0 "$SRC_VETH" &&
    zn_in "$NS_VC" ip link set znidv0 up && zn_in "$NS_VS" ip link set znidv1 up
}

# ---- memory ----

# slab_kb: the kernel's slab memory, KiB (the whole machine).
slab_kb() { awk '/^Slab:/ { print $2 }' /proc/meminfo; }
# sock_pages NS: TCP's "mem" of /proc/net/sockstat, pages (the kernel's
# count is the machine's, read through any namespace).
sock_pages() { zn_in "$1" awk '$1 == "TCP:" { for (i = 2; i < NF; i++) if ($i == "mem") print $(i + 1) }' /proc/net/sockstat; }
# tree_rss_kb PID: VmRSS of PID and its children, KiB.
tree_rss_kb() {
  local p sum
  sum=$(rss_kb "$1")
  for p in $(pgrep -P "$1"); do
    sum=$((sum + $(rss_kb "$p")))
  done
  echo "$sum"
}
# snapshot PID NS: "rss_kb slab_kb sock_pages".
snapshot() {
  echo "$(tree_rss_kb "$1") $(slab_kb) $(sock_pages "$2")"
}

# ---- the servers ----

SERVER_PID=""
# httpd_start PROTO MAXCONNS: znet-httpd sized for MAXCONNS, with its
# own default pool (a buffer for four connections and four per request
# context: TCP offers every connection a segment's window at least); its
# memory line in $SCRATCH/httpd.out.  (Before f315209's successor, TCP
# offered no window below a segment's share of the pool, and the bench
# gave two buffers per connection.)
httpd_start() {
  local proto=$1 max=$2 d=$SCRATCH/http i extra=()
  [ "$proto" = https ] &&
    extra=(--tls-port 443 --cert "$d/cert.pem" --key "$d/key.pem" --tls-sessions "$max")
  : >"$SCRATCH/httpd.out"
  ip netns exec "$NS_TAP" taskset -c "$SERVER_CPU" "$HTTPD" --netif "tap:$TAP" \
    --ipv4 "$TAP_STACK/24" --root "$d/www" --port 80 --max-conns "$max" \
    --busy "$BUSY" --idle-timeout 3600000 \
    --log warn "${extra[@]}" >"$SCRATCH/httpd.out" 2>"$SCRATCH/httpd.err" &
  SERVER_PID=$!
  zn_bg "$SERVER_PID"
  for i in $(seq 1 600); do
    grep -q ": memory " "$SCRATCH/httpd.out" && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "idle: znet-httpd did not start" >&2
  cat "$SCRATCH/httpd.err" >&2
  return 1
}

# httpd_mem: "TOTAL STACK SERVER TLS" from the memory line.
httpd_mem() {
  sed -n 's/.*: memory \([0-9]*\) bytes: stack \([0-9]*\) .*server \([0-9]*\), TLS sessions \([0-9]*\).*/\1 \2 \3 \4/p' \
    "$SCRATCH/httpd.out"
}

# nginx_start N: nginx with workers enough for N connections, each
# worker below the hard RLIMIT_NOFILE (19,000 each here).
nginx_start() {
  local n=$1 d=$SCRATCH/http hard workers i
  hard=$(ulimit -Hn)
  [ "$hard" = unlimited ] && hard=1048576
  local per=$((hard - 1000))
  [ "$per" -gt 1000000 ] && per=1000000
  workers=$(((n + 1000 + per * 9 / 10 - 1) / (per * 9 / 10)))
  # http.sh's configuration (the same files, certificate and TLS
  # settings), with workers, descriptors and keep-alive for the idle.
  sed -e "s/^worker_processes 1;/worker_processes $workers;\nworker_rlimit_nofile $hard;/" \
    -e '/^master_process off;/d' \
    -e "s|^pid .*|pid $d/nginx/idle.pid;|" \
    -e "s|^error_log .*|error_log $d/nginx/idle-error.log warn;|" \
    -e "s/worker_connections [0-9]*;/worker_connections $per;/" \
    -e "s/keepalive_timeout [0-9]*;/keepalive_timeout 3600s;/" \
    -e "s/ reuseport;/ reuseport backlog=4096;/" \
    "$d/nginx/nginx.conf" >"$SCRATCH/nginx.conf"
  if ! grep -q "worker_rlimit_nofile" "$SCRATCH/nginx.conf" ||
    ! grep -q "keepalive_timeout 3600s" "$SCRATCH/nginx.conf" ||
    [ "$(grep -c 'backlog=4096' "$SCRATCH/nginx.conf")" != 2 ]; then
    echo "idle: http.sh's nginx configuration changed: see nginx_start" >&2
    return 1
  fi
  echo "$workers" >"$SCRATCH/nginx.workers"
  ip netns exec "$NS_VS" taskset -c "$SERVER_CPU" nginx -c "$SCRATCH/nginx.conf" \
    -p "$d/nginx" >"$SCRATCH/nginx.out" 2>&1 &
  SERVER_PID=$!
  zn_bg "$SERVER_PID"
  for i in $(seq 1 100); do
    [ "$(pgrep -P "$SERVER_PID" | wc -l)" -ge "$workers" ] &&
      zn_in "$NS_VS" ss -ltn 2>/dev/null | grep -q ':443 ' && return 0
    sleep 0.1
  done
  echo "idle: nginx did not start" >&2
  cat "$SCRATCH/nginx.out" "$d/nginx/idle-error.log" >&2 2>/dev/null
  return 1
}

# ---- the client ----

# busy_rps NS URL TAG: wrk -t1 -c8 for WSECS s; "RPS ERRORS" (socket
# errors and answers other than 2xx or 3xx); wrk's output kept as
# DIR/wrk-TAG.txt.
busy_rps() {
  timeout $((WSECS + 30)) ip netns exec "$1" taskset -c "$CLIENT_CPU" \
    wrk -t1 -c8 -d"${WSECS}s" "$2" >"$DIR/wrk-$3.txt" 2>>"$DIR/errors.log"
  wrk_line "$DIR/wrk-$3.txt" busy | sed -n 's/.* rps=\([0-9]*\).* errors=\([0-9]*\).*/\1 \2/p'
}

HOLD_PID=""
HELD=0
# hold_start NS ADDR PORT N SRC TLS: znb-hold in the background, its
# standard input a FIFO held open on descriptor 7; waits for "held N"
# and sets HELD.
hold_start() {
  local ns=$1 addr=$2 port=$3 n=$4 src=$5 tls=$6 i t
  # Opening: at least 1,000 connections a second in the clear, 40 with
  # a TLS handshake each (both ends' public-key work on a busy machine).
  t=$((n / 1000 + 300))
  [ -n "$tls" ] && t=$((n / 40 + 300))
  rm -f "$SCRATCH/ready" "$SCRATCH/ctl"
  mkfifo "$SCRATCH/ctl"
  # shellcheck disable=SC2086 # $tls: "--tls --ca FILE" or nothing (words)
  ip netns exec "$ns" taskset -c "$CLIENT_CPU" "$HOLD" "$addr" "$port" /1k.bin "$n" \
    --src "$src" --ready "$SCRATCH/ready" --hold 7200 --timeout "$t" \
    $tls <"$SCRATCH/ctl" >"$SCRATCH/hold.out" 2>"$SCRATCH/hold.err" &
  HOLD_PID=$!
  zn_bg "$HOLD_PID"
  exec 7>"$SCRATCH/ctl"
  for i in $(seq 1 $((t * 10 + 600))); do
    [ -s "$SCRATCH/ready" ] && break
    kill -0 "$HOLD_PID" 2>/dev/null || break
    sleep 0.1
  done
  HELD=$(awk '{ print $2 }' "$SCRATCH/ready" 2>/dev/null)
}

# hold_end: close the FIFO (and SIGTERM, which also ends the hold), wait
# for znb-hold; its result line.
hold_end() {
  exec 7>&-
  zn_stop "$HOLD_PID" TERM 600
  cat "$SCRATCH/hold.err" >>"$DIR/errors.log"
  grep '^znb mode=hold' "$SCRATCH/hold.out" | sed 's/^znb //'
}

# ---- one case ----

# run_case STACK PROTO N: one server, its figures as one line of RAW.
run_case() {
  local stack=$1 proto=$2 n=$3 ns addr src port=80 tls="" url before after held
  local rps0 rps1 err0 err1 line small="" big=""
  [ "$proto" = https ] && port=443 tls="--tls --ca $SCRATCH/http/cert.pem"
  if [ "$stack" = znet ]; then
    ns=$NS_TAP addr=$TAP_STACK src=$SRC_TAP
    httpd_start "$proto" "$SMALL" || return 1
    small=$(httpd_mem)
    zn_stop "$SERVER_PID" INT 30
    httpd_start "$proto" $((n + SMALL)) || return 1
    big=$(httpd_mem)
    zn_in "$NS_TAP" ip neigh flush dev "$TAP"
  else
    ns=$NS_VC addr=$VETH_SERVER src=$SRC_VETH
    nginx_start "$n" || return 1
  fi
  url=$proto://$addr/1k.bin
  echo "idle: $stack $proto $n: wrk without the idle connections ..."
  # Once first, not counted: the first requests touch the server's
  # memory for the first time (znet's frame pool is reserved, not yet
  # written), which the run beside the idle connections would not pay.
  busy_rps "$ns" "$url" "$stack-$proto-$n-warmup" >/dev/null
  read -r rps0 err0 < <(busy_rps "$ns" "$url" "$stack-$proto-$n-without")
  sleep 1
  before=$(snapshot "$SERVER_PID" "$ns")
  echo "idle: $stack $proto $n: opening $n connections ..."
  hold_start "$ns" "$addr" "$port" "$n" "$src" "$tls"
  held=$HELD
  sleep 2
  after=$(snapshot "$SERVER_PID" "$ns")
  echo "idle: $stack $proto $n: held ${held:-0}; wrk beside them ..."
  read -r rps1 err1 < <(busy_rps "$ns" "$url" "$stack-$proto-$n-with")
  line=$(hold_end)
  echo "idle: $stack $proto $n: ${line:-no result from znb-hold}"
  zn_stop "$SERVER_PID" INT 60
  [ "$stack" = znet ] && grep "^  http\.\|^  tls\.\|still in use" "$SCRATCH/httpd.err" >>"$DIR/servers.log"
  read -r rss0 slab0 sock0 <<<"$before"
  read -r rss1 slab1 sock1 <<<"$after"
  printf '%s\t%s\t%s\theld=%s rps0=%s rps1=%s err0=%s err1=%s rss0_kb=%s rss1_kb=%s slab0_kb=%s slab1_kb=%s sock0_pages=%s sock1_pages=%s mem_small=%s mem_big=%s workers=%s %s\n' \
    "$stack" "$proto" "$n" "${held:-0}" "${rps0:-0}" "${rps1:-0}" "${err0:-0}" "${err1:-0}" "$rss0" "$rss1" \
    "$slab0" "$slab1" "$sock0" "$sock1" "${small// /,}" "${big// /,}" \
    "$([ "$stack" = nginx ] && cat "$SCRATCH/nginx.workers" || echo 0)" "$line" >>"$RAW"
}

# ---- the report ----

# report_tables (awk on results.tsv): the three tables of the report.
REPORT_AWK='
  function kv(s, k,   a, i, n) {
    n = split(s, a, " ")
    for (i = 1; i <= n; i++) if (index(a[i], k "=") == 1) return substr(a[i], length(k) + 2)
    return ""
  }
  function mb(kb) { return sprintf("%.0f", kb / 1024) }
  function err(e) { return e + 0 > 0 ? " (" e " errors)" : "" }
  {
    key = $2 " " $3
    if (!(key in seen)) { seen[key] = 1; order[++nk] = key }
    h = kv($4, "held") + 0; held[$1, key] = h; if (h == 0) h = 1
    r0 = kv($4, "rss0_kb"); r1 = kv($4, "rss1_kb")
    rss[$1, key] = mb(r0) " / " mb(r1)
    drss[$1, key] = (r1 - r0) * 1024 / h
    slab[$1, key] = (kv($4, "slab1_kb") - kv($4, "slab0_kb")) * 1024 / h
    sock[$1, key] = (kv($4, "sock1_pages") - kv($4, "sock0_pages")) * 4096 / h
    rps0[$1, key] = kv($4, "rps0") err(kv($4, "err0"))
    rps1[$1, key] = kv($4, "rps1") err(kv($4, "err1"))
    workers[$1, key] = kv($4, "workers"); procs[$1, key] = kv($4, "procs")
    if ($1 == "znet") {
      split(kv($4, "mem_small"), sm, ","); split(kv($4, "mem_big"), bg, ",")
      stk[key] = (bg[2] - sm[2]) / $3; srv[key] = (bg[3] - sm[3]) / $3
      tls[key] = (bg[4] - sm[4]) / $3; blk[key] = bg[1] / 1e6
    }
  }
  END {
    print "## Bytes per idle connection\n"
    print text
    print "| case | znet stack | znet server | znet TLS | znet block at N, MB | znet-httpd RSS before / held, MB | znet-httpd RSS growth | nginx RSS before / held, MB | nginx RSS growth | kernel slab, nginx'"'"'s side | kernel sockstat mem, nginx'"'"'s side | nginx + kernel | client'"'"'s kernel slab (znet run) |"
    print "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    for (i = 1; i <= nk; i++) {
      k = order[i]
      ks = slab["nginx", k] - slab["znet", k]; kk = sock["nginx", k] - sock["znet", k]
      printf "| %s | %.0f | %.0f | %.0f | %.0f | %s | %.0f | %s | %.0f | %.0f | %.0f | %.0f | %.0f |\n",
        k, stk[k], srv[k], tls[k], blk[k], rss["znet", k], drss["znet", k],
        rss["nginx", k], drss["nginx", k], ks, kk, drss["nginx", k] + ks + kk, slab["znet", k]
    }
    print "\n## Busy connections beside the idle ones\n"
    print "wrk -t1 -c8 for " wsecs " s, a 1 KiB file (HTTPS: over 8 TLS connections),"
    print "requests/s without and with the idle connections held:\n"
    print "| case | znet without | znet with | znet with/without | nginx without | nginx with | nginx with/without |"
    print "|---|---:|---:|---:|---:|---:|---:|"
    for (i = 1; i <= nk; i++) {
      k = order[i]
      zr = (rps0["znet", k] + 0 > 0) ? (rps1["znet", k] + 0) / (rps0["znet", k] + 0) : 0
      nr = (rps0["nginx", k] + 0 > 0) ? (rps1["nginx", k] + 0) / (rps0["nginx", k] + 0) : 0
      printf "| %s | %s | %s | %.2f | %s | %s | %.2f |\n", k, rps0["znet", k],
        rps1["znet", k], zr, rps0["nginx", k], rps1["nginx", k], nr
    }
    print "\n## Held\n"
    print "| case | znet held | nginx held | nginx workers | znb-hold processes |"
    print "|---|---:|---:|---:|---:|"
    for (i = 1; i <= nk; i++) {
      k = order[i]
      printf "| %s | %s | %s | %s | %s |\n", k, held["znet", k], held["nginx", k],
        workers["nginx", k], procs["znet", k]
    }
  }'

# report: DIR/report.md from DIR/results.tsv, DIR/meta.txt and, if
# there, DIR/notes.md (what was found, written by hand).
report() {
  local md=$DIR/report.md text
  text="Each connection answered one request (a 1 KiB file), then was held idle.
znet-httpd takes all its memory at start: its cost per connection is the
growth of its blocks with --max-conns (stack: TCP slots of 1 1/8,
TIME_WAIT records of 1 1/8 and frame buffers of 1/8 per connection, as
znet-httpd sizes them by default;
server: the slot; TLS: a session each and its share of the record
buffers), and its
RSS hardly moves while they are held.  nginx's is the growth of its
processes' RSS plus the kernel's on its side: the growth during nginx's
run less the growth during znet's, where only the client's sockets are
the kernel's.  Bytes per connection unless said otherwise.
"
  {
    echo "# Idle connections: znet-httpd and nginx"
    echo
    cat "$DIR/meta.txt"
    echo
    echo "CPU figures (requests/s, connections opened per second) depend on what"
    echo "else the machine ran (notes.md, where there is one, says); memory figures"
    echo "do not, but the kernel's slab is the whole machine's (other work's"
    echo "dentries and inodes come and go in it too)."
    echo
    awk -F'\t' -v text="$text" -v wsecs="$WSECS" "$REPORT_AWK" "$RAW"
    echo
    [ -f "$DIR/notes.md" ] && cat "$DIR/notes.md" && echo
    echo "Raw figures: results.tsv, one line per server and case: held, rps0/rps1 (wrk"
    echo "without, with; err0/err1 its socket errors and answers not 2xx/3xx; wrk's"
    echo "output in wrk-*.txt where kept), VmRSS (all of nginx's processes), Slab and sockstat's TCP mem"
    echo "before and while held, znet-httpd's memory line at the baseline size (-s) and"
    echo "at N (TOTAL,STACK,SERVER,TLS bytes), nginx's workers, znb-hold's result line."
  } >"$md"
  echo "idle: $md"
}

# ---- main ----

if [ "$REPORT_ONLY" = 1 ]; then
  DIR=${OUT:-$BUILD/results/$(date +%Y-%m-%d)-idle}
  RAW=$DIR/results.tsv
  [ -f "$RAW" ] && [ -f "$DIR/meta.txt" ] || { echo "idle: no $RAW or meta.txt" >&2; exit 1; }
  report
  exit 0
fi
if [ "$(id -u)" != 0 ] || [ ! -c /dev/net/tun ]; then
  echo "idle: needs root and /dev/net/tun" >&2
  exit 1
fi
ensure_packages meson ninja-build libbearssl-dev openssl wrk nginx-light iproute2 ||
  exit 1

if [ ! -f "$BUILD/build.ninja" ]; then
  nice -n 10 meson setup "$BUILD" --buildtype=release -Dbench=true >/dev/null || exit 1
fi
nice -n 10 ninja -C "$BUILD" examples/znet-httpd bench/znb-hold >/dev/null ||
  { echo "idle: the build failed (ninja -C $BUILD)" >&2; exit 1; }
HTTPD=$BUILD/examples/znet-httpd
HOLD=$BUILD/bench/znb-hold

DIR=${OUT:-$BUILD/results/$(date +%Y-%m-%d)-idle}
mkdir -p "$DIR" && DIR=$(cd "$DIR" && pwd)
RAW=$DIR/results.tsv
: >"$RAW"
: >"$DIR/errors.log"
SCRATCH=$BUILD/idle-run
rm -rf "$SCRATCH" && mkdir -p "$SCRATCH"


{
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), znet ${ZNB_ZNET_REV:-$(git describe --always --dirty 2>/dev/null)}" \
    "(release build), $(nproc) CPUs, $(free -g | awk '/^Mem:/ { print $2 }') GiB," \
    "Linux $(uname -r), $(nginx -v 2>&1 | sed 's/^nginx version: //'), wrk $(wrk -v 2>&1 |
      awk 'NR == 1 { print $2 }'); bench/idle.sh -n $CASES (its header says what each figure is);" \
    "server on CPU $SERVER_CPU, client on CPU $CLIENT_CPU (taskset)."
} >"$DIR/meta.txt"
setup || { echo "idle: cannot create the namespaces" >&2; exit 1; }
MAXN=0
for c in ${CASES//,/ }; do [ "${c#*:}" -gt "$MAXN" ] && MAXN=${c#*:}; done
zn_sysctl_set fs.file-max $((3 * MAXN + 1000000)) || exit 1
zn_sysctl_set fs.nr_open $((MAXN + 1048576)) || exit 1
http_prepare || { echo "idle: cannot prepare the files" >&2; exit 1; }
for c in ${CASES//,/ }; do
  proto=${c%%:*} n=${c#*:}
  free=$(awk '/^MemAvailable:/ { print int($2 / 1024) }' /proc/meminfo)
  echo "idle: $proto $n ($free MiB available)"
  run_case znet "$proto" "$n" || echo "idle: znet $proto $n FAILED"
  run_case nginx "$proto" "$n" || echo "idle: nginx $proto $n FAILED"
done
report
