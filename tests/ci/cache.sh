#!/bin/bash
# The build cache by content (scripts/cache.sh) against stale results: a
# product whose inputs are not all in its key would be taken from the
# cache after an input changed.  So each maker runs on a miniature of its
# input, once cold, once warm (a new build directory: from the cache),
# and once after each kind of input changed, which must build again:
#
#   musl (rt/musl/build)      the source (its tree, the .dsc beside it),
#                             the compiler's and tools' versions,
#                             linux-libc-dev, the replacements (znet's
#                             runtime), the script (its flags)
#   cxx (rt/cxx/build)        the source, the script, musl's build, the
#                             compilers' and tools' versions
#   images' programs          the source, the build function's text and
#   (tests/rt/images-cache.sh) arguments, the tools, musl's and C++'s
#                             stamps, libznet-rt-linux.a, znet-cc,
#                             CACHE_EXTRA
#   libc-test's programs      the suite's archive, what znet-cc gives
#   (tests/suites/            every program (rt_inputs, as above), the
#   libc-test-build.sh)       build's commands
#   solo5 (solo5-build.sh)    the archive, the script, the tools,
#                             libseccomp
#   lint verdicts             a header's comments (NOLINT), the compile
#   (scripts/tidy-cached)     command's flags, .clang-tidy, clang-tidy's
#                             version; the verdict replayed as it was
#   apt's answers             apt's configuration, an index changed or
#   (scripts/debian-src --id) added, a source list, a pin; the package
#   Go programs               the module's version in the list, the Go
#   (scripts/go-tools.sh)     toolchain's version
#
# Also that a clone at another path reuses a product, and that
# ZN_NO_CACHE=1 builds.
#
# The real scripts run; only the expensive tools are fakes (musl's and
# Solo5's configure and Makefile, cmake, ninja, clang-tidy, go), each
# counting its builds in a file, and a tool's version is changed by a
# wrapper earlier on PATH that says another --version and otherwise runs
# the real tool.  Everything happens in a scratch directory (the cache
# too: ZN_CACHE_DIR), removed at exit; no network, no root.  The eight
# makers are tested side by side (each a background job with its own
# TAP, numbered as one at the end): each build spawns a hundred
# processes or so, and the cases of one maker follow each other.
#
#   tests/ci/cache.sh [SOURCE_ROOT]
#
# Output is TAP.
set -u
src=$(cd "${1:-$(dirname "$0")/../..}" && pwd)

# The scratch directory by its real path: tidy-cached takes the root's
# real path out of its keys and puts it back in its verdicts.
W=$(mktemp -d "${TMPDIR:-/tmp}/znet-cache-test.XXXXXX") || exit 1
W=$(cd "$W" && pwd -P)
trap 'rm -rf "$W"' EXIT

# This test's own cache, whatever the caller's environment says (set
# before lib.sh, which points ccache at it).
export ZN_CACHE_DIR=$W/cache XDG_CACHE_HOME=$W/xdg
unset ZN_NO_CACHE ZN_CACHE_LOG ZN_CACHE_KEEP
. "$src/tests/e2e/lib.sh"

mkdir -p "$W/bin" "$W/count"
export PATH=$W/bin:$PATH

# --- Helpers -------------------------------------------------------------

# count PRODUCT: how many times PRODUCT's fake build ran, in COUNT
# (no subshell, no process: each costs, a hundred and more per build).
count() {
  local lines=()
  [ -f "$W/count/$1" ] && mapfile -t lines <"$W/count/$1"
  COUNT=${#lines[@]}
}

# ran PRODUCT N CMD...: CMD succeeds and PRODUCT's fake build ran N more
# times (0: the product came from the cache).  CMD runs in this shell
# (its variables stay set); its output goes to $W/log.PRODUCT.
ran() {
  local product=$1 n=$2 before log=$W/log.$1
  shift 2
  count "$product"
  before=$COUNT
  echo "=== $*" >>"$log"
  if ! "$@" >>"$log" 2>&1; then
    tail -5 "$log" | diag
    return 1
  fi
  count "$product"
  [ "$COUNT" -eq $((before + n)) ] && return 0
  echo "$product built $((COUNT - before)) times, not $n" | diag
  return 1
}

# with VAR=VALUE CMD...: CMD with VAR set (and exported) for it alone.
with() {
  local -x "$1"
  shift
  "$@"
}

# with_version TOOL VERSION CMD...: CMD with a TOOL earlier on PATH that
# says VERSION for --version (and for dpkg-query -W: a package's version)
# and is otherwise the TOOL there was.
with_version() {
  local tool=$1 version=$2 real d
  shift 2
  real=$(command -v "$tool") || real=false
  d=$(mktemp -d "$W/wrap.XXXXXX")
  cat >"$d/$tool" <<EOF
#!/bin/sh
case "\$1" in --version | -W) echo "$version"; exit 0 ;; esac
exec "$real" "\$@"
EOF
  chmod +x "$d/$tool"
  PATH=$d:$PATH "$@"
}

