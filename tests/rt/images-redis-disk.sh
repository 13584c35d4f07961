# redis keeping its data on an image's disk, killed: no acknowledged
# write lost.  Sourced by scripts/images, which calls it after redis's
# checks on spt:
#
#   redis_disk_check PROGRAM KILLS [REPORT]
#
#  1. PROGRAM (redis-server) made an spt image with a disk
#     (znet-image --volume data), the disk a blank 64 MiB host file
#     (formatted at the first mount); the image runs redis with
#     --mount /data=data, --dir /data, appendonly yes, appendfsync always.
#  2. KILLS times: boot on the same disk; redis must answer (its AOF
#     loaded: the boot after a kill replays it) and hold every write
#     acknowledged before the last kill (each counter at least its last
#     INCR's answer, at most that plus the one in flight; each key SET
#     with its value); then a client (Python, one command at a time,
#     each answer logged before the next is sent) makes INCRs on 8
#     counters and SETs of new keys, and a random 0.3 to 2 s after its
#     first answer the tender is killed (SIGKILL) under it.
#  3. The RDB: appendonly no, keys SET, SAVE answered, the tender killed;
#     booted again on the disk, every key is there (dump.rdb loaded).
#  4. znet-disk fsck on the disk: clean.
#  With REPORT, a table of the kills (bench/results/redis-disk.md).
#
# Uses scripts/images' variables (B, T, ZIMG, IP, E2E_NS, E2E_TAP) and
# helpers (in_ns_t, wait_port); needs python3 and znet-disk ($B/disk).

# The client: INCR and SET, one at a time, until its connection dies;
# each acknowledged write a line of its log (flushed) before the next.
rd_client() {
  cat >"$T/rd-client.py" <<'EOF'
import socket, sys, time
host, log, start = sys.argv[1], sys.argv[2], int(sys.argv[3])
out = open(log, "a", buffering=1)
# (The first connect may find no route yet: the namespace's neighbour
# entry is the killed image's until it is learned again.)
for attempt in range(100):
    try:
        s = socket.create_connection((host, 6379), timeout=5)
        break
    except OSError as e:
        if attempt == 99:
            sys.exit("connect: %s" % e)
        time.sleep(0.1)
f = s.makefile("rb")
def cmd(*words):
    req = b"*%d\r\n" % len(words)
    for w in words:
        w = w.encode()
        req += b"$%d\r\n%s\r\n" % (len(w), w)
    s.sendall(req)
    return f.readline()
i = start
try:
    while True:
        c = "c%d" % (i % 8)
        out.write("try I %s\n" % c)
        r = cmd("INCR", c)
        if not r.startswith(b":"):
            sys.exit("INCR %s: %r" % (c, r))
        out.write("I %s %d\n" % (c, int(r[1:])))
        k = "k%d" % i
        out.write("try S %s\n" % k)
        r = cmd("SET", k, "v%d" % i)
        if r != b"+OK\r\n":
            sys.exit("SET %s: %r" % (k, r))
        out.write("S %s v%d\n" % (k, i))
        i += 1
except (OSError, ConnectionError):
    pass
EOF
}

# rd_verify LOG: every acknowledged write of LOG in the running redis.
# Prints what is missing (nothing: all there).
rd_verify() {
  cat >"$T/rd-verify.py" <<'EOF'
import socket, sys
host, log = sys.argv[1], sys.argv[2]
s = socket.create_connection((host, 6379), timeout=10)
f = s.makefile("rb")
def get(k):
    w = k.encode()
    s.sendall(b"*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n" % (len(w), w))
    h = f.readline()
    if h.startswith(b"$-1"):
        return None
    n = int(h[1:])
    v = f.read(n + 2)[:-2]
    return v.decode()
acked, inflight, sets = {}, {}, {}
for line in open(log):
    w = line.split()
    if w[0] == "I":
        acked[w[1]] = int(w[2])
    elif w[0] == "S":
        sets[w[1]] = w[2]
    elif w[0] == "try" and w[1] == "I":
        inflight[w[2]] = inflight.get(w[2], 0) + 1
bad = []
for c, n in acked.items():
    v = get(c)
    if v is None or int(v) < n:
        bad.append("%s=%s, acknowledged %d" % (c, v, n))
    elif int(v) > inflight.get(c, 0):
        bad.append("%s=%s, more than the %d INCRs sent" % (c, v, inflight[c]))
for k, v in sets.items():
    got = get(k)
    if got != v:
        bad.append("%s=%s, acknowledged %s" % (k, got, v))
print("; ".join(bad[:5]) + ("" if len(bad) <= 5 else " (and %d more)" % (len(bad) - 5)))
print("acked %d INCRs on %d counters, %d SETs" % (sum(acked.values()), len(acked), len(sets)), file=sys.stderr)
EOF
}

# rd_boot OUT ARGS...: the disk image on the TAP with the disk, in the
# background (no timeout wrapper: its PID is the tender's, to kill);
# waits for port 6379.  RD_PID.
rd_boot() {
  local out=$1
  shift
  : >"$out"
  ip netns exec "$E2E_NS" solo5-spt "--net:service=$E2E_TAP" \
    "--block:rootfs=$(empty_root)" "--block:data=$RD_DISK" --mem=512 \
    "$B/img/redis-disk.spt" "--ipv4=$IP/$E2E_PREFIX" \
    "--gateway=$E2E_KERNEL_IP" --mount /data=data -- "$@" >"$out" 2>&1 &
  RD_PID=$!
  E2E_BG_PIDS+=" $RD_PID"
  wait_port 6379
}

