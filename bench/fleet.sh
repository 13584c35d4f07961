#!/bin/bash
# A thousand on one host: N nginx images (scripts/images' nginx.spt) each
# under its own solo5-spt on its own TAP in a pod's network namespace,
# the pods joined by one Linux bridge, started one after another and
# then in bursts, and what the fleet costs the host.
#
#   bench/fleet.sh [-o DIR] [-n N] [-c LIST] [-b BURST] [-m MIB]
#                  [-i SECONDS] [-w SECONDS] [--smoke] [-r]
#
#   -o DIR      where the results go (default results/DATE-fleet in
#               build-images; a report to publish goes to
#               bench/results/fleet: bench/README.md says how)
#   -n N        the fleet's size (default 1000)
#   -c LIST     the sizes at which the fleet is measured on its way up,
#               comma-separated (default 100,500,1000; N is always one)
#   -b BURST    images started at once in the second ramp (default 10)
#   -m MIB      each tender's --mem (default 8: nginx's configuration
#               below serves in 5, bench/results/images)
#   -i SECONDS  each idle measurement (default 10)
#   -w SECONDS  at N, the wait from the last image's answer to the idle
#               measurement (default 125: by then every image's timers
#               have run out, so a wake-up is one that nothing was due
#               for: the TIME_WAITs of its boot's connections end 60 s
#               after (2 MSL), its ARP entry for the gateway goes stale
#               60 s after the last frame that confirmed it and is
#               dropped 60 s later); at the smaller
#               sizes the wait is 3 s (past each image's second ARP
#               announcement, 2 s after its first: RFC 5227), and the
#               TIME_WAITs' ends are in
#   --smoke     CI's run: -n 20 -c 10,20 -b 5 -i 2 -w 3, into a temporary
#               folder, failing (status 1) unless every image answered,
#               the idle images woke no one at N (3 s after the last
#               answer, nothing is due) and the tear-down left no
#               tender; nothing else is judged
#   -r          only write DIR/report.md again from DIR/results.tsv
#
# The images: build-images/img/nginx.spt and build-images' solo5-spt,
# made by scripts/images (run here with --build-only nginx if missing).
# Each boots with a root archive of its own configuration (nginx as in
# bench/images.sh, 512 worker connections) and a 15-byte index.html,
# `--ipv4=10.90.X.Y/16 --gateway=10.90.0.1`, a fixed MAC.
#
# The host side, as a Kubernetes node lays it out: each image in a
# network namespace of its own (a pod's), holding a persistent TAP and
# one end of a veth pair, the two joined by tc mirred redirects as
# znet-boot and urunc join them; the other ends are ports of one bridge
# (br0, 10.90.0.1/16) in the fleet's namespace, each port isolated
# (`bridge link set ... isolated on`: an image's broadcasts reach the
# host, not the other N-1 images), each image's MAC a static entry of
# the bridge's forwarding table (no frame for one image is flooded to
# the others) and its address a static neighbour entry (no ARP from the
# host's side in a boot; the image's own ARP for the gateway is in it).
# A TAP of its own namespace: Solo5's tender lists every interface of
# its namespace (getifaddrs) before it opens its TAP, so with N TAPs in
# one namespace each start costs O(N) (measured: 15 ms at 100, 45 ms at
# 1,000), and its --net:NAME=@FD way round that fails on Linux (the MTU
# is left unset).  The pods are made before the clock starts (the time
# they took is reported apart) and serve both ramps.
#
# Two ramps, each from an empty host to N and torn down:
#   seq     one image at a time: bench/znb-boot --keep times each from
#           just before it forks the tender to nginx's first HTTP 200 on
#           a connection from the host (new connection attempts every
#           200 us), then leaves it running;
#   burst   BURST znb-boots at once, the next burst when all have
#           answered.
# At each size of -c on the way up (and at N), once the last image has
# answered and 3 s (at N: -w) have passed:
#   memory  every tender's PSS (/proc/PID/smaps_rollup: the pages of the
#           image file and of the tender's code shared among them count
#           a share each), and MemAvailable's drop since before the
#           ramp's first image, per image;
#   idle    over -i seconds: the whole machine's busy CPU (/proc/stat,
#           in % of one core), and the same less the CPU time of every
#           process but the kernel's threads and the tenders (what is
#           left is the kernel's and the tenders' own: the fleet's
#           share, with this sandbox's agent and the measuring shell
#           taken out); beside them the same two with the pods made and
#           no image, and before the pods, both taken before the first
#           ramp; the tenders' own CPU time
#           (/proc/PID/stat) and their wake-ups: context switches
#           (voluntary and not, /proc/PID/status), per image per second;
#   answer  every image running, one HTTP GET each from the host (curl,
#           16 at once): how many answered 200 with the right body.
# Tear-down: SIGTERM to every tender at once, the time until the last is
# gone; at the end, the time to delete the N pods' namespaces (one `ip
# -batch`; the kernel frees them after it, in the background).
#
# results.tsv lines (tab-separated):
#   boot RAMP K answer_us conn_us console_us rt_us net_us
#   at RAMP N pss_kib avail_drop_kib secs busy_pct kernel_pct
#     tender_ticks ctxsw answered hz wait
#   down RAMP N stop_ms left
#   meta KEY VALUE
# Needs root, /dev/net/tun, ../shared/solo5 (or ZNET_SOLO5) for
# scripts/images; about 16 GiB of address space and 3-4 GiB of memory
# for 1,000.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
ROOT=$(pwd)
ZN_NAME=fleet
. scripts/lib.sh
. bench/images.sh # img_nginx_conf

