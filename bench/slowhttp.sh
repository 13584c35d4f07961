#!/bin/bash
# Slow clients against znet-httpd and nginx, side by side in one run:
# Debian's slowhttptest attacks (tests/e2e/httpd_slow_lib.sh says what
# each does) of CONNS connections opened at RATE a second for SECS s
# each, while curl fetches the same 1 KiB file every half second over
# a new connection; the share of curl's fetches answered 200 within 3 s
# is what counts.
#
#   bench/slowhttp.sh [-b BUILD] [-t SECS] [-c CONNS] [-r RATE] [-o DIR]
#                     [--no-https] [--no-nginx]
#
#   -b BUILD     where znet-httpd is built (default build-slowhttp: set up
#                here, debugoptimized, no sanitizers)
#   -t SECS      each attack (default 60)
#   -c CONNS     connections per attack (default 10000)
#   -r RATE      connections opened per second (default 1000)
#   -o DIR       results (default results/DATE-slowhttp in the build
#                directory; a report to publish goes to
#                bench/results/slowhttp: bench/README.md says how)
#   --no-https   HTTP only
#   --no-nginx   znet-httpd only (another build of it, say)
#
# The servers, each started afresh for each attack:
#   znet-httpd  this tree's, on a TAP device in a namespace, with its
#               defaults (--max-conns, --busy, the timeouts), HTTPS on
#               443 with a certificate made here
#   nginx       Debian's nginx-light on the kernel, in a second
#               namespace across a veth pair (offloads on), with
#               Debian's default configuration (one worker of 768
#               connections, keepalive_timeout 65, the default client
#               timeouts of 60 s) serving the same file, on 80 and 443
# slowhttptest and curl run in the client's namespace (the TAP's for
# znet, the veth's other end for nginx), the servers on CPU 1.  Over
# HTTPS the attack and the witness both speak TLS.
#
# Writes DIR/results.tsv ("server proto attack ok total max_ms held
# made accepted": the witness's fetches answered, made, its slowest
# answered in ms; the most connections slowhttptest held at once, and
# how many it made, from its status reports, every 5 s; how many of
# its connections the server's TCP accepted, nginx's being Linux's, from
# the SYN-ACKs the client's namespace received), DIR/report.md (the
# table, the command, the date, the commit, the machine) and
# DIR/servers.log (znet-httpd's counters after each attack, nginx's
# error log).  Needs root and /dev/net/tun; installs the Debian packages
# it needs (only the missing ones).  All traffic stays in the namespaces
# it creates, deleted on exit.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
. scripts/lib.sh # ensure_packages, namespaces, stopping processes
. tests/e2e/httpd_slow_lib.sh
ROOT=$(pwd)

BUILD=$ROOT/build-slowhttp
SECS=60
CONNS=10000
RATE=1000
OUT=""
HTTPS=1
NGINX=1
ARGS="$*"
while [ $# -gt 0 ]; do
  case $1 in
  -b) BUILD=${2:-}; shift; shift ;;
  -t) SECS=${2:-}; shift; shift ;;
  -c) CONNS=${2:-}; shift; shift ;;
  -r) RATE=${2:-}; shift; shift ;;
  -o) OUT=${2:-}; shift; shift ;;
  --no-https) HTTPS=0; shift ;;
  --no-nginx) NGINX=0; shift ;;
  -h | --help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
  *) echo "slowhttp: bad argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done
for v in "$SECS" "$CONNS" "$RATE"; do
  [[ $v =~ ^[0-9]+$ ]] && [ "$v" -ge 1 ] || { echo "slowhttp: bad number '$v'" >&2; exit 2; }
done
[ "$SECS" -ge 10 ] || { echo "slowhttp: -t must be 10 or more" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "slowhttp: needs root" >&2; exit 1; }

ensure_packages meson ninja-build ragel gcc pkg-config libbearssl-dev \
  iproute2 ethtool openssl curl nginx-light slowhttptest nftables || exit 1

DIR=${OUT:-$BUILD/results/$(date +%Y-%m-%d)-slowhttp}
mkdir -p "$DIR" && DIR=$(cd "$DIR" && pwd)
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/znet-slowhttp.XXXXXX")
TAG=$$
NS_TAP=znstap$TAG
NS_VS=znsvs$TAG
NS_VC=znsvc$TAG
TAP=zntap0
TAP_KERNEL=10.77.0.1
TAP_STACK=10.77.0.2
VETH_CLIENT=10.78.0.1
VETH_SERVER=10.78.0.2
SERVER_CPU=1
SERVER_PID=""

