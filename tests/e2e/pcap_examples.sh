#!/bin/bash
# The examples on the pcap backend (--netif pcap:IN,out=OUT): no root, no
# TAP; the capture's frames are the peers and OUT records the answers.
#
#   pcap_examples.sh ZNET_ECHO ZNET_RESOLVE ZNET_DNS_BLOCKER TRACES_DIR
#
# Checks: znet-dns-blocker forwards the DNS query of tcpdump__dns_udp.pcap
# to its upstream under a new ID and answers SERVFAIL when no answer comes
# within --upstream-timeout (on the capture's clock); with the name on the
# blocklist it answers NXDOMAIN (or 0.0.0.0 in zero mode) itself; two runs
# with one seed write the same bytes; the malformed queries of
# dns-invalid-names get FORMERR; every DNS capture of the shared set
# replays through the blocker without a crash, a leak or a sanitizer
# report.  znet-resolve sends its query and reports the timeout;
# znet-echo echoes a UDP datagram from a crafted capture and answers port
# unreachable for a closed port.  Output is TAP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

ECHO=${1:-}
RESOLVE=${2:-}
BLOCKER=${3:-}
TRACES=${4:-}
for b in "$ECHO" "$RESOLVE" "$BLOCKER"; do
  [ -n "$b" ] && [ -x "$b" ] && [ -n "$TRACES" ] ||
    { echo "usage: $0 ZNET_ECHO ZNET_RESOLVE ZNET_DNS_BLOCKER TRACES_DIR" >&2; exit 2; }
done
need_shared "$TRACES"
need_cmd timeout tcpdump python3
trap e2e_cleanup EXIT
e2e_tmpdir
SEED=$(printf '%064d' 0)

# no_trouble ERRFILE: no leak, no sanitizer report.
no_trouble() {
  ! grep -q "still in use\|ERROR: AddressSanitizer\|runtime error:" "$1"
}

# dump PCAP [FILTER]: tcpdump's one-line decode.
dump() {
  local f=$1
  shift
  timeout 20 tcpdump -nn -r "$f" "$@" 2>/dev/null
}

# ---- znet-dns-blocker on tcpdump__dns_udp.pcap -------------------------
#
# 192.168.1.11 asks 209.87.249.18 (our address here) for www.tcpdump.org,
# ID 22836, through a router whose MAC the capture shows; the upstream is
# on-link with a static ARP entry so the forwarded query is written out.
dnsq=$TRACES/tcpdump__dns_udp.pcap
if [ -f "$dnsq" ]; then
  # blocker NAME BLOCKLIST_LINE [ARGS...]: one replay into $E2E_TMP/NAME.*
  blocker() {
    local name=$1 line=$2
    shift 2
    printf '%s\n' "$line" >"$E2E_TMP/$name.list"
    timeout 60 "$BLOCKER" --netif "pcap:$dnsq,out=$E2E_TMP/$name.pcap" \
      --ipv4 209.87.249.18/24 --mac 00:11:22:33:44:66 \
      --gateway 209.87.249.1 --arp 209.87.249.1=00:11:22:33:44:55 \
      --upstream 209.87.249.53 --arp 209.87.249.53=02:00:00:00:00:35 \
      --blocklist "$E2E_TMP/$name.list" --seed "$SEED" "$@" \
      >"$E2E_TMP/$name.out" 2>"$E2E_TMP/$name.err"
  }

  blocker fwd ads.example.com
  rc=$?
  err=$E2E_TMP/fwd.err
  check "forward: exit 0 and no leak or sanitizer report (exit $rc)" \
    eval '[ $rc -eq 0 ] && no_trouble "$err"'
  [ $rc -eq 0 ] || diag <"$err"
  check "forward: output capture is not empty" [ -s "$E2E_TMP/fwd.pcap" ]
  fq=$(dump "$E2E_TMP/fwd.pcap" "dst host 209.87.249.53 and udp dst port 53" | grep "A? www.tcpdump.org")
  fid=$(echo "$fq" | awk '{ sub(/[+].*/, "", $6); print $6 }')
  check "forward: the query went to the upstream (ID $fid)" [ -n "$fq" ]
  check "forward: under a new ID ($fid, not 22836)" [ -n "$fid" -a "$fid" != 22836 ]
  sf=$(dump "$E2E_TMP/fwd.pcap" "dst host 192.168.1.11 and udp dst port 43966" | grep -c " 22836 ServFail")
  check "forward: no upstream answer, so SERVFAIL with ID 22836 to the client" [ "$sf" -eq 1 ]
  check "forward: dns.forwarded 1, dns.upstream_timeouts 1" \
    [ "$(counter "$err" dns.forwarded)" -eq 1 -a "$(counter "$err" dns.upstream_timeouts)" -eq 1 ]
  echo "# forwarded:"
  dump "$E2E_TMP/fwd.pcap" | diag

  blocker blk "0.0.0.0 tcpdump.org"
  rc=$?
  err=$E2E_TMP/blk.err
  check "blocked: exit 0 and no leak or sanitizer report (exit $rc)" \
    eval '[ $rc -eq 0 ] && no_trouble "$err"'
  nx=$(dump "$E2E_TMP/blk.pcap" "dst host 192.168.1.11 and udp dst port 43966" | grep -c " 22836 NXDomain")
  check "blocked: www.tcpdump.org answered NXDOMAIN with ID 22836" [ "$nx" -eq 1 ]
  n=$(dump "$E2E_TMP/blk.pcap" "dst host 209.87.249.53" | wc -l)
  check "blocked: nothing sent to the upstream" [ "$n" -eq 0 ]
  check "blocked: dns.blocked 1, dns.forwarded 0" \
    [ "$(counter "$err" dns.blocked)" -eq 1 -a "$(counter "$err" dns.forwarded)" -eq 0 ]

  blocker zero "tcpdump.org" --block-mode zero
  z=$(dump "$E2E_TMP/zero.pcap" "dst host 192.168.1.11" | grep -c " 22836 1/0/1 A 0.0.0.0")
  check "zero mode: www.tcpdump.org answered A 0.0.0.0" [ "$z" -eq 1 ]

  blocker again ads.example.com
  check "two runs with one seed write the same bytes" cmp -s "$E2E_TMP/fwd.pcap" "$E2E_TMP/again.pcap"
