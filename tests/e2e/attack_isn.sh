#!/bin/bash
# ISN and ephemeral-port unpredictability end to end (issue 7, "Attacks").
#
#   attack_isn.sh /path/to/znet-echo /path/to/znet-dns-blocker
#
# attack_isn.py judges a sequence of values by the relations a weak
# generator shows (repeats, constant or small steps, linear trends, low
# bit bias, distance from uniform; see it).  Checks: the judge itself
# passes a sound source and rejects five weak ones (so the end-to-end
# cases below can fail); the ISNs of 300 SYN-ACKs znet-echo sends to
# Linux clients (each from a new port) pass; the source ports and ISNs
# of the TCP connections one znet stack opens (znet-dns-blocker, --cache
# 0, asking dns_fake_upstream.py again over TCP for each of 60
# truncated answers) pass, and the ports lie in 49152-65535; both znet
# programs exit 0 with no leak and no sanitizer report.  Needs root,
# /dev/net/tun, python3.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

ECHO=${1:-}
BLOCKER=${2:-}
[ -n "$ECHO" ] && [ -x "$ECHO" ] && [ -n "$BLOCKER" ] && [ -x "$BLOCKER" ] ||
  { echo "usage: $0 /path/to/znet-echo /path/to/znet-dns-blocker" >&2; exit 2; }
ECHO=$(cd "$(dirname "$ECHO")" && pwd)/$(basename "$ECHO")
BLOCKER=$(cd "$(dirname "$BLOCKER")" && pwd)/$(basename "$BLOCKER")

need_cmd python3 timeout
selftest=$(python3 "$here/attack_isn.py" selftest 2>&1)
rc=$?
need_netns
trap e2e_cleanup EXIT
e2e_tmpdir
T=$E2E_TMP
diag <<<"$selftest"
check "the judge passes os.urandom and rejects RFC 793 clock, constant step, time+noise, low bits cleared, sequential ports" \
  [ "$rc" = 0 ]

if ! setup_netns; then
  not_ok "create network namespace with $E2E_TAP"
  finish
  exit 1
fi

# ---- ISNs of znet's SYN-ACKs ----------------------------------------------
out=$T/echo.out
err=$T/echo.err
if start_echo "$ECHO" "$out" "$err" --mac "$E2E_MAC"; then
  res=$T/server.txt
  in_ns_t 60 python3 "$here/attack_isn.py" server "$E2E_TAP" "$E2E_ZNET_IP" 7 300 >"$res" 2>&1
  rc=$?
  diag <"$res"
  check "ISNs of 300 SYN-ACKs from znet-echo are unpredictable ($(awk '$1 == "isns" { print $2 }' "$res") collected)" \
    [ "$rc" = 0 ]
  if stop_echo; then ok "znet-echo exits 0"; else not_ok "znet-echo exits 0"; fi
  no_leak_case "znet-echo" "$err"
else
  not_ok "znet-echo starts"
  diag <"$err"
fi

# ---- ports and ISNs of the connections one stack opens ----------------------
fake=$T/fake.log
ip netns exec "$E2E_NS" timeout 60 python3 "$here/dns_fake_upstream.py" \
  "$E2E_KERNEL_IP" 5353 50 tcp >"$fake" 2>&1 &
bg_pid $!
end=$((SECONDS + 30)) # python3's start: seconds on a loaded machine
while [ "$SECONDS" -lt "$end" ]; do
  grep -q listening "$fake" 2>/dev/null && break
  sleep 0.1
done
: >"$T/blocklist"
out=$T/blocker.out
err=$T/blocker.err
if start_znet znet-dns-blocker "$BLOCKER" "$out" "$err" --mac "$E2E_MAC" \
  --upstream "$E2E_KERNEL_IP:5353" --blocklist "$T/blocklist" --cache 0; then
  res=$T/client.txt
  in_ns_t 60 python3 "$here/attack_isn.py" client "$E2E_TAP" "$E2E_ZNET_IP" 5353 60 >"$res" 2>&1
  rc=$?
  diag <"$res"
  check "source ports and ISNs of $(awk '$1 == "connections" { print $2 }' "$res") TCP connections opened by one znet stack are unpredictable" \
    [ "$rc" = 0 ]
  if stop_echo; then ok "znet-dns-blocker exits 0"; else not_ok "znet-dns-blocker exits 0"; fi
  no_leak_case "znet-dns-blocker" "$err"
else
  not_ok "znet-dns-blocker starts"
  diag <"$err"
fi
finish
