# The path bench/fairness.sh and bench/shortflow.sh measure on (sourced
# by scripts/bench, after its helpers): senders on one side of a router,
# a common Linux receiver on the other, every flow crossing the same
# router, the same bottleneck and the same delay, whichever stack sends.
#
#   NS_DB_S1 (Linux sender 1, 10.81.1.2) --veth--+
#   NS_DB_S2 (Linux sender 2, 10.81.2.2) --veth--+-- NS_DB_B (router)
#   znet on a TAP in NS_DB_B  (10.81.0.2) -------+      | dboa: tbf here
#                                                       | (DB_TBF_DEV)
#   NS_DB_M: znb-delay between dbob and dbrb, RTT/2 each way
#                                                       |
#   NS_DB_R (the receiver, 10.81.9.2) dbra: nftables loss here
#
# Linux has no netem here (nor fq), so the delay is bench/znb-delay.c, a
# user-space layer-2 relay that holds every frame a fixed time: it is on
# the path of every flow, znet's too (znet's own injector is not used),
# so all flows see one base RTT.  Offloads are off on every veth and znet
# runs with --no-offload: one frame is one segment everywhere, for the
# relay (2 KiB slots), the bottleneck's queue and the loss rules alike.
# Each sender namespace has its own counters (/proc/net/snmp), so a Linux
# flow's retransmissions are its own.

DB_NET=10.81
DB_ZNET=$DB_NET.0.2
DB_S1=$DB_NET.1.2
DB_S2=$DB_NET.2.2
DB_RECV=$DB_NET.9.2
DB_TAP=zndb0
DB_TBF_DEV=dboa
DB_LOSS_DEV=dbra
DB_UP=0
DB_RELAY_PID=""
DB_RELAY_RTT=""

# db_link NS_A DEV_A ADDR_A NS_B DEV_B ADDR_B: a veth pair, offloads off,
# each end up with its address (none where ADDR is "-").
db_link() {
  ip link add "$2" netns "$1" type veth peer name "$5" netns "$4" || return 1
  local ns dev addr
  for ns in "$1:$2:$3" "$4:$5:$6"; do
    IFS=: read -r ns dev addr <<<"$ns"
    in_ns "$ns" ethtool -K "$dev" tso off gso off gro off tx off rx off >/dev/null 2>&1
    [ "$addr" = - ] || in_ns "$ns" ip addr add "$addr/24" dev "$dev" || return 1
    in_ns "$ns" ip link set "$dev" up || return 1
  done
}

# dumbbell_up: the namespaces and links, once per run.
dumbbell_up() {
  [ "$DB_UP" = 1 ] && return 0
  NS_DB_B=znbdbb$TAG NS_DB_S1=znbdbs1$TAG NS_DB_S2=znbdbs2$TAG
  NS_DB_M=znbdbm$TAG NS_DB_R=znbdbr$TAG
  local ns
  for ns in "$NS_DB_B" "$NS_DB_S1" "$NS_DB_S2" "$NS_DB_M" "$NS_DB_R"; do
    ns_common "$ns" || return 1
  done
  in_ns "$NS_DB_B" sysctl -qw net.ipv4.ip_forward=1 &&
    in_ns "$NS_DB_B" ip tuntap add dev "$DB_TAP" mode tap &&
    in_ns "$NS_DB_B" ip addr add "$DB_NET.0.1/24" dev "$DB_TAP" &&
    in_ns "$NS_DB_B" ip link set "$DB_TAP" up &&
    db_link "$NS_DB_B" db1a "$DB_NET.1.1" "$NS_DB_S1" db1b "$DB_S1" &&
    db_link "$NS_DB_B" db2a "$DB_NET.2.1" "$NS_DB_S2" db2b "$DB_S2" &&
    db_link "$NS_DB_B" dboa "$DB_NET.9.1" "$NS_DB_M" dbob - &&
    db_link "$NS_DB_M" dbrb - "$NS_DB_R" dbra "$DB_RECV" &&
    in_ns "$NS_DB_S1" ip route add default via "$DB_NET.1.1" &&
    in_ns "$NS_DB_S2" ip route add default via "$DB_NET.2.1" &&
    in_ns "$NS_DB_R" ip route add default via "$DB_NET.9.1" || return 1
  # The receiver's window may grow to 32 MiB (Linux's autotuning), the
  # senders' buffers too: no window caps a flow.
  for ns in "$NS_DB_S1" "$NS_DB_S2" "$NS_DB_R"; do
    in_ns "$ns" sysctl -qw net.ipv4.tcp_rmem="4096 131072 33554432"
    in_ns "$ns" sysctl -qw net.ipv4.tcp_wmem="4096 16384 33554432"
  done
  DB_UP=1
}

