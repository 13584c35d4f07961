# Helpers shared by the scripts and the end-to-end tests (sourced, not
# run): the Debian packages a script needs, private network namespaces,
# and the processes started in them.
#
#   cd "$(dirname "$0")/.." && . scripts/lib.sh
#
# Messages start with "$ZN_NAME: " (default: the script's file name).
# Nothing here changes the shell's options; everything works under
# `set -u`.

ZN_NAME=${ZN_NAME:-${0##*/}}
# Namespaces created by zn_netns_add, deleted (newest first) by
# zn_netns_cleanup; processes given to zn_bg, stopped by zn_stop_all;
# the machine's settings zn_sysctl_set changed, put back by
# zn_sysctl_restore.
ZN_NETNS=()
ZN_PIDS=()
ZN_SYSCTL_SAVED=()

# ensure_packages PACKAGE...: install the Debian packages that are not
# installed yet, as root, with apt-get.  One line says what is installed
# and where apt-get's output goes (build-apt/NAME.log in the checkout, or
# $ZN_APT_LOG), one more when it is done; the log is shown (its end) only
# if installing fails.  apt-get update runs at most once per process (and
# its children: ZN_APT_UPDATED is exported), and only if something is
# missing; each apt-get is bounded by timeout; no package's service is
# started by the install (policy-rc.d).  While another process holds the
# package manager's locks (a fresh machine's unattended upgrades, often),
# it waits for them, saying so, at most ZN_APT_LOCK_WAIT seconds (600) in
# all.  Without root it names what is missing and returns 0 (the build or
# the test will tell); without dpkg it says so and returns 0.  Returns
# non-zero if apt-get failed or a package is still not installed after
# it.
ZN_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# The build cache by content and ccache (ZN_CACHE_DIR, ZN_NO_CACHE):
# every build a script makes compiles through ccache when it is there.
. "$ZN_ROOT/scripts/cache.sh"
zn_ccache_env
# The locks apt-get and dpkg take (fcntl locks): the front end's, dpkg's
# database, the package lists (apt-get update), the downloads.
ZN_APT_LOCKS=(/var/lib/dpkg/lock-frontend /var/lib/dpkg/lock
  /var/lib/apt/lists/lock /var/cache/apt/archives/lock)

zn_pkg_installed() {
  [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

# zn_apt_lock_holder: "PID (COMMAND)" of a process holding one of
# ZN_APT_LOCKS, from /proc/locks (matched by inode); nothing if none does.
zn_apt_lock_holder() {
  local f ino pid
  [ -r /proc/locks ] || return 0
  for f in "${ZN_APT_LOCKS[@]}"; do
    ino=$(stat -c %i "$f" 2>/dev/null) || continue
    pid=$(awk -v i="$ino" '$2 == "->" { next }
      { n = split($(NF - 2), a, ":"); if (a[n] == i) { print $(NF - 3); exit } }' \
      /proc/locks)
    if [ -n "$pid" ] && [ "$pid" != "$$" ]; then
      echo "$pid ($(cat "/proc/$pid/comm" 2>/dev/null || echo '?'))"
      return 0
    fi
  done
}

# zn_apt_wait_locks DEADLINE: wait until no other process holds the
# package manager's locks, saying so once; 1 if they are still held at
# DEADLINE (a time in $SECONDS).
zn_apt_wait_locks() {
  local deadline=$1 holder said=0
  while holder=$(zn_apt_lock_holder) && [ -n "$holder" ]; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "$ZN_NAME: the package manager is still locked by $holder after ${ZN_APT_LOCK_WAIT:-600} s; run again when it is done" >&2
      return 1
    fi
    if [ "$said" = 0 ]; then
      echo "$ZN_NAME: waiting for $holder to release the package manager's lock (at most $((deadline - SECONDS)) s more)"
      said=1
    fi
    sleep 2
  done
  return 0
}

# zn_apt LOG DEADLINE SECONDS ARG...: apt-get ARG... bounded to SECONDS,
# its output appended to LOG, waiting first for the locks (until
# DEADLINE); if apt-get still lost the race for a lock, waits and tries
# again.  apt-get's exit status, or 254 if the locks were still held at
# DEADLINE (said already: there is no log to show).
zn_apt() {
  local log=$1 deadline=$2 secs=$3 rc left
  shift 3
  while :; do
    zn_apt_wait_locks "$deadline" || return 254
    left=$((deadline - SECONDS))
    [ "$left" -gt 0 ] || left=1
    echo "+ apt-get $*" >>"$log"
    timeout "$((secs + left))" apt-get -q -o Dpkg::Use-Pty=0 \
      -o "DPkg::Lock::Timeout=$left" "$@" >>"$log" 2>&1
    rc=$?
    [ "$rc" = 0 ] && return 0
    tail -n 5 "$log" | grep -q "Could not get lock" || return "$rc"
    [ "$SECONDS" -lt "$deadline" ] || return "$rc"
    sleep 2
  done
}

# zn_apt_failed LOG WHAT STATUS: say WHAT failed and show the end of LOG
# (unless STATUS is zn_apt's 254: the wait for the locks ran out).
zn_apt_failed() {
  [ "$3" = 254 ] && return 0
  {
    echo "$ZN_NAME: $2 failed; the end of ${1#"$ZN_ROOT"/}:"
    tail -n 25 "$1" | sed 's/^/  | /'
  } >&2
}

ensure_packages() {
  if ! command -v dpkg-query >/dev/null; then
    echo "$ZN_NAME: no dpkg; assuming the tools are installed" >&2
    return 0
  fi
  local missing=() still=() p
  for p in "$@"; do
    zn_pkg_installed "$p" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ]; then
    echo "$ZN_NAME: missing Debian packages: ${missing[*]} (not root: not installing)" >&2
    return 0
  fi
  local log=${ZN_APT_LOG:-$ZN_ROOT/build-apt/$ZN_NAME.log}
  local deadline=$((SECONDS + ${ZN_APT_LOCK_WAIT:-600})) t0=$SECONDS
  if ! mkdir -p "$(dirname "$log")" || ! : >"$log"; then
    echo "$ZN_NAME: cannot write the install log $log" >&2
    return 1
  fi
  echo "$ZN_NAME: installing ${#missing[@]} Debian package(s) (log: ${log#"$ZN_ROOT"/}): ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  local rc=0
  if [ -z "${ZN_APT_UPDATED:-}" ]; then
    zn_apt "$log" "$deadline" 600 update || rc=$?
    if [ "$rc" != 0 ]; then
      zn_apt_failed "$log" "apt-get update" "$rc"
      return 1
    fi
    export ZN_APT_UPDATED=1
  fi
  # Servers the tests use (nginx, unbound, dnsmasq) run only inside the
  # tests' namespaces: a package's own service must not start at install
  # (policy-rc.d's 101: action forbidden), unless the machine has a
  # policy of its own.
  local policy=/usr/sbin/policy-rc.d own_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && own_policy=1
  fi
  zn_apt "$log" "$deadline" 1200 install -y --no-install-recommends "${missing[@]}" || rc=$?
  [ "$own_policy" = 1 ] && rm -f "$policy"
  if [ "$rc" != 0 ]; then
    zn_apt_failed "$log" "apt-get install" "$rc"
    return 1
  fi
  for p in "${missing[@]}"; do
    zn_pkg_installed "$p" || still+=("$p")
  done
  if [ ${#still[@]} -ne 0 ]; then
    echo "$ZN_NAME: still not installed: ${still[*]} (log: ${log#"$ZN_ROOT"/})" >&2
    return 1
  fi
  echo "$ZN_NAME: installed ${#missing[@]} Debian package(s) in $((SECONDS - t0)) s"
}

# zn_fuzz_harnesses: the names of the fuzz harnesses fuzz/meson.build
# defines (the keys of its fuzz_harnesses, those built only with libpcap
# or BearSSL included), one a line, in its order.  scripts/fuzz
# --coverage covers these and scripts/docs checks docs/fuzz-coverage.md
# against them.
zn_fuzz_harnesses() {
  grep -o "'[a-z0-9_]*' : \[" "$ZN_ROOT/fuzz/meson.build" |
    sed "s/^'\([a-z0-9_]*\)'.*/\1/"
}

# zn_in NS COMMAND...: COMMAND in namespace NS, bounded to 20 s.
zn_in() {
  local ns=$1
  shift
  timeout 20 ip netns exec "$ns" "$@"
}

# zn_fast_linker: the host builds' links by mold (Debian's package
# mold) when it is installed: meson takes CC_LD and CXX_LD at setup (a
# build directory set up before keeps its linker).  Their hundreds of
# test programs, with debug information and sanitizers, took bfd's ld 71
# processor seconds to link in build-test, mold 14 (.ci/run is bound by
# processor time).
zn_fast_linker() {
  command -v mold >/dev/null && export CC_LD=mold CXX_LD=mold
  return 0
}

# zn_netns_add NS: create namespace NS (recorded for zn_netns_cleanup)
# with its loopback up and IPv6 off, so the kernel does not chatter on
# its links (where IPv6 cannot be turned off, it stays on).
zn_netns_add() {
  timeout 10 ip netns add "$1" || return 1
  ZN_NETNS+=("$1")
  zn_in "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 >/dev/null 2>&1
  zn_in "$1" sysctl -qw net.ipv6.conf.default.disable_ipv6=1 >/dev/null 2>&1
  zn_in "$1" ip link set lo up
}

# zn_netns_tap NS TAP ADDR/PREFIX [multi_queue]: namespace NS holding a
# persistent TAP device TAP, up, whose kernel side is ADDR/PREFIX; with
# multi_queue, a TAP that takes a queue per opener (a group of shards).
zn_netns_tap() {
  local ns=$1 tap=$2 addr=$3 mq=${4:-}
  zn_netns_add "$ns" &&
    zn_in "$ns" ip tuntap add dev "$tap" mode tap ${mq:+"$mq"} &&
    zn_in "$ns" ip addr add "$addr" dev "$tap" &&
    zn_in "$ns" ip link set "$tap" up
}

# zn_netns_upstream NS NS2 DEV ADDR ADDR2: a second namespace NS2 behind
# NS: a veth pair, DEV0 in NS with ADDR/24 and DEV1 in NS2 with ADDR2/24;
# NS forwards, NS2's default route goes back through ADDR.  So a stack
# on NS's TAP, with NS's TAP address as its gateway, reaches ADDR2
# through a router.  Everything is created from inside the namespaces.
zn_netns_upstream() {
  local ns=$1 ns2=$2 dev=$3 addr=$4 addr2=$5
  zn_netns_add "$ns2" &&
    zn_in "$ns" sysctl -qw net.ipv4.ip_forward=1 &&
    zn_in "$ns" ip link add "${dev}0" type veth peer name "${dev}1" netns "$ns2" &&
    zn_in "$ns" ip addr add "$addr/24" dev "${dev}0" &&
    zn_in "$ns" ip link set "${dev}0" up &&
    zn_in "$ns2" ip addr add "$addr2/24" dev "${dev}1" &&
    zn_in "$ns2" ip link set "${dev}1" up &&
    zn_in "$ns2" ip route add default via "$addr"
}

# zn_netns_cleanup: delete every namespace zn_netns_add created, the
# newest first (and with them their devices and nftables rules).
zn_netns_cleanup() {
  local i
  for ((i = ${#ZN_NETNS[@]} - 1; i >= 0; i--)); do
    timeout 10 ip netns del "${ZN_NETNS[$i]}" 2>/dev/null
  done
  ZN_NETNS=()
}

# zn_kill_tree SIGNAL PID: PID's children first (the program a
# timeout(1) or `ip netns exec` runs), then PID itself, by their IDs.
zn_kill_tree() {
  local c
  for c in $(ps -o pid= --ppid "$2" 2>/dev/null); do
    kill "-$1" "$c" 2>/dev/null
  done
  kill "-$1" "$2" 2>/dev/null
}

# zn_stop PID [SIGNAL [SECONDS]]: send SIGNAL (default TERM) to PID,
# wait at most SECONDS (default 5) for it to exit, then SIGKILL it and
# its children; reaps it if it is this shell's child.
zn_stop() {
  local pid=$1 sig=${2:-TERM} secs=${3:-5} i
  kill "-$sig" "$pid" 2>/dev/null
  for ((i = 0; i < secs * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null && zn_kill_tree KILL "$pid"
  wait "$pid" 2>/dev/null
  return 0
}

# zn_bg PID: have zn_stop_all stop PID.
zn_bg() {
  ZN_PIDS+=("$1")
}

# zn_stop_all [SIGNAL [SECONDS]]: zn_stop every process given to zn_bg
# that still runs.
zn_stop_all() {
  local pid
  for pid in "${ZN_PIDS[@]}"; do
    kill -0 "$pid" 2>/dev/null && zn_stop "$pid" "$@"
  done
  ZN_PIDS=()
}

# zn_sysctl_set KEY VALUE: set the sysctl KEY, its old value kept for
# zn_sysctl_restore.  1 if KEY cannot be read.
zn_sysctl_set() {
  local old
  old=$(sysctl -n "$1") || return 1
  ZN_SYSCTL_SAVED+=("$1=$old")
  sysctl -qw "$1=$2"
}

# zn_sysctl_restore: every setting zn_sysctl_set changed, back as it
# was, the newest first.
zn_sysctl_restore() {
  local i
  for ((i = ${#ZN_SYSCTL_SAVED[@]} - 1; i >= 0; i--)); do
    sysctl -qw "${ZN_SYSCTL_SAVED[$i]}"
  done
  ZN_SYSCTL_SAVED=()
}