fi

# ---- malformed queries --------------------------------------------------
inv=$TRACES/zeek__dns__dns-invalid-names.pcap
if [ -f "$inv" ]; then
  printf 'x.test\n' >"$E2E_TMP/inv.list"
  timeout 60 "$BLOCKER" --netif "pcap:$inv,out=$E2E_TMP/inv.pcap" \
    --ipv4 8.8.8.8/24 --mac 00:11:22:33:44:55 --gateway 8.8.8.1 \
    --arp 8.8.8.1=66:77:88:99:aa:bb --upstream 8.8.8.53 \
    --arp 8.8.8.53=02:00:00:00:00:35 --blocklist "$E2E_TMP/inv.list" \
    --seed "$SEED" >"$E2E_TMP/inv.out" 2>"$E2E_TMP/inv.err"
  rc=$?
  fe=$(dump "$E2E_TMP/inv.pcap" "src host 8.8.8.8 and udp src port 53" | grep -c "FormErr \[0q\]")
  check "dns-invalid-names: exit 0, FORMERR (header only) to the bad queries (exit $rc, $fe FORMERR)" \
    eval '[ $rc -eq 0 ] && [ "$fe" -ge 2 ] && no_trouble "$E2E_TMP/inv.err"'
fi

# ---- every DNS capture, posing as its first destination ----------------

# dest_of FILE: "IP MAC" of the first unicast IPv4 frame's destination.
dest_of() {
  timeout 20 tcpdump -nn -e -c 1 -r "$1" \
    'ip and not ip multicast and not ip broadcast' 2>/dev/null |
    awk '{ mac = ""; ip = ""
      for (i = 2; i < NF; i++) if ($i == ">") {
        if (mac == "" && $(i-1) ~ /^([0-9a-f][0-9a-f]:)+[0-9a-f][0-9a-f]$/) {
          mac = $(i+1); sub(/,$/, "", mac); continue }
        if ($(i-1) ~ /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+/) {
          t = $(i+1); sub(/:$/, "", t); split(t, a, ".")
          ip = a[1] "." a[2] "." a[3] "." a[4]; break }
      }
      print ip, mac }'
}

