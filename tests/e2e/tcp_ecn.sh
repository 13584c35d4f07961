#!/bin/bash
# ECN for TCP (RFC 3168) against Linux: znet-nc on a TAP in a private
# network namespace whose kernel asks for ECN (net.ipv4.tcp_ecn=1 there,
# which covers IPv6 too), over IPv4 and IPv6.
#
#   tcp_ecn.sh /path/to/znet-nc
#
# nftables rules inside the namespace play a congested router: they set
# CE in the ECN field of a share of the ECN-capable TCP packets (numgen
# random), in a netdev ingress chain on the TAP for what znet sends and
# in an inet output chain for what Linux sends it (`ip ecn set ce`, `ip6
# ecn set ce`), and count ECN-capable packets from znet.  The TAP hands
# TCP single segments (gso_max_segs 1), so marks are per segment.
#
# Per family: Linux's nc sends TCP_ECN_SIZE (default 16 MiB) into
# znet-nc --listen --sink (Linux asks, znet answers: its counters must
# show the agreement, CE received, ECE sent and Linux's CWR); znet-nc
# --tcp-ecn on --send the same to Linux (znet asks: its counters must
# show the ECN-setup SYN, ECT(0) data, Linux's echoes, window cuts and
# CWR sent); and znet-nc with the default setting (passive) sends to
# Linux without asking: no ECN, not one ECN-capable packet from znet.
# Every transfer is checked byte for byte (SHA-256), both ends exit 0,
# the rules marked packets, nothing leaked.  Needs root, /dev/net/tun,
# nft, nc, socat, python3, sha256sum; otherwise skips.  Output is TAP.
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

NC=${1:-}
[ -n "$NC" ] && [ -x "$NC" ] || { echo "usage: $0 /path/to/znet-nc" >&2; exit 2; }
E2E_NC=$(cd "$(dirname "$NC")" && pwd)/$(basename "$NC")

need_netns
need_cmd nc nft socat python3 sha256sum timeout ss
trap e2e_cleanup EXIT
e2e_tmpdir
T=$E2E_TMP
SIZE=${TCP_ECN_SIZE:-16M}
PCT=${TCP_ECN_MARK_PCT:-2}

if ! setup_netns || ! in_ns ip link set dev "$E2E_TAP" gso_max_segs 1 ||
  ! setup_tap6; then
  not_ok "create network namespace with $E2E_TAP ($E2E_KERNEL_IP, $E2E_KERNEL_IP6)"
  finish
  exit 1
fi
check "Linux in the namespace asks for ECN (net.ipv4.tcp_ecn=1)" \
  in_ns sysctl -qw net.ipv4.tcp_ecn=1

# The router: CE on PCT% of the ECN-capable TCP packets each way, and a
# count of ECN-capable packets from znet (the tables go with the
# namespace).
if in_ns nft -f - <<EOF; then
table netdev znecn {
  chain from_znet {
    type filter hook ingress device "$E2E_TAP" priority 0;
    ip protocol tcp ip ecn { ect0, ect1 } counter
    ip6 nexthdr tcp ip6 ecn { ect0, ect1 } counter
    ip protocol tcp ip ecn { ect0, ect1 } numgen random mod 100 < $PCT counter ip ecn set ce
    ip6 nexthdr tcp ip6 ecn { ect0, ect1 } numgen random mod 100 < $PCT counter ip6 ecn set ce
  }
}
table inet znecn {
  chain to_znet {
    type filter hook output priority 0;
    oifname "$E2E_TAP" ip protocol tcp ip ecn { ect0, ect1 } numgen random mod 100 < $PCT counter ip ecn set ce
    oifname "$E2E_TAP" ip6 nexthdr tcp ip6 ecn { ect0, ect1 } numgen random mod 100 < $PCT counter ip6 ecn set ce
  }
}
EOF
  ok "nft: CE on $PCT% of the ECN-capable TCP packets each way"
else
  not_ok "nft: CE on $PCT% of the ECN-capable TCP packets each way"
fi

# nft_counts CHAIN TABLE FAMILY: the packet counts of a chain's rules, in
# order, space-separated.
nft_counts() {
  in_ns nft list chain "$3" "$2" "$1" 2>/dev/null |
    sed -n 's/.*counter packets \([0-9]*\).*/\1/p' | tr '\n' ' '
}

