# znet's OCI images as Kubernetes pods on one node, driven as the kubelet
# drives them: through containerd's container runtime interface (CRI),
# with crictl and pod and container configurations of the kubelet's
# shape, the pods' addresses from CNI (docs/DEPLOY.md).  Sourced by
# scripts/images after tests/rt/images-oci.sh (`cri_main`), whose
# archives, static tender and pod namespace helpers it uses (B, T, ZIMG,
# tree, E2E_NS standing for the node).
#
#  1. crictl built from its module at the pinned version
#     (scripts/go-tools.sh), the pause image made by znet-oci --pause;
#  2. containerd (Debian's) with its CRI plugin, its root, state, socket,
#     CNI configuration and addresses' store in T, run in E2E_NS (so the
#     CNI bridge is made there, not in the machine's namespace), the
#     sandbox image named in its configuration, every image imported
#     into the CRI's namespace: no registry is asked for anything;
#  3. pods (`crictl runp`, `create`, `start`), each with its address from
#     the bridge and host-local plugins on a /24 of the node:
#       - nginx: curl from the node at the pod's address, byte for byte;
#         `crictl logs` shows the image's console, `crictl inspect` its
#         state;
#       - redis under a memory limit of 64 MiB: the tender's --mem is
#         the limit's share (znet-boot reads the container's cgroup);
#         SET with redis-cli;
#       - lua (LuaSocket) with the pod's args replacing the image's and
#         its env: the program sees both, and its script reads the key
#         from redis's pod at that pod's address: two pods on the bridge
#         reach each other;
#       - redis under a limit that leaves it less than its ZNET_MEM_MIN:
#         the container exits 125, its log says the limit it needs;
#       - redis with a volume (its disk file in the pod's directory) and
#         a ConfigMap-shaped mount: keys written, `crictl stop
#         --timeout` (the kubelet's graceful stop), the container
#         removed and created again in the same pod: the keys back;
#  4. with ZNET_URUNC_SRC (a urunc source tree: the Go module proxy
#     serves no urunc, so CI has none and says so): urunc and its shim
#     built from it as urunc's Makefile builds them, installed as the
#     runtime io.containerd.urunc.v2 under the handler "urunc" (what a
#     RuntimeClass names), and nginx's and redis's --urunc archives run
#     as pods with `crictl runp --runtime urunc`: urunc's own network
#     set-up hands the image the pod's address;
#  5. `crictl stop`, `rm`, `stopp`, `rmp` of every pod: no tender left,
#     no pod namespace, no veth on the bridge, every address given back
#     to host-local.
#
# Everything it starts is stopped by cri_cleanup, on the EXIT trap too.

CRI_SUBNET=10.80.0       # the node's pod range, a /24 (10.80.0.1: the bridge)
CRI_BRIDGE=zncri0
CRI_CTD_PID=""
CRI_PODS=()              # sandbox IDs to remove
CRI_URUNC=""             # the directory of urunc, its shim and solo5-spt

# cri_ctl ARGS...: crictl on this test's containerd (T/cri/crictl.yaml),
# bounded.
cri_ctl() {
  timeout 60 "$T/cri/bin/crictl" --config "$T/cri/crictl.yaml" "$@"
}

# cri_ctr ARGS...: ctr on the CRI's namespace, k8s.io.
cri_ctr() {
  timeout 60 ctr -a "$T/cri/containerd.sock" -n k8s.io "$@"
}

cri_up() {
  [ -S "$T/cri/containerd.sock" ] && cri_ctl version >/dev/null 2>&1
}

cri_cleanup() {
  local p
  if [ -n "$CRI_CTD_PID" ] && kill -0 "$CRI_CTD_PID" 2>/dev/null; then
    for p in "${CRI_PODS[@]}"; do
      cri_ctl stopp "$p" >/dev/null 2>&1
      cri_ctl rmp -f "$p" >/dev/null 2>&1
    done
    zn_stop "$CRI_CTD_PID" TERM 10
  fi
  CRI_PODS=()
  CRI_CTD_PID=""
  # A shim or a tender a killed containerd left behind (its socket is
  # under T: nothing else's matches).
  pkill -f -- "-address $T/cri/containerd.sock" 2>/dev/null
  for p in $(awk -v t="$T/cri/" 'index($2, t) == 1 { print $2 }' /proc/mounts | sort -r); do
    umount -l "$p" 2>/dev/null
  done
  for p in /var/run/netns/cni-*; do
    [ -e "$p" ] && grep -qs "$p" "$T/cri/netns.list" && ip netns del "$(basename "$p")" 2>/dev/null
  done
  return 0
}