OUT=""
N=1000
CHECKS=100,500,1000
BURST=10
MEM=8
IDLE=10
WAIT=125
SMOKE=0
REPORT_ONLY=0
while [ $# -gt 0 ]; do
  case $1 in
  -o) OUT=${2:-}; shift; shift ;;
  -n) N=${2:-}; shift; shift ;;
  -c) CHECKS=${2:-}; shift; shift ;;
  -b) BURST=${2:-}; shift; shift ;;
  -m) MEM=${2:-}; shift; shift ;;
  -i) IDLE=${2:-}; shift; shift ;;
  -w) WAIT=${2:-}; shift; shift ;;
  --smoke) SMOKE=1 N=20 CHECKS=10,20 BURST=5 IDLE=2 WAIT=3; shift ;;
  -r) REPORT_ONLY=1; shift ;;
  -h | --help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
  *) echo "fleet: bad argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done
for v in "$N" "$BURST" "$MEM" "$IDLE" "$WAIT" ${CHECKS//,/ }; do
  [[ $v =~ ^[1-9][0-9]*$ ]] || { echo "fleet: '$v' is not a positive number" >&2; exit 2; }
done
[ "$N" -le 4000 ] || { echo "fleet: at most 4000 images (the /16's plan below)" >&2; exit 2; }
BI=$ROOT/build-images
if [ "$SMOKE" = 1 ] && [ -z "$OUT" ]; then
  OUT=$(mktemp -d /tmp/fleet-smoke.XXXXXX)
fi
DIR=${OUT:-$BI/results/$(date -u +%Y-%m-%d)-fleet}
TSV=$DIR/results.tsv
# The images' logs, the batches, znb-boot: in build-images (git ignores
# it), not beside a report that may be published.
WORK=$BI/fleet-work

NS=znfleet$$
BR=br0
GW=10.90.0.1
PIDS=()        # the tenders of the ramp under way

# inst_addr K, inst_mac K: image K's (1-based) address and MAC.
inst_addr() { echo "10.90.$((($1 - 1) / 200 + 1)).$((($1 - 1) % 200 + 10))"; }
inst_mac() { printf '02:00:00:5a:%02x:%02x\n' $(($1 / 256)) $(($1 % 256)); }

stop_tenders() {
  [ "${#PIDS[@]}" -gt 0 ] && kill -KILL "${PIDS[@]}" 2>/dev/null
  PIDS=()
}

cleanup() {
  stop_tenders
  zn_netns_cleanup
  zn_sysctl_restore
}

# ---- set-up ---------------------------------------------------------------------

# fleet_build: the images, the root archive, znb-boot.
fleet_build() {
  SPT=$(ls -d "$BI"/solo5/solo5-*/tenders/spt/solo5-spt 2>/dev/null | tail -1)
  if [ ! -x "$BI/img/nginx.spt" ] || [ -z "$SPT" ]; then
    echo "fleet: building nginx's image (scripts/images --no-virtio --build-only nginx; log: $DIR/images-build.log) ..."
    bash scripts/images --no-virtio --build-only nginx >"$DIR/images-build.log" 2>&1
    if grep -q '^1\.\.0 # SKIP' "$DIR/images-build.log"; then
      echo "fleet: no Solo5 archive (../shared/solo5 or ZNET_SOLO5): not measured"
      return 2
    fi
    SPT=$(ls -d "$BI"/solo5/solo5-*/tenders/spt/solo5-spt 2>/dev/null | tail -1)
  fi
  [ -x "$BI/img/nginx.spt" ] && [ -n "$SPT" ] || { echo "fleet: scripts/images made no nginx.spt or solo5-spt" >&2; return 1; }
  local w=$WORK
  rm -rf "$w" && mkdir -p "$w/root/etc/nginx" "$w/root/www" "$w/logs" || return 1
  echo "<h1>nginx</h1>" >"$w/root/www/index.html" &&
    img_nginx_conf /www /tmp 512 >"$w/root/etc/nginx/nginx.conf" &&
    tar cf "$w/nginx.tar" -C "$w/root" . &&
    gcc -O2 -Wall -o "$w/znb-boot" bench/znb-boot.c || return 1
}

# inst_pod K: image K's pod namespace.
inst_pod() { echo "${NS}p$1"; }

# fleet_net: the fleet's namespace and bridge, N pods on it; the time
# the pods took into meta.
fleet_net() {
  local k t0 t1 w=$WORK pod
  zn_netns_add "$NS" &&
    zn_in "$NS" ip link add "$BR" type bridge &&
    zn_in "$NS" ip addr add "$GW/16" dev "$BR" &&
    zn_in "$NS" ip link set "$BR" up || return 1
  # The kernel's neighbour table (one for all namespaces, its limits
  # set from the first) holds N static entries: room for them.
  zn_sysctl_set net.ipv4.neigh.default.gc_thresh1 8192 &&
    zn_sysctl_set net.ipv4.neigh.default.gc_thresh2 16384 &&
    zn_sysctl_set net.ipv4.neigh.default.gc_thresh3 32768 || return 1
  # Inside every pod the same: no IPv6 address on either device (no
  # router or neighbour solicitation, no MLD), the TAP, and the two
  # redirects.
  printf '%s\n' 'link set lo up' 'link set eth0 addrgenmode none' 'link set eth0 up' \
    'tuntap add dev tap0 mode tap' 'link set tap0 addrgenmode none' 'link set tap0 up' >"$w/pod.ip"
  printf '%s\n' 'qdisc add dev eth0 ingress' \
    'filter add dev eth0 parent ffff: protocol all u32 match u32 0 0 action mirred egress redirect dev tap0' \
    'qdisc add dev tap0 ingress' \
    'filter add dev tap0 parent ffff: protocol all u32 match u32 0 0 action mirred egress redirect dev eth0' >"$w/pod.tc"
  : >"$w/pods.batch" && : >"$w/links.batch" && : >"$w/fdb.batch" && : >"$w/neigh.batch"
  for k in $(seq 1 "$N"); do
    pod=$(inst_pod "$k")
    echo "netns add $pod" >>"$w/pods.batch"
    printf 'link add v%d type veth peer name eth0 netns %s\nlink set v%d master %s\nlink set v%d type bridge_slave isolated on\nlink set v%d up\n' \
      "$k" "$pod" "$k" "$BR" "$k" "$k" >>"$w/links.batch"
    echo "fdb add $(inst_mac "$k") dev v$k master static" >>"$w/fdb.batch"
    echo "neigh replace $(inst_addr "$k") lladdr $(inst_mac "$k") dev $BR nud permanent" >>"$w/neigh.batch"
  done
  t0=$(date +%s%N)
  timeout 600 ip -batch "$w/pods.batch" || return 1
  for k in $(seq 1 "$N"); do ZN_NETNS+=("$(inst_pod "$k")"); done
  timeout 600 ip -n "$NS" -batch "$w/links.batch" &&
    timeout 600 bridge -n "$NS" -batch "$w/fdb.batch" &&
    timeout 600 ip -n "$NS" -batch "$w/neigh.batch" || return 1
  for k in $(seq 1 "$N"); do
    pod=$(inst_pod "$k")
    timeout 20 ip -n "$pod" -batch "$w/pod.ip" && timeout 20 tc -n "$pod" -batch "$w/pod.tc" || return 1
  done
  t1=$(date +%s%N)
  printf 'meta\tpods_ms\t%s\n' $(((t1 - t0) / 1000000)) >>"$TSV"
}

# inst_cmd K: image K's command line (into CMD).
inst_cmd() {
  CMD=("$SPT" "--mem=$MEM" "--net:service=tap0" "--net-mac:service=$(inst_mac "$1")"
    "--block:rootfs=$WORK/nginx.tar" "$BI/img/nginx.spt"
    "--ipv4=$(inst_addr "$1")/16" "--gateway=$GW" --)
}

# ---- the ramps ------------------------------------------------------------------

# boot_one RAMP K: image K started and timed; its tender's PID into
# $WORK/pid.K, its line into results.tsv.  1 if it did not answer.
boot_one() {
  local ramp=$1 k=$2 line pid
  inst_cmd "$k"
  line=$(timeout 30 ip netns exec "$NS" "$WORK/znb-boot" --keep --netns "$(inst_pod "$k")" \
    --addr "$(inst_addr "$k")" --port 80 --proto http --timeout-ms 10000 --log "$WORK/logs/$ramp-$k.log" -- "${CMD[@]}" \
    2>>"$DIR/errors.log")
  pid=$(sed -n 's/.* pid=\([0-9]*\).*/\1/p' <<<"$line")
  if [[ $line == *answer_us=[0-9]* ]] && [ -n "$pid" ] && [ "$pid" != -1 ]; then
    echo "$pid" >"$WORK/pid.$k"
    awk -v r="$ramp" -v k="$k" '{
      for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
      printf "boot\t%s\t%d\t%s\t%s\t%s\t%s\t%s\n", r, k, v["answer_us"], v["conn_us"],
        v["console_us"], v["rt_us"], v["net_us"] }' <<<"$line" >>"$TSV"
    return 0
  fi
  echo "fleet: $ramp: image $k did not answer ($line)" | tee -a "$DIR/errors.log"
  return 1
}