# snap: the counters now, as "ect4 ect6 ce4_from ce6_from ce4_to ce6_to".
snap() {
  local from to
  read -r -a from <<<"$(nft_counts from_znet znecn netdev)"
  read -r -a to <<<"$(nft_counts to_znet znecn inet)"
  echo "${from[0]:-0} ${from[1]:-0} ${from[2]:-0} ${from[3]:-0} ${to[0]:-0} ${to[1]:-0}"
}

# delta BEFORE AFTER N: the Nth (0-based) counter's growth.
delta() {
  local -a a b
  read -r -a a <<<"$1"
  read -r -a b <<<"$2"
  echo $((${b[$3]} - ${a[$3]}))
}

bytes=$(python3 -c "import sys; s=sys.argv[1]; m={'K':10,'M':20,'G':30}.get(s[-1:].upper()); print(int(s[:-1]) << m if m else int(s))" "$SIZE")
head -c "$bytes" /dev/urandom >"$T/data"
datasum=$(sha256sum <"$T/data" | cut -d' ' -f1)
pattern=$(python3 "$here/nc_pattern.py" "$bytes")

# positive FILE NAME...: ok if each counter NAME of znet's FILE is > 0.
positive() {
  local f=$1 n
  shift
  for n in "$@"; do
    [ "$(counter "$f" "$n")" -gt 0 ] || return 1
  done
}

# counters FILE: znet's ECN counters, one line.
counters() {
  grep -o "tcp_ecn_[a-z_]* *[0-9]*" "$1" | tr -s ' ' '=' | tr '\n' ' '
}

# into_znet FAM PORT: Linux's nc sends the data into znet-nc --listen
# --sink; Linux asks for ECN, znet answers.
into_znet() {
  local fam=$1 port=$2 err=$T/sink-$1.err z addr=(--ipv6 "$E2E_ZNET_IP6/64" --dad-transmits 0)
  z=$E2E_ZNET_IP
  [ "$fam" = IPv6 ] && z=$E2E_ZNET_IP6
  local before after t0 lrc rc dt
  before=$(snap)
  if ! start_nc_listen "$T/sink.out" "$err" "$z" "$port" --sink --sha256 \
    -w 30 -v "${addr[@]}"; then
    not_ok "$fam: znet-nc --listen --sink starts"
    diag <"$err"
    return
  fi
  t0=$(now_s)
  in_ns_t 120 nc -N "$z" "$port" <"$T/data" 2>"$T/lnc-$fam.err"
  lrc=$?
  wait_nc 60
  rc=$?
  dt=$(elapsed "$t0")
  after=$(snap)
  check "$fam: Linux -> znet $SIZE, both exit 0 (got $lrc, $rc) in $dt s ($(mbit "$bytes" "$dt") Mbit/s)" \
    [ "$lrc" -eq 0 -a "$rc" -eq 0 ]
  check "$fam: Linux -> znet: SHA-256 equal" \
    grep -q "^znet-nc: sha256 received $datasum\$" "$err"
  local ce i=4
  [ "$fam" = IPv6 ] && i=5
  ce=$(delta "$before" "$after" "$i")
  check "$fam: the rules marked CE on $ce of Linux's packets" [ "$ce" -gt 0 ]
  check "$fam: Linux asked, znet agreed (tcp_ecn_negotiated 1)" \
    [ "$(counter "$err" tcp_ecn_negotiated)" -eq 1 ]
  check "$fam: znet received CE, echoed ECE, and Linux answered CWR" \
    positive "$err" tcp_ecn_ce_rx tcp_ecn_ece_tx tcp_ecn_cwr_rx
  echo "# $fam Linux -> znet: $(counters "$err")"
  no_leak_case "$fam: znet-nc --sink" "$err"
}

