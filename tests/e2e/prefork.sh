#!/bin/bash
# More servers that fork their workers after binding, unmodified from
# Debian, under znet-run on a multi-queue TAP in a private network
# namespace (a group of shards: no flag), and two small programs for the
# rules of fork (python3).
#
#   prefork.sh /path/to/znet-run
#
# gunicorn (its sync workers, -w 2): 40 answers, each naming the worker
# that made it, from both workers; a worker killed by SIGKILL is
# respawned and the answers go on; a reload (SIGHUP) too.
# lighttpd with server.max-worker = 2: 40 answers byte for byte, wrk
# without a socket error, each worker on a queue of its own (one TAP
# descriptor each) and both busy under wrk.
# A process with 100 listeners forks: the child serves all 100 (each
# made again on its own stack), the parent, which never uses them, takes
# no connection.  A child that uses a connection its parent accepted
# gets EBADF and one line on stderr saying why; the parent still talks
# on it.  SLAAC (radvd on the TAP): a child's shard takes the address
# slot 0 formed, connects out from it and serves on it.  ZN_PLAIN_RUN,
# when set, names the znet-run to use (see shards.sh: ASan is not
# fork-safe).  Needs root, /dev/net/tun, curl,
# wrk, python3; gunicorn and lighttpd parts skip without them.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

RUN=${ZN_PLAIN_RUN:-${1:-}}
[ -n "$RUN" ] && [ -x "$RUN" ] ||
  { echo "usage: $0 /path/to/znet-run" >&2; exit 2; }
RUN=$(cd "$(dirname "$RUN")" && pwd)/$(basename "$RUN")
E2E_RUN=$RUN

need_netns
need_cmd curl wrk timeout python3
trap e2e_cleanup EXIT
e2e_tmpdir
T=$E2E_TMP
Z=$E2E_ZNET_IP

if ! setup_netns_multi_queue; then
  not_ok "create network namespace with a multi-queue $E2E_TAP"
  finish
  exit 1
fi
chmod a+rx "$T"

# answers N URL: N answers of curl, a line each ("" for a failure; curl
# says why on stderr).  -m 20, not 5: a SYN sent again (1 s, then 3 s
# and 7 s later) and a slow answer on a loaded machine; curl ends at the
# answer.
answers() {
  local _
  for _ in $(seq 1 "$1"); do
    in_ns_t 30 curl -sS -m 20 "$2" || true
    echo
  done
}

# ---- gunicorn ----
GUNICORN=$(command -v gunicorn || true)
if [ -n "$GUNICORN" ]; then
  mkdir -p "$T/gu"
  cat >"$T/gu/app.py" <<'EOF'
