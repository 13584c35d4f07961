# The goodput-under-delay-and-loss part of scripts/bench (sourced by it,
# --only rttloss): a bulk transfer over one path with a round-trip time
# and a random loss that znet's own fault injector adds, znet sending
# against Linux sending over that same path.
#
#   path     znb-znet --no-offload on the TAP, with --fault-delay RTT/2
#            and --fault-loss PCT: every frame the stack sends or
#            receives is delayed RTT/2 and lost with probability PCT, so
#            data and ACKs see the same path whichever side sends.  One
#            frame is one segment (no offloads, and the kernel cuts its
#            own GSO frames before the TAP).
#   znet     znb-znet's source port (19) to znb-load tcp-recv: CUBIC
#   znet-bbr the same from a server started with --tcp-cc bbr: znet's
#            BBR (draft-ietf-ccwg-bbr, BBRv3)
#   linux    znb-load tcp-send -C cubic into znb-znet's discard port
#            (9): CUBIC, znet's default congestion control, like for like
#   linux-bbr  the same with -C bbr: BBR (this kernel's default, BBRv1),
#            whose window does not follow random loss
#
# RTTLOSS_ZNET_ARGS (an environment variable, words) adds flags to
# znb-znet's, e.g. --no-tcp-pacing or --tcp-cc newreno, to compare a
# setting of znet's sender on the same paths.
#
# Each for -t SECONDS (the bulk runs' time), at added RTTs of 0, 10 and
# 100 ms (RTTLOSS_RTTS) and loss of 0, 0.1, 1, 5 and 10% each way
# (RTTLOSS_PCTS), per cell one server for each znet sender (znet, then
# --tcp-cc bbr for znet-bbr) and one for both Linux senders, in
# HTTP_ROUNDS rounds with the senders' order alternating.  The
# environment may narrow the grid, words each: RTTLOSS_RTTS="100"
# RTTLOSS_PCTS="5" runs that one cell, RTTLOSS_SENDERS="znet-bbr linux"
# only those servers (linux runs both Linux senders), and -r N repeats
# it N times; the part ends by printing every cell's runs one by one,
# each sender's values in order with their median and spread, and the
# znet/Linux ratio of each round (bench/report.py
# --rttloss-spread).  Each line
# carries the sender's retransmitted segments and segments sent (rtx=,
# segs=): znet's from its server's counters at exit (tcp_rtx,
# tcp_seg_tx), Linux's from the namespace's RetransSegs and OutSegs
# around the run (/proc/net/snmp).  tcp-recv counts the bytes read from
# connect to the end of the time; tcp-send the bytes written, from
# connect to the server's FIN that answers ours (so the bytes were all
# delivered).  A run with RTTLOSS_LIMIT seconds without progress counts
# as failed.
#
# Windows: znet's send buffer and receive window are RTTLOSS_WND (32 MiB),
# and the namespace's tcp_wmem lets Linux's send buffer autotune to 32
# MiB, its tcp_rmem its receive buffer to 64 MiB, of which it advertises
# half as window (tcp_adv_win_scale 1): the same bound on both sides.
# (With tcp_rmem at 32 MiB, Linux offered znet's senders half the window
# znet offered Linux's, and with the out-of-order data of a loss every
# round that capped znet BBR at 100 ms and 0.1% near 480 Mbit/s; with
# 128 MiB, 1,010 against Linux BBR's 659: the notes.md of the run
# 2026-11-26-rttloss-32m, one of the older runs of bench/results/INDEX.md.)
# (With 16 MiB for znet, as until 2d8e2d9, znet's senders levelled off
# near 850 Mbit/s at 100 ms and 0% where Linux's, with twice the send
# buffer, reached 1,230; with 32 MiB znet BBR sent 1,531 and CUBIC
# 1,144: the notes.md of 2026-11-26-rttloss-merge, another.)  The
# injector holds delayed frames in the stack's pool, up to half of it:
# RTTLOSS_BUFS (64Ki frame buffers, 32Ki held) covers that window plus
# the frames in flight; what the injector still had to drop
# for want of room (fault.overflow, fault.nobuf at the server's exit) is
# recorded per cell as workload rttloss-RTT-PCT-queue.  Frames the TAP
# itself dropped on their way to znet (its tx_dropped: znet not reading
# fast enough) are added to each Linux-sending line as tap_drops.
# Recorded as stack znet / linux, workload rttloss-RTT-PCT.

read -r -a RTTLOSS_RTTS <<<"${RTTLOSS_RTTS:-0 10 100}"
read -r -a RTTLOSS_PCTS <<<"${RTTLOSS_PCTS:-0 0.1 1 5 10}"
read -r -a RTTLOSS_SENDERS <<<"${RTTLOSS_SENDERS:-znet linux znet-bbr}"
RTTLOSS_LIMIT=30
RTTLOSS_WND=32M
RTTLOSS_BUFS=65536