# listen_sha FAM PORT OUT: Linux listens (socat) on PORT, what it
# receives hashed into OUT; waits until the port listens.  PID: E2E_LPID.
listen_sha() {
  local fam=$1 port=$2 out=$3 spec
  spec="TCP4-LISTEN:$port,bind=$E2E_KERNEL_IP"
  [ "$fam" = IPv6 ] && spec="TCP6-LISTEN:$port,bind=[$E2E_KERNEL_IP6]"
  ip netns exec "$E2E_NS" timeout 120 socat -u "$spec" - 2>"$out.err" |
    sha256sum | cut -d' ' -f1 >"$out" &
  E2E_LPID=$!
  bg_pid "$E2E_LPID"
  wait_listen "$port"
}

# from_znet FAM PORT MODE: znet-nc --send the pattern to Linux with
# --tcp-ecn MODE (on: znet asks; passive: it does not).
from_znet() {
  local fam=$1 port=$2 mode=$3 err=$T/send-$1-$3.err sum=$T/linux-$1-$3.sha
  local k=$E2E_KERNEL_IP addr=(--ipv6 "$E2E_ZNET_IP6/64" --dad-transmits 0)
  [ "$fam" = IPv6 ] && k=$E2E_KERNEL_IP6
  local before after t0 rc dt got try
  # RFC 3168 §6.1.1.1: an ECN-setup SYN unanswered within the SYN's
  # retransmission timeout (its ARP or the peer slow on a loaded
  # machine) is resent without ECN, and then no data may carry ECT: the
  # ECT checks below need a SYN that was answered, so such a run (seen
  # as tcp_ecn_syn_fallback) is made once more.
  for try in 1 2; do
    if ! listen_sha "$fam" "$port" "$sum"; then
      not_ok "$fam: Linux listens on $port"
      return
    fi
    local lpid=$E2E_LPID
    before=$(snap)
    t0=$(now_s)
    E2E_NC_TIMEOUT=120 znet_nc "$k" "$port" --send "$SIZE" --sha256 -w 30 -v \
      --tcp-ecn "$mode" "${addr[@]}" </dev/null >/dev/null 2>"$err"
    rc=$?
    wait_bg "$lpid" 30
    dt=$(elapsed "$t0")
    after=$(snap)
    got=$(cat "$sum" 2>/dev/null)
    [ "$(counter "$err" tcp_ecn_syn_fallback)" -eq 0 ] && break
    echo "# $fam znet ($mode): the ECN-setup SYN went unanswered in time (try $try)"
  done
  check "$fam: znet ($mode) -> Linux $SIZE, exit 0 (got $rc) in $dt s ($(mbit "$bytes" "$dt") Mbit/s)" \
    [ "$rc" -eq 0 ]
  check "$fam: znet ($mode) -> Linux: Linux's SHA-256 is the pattern's" \
    [ "$got" = "$pattern" ]
  local ect ce i=0
  [ "$fam" = IPv6 ] && i=1
  ect=$(delta "$before" "$after" "$i")
  ce=$(delta "$before" "$after" $((i + 2)))
  if [ "$mode" = on ]; then
    check "$fam: znet asked (one ECN-setup SYN), Linux agreed" \
      [ "$(counter "$err" tcp_ecn_syn_tx)" -eq 1 -a \
        "$(counter "$err" tcp_ecn_negotiated)" -eq 1 ]
    check "$fam: znet sent $ect ECN-capable packets, the rules marked $ce CE" \
      [ "$ect" -gt 0 -a "$ce" -gt 0 ]
    check "$fam: Linux echoed (ECE), znet cut its window and sent CWR" \
      positive "$err" tcp_ecn_ect_tx tcp_ecn_ece_rx tcp_ecn_cwnd_cut \
      tcp_ecn_cwr_tx
  else
    check "$fam: znet did not ask (no ECN-setup SYN, no agreement)" \
      [ "$(counter "$err" tcp_ecn_syn_tx)" -eq 0 -a \
        "$(counter "$err" tcp_ecn_negotiated)" -eq 0 ]
    check "$fam: not one ECN-capable packet from znet ($ect)" [ "$ect" -eq 0 ]
  fi
  echo "# $fam znet ($mode) -> Linux: $(counters "$err")"
  no_leak_case "$fam: znet-nc --send ($mode)" "$err"
}

into_znet IPv4 5101
from_znet IPv4 5102 on
from_znet IPv4 5103 passive
into_znet IPv6 5111
from_znet IPv6 5112 on
from_znet IPv6 5113 passive
finish
