# shellcheck shell=bash
# nginx's own test suite (nginx-tests, ../shared/suites) against
# Debian's nginx on the Linux kernel and under znet-run: sourced by
# scripts/suites (which sets B, T, ROOT, shared, ok/not_ok/diag and the
# report).
#
# The harness (Perl, on the kernel) writes each test's nginx.conf with
# listeners on 127.0.0.1:8000-8999, starts nginx (TEST_NGINX_BINARY),
# and talks to it and to backends of its own on the same loopback.  So:
#   kernel    TEST_NGINX_BINARY is Debian's /usr/sbin/nginx;
#   znet-run  a wrapper running the same nginx under
#             `znet-run --host-loopback` on a multi-queue TAP (its
#             master and workers each a stack of the group): its
#             listeners on 127.0.0.1 take the harness's connections
#             through the bridge, its connections to the harness's
#             backends go to the host's loopback (docs/POSIX.md).
# Each way runs in a network namespace of its own (the loopbacks apart),
# both at once.  Both ways run as root with `user root;` (the harness's
# directories are the root's alone; Debian's nginx would otherwise drop
# its workers to nobody, who cannot read them) and Debian's dynamic
# modules (TEST_NGINX_MODULES).
#
# Each test file is one case: every numbered test of it has the same
# result both ways, or the difference is listed in
# tests/suites/nginx.known (WAY<TAB>FILE<TAB>TEST<TAB>REASON, TEST a
# test's number or "*" for the whole file); a listed difference that is
# gone fails too.

NGINX_BIN=/usr/sbin/nginx
NGINX_MODULES=/usr/lib/nginx/modules
# The files `scripts/suites --short` (CI) runs: HTTP's core, proxying,
# upstreams, the stream module (UDP too), SSL, limits, syslog; the whole
# suite otherwise.
NGINX_SHORT='^(http_|proxy|upstream|stream_proxy|stream_upstream|stream_udp|ssl\.t|limit_|gzip|range|rewrite|index|autoindex|access|auth_basic|headers|map|split_clients|ssi|sub_filter|userid|realip|mirror|return|charset|not_modified|request_id|body|syslog)'

# nginx_prepare: the suite unpacked; the znet-run way's namespace and
# wrapper.  Sets NT (the suite's directory).
nginx_prepare() {
  local tgz
  # shellcheck disable=SC2154 # shared: tests/rt/images-env.sh
  tgz=$(ls "$shared"/suites/nginx-tests-*.tar.gz 2>/dev/null | tail -1)
  need_shared "${tgz:-$shared/suites/nginx-tests-*.tar.gz}"
  NT=$OUT/nginx-tests
  rm -rf "$NT" && mkdir -p "$NT" && tar xzf "$tgz" -C "$NT" --strip-components=1 ||
    { not_ok "nginx-tests unpacked from $tgz"; return 1; }
  check "nginx-tests $(basename "$tgz" .tar.gz): $(ls "$NT"/*.t | wc -l) test files; Debian's nginx $("$NGINX_BIN" -v 2>&1 | sed 's/.*nginx\///')" \
    [ -x "$NGINX_BIN" ] || return 1
  b_locked ninja -C "$B" posix/preload/znet-run posix/preload/libznet-preload.so >"$T/nginx.run.log" 2>&1
  check "nginx: znet-run built in $B" [ -x "$B/posix/preload/znet-run" ] || return 1
  # The kernel's namespace: its own loopback, nothing else; znet-run's:
  # a multi-queue TAP (a stack for the master and each worker).
  NGX_KNS="zns$$k$RANDOM"
  NGX_ZNS="zns$$z$RANDOM"
  zn_netns_add "$NGX_KNS" &&
    zn_netns_tap "$NGX_ZNS" "$E2E_TAP" "$E2E_KERNEL_IP/$E2E_PREFIX" multi_queue ||
    { not_ok "nginx: a namespace for each way"; return 1; }
  # nginx -t and -T (config_dump.t runs one beside its running nginx)
  # get a TAP of their own: the running group holds the other's queues.
  zn_in "$NGX_ZNS" ip tuntap add dev zntapt mode tap &&
    zn_in "$NGX_ZNS" ip link set zntapt up ||
    { not_ok "nginx: a second TAP for nginx -t"; return 1; }
  cat >"$T/znet-nginx" <<EOF
#!/bin/sh
# nginx-tests' TEST_NGINX_BINARY for the znet-run way (scripts/suites).
tap=$E2E_TAP
for a; do case \$a in -t | -T) tap=zntapt ;; esac; done
exec "$B/posix/preload/znet-run" --netif "tap:\$tap" \\
  --ipv4 "$E2E_ZNET_IP/$E2E_PREFIX" --host-loopback -- "$NGINX_BIN" "\$@"
