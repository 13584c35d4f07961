#!/bin/bash
# znet as a TCP client over IPv6 against Linux, by address and by name,
# and the fallback to IPv4 (RFC 8305) when IPv6 is refused or dropped.
#
#   tcp_client6.sh /path/to/znet-nc
#
# A private network namespace with a TAP whose kernel side is 10.77.0.1
# and 2001:db8:77::1; dnsmasq there (on 2001:db8:77::1) says dual.test is
# both.  znet-nc (10.77.0.2, 2001:db8:77::2) sends 1 MiB to socat
# listening in the namespace; the SHA-256 znet-nc sent must be the one
# Linux received.
#
# Checks: by the literal IPv6 address; by name (AAAA and A asked over
# IPv6, IPv6 chosen); with the IPv6 port closed (Linux answers RST) the
# connection ends up over IPv4 at once; with IPv6 to the port silently
# dropped (nftables in the namespace) over IPv4 after the Connection
# Attempt Delay; each run bounded, its time printed; no leak.  Needs
# root, /dev/net/tun, socat, dnsmasq, nft, sha256sum; otherwise skips.
# Output is TAP.
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

NC=${1:-}
[ -n "$NC" ] && [ -x "$NC" ] || { echo "usage: $0 /path/to/znet-nc" >&2; exit 2; }
E2E_NC=$(cd "$(dirname "$NC")" && pwd)/$(basename "$NC")

need_netns
need_cmd socat dnsmasq nft sha256sum timeout
trap e2e_cleanup EXIT
e2e_tmpdir
T=$E2E_TMP
K6=$E2E_KERNEL_IP6
Z6=$E2E_ZNET_IP6
K4=$E2E_KERNEL_IP

if ! setup_netns || ! setup_tap6; then
  not_ok "create network namespace with $E2E_TAP ($K4, $K6)"
  finish
  exit 1
fi
ok "network namespace $E2E_NS with $E2E_TAP $K4 and $K6"

ip netns exec "$E2E_NS" timeout 120 dnsmasq --keep-in-foreground \
  --conf-file=/dev/null --no-resolv --no-hosts --no-poll --user=root \
  --pid-file= --listen-address="$K6" --bind-interfaces \
  --host-record=dual.test,$K4,$K6 >"$T/dnsmasq.out" 2>&1 &
bg_pid $!
# (Linux cannot ask it from inside: IPv6 is off on the namespace's lo.)
end=$((SECONDS + 30)) # its start: seconds on a loaded machine
while [ "$SECONDS" -lt "$end" ]; do
  in_ns ss -Hlun "sport = :53" 2>/dev/null | grep -q "$K6" && break
  sleep 0.1
done
n=$(in_ns ss -Hlun "sport = :53" "src = [$K6]" | wc -l)
check "dnsmasq listens on [$K6]:53" [ "$n" -ge 1 ]

# listen6 PORT SOCAT_ADDRESS: socat in the namespace, what it receives
# hashed into $T/recv-PORT; waits until the port listens.
listen6() {
  local port=$1 addr=$2
  ip netns exec "$E2E_NS" timeout 60 socat -u "$addr" - 2>"$T/socat-$port.err" |
    sha256sum | cut -d' ' -f1 >"$T/recv-$port" &
  bg_pid $!
  wait_listen "$port"
}

