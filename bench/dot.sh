# The DNS-over-TLS part of scripts/bench (sourced by it, --only dot):
# znet-dns-blocker's DoT port against unbound's (Debian's, one thread),
# both answering from memory, dnsperf -m dot (Debian's) as the client, in
# HTTP_ROUNDS rounds (the web part's count), the servers' order
# alternating; server on SERVER_CPU, client on CLIENT_CPU.
#
#   dot-mem   dnsperf -m dot -c 4 -q 100 for RSECS s over 240 names:
#             unbound answers its local data; the blocker answers from
#             its cache (warmed by one pass first) or its blocklist
#   dot-fwd   the blocker alone with --cache 0: every allowed query goes
#             on over TLS to an unbound upstream on the TAP's kernel side
#             (the whole DoT forwarding path; unbound has no counterpart
#             here)
# The same P-256 certificate (the web part's) on both, connections kept
# open by dnsperf; both speak TLS 1.3 to it (the blocker TLS 1.2 until
# 062146c, when znet had no TLS 1.3).
# Each line recorded is "znb mode=WORKLOAD rps= p50_ms= lost=".

DOT_NAMES=200

# dot_prepare: unbound's configurations and the query file, in
# $SCRATCH/dot (the certificate comes from http_prepare).
dot_prepare() {
  local d=$SCRATCH/dot h=$SCRATCH/http i
  rm -rf "$d" && mkdir -p "$d" || return 1
  [ -f "$h/cert.pem" ] || http_prepare || return 1
  for i in $(seq 1 "$DOT_NAMES"); do
    echo "  local-data: \"h$i.allowed.test. 300 IN A 10.1.$((i / 250)).$((i % 250 + 1))\""
  done >"$d/zone.conf"
  {
    for i in $(seq 1 "$DOT_NAMES"); do
      echo "h$i.allowed.test A"
      [ $((i % 5)) -eq 0 ] && echo "ads$((i / 5)).blocked.test A"
    done
  } >"$d/queries"
  {
    echo "# blocklist for the DoT benchmark"
    for i in $(seq 1 40); do echo "0.0.0.0 ads$i.blocked.test"; done
  } >"$d/blocklist"
  # The blocked names exist in unbound's data too, so it answers all 240.
  for i in $(seq 1 40); do
    echo "  local-data: \"ads$i.blocked.test. 300 IN A 0.0.0.0\""
  done >>"$d/zone.conf"
  local where
  for where in tap:"$TAP_KERNEL" veth:"$VETH_SERVER"; do
    cat >"$d/unbound-${where%%:*}.conf" <<EOF
server:
  interface: ${where#*:}@853
  tls-port: 853
  tls-service-key: "$h/key.pem"
  tls-service-pem: "$h/cert.pem"
  tls-ciphers: "ECDHE-ECDSA-AES128-GCM-SHA256"
  tls-ciphersuites: "TLS_AES_128_GCM_SHA256"
  num-threads: 1
  incoming-num-tcp: 64
  access-control: 0.0.0.0/0 allow
  do-ip6: no
  do-daemonize: no
  username: ""
  chroot: ""
  directory: "$d"
  pidfile: ""
  use-syslog: no
  logfile: "$d/unbound-${where%%:*}.log"
  verbosity: 0
  module-config: "iterator"
  local-zone: "test." static
  include: "$d/zone.conf"
remote-control:
  control-enable: no
EOF
  done
}

# unbound_start NS WHICH ADDR: unbound (WHICH: tap or veth) in NS,
# pinned to SERVER_CPU; waits until it answers DoT.  Sets SERVER_PID.
unbound_start() {
  local ns=$1 which=$2 addr=$3 i
  ip netns exec "$ns" taskset -c "$SERVER_CPU" unbound -d \
    -c "$SCRATCH/dot/unbound-$which.conf" >"$SCRATCH/unbound-$which.out" 2>&1 &
  SERVER_PID=$!
  zn_bg "$SERVER_PID"
  for i in $(seq 1 50); do
    ip netns exec "$ns" timeout 3 kdig +tls +time=1 +retry=0 +short "@$addr" \
      h1.allowed.test 2>/dev/null | grep -q '^10\.' && return 0
    sleep 0.2
  done
  echo "bench: unbound ($which) did not start:" >&2
  cat "$SCRATCH/unbound-$which.out" >&2
  return 1
}

# dnsperf_line OUTFILE WORKLOAD
dnsperf_line() {
  awk -v w="$2" '
    /Queries per second:/ { q = $4 }
    /Queries lost:/ { lost = $3 }
    /Average Latency \(s\):/ && lat == "" { lat = $4 * 1000 } # queries, not connections
    END {
      if (q == "") exit 1
      printf "znb mode=%s rps=%.0f p50_ms=%.3f lost=%d\n", w, q, lat, lost
    }' "$1"
}

# dot_client NS ADDR STACK ROUND WORKLOAD
dot_client() {
  local ns=$1 addr=$2 stack=$3 round=$4 w=$5 line
  timeout $((${RSECS%.*} + 30)) ip netns exec "$ns" taskset -c "$CLIENT_CPU" \
    dnsperf -m dot -s "$addr" -d "$SCRATCH/dot/queries" -l "$RSECS" -c 4 \
    -q 100 -t 2 >"$SCRATCH/dnsperf.out" 2>>"$DIR/errors.log"
  # dnsperf gives "Average Latency (s)": recorded as p50_ms, said so in
  # the report.
  if line=$(dnsperf_line "$SCRATCH/dnsperf.out" "$w"); then
    record "$round" "$stack" "$w" "$line"
  else
    echo "bench: round $round $stack $w: FAILED (see errors.log)"
    { echo "round $round $stack $w failed:"; cat "$SCRATCH/dnsperf.out"; } >>"$DIR/errors.log"
  fi
}

# The blocker on the TAP, its upstream an unbound on the TAP's kernel
# side over DoT; the caller has started that unbound.
run_dot_blocker() {
  local round=$1 w=$2
  shift 2
  local blocker=$BUILD/examples/znet-dns-blocker h=$SCRATCH/http
  in_ns "$NS_TAP" ip neigh flush dev "$TAP"
  start_server "$NS_TAP" "$SCRATCH/server.out" "serving DNS" "$blocker" \
    --netif "tap:$TAP" --ipv4 "$TAP_STACK/24" --log warn \
    --upstream-tls "bench.test@$TAP_KERNEL" --ca "$h/cert.pem" \
    --tls-port 853 --cert "$h/cert.pem" --key "$h/key.pem" \
    --tls-sessions 16 --blocklist "$SCRATCH/dot/blocklist" "$@" || return 1
  # One pass first: the cache warm, the upstream connections open.
  ip netns exec "$NS_TAP" timeout 20 dnsperf -m dot -s "$TAP_STACK" \
    -d "$SCRATCH/dot/queries" -n 1 -c 1 -q 20 -t 2 >/dev/null 2>&1
  dot_client "$NS_TAP" "$TAP_STACK" znet-dns-blocker "$round" "$w"
  stop_pid "$SERVER_PID"
  cat "$SCRATCH/server.out.err" >>"$DIR/servers.log"
}

run_dot_unbound() {
  local round=$1
  offloads on
  unbound_start "$NS_VS" veth "$VETH_SERVER" || return 1
  dot_client "$NS_VC" "$VETH_SERVER" unbound "$round" dot-mem
  stop_pid "$SERVER_PID"
}

# run_dot: the rounds.  The TAP-side unbound (the blocker's upstream)
# runs throughout, on the client's CPU's neighbour: it is not measured.
run_dot() {
  dot_prepare || { echo "bench: cannot prepare the DoT files" >&2; return 1; }
  printf 'meta\tunbound\t%s\n' "$(unbound -V 2>&1 | sed -n 's/^Version //p' | head -1)" >>"$TSV"
  printf 'meta\tdnsperf\t%s\n' "$(dpkg-query -W -f='${Version}' dnsperf 2>/dev/null)" >>"$TSV"
  local round upstream_pid
  unbound_start "$NS_TAP" tap "$TAP_KERNEL" || return 1
  upstream_pid=$SERVER_PID
  for round in $(seq 1 "$HTTP_ROUNDS"); do
    wait_quiet "dot-$round"
    if [ $((round % 2)) = 1 ]; then
      run_dot_blocker "$round" dot-mem
      run_dot_unbound "$round"
    else
      run_dot_unbound "$round"
      run_dot_blocker "$round" dot-mem
    fi
    run_dot_blocker "$round" dot-fwd --cache 0
  done
  stop_pid "$upstream_pid"
}
