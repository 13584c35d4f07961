#!/bin/bash
# znet-replay on every capture of the shared trace set: each must replay
# (exit 0, no buffer leaked, no sanitizer report), every frame must reach
# the stack, and the output capture must be readable.  Then targeted
# replays whose answers are known, and the failure exits.
#
#   replay.sh /path/to/znet-replay TRACES_DIR
#
# Output is TAP.  Needs no root.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

REPLAY=${1:-}
TRACES=${2:-}
[ -n "$REPLAY" ] && [ -x "$REPLAY" ] && [ -n "$TRACES" ] ||
  { echo "usage: $0 /path/to/znet-replay TRACES_DIR" >&2; exit 2; }
need_shared "$TRACES"
need_cmd timeout
trap e2e_cleanup EXIT
e2e_tmpdir
have_tcpdump=0
command -v tcpdump >/dev/null && have_tcpdump=1

# field LOG NAME: a number from znet-replay's summary ("frames in 10").
field() {
  awk -v n="$2" '{ line = $0; sub(/^ +/, "", line) }
    index(line, n " ") == 1 { v = $NF } END { print v + 0 }' "$1"
}

# dest_of FILE: "IP MAC" of the first unicast IPv4 frame's destination
# (MAC empty for raw-IP captures), from tcpdump's decode.
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

# replay_case NAME FILE ARGS...: one replay; it must exit 0, leak nothing,
# raise no sanitizer report, hand every deliverable record to the stack,
# and write an output capture tcpdump reads.
replay_case() {
  local name=$1 f=$2
  shift 2
  local out=$E2E_TMP/out.pcap log=$E2E_TMP/replay.log
  rm -f "$out"
  timeout 60 "$REPLAY" "$f" --out "$out" --linger 10 -v "$@" >"$log" 2>"$log.err"
  local rc=$?
  local recs fin fout drops skipped why=""
  recs=$(field "$log" "capture records")
  fin=$(field "$log" "frames in")
  fout=$(field "$log" "frames out")
  drops=$(field "$log" "drops")
  skipped=$(awk '$1 == "pcap.frames_skipped" { print $2 }' "$log.err")
  [ $rc -eq 0 ] || why="$why exit $rc;"
  [ -s "$out" ] || why="$why no output file;"
  grep -q "still in use" "$log.err" && why="$why buffers leaked;"
  grep -q "ERROR: AddressSanitizer\|runtime error:" "$log.err" && why="$why sanitizer report;"
  [ "$fin" -eq "$((recs - ${skipped:-0}))" ] ||
    why="$why frames in $fin != records $recs - skipped ${skipped:-0};"
  if [ $have_tcpdump = 1 ] && ! timeout 20 tcpdump -r "$out" >/dev/null 2>&1; then
    why="$why tcpdump cannot read the output;"
  fi
  if [ -z "$why" ]; then
    ok "$name: $fin in, $fout out, $drops dropped"
  else
    not_ok "$name:$why"
    diag <"$log"
    diag <"$log.err"
  fi
}

