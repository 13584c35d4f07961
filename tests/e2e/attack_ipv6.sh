#!/bin/bash
# IPv6 attacks end to end (issue 15): spoofed ND/RA, neighbor cache
# exhaustion, fragment floods, RFC 7112 tiny fragments, long extension
# header chains and RA floods, each against a fresh znet-echo
# (--ipv6 2001:db8:1::2/64, --slaac for the RA flood) on a TAP whose
# Linux side is 2001:db8:1::1/64, while a witness Linux client keeps one
# TCP connection echoing 4 KiB at a time, opens fresh ones and pings.
#
#   attack_ipv6.sh /path/to/znet-echo [SECONDS]
#
# attack_ipv6.py MODE sends each attack for SECONDS (default 3) from raw
# frames (see it for what each sends).  Checks, for every attack: the
# kept TCP connection moves data through the attack and after it, byte
# for byte; every fresh TCP echo and every ping succeeds; znet-echo's
# resident memory grows by less than 8 MiB; znet-echo exits 0 with no
# leak and no sanitizer report; and the counters name what was dropped:
#   spoof    NAs and RAs with a hop limit other than 255 are counted
#            (nd_drop_hlim, icmp6_drop_conf_hlim) and change nothing: no
#            NA applied, no RA accepted, no address in the advertised
#            prefix, and the witness (which needs znet's entry for Linux
#            to stay right) is served
#   ndflood  the neighbor cache stays bounded: entries are evicted
#            (nd_evict), and the kept flow is unharmed
#   frags    incomplete reassemblies are bounded (ip6_reass_drop_slots,
#            _evicted or _mem), nothing is reassembled from the flood,
#            and a fragmented 3000-byte ping6 right after is answered
#   tiny     RFC 7112: no echo request whose first fragment lacks the
#            whole header chain is answered; ip6_drop_chain counts them
#            and parameter problem code 3 answers them (RFC 8200 4.5)
#   chain    no echo request behind 100+ extension headers is answered;
#            ip6_drop_chain counts them; the parameter problems (code 0
#            at the header past the walk's bound) are rate limited
#   raflood  the prefix list and the address table stay bounded
#            (ra_prefix_full and ip6conf_addr_full counted, at most the
#            table's 8 addresses ever printed), and the static address
#            stays reachable
#   ndfrag   RFC 6980: NS and RA (--slaac) in atomic fragments or in two
#            fragments are each dropped and counted
#            (icmp6_drop_nd_fragmented); no NA answers a forged source, no
#            RA is accepted, no address formed in the advertised prefix
# Needs root, /dev/net/tun, python3, ping.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

ECHO=${1:-}
SECS=${2:-3}
[ -n "$ECHO" ] && [ -x "$ECHO" ] ||
  { echo "usage: $0 /path/to/znet-echo [SECONDS]" >&2; exit 2; }
ECHO=$(cd "$(dirname "$ECHO")" && pwd)/$(basename "$ECHO")

need_netns
need_cmd python3 timeout ping ps
trap e2e_cleanup EXIT
e2e_tmpdir
T=$E2E_TMP
K6=2001:db8:1::1
Z6=2001:db8:1::2

if ! setup_netns; then
  not_ok "create network namespace with $E2E_TAP"
  finish
  exit 1
fi
if in_ns sysctl -qw "net.ipv6.conf.$E2E_TAP.accept_ra=0" &&
  ipv6_on "$E2E_NS" "$E2E_TAP" "$K6/64"; then
  ok "network namespace $E2E_NS with $E2E_TAP $K6/64"
else
  not_ok "IPv6 on $E2E_TAP with $K6/64"
  finish
  exit 1
fi

# attack MODE [ARGS...]: one fresh znet-echo (ARGS added), the attack,
# the common checks.  Leaves the figures in $res, znet-echo's stdout in
# $out and its stderr in $err.
attack() {
  local mode=$1
  shift
  out=$T/$mode.out
  err=$T/$mode.err
  res=$T/$mode.txt
  if ! start_echo "$ECHO" "$out" "$err" --mac "$E2E_MAC" --ipv6 "$Z6/64" "$@" ||
    ! wait_line "$out" "^znet-echo: ipv6 $Z6/64 preferred static$" 30; then
    not_ok "$mode: znet-echo starts, $Z6 preferred"
    diag <"$out"
    diag <"$err"
    stop_echo
    return 1
  fi
  local zpid
  zpid=$(ps -o pid= --ppid "$E2E_ECHO_PID" | tr -d ' ' | head -1)
  in_ns_t $((${SECS%.*} + 40)) python3 "$here/attack_ipv6.py" "$mode" \
    "$E2E_TAP" "$Z6" "$E2E_MAC" "$K6" "$SECS" "${zpid:-0}" >"$res" 2>&1
  diag <"$res"
  local n okn pn pok r0 rp
  n=$(v witness_tcp)
  okn=$(v witness_tcp_ok)
  pn=$(v witness_ping)
  pok=$(v witness_ping_ok)
  check "$mode: the attack ran ($(v sent) sent)" [ "$(v sent)" -gt 0 ]
  check "$mode: the kept TCP connection moved $(v flow_bytes) bytes, all echoed" \
    [ "$(v flow_ok)" = 1 -a "${n:-0}" -gt 0 -a "$(v flow_bytes)" -gt 0 ]
  check "$mode: fresh TCP echoes all succeed (${okn:-0}/${n:-0})" \
    [ "${n:-0}" -ge 3 -a "${okn:-0}" = "${n:-0}" ]
  check "$mode: pings all answered (${pok:-0}/${pn:-0})" \
    [ "${pn:-0}" -ge 3 -a "${pok:-0}" = "${pn:-0}" ]
  r0=$(v rss_start_kb)
  rp=$(v rss_peak_kb)
  check "$mode: memory bounded: RSS ${r0:-?} kB -> peak ${rp:-?} kB (+$((${rp:-0} - ${r0:-0})) kB < 8192)" \
    [ "${r0:-0}" -gt 0 -a $((${rp:-0} - ${r0:-0})) -lt 8192 ]
}

