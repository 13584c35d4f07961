#!/bin/bash
# libznet-rt's images, booted for real: programs built by znet-cc, made
# images by znet-image, run under solo5-spt, and held against Linux.
#
#   images.sh SOURCE_ROOT BUILD_ROOT SHARED_DIR
#
#  1. Solo5 from SHARED_DIR/solo5 built in BUILD_ROOT/solo5
#     (tests/solo5/solo5-build.sh); skipped without the archive, failed
#     without it under ZN_SHARED_REQUIRED.
#  2. tests/rt/progs/syscalls.c built by BUILD_ROOT/rt/znet-cc, run on
#     Linux over tests/rt/root and an empty directory, and as an spt
#     image over a tar of tests/rt/root and its /tmp: the two outputs must
#     be equal line for line (the same calls, answered by Linux and by
#     the runtime).
#  3. names.c (getaddrinfo), ifaces.c (getifaddrs, netlink), dl.c
#     (dlopen of modules made by znet-cc -shared: tests/rt/progs/dl_mod.c),
#     limits.c (memory, threads, an unanswered call), hostlo.c
#     (--host-loopback: a loopback port nobody inside serves goes to the
#     gateway), writable.c (--writable: the archive's directory in
#     memory; --export: written to a device at the end; --ready-line
#     says nothing of a program that never waits), sigport.c
#     (--signal-port: signals from the gateway; --ready-line's one
#     line once it waits),
#     own_malloc.c (an
#     allocator of the program's own) and deadlock.c (threads waiting
#     for each other: the runtime's report), each as an image,
#     its lines checked.
# (tests/rt/progs/cxx.cc, C++'s checks, runs from scripts/images, whose
# build has C++'s runtime.)
#
# Needs root, /dev/net/tun, tar, and the runtime in the build (-Drt).
# Output is TAP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../e2e/lib.sh"

ROOT=${1:-}
BUILD=${2:-}
SHARED=${3:-}
[ -n "$ROOT" ] && [ -d "$ROOT/rt" ] && [ -n "$BUILD" ] && [ -n "$SHARED" ] ||
  { echo "usage: $0 SOURCE_ROOT BUILD_ROOT SHARED_DIR" >&2; exit 2; }
ROOT=$(cd "$ROOT" && pwd)
BUILD=$(cd "$BUILD" && pwd)
ZCC=$BUILD/rt/znet-cc
ZIMG=$BUILD/rt/znet-image

[ "$(uname -m)" = x86_64 ] || skip_all "libznet-rt is x86_64"
[ -x "$ZCC" ] || skip_all "the build has no libznet-rt (-Drt=enabled)"
need_shared "$SHARED/solo5"
archive=$(find "$SHARED/solo5" -maxdepth 1 -name 'solo5-*.tar.gz' | sort | tail -1)
need_shared "${archive:-$SHARED/solo5/solo5-*.tar.gz}"
need_netns
need_cmd gcc make tar timeout
pkg-config --exists libseccomp 2>/dev/null ||
  skip_all "needs libseccomp (Debian package libseccomp-dev) for solo5-spt"
trap e2e_cleanup EXIT
e2e_tmpdir
T=$E2E_TMP

. "$ROOT/tests/solo5/solo5-build.sh"
if tree=$(solo5_build "$archive" "$BUILD/solo5" "$T/solo5-build.log"); then
  ok "Solo5 $(basename "$tree") in $BUILD/solo5"
else
  not_ok "Solo5 built in $BUILD/solo5"
  tail -20 "$T/solo5-build.log" | diag
  finish
  exit 1
fi
export PATH=$tree/toolchain/bin:$tree/tenders/spt:$tree/elftool:$PATH

if setup_netns; then
  ok "network namespace $E2E_NS with $E2E_TAP"
else
  not_ok "create network namespace with $E2E_TAP"
  finish
  exit 1
fi

# boot_spt IMAGE ROOTTAR OUT ARGS...: the image under solo5-spt on the
# TAP with ROOTTAR as its root, bounded to 60 s, in the foreground.
boot_spt() {
  local img=$1 rootfs=$2 out=$3
  shift 3
  ip netns exec "$E2E_NS" timeout --foreground 60 solo5-spt \
    "--net:service=$E2E_TAP" "--block:rootfs=$rootfs" "$img" "$@" \
    >"$out" 2>&1
}

# The program's own lines: without Solo5's banner and the runtime's.
program_lines() {
  grep -v -e '^Solo5: ' -e '^znet-rt: ' -e '^            |' -e '^  __|' \
    -e '^\\__ \\' -e '^____/' "$1"
}

# refuses PROGRAM FLAGS...: does znet-image refuse each FLAGS (a string,
# its words the flags) for PROGRAM, with a line of its own?  Names on
# the diagnostics each one it took.
refuses() {
  local prog=$1 bad ok=true
  shift
  for bad in "$@"; do
    # shellcheck disable=SC2086 # the words of $bad are the flags
    if "$ZIMG" --target spt $bad -o "$T/bad.spt" "$prog" >"$T/bad.log" 2>&1 ||
      ! grep -q '^znet-image: ' "$T/bad.log"; then
      ok=false
      echo "not refused: $bad" | diag
    fi
  done
  $ok
}

# ---- syscalls.c: Linux against the image -------------------------------

prog=$T/syscalls
if "$ZCC" -O2 -Wall -o "$prog" "$ROOT/tests/rt/progs/syscalls.c" -lpthread \
  >"$T/cc.log" 2>&1; then
  ok "syscalls.c built by znet-cc"
else
  not_ok "syscalls.c built by znet-cc"
  diag <"$T/cc.log"