# Every capture twice: as a bystander with no address (everything must
# be dropped and counted), and posing as the destination of its first
# unicast IPv4 frame (so IPv4, ICMP, reassembly and ARP really run).
n=0
for f in "$TRACES"/*.pcap "$TRACES"/*.pcapng; do
  [ -e "$f" ] || continue
  n=$((n + 1))
  base=$(basename "$f")
  replay_case "replay $base, no address" "$f"
  [ $have_tcpdump = 1 ] || continue
  read -r ip mac <<<"$(dest_of "$f")"
  [ -n "$ip" ] || continue
  args=(--ipv4 "$ip/24")
  # A unicast destination MAC only (loopback captures carry broadcast).
  if [ -n "$mac" ] && [ $((0x${mac:0:2} & 1)) -eq 0 ]; then
    args+=(--mac "$mac")
  fi
  replay_case "replay $base as $ip" "$f" "${args[@]}"
done
[ $n -gt 0 ] || not_ok "no captures in $TRACES"

# A known exchange: pose as the pinged host of zeek__icmp__5-pings (the
# requester is off-link, reached through a gateway with a static entry).
pings=$TRACES/zeek__icmp__5-pings.pcap
if [ -f "$pings" ]; then
  out=$E2E_TMP/pings.pcap
  timeout 60 "$REPLAY" "$pings" --out "$out" --ipv4 172.217.11.78/24 \
    --mac a6:83:e7:0c:90:64 --gateway 172.217.11.1 \
    --arp 172.217.11.1=00:0c:29:cf:30:15 >"$E2E_TMP/pings.log" 2>&1
  rc=$?
  if [ $have_tcpdump = 1 ]; then
    got=$(timeout 20 tcpdump -n -r "$out" \
      "icmp[icmptype] == icmp-echoreply and src host 172.217.11.78 and ether dst 00:0c:29:cf:30:15" 2>/dev/null | wc -l)
    check "5-pings: exit 0 and 5 echo replies to the gateway's MAC (exit $rc, got $got)" \
      [ $rc -eq 0 -a "$got" -eq 5 ]
  else
    skip_case "5-pings: 5 echo replies" "no tcpdump"
  fi
  check "5-pings: 7 frames out (5 replies, 2 ARP announcements)" \
    grep -q "^ *frames out *7$" "$E2E_TMP/pings.log"
fi

# A datagram in 3 fragments, all in one poll, reassembled.
frag=$TRACES/pcpp__IPv4Frag.pcap
if [ -f "$frag" ]; then
  timeout 60 "$REPLAY" "$frag" --ipv4 192.168.0.2/24 --mac fe:fd:c0:a8:00:02 \
    --arp 192.168.0.254=ea:ac:df:23:e8:a4 -v >"$E2E_TMP/frag.log" 2>&1
  reass=$(awk '$1 == "ip_reass_ok" { print $2 }' "$E2E_TMP/frag.log")
  if [ "${reass:-0}" -eq 1 ]; then
    ok "IPv4Frag: the 3 fragments are reassembled"
  else
    # Regression guard: timers started while the first poll of a replay
    # receives (the clock jumps from 0 to the capture's epoch time) used
    # to fire at once, dropping the datagram as timed out.
    not_ok "IPv4Frag: the 3 fragments are reassembled (ip_reass_ok ${reass:-0})"
    grep "reass" "$E2E_TMP/frag.log" | diag
  fi
fi

# Determinism: the seed is fixed by default, so two runs write the same
# bytes.
if [ -f "$pings" ]; then
  timeout 60 "$REPLAY" "$pings" --out "$E2E_TMP/a.pcap" >/dev/null 2>&1
  timeout 60 "$REPLAY" "$pings" --out "$E2E_TMP/b.pcap" >/dev/null 2>&1
  check "two replays write identical output" cmp -s "$E2E_TMP/a.pcap" "$E2E_TMP/b.pcap"
fi

# Failures: unreadable input exits 1, bad arguments exit 2.
exit_case() {
  local want=$1 name=$2
  shift 2
  timeout 10 "$REPLAY" "$@" >/dev/null 2>"$E2E_TMP/exit.err"
  local rc=$?
  if [ $rc -eq "$want" ]; then
    ok "$name: exit $want ($(head -n1 "$E2E_TMP/exit.err"))"
  else
    not_ok "$name: exit $want (got $rc)"
    diag <"$E2E_TMP/exit.err"
  fi
}
exit_case 1 "missing capture" "$E2E_TMP/does-not-exist.pcap"
echo "not a capture" >"$E2E_TMP/garbage.pcap"
exit_case 1 "not a capture" "$E2E_TMP/garbage.pcap"
exit_case 2 "bad --linger" --linger soon "$pings"
exit_case 2 "bad --ipv4" --ipv4 10.0.0.300/24 "$pings"
exit_case 2 "bad --arp" --arp 10.0.0.1 "$pings"
exit_case 2 "bad --netif" --netif tap:zn0
exit_case 2 "no capture" --ipv4 10.0.0.2/24

# A capture cut in the middle of a record: replays what it has, exit 0.
if [ -f "$pings" ]; then
  head -c 1000 "$pings" >"$E2E_TMP/cut.pcap"
  timeout 10 "$REPLAY" "$E2E_TMP/cut.pcap" >"$E2E_TMP/cut.log" 2>&1
  rc=$?
  check "capture cut mid-record: exit 0, 8 frames in (exit $rc)" \
    [ $rc -eq 0 -a "$(field "$E2E_TMP/cut.log" "frames in")" -eq 8 ]
fi

finish
