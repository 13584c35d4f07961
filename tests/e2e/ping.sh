#!/bin/bash
# End to end against Linux: znet-echo on a TAP device in a private network
# namespace, pinged and arpinged by the kernel's own tools.
#
#   ping.sh /path/to/znet-echo
#
# Needs root and /dev/net/tun; otherwise skips (see lib.sh for the status).
# Checks: default-size, 1472-byte (a full 1500-byte frame) and 4000-byte
# (fragmented both ways) pings all answered; arping resolves; znet-echo
# exits 0 on SIGINT and its counters show the replies, the reassemblies
# and the fragments it sent.  Output is TAP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

ECHO=${1:-}
[ -n "$ECHO" ] && [ -x "$ECHO" ] || { echo "usage: $0 /path/to/znet-echo" >&2; exit 2; }
ECHO=$(cd "$(dirname "$ECHO")" && pwd)/$(basename "$ECHO")

need_netns
need_cmd ping arping timeout
trap e2e_cleanup EXIT
e2e_tmpdir
out=$E2E_TMP/echo.out
err=$E2E_TMP/echo.err

if ! setup_netns; then
  not_ok "create network namespace with $E2E_TAP"
  finish
  exit 1
fi
ok "network namespace $E2E_NS with $E2E_TAP $E2E_KERNEL_IP/$E2E_PREFIX"

if ! start_echo "$ECHO" "$out" "$err"; then
  not_ok "znet-echo starts on tap:$E2E_TAP"
  diag <"$err"
  finish
  exit 1
fi
ok "znet-echo starts on tap:$E2E_TAP ($(head -n1 "$out"))"

ping_case 56
ping_case 1472
ping_case 4000

alog=$E2E_TMP/arping.log
in_ns arping -c 3 -w 5 -I "$E2E_TAP" "$E2E_ZNET_IP" >"$alog" 2>&1
arc=$?
if [ $arc -eq 0 ] && grep -q "Received 3 response" "$alog"; then
  ok "arping resolves $E2E_ZNET_IP (3 responses)"
else
  not_ok "arping resolves $E2E_ZNET_IP (exit $arc)"
  diag <"$alog"
fi

stop_echo
rc=$?
check "znet-echo exits 0 on SIGINT (got $rc)" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || diag <"$err"

replies=$(counter "$err" icmp_echo_reply_tx)
reass=$(counter "$err" ip_reass_ok)
fragtx=$(counter "$err" ip_frag_tx)
check "icmp_echo_reply_tx >= 15 (got $replies)" [ "$replies" -ge 15 ]
check "ip_reass_ok > 0: 4000-byte pings reassembled (got $reass)" [ "$reass" -gt 0 ]
check "ip_frag_tx > 0: 4000-byte replies fragmented (got $fragtx)" [ "$fragtx" -gt 0 ]
if grep -q "still in use" "$err"; then
  not_ok "no buffer leaked at exit"
  grep "still in use" "$err" | diag
else
  ok "no buffer leaked at exit"
fi
echo "# znet-echo counters:"
diag <"$err"

finish
