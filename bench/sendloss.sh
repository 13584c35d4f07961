# The sender-under-loss part of scripts/bench (sourced by it, --only
# sendloss): how long a sender takes to deliver SENDLOSS_BYTES (32 MiB)
# when a random share of the TCP frames is dropped each way, data and
# ACKs alike, znet sending against Linux sending.
#
#   znet       znb-znet --no-offload on the TAP is the sender: its TCP
#              source port (19) streams to znb-load tcp-recv -n BYTES in
#              the TAP's namespace; nftables drops on the TAP, in both
#              directions, with the TAP's segmentation offload off, so one
#              dropped frame is one segment.
#   linux-off  Linux sends from znb-load serve's source port in one veth
#              namespace to znb-load tcp-recv in the other, offloads off,
#              with the same drop rule on the client's veth, both ways,
#              with CUBIC (znet's default congestion control), whatever
#              the kernel's default is;
#   linux-bbr  the same with BBR.  Some kernels (this machine's) default
#              to BBR, whose window does not follow random loss as a
#              loss-based controller's does: a comparison of loss
#              recovery against it measures the controller, so it is
#              recorded beside the like-for-like one, not instead of it.
#
# The receiver is the same program for both and times the transfer from
# its connect to the last byte read (`znb mode=tcp-recv ops=BYTES
# secs=...`).  At 1%, 5% and 10% each way (SENDLOSS_PCTS), in HTTP_ROUNDS
# rounds, the two senders' order alternating; a transfer gets
# SENDLOSS_LIMIT seconds without progress before it counts as failed.
# Recorded as stack znet / linux-off, workload sendloss-PCT.

SENDLOSS_BYTES=$((32 << 20))
SENDLOSS_PCTS=(1 5 10)
SENDLOSS_LIMIT=60

# sendloss_one NS DEV ADDR STACK ROUND PCT: one transfer out of ADDR:19
# into the client in NS, with PCT% of the TCP frames dropped on DEV (in
# NS) each way.
sendloss_one() {
  local ns=$1 dev=$2 addr=$3 stack=$4 round=$5 pct=$6 line
  nft_loss "$ns" "$dev" "$((pct * 100))" || { echo "bench: nft failed" >&2; return 1; }
  line=$(timeout $((SENDLOSS_LIMIT * 5)) ip netns exec "$ns" taskset -c "$CLIENT_CPU" \
    "$B/znb-load" tcp-recv "$addr" -n "$SENDLOSS_BYTES" -T "$SENDLOSS_LIMIT" \
    2>>"$DIR/errors.log" | grep '^znb mode=')
  in_ns "$ns" nft delete table netdev znbloss 2>/dev/null
  if [ -n "$line" ]; then
    record "$round" "$stack" "sendloss-$pct" "$line"
  else
    record "$round" "$stack" "sendloss-$pct" "znb mode=tcp-recv failed=1"
  fi
}

sendloss_znet() {
  local round=$1 pct
  in_ns "$NS_TAP" ip neigh flush dev "$TAP"
  in_ns "$NS_TAP" ip link set dev "$TAP" gso_max_segs 1
  start_server "$NS_TAP" "$SCRATCH/server.out" "ready" "$B/znb-znet" --netif "tap:$TAP" \
    --ipv4 "$TAP_STACK/24" --log warn --no-offload || return 1
  for pct in "${SENDLOSS_PCTS[@]}"; do
    sendloss_one "$NS_TAP" "$TAP" "$TAP_STACK" znet "$round" "$pct"
  done
  stop_pid "$SERVER_PID"
  in_ns "$NS_TAP" ip link set dev "$TAP" gso_max_segs 65535
  cat "$SCRATCH/server.out.err" >>"$DIR/servers.log"
}

# sendloss_linux_cc ROUND CC STACK: Linux sending with congestion
# control CC (znb-load serve --cc: set on its sockets, the kernel's
# default untouched), recorded as STACK.
sendloss_linux_cc() {
  local round=$1 cc=$2 stack=$3 pct
  offloads off
  start_server "$NS_VS" "$SCRATCH/server.out" "ready" "$B/znb-load" serve --cc "$cc" ||
    return 1
  for pct in "${SENDLOSS_PCTS[@]}"; do
    sendloss_one "$NS_VC" znbv0 "$VETH_SERVER" "$stack" "$round" "$pct"
  done
  stop_pid "$SERVER_PID"
}

sendloss_linux() {
  sendloss_linux_cc "$1" cubic linux-off
  sendloss_linux_cc "$1" bbr linux-bbr
}

run_sendloss() {
  alternate_rounds sendloss sendloss_znet sendloss_linux
}
