#!/bin/bash
# The book's DNS programs on Linux (chapters 3 and 4): the resolver
# (examples/book/resolve.c) and the blocker (examples/book/blocker.c),
# each built against libznet-app and libznet-dns, on a TAP device in a
# private network namespace, against Debian's dnsmasq on the TAP's kernel
# side with the chapters' zone (book_dns_lib.sh).
#
#   book_dns.sh /path/to/resolve /path/to/blocker /path/to/blocklist.txt
#
# resolve: the whole output for three names (A, AAAA, a CNAME, a name
# without AAAA), byte for byte, exit 0, one query per lookup; an
# NXDOMAIN among them: its lines, exit 1; "--server ADDR:PORT"; a server
# that never answers: "timed out" after the three tries (3.5 s), exit 1;
# --dhcp without --server: the lease's server (dnsmasq's DHCP); --help,
# and each bad command line (no server, no name, a bad address, a bad
# name, nine names) exit 1 with one line; no leak, no sanitizer report.
#
# blocker, with the chapter's list (examples/book/blocklist.txt): its
# lines at start (the list's counts, the one bad line named); blocked names and the names below them get 0.0.0.0 and ::
# (and no data for MX), in any case, over UDP and TCP, and never reach
# dnsmasq; other names get dnsmasq's answer byte for byte (the same
# query sent to both), over UDP and TCP, the NXDOMAIN of a name the list
# does not have too; a second query is answered from the cache; the
# counters printed at SIGINT, each one exact; exit 0, no leak; chapter
# 4's session (its dig commands, then its counters); an upstream that
# never answers: SERVFAIL, blocked names still answered;
# bad command lines and a missing list exit 1 with one line.  Needs
# root, /dev/net/tun, dnsmasq, dig, socat; otherwise skips.  Output is
# TAP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/book_dns_lib.sh"

RESOLVE=${1:-}
BLOCKER=${2:-}
LIST=${3:-}
[ -n "$RESOLVE" ] && [ -x "$RESOLVE" ] && [ -n "$BLOCKER" ] && [ -x "$BLOCKER" ] &&
  [ -f "$LIST" ] ||
  { echo "usage: $0 /path/to/resolve /path/to/blocker /path/to/blocklist.txt" >&2; exit 2; }
RESOLVE=$(cd "$(dirname "$RESOLVE")" && pwd)/$(basename "$RESOLVE")
BLOCKER=$(cd "$(dirname "$BLOCKER")" && pwd)/$(basename "$BLOCKER")
LIST=$(cd "$(dirname "$LIST")" && pwd)/$(basename "$LIST")

need_netns
need_cmd dnsmasq dig socat timeout cmp
trap e2e_cleanup EXIT
e2e_tmpdir
T=$E2E_TMP
Z=$E2E_ZNET_IP
K=$E2E_KERNEL_IP

if ! setup_netns; then
  not_ok "create network namespace with $E2E_TAP"
  finish
  exit 1
fi
if ! book_dnsmasq; then
  not_ok "dnsmasq answers on $K:53"
  diag <"$T/dnsmasq.log.out"
  finish
  exit 1
fi
ok "dnsmasq answers for the zone test on $K:53 ($(dnsmasq --version | head -1 | cut -d' ' -f1-3))"

# ---- chapter 3: the resolver -------------------------------------------

# resolve OUT ARGS...: the resolver on the TAP, its stdout to OUT and its
# stderr to OUT.err; returns its status.
resolve() {
  local out=$1
  shift
  in_ns_t 60 "$RESOLVE" --netif "tap:$E2E_TAP" --mac "$E2E_MAC" "$@" \
    >"$out" 2>"$out.err"
}
BANNER="resolve: $Z/$E2E_PREFIX mac $E2E_MAC on tap:$E2E_TAP"

resolve "$T/r1" --ipv4 "$Z/$E2E_PREFIX" -- --server "$K" www.test alias.test v4.test
rc=$?
cat >"$T/r1.want" <<EOF
$BANNER
resolve: asking $K port 53
www.test A 192.0.2.80
www.test AAAA 2001:db8::80
alias.test A 192.0.2.80 via www.test
alias.test AAAA 2001:db8::80 via www.test
v4.test A 192.0.2.81
v4.test AAAA: no address of this type
resolve: 3 of 3 names resolved
EOF
check "resolve www.test alias.test v4.test: exit 0 (got $rc)" [ "$rc" -eq 0 ]
if cmp -s "$T/r1" "$T/r1.want"; then
  ok "resolve: its output, byte for byte (A, AAAA, a CNAME, no AAAA)"
