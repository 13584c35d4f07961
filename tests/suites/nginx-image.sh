# shellcheck shell=bash
# nginx-tests (../shared/suites) against the nginx image: sourced by
# scripts/suites after tests/suites/nginx.sh (whose nginx_results,
# nt_compare and nt_lists_true it uses, and whose unpacked suite).
#
# The program judged is the nginx scripts/images builds from Debian's
# source by znet-cc (no PCRE, zlib or OpenSSL: the tests of rewrite,
# gzip and SSL skip themselves, as its `nginx -V` says), two ways:
#   kernel-cc  that very binary (a Linux program of znet-cc's: the same
#              musl over the kernel's system calls), TEST_NGINX_BINARY,
#              in a namespace with its loopback alone;
#   image      the same objects made an spt image (znet-image --export
#              export), started for the harness by
#              tests/suites/nginx-image-run: the test's directory packed
#              into the root archive, writable (--writable) and written
#              back at the end (--export), stopped by --signal-port,
#              its loopback joined to the namespace's (--host-loopback,
#              and nftables: the harness's loopback ports forwarded to
#              the image's doors, the image's to the namespace's
#              loopback, with route_localnet on the TAP).
# Both with TEST_NGINX_GLOBALS "user root; master_process off;": an
# image has one process (fork is ENOSYS), so its nginx must not spawn
# workers, and the kernel's runs the same way.  The harness's test
# directory is under NGI_TMP, not /tmp (an image's /tmp is its own
# memory, which would hide the archive's).
#
# Each file is one case: the image's result of each test is the
# kernel-cc one's, or the difference is in tests/suites/nginx-image.known
# (image<TAB>FILE<TAB>TEST|*<TAB>REASON).

NGI_GLOBALS="user root; master_process off;"
NGI_SIGPORT=9
# --short's files: the core of HTTP, proxying and upstreams, limits and
# the modules the image has.
NGI_SHORT='^(http_(host|method|uri|error_pages|header_buffers|keepalive|location\.t|location_auto|expect_100)|proxy\.t|proxy_(next_upstream\.t|keepalive|chunked|redirect|pass_request|store)|upstream\.t|upstream_(backup|hash|ip_hash|least_conn|keepalive\.t)|limit_(conn|req)\.t|index|autoindex\.t|access\.t|auth_basic|map\.t|split_clients|ssi\.t|sub_filter\.t|return\.t|charset\.t|not_modified|range\.t|headers\.t|body\.t|mirror\.t|userid\.t|realip\.t)'

ngi_prepare() {
  local objs
  objs=$(ls "$B"/pkgs/nginx/nginx-*/objs/nginx 2>/dev/null | head -1)
  if [ -z "$objs" ]; then
    bash scripts/images --build-only --no-virtio nginx >"$T/ngi.images.log" 2>&1
    objs=$(ls "$B"/pkgs/nginx/nginx-*/objs/nginx 2>/dev/null | head -1)
  fi
  check "nginx image: the nginx of scripts/images (${objs:-none})" [ -x "${objs:-/none}" ] ||
    { tail -20 "$T/ngi.images.log" | diag; return 1; }
  NGI_OBJS=$objs
  mkdir -p "$T/ngi" "$T/nginx/kernel-cc" "$T/nginx/image"
  NGI_TMP=$B/suites/ngi-tmp
  rm -rf "$NGI_TMP" && mkdir -p "$NGI_TMP" "$T/ngi/work"
  "$ZIMG" --target spt --export export -o "$T/ngi/nginx.spt" "$objs" >"$T/ngi/image.log" 2>&1
  check "nginx image: nginx.spt made with --export export" [ -f "$T/ngi/nginx.spt" ] ||
    { diag <"$T/ngi/image.log"; return 1; }
  [ -n "${NT:-}" ] && [ -d "$NT" ] || {
    local tgz
    # shellcheck disable=SC2154 # shared: tests/rt/images-env.sh
    tgz=$(ls "$shared"/suites/nginx-tests-*.tar.gz 2>/dev/null | tail -1)
    need_shared "${tgz:-$shared/suites/nginx-tests-*.tar.gz}"
    NT=$OUT/nginx-tests
    rm -rf "$NT" && mkdir -p "$NT" && tar xzf "$tgz" -C "$NT" --strip-components=1
  }
  NGI_KNS="zns$$c$RANDOM"
  NGI_ZNS="zns$$i$RANDOM"
  zn_netns_add "$NGI_KNS" &&
    zn_netns_tap "$NGI_ZNS" "$E2E_TAP" "$E2E_KERNEL_IP/$E2E_PREFIX" ||
    { not_ok "nginx image: a namespace for each way"; return 1; }
  ip netns exec "$NGI_ZNS" sysctl -qw "net.ipv4.conf.$E2E_TAP.route_localnet=1" \
    net.ipv4.conf.all.route_localnet=1 &&
    ip netns exec "$NGI_ZNS" nft -f - <<EOF
table ip znet_nginx {
  set doors { type inet_service; }
  chain out {
    type nat hook output priority -100;
    ip daddr 127.0.0.1 tcp dport @doors dnat to $E2E_ZNET_IP
  }
  chain post {
    type nat hook postrouting priority 100;
    oifname "$E2E_TAP" ip saddr 127.0.0.0/8 snat to $E2E_KERNEL_IP
  }
  chain pre {
    type nat hook prerouting priority -100;
    iifname "$E2E_TAP" ip daddr $E2E_KERNEL_IP tcp dport 1024-65535 dnat to 127.0.0.1
    iifname "$E2E_TAP" ip daddr $E2E_KERNEL_IP udp dport 1024-65535 dnat to 127.0.0.1
  }
}
EOF
  check "nginx image: the namespace's loopback joined to the image's (nftables, route_localnet)" [ $? -eq 0 ] ||
    return 1
  # A TAP of its own for `nginx -t` and `-T` beside a running nginx.
  ip netns exec "$NGI_ZNS" ip tuntap add dev zntapt mode tap &&
    ip netns exec "$NGI_ZNS" ip link set zntapt up ||
    { not_ok "nginx image: a second TAP for nginx -t"; return 1; }
  # The image's `nginx -V`, once.
  tar cf "$T/ngi/empty.tar" -T /dev/null && truncate -s 1M "$T/ngi/v.img"
  ip netns exec "$NGI_ZNS" timeout 20 solo5-spt --mem=128 "--net:service=$E2E_TAP" \
    "--block:rootfs=$T/ngi/empty.tar" "--block:export=$T/ngi/v.img" "$T/ngi/nginx.spt" \
    -- -V >"$T/ngi/v.raw" 2>&1
  grep -v -e '^Solo5: ' -e '^znet-rt: ' -e '^            |' -e '^  __|' \
    -e '^\\__ \\' -e '^____/' "$T/ngi/v.raw" >"$T/ngi/version"
  check "nginx image: its nginx -V ($(head -1 "$T/ngi/version"))" \
    grep -q '^nginx version: nginx/' "$T/ngi/version" || return 1
  NGI_SPT=$(command -v solo5-spt)
  export NGI_IMAGE=$T/ngi/nginx.spt NGI_NS=$NGI_ZNS NGI_TAP=$E2E_TAP NGI_TAP_T=zntapt \
    NGI_IP=$E2E_ZNET_IP NGI_GW=$E2E_KERNEL_IP NGI_PREFIX=$E2E_PREFIX \
    NGI_SIGPORT NGI_VERSION=$T/ngi/version NGI_SPT NGI_WORK=$T/ngi/work
}