# cri_setup: crictl, the pause image, containerd with CRI (steps 1, 2).
cri_setup() {
  local c=$T/cri zoci=$B/oci/znet-oci
  mkdir -p "$c/bin" "$c/cni/conf" "$c/cni/ipam" "$c/logs"
  if ! zn_go_tool crictl "$c/bin" "$c/crictl.build.log"; then
    not_ok "CRI: crictl $(zn_go_tool_row crictl | awk '{ print $3 }') built from its module"
    tail -5 "$c/crictl.build.log" | diag
    return 1
  fi
  ok "CRI: crictl $(zn_go_tool_row crictl | awk '{ print $3 }') built from its module (scripts/go-tools.sh)"
  build_step "CRI: the pause image (znet-oci --pause)" "$c/pause.log" \
    "$zoci" --pause -o "$c/pause.oci.tar" || return 1
  CRI_PAUSE=$(sed -n 's/^znet-oci: [^ ]*: \([^,]*\),.*/\1/p' "$c/pause.log")
  [ -n "$CRI_PAUSE" ] || { not_ok "CRI: the pause image's name"; return 1; }
  printf 'runtime-endpoint: unix://%s\nimage-endpoint: unix://%s\ntimeout: 30\n' \
    "$c/containerd.sock" "$c/containerd.sock" >"$c/crictl.yaml"
  # The bridge and host-local: the pods' /24, the bridge its gateway.
  cat >"$c/cni/conf/10-znet.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "znet-pods",
  "plugins": [{
    "type": "bridge",
    "bridge": "$CRI_BRIDGE",
    "isGateway": true,
    "ipMasq": false,
    "hairpinMode": false,
    "ipam": {
      "type": "host-local",
      "dataDir": "$c/cni/ipam",
      "ranges": [[{"subnet": "$CRI_SUBNET.0/24", "gateway": "$CRI_SUBNET.1"}]],
      "routes": [{"dst": "0.0.0.0/0"}]
    }
  }]
}
EOF
  cat >"$c/config.toml" <<EOF
version = 2
root = "$c/root"
state = "$c/state"
[grpc]
  address = "$c/containerd.sock"
[ttrpc]
  address = "$c/containerd.sock.ttrpc"
[debug]
  address = "$c/debug.sock"
[plugins."io.containerd.internal.v1.opt"]
  path = "$c/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$CRI_PAUSE"
  enable_selinux = false
  # The pause container's oom_score_adj is -998: lowering it takes
  # CAP_SYS_RESOURCE, which this sandbox's root lacks (as a node in a
  # user namespace does); restricted, no lower than containerd's own.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$c/cni/conf"
    max_conf_num = 1
EOF
  # urunc: its shim is found on containerd's PATH by the runtime type's
  # name (containerd-shim-urunc-v2), urunc and solo5-spt on the shim's.
  if [ -n "$CRI_URUNC" ]; then
    cat >>"$c/config.toml" <<EOF
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.urunc]
  runtime_type = "io.containerd.urunc.v2"
  container_annotations = ["com.urunc.unikernel.*"]
  pod_annotations = ["com.urunc.unikernel.*"]