# nc_case NAME PORT DEST WANT_PEER [ARGS...]: znet-nc sends 1 MiB to
# DEST:PORT; ok if it exits 0, connected to WANT_PEER (by name: the
# "connected to" line) and Linux hashed what znet-nc sent.
nc_case() {
  local name=$1 port=$2 dest=$3 want=$4 err=$T/nc-$2.err
  shift 4
  local t0 rc dt
  t0=$(now_s)
  E2E_NC_TIMEOUT=30 znet_nc --ipv6 "$Z6/64" --send 1M --sha256 -w 20 "$@" \
    "$dest" "$port" </dev/null >/dev/null 2>"$err"
  rc=$?
  dt=$(elapsed "$t0")
  # socat and sha256sum finish: until the hash is written (not a fixed
  # 0.3 s, which a loaded machine may not give them).
  local end=$((SECONDS + 20))
  while [ "$SECONDS" -lt "$end" ] && [ ! -s "$T/recv-$port" ]; do sleep 0.1; done
  local sent recv peer
  sent=$(sed -n 's/^znet-nc: sha256 sent //p' "$err")
  recv=$(cat "$T/recv-$port" 2>/dev/null)
  peer=$(sed -n 's/^znet-nc: connected to \([^ ]*\).*/\1/p' "$err")
  E2E_RACE_MS=$(sed -n 's/^znet-nc: connected to .* (\([0-9.]*\) ms after.*/\1/p' "$err")
  if [ "$rc" -eq 0 ] && [ -n "$sent" ] && [ "$sent" = "$recv" ] &&
    { [ -z "$want" ] || [ "$peer" = "$want" ]; }; then
    ok "$name: 1 MiB, SHA-256 equal${peer:+, connected to $peer}${E2E_RACE_MS:+ $E2E_RACE_MS ms after the first attempt} ($dt s)"
  else
    not_ok "$name (exit $rc, peer '$peer', sent $sent, received $recv, $dt s)"
    diag <"$err"
  fi
  no_leak_case "$name" "$err"
  echo "$dt" >"$T/time-$port"
}

# 1. The literal IPv6 address.
listen6 5001 "TCP6-LISTEN:5001,bind=[$K6]" || not_ok "socat listens on [$K6]:5001"
nc_case "by address [$K6]:5001" 5001 "$K6" ""

# 2. By name, both families listening: IPv6 is chosen.
listen6 5002 "TCP6-LISTEN:5002,ipv6only=0" || not_ok "socat listens on 5002"
nc_case "by name dual.test:5002" 5002 dual.test "$K6:5002" --resolver "$K6"
check "dual.test's addresses printed IPv6 first" \
  grep -q "^znet-nc: dual.test: $K6 $K4$" "$T/nc-5002.err"

# 3. IPv6 refused (Linux listens on IPv4 only: RST to the IPv6 SYN).
listen6 5003 "TCP4-LISTEN:5003,bind=$K4" || not_ok "socat listens on $K4:5003"
nc_case "IPv6 refused, IPv4 used: dual.test:5003" 5003 dual.test "$K4:5003" \
  --resolver "$K6"
check "refused: IPv4 connected before the 250 ms delay (${E2E_RACE_MS:-?} ms)" \
  awk -v t="${E2E_RACE_MS:-999}" 'BEGIN { exit !(t < 250) }'

# 4. IPv6 silently dropped to that port: IPv4 after the attempt delay.
in_ns nft add table inet zne2e &&
  in_ns nft add chain inet zne2e input '{ type filter hook input priority 0; }' &&
  in_ns nft add rule inet zne2e input ip6 daddr "$K6" tcp dport 5004 drop
check "nftables drops IPv6 to port 5004" [ $? -eq 0 ]
listen6 5004 "TCP6-LISTEN:5004,ipv6only=0" || not_ok "socat listens on 5004"
nc_case "IPv6 dropped, IPv4 used: dual.test:5004" 5004 dual.test "$K4:5004" \
  --resolver "$K6"
drops=$(in_ns nft -a list chain inet zne2e input 2>/dev/null | grep -c drop)
check "the nftables rule is in place ($drops rule)" [ "$drops" -eq 1 ]
check "dropped: IPv4 connected after the 250 ms delay, within 2 s (${E2E_RACE_MS:-?} ms)" \
  awk -v t="${E2E_RACE_MS:-0}" 'BEGIN { exit !(t >= 250 && t < 2000) }'
t=$(cat "$T/time-5004" 2>/dev/null || echo 99)
check "the fallback run ended within 10 s (took $t s)" \
  awk -v t="$t" 'BEGIN { exit !(t < 10) }'

finish
