# Shared helpers of the end-to-end tests (sourced, not run).
#
# Output is TAP: ok/not_ok print one case each, finish prints the plan.
# Skipping: skip_all prints "1..0 # SKIP reason" and exits with
# $E2E_SKIP_STATUS, 77 by default (the autotools/meson skip code for a
# script run by hand); meson runs these as TAP tests, where a plan of
# 1..0 means skipped and any non-zero status is an error, so meson.build
# sets E2E_SKIP_STATUS=0.
#
# Network tests run in a private network namespace with a unique name,
# created here and deleted by the EXIT trap together with the znet
# process; they never touch the host's own interfaces.  Tests that need a
# server behind a router (dns.sh) add a second namespace joined to the
# first by a veth pair: setup_upstream_ns.  The namespaces and the
# stopping of processes are scripts/lib.sh's (shared with scripts/demo,
# scripts/bench, ...).

. "$(cd "$(dirname "${BASH_SOURCE[0]}")/../../scripts" && pwd)/lib.sh"

E2E_CASE=0
E2E_FAILED=0
E2E_NS=""
E2E_ECHO_PID=""
E2E_NS2=""
E2E_BG_PIDS=""
E2E_TMP=""
E2E_TAP=zntap0
E2E_KERNEL_IP=10.77.0.1
E2E_ZNET_IP=10.77.0.2
E2E_PREFIX=24
E2E_VETH_IP=10.78.0.1       # the first namespace's end of the veth
E2E_UPSTREAM_IP=10.78.0.2   # the second namespace's end

ok() {
  E2E_CASE=$((E2E_CASE + 1))
  echo "ok $E2E_CASE - $*"
}

not_ok() {
  E2E_CASE=$((E2E_CASE + 1))
  E2E_FAILED=$((E2E_FAILED + 1))
  echo "not ok $E2E_CASE - $*"
}

skip_case() {
  E2E_CASE=$((E2E_CASE + 1))
  echo "ok $E2E_CASE - $1 # SKIP $2"
}

# check NAME COMMAND...: one case, ok if the command succeeds.
check() {
  local name=$1
  shift
  if "$@"; then ok "$name"; else not_ok "$name"; fi
}

# check_known NAME BUG COMMAND...: like check, but a failure is a known
# bug of the code under test (TAP "not ok ... # TODO BUG"): reported,
# counted as an expected failure, not as a regression.  Keep BUG short
# and precise enough to find the bug again.
check_known() {
  local name=$1 bug=$2
  shift 2
  if "$@"; then
    ok "$name"
  else
    E2E_CASE=$((E2E_CASE + 1))
    echo "not ok $E2E_CASE - $name # TODO known bug: $bug"
  fi
}

diag() {
  local line
  while IFS= read -r line; do echo "# $line"; done
}

skip_all() {
  echo "1..0 # SKIP $*"
  exit "${E2E_SKIP_STATUS:-77}"
}

# need_shared PATH: PATH is part of the material from outside the
# repository (the shared captures: ../shared beside the checkout, or
# meson's -Dshared_dir).  If it is missing, the whole test skips with one
# line saying where the material goes, or, with ZN_SHARED_REQUIRED set
# (.ci/run sets it), fails.
need_shared() {
  [ -e "$1" ] && return 0
  if [ -n "${ZN_SHARED_REQUIRED:-}" ] && [ "$ZN_SHARED_REQUIRED" != 0 ]; then
    echo "Bail out! missing $1 (ZN_SHARED_REQUIRED is set)"
    exit 1
  fi
  skip_all "missing $1: put the shared material in ../shared beside the" \
    "checkout, or run ZN_SHARED_DIR=DIR scripts/test (meson: -Dshared_dir=DIR)"
}

finish() {
  echo "1..$E2E_CASE"
  [ "$E2E_FAILED" -eq 0 ]
}

# Skip unless root, /dev/net/tun and network namespaces are available.
need_netns() {
  [ "$(id -u)" = 0 ] || skip_all "needs root (creates a network namespace and a TAP device)"
  [ -c /dev/net/tun ] || skip_all "needs /dev/net/tun"
  command -v ip >/dev/null || skip_all "needs ip (iproute2)"
}