# dumbbell_relay RTT_MS: znb-delay in NS_DB_M holding each frame RTT/2
# each way (restarted only if the RTT changes).
dumbbell_relay() {
  local rtt=$1 half i
  [ -n "$DB_RELAY_PID" ] && [ "$DB_RELAY_RTT" = "$rtt" ] &&
    kill -0 "$DB_RELAY_PID" 2>/dev/null && return 0
  [ -n "$DB_RELAY_PID" ] && zn_stop "$DB_RELAY_PID" TERM 5
  half=$(awk -v r="$rtt" 'BEGIN { print r / 2 }')
  : >"$SCRATCH/relay.out"
  ip netns exec "$NS_DB_M" "$B/znb-delay" dbob dbrb --ab "$half" --ba "$half" \
    >"$SCRATCH/relay.out" 2>>"$DIR/servers.log" &
  DB_RELAY_PID=$!
  zn_bg "$DB_RELAY_PID"
  DB_RELAY_RTT=$rtt
  for i in $(seq 1 50); do
    grep -q ready "$SCRATCH/relay.out" && return 0
    sleep 0.1
  done
  echo "bench: znb-delay did not start" >&2
  return 1
}

# dumbbell_tbf RATE_MBIT LIMIT_BYTES | off: the bottleneck on the router's
# way to the receiver.
dumbbell_tbf() {
  in_ns "$NS_DB_B" tc qdisc del dev "$DB_TBF_DEV" root 2>/dev/null
  [ "$1" = off ] && return 0
  in_ns "$NS_DB_B" tc qdisc add dev "$DB_TBF_DEV" root tbf rate "${1}mbit" \
    burst 15140 limit "$2"
}

# dumbbell_tbf_stat: "dropped backlog_bytes" of the bottleneck now.
dumbbell_tbf_stat() {
  in_ns "$NS_DB_B" tc -s qdisc show dev "$DB_TBF_DEV" | awk '
    /dropped/ { for (i = 1; i < NF; i++) if ($i == "(dropped") d = $(i + 1) + 0 }
    /backlog/ { b = $2; sub(/b$/, "", b)
      if (b ~ /K$/) { sub(/K$/, "", b); b *= 1000 } else if (b ~ /M$/) { sub(/M$/, "", b); b *= 1000000 } }
    END { printf "%d %d\n", d, b }'
}

# dumbbell_snmp NS: "RetransSegs OutSegs" of namespace NS's TCP so far.
dumbbell_snmp() {
  in_ns "$1" cat /proc/net/snmp | awk '$1 == "Tcp:" {
    if (!h) { for (i = 2; i <= NF; i++) f[$i] = i; h = 1; next }
    print $f["RetransSegs"], $f["OutSegs"] }'
}

# dumbbell_znet_counters FILE: "tcp_rtx tcp_seg_tx tcp_rto" from a znet
# program's counters at exit.
dumbbell_znet_counters() {
  awk '$1 ~ /^tcp_(rtx|seg_tx|rto)$/ { v[$1] = $2 }
    END { printf "%d %d %d\n", v["tcp_rtx"], v["tcp_seg_tx"], v["tcp_rto"] }' "$1"
}

# dumbbell_sender NAME OUT [FLAGS...]: start sender NAME (znet-bbr,
# znet-cubic on the TAP; linux-bbr, linux-cubic in NS_DB_S1, or in
# NS_DB_S2 with DB_SIDE=2), its source port 19 sending with FLAGS (znb-znet's
# or znb-load serve's); sets SERVER_PID, and DB_ADDR and DB_NS (the
# sender's address, and its namespace for dumbbell_snmp).  DB_ZNET_ARGS
# (an environment variable, words) adds flags to znb-znet's, e.g.
# --no-tcp-pacing.
dumbbell_sender() {
  local name=$1 out=$2 cc=${1#*-}
  shift 2
  case $name in
  znet-*)
    in_ns "$NS_DB_B" ip neigh flush dev "$DB_TAP"
    DB_ADDR=$DB_ZNET DB_NS=""
    # shellcheck disable=SC2086 # DB_ZNET_ARGS: words
    start_server "$NS_DB_B" "$out" ready "$B/znb-znet" --netif "tap:$DB_TAP" \
      --ipv4 "$DB_ZNET/24" --gateway "$DB_NET.0.1" --log warn --no-offload \
      --tcp-cc "$cc" --tcp-sndbuf 8M --tcp-rcvbuf 1M --tcp-conns 512 \
      ${DB_ZNET_ARGS:-} "$@"
    ;;
  linux-*)
    DB_NS=$NS_DB_S1 DB_ADDR=$DB_S1
    [ "${DB_SIDE:-1}" = 2 ] && DB_NS=$NS_DB_S2 DB_ADDR=$DB_S2
    start_server "$DB_NS" "$out" ready "$B/znb-load" serve --cc "$cc" "$@"
    ;;
  *) echo "bench: no sender $name" >&2; return 1 ;;
  esac
}

# dumbbell_rtx NAME OUT SNMP0 NS: "retransmitted sent" by sender NAME
# (stopped by now: znet's counters are in OUT.err), for Linux since SNMP0
# (namespace NS's "RetransSegs OutSegs" before; both unused for znet).
dumbbell_rtx() {
  local r0 o0 r1 o1
  case $1 in
  znet-*) read -r r1 o1 _ < <(dumbbell_znet_counters "$2.err"); echo "$r1 $o1" ;;
  *)
    read -r r0 o0 <<<"$3"
    read -r r1 o1 < <(dumbbell_snmp "$4")
    echo "$((r1 - r0)) $((o1 - o0))"
    ;;
  esac
}