# rttloss_tap_drops: frames the TAP dropped toward znet so far.
rttloss_tap_drops() {
  in_ns "$NS_TAP" cat "/sys/class/net/$TAP/statistics/tx_dropped" 2>/dev/null || echo 0
}

# rttloss_snmp: "RetransSegs OutSegs" of the TAP's namespace so far.
rttloss_snmp() {
  in_ns "$NS_TAP" cat /proc/net/snmp | awk '$1 == "Tcp:" {
    if (!h) { for (i = 2; i <= NF; i++) f[$i] = i; h = 1; next }
    print $f["RetransSegs"], $f["OutSegs"] }'
}

# rttloss_one STACK ROUND RTT PCT: one transfer, znet sending (znet,
# znet-bbr: recorded once its server has stopped, by rttloss_znet_rtx)
# or Linux sending (linux, linux-bbr), against the running server.
rttloss_one() {
  local stack=$1 round=$2 rtt=$3 pct=$4 mode line d0 r0 o0 r1 o1
  local cc=()
  mode=tcp-recv
  case $stack in
    linux) mode=tcp-send cc=(-C cubic) ;;
    linux-bbr) mode=tcp-send cc=(-C bbr) ;;
  esac
  d0=$(rttloss_tap_drops)
  read -r r0 o0 < <(rttloss_snmp)
  line=$(timeout $((${SECS%.*} + RTTLOSS_LIMIT * 4)) ip netns exec "$NS_TAP" \
    taskset -c "$CLIENT_CPU" "$B/znb-load" "$mode" "$TAP_STACK" -t "$SECS" \
    -T "$RTTLOSS_LIMIT" "${cc[@]}" 2>>"$DIR/errors.log" | grep '^znb mode=')
  read -r r1 o1 < <(rttloss_snmp)
  [ -n "$line" ] || line="znb mode=$mode failed=1"
  if [ "$mode" = tcp-send ]; then
    line="$line tap_drops=$(($(rttloss_tap_drops) - d0)) rtx=$((r1 - r0)) segs=$((o1 - o0))"
    record "$round" "$stack" "rttloss-$rtt-$pct" "$line"
  else
    RTTLOSS_LINE=$line
  fi
}

