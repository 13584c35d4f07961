# shellcheck shell=bash
# redis's own test suite, in its external-server mode, against redis on
# the Linux kernel, under znet-run and as an spt image: sourced by
# scripts/suites (which sets B, T, ROOT, E2E_NS, E2E_TAP, E2E_ZNET_IP,
# ok/not_ok/diag and the report).
#
# Every unit of the suite's own list (tests/test_helper.tcl) runs on a
# fresh server each way, the harness in its worker's namespace (REDIS_JOBS
# workers, each with a namespace and TAP of its own):
#   kernel    Debian's redis-server on the namespace's loopback;
#   znet-run  the same program under znet-run on the TAP;
#   image     the redis image scripts/images builds from Debian's source
#             by znet-cc (the same version), on spt.
# Each server has the same flags (REDIS_FLAGS, and AOF on for the units
# of REDIS_AOF_UNITS).  `--tags -needs:repl`
# leaves out what needs a replica; the suite leaves out on its own what
# an external server cannot do (`external:skip`).
#
# tests/suites/redis.skip names (UNIT<TAB>TEST<TAB>REASON) the tests not
# run in an image, each for its reason (fork: BGSAVE, a replication stream), as the
# suite's own --skipfile; the suite stops a unit at its first error of
# the server, so a test left in would hide the rest of its unit.
# tests/suites/redis.known lists (WAY<TAB>UNIT<TAB>TEST<TAB>REASON) the
# other tests whose result differs from the kernel's, WAY being image,
# znet-run or "both".  A test that passed on the kernel and not another
# way (or the reverse) and is in neither list fails the run; so does an
# entry of either list that no longer matches a difference.

REDIS_PORT=6379
REDIS_FLAGS=(--port "$REDIS_PORT" --enable-debug-command yes --protected-mode no
  --save "" --appendonly no)

# Units whose servers start with AOF on, every way: their blocks turn it
# on with CONFIG SET appendonly yes, for which redis forks its first
# rewrite (an image's unit would stop there, every test after it lost);
# a server started with AOF on takes that CONFIG SET as it is.
REDIS_AOF_UNITS="unit/type/stream unit/type/stream-cgroups"

# The suite's units, in its own order.
redis_units() {
  sed -n '/^set ::all_tests {/,/^}/p' "$1/tests/test_helper.tcl" | grep -v '[{}]' | tr -d ' \t'
}

# redis_prepare: the suite copied from Debian's source of the image's
# redis, with Debian's redis-cli and redis-benchmark as the programs its
# integration tests run; znet-run and the image built.  Sets RS (the
# suite's directory) and RS_SRC.
redis_prepare() {
  local src
  src=$(ls -d "$B"/pkgs/redis/redis-[0-9]*/ 2>/dev/null | tail -1)
  if [ ! -x "$B/img/redis.spt" ] || [ -z "$src" ]; then
    bash scripts/images --build-only --no-virtio redis >"$T/redis.images.log" 2>&1
    src=$(ls -d "$B"/pkgs/redis/redis-[0-9]*/ 2>/dev/null | tail -1)
  fi
  check "redis: the image ($B/img/redis.spt) and Debian's source ($src)" \
    [ -x "$B/img/redis.spt" -a -n "$src" ] || { tail -20 "$T/redis.images.log" | diag; return 1; }
  RS_SRC=${src%/}
  b_locked ninja -C "$B" posix/preload/znet-run posix/preload/libznet-preload.so >"$T/redis.run.log" 2>&1
  check "redis: znet-run built in $B" [ -x "$B/posix/preload/znet-run" ] || return 1
  ZRUN=$B/posix/preload/znet-run
  local v d
  v=$(redis-server --version | sed -n 's/.* v=\([0-9.]*\) .*/\1/p')
  d=$(basename "$RS_SRC")
  check "redis: Debian's redis-server $v is the image's version (${d#redis-})" [ "redis-$v" = "$d" ] || return 1
  RS=$B/suites/redis
  rm -rf "$RS" && mkdir -p "$RS/src" && cp -a "$RS_SRC/tests" "$RS_SRC/runtest" "$RS/" &&
    ln -s "$(command -v redis-cli)" "$RS/src/redis-cli" &&
    ln -s "$(command -v redis-benchmark)" "$RS/src/redis-benchmark"
  grep -v '^#' tests/suites/redis.skip | cut -f2 | grep . >"$T/redis.skipfile"
  : >"$T/redis.nothing"
  mkdir -p "$T/redis"
}

