#!/bin/bash
# The 'bench' test suite: each benchmark program runs briefly and prints a
# well-formed result line.  Nothing here is timed or compared: a rate of
# any size passes, a missing or malformed line fails.
#
#   bench/smoke.sh ZNB-LOAD ZNB-ZNET ZNB-MEMLINK ZNB-PXCOST
#
# Output is TAP.  The cases that need a TAP device (znb-znet against
# znb-load) and the Linux server (znb-load serve on the namespace's
# loopback) run in a private network namespace created here and deleted on
# exit; without root or /dev/net/tun they are skipped.  Every command is
# bounded by timeout.
set -u
. "$(cd "$(dirname "$0")/.." && pwd)/scripts/lib.sh"
LOAD=${1:?usage: smoke.sh ZNB-LOAD ZNB-ZNET ZNB-MEMLINK}
ZNET=${2:?}
MEMLINK=${3:?}
PXCOST=${4:?}

N=0
FAILED=0
NS=""
SRV=""
TMP=$(mktemp -d)

ok() { N=$((N + 1)); echo "ok $N - $*"; }
not_ok() { N=$((N + 1)); FAILED=$((FAILED + 1)); echo "not ok $N - $*"; }
skip() { N=$((N + 1)); echo "ok $N - $1 # SKIP $2"; }

cleanup() {
  [ -n "$SRV" ] && zn_stop "$SRV"
  zn_netns_cleanup
  rm -rf "$TMP"
}
trap cleanup EXIT

# A result line: "znb mode=M ops=N secs=S rate=R unit=U" and more key=value.
WELL_FORMED='^znb mode=[a-z0-9-]+ ops=[0-9]+ secs=[0-9]+(\.[0-9]+)? rate=[0-9]+(\.[0-9]+)? unit=[^ =]+( [a-z_0-9]+=[^ =]+)*$'

# expect_line NAME MODE COMMAND...: the command exits 0 and prints exactly
# one well-formed line of mode MODE.
expect_line() {
  local name=$1 mode=$2 out rc
  shift 2
  out=$("$@" 2>"$TMP/err")
  rc=$?
  local lines
  lines=$(grep -c '^znb mode=' <<<"$out")
  if [ "$rc" = 0 ] && [ "$lines" = 1 ] && grep -Eq "$WELL_FORMED" <<<"$out" &&
    grep -q "^znb mode=$mode " <<<"$out"; then
    ok "$name: $out"
  else
    not_ok "$name (exit $rc): $out"
    sed 's/^/#   /' "$TMP/err" | head -5
  fi
}

# expect_exit NAME STATUS COMMAND...
expect_exit() {
  local name=$1 want=$2
  shift 2
  "$@" >/dev/null 2>&1
  local rc=$?
  if [ "$rc" = "$want" ]; then ok "$name"; else not_ok "$name (exit $rc, want $want)"; fi
}

# ---- no privileges needed ----

expect_exit "znb-load --help" 0 timeout 10 "$LOAD" --help
expect_exit "znb-load: a bad mode is a usage error" 2 timeout 10 "$LOAD" nosuch 10.0.0.1
expect_exit "znb-memlink --help" 0 timeout 10 "$MEMLINK" --help
expect_exit "znb-memlink: a bad option is a usage error" 2 timeout 10 "$MEMLINK" bulk --nosuch 1
expect_exit "znb-znet --help" 0 timeout 10 "$ZNET" --help
expect_line "znb-memlink bulk" memlink-bulk timeout 30 "$MEMLINK" bulk -t 0.3
expect_line "znb-memlink bulk with loss and delay" memlink-bulk \
  timeout 30 "$MEMLINK" bulk -t 0.3 --loss 1 --rtt 4
expect_line "znb-memlink bulk over IPv6" memlink-bulk \
  timeout 30 "$MEMLINK" bulk -t 0.3 --family 6
expect_exit "znb-memlink: --family 5 is a usage error" 2 timeout 10 "$MEMLINK" bulk --family 5
expect_line "znb-memlink bulk --seeds (virtual clock)" memlink-seeds \
  timeout 60 "$MEMLINK" bulk --seeds 2 --bytes 256K --loss 5 --rtt 10
expect_line "znb-memlink bulk --seeds over IPv6" memlink-seeds \
  timeout 60 "$MEMLINK" bulk --seeds 1 --bytes 64K --loss 2 --family 6
expect_exit "znb-memlink: --bytes 0 is a usage error" 2 timeout 10 "$MEMLINK" bulk --seeds 1 --bytes 0
# One seed replayed alone (--first) takes the virtual time it took among
# the others (--each prints each transfer's): a slow run can be traced.
all=$(timeout 60 "$MEMLINK" bulk --seeds 2 --each --bytes 256K --loss 5 --rtt 10 2>/dev/null |
  grep '^# seed 2 ')
one=$(timeout 60 "$MEMLINK" bulk --first 2 --seeds 1 --each --bytes 256K --loss 5 --rtt 10 2>/dev/null |
  grep '^# seed 2 ')
if [ -n "$all" ] && [ "$all" = "$one" ]; then
  ok "znb-memlink --first replays a seed of --seeds: $one"
else
  not_ok "znb-memlink --first replays a seed of --seeds: '$all' vs '$one'"
fi
expect_line "znb-memlink conns in 8 MiB" memlink-conns timeout 60 "$MEMLINK" conns --mem 8388608
expect_exit "znb-pxcost: a bad call is a usage error" 2 timeout 10 "$PXCOST" nosuch 1
expect_line "znb-pxcost recv" pxcost-recv timeout 30 "$PXCOST" recv 200
expect_line "znb-pxcost send with the mutex" pxcost-send-lock timeout 30 "$PXCOST" send 200 --lock
expect_line "znb-pxcost send timed beside the kernel" pxcost-send-time \
  timeout 30 "$PXCOST" send 2000 --time

