# nginx and redis as OCI images (oci/znet-oci, docs/DEPLOY.md), run by
# container engines.  Sourced by scripts/images once both are built
# (`. tests/rt/images-oci.sh && oci_main`): it uses that script's build
# (B, T, ZIMG, the Solo5 tree, nginx's root in T) and its TAP namespace
# E2E_NS, which stands for the host here, and reports as its cases.
#
#  1. the images made again with the root inside (znet-image --root, and
#     --block none for redis: no block device to attach), then OCI
#     archives: for runc, nginx over a static tender (relinked: Solo5's
#     is dynamic) and redis over Solo5's own dynamic one (znet-oci
#     carries its libraries), both made twice (the same bytes); for
#     urunc, both with --urunc.  Every blob's digest and size held to its
#     descriptor, urunc.json held to the manifest's annotations;
#  2. containerd (Debian's) started here, with its config, root, state
#     and socket in T; the two runc archives imported by ctr;
#  3. nginx and redis run at once by `ctr run`, each in a network
#     namespace made here joined to E2E_NS by a veth: nginx with a /24,
#     redis as a pod gets it (a /32 and the gateway 169.254.1.1, off its
#     prefix; a /128 and the gateway fe80::1).  Not --cni: Debian's plugins make a bridge in the root
#     namespace, and every device here stays in namespaces the test made.
#     From E2E_NS: nginx's files byte for byte, redis's SET and GET (and
#     GET over IPv6);
#  4. `ctr task kill` (SIGTERM): each task ends (143), no process is left
#     in its namespace, its TAP and filter are gone, its address and
#     routes are back; without CAP_NET_ADMIN znet-boot says so;
#  5. podman (its storage in T) loads the nginx archive and runs it.
#     Podman's default rlimits (nofile 1048576) are refused here
#     ("error setting rlimit type 7: operation not permitted": the
#     sandbox's hard limit is lower), so they are given; its default
#     capabilities have no CAP_MKNOD, so /dev/net/tun is given;
#  6. urunc's contract: each --urunc archive's image booted with the
#     command line urunc builds for the mirage type on spt from the
#     archive's own annotations and arguments (pkg/unikontainers/
#     unikernels/mirage.go, hypervisors/spt.go: split on single spaces).
#
# Everything it starts is stopped by oci_cleanup, on the EXIT trap too:
# tasks, containerd, podman's container; its namespaces go with
# scripts/images' (zn_netns_cleanup), its files with T.

OCI_NS=znet-oci                # containerd's namespace for these
OCI_PIDS=()                    # ctr run jobs and containerd
OCI_CTD_PID=""
OCI_PODMAN=()

# oci_ctr ARGS...: ctr on this test's containerd, bounded.
oci_ctr() {
  timeout 60 ctr -a "$T/ctd/containerd.sock" -n "$OCI_NS" "$@"
}

# oci_ctd_up: whether this test's containerd answers.
oci_ctd_up() {
  [ -S "$T/ctd/containerd.sock" ] && oci_ctr version >/dev/null 2>&1
}

