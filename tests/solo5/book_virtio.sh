#!/bin/bash
# The book's chapter 8 (docs/book/08-deploy.md): the chapter 2 echo server
# as a Solo5 virtio image under QEMU, its address from dnsmasq by DHCP,
# and examples/book/boot-time.sh, each as the chapter tells a reader.
#
#   book_virtio.sh SOURCE_ROOT BUILD_ROOT SHARED_DIR
#
#  1. Solo5 built in BUILD_ROOT/solo5 and the namespace with its TAP
#     (spt-lib.sh: skipped without Solo5's archive, failed without it
#     under ZN_SHARED_REQUIRED).
#  2. echo.virtio made by znet-image --target virtio from
#     BUILD_ROOT/examples/book/echo.o (chapter 2's object, unchanged).
#  3. dnsmasq serving DHCP on the TAP (10.77.0.50-60, 2-minute leases);
#     echo.virtio under qemu-system-x86_64 (TCG, -cpu Westmere) with
#     --dhcp and a --seed, its virtio-net NIC on the TAP (QEMU's default
#     MAC), an empty root archive on its virtio block device: Solo5 takes
#     both devices, the runtime reads the archive, the banner says dhcp
#     with the MAC; the lease comes (at most 60 s: RFC 2131's start delay
#     of up to 10 s, RFC 5227's probes, under TCG) and the address the
#     image reports is in the range, in dnsmasq's lease file with the MAC
#     and ACKed in its log; UDP echo of a line and of 1472 bytes, TCP echo
#     of 256 KiB by SHA-256 at that address; SIGINT (the reader's Ctrl-C)
#     ends QEMU with status 0 within 10 s, no fatal error on the console.
#     Without the block device, Solo5 refuses to start and QEMU exits.
#  4. boot-time.sh: echo.spt under solo5-spt --mem=5 and echo.virtio
#     under QEMU, each with --ipv4: a time in ms under its bound, the
#     tender stopped after; and its failures: --mem=3 (the image stops at
#     once: "ended before ... answered", exit 1) and an address nobody
#     has (BOOT_TIMEOUT=2: "no answer ... within 2 s", exit 1), the
#     tender stopped both times; a bad command line.
#
# About 20 to 25 s here, most of it the DHCP lease (11 to 20 s seen);
# up to about 3 minutes when boot-time.sh never sees an answer.  Needs
# root, /dev/net/tun, gcc, make and libseccomp (Solo5),
# qemu-system-x86_64, dnsmasq, nc, socat, sha256sum, else skips.  Output
# is TAP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../e2e/lib.sh"
. "$here/spt-lib.sh"