# proc_sum FIELD...: over the ramp's tenders, the sum of what each
# /proc file says (pss: smaps_rollup's Pss in KiB; ticks: utime+stime;
# ctxsw: voluntary and involuntary switches).
proc_sum() {
  local p files=()
  for p in "${PIDS[@]}"; do files+=("/proc/$p/$1"); done
  case $1 in
  smaps_rollup) cat "${files[@]}" 2>/dev/null | awk '$1 == "Pss:" { s += $2 } END { print s + 0 }' ;;
  stat) cat "${files[@]}" 2>/dev/null | awk '{ sub(/^.*\) /, ""); s += $12 + $13 } END { print s + 0 }' ;;
  status) cat "${files[@]}" 2>/dev/null | awk '/^(non)?voluntary_ctxt_switches:/ { s += $2 } END { print s + 0 }' ;;
  esac
}

# busy_ticks: the machine's busy CPU ticks so far (all but idle, iowait).
busy_ticks() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }

# user_ticks: the CPU ticks so far of every process that is not a
# kernel thread (kthreadd, 2, and its children), the tenders among them.
user_ticks() {
  cat /proc/[0-9]*/stat 2>/dev/null | awk '{
    pid = $1; sub(/^.*\) /, "")
    if (pid != 2 && $2 != 2) s += $12 + $13 } END { print s + 0 }'
}

