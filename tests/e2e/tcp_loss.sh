#!/bin/bash
# TCP under loss, delay and reordering, against Linux: znet-nc on a TAP in
# a private network namespace.
#
#   tcp_loss.sh /path/to/znet-nc
#
# Loss comes from nftables rules inside the namespace that drop a random
# share of the TCP frames both ways (numgen random): a netdev ingress
# chain on the TAP drops what znet sends, an inet output chain what Linux
# sends it.  The TAP is set to hand TCP single segments (gso_max_segs 1),
# so the drops are per segment.  Delay and reordering come from znet's own
# fault injector (--fault-delay, --fault-jitter, --fault-reorder,
# --fault-dup), both directions.
#
# Each case moves a transfer each way (Linux's nc into znet-nc --sink, and
# znet-nc --send into Linux's nc -l), checks that the data arrived intact
# (SHA-256), that both ends closed cleanly (exit 0), that the loss really
# happened (nft counters, znet's retransmissions), and prints the time:
#
#   1% loss      64 MiB each way
#   5% loss      64 MiB Linux -> znet, TCP_LOSS_5_SEND (default 4 MiB)
#                znet -> Linux
#   fault inj.   64 MiB Linux -> znet, TCP_LOSS_FAULT_SEND (default 16
#                MiB) znet -> Linux, with 10 ms delay each way, 0.5% of
#                the frames held back 5 ms more, 0.5% duplicated
#   BBR          znet -> Linux with --tcp-cc bbr: 16 MiB over IPv4 at 1%
#                loss each way (nft) and 2 ms delay each way, and 16 MiB over IPv6 with 10 ms
#                delay and 1% loss each way from the injector; each
#                checks that BBR paced (tcp_paced > 0) and that the
#                data arrived intact
#
# znet's sender once recovered from loss and reordering far more slowly
# than Linux's (bench/results/loss/report.md has today's), hence the smaller
# sizes from znet; TCP_LOSS_1_SEND overrides the 1% case's (bytes; K, M
# suffixes as znet-nc takes them).  Needs root, /dev/net/tun, nft, nc,
# python3, sha256sum; otherwise skips.  Output is TAP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

NC=${1:-}
[ -n "$NC" ] && [ -x "$NC" ] || { echo "usage: $0 /path/to/znet-nc" >&2; exit 2; }
E2E_NC=$(cd "$(dirname "$NC")" && pwd)/$(basename "$NC")

need_netns
need_cmd nc nft python3 sha256sum timeout ss
trap e2e_cleanup EXIT
e2e_tmpdir
T=$E2E_TMP
Z=$E2E_ZNET_IP
K=$E2E_KERNEL_IP
BIG=$((64 << 20))
SEND_1=${TCP_LOSS_1_SEND:-64M}
SEND_5=${TCP_LOSS_5_SEND:-4M}
SEND_F=${TCP_LOSS_FAULT_SEND:-16M}

if ! setup_netns || ! in_ns ip link set dev "$E2E_TAP" gso_max_segs 1; then
  not_ok "create network namespace with $E2E_TAP (gso_max_segs 1)"
  finish
  exit 1
fi
head -c "$BIG" /dev/urandom >"$T/r64"
r64sum=$(sha256sum <"$T/r64" | cut -d' ' -f1)

# loss_on PCT: drop PCT% of the TCP frames each way (the tables live in
# the namespace and go with it).
loss_on() {
  in_ns nft -f - <<EOF
table netdev znloss {
  chain from_znet {
    type filter hook ingress device "$E2E_TAP" priority 0;
    ip protocol tcp numgen random mod 100 < $1 counter drop
  }
}
table inet znloss {
  chain to_znet {
    type filter hook output priority 0;
    oifname "$E2E_TAP" meta l4proto tcp numgen random mod 100 < $1 counter drop
  }
}
EOF
}

loss_off() {
  in_ns nft delete table netdev znloss 2>/dev/null
  in_ns nft delete table inet znloss 2>/dev/null
  return 0
}