# ---- in a network namespace ----

CASES=(tcp-send tcp-recv udp-rr udp-rr-16 tcp-rr tcp-crr tcp-crr-16)
NET_REASON=""
if [ "$(id -u)" != 0 ]; then
  NET_REASON="needs root"
elif [ ! -c /dev/net/tun ]; then
  NET_REASON="needs /dev/net/tun"
elif ! command -v ip >/dev/null; then
  NET_REASON="needs ip (iproute2)"
fi

# client NAME-PREFIX ADDR: every workload for 0.3 s against ADDR.
client() {
  local who=$1 addr=$2 c args
  for c in "${CASES[@]}"; do
    case $c in
    udp-rr-16) args=(udp-rr "$addr" -q 16) ;;
    tcp-crr) args=(tcp-crr "$addr" -S "$SOURCES") ;;
    tcp-crr-16) args=(tcp-crr "$addr" -q 16 -S "$SOURCES") ;;
    *) args=("$c" "$addr") ;;
    esac
    expect_line "$who: znb-load $c" "${args[0]}" \
      timeout 30 ip netns exec "$NS" "$LOAD" "${args[@]}" -t 0.3 -T 5
  done
}

# start NAME COMMAND...: run a server in the namespace and wait until it
# says it is ready (znb-load serve: its sockets listen; znb-znet: its stack
# is up), at most 30 s, never for a fixed time.  The output file is
# emptied here, before the server starts: the background job's own
# redirection may run after the first look, which would then find the
# previous server's ready line, and the clients would connect to nothing.
start() {
  local name=$1 i
  shift
  : >"$TMP/srv.out"
  : >"$TMP/srv.err"
  ip netns exec "$NS" "$@" >"$TMP/srv.out" 2>"$TMP/srv.err" &
  SRV=$!
  for i in $(seq 1 300); do
    grep -q ready "$TMP/srv.out" 2>/dev/null && { ok "$name starts"; return 0; }
    kill -0 "$SRV" 2>/dev/null || break
    sleep 0.1
  done
  not_ok "$name starts"
  sed 's/^/#   /' "$TMP/srv.err" | head -5
  return 1
}

stop() {
  zn_stop "$SRV"
  SRV=""
}

if [ -n "$NET_REASON" ]; then
  for c in "${CASES[@]}"; do skip "znb-znet: znb-load $c" "$NET_REASON"; done
  for c in "${CASES[@]}"; do skip "Linux: znb-load $c" "$NET_REASON"; done
  for c in tcp-recv tcp-send; do skip "znb-znet with faults: znb-load $c" "$NET_REASON"; done
  for c in znb-znet Linux; do skip "$c --source-bytes: tcp-recv -R" "$NET_REASON"; done
else
  NS=znbsmoke$$
  SOURCES=10.77.0.11,10.77.0.12
  if zn_netns_tap "$NS" zntap0 10.77.0.1/24 &&
    zn_in "$NS" ip addr add 10.77.0.11/24 dev zntap0 &&
    zn_in "$NS" ip addr add 10.77.0.12/24 dev zntap0; then
    ok "namespace $NS with a TAP"
    if start znb-znet timeout 300 "$ZNET" --netif tap:zntap0 --ipv4 10.77.0.2/24 --log warn; then
      client znb-znet 10.77.0.2
      stop
    fi
    # bench/rttloss.sh's server: the fault injector adds the RTT and the
    # loss (and here bursts) on znet's side.
    if start "znb-znet with faults" timeout 300 "$ZNET" --netif tap:zntap0 \
      --ipv4 10.77.0.2/24 --log warn --no-offload --bufs 4096 \
      --tcp-sndbuf 1M --tcp-rcvbuf 1M --fault-delay 5 --fault-loss 1 \
      --fault-burst 0.5 --fault-burst-len 3; then
      for c in tcp-recv tcp-send; do
        expect_line "znb-znet with faults: znb-load $c" "$c" \
          timeout 30 ip netns exec "$NS" "$LOAD" "$c" 10.77.0.2 -t 0.3 -T 10
      done
      stop
      grep -q '^  fault.delayed' "$TMP/srv.err" && ok "znb-znet with faults: fault counters at exit" ||
        not_ok "znb-znet with faults: fault counters at exit"
    fi
    # bench/shortflow.sh's sender and receiver: sized downloads, repeated.
    if start "znb-znet --source-bytes" timeout 300 "$ZNET" --netif tap:zntap0 \
      --ipv4 10.77.0.2/24 --log warn --source-bytes 100K; then
      expect_line "znb-znet --source-bytes: tcp-recv -R" tcp-recv \
        timeout 30 ip netns exec "$NS" "$LOAD" tcp-recv 10.77.0.2 -n 102400 -R 5 -T 5
      stop
    fi
    SOURCES=127.0.0.2,127.0.0.3
    # --cc as bench/sendloss.sh uses it (reno: in every kernel).
    if start "znb-load serve" timeout 300 "$LOAD" serve --cc reno; then
      client Linux 127.0.0.1
      stop
    fi
    if start "znb-load serve --source-bytes" timeout 300 "$LOAD" serve --source-bytes 102400; then
      expect_line "Linux --source-bytes: tcp-recv -R" tcp-recv \
        timeout 30 ip netns exec "$NS" "$LOAD" tcp-recv 127.0.0.1 -n 102400 -R 5 -T 5
      stop
    fi
  else
    not_ok "namespace $NS with a TAP"
  fi
fi

echo "1..$N"
[ "$FAILED" = 0 ]