# redis_start WAY UNIT: a fresh server WAY's way for UNIT, in the
# worker's namespace (E2E_NS) with its scratch directory RW; its address
# in RHOST.
redis_start() {
  local way=$1 out=$RW/server.out flags=("${REDIS_FLAGS[@]}")
  local dir=$RW/dir
  # shellcheck disable=SC2086 # a list of words
  in_words "$2" $REDIS_AOF_UNITS && flags+=(--appendonly yes)
  rm -rf "$dir" && mkdir -p "$dir"
  # The last way's server had another MAC on the same address.
  ip -n "$E2E_NS" neigh flush dev "$E2E_TAP" 2>/dev/null
  case $way in
  kernel)
    RHOST=127.0.0.1
    ip netns exec "$E2E_NS" timeout --foreground 900 redis-server "${flags[@]}" \
      --dir "$dir" >"$out" 2>&1 &
    ;;
  znet-run)
    RHOST=$E2E_ZNET_IP
    ip netns exec "$E2E_NS" timeout --foreground 900 "$ZRUN" --netif "tap:$E2E_TAP" \
      --ipv4 "$E2E_ZNET_IP/$E2E_PREFIX" -- redis-server "${flags[@]}" \
      --dir "$dir" >"$out" 2>&1 &
    ;;
  image)
    RHOST=$E2E_ZNET_IP
    ip netns exec "$E2E_NS" timeout --foreground 900 solo5-spt --mem=1024 \
      "--net:service=$E2E_TAP" "--block:rootfs=$RW/empty.tar" "$B/img/redis.spt" \
      "--ipv4=$E2E_ZNET_IP/$E2E_PREFIX" -- "${flags[@]}" --dir /tmp >"$out" 2>&1 &
    ;;
  esac
  E2E_ECHO_PID=$!
  for _ in $(seq 1 100); do
    [ "$(in_ns_t 2 redis-cli -h "$RHOST" -p "$REDIS_PORT" PING 2>/dev/null)" = PONG ] && return 0
    kill -0 "$E2E_ECHO_PID" 2>/dev/null || break
    sleep 0.1
  done
  return 1
}

redis_stop() {
  in_ns_t 5 redis-cli -h "$RHOST" -p "$REDIS_PORT" SHUTDOWN NOSAVE >/dev/null 2>&1
  stop_echo >/dev/null 2>&1
  E2E_ECHO_PID=""
}

# redis_results LOG: the runner's lines as STATUS<TAB>TEST, a test seen
# again named "TEST #N"; an exception that stopped the unit as
# "exception<TAB>TEST" (the test it stopped in).
redis_results() {
  sed 's/\x1b\[[0-9;]*m//g' "$1" | awk '
    function put(st, name) {
      seen[name]++
      if (seen[name] > 1) name = name " #" seen[name]
      print st "\t" name
    }
    /^\[ok\]: / { s = substr($0, 7); sub(/ \([0-9]+ ms\)$/, "", s); put("ok", s); next }
    /^\[err\]: / { s = substr($0, 8); sub(/ in tests\/[^ ]*\.tcl$/, "", s); put("err", s); next }
    /^\[skip\]: / { put("skip", substr($0, 9)); next }
    /^\[ignore\]: / { put("ignore", substr($0, 11)); next }
    /^\[exception\]: / { exc = 1; next }
    exc && /^"test \{/ { s = substr($0, 8); sub(/\}.*/, "", s); print "exception\t" s; exc = 0 }
    /^\[TIMEOUT\]/ { print "exception\t(the unit timed out)" }
  '
}

# redis_unit WAY UNIT: the unit run against a fresh server; its results
# in $T/redis/WAY/UNIT.res.
redis_unit() {
  local way=$1 unit=$2 res log skip=$T/redis.nothing
  res=$T/redis/$way/$unit.res
  log=$T/redis/$way/$unit.log
  mkdir -p "$(dirname "$res")"
  [ "$way" = image ] && skip=$T/redis.skipfile
  if ! redis_start "$way" "$unit"; then
    printf 'exception\t(the server did not start: %s)\n' \
      "$(grep -v '^Solo5: ' "$RW/server.out" | tail -1 | cut -c1-100)" >"$res"
    redis_stop
    return
  fi
  (cd "$RS" && in_ns_t 900 ./runtest --host "$RHOST" --port "$REDIS_PORT" --single "$unit" \
    --tags -needs:repl --clients 1 --timeout 300 --skipfile "$skip") >"$log" 2>&1
  redis_results "$log" >"$res"
  redis_stop
  cp "$RW/server.out" "$T/redis/$way/$unit.server"
}

