# shellcheck shell=bash
# musl's libc-test built by znet-cc, or taken from the build cache:
# sourced by scripts/suites (which sets B, T, ROOT, ZCC, shared and
# check/not_ok, and sources tests/rt/images-cache.sh for rt_inputs), and
# by tests/ci/cache.sh, which changes each of its inputs.

# libc_test_make SRC: the tests built in SRC (unpacked), their names in
# SRC/lt.bins.
libc_test_make() {
  local src=$1
  # config.mak.def's flags but glibc's; the tests' own Makefile.
  { echo "CC = $ZCC"; sed -n '1,/^LDLIBS/p' "$src/config.mak.def"; } >"$src/config.mak"
  (cd "$src" && make debug 2>/dev/null) | sed -n 's/^BINS //p' | tr ' ' '\n' |
    grep -E '^src/(functional|regression)/' | grep -v -- '-static\.exe$' >"$src/lt.bins"
  (cd "$src" && make -k -j"$(nproc)" $(cat "$src/lt.bins")) >"$T/lt.build.log" 2>&1
}

# libc_test_build: the tests built by znet-cc, or taken from the build
# cache (scripts/cache.sh): a test is an ordinary static Linux program
# (what znet-image links the stack into each run), so its key is the
# suite's archive, what znet-cc gives every program (rt_inputs:
# tests/rt/images-cache.sh) and libc_test_make's commands.
libc_test_build() {
  local src=$B/suites/libc-test tgz key from=""
  tgz=$(ls "$shared"/suites/libc-test-*.tar.gz 2>/dev/null | tail -1)
  need_shared "${tgz:-$shared/suites/libc-test-*.tar.gz}"
  rm -rf "$src" && mkdir -p "$src" && tar xzf "$tgz" -C "$src" --strip-components=1 ||
    { not_ok "libc-test unpacked from $tgz"; return 1; }
  {
    echo "kind libc-test"
    echo "archive $(sha256sum <"$tgz" | cut -d' ' -f1)"
    rt_inputs
    declare -f libc_test_make
  } | sed "s|$ROOT|@ROOT@|g" >"$T/lt.inputs"
  key=$(zn_cache_key <"$T/lt.inputs")
  if zn_cache_get libc-test "$key" "$src" && [ -s "$src/lt.bins" ]; then
    from=" (from the build cache: libc-test/${key:0:12})"
  else
    libc_test_make "$src"
    # (Names without spaces: libc-test's own.)
    # shellcheck disable=SC2046
    zn_cache_put libc-test "$key" "$T/lt.inputs" "$src" lt.bins \
      $(cd "$src" && for b in $(cat lt.bins); do [ -x "$b" ] && echo "$b"; done)
  fi
  cp "$src/lt.bins" "$T/lt.bins"
  local built
  built=$(cd "$src" && for b in $(cat "$T/lt.bins"); do [ -x "$b" ] && echo "$b"; done | wc -l)
  check "libc-test $(basename "$tgz" .tar.gz): $built of $(wc -l <"$T/lt.bins") functional and regression tests built by znet-cc$from" \
    [ "$built" -gt 100 ]
}