EOF
  fi
  # In E2E_NS's network namespace, the machine's mounts otherwise: the
  # bridge is made there, and the pods' namespaces are files any test
  # process sees.
  PATH=${CRI_URUNC:+$CRI_URUNC:}$PATH nsenter --net="/var/run/netns/$E2E_NS" timeout 900 containerd \
    --config "$c/config.toml" >"$c/containerd.log" 2>&1 &
  CRI_CTD_PID=$!
  local i
  for i in $(seq 1 100); do
    cri_up && break
    sleep 0.2
  done
  check "CRI: containerd $(containerd --version | awk '{ print $3 }') with its CRI plugin, in $E2E_NS, its files in $c" cri_up
  cri_up || { grep -i 'level=error' "$c/containerd.log" | tail -5 | diag; return 1; }
  local a
  for a in pause nginx redis lua redis-min redis-disk nginx-urunc redis-urunc; do
    [ -f "$c/$a.oci.tar" ] || [ -f "$T/oci/$a.oci.tar" ] || continue
    local f=$c/$a.oci.tar
    [ -f "$f" ] || f=$T/oci/$a.oci.tar
    cri_ctr image import "$f" >"$c/import-$a.log" 2>&1 ||
      { not_ok "CRI: ctr -n k8s.io image import $a.oci.tar"; diag <"$c/import-$a.log"; return 1; }
  done
  cri_ctl images >"$c/images.txt" 2>&1
  check "CRI: crictl images lists the pause image and the znet images, imported (no registry)" \
    bash -c "grep -q 'znet/pause' '$c/images.txt' && grep -q 'znet/nginx' '$c/images.txt' &&
      grep -q 'znet/redis-disk' '$c/images.txt'"
}

# cri_pod_json NAME [HOSTDIR]: the pod's configuration as the kubelet
# sends it (name, namespace, uid, host name, log directory, DNS, the
# pod's network namespace its own), into T/cri/NAME.pod.json.
cri_pod_json() {
  local name=$1
  mkdir -p "$T/cri/logs/$name"
  python3 - "$T/cri/$name.pod.json" "$name" "$T/cri/logs/$name" <<'PY'
import json, sys
out, name, logs = sys.argv[1:]
json.dump({
    'metadata': {'name': name, 'namespace': 'default', 'uid': 'uid-' + name,
                 'attempt': 0},
    'hostname': name,
    'log_directory': logs,
    'dns_config': {'servers': ['10.80.0.1'],
                   'searches': ['default.svc.cluster.local'],
                   'options': ['ndots:5']},
    'labels': {'app': name},
    'annotations': {},
    'linux': {'security_context': {'namespace_options': {'network': 0,
                                                         'pid': 1,
                                                         'ipc': 0}}},
}, open(out, 'w'), indent=1)
PY
}

# cri_ctr_json NAME IMAGE MEM_MIB ARGS_JSON ENV_JSON MOUNTS_JSON: the
# container's configuration as the kubelet sends it (the image, args
# replacing its Cmd, env, mounts, the memory limit, CAP_NET_ADMIN added,
# RuntimeDefault seccomp), into T/cri/NAME.ctr.json.  MEM_MIB 0: none.
cri_ctr_json() {
  python3 - "$T/cri/$1.ctr.json" "$@" <<'PY'
import json, sys
out, name, image, mem, args, env, mounts = sys.argv[1:]
c = {
    'metadata': {'name': name, 'attempt': 0},
    'image': {'image': image},
    'envs': [{'key': k, 'value': v} for k, v in json.loads(env)],
    'mounts': [{'container_path': d, 'host_path': h, 'readonly': ro}
               for d, h, ro in json.loads(mounts)],
    'log_path': name + '.log',
    'linux': {
        'resources': {'cpu_shares': 2, 'oom_score_adj': 1000},
        'security_context': {
            'capabilities': {'add_capabilities': ['NET_ADMIN']},
            'namespace_options': {'pid': 1},
            'seccomp': {'profile_type': 0},
        },
    },
}
if json.loads(args):
    c['args'] = json.loads(args)
if int(mem):
    c['linux']['resources']['memory_limit_in_bytes'] = int(mem) << 20
json.dump(c, open(out, 'w'), indent=1)
PY
}

# cri_runp POD [RUNP_FLAGS...]: the pod (runp), its ID in CRI_POD, its
# network namespace's path kept for the tear-down's check.
cri_runp() {
  local pod=$1
  shift
  CRI_POD=$(cri_ctl runp "$@" "$T/cri/$pod.pod.json" 2>"$T/cri/$pod.runp.err") ||
    { diag <"$T/cri/$pod.runp.err"; return 1; }
  CRI_PODS+=("$CRI_POD")
  cri_ctl inspectp -o json "$CRI_POD" 2>/dev/null |
    python3 -c 'import json,sys; print(*[n["path"] for n in json.load(sys.stdin)["info"]["runtimeSpec"]["linux"]["namespaces"] if n["type"] == "network"])' \
      >>"$T/cri/netns.list" 2>/dev/null
  return 0
}