rd_kill() {
  kill -9 "$RD_PID" 2>/dev/null
  wait "$RD_PID" 2>/dev/null
}

redis_disk_check() {
  local prog=$1 kills=$2 report=${3:-}
  local zd=$B/disk/znet-disk
  RD_DISK=$T/redis.disk
  if ! "$ZIMG" --target spt --volume data -o "$B/img/redis-disk.spt" "$prog" \
    >"$T/redis-disk.image.log" 2>&1; then
    not_ok "redis-disk.spt made by znet-image --volume data"
    diag <"$T/redis-disk.image.log"
    return 1
  fi
  rm -f "$RD_DISK" && truncate -s 64M "$RD_DISK"
  rd_client
  rd_verify
  local log=$T/rd.acks args=(--dir /data --appendonly yes --appendfsync always
    --save "''" --protected-mode no)
  : >"$log"
  local k bad=0 first_bad="" booted=0 t0=$SECONDS
  local rows=$T/rd.rows
  : >"$rows"
  for ((k = 1; k <= kills + 1; k++)); do
    local out=$T/redis-disk.$k.out
    if ! rd_boot "$out" "${args[@]}"; then
      bad=$((bad + 1))
      [ -n "$first_bad" ] || first_bad="boot $k: no answer on 6379 ($(grep -v '^Solo5:' "$out" | tail -2 | tr '\n' ' '))"
      rd_kill
      break
    fi
    booted=$((booted + 1))
    local missing
    missing=$(in_ns_t 30 python3 "$T/rd-verify.py" "$IP" "$log" 2>"$T/rd.counts")
    if [ -n "$missing" ]; then
      bad=$((bad + 1))
      [ -n "$first_bad" ] || first_bad="boot $k: $missing"
    fi
    printf '| %d | %s | %s |\n' "$k" "$(cat "$T/rd.counts")" "${missing:-none}" >>"$rows"
    [ "$k" -gt "$kills" ] && { rd_kill; break; }
    ip netns exec "$E2E_NS" python3 "$T/rd-client.py" "$IP" "$log" $((k * 1000000)) \
      2>>"$T/rd.client.err" &
    local cpid=$! acks
    # The kill's moment counts from the client's first answer.
    acks=$(grep -c '^[IS] ' "$log")
    for _ in $(seq 1 100); do
      [ "$(grep -c '^[IS] ' "$log")" -gt "$acks" ] && break
      kill -0 "$cpid" 2>/dev/null || break
      sleep 0.1
    done
    sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", 0.3 + 1.7 * r / 32767 }')"
    rd_kill
    wait "$cpid" 2>/dev/null
  done
  check "redis-disk: $kills SIGKILLs of the tender under acknowledged INCRs and SETs (appendfsync always), $booted boots on the same disk: every acknowledged write there each time${first_bad:+; $first_bad}" \
    [ "$bad" = 0 ] && [ "$booted" = $((kills + 1)) ]
  [ -s "$T/rd.client.err" ] && diag <"$T/rd.client.err"
  # The RDB: SAVE, then a kill; the keys come back from dump.rdb.
  local out=$T/redis-disk.rdb.out r
  rd_boot "$out" --dir /data --appendonly no --save "''" --protected-mode no
  for r in 1 2 3; do in_ns_t 10 redis-cli -h "$IP" SET "rdb$r" "value$r" >/dev/null; done
  r=$(in_ns_t 20 redis-cli -h "$IP" SAVE)
  rd_kill
  rd_boot "$T/redis-disk.rdb2.out" --dir /data --appendonly no --save "''" --protected-mode no
  local got
  got=$(in_ns_t 10 redis-cli -h "$IP" MGET rdb1 rdb2 rdb3 | paste -sd,)
  check "redis-disk: SAVE ($r), SIGKILL, boot: the RDB loaded (MGET: $got)" \
    [ "$r" = OK ] && [ "$got" = value1,value2,value3 ]
  rd_kill
  "$zd" fsck "$RD_DISK" >"$T/rd.fsck" 2>&1
  check "redis-disk: znet-disk fsck after the kills: $(tail -1 "$T/rd.fsck")" \
    grep -q 'clean$' "$T/rd.fsck"
  if [ -n "$report" ]; then
    {
      echo "# redis on an image's disk, killed"
      echo
      echo "Run: $(date -u '+%Y-%m-%d %H:%M UTC'); znet $(git rev-parse --short=8 HEAD); command: \`scripts/images redis\` (tests/rt/images-redis-disk.sh); $((SECONDS - t0)) s."
      echo
      echo "redis-server (Debian's source) as an spt image with a disk (znet-image --volume data; --mount /data=data),"
      echo "appendonly yes, appendfsync always.  Each boot checks every write acknowledged before the last SIGKILL of"
      echo "the tender, then a client makes INCRs and SETs one at a time until the next kill, 0.3 to 2 s after its first answer."
      echo "What an fsync of the image's reaches: the host's page cache (Solo5's block device has no flush); a"
      echo "kill of the tender loses nothing of it, a crash of the host may."
      echo
      echo "| boot | acknowledged before it | missing |"
      echo "|---:|---|---|"
      cat "$rows"
      echo
      echo "SAVE then SIGKILL: the RDB loaded ($got).  \`znet-disk fsck\` afterwards: $(tail -1 "$T/rd.fsck")."
    } >"$report"
  fi
}
