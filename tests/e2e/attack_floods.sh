#!/bin/bash
# Floods and hostile peers end to end (issue 7, "Attacks"): ARP floods,
# IPv4 fragments that never complete, overlapping fragments, tiny- and
# zero-window TCP peers, peers that never read, each against a fresh
# znet-echo (defaults: 512 frame buffers, 64 TCP connections) while a
# witness Linux client keeps connecting to the TCP echo and pinging.
#
#   attack_floods.sh /path/to/znet-echo [SECONDS]
#
# attack_floods.py MODE does each attack for SECONDS (default 3) at a
# bounded rate (see it for what each sends).  Checks, for every attack:
# every witness TCP echo during and just after it succeeds, and every
# ping is answered; znet-echo's resident memory grows by less than 8 MiB
# (the stack's block is about 1.4 MB; the core allocates nothing);
# znet-echo exits 0 with no leak and no sanitizer report; and the
# counters name what was dropped:
#   arp      arp_drop_not_for_us (requests for others) and
#            arp_drop_unsolicited (replies nobody asked for) account for
#            the flood
#   frags    the fragments are dropped as no slot / no memory / timeout
#            (ip_reass_drop_*), nothing is reassembled; a 3000-byte ping
#            right after the flood (fragmented) is answered
#   overlap  no overlapping echo request is answered;
#            ip_reass_drop_overlap counts them
#   window   all 16 forged peers connect; window-1 peers get their echo a
#            byte at a time, window-0 peers get probes; nothing else is
#            starved
#   idle     8 Linux clients that connect and stay silent do not starve
#            the witness
#   noread   24 Linux clients that never read (half on the echo, half on
#            the discard port) do not starve the witness
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

if ! setup_netns; then
  not_ok "create network namespace with $E2E_TAP"
  finish
  exit 1
fi

FAKE=10.77.0.50=02:00:00:77:00:50

# The idle, window and noread attacks found that every open receive
# window was charged against the stack-wide TCP buffer bound in full, so
# about 7 connections holding their 64 KiB windows open left every newer
# one a zero window; a connection now always gets an equal share
# (src/tcp/tcp_out.c rcv_share).

# attack MODE: one fresh znet-echo, the attack, the common checks.  Leaves the
# attack's figures in $res and znet-echo's stderr in $err.
attack() {
  local mode=$1
  out=$T/$mode.out
  err=$T/$mode.err
  res=$T/$mode.txt
  if ! start_echo "$ECHO" "$out" "$err" --mac "$E2E_MAC" --arp "$FAKE"; then
    not_ok "$mode: znet-echo starts"
    diag <"$err"
    return 1
  fi
  local zpid
  zpid=$(ps -o pid= --ppid "$E2E_ECHO_PID" | tr -d ' ' | head -1)
  in_ns_t $((${SECS%.*} + 30)) python3 "$here/attack_floods.py" "$mode" \
    "$E2E_TAP" "$E2E_ZNET_IP" "$E2E_MAC" "$SECS" "${zpid:-0}" >"$res" 2>&1
  diag <"$res"
  local n okn pn pok r0 rp
  n=$(v witness_tcp)
  okn=$(v witness_tcp_ok)
  pn=$(v witness_ping)
  pok=$(v witness_ping_ok)
  check "$mode: the flood ran ($(v sent) sent)" [ "$(v sent)" -gt 0 ]
  check "$mode: witness TCP echoes all succeed (${okn:-0}/${n:-0})" \
    [ "${n:-0}" -ge 3 -a "${okn:-0}" = "${n:-0}" ]
  check "$mode: witness pings all answered (${pok:-0}/${pn:-0})" \
    [ "${pn:-0}" -ge 1 -a "${pok:-0}" = "${pn:-0}" ]
  r0=$(v rss_start_kb)
  rp=$(v rss_peak_kb)
  check "$mode: memory bounded: RSS ${r0:-?} kB -> peak ${rp:-?} kB (+$(( ${rp:-0} - ${r0:-0} )) kB < 8192)" \
    [ "${r0:-0}" -gt 0 -a $(( ${rp:-0} - ${r0:-0} )) -lt 8192 ]
  FIG="$FIG
# $mode: witness tcp ${okn:-0}/${n:-0} (slowest $(v witness_max_ms) ms), ping ${pok:-0}/${pn:-0}; RSS ${r0:-?} -> ${rp:-?} kB"
}

# finish_attack MODE: stop znet-echo, leak check, its counters as comments.
finish_attack() {
  if stop_echo; then ok "$1: znet-echo exits 0"; else not_ok "$1: znet-echo exits 0"; fi
  no_leak_case "$1: znet-echo" "$err"
  grep -E "^  (arp_|ip_|icmp_|tcp_|buf_|udp_drop)|DROP|tcp_echo\.(accepted|errors|max_active)|drops total" "$err" | diag
}