else
  not_ok "resolve: its output, byte for byte (A, AAAA, a CNAME, no AAAA)"
  diff "$T/r1.want" "$T/r1" | diag
fi
check "resolve: nothing on stderr" [ ! -s "$T/r1.err" ]

before_a=$(book_reached_type A www.test)
before_aaaa=$(book_reached_type AAAA www.test)
resolve "$T/r2" --ipv4 "$Z/$E2E_PREFIX" -- --server "$K:53" www.test
rc=$?
na=$(($(book_reached_type A www.test) - before_a))
naaaa=$(($(book_reached_type AAAA www.test) - before_aaaa))
check "resolve --server $K:53 www.test: exit 0 (got $rc)" \
  eval '[ "$rc" -eq 0 ] && grep -qx "www.test AAAA 2001:db8::80" "$T/r2"'
# One query per lookup, sent again only when no answer came within the
# 500 ms the program gives (a loaded machine: seen 2 runs in 45 beside
# two other runs of this test), never more than its three tries.
check "resolve: one query per lookup, A and AAAA, at most 3 tries each (dnsmasq got $na and $naaaa)" \
  eval '[ "$na" -ge 1 ] && [ "$na" -le 3 ] && [ "$naaaa" -ge 1 ] && [ "$naaaa" -le 3 ]'
[ $((na + naaaa)) -gt 2 ] && diag "resolve: sent again: dnsmasq answered after the 500 ms (a loaded machine)"

resolve "$T/r3" --ipv4 "$Z/$E2E_PREFIX" -- --server "$K" www.test nosuch.test
rc=$?
check "resolve www.test nosuch.test: exit 1 (got $rc)" [ "$rc" -eq 1 ]
check "resolve: nosuch.test's two lines say NXDOMAIN" eval \
  'grep -qx "nosuch.test A: no such name (NXDOMAIN)" "$T/r3" &&
    grep -qx "nosuch.test AAAA: no such name (NXDOMAIN)" "$T/r3"'
check "resolve: www.test still printed, 1 of 2 names resolved" eval \
  'grep -qx "www.test A 192.0.2.80" "$T/r3" &&
    grep -qx "resolve: 1 of 2 names resolved" "$T/r3"'

t0=$(now_s)
resolve "$T/r4" --ipv4 "$Z/$E2E_PREFIX" -- --server 10.77.0.99 www.test
rc=$?
t=$(elapsed "$t0")
check "resolve at a server that never answers: exit 1 (got $rc)" [ "$rc" -eq 1 ]
check "resolve: 'timed out' for A and AAAA, 0 of 1 resolved" eval \
  'grep -qx "www.test A: no answer from the server (timed out)" "$T/r4" &&
    grep -qx "www.test AAAA: no answer from the server (timed out)" "$T/r4" &&
    grep -qx "resolve: 0 of 1 names resolved" "$T/r4"'
check "resolve: gave up after its three tries, 3.5 s ($t s)" \
  awk -v t="$t" 'BEGIN { exit !(t >= 3.4 && t < 10) }'

# DHCP: no --server, no --ipv4; the lease names dnsmasq.  RFC 2131's
# start delay (up to 10 s) and RFC 5227's probing come first.
t0=$(now_s)
resolve "$T/r5" --dhcp -- www.test
rc=$?
check "resolve --dhcp -- www.test: exit 0 (got $rc, $(elapsed "$t0") s)" [ "$rc" -eq 0 ]
check "resolve --dhcp: asks the lease's server, $K" \
  eval 'grep -qx "resolve: asking $K port 53" "$T/r5" &&
    grep -qx "www.test A 192.0.2.80" "$T/r5"'
[ "$rc" -eq 0 ] || diag <"$T/r5"

"$RESOLVE" --help >"$T/help" 2>&1
rc=$?
check "resolve --help: exit 0, its usage line (got $rc)" eval \
  '[ "$rc" -eq 0 ] && grep -qx "usage: resolve \[OPTIONS\] -- \[--server ADDR\[:PORT\]\] NAME..." "$T/help"'