fi
mkdir -p "$T/linux-tmp"
"$prog" "$ROOT/tests/rt/root" "$T/linux-tmp" >"$T/linux.out" 2>&1
check "syscalls on Linux ran to its end" grep -q '^== done$' "$T/linux.out"
tar cf "$T/root.tar" -C "$ROOT/tests/rt/root" .
if "$ZIMG" --target spt -o "$T/syscalls.spt" "$prog" >"$T/img.log" 2>&1; then
  ok "syscalls.spt made by znet-image"
else
  not_ok "syscalls.spt made by znet-image"
  diag <"$T/img.log"
fi
boot_spt "$T/syscalls.spt" "$T/root.tar" "$T/spt.raw" -- / /tmp
program_lines "$T/spt.raw" >"$T/spt.out"
check "syscalls.spt ran to its end" grep -q '^== done$' "$T/spt.out"
check "without an address flag the console says loopback only" grep -q \
  '^znet-rt: no address (--ipv4, --ipv6, --slaac or --dhcp): loopback only; mac ' \
  "$T/spt.raw"
if diff "$T/linux.out" "$T/spt.out" >"$T/diff" 2>&1; then
  ok "syscalls: the image answered as Linux did ($(grep -c ': ' "$T/linux.out") calls)"
else
  not_ok "syscalls: the image answered as Linux did"
  diag <"$T/diff"
  grep '^znet-rt: ' "$T/spt.raw" | head -20 | diag
fi

# ---- where the root comes from: inside the image, urunc's device --------

# --root: the archive inside the image, no block device declared (a
# tender given none starts it); the same answers as from the device.
if "$ZIMG" --target spt --root "$T/root.tar" -o "$T/inroot.spt" "$prog" \
  >"$T/inroot.log" 2>&1; then
  ip netns exec "$E2E_NS" timeout --foreground 60 solo5-spt \
    "--net:service=$E2E_TAP" "$T/inroot.spt" -- / /tmp >"$T/inroot.raw" 2>&1
  program_lines "$T/inroot.raw" >"$T/inroot.out"
  if diff "$T/linux.out" "$T/inroot.out" >"$T/inroot.diff" 2>&1; then
    ok "--root: the archive inside the image, no --block: answered as Linux did"
  else
    not_ok "--root: the archive inside the image, no --block: answered as Linux did"
    head -20 "$T/inroot.diff" | diag
  fi
else
  not_ok "syscalls.spt made by znet-image --root"
  diag <"$T/inroot.log"
fi
# urunc's mirage type: the disk as "storage", its command line exactly
# (solo5-spt --mem=N --net:service=TAP --block:storage=PATH IMAGE
# --ipv4=IP/24 --ipv4-gateway=GW CMDLINE, split on single spaces).
if "$ZIMG" --target spt --block storage -o "$T/urunc.spt" "$prog" \
  >"$T/urunc.log" 2>&1; then
  ucmd="solo5-spt --mem=64 --net:service=$E2E_TAP --block:storage=$T/root.tar"
  ucmd+=" $T/urunc.spt --ipv4=$E2E_ZNET_IP/24 --ipv4-gateway=$E2E_KERNEL_IP -- / /tmp"
  IFS=' ' read -r -a uargs <<<"$ucmd"
  ip netns exec "$E2E_NS" timeout --foreground 60 "${uargs[@]}" \
    >"$T/urunc.raw" 2>&1
  program_lines "$T/urunc.raw" >"$T/urunc.out"
  check "urunc's command line: --block:storage, --ipv4=IP/24, --ipv4-gateway" \
    diff "$T/linux.out" "$T/urunc.out"
  check "... the address taken (a /24, as urunc always gives)" grep -q \
    "^znet-rt: $E2E_ZNET_IP/24 mac " "$T/urunc.raw"
else
  not_ok "syscalls.spt made by znet-image --block storage"
  diag <"$T/urunc.log"
fi
check "znet-image refuses two roots, a bad device name, a root that is no tar" \
  refuses "$prog" "--root $T/root.tar --block rootfs" "--block service" \
  "--block bad/name" "--root $T/linux.out"

# ---- names.c: getaddrinfo over znet's sockets, /etc/hosts, --dns -------

if command -v dnsmasq >/dev/null; then
  names=$T/names
  "$ZCC" -O2 -o "$names" "$ROOT/tests/rt/progs/names.c" >"$T/ncc.log" 2>&1 &&
    "$ZIMG" --target spt -o "$names.spt" "$names" >>"$T/ncc.log" 2>&1
  ip netns exec "$E2E_NS" timeout 60 dnsmasq -d -k --port=53 \
    "--listen-address=$E2E_KERNEL_IP" --bind-interfaces --no-resolv \
    --no-hosts --address=/web.test/10.77.0.77 >"$T/dnsmasq.log" 2>&1 &
  bg_pid $!
  # Once it has bound its port (not a fixed 0.5 s: a query before that
  # is refused).
  wait_udp 53 || diag <<<"dnsmasq has not bound port 53 yet"
  ip netns exec "$E2E_NS" timeout --foreground 60 solo5-spt \
    "--net:service=$E2E_TAP" "--block:rootfs=$T/root.tar" "$names.spt" \
    "--ipv4=$E2E_ZNET_IP/$E2E_PREFIX" "--dns=$E2E_KERNEL_IP" -- web.test \
    fromarchive.test localhost >"$T/names.raw" 2>&1
  check "getaddrinfo through the --dns server, over znet's UDP" \
    grep -q '^web.test: ok 10.77.0.77$' "$T/names.raw"
  check "getaddrinfo from the archive's /etc/hosts" \
    grep -q '^fromarchive.test: ok 10.1.2.3$' "$T/names.raw"
  check "getaddrinfo of localhost" grep -q '^localhost: ok 127.0.0.1$' "$T/names.raw"
