# The fairness part of scripts/bench (sourced by it, after
# bench/dumbbell.sh; --only fairness): two bulk flows at once through one
# bottleneck with a finite queue to one Linux receiver, znet's sender
# against Linux's, and Linux against Linux as the baselines.
#
#   path     bench/dumbbell.sh: the router's link to the receiver is a
#            tbf of FAIR_RATE Mbit/s (100) whose queue holds FAIR_QUEUES
#            bandwidth-delay products (2, and a shallow 0.25), the BDP
#            being FAIR_RATE times FAIR_RTT (10 ms, znb-delay's base RTT,
#            the same for both flows); burst 10 frames.
#   pairs    FAIR_PAIRS, "A:B": flow A from znet on the TAP (znet-bbr,
#            znet-cubic: znb-znet --tcp-cc, paced) or Linux in one
#            namespace (linux-bbr: this kernel's BBRv1; linux-cubic), flow
#            B from Linux in another (znb-load serve --cc).  Both are the
#            senders' source port (19) read by znb-load tcp-recv in the
#            receiver's namespace, started together, for FAIR_SECS
#            (default 3 x -t, at least 6 s; --quick: the first queue only).
#
# Measured, in the last two thirds of the run (the first third is the
# flows' start-up): each flow's rate at the receiver (nftables counters
# per sender address on the receiver's input, IP bytes, so retransmitted
# duplicates count), Jain's fairness index of the two, the queueing
# delay the pair adds (ping from the router to the receiver through the
# bottleneck every 0.1 s: the median and 90th percentile of its RTT
# during the run, less the median of 20 pings before it), the tbf's
# backlog sampled every 0.5 s (median, largest) and its drops; and each
# sender's retransmitted segments over the run against the segments it
# sent (Linux: its namespace's /proc/net/snmp; znet: tcp_rtx and
# tcp_seg_tx at exit).  One record per pair and queue and round, stack
# "A:B", workload fair-QUEUEbdp.

FAIR_RATE=100
FAIR_RTT=10
FAIR_QUEUES=(2 0.25)
FAIR_PAIRS=(znet-bbr:linux-cubic znet-bbr:linux-bbr linux-bbr:linux-cubic
  linux-bbr:linux-bbr znet-cubic:linux-cubic linux-cubic:linux-cubic)
# FAIR_ONLY_PAIRS, FAIR_ONLY_QUEUES (environment, comma-separated): a
# subset or other values, for a closer look at one pairing.
[ -n "${FAIR_ONLY_PAIRS:-}" ] && read -ra FAIR_PAIRS <<<"${FAIR_ONLY_PAIRS//,/ }"
[ -n "${FAIR_ONLY_QUEUES:-}" ] && read -ra FAIR_QUEUES <<<"${FAIR_ONLY_QUEUES//,/ }"

# fair_counter_on / fair_bytes ADDR: bytes received from ADDR's port 19.
fair_counter_on() {
  in_ns "$NS_DB_R" nft delete table inet dbcount 2>/dev/null
  in_ns "$NS_DB_R" nft -f - <<EOF
table inet dbcount {
  chain in {
    type filter hook input priority 0;
    ip saddr $DB_ZNET tcp sport 19 counter
    ip saddr $DB_S1 tcp sport 19 counter
    ip saddr $DB_S2 tcp sport 19 counter
  }
}
EOF
}

fair_bytes() {
  in_ns "$NS_DB_R" nft list chain inet dbcount in | awk -v a="$1" '
    index($0, "saddr " a " ") { for (i = 1; i < NF; i++) if ($i == "bytes") print $(i + 1) }'
}

# fair_ping_ms FILE: "median p90" of the RTTs of a ping's output, ms.
fair_ping_ms() {
  sed -n 's/.*time=\([0-9.]*\) ms.*/\1/p' "$1" | sort -g | awk '
    { v[NR] = $1 } END {
      if (NR == 0) { print "0 0"; exit }
      m = int((NR + 1) / 2); p = int(0.9 * NR + 0.999); if (p < 1) p = 1
      printf "%.3f %.3f\n", v[m], v[p] }'
}