need_cmd() {
  local c
  for c in "$@"; do
    command -v "$c" >/dev/null || skip_all "needs $c"
  done
}

# kill_tree SIGNAL PID: PID's children (the program under timeout), then
# PID itself, by their IDs.
kill_tree() {
  zn_kill_tree "$@"
}

e2e_cleanup() {
  if [ -n "$E2E_ECHO_PID" ] && kill -0 "$E2E_ECHO_PID" 2>/dev/null; then
    kill -TERM "$E2E_ECHO_PID" 2>/dev/null
    local i
    for i in $(seq 1 20); do
      kill -0 "$E2E_ECHO_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill_tree KILL "$E2E_ECHO_PID"
  fi
  local pid
  for pid in $E2E_BG_PIDS; do
    kill -TERM "$pid" 2>/dev/null
  done
  for pid in $E2E_BG_PIDS; do
    for i in $(seq 1 20); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null
  done
  zn_netns_cleanup
  if [ -n "$E2E_TMP" ]; then
    rm -rf "$E2E_TMP"
  fi
}

e2e_tmpdir() {
  E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/znet-e2e.XXXXXX")
}

# A namespace with a persistent TAP whose kernel side is 10.77.0.1/24.
# IPv6 is off inside so the kernel does not chatter on the link.
in_ns() { zn_in "$E2E_NS" "$@"; }
# in_ns_t SECONDS CMD...: the same with another bound.
in_ns_t() {
  local t=$1
  shift
  timeout "$t" ip netns exec "$E2E_NS" "$@"
}

setup_netns() {
  E2E_NS="zne2e$$r$RANDOM"
  zn_netns_tap "$E2E_NS" "$E2E_TAP" "$E2E_KERNEL_IP/$E2E_PREFIX"
}

# ns_workers N FILE FUNC: FUNC ITEM for every line ITEM of FILE, N at a
# time: N workers, each a subshell with a namespace and TAP of its own, as
# setup_netns makes (E2E_NS, the TAP with E2E_KERNEL_IP inside), its
# number in E2E_WORKER, each taking the next line under a lock.  FUNC
# writes its results to files (a worker's TAP counters are its own).  A
# worker that cannot make its namespace ends, and the others take its
# lines.  Returns when every worker has ended.
ns_workers() {
  local n=$1 q=$2 fn=$3 i pids=()
  echo 0 >"$q.next"
  for ((i = 1; i <= n; i++)); do
    ns_worker "$q" "$fn" "$i" &
    pids+=($!)
  done
  wait "${pids[@]}"
}

# ns_next FILE: FILE's next line (nothing once all are taken).
ns_next() {
  (
    flock 9
    local k
    k=$(($(cat "$1.next") + 1))
    echo "$k" >"$1.next"
    sed -n "${k}p" "$1"
  ) 9>"$1.lock"
}

ns_worker() {
  local q=$1 fn=$2 item
  E2E_WORKER=$3
  E2E_ECHO_PID=""
  E2E_BG_PIDS=""
  E2E_TMP="" # the caller's, not the worker's to remove
  ZN_NETNS=()
  trap e2e_cleanup EXIT
  E2E_NS="zne2e${BASHPID}w$3"
  zn_netns_tap "$E2E_NS" "$E2E_TAP" "$E2E_KERNEL_IP/$E2E_PREFIX" || exit 1
  while item=$(ns_next "$q") && [ -n "$item" ]; do
    "$fn" "$item"
  done
}

# setup_netns_multi_queue: the same with a multi-queue TAP (znet-run makes
# a group of shards on it).
setup_netns_multi_queue() {
  E2E_NS="zne2e$$m$RANDOM"
  zn_netns_tap "$E2E_NS" "$E2E_TAP" "$E2E_KERNEL_IP/$E2E_PREFIX" multi_queue
}