# cri_run POD CTR: the pod (runp) and its container (create, start); the
# pod's ID in CRI_POD, the container's in CRI_CTR.  1 if a step fails.
cri_run() {
  cri_runp "$1" && cri_create_start "$CRI_POD" "$2" "$1"
}

# cri_create_start POD_ID CTR PODNAME: a container created in the pod and
# started; its ID in CRI_CTR.
cri_create_start() {
  CRI_CTR=$(cri_ctl create "$1" "$T/cri/$2.ctr.json" "$T/cri/$3.pod.json" 2>"$T/cri/$2.create.err") &&
    cri_ctl start "$CRI_CTR" >/dev/null 2>"$T/cri/$2.start.err" ||
    { cat "$T/cri/$2.create.err" "$T/cri/$2.start.err" 2>/dev/null | diag; return 1; }
}

# cri_pod_ip POD_ID: the pod's address, as CNI gave it.
cri_pod_ip() {
  cri_ctl inspectp -o json "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"]["network"]["ip"])'
}

# cri_state CTR_ID: the container's state and exit code ("CONTAINER_RUNNING 0").
cri_state() {
  cri_ctl inspect -o json "$1" |
    python3 -c 'import json,sys; s=json.load(sys.stdin)["status"]; print(s["state"], s.get("exitCode", 0))'
}

# cri_log_has CTR_ID REGEX: the container's log has a line matching.
cri_log_has() {
  cri_ctl logs "$1" 2>&1 | grep -Eq "$2"
}

# cri_wait_log CTR_ID REGEX SECONDS: until the container's log (crictl
# logs) has a line matching.
cri_wait_log() {
  local i
  for i in $(seq 1 $(($3 * 5))); do
    cri_log_has "$1" "$2" && return 0
    sleep 0.2
  done
  return 1
}

# cri_wait_exit CTR_ID SECONDS: until the container has exited.
cri_wait_exit() {
  local i
  for i in $(seq 1 $(($2 * 5))); do
    cri_state "$1" | grep -q '^CONTAINER_EXITED' && return 0
    sleep 0.2
  done
  return 1
}

# cri_tender_line POD_IP: the command line of the tender whose image
# has POD_IP.
cri_tender_line() {
  local pid
  for pid in $(pgrep -x solo5-spt); do
    if tr '\0' ' ' </proc/"$pid"/cmdline 2>/dev/null | grep -q -- "--ipv4=$1/"; then
      tr '\0' ' ' </proc/"$pid"/cmdline
      return 0
    fi
  done
  return 1
}

# cri_tender_mem POD_IP: the --mem of the tender whose image has POD_IP.
cri_tender_mem() {
  cri_tender_line "$1" | tr ' ' '\n' | sed -n 's/^--mem=//p'
}

# cri_archives: the images these pods run besides images-oci.sh's:
# redis whose least memory is said (--mem-min 24: it starts in 24 MiB
# and not in 16, where its threads' stacks do not fit), and lua with
# LuaSocket (scripts/images' lua.spt and its root archive).
cri_archives() {
  local zoci=$B/oci/znet-oci
  build_step "CRI: redis with --mem-min 24 (znet-oci)" "$T/cri/redis-min.log" \
    "$zoci" --tender "$T/oci/solo5-spt" --mem-min 24 --name localhost/znet/redis-min:latest \
    -o "$T/cri/redis-min.oci.tar" "$T/oci/redis.spt" -- -- --save "''" \
    --appendonly no --protected-mode no || return 1
  if [ -f "$B/img/lua.spt" ] && [ -f "$B/img/lua.spt.tar" ]; then
    build_step "CRI: lua's archive, its root on the block device (znet-oci --root)" \
      "$T/cri/lua.log" "$zoci" --tender "$T/oci/solo5-spt" --root "$B/img/lua.spt.tar" \
      -o "$T/cri/lua.oci.tar" "$B/img/lua.spt" -- -- -v || return 1
  fi
}

# cri_nginx_files IP TAG: nginx at IP answers GET / and the 5 MB file
# with the root's bytes (fetched into T/cri/*.TAG).
cri_nginx_files() {
  oci_wait_port "$1" 80
  in_ns_t 10 curl -s -o "$T/cri/index.$2" "http://$1/" &&
    in_ns_t 60 curl -s -o "$T/cri/5m.$2" "http://$1/5m.bin" &&
    cmp -s "$T/cri/index.$2" "$T/nginx-root/www/index.html" &&
    cmp -s "$T/cri/5m.$2" "$T/nginx-root/www/5m.bin"
}