# fair_one PAIR QUEUE ROUND: one run of the two flows.
fair_one() {
  local pair=$1 q=$2 round=$3 a=${1%%:*} b=${1#*:}
  local secs warm win limit pa pb nsa nsb addra addrb snapa snapb
  secs=$(awk -v s="$FAIR_SECS" 'BEGIN { printf "%d", s < 6 ? 6 : s }')
  warm=$((secs / 3))
  win=$((secs - warm - 1))
  limit=$(awk -v r="$FAIR_RATE" -v t="$FAIR_RTT" -v q="$q" 'BEGIN {
    l = r * 1e6 / 8 * t / 1e3 * q; printf "%d", l < 3028 ? 3028 : l }')
  dumbbell_tbf "$FAIR_RATE" "$limit" || { echo "bench: tbf failed" >&2; return 1; }
  dumbbell_sender "$a" "$SCRATCH/fair-a.out" || return 1
  pa=$SERVER_PID nsa=$DB_NS addra=$DB_ADDR
  if ! DB_SIDE=2 dumbbell_sender "$b" "$SCRATCH/fair-b.out"; then
    stop_pid "$pa"
    return 1
  fi
  pb=$SERVER_PID nsb=$DB_NS addrb=$DB_ADDR
  [ -n "$nsa" ] && snapa=$(dumbbell_snmp "$nsa")
  snapb=$(dumbbell_snmp "$nsb")
  fair_counter_on || { echo "bench: nft failed" >&2; stop_pid "$pa"; stop_pid "$pb"; return 1; }
  in_ns "$NS_DB_B" ping -n -c 20 -i 0.05 "$DB_RECV" >"$SCRATCH/fair-idle.ping" 2>&1
  local d0 d1 bl ra rb pp
  read -r d0 _ < <(dumbbell_tbf_stat)
  ip netns exec "$NS_DB_R" taskset -c "$CLIENT_CPU" "$B/znb-load" tcp-recv "$addra" \
    -t "$secs" -T 30 >"$SCRATCH/fair-a.recv" 2>>"$DIR/errors.log" &
  ra=$!
  ip netns exec "$NS_DB_R" taskset -c "$CLIENT_CPU" "$B/znb-load" tcp-recv "$addrb" \
    -t "$secs" -T 30 >"$SCRATCH/fair-b.recv" 2>>"$DIR/errors.log" &
  rb=$!
  sleep "$warm"
  local ca0 cb0 ca1 cb1 t0 t1 i
  ca0=$(fair_bytes "$addra") cb0=$(fair_bytes "$addrb") t0=$(date +%s.%N)
  timeout $((win + 5)) ip netns exec "$NS_DB_B" ping -n -i 0.1 -w "$win" "$DB_RECV" \
    >"$SCRATCH/fair-load.ping" 2>&1 &
  pp=$!
  : >"$SCRATCH/fair-backlog"
  for i in $(seq 1 $((win * 2))); do
    sleep 0.5
    read -r _ bl < <(dumbbell_tbf_stat)
    echo "$bl" >>"$SCRATCH/fair-backlog"
  done
  ca1=$(fair_bytes "$addra") cb1=$(fair_bytes "$addrb") t1=$(date +%s.%N)
  wait "$ra" "$rb" "$pp"
  read -r d1 _ < <(dumbbell_tbf_stat)
  stop_pid "$pa"
  stop_pid "$pb"
  cat "$SCRATCH/fair-a.out.err" "$SCRATCH/fair-b.out.err" >>"$DIR/servers.log"
  local rtxa rtxb idle load own_a own_b
  rtxa=$(dumbbell_rtx "$a" "$SCRATCH/fair-a.out" "${snapa:-}" "$nsa")
  rtxb=$(dumbbell_rtx "$b" "$SCRATCH/fair-b.out" "$snapb" "$nsb")
  idle=$(fair_ping_ms "$SCRATCH/fair-idle.ping")
  load=$(fair_ping_ms "$SCRATCH/fair-load.ping")
  own_a=$(sed -n 's/^znb .* rate=\([0-9.]*\) .*/\1/p' "$SCRATCH/fair-a.recv")
  own_b=$(sed -n 's/^znb .* rate=\([0-9.]*\) .*/\1/p' "$SCRATCH/fair-b.recv")
  local line
  line=$(sort -g "$SCRATCH/fair-backlog" | awk -v a0="$ca0" -v a1="$ca1" -v b0="$cb0" \
    -v b1="$cb1" -v t0="$t0" -v t1="$t1" -v ra="$rtxa" -v rb="$rtxb" -v idle="$idle" \
    -v load="$load" -v oa="${own_a:-0}" -v ob="${own_b:-0}" -v drops=$((d1 - d0)) \
    -v limit="$limit" -v fa="$a" -v fb="$b" '
    { v[NR] = $1 }
    END {
      t = t1 - t0; x = (a1 - a0) * 8 / t / 1e6; y = (b1 - b0) * 8 / t / 1e6
      jain = (x + y) > 0 ? (x + y) ^ 2 / (2 * (x * x + y * y)) : 0
      split(ra, RA, " "); split(rb, RB, " "); split(idle, I, " "); split(load, L, " ")
      med = NR ? v[int((NR + 1) / 2)] : 0; mx = NR ? v[NR] : 0
      printf "znb mode=fair ops=2 secs=%.3f rate=%.4f unit=jain a=%s b=%s", t, jain, fa, fb
      printf " a_mbps=%.2f b_mbps=%.2f a_own_mbps=%s b_own_mbps=%s", x, y, oa, ob
      printf " a_rtx=%d a_segs=%d b_rtx=%d b_segs=%d", RA[1], RA[2], RB[1], RB[2]
      printf " idle_rtt_ms=%.3f load_rtt_ms=%.3f load_rtt_p90_ms=%.3f qdelay_ms=%.3f",
        I[1], L[1], L[2], L[1] - I[1]
      printf " backlog_med_b=%d backlog_max_b=%d tbf_drops=%d limit_b=%d\n", med, mx, drops, limit
    }')
  record "$round" "$pair" "fair-${q}bdp" "$line"
}

run_fairness() {
  local round q pair
  FAIR_SECS=${FAIR_SECS:-$(awk -v s="$SECS" 'BEGIN { printf "%d", 3 * s }')}
  # --quick: a check of the pipeline in about a minute, the deep queue only.
  [ "$QUICK" = 1 ] && FAIR_QUEUES=("${FAIR_QUEUES[0]}")
  dumbbell_up || { echo "bench: cannot make the dumbbell's namespaces" >&2; return 1; }
  dumbbell_relay "$FAIR_RTT" || return 1
  for round in $(seq 1 "$HTTP_ROUNDS"); do
    wait_quiet "fairness-$round"
    for q in "${FAIR_QUEUES[@]}"; do
      for pair in "${FAIR_PAIRS[@]}"; do
        fair_one "$pair" "$q" "$round"
      done
    done
  done
  dumbbell_tbf off
}