# finish_attack MODE: stop znet-echo, leak check, its counters as comments.
finish_attack() {
  if stop_echo; then ok "$1: znet-echo exits 0"; else not_ok "$1: znet-echo exits 0"; fi
  no_leak_case "$1: znet-echo" "$err"
  grep -E "^  (ip6_|icmp6_|nd_|ra_|dad_|buf_|ip6conf_|slaac_)" "$err" | awk '$2 != 0' | diag
}

# ATTACKS="spoof frags ...": only those (all by default).
want() { [ -z "${ATTACKS:-}" ] || [[ " $ATTACKS " == *" $1 "* ]]; }
v() { awk -v k="$1" '$1 == k { print $2 }' "$res"; }
c() { counter "$err" "$1"; }
FIG=""

# ---- spoofed NA and RA (hop limit not 255) -----------------------------------
if want spoof && attack spoof; then
  finish_attack spoof
  hl=$(c nd_drop_hlim)
  rhl=$(($(c icmp6_drop_conf_hlim) + $(c ra_drop_hop_limit)))
  check "spoof: NAs with hop limit != 255 dropped and counted (nd_drop_hlim $hl, $(v na_spoofed) sent)" \
    [ "$hl" -ge "$(v na_spoofed)" ]
  check "spoof: RAs with hop limit != 255 dropped and counted (icmp6_drop_conf_hlim+ra_drop_hop_limit $rhl, $(v ra_spoofed) sent)" \
    [ "$rhl" -ge "$(v ra_spoofed)" ]
  check "spoof: no RA accepted (ra_accepted $(c ra_accepted))" [ "$(c ra_accepted)" = 0 ]
  check "spoof: no address formed in the spoofed prefix 2001:db8:66::/64" \
    bash -c "! grep -q '^znet-echo: ipv6 2001:db8:66:' '$out'"
  FIG="$FIG; spoof: nd_drop_hlim $hl, RA hop limit drops $rhl, nd_na_rx $(c nd_na_rx)"
fi

# ---- neighbor cache exhaustion -------------------------------------------------
if want ndflood && attack ndflood; then
  finish_attack ndflood
  ev=$(c nd_evict)
  check "ndflood: the neighbor cache stays bounded: entries evicted (nd_evict $ev, $(v ns_forged) forged NS, $(v echo_forged) forged echo requests)" \
    [ "$ev" -gt 0 ]
  # Answering forged sources once filled the cache with INCOMPLETE
  # entries, pushed Linux's (not yet confirmed) out, and dropped every
  # segment to it for 3 s: the flow stalled on retransmission timeouts.
  check "ndflood: the flow never waited for a retransmission timeout (tcp_rto $(c tcp_rto), tcp_rtx $(c tcp_rtx))" \
    [ "$(c tcp_rto)" = 0 ]
  FIG="$FIG; ndflood: nd_evict $ev, nd_ns_rx $(c nd_ns_rx), nd_ns_tx $(c nd_ns_tx), nd_resolve_fail $(c nd_resolve_fail), nd_drop_pending_full $(c nd_drop_pending_full), flow $(v flow_bytes) B"
fi

# ---- fragments that never complete --------------------------------------------
if want frags && attack frags; then
  big=$T/bigping.log
  in_ns ping -6 -n -c 3 -i 0.3 -W 2 -s 3000 "$Z6" >"$big" 2>&1
  bigok=$(grep -o '[0-9]* received' "$big" | cut -d' ' -f1)
  finish_attack frags
  slots=$(($(c ip6_reass_drop_slots) + $(c ip6_reass_drop_evicted)))
  mem=$(c ip6_reass_drop_mem)
  frx=$(c ip6_frag_rx)
  check "frags: fragments received and dropped as no slot, evicted or no memory (ip6_frag_rx $frx, drop_slots+evicted $slots, drop_mem $mem)" \
    [ "$frx" -gt 0 -a $((slots + mem)) -gt 0 ]
  check "frags: a fragmented 3000-byte ping6 right after the flood is answered (${bigok:-0}/3)" \
    [ "${bigok:-0}" -ge 1 ]
  FIG="$FIG; frags: ip6_frag_rx $frx, slots+evicted $slots, mem $mem, ip6_reass_ok $(c ip6_reass_ok)"
