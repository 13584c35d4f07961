#!/bin/bash
# Instructions per operation of znet's own code (the functions of src/),
# counted by callgrind on bench/znb-cost: two stacks over a memlink on a
# virtual clock, so a build's count is the same from run to run and two
# builds compare to the instruction (a change's cost, before it lands).
#
#   bench/cost.sh BUILD [BASE_BUILD]
#
# BUILD is a meson build directory configured with -Dbench=true (the
# optimisation of the build is what is measured: use a release build,
# e.g. meson setup build-rel --buildtype=release -Dbench=true).  Each
# workload runs twice, N1 and N2 operations; the difference over N2-N1
# is the cost of one operation, start-up and tear-down cancelling out.
# With BASE_BUILD, the same for it, and the ratio BUILD/BASE.
#
# Needs valgrind (installed as root on Debian if missing).
set -u -o pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ZN_NAME=cost
ensure_packages valgrind || exit 1

BUILD=${1:?usage: bench/cost.sh BUILD [BASE_BUILD]}
BASE=${2:-}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# WORKLOAD N1 N2 [ARGS...]
WORKLOADS=(
  "udp-echo 2000 6000"
  "tcp-conn 300 900"
  "tcp-segment 4000 12000"
  "udp-echo 2000 6000 --family 6"
  "tcp-conn 300 900 --family 6"
)

# own_syms BUILD: the functions defined by the objects of src/ in
# libznet.a, one a line.
own_syms() {
  nm --defined-only "$1/libznet.a" 2>/dev/null | awk '
    /^$/ { next } /:$/ { own = ($0 ~ /^src_/); next }
    own && NF == 3 && $2 ~ /^[tTW]$/ { print $3 }' | sort -u
}

# own_ir CALLGRIND_OUT SYMS: the instructions of the functions in SYMS.
own_ir() {
  callgrind_annotate --inclusive=no --threshold=100 --auto=no "$1" 2>/dev/null |
    awk -v syms="$2" '
    BEGIN { while ((getline s < syms) > 0) own[s] = 1 }
    /PROGRAM TOTALS/ { next }
    /^ *[0-9,]+ +\([ 0-9.]+%\) / {
      ir = $1; gsub(",", "", ir)
      fn = $0; sub(/^ *[0-9,]+ +\([ 0-9.]+%\) +/, "", fn); sub(/ \[[^]]*\]$/, "", fn)
      sub(/^.*:/, "", fn); sub(/\x27[0-9]+$/, "", fn)
      if (fn in own) sum += ir
    }
    END { printf "%d\n", sum }'
}

# per_op BUILD WORKLOAD N1 N2 [ARGS...]: instructions per operation.
per_op() {
  local b=$1 w=$2 n1=$3 n2=$4 i
  shift 4
  local syms=$TMP/$(basename "$b").syms
  [ -s "$syms" ] || own_syms "$b" >"$syms"
  local ir=()
  for i in "$n1" "$n2"; do
    local out=$TMP/cg.$$.$i
    valgrind --tool=callgrind --callgrind-out-file="$out" \
      "$b/bench/znb-cost" "$w" "$i" "$@" >/dev/null 2>"$TMP/err" ||
      { echo "cost: znb-cost $w $i $* failed:" >&2; tail -3 "$TMP/err" >&2; return 1; }
    ir+=("$(own_ir "$out" "$syms")")
    rm -f "$out"
  done
  awk -v a="${ir[0]}" -v b="${ir[1]}" -v n="$((n2 - n1))" 'BEGIN { printf "%.1f", (b - a) / n }'
}

for b in "$BUILD" $BASE; do
  [ -x "$b/bench/znb-cost" ] || { echo "cost: no $b/bench/znb-cost (configure with -Dbench=true)" >&2; exit 2; }
done

if [ -n "$BASE" ]; then
  printf '%-28s %12s %12s %8s\n' workload "$(basename "$BUILD")" "$(basename "$BASE")" ratio
else
  printf '%-28s %12s\n' workload "$(basename "$BUILD")"
fi
for spec in "${WORKLOADS[@]}"; do
  read -r -a a <<<"$spec"
  name="${a[0]}${a[4]:+/v${a[4]}}"
  new=$(per_op "$BUILD" "${a[@]}") || exit 1
  if [ -n "$BASE" ]; then
    old=$(per_op "$BASE" "${a[@]}") || exit 1
    printf '%-28s %12s %12s %8s\n' "$name" "$new" "$old" \
      "$(awk -v a="$new" -v b="$old" 'BEGIN { printf "%.4f", a / b }')"
  else
    printf '%-28s %12s\n' "$name" "$new"
  fi
done