printf 'tracker.test\n' >"$E2E_TMP/any.list"
for f in "$TRACES"/*dns*.pcap "$TRACES"/*Dns*.pcap; do
  [ -e "$f" ] || continue
  base=$(basename "$f")
  read -r ip mac <<<"$(dest_of "$f")"
  args=()
  if [ -n "$ip" ] && [ "${ip%%.*}" != 127 ]; then
    args=(--ipv4 "$ip/24")
    [ -n "$mac" ] && [ $((0x${mac:0:2} & 1)) -eq 0 ] && args+=(--mac "$mac")
  else
    args=(--ipv4 10.99.0.2/24)
  fi
  timeout 60 "$BLOCKER" --netif "pcap:$f,out=$E2E_TMP/any.pcap" "${args[@]}" \
    --upstream 10.99.99.99 --blocklist "$E2E_TMP/any.list" --seed "$SEED" \
    >"$E2E_TMP/any.out" 2>"$E2E_TMP/any.err"
  rc=$?
  q=$(counter "$E2E_TMP/any.err" dns.received)
  if [ $rc -eq 0 ] && no_trouble "$E2E_TMP/any.err"; then
    ok "blocker replays $base as ${args[1]} ($q datagrams to port 53)"
  else
    not_ok "blocker replays $base as ${args[1]} (exit $rc)"
    diag <"$E2E_TMP/any.err"
  fi
done

# ---- znet-resolve --------------------------------------------------------
#
# As the client of tcpdump__dns_udp.pcap: the capture's answer is for
# another query (its port and ID), so ours times out; the query must be
# in the output.
if [ -f "$dnsq" ]; then
  timeout 60 "$RESOLVE" www.tcpdump.org --resolver 209.87.249.18 \
    --netif "pcap:$dnsq,out=$E2E_TMP/res.pcap" --ipv4 192.168.1.11/24 \
    --mac 00:11:22:33:44:55 --gateway 192.168.1.1 \
    --arp 192.168.1.1=00:11:22:33:44:66 --timeout 100 --tries 2 \
    --seed "$SEED" >"$E2E_TMP/res.out" 2>"$E2E_TMP/res.err"
  rc=$?
  check "znet-resolve on pcap: exit 1, timeout reported (exit $rc)" \
    eval '[ $rc -eq 1 ] && grep -q "connection timed out" "$E2E_TMP/res.out" && no_trouble "$E2E_TMP/res.err"'
  n=$(dump "$E2E_TMP/res.pcap" "dst host 209.87.249.18 and udp dst port 53" | grep -c "A? www.tcpdump.org")
  check "znet-resolve on pcap: the query was sent, and retried ($n sends)" [ "$n" -eq 2 ]
fi

# ---- znet-echo -------------------------------------------------------------
#
# A crafted capture: 10.0.0.1 sends one datagram to port 7 and one to the
# closed port 11 of 10.0.0.2 (9 is the discard service).
python3 - "$E2E_TMP/udp.pcap" <<'PY'
import struct
import sys


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def frame(sport, dport, payload, ident):
    src, dst = bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])
    ulen = 8 + len(payload)
    pseudo = src + dst + struct.pack("!BBH", 0, 17, ulen)
    udp = struct.pack("!HHHH", sport, dport, ulen, 0) + payload
    udp = udp[:6] + struct.pack("!H", csum(pseudo + udp) or 0xffff) + udp[8:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + ulen, ident, 0, 64, 17,
                     0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    eth = bytes.fromhex("020000000002" "020000000001" "0800")
    return eth + ip + udp


with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i, fr in enumerate([frame(40000, 7, b"hello pcap", 1),
                            frame(40001, 11, b"closed", 2)]):
        f.write(struct.pack("<IIII", 1700000000 + i, 0, len(fr), len(fr)))
        f.write(fr)
PY
timeout 60 "$ECHO" --netif "pcap:$E2E_TMP/udp.pcap,out=$E2E_TMP/udp-out.pcap" \
  --ipv4 10.0.0.2/24 --mac 02:00:00:00:00:02 --arp 10.0.0.1=02:00:00:00:00:01 \
  --seed "$SEED" >"$E2E_TMP/echo.out" 2>"$E2E_TMP/echo.err"
rc=$?
check "znet-echo on pcap: exit 0, no leak (exit $rc)" \
  eval '[ $rc -eq 0 ] && no_trouble "$E2E_TMP/echo.err"'
n=$(dump "$E2E_TMP/udp-out.pcap" -A "src host 10.0.0.2 and udp src port 7 and udp dst port 40000" |
  grep -c "hello pcap")
check "znet-echo on pcap: the datagram came back" [ "$n" -eq 1 ]
n=$(dump "$E2E_TMP/udp-out.pcap" "icmp" | grep -c "udp port 11 unreachable")
check "znet-echo on pcap: port 11 unreachable" [ "$n" -eq 1 ]
echo "# znet-echo on pcap:"
dump "$E2E_TMP/udp-out.pcap" | diag

finish