else
  skip_case "getaddrinfo inside an image" "no dnsmasq"
fi

# ---- hostlo.c: --host-loopback -------------------------------------------

hl=$T/hostlo
"$ZCC" -O2 -Wall -o "$hl" "$ROOT/tests/rt/progs/hostlo.c" >"$T/hlcc.log" 2>&1 &&
  "$ZIMG" --target spt -o "$hl.spt" "$hl" >>"$T/hlcc.log" 2>&1
check "hostlo.c built by znet-cc and znet-image" [ -f "$hl.spt" ] || diag <"$T/hlcc.log"
# The host's side: a server on the TAP's far side at 7002 that says its
# line (as a host forwarding the port to its loopback would).
ip netns exec "$E2E_NS" timeout 60 socat \
  "TCP-LISTEN:7002,bind=$E2E_KERNEL_IP,reuseaddr,fork" SYSTEM:"echo from-host" \
  >"$T/hl-socat.log" 2>&1 &
bg_pid $!
wait_listen 7002
ip netns exec "$E2E_NS" timeout 60 socat \
  "UDP-RECVFROM:7003,bind=$E2E_KERNEL_IP,fork" SYSTEM:"echo from-host-udp" \
  >"$T/hl-socat-udp.log" 2>&1 &
bg_pid $!
# Bound before the image sends (a datagram before that draws a port
# unreachable; on a loaded machine socat can be that late).
wait_udp 7003 || diag <<<"socat has not bound UDP port 7003 yet"
for flag in "" --host-loopback; do
  ip netns exec "$E2E_NS" timeout --foreground 60 solo5-spt \
    "--net:service=$E2E_TAP" "--block:rootfs=$T/root.tar" "$hl.spt" \
    "--ipv4=$E2E_ZNET_IP/$E2E_PREFIX" "--gateway=$E2E_KERNEL_IP" $flag -- 7001 \
    >"$T/hostlo$flag.raw" 2>&1
done
check "a loopback port the image listens on stays inside, with or without --host-loopback" \
  [ "$(grep -c '^7001: connected, peer 127.0.0.1:7001, read <inside>$' "$T/hostlo.raw" "$T/hostlo--host-loopback.raw" | grep -c ':1$')" = 2 ]
check "without --host-loopback, a loopback port nobody inside listens on is refused" \
  grep -qx '7002: Connection refused' "$T/hostlo.raw"
check "with --host-loopback it goes to the gateway, that port" \
  grep -qx "7002: connected, peer $E2E_KERNEL_IP:7002, read <from-host>" "$T/hostlo--host-loopback.raw"
check "UDP: a port the image binds stays inside, with or without --host-loopback" \
  [ "$(grep -c '^udp 7001: <inside>$' "$T/hostlo.raw" "$T/hostlo--host-loopback.raw" | grep -c ':1$')" = 2 ]
check "UDP: without --host-loopback, a connected socket to a port nobody inside binds is refused" \
  grep -qx 'udp 7003: Connection refused' "$T/hostlo.raw"
check "UDP: with --host-loopback it goes to the gateway, that port, and the answer comes back" \
  grep -qx "udp 7003: <from-host-udp>" "$T/hostlo--host-loopback.raw"
[ "$E2E_FAILED" -eq 0 ] || program_lines "$T/hostlo--host-loopback.raw" | tail -5 | diag
# The way in: the host reaches the program's 127.0.0.1:7001 at the
# image's address, and the program sees the client's own port.
ip netns exec "$E2E_NS" timeout --foreground 60 solo5-spt \
  "--net:service=$E2E_TAP" "--block:rootfs=$T/root.tar" "$hl.spt" \
  "--ipv4=$E2E_ZNET_IP/$E2E_PREFIX" "--gateway=$E2E_KERNEL_IP" --host-loopback -- 7001 serve \
  >"$T/hostlo-in.raw" 2>&1 &
hpid=$!
for _ in $(seq 1 300); do # (30 s: the image's start on a loaded machine)
  grep -q '^znet-rt: --host-loopback: the gateway reaches 127.0.0.1:7001' "$T/hostlo-in.raw" && break
  sleep 0.1
done
in_ns ip addr add 10.77.0.3/24 dev "$E2E_TAP"
ip netns exec "$E2E_NS" python3 - "$E2E_ZNET_IP" >"$T/hostlo-client.out" 2>&1 <<'PY'
import socket, sys
ip = sys.argv[1]
# From another address first: the door resets it.
s = socket.socket()
s.bind(("10.77.0.3", 0))
s.settimeout(5)
try:
    s.connect((ip, 7001))
    print("other:", s.recv(100) or b"eof")
except (ConnectionRefusedError, ConnectionResetError):
    print("other: reset")
except OSError as e:
    print("other: %r" % e)
s.close()
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 40123))
s.settimeout(10)
s.connect((ip, 7001))
f = s.makefile("rb")
print(f.readline().decode().strip())
s.sendall(b"z" * 300000)
s.shutdown(socket.SHUT_WR)
print(f.readline().decode().strip())
print("eof" if f.read() == b"" else "more")
PY
in_ns ip addr del 10.77.0.3/24 dev "$E2E_TAP"
wait "$hpid"
check "--host-loopback's way in: the image's 127.0.0.1:7001 at its address for the gateway (another source reset), the client's port kept, 300 KB both ways, FIN passed on" \
  [ "$(tr '\n' '|' <"$T/hostlo-client.out")" = "other: reset|hello 127.0.0.1:40123|got 300000 bytes|eof|" ] &&
  grep -qx 'served 127.0.0.1:40123 300000' "$T/hostlo-in.raw"