cleanup() {
  zn_stop_all TERM 10
  zn_netns_cleanup
  rm -rf "$SCRATCH"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

in_ns() { zn_in "$@"; }

# ---- build, files, namespaces ----

echo "slowhttp: building znet-httpd into $BUILD ..."
if [ ! -f "$BUILD/meson-private/coredata.dat" ]; then
  meson setup "$BUILD" --buildtype=debugoptimized -Db_sanitize=none \
    -Dtests=false >/dev/null || exit 1
fi
ninja -C "$BUILD" examples/znet-httpd >/dev/null || exit 1
HTTPD=$BUILD/examples/znet-httpd

W=$SCRATCH/www
mkdir -p "$W" "$SCRATCH/nginx"
head -c 1024 /dev/urandom >"$W/1k.bin"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -keyout "$SCRATCH/key.pem" -out "$SCRATCH/cert.pem" -days 30 \
  -subj /CN=bench.test >/dev/null 2>&1 || exit 1
# Debian's /etc/nginx/nginx.conf, its default site reduced to the file,
# and TLS on 443 with the same certificate.
cat >"$SCRATCH/nginx/nginx.conf" <<EOF
worker_processes 1;
daemon off;
master_process off;
pid $SCRATCH/nginx/nginx.pid;
error_log $SCRATCH/nginx/error.log warn;
events { worker_connections 768; }
http {
  sendfile on;
  tcp_nopush on;
  types_hash_max_size 2048;
  types { application/octet-stream bin; }
  default_type application/octet-stream;
  ssl_prefer_server_ciphers on;
  access_log off;
  gzip on;
  client_body_temp_path $SCRATCH/nginx/body;
  proxy_temp_path $SCRATCH/nginx/proxy;
  fastcgi_temp_path $SCRATCH/nginx/fastcgi;
  uwsgi_temp_path $SCRATCH/nginx/uwsgi;
  scgi_temp_path $SCRATCH/nginx/scgi;
  server {
    listen 80 default_server;
    listen 443 ssl default_server;
    ssl_certificate $SCRATCH/cert.pem;
    ssl_certificate_key $SCRATCH/key.pem;
    root $W;
  }
}
EOF

ns_client() {
  zn_netns_add "$1" &&
    in_ns "$1" sysctl -qw net.ipv4.ip_local_port_range="1024 65535"
}
ns_client "$NS_TAP" && ns_client "$NS_VC" && zn_netns_add "$NS_VS" &&
  in_ns "$NS_TAP" ip tuntap add dev "$TAP" mode tap &&
  in_ns "$NS_TAP" ip addr add "$TAP_KERNEL/24" dev "$TAP" &&
  in_ns "$NS_TAP" ip link set "$TAP" up &&
  ip link add znsv0 netns "$NS_VC" type veth peer name znsv1 netns "$NS_VS" &&
  in_ns "$NS_VC" ip addr add "$VETH_CLIENT/24" dev znsv0 &&
  in_ns "$NS_VS" ip addr add "$VETH_SERVER/24" dev znsv1 &&
  in_ns "$NS_VC" ip link set znsv0 up && in_ns "$NS_VS" ip link set znsv1 up ||
  { echo "slowhttp: cannot set up the namespaces" >&2; exit 1; }

# ---- the servers ----

# start_server NS OUT READY CMD...: CMD on the server CPU in NS, waiting
# (at most 10 s) for READY in OUT (or, with READY empty, for port 443 to
# listen); SERVER_PID.
start_server() {
  local ns=$1 out=$2 ready=$3 i
  shift 3
  : >"$out"
  ip netns exec "$ns" taskset -c "$SERVER_CPU" "$@" >"$out" 2>"$out.err" &
  SERVER_PID=$!
  zn_bg "$SERVER_PID"
  for i in $(seq 1 100); do
    if [ -n "$ready" ]; then
      grep -q "$ready" "$out" 2>/dev/null && return 0
    else
      in_ns "$ns" ss -Hltn "sport = :443" 2>/dev/null | grep -q LISTEN && return 0
    fi
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "slowhttp: the server did not start: $*" >&2
  cat "$out.err" >&2
  return 1
}

start_znet() {
  in_ns "$NS_TAP" ip neigh flush dev "$TAP"
  start_server "$NS_TAP" "$SCRATCH/znet.out" serving "$HTTPD" \
    --netif "tap:$TAP" --ipv4 "$TAP_STACK/24" --root "$W" --port 80 \
    --tls-port 443 --cert "$SCRATCH/cert.pem" --key "$SCRATCH/key.pem" \
    --log warn
}

start_nginx() {
  start_server "$NS_VS" "$SCRATCH/nginx.out" "" nginx -c \
    "$SCRATCH/nginx/nginx.conf" -p "$SCRATCH/nginx"
}

stop_server() {
  zn_stop "$SERVER_PID" INT 10
  SERVER_PID=""
}

# ---- the runs ----

TSV=$DIR/results.tsv
printf 'server\tproto\tattack\tok\ttotal\tmax_ms\theld\tmade\taccepted\n' >"$TSV"
: >"$DIR/servers.log"

# one SERVER PROTO MODE: a fresh server, one attack, the witness.
one() {
  local server=$1 proto=$2 mode=$3 ns addr curl=() r
  if [ "$server" = znet-httpd ]; then
    ns=$NS_TAP addr=$TAP_STACK
    start_znet || return 1
  else
    ns=$NS_VC addr=$VETH_SERVER
    start_nginx || return 1
  fi
  [ "$proto" = https ] && curl=(-k)
  local url=$proto://$addr/1k.bin
  r=$(slow_run "$ns" "$mode" "$CONNS" "$RATE" "$SECS" "$url" \
    "$SCRATCH/slow.log" "$url" "${curl[@]}")
  stop_server
  {
    echo "== $server $proto $(slow_mode_name "$mode")"
    if [ "$server" = znet-httpd ]; then
      grep memory "$SCRATCH/znet.out"
      cat "$SCRATCH/znet.out.err"
    else
      tail -5 "$SCRATCH/nginx/error.log" 2>/dev/null
    fi
    tail -8 "$SCRATCH/slow.log"
  } >>"$DIR/servers.log"
  rm -f "$SCRATCH/nginx/error.log"
  read -r ok total max held made accepted <<<"$r"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$server" "$proto" "$(slow_mode_name "$mode")" \
    "${ok:-0}" "${total:-0}" "${max:-0}" "${held:-0}" "${made:-0}" "${accepted:-?}" >>"$TSV"
  echo "slowhttp: $server $proto $(slow_mode_name "$mode"): ${ok:-0}/${total:-0} answered, slowest ${max:-?} ms; the attack made ${made:-0} connections, held ${held:-0} at once; the server accepted ${accepted:-?}"
}

PROTOS=(http)
[ "$HTTPS" = 1 ] && PROTOS+=(https)
for proto in "${PROTOS[@]}"; do
  for m in "${SLOW_MODES[@]}"; do
    one znet-httpd "$proto" "$m"
    [ "$NGINX" = 1 ] && one nginx "$proto" "$m"
  done
done

# ---- the report ----

{
  echo "# Slow clients: znet-httpd and nginx under slowhttptest"
  echo
  echo "    bench/slowhttp.sh $ARGS"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), znet $(git describe --always --dirty 2>/dev/null), $(nginx -v 2>&1 | sed 's/^nginx version: //'),"
  echo "slowhttptest $(dpkg-query -W -f='${Version}' slowhttptest 2>/dev/null), $(nproc) CPUs ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo))."
  echo "$CONNS connections per attack opened at $RATE/s for $SECS s; curl fetches"
  echo "/1k.bin every half second (a new connection each time), a success"
  echo "being a 200 within 3 s."
  echo
  echo "| server | proto | attack | answered | share | slowest (ms) | attack: held at once | made | accepted |"
  echo "|---|---|---|---|---|---|---|---|---|"
  awk -F'\t' 'NR > 1 {
    pct = $5 > 0 ? sprintf("%.1f%%", 100 * $4 / $5) : "-"
    printf "| %s | %s | %s | %d/%d | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, pct, $6, $7, $8, $9
  }' "$TSV"
} >"$DIR/report.md"
echo "slowhttp: wrote $DIR/report.md"
