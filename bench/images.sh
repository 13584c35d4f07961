# The unikernel-image part of scripts/bench (sourced by it, --only
# images): redis and nginx built from Debian's sources by znet-cc into
# Solo5 spt images (scripts/images builds them), measured beside the
# published anchors (Unikraft, EuroSys 2021; MirageOS in the same paper)
# and beside the same programs on the Linux kernel's sockets and under
# znet-run.
#
#   1. size: each image (build-images/img/NAME.spt) unstripped and
#      stripped (strip -s), and `size` of the stripped one;
#   2. boot: IMG_BOOTS (20) boots of each on spt, each timed by
#      bench/znb-boot.c from just before it forks the child that execs
#      solo5-spt to the first answer (redis: +PONG to PING; nginx: HTTP
#      200 to GET /), new connection attempts every 200 us meanwhile; the
#      kernel's neighbour entry for the image is static, the image's MAC
#      fixed (solo5-spt --net-mac), so no ARP from the kernel's side is in
#      it (the image's own ARP for the kernel's address is);
#   3. minimum memory: the smallest solo5-spt --mem (whole MiB) at which
#      each image serves its check (redis-benchmark -c 50 -n 10000 -t
#      set,get; wrk -t1 -c16 -d5s of a 1 KiB file, no error) and answers
#      again after it, by bisection between 1 and IMG_MEM_HI (64, doubled
#      until it passes);
#   4. throughput, IMG_ROUNDS (3) rounds, the variants' order rotating
#      from round to round, each round once the machine is quiet:
#        spt          the image, solo5-spt --mem=IMG_MEM on the TAP
#        linux        the same znet-cc-built program (an ordinary static
#                     Linux program: musl over the kernel's system calls)
#                     on the kernel's sockets over the veth pair, offloads
#                     on
#        znet-run     Debian's redis-server and nginx-light under znet-run
#                     on the TAP (a preload needs a dynamic program)
#        linux-debian Debian's programs on the kernel over the veth pair
#        spt-base     with IMG_BASE (another tree's build-images/, which
#                     its own scripts/images made: a commit before a
#                     change), that tree's images, started as spt's are,
#                     by the same tender: a change's effect on the
#                     images in one run, round by round
#      workloads: redis-benchmark -c 50 SET and GET, plain and -P 16;
#      wrk -t1 -c16 keep-alive GETs of a 1 KiB file for RSECS seconds; the
#      server (for spt: the tender, which is the guest) on SERVER_CPU, the
#      client on CLIENT_CPU.
#
# results.tsv lines: "result size NAME img-size ...", "result boot-K spt
# img-boot-NAME ..." (znb-boot's line; stack linux: the same znet-cc
# program started as a Linux process, its own start-up for reference), "result probe NAME img-mem-probe
# mem=MB ok=0|1", "result minmem NAME img-minmem mem=MB ...", "result
# ROUND VARIANT img-WORKLOAD rps= secs= cpu_srv= cpu_cli= srv_cpu=".

IMG_ROUNDS=${IMG_ROUNDS:-3}
IMG_BOOTS=${IMG_BOOTS:-20}
IMG_MEM=512       # --mem of the boots and the throughput runs (scripts/images')
IMG_MEM_HI=64     # the bisection's first upper bound
IMG_MAC=02:00:00:77:00:02
IMG_WORKLOADS=(img-redis-set img-redis-get img-redis-set-p16 img-redis-get-p16 img-nginx-1k)
IMG_VARIANTS=(spt linux znet-run linux-debian)
IMG_BASE=${IMG_BASE:-}
[ -n "$IMG_BASE" ] && IMG_VARIANTS+=(spt-base)
IMG_DIR=$ROOT/build-images/img # the images img_spt_cmd boots