ngi_suite() {
  local short=$1 files f
  ngi_prepare || return 1
  files=$(cd "$NT" && ls ./*.t | sed 's#^\./##')
  $short && files=$(echo "$files" | grep -E "$NGI_SHORT")
  [ -n "${NGINX_FILES:-}" ] && files=$NGINX_FILES
  : >"$T/ngi.diffs"
  : >"$T/ngi.counts"
  : >"$T/ngi.used"
  # shellcheck disable=SC2086 # a list of file names
  NT_GLOBALS=$NGI_GLOBALS nginx_way kernel-cc "$NGI_KNS" "$NGI_OBJS" $files &
  local kpid=$!
  # shellcheck disable=SC2086
  NT_GLOBALS=$NGI_GLOBALS NT_TMPDIR=$NGI_TMP nginx_way image "$NGI_ZNS" \
    "$ROOT/tests/suites/nginx-image-run" $files
  wait "$kpid"
  # shellcheck disable=SC2086
  nt_again nginx-image.known kernel-cc image ngi_run_kernel ngi_run_image $files
  for f in $files; do
    nt_compare ngi nginx-image.known kernel-cc image "$f"
  done
  nt_lists_true ngi nginx-image.known "$files"
  ngi_report "$files" "$short"
  # NGI_KEEP=DIR: each file's harness output and the last console there.
  [ -n "${NGI_KEEP:-}" ] && mkdir -p "$NGI_KEEP" && cp -r "$T/nginx" "$T/ngi" "$NGI_KEEP/"
}

ngi_run_kernel() { NT_GLOBALS=$NGI_GLOBALS nginx_way kernel-cc "$NGI_KNS" "$NGI_OBJS" "$@"; }
ngi_run_image() {
  NT_GLOBALS=$NGI_GLOBALS NT_TMPDIR=$NGI_TMP nginx_way image "$NGI_ZNS" \
    "$ROOT/tests/suites/nginx-image-run" "$@"
}

ngi_report() {
  local n
  n=$(echo "$1" | wc -w)
  {
    echo "## nginx-tests: the nginx image and the same nginx on the kernel"
    echo
    echo "$(basename "$NT") (../shared/suites), $n test files$($2 && echo " (\`--short\`: those NGI_SHORT names)"),"
    echo "each run by its own harness against the nginx scripts/images builds by"
    echo "znet-cc ($(head -1 "$T/ngi/version" | sed 's/.*nginx\///'); no PCRE, zlib or OpenSSL): as a Linux program"
    echo "(kernel-cc) and as an spt image started by tests/suites/nginx-image-run,"
    echo "both with \`$NGI_GLOBALS\`."
    echo
    nt_tables ngi kernel-cc image "$n"
  } >>"$T/report.md"
}