[ $# -eq 3 ] || { echo "usage: $0 SOURCE_ROOT BUILD_ROOT SHARED_DIR" >&2; exit 2; }
need_cmd qemu-system-x86_64 dnsmasq nc socat sha256sum od
spt_setup "$1" "$2" "$3"
T=$E2E_TMP
B=$SPT_BUILD/examples/book
BOOT_TIME=$SPT_ROOT/examples/book/boot-time.sh
QEMU_MAC=52:54:00:12:34:56 # QEMU's default for the first NIC
RANGE_RE='10\.77\.0\.(5[0-9]|60)'
tar cf "$T/empty.tar" -T /dev/null

# qemu_args ROOTFS APPEND: the chapter's QEMU command line (ROOTFS empty:
# no block device).
qemu_args() {
  QEMU=(qemu-system-x86_64 -cpu Westmere -m 64 -nodefaults -no-reboot
    -display none -serial stdio -kernel "$T/echo.virtio" -append "$2")
  [ -n "$1" ] && QEMU+=(-drive "file=$1,if=virtio,format=raw")
  QEMU+=(-netdev "tap,id=n0,ifname=$E2E_TAP,script=no,downscript=no"
    -device virtio-net-pci,netdev=n0,event_idx=off)
}

# ---- 2. the image --------------------------------------------------------------

if "$SPT_BUILD/rt/znet-image" --target virtio -o "$T/echo.virtio" --name echo \
  "$B/echo.o" >"$T/virtio.img.log" 2>&1; then
  ok "echo.virtio made by znet-image --target virtio ($(stat -c %s "$T/echo.virtio") bytes)"
else
  not_ok "echo.virtio made by znet-image --target virtio from $B/echo.o"
  diag <"$T/virtio.img.log"
  finish
  exit 1
fi

# ---- 3. DHCP and echo under QEMU -------------------------------------------------

dlog=$T/dnsmasq.log
leases=$T/leases
ip netns exec "$E2E_NS" timeout 200 dnsmasq --keep-in-foreground \
  --conf-file=/dev/null --port=0 --user=root --pid-file= \
  --interface="$E2E_TAP" --bind-interfaces \
  --dhcp-range=10.77.0.50,10.77.0.60,2m --dhcp-leasefile="$leases" \
  --log-dhcp --log-facility="$dlog" >"$T/dnsmasq.out" 2>&1 &
bg_pid $!
for _ in $(seq 1 50); do
  grep -q "DHCP, IP range" "$dlog" 2>/dev/null && break
  sleep 0.1
done
if grep -q "DHCP, IP range" "$dlog" 2>/dev/null; then
  ok "dnsmasq serves DHCP on $E2E_TAP"
else
  not_ok "dnsmasq serves DHCP on $E2E_TAP"
  diag <"$T/dnsmasq.out"
  finish
  exit 1
fi

seed=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
qemu_args "$T/empty.tar" "--dhcp --seed=$seed"
out=$T/echo.virtio.out
t0=$(now_s)
ip netns exec "$E2E_NS" timeout --foreground 200 "${QEMU[@]}" </dev/null >"$out" 2>&1 &
E2E_ECHO_PID=$!
# console OUT: QEMU's serial console without its carriage returns.
console() { tr -d '\r' <"$1"; }
if wait_line "$out" "^echo: dhcp mac " 30; then
  banner=$(console "$out" | grep -m1 '^echo: dhcp mac ')
  check "echo.virtio boots under QEMU ($(elapsed "$t0") s): $banner" \
    [ "$banner" = "echo: dhcp mac $QEMU_MAC on solo5:service" ]
  check "Solo5 took the virtio NIC as 'service' and the virtio disk as 'rootfs'" \
    eval "grep -q \"^Solo5: Application acquired 'service' as network device\" '$out' &&
      grep -q \"^Solo5: Application acquired 'rootfs' as block device\" '$out'"
  check "the runtime read the root archive from the disk (tarfs: 0 entries)" \
    grep -q "^znet-rt: tarfs: 0 entries" "$out"
else
  not_ok "echo.virtio boots under QEMU and prints its banner within 30 s"
  tail -20 "$out" | diag
  finish
  exit 1
fi

if wait_line "$out" "^echo: dhcp4 bound " 60; then
  ok "a lease is taken ($(elapsed "$t0") s from QEMU's start)"
else
  not_ok "a lease is taken within 60 s"
  tail -20 "$out" | diag
  tail -20 "$dlog" | diag
  finish
  exit 1
fi
line=$(console "$out" | grep -m1 "^echo: dhcp4 bound ")
addr=$(sed -n 's/^echo: dhcp4 bound \([0-9.]*\)\/.*/\1/p' <<<"$line")
echo "$line" | diag
check "the image reports $addr/24, router $E2E_KERNEL_IP, a 120 s lease from $E2E_KERNEL_IP" \
  grep -Eq "^echo: dhcp4 bound $RANGE_RE/24 router $E2E_KERNEL_IP dns - mtu - lease 120s t1 60s t2 105s server $E2E_KERNEL_IP\$" <<<"$line"
check "dnsmasq's lease file has $addr for $QEMU_MAC" \
  grep -Eq "^[0-9]+ $QEMU_MAC $addr \\* 01:$QEMU_MAC\$" "$leases"
check "dnsmasq's log: DHCPACK of $addr to $QEMU_MAC" \
  grep -q "DHCPACK($E2E_TAP) $addr $QEMU_MAC" "$dlog"

got=$(udp_line "$addr" 7 "hello over dhcp") # (lib.sh: no fixed 1 s for the reply)
check "UDP: a line comes back from $addr (got '$got')" [ "$got" = "hello over dhcp" ]
head -c 1472 /dev/urandom >"$T/dgram"
# readbytes: socat ends once the datagram came back, so its wait for it
# (-t, 0.5 s by default) can be long for QEMU's TCG on a loaded machine.
in_ns_t 20 socat -b 65536 -t 15 - "UDP:$addr:7,readbytes=1472" <"$T/dgram" >"$T/dgram.back" 2>/dev/null
check "UDP: a 1472-byte datagram comes back byte for byte" cmp -s "$T/dgram" "$T/dgram.back"
head -c $((256 << 10)) /dev/urandom >"$T/blob"
want=$(sha256sum <"$T/blob" | cut -d' ' -f1)
t1=$(now_s)
back=$(in_ns_t 60 nc -N -w 10 "$addr" 7 <"$T/blob" 2>/dev/null | sha256sum | cut -d' ' -f1)
check "TCP: 256 KiB come back from $addr, SHA-256 equal ($(elapsed "$t1") s)" [ "$back" = "$want" ]

pid=$E2E_ECHO_PID
kill -INT "$pid"
wait_bg "$pid" 10
rc=$?
E2E_ECHO_PID=""
check "SIGINT (Ctrl-C) ends QEMU with status 0 (got $rc)" \
  eval '[ "$rc" -eq 0 ] && grep -q "terminating on signal 2" "$out"'
spt_fatal_case echo.virtio "$out"
[ "$E2E_FAILED" -eq 0 ] || tail -30 "$out" | diag

# Without the block device Solo5 stops before the program: every device
# of the manifest must be attached.
qemu_args "" "--ipv4=$E2E_ZNET_IP/$E2E_PREFIX"
in_ns_t 60 "${QEMU[@]}" </dev/null >"$T/nodisk.out" 2>&1
rc=$?
check "without the disk Solo5 refuses to start and QEMU exits (status $rc)" \
  eval '[ "$rc" -ne 124 ] &&
    grep -q "Device .rootfs. of type BLOCK_BASIC not attached" "$T/nodisk.out" &&
    ! grep -q "^echo: " "$T/nodisk.out"'

# ---- 4. boot-time.sh -------------------------------------------------------------

spt_image echo "$B/echo.o" || { finish; exit 1; }
# boot_time NAME BOUND_MS OUT COMMAND...: one case, boot-time.sh answers
# "N ms" with N under BOUND_MS and exit 0, and COMMAND is gone after.
boot_time() {
  local name=$1 bound=$2 o=$3 got ms
  shift 3
  got=$(BOOT_TIMEOUT=60 in_ns_t 90 "$BOOT_TIME" "$E2E_ZNET_IP" "$@" 2>"$o")
  local rc=$?
  ms=${got% ms}
  if [ "$rc" -eq 0 ] && [[ $got =~ ^[0-9]+\.[0-9]\ ms$ ]] && [ "${ms%.*}" -lt "$bound" ] &&
    ! pgrep -f "$T/echo\\." >/dev/null; then
    ok "boot-time.sh, $name: $got (bound $bound ms), the tender stopped after"
  else
    not_ok "boot-time.sh, $name: a time under $bound ms and exit 0 (got '$got', status $rc)"
    tail -10 "$o" | diag
  fi
}
spt=(solo5-spt --mem=5 "--net:service=$E2E_TAP" "--block:rootfs=$T/empty.tar"
  "$T/echo.spt" "--ipv4=$E2E_ZNET_IP/$E2E_PREFIX")
boot_time "echo.spt with --mem=5" 2000 "$T/bt-spt.err" "${spt[@]}"
qemu_args "$T/empty.tar" "--ipv4=$E2E_ZNET_IP/$E2E_PREFIX"
boot_time "echo.virtio under QEMU's TCG" 20000 "$T/bt-virtio.err" "${QEMU[@]}"

# fails NAME WANT COMMAND...: one case, boot-time.sh exits 1 saying WANT
# on its last line of stderr, prints nothing on stdout, and leaves no
# tender running.
fails() {
  local name=$1 want=$2 got rc
  shift 2
  got=$(in_ns_t 30 "$@" 2>"$T/bt-fail.err")
  rc=$?
  if [ "$rc" -eq 1 ] && [ -z "$got" ] && tail -n 1 "$T/bt-fail.err" | grep -q "$want" &&
    ! pgrep -f "$T/echo\\." >/dev/null; then
    ok "boot-time.sh, $name: exit 1, '$(tail -n 1 "$T/bt-fail.err")'"
  else
    not_ok "boot-time.sh, $name: exit 1 and '$want' (got status $rc, '$got')"
    tail -10 "$T/bt-fail.err" | diag
  fi
}
spt[1]=--mem=3
fails "echo.spt with --mem=3" "^boot-time.sh: solo5-spt ended before $E2E_ZNET_IP answered\$" \
  env BOOT_TIMEOUT=20 "$BOOT_TIME" "$E2E_ZNET_IP" "${spt[@]}"
check "--mem=3: the runtime said to give the tender more memory" \
  grep -q "give the tender more (--mem)" "$T/bt-fail.err"
spt[1]=--mem=5
fails "an address nobody has (BOOT_TIMEOUT=2)" "^boot-time.sh: no answer from 10.77.0.99 within 2 s\$" \
  env BOOT_TIMEOUT=2 "$BOOT_TIME" 10.77.0.99 "${spt[@]}"
want="usage: [BOOT_TIMEOUT=SECONDS] boot-time.sh ADDR COMMAND [ARGS...]"
usage=$("$BOOT_TIME" 2>&1 >/dev/null)
rc=$?
check "boot-time.sh without arguments: status 2 and its usage (got $rc)" \
  eval '[ "$rc" -eq 2 ] && [ "$usage" = "$want" ]'
usage=$(BOOT_TIMEOUT=1.5 "$BOOT_TIME" "$E2E_ZNET_IP" true 2>&1 >/dev/null)
rc=$?
check "boot-time.sh with BOOT_TIMEOUT=1.5: status 2 and its usage (got $rc)" \
  eval '[ "$rc" -eq 2 ] && [ "$usage" = "$want" ]'

finish
