# Slow clients against a web server (sourced, not run): Debian's
# slowhttptest attacks and a witness fetching a file every half second
# while one runs.  Used by tests/e2e/httpd_slow.sh (short runs against
# znet-httpd) and bench/slowhttp.sh (10,000 connections against
# znet-httpd and nginx).  Each runs its programs in a network namespace
# the caller made; nothing here creates or deletes one (slow_run adds a
# table of nftables counters to it, deleted with it).

# The attacks, by slowhttptest's mode letter:
#   H  slowloris: a head never finished, a field line every 5 s
#   B  slow body (R-U-Dead-Yet): a POST announcing 4096 bytes of body
#      (within znet-httpd's body_max), sent a few bytes every 5 s; a
#      static server answers 405 at once, and slowhttptest closes each
#      connection answered (and stops once all are)
#   X  slow read: 3 pipelined GETs of the URL, the client advertising a
#      window of 512 to 1024 bytes and reading 32 bytes every 5 s
SLOW_MODES=(H B X)

slow_mode_name() {
  case $1 in
  H) echo slowloris ;;
  B) echo slow-body ;;
  X) echo slow-read ;;
  esac
}

# slow_attack NS MODE CONNS RATE SECS URL LOG: slowhttptest -MODE from
# NS against URL, CONNS connections opened at RATE a second, for SECS s,
# in the background (bounded to SECS + 60 s; its open-file limit raised
# for the connections); its PID in SLOW_PID, its output in LOG.
SLOW_PID=""
slow_attack() {
  local ns=$1 mode=$2 conns=$3 rate=$4 secs=$5 url=$6 log=$7 args
  case $mode in
  H) args=(-H -i 5 -x 24) ;;
  B) args=(-B -i 5 -x 8 -s 4096) ;;
  X) args=(-X -k 3 -n 5 -w 512 -y 1024 -z 32) ;;
  *) return 1 ;;
  esac
  ip netns exec "$ns" timeout $((secs + 60)) bash -c \
    'ulimit -n $(($1 + 1024)) && shift && exec "$@"' _ "$conns" \
    slowhttptest "${args[@]}" -c "$conns" -r "$rate" -l "$secs" -p 3 \
    -u "$url" >"$log" 2>&1 &
  SLOW_PID=$!
}

# slow_witness NS URL SECS [CURL ARGS...]: fetch URL with curl from NS,
# a new connection each time, every half second (after the previous
# fetch ended) for SECS s; a fetch succeeds if it is answered 200 within
# 3 s (connection included).  Prints "OK TOTAL MAX_MS" (MAX_MS: the
# slowest successful fetch).
slow_witness() {
  local ns=$1 url=$2 secs=$3 ok=0 n=0 max=0 end out code t
  shift 3
  end=$((SECONDS + secs))
  while [ "$SECONDS" -lt "$end" ]; do
    out=$(ip netns exec "$ns" curl -s -o /dev/null -m 3 \
      -w '%{http_code} %{time_total}' "$@" "$url" 2>/dev/null)
    read -r code t <<<"$out"
    n=$((n + 1))
    if [ "$code" = 200 ]; then
      ok=$((ok + 1))
      t=$(awk -v t="${t:-0}" 'BEGIN { printf "%d", t * 1000 }')
      [ "$t" -gt "$max" ] && max=$t
    fi
    sleep 0.5
  done
  echo "$ok $n $max"
}

# slow_connected LOG: "HELD MADE": the most connections slowhttptest
# held at once, and how many it made (connected or closed by then), from
# its status reports ("connected: N", "closed: N").  Its own view only:
# it reports at its start and every 5 s, not at its end (so an attack
# over within 5 s, a slow body that the server answers at once on an
# idle machine, reads 0), and a connection refused counts as closed,
# like one answered.  slow_run counts what the server accepted.
slow_connected() {
  sed 's/\x1b\[[0-9;]*m//g' "$1" | awk -F: '
    /^connected:/ { c = $2 + 0; if (c > m) m = c }
    /^closed:/ { t = c + $2; if (t > made) made = t }
    END { print m + 0, made + 0 }'
}

# slow_synacks_on NS: the table znslow in NS (once), whose counter
# synack counts the SYN-ACKs arriving there: the connections a server
# accepted (its answers to a repeated SYN counted again, rare here).
slow_synacks_on() {
  zn_in "$1" nft list table inet znslow >/dev/null 2>&1 && return 0
  zn_in "$1" nft -f - <<'EOF'
table inet znslow {
  counter synack { }
  chain input {
    type filter hook input priority 0; policy accept;
    tcp flags & (syn | ack) == syn | ack counter name synack
  }
}
EOF
}

# slow_synacks NS: the SYN-ACKs counted so far (nothing if no count).
slow_synacks() {
  zn_in "$1" nft list counter inet znslow synack 2>/dev/null |
    awk '$1 == "packets" { print $2 }'
}

# slow_run NS MODE CONNS RATE SECS URL LOG WURL [CURL ARGS...]: one
# attack and the witness beside it: the witness starts 3 s after the
# server accepted the attack's first connection (waiting at most 10 s
# for it, a line on stderr if it did not come) and fetches WURL until
# 2 s before the attack's end.  The attack and the witness are the
# namespace's only TCP clients: the SYN-ACKs it received meanwhile,
# less one per fetch, are the attack's connections the server accepted
# (slowhttptest's probe, one every 3 s, among them).  Prints the
# witness's "OK TOTAL MAX_MS", slow_connected's "HELD MADE" and that
# count: "OK TOTAL MAX_MS HELD MADE ACCEPTED" (ACCEPTED "?" if there
# was no count).
slow_run() {
  local ns=$1 mode=$2 conns=$3 rate=$4 secs=$5 url=$6 log=$7 wurl=$8
  local w s0 s1 end ok n acc="?"
  shift 8
  slow_synacks_on "$ns" || echo "slowhttptest: cannot count the SYN-ACKs (nft)" >&2
  s0=$(slow_synacks "$ns")
  slow_attack "$ns" "$mode" "$conns" "$rate" "$secs" "$url" "$log" || return 1
  end=$((SECONDS + 10))
  until [ "$(slow_synacks "$ns")" -gt "${s0:-0}" ] 2>/dev/null; do
    if ! kill -0 "$SLOW_PID" 2>/dev/null; then
      echo "slowhttptest: ended, no connection accepted" >&2
      break
    elif [ "$SECONDS" -ge "$end" ]; then
      echo "slowhttptest: no connection accepted in 10 s" >&2
      break
    fi
    sleep 0.1
  done
  sleep 3
  w=$(slow_witness "$ns" "$wurl" $((secs - 5)) "$@")
  wait "$SLOW_PID" 2>/dev/null
  SLOW_PID=""
  s1=$(slow_synacks "$ns")
  read -r ok n _ <<<"$w"
  [ -n "$s0" ] && [ -n "$s1" ] && acc=$((s1 - s0 - n))
  echo "$w $(slow_connected "$log") $acc"
}