import os
def app(environ, start_response):
    body = ("gunicorn worker %d\n" % os.getpid()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", str(len(body)))])
    return [body]
EOF
  zrun_bg "$T/gu.out" "$T/gu.err" 120 "$GUNICORN" --chdir "$T/gu" -w 2 \
    -b 0.0.0.0:8000 --pid "$T/gu.pid" app:app
  if wait_znet_port 8000; then
    answers 40 "http://$Z:8000/" | grep -v '^$' >"$T/gu.a1"
    n=$(wc -l <"$T/gu.a1")
    w=$(sort -u "$T/gu.a1" | grep -c '^gunicorn worker [0-9]*$')
    check "gunicorn -w 2: 40 answers ($n), from both workers ($w)" \
      eval '[ "$n" = 40 ] && [ "$w" = 2 ]'
    master=$(cat "$T/gu.pid" 2>/dev/null)
    victim=$(pgrep -P "${master:-0}" | head -1)
    if [ -n "$victim" ]; then
      kill -KILL "$victim"
      end=$((SECONDS + 30)) # respawned at once; 30 s for a loaded machine
      while [ "$SECONDS" -lt "$end" ]; do
        [ "$(pgrep -P "$master" | wc -l)" = 2 ] && ! pgrep -P "$master" | grep -qx "$victim" && break
        sleep 0.1
      done
      answers 40 "http://$Z:8000/" | grep -v '^$' >"$T/gu.a2"
      n=$(wc -l <"$T/gu.a2")
      check "gunicorn: a worker killed by SIGKILL, respawned ($(pgrep -P "$master" | wc -l) workers): 40 answers ($n), none from it" \
        eval '[ "$n" = 40 ] && ! grep -qx "gunicorn worker $victim" "$T/gu.a2"'
      # A reload: asked once both workers are new ones (not after a fixed
      # 3 s, which a loaded machine may not give it; the old workers
      # would have answered).
      old=$(pgrep -P "$master" | sort)
      kill -HUP "$master"
      if workers_replaced "$old" 60 pgrep -P "$master"; then
        ok "gunicorn: a reload (SIGHUP): two new workers, the old ones gone ($E2E_WORKERS)"
      else
        not_ok "gunicorn: a reload (SIGHUP): two new workers, the old ones gone ($E2E_WORKERS)"
      fi
      answers 40 "http://$Z:8000/" | grep -v '^$' >"$T/gu.a3"
      n=$(wc -l <"$T/gu.a3")
      check "gunicorn: after a reload (SIGHUP), 40 answers ($n)" [ "$n" = 40 ]
    else
      not_ok "gunicorn: no worker found to kill"
    fi
  else
    not_ok "gunicorn answers on 8000"
    diag <"$T/gu.err"
  fi
  stop_znet 10
  check "gunicorn: no traceback" eval '! grep -q Traceback "$T/gu.err"'
  grep -m3 -A3 Traceback "$T/gu.err" | diag
else
  ok "gunicorn # SKIP not installed"
fi

# ---- lighttpd, server.max-worker = 2 ----
LIGHTTPD=$(command -v lighttpd || echo /usr/sbin/lighttpd)
if [ -x "$LIGHTTPD" ]; then
  mkdir -p "$T/lt/www"
  chmod a+rx "$T/lt" "$T/lt/www"
  head -c 4000 /dev/urandom | base64 >"$T/lt/www/index.html"
  cat >"$T/lt/lighttpd.conf" <<EOF
server.document-root = "$T/lt/www"
server.port = 8081
server.max-worker = 2
server.errorlog = "$T/lt/error.log"
server.pid-file = "$T/lt/lighttpd.pid"
index-file.names = ("index.html")
EOF
  # In a session of its own: with workers, lighttpd stops them with a
  # SIGTERM to its whole process group, which would be this script's.
  zrun_bg "$T/lt.out" "$T/lt.err" 120 setsid "$LIGHTTPD" -D -f "$T/lt/lighttpd.conf"
  if wait_znet_port 8081; then
    good=0
    for _ in $(seq 1 40); do
      in_ns_t 30 curl -sS -m 20 -o "$T/lt.got" "http://$Z:8081/" &&
        cmp -s "$T/lt.got" "$T/lt/www/index.html" && good=$((good + 1))
    done
    check "lighttpd, server.max-worker 2: 40 answers byte for byte ($good)" [ "$good" = 40 ]
    master=$(cat "$T/lt/lighttpd.pid" 2>/dev/null)
    workers=$(pgrep -P "${master:-0}")
    own=0
    for p in $workers; do
      [ "$(find "/proc/$p/fd" -lname /dev/net/tun 2>/dev/null | wc -l)" = 1 ] && own=$((own + 1))
    done
    check "lighttpd: 2 workers, each with a queue of its own ($own)" \
      eval '[ "$(echo "$workers" | wc -w)" = 2 ] && [ "$own" = 2 ]'
    ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
    declare -A before
    for p in $workers; do before[$p]=$(ticks "$p"); done
    in_ns_t 60 wrk -t2 -c32 -d3s --timeout "$E2E_WRK_TIMEOUT" "http://$Z:8081/" >"$T/lt.wrk" 2>&1
    diag "wrk -c32 3 s: $(sed -n 's/^Requests\/sec: *//p' "$T/lt.wrk") requests/s"
    check "lighttpd: wrk without a socket error or a non-2xx answer" \
      eval "grep -q 'Requests/sec' '$T/lt.wrk' && ! grep -q 'Socket errors\|Non-2xx' '$T/lt.wrk'"
    busy=0
    for p in $workers; do
      [ "$(ticks "$p")" -gt "$((before[$p] + 5))" ] && busy=$((busy + 1))
    done
    check "lighttpd: both workers busy under wrk ($busy)" [ "$busy" = 2 ]
  else
    not_ok "lighttpd answers on 8081"
    diag <"$T/lt.err"
  fi
  stop_znet 10
else
  ok "lighttpd # SKIP not installed"
fi

# ---- a process with 100 listeners forks ----
cat >"$T/hundred.py" <<'EOF'
import os, select, socket, sys
ls = []
for port in range(9000, 9100):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    s.listen(8)
    ls.append(s)
print("listening", flush=True)
pid = os.fork()
if pid == 0:
    served = 0
    while served < 100:
        r, _, _ = select.select(ls, [], [], 30)
        if not r:
            break
        for s in r:
            c, _ = s.accept()
            c.sendall(b"child %d\n" % s.getsockname()[1])
            c.close()
            served += 1
    os._exit(0 if served == 100 else 1)
_, st = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(st))
EOF
ZRUN_FLAGS="--tcp-conns 1024" # (64 by default, listeners count)
zrun_bg "$T/h.out" "$T/h.err" 120 python3 "$T/hundred.py"
ZRUN_FLAGS=
# Its 100 listeners first (a port asked before its listener is there
# is refused; a loaded machine can take longer than a fixed 5 s).
end=$((SECONDS + 60))
while [ "$SECONDS" -lt "$end" ]; do grep -q listening "$T/h.out" && break; sleep 0.1; done
good=0
for port in $(seq 9000 9099); do
  [ "$(in_ns_t 30 curl -sS -m 20 "telnet://$Z:$port" </dev/null)" = "child $port" ] &&
    good=$((good + 1))
done
check "100 listeners, then fork: the child answers on every one ($good of 100)" [ "$good" = 100 ]
wait_bg "$E2E_ECHO_PID" 20 >/dev/null 2>&1
rc=$?
E2E_ECHO_PID=
check "100 listeners: child and parent exit 0 (got $rc)" [ "$rc" = 0 ]

# ---- a child uses a connection its parent accepted ----
cat >"$T/inherit.py" <<'EOF'
import os, socket, sys
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("0.0.0.0", 9200))
l.listen(8)
print("listening", flush=True)
c, _ = l.accept()
pid = os.fork()
if pid == 0:
    try:
        c.sendall(b"from the child\n")
        os._exit(3)
    except OSError as e:
        print("child: errno %d" % e.errno, flush=True)
        os._exit(0 if e.errno == 9 else 4)