# changelog TREE PKG VERSION: the first line of TREE's debian/changelog,
# which zn_source_id reads to find a .dsc beside TREE.
changelog() {
  mkdir -p "$1/debian"
  echo "$2 ($3) unstable; urgency=medium" >"$1/debian/changelog"
}

# makefile FILE < TEXT: TEXT with each leading "|" made a tab.
makefile() {
  sed 's/^|/\t/' >"$1"
}

# The scripts that are changed by the cases, copied with their layout
# (each finds scripts/cache.sh at ../../scripts from its own directory).
mkdir -p "$W/rt" "$W/scripts" "$W/tests/solo5"
cp -a "$src/rt/musl" "$src/rt/cxx" "$W/rt/"
cp "$src/scripts/cache.sh" "$W/scripts/"
cp "$src/tests/solo5/solo5-build.sh" "$W/tests/solo5/"
# An empty object, for the fakes' archives (objdump reads them).
: >"$W/empty.c"
gcc -c -o "$W/empty.o" "$W/empty.c"

# --- 1. musl (rt/musl/build) ----------------------------------------------

# musl_tree TREE: musl's tree in miniature: what rt/musl/build checks for
# and replaces, a changelog, and a configure whose Makefile counts its
# builds and installs an empty libc.
musl_tree() {
  local t=$1
  mkdir -p "$t"/arch/x86_64 "$t"/src/{thread,signal,process}/x86_64
  echo "/* musl's own */" >"$t/arch/x86_64/syscall_arch.h"
  echo 'vfork: syscall' >"$t/src/process/x86_64/vfork.s"
  changelog "$t" musl 1.2.3-1
  cat >"$t/configure" <<'EOF'
#!/bin/sh
# The prefix and compiler rt/musl/build gives, for the Makefile.
for a; do
  case $a in
  --prefix=*) echo "prefix = ${a#*=}" ;;
  CC=*) echo "CC = ${a#*=}" ;;
  esac
done >config.mk
EOF
  chmod +x "$t/configure"
  makefile "$t/Makefile" <<EOF
include config.mk
all:
|echo built >>$W/count/musl
|cp $W/empty.o empty.o
install:
|mkdir -p \$(prefix)/lib \$(prefix)/include
|ar rc \$(prefix)/lib/libc.a empty.o
|for f in crt1 crti crtn; do cp empty.o \$(prefix)/lib/\$\$f.o; done
EOF
}

# musl_build: rt/musl/build into a new build directory, MUSL_OUT (its
# parent is meson's: it gets the copies).
musl_build() {
  MUSL_OUT=$(mktemp -d "$W/musl.XXXXXX")/musl
  bash "$W/rt/musl/build" "$W/src/musl-1.2.3" "$MUSL_OUT"
}

# musl_made: the sysroot and meson's copies are there.
musl_made() {
  local m
  m=$(dirname "$MUSL_OUT")
  [ -f "$MUSL_OUT/sysroot/lib/libc.a" ] && [ -f "$MUSL_OUT/sysroot/lib/crt1.o" ] &&
    [ -f "$m/libc.a" ] && [ -f "$m/crtn.o" ] && [ -f "$m/musl-ready.h" ]
}

musl_cases() {
  local tree=$W/src/musl-1.2.3 t
  musl_tree "$tree"
  check "musl: built the first time" ran musl 1 musl_build
  check "musl: sysroot and meson's copies made" musl_made
  check "musl: a new build directory takes it from the cache" \
    ran musl 0 with "ZN_CACHE_LOG=$W/cache.log" musl_build
  check "musl: sysroot and meson's copies unpacked" musl_made
  check "musl: ZN_CACHE_LOG says hit" grep -q '^hit musl ' "$W/cache.log"
  check "musl: ZN_NO_CACHE=1 builds though the cache has it" \
    ran musl 1 with ZN_NO_CACHE=1 musl_build
  echo 'int x;' >"$tree/src/thread/x86_64/new.c"
  changelog "$tree" musl 1.2.4-1
  check "musl: its source tree changed (a file, the changelog)" ran musl 1 musl_build
  # With a .dsc beside the tree (as scripts/debian-src leaves it), the
  # .dsc's hash names the source.
  echo "Files: 1111 musl_1.2.4.orig.tar.gz" >"$W/src/musl_1.2.4-1.dsc"
  check "musl: a .dsc appeared beside the tree" ran musl 1 musl_build
  echo "Files: 2222 musl_1.2.4.orig.tar.gz" >"$W/src/musl_1.2.4-1.dsc"
  check "musl: the .dsc changed (another archive)" ran musl 1 musl_build
  for t in gcc make objdump; do
    check "musl: $t's version changed" ran musl 1 with_version "$t" "$t (fake) 99.1" musl_build
  done
  check "musl: linux-libc-dev's version changed" \
    ran musl 1 with_version dpkg-query 99.1-fake musl_build
  echo '/* changed */' >>"$W/rt/musl/syscall_arch.h"
  check "musl: a replacement (rt/musl/syscall_arch.h) changed" ran musl 1 musl_build
  echo '/* new */' >"$W/rt/musl/new_replacement.c"
  check "musl: a replacement added (rt/musl/*.c)" ran musl 1 musl_build
  sed -i 's/CFLAGS="/CFLAGS="-O1 /' "$W/rt/musl/build"
  check "musl: the script's flags changed" ran musl 1 musl_build
  check "musl: the same inputs again: from the cache" ran musl 0 musl_build
}

