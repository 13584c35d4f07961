#!/bin/bash
# Beyond C: the Python, C++ and Rust images of scripts/images beside the
# same programs as Linux processes, in one run.
#
#   bench/langs.sh [-o DIR] [-n BOOTS] [-r ROUNDS] [-t SECONDS] [--report]
#
#   -o DIR      where the results go (default results/DATE-langs in
#               build-images; a report to publish goes to
#               bench/results/langs: bench/README.md says how)
#   -n BOOTS    boots of each program each way (default 20)
#   -r ROUNDS   rounds of the rates, the variants alternating (default 3)
#   -t SECONDS  each wrk run (default 10)
#   --report    only write DIR/report.md again from DIR/results.tsv
#
# The programs (scripts/images --build-only python zeromq rust makes
# what is missing):
#   python   CPython 3.11 from Debian's source, the book's WSGI
#            application (examples/book/app.py, wsgiref, one thread) as
#            the image python-book.spt with its root archive; on Linux,
#            Debian's own /usr/bin/python3.11 (3.11.2, the same source)
#            running the same file: the image's interpreter cannot run
#            as a Linux process with its modules, which only an image's
#            dlopen loads.
#   zeromq   libzmq 4.3.4's local_lat (C++, a REP socket) and local_thr
#            (a PULL socket) built by znet-c++, as images and as the
#            same binaries run as Linux processes (musl over the
#            kernel's system calls).
#   rust     tests/rt/progs/rust (hyper 0.14 on tokio 1.24's
#            multi-threaded runtime, Debian's crates and rustc 1.63),
#            as an image and as the same binary run as a Linux process.
#
# Measured, servers on CPU 0 and clients on CPU 1:
#   size     each image unstripped and stripped (strip -s), the root
#            archive;
#   boot     BOOTS boots each way, alternating, each timed by
#            bench/znb-boot.c from just before it forks the server to
#            its first answer (python, rust: HTTP 200 to GET /; zeromq:
#            the peer's ZMTP greeting), new connection attempts every
#            200 us meanwhile; the image on a TAP with a fixed MAC and a
#            static neighbour entry, the process in a namespace behind a
#            veth pair;
#   rates    ROUNDS rounds, image then process and the other way round
#            in turn: wrk -t1 -c4 for SECONDS of GET / (wsgiref answers
#            HTTP/1.0 and closes: every request is a connection); the
#            same of rust's GET / (hyper keeps the 4 connections);
#            remote_lat 20,000 round trips of 100 bytes (round trips
#            per second: 10^6 / its mean latency in us); remote_thr
#            1,000,000 messages of 100 bytes, local_thr's rate.
#
# Root, /dev/net/tun, wrk, curl; traffic stays in the namespaces made
# here (zlang*), deleted at the end.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
. scripts/lib.sh

OUT="" BOOTS=20 ROUNDS=3 SECS=10 report_only=false
while [ $# -gt 0 ]; do
  case $1 in
  -o) OUT=$2; shift; shift ;;
  -n) BOOTS=$2; shift; shift ;;
  -r) ROUNDS=$2; shift; shift ;;
  -t) SECS=$2; shift; shift ;;
  --report) report_only=true; shift ;;
  -h | --help) sed -n '2,51p' "$0"; exit 0 ;;
  *) echo "usage: $0 [-o DIR] [-n BOOTS] [-r ROUNDS] [-t SECONDS] [--report]" >&2; exit 2 ;;
  esac
done
B=$ROOT/build-images
OUT=${OUT:-$B/results/$(date +%Y%m%d-%H%M%S)-langs}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
TSV=$OUT/results.tsv
if $report_only; then
  exec /usr/bin/python3 bench/langs-report.py "$OUT"
fi
# Everything but the results and the report: a scratch folder, whose
# errors.log and servers.log are kept in DIR when something failed.
SCR=$(mktemp -d "${TMPDIR:-/tmp}/znet-langs.XXXXXX")

NS_TAP=zlang-tap NS_VS=zlang-vs NS_VC=zlang-vc TAP=tap0
TAP_KERNEL=10.81.0.1 TAP_IMAGE=10.81.0.2 MAC=02:00:00:81:00:02
VETH_CLIENT=10.82.0.1 VETH_SERVER=10.82.0.2
SERVER_CPU=0 CLIENT_CPU=1

