# Solo5, built from the shared source archive into a build directory
# (never the source tree), for the tests and suites that boot images.
# Sourced:
#
#   . tests/solo5/solo5-build.sh
#   tree=$(solo5_build ARCHIVE DIR LOG) || ...
#
# Unpacks ARCHIVE (SHARED/solo5/solo5-*.tar.gz) into DIR and runs its
# ./configure.sh and make there; prints the tree's path.  Reused while
# DIR/stamp names the same archive and the tenders are there.  Two tests
# that want it at once take turns (flock on DIR.lock).  Needs gcc, make
# and libseccomp (solo5-spt's sandbox).  The build's output goes to LOG.

solo5_build() {
  local archive=$1 dir=$2 log=$3 name tree
  name=$(basename "$archive" .tar.gz)
  tree=$dir/$name
  mkdir -p "$(dirname "$dir")"
  (
    flock 9
    if [ "$(cat "$dir/stamp" 2>/dev/null)" = "$archive" ] &&
      [ -x "$tree/tenders/spt/solo5-spt" ]; then
      exit 0
    fi
    rm -rf "$dir" && mkdir -p "$dir" && tar xzf "$archive" -C "$dir" &&
      (cd "$tree" && ./configure.sh && timeout 600 make -j"$(nproc)") \
        >"$log" 2>&1 && [ -x "$tree/tenders/spt/solo5-spt" ] &&
      echo "$archive" >"$dir/stamp"
  ) 9>"$dir.lock" || return 1
  echo "$tree"
}

# solo5_spt_static TREE OUT LOG: TREE's solo5-spt linked again from its
# objects as a static PIE (glibc's and libseccomp's archives), for a
# container image with no C library (oci/znet-oci).  PIE, as the tender
# built by Solo5 is: a static executable at 0x400000 would lie inside the
# guest's memory, which spt maps from address 0.  Prints OUT.
solo5_spt_static() {
  local tree=$1 out=$2 log=$3 spt
  spt=$tree/tenders/spt
  gcc -static-pie -Wl,-z,noexecstack -o "$out" "$spt/spt_main.o" \
    "$spt/spt_core.o" "$spt/spt_launch_x86_64.o" "$spt/spt_module_net.o" \
    "$spt/spt_module_block.o" "$tree/tenders/common/libcommon.a" \
    -lseccomp >"$log" 2>&1 || return 1
  echo "$out"
}