_, st = os.waitpid(pid, 0)
c.sendall(b"from the parent\n")
c.close()
sys.exit(os.waitstatus_to_exitcode(st))
EOF
zrun_bg "$T/i.out" "$T/i.err" 60 python3 "$T/inherit.py"
end=$((SECONDS + 30))
while [ "$SECONDS" -lt "$end" ]; do grep -q listening "$T/i.out" && break; sleep 0.1; done
got=$(in_ns_t 20 curl -s -m 15 "telnet://$Z:9200" </dev/null)
wait_bg "$E2E_ECHO_PID" 20 >/dev/null 2>&1
rc=$?
E2E_ECHO_PID=
check "a child using its parent's connection: EBADF, exit 0 (got $rc)" \
  eval '[ "$rc" = 0 ] && grep -qx "child: errno 9" "$T/i.out"'
check "and one line on stderr says why" \
  eval '[ "$(grep -c "is a connection made before fork" "$T/i.err")" = 1 ]'
grep -m1 "before fork" "$T/i.err" | sed 's/^/# /'
check "the parent still talks on it ('$got')" [ "$got" = "from the parent" ]

# ---- SLAAC's address in a fork's shard ----
# radvd advertises a prefix; znet-run --slaac forms an address in slot
# 0's stack, and a child's shard takes it: the child connects out from
# it (the peer echoes the address it saw) and serves on it.
if command -v radvd >/dev/null && command -v socat >/dev/null; then
  P6=fd00:77:5
  cat >"$T/radvd.conf" <<EOF