# cri_nginx: the first pod (step 3, nginx).
cri_nginx() {
  local ip r
  cri_pod_json nginx
  cri_ctr_json nginx localhost/znet/nginx:latest 0 '[]' '[]' '[]'
  cri_run nginx nginx || { not_ok "CRI: nginx: runp, create, start"; return 1; }
  ip=$(cri_pod_ip "$CRI_POD")
  check "CRI: nginx: the pod's address from CNI's host-local: $ip" \
    bash -c "[[ '$ip' == $CRI_SUBNET.* ]]"
  check "CRI: nginx: crictl logs shows the image's console (znet-rt: $ip/24)" \
    cri_wait_log "$CRI_CTR" "^znet-rt: $ip/24 mac " 30
  check "CRI: nginx: GET / and a 5 MB file from the node at the pod's address, byte for byte" \
    cri_nginx_files "$ip" runc
  r=$(cri_state "$CRI_CTR")
  check "CRI: nginx: crictl inspect: $r" [ "$r" = "CONTAINER_RUNNING 0" ]
}

# cri_redis: redis under a memory limit (step 3).
cri_redis() {
  local ip1 r m
  cri_pod_json redis1
  cri_ctr_json redis1 localhost/znet/redis:latest 64 '[]' '[]' '[]'
  cri_run redis1 redis1 || { not_ok "CRI: redis: runp, create, start"; return 1; }
  ip1=$(cri_pod_ip "$CRI_POD")
  cri_wait_log "$CRI_CTR" "^znet-rt: $ip1/24 mac " 30
  m=$(cri_tender_mem "$ip1")
  [ "$m" = 56 ] || m="$m, not 56"
  check "CRI: redis under a 64 MiB limit: the tender's --mem is $m (the limit less znet-boot's reserve), its log says so" \
    cri_wait_log "$CRI_CTR" "^znet-boot: the container.s memory limit, 64 MiB, leaves the image 56 MiB" 5
  oci_wait_port "$ip1" 6379
  r=$(in_ns_t 10 redis-cli -h "$ip1" SET pods "one bridge, two pods")
  check "CRI: redis: SET from the node at $ip1" [ "$r" = OK ]
  CRI_REDIS_IP=$ip1
}