oci_cleanup() {
  local id pid m
  if [ -n "$OCI_CTD_PID" ] && kill -0 "$OCI_CTD_PID" 2>/dev/null; then
    for id in $(oci_ctr task ls -q 2>/dev/null); do
      oci_ctr task kill -s SIGKILL "$id" >/dev/null 2>&1
    done
    sleep 0.5
    for id in $(oci_ctr container ls -q 2>/dev/null); do
      oci_ctr task delete -f "$id" >/dev/null 2>&1
      oci_ctr container delete "$id" >/dev/null 2>&1
    done
  fi
  for pid in "${OCI_PIDS[@]}"; do
    zn_stop "$pid" TERM 5
  done
  OCI_PIDS=()
  if [ ${#OCI_PODMAN[@]} -gt 0 ]; then
    timeout 30 "${OCI_PODMAN[@]}" rm -f -t 2 zoci-podman >/dev/null 2>&1
  fi
  if [ -n "$OCI_CTD_PID" ]; then
    zn_stop "$OCI_CTD_PID" TERM 10
    OCI_CTD_PID=""
  fi
  # A snapshot or a bundle's rootfs left mounted under T by a kill.
  for m in $(awk -v t="$T/" 'index($2, t) == 1 { print $2 }' /proc/mounts | sort -r); do
    umount -l "$m" 2>/dev/null
  done
}

# oci_check_archive NAME ARCHIVE DIR: the archive unpacked into DIR and
# held to the image layout: every descriptor's blob there, of its digest
# and size, one manifest named NAME, one gzip layer whose diff_id is its
# content's; the layer unpacked into DIR/rootfs.  Prints the manifest's
# annotations and the config's Cmd, as JSON, into DIR/ann.json and
# DIR/cmd.json.
oci_check_archive() {
  local name=$1 archive=$2 dir=$3
  mkdir -p "$dir/rootfs" && tar xf "$archive" -C "$dir" || return 1
  python3 - "$dir" "$name" <<'PY' || return 1
import gzip, hashlib, json, os, sys
d, name = sys.argv[1], sys.argv[2]
def blob(desc, media):
    assert desc['mediaType'] == media, desc['mediaType']
    alg, hexd = desc['digest'].split(':')
    data = open(os.path.join(d, 'blobs', alg, hexd), 'rb').read()
    assert alg == 'sha256' and hashlib.sha256(data).hexdigest() == hexd
    assert len(data) == desc['size'], (len(data), desc['size'])
    return data
assert json.load(open(os.path.join(d, 'oci-layout'))) == {'imageLayoutVersion': '1.0.0'}
index = json.load(open(os.path.join(d, 'index.json')))
assert index['schemaVersion'] == 2 and len(index['manifests']) == 1
md = index['manifests'][0]
assert md['annotations']['org.opencontainers.image.ref.name'] == name
m = json.loads(blob(md, 'application/vnd.oci.image.manifest.v1+json'))
c = json.loads(blob(m['config'], 'application/vnd.oci.image.config.v1+json'))
assert len(m['layers']) == 1
layer = gzip.decompress(blob(m['layers'][0], 'application/vnd.oci.image.layer.v1.tar+gzip'))
assert c['rootfs']['diff_ids'] == ['sha256:' + hashlib.sha256(layer).hexdigest()]
open(os.path.join(d, 'layer.tar'), 'wb').write(layer)
json.dump(m.get('annotations', {}), open(os.path.join(d, 'ann.json'), 'w'))
json.dump(c['config'].get('Cmd', []), open(os.path.join(d, 'cmd.json'), 'w'))
PY
  tar xf "$dir/layer.tar" -C "$dir/rootfs"
}

# oci_urunc_json DIR: DIR/rootfs/urunc.json, its values base64, decodes to
# the manifest's annotations (and an empty version).
oci_urunc_json() {
  python3 - "$1" <<'PY'
import base64, json, os, sys
d = sys.argv[1]
u = json.load(open(os.path.join(d, 'rootfs', 'urunc.json')))
dec = {k: base64.b64decode(v, validate=True).decode() for k, v in u.items()}
ann = json.load(open(os.path.join(d, 'ann.json')))
assert dec.pop('com.urunc.unikernel.unikernelVersion') == ''
assert dec == ann, (dec, ann)
assert ann['com.urunc.unikernel.unikernelType'] == 'mirage'
assert ann['com.urunc.unikernel.hypervisor'] == 'spt'
PY
}

# oci_archives: the images and their archives (step 1).
oci_archives() {
  local nginx redis static
  nginx=$(ls "$B"/pkgs/nginx/nginx-*/objs/nginx 2>/dev/null | head -1)
  redis=$(ls "$B"/pkgs/redis/redis-*/src/redis-server 2>/dev/null | head -1)
  [ -n "$nginx" ] && [ -n "$redis" ] || { not_ok "OCI: nginx and redis built"; return 1; }
  mkdir -p "$T/oci"
  build_step "OCI: nginx.spt with its root inside, redis.spt with none (znet-image --root, --block none)" \
    "$T/oci/images.log" bash -c "'$ZIMG' --target spt --strip --root '$T/nginx.tar' \
      -o '$T/oci/nginx.spt' '$nginx' && '$ZIMG' --target spt --strip \
      --block none -o '$T/oci/redis.spt' '$redis'" || return 1
  static=$(solo5_spt_static "$tree" "$T/oci/solo5-spt" "$T/oci/static.log")
  check "OCI: solo5-spt linked static (PIE) from Solo5's objects" [ -n "$static" ]
  [ -n "$static" ] || { diag <"$T/oci/static.log"; return 1; }
  local zoci=$B/oci/znet-oci
  build_step "OCI: znet-oci: nginx for runc (static tender)" "$T/oci/nginx.log" \
    "$zoci" --tender "$static" --mem 64 -o "$T/oci/nginx.oci.tar" "$T/oci/nginx.spt" ||
    return 1
  build_step "OCI: znet-oci: redis for runc (Solo5's dynamic tender, its libraries carried)" \
    "$T/oci/redis.log" "$zoci" --tender "$tree/tenders/spt/solo5-spt" \
    -o "$T/oci/redis.oci.tar" "$T/oci/redis.spt" -- -- --save "''" \
    --appendonly no --protected-mode no || return 1
  diag <"$T/oci/redis.log"
  "$zoci" --tender "$static" --mem 64 -o "$T/oci/nginx2.oci.tar" "$T/oci/nginx.spt" >/dev/null
  check "OCI: the same inputs make the same archive, byte for byte ($(stat -c %s "$T/oci/nginx.oci.tar") bytes)" \
    cmp -s "$T/oci/nginx.oci.tar" "$T/oci/nginx2.oci.tar"
  build_step "OCI: znet-oci --urunc: nginx and redis for urunc" "$T/oci/urunc.log" \
    bash -c "'$zoci' --urunc -o '$T/oci/nginx-urunc.oci.tar' '$T/oci/nginx.spt' && \
      '$zoci' --urunc -o '$T/oci/redis-urunc.oci.tar' '$T/oci/redis.spt' -- -- \
      --save \"''\" --appendonly no --protected-mode no" || return 1
  local a
  for a in nginx:latest redis:latest nginx:urunc redis:urunc; do
    local f=$T/oci/${a%%:*}.oci.tar
    [ "${a#*:}" = urunc ] && f=$T/oci/${a%%:*}-urunc.oci.tar
    check "OCI: $(basename "$f"): the layout, every digest and size, one gzip layer of its diff_id" \
      oci_check_archive "localhost/znet/$a" "$f" "$T/oci/x-${a/:/-}"
  done
  check "OCI: urunc.json (base64) says what the manifest's annotations say (mirage, spt)" \
    oci_urunc_json "$T/oci/x-nginx-urunc"
  check "OCI: redis's runc layer carries the tender's libraries, nginx's none" \
    bash -c "[ -e '$T/oci/x-redis-latest/rootfs/lib64/ld-linux-x86-64.so.2' ] &&
      [ ! -e '$T/oci/x-nginx-latest/rootfs/lib64' ]"
}

# oci_containerd: containerd of this test (step 2).
oci_containerd() {
  local c=$T/ctd i
  mkdir -p "$c"
  cat >"$c/config.toml" <<EOF
version = 2
root = "$c/root"
state = "$c/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$c/containerd.sock"
[ttrpc]
  address = "$c/containerd.sock.ttrpc"
[debug]
  address = "$c/debug.sock"
[plugins."io.containerd.internal.v1.opt"]
  path = "$c/opt"
EOF
  timeout 900 containerd --config "$c/config.toml" >"$c/containerd.log" 2>&1 &
  OCI_CTD_PID=$!
  for i in $(seq 1 100); do
    oci_ctd_up && break
    sleep 0.2
  done
  check "OCI: containerd $(containerd --version | awk '{ print $3 }') started with its root, state and socket in $c" \
    oci_ctd_up
  oci_ctd_up || { tail -5 "$c/containerd.log" | diag; return 1; }
  for a in nginx redis; do
    oci_ctr image import "$T/oci/$a.oci.tar" >"$T/oci/import-$a.log" 2>&1
    check "OCI: ctr image import $a.oci.tar: localhost/znet/$a:latest" \
      bash -c "timeout 60 ctr -a '$c/containerd.sock' -n '$OCI_NS' image ls -q | grep -qx 'localhost/znet/$a:latest'"
  done
}

# oci_pod NS ADDR/PREFIX GATEWAY HOSTDEV [HOSTADDR]: network namespace NS
# (recorded for zn_netns_cleanup) whose eth0 is joined to E2E_NS's
# HOSTDEV by a veth; with HOSTADDR (a /24's first address) an ordinary
# link, without one a pod's: a /32 whose gateway, 169.254.1.1, is
# HOSTDEV's own address, and E2E_NS's route to the /32 through HOSTDEV;
# and OCI_POD6/128 with the default route through fe80::1, HOSTDEV's.
OCI_POD6=2001:db8:79::2
OCI_HOST6=2001:db8:78::1
oci_pod() {
  local ns=$1 addr=$2 gw=$3 hd=$4 ha=${5:-}
  zn_netns_add "$ns" &&
    zn_in "$E2E_NS" ip link add "$hd" type veth peer name eth0 netns "$ns" &&
    zn_in "$E2E_NS" ip link set "$hd" up &&
    zn_in "$ns" ip link set eth0 up &&
    zn_in "$ns" ip addr add "$addr" dev eth0 || return 1
  if [ -n "$ha" ]; then
    zn_in "$E2E_NS" ip addr add "$ha" dev "$hd" &&
      zn_in "$ns" ip route add default via "$gw"
  else
    zn_in "$E2E_NS" ip addr add "$gw/32" dev "$hd" &&
      zn_in "$E2E_NS" ip route add "${addr%/*}/32" dev "$hd" &&
      zn_in "$ns" ip route add "$gw" dev eth0 scope link &&
      zn_in "$ns" ip route add default via "$gw" dev eth0 || return 1
    # IPv6 as a pod gets it too: a /128, the default route through the
    # host side's link-local address.
    ipv6_on "$E2E_NS" "$hd" fe80::1/64 &&
      zn_in "$E2E_NS" ip -6 addr add "$OCI_HOST6/128" dev "$hd" nodad &&
      zn_in "$E2E_NS" ip -6 route add "$OCI_POD6/128" dev "$hd" &&
      ipv6_on "$ns" eth0 "$OCI_POD6/128" &&
      zn_in "$ns" ip -6 route add default via fe80::1 dev eth0
  fi
}

# oci_run ID IMAGE NS OUT [FLAGS...]: `ctr run` of IMAGE as ID in NS, in
# the background, bounded; its PID in OCI_RUN_PID.
oci_run() {
  local id=$1 image=$2 ns=$3 out=$4
  shift 4
  : >"$out"
  timeout 300 ctr -a "$T/ctd/containerd.sock" -n "$OCI_NS" run --rm \
    --with-ns "network:/var/run/netns/$ns" "$@" "$image" "$id" \
    </dev/null >"$out" 2>&1 &
  OCI_RUN_PID=$!
  OCI_PIDS+=("$OCI_RUN_PID")
}

# oci_wait_line FILE REGEX SECONDS PID: until FILE has a line matching,
# while PID runs.
oci_wait_line() {
  local i
  for i in $(seq 1 $(($3 * 10))); do
    grep -Eq "$2" "$1" 2>/dev/null && return 0
    kill -0 "$4" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# oci_wait_port ADDR PORT: until E2E_NS reaches ADDR:PORT (10 s).
oci_wait_port() {
  local i
  for i in $(seq 1 50); do
    in_ns_t 2 nc -z "$1" "$2" 2>/dev/null && return 0
    sleep 0.2
  done
  return 1
}

# oci_stopped NAME ID NS ADDR PID OUT: `ctr task kill` (SIGTERM) and what
# must follow: the task's end (status 143, said by znet-boot), nothing
# left running in NS, no TAP, no ingress qdisc, the address back.
oci_stopped() {
  local name=$1 id=$2 ns=$3 addr=$4 pid=$5 out=$6 rc i
  oci_ctr task kill "$id" >/dev/null 2>&1
  for i in $(seq 1 150); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    not_ok "OCI: $name: the task ends within 15 s of SIGTERM"
    return 1
  fi
  wait "$pid"
  rc=$?
  if [ "$rc" = 143 ] && grep -q '^znet-boot: the tender ended by signal 15' "$out"; then
    ok "OCI: $name: ctr task kill (SIGTERM): the task ends, status $rc, znet-boot says so"
  else
    not_ok "OCI: $name: ctr task kill (SIGTERM): the task ends, status $rc (not 143), znet-boot says so"
    grep -v '^Solo5: \|^ \|^$' "$out" | tail -8 | diag
  fi
  check "OCI: $name: nothing left running in its namespace (no solo5-spt)" \
    bash -c "[ -z \"\$(ip netns pids '$ns')\" ]"
  check "OCI: $name: zntap0 and eth0's ingress qdisc gone, eth0's address and routes back" \
    bash -c "! ip -n '$ns' link show zntap0 >/dev/null 2>&1 &&
      ! tc -n '$ns' qdisc show dev eth0 | grep -q ingress &&
      ip -n '$ns' -4 addr show dev eth0 | grep -q ' $addr/' &&
      ip -n '$ns' route show default | grep -q ."
}

# oci_runc: steps 3 and 4.
oci_runc() {
  local n1=${E2E_NS}o1 n2=${E2E_NS}o2 ip1=10.79.1.2 ip2=10.79.2.2
  oci_pod "$n1" "$ip1/24" 10.79.1.1 zoci1 10.79.1.1/24 &&
    oci_pod "$n2" "$ip2/32" 169.254.1.1 zoci2 ||
    { not_ok "OCI: two container namespaces with veths to $E2E_NS"; return 1; }
  local out1=$T/oci/ctr-nginx.out out2=$T/oci/ctr-redis.out p1 p2 r
  oci_run zoci-nginx localhost/znet/nginx:latest "$n1" "$out1" --cap-add CAP_NET_ADMIN
  p1=$OCI_RUN_PID
  oci_run zoci-redis localhost/znet/redis:latest "$n2" "$out2" --cap-add CAP_NET_ADMIN
  p2=$OCI_RUN_PID
  check "OCI: ctr run nginx (CAP_NET_ADMIN, no device given): znet-boot hands it $ip1/24" \
    oci_wait_line "$out1" "^znet-rt: $ip1/24 mac " 30 "$p1"
  check "OCI: ctr run redis at the same time: $ip2/32, gateway 169.254.1.1 off its prefix" \
    oci_wait_line "$out2" "^znet-rt: $ip2/32 mac " 30 "$p2"
  grep '^znet-boot\|^solo5-spt' "$out1" "$out2" | diag
  check "OCI: while it runs, eth0 has no IPv4 address (the unikernel's) and the tc redirect" \
    bash -c "! ip -n '$n1' -4 addr show dev eth0 | grep -q inet &&
      tc -n '$n1' filter show dev eth0 ingress | grep -q 'Egress Redirect to device zntap0'"
  oci_wait_port "$ip1" 80
  in_ns_t 10 curl -s -o "$T/oci/index.html" "http://$ip1/"
  check "OCI: nginx under runc: GET / from the root inside the image" \
    cmp -s "$T/oci/index.html" "$T/nginx-root/www/index.html"
  in_ns_t 60 curl -s -o "$T/oci/5m.bin" "http://$ip1/5m.bin"
  check "OCI: nginx under runc: a 5 MB file byte for byte through the tc redirect" \
    cmp -s "$T/oci/5m.bin" "$T/nginx-root/www/5m.bin"
  oci_wait_port "$ip2" 6379
  r=$(in_ns_t 10 redis-cli -h "$ip2" SET oci "redis in a container")
  check "OCI: redis under runc: SET answered OK" [ "$r" = OK ]
  r=$(in_ns_t 10 redis-cli -h "$ip2" GET oci)
  check "OCI: redis under runc: GET reads it back" [ "$r" = "redis in a container" ]
  r=$(in_ns_t 10 redis-cli -h "$OCI_POD6" GET oci)
  check "OCI: redis under runc over IPv6: its /128 and the gateway fe80::1 handed on, GET" \
    bash -c "[ '$r' = 'redis in a container' ] &&
      grep -q '^znet-rt: ipv6 $OCI_POD6/128 ' '$out2'"
  oci_stopped nginx zoci-nginx "$n1" "$ip1" "$p1" "$out1"
  oci_stopped redis zoci-redis "$n2" "$ip2" "$p2" "$out2"
  check "OCI: redis: its IPv6 address and default route back" \
    bash -c "ip -n '$n2' -6 addr show dev eth0 | grep -q ' $OCI_POD6/128' &&
      ip -n '$n2' -6 route show default | grep -q 'via fe80::1'"
  local out3=$T/oci/ctr-nocap.out
  oci_run zoci-nocap localhost/znet/nginx:latest "$n1" "$out3"
  wait_bg "$OCI_RUN_PID" 30
  r=$?
  check "OCI: without CAP_NET_ADMIN: status $r, one line saying what is missing" \
    bash -c "[ $r = 125 ] && grep -q '^znet-boot: needs CAP_NET_ADMIN' '$out3'"
  OCI_POD_NS=$n1
}

# oci_stateful: redis keeping its data on a disk in a volume directory
# of the container, its configuration from a ConfigMap-shaped directory
# (step 4b): znet-image --volume data --files cfg, znet-oci --volume
# data:/data:256M --files cfg:/etc/redis, `ctr run` with the two bind
# mounts a pod's volumes are.  The ConfigMap's setting is redis's; keys
# written with appendfsync everysec survive `ctr task kill` (SIGTERM to
# the image's signal port: redis ends, the image syncs, znet-boot fsyncs
# the disk file) into a second container on the same directory; the disk
# is clean to znet-disk fsck.
oci_stateful() {
  local redis ns=${E2E_NS}o3 ip=10.79.3.2 zoci=$B/oci/znet-oci zd=$B/disk/znet-disk
  if [ ! -x "$zd" ]; then
    skip_case "OCI: a volume and a ConfigMap" "no littlefs in $B (../shared/littlefs)"
    return 0
  fi
  redis=$(ls "$B"/pkgs/redis/redis-*/src/redis-server 2>/dev/null | head -1)
  build_step "OCI: redis-disk.spt (--volume data --files cfg) and its archive (znet-oci --volume data:/data:256M --files cfg:/etc/redis)" \
    "$T/oci/redis-disk.log" bash -c "'$ZIMG' --target spt --strip --block none \
      --volume data --files cfg -o '$T/oci/redis-disk.spt' '$redis' &&
      '$zoci' --tender '$tree/tenders/spt/solo5-spt' --volume data:/data:256M \
      --files cfg:/etc/redis -o '$T/oci/redis-disk.oci.tar' '$T/oci/redis-disk.spt' \
      -- -- /etc/redis/redis.conf --dir /data --appendonly yes \
      --appendfsync everysec --save \"''\" --protected-mode no &&
      timeout 60 ctr -a '$T/ctd/containerd.sock' -n '$OCI_NS' image import \
      '$T/oci/redis-disk.oci.tar'" || return 1
  # The volume, and a ConfigMap's mount as the kubelet lays it out.
  local pvc=$T/oci/pvc cm=$T/oci/cm stamp=..2026_11_30_00_00_00.000000001
  rm -rf "$pvc" "$cm" && mkdir -p "$pvc" "$cm/$stamp"
  printf 'maxmemory-policy allkeys-lru\n' >"$cm/$stamp/redis.conf"
  ln -s "$stamp" "$cm/..data" && ln -s ..data/redis.conf "$cm/redis.conf"
  # (Its own /24 with the gateway on the host side: the /32 and IPv6
  # form of the second pod would clash with that pod's routes.)
  oci_pod "$ns" "$ip/24" 10.79.3.1 zoci3 10.79.3.1/24 ||
    { not_ok "OCI: a third container namespace"; return 1; }
  local mounts=(--cap-add CAP_NET_ADMIN
    --mount "type=bind,src=$pvc,dst=/data,options=rbind:rw"
    --mount "type=bind,src=$cm,dst=/etc/redis,options=rbind:ro")
  local out=$T/oci/ctr-redis-disk.out p r i
  oci_run zoci-redis-disk localhost/znet/redis-disk:latest "$ns" "$out" "${mounts[@]}"
  p=$OCI_RUN_PID
  check "OCI: redis with a volume: znet-boot made the disk file in the volume's directory" \
    oci_wait_line "$out" "^znet-boot: /data/data.disk: the disk data made, 268435456 bytes" 30 "$p"
  oci_wait_port "$ip" 6379
  r=$(in_ns_t 10 redis-cli -h "$ip" CONFIG GET maxmemory-policy | tail -1)
  check "OCI: the ConfigMap's redis.conf (through its links) reached the image read-only: maxmemory-policy $r" \
    [ "$r" = allkeys-lru ]
  for i in $(seq 1 50); do echo "SET key$i value$i"; done |
    in_ns_t 20 redis-cli -h "$ip" >/dev/null
  oci_ctr task kill zoci-redis-disk >/dev/null 2>&1
  wait_bg "$p" 20
  r=$?
  grep '^znet-boot' "$out" | diag
  check "OCI: ctr task kill (SIGTERM) went to the image's port, redis ended (status $r), the disk file synced" \
    bash -c "[ $r = 0 ] && grep -q '^znet-boot: TERM sent to the image.s port 9' '$out' &&
      grep -q '^znet-boot: /data/data.disk: synced' '$out'"
  "$zd" fsck "$pvc/data.disk" >"$T/oci/fsck.out" 2>&1
  check "OCI: znet-disk fsck of the volume's disk: $(tail -1 "$T/oci/fsck.out")" \
    grep -q 'clean$' "$T/oci/fsck.out"
  out=$T/oci/ctr-redis-disk2.out
  oci_run zoci-redis-disk2 localhost/znet/redis-disk:latest "$ns" "$out" "${mounts[@]}"
  p=$OCI_RUN_PID
  oci_wait_port "$ip" 6379
  r=$(in_ns_t 10 redis-cli -h "$ip" MGET key1 key25 key50 | paste -sd,)
  check "OCI: a second container on the same volume: the keys back from the AOF ($r)" \
    [ "$r" = value1,value25,value50 ]
  oci_ctr task kill zoci-redis-disk2 >/dev/null 2>&1
  wait_bg "$p" 20
}

# oci_podman: step 5, in the first namespace again.
oci_podman() {
  local p=$T/podman ns=$OCI_POD_NS out=$T/oci/podman.out pid r
  OCI_PODMAN=(podman --root "$p/root" --runroot "$p/run" --tmpdir "$p/tmp"
    --storage-driver vfs --cgroup-manager cgroupfs --events-backend file)
  mkdir -p "$p/tmp"
  timeout 120 "${OCI_PODMAN[@]}" load -i "$T/oci/nginx.oci.tar" >"$T/oci/podman-load.log" 2>&1
  check "OCI: podman load nginx.oci.tar: localhost/znet/nginx:latest" \
    grep -q 'Loaded image.*znet/nginx:latest' "$T/oci/podman-load.log"
  timeout 120 "${OCI_PODMAN[@]}" run --rm --name zoci-podman \
    --network "ns:/var/run/netns/$ns" --cap-add NET_ADMIN \
    --device /dev/net/tun --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 \
    localhost/znet/nginx:latest </dev/null >"$out" 2>&1 &
  pid=$!
  OCI_PIDS+=("$pid")
  if oci_wait_line "$out" "^znet-rt: 10.79.1.2/24 " 60 "$pid" &&
    oci_wait_port 10.79.1.2 80; then
    in_ns_t 60 curl -s -o "$T/oci/5m.podman" "http://10.79.1.2/5m.bin"
    check "OCI: podman run (NET_ADMIN, /dev/net/tun, rlimits this sandbox allows): nginx's 5 MB file byte for byte" \
      cmp -s "$T/oci/5m.podman" "$T/nginx-root/www/5m.bin"
  else
    not_ok "OCI: podman run nginx"
    grep -v '^Solo5: \|^ ' "$out" | tail -5 | diag
  fi
  timeout 60 "${OCI_PODMAN[@]}" stop -t 10 zoci-podman >/dev/null 2>&1
  wait_bg "$pid" 20
  r=$?
  check "OCI: podman stop: status $r, the address back" \
    bash -c "[ $r = 143 ] && ip -n '$ns' -4 addr show dev eth0 | grep -q ' 10.79.1.2/'"
}

# oci_urunc NAME PORT: step 6 for one --urunc archive (unpacked by
# oci_archives), on scripts/images' TAP.
oci_urunc() {
  local name=$1 port=$2 d=$T/oci/x-$1-urunc out=$T/oci/urunc-$1.out
  local words bin cmd pid
  # urunc takes the container's arguments (the image's Cmd) as the
  # unikernel's command line; the binary from the annotation, under the
  # container's root.
  words=$(python3 -c 'import json, sys; print(" ".join(json.load(open(sys.argv[1]))))' "$d/cmd.json")
  bin=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["com.urunc.unikernel.binary"])' "$d/ann.json")
  # mirage.go's CommandString, then spt.go's line (256: urunc's memory
  # without a limit), split on single spaces as strings.Split does.
  cmd="$tree/tenders/spt/solo5-spt --mem=256 --net:service=$E2E_TAP $d/rootfs$bin"
  cmd+=" --ipv4=$IP/24 --ipv4-gateway=$E2E_KERNEL_IP $words"
  local args=()
  mapfile -d '' -t args < <(python3 -c 'import sys; sys.stdout.write("\0".join(sys.argv[1].split(" ")))' "$cmd")
  : >"$out"
  ip netns exec "$E2E_NS" timeout 120 "${args[@]}" >"$out" 2>&1 &
  pid=$!
  OCI_PIDS+=("$pid")
  check "OCI: urunc's command line for $name ($words): booted, $IP/24" \
    oci_wait_line "$out" "^znet-rt: $IP/24 mac " 30 "$pid"
  oci_wait_port "$IP" "$port"
  case $name in
  nginx)
    in_ns_t 10 curl -s -o "$T/oci/index.urunc" "http://$IP/"
    check "OCI: urunc's command line: nginx serves GET / from its root inside" \
      cmp -s "$T/oci/index.urunc" "$T/nginx-root/www/index.html"
    ;;
  redis)
    local r
    r=$(in_ns_t 10 redis-cli -h "$IP" SET u "urunc's words" && in_ns_t 10 redis-cli -h "$IP" GET u)
    check "OCI: urunc's command line: redis with its words (--save '' ...): SET, GET" \
      [ "$r" = "OK
urunc's words" ]
    r=$(in_ns_t 10 redis-cli -h "$IP" CONFIG GET save | tail -1)
    check "OCI: ... the quoted empty word arrived empty (CONFIG GET save: '$r')" [ -z "$r" ]
    ;;
  esac
  zn_stop "$pid" TERM 5
}

oci_main() {
  local p want=0 c
  $build_only && return 0
  for p in "${progs[@]}"; do
    case $p in nginx | redis) want=$((want + 1)) ;; esac
  done
  [ "$want" = 2 ] || return 0
  echo "# ---- nginx and redis as OCI images"
  for c in containerd ctr runc podman skopeo tc; do
    command -v "$c" >/dev/null ||
      { not_ok "OCI: $c installed (scripts/images' packages)"; return 1; }
  done
  trap 'oci_cleanup; e2e_cleanup' EXIT
  local t0=$SECONDS
  if oci_archives; then
    check "OCI: skopeo reads nginx.oci.tar (copied to a layout, digests checked)" \
      timeout 60 skopeo copy -q "oci-archive:$T/oci/nginx.oci.tar" "oci:$T/oci/copy:nginx"
    if oci_containerd; then
      oci_runc && oci_podman
      oci_stateful
    fi
    oci_urunc nginx 80
    oci_urunc redis 6379
  fi
  oci_cleanup
  trap e2e_cleanup EXIT
  ok "OCI: done in $((SECONDS - t0)) s"
}