EOF
  chmod +x "$T/znet-nginx"
  mkdir -p "$T/nginx/kernel" "$T/nginx/znet-run"
}

# nginx_way WAY NS BINARY FILE...: each file run by the harness in NS,
# its TAP output to $T/nginx/WAY/FILE; with NT_GLOBALS (default
# "user root;") as TEST_NGINX_GLOBALS and NT_TMPDIR (default /tmp) for
# its test directories.
nginx_way() {
  local way=$1 ns=$2 bin=$3 f
  shift 3
  mkdir -p "$T/nginx/$way"
  for f in "$@"; do
    (cd "$NT" && TMPDIR=${NT_TMPDIR:-/tmp} TEST_NGINX_BINARY=$bin \
      TEST_NGINX_MODULES=$NGINX_MODULES TEST_NGINX_GLOBALS="${NT_GLOBALS:-user root;}" \
      timeout 300 ip netns exec "$ns" perl "$f") >"$T/nginx/$way/$f" 2>&1
  done
}

# nginx_results FILE: a test file's TAP as NUMBER<TAB>STATUS<TAB>NAME,
# STATUS ok, not-ok, skip or todo; "plan<TAB>N" or
# "file-skip<TAB>REASON" for the plan line.
nginx_results() {
  awk '
    /^1\.\.0 # [Ss][Kk][Ii][Pp]/ { sub(/^1\.\.0 # [Ss][Kk][Ii][Pp] */, ""); print "file-skip\t" $0; next }
    /^1\.\.[0-9]+/ { sub(/^1\.\./, ""); print "plan\t" $1; next }
    /^(not )?ok [0-9]+/ {
      st = ($1 == "not") ? "not-ok" : "ok"
      n = ($1 == "not") ? $3 : $2
      line = $0
      if (line ~ /# [Ss][Kk][Ii][Pp]/) st = "skip"
      else if (line ~ /# TODO/) st = (st == "ok") ? "todo-passed" : "todo"
      sub(/^(not )?ok [0-9]+ ?-? ?/, "", line)
      print n "\t" st "\t" line
    }' "$1"
}

# nt_known KNOWN WAY FILE TEST: the reason tests/suites/KNOWN gives for
# WAY's difference in FILE's TEST (a line for "both" ways counts too).
nt_known() {
  awk -F'\t' -v w="$2" -v f="$3" -v t="$4" \
    '($1 == w || $1 == "both") && $2 == f && ($3 == t || $3 == "*") { print $4; exit }' \
    "tests/suites/$1"
}

# nt_differences KNOWN KWAY WWAY FILE: each numbered test of FILE whose
# result differs between the ways' outputs ($T/nginx/WAY/FILE), as
# NUMBER<TAB>KWAY's<TAB>WWAY's<TAB>NAME<TAB>REASON (tests/suites/KNOWN's,
# empty if not listed); "-" for a test a way did not report (and for
# a name the test gave none).
nt_differences() {
  local known=$1 kway=$2 wway=$3 f=$4 n kst wst name
  while IFS=$'\t' read -r n kst wst name; do
    [ "$kst" = ok ] && [ "$wst" = ok ] && continue
    [ "$kst" != ok ] && [ "$wst" != ok ] && continue
    printf '%s\t%s\t%s\t%s\t%s\n' "$n" "$kst" "$wst" "$name" "$(nt_known "$known" "$wway" "$f" "$n")"
  done < <(awk -F'\t' '
      FNR == 1 { f++ }
      $1 == "plan" || $1 == "file-skip" { next }
      f == 1 { ks[$1] = $2; nm[$1] = $3; if ($1 > n) n = $1 }
      f == 2 { ws[$1] = $2; if (!($1 in nm)) nm[$1] = $3; if ($1 > n) n = $1 }
      END { for (i = 1; i <= n; i++) if ((i in ks) || (i in ws))
              printf "%d\t%s\t%s\t%s\n", i, (i in ks) ? ks[i] : "-", (i in ws) ? ws[i] : "-", (nm[i] != "") ? nm[i] : "-" }
    ' <(nginx_results "$T/nginx/$kway/$f") <(nginx_results "$T/nginx/$wway/$f"))
}

# nt_verdict_fails KNOWN KWAY WWAY FILE: true if FILE's case would fail:
# a difference tests/suites/KNOWN gives no reason for, or one of its
# lines for FILE (WWAY's or both ways') that no difference bears out.
nt_verdict_fails() {
  local known=$1 kway=$2 wway=$3 f=$4 d way lf t reason
  d=$(nt_differences "$known" "$kway" "$wway" "$f")
  [ -n "$d" ] && awk -F'\t' '$5 == "" { bad = 1 } END { exit !bad }' <<<"$d" && return 0
  while IFS=$'\t' read -r way lf t reason; do
    [ "$lf" = "$f" ] && { [ "$way" = "$wway" ] || [ "$way" = both ]; } || continue
    if [ "$t" = "*" ]; then
      [ -n "$d" ] || return 0
    else
      cut -f1 <<<"$d" | grep -qx "$t" || return 0
    fi
  done <"tests/suites/$known"
  return 1
}

# nt_again KNOWN KWAY WWAY RUNK RUNW FILE...: each FILE whose verdict
# would fail run again, alone, one way after the other (RUNK and RUNW:
# nginx_way for each way, given the files), and judged on that run.
# The two ways run side by side on a loaded machine (CI: beside the
# other lanes), where a harness that waits 5 s for nginx to start, or a
# test that times its peer, can lose one way's run (userid.t's on the
# kernel once: its 7 tests unreported); one run's difference is no
# verdict.  The first run's outputs are kept as FILE.first.
nt_again() {
  local known=$1 kway=$2 wway=$3 runk=$4 runw=$5 f again=()
  shift 5
  for f in "$@"; do
    nt_verdict_fails "$known" "$kway" "$wway" "$f" || continue
    mv "$T/nginx/$kway/$f" "$T/nginx/$kway/$f.first"
    mv "$T/nginx/$wway/$f" "$T/nginx/$wway/$f.first"
    again+=("$f")
  done
  [ "${#again[@]}" -eq 0 ] && return 0
  echo "# nginx-tests ($wway): ${again[*]} run again alone"
  "$runk" "${again[@]}"
  "$runw" "${again[@]}"
}

# nt_compare P KNOWN KWAY WWAY FILE: one case for FILE, WWAY's results
# ($T/nginx/WWAY/FILE) held against KWAY's, each difference looked up in
# tests/suites/KNOWN.  P names the run's files: $T/P.diffs (the report's
# rows), $T/P.counts (per file: KWAY's passes, WWAY's, differences,
# unlisted ones, whether skipped whole), $T/P.used (the lines used).
nt_compare() {
  local p=$1 known=$2 kway=$3 wway=$4 f=$5 n kst wst name reason bad=0 ndiff=0 kp wp kskip again=""
  nginx_results "$T/nginx/$kway/$f" >"$T/$p.k"
  nginx_results "$T/nginx/$wway/$f" >"$T/$p.w"
  kp=$(grep -c '	ok	' "$T/$p.k")
  wp=$(grep -c '	ok	' "$T/$p.w")
  [ -f "$T/nginx/$wway/$f.first" ] &&
    again=" (run again alone: the first run, beside the other way, gave $kway $(nginx_results "$T/nginx/$kway/$f.first" | grep -c '	ok	') passed, $wway $(nginx_results "$T/nginx/$wway/$f.first" | grep -c '	ok	'))"
  : >"$T/$p.bad"
  while IFS=$'\t' read -r n kst wst name reason; do
    ndiff=$((ndiff + 1))
    [ -n "$reason" ] && echo "$f	$n" >>"$T/$p.used"
    [ -n "$reason" ] || { bad=$((bad + 1)); echo "test $n ($name): $kway $kst, $wway $wst" >>"$T/$p.bad"; }
    printf '| %s | %s | %s | %s | %s | %s |\n' "$f" "$n" "${name//|/\\|}" "$kst" "$wst" \
      "${reason:-**not listed**}" >>"$T/$p.diffs"
  done < <(nt_differences "$known" "$kway" "$wway" "$f")
  kskip=$(awk -F'\t' '$1 == "file-skip" { print $2 }' "$T/$p.k")
  echo "$kp $wp $ndiff $bad $([ -n "$kskip" ] && echo 1 || echo 0)" >>"$T/$p.counts"
  if [ "$bad" -eq 0 ]; then
    ok "nginx-tests ($wway) $f: $wp passed ($kway $kp), $ndiff differ, all listed$again${kskip:+ # skipped both ways: $kskip}"
  else
    not_ok "nginx-tests ($wway) $f: $wp passed ($kway $kp), $bad differences not listed$again"
    head -10 "$T/$p.bad" | diag
  fi
}

# nt_lists_true P KNOWN FILES: a case: each line of tests/suites/KNOWN
# for one of FILES was used ($T/P.used), so the list stays true.
nt_lists_true() {
  local p=$1 known=$2 way f t reason stale=0
  while IFS=$'\t' read -r way f t reason; do
    case $way in '' | '#'*) continue ;; esac
    # shellcheck disable=SC2086
    in_words "$f" $3 || continue
    if [ "$t" = "*" ]; then
      grep -q "^$f	" "$T/$p.used" && continue
    else
      grep -qxF "$f	$t" "$T/$p.used" && continue
    fi
    stale=$((stale + 1))
    not_ok "nginx: tests/suites/$known's '$f test $t' no longer differs"
  done <"tests/suites/$known"
  [ "$stale" -eq 0 ] && ok "nginx: every line of tests/suites/$known is still true"
}

# nginx_suite SHORT: the files (SHORT: those NGINX_SHORT names), both
# ways at once, compared.
nginx_suite() {
  local short=$1 files f
  nginx_prepare || return 1
  files=$(cd "$NT" && ls ./*.t | sed 's#^\./##')
  $short && files=$(echo "$files" | grep -E "$NGINX_SHORT")
  # shellcheck disable=SC2086 # a list of file names
  [ -n "${NGINX_FILES:-}" ] && files=$NGINX_FILES
  : >"$T/nginx.diffs"
  : >"$T/nginx.counts"
  : >"$T/nginx.used"
  # shellcheck disable=SC2086
  nginx_way kernel "$NGX_KNS" "$NGINX_BIN" $files &
  local kpid=$!
  # shellcheck disable=SC2086
  nginx_way znet-run "$NGX_ZNS" "$T/znet-nginx" $files
  wait "$kpid"
  # shellcheck disable=SC2086
  nt_again nginx.known kernel znet-run nginx_run_kernel nginx_run_znet $files
  for f in $files; do
    nt_compare nginx nginx.known kernel znet-run "$f"
  done
  nt_lists_true nginx nginx.known "$files"
  nginx_report "$files" "$short"
}

nginx_run_kernel() { nginx_way kernel "$NGX_KNS" "$NGINX_BIN" "$@"; }
nginx_run_znet() { nginx_way znet-run "$NGX_ZNS" "$T/znet-nginx" "$@"; }

nginx_report() {
  local n
  n=$(echo "$1" | wc -w)
  {
    echo "## nginx-tests: Debian's nginx on the kernel and under znet-run"
    echo
    echo "$(basename "$NT") (../shared/suites), $n test files$($2 && echo " (\`--short\`: those NGINX_SHORT names)"),"
    echo "each run by its own harness against Debian's nginx $("$NGINX_BIN" -v 2>&1 | sed 's/.*nginx\///')"
    echo "on the kernel and under \`znet-run --host-loopback\` (master and workers a"
    echo "group of stacks), both with \`user root;\` and Debian's dynamic modules."
    echo
    nt_tables nginx kernel znet-run "$n"
  } >>"$T/report.md"
}

# nt_tables P KWAY WWAY N: the report's two tables for nt_compare's run
# P over N files: each way's totals, then each difference.
nt_tables() {
  echo "| way | files | skipped whole (both ways) | tests passed | differ from $2 | of them listed |"
  echo "|---|---:|---:|---:|---:|---:|"
  awk -v n="$4" -v w="$2" '{ k += $1; s += $5 }
    END { printf "| %s | %d | %d | %d | | |\n", w, n, s, k }' "$T/$1.counts"
  awk -v n="$4" -v x="$3" '{ w += $2; d += $3; b += $4; s += $5 }
    END { printf "| %s | %d | %d | %d | %d | %d |\n", x, n, s, w, d, d - b }' "$T/$1.counts"
  echo
  if [ -s "$T/$1.diffs" ]; then
    echo "| file | test | name | $2 | $3 | reason |"
    echo "|---|---:|---|---|---|---|"
    cat "$T/$1.diffs"
  else
    echo "No test differs."
  fi
  echo
}