# start_znet PROG BIN OUT ERR [EXTRA ARGS...]: a znet example (whose
# banner starts "PROG: ADDR/") on the TAP inside the namespace, in the
# background, bounded to E2E_SERVER_TIMEOUT s (120 unless the test sets
# it).  Waits (at most 30 s: a sanitized build on a loaded machine
# starts slowly) for its banner.
# One at a time: its PID is E2E_ECHO_PID, stopped by stop_echo.
#
# timeout runs with --foreground: otherwise it follows every signal it
# passes on with a SIGCONT, and a SIGCONT that lands while a sanitized
# program is already exiting cancels the SIGSTOP with which
# LeakSanitizer's tracer attaches to it; the tracer then waits for ever
# and the program spins (both survive the timeout, orphaned).
start_znet() {
  local prog=$1 bin=$2 out=$3 err=$4
  shift 4
  # Emptied here, not only by the background job's redirection (which
  # may run after wait_banner's first look): a file left from an earlier
  # run of the same test holds an old banner.
  : >"$out"
  : >"$err"
  ip netns exec "$E2E_NS" timeout --foreground "${E2E_SERVER_TIMEOUT:-120}" "$bin" --netif "tap:$E2E_TAP" \
    --ipv4 "$E2E_ZNET_IP/$E2E_PREFIX" "$@" >"$out" 2>"$err" &
  E2E_ECHO_PID=$!
  wait_banner "$prog" "$out"
}