# --- 2. C++'s runtime (rt/cxx/build) -----------------------------------------

# cxx_fakes: an LLVM tree in miniature, a musl build (its stamp is what
# cxx depends on), and cmake and ninja: cmake counts the builds and
# remembers the prefix, ninja's install targets make empty archives
# there.
cxx_fakes() {
  local t=$W/src/llvm-toolchain-14-14.0.6
  mkdir -p "$t"/{runtimes,libcxx,libcxxabi,libunwind}
  echo 'project(Runtimes)' >"$t/runtimes/CMakeLists.txt"
  changelog "$t" llvm-toolchain-14 1:14.0.6-12
  mkdir -p "$W/cxx-musl/musl/sysroot/include"
  echo "musl 1" >"$W/cxx-musl/musl/stamp"
  cat >"$W/bin/cmake" <<EOF
#!/bin/sh
[ "\$1" = --version ] && { echo "cmake version 3.25.1"; exit 0; }
for a; do case \$a in -DCMAKE_INSTALL_PREFIX=*) prefix=\${a#*=} ;; esac; done
while [ \$# -gt 0 ]; do [ "\$1" = -B ] && build=\$2; shift; done
mkdir -p "\$build" && echo "\$prefix" >"\$build/prefix" && echo built >>$W/count/cxx
EOF
  cat >"$W/bin/ninja" <<EOF
#!/bin/sh
[ "\$1" = --version ] && { echo 1.11.1; exit 0; }
prefix=\$(cat "\$2/prefix") || exit 1
case "\$*" in
*install-cxx*)
  mkdir -p "\$prefix/lib" "\$prefix/include/c++/v1"
  : >"\$prefix/include/c++/v1/__config_site"
  for l in libc++ libc++abi libunwind; do ar rc "\$prefix/lib/\$l.a" $W/empty.o; done
  ;;
esac
EOF
  chmod +x "$W/bin/cmake" "$W/bin/ninja"
}

# cxx_build: rt/cxx/build into a new build directory, CXX_OUT.
cxx_build() {
  CXX_OUT=$(mktemp -d "$W/cxx.XXXXXX")/cxx
  bash "$W/rt/cxx/build" "$W/src/llvm-toolchain-14-14.0.6" \
    "$W/cxx-musl/musl/sysroot" "$CXX_OUT"
}

# cxx_made: the prefix and meson's copies are there.
cxx_made() {
  [ -f "$CXX_OUT/prefix/lib/libc++.a" ] && [ -f "$(dirname "$CXX_OUT")/libunwind.a" ] &&
    [ -f "$(dirname "$CXX_OUT")/cxx-ready.h" ]
}

cxx_cases() {
  local t
  cxx_fakes
  check "cxx: built the first time" ran cxx 1 cxx_build
  check "cxx: a new build directory takes it from the cache" ran cxx 0 cxx_build
  check "cxx: the prefix and meson's copies unpacked" cxx_made
  check "cxx: ZN_NO_CACHE=1 builds though the cache has it" \
    ran cxx 1 with ZN_NO_CACHE=1 cxx_build
  echo '# changed' >>"$W/src/llvm-toolchain-14-14.0.6/runtimes/CMakeLists.txt"
  check "cxx: its source tree changed" ran cxx 1 cxx_build
  echo "musl 2" >"$W/cxx-musl/musl/stamp"
  check "cxx: musl's build changed (its stamp)" ran cxx 1 cxx_build
  for t in gcc g++ cmake ninja; do
    check "cxx: $t's version changed" ran cxx 1 with_version "$t" "$t (fake) 99.1" cxx_build
  done
  sed -i 's/-D_GNU_SOURCE/-D_GNU_SOURCE -O1/' "$W/rt/cxx/build"
  check "cxx: the script's flags changed" ran cxx 1 cxx_build
  check "cxx: the same inputs again: from the cache" ran cxx 0 cxx_build
}

# --- 3. The images' programs (tests/rt/images-cache.sh) ------------------