say() { echo "langs: $*"; }
record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$TSV"; }

cleanup() {
  pkill -f "solo5-spt --net:service=$TAP" 2>/dev/null
  for ns in "$NS_TAP" "$NS_VS" "$NS_VC"; do ip netns del "$ns" 2>/dev/null; done
  return 0
}

finish() {
  cleanup
  if [ -s "$SCR/errors.log" ]; then
    cp "$SCR/errors.log" "$OUT/errors.log"
    cp "$SCR/servers.log" "$OUT/servers.log" 2>/dev/null
  fi
  rm -rf "$SCR"
}
trap finish EXIT

# ---- the programs --------------------------------------------------------------

langs_build() {
  local f missing=false
  RBIN=$B/pkgs/rust/target/x86_64-unknown-linux-gnu/release/services
  for f in img/python-book.spt img/python-book.spt.tar img/zmq-lat.spt img/zmq-thr.spt \
    pkgs/zeromq3/build/bin/local_lat pkgs/zeromq3/build/bin/remote_lat \
    pkgs/zeromq3/build/bin/local_thr pkgs/zeromq3/build/bin/remote_thr \
    img/rust.spt "${RBIN#"$B"/}"; do
    [ -e "$B/$f" ] || missing=true
  done
  if $missing; then
    say "building the images (scripts/images --build-only python zeromq rust) ..."
    bash scripts/images --build-only python zeromq rust >"$SCR/images-build.log" 2>&1 ||
      { say "scripts/images failed (images-build.log)"; return 1; }
  fi
  SPT=$(ls -d "$B"/solo5/solo5-*/tenders/spt/solo5-spt | tail -1)
  ZBIN=$B/pkgs/zeromq3/build/bin
  [ -x "$SPT" ] && [ -x /usr/bin/python3.11 ] && command -v wrk >/dev/null ||
    { say "needs solo5-spt (scripts/images), /usr/bin/python3.11 and wrk"; return 1; }
  gcc -O2 -Wall -o "$SCR/znb-boot" bench/znb-boot.c || return 1
  tar cf "$SCR/empty.tar" -T /dev/null
}

langs_net() {
  cleanup
  ip netns add "$NS_TAP" && ip netns add "$NS_VS" && ip netns add "$NS_VC" || return 1
  zn_in "$NS_TAP" ip link set lo up
  zn_in "$NS_TAP" ip tuntap add dev "$TAP" mode tap
  zn_in "$NS_TAP" ip addr add "$TAP_KERNEL/24" dev "$TAP"
  zn_in "$NS_TAP" ip link set "$TAP" up
  zn_in "$NS_TAP" ip neigh replace "$TAP_IMAGE" lladdr "$MAC" dev "$TAP" nud permanent
  zn_in "$NS_TAP" ethtool -K "$TAP" tx off sg off tso off >/dev/null 2>&1
  ip link add zlang-c netns "$NS_VC" type veth peer name zlang-s netns "$NS_VS" || return 1
  zn_in "$NS_VC" ip addr add "$VETH_CLIENT/24" dev zlang-c
  zn_in "$NS_VS" ip addr add "$VETH_SERVER/24" dev zlang-s
  zn_in "$NS_VC" ip link set lo up
  zn_in "$NS_VS" ip link set lo up
  zn_in "$NS_VC" ip link set zlang-c up
  zn_in "$NS_VS" ip link set zlang-s up
  # The clients' namespaces: wsgiref answers HTTP/1.0, so wrk opens a
  # connection a request and holds TIME_WAIT for each; without reuse
  # its ports run out within seconds and connect() slows to a crawl
  # (measured against Debian's python3.11: 4,966, 2,326, 515 and 237
  # requests/s in four 2 s runs; with reuse, 4,700 to 6,900 all along).
  for ns in "$NS_TAP" "$NS_VC"; do
    zn_in "$ns" sysctl -qw net.ipv4.tcp_tw_reuse=1 "net.ipv4.ip_local_port_range=1024 65535"
  done
}

