# The build cache by content, outside the checkout (sourced by
# scripts/lib.sh; nothing here changes the shell's options).
#
# Two caches share one directory, ZN_CACHE_DIR (default
# ${XDG_CACHE_HOME:-$HOME/.cache}/znet):
#   ccache/           Debian's ccache, under every C and C++ compile of
#                     the scripts' builds (zn_ccache_env: meson finds it
#                     on PATH; CC=clang builds say CC="ccache clang";
#                     znet-cc, musl's, Solo5's and LLVM's builds use it).
#   KIND/KEY.tar      a product (musl's sysroot, C++'s runtime, Solo5, a
#                     Debian source package, an image's program, a lint
#                     verdict) stored under the SHA-256 of every input
#                     it was made from; KIND/KEY.inputs is that text, so
#                     `diff` of two .inputs files says why a product was
#                     made again.
#
# A product's maker writes its inputs, one per line, "name value", and
# asks for the key (zn_cache_key); a file is named by its SHA-256, a
# source tree by zn_source_id (or zn_hash_tree), a tool by its version
# line.  An input
# left out of the key is a stale result waiting to happen: tests/ci/
# cache.sh changes each kind of input and checks that it rebuilds.
#
# ZN_NO_CACHE=1: nothing is read from or written to the cache (ccache is
# off too): everything is made cold.  .ci/run with ZN_NO_CACHE=1 gives
# its steps a fresh empty cache of their own instead, so that within the
# one run nothing is built twice.  ZN_CACHE_LOG, if set, is a file each
# lookup appends "hit KIND KEY" or "miss KIND KEY" to (.ci/run's table
# says so whether a step ran cold or warm).  Each kind keeps its
# ZN_CACHE_KEEP (8) most recently used products.

zn_cache_dir() {
  echo "${ZN_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/znet}"
}

# zn_cache_enabled: 0 unless ZN_NO_CACHE is set to anything but 0.
zn_cache_enabled() {
  [ "${ZN_NO_CACHE:-0}" = 0 ]
}

# zn_ccache_env: export ccache's settings for the cache directory (or
# CCACHE_DISABLE under ZN_NO_CACHE).  The checkout's path is left out of
# the hash (base_dir, no hash_dir), so that two clones share objects.
zn_ccache_env() {
  if ! zn_cache_enabled; then
    export CCACHE_DISABLE=1
    return 0
  fi
  local d
  d=$(zn_cache_dir)
  export CCACHE_DIR=$d/ccache
  export CCACHE_BASEDIR=${ZN_ROOT:-$PWD}
  export CCACHE_NOHASHDIR=1
  export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-8G}
  # (Compiler checks by content, not mtime: a reinstalled gcc of the
  # same version still hits, a new one does not.)
  export CCACHE_COMPILERCHECK=${CCACHE_COMPILERCHECK:-content}
  # Depend mode: on a miss ccache hashes the headers the compiler's own
  # -MD list names instead of running the preprocessor first, which adds
  # a tenth to every compile of a cold build (an ASan compile of
  # src/tcp/tcp_input.c: 3.2 s plain, 3.5 s through ccache, 3.0 s in
  # depend mode).  A compile without -MD (musl's make) falls back to the
  # preprocessor.
  export CCACHE_DEPEND=${CCACHE_DEPEND:-true}
  mkdir -p "$CCACHE_DIR" 2>/dev/null || true
}

# zn_ccache_cc COMPILER: "ccache COMPILER" when ccache is there and the
# cache is on, else COMPILER: for the CC= of a build meson would not give
# ccache to by itself.
zn_ccache_cc() {
  if zn_cache_enabled && command -v ccache >/dev/null; then
    echo "ccache $1"
  else
    echo "$1"
  fi
}

# zn_hash_tree DIR: one SHA-256 over every file's path (relative to DIR)
# and contents, which files are executable, and every symbolic link's
# target, in sorted order.
zn_hash_tree() {
  [ -d "$1" ] || { echo "missing"; return 0; }
  (
    cd "$1" || exit 1
    find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum
    find . -type f -perm -u+x | LC_ALL=C sort
    find . -type l -printf '%p -> %l\n' | LC_ALL=C sort
  ) | sha256sum | cut -d' ' -f1
}