# program_fakes: scripts/images' setting in miniature: a checkout ROOT
# with znet-cc's source, its build directory B (inside it, as
# scripts/images has it) with the runtime's stamps and library, a toy
# program's source tree, a tool named by the build.
program_fakes() {
  ROOT=$W/root
  B=$ROOT/build-images
  T=$W/T
  toy_src=$ROOT/toy
  mkdir -p "$ROOT/rt" "$B/rt/musl" "$B/rt/cxx" "$T" "$toy_src"
  cp "$src/rt/znet-cc.in" "$ROOT/rt/"
  echo "musl 1" >"$B/rt/musl/stamp"
  echo "cxx 1" >"$B/rt/cxx/stamp"
  echo "rt-linux 1" >"$B/rt/libznet-rt-linux.a"
  changelog "$toy_src" toy 1.0-1
  printf '#include <stdio.h>\nint main(void) { printf("%%d\\n", GREETING); return 0; }\n' \
    >"$toy_src/hello.c"
  printf '#!/bin/sh\necho "faketool 1.0"\n' >"$W/bin/faketool"
  chmod +x "$W/bin/faketool"
}

# toy_build SRC OUT FLAG...: the toy program's build, counted.
toy_build() {
  echo built >>"$W/count/toy"
  gcc "${@:3}" -o "$2" "$1/hello.c"
}

# toy: cached_build of the toy program into an empty B/toy (a hit must
# unpack it), which must then run.  Its ok, not_ok and build_step lines
# go to $W/toy.calls, not into this test's TAP.
# shellcheck disable=SC2317 # (ok, not_ok, build_step: cached_build's)
toy() {
  rm -rf "$B/toy" && mkdir -p "$B/toy" || return 1
  (
    ok() { echo "ok - $*" >>"$W/toy.calls"; }
    not_ok() { echo "not ok - $*" >>"$W/toy.calls"; }
    build_step() {
      echo "build_step $1" >>"$W/toy.calls"
      local log=$2
      shift 2
      "$@" >"$log" 2>&1
    }
    cached_build toy "toy built" "$T/toy.log" "$B/toy" hello "$toy_src" "$toy_tools" -- \
      toy_build "$toy_src" "$B/toy/hello" "${toy_flags[@]}"
  ) && "$B/toy/hello" >/dev/null
}

# toy_said_hit: cached_build's last line was its "from the build cache" ok.
toy_said_hit() {
  tail -n1 "$W/toy.calls" | grep -q '^ok - toy built (from the build cache: toy/'
}

program_cases() {
  local t
  toy_flags=(-DGREETING=1)
  toy_tools=""
  program_fakes
  . "$src/tests/rt/images-cache.sh"
  check "program: built the first time" ran toy 1 toy
  check "program: built again, from the cache" ran toy 0 toy
  check "program: cached_build said so" toy_said_hit
  echo '/* changed */' >>"$toy_src/hello.c"
  check "program: its source changed" ran toy 1 toy
  # shellcheck disable=SC2317 # (run by cached_build)
  toy_build() {
    echo built >>"$W/count/toy"
    gcc -O1 "${@:3}" -o "$2" "$1/hello.c"
  }
  check "program: the build function's flags changed" ran toy 1 toy
  toy_flags=(-DGREETING=2)
  check "program: the build's arguments changed" ran toy 1 toy
  toy_tools=faketool
  check "program: a tool named (TOOLS)" ran toy 1 toy
  check "program: a named tool's version changed" \
    ran toy 1 with_version faketool "faketool 2.0" toy
  for t in gcc g++ ld objcopy make; do
    check "program: $t's version changed" ran toy 1 with_version "$t" "$t (fake) 99.1" toy
  done
  echo "musl 2" >"$B/rt/musl/stamp"
  check "program: musl changed (its stamp)" ran toy 1 toy
  echo "cxx 2" >"$B/rt/cxx/stamp"
  check "program: C++'s runtime changed (its stamp)" ran toy 1 toy
  echo "rt-linux 2" >"$B/rt/libznet-rt-linux.a"
  check "program: libznet-rt-linux.a changed" ran toy 1 toy
  echo '# changed' >>"$ROOT/rt/znet-cc.in"
  check "program: znet-cc changed" ran toy 1 toy
  check "program: CACHE_EXTRA given" ran toy 1 with "CACHE_EXTRA=patch 1" toy
  check "program: CACHE_EXTRA changed" ran toy 1 with "CACHE_EXTRA=patch 2" toy
  check "program: the same inputs again: from the cache" \
    ran toy 0 with "CACHE_EXTRA=patch 2" toy
  # Another clone of the checkout reuses the program: the checkout's
  # path is taken out of the key.
  cp -a "$ROOT" "$W/clone"
  check "program: a clone of the checkout at another path: from the cache" \
    ran toy 0 with "ROOT=$W/clone" with "B=$W/clone/build-images" \
    with "toy_src=$W/clone/toy" with "CACHE_EXTRA=patch 2" toy
}