# images_build: scripts/images --no-virtio redis nginx (builds what is
# missing, checks both images), then the paths of what it made.  2: no
# Solo5 archive here (scripts/images skips).
images_build() {
  local log=$DIR/images-build.log rc
  echo "bench: building the images (scripts/images --no-virtio redis nginx; log: images-build.log) ..."
  bash scripts/images --no-virtio redis nginx >"$log" 2>&1
  rc=$?
  grep -q '^1\.\.0 # SKIP' "$log" && return 2
  [ "$rc" = 0 ] || echo "bench: scripts/images failed some checks (status $rc, see images-build.log); measuring what it built"
  local bi=$ROOT/build-images
  IMG_SPT=$(ls -d "$bi"/solo5/solo5-*/tenders/spt/solo5-spt 2>/dev/null | tail -1)
  IMG_ZREDIS=$(ls -d "$bi"/pkgs/redis/redis-*/src/redis-server 2>/dev/null | tail -1)
  IMG_ZNGINX=$(ls -d "$bi"/pkgs/nginx/nginx-*/objs/nginx 2>/dev/null | tail -1)
  local f
  for f in "$IMG_SPT" "$bi/img/redis.spt" "$bi/img/nginx.spt" "$IMG_ZREDIS" "$IMG_ZNGINX" \
    ${IMG_BASE:+"$IMG_BASE/img/redis.spt" "$IMG_BASE/img/nginx.spt"}; do
    [ -n "$f" ] && [ -x "$f" ] || { echo "bench: scripts/images did not make ${f:-solo5-spt or a program}" >&2; return 1; }
  done
}

# img_nginx_conf ROOT PREFIX [CONNS]: nginx's configuration, the web
# root ROOT and its pid and temporary files under PREFIX (the same
# settings as bench/posix.sh's, one worker; CONNS worker connections,
# 4096 unless given).
img_nginx_conf() {
  cat <<EOF
worker_processes 1;
daemon off;
master_process off;
pid $2/nginx.pid;
error_log stderr warn;
events { worker_connections ${3:-4096}; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_requests 1000000;
  keepalive_timeout 65;
  types { application/octet-stream bin; text/html html; }
  client_body_temp_path $2/body;
  proxy_temp_path $2/proxy;
  fastcgi_temp_path $2/fastcgi;
  uwsgi_temp_path $2/uwsgi;
  scgi_temp_path $2/scgi;
  server {
    listen 80;
    root $1;
  }
}
EOF
}

# images_prepare: in $SCRATCH/images, the files both sides serve, the
# nginx image's root archive (/etc/nginx/nginx.conf, /www), the
# configuration of nginx on Linux, an empty root for redis, and
# znb-boot.
images_prepare() {
  local d=$SCRATCH/images
  rm -rf "$d" && mkdir -p "$d/www" "$d/root/etc/nginx" "$d/nginx" "$d/redis" || return 1
  echo "<h1>nginx</h1>" >"$d/www/index.html" &&
    head -c 1024 /dev/urandom >"$d/www/1k.bin" &&
    cp -r "$d/www" "$d/root/www" &&
    img_nginx_conf /www /tmp >"$d/root/etc/nginx/nginx.conf" &&
    img_nginx_conf "$d/www" "$d/nginx" >"$d/nginx/nginx.conf" &&
    tar cf "$d/nginx.tar" -C "$d/root" . &&
    img_nginx_conf /www /tmp 512 >"$d/root/etc/nginx/nginx.conf" &&
    tar cf "$d/nginx-tuned.tar" -C "$d/root" . &&
    tar cf "$d/empty.tar" -T /dev/null || return 1
  gcc -O2 -Wall -o "$d/znb-boot" bench/znb-boot.c || return 1
}

IMG_REDIS_ARGS=(--port 6379 --save '' --appendonly no --protected-mode no --daemonize no)

# The runtime's and znet's flags of the least-memory run "tuned" (the
# other run has none): thread stacks capped (redis asks 4 MiB for each of
# three threads), half the stack's default 512 frame buffers; and for
# nginx the root archive nginx-tuned.tar, whose configuration has
# nginx's default 512 worker connections (not 4096: nginx allocates
# them all at start, about 430 bytes each).
IMG_TUNED_redis=(--thread-stack=64K --bufs=256)
IMG_TUNED_nginx=(--bufs=256)
IMG_XFLAGS=()
IMG_ROOT_SUFFIX=""

