# The short-transfer part of scripts/bench (sourced by it, after
# bench/dumbbell.sh; --only shortflow): how long a short download takes
# at 1% random loss each way, from four senders to one Linux receiver.
#
#   path     bench/dumbbell.sh with no bottleneck: the router, znb-delay
#            (SHORT_RTTS: 0 ms added, and 10 ms, the same for every
#            sender), and nftables on the receiver's link dropping
#            SHORT_LOSS_PM per ten thousand TCP frames each way (numgen
#            random, as the loss part's rule), data and ACKs alike.
#   senders  znet-bbr, znet-cubic (znb-znet --source-bytes SIZE --tcp-cc
#            on the TAP) and linux-bbr, linux-cubic (znb-load serve
#            --source-bytes SIZE --cc in a namespace of its own): the
#            source port sends SIZE bytes, then its FIN.
#   receiver znb-load tcp-recv -n SIZE -R SHORT_RUNS (200): one transfer
#            after another, each a new connection; a transfer's time is
#            from the receiver's connect() to its read of the last of the
#            SIZE bytes (the handshake, a lost SYN or SYN-ACK included),
#            the same clock and code whichever stack sends.  A transfer
#            with -T 30 s without progress counts as failed.
#
# SHORT_SIZES: 64K and 1M.  One record per sender, size, RTT and round,
# workload short-SIZE-RTT: rate is the median time in ms; p50, p90, p99,
# max, mean, failed; and the sender's retransmitted segments over the
# SHORT_RUNS transfers (rtx=, segs=; znet: rto= too).  The senders' order
# rotates from round to round.

SHORT_SIZES=(64K 1M)
SHORT_RTTS=(0 10)
SHORT_LOSS_PM=100
SHORT_SENDERS=(znet-bbr znet-cubic linux-bbr linux-cubic)
# SHORT_ONLY_SIZES, SHORT_ONLY_RTTS (environment, comma-separated): a
# subset or other values, for a closer look at one cell.
[ -n "${SHORT_ONLY_SIZES:-}" ] && read -ra SHORT_SIZES <<<"${SHORT_ONLY_SIZES//,/ }"
[ -n "${SHORT_ONLY_RTTS:-}" ] && read -ra SHORT_RTTS <<<"${SHORT_ONLY_RTTS//,/ }"

# short_one SENDER SIZE RTT ROUND
short_one() {
  local s=$1 size=$2 rtt=$3 round=$4 out=$SCRATCH/short.out snap="" ns line rtx
  local bytes
  bytes=$(awk -v s="$size" 'BEGIN { n = s + 0; if (s ~ /K$/) n *= 1024; if (s ~ /M$/) n *= 1048576; print n }')
  dumbbell_sender "$s" "$out" --source-bytes "$bytes" || return 1
  ns=$DB_NS
  [ -n "$ns" ] && snap=$(dumbbell_snmp "$ns")
  line=$(timeout $((SHORT_RUNS * 30 + 60)) ip netns exec "$NS_DB_R" taskset -c "$CLIENT_CPU" \
    "$B/znb-load" tcp-recv "$DB_ADDR" -n "$bytes" -R "$SHORT_RUNS" -T 30 \
    2>>"$DIR/errors.log" | grep '^znb mode=')
  stop_pid "$SERVER_PID"
  cat "$out.err" >>"$DIR/servers.log"
  rtx=$(dumbbell_rtx "$s" "$out" "$snap" "$ns")
  line="${line:-znb mode=tcp-recv failed=$SHORT_RUNS} rtx=${rtx% *} segs=${rtx#* }"
  case $s in znet-*) line="$line rto=$(dumbbell_znet_counters "$out.err" | cut -d' ' -f3)" ;; esac
  record "$round" "$s" "short-$size-$rtt" "$line"
}

run_shortflow() {
  local round rtt size k n=${#SHORT_SENDERS[@]}
  dumbbell_up || { echo "bench: cannot make the dumbbell's namespaces" >&2; return 1; }
  dumbbell_tbf off
  nft_loss "$NS_DB_R" "$DB_LOSS_DEV" "$SHORT_LOSS_PM" || { echo "bench: nft failed" >&2; return 1; }
  for round in $(seq 1 "$HTTP_ROUNDS"); do
    wait_quiet "shortflow-$round"
    for rtt in "${SHORT_RTTS[@]}"; do
      dumbbell_relay "$rtt" || return 1
      for size in "${SHORT_SIZES[@]}"; do
        for k in $(seq 0 $((n - 1))); do
          short_one "${SHORT_SENDERS[$(((k + round - 1) % n))]}" "$size" "$rtt" "$round"
        done
      done
    done
  done
  in_ns "$NS_DB_R" nft delete table netdev znbloss 2>/dev/null
}