# --- 3b. libc-test's programs (tests/suites/libc-test-build.sh) ----------

# libc_archive TEXT: libc-test's archive in miniature (config.mak.def
# says TEXT): a Makefile whose "debug" names two tests and counts the
# builds, and whose tests are scripts.
libc_archive() {
  local t=$W/libc-src/libc-test-fake
  mkdir -p "$t"
  printf 'CFLAGS = %s\nLDLIBS =\n' "$1" >"$t/config.mak.def"
  makefile "$t/Makefile" <<EOF
debug:
|@echo built >>$W/count/libc
|@echo "BINS src/functional/a.exe src/regression/b.exe"
src/%.exe:
|mkdir -p \$(dir \$@) && echo '#!/bin/sh' >\$@ && chmod +x \$@
EOF
  mkdir -p "$LROOT/shared/suites"
  tar czf "$LROOT/shared/suites/libc-test-fake.tar.gz" -C "$W/libc-src" libc-test-fake
}

# libc_fakes: scripts/suites' setting in miniature (program_fakes' for
# rt_inputs, in a checkout of its own).
libc_fakes() {
  LROOT=$W/lroot
  ROOT=$LROOT/main
  B=$ROOT/build-images
  T=$W/lT
  shared=$LROOT/shared
  ZCC=$B/rt/znet-cc
  mkdir -p "$ROOT/rt" "$B/rt/musl" "$B/rt/cxx" "$T"
  cp "$src/rt/znet-cc.in" "$ROOT/rt/"
  echo "musl 1" >"$B/rt/musl/stamp"
  echo "cxx 1" >"$B/rt/cxx/stamp"
  echo "rt-linux 1" >"$B/rt/libznet-rt-linux.a"
}

# libc: libc_test_build into a fresh B/suites, whose two tests must be
# there after.  Its TAP lines go to $W/libc.calls.
# shellcheck disable=SC2317 # (check, not_ok, need_shared: its; check
# notes the case, whose "more than 100 built" is the real suite's)
libc() {
  rm -rf "$B/suites" && mkdir -p "$B/suites" || return 1
  (
    check() { echo "case - $1" >>"$W/libc.calls"; }
    not_ok() { echo "not ok - $*" >>"$W/libc.calls"; }
    need_shared() { [ -e "$1" ]; }
    libc_test_build
    [ -x "$B/suites/libc-test/src/functional/a.exe" ] &&
      [ -x "$B/suites/libc-test/src/regression/b.exe" ] &&
      [ "$(grep -c . "$T/lt.bins")" = 2 ]
  )
}

# libc_said_hit: libc_test_build's last line said the cache gave them.
libc_said_hit() {
  tail -n1 "$W/libc.calls" | grep -q 'built by znet-cc (from the build cache: libc-test/'
}

libc_cases() {
  libc_fakes
  libc_archive "-O2"
  . "$src/tests/rt/images-cache.sh"
  . "$src/tests/suites/libc-test-build.sh"
  check "libc-test: built the first time" ran libc 1 libc
  check "libc-test: built again, from the cache" ran libc 0 libc
  check "libc-test: libc_test_build said so" libc_said_hit
  libc_archive "-O1"
  check "libc-test: the archive changed" ran libc 1 libc
  echo "musl 2" >"$B/rt/musl/stamp"
  check "libc-test: musl changed (its stamp)" ran libc 1 libc
  echo "rt-linux 2" >"$B/rt/libznet-rt-linux.a"
  check "libc-test: libznet-rt-linux.a changed" ran libc 1 libc
  echo '# changed' >>"$ROOT/rt/znet-cc.in"
  check "libc-test: znet-cc changed" ran libc 1 libc
  check "libc-test: gcc's version changed" ran libc 1 with_version gcc "gcc (fake) 99.1" libc
  # shellcheck disable=SC2317 # (run by libc_test_build)
  libc_test_make() {
    local src=$1
    { echo "CC = $ZCC"; echo "# changed"; sed -n '1,/^LDLIBS/p' "$src/config.mak.def"; } >"$src/config.mak"
    (cd "$src" && make debug 2>/dev/null) | sed -n 's/^BINS //p' | tr ' ' '\n' >"$src/lt.bins"
    # shellcheck disable=SC2046 # (names without spaces)
    (cd "$src" && make -k $(cat "$src/lt.bins")) >"$T/lt.build.log" 2>&1
  }
  check "libc-test: the build's commands changed" ran libc 1 libc
  check "libc-test: the same inputs again: from the cache" ran libc 0 libc
  cp -a "$ROOT" "$LROOT/clone"
  check "libc-test: a clone of the checkout at another path: from the cache" \
    ran libc 0 with "ROOT=$LROOT/clone" with "B=$LROOT/clone/build-images" \
    with "ZCC=$LROOT/clone/build-images/rt/znet-cc" libc
}

