#!/bin/bash
# Blind injection (RFC 5961) end to end: forged in-window RSTs, SYNs and
# data into a live Linux -> znet-echo connection (issue 7, "Attacks").
#
#   attack_inject.sh /path/to/znet-echo [ROUNDS]
#
# attack_inject.py runs ROUNDS (default 36) echo rounds on one
# connection and, between them, forges 150 segments of one kind from the
# client's address and port (in-window RSTs never at RCV.NXT, RSTs
# spread over the sequence space, SYNs, data in the window and at
# RCV.NXT with an old ACK, a future ACK, or none; see the script).
#
# Checks: every round's echo comes back byte for byte and so does the
# whole stream, which ends with a clean close; znet-echo saw no reset
# and no error (tcp_rst_rx 0, tcp_echo.errors 0, one connection
# accepted); challenge ACKs were sent (tcp_chack_tx > 0) and, with the
# ones the rate limit suppressed, there is at least one for every
# in-window RST and every SYN forged; the in-window RSTs were counted as
# ignored (tcp_rst_ignored); znet-echo exits 0 with no leak and no
# sanitizer report.  Needs root, /dev/net/tun, python3.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

ECHO=${1:-}
ROUNDS=${2:-36}
[ -n "$ECHO" ] && [ -x "$ECHO" ] ||
  { echo "usage: $0 /path/to/znet-echo [ROUNDS]" >&2; exit 2; }
ECHO=$(cd "$(dirname "$ECHO")" && pwd)/$(basename "$ECHO")

need_netns
need_cmd python3 timeout
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
if ! start_echo "$ECHO" "$out" "$err" --mac "$E2E_MAC"; then
  not_ok "znet-echo starts on tap:$E2E_TAP"
  diag <"$err"
  finish
  exit 1
fi

res=$T/inject.txt
in_ns_t 60 python3 "$here/attack_inject.py" "$E2E_TAP" "$E2E_ZNET_IP" \
  "$E2E_MAC" 7 "$ROUNDS" >"$res" 2>&1
val() { awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print }' "$res"; }
diag <"$res"

check "all $ROUNDS echo rounds came back byte for byte between the forgeries ($(val rounds_ok) done; $(val error))" \
  [ "$(val rounds_ok)" = "$ROUNDS" ]
check "the connection ended with a clean close" [ "$(val clean_eof)" = 1 ]
check "the whole stream came back exactly ($(val bytes_back) of $(val bytes_sent) bytes)" \
  [ "$(val stream_exact)" = 1 ]

if stop_echo; then ok "znet-echo exits 0"; else not_ok "znet-echo exits 0"; fi
no_leak_case "znet-echo after the injection" "$err"
grep -E "^  tcp_" "$err" | diag

rst_rx=$(counter "$err" tcp_rst_rx)
errors=$(counter "$err" tcp_echo.errors)
acc=$(counter "$err" tcp_echo.accepted)
chack=$(counter "$err" tcp_chack_tx)
limited=$(counter "$err" tcp_chack_limited)
ignored=$(counter "$err" tcp_rst_ignored)
inwin=$(val sent_rst_inwin)
syns=$(val sent_syn)
check "no forged RST closed the connection (tcp_rst_rx $rst_rx, tcp_echo.errors $errors)" \
  [ "$rst_rx" = 0 -a "$errors" = 0 ]
check "one connection accepted, no forged SYN made another (tcp_echo.accepted $acc)" [ "$acc" = 1 ]
check "challenge ACKs were sent (tcp_chack_tx $chack, limited $limited)" [ "$chack" -gt 0 ]
check "a challenge ACK (sent or rate-limited) for each of the ${inwin:-0} in-window RSTs and ${syns:-0} SYNs ($chack + $limited)" \
  [ $((chack + limited)) -ge $((${inwin:-0} + ${syns:-0})) ]
check "in-window RSTs counted as ignored (tcp_rst_ignored $ignored >= ${inwin:-0})" \
  [ "$ignored" -ge "${inwin:-0}" ]
echo "# figures: $(val bytes_sent) bytes echoed exactly; forged: RST in window ${inwin:-0}, RST spread $(val sent_rst_spray), SYN ${syns:-0}, data old ACK $(val sent_data_oldack), future ACK $(val sent_data_newack), no ACK $(val sent_data_noack); tcp_chack_tx $chack, tcp_chack_limited $limited, tcp_rst_ignored $ignored, tcp_unacceptable $(counter "$err" tcp_unacceptable), tcp_paws_reject $(counter "$err" tcp_paws_reject)"
finish