# img_spt_cmd NAME MEM: the command line of an image on the TAP (into
# IMG_CMD), with IMG_XFLAGS before "--".
img_spt_cmd() {
  local name=$1 mem=$2 d=$SCRATCH/images
  IMG_CMD=("$IMG_SPT" "--net:service=$TAP" "--net-mac:service=$IMG_MAC" "--mem=$mem")
  case $name in
  redis)
    IMG_CMD+=("--block:rootfs=$d/empty.tar" "$IMG_DIR/redis.spt"
      "--ipv4=$TAP_STACK/24" "--gateway=$TAP_KERNEL" "${IMG_XFLAGS[@]}" -- --save "''" --appendonly no
      --protected-mode no)
    ;;
  nginx)
    IMG_CMD+=("--block:rootfs=$d/nginx$IMG_ROOT_SUFFIX.tar" "$IMG_DIR/nginx.spt"
      "--ipv4=$TAP_STACK/24" "--gateway=$TAP_KERNEL" "${IMG_XFLAGS[@]}" --)
    ;;
  esac
}

# img_tap_plain: the TAP's offloads off before an image attaches.  A
# persistent TAP keeps the offloads its last owner asked for (znet-run's
# TUNSETOFFLOAD: checksums left undone, TSO), and the kernel goes on
# sending frames only a reader of virtio headers can complete; Solo5's
# tender opens the TAP without IFF_VNET_HDR and does not clear them (as
# netif/tap.c does), so after znet-run the image would drop every TCP
# segment as a bad checksum (ICMP still answered).
img_tap_plain() {
  in_ns "$NS_TAP" ethtool -K "$TAP" tx off sg off tso off >/dev/null 2>&1
}

# img_ready NAME ADDR: the command that succeeds once the server answers.
img_ready() {
  case $1 in
  redis) echo "timeout 2 redis-cli -h $2 ping | grep -q PONG" ;;
  nginx) echo "curl -sf -m 2 -o /dev/null http://$2/1k.bin" ;;
  esac
}

# img_start NS READY CMD...: CMD in NS on SERVER_CPU, its output into
# servers.log, until READY (run in NS) succeeds, at most 20 s; sets
# SERVER_PID.  1 if it exited or never answered (quietly: a probe below
# the minimum memory fails here).
img_start() {
  local ns=$1 ready=$2
  shift 2
  echo "== $*" >>"$DIR/servers.log"
  ip netns exec "$ns" taskset -c "$SERVER_CPU" "$@" >>"$DIR/servers.log" 2>&1 &
  SERVER_PID=$!
  zn_bg "$SERVER_PID"
  local until=$((SECONDS + 20))
  while [ "$SECONDS" -lt "$until" ]; do
    timeout 5 ip netns exec "$ns" sh -c "$ready" >/dev/null 2>&1 && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# ---- 1. size -------------------------------------------------------------------

images_size() {
  local name img s t dd b
  for name in redis nginx; do
    img=$ROOT/build-images/img/$name.spt
    strip -s -o "$SCRATCH/images/$name.stripped" "$img" || continue
    read -r t dd b < <(size "$SCRATCH/images/$name.stripped" | awk 'NR == 2 { print $1, $2, $3 }')
    s=$(stat -c %s "$SCRATCH/images/$name.stripped")
    record size "$name" img-size "znb mode=img-size bytes=$(stat -c %s "$img") stripped=$s text=$t data=$dd bss=$b"
  done
}

# ---- 2. boot to first answer ------------------------------------------------------

# img_boot_one NAME VARIANT K: one boot timed by znb-boot, recorded.
img_boot_one() {
  local name=$1 v=$2 k=$3 port proto ns addr line log
  case $name in redis) port=6379 proto=redis ;; nginx) port=80 proto=http ;; esac
  case $v in
  spt) img_spt_cmd "$name" "$IMG_MEM"
    ns=$NS_TAP addr=$TAP_STACK ;;
  linux) ns=$NS_VS addr=$VETH_SERVER
    case $name in
    redis) IMG_CMD=("$IMG_ZREDIS" "${IMG_REDIS_ARGS[@]}" --dir "$SCRATCH/images/redis") ;;
    nginx) IMG_CMD=("$IMG_ZNGINX" -c "$SCRATCH/images/nginx/nginx.conf" -p "$SCRATCH/images/nginx") ;;
    esac ;;
  esac
  log=$SCRATCH/images/boot-$name-$v-$k.log
  line=$(ip netns exec "$ns" taskset -c "$CLIENT_CPU" "$SCRATCH/images/znb-boot" \
    --addr "$addr" --port "$port" --proto "$proto" --cpu "$SERVER_CPU" \
    --timeout-ms 10000 --log "$log" -- "${IMG_CMD[@]}" 2>>"$DIR/errors.log")
  if [[ $line == *answer_us=[0-9]* ]]; then
    record "boot-$k" "$v" "img-boot-$name" "$line"
  else
    echo "bench: boot $k of $name ($v): FAILED ($line)"
    { echo "boot $k of $name ($v) failed: $line"; cat "$log"; } >>"$DIR/errors.log"
  fi
  sleep 0.2
}