# --- 4. Solo5 (tests/solo5/solo5-build.sh) --------------------------------

# solo5_archive TEXT: Solo5's archive in miniature (its README says TEXT):
# configure.sh, and a Makefile that counts its builds and makes the
# tender.
solo5_archive() {
  local t=$W/solo5-src/solo5-v0.9.0
  mkdir -p "$t"
  printf '#!/bin/sh\necho "CONFIG_SPT=1" >Makeconf\n' >"$t/configure.sh"
  chmod +x "$t/configure.sh"
  makefile "$t/Makefile" <<EOF
all:
|echo built >>$W/count/solo5
|mkdir -p tenders/spt && cp configure.sh tenders/spt/solo5-spt
EOF
  echo "$1" >"$t/README.md"
  tar czf "$W/solo5-v0.9.0.tar.gz" -C "$W/solo5-src" solo5-v0.9.0
}

# solo5_new: solo5_build into a new directory; its tree in SOLO5_TREE.
solo5_new() {
  SOLO5_TREE=$(solo5_build "$W/solo5-v0.9.0.tar.gz" \
    "$(mktemp -d "$W/solo5.XXXXXX")/solo5" "$W/solo5.log")
}

solo5_cases() {
  local t
  solo5_archive "Solo5 0.9.0"
  . "$W/tests/solo5/solo5-build.sh"
  check "solo5: built the first time" ran solo5 1 solo5_new
  check "solo5: a new directory takes it from the cache" ran solo5 0 solo5_new
  check "solo5: the tender unpacked, executable" [ -x "$SOLO5_TREE/tenders/spt/solo5-spt" ]
  check "solo5: ZN_NO_CACHE=1 builds though the cache has it" \
    ran solo5 1 with ZN_NO_CACHE=1 solo5_new
  solo5_archive "Solo5 0.9.1"
  check "solo5: the archive changed" ran solo5 1 solo5_new
  for t in cc ld make; do
    check "solo5: $t's version changed" ran solo5 1 with_version "$t" "$t (fake) 99.1" solo5_new
  done
  check "solo5: libseccomp's version changed" \
    ran solo5 1 with_version dpkg-query 99.1-fake solo5_new
  echo '# changed' >>"$W/tests/solo5/solo5-build.sh"
  check "solo5: the script changed" ran solo5 1 solo5_new
  check "solo5: the same inputs again: from the cache" ran solo5 0 solo5_new
}

# --- 5. Lint verdicts (scripts/tidy-cached) -------------------------------

# tidy_fake: clang-tidy that counts its analyses, finds one thing in each
# file (naming it by its path, which the cache keeps relative to the
# root) and fails, as clang-tidy with warnings as errors does.
tidy_fake() {
  cat >"$W/bin/clang-tidy" <<EOF
#!/bin/sh
if [ "\$1" = --version ]; then
  printf 'Debian LLVM version 14.0.6\n  Optimized build.\n'
  exit 0
fi
for f; do :; done
echo built >>$W/count/tidy
echo "\$f:1:1: warning: fake finding [fake-check]"
echo "1 warning generated." >&2
exit 1
EOF
  chmod +x "$W/bin/clang-tidy"
}

# tidy_tree ROOT: a checkout in miniature: a .clang-tidy, a.c (which
# includes a.h) and b.c.
tidy_tree() {
  mkdir -p "$1/src" "$1/build"
  echo "Checks: '-*,bugprone-*'" >"$1/.clang-tidy"
  printf '/* a header */\nint a(void);\n' >"$1/src/a.h"
  printf '#include "a.h"\nint a(void) { return FOO; }\n' >"$1/src/a.c"
  printf 'int b(void) { return 2; }\n' >"$1/src/b.c"
}

# tidy_db ROOT FOO: ROOT/build's compile_commands.json (a.c with
# -DFOO=FOO) and the list of files to check.
tidy_db() {
  cat >"$1/build/compile_commands.json" <<EOF
[
 {"directory": "$1/build", "file": "$1/src/a.c",
  "arguments": ["gcc", "-DFOO=$2", "-I$1/src", "-c", "$1/src/a.c", "-o", "a.o"]},
 {"directory": "$1/build", "file": "$1/src/b.c",
  "arguments": ["gcc", "-c", "$1/src/b.c", "-o", "b.o"]}
]
EOF
  printf '%s\n' "$1/src/a.c" "$1/src/b.c" >"$1/build/files.txt"
}

# tidy_run ROOT: scripts/tidy-cached over ROOT (by the interpreter
# itself: a version manager's python3 shim costs a second a run); its
# verdicts in $W/tidy.log and tidy.err, its status in tidy.rc.
tidy_run() {
  "$python" "$src/scripts/tidy-cached" "$1" "$1/build" "$1/build/files.txt" 2 \
    "$W/tidy.log" "$W/tidy.err"
  echo $? >"$W/tidy.rc"
}