fi

# ---- RFC 7112 tiny first fragments ----------------------------------------------
if want tiny && attack tiny; then
  finish_attack tiny
  ch=$(c ip6_drop_chain)
  check "tiny: no echo request with a split header chain answered ($(v replies) replies to $(v sent))" \
    [ "$(v replies)" = 0 ]
  check "tiny: ip6_drop_chain counts the first fragments ($ch >= $(v sent))" \
    [ "$ch" -ge "$(v sent)" ]
  check "tiny: answered with parameter problem code 3 (codes seen $(v paramprob_codes))" \
    grep -q "^paramprob_codes .*\b3:" "$res"
  FIG="$FIG; tiny: ip6_drop_chain $ch, icmp6_err_tx $(c icmp6_err_tx), ratelimited $(c icmp6_err_ratelimited)"
fi

# ---- 100+ extension headers --------------------------------------------------------
if want chain && attack chain; then
  finish_attack chain
  ch=$(c ip6_drop_chain)
  check "chain: no echo request behind 100+ extension headers answered ($(v replies) replies to $(v sent))" \
    [ "$(v replies)" = 0 ]
  check "chain: ip6_drop_chain counts them ($ch >= $(v sent))" [ "$ch" -ge "$(v sent)" ]
  # RFC 4443 2.4(f): the parameter problems they earn are rate limited
  # (cfg.icmp_rate, 100 a second); the flood is 400 a second.
  pp=$(v paramprob)
  check "chain: parameter problems rate limited ($pp sent for $(v sent), icmp6_err_ratelimited $(c icmp6_err_ratelimited))" \
    [ "$(c icmp6_err_ratelimited)" -gt 0 -a "${pp:-0}" -le $((100 * (${SECS%.*} + 2))) ]
  FIG="$FIG; chain: ip6_drop_chain $ch, parameter problems $(v paramprob) (codes $(v paramprob_codes))"
fi

# ---- RA flood with many prefixes ----------------------------------------------------
if want raflood && attack raflood --slaac; then
  finish_attack raflood
  nsl=$(grep -cE "^znet-echo: ipv6 [0-9a-f:]+/64 [a-z]+ slaac$" "$out")
  nad=$(grep -E "^znet-echo: ipv6 " "$out" | awk '{print $3}' | sort -u | wc -l)
  check "raflood: RAs accepted, the prefix list fills and is counted (ra_accepted $(c ra_accepted), ra_prefix_full $(c ra_prefix_full), ra_router_full $(c ra_router_full))" \
    [ "$(c ra_accepted)" -gt 0 -a "$(c ra_prefix_full)" -gt 0 ]
  check "raflood: the address table stays bounded and says so ($nad distinct addresses printed <= 8, the default table; ip6conf_addr_full $(c ip6conf_addr_full), slaac_addr_added $(c slaac_addr_added))" \
    [ "$nad" -le 8 -a "$(c ip6conf_addr_full)" -gt 0 ]
  FIG="$FIG; raflood: $(v sent) RAs, ra_prefix_full $(c ra_prefix_full), ra_router_full $(c ra_router_full), $nad addresses, $nsl slaac lines"
fi

# ---- RFC 6980: neighbor discovery in fragments ------------------------------------
if want ndfrag && attack ndfrag --slaac; then
  finish_attack ndfrag
  nf=$(c icmp6_drop_nd_fragmented)
  nd=$(($(v ns_frag) + $(v ra_frag)))
  check "ndfrag: every fragmented NS and RA dropped and counted (icmp6_drop_nd_fragmented $nf; sent $(v ns_frag) NS, $(v ra_frag) RA)" \
    [ "$nd" -gt 0 -a "$nf" = "$nd" ]
  check "ndfrag: no NA to a forged source ($(v na_forged))" [ "$(v na_forged)" = 0 ]
  check "ndfrag: no RA accepted (ra_accepted $(c ra_accepted))" [ "$(c ra_accepted)" = 0 ]
  check "ndfrag: no address formed in the advertised prefix 2001:db8:67::/64" \
    bash -c "! grep -q '^znet-echo: ipv6 2001:db8:67:' '$out'"
  FIG="$FIG; ndfrag: $(v ns_frag) NS and $(v ra_frag) RA fragmented, icmp6_drop_nd_fragmented $nf, NAs to forged sources $(v na_forged), ip6_atomic_rx $(c ip6_atomic_rx), ip6_reass_ok $(c ip6_reass_ok)"
fi

echo "$FIG" | sed '/^$/d;s/^; //;s/; /\n/g' | diag
finish