# images_boot: IMG_BOOTS boots of each image, each followed by one of the
# same znet-cc-built program as a Linux process (its own start-up, for
# reference: the timer and the server in the veth's server namespace).
images_boot() {
  local name k
  img_tap_plain
  in_ns "$NS_TAP" ip neigh replace "$TAP_STACK" lladdr "$IMG_MAC" dev "$TAP" nud permanent
  for name in redis nginx; do
    wait_quiet "boot-$name"
    for k in $(seq 1 "$IMG_BOOTS"); do
      img_boot_one "$name" spt "$k"
      img_boot_one "$name" linux "$k"
    done
    {
      echo "== the first boot of $name.spt, each line after the time it arrived"
      cat "$SCRATCH/images/boot-$name-spt-1.log"
    } >>"$DIR/servers.log" 2>/dev/null
  done
  in_ns "$NS_TAP" ip neigh del "$TAP_STACK" dev "$TAP" 2>/dev/null
}

# ---- 3. minimum memory ----------------------------------------------------------

# img_serves NAME MEM [TUNING]: does the image boot with --mem=MEM (and
# IMG_XFLAGS), serve its check without an error and answer again after
# it?  Records the probe under NAME-TUNING ("default" or "tuned").
img_serves() {
  local name=$1 mem=$2 tuning=${3:-default} ok=0 out=$SCRATCH/images/probe.out detail=""
  IMG_PROBES=$((IMG_PROBES + 1))
  img_spt_cmd "$name" "$mem"
  img_tap_plain
  in_ns "$NS_TAP" ip neigh flush dev "$TAP"
  if img_start "$NS_TAP" "$(img_ready "$name" "$TAP_STACK")" "${IMG_CMD[@]}"; then
    case $name in
    redis)
      timeout 60 ip netns exec "$NS_TAP" taskset -c "$CLIENT_CPU" redis-benchmark \
        -h "$TAP_STACK" -c 50 -n 10000 -t set,get --csv >"$out" 2>&1
      [ "$(grep -c '^"\(SET\|GET\)","[1-9]' "$out")" = 2 ] && ok=1
      detail=$(grep -o '^"[A-Z]*","[0-9.]*' "$out" | tr -d '"' | tr ',' '=' | paste -sd' ' | tr 'A-Z' 'a-z')
      ;;
    nginx)
      timeout 60 ip netns exec "$NS_TAP" taskset -c "$CLIENT_CPU" wrk -t1 -c16 -d5s \
        "http://$TAP_STACK/1k.bin" >"$out" 2>&1
      local line
      if line=$(wrk_line "$out" probe); then
        detail=${line#znb mode=probe }
        [[ $line == *" errors=0"* ]] && [[ ! $line == *" rps=0 "* ]] && ok=1
      fi
      ;;
    esac
    [ "$ok" = 1 ] && ! timeout 5 ip netns exec "$NS_TAP" sh -c "$(img_ready "$name" "$TAP_STACK")" \
      >/dev/null 2>&1 && ok=0 detail="$detail after=dead"
  else
    detail="started=0"
  fi
  stop_pid "$SERVER_PID"
  record probe "$name-$tuning" img-mem-probe "znb mode=img-mem-probe mem=$mem ok=$ok $detail"
  [ "$ok" = 1 ]
}

