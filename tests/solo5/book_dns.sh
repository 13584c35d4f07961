#!/bin/bash
# The book's DNS programs (chapters 3 and 4) as unikernel images, made as
# the chapters tell a reader to make them (BUILD/examples/book/resolve.o
# and blocker.o, compiled by znet-cc from the files the Linux build
# compiles; znet-image links libznet-dns in) and booted under solo5-spt on
# a TAP in a private network namespace, against dnsmasq on the TAP's
# kernel side with the chapters' zone (tests/e2e/book_dns_lib.sh).
#
#   book_dns.sh SOURCE_ROOT BUILD_ROOT SHARED_DIR
#
#  1. Solo5 and the namespace (spt-lib.sh), dnsmasq.
#  2. resolve.spt: its lines for www.test, alias.test and v4.test byte
#     for byte, exit 0 (solo5-spt's status too); one query per lookup
#     (the first lookups start on a running clock); an NXDOMAIN: exit 1;
#     a server that never answers: "timed out", exit 1.
#  3. blocker.spt with examples/book/blocklist.txt in its root archive,
#     named by its path there: the list's line and the bad line named on
#     the console; blocked names get 0.0.0.0 and ::, over UDP and TCP,
#     and never reach dnsmasq; other names get dnsmasq's answer byte for
#     byte, over TCP too; a second query comes from the cache; still
#     running at the end, no fatal error on the console.
#
# Needs root, /dev/net/tun, gcc, make and libseccomp (solo5-spt's
# sandbox), dnsmasq, dig, socat, else skips.  Output is TAP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../e2e/lib.sh"
. "$here/../e2e/book_dns_lib.sh"
. "$here/spt-lib.sh"