# tidy_replayed ROOT: this run's verdicts are the first run's, with
# ROOT's path where the first run's root was.
tidy_replayed() {
  sed "s|$W/tidy/|$1/|g" "$W/tidy.first.log" | cmp -s - "$W/tidy.log" &&
    cmp -s "$W/tidy.first.err" "$W/tidy.err" && [ "$(cat "$W/tidy.rc")" = 1 ]
}

lint_cases() {
  local root=$W/tidy python
  python=$(python3 -c 'import sys; print(sys.executable)')
  tidy_fake
  tidy_tree "$root"
  tidy_db "$root" 1
  check "lint: both files analysed the first time" ran tidy 2 tidy_run "$root"
  check "lint: the finding names the file" \
    grep -q "^$root/src/a.c:1:1: warning" "$W/tidy.log"
  cp "$W/tidy.log" "$W/tidy.first.log"
  cp "$W/tidy.err" "$W/tidy.first.err"
  check "lint: run again, both verdicts from the cache" ran tidy 0 tidy_run "$root"
  check "lint: the verdicts replayed as they were (output, errors, status)" \
    tidy_replayed "$root"
  cp -a "$root" "$W/tidy-clone"
  tidy_db "$W/tidy-clone" 1
  check "lint: a clone at another path: from the cache" ran tidy 0 tidy_run "$W/tidy-clone"
  check "lint: the clone's verdicts name the clone's files" tidy_replayed "$W/tidy-clone"
  check "lint: ZN_NO_CACHE=1 analyses both" ran tidy 2 with ZN_NO_CACHE=1 tidy_run "$root"
  sed -i 's|int a(void);|int a(void); // NOLINT(fake-check)|' "$root/src/a.h"
  check "lint: a comment (NOLINT) in a header changed: its includer analysed" \
    ran tidy 1 tidy_run "$root"
  tidy_db "$root" 2
  check "lint: a flag of a compile command changed: that file analysed" \
    ran tidy 1 tidy_run "$root"
  echo "WarningsAsErrors: '*'" >>"$root/.clang-tidy"
  check "lint: .clang-tidy changed: both analysed" ran tidy 2 tidy_run "$root"
  echo "Checks: '-*'" >"$root/src/.clang-tidy"
  check "lint: a .clang-tidy added in a subdirectory: both analysed" \
    ran tidy 2 tidy_run "$root"
  check "lint: clang-tidy's version changed: both analysed" \
    ran tidy 2 with_version clang-tidy "LLVM version 15.0.7" tidy_run "$root"
  # A .clang-tidy inside a build directory (an unpacked LLVM source, say)
  # is not the checkout's: fixed_inputs skips build*/ and .git.
  echo "Checks: '*'" >"$root/build/.clang-tidy"
  check "lint: a .clang-tidy under build/ is not an input: from the cache" \
    ran tidy 0 tidy_run "$root"
}

# --- 6. apt's answers (scripts/debian-src) ---------------------------------

# apt_fakes: an apt configuration of its own (APT_CONFIG: its lists, its
# sources and pins in $W/apt) and an apt-get that counts what it is asked
# and names a .dsc whose hash is $W/apt/hash.
apt_fakes() {
  local a=$W/apt
  mkdir -p "$a/lists" "$a/sources.list.d" "$a/preferences.d"
  echo "deb-src http://archive.invalid/debian bookworm main" >"$a/sources.list.d/d.list"
  echo "Sources 1" >"$a/lists/archive_bookworm_main_source_Sources"
  echo 1111 >"$a/hash"
  cat >"$a/apt.conf" <<EOF
Dir::State::lists "$a/lists/";
Dir::Etc::sourcelist "$a/sources.list";
Dir::Etc::sourceparts "$a/sources.list.d/";
Dir::Etc::preferencesparts "$a/preferences.d/";
EOF
  cat >"$W/bin/apt-get" <<EOF
#!/bin/sh
[ "\$1 \$2" = "source --print-uris" ] || exit 100
for p; do :; done
echo built >>$W/count/apt
h=\$(cat $a/hash)
echo "'http://archive.invalid/\${p}_1.0-1.dsc' \${p}_1.0-1.dsc 1234 SHA256:\$h"
echo "'http://archive.invalid/\${p}_1.0.orig.tar.gz' \${p}_1.0.orig.tar.gz 99 SHA256:0000"
EOF
  chmod +x "$W/bin/apt-get"
}

# apt_id PKG: scripts/debian-src --id PKG, its answer in $W/apt/id.
apt_id() {
  "$src/scripts/debian-src" --id "$1" >"$W/apt/id"
}

