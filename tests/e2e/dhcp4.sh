#!/bin/bash
# The DHCPv4 client end to end: znet-echo --dhcp on a TAP device in a
# private network namespace where Debian's dnsmasq serves DHCP on the
# TAP (range 10.77.0.50-60, a 2-minute lease, T1 15 s and T2 25 s,
# router, DNS server and MTU 1400 options, authoritative).
#
#   dhcp4.sh /path/to/znet-echo
#
# Needs root, /dev/net/tun and dnsmasq; otherwise skips (see lib.sh for
# the status).  Checks: a lease is taken (DISCOVER, OFFER, REQUEST, ACK
# in dnsmasq's log; the lease with our MAC, client identifier and host
# name in its lease file) and printed with every option; ping, UDP and
# TCP echo work on the leased address; ping replies larger than the
# lease's MTU are fragmented to it; the lease renews at T1 and ping still
# works after; znet-echo exits 0 without a leak.  Then INIT-REBOOT: asked
# for the same address again (--ipv4 ADDR --dhcp), dnsmasq ACKs it with
# no DISCOVER; asked for an address of another network, dnsmasq NAKs and
# the client starts over and binds one of the range.  About 70 s (RFC
# 2131's start delay, up to 10 s, and RFC 5227's probing, about 5 s,
# for each of three runs).  Output is TAP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

ECHO=${1:-}
[ -n "$ECHO" ] && [ -x "$ECHO" ] || { echo "usage: $0 /path/to/znet-echo" >&2; exit 2; }
ECHO=$(cd "$(dirname "$ECHO")" && pwd)/$(basename "$ECHO")

need_netns
need_cmd dnsmasq ping nc socat timeout tcpdump
trap e2e_cleanup EXIT
e2e_tmpdir
out=$E2E_TMP/echo.out
err=$E2E_TMP/echo.err
dlog=$E2E_TMP/dnsmasq.log
leases=$E2E_TMP/leases
RANGE_RE='10\.77\.0\.(5[0-9]|60)'

if ! setup_netns; then
  not_ok "create network namespace with $E2E_TAP"
  finish
  exit 1
fi

# dnsmasq as a DHCP server only (--port=0: no DNS), on the TAP, bounded
# to 200 s; its log and lease file in the test's directory.
ip netns exec "$E2E_NS" timeout 200 dnsmasq --keep-in-foreground \
  --conf-file=/dev/null --no-resolv --no-hosts --no-poll --user=root \
  --pid-file= --port=0 --interface="$E2E_TAP" --bind-interfaces \
  --dhcp-authoritative --dhcp-range=10.77.0.50,10.77.0.60,255.255.255.0,2m \
  --dhcp-option=option:router,$E2E_KERNEL_IP \
  --dhcp-option=option:dns-server,$E2E_KERNEL_IP \
  --dhcp-option=option:T1,15 --dhcp-option=option:T2,25 \
  --dhcp-option=option:mtu,1400 --dhcp-leasefile="$leases" \
  --log-dhcp --log-facility="$dlog" >"$E2E_TMP/dnsmasq.out" 2>&1 &
bg_pid $!
dnsmasq_up() {
  local end=$((SECONDS + 30))
  while [ "$SECONDS" -lt "$end" ]; do
    grep -q "DHCP, IP range" "$dlog" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}
if ! dnsmasq_up; then
  not_ok "dnsmasq serves DHCP on $E2E_TAP"
  diag <"$E2E_TMP/dnsmasq.out"
  finish
  exit 1
fi
ok "dnsmasq serves DHCP on $E2E_TAP"

# start_dhcp_echo ARGS...: znet-echo --dhcp on the TAP, in the
# background (E2E_ECHO_PID), bounded to 120 s; waits (at most 30 s, as
# start_znet) for its banner.
start_dhcp_echo() {
  : >"$out"
  : >"$err"
  ip netns exec "$E2E_NS" timeout --foreground 120 "$ECHO" \
    --netif "tap:$E2E_TAP" --mac "$E2E_MAC" --dhcp --dhcp-hostname znet-e2e \
    "$@" >"$out" 2>"$err" &
  E2E_ECHO_PID=$!
  wait_line "$out" "^znet-echo: dhcp mac " 30
}

# bound_addr: the address of the "dhcp4 bound" line, empty if none.
bound_addr() {
  sed -n 's/^znet-echo: dhcp4 bound \([0-9.]*\)\/.*/\1/p' "$out" | tail -1
}