# cmd PROG WAY: the server's command line (into CMD), where it runs (NS),
# its address (ADDR) and the namespace of its clients (CNS).
cmd() {
  local prog=$1 way=$2
  case $way in
  spt) NS=$NS_TAP CNS=$NS_TAP ADDR=$TAP_IMAGE
    CMD=("$SPT" "--net:service=$TAP" "--net-mac:service=$MAC" --mem=256) ;;
  linux) NS=$NS_VS CNS=$NS_VC ADDR=$VETH_SERVER CMD=() ;;
  esac
  case $prog:$way in
  python:spt) CMD+=("--block:rootfs=$B/img/python-book.spt.tar" "$B/img/python-book.spt"
    "--ipv4=$TAP_IMAGE/24") ;;
  python:linux) CMD=(/usr/bin/python3.11 "$ROOT/examples/book/app.py" 8080) ;;
  zmq-lat:spt | zmq-thr:spt) CMD+=("--block:rootfs=$SCR/empty.tar" "$B/img/$prog.spt"
    "--ipv4=$TAP_IMAGE/24" --) ;;
  zmq-lat:linux) CMD=("$ZBIN/local_lat") ;;
  rust:spt) CMD+=("--block:rootfs=$SCR/empty.tar" "$B/img/rust.spt" "--ipv4=$TAP_IMAGE/24") ;;
  rust:linux) CMD=("$RBIN") ;;
  zmq-thr:linux) CMD=("$ZBIN/local_thr") ;;
  esac
}

# ---- boot ---------------------------------------------------------------------------

boot_one() {
  local prog=$1 way=$2 k=$3 port proto line
  cmd "$prog" "$way"
  case $prog in
  python | rust) port=8080 proto=http ;;
  zmq-lat) port=5555 proto=zmtp CMD+=("tcp://$ADDR:5555" 100 1000000) ;;
  esac
  line=$(ip netns exec "$NS" taskset -c "$CLIENT_CPU" "$SCR/znb-boot" --addr "$ADDR" \
    --port "$port" --proto "$proto" --cpu "$SERVER_CPU" --timeout-ms 20000 \
    --log "$SCR/boot.log" -- "${CMD[@]}" 2>>"$SCR/errors.log")
  if [[ $line == *answer_us=[0-9]* ]]; then
    record "boot-$k" "$way" "boot-$prog" "$line"
  else
    say "boot $k of $prog ($way) failed: $line"
    { echo "boot $k of $prog ($way): $line"; cat "$SCR/boot.log"; } >>"$SCR/errors.log"
  fi
  sleep 0.3
}

# ---- rates --------------------------------------------------------------------------

# start PROG WAY ARGS...: the server in the background, until it listens.
start() {
  local prog=$1 way=$2 i
  shift 2
  cmd "$prog" "$way"
  echo "== $prog $way" >>"$SCR/servers.log"
  ip netns exec "$NS" taskset -c "$SERVER_CPU" "${CMD[@]}" "$@" >"$SCR/server.out" 2>&1 &
  PID=$!
  for i in $(seq 1 200); do
    case $prog:$way in
    python:* | rust:*) ip netns exec "$CNS" curl -sf -m 1 -o /dev/null "http://$ADDR:8080/" && return 0 ;;
    *:spt) grep -q "^znet-rt: $TAP_IMAGE/" "$SCR/server.out" && { sleep 0.5; return 0; } ;;
    *:linux) sleep 0.5; return 0 ;;
    esac
    kill -0 "$PID" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

stop() {
  kill "$PID" 2>/dev/null
  wait "$PID" 2>/dev/null
  tail -50 "$SCR/server.out" >>"$SCR/servers.log" 2>/dev/null
  sleep 0.3
}

# rate_http PROG WAY ROUND: wrk's requests per second of GET /.
rate_http() {
  local prog=$1 way=$2 round=$3 out=$SCR/wrk.out rps
  start "$prog" "$way" || {
    say "$prog ($way) did not start"
    { echo "== $prog ($way) did not start"; tail -20 "$SCR/server.out"; } >>"$SCR/errors.log"
    stop
    return
  }
  ip netns exec "$CNS" taskset -c "$CLIENT_CPU" wrk -t1 -c4 -d"${SECS}s" \
    "http://$ADDR:8080/" >"$out" 2>&1
  rps=$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$out")
  record "$round" "$way" "rate-$prog" "znb mode=rate-$prog rps=${rps:-0} errors=$(grep -c 'Non-2xx\|Socket errors' "$out")"
  stop
}