apt_cases() {
  local a=$W/apt
  export APT_CONFIG=$a/apt.conf
  apt_fakes
  check "apt: asked the first time" ran apt 1 apt_id musl
  check "apt: the .dsc's hash is the answer" grep -qx "dsc 1111" "$a/id"
  check "apt: asked again: the answer kept" ran apt 0 apt_id musl
  check "apt: the kept answer is the same" grep -qx "dsc 1111" "$a/id"
  check "apt: another package: asked" ran apt 1 apt_id redis
  check "apt: ZN_NO_CACHE=1 asks" ran apt 1 with ZN_NO_CACHE=1 apt_id musl
  echo 2222 >"$a/hash"
  echo "Sources 2, longer" >"$a/lists/archive_bookworm_main_source_Sources"
  check "apt: an index changed (apt-get update): asked" ran apt 1 apt_id musl
  check "apt: the new index's answer" grep -qx "dsc 2222" "$a/id"
  echo "Sources 3, new" >"$a/lists/archive_trixie_main_source_Sources"
  check "apt: an index added: asked" ran apt 1 apt_id musl
  echo "deb-src http://archive.invalid/debian bookworm-updates main" >>"$a/sources.list.d/d.list"
  check "apt: a source list changed: asked" ran apt 1 apt_id musl
  printf 'Package: musl\nPin: release n=trixie\nPin-Priority: 900\n' >"$a/preferences.d/pin"
  check "apt: a pin added: asked" ran apt 1 apt_id musl
  echo 'APT::Default-Release "trixie";' >>"$a/apt.conf"
  check "apt: apt's configuration changed: asked" ran apt 1 apt_id musl
  check "apt: the same state again: the answer kept" ran apt 0 apt_id musl
}

# --- 7. Go programs (scripts/go-tools.sh) ----------------------------------

# go_fake: a go that says the version in $W/go/version and, for
# `install ... MODULE/PKG@VERSION`, counts a build and writes GOBIN/NAME,
# a program that prints MODULE/PKG@VERSION.
go_fake() {
  mkdir -p "$W/go/bin"
  echo "go version go1.26.8 linux/amd64" >"$W/go/version"
  cat >"$W/go/bin/go" <<EOF
#!/bin/sh
case "\$1" in
version) cat $W/go/version ;;
install)
  for p; do :; done
  n=\$(basename "\${p%@*}")
  echo built >>$W/count/go
  printf '#!/bin/sh\necho %s\n' "\$p" >"\$GOBIN/\$n" && chmod +x "\$GOBIN/\$n" ;;
*) exit 2 ;;
esac
EOF
  chmod +x "$W/go/bin/go"
}

# go_tool DIR: zn_go_tool crictl into a new DIR; the program there must
# be of the list's module and version.
go_tool() {
  rm -rf "$1"
  zn_go_tool crictl "$1" "$W/go/log" &&
    [ "$("$1/crictl")" = "$(awk '{ print $2 "/" $4 "@" $3 }' <<<"${ZN_GO_TOOLS[0]}")" ]
}

go_cases() {
  go_fake
  export PATH=$W/go/bin:$PATH
  . "$src/scripts/go-tools.sh"
  ZN_GO_TOOLS=("crictl example.org/cri-tools v1.0.0 cmd/crictl")
  check "go: built the first time" ran go 1 go_tool "$W/go/d1"
  check "go: again, into another directory: from the cache" ran go 0 go_tool "$W/go/d2"
  ZN_GO_TOOLS=("crictl example.org/cri-tools v1.0.1 cmd/crictl")
  check "go: the module's version in the list changed: built, of that version" \
    ran go 1 go_tool "$W/go/d3"
  echo "go version go1.27.3 linux/amd64" >"$W/go/version"
  check "go: the Go toolchain's version changed: built" ran go 1 go_tool "$W/go/d4"
  check "go: the same inputs again: from the cache" ran go 0 go_tool "$W/go/d5"
  check "go: ZN_NO_CACHE=1 builds" ran go 1 with ZN_NO_CACHE=1 go_tool "$W/go/d6"
}

# --- The makers side by side ----------------------------------------------

sections=(musl cxx program libc solo5 lint apt go)
for s in "${sections[@]}"; do
  ("${s}_cases") >"$W/tap.$s" 2>"$W/err.$s" &
done
wait

# Their TAP in order, numbered as one; anything one said on stderr as
# comments after it.
{
  for s in "${sections[@]}"; do
    cat "$W/tap.$s"
    diag <"$W/err.$s"
  done
  echo "# scripts/debian-src's fetch: not run (apt-get source needs the"
  echo "# network and, as root, apt's configuration); its key is the"
  echo "# names, sizes and hashes apt's index gives, so a new archive is a new key."
} | awk '
  /^(not )?ok [0-9]+ / { n++; sub(/ok [0-9]+ /, "ok " n " ") }
  /^not ok / && !/# TODO/ { failed++ }
  { print }
  END { print "1.." n; exit failed > 0 }'