# redis_skip_reason UNIT TEST / redis_known WAY UNIT TEST: the reason
# either list gives, or nothing.
redis_skip_reason() {
  awk -F'\t' -v u="$1" -v t="$2" '$1 == u && $2 == t { print $3; exit }' tests/suites/redis.skip
}
redis_known() {
  awk -F'\t' -v w="$1" -v u="$2" -v t="$3" \
    '($1 == w || $1 == "both") && $2 == u && $3 == t { print $4; exit }' tests/suites/redis.known
}

# redis_compare WAY UNIT: one TAP line for the unit; its differences
# appended to $T/redis.WAY.diffs; counts to $T/redis.WAY.counts.
redis_compare() {
  local way=$1 unit=$2 k w name kst wst reason bad=0 ndiff=0 kpass kfail wpass wfail wskip
  k=$T/redis/kernel/$unit.res
  w=$T/redis/$way/$unit.res
  if [ ! -f "$k" ] || [ ! -f "$w" ]; then
    not_ok "redis $way $unit: no results (no worker ran it: a namespace that could not be made?)"
    return
  fi
  kpass=$(grep -c '^ok	' "$k")
  kfail=$(grep -c '^err	' "$k")
  wpass=$(grep -c '^ok	' "$w")
  wfail=$(grep -c '^err	' "$w")
  wskip=$(grep -c '^skip	' "$w")
  : >"$T/redis.unit.bad"
  # Every test either way, with its status each way ("-": not run).
  while IFS=$'\t' read -r name kst wst; do
    [ "$kst" = ok ] && [ "$wst" = ok ] && continue
    [ "$kst" != ok ] && [ "$wst" != ok ] && continue
    ndiff=$((ndiff + 1))
    if [ "$wst" = skip ]; then
      reason="skipped: $(redis_skip_reason "$unit" "$name")"
    else
      reason=$(redis_known "$way" "$unit" "$name")
      [ -n "$reason" ] && echo "$unit	$name" >>"$T/redis.$way.used"
    fi
    if [ "$reason" = "skipped: " ] || [ -z "$reason" ]; then
      bad=$((bad + 1))
      reason=""
      echo "$name: kernel $kst, $way $wst" >>"$T/redis.unit.bad"
    fi
    printf '| %s | %s | %s | %s | %s |\n' "$unit" "${name//|/\\|}" "$kst" "$wst" \
      "${reason:-**not listed**}" >>"$T/redis.$way.diffs"
  done < <(awk -F'\t' '
      FNR == 1 { f++ }
      $1 == "exception" { next }
      f == 1 { ks[$2] = $1; if (!($2 in order)) { order[$2] = ++n; names[n] = $2 } }
      f == 2 { ws[$2] = $1; if (!($2 in order)) { order[$2] = ++n; names[n] = $2 } }
      END { for (i = 1; i <= n; i++) {
              t = names[i]
              printf "%s\t%s\t%s\n", t, (t in ks) ? ks[t] : "-", (t in ws) ? ws[t] : "-" } }
    ' "$k" "$w")
  local exc
  exc=$(awk -F'\t' '$1 == "exception" { print $2; exit }' "$w")
  echo "$kpass $wpass $wfail $wskip $ndiff $bad $kfail" >>"$T/redis.$way.counts"
  if [ "$bad" -eq 0 ]; then
    ok "redis $way $unit: $wpass passed (kernel $kpass), $ndiff differ, all listed${exc:+ (stopped in: $exc)}"
  else
    not_ok "redis $way $unit: $wpass passed (kernel $kpass), $bad differences not listed${exc:+; stopped in: $exc}"
    head -20 "$T/redis.unit.bad" | diag
  fi
}

# The units that take longest, each a data structure's fuzzer or stress
# loop (176 of the suite's 312 s a way on the kernel, in one run):
# `scripts/suites --short` (CI) leaves them out.
REDIS_LONG="unit/hyperloglog unit/type/list-3 unit/geo unit/type/zset unit/type/list-2"

# The units run REDIS_JOBS (3) at a time, each worker in a namespace of
# its own (its own TAP, loopback and servers): a unit spends most of its
# time in the suite's own waits (the processors were 2% busy with one
# at a time); three at once took 325 s of a cold CI run.
REDIS_JOBS=${REDIS_JOBS:-3}

# redis_run_units UNIT...: every unit each way (kernel, znet-run,
# image), REDIS_JOBS at a time (ns_workers); their results in
# $T/redis/WAY/UNIT.res.  A unit no worker ran has none, which
# redis_compare reports.
redis_run_units() {
  printf '%s\n' "$@" >"$T/redis.queue"
  ns_workers "$REDIS_JOBS" "$T/redis.queue" redis_unit_ways
}

# redis_unit_ways UNIT: in a worker, the unit each way, in the worker's
# scratch directory RW.
redis_unit_ways() {
  local way
  RW=$T/redis/worker$E2E_WORKER
  if [ ! -f "$RW/empty.tar" ]; then
    mkdir -p "$RW" && tar cf "$RW/empty.tar" -T /dev/null
  fi
  for way in kernel znet-run image; do
    redis_unit "$way" "$1"
  done
}

# redis_suite SHORT [UNIT...]: the units (default: all; SHORT true: all
# but REDIS_LONG) each way, compared.
redis_suite() {
  local short=$1 units u way
  shift
  redis_prepare || return 1
  units=${*:-$(redis_units "$RS")}
  if $short && [ $# -eq 0 ]; then
    units=$(for u in $units; do in_words "$u" $REDIS_LONG || echo "$u"; done)
    REDIS_LEFT_OUT=$REDIS_LONG
  fi
  for way in znet-run image; do
    : >"$T/redis.$way.diffs"
    : >"$T/redis.$way.counts"
    : >"$T/redis.$way.used"
  done
  # shellcheck disable=SC2086 # a list of words
  redis_run_units $units
  for u in $units; do
    for way in znet-run image; do
      redis_compare "$way" "$u"
    done
  done
  redis_lists_true "$units"
  redis_report "$units"
}

# redis_lists_true UNITS: every line of redis.known for a unit that ran
# matched a difference, and every test redis.skip names was skipped
# somewhere (a stale line fails: the lists stay true).
redis_lists_true() {
  local way unit name reason stale=0
  while IFS=$'\t' read -r way unit name reason; do
    case $way in '' | '#'*) continue ;; esac
    in_words "$unit" $1 || continue
    local hit=0 w
    for w in znet-run image; do
      [ "$way" = both ] || [ "$way" = "$w" ] || continue
      grep -qxF "$unit	$name" "$T/redis.$w.used" && hit=1
    done
    [ "$hit" = 1 ] || {
      stale=$((stale + 1))
      not_ok "redis: tests/suites/redis.known's '$way $unit: $name' no longer differs from the kernel"
    }
  done <tests/suites/redis.known
  while IFS=$'\t' read -r unit name reason; do
    case $unit in '' | '#'*) continue ;; esac
    in_words "$unit" $1 || continue
    grep -qxF "skip	$name" "$T/redis/image/$unit.res" || {
      stale=$((stale + 1))
      not_ok "redis: tests/suites/redis.skip's '$unit: $name' was not met in its unit"
    }
  done <tests/suites/redis.skip
  [ "$stale" -eq 0 ] && ok "redis: every line of tests/suites/redis.known and redis.skip is still true"
}