# zn_source_id TREE: what names a source tree's content: for a tree that
# scripts/debian-src unpacked, "dsc" and the SHA-256 of its .dsc beside
# it (which holds the hashes of the archives it was unpacked from); else
# "tree" and zn_hash_tree's.
zn_source_id() {
  local tree=$1 ver dsc
  ver=$(sed -n '1s/^\([^ ]*\) (\([0-9]*:\)\{0,1\}\([^)]*\)).*/\1_\3/p' \
    "$tree/debian/changelog" 2>/dev/null)
  dsc=$(dirname "$tree")/$ver.dsc
  if [ -n "$ver" ] && [ -f "$dsc" ]; then
    echo "dsc $(sha256sum <"$dsc" | cut -d' ' -f1)"
  else
    echo "tree $(zn_hash_tree "$tree")"
  fi
}

# zn_tool_version CMD...: the first line CMD prints (its version), or
# "none" if it cannot run: for the inputs of a key.
zn_tool_version() {
  local v
  v=$("$@" 2>&1 | head -n1) || true
  echo "${v:-none}"
}

# zn_cache_key < INPUTS: the key of an inputs text (its SHA-256).  The
# caller keeps the text in a file and hands it to zn_cache_put too.
zn_cache_key() {
  sha256sum | cut -d' ' -f1
}

zn_cache_log() {
  [ -n "${ZN_CACHE_LOG:-}" ] && echo "$1 $2 $3" >>"$ZN_CACHE_LOG"
  return 0
}

# zn_cache_get KIND KEY DEST: unpack the product KIND/KEY into DEST
# (made if missing); 0 on a hit, 1 on a miss (or with the cache off).
zn_cache_get() {
  local kind=$1 key=$2 dest=$3 f
  zn_cache_enabled || return 1
  f=$(zn_cache_dir)/$kind/$key.tar
  if [ ! -f "$f" ]; then
    zn_cache_log miss "$kind" "$key"
    return 1
  fi
  mkdir -p "$dest" || return 1
  if ! tar -xf "$f" -C "$dest"; then
    echo "${ZN_NAME:-cache}: cache entry $f unreadable; made again" >&2
    rm -f "$f"
    zn_cache_log miss "$kind" "$key"
    return 1
  fi
  touch "$f"
  zn_cache_log hit "$kind" "$key"
  return 0
}

# zn_cache_put KIND KEY INPUTS DIR PATH...: store DIR's PATHs (relative
# to DIR) as the product KIND/KEY, INPUTS (a file: the inputs text) beside
# it; written whole or not at all.  A failure to store is said, not
# fatal.
zn_cache_put() {
  local kind=$1 key=$2 inputs=$3 dir=$4 d tmp
  shift 4
  zn_cache_enabled || return 0
  d=$(zn_cache_dir)/$kind
  mkdir -p "$d" || return 0
  tmp=$(mktemp "$d/.put.XXXXXX") || return 0
  zn_cache_relative_links "$dir" "$@"
  # (mktemp's file is private: a product is as readable as the rest.)
  if tar -cf "$tmp" -C "$dir" "$@" && chmod 644 "$tmp" && cp "$inputs" "$d/$key.inputs.tmp$$" &&
    mv "$d/$key.inputs.tmp$$" "$d/$key.inputs" && mv "$tmp" "$d/$key.tar"; then
    zn_cache_prune "$kind"
  else
    echo "${ZN_NAME:-cache}: could not store $kind/$key in $d" >&2
    rm -f "$tmp" "$d/$key.inputs.tmp$$"
  fi
  return 0
}

# zn_cache_relative_links DIR PATH...: each symbolic link under DIR's
# PATHs whose target is an absolute path inside DIR made relative (the
# same file), so that the product works wherever it is unpacked.
zn_cache_relative_links() {
  local dir l t
  dir=$(cd "$1" && pwd -P) || return 0
  shift
  (cd "$dir" && find "$@" -type l -lname '/*' -print0 2>/dev/null) |
    while IFS= read -r -d '' l; do
      t=$(readlink "$dir/$l")
      case $t in
      "$dir"/*)
        ln -sfn "$(realpath -m -s --relative-to="$(dirname "$dir/$l")" "$t")" "$dir/$l"
        ;;
      esac
    done
}

# zn_cache_prune KIND: keep the ZN_CACHE_KEEP (8) most recently used
# products of KIND.
zn_cache_prune() {
  local d keep=${ZN_CACHE_KEEP:-8} f
  d=$(zn_cache_dir)/$1
  # (Names are hex keys: no spaces.)
  # shellcheck disable=SC2012
  for f in $(ls -t "$d"/*.tar 2>/dev/null | tail -n +"$((keep + 1))"); do
    rm -f "$f" "${f%.tar}.inputs"
  done
}