# usage_case PROG NAME WANT ARGS...: exit 1, stderr one line WANT exactly.
usage_case() {
  local bin=$1 name=$2 want=$3
  shift 3
  in_ns_t 20 "$bin" --netif "tap:$E2E_TAP" --mac "$E2E_MAC" "$@" \
    >"$T/usage.out" 2>"$T/usage.err"
  local rc=$?
  if [ "$rc" -eq 1 ] && [ "$(cat "$T/usage.err")" = "$want" ]; then
    ok "$name: exit 1, '$want'"
  else
    not_ok "$name: exit 1, '$want' (got $rc)"
    diag <"$T/usage.err"
  fi
}
A4=(--ipv4 "$Z/$E2E_PREFIX")
usage_case "$RESOLVE" "resolve without a server" \
  "resolve: no server: give --server ADDR, or --dhcp for the lease's" "${A4[@]}" -- www.test
usage_case "$RESOLVE" "resolve without a name" \
  "resolve: give 1 to 8 names to look up" "${A4[@]}" -- --server "$K"
usage_case "$RESOLVE" "resolve with nine names" "resolve: give 1 to 8 names to look up" \
  "${A4[@]}" -- --server "$K" a b c d e f g h i
usage_case "$RESOLVE" "resolve --server nowhere" \
  "resolve: --server takes ADDR, ADDR:PORT or [IPV6]:PORT" "${A4[@]}" -- --server nowhere www.test
usage_case "$RESOLVE" "resolve bad..name" "resolve: not a domain name: bad..name" \
  "${A4[@]}" -- --server "$K" bad..name
for f in r1 r2 r3 r4 r5; do cat "$T/$f.err"; done >"$T/resolve.err"
no_leak_case "resolve (five runs)" "$T/resolve.err"

# ---- chapter 4: the blocker --------------------------------------------

out=$T/blocker.out
err=$T/blocker.err
if ! start_znet blocker "$BLOCKER" "$out" "$err" --mac "$E2E_MAC" \
  -- "$K" "$LIST"; then
  not_ok "blocker starts on tap:$E2E_TAP"
  diag <"$err"
  finish
  exit 1
fi
wait_line "$out" "^blocker: serving" 30
cat >"$T/blocker.want" <<EOF
blocker: $Z/$E2E_PREFIX mac $E2E_MAC on tap:$E2E_TAP
blocker: $LIST: 4 names blocked (7 lines, 1 duplicates, 1 local names ignored, 1 rejected)
blocker: serving DNS on port 53, upstream $K
EOF
if cmp -s "$out" "$T/blocker.want"; then
  ok "blocker: its three lines at start (4 names, 1 duplicate, 1 local, 1 rejected)"
else
  not_ok "blocker: its three lines at start"
  diff "$T/blocker.want" "$out" | diag
fi
check "blocker: the bad line named on stderr" \
  grep -qx "blocker: $LIST:6: not a host name: 'bad!name'" "$err"

book_dig_case "blocked: ads.test A is 0.0.0.0" 0.0.0.0 ads.test
book_dig_case "blocked: banner.ads.test (below a listed name) is 0.0.0.0" 0.0.0.0 banner.ads.test
book_dig_case "blocked: ads.test AAAA is ::" :: ads.test AAAA
book_dig_case "blocked: METRICS.test (the second name of a line, any case) is 0.0.0.0" \
  0.0.0.0 METRICS.test
book_dig_case "blocked: img.cdn-ads.test (listed as *.cdn-ads.test) is 0.0.0.0" \
  0.0.0.0 img.cdn-ads.test
book_dig_case "blocked over TCP: tracker.test is 0.0.0.0" 0.0.0.0 +tcp tracker.test
got=$(in_ns dig +time=10 +tries=1 "@$Z" ads.test MX 2>&1)
check "blocked: ads.test MX is NOERROR with no answer" \
  eval 'grep -q "status: NOERROR" <<<"$got" && grep -q "ANSWER: 0," <<<"$got"'
n=$(($(book_reached ads.test) + $(book_reached banner.ads.test) + $(book_reached metrics.test) +
  $(book_reached img.cdn-ads.test) + $(book_reached tracker.test)))
check "no blocked name reached dnsmasq (got $n)" [ "$n" -eq 0 ]

book_byte_case www.test 1
book_byte_case www.test 28
book_byte_case alias.test 1
book_byte_case nosuch.test 1
book_byte_case myads.test 1
book_dig_case "forwarded over TCP: v4.test is 192.0.2.81" 192.0.2.81 +tcp v4.test
before=$(book_reached www.test)
book_dig_case "from the cache: www.test again" 192.0.2.80 www.test
check "the cache hit did not reach dnsmasq ($before, then $(book_reached www.test))" \
  [ "$(book_reached www.test)" -eq "$before" ]

