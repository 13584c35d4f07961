#!/bin/bash
# The capture decorator against a real peer: znet-echo --capture on a TAP
# in a private network namespace, pinged by the kernel; tcpdump must read
# the file and find the ARP exchange, the requests and znet's replies.
#
#   ping_capture.sh /path/to/znet-echo
#
# Needs root, /dev/net/tun and tcpdump; otherwise skips.  Output is TAP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

ECHO=${1:-}
[ -n "$ECHO" ] && [ -x "$ECHO" ] || { echo "usage: $0 /path/to/znet-echo" >&2; exit 2; }
ECHO=$(cd "$(dirname "$ECHO")" && pwd)/$(basename "$ECHO")

need_netns
need_cmd ping tcpdump timeout
trap e2e_cleanup EXIT
e2e_tmpdir
out=$E2E_TMP/echo.out
err=$E2E_TMP/echo.err
cap=$E2E_TMP/echo.pcap

if ! setup_netns; then
  not_ok "create network namespace with $E2E_TAP"
  finish
  exit 1
fi

if ! start_echo "$ECHO" "$out" "$err" --capture "$cap"; then
  not_ok "znet-echo --capture starts on tap:$E2E_TAP"
  diag <"$err"
  finish
  exit 1
fi
ok "znet-echo --capture starts on tap:$E2E_TAP"

plog=$E2E_TMP/ping.log
in_ns ping -n -c 3 -i 0.2 -W 10 -s 2000 "$E2E_ZNET_IP" >"$plog" 2>&1
if grep -q " 3 received" "$plog"; then
  ok "ping 2000 bytes: 3/3 replies"
else
  not_ok "ping 2000 bytes: 3/3 replies"
  diag <"$plog"
fi

stop_echo
rc=$?
check "znet-echo exits 0 on SIGINT (got $rc)" [ "$rc" -eq 0 ]

dump=$E2E_TMP/dump.txt
if timeout 20 tcpdump -n -r "$cap" >"$dump" 2>"$E2E_TMP/tcpdump.err"; then
  ok "tcpdump reads the capture ($(wc -l <"$dump") records)"
else
  not_ok "tcpdump reads the capture"
  diag <"$E2E_TMP/tcpdump.err"
fi

# count FILTER: records tcpdump selects with a filter expression.
count() {
  timeout 20 tcpdump -n -r "$cap" "$@" 2>/dev/null | wc -l
}

req=$(count "icmp[icmptype] == icmp-echo and dst host $E2E_ZNET_IP")
rep=$(count "icmp[icmptype] == icmp-echoreply and src host $E2E_ZNET_IP")
frag=$(count "src host $E2E_ZNET_IP and ip[6:2] & 0x1fff != 0")
arp=$(count "arp and src host $E2E_ZNET_IP and arp[6:2] == 2")
check "capture holds the 3 echo requests (got $req)" [ "$req" -eq 3 ]
check "capture holds znet's 3 echo replies (got $rep)" [ "$rep" -eq 3 ]
check "capture holds znet's trailing fragments (got $frag)" [ "$frag" -ge 3 ]
check "capture holds znet's ARP reply (got $arp)" [ "$arp" -ge 1 ]

frames=$(counter "$err" capture.frames)
records=$(wc -l <"$dump")
check "capture.frames equals the records tcpdump reads ($frames vs $records)" \
  [ "$frames" -eq "$records" ]

finish