[ "$E2E_FAILED" -eq 0 ] || { cat "$T/hostlo-client.out"; program_lines "$T/hostlo-in.raw"; } | tail -8 | diag

# ---- writable.c: --writable ------------------------------------------------

wr=$T/writable
"$ZCC" -O2 -Wall -o "$wr" "$ROOT/tests/rt/progs/writable.c" >"$T/wrcc.log" 2>&1 &&
  "$ZIMG" --target spt -o "$wr.spt" "$wr" >>"$T/wrcc.log" 2>&1
check "writable.c built by znet-cc and znet-image" [ -f "$wr.spt" ] || diag <"$T/wrcc.log"
# The test root and a symlink in /dir.
cp -a "$ROOT/tests/rt/root" "$T/wroot" && ln -s a.txt "$T/wroot/dir/link-in-dir" &&
  tar cf "$T/wroot.tar" -C "$T/wroot" .
boot_spt "$wr.spt" "$T/wroot.tar" "$T/writable.raw" --writable /dir -- /dir
boot_spt "$wr.spt" "$T/wroot.tar" "$T/archive.raw" --ready-line -- /dir
program_lines "$T/writable.raw" >"$T/writable.out"
program_lines "$T/archive.raw" >"$T/archive.out"
check "--writable /dir: the archive's files and modes copied, then written, made, removed" \
  [ "$(grep -cxF -e 'read a.txt: <a>' -e 'mode sub: 755' -e 'append a.txt: ok' \
    -e 'reread a.txt: 7 bytes' -e 'create new.txt: ok' -e 'unlink b.txt: ok' \
    -e 'list: a.txt link-in-dir new.txt sub' -e 'deep: <deep inside>' \
    -e 'outside: Read-only file system' "$T/writable.out")" = 9 ]
[ "$E2E_FAILED" -eq 0 ] || diag <"$T/writable.out"
check "without it the same directory is the archive's, read-only" \
  [ "$(grep -cxF -e 'read a.txt: <a>' -e 'append a.txt: Read-only file system' \
    -e 'create new.txt: Read-only file system' -e 'unlink b.txt: Read-only file system' \
    -e 'list: a.txt b.txt link-in-dir sub' "$T/archive.out")" = 5 ]
check "--ready-line: no line from a program that ends without ever waiting" \
  [ "$(grep -c '^znet-rt: --ready-line' "$T/archive.raw")" = 0 ]
boot_spt "$wr.spt" "$T/wroot.tar" "$T/writable-bad.raw" --writable /hello.txt -- /dir
check "--writable of a file stops the image at start, saying why" \
  grep -q '^znet-rt: .*--writable /hello.txt: not a directory' "$T/writable-bad.raw"

# --export: the same run's /dir written to a device at the end.
"$ZIMG" --target spt --export export -o "$wr-export.spt" "$wr" >>"$T/wrcc.log" 2>&1
head -c 100000 /dev/urandom >"$T/wroot/dir/sub/big.bin"
tar cf "$T/wroot.tar" -C "$T/wroot" .
truncate -s 4M "$T/export.img"
ip netns exec "$E2E_NS" timeout --foreground 60 solo5-spt \
  "--net:service=$E2E_TAP" "--block:rootfs=$T/wroot.tar" "--block:export=$T/export.img" \
  "$wr-export.spt" --writable /dir --export /dir -- /dir >"$T/export.raw" 2>&1
mkdir -p "$T/exported" && tar xf "$T/export.img" -C "$T/exported" 2>"$T/export.tar.err"
check "--export /dir: at the end the device holds /dir as the program left it, as a tar archive" \
  [ "$(cd "$T/exported" && find . | sort | tr '\n' ' ')" = ". ./a.txt ./link-in-dir ./new.txt ./sub ./sub/big.bin ./sub/deep.txt " ]
check "... its files byte for byte, its symlink, its modes" \
  [ "$(printf 'a\nmore\n')" = "$(cat "$T/exported/a.txt")" -a "$(readlink "$T/exported/link-in-dir")" = a.txt \
    -a "$(stat -c %a "$T/exported/sub")" = 755 ] && cmp -s "$T/exported/sub/big.bin" "$T/wroot/dir/sub/big.bin"
truncate -s 64K "$T/export-small.img"
ip netns exec "$E2E_NS" timeout --foreground 60 solo5-spt \
  "--net:service=$E2E_TAP" "--block:rootfs=$T/wroot.tar" "--block:export=$T/export-small.img" \
  "$wr-export.spt" --writable /dir --export /dir -- /dir >"$T/export-small.raw" 2>&1
check "a device too small: what fits, a valid archive, and the console says what was left out" \
  grep -q '^znet-rt: --export /dir: 5 entries written, 1 left out' "$T/export-small.raw" &&
  [ "$(tar tf "$T/export-small.img" | grep -c big.bin)" = 0 ]
boot_spt "$wr.spt" "$T/wroot.tar" "$T/export-none.raw" --export /dir -- /dir
check "--export in an image made without a device for it stops at start, saying why" \
  grep -q '^znet-rt: .*--export /dir: the image has no device for it' "$T/export-none.raw"

# ---- sigport.c: --signal-port ----------------------------------------------

# sig_send SIG [SRC]: SIG's name to the image's port 7009 from the
# namespace (from SRC if given); prints the answer, or "no answer".
sig_send() {
  ip netns exec "$E2E_NS" python3 - "$E2E_ZNET_IP" 7009 "$1" "${2:-}" <<'PY'
import socket, sys
ip, port, sig, src = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
if src:
    s.bind((src, 0))
# (5 s: the answer comes in a round trip, but a loaded machine may take
# more than one second to give it; an unanswered datagram waits it out.)
s.settimeout(5)
s.sendto(sig.encode() + b"\n", (ip, port))
try:
    print(s.recv(100).decode().strip())
except socket.timeout:
    print("no answer")
PY
}

