#!/bin/bash
# The book's first two programs (examples/book/) as unikernel images, made
# as the book tells a reader to make them and booted under solo5-spt on a
# TAP in a private network namespace.
#
#   book.sh SOURCE_ROOT BUILD_ROOT SHARED_DIR
#
#  1. Solo5 from SHARED_DIR/solo5 built in BUILD_ROOT/solo5, the namespace
#     (spt-lib.sh: skipped without the archive, failed without it under
#     ZN_SHARED_REQUIRED).
#  2. hello (chapter 1): BUILD_ROOT/examples/book/hello, linked by
#     znet-cc, runs on Linux; znet-image makes hello.spt of it, which
#     boots with an empty root archive, prints "Hello from a znet
#     unikernel", its host name (--hostname) and its arguments (the words
#     after "--"), and exits 0: so does solo5-spt.
#  3. echo (chapter 2): BUILD_ROOT/examples/book/echo.o, compiled by
#     znet-cc from the file the Linux build compiles, made echo.spt by
#     znet-image; booted with --ipv4, it prints its banner; ping, UDP echo
#     of a line and of 1472 bytes, TCP echo of 256 KiB by SHA-256 (nc and
#     socat) and 3 clients at once; still running at the end, no fatal
#     error on the console.
#
# Needs root, /dev/net/tun, gcc, make and libseccomp (solo5-spt's
# sandbox), ping, nc, socat, sha256sum, else skips.  Output is TAP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../e2e/lib.sh"
. "$here/spt-lib.sh"

[ $# -eq 3 ] || { echo "usage: $0 SOURCE_ROOT BUILD_ROOT SHARED_DIR" >&2; exit 2; }
need_cmd ping nc socat sha256sum
spt_setup "$1" "$2" "$3"
T=$E2E_TMP
B=$SPT_BUILD/examples/book
Z=$E2E_ZNET_IP
tar cf "$T/empty.tar" -T /dev/null

# ---- 2. hello ----------------------------------------------------------------

"$B/hello" one two >"$T/hello.linux" 2>&1
rc=$?
check "hello runs on Linux, exit 0 (got $rc): $(head -n 1 "$T/hello.linux")" \
  eval '[ "$rc" -eq 0 ] && grep -qx "Hello from a znet unikernel" "$T/hello.linux"'
if spt_image hello "$B/hello"; then
  ip netns exec "$E2E_NS" timeout --foreground 60 solo5-spt \
    --net:service="$E2E_TAP" --block:rootfs="$T/empty.tar" \
    "$T/hello.spt" --hostname=book -- one two >"$T/hello.out" 2>&1
  rc=$?
  check "hello.spt says hello" grep -qx "Hello from a znet unikernel" "$T/hello.out"
  check "hello.spt: uname names the image's kernel and --hostname" \
    grep -qx "Linux 6.1.0-znet on x86_64, host name book" "$T/hello.out"
  check "hello.spt: its arguments are the words after --" \
    eval 'grep -qx "argv\[0\] = hello" "$T/hello.out" &&
      grep -qx "argv\[1\] = one" "$T/hello.out" &&
      grep -qx "argv\[2\] = two" "$T/hello.out" && ! grep -q "argv\[3\]" "$T/hello.out"'
  check "hello.spt exits 0, and so does solo5-spt (got $rc)" \
    eval '[ "$rc" -eq 0 ] && grep -q "solo5_exit(0)" "$T/hello.out"'
  [ "$E2E_FAILED" -eq 0 ] || tail -20 "$T/hello.out" | diag
fi

# ---- 3. echo -----------------------------------------------------------------

spt_image echo "$B/echo.o" || { finish; exit 1; }
spt_boot echo "$T/echo.out" "$T/empty.tar" --ipv4="$Z/$E2E_PREFIX"
if spt_wait_banner echo "$T/echo.out"; then
  check "echo.spt boots: $(grep -m1 '^echo: .* mac ' "$T/echo.out")" \
    grep -qx "echo: $Z/$E2E_PREFIX mac $E2E_MAC on solo5:service" "$T/echo.out"
  ping_case 56
  got=$(udp_line "$Z" 7 "hello over udp") # (lib.sh: no fixed 1 s for the reply)
  check "UDP: a line comes back (got '$got')" [ "$got" = "hello over udp" ]
  head -c 1472 /dev/urandom >"$T/dgram"
  # readbytes: socat ends once the datagram came back, so its wait for
  # it (-t, 0.5 s by default) can be long for a loaded machine.
  in_ns_t 20 socat -b 65536 -t 15 - "UDP:$Z:7,readbytes=1472" <"$T/dgram" >"$T/dgram.back" 2>/dev/null
  check "UDP: a 1472-byte datagram comes back byte for byte (socat)" \
    cmp -s "$T/dgram" "$T/dgram.back"
  head -c $((256 << 10)) /dev/urandom >"$T/blob"
  want=$(sha256sum <"$T/blob" | cut -d' ' -f1)
  back=$(in_ns_t 30 nc -N -w 5 "$Z" 7 <"$T/blob" 2>/dev/null | sha256sum | cut -d' ' -f1)
  check "TCP: 256 KiB come back, SHA-256 equal (nc -N)" [ "$back" = "$want" ]
  back=$(in_ns_t 30 socat -b 65536 - "TCP:$Z:7,shut-down" <"$T/blob" 2>/dev/null |
    sha256sum | cut -d' ' -f1)
  check "TCP: 256 KiB come back, SHA-256 equal (socat)" [ "$back" = "$want" ]
  pids=""
  for i in 1 2 3; do
    (in_ns_t 30 nc -N -w 5 "$Z" 7 <"$T/blob" | sha256sum | cut -d' ' -f1 >"$T/many.$i") &
    pids="$pids $!"
  done
  for p in $pids; do wait "$p"; done
  same=0
  for i in 1 2 3; do [ "$(cat "$T/many.$i")" = "$want" ] && same=$((same + 1)); done
  check "TCP: 3 clients at once, 256 KiB each, all come back ($same of 3)" [ "$same" -eq 3 ]
  check "echo.spt still running at the end" spt_stop
  spt_fatal_case echo.spt "$T/echo.out"
else
  not_ok "echo.spt boots and prints its banner"
  tail -20 "$T/echo.out" | diag
  spt_stop
fi

finish
