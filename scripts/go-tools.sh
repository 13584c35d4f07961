# Go programs the tests use that no Debian package has, built from their
# modules at pinned versions through the Go module proxy and kept in the
# build cache by content (scripts/cache.sh).  Sourced after scripts/lib.sh.
#
# One list: NAME MODULE VERSION PACKAGE (the command's package inside the
# module).  A version changed here builds the program again.
ZN_GO_TOOLS=(
  "crictl sigs.k8s.io/cri-tools v1.37.0 cmd/crictl"
)

# zn_go_bin: the go command's path (PATH's, else the machine's
# /usr/local/go), or 1.
zn_go_bin() {
  if command -v go; then
    return 0
  elif [ -x /usr/local/go/bin/go ]; then
    echo /usr/local/go/bin/go
  else
    return 1
  fi
}

# zn_go_tool_row NAME: NAME's row of ZN_GO_TOOLS, or nothing.
zn_go_tool_row() {
  local row
  for row in "${ZN_GO_TOOLS[@]}"; do
    [ "${row%% *}" = "$1" ] && echo "$row" && return 0
  done
  return 1
}

# zn_go_tool NAME DIR [LOG]: DIR/NAME, built static (CGO_ENABLED=0,
# -trimpath) from its row's module at its version, or unpacked from the
# cache.  The key: the row, the Go toolchain's version, the build's flags
# and this function's text.  0, or 1 with what failed in LOG (default
# DIR/NAME.log).
zn_go_tool() {
  local name=$1 dir=$2 log=${3:-$2/$1.log} row mod ver pkg inputs key tmp go
  row=$(zn_go_tool_row "$name") || {
    echo "$name: not in ZN_GO_TOOLS" >"$log"
    return 1
  }
  read -r _ mod ver pkg <<<"$row"
  mkdir -p "$dir" || return 1
  go=$(zn_go_bin) || {
    echo "no go command (the machine's Go is /usr/local/go)" >"$log"
    return 1
  }
  inputs=$(mktemp) || return 1
  {
    echo "kind go-tool"
    echo "row $row"
    echo "go $(zn_tool_version "$go" version)"
    echo "env CGO_ENABLED=0 GOFLAGS=-mod=mod -trimpath"
    declare -f zn_go_tool
  } >"$inputs"
  key=$(zn_cache_key <"$inputs")
  if zn_cache_get go-tool "$key" "$dir" && [ -x "$dir/$name" ]; then
    rm -f "$inputs"
    return 0
  fi
  tmp=$(mktemp -d) || return 1
  if CGO_ENABLED=0 GOFLAGS=-mod=mod GOBIN=$tmp timeout 1200 \
    "$go" install -trimpath "$mod/$pkg@$ver" >"$log" 2>&1 &&
    [ -x "$tmp/$name" ]; then
    mv "$tmp/$name" "$dir/$name"
    zn_cache_put go-tool "$key" "$inputs" "$dir" "$name"
    rm -rf "$tmp" "$inputs"
    return 0
  fi
  rm -rf "$tmp" "$inputs"
  return 1
}