# window SECONDS: the machine over SECONDS, into W_BUSY (busy CPU, % of
# one core), W_KERNEL (the same less what processes other than the
# kernel's threads and the tenders used: this sandbox's own agent, the
# measuring shell), W_TICKS and W_CTXSW (the tenders' CPU ticks and
# context switches), W_SECS.
window() {
  local b0 b1 u0 u1 t0 t1 c0 c1 s0 s1 hz
  hz=$(getconf CLK_TCK)
  t0=$(proc_sum stat) c0=$(proc_sum status) u0=$(user_ticks) b0=$(busy_ticks) s0=$(date +%s%N)
  sleep "$1"
  b1=$(busy_ticks) s1=$(date +%s%N) u1=$(user_ticks) t1=$(proc_sum stat) c1=$(proc_sum status)
  W_TICKS=$((t1 - t0)) W_CTXSW=$((c1 - c0))
  W_SECS=$(awk -v a="$s0" -v b="$s1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
  W_BUSY=$(awk -v d=$((b1 - b0)) -v s="$W_SECS" -v hz="$hz" 'BEGIN { printf "%.2f", 100 * d / hz / s }')
  W_KERNEL=$(awk -v d=$((b1 - b0 - (u1 - u0) + W_TICKS)) -v s="$W_SECS" -v hz="$hz" \
    'BEGIN { printf "%.2f", 100 * d / hz / s }')
}

mem_avail_kib() { awk '$1 == "MemAvailable:" { print $2 }' /proc/meminfo; }

# answer_all: how many of the ramp's images answer GET / with the page.
answer_all() {
  local k
  for k in $(seq 1 "${#PIDS[@]}"); do inst_addr "$k"; done |
    timeout 300 ip netns exec "$NS" xargs -P 16 -I{} sh -c \
      'curl -s -m 5 http://{}/ | grep -qx "<h1>nginx</h1>" && echo ok' 2>/dev/null | grep -c ok
}

# measure_at RAMP WAIT: the fleet at its present size, idle, WAIT
# seconds after its last answer.
measure_at() {
  local ramp=$1 n=${#PIDS[@]} pss avail answered
  sleep "$2"
  pss=$(proc_sum smaps_rollup)
  avail=$(mem_avail_kib)
  window "$IDLE"
  answered=$(answer_all)
  printf 'at\t%s\t%d\t%d\t%d\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\n' "$ramp" "$n" "$pss" \
    $((AVAIL0 - avail)) "$W_SECS" "$W_BUSY" "$W_KERNEL" "$W_TICKS" "$W_CTXSW" "$answered" \
    "$(getconf CLK_TCK)" "$2" >>"$TSV"
  echo "fleet: $ramp at $n: PSS $((pss / n)) KiB each, MemAvailable -$(((AVAIL0 - avail) / n)) KiB each, busy $W_BUSY% (kernel and tenders $W_KERNEL%), $W_CTXSW wake-ups in ${W_SECS}s, $answered answered"
}

# teardown RAMP: SIGTERM to every tender, the time until none is left.
teardown() {
  local ramp=$1 t0 t1 left=0 p i
  t0=$(date +%s%N)
  kill -TERM "${PIDS[@]}" 2>/dev/null
  for ((i = 0; i < 600; i++)); do
    left=0
    # Gone, or a zombie: the tenders outlived their parent (znb-boot), so
    # whoever adopted them reaps them, in its own time.
    for p in "${PIDS[@]}"; do
      [ -r "/proc/$p/stat" ] && [[ $(cat "/proc/$p/stat" 2>/dev/null) != *") Z "* ]] && left=$((left + 1))
    done
    [ "$left" = 0 ] && break
    sleep 0.05
  done
  t1=$(date +%s%N)
  stop_tenders
  printf 'down\t%s\t%d\t%d\t%d\n' "$ramp" "$N" $(((t1 - t0) / 1000000)) "$left" >>"$TSV"
  echo "fleet: $ramp torn down: tenders gone in $(((t1 - t0) / 1000000)) ms ($left left)"
}

# pods_down: the pods' namespaces deleted, timed.
pods_down() {
  local k t0 t1
  for k in $(seq 1 "$N"); do echo "netns del $(inst_pod "$k")"; done >"$WORK/podsdel.batch"
  t0=$(date +%s%N)
  timeout 600 ip -batch "$WORK/podsdel.batch" >/dev/null 2>&1
  t1=$(date +%s%N)
  ZN_NETNS=("$NS")
  printf 'meta\tpods_down_ms\t%s\n' $(((t1 - t0) / 1000000)) >>"$TSV"
}

# ramp RAMP STEP: from 0 to N images, STEP at once, measured at each
# size of -c and at N, then torn down.
ramp() {
  local r=$1 step=$2 k j next=0 failed=0 c checks=() t0 t1
  for c in $(printf '%s\n' ${CHECKS//,/ } "$N" | sort -nu); do
    [ "$c" -le "$N" ] && checks+=("$c")
  done
  rm -f "$DIR"/work/pid.*
  PIDS=()
  AVAIL0=$(mem_avail_kib)
  t0=$(date +%s%N)
  for ((k = 1; k <= N; k += step)); do
    for ((j = k; j < k + step && j <= N; j++)); do
      boot_one "$r" "$j" || failed=$((failed + 1)) &
    done
    wait
    for ((j = k; j < k + step && j <= N; j++)); do
      [ -f "$WORK/pid.$j" ] && PIDS+=("$(cat "$WORK/pid.$j")")
    done
    while [ "$next" -lt "${#checks[@]}" ] && [ $((j - 1)) -ge "${checks[$next]}" ]; do
      t1=$(date +%s%N)
      printf 'meta\t%s_ramp_ms_%d\t%d\n' "$r" "${checks[$next]}" $(((t1 - t0) / 1000000)) >>"$TSV"
      if [ "${checks[$next]}" = "$N" ]; then measure_at "$r" "$WAIT"; else measure_at "$r" 3; fi
      next=$((next + 1))
      t0=$((t0 + $(date +%s%N) - t1)) # the measurement is not the ramp's time
    done
  done
  teardown "$r"
}

# ---- the report -----------------------------------------------------------------

report() {
  /usr/bin/python3 bench/fleet-report.py "$DIR" || return 1
  echo "fleet: $DIR/report.md"
}

if [ "$REPORT_ONLY" = 1 ]; then
  [ -f "$TSV" ] || { echo "fleet: no $TSV" >&2; exit 2; }
  report
  exit
fi

mkdir -p "$DIR" "$WORK" || exit 1
: >"$TSV"
: >"$DIR/errors.log"
trap cleanup EXIT
fleet_build
case $? in
0) ;;
2) [ "$SMOKE" = 1 ] && { echo "1..0 # SKIP no Solo5 archive"; exit 0; }
   exit 0 ;;
*) exit 1 ;;
esac
# 1,000 tenders and their TAPs: file descriptors and inotify-free, but
# the kernel's pid and thread limits are far above; the neighbour table
# is the namespace's (above).
zn_sysctl_set kernel.pid_max 4194304 >/dev/null 2>&1
{
  printf 'meta\tdate\t%s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
  printf 'meta\tznet\t%s\n' "${ZNB_ZNET_REV:-$(git describe --always --dirty 2>/dev/null || echo unknown)}"
  printf 'meta\tcpu\t%s\n' "$(lscpu | sed -n 's/^Model name: *//p' | head -1)"
  printf 'meta\tcpus\t%s\n' "$(nproc)"
  printf 'meta\tmem_kib\t%s\n' "$(awk '$1 == "MemTotal:" { print $2 }' /proc/meminfo)"
  printf 'meta\tkernel\t%s\n' "$(uname -r)"
  printf 'meta\tsolo5\t%s\n' "$(basename "$(dirname "$(dirname "$(dirname "$SPT")")")")"
  printf 'meta\tn\t%s\n' "$N"
  printf 'meta\tburst\t%s\n' "$BURST"
  printf 'meta\tmem\t%s\n' "$MEM"
  printf 'meta\tidle_secs\t%s\n' "$IDLE"
  printf 'meta\twait\t%s\n' "$WAIT"
  printf 'meta\tload_start\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
  printf 'meta\tcommand\tbench/fleet.sh%s\n' "$([ "$SMOKE" = 1 ] && echo " --smoke" || echo " -n $N -c $CHECKS -b $BURST -m $MEM -i $IDLE -w $WAIT")"
} >>"$TSV"
echo "fleet: the machine idle, before the pods ($IDLE s) ..."
window "$IDLE"
printf 'meta\tbusy_empty_pct\t%s\nmeta\tkernel_empty_pct\t%s\n' "$W_BUSY" "$W_KERNEL" >>"$TSV"
echo "fleet: $N pods (namespace, veth, TAP, redirects) ..."
fleet_net || { echo "fleet: cannot set up the bridge and its TAPs" >&2; exit 1; }
sleep 3
window "$IDLE"
printf 'meta\tbusy_pods_pct\t%s\nmeta\tkernel_pods_pct\t%s\n' "$W_BUSY" "$W_KERNEL" >>"$TSV"
echo "fleet: $N images, one at a time ..."
ramp seq 1
echo "fleet: $N images, $BURST at once ..."
ramp burst "$BURST"
pods_down
printf 'meta\tload_end\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)" >>"$TSV"
report || exit 1
if [ "$SMOKE" = 1 ]; then
  # CI judges only what cannot depend on the machine's speed.
  bad=$(awk -F'\t' -v n="$N" '
    $1 == "at" && $11 != $3 { print "only " $11 " of " $3 " answered (" $2 ")" }
    $1 == "at" && $3 == n && $10 != 0 { print $10 " wake-ups of idle images (" $2 " at " $3 ")" }
    $1 == "down" && $5 != 0 { print $5 " tenders left after the tear-down (" $2 ")" }
    $1 == "boot" { b[$2]++ }
    END { for (r in b) if (b[r] != n) print b[r] " of " n " booted (" r ")" }' "$TSV")
  if [ -n "$bad" ]; then
    echo "fleet: smoke run FAILED: $bad"
    exit 1
  fi
  echo "fleet: smoke run ok ($N images twice)"
  [ -z "$OUT" ] || [ "${OUT#/tmp/fleet-smoke.}" = "$OUT" ] || rm -rf "$OUT"
fi