rate_zmq() {
  local way=$1 round=$2 r v
  start zmq-lat "$way" "tcp://$ADDR:5555" 100 20000 || { say "zmq-lat ($way) did not start"; stop; return; }
  r=$(ip netns exec "$CNS" taskset -c "$CLIENT_CPU" timeout 120 "$ZBIN/remote_lat" \
    "tcp://$ADDR:5555" 100 20000 2>&1)
  v=$(echo "$r" | sed -n 's/^average latency: \([0-9.]*\) \[us\]$/\1/p')
  record "$round" "$way" rate-zmq-lat "znb mode=rate-zmq-lat latency_us=${v:-0}"
  wait "$PID" 2>/dev/null
  : >"$SCR/thr.out"
  cmd zmq-thr "$way"
  ip netns exec "$NS" taskset -c "$SERVER_CPU" "${CMD[@]}" "tcp://$ADDR:5556" 100 1000000 \
    >"$SCR/thr.out" 2>&1 &
  PID=$!
  sleep 1.5
  ip netns exec "$CNS" taskset -c "$CLIENT_CPU" timeout 120 "$ZBIN/remote_thr" \
    "tcp://$ADDR:5556" 100 1000000 >/dev/null 2>&1
  for _ in $(seq 1 300); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
  stop
  v=$(tr -d '\r' <"$SCR/thr.out" | sed -n 's/^mean throughput: \([0-9]*\) \[msg\/s\]$/\1/p')
  record "$round" "$way" rate-zmq-thr "znb mode=rate-zmq-thr msgs=${v:-0}"
}

# ---- run ------------------------------------------------------------------------------

: >"$TSV"
dirty=""
[ -n "$(git status --porcelain 2>/dev/null | grep -v '^??')" ] && dirty=-dirty
record meta date - "$(date -u '+%Y-%m-%d %H:%M UTC')"
record meta znet - "$(git rev-parse --short=8 HEAD 2>/dev/null || echo unknown)$dirty"
record meta machine - "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(nproc) CPUs, $(($(awk '$1 == "MemTotal:" { print $2 }' /proc/meminfo) / 1048576)) GiB, Linux $(uname -r)"
record meta command - "bench/langs.sh -n $BOOTS -r $ROUNDS -t $SECS"
langs_build || exit 1
record meta python - "$(/usr/bin/python3.11 -V 2>&1) (Linux: Debian's); image: $(sed -n '1s/^python3.11 (\([^)]*\)).*/\1/p' "$B"/pkgs/python3.11/book/src/python3.11-*/debian/changelog)"
langs_net || { say "cannot set up the namespaces"; exit 1; }

say "sizes ..."
for img in python-book zmq-lat rust; do
  strip -s -o "$SCR/$img.stripped" "$B/img/$img.spt" 2>/dev/null
  root=0
  [ -f "$B/img/$img.spt.tar" ] && root=$(stat -c %s "$B/img/$img.spt.tar")
  record size spt "size-$img" "znb mode=size bytes=$(stat -c %s "$B/img/$img.spt") stripped=$(stat -c %s "$SCR/$img.stripped") root=$root"
done

say "boot to first answer ($BOOTS boots of each, each way) ..."
for prog in python zmq-lat rust; do
  for k in $(seq 1 "$BOOTS"); do
    boot_one "$prog" spt "$k"
    boot_one "$prog" linux "$k"
  done
done

say "rates ($ROUNDS rounds) ..."
for round in $(seq 1 "$ROUNDS"); do
  if [ $((round % 2)) = 1 ]; then ways=(spt linux); else ways=(linux spt); fi
  for way in "${ways[@]}"; do
    rate_http python "$way" "$round"
    rate_zmq "$way" "$round"
    rate_http rust "$way" "$round"
  done
done
/usr/bin/python3 bench/langs-report.py "$OUT"
say "$OUT/report.md"