redis_report() {
  local n way
  n=$(echo "$1" | wc -w)
  {
    echo "## redis's own suite: Debian's redis on the kernel, under znet-run, as an image"
    echo
    echo "$(basename "$RS_SRC")'s tests/ in external-server mode (\`runtest --host H"
    echo "--port P --single UNIT --tags -needs:repl\`), $n units, each on a fresh server"
    echo "each way: Debian's redis-server on the kernel (loopback), the same program"
    echo "under znet-run, and the image built from Debian's source by znet-cc (spt)."
    [ -n "${REDIS_LEFT_OUT:-}" ] && echo "Left out (\`--short\`): $REDIS_LEFT_OUT."
    echo
    echo "| way | units | passed | failed | skipped by tests/suites/redis.skip | differ from the kernel | of them listed |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    awk -v n="$n" '{ k += $1; f += $7 } END { printf "| kernel | %d | %d | %d | | | |\n", n, k, f }' "$T/redis.image.counts"
    for way in znet-run image; do
      awk -v n="$n" -v w="$way" '{ p += $2; f += $3; s += $4; d += $5; b += $6 }
        END { printf "| %s | %d | %d | %d | %d | %d | %d |\n", w, n, p, f, s, d, d - b }' "$T/redis.$way.counts"
    done
    echo
    for way in znet-run image; do
      echo "Differences, $way:"
      echo
      if [ -s "$T/redis.$way.diffs" ]; then
        echo "| unit | test | kernel | $way | reason |"
        echo "|---|---|---|---|---|"
        cat "$T/redis.$way.diffs"
      else
        echo "none."
      fi
      echo
    done
  } >>"$T/report.md"
}