v() { awk -v k="$1" '$1 == k { print $2 }' "$res"; }
c() { counter "$err" "$1"; }
FIG=""

# ---- ARP -------------------------------------------------------------------
if attack arp; then
  finish_attack arp
  nfu=$(c arp_drop_not_for_us)
  uns=$(c arp_drop_unsolicited)
  check "arp: requests for other addresses dropped and counted (arp_drop_not_for_us $nfu, $(v req_random) sent)" \
    [ "$nfu" -gt 0 ]
  check "arp: unsolicited replies dropped and counted (arp_drop_unsolicited $uns, $(v reply_unsolicited) sent)" \
    [ "$uns" -gt 0 ]
  check "arp: every ARP frame is accounted for (arp_rx $(c arp_rx) = requests for us $(c arp_req_rx) + drops)" \
    [ "$(c arp_rx)" -le $(( $(c arp_req_rx) + nfu + uns + $(c arp_drop_bad_sender) + $(c arp_gratuitous_rx) + $(c arp_reply_rx) + $(c arp_drop_malformed) + $(c arp_conflict) )) ]
  FIG="$FIG; arp_rx $(c arp_rx), arp_drop_not_for_us $nfu, arp_drop_unsolicited $uns, arp_evict $(c arp_evict)"
fi

# ---- fragments that never complete -----------------------------------------
if attack frags; then
  big=$T/bigping.log
  in_ns ping -n -c 3 -i 0.3 -W 2 -s 3000 "$E2E_ZNET_IP" >"$big" 2>&1
  bigok=$(grep -o '[0-9]* received' "$big" | cut -d' ' -f1)
  finish_attack frags
  slots=$(( $(c ip_reass_drop_slots) + $(c ip_reass_drop_evicted) ))
  mem=$(c ip_reass_drop_mem)
  frx=$(c ip_frag_rx)
  check "frags: the fragments were received and dropped as no slot, evicted or no memory (ip_frag_rx $frx, drop_slots+evicted $slots, drop_mem $mem)" \
    [ "$frx" -gt 0 -a $((slots + mem)) -gt 0 ]
  check "frags: a fragmented 3000-byte ping right after the flood is answered (${bigok:-0}/3)" \
    [ "${bigok:-0}" -ge 1 ]
  FIG="$FIG; frags: ip_frag_rx $frx, ip_reass_drop_slots+evicted $slots, ip_reass_drop_mem $mem, 3000-byte ping after ${bigok:-0}/3"
fi

# ---- overlapping fragments -------------------------------------------------
if attack overlap; then
  finish_attack overlap
  ov=$(c ip_reass_drop_overlap)
  check "overlap: no overlapping echo request answered ($(v overlap_replies) replies to $(v sent))" \
    [ "$(v overlap_replies)" = 0 ]
  check "overlap: ip_reass_drop_overlap counts them ($ov)" [ "$ov" -gt 0 ]
  FIG="$FIG; overlap: $(v sent) sent, $(v overlap_replies) answered, ip_reass_drop_overlap $ov"
fi

# ---- tiny and zero windows ---------------------------------------------------
if attack window; then
  finish_attack window
  check "window: all 16 forged peers connected ($(v peers_established))" [ "$(v peers_established)" = 16 ]
  check "window: window-1 peers got their echo a byte at a time ($(v tiny_bytes_echoed) bytes)" \
    [ "$(v tiny_bytes_echoed)" -gt 0 ]
  FIG="$FIG; window: tiny-window bytes $(v tiny_bytes_echoed), zero-window probes $(v zero_probes_answered), tcp_seg_tx $(c tcp_seg_tx)"
fi

# ---- peers that never read ---------------------------------------------------
if attack noread; then
  finish_attack noread
  check "noread: the 24 clients connected ($(v sent))" [ "$(v sent)" = 24 ]
  FIG="$FIG; noread: $(v noread_bytes_pushed) bytes pushed, tcp_mem_wait $(c tcp_mem_wait), tcp_wnd_clamped $(c tcp_wnd_clamped), buf_alloc_fail $(c buf_alloc_fail), buf_rx_nomem $(c buf_rx_nomem)"
fi

# ---- idle connections ---------------------------------------------------------
if attack idle; then
  finish_attack idle
  check "idle: the 8 idle clients connected ($(v sent))" [ "$(v sent)" = 8 ]
  FIG="$FIG; idle: tcp_wnd_clamped $(c tcp_wnd_clamped), tcp_unacceptable $(c tcp_unacceptable)"
fi

echo "$FIG" | sed '/^$/d;s/^\([^#]\)/# \1/'
finish
