#!/bin/bash
# The book's programs (examples/book/) stay what the book says they are:
# echo.c fits in 40 lines (wc -l, includes and blank lines counted) and
# includes znet/app.h alone; neither file has a preprocessor conditional
# (one source for Linux and the image); README.md's program is echo.c;
# web.c has no conditional and includes public headers only, and its
# chapter says how long it is.
# resolve.c and blocker.c (chapters 3 and 4) have no conditional either,
# include only znet's public headers and the C library's, and their
# chapters give their lengths right.
#
#   book_files.sh SOURCE_ROOT
#
# Output is TAP.
set -u
book=${1:?usage: $0 SOURCE_ROOT}/examples/book
n=0
failed=0
check() {
  local name=$1
  shift
  n=$((n + 1))
  if "$@"; then
    echo "ok $n - $name"
  else
    echo "not ok $n - $name"
    failed=$((failed + 1))
  fi
}
lines=$(wc -l <"$book/echo.c")
check "echo.c is at most 40 lines ($lines)" [ "$lines" -le 40 ]
check "echo.c includes znet/app.h alone" \
  [ "$(grep -c '^#include' "$book/echo.c")" = 1 -a \
    "$(grep -c '^#include <znet/app.h>$' "$book/echo.c")" = 1 ]
for f in echo.c hello.c; do
  check "$f has no #if, #ifdef or #ifndef" \
    eval "! grep -Eq '^[[:space:]]*#[[:space:]]*(if|ifdef|ifndef|elif)\\b' '$book/$f'"
done
# web.c (chapter 5): no conditional either, and on znet's public headers
# and the C library's only: every #include is <...>, none of examples/
# or app/ ("...").
check "web.c has no #if, #ifdef or #ifndef" \
  eval "! grep -Eq '^[[:space:]]*#[[:space:]]*(if|ifdef|ifndef|elif)\\b' '$book/web.c'"
check "web.c includes <...> headers only, znet/http.h and znet/tls.h among them" \
  eval "! grep -q '^#include \"' '$book/web.c' &&
    grep -q '^#include <znet/http.h>$' '$book/web.c' &&
    grep -q '^#include <znet/tls.h>$' '$book/web.c'"
lines=$(wc -l <"$book/web.c")
check "docs/book/05-web.md gives web.c's length, $lines lines" \
  grep -q "It is $lines lines" "${book%/examples/book}/docs/book/05-web.md"
# The DNS chapters' programs (3 and 4): one source too, and on znet's
# public headers (include/znet/) and the C library's alone.
for f in resolve.c blocker.c; do
  check "$f has no #if, #ifdef or #ifndef" \
    eval "! grep -Eq '^[[:space:]]*#[[:space:]]*(if|ifdef|ifndef|elif)\\b' '$book/$f'"
  bad=$(sed -n 's/^#include //p' "$book/$f" | while read -r h; do
    case $h in
    \<znet/*.h\>) [ -f "$book/../../include/${h:1:${#h}-2}" ] || echo "$h" ;;
    \<[a-z]*.h\>) ;;
    *) echo "$h" ;;
    esac
  done | tr '\n' ' ' | sed 's/ $//')
  check "$f includes znet's public headers and the C library's only${bad:+ (not: $bad)}" \
    [ -z "$bad" ]
done
# Their chapters say how long they are: the number must be wc -l's.
for pair in resolve.c:03-resolver.md blocker.c:04-blocker.md; do
  f=${pair%%:*} doc=$book/../../docs/book/${pair#*:}
  lines=$(wc -l <"$book/$f")
  check "${pair#*:} gives $f's length, $lines lines" \
    eval "tr '\\n' ' ' <'$doc' | grep -Eq '(^|[^0-9])$lines +lines'"
done
# README.md shows echo.c whole: its first ```c block must be the file.
readme=${book%/examples/book}/README.md
check "README.md's program is examples/book/echo.c" \
  cmp -s "$book/echo.c" <(awk '/^```c$/ {on = 1; next} on && /^```$/ {exit} on' "$readme")
echo "1..$n"
[ "$failed" -eq 0 ]