stop_echo
rc=$?
check "blocker exits 0 on SIGINT (got $rc)" [ "$rc" -eq 0 ]
# Queries: 7 blocked (ads.test A, banner.ads.test, ads.test AAAA,
# METRICS.test, img.cdn-ads.test, tracker.test over TCP, ads.test MX); 6
# forwarded (www.test A and AAAA, alias.test, nosuch.test, myads.test,
# v4.test over TCP, all answered); 1 from the cache (www.test: dig asks
# without EDNS's DO bit, as book_q does, so the cache keys agree; the two
# NXDOMAIN carry no SOA, and are not cached).
want="blocker: 14 queries (2 over TCP): 7 blocked, 1 from the cache, 6 forwarded, 6 answered by the upstream"
check "blocker: its counters at the end: '$want'" \
  grep -qx "$want" "$out"
grep -q "^blocker: [0-9]* queries" "$out" && ! grep -qx "$want" "$out" &&
  grep "^blocker: [0-9]* queries" "$out" | diag
no_leak_case "blocker" "$err"

# Chapter 4's session: its dig commands, then Ctrl-C and the counters
# the chapter shows.
if start_znet blocker "$BLOCKER" "$out" "$err" --mac "$E2E_MAC" -- "$K" "$LIST" &&
  wait_line "$out" "^blocker: serving" 30; then
  book_dig_case "the chapter: www.test is 192.0.2.80" 192.0.2.80 www.test
  book_dig_case "the chapter: ads.test is 0.0.0.0" 0.0.0.0 ads.test
  book_dig_case "the chapter: banner.ads.test AAAA is ::" :: banner.ads.test AAAA
  book_dig_case "the chapter: tracker.test over TCP is 0.0.0.0" 0.0.0.0 +tcp tracker.test
  got=$(in_ns_t 20 dig +short "@$K" ads.test 2>&1)
  check "the chapter: dnsmasq, asked directly, says ads.test is 192.0.2.66 (got '$got')" \
    [ "$got" = 192.0.2.66 ]
  before=$(book_reached www.test)
  book_dig_case "the chapter: www.test again is 192.0.2.80" 192.0.2.80 www.test
  check "the chapter: that one did not reach dnsmasq" [ "$(book_reached www.test)" -eq "$before" ]
  stop_echo
  rc=$?
  want="blocker: 5 queries (1 over TCP): 3 blocked, 1 from the cache, 1 forwarded, 1 answered by the upstream"
  check "the chapter: exit 0 (got $rc) and its counters: '$want'" \
    eval '[ "$rc" -eq 0 ] && grep -qx "$want" "$out"'
  grep "^blocker: [0-9]* queries" "$out" | diag
else
  not_ok "blocker starts again for the chapter's session"
  diag <"$err"
fi

# An upstream that never answers: SERVFAIL (after the forwarder's 5 s);
# blocked names are still answered.
if start_znet blocker "$BLOCKER" "$out" "$err" --mac "$E2E_MAC" \
  -- 10.77.0.99 "$LIST"; then
  got=$(in_ns dig +time=15 +tries=1 "@$Z" www.test 2>&1)
  check "dead upstream: www.test is SERVFAIL" grep -q "status: SERVFAIL" <<<"$got"
  book_dig_case "dead upstream: ads.test is still 0.0.0.0" 0.0.0.0 ads.test
  stop_echo
  rc=$?
  check "blocker exits 0 (got $rc)" [ "$rc" -eq 0 ]
else
  not_ok "blocker with a dead upstream starts"
  diag <"$err"
fi

usage_case "$BLOCKER" "blocker without arguments" \
  "blocker: give -- UPSTREAM[:PORT] BLOCKLIST" "${A4[@]}"
usage_case "$BLOCKER" "blocker with a bad upstream" \
  "blocker: give -- UPSTREAM[:PORT] BLOCKLIST" "${A4[@]}" -- 10.77.0.300 "$LIST"
usage_case "$BLOCKER" "blocker with a missing list" \
  "blocker: cannot read $T/missing.txt: No such file or directory" "${A4[@]}" -- "$K" "$T/missing.txt"
"$BLOCKER" --help >"$T/help" 2>&1
rc=$?
check "blocker --help: exit 0, its usage line (got $rc)" eval \
  '[ "$rc" -eq 0 ] && grep -qx "usage: blocker \[OPTIONS\] -- UPSTREAM\[:PORT\] BLOCKLIST" "$T/help"'
finish