# cri_lua: the pod's args and env reach the program, and a second pod
# reaches the first by its address on the bridge: lua's script (one word
# of the image's command line, quoted for it) prints the env, then asks
# redis's pod for the key the node set, over LuaSocket.
cri_lua() {
  local r args
  if [ ! -f "$T/cri/lua.oci.tar" ]; then
    skip_case "CRI: lua's args and env, and a pod reaching another" "lua is not in this run"
    return 0
  fi
  args=$(python3 -c 'import json, sys
script = ("print([[env:]]..os.getenv[[GREETING]]..[[|]]..os.getenv[[EMPTY]]..[[|]]) "
          "s=require[[socket]] c=assert(s.connect([[" + sys.argv[1] + "]],6379)) "
          "c:send([[GET pods]]..string.char(13,10)) c:receive[[*l]] "
          "print([[peer:]]..c:receive[[*l]])")
print(json.dumps(["--", "-e", "\x27" + script + "\x27"]))' "$CRI_REDIS_IP")
  cri_pod_json lua
  cri_ctr_json lua localhost/znet/lua:latest 0 "$args" \
    "[[\"GREETING\", \"hello, it's a pod: \\\"quoted\\\" \$HOME\"], [\"EMPTY\", \"\"]]" '[]'
  cri_run lua lua || { not_ok "CRI: lua: runp, create, start"; return 1; }
  cri_wait_exit "$CRI_CTR" 30
  r=$(cri_ctl logs "$CRI_CTR" 2>&1 | sed -n 's/^env://p')
  check "CRI: lua: the pod's args ran and its env reached the program as it was ('$r')" \
    [ "$r" = "hello, it's a pod: \"quoted\" \$HOME||" ]
  r=$(cri_ctl logs "$CRI_CTR" 2>&1 | sed -n 's/^peer://p')
  check "CRI: two pods on one bridge: lua's reached redis's at $CRI_REDIS_IP and read the key ('$r')" \
    [ "$r" = "one bridge, two pods" ]
  r=$(cri_state "$CRI_CTR")
  check "CRI: lua: it ended: $r" [ "$r" = "CONTAINER_EXITED 0" ]
}

# cri_too_little: a limit below the image's least memory.
cri_too_little() {
  local r
  cri_pod_json small
  cri_ctr_json small localhost/znet/redis-min:latest 16 '[]' '[]' '[]'
  cri_run small small || { not_ok "CRI: a pod whose limit is too small"; return 1; }
  cri_wait_exit "$CRI_CTR" 30
  r=$(cri_state "$CRI_CTR")
  check "CRI: redis (ZNET_MEM_MIN 24) under a 16 MiB limit: $r" [ "$r" = "CONTAINER_EXITED 125" ]
  check "CRI: ... its log says the limit it needs" cri_wait_log "$CRI_CTR" \
    "^znet-boot: the image needs 24 MiB \(ZNET_MEM_MIN\), and a memory limit of 16 MiB leaves it 8: give the container a limit of 32 MiB or more" 5
}

# cri_stateful: a volume and a ConfigMap; a graceful stop; the container
# created again in the same pod finds its data.
cri_stateful() {
  local pvc=$T/cri/pvc cm=$T/cri/cm stamp=..2026_11_30_00_00_00.000000002 ip r i
  if [ ! -f "$T/oci/redis-disk.oci.tar" ]; then
    skip_case "CRI: a volume and a ConfigMap" "no redis-disk archive (no littlefs)"
    return 0
  fi
  rm -rf "$pvc" "$cm" && mkdir -p "$pvc" "$cm/$stamp"
  printf 'maxmemory-policy volatile-lfu\n' >"$cm/$stamp/redis.conf"
  ln -s "$stamp" "$cm/..data" && ln -s ..data/redis.conf "$cm/redis.conf"
  cri_pod_json state
  cri_ctr_json state localhost/znet/redis-disk:latest 0 '[]' '[]' \
    "[[\"/data\", \"$pvc\", false], [\"/etc/redis\", \"$cm\", true]]"
  cri_run state state || { not_ok "CRI: redis with a volume: runp, create, start"; return 1; }
  ip=$(cri_pod_ip "$CRI_POD")
  oci_wait_port "$ip" 6379
  r=$(in_ns_t 10 redis-cli -h "$ip" CONFIG GET maxmemory-policy | tail -1)
  check "CRI: the ConfigMap-shaped mount reached the image: maxmemory-policy $r" \
    [ "$r" = volatile-lfu ]
  for i in $(seq 1 40); do echo "SET pod$i value$i"; done | in_ns_t 20 redis-cli -h "$ip" >/dev/null
  local t0=$SECONDS
  cri_ctl stop --timeout 20 "$CRI_CTR" >/dev/null 2>&1
  r=$(cri_state "$CRI_CTR")
  check "CRI: crictl stop --timeout 20: redis ended on the stop ($r, in $((SECONDS - t0)) s)" \
    [ "$r" = "CONTAINER_EXITED 0" ]
  # (The log's last lines may reach its file just after the exit.)
  check "CRI: ... the stop went to the image's port and the disk file was synced" \
    cri_wait_log "$CRI_CTR" "^znet-boot: /data/data.disk: synced" 5
  cri_ctl rm "$CRI_CTR" >/dev/null 2>&1
  sed -i 's/"attempt": 0/"attempt": 1/' "$T/cri/state.ctr.json"
  cri_create_start "$CRI_POD" state state || { not_ok "CRI: the container created again in its pod"; return 1; }
  oci_wait_port "$ip" 6379
  r=$(in_ns_t 10 redis-cli -h "$ip" MGET pod1 pod20 pod40 | paste -sd,)
  check "CRI: the container created again in the same pod, on the same volume: the keys back ($r)" \
    [ "$r" = value1,value20,value40 ]
}

# cri_teardown: every pod stopped and removed, and nothing left (step 4).
cri_teardown() {
  local p c left
  for p in "${CRI_PODS[@]}"; do
    for c in $(cri_ctl ps -a -q --pod "$p" 2>/dev/null); do
      cri_ctl stop --timeout 10 "$c" >/dev/null 2>&1
      cri_ctl rm "$c" >/dev/null 2>&1
    done
    cri_ctl stopp "$p" >/dev/null 2>&1
    cri_ctl rmp "$p" >/dev/null 2>&1
  done
  CRI_PODS=()
  left=$(cri_ctl pods -q 2>/dev/null | wc -l)
  check "CRI: crictl stop, rm, stopp, rmp: no pod left ($left)" [ "$left" = 0 ]
  left=$(pgrep -c -x solo5-spt)
  check "CRI: no tender left ($left)" [ "$left" = 0 ]
  left=0
  while read -r p; do
    [ -n "$p" ] && [ -e "$p" ] && left=$((left + 1))
  done <"$T/cri/netns.list"
  check "CRI: no pod network namespace left ($left of $(wc -l <"$T/cri/netns.list"))" [ "$left" = 0 ]
  left=$(zn_in "$E2E_NS" ip -o link show master "$CRI_BRIDGE" 2>/dev/null | wc -l)
  check "CRI: no veth left on the bridge $CRI_BRIDGE ($left)" [ "$left" = 0 ]
  left=$(find "$T/cri/cni/ipam" -type f -name "$CRI_SUBNET.*" | wc -l)
  check "CRI: every address given back to host-local ($left held)" [ "$left" = 0 ]
}

# cri_urunc_build: urunc and containerd-shim-urunc-v2 built from
# ZNET_URUNC_SRC (copied: the tree is not changed) as urunc's Makefile
# builds them: its modules vendored, go-runc's default command made
# "urunc" in the vendored copy (so the shim runs urunc, not runc),
# urunc with cgo (runc's nsenter) linked static, the shim without; and
# the static solo5-spt beside them, all under B (urunc puts the tender
# in the container's root at its host path, then a tmpfs on /tmp: one
# under /tmp, as T is, would be hidden, and the container would end
# with "no such file or directory").  Sets CRI_URUNC.
cri_urunc_build() {
  local d=$B/cri-urunc go
  if [ -z "${ZNET_URUNC_SRC:-}" ]; then
    skip_case "CRI: urunc runs znet images (crictl runp --runtime urunc)" \
      "no urunc source tree (ZNET_URUNC_SRC): the Go module proxy serves no urunc (github.com/nubificus/urunc, github.com/urunc-dev/urunc: every version refused); docs/DEPLOY.md, bench/results/urunc"
    return 0
  fi
  go=$(zn_go_bin) || { not_ok "CRI: urunc: a go command"; return 0; }
  mkdir -p "$d/bin" && rm -rf "$d/src" && cp -a "$ZNET_URUNC_SRC" "$d/src" && rm -rf "$d/src/vendor" ||
    { not_ok "CRI: urunc: $ZNET_URUNC_SRC copied"; return 0; }
  build_step "CRI: urunc $(cat "$d/src/VERSION" 2>/dev/null) and its shim built from $ZNET_URUNC_SRC as its Makefile builds them" \
    "$d/build.log" bash -c "cd '$d/src' && GOFLAGS=-mod=mod '$go' mod vendor &&
      sed -i 's/DefaultCommand = \"runc\"/DefaultCommand = \"urunc\"/' vendor/github.com/containerd/go-runc/runc.go &&
      grep -q 'DefaultCommand = \"urunc\"' vendor/github.com/containerd/go-runc/runc.go &&
      CGO_ENABLED=1 '$go' build -mod=vendor -trimpath -tags 'netgo osusergo' \
        -ldflags '-linkmode external -extldflags -static -s -w' -o '$d/bin/urunc' ./cmd/urunc &&
      CGO_ENABLED=0 '$go' build -mod=vendor -trimpath -ldflags '-s -w' \
        -o '$d/bin/containerd-shim-urunc-v2' ./cmd/containerd-shim-urunc-v2" || return 0
  cp "$T/oci/solo5-spt" "$d/bin/solo5-spt" && CRI_URUNC=$d/bin
}


# cri_urunc: nginx's and redis's --urunc archives as pods of the
# runtime handler urunc (step 4).
cri_urunc() {
  local ip r line
  [ -n "$CRI_URUNC" ] || return 0
  cri_pod_json nginx-urunc
  cri_ctr_json nginx-urunc localhost/znet/nginx:urunc 0 '[]' '[]' '[]'
  cri_runp nginx-urunc --runtime urunc ||
    { not_ok "CRI: urunc: crictl runp --runtime urunc"; return 1; }
  cri_create_start "$CRI_POD" nginx-urunc nginx-urunc ||
    { not_ok "CRI: urunc: nginx created and started"; return 1; }
  ip=$(cri_pod_ip "$CRI_POD")
  if ! cri_wait_log "$CRI_CTR" "^znet-rt: $ip/24 mac " 30; then
    not_ok "CRI: urunc: nginx's pod ($ip) runs the image (crictl logs: znet-rt: $ip/24)"
    { cri_state "$CRI_CTR"; cri_ctl logs "$CRI_CTR" 2>&1 | tail -20; } | diag
    return 1
  fi
  ok "CRI: urunc: nginx's pod ($ip) runs the image (crictl logs: znet-rt: $ip/24)"
  line=$(cri_tender_line "$ip")
  echo "# urunc ran: $line"
  check "CRI: urunc: the tender is urunc's, the pod's address from urunc's network set-up (--net:service=tap0_urunc --ipv4=$ip/24)" \
    bash -c "[[ '$line' == *'--net:service=tap0_urunc /znet/image --ipv4=$ip/24 --ipv4-gateway=$CRI_SUBNET.1'* ]]"
  check "CRI: urunc: GET / and a 5 MB file at the pod's address, byte for byte" \
    cri_nginx_files "$ip" urunc
  cri_pod_json redis-urunc
  cri_ctr_json redis-urunc localhost/znet/redis:urunc 0 '[]' '[]' '[]'
  cri_runp redis-urunc --runtime urunc && cri_create_start "$CRI_POD" redis-urunc redis-urunc ||
    { not_ok "CRI: urunc: redis's pod"; return 1; }
  ip=$(cri_pod_ip "$CRI_POD")
  cri_wait_log "$CRI_CTR" "^znet-rt: $ip/24 mac " 30
  oci_wait_port "$ip" 6379
  r=$(in_ns_t 10 redis-cli -h "$ip" SET u "urunc's pod" && in_ns_t 10 redis-cli -h "$ip" GET u)
  check "CRI: urunc: redis's pod at $ip with its words (--save '' ...): SET, GET" \
    [ "$r" = "OK
urunc's pod" ]
  local t0=$SECONDS
  cri_ctl stop --timeout 10 "$CRI_CTR" >/dev/null 2>&1
  r=$(cri_state "$CRI_CTR")
  check "CRI: urunc: crictl stop --timeout 10: $r in $((SECONDS - t0)) s" \
    bash -c "[[ '$r' == CONTAINER_EXITED* ]]"
}

cri_main() {
  local p want=0
  $build_only && return 0
  for p in "${progs[@]}"; do
    case $p in nginx | redis) want=$((want + 1)) ;; esac
  done
  [ "$want" = 2 ] || return 0
  [ -f "$T/oci/nginx.oci.tar" ] && [ -f "$T/oci/redis.oci.tar" ] ||
    { not_ok "CRI: the OCI archives of tests/rt/images-oci.sh"; return 1; }
  echo "# ---- nginx, redis and lua as pods through containerd's CRI"
  for p in containerd ctr runc nsenter; do
    command -v "$p" >/dev/null || { not_ok "CRI: $p installed"; return 1; }
  done
  [ -x /usr/lib/cni/bridge ] && [ -x /usr/lib/cni/host-local ] ||
    { not_ok "CRI: CNI's bridge and host-local plugins (containernetworking-plugins)"; return 1; }
  trap 'cri_cleanup; e2e_cleanup' EXIT
  local t0=$SECONDS
  mkdir -p "$T/cri"
  : >"$T/cri/netns.list"
  if cri_archives && cri_urunc_build && cri_setup; then
    cri_nginx
    cri_redis
    cri_lua
    cri_too_little
    cri_stateful
    cri_urunc
    cri_teardown
  fi
  cri_cleanup
  trap e2e_cleanup EXIT
  ok "CRI: done in $((SECONDS - t0)) s"
}