interface $E2E_TAP {
  AdvSendAdvert on;
  MinRtrAdvInterval 3;
  MaxRtrAdvInterval 4;
  prefix ${P6}::/64 { AdvOnLink on; AdvAutonomous on; };
};
EOF
  in_ns sysctl -qw net.ipv6.conf.all.forwarding=1
  ipv6_on "$E2E_NS" "$E2E_TAP" "${P6}::1/64"
  ip netns exec "$E2E_NS" timeout 100 radvd -n -C "$T/radvd.conf" \
    -p "$T/radvd.pid" -m stderr >"$T/radvd.log" 2>&1 &
  bg_pid $!
  ip netns exec "$E2E_NS" timeout 60 socat TCP6-LISTEN:7000,reuseaddr,fork \
    SYSTEM:'echo "$SOCAT_PEERADDR"' >/dev/null 2>&1 &
  bg_pid $!
  cat >"$T/slaac.py" <<EOF
import ipaddress, os, socket, sys, time
l = socket.socket(socket.AF_INET6)
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("::", 9300))
l.listen(8)
pid = os.fork()
if pid == 0:
    c = None
    for i in range(150):  # until slot 0's address reaches this shard
        try:
            c = socket.create_connection(("${P6}::1", 7000), timeout=10)
        except OSError:
            time.sleep(0.1)
            continue
        if c.getsockname()[0].startswith("${P6}:") or i == 149:
            break
        # From the link-local address: the prefix's is still tentative
        # (its duplicate address detection), which a loaded machine
        # makes last longer than the router's advertisement takes.
        c.close()
        time.sleep(0.1)
    src = c.getsockname()[0]
    seen = c.makefile().readline().strip().strip("[]")
    same = ipaddress.ip_address(seen) == ipaddress.ip_address(src)
    print("child src %s seen %s" % (src, "the same" if same else seen),
          flush=True)
    s, _ = l.accept()
    s.sendall(b"child on slaac\n")
    s.close()
    os._exit(0)
_, st = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(st))
EOF
  ZRUN_FLAGS=--slaac
  zrun_bg "$T/s.out" "$T/s.err" 90 python3 "$T/slaac.py"
  ZRUN_FLAGS=
  end=$((SECONDS + 60))
  while [ "$SECONDS" -lt "$end" ]; do grep -q "^child src" "$T/s.out" && break; sleep 0.1; done
  src=$(sed -n 's/^child src \([^ ]*\) seen .*/\1/p' "$T/s.out")
  seen=$(sed -n 's/^child src [^ ]* seen \(.*\)/\1/p' "$T/s.out")
  check "SLAAC: the child connects out from the prefix's address ($src; the peer saw $seen)" \
    eval '[[ $src == ${P6}:* ]] && [ "$seen" = "the same" ]'
  got=$(in_ns_t 30 curl -sS -m 20 "telnet://[$src]:9300" </dev/null)
  check "SLAAC: the child serves on it ('$got')" [ "$got" = "child on slaac" ]
  wait_bg "$E2E_ECHO_PID" 20 >/dev/null 2>&1
  rc=$?
  E2E_ECHO_PID=
  check "SLAAC: child and parent exit 0 (got $rc)" [ "$rc" = 0 ]
  [ "$rc" = 0 ] || diag <"$T/s.err"
else
  ok "SLAAC in a shard # SKIP needs radvd and socat"
fi
finish
