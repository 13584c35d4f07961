# shellcheck shell=bash
# What the tests of the book's chapters 3 and 4 share (book_dns.sh, and
# tests/solo5/book_dns.sh for the images).  Sourced after lib.sh.
#
#   book_dnsmasq
#       The chapters' DNS server: Debian's dnsmasq on the TAP's kernel
#       side ($E2E_KERNEL_IP, in $E2E_NS), with the flags chapter 3 gives
#       it: the names of the zone "test" below, with a TTL of 300 s,
#       nothing else (--local: any other name of "test" is NXDOMAIN; no
#       upstream of its own, no /etc files), and DHCP on the TAP (10.77.0.50-60, itself the DNS
#       server of the lease).  Every query and DHCP message is logged to
#       $E2E_TMP/dnsmasq.log.  Bounded to 300 s; waits (at most 30 s)
#       until it answers.
#   book_reached NAME
#       How many queries for NAME (any type) dnsmasq logged.
#   book_reached_type TYPE NAME
#       How many queries for NAME of TYPE (A, AAAA) dnsmasq logged.
#   book_q NAME TYPE
#       The bytes of a DNS query for NAME and TYPE (1: A, 28: AAAA),
#       ID 0x2b2b, RD set, no EDNS.
#   book_dig_case NAME WANT ARGS...
#       One case: dig +short ARGS at the program on $E2E_ZNET_IP (as the
#       chapter runs it, bounded to 20 s) must print WANT (its lines
#       joined by spaces).
#   book_byte_case NAME TYPE
#       One case: the same query (book_q) to dnsmasq and to the program
#       on $E2E_ZNET_IP; the answers must be the same bytes.
#
# The zone:
#   www.test      192.0.2.80 and 2001:db8::80
#   v4.test       192.0.2.81 (no AAAA)
#   alias.test    a CNAME for www.test
#   ads.test      192.0.2.66 (the blocker's list blocks it)

book_dnsmasq() {
  local log=$E2E_TMP/dnsmasq.log _
  : >"$log"
  ip netns exec "$E2E_NS" timeout 300 dnsmasq --keep-in-foreground \
    --conf-file=/dev/null --no-resolv --no-hosts --user=root --pid-file= \
    --interface="$E2E_TAP" --bind-interfaces --local=/test/ --local-ttl=300 \
    --host-record=www.test,192.0.2.80,2001:db8::80 \
    --host-record=v4.test,192.0.2.81 --cname=alias.test,www.test \
    --host-record=ads.test,192.0.2.66 --dhcp-range=10.77.0.50,10.77.0.60 \
    --log-queries --log-dhcp --log-facility="$log" >"$log.out" 2>&1 &
  bg_pid $!
  local end=$((SECONDS + 30))
  while [ "$SECONDS" -lt "$end" ]; do
    in_ns dig +short +time=1 +tries=1 "@$E2E_KERNEL_IP" www.test 2>/dev/null |
      grep -qx 192.0.2.80 && return 0
    sleep 0.5
  done
  return 1
}

book_reached() {
  grep -ci "query\[[A-Z]*\] $1 from" "$E2E_TMP/dnsmasq.log"
}

book_reached_type() {
  grep -ci "query\[$1\] $2 from" "$E2E_TMP/dnsmasq.log"
}

book_q() {
  local label
  printf '\x2b\x2b\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00'
  for label in ${1//./ }; do
    printf "\\x$(printf %02x "${#label}")%s" "$label"
  done
  printf "\\x00\\x00\\x$(printf %02x "$2")\\x00\\x01"
}

book_dig_case() {
  local name=$1 want=$2 got
  shift 2
  got=$(in_ns_t 20 dig +short "@$E2E_ZNET_IP" "$@" 2>&1 |
    tr '\n' ' ' | sed 's/ $//')
  if [ "$got" = "$want" ]; then ok "$name"; else not_ok "$name (got '$got')"; fi
}

# book_udp_ask ADDR FILE OUT: FILE as one datagram to ADDR:53 through
# socat, the answer to OUT.  socat's stdin stays open until the answer
# is there (at most 15 s): after its end socat waits only 0.5 s (its -t)
# for an answer, which a loaded machine's forwarding may take longer to
# bring.
book_udp_ask() {
  local _
  : >"$3"
  {
    cat "$2"
    for _ in $(seq 1 150); do
      [ -s "$3" ] && break
      sleep 0.1
    done
  } | in_ns_t 20 socat - "UDP:$1:53" >"$3" 2>/dev/null
}

book_byte_case() {
  local f=$E2E_TMP/q-$1-$2
  book_q "$1" "$2" >"$f"
  book_udp_ask "$E2E_KERNEL_IP" "$f" "$f.up"
  book_udp_ask "$E2E_ZNET_IP" "$f" "$f.blk"
  if [ -s "$f.up" ] && cmp -s "$f.up" "$f.blk"; then
    ok "$1 type $2 through the blocker: dnsmasq's answer, byte for byte ($(stat -c %s "$f.up") bytes)"
  else
    not_ok "$1 type $2 through the blocker: dnsmasq's answer, byte for byte"
    { echo "dnsmasq:"; od -An -tx1 "$f.up"; echo "blocker:"; od -An -tx1 "$f.blk"; } | diag
  fi
}
