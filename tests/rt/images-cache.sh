# The programs scripts/images builds, kept in the build cache by content
# (scripts/cache.sh): sourced by scripts/images after tests/rt/images-env.sh
# (B, T, ZCC set; ok and not_ok from tests/e2e/lib.sh; build_step from
# scripts/images).
#
# A program built by znet-cc is an ordinary static Linux program that
# carries its own objects for znet-image (rt/znet-cc.in): it depends on
# its source, its build's commands and flags, the compilers and tools,
# and on what znet-cc gives every program (musl, C++'s runtime,
# libznet-rt-linux.a, znet-cc itself) -- not on the stack or the rest of
# libznet-rt, which znet-image links in afterwards, every run.  So a
# change to the stack reuses every program; a change to musl's system
# call layer, to znet-cc or to a build's flags builds them again.

# rt_inputs: what znet-cc and znet-c++ give a program, a line each.
rt_inputs() {
  echo "znet-cc $(sha256sum <"$ROOT/rt/znet-cc.in" | cut -d' ' -f1)"
  echo "musl $(sha256sum <"$B/rt/musl/stamp" 2>/dev/null | cut -d' ' -f1)"
  echo "cxx $(sha256sum <"$B/rt/cxx/stamp" 2>/dev/null | cut -d' ' -f1)"
  echo "rt-linux $(sha256sum <"$B/rt/libznet-rt-linux.a" 2>/dev/null | cut -d' ' -f1)"
  echo "gcc $(zn_tool_version gcc --version)"
  echo "g++ $(zn_tool_version g++ --version)"
  echo "ld $(zn_tool_version ld --version)"
  echo "objcopy $(zn_tool_version objcopy --version)"
  echo "make $(zn_tool_version make --version)"
}

# cached_build KIND NAME LOG DIR OUTS SRCS [TOOLS] -- FUNC ARG...: one case,
# NAME, for the build FUNC ARG... (its output in LOG) whose products are
# OUTS (space-separated paths under DIR).  The key: KIND, the ids of the
# source trees SRCS (space-separated; zn_source_id), the first line of
# each TOOLS command's --version (space-separated commands beyond
# rt_inputs'), rt_inputs, FUNC's own text (its commands and flags) and
# its ARGs, and CACHE_EXTRA's lines (other inputs the caller names;
# emptied after), the checkout's path taken out.  A hit unpacks OUTS into DIR
# and says so; a miss builds and stores them.  CACHE_HIT says which
# (true or false) afterwards.
cached_build() {
  local kind=$1 name=$2 log=$3 dir=$4 outs=$5 srcs=$6 tools="" s key o
  shift 6
  if [ "$1" != -- ]; then
    tools=$1
    shift
  fi
  shift # --
  local inputs=$T/$kind.inputs
  {
    echo "kind $kind"
    for s in $srcs; do echo "source $(zn_source_id "$s")"; done
    for s in $tools; do echo "$s $(zn_tool_version "$s" --version)"; done
    rt_inputs
    declare -f "$1"
    printf 'arg %q\n' "${@:2}"
    [ -n "${CACHE_EXTRA:-}" ] && echo "$CACHE_EXTRA"
  } | sed "s|$ROOT|@ROOT@|g" >"$inputs"
  CACHE_EXTRA=
  CACHE_HIT=false
  key=$(zn_cache_key <"$inputs")
  if zn_cache_get "$kind" "$key" "$dir"; then
    local missing=""
    for o in $outs; do [ -e "$dir/$o" ] || missing+=" $o"; done
    if [ -z "$missing" ]; then
      ok "$name (from the build cache: $kind/${key:0:12})"
      CACHE_HIT=true
      return 0
    fi
  fi
  build_step "$name" "$log" "$@" || return 1
  for o in $outs; do
    [ -e "$dir/$o" ] || { not_ok "$name: $o made"; return 1; }
  done
  # (Paths relative to DIR, a word each: none has a space.)
  # shellcheck disable=SC2086
  zn_cache_put "$kind" "$key" "$inputs" "$dir" $outs
}