# until_line FILE LINE: at most 30 s for LINE in FILE (it returns at the
# line; a loaded machine may be slow to bring it).
until_line() {
  local i
  for i in $(seq 1 300); do
    grep -qxF "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

sp=$T/sigport
"$ZCC" -O2 -Wall -o "$sp" "$ROOT/tests/rt/progs/sigport.c" >"$T/spcc.log" 2>&1 &&
  "$ZIMG" --target spt -o "$sp.spt" "$sp" >>"$T/spcc.log" 2>&1
check "sigport.c built by znet-cc and znet-image" [ -f "$sp.spt" ] || diag <"$T/spcc.log"
boot_sig() {
  ip netns exec "$E2E_NS" timeout --foreground 180 solo5-spt \
    "--net:service=$E2E_TAP" "--block:rootfs=$T/root.tar" "$sp.spt" \
    "--ipv4=$E2E_ZNET_IP/$E2E_PREFIX" "--gateway=$E2E_KERNEL_IP" \
    --signal-port 7009 --ready-line >"$1" 2>&1 &
  E2E_ECHO_PID=$!
  until_line "$1" ready
}
if boot_sig "$T/sigport.raw"; then
  a=$(sig_send USR1)
  check "--signal-port: USR1 from the gateway is answered '$a' and the handler runs, the wait interrupted" \
    eval '[ "$a" = sent ] && until_line "$T/sigport.raw" "got USR1 (poll interrupted)"'
  a=$(sig_send FOO)
  check "an unknown name is answered '$a', nothing sent" [ "$a" = "unknown signal" ]
  in_ns ip addr add 10.77.0.3/24 dev "$E2E_TAP"
  a=$(sig_send USR1 10.77.0.3)
  b=$(sig_send SIGUSR1 10.77.0.3)
  n1=$(grep -c '^znet-rt: --signal-port: a datagram from 10.77.0.3 refused' "$T/sigport.raw")
  n2=$(grep -c '^got USR1' "$T/sigport.raw")
  check "from another address: no answer ($a, $b), nothing sent ($n2 USR1 in all), one console line ($n1)" \
    [ "$a" = "no answer" -a "$b" = "no answer" -a \
      "$n1" = 1 -a "$n2" = 1 ]
  [ "$n1" = 1 ] || { in_ns ip -br addr; grep -v '^Solo5: ' "$T/sigport.raw"; } | diag
  in_ns ip addr del 10.77.0.3/24 dev "$E2E_TAP"
  a=$(sig_send SIGQUIT)
  wait "$E2E_ECHO_PID"
  st=$?
  check "SIGQUIT by its full name: the handler, then the program's own exit (status $st)" \
    eval '[ "$a" = sent -a "$st" = 3 ] && grep -qxF "got QUIT (poll interrupted)" "$T/sigport.raw"'
  # The program said "ready" and then waited in poll: one line, after
  # its own, though it waited again after each signal.
  rl=$(grep -n -e '^ready$' -e '^znet-rt: --ready-line: the program waits, every thread blocked$' \
    "$T/sigport.raw" | cut -d: -f2- | tr '\n' '|')
  check "--ready-line: one line, once the program waits ($rl)" \
    [ "$rl" = "ready|znet-rt: --ready-line: the program waits, every thread blocked|" ]
else
  not_ok "sigport.spt boots"
  program_lines "$T/sigport.raw" | tail -5 | diag
fi
if boot_sig "$T/sigterm.raw"; then
  a=$(sig_send 15)
  wait "$E2E_ECHO_PID"
  st=$?
  check "15 (TERM) by number, no handler: the image ends as Linux would (status $st)" \
    [ "$a" = sent -a "$st" = 143 ]
else
  not_ok "sigport.spt boots again"
fi
E2E_ECHO_PID=""

# ---- ifaces.c: getifaddrs, if_nameindex, netlink by hand -----------------

ifc=$T/ifaces
"$ZCC" -O2 -Wall -o "$ifc" "$ROOT/tests/rt/progs/ifaces.c" >"$T/icc.log" 2>&1 &&
  "$ZIMG" --target spt -o "$ifc.spt" "$ifc" >>"$T/icc.log" 2>&1
check "ifaces.c built by znet-cc and znet-image" [ -f "$ifc.spt" ]
[ -f "$ifc.spt" ] || diag <"$T/icc.log"
boot_spt "$ifc.spt" "$T/root.tar" "$T/ifaces.raw" "--ipv4=$E2E_ZNET_IP/$E2E_PREFIX" \
  --ipv6=fd00:7a::2/64
program_lines "$T/ifaces.raw" >"$T/ifaces.out"
mac=$(sed -n 's/^znet-rt: .* mac \([0-9a-f:]*\) on .*/\1/p' "$T/ifaces.raw" | head -1)
check "getifaddrs: lo and eth0 with the device's MAC, running" \
  [ "$(grep -c -e '^ifaddr lo packet index 1 hwaddr 00:00:00:00:00:00 loopback running$' \
    -e "^ifaddr eth0 packet index 2 hwaddr ${mac:-none} running$" "$T/ifaces.out")" = 2 ]
check "getifaddrs: 127.0.0.1/8 on lo, the --ipv4 address and its netmask on eth0" \
  [ "$(grep -c -e '^ifaddr lo inet 127.0.0.1 netmask 255.0.0.0 up$' \
    -e "^ifaddr eth0 inet $E2E_ZNET_IP netmask 255.255.255.0 up$" "$T/ifaces.out")" = 2 ]
check "getifaddrs: ::1, the --ipv6 address, a link-local one scoped to eth0" \
  [ "$(grep -c -e '^ifaddr lo inet6 ::1 scope 0$' -e '^ifaddr eth0 inet6 fd00:7a::2 scope 0$' \
    -e '^ifaddr eth0 inet6 fe80:.* scope 2$' "$T/ifaces.out")" = 3 ]
check "if_nameindex: 1 lo, 2 eth0" grep -qxF 'if_nameindex: 1 lo 2 eth0' "$T/ifaces.out"
check "netlink: bind, getsockname (pid 1); a change refused with EOPNOTSUPP, from the kernel" \
  [ "$(grep -c -e '^netlink socket: bind 0, getsockname family AF_NETLINK pid 1$' \
    -e '^RTM_NEWLINK: .* NLMSG_ERROR seq 7 error EOPNOTSUPP, from the kernel: yes$' "$T/ifaces.out")" = 2 ]
check "netlink: no message ignored; MSG_TRUNC; EAGAIN; NETLINK_GENERIC refused" \
  [ "$(grep -c -e '^a length beyond the bytes sent: ignored, the send succeeds$' \
    -e '^RTM_GETLINK into 8 bytes: MSG_TRUNC gave the whole length; the rest then: whole messages$' \
    -e '^an empty queue: EAGAIN$' -e '^NETLINK_GENERIC: Protocol not supported$' "$T/ifaces.out")" = 4 ]
[ "$E2E_FAILED" -eq 0 ] || diag <"$T/ifaces.out"

# ---- dl.c: dlopen of modules made by znet-cc -shared --------------------

dl=$T/dl
rm -rf "$T/dlroot" && mkdir -p "$T/dlroot/usr/lib/mods" "$T/dlroot/opt" "$T/dlroot/etc"
{
  "$ZCC" -O2 -fPIC -c -o "$T/dl_mod.o" "$ROOT/tests/rt/progs/dl_mod.c" &&
    "$ZCC" -shared -o "$T/mod.so" "$T/dl_mod.o" -lm -Wl,-soname,mod.so &&
    "$ZCC" -O0 -fPIC -c -o "$T/dl_mod0.o" "$ROOT/tests/rt/progs/dl_mod.c" &&
    "$ZCC" -shared -o "$T/mod0.so" "$T/dl_mod0.o" -lm &&
    "$ZCC" -O2 -Wall -o "$dl" "$ROOT/tests/rt/progs/dl.c"
} >"$T/dlcc.log" 2>&1
check "znet-cc -shared: a module marked as an image's shared object" \
  sh -c "readelf -S -W '$T/mod.so' | grep -q ' \\.znet_so '"
cp "$T/mod.so" "$T/dlroot/usr/lib/mods/mod.so"
cp "$T/mod.so" "$T/dlroot/opt/copy.so"
echo "127.0.0.1 localhost" >"$T/dlroot/etc/hosts"
tar cf "$T/dlroot.tar" -C "$T/dlroot" .
"$ZIMG" --target spt --root "$T/dlroot.tar" -o "$dl.spt" "$dl" >>"$T/dlcc.log" 2>&1
check "dl.c made an image with the root holding the module twice" [ -f "$dl.spt" ]
check "... the module linked once (one set of renamed names)" \
  [ "$(nm "$dl.spt" 2>/dev/null | grep -c ' __zso[0-9]*_mod_triple$')" = 1 ]
[ -f "$dl.spt" ] || diag <"$T/dlcc.log"
ip netns exec "$E2E_NS" timeout --foreground 60 solo5-spt \
  "--net:service=$E2E_TAP" "$dl.spt" "--ipv4=$E2E_ZNET_IP/$E2E_PREFIX" -- \
  /usr/lib/mods/mod.so /opt/copy.so usr/lib/mods/mod.so \
  /usr/lib/mods/missing.so /etc/hosts >"$T/dl.raw" 2>&1
program_lines "$T/dl.raw" >"$T/dl.out"
mod="triple(14)=42, its counter %d, the program's 100, constructor ran 1, hello image, sqrt(16)=4; not_there: Symbol not found: not_there; dlclose 0"
# shellcheck disable=SC2059 # $mod is the format
check "dlopen by its path: the module's names, its own counter, its constructor, libc and -lm" \
  grep -qxF "/usr/lib/mods/mod.so: $(printf "$mod" 1)" "$T/dl.out"
# shellcheck disable=SC2059
check "the same file at another path: the same module (its counter goes on)" \
  grep -qxF "/opt/copy.so: $(printf "$mod" 2)" "$T/dl.out"
# shellcheck disable=SC2059
check "a relative path, from the working directory" \
  grep -qxF "usr/lib/mods/mod.so: $(printf "$mod" 3)" "$T/dl.out"
check "a file the root lacks: Linux's words" grep -qxF \
  "/usr/lib/mods/missing.so: dlopen failed: /usr/lib/mods/missing.so: cannot open shared object file: No such file or directory" \
  "$T/dl.out"
check "a file that is no linked module: said so" \
  grep -q '^/etc/hosts: dlopen failed: /etc/hosts: not linked into this image' "$T/dl.out"
check "dlopen(NULL): a handle that exports nothing" \
  grep -qxF 'dlopen(NULL): a handle, dlsym of it: NULL' "$T/dl.out"
check "dlclose of a pointer that is no handle: -1 and an error" \
  grep -qxF 'dlclose of a bad handle: -1 (an error)' "$T/dl.out"
[ "$E2E_FAILED" -eq 0 ] || { grep -v '^Solo5: ' "$T/dl.raw" | tail -20 | diag; }
# A root from the block device: --so names the module; a different build
# of it at that path is refused.
mkdir -p "$T/dlroot2/usr/lib/mods"
cp "$T/mod0.so" "$T/dlroot2/usr/lib/mods/mod.so"
tar cf "$T/dlroot2.tar" -C "$T/dlroot2" .
"$ZIMG" --target spt --so "/usr/lib/mods/mod.so=$T/mod.so" -o "$dl-blk.spt" "$dl" \
  >>"$T/dlcc.log" 2>&1
ip netns exec "$E2E_NS" timeout --foreground 60 solo5-spt \
  "--net:service=$E2E_TAP" "--block:rootfs=$T/dlroot2.tar" "$dl-blk.spt" \
  "--ipv4=$E2E_ZNET_IP/$E2E_PREFIX" -- /usr/lib/mods/mod.so >"$T/dl2.raw" 2>&1
check "--so, and another build of the module at its path: refused, said why" \
  grep -q '^/usr/lib/mods/mod.so: dlopen failed: /usr/lib/mods/mod.so: not the build of it linked into this image' "$T/dl2.raw"
check "znet-image refuses a relative --so path, an object not made by -shared, a missing file" \
  refuses "$dl" "--so usr/lib/mod.so=$T/mod.so" "--so /usr/lib/mod.so=$T/dl_mod.o" \
  "--so /usr/lib/mod.so=$T/missing.so"
# --pack DIR: the root made from a directory, inside the image; --args:
# the words the program gets when the command line has no "--".
rm -rf "$T/pack" && mkdir -p "$T/pack/usr/lib/mods"
cp "$T/mod.so" "$T/pack/usr/lib/mods/mod.so"
"$ZIMG" --target spt --pack "$T/pack" --args "/usr/lib/mods/mod.so 'two words'" \
  -o "$dl-pack.spt" "$dl" >>"$T/dlcc.log" 2>&1
ip netns exec "$E2E_NS" timeout --foreground 60 solo5-spt \
  "--net:service=$E2E_TAP" "$dl-pack.spt" "--ipv4=$E2E_ZNET_IP/$E2E_PREFIX" \
  >"$T/dl3.raw" 2>&1
# shellcheck disable=SC2059
check "--pack DIR --args: no \"--\" on the tender's line, the image's words run (the module from DIR)" \
  grep -qxF "/usr/lib/mods/mod.so: $(printf "$mod" 1)" "$T/dl3.raw"
check "... a quoted default word stays one word" \
  grep -qxF 'two words: dlopen failed: two words: cannot open shared object file: No such file or directory' "$T/dl3.raw"
# --pack with --block: the archive beside the image (IMAGE.tar), the same
# bytes from the same tree; words after "--" replace the defaults.
"$ZIMG" --target spt --pack "$T/pack" --block rootfs --args /nothing.so \
  -o "$dl-pb.spt" "$dl" >>"$T/dlcc.log" 2>&1 && cp "$dl-pb.spt.tar" "$T/pb1.tar" &&
  "$ZIMG" --target spt --pack "$T/pack" --block rootfs --args /nothing.so \
    -o "$dl-pb.spt" "$dl" >>"$T/dlcc.log" 2>&1
check "--pack DIR --block rootfs: IMAGE.tar beside the image, the same bytes twice" \
  cmp -s "$T/pb1.tar" "$dl-pb.spt.tar"
ip netns exec "$E2E_NS" timeout --foreground 60 solo5-spt \
  "--net:service=$E2E_TAP" "--block:rootfs=$dl-pb.spt.tar" "$dl-pb.spt" \
  "--ipv4=$E2E_ZNET_IP/$E2E_PREFIX" -- /usr/lib/mods/mod.so >"$T/dl4.raw" 2>&1
# shellcheck disable=SC2059
pb=false
grep -qxF "/usr/lib/mods/mod.so: $(printf "$mod" 1)" "$T/dl4.raw" &&
  ! grep -q nothing.so "$T/dl4.raw" && pb=true
check "... booted from it, the module linked from the tree; \"--\" words replace --args" $pb
check "znet-image refuses --pack with --root, and a missing directory" \
  refuses "$dl" "--pack $T/pack --root $T/dlroot.tar" "--pack $T/missing-dir"

# ---- limits.c: out of memory, a spinning thread, an unanswered call -----

lim=$T/limits
"$ZCC" -O2 -Wall -o "$lim" "$ROOT/tests/rt/progs/limits.c" -lpthread \
  >"$T/lcc.log" 2>&1 && "$ZIMG" --target spt -o "$lim.spt" "$lim" \
  >>"$T/lcc.log" 2>&1
check "limits.c built by znet-cc and znet-image" [ -f "$lim.spt" ]
[ -f "$lim.spt" ] || diag <"$T/lcc.log"
ip netns exec "$E2E_NS" timeout --foreground 60 solo5-spt --mem=32 \
  "--net:service=$E2E_TAP" "--block:rootfs=$T/root.tar" "$lim.spt" \
  --thread-stack=64K >"$T/limits.raw" 2>&1
program_lines "$T/limits.raw" >"$T/limits.out"
check "limits.spt ran to its end with 32 MB" grep -q '^== done$' "$T/limits.out"
n=$(sed -n 's/^malloc of 1 MiB blocks failed after \([0-9]*\) MiB: ENOMEM$/\1/p' "$T/limits.out")
check "malloc runs out with ENOMEM (after ${n:-?} MiB of 32)" [ "${n:-0}" -gt 10 ] && [ "${n:-99}" -lt 32 ]
check "mmap beyond the memory: ENOMEM" grep -q '^mmap of 64 GiB: ENOMEM$' "$T/limits.out"
check "the memory comes back: freed blocks are allocated again" \
  grep -qE '^after freeing half, ([0-9]+) of \1 blocks allocated again$' "$T/limits.out"
check "the console said the memory ran out" grep -q '^znet-rt: out of memory: ' "$T/limits.raw"
check "a thread that computes (making calls) does not starve a sleeper" \
  grep -q 'late by less than 100 ms: 1 .*the spinner ran: 1$' "$T/limits.out"
check "the image still serves after running out" \
  grep -q '^a loopback connection after all that: ok$' "$T/limits.out"
check "--thread-stack=64K: a thread asking 4 MiB gets 64 KiB, and runs" \
  grep -q '^a thread asked 4194304 bytes of stack, got 65536: ran$' "$T/limits.out"
check "an unanswered call: ENOSYS both times" \
  grep -q '^acct twice: -1 ENOSYS, -1 ENOSYS$' "$T/limits.out"
check "... and the console named it once" \
  [ "$(grep -c '^znet-rt: acct (163) is not answered here: ENOSYS$' "$T/limits.raw")" = 1 ]
[ "$E2E_FAILED" -eq 0 ] || { grep -v '^Solo5: ' "$T/limits.raw" | tail -20 | diag; }
# A size --thread-stack refuses: the image stops at once, naming it.
ip netns exec "$E2E_NS" timeout --foreground 30 solo5-spt --mem=32 \
  "--net:service=$E2E_TAP" "--block:rootfs=$T/root.tar" "$lim.spt" \
  --thread-stack=12K >"$T/limits-bad.raw" 2>&1
bad=$?
refused=false
[ "$bad" != 0 ] && grep -q '^znet-rt: --thread-stack 12K: want a size' "$T/limits-bad.raw" &&
  ! grep -q '^== done$' "$T/limits-bad.raw" && refused=true
check "--thread-stack=12K refused: a line naming it, no program run (status $bad)" $refused

# A word before "--" that is no flag: the usage line naming it, exit 2,
# no program run (the runtime parses znet's flags with zn_app_open).
ip netns exec "$E2E_NS" timeout --foreground 30 solo5-spt --mem=32 \
  "--net:service=$E2E_TAP" "--block:rootfs=$T/root.tar" "$lim.spt" \
  stray >"$T/limits-stray.raw" 2>&1
bad=$?
refused=false
grep -q "^znet-rt: unexpected argument 'stray'" "$T/limits-stray.raw" &&
  grep -q 'solo5_exit(2)' "$T/limits-stray.raw" &&
  ! grep -q '^== done$' "$T/limits-stray.raw" && refused=true
check "a word before -- that is no flag: the usage line, exit 2, no program run (status $bad)" $refused
$refused || diag <"$T/limits-stray.raw"

# ---- own_malloc.c: a program with an allocator of its own ----------------

om=$T/own_malloc
"$ZCC" -O2 -Wall -o "$om" "$ROOT/tests/rt/progs/own_malloc.c" >"$T/omcc.log" 2>&1 &&
  "$ZIMG" --target spt -o "$om.spt" "$om" >>"$T/omcc.log" 2>&1
ip netns exec "$E2E_NS" timeout --foreground 60 solo5-spt --mem=64 \
  "--net:service=$E2E_TAP" "--block:rootfs=$T/root.tar" "$om.spt" >"$T/own_malloc.raw" 2>&1
check "a program's own malloc (a 256 KiB arena): the runtime takes none of it, loopback works" \
  grep -q '^own malloc: loopback said <pong>; largest request under 64 KiB' "$T/own_malloc.raw"
[ "$E2E_FAILED" -eq 0 ] || { grep -v '^Solo5: ' "$T/own_malloc.raw" | tail -5 | diag; }

# ---- deadlock.c: threads that wait for each other for ever ---------------

dl=$T/deadlock
"$ZCC" -O2 -Wall -o "$dl" "$ROOT/tests/rt/progs/deadlock.c" -lpthread \
  >"$T/dlcc.log" 2>&1 && "$ZIMG" --target spt -o "$dl.spt" "$dl" >>"$T/dlcc.log" 2>&1
check "deadlock.c built by znet-cc and znet-image" [ -f "$dl.spt" ]
[ -f "$dl.spt" ] || diag <"$T/dlcc.log"
ip netns exec "$E2E_NS" timeout --foreground 60 solo5-spt --mem=64 \
  "--net:service=$E2E_TAP" "--block:rootfs=$T/root.tar" "$dl.spt" >"$T/deadlock.raw" 2>&1
st=$?
check "a deadlock with the network up: the console says so, the image ends (status $st, not the timeout's 124)" \
  [ "$st" != 124 -a "$(grep -c '^znet-rt: deadlock: no thread can run' "$T/deadlock.raw")" = 1 ]
check "... naming each thread and what it waits on" \
  [ "$(grep -cE '^znet-rt:   thread [0-9]+ \((main|locker-a|locker-b)\) waits on futex 0x' "$T/deadlock.raw")" = 3 -a \
  "$(grep -c '^znet-rt:   thread [0-9]* (reader) waits for I/O only a thread could bring' "$T/deadlock.raw")" = 1 ]
# Where: one of the code addresses on locker-a's stack is in lock_both.
where=$(grep -A1 '(locker-a) waits on futex' "$T/deadlock.raw" |
  sed -n 's/^znet-rt:     code on its stack (addr2line -f -e IMAGE)://p')
fns=$( [ -n "$where" ] && addr2line -f -e "$dl.spt" $where | sed -n '1~2p' | sort -u | tr '\n' ' ')
check "... and where: the code on locker-a's stack is in lock_both (addr2line: ${fns:-none})" \
  grep -qw lock_both <<<"$fns"
[ "$E2E_FAILED" -eq 0 ] || { grep -v '^Solo5: ' "$T/deadlock.raw" | tail -20 | diag; }

finish