cap=$E2E_TMP/first.pcap
if ! start_dhcp_echo --capture "$cap"; then
  not_ok "znet-echo --dhcp starts on tap:$E2E_TAP"
  diag <"$err"
  finish
  exit 1
fi
ok "znet-echo --dhcp starts on tap:$E2E_TAP"

# 10 s of start delay at most, then the exchange, then 1 + 3 probes and
# ANNOUNCE_WAIT (at most 8 s): 40 s is plenty.
t0=$(now_s)
if wait_line "$out" "^znet-echo: dhcp4 bound " 40; then
  ok "a lease is taken ($(elapsed "$t0") s)"
else
  not_ok "a lease is taken within 40 s"
  diag <"$out"
  diag <"$err"
  tail -20 "$dlog" | diag
  finish
  exit 1
fi
addr=$(bound_addr)
line=$(grep "^znet-echo: dhcp4 bound " "$out")
echo "$line" | diag
check "the leased address $addr is in dnsmasq's range" \
  grep -Eq "^$RANGE_RE\$" <<<"$addr"
check "the lease printed: /24, router, DNS, MTU 1400, 120 s, T1 15 s, T2 25 s, server" \
  grep -Eq "^znet-echo: dhcp4 bound $RANGE_RE/24 router $E2E_KERNEL_IP dns $E2E_KERNEL_IP mtu 1400 lease 120s t1 15s t2 25s server $E2E_KERNEL_IP\$" <<<"$line"
for m in DHCPDISCOVER DHCPOFFER DHCPREQUEST DHCPACK; do
  check "dnsmasq saw the $m of the exchange" grep -q "$m(zntap0).* $E2E_MAC" "$dlog"
done
check "dnsmasq's lease file: our MAC, address, host name, client id 01:MAC" \
  grep -q " $E2E_MAC $addr znet-e2e 01:$E2E_MAC\$" "$leases"

# Traffic to the leased address.
log=$E2E_TMP/ping.log
in_ns ping -n -c 5 -i 0.2 -W 10 "$addr" >"$log" 2>&1
if grep -q " 5 received" "$log"; then
  ok "ping $addr: 5/5 replies"
else
  not_ok "ping $addr: 5/5 replies"
  diag <"$log"
fi
got=$(udp_line "$addr" 7 "over dhcp")
check "UDP echo on $addr (got '$got')" [ "$got" = "over dhcp" ]
# -t 15: after its stdin's end socat waits that long (0.5 s by default)
# for the echo and znet's close, which ends it at once.
got=$(printf 'tcp over dhcp\n' | in_ns timeout 20 socat -t 15 - "TCP:$addr:7" 2>&1)
check "TCP echo on $addr (got '$got')" [ "$got" = "tcp over dhcp" ]
# 1400 data bytes: the 1428-byte reply is over the lease's MTU of 1400,
# so znet fragments it (Linux's own MTU is 1500: its request is whole).
log=$E2E_TMP/ping-big.log
in_ns ping -n -c 3 -i 0.2 -W 10 -s 1400 "$addr" >"$log" 2>&1
if grep -q " 3 received" "$log"; then
  ok "ping $addr with 1400 bytes: 3/3 replies"
else
  not_ok "ping $addr with 1400 bytes: 3/3 replies"
  diag <"$log"
fi

# Renewal at T1 (15 s after the REQUEST): unicast to dnsmasq, ACKed.
if wait_line "$out" "^znet-echo: dhcp4 renewed $addr/24 " 30; then
  ok "the lease renews at T1"
else
  not_ok "the lease renews at T1 (within 30 s)"
  diag <"$out"
fi
acks=$(grep -c "DHCPACK(zntap0) $addr $E2E_MAC" "$dlog")
check "dnsmasq ACKed the renewal too ($acks ACKs)" [ "$acks" -ge 2 ]
log=$E2E_TMP/ping2.log
in_ns ping -n -c 3 -i 0.2 -W 10 "$addr" >"$log" 2>&1
check "ping $addr after the renewal: 3/3 replies" grep -q " 3 received" "$log"

