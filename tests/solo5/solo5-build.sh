# Solo5, built from the shared source archive into a build directory
# (never the source tree), for the tests and suites that boot images.
# Sourced:
#
#   . tests/solo5/solo5-build.sh
#   tree=$(solo5_build ARCHIVE DIR LOG) || ...
#
# Unpacks ARCHIVE (SHARED/solo5/solo5-*.tar.gz) into DIR and runs its
# ./configure.sh and make there; prints the tree's path.  Reused while
# DIR/stamp names the same inputs (solo5_inputs) and the tenders are
# there; taken from the build cache when an earlier build had them.  Two tests
# that want it at once take turns (flock on DIR.lock).  Needs gcc, make
# and libseccomp (solo5-spt's sandbox).  The build's output goes to LOG.

# The build cache by content (ZN_CACHE_DIR): a tree built before from
# the same inputs is unpacked instead of built.
# shellcheck source=scripts/cache.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/cache.sh"

# solo5_inputs ARCHIVE: what a built tree depends on, a line each: the
# archive's hash, this file, the compiler, the tools, libseccomp (the
# tender's sandbox).  The stamp, and the key of the product "solo5".
solo5_inputs() {
  echo "archive $(sha256sum <"$1" | cut -d' ' -f1)"
  echo "script $(sha256sum <"${BASH_SOURCE[0]}" | cut -d' ' -f1)"
  echo "cc $(zn_tool_version cc --version)"
  echo "ld $(zn_tool_version ld --version)"
  echo "make $(zn_tool_version make --version)"
  echo "libseccomp $(dpkg-query -W -f='${Version}' libseccomp-dev 2>/dev/null || true)"
}

solo5_build() {
  local archive=$1 dir=$2 log=$3 name tree
  name=$(basename "$archive" .tar.gz)
  tree=$dir/$name
  mkdir -p "$(dirname "$dir")"
  (
    flock 9
    inputs=$(solo5_inputs "$archive")
    if [ "$(cat "$dir/stamp" 2>/dev/null)" = "$inputs" ] &&
      [ -x "$tree/tenders/spt/solo5-spt" ]; then
      exit 0
    fi
    rm -rf "$dir" && mkdir -p "$dir" || exit 1
    echo "$inputs" >"$dir.inputs"
    key=$(zn_cache_key <"$dir.inputs")
    if zn_cache_get solo5 "$key" "$dir" && [ -x "$tree/tenders/spt/solo5-spt" ]; then
      echo "$inputs" >"$dir/stamp"
      echo "Solo5 from the build cache ($key)" >"$log"
      exit 0
    fi
    rm -rf "$dir" && mkdir -p "$dir" && tar xzf "$archive" -C "$dir" &&
      (cd "$tree" && ./configure.sh && timeout 600 make -j"$(nproc)") \
        >"$log" 2>&1 && [ -x "$tree/tenders/spt/solo5-spt" ] &&
      echo "$inputs" >"$dir/stamp" &&
      zn_cache_put solo5 "$key" "$dir.inputs" "$dir" "$name"
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