# wait_banner PROG OUT: wait (at most 30 s) until the program started as
# E2E_ECHO_PID writes its banner "PROG: ADDR/..." to OUT; fails if it
# exits first.
wait_banner() {
  local prog=$1 out=$2 i
  for i in $(seq 1 300); do
    grep -q "^$prog: $E2E_ZNET_IP/" "$out" 2>/dev/null && return 0
    kill -0 "$E2E_ECHO_PID" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# ping_case SIZE: 5 pings of SIZE data bytes from the namespace to znet,
# one case: every reply must arrive (logs under $E2E_TMP).  -W 10: a
# reply may be late on a loaded machine; ping ends at the fifth reply,
# so the wait costs nothing when they come.
ping_case() {
  local size=$1 log=$E2E_TMP/ping-$1.log
  in_ns ping -n -c 5 -i 0.2 -W 10 -s "$size" "$E2E_ZNET_IP" >"$log" 2>&1
  if grep -q " 5 received" "$log"; then
    ok "ping $size bytes: 5/5 replies ($(grep -o 'rtt.*' "$log"))"
  else
    not_ok "ping $size bytes: 5/5 replies"
    diag <"$log"
  fi
}

# start_echo ECHO_BIN OUT ERR [EXTRA ARGS...]: znet-echo, as start_znet.
start_echo() {
  start_znet znet-echo "$@"
}

# A second namespace behind the first: a veth pair, $E2E_VETH_IP in the
# first namespace and $E2E_UPSTREAM_IP in the second, whose default route
# points back; the first forwards between its TAP and the veth, so znet
# (with --gateway $E2E_KERNEL_IP) reaches $E2E_UPSTREAM_IP through a
# router.  Everything is created from inside the namespaces.
in_ns2() { zn_in "$E2E_NS2" "$@"; }

setup_upstream_ns() {
  E2E_NS2="${E2E_NS}u"
  zn_netns_upstream "$E2E_NS" "$E2E_NS2" zne2e "$E2E_VETH_IP" "$E2E_UPSTREAM_IP"
}

# start_dnsmasq LOG [ARGS...]: dnsmasq in the second namespace, listening
# only on $E2E_UPSTREAM_IP:53, no upstream of its own, no /etc files,
# logging every query to LOG; bounded to 120 s.  Waits (at most 30 s)
# until it answers.
start_dnsmasq() {
  local log=$1
  shift
  ip netns exec "$E2E_NS2" timeout 120 dnsmasq --keep-in-foreground \
    --conf-file=/dev/null --no-resolv --no-hosts --no-poll --user=root \
    --pid-file= --listen-address="$E2E_UPSTREAM_IP" --bind-interfaces \
    --log-queries --log-facility="$log" "$@" >"$log.out" 2>&1 &
  E2E_BG_PIDS="$E2E_BG_PIDS $!"
  local end=$((SECONDS + 30))
  while [ "$SECONDS" -lt "$end" ]; do
    in_ns dig +short +time=1 +tries=1 "@$E2E_UPSTREAM_IP" dnsmasq-probe.test \
      >/dev/null 2>&1 && grep -q "dnsmasq-probe.test" "$log" 2>/dev/null &&
      return 0
    sleep 0.5
  done
  return 1
}

# stop_echo: SIGINT (timeout(1) passes it on), wait at most 10 s; prints
# nothing, returns znet-echo's exit status (124/137 if it had to be
# killed).
stop_echo() {
  local pid=$E2E_ECHO_PID i
  [ -n "$pid" ] || return 1
  kill -INT "$pid" 2>/dev/null
  for i in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill_tree KILL "$pid"
  fi
  wait "$pid"
  local rc=$?
  E2E_ECHO_PID=""
  return $rc
}

# settle_tcp PORT...: before stopping a znet server whose counters must
# show every connection closed (none open or reset at exit).  Waits (at
# most 30 s) until the namespace's kernel holds no connection with
# znet's PORTs but in TIME-WAIT: Linux's side of every close is done,
# its last ACK sent.  Then one ping, answered: znet reads its TAP in
# order, so it has taken those ACKs too.  (A fixed second of sleep is a
# bet a loaded machine can lose.)  False, with a line, if a connection
# is still open.
settle_tcp() {
  local f="" p end=$((SECONDS + 30)) left
  for p in "$@"; do f="${f:+$f or }dport = :$p"; done
  while :; do
    left=$(in_ns ss -Htn state connected exclude time-wait "( $f )" \
      dst "$E2E_ZNET_IP" 2>/dev/null)
    [ -z "$left" ] && break
    if [ "$SECONDS" -ge "$end" ]; then
      echo "# settle_tcp: still open after 30 s: $(echo "$left" | head -3 | tr -s ' \n' ' ')"
      return 1
    fi
    sleep 0.1
  done
  in_ns ping -n -c 1 -W 10 "$E2E_ZNET_IP" >/dev/null 2>&1
}

# counter FILE NAME: the value znet-echo printed for a counter, 0 if absent.
counter() {
  awk -v n="$2" '$1 == n { v = $2 } END { print v + 0 }' "$1"
}

# no_leak_case NAME ERRFILE: one case, ok if a znet program's stderr shows
# no buffer leak and no sanitizer report.
no_leak_case() {
  if grep -q "still in use\|ERROR: AddressSanitizer\|runtime error:\|LeakSanitizer" "$2"; then
    not_ok "$1: no buffer leaked, no sanitizer report"
    grep "still in use\|ERROR\|runtime error:\|Sanitizer" "$2" | head -20 | diag
  else
    ok "$1: no buffer leaked, no sanitizer report"
  fi
}

# TCP helpers.  E2E_NC is znet-nc; E2E_MAC a fixed MAC for every znet
# program of a test, so the kernel's ARP entry stays right from one to
# the next on the same TAP.
E2E_NC=""
E2E_MAC=02:00:00:77:00:02

# znet_nc ARGS...: znet-nc on the TAP in the namespace, in the
# foreground, bounded to ${E2E_NC_TIMEOUT:-120} s (timeout --foreground:
# see start_znet).
znet_nc() {
  ip netns exec "$E2E_NS" timeout --foreground "${E2E_NC_TIMEOUT:-120}" "$E2E_NC" \
    --netif "tap:$E2E_TAP" --ipv4 "$E2E_ZNET_IP/$E2E_PREFIX" --mac "$E2E_MAC" "$@"
}

# start_nc_listen OUT ERR ARGS...: znet-nc --listen in the background
# (stdin from $E2E_NC_STDIN, /dev/null by default), as E2E_ECHO_PID; waits
# (at most 30 s) until it says it listens.  wait_nc collects its status.
start_nc_listen() {
  local out=$1 err=$2
  shift 2
  : >"$out" # as in start_znet: no old "listening" line
  : >"$err"
  znet_nc --listen "$@" <"${E2E_NC_STDIN:-/dev/null}" >"$out" 2>"$err" &
  E2E_ECHO_PID=$!
  local i
  for i in $(seq 1 300); do
    grep -q ": listening on " "$err" 2>/dev/null && return 0
    kill -0 "$E2E_ECHO_PID" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# wait_nc [SECONDS]: wait (default 60 s) for the znet-nc started by
# start_nc_listen; returns its status (124 if it had to be stopped).
wait_nc() {
  local pid=$E2E_ECHO_PID i
  [ -n "$pid" ] || return 1
  for i in $(seq 1 $((${1:-60} * 10))); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null
    sleep 1
    kill_tree KILL "$pid"
    wait "$pid"
    E2E_ECHO_PID=""
    return 124
  fi
  wait "$pid"
  local rc=$?
  E2E_ECHO_PID=""
  return $rc
}

# bg PID: have e2e_cleanup stop PID too.
bg_pid() {
  E2E_BG_PIDS="$E2E_BG_PIDS $1"
}

# wait_bg PID SECONDS: wait for a background job, killing it after
# SECONDS; returns its status (124 if killed).
wait_bg() {
  local pid=$1 i
  for i in $(seq 1 $(($2 * 10))); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null
    sleep 0.5
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 124
  fi
  wait "$pid"
}

# wait_listen PORT: wait (at most 30 s: python3's start alone took
# seconds on a loaded machine) until a TCP socket listens on PORT in the
# namespace; false if none does.
wait_listen() {
  local end=$((SECONDS + 30))
  while [ "$SECONDS" -lt "$end" ]; do
    in_ns ss -Hltn "sport = :$1" 2>/dev/null | grep -q LISTEN && return 0
    sleep 0.1
  done
  return 1
}

# wait_udp PORT: the same for a UDP socket bound to PORT.  A datagram
# sent before the server has bound draws a port unreachable and is lost:
# wait for the socket, do not sleep a guess.
wait_udp() {
  local end=$((SECONDS + 30))
  while [ "$SECONDS" -lt "$end" ]; do
    [ -n "$(in_ns ss -Hlun "sport = :$1" 2>/dev/null)" ] && return 0
    sleep 0.1
  done
  return 1
}

# workers_replaced OLD SECONDS CMD...: after a reload, wait (at most
# SECONDS) until CMD, which prints worker PIDs one a line, names two
# workers and none of OLD's (a list as CMD printed it before); the last
# list CMD printed is in E2E_WORKERS, on one line.  False if that never
# came.
workers_replaced() {
  local old=$1 end=$((SECONDS + $2)) now
  shift 2
  while :; do
    now=$("$@" | sort)
    E2E_WORKERS=${now//$'\n'/ }
    [ "$(echo "$now" | grep -c .)" = 2 ] &&
      [ -z "$(comm -12 <(echo "$old" | sort) <(echo "$now"))" ] && return 0
    [ "$SECONDS" -ge "$end" ] && return 1
    sleep 0.1
  done
}

# udp_line ADDR PORT TEXT [NC ARGS...]: TEXT as one datagram from nc -u
# in the namespace; prints what came back.  nc's stdin stays open until
# a reply has come (at most 10 s), then -q 0 ends it at once: a late
# reply on a loaded machine still counts, and a prompt one costs no
# fixed wait (-w 1 gave the reply one second after stdin's end).
udp_line() {
  local addr=$1 port=$2 text=$3 f i
  shift 3
  f=$(mktemp "$E2E_TMP/udp_line.XXXXXX")
  {
    printf '%s\n' "$text"
    for i in $(seq 1 100); do
      [ -s "$f" ] && break
      sleep 0.1
    done
  } | in_ns_t 20 nc -u -w 15 -q 0 "$@" "$addr" "$port" >"$f" 2>&1
  cat "$f"
  rm -f "$f"
}

# linux_listen PORT OUT [CMD...]: Linux's nc -l on PORT in the
# namespace, its stdin /dev/null, what it receives to OUT, or piped into
# CMD (e.g. sha256sum) whose output goes to OUT; bounded to 120 s.  Waits
# (at most 5 s) until the port listens.  The job's PID is E2E_LPID (also
# stopped by e2e_cleanup).
E2E_LPID=""
linux_listen() {
  local port=$1 out=$2
  shift 2
  if [ $# -gt 0 ]; then
    ip netns exec "$E2E_NS" timeout 120 nc -l -p "$port" </dev/null 2>"$out.err" |
      "$@" >"$out" &
  else
    ip netns exec "$E2E_NS" timeout 120 nc -l -p "$port" </dev/null >"$out" 2>"$out.err" &
  fi
  E2E_LPID=$!
  bg_pid "$E2E_LPID"
  wait_listen "$port"
}

# E2E_WRK_TIMEOUT: wrk's --timeout in the tests.  wrk counts an answer
# that came later than it (2 s by default) as a socket error, "timeout";
# beside three other jobs on 2 CPUs, 25 answers to wrk -c 600 were that
# late.  A late answer is not an error; every other socket error and
# every non-2xx answer still fail the tests.
E2E_WRK_TIMEOUT=30s

# mbit BYTES SECONDS: throughput for a report line.
mbit() {
  awk -v b="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.1f", b * 8 / s / 1e6; else print "?" }'
}

# now_s: seconds, with nanoseconds, for timing a step.
now_s() { date +%s.%N; }

# elapsed START: seconds since START (from now_s), 3 decimals.
elapsed() {
  awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }'
}

# IPv6 for the tests that need it (ipv6*.sh, attack_ipv6.sh, dns6.sh,
# tcp_client6.sh, solo5_e2e.sh).  lib.sh's namespaces start with IPv6
# off; these turn it on per device, without DAD on Linux's side (its
# addresses usable at once).
E2E_KERNEL_IP6=2001:db8:77::1
E2E_ZNET_IP6=2001:db8:77::2
E2E_VETH_IP6=2001:db8:78::1
E2E_UPSTREAM_IP6=2001:db8:78::2

# ipv6_on NS DEV ADDR/PREFIX: IPv6 on DEV in NS with ADDR, no DAD.
ipv6_on() {
  zn_in "$1" sysctl -qw "net.ipv6.conf.$2.accept_dad=0" &&
    zn_in "$1" sysctl -qw "net.ipv6.conf.$2.disable_ipv6=0" &&
    zn_in "$1" ip -6 addr add "$3" dev "$2" nodad
}

# setup_tap6: $E2E_KERNEL_IP6/64 on the TAP (after setup_netns).
setup_tap6() {
  ipv6_on "$E2E_NS" "$E2E_TAP" "$E2E_KERNEL_IP6/64"
}

# setup_upstream6: IPv6 across the veth pair of setup_upstream_ns, the
# first namespace forwarding, the second's default route back.
setup_upstream6() {
  zn_in "$E2E_NS" sysctl -qw net.ipv6.conf.all.forwarding=1 &&
    ipv6_on "$E2E_NS" zne2e0 "$E2E_VETH_IP6/64" &&
    ipv6_on "$E2E_NS2" zne2e1 "$E2E_UPSTREAM_IP6/64" &&
    zn_in "$E2E_NS2" ip -6 route add default via "$E2E_VETH_IP6"
}

# start_radvd CONF LOG: radvd in the first namespace, bounded to 120 s.
start_radvd() {
  ip netns exec "$E2E_NS" timeout 120 radvd -n -C "$1" \
    -p "$E2E_TMP/radvd.pid" -m stderr >"$2" 2>&1 &
  bg_pid $!
}

# wait_line FILE REGEX SECONDS: until a line of FILE matches (extended
# regex), while E2E_ECHO_PID runs.
wait_line() {
  local i
  for i in $(seq 1 $(($3 * 10))); do
    grep -Eq "$2" "$1" 2>/dev/null && return 0
    kill -0 "$E2E_ECHO_PID" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# ping6_case NAME DEST SIZE: 5 pings -6 of SIZE data bytes from Linux,
# one case: every reply must arrive (logs under $E2E_TMP; -W as
# ping_case's).
ping6_case() {
  local name=$1 dst=$2 size=$3 log=$E2E_TMP/ping6-$3-$RANDOM.log
  in_ns ping -6 -n -c 5 -i 0.2 -W 10 -s "$size" "$dst" >"$log" 2>&1
  if grep -q " 5 received" "$log"; then
    ok "$name: ping -6 $size bytes, 5/5 replies ($(grep -o 'rtt.*' "$log"))"
  else
    not_ok "$name: ping -6 $size bytes, 5/5 replies"
    diag <"$log"
  fi
}

# Programs under znet-run (posix_run.sh, posix_servers.sh): E2E_RUN is
# znet-run; ZRUN_FLAGS, more of its flags (word-split).
#
# zrun_bg OUT ERR SECONDS PROGRAM [ARGS...]: PROGRAM under znet-run on
# the TAP, in the background, bounded; E2E_ECHO_PID is the program's own
# process (ip netns exec and timeout exec it), for stop_znet's signal.
zrun_bg() {
  local out=$1 err=$2 t=$3
  shift 3
  : >"$out"
  : >"$err"
  # shellcheck disable=SC2086 # ZRUN_FLAGS: more of znet-run's flags
  ip netns exec "$E2E_NS" timeout --foreground "$t" "$E2E_RUN" \
    --netif "tap:$E2E_TAP" --ipv4 "$E2E_ZNET_IP/$E2E_PREFIX" --mac "$E2E_MAC" \
    ${ZRUN_FLAGS:-} -- "$@" >"$out" 2>"$err" &
  E2E_ECHO_PID=$!
}

# wait_znet_port PORT: wait (at most 30 s) until znet answers on PORT
# (a probe connection), while E2E_ECHO_PID runs.
wait_znet_port() {
  local end=$((SECONDS + 30))
  while [ "$SECONDS" -lt "$end" ]; do
    in_ns timeout 1 bash -c "exec 3<>/dev/tcp/$E2E_ZNET_IP/$1" 2>/dev/null &&
      return 0
    kill -0 "$E2E_ECHO_PID" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# stop_znet [SECONDS]: SIGTERM to E2E_ECHO_PID, SIGKILL to its tree
# after SECONDS (default 10).
stop_znet() {
  [ -n "$E2E_ECHO_PID" ] || return 0
  kill -TERM "$E2E_ECHO_PID" 2>/dev/null
  if ! wait_bg "$E2E_ECHO_PID" "${1:-10}" >/dev/null 2>&1; then
    kill_tree KILL "$E2E_ECHO_PID"
  fi
  E2E_ECHO_PID=""
}

# tap_left_whole WHO [--multi-queue]: one case, once every znet reader
# of the TAP has ended: a reader without virtio headers gets whole
# frames from it (no offload a stack asked for is left on the device:
# netif/tap.c, zn_tap_offloads_off).  Needs python3.
tap_left_whole() {
  local dst=10.77.0.99 got
  in_ns ip neigh replace "$dst" lladdr 02:00:00:00:00:99 dev "$E2E_TAP"
  # (60 s: the probe gives itself 3 s once started, but beside other
  # jobs it printed nothing within 10 s: python3's start, through a
  # version manager's shim, can take that long.)
  got=$(in_ns_t 60 python3 "$(dirname "${BASH_SOURCE[0]}")/tap_csum.py" \
    "$E2E_TAP" "$dst" "${@:2}" 2>&1)
  in_ns ip neigh del "$dst" dev "$E2E_TAP"
  check "after $1: the TAP as found, a reader without virtio headers gets whole checksums ($got)" \
    [ "$got" = whole ]
}