stop_echo
rc=$?
check "znet-echo exits 0 on SIGINT (got $rc)" [ "$rc" -eq 0 ]
bound=$(counter "$err" dhcp4_bound)
renewed=$(counter "$err" dhcp4_renewed)
probes=$(counter "$err" dhcp4_probe_tx)
fragtx=$(counter "$err" ip_frag_tx)
# A reply to a message sent again (a DISCOVER or REQUEST retried when
# the answer was late, on a loaded machine) may come twice, the second
# in a state that takes it no longer: dhcp4_drop_type, at most one per
# retry.  Every other drop is a failure.
drops=$(awk '$1 ~ /^dhcp4_drop_/ && $1 != "dhcp4_drop_type" { s += $2 } END { print s + 0 }' "$err")
dtype=$(counter "$err" dhcp4_drop_type)
retries=$(($(counter "$err" dhcp4_discover_tx) - 1 + $(counter "$err" dhcp4_request_tx) - 1 - renewed))
check "dhcp4_bound 1, dhcp4_renewed >= 1 (got $bound, $renewed)" \
  [ "$bound" -eq 1 -a "$renewed" -ge 1 ]
check "3 RFC 5227 probes before binding (dhcp4_probe_tx $probes)" [ "$probes" -eq 3 ]
check "replies over MTU 1400 fragmented (ip_frag_tx $fragtx >= 3)" [ "$fragtx" -ge 3 ]
check "no DHCP reply dropped (dhcp4_drop_* total $drops but type)" [ "$drops" -eq 0 ]
check "replies of a type the state no longer takes only after retries ($dtype, retries $retries)" \
  [ "${dtype:-0}" -le "$((retries > 0 ? retries : 0))" ]
no_leak_case "first run" "$err"
cp "$err" "$E2E_TMP/first.err"
# What went over the wire (znet's --capture): DISCOVER and REQUEST from
# 0.0.0.0 to the broadcast address; dnsmasq's OFFER and ACK unicast to
# the address offered (the client sets no BROADCAST flag: znet takes
# them before it has an address); the renewal's REQUEST unicast from it.
tcpdump -nr "$cap" udp 2>/dev/null >"$E2E_TMP/cap.txt"
diag <"$E2E_TMP/cap.txt"
check "DISCOVER and REQUEST went from 0.0.0.0.68 to 255.255.255.255.67" \
  [ "$(grep -c '0\.0\.0\.0\.68 > 255\.255\.255\.255\.67' "$E2E_TMP/cap.txt")" -ge 2 ]
check "dnsmasq's replies came unicast to $addr before it was ours" \
  [ "$(grep -c "$E2E_KERNEL_IP\.67 > $addr\.68" "$E2E_TMP/cap.txt")" -ge 2 ]
check "the renewal's REQUEST went unicast from $addr to the server" \
  grep -q "$addr\.68 > $E2E_KERNEL_IP\.67" "$E2E_TMP/cap.txt"

# INIT-REBOOT for the address we had: a REQUEST, no DISCOVER.
if start_dhcp_echo --ipv4 "$addr/24" &&
  wait_line "$out" "^znet-echo: dhcp4 bound " 40; then
  check "INIT-REBOOT: the same address again ($(bound_addr))" [ "$(bound_addr)" = "$addr" ]
  stop_echo
  check "INIT-REBOOT: no DISCOVER (dhcp4_discover_tx $(counter "$err" dhcp4_discover_tx))" \
    [ "$(counter "$err" dhcp4_discover_tx)" -eq 0 ]
  no_leak_case "INIT-REBOOT run" "$err"
else
  not_ok "INIT-REBOOT: a lease within 40 s"
  diag <"$out"
  stop_echo
fi

# INIT-REBOOT for an address of another network: dnsmasq NAKs, the
# client starts over in INIT (after its start delay) and binds.
if start_dhcp_echo --ipv4 10.99.0.5/24 &&
  wait_line "$out" "^znet-echo: dhcp4 bound " 60; then
  ok "after a NAK, a lease in the range ($(bound_addr))"
  stop_echo
  check "the NAK was taken (dhcp4_nak_rx $(counter "$err" dhcp4_nak_rx))" \
    [ "$(counter "$err" dhcp4_nak_rx)" -eq 1 ]
  check "dnsmasq NAKed 10.99.0.5" grep -q "DHCPNAK(zntap0) 10.99.0.5 $E2E_MAC" "$dlog"
  no_leak_case "NAK run" "$err"
else
  not_ok "after a NAK, a lease within 60 s"
  diag <"$out"
  stop_echo
fi

echo "# znet-echo counters (first run):"
diag <"$E2E_TMP/first.err"
finish