# rttloss_znet_rtx ROUND STACK RTT PCT: the line of the znet sender whose
# server just stopped, with its retransmissions from the counters.
rttloss_znet_rtx() {
  local round=$1 stack=$2 rtt=$3 pct=$4 r o
  read -r r o < <(awk '$1 ~ /^tcp_(rtx|seg_tx)$/ { v[$1] = $2 }
    END { printf "%d %d\n", v["tcp_rtx"], v["tcp_seg_tx"] }' "$SCRATCH/server.out.err")
  record "$round" "$stack" "rttloss-$rtt-$pct" "$RTTLOSS_LINE rtx=$r segs=$o"
}

# rttloss_queue ROUND RTT PCT: the injector's counters from the server's
# exit, as one record.
rttloss_queue() {
  local round=$1 rtt=$2 pct=$3 kv
  kv=$(awk '$1 ~ /^fault\./ { v[substr($1, 7)] = $2 }
    END { printf " overflow=%d nobuf=%d lost=%d delayed=%d", v["overflow"],
          v["nobuf"], v["lost"], v["delayed"] }' "$SCRATCH/server.out.err")
  record "$round" znet "rttloss-$rtt-$pct-queue" \
    "znb mode=fault ops=0 secs=0 rate=0 unit=frames$kv"
}

# rttloss_server ROUND RTT PCT [FLAGS...]: znb-znet on the path.
rttloss_server() {
  local round=$1 rtt=$2 pct=$3
  shift 3
  in_ns "$NS_TAP" ip neigh flush dev "$TAP"
  # shellcheck disable=SC2086 # RTTLOSS_ZNET_ARGS: words
  start_server "$NS_TAP" "$SCRATCH/server.out" "ready" "$B/znb-znet" --netif "tap:$TAP" \
    --ipv4 "$TAP_STACK/24" --log warn --no-offload --bufs "$RTTLOSS_BUFS" \
    --tcp-sndbuf "$RTTLOSS_WND" --tcp-rcvbuf "$RTTLOSS_WND" \
    --fault-delay "$(awk -v r="$rtt" 'BEGIN { print r / 2 }')" \
    --fault-loss "$pct" --fault-seed "$round" ${RTTLOSS_ZNET_ARGS:-} "$@"
}

# rttloss_run ROUND STACK RTT PCT: one server on the path for STACK (znet,
# znet-bbr) or for both Linux senders (linux: linux and linux-bbr, in
# the round's order), its transfers, its injector's counters.
rttloss_run() {
  local round=$1 stack=$2 rtt=$3 pct=$4 s
  local cc=()
  [ "$stack" = znet-bbr ] && cc=(--tcp-cc bbr)
  rttloss_server "$round" "$rtt" "$pct" "${cc[@]}" || return 1
  if [ "$stack" = linux ]; then
    if [ $((round % 2)) = 1 ]; then s=(linux linux-bbr); else s=(linux-bbr linux); fi
    rttloss_one "${s[0]}" "$round" "$rtt" "$pct"
    rttloss_one "${s[1]}" "$round" "$rtt" "$pct"
  else
    rttloss_one "$stack" "$round" "$rtt" "$pct"
  fi
  stop_pid "$SERVER_PID"
  [ "$stack" = linux ] || rttloss_znet_rtx "$round" "$stack" "$rtt" "$pct"
  rttloss_queue "$round" "$rtt" "$pct"
  cat "$SCRATCH/server.out.err" >>"$DIR/servers.log"
}

# rttloss_cell ROUND RTT PCT: every sender's server in RTTLOSS_SENDERS'
# order, reversed in even rounds.
rttloss_cell() {
  local round=$1 rtt=$2 pct=$3 s=() stack i
  for ((i = 0; i < ${#RTTLOSS_SENDERS[@]}; i++)); do
    if [ $((round % 2)) = 1 ]; then
      s+=("${RTTLOSS_SENDERS[$i]}")
    else
      s=("${RTTLOSS_SENDERS[$i]}" "${s[@]}")
    fi
  done
  for stack in "${s[@]}"; do
    rttloss_run "$round" "$stack" "$rtt" "$pct"
  done
}

run_rttloss() {
  local round rtt pct rmem wmem
  rmem=$(in_ns "$NS_TAP" sysctl -n net.ipv4.tcp_rmem)
  wmem=$(in_ns "$NS_TAP" sysctl -n net.ipv4.tcp_wmem)
  in_ns "$NS_TAP" sysctl -qw net.ipv4.tcp_rmem="4096 131072 67108864"
  in_ns "$NS_TAP" sysctl -qw net.ipv4.tcp_wmem="4096 16384 33554432"
  for round in $(seq 1 "$HTTP_ROUNDS"); do
    wait_quiet "rttloss-$round"
    for rtt in "${RTTLOSS_RTTS[@]}"; do
      for pct in "${RTTLOSS_PCTS[@]}"; do
        rttloss_cell "$round" "$rtt" "$pct"
      done
    done
  done
  in_ns "$NS_TAP" sysctl -qw net.ipv4.tcp_rmem="$rmem"
  in_ns "$NS_TAP" sysctl -qw net.ipv4.tcp_wmem="$wmem"
  # Each cell's runs one by one, beside their median (bench/report.py).
  /usr/bin/python3 bench/report.py --rttloss-spread "$DIR" | tee "$DIR/rttloss-spread.txt"
}

# ---- memlink-seeds: the same question on a virtual clock ----
#
# znb-memlink bulk --seeds: MLSEEDS_N transfers of MLSEEDS_BYTES, znet to
# znet over memlink with the injector at one end (loss each way, RTT
# MLSEEDS_RTT ms), seeds 1..N, on a virtual clock: no noise, the same
# figures every run of the same tree.  Recorded as stack memlink,
# workload seeds-PCT.
MLSEEDS_N=20
MLSEEDS_BYTES=4M
MLSEEDS_RTT=10
MLSEEDS_PCTS=(0 2 5 10)

run_mlseeds() {
  local pct line
  for pct in "${MLSEEDS_PCTS[@]}"; do
    line=$(timeout 600 taskset -c "$SERVER_CPU" "$B/znb-memlink" bulk --seeds "$MLSEEDS_N" \
      --bytes "$MLSEEDS_BYTES" --loss "$pct" --rtt "$MLSEEDS_RTT" \
      2>>"$DIR/errors.log" | grep '^znb mode=')
    [ -n "$line" ] && record seeds memlink "seeds-$pct" "$line"
  done
  # BBR in the grid's hardest cell (100 ms, 5% each way: above BBRv3's 2%
  # loss threshold), 32M windows as the TAP cells have: the noise-free
  # view of its spread (issue 58), each transfer's rate in the log.
  line=$(timeout 900 taskset -c "$SERVER_CPU" "$B/znb-memlink" bulk --seeds "$MLSEEDS_N" \
    --each --bytes 16M --loss 5 --rtt 100 --cc bbr --wnd 32M --bufs 65536 \
    2>>"$DIR/errors.log" | tee -a "$DIR/seeds-bbr.log" | grep '^znb mode=')
  [ -n "$line" ] && record seeds memlink "seeds-bbr-5-100" "$line"
}
