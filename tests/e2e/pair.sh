#!/bin/bash
# znet-pair: two znet stacks joined in memory, one pinging the other.  No
# root needed.  Checks ping's transcript and the exit status for plain,
# full-frame and fragmented pings, a lossy link, TCP through B's echo
# (--tcp), and bad arguments.
#
#   pair.sh /path/to/znet-pair
#
# Output is TAP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

PAIR=${1:-}
[ -n "$PAIR" ] && [ -x "$PAIR" ] || { echo "usage: $0 /path/to/znet-pair" >&2; exit 2; }
need_cmd timeout
trap e2e_cleanup EXIT
e2e_tmpdir

# pair_case NAME WANT ARGS...: run znet-pair, expect "WANT received" and
# exit 0.
pair_case() {
  local name=$1 want=$2
  shift 2
  local log=$E2E_TMP/pair.log
  timeout 60 "$PAIR" "$@" >"$log" 2>"$log.err"
  local rc=$?
  if [ $rc -eq 0 ] && grep -q "^$want packets transmitted, $want received, 0% packet loss" "$log" &&
    [ "$(grep -c "bytes from 10.0.0.2: icmp_seq=" "$log")" -eq "$want" ] &&
    ! grep -q "still in use" "$log.err"; then
    ok "$name ($(grep -o 'rtt.*' "$log"))"
  else
    not_ok "$name (exit $rc)"
    diag <"$log"
    diag <"$log.err"
  fi
}

pair_case "3 pings of 56 bytes" 3 -c 3 -i 0.02
pair_case "3 pings of 1472 bytes (full frames)" 3 -c 3 -i 0.02 -s 1472
pair_case "3 pings of 4000 bytes (fragmented both ways)" 3 -c 3 -i 0.02 -s 4000
pair_case "2 pings of 0 bytes" 2 -c 2 -i 0.02 -s 0

# Reply sizes: data + 8 bytes of ICMP header, as ping prints them.
timeout 60 "$PAIR" -c 1 -s 4000 >"$E2E_TMP/size.log" 2>/dev/null
check "4000-byte ping reports 4008 bytes back" grep -q "^4008 bytes from 10.0.0.2" "$E2E_TMP/size.log"

# 50% loss on A's side, fixed seed: some pings lost, exit 1, counted.
timeout 60 "$PAIR" -c 20 -i 0.01 -W 0.5 --loss 50 >"$E2E_TMP/loss.log" 2>"$E2E_TMP/loss.err"
rc=$?
if [ $rc -eq 1 ] && grep -q "^20 packets transmitted, [0-9]* received, [1-9][0-9.]*% packet loss" "$E2E_TMP/loss.log" &&
  grep -q "^fault: .* lost" "$E2E_TMP/loss.err"; then
  ok "lossy link: losses reported, exit 1"
else
  not_ok "lossy link: losses reported, exit 1 (exit $rc)"
  diag <"$E2E_TMP/loss.log"
fi
check "lossy link: no buffer leaked" bash -c "! grep -q 'still in use' '$E2E_TMP/loss.err'"

# TCP: A sends through B's echo and checks every byte; both sides close.
timeout 60 "$PAIR" -c 1 -i 0.01 --tcp 2M >"$E2E_TMP/tcp.log" 2>"$E2E_TMP/tcp.err"
rc=$?
if [ $rc -eq 0 ] && grep -q "^2097152 bytes sent, 2097152 echoed back and checked, both sides closed" \
  "$E2E_TMP/tcp.log"; then
  ok "TCP: 2 MiB through B's echo, checked, both closed ($(grep 'echoed back' "$E2E_TMP/tcp.log" | grep -o '[0-9.]* ms (.*)'))"
else
  not_ok "TCP: 2 MiB through B's echo, checked, both closed (exit $rc)"
  diag <"$E2E_TMP/tcp.log"
fi
check "TCP: no buffer leaked" bash -c "! grep -q 'still in use' '$E2E_TMP/tcp.err'"

# usage_case NAME ARGS...: exit 2 with one line naming the bad value.
usage_case() {
  local name=$1
  shift
  timeout 10 "$PAIR" "$@" >/dev/null 2>"$E2E_TMP/usage.err"
  local rc=$?
  if [ $rc -eq 2 ] && [ "$(wc -l <"$E2E_TMP/usage.err")" -eq 1 ]; then
    ok "$name: exit 2, $(cat "$E2E_TMP/usage.err")"
  else
    not_ok "$name: exit 2 (got $rc)"
    diag <"$E2E_TMP/usage.err"
  fi
}
usage_case "bad count" -c 0
usage_case "bad size" -s 70000
usage_case "bad option" --frobnicate
usage_case "missing value" -c
usage_case "bad --tcp" --tcp 0

finish
