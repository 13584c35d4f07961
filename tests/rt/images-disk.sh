# A program's cloud disk (znet-image --disk gce), booted by QEMU from the
# disk alone, as Compute Engine boots it, and served over a lease from
# dnsmasq.  Sourced by scripts/images, which calls it for nginx on
# virtio (one boot under TCG: about 20 s, most of it the lease):
#
#   disk_check NAME PROGRAM ROOT WWW PATH...
#
#  1. $B/img/NAME.gce.tar.gz made by znet-image --target virtio --root ROOT
#     --disk gce --cmdline "--dhcp --", and its disk.raw taken out
#     (tar -xS, as Compute Engine's import reads it): one case with the
#     sizes (the tar.gz, disk.raw's length, the bytes it holds).
#  2. dnsmasq serving DHCP on the TAP ($E2E_TAP in $E2E_NS, addresses
#     10.77.0.50-60, 2-minute leases) in Compute Engine's shape: a /32,
#     the gateway (the TAP's address) put on the link by option 121
#     ("G/32 via 0.0.0.0", "0/0 via G"), MTU 1460.
#  3. QEMU (TCG, -cpu Westmere, no -kernel) with disk.raw as its only
#     disk, on virtio-scsi as Compute Engine's default interface gives it
#     (Solo5's virtio target skips that device: "unknown virtio device";
#     on virtio-blk the image, which declares no block device, would stop
#     at "not in manifest"), and a virtio-net NIC on the TAP
#     (event_idx=off, as scripts/images boots every virtio image).  The
#     console must show SYSLINUX loading the image, then the lease; the
#     case says when Solo5's banner came.
#  4. PATH... fetched by curl from the leased address, each byte for byte
#     the same as WWW/PATH; the case says the time from QEMU's start to
#     the lease and to the first answer.
#  5. QEMU stopped by SIGINT (the isa-debug-exit device is left out: the
#     disk boots as a cloud's machine would), dnsmasq with it.
#
# Uses scripts/images' variables (B, T, ZIMG, E2E_NS, E2E_TAP) and
# tests/e2e/lib.sh's helpers; needs dnsmasq, and Debian's syslinux,
# syslinux-common and mtools for the disk (scripts/images installs them).

# disk_check NAME PROGRAM ROOT WWW PATH...
disk_check() {
  local name=$1 prog=$2 root=$3 www=$4
  shift 4
  local tgz=$B/img/$name.gce.tar.gz dir=$T/$name-disk
  local out=$T/$name.disk.out log=$T/$name.disk.log
  if ! "$ZIMG" --target virtio --root "$root" --disk gce \
    --cmdline "--dhcp --" -o "$tgz" "$prog" >"$log" 2>&1; then
    not_ok "$name.gce.tar.gz made by znet-image --disk gce"
    diag <"$log"
    return 1
  fi
  rm -rf "$dir" && mkdir -p "$dir"
  if ! tar -xSzf "$tgz" -C "$dir" || [ ! -f "$dir/disk.raw" ]; then
    not_ok "$name.gce.tar.gz holds disk.raw"
    tar tvzf "$tgz" 2>&1 | diag
    return 1
  fi
  ok "$name.gce.tar.gz made by znet-image --root --disk gce: $(stat -c %s "$tgz") bytes; disk.raw $(stat -c %s "$dir/disk.raw") bytes long, $(($(stat -c %b "$dir/disk.raw") * $(stat -c %B "$dir/disk.raw"))) held"

  local dlog=$T/$name.dnsmasq.log
  ip netns exec "$E2E_NS" timeout 200 dnsmasq --keep-in-foreground \
    --conf-file=/dev/null --port=0 --user=root --pid-file= \
    --interface="$E2E_TAP" --bind-interfaces \
    --dhcp-range=10.77.0.50,10.77.0.60,2m --dhcp-leasefile="$T/$name.leases" \
    --dhcp-option=1,255.255.255.255 --dhcp-option=26,1460 \
    --dhcp-option="121,$E2E_KERNEL_IP/32,0.0.0.0,0.0.0.0/0,$E2E_KERNEL_IP" \
    --log-dhcp --log-facility="$dlog" >"$dlog.out" 2>&1 &
  local dns=$!
  bg_pid "$dns"
  for _ in $(seq 1 50); do
    grep -q "DHCP, IP range" "$dlog" 2>/dev/null && break
    sleep 0.1
  done
  if ! grep -q "DHCP, IP range" "$dlog" 2>/dev/null; then
    not_ok "$name disk: dnsmasq serves DHCP on $E2E_TAP"
    diag <"$dlog.out"
    kill "$dns" 2>/dev/null
    return 1
  fi

  local t0
  t0=$(now_s)
  ip netns exec "$E2E_NS" timeout --foreground 200 qemu-system-x86_64 \
    -cpu Westmere -m 512 -nodefaults -no-reboot -display none \
    -serial stdio \
    -drive "file=$dir/disk.raw,if=none,id=d0,format=raw" \
    -device virtio-scsi-pci -device scsi-hd,drive=d0 \
    -netdev "tap,id=n0,ifname=$E2E_TAP,script=no,downscript=no" \
    -device virtio-net-pci,netdev=n0,event_idx=off </dev/null >"$out" 2>&1 &
  E2E_ECHO_PID=$!
  # The console has carriage returns; the lease's line is the runtime's.
  local booted=""
  wait_line "$out" "^Solo5: Bindings version" 60 && booted=$(elapsed "$t0")
  if ! wait_line "$out" "^znet-rt: dhcp4 bound " 90; then
    not_ok "$name disk boots from the disk alone and leases an address"
    tr -d '\r' <"$out" | grep -v '^Solo5: ' | tail -15 | diag
    stop_echo
    kill "$dns" 2>/dev/null
    return 1
  fi
  local leased ip
  leased=$(elapsed "$t0")
  ip=$(tr -d '\r' <"$out" | sed -n 's|^znet-rt: dhcp4 bound \([0-9.]*\)/.*|\1|p' | head -1)
  check "$name disk: SYSLINUX loaded the image (Solo5 at ${booted:-?} s), the virtio-scsi disk was skipped, dnsmasq leased $ip/32 ($leased s)" \
    eval "tr -d '\r' <'$out' | grep -q '^Loading image.elf... ok' &&
      grep -q 'unknown virtio device (0x8)' '$out' &&
      grep -q 'DHCPACK.*$ip' '$dlog'"
  check "$name disk: the lease's gateway taken on the link, its MTU applied" \
    eval "tr -d '\r' <'$out' | grep -q '^znet-rt: dhcp4 bound $ip/32 router $E2E_KERNEL_IP .*mtu 1460 '"
  local first=""
  for _ in $(seq 1 100); do
    if in_ns_t 3 curl -s -o /dev/null "http://$ip/$1"; then
      first=$(elapsed "$t0")
      break
    fi
    kill -0 "$E2E_ECHO_PID" 2>/dev/null || break
    sleep 0.1
  done
  check "$name disk: first HTTP answer $first s after QEMU started (lease at $leased s)" \
    [ -n "$first" ]
  local p
  for p in "$@"; do
    in_ns_t 60 curl -s -o "$T/$name.disk.got" "http://$ip/$p"
    check "$name disk: GET /$p byte for byte ($(stat -c %s "$www/$p") bytes)" \
      cmp -s "$T/$name.disk.got" "$www/$p"
  done
  stop_echo
  kill "$dns" 2>/dev/null
  wait "$dns" 2>/dev/null
  return 0
}
