#!/bin/bash
# SYN flood end to end: spoofed SYNs at znet-echo's TCP port while a
# Linux client keeps connecting and echoing (issue 7, "Attacks").
#
#   attack_synflood.sh /path/to/znet-echo [SECONDS [RATE]]
#
# znet-echo runs with its defaults (64 TCP connections, 512 frame
# buffers; its listen backlog is 128) and the namespace's kernel as its
# gateway.  attack_synflood.py sends RATE SYNs a second (default 5000)
# for SECONDS (default 10) from random addresses in 198.18.0.0/15 (off
# the link: znet's SYN-ACKs go to the gateway, which drops them, so no
# RST ever frees a half-open connection) through an AF_PACKET socket on
# the kernel's end of the TAP; meanwhile it connects to port 7 from
# Linux over and over, one at a time (4 s each), sending 200 random
# bytes and reading them back, and samples znet-echo's resident memory.
#
# Checks: the clients before the flood succeed; at least 90% of the
# clients during the flood and all of them in the 3 s after it succeed
# (the success rate is printed); SYN cookies were sent and at least one
# connection was made from one; znet-echo's resident memory grows by
# less than 8 MiB (the stack's whole block is about 1.4 MB with these
# settings, and the core allocates nothing); znet-echo exits 0 with no
# leak and no sanitizer report.  Needs root, /dev/net/tun, python3.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

ECHO=${1:-}
SECS=${2:-10}
RATE=${3:-5000}
[ -n "$ECHO" ] && [ -x "$ECHO" ] ||
  { echo "usage: $0 /path/to/znet-echo [SECONDS [RATE]]" >&2; exit 2; }
ECHO=$(cd "$(dirname "$ECHO")" && pwd)/$(basename "$ECHO")

need_netns
need_cmd python3 timeout ps
trap e2e_cleanup EXIT
e2e_tmpdir
T=$E2E_TMP
out=$T/echo.out
err=$T/echo.err

if ! setup_netns; then
  not_ok "create network namespace with $E2E_TAP"
  finish
  exit 1
fi

if ! start_echo "$ECHO" "$out" "$err" --mac "$E2E_MAC" \
  --gateway "$E2E_KERNEL_IP"; then
  not_ok "znet-echo starts on tap:$E2E_TAP"
  diag <"$err"
  finish
  exit 1
fi
ok "znet-echo starts (defaults: 64 TCP connections, 512 buffers)"
# E2E_ECHO_PID is timeout(1); znet-echo is its child.
zpid=$(ps -o pid= --ppid "$E2E_ECHO_PID" | tr -d ' ' | head -1)

res=$T/flood.txt
in_ns_t $((SECS + 40)) python3 "$here/attack_synflood.py" "$E2E_TAP" \
  "$E2E_ZNET_IP" "$E2E_MAC" 7 "$SECS" "$RATE" "${zpid:-0}" >"$res" 2>&1
val() { awk -v k="$1" '$1 == k { print $2 }' "$res"; }
diag <"$res"
in_ns ip -s link show "$E2E_TAP" | diag

sent=$(val syns_sent)
check "the flood ran: ${sent:-0} SYNs sent in ${SECS} s" [ "${sent:-0}" -gt 0 ]
check "both clients before the flood succeed" [ "$(val clients_ok_before)" = 2 ]

during=$(val clients_during)
okd=$(val clients_ok_during)
pct=$(val success_pct_during)
pass90=$(awk -v o="${okd:-0}" -v n="${during:-0}" 'BEGIN { print (n > 0 && o * 10 >= n * 9) ? 1 : 0 }')
check "legitimate connections during the flood: ${okd:-0}/${during:-0} (${pct:-0}%) succeed, want >= 90%" \
  [ "$pass90" = 1 ]
after=$(val clients_after)
oka=$(val clients_ok_after)
check "legitimate connections in the 3 s after the flood: ${oka:-0}/${after:-0} succeed" \
  [ "${after:-0}" -gt 0 -a "${oka:-0}" = "${after:-0}" ]

rss0=$(val rss_start_kb)
rssp=$(val rss_peak_kb)
grow=$(( ${rssp:-0} - ${rss0:-0} ))
if [ -n "$zpid" ] && [ "${rss0:-0}" -gt 0 ]; then
  check "znet-echo's memory stays bounded: RSS ${rss0} kB -> peak ${rssp} kB (+${grow} kB < 8192)" \
    [ "$grow" -lt 8192 ]
else
  skip_case "znet-echo's memory stays bounded" "no PID to sample"
fi

if stop_echo; then ok "znet-echo exits 0 after the flood"; else not_ok "znet-echo exits 0 after the flood"; fi
no_leak_case "znet-echo after the SYN flood" "$err"
grep -E "^  (tcp_|buf_|if_rx|if_tx_frames)|tcp_echo\.(accepted|max_active)" "$err" | diag

cookies=$(counter "$err" tcp_syncookie_tx)
cok=$(counter "$err" tcp_syncookie_ok)
check "SYN cookies were sent (tcp_syncookie_tx $cookies)" [ "$cookies" -gt 0 ]
check "a legitimate connection was made from a SYN cookie (tcp_syncookie_ok $cok, tcp_table_full $(counter "$err" tcp_table_full))" \
  [ "$cok" -gt 0 ]
echo "# figures: SYNs $sent at $RATE/s; legit success during flood ${okd:-0}/${during:-0} (${pct:-0}%), after ${oka:-0}/${after:-0}; RSS start ${rss0:-?} kB peak ${rssp:-?} kB; cookies sent $cookies, used $cok"
finish