[ $# -eq 3 ] || { echo "usage: $0 SOURCE_ROOT BUILD_ROOT SHARED_DIR" >&2; exit 2; }
need_cmd dnsmasq dig socat cmp
spt_setup "$1" "$2" "$3"
T=$E2E_TMP
B=$SPT_BUILD/examples/book
Z=$E2E_ZNET_IP
K=$E2E_KERNEL_IP
tar cf "$T/empty.tar" -T /dev/null

if ! book_dnsmasq; then
  not_ok "dnsmasq answers on $K:53"
  diag <"$T/dnsmasq.log.out"
  finish
  exit 1
fi
ok "dnsmasq answers for the zone test on $K:53"

# ---- 2. resolve ----------------------------------------------------------

# resolve OUT ARGS...: resolve.spt in the foreground, the console to OUT;
# returns solo5-spt's status.  Then OUT.lines: the program's lines after
# its banner.
resolve() {
  local out=$1
  shift
  ip netns exec "$E2E_NS" timeout --foreground 60 solo5-spt --mem=64 \
    --net:service="$E2E_TAP" --net-mac:service="$E2E_MAC" \
    --block:rootfs="$T/empty.tar" "$T/resolve.spt" --ipv4="$Z/$E2E_PREFIX" \
    "$@" >"$out" 2>&1
  local rc=$?
  sed -n '/^resolve: asking /,/^resolve: [0-9]* of [0-9]* names resolved$/p' "$out" >"$out.lines"
  return $rc
}

if spt_image resolve "$B/resolve.o"; then
  resolve "$T/r1" -- --server "$K" www.test alias.test v4.test
  rc=$?
  check "resolve.spt boots: $(grep -m1 '^resolve: .* mac ' "$T/r1")" \
    grep -qx "resolve: $Z/$E2E_PREFIX mac $E2E_MAC on solo5:service" "$T/r1"
  cat >"$T/r1.want" <<EOF
resolve: asking $K port 53
www.test A 192.0.2.80
www.test AAAA 2001:db8::80
alias.test A 192.0.2.80 via www.test
alias.test AAAA 2001:db8::80 via www.test
v4.test A 192.0.2.81
v4.test AAAA: no address of this type
resolve: 3 of 3 names resolved
EOF
  if cmp -s "$T/r1.lines" "$T/r1.want"; then
    ok "resolve.spt: its lines, byte for byte (A, AAAA, a CNAME, no AAAA)"
  else
    not_ok "resolve.spt: its lines, byte for byte (A, AAAA, a CNAME, no AAAA)"
    tail -20 "$T/r1" | diag
  fi
  check "resolve.spt exits 0, and so does solo5-spt (got $rc)" \
    eval '[ "$rc" -eq 0 ] && grep -q "solo5_exit(0)" "$T/r1"'

  before_a=$(book_reached_type A www.test)
  before_aaaa=$(book_reached_type AAAA www.test)
  resolve "$T/r2" -- --server "$K" www.test
  na=$(($(book_reached_type A www.test) - before_a))
  naaaa=$(($(book_reached_type AAAA www.test) - before_aaaa))
  # Sent again only without an answer in 500 ms (a loaded machine).
  check "resolve.spt: one query per lookup, A and AAAA, at most 3 tries each (dnsmasq got $na and $naaaa)" \
    eval '[ "$na" -ge 1 ] && [ "$na" -le 3 ] && [ "$naaaa" -ge 1 ] && [ "$naaaa" -le 3 ]'

  resolve "$T/r3" -- --server "$K" nosuch.test
  rc=$?
  check "resolve.spt nosuch.test: NXDOMAIN, exit 1 (got $rc)" \
    eval '[ "$rc" -eq 1 ] && grep -qx "nosuch.test A: no such name (NXDOMAIN)" "$T/r3.lines"'

  t0=$(now_s)
  resolve "$T/r4" -- --server 10.77.0.99 www.test
  rc=$?
  check "resolve.spt at a server that never answers: timed out, exit 1 (got $rc, $(elapsed "$t0") s)" \
    eval '[ "$rc" -eq 1 ] &&
      grep -qx "www.test A: no answer from the server (timed out)" "$T/r4.lines"'

  # zn_app_settle in an image: the address passed its duplicate address
  # check (the runtime polling the stack) before the program asks.
  resolve "$T/r5" --ipv6=2001:db8:77::2/64 -- --server "$K" v4.test
  pref=$(grep -n -m1 '^resolve: ipv6 2001:db8:77::2/64 preferred ' "$T/r5" | cut -d: -f1)
  ask=$(grep -n -m1 '^resolve: asking ' "$T/r5" | cut -d: -f1)
  check "resolve.spt --ipv6: settled (preferred at line ${pref:-none}) before asking (line ${ask:-none})" \
    eval '[ -n "$pref" ] && [ -n "$ask" ] && [ "$pref" -lt "$ask" ]'
  spt_fatal_case resolve.spt "$T/r1"
fi

# ---- 3. blocker ----------------------------------------------------------

tar cf "$T/root.tar" -C "$SPT_ROOT/examples/book" blocklist.txt
out=$T/blocker.out
spt_image blocker "$B/blocker.o" || { finish; exit 1; }
spt_boot blocker "$out" "$T/root.tar" --ipv4="$Z/$E2E_PREFIX" -- "$K" blocklist.txt
if spt_wait_banner blocker "$out" && wait_line "$out" "^blocker: serving" 5; then
  check "blocker.spt boots: $(grep -m1 '^blocker: .* mac ' "$out")" \
    grep -qx "blocker: $Z/$E2E_PREFIX mac $E2E_MAC on solo5:service" "$out"
  check "blocker.spt reads blocklist.txt from its root archive: 4 names" \
    grep -qx "blocker: blocklist.txt: 4 names blocked (7 lines, 1 duplicates, 1 local names ignored, 1 rejected)" "$out"
  check "blocker.spt: the bad line named" \
    grep -qx "blocker: blocklist.txt:6: not a host name: 'bad!name'" "$out"
  book_dig_case "blocked: ads.test A is 0.0.0.0" 0.0.0.0 ads.test
  book_dig_case "blocked: banner.ads.test AAAA is ::" :: banner.ads.test AAAA
  book_dig_case "blocked over TCP: tracker.test is 0.0.0.0" 0.0.0.0 +tcp tracker.test
  n=$(($(book_reached ads.test) + $(book_reached banner.ads.test) + $(book_reached tracker.test)))
  check "no blocked name reached dnsmasq (got $n)" [ "$n" -eq 0 ]
  book_byte_case www.test 1
  book_byte_case nosuch.test 1
  book_dig_case "forwarded over TCP: v4.test is 192.0.2.81" 192.0.2.81 +tcp v4.test
  before=$(book_reached www.test)
  book_dig_case "from the cache: www.test again" 192.0.2.80 www.test
  check "the cache hit did not reach dnsmasq ($before, then $(book_reached www.test))" \
    [ "$(book_reached www.test)" -eq "$before" ]
  check "blocker.spt still running at the end" spt_stop
  spt_fatal_case blocker.spt "$out"
else
  not_ok "blocker.spt boots and serves"
  tail -20 "$out" | diag
  spt_stop
fi

finish