# dropped: frames the rules dropped so far, "to znet/from znet".
dropped() {
  local to from
  to=$(in_ns nft list chain inet znloss to_znet 2>/dev/null | sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
  from=$(in_ns nft list chain netdev znloss from_znet 2>/dev/null | sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
  echo "${to:-0}/${from:-0}"
}

# to_znet LABEL PORT [ZNET-NC FLAGS...]: Linux sends r64 into znet-nc
# --listen --sink --sha256.
to_znet() {
  local label=$1 port=$2 nerr=$T/sink-$2.err
  shift 2
  if ! start_nc_listen "$T/sink.out" "$nerr" 0.0.0.0 "$port" --sink --sha256 -w 30 -v "$@"; then
    not_ok "$label: znet-nc --listen --sink starts"
    diag <"$nerr"
    return
  fi
  local t0 lrc rc dt
  t0=$(now_s)
  in_ns_t 150 nc -N "$Z" "$port" <"$T/r64" 2>"$T/lnc.err"
  lrc=$?
  wait_nc 60
  rc=$?
  dt=$(elapsed "$t0")
  check "$label: Linux -> znet 64 MiB, both exit 0 (got $lrc, $rc) in $dt s ($(mbit "$BIG" "$dt") Mbit/s)" \
    [ "$lrc" -eq 0 -a "$rc" -eq 0 ]
  check "$label: Linux -> znet: SHA-256 equal" grep -q "^znet-nc: sha256 received $r64sum\$" "$nerr"
  echo "# $label: Linux -> znet 64 MiB: $dt s; dropped to/from znet $(dropped)"
  grep "^znet-nc: \(received\|tcp\|failed\)" "$nerr" | diag
  no_leak_case "$label: znet-nc --sink" "$nerr"
}

# from_znet LABEL PORT SIZE [ZNET-NC FLAGS...]: znet-nc --send SIZE into
# Linux's nc -l | sha256sum.  Sets RTX to znet's retransmissions.
RTX=0
from_znet() {
  local label=$1 port=$2 size=$3 nerr=$T/send-$2.err lsum=$T/linux-$2.sha
  shift 3
  local bytes want t0 rc dt got
  bytes=$(python3 -c "import sys; s=sys.argv[1]; m={'K':10,'M':20,'G':30}.get(s[-1:].upper()); print(int(s[:-1]) << m if m else int(s))" "$size")
  want=$(python3 "$here/nc_pattern.py" "$bytes")
  linux_listen "$port" "$lsum" sha256sum
  local lpid=$E2E_LPID
  t0=$(now_s)
  E2E_NC_TIMEOUT=170 znet_nc "$K" "$port" --send "$size" --sha256 -w 30 -v "$@" \
    >"$T/send.out" 2>"$nerr"
  rc=$?
  wait_bg "$lpid" 30
  dt=$(elapsed "$t0")
  got=$(cut -d' ' -f1 <"$lsum")
  check "$label: znet -> Linux $size, exit 0 (got $rc) in $dt s ($(mbit "$bytes" "$dt") Mbit/s)" \
    [ "$rc" -eq 0 ]
  check "$label: znet -> Linux: Linux's SHA-256 is the pattern's" [ "$got" = "$want" ]
  echo "# $label: znet -> Linux $size: $dt s; dropped to/from znet $(dropped)"
  grep "^znet-nc: \(sent\|tcp\|failed\)" "$nerr" | diag
  RTX=$(counter "$nerr" tcp_rtx)
  no_leak_case "$label: znet-nc --send" "$nerr"
}

for pct in 1 5; do
  if ! loss_on "$pct"; then
    not_ok "nft rules for $pct% loss"
    continue
  fi
  ok "nft: $pct% of the TCP frames dropped each way"
  to_znet "$pct% loss" "50${pct}1"
  size=$SEND_1
  [ "$pct" = 5 ] && size=$SEND_5
  from_znet "$pct% loss" "50${pct}2" "$size"
  d=$(dropped)
  check "$pct% loss: the rules dropped frames both ways ($d)" \
    [ "${d%/*}" -gt 0 -a "${d#*/}" -gt 0 ]
  check "$pct% loss: znet retransmitted (tcp_rtx $RTX)" [ "$RTX" -gt 0 ]
  loss_off
done

# The fault injector: delay, reordering and duplication, both directions;
# bigger buffers for the held frames and the longer path.  (No jitter:
# drawn per frame, 1 ms of it already reorders a fast stream by dozens of
# segments.)
FAULTS=(--fault-delay 10 --fault-reorder 0.5 --fault-dup 0.5
  --fault-seed 7 --bufs 8192 --tcp-rcvbuf 1M --tcp-sndbuf 1M)
to_znet "faults" 5031 "${FAULTS[@]}"
check "faults: the injector held frames back (fault.reordered > 0, fault.duplicated > 0)" \
  [ "$(counter "$T/sink-5031.err" fault.reordered)" -gt 0 -a \
    "$(counter "$T/sink-5031.err" fault.duplicated)" -gt 0 ]
from_znet "faults" 5032 "$SEND_F" "${FAULTS[@]}"
check "faults: the injector reordered znet's frames too (fault.reordered > 0)" \
  [ "$(counter "$T/send-5032.err" fault.reordered)" -gt 0 ]

# BBR (draft-ietf-ccwg-bbr) as the sender, IPv4 through nft's loss, with
# 2 ms more each way from the injector.  Without it the TAP's round trip
# is a few hundred microseconds: BBR's window (2 BDP) is then sent in less
# than the timer's 1 ms tick, so pacing need not hold a single send back
# (tcp_paced 0 on a busy CI machine), and the check below proves nothing.
# With a 4 ms round trip a window takes about two of them at the pacing
# rate: sends are held whenever the window is open.
if loss_on 1; then
  from_znet "bbr 1% loss" 5041 16M --tcp-cc bbr --tcp-sndbuf 1M \
    --fault-delay 2 --fault-seed 5 --bufs 8192
  check "bbr 1% loss: znet paced (tcp_paced $(counter "$T/send-5041.err" tcp_paced)) and retransmitted (tcp_rtx $RTX)" \
    [ "$(counter "$T/send-5041.err" tcp_paced)" -gt 0 -a "$RTX" -gt 0 ]
  loss_off
else
  not_ok "nft rules for the BBR case"
fi

# BBR over IPv6: 10 ms each way and 1% loss each way from the injector
# (nft's rules above match IPv4 only).
if setup_tap6; then
  lsum=$T/linux-6.sha
  in_ns_t 120 nc -6 -l -p 5042 </dev/null 2>"$T/l6.err" | sha256sum >"$lsum" &
  l6pid=$!
  bg_pid "$l6pid"
  wait_listen 5042
  want=$(python3 "$here/nc_pattern.py" $((16 << 20)))
  t0=$(now_s)
  E2E_NC_TIMEOUT=170 znet_nc --ipv6 "$E2E_ZNET_IP6/64" --dad-transmits 0 \
    "$E2E_KERNEL_IP6" 5042 --send 16M --sha256 -w 30 -v --tcp-cc bbr \
    --tcp-sndbuf 1M --fault-delay 10 --fault-loss 1 --fault-seed 11 \
    --bufs 8192 >"$T/send6.out" 2>"$T/send6.err"
  rc=$?
  wait_bg "$l6pid" 30
  dt=$(elapsed "$t0")
  check "bbr IPv6 10 ms 1% loss: znet -> Linux 16M, exit 0 (got $rc) in $dt s ($(mbit $((16 << 20)) "$dt") Mbit/s)" \
    [ "$rc" -eq 0 ]
  check "bbr IPv6: Linux's SHA-256 is the pattern's" \
    [ "$(cut -d' ' -f1 <"$lsum")" = "$want" ]
  check "bbr IPv6: paced (tcp_paced > 0), the injector dropped (fault.lost > 0)" \
    [ "$(counter "$T/send6.err" tcp_paced)" -gt 0 -a \
      "$(counter "$T/send6.err" fault.lost)" -gt 0 ]
  grep "^znet-nc: \(sent\|tcp\|failed\)" "$T/send6.err" | diag
  no_leak_case "bbr IPv6: znet-nc --send" "$T/send6.err"
else
  not_ok "IPv6 on $E2E_TAP"
fi
finish
