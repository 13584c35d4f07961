#!/bin/bash
# Chapter 8: how long an image takes from its start to its first answer.
#
#   boot-time.sh ADDR COMMAND [ARGS...]
#
# Starts COMMAND (solo5-spt or QEMU with the image; its output goes to
# stderr), sends a UDP datagram to ADDR port 7 every 2 ms until the echo
# sends it back, prints the milliseconds from the start to that answer,
# then stops COMMAND.  Gives up after BOOT_TIMEOUT seconds (default 60).
# Exit status 0 with a time; 1 without an answer; 2 on a bad command line.
set -u
limit=${BOOT_TIMEOUT:-60}
if [ $# -lt 2 ] || ! [[ $limit =~ ^[0-9]+$ ]]; then
  echo "usage: [BOOT_TIMEOUT=SECONDS] boot-time.sh ADDR COMMAND [ARGS...]" >&2
  exit 2
fi
addr=$1
shift

# stop: COMMAND ended with SIGTERM, and waited for.
stop() {
  kill -TERM "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
}

# Microseconds from bash's own clock: no process started for a reading.
start=${EPOCHREALTIME//[.,]/}
"$@" >&2 &
pid=$!
trap 'stop; exit 1' INT TERM
if ! exec 3<>"/dev/udp/$addr/7"; then
  echo "boot-time.sh: no UDP socket to $addr" >&2
  stop
  exit 1
fi
while kill -0 "$pid" 2>/dev/null; do
  us=$((${EPOCHREALTIME//[.,]/} - start))
  if [ "$us" -gt $((limit * 1000000)) ]; then
    echo "boot-time.sh: no answer from $addr within $limit s" >&2
    stop
    exit 1
  fi
  printf x >&3 2>/dev/null # refused or unreachable until the image is up
  read -r -n 1 -t 0.002 -u 3 got 2>/dev/null
  rc=$?
  if [ "$rc" -eq 0 ] && [ "$got" = x ]; then
    us=$((${EPOCHREALTIME//[.,]/} - start))
    printf '%d.%d ms\n' $((us / 1000)) $((us % 1000 / 100))
    stop
    exit 0
  fi
  [ "$rc" -gt 128 ] || sleep 0.002 # an error comes back at once: wait
done
echo "boot-time.sh: $1 ended before $addr answered" >&2
wait "$pid"
exit 1
