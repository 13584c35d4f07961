# The set-up scripts/images and scripts/suites share: a network namespace
# usable, ../shared's Solo5 (or ZNET_SOLO5's tree), znet with libznet-rt
# (and C++'s runtime) in $B, Solo5 built.  Sourced after tests/e2e/lib.sh
# with B set; sets T (the run's scratch folder), ZCC, ZIMG, tree, PATH
# and ZNET_SOLO5, or says what failed and exits (through summary).
#
# More than one of them may run at once on one $B (CI runs redis's
# suite beside the others): whatever writes $B's build (meson, ninja,
# Solo5's build) runs under b_locked.
need_netns
shared=${ZN_SHARED_DIR:-$ROOT/../shared}
archive=$(find "$shared/solo5" -maxdepth 1 -name 'solo5-*.tar.gz' 2>/dev/null | sort | tail -1)
# A Solo5 tree built already (ZNET_SOLO5, as znet-image takes it) is
# used as it is; else the shared archive is built here.
solo5_tree=""
if [ -n "${ZNET_SOLO5:-}" ] && [ -x "$ZNET_SOLO5/tenders/spt/solo5-spt" ] &&
  [ -x "$ZNET_SOLO5/toolchain/bin/x86_64-solo5-none-static-ld" ]; then
  solo5_tree=$(cd "$ZNET_SOLO5" && pwd)
else
  need_shared "${archive:-$shared/solo5/solo5-*.tar.gz}"
fi
trap e2e_cleanup EXIT
e2e_tmpdir
T=$E2E_TMP

mkdir -p "$B"

# b_locked CMD...: CMD (a function or a program), in a subshell holding
# $B's lock (flock, util-linux), so that two scripts never write $B's
# build at once.
b_locked() {
  (
    flock 9 && "$@"
  ) 9>"$B/.lock"
}

# b_setup: znet with libznet-rt configured and built in $B.
b_setup() {
  if [ -f "$B/meson-private/coredata.dat" ]; then
    meson setup --reconfigure "$B" -Drt=enabled -Dcxx=enabled
  else
    meson setup "$B" -Drt=enabled -Dcxx=enabled -Dtests=false
  fi && ninja -C "$B" rt oci
}
log=$B/setup.log
b_locked b_setup >"$log" 2>&1
check "znet with libznet-rt built in $B (znet-cc, znet-image)" [ -x "$B/rt/znet-cc" ]
[ -x "$B/rt/znet-cc" ] || { tail -20 "$log" | diag; summary; exit 1; }
ZCC=$B/rt/znet-cc
ZIMG=$B/rt/znet-image

. tests/solo5/solo5-build.sh
if [ -n "$solo5_tree" ]; then
  tree=$solo5_tree
  ok "Solo5 from ZNET_SOLO5: $tree"
elif tree=$(b_locked solo5_build "$archive" "$B/solo5" "$B/solo5-build.log"); then
  ok "Solo5 $(basename "$tree") built in $B/solo5"
else
  not_ok "Solo5 built in $B/solo5"
  tail -20 "$B/solo5-build.log" | diag
  summary
  exit 1
fi
export PATH=$tree/toolchain/bin:$tree/tenders/spt:$tree/tenders/hvt:$tree/elftool:$PATH
export ZNET_SOLO5=$tree