# images_minmem: for each image, with no flags and then tuned
# (IMG_TUNED_NAME), the least --mem by bisection.
images_minmem() {
  local name lo hi mid tuning flags
  for name in redis nginx; do
    for tuning in default tuned; do
      IMG_XFLAGS=() IMG_ROOT_SUFFIX=""
      if [ "$tuning" = tuned ]; then
        case $name in
        redis) IMG_XFLAGS=("${IMG_TUNED_redis[@]}") ;;
        nginx) IMG_XFLAGS=("${IMG_TUNED_nginx[@]}") IMG_ROOT_SUFFIX=-tuned ;;
        esac
      fi
      flags=$(IFS=,; echo "${IMG_XFLAGS[*]}")
      [ -n "$IMG_ROOT_SUFFIX" ] && flags="$flags,worker_connections=512"
      wait_quiet "minmem-$name-$tuning"
      IMG_PROBES=0 lo=1 hi=$IMG_MEM_HI
      # The upper bound must serve (doubled until it does); the lower is
      # taken not to (1 MiB is Solo5's reserved low memory alone).
      until img_serves "$name" "$hi" "$tuning"; do
        lo=$hi hi=$((hi * 2))
        [ "$hi" -le 1024 ] || { hi=""; break; }
      done
      [ -n "$hi" ] || { echo "bench: $name.spt did not serve even with --mem=1024"; continue; }
      while [ $((hi - lo)) -gt 1 ]; do
        mid=$(((lo + hi) / 2))
        if img_serves "$name" "$mid" "$tuning"; then hi=$mid; else lo=$mid; fi
      done
      record minmem "$name-$tuning" img-minmem "znb mode=img-minmem mem=$hi fails=$lo probes=$IMG_PROBES flags=${flags:-none}"
    done
  done
  IMG_XFLAGS=() IMG_ROOT_SUFFIX=""
}

# ---- 4. throughput ----------------------------------------------------------------

# img_redis_bench NS ADDR VARIANT ROUND
img_redis_bench() {
  local ns=$1 addr=$2 v=$3 round=$4 w t p n rps p0 p1
  for w in img-redis-set img-redis-get img-redis-set-p16 img-redis-get-p16; do
    t=${w#img-redis-} p=1 n=$((${RSECS%.*} * 100000))
    if [[ $t == *-p16 ]]; then
      t=${t%-p16} p=16 n=$((${RSECS%.*} * 400000))
    fi
    stat_cpus >"$SCRATCH/cpu.0"
    p0=$(proc_cpu "$SERVER_PID")
    timeout $((${RSECS%.*} * 10 + 60)) ip netns exec "$ns" taskset -c "$CLIENT_CPU" \
      redis-benchmark -h "$addr" -c 50 -n "$n" -P "$p" -t "$t" --csv \
      >"$SCRATCH/redis.out" 2>>"$DIR/errors.log"
    stat_cpus >"$SCRATCH/cpu.1"
    p1=$(proc_cpu "$SERVER_PID")
    rps=$(awk -F'"' -v t="${t^^}" '$2 == t { print $4 }' "$SCRATCH/redis.out")
    if [ -n "$rps" ]; then
      record "$round" "$v" "$w" "znb mode=$w rps=$rps $(cpu_fields "$SCRATCH/cpu.0" "$SCRATCH/cpu.1") $(srv_cpu_field "$p0" "$p1")"
    else
      echo "bench: round $round $v $w: FAILED (see errors.log)"
      { echo "round $round $v $w failed:"; cat "$SCRATCH/redis.out"; } >>"$DIR/errors.log"
    fi
    sleep 0.5
  done
}

# img_nginx_bench NS ADDR VARIANT ROUND
img_nginx_bench() {
  local ns=$1 addr=$2 v=$3 round=$4 line p0 p1
  stat_cpus >"$SCRATCH/cpu.0"
  p0=$(proc_cpu "$SERVER_PID")
  timeout $((${RSECS%.*} + 30)) ip netns exec "$ns" taskset -c "$CLIENT_CPU" \
    wrk -t1 -c16 -d"${RSECS}s" --latency "http://$addr/1k.bin" \
    >"$SCRATCH/wrk.out" 2>>"$DIR/errors.log"
  stat_cpus >"$SCRATCH/cpu.1"
  p1=$(proc_cpu "$SERVER_PID")
  if line=$(wrk_line "$SCRATCH/wrk.out" img-nginx-1k); then
    record "$round" "$v" img-nginx-1k "$line $(cpu_fields "$SCRATCH/cpu.0" "$SCRATCH/cpu.1") $(srv_cpu_field "$p0" "$p1")"
  else
    echo "bench: round $round $v img-nginx-1k: FAILED (see errors.log)"
    { echo "round $round $v img-nginx-1k failed:"; cat "$SCRATCH/wrk.out"; } >>"$DIR/errors.log"
  fi
}

# img_variant VARIANT ROUND: redis, then nginx, started as VARIANT says,
# each measured from the client's side of its link and stopped.
img_variant() {
  local v=$1 round=$2 d=$SCRATCH/images ns cns addr prog
  local zrun=("$BUILD/posix/preload/znet-run" --netif "tap:$TAP" --ipv4 "$TAP_STACK/24" --)
  case $v in
  spt | spt-base | znet-run) ns=$NS_TAP cns=$NS_TAP addr=$TAP_STACK
    in_ns "$NS_TAP" ip neigh flush dev "$TAP" ;;
  *) ns=$NS_VS cns=$NS_VC addr=$VETH_SERVER
    offloads on ;;
  esac
  for prog in redis nginx; do
    case $v:$prog in
    spt:*) img_spt_cmd "$prog" "$IMG_MEM"
      img_tap_plain ;;
    spt-base:*) IMG_DIR=$IMG_BASE/img img_spt_cmd "$prog" "$IMG_MEM"
      img_tap_plain ;;
    linux:redis) IMG_CMD=("$IMG_ZREDIS" "${IMG_REDIS_ARGS[@]}" --dir "$d/redis") ;;
    linux:nginx) IMG_CMD=("$IMG_ZNGINX" -c "$d/nginx/nginx.conf" -p "$d/nginx") ;;
    znet-run:redis) IMG_CMD=("${zrun[@]}" redis-server "${IMG_REDIS_ARGS[@]}" --dir "$d/redis") ;;
    znet-run:nginx) IMG_CMD=("${zrun[@]}" nginx -c "$d/nginx/nginx.conf" -p "$d/nginx") ;;
    linux-debian:redis) IMG_CMD=(redis-server "${IMG_REDIS_ARGS[@]}" --dir "$d/redis") ;;
    linux-debian:nginx) IMG_CMD=(nginx -c "$d/nginx/nginx.conf" -p "$d/nginx") ;;
    esac
    if img_start "$ns" "$(img_ready "$prog" "$addr")" "${IMG_CMD[@]}"; then
      "img_${prog}_bench" "$cns" "$addr" "$v" "$round"
    else
      echo "bench: round $round $v $prog did not start (see servers.log)"
    fi
    stop_pid "$SERVER_PID"
  done
}

images_throughput() {
  local round k n=${#IMG_VARIANTS[@]}
  for round in $(seq 1 "$IMG_ROUNDS"); do
    wait_quiet "images-$round"
    for k in $(seq 0 $((n - 1))); do
      img_variant "${IMG_VARIANTS[$(((k + round - 1) % n))]}" "$round"
    done
  done
}

# run_images: build (scripts/images), then the four measures.
run_images() {
  images_build
  case $? in
  0) ;;
  2) echo "bench: images: no Solo5 archive (scripts/images skipped; see images-build.log): not measured"
     printf 'meta\timages\tskipped: no Solo5 archive\n' >>"$TSV"
     return 0 ;;
  *) return 1 ;;
  esac
  images_prepare || { echo "bench: cannot prepare the image part's files" >&2; return 1; }
  printf 'meta\tsolo5\t%s\n' "$(basename "$(dirname "$(dirname "$(dirname "$IMG_SPT")")")")" >>"$TSV"
  printf 'meta\timg_mem\t%s\n' "$IMG_MEM" >>"$TSV"
  printf 'meta\timg_rounds\t%s\n' "$IMG_ROUNDS" >>"$TSV"
  printf 'meta\tredis\t%s\n' "$(redis-server --version | sed -n 's/^Redis server v=\([^ ]*\).*/redis \1/p')" >>"$TSV"
  printf 'meta\tnginx\t%s\n' "$(nginx -v 2>&1 | sed 's/^nginx version: //')" >>"$TSV"
  images_size
  echo "bench: images: boot to first answer ($IMG_BOOTS boots each) ..."
  images_boot
  echo "bench: images: minimum memory (bisection of --mem) ..."
  images_minmem
  echo "bench: images: throughput ($IMG_ROUNDS rounds: spt, Linux, znet-run, Linux with Debian's programs) ..."
  images_throughput
}
