#!/usr/bin/env python3
"""Whether a persistent TAP hands a reader without virtio headers whole
frames: the offloads a reader with them asked for (znet-run's stacks)
must be gone once it has ended (netif/tap.c, zn_tap_offloads_off).

    tap_csum.py TAP DST [--multi-queue]

Run inside the TAP's namespace, with DST a neighbour of the kernel on
the TAP (a static entry) and nothing else reading the TAP.  Opens it
without IFF_VNET_HDR, has the kernel send a TCP SYN to DST port 9, and
checks the SYN's TCP checksum.  Prints "whole" (exit 0), "undone" (a
checksum left for an offload: exit 1) or why nothing was seen (exit 2).
"""
import fcntl
import os
import select
import socket
import struct
import sys
import time

from attack_lib import csum  # the Internet checksum, complemented

TUNSETIFF = 0x400454CA
IFF_TAP, IFF_NO_PI, IFF_MULTI_QUEUE = 0x0002, 0x1000, 0x0100


def tcp_ok(ip):
    ihl = (ip[0] & 15) * 4
    total = struct.unpack("!H", ip[2:4])[0]
    seg = ip[ihl:total]
    pseudo = ip[12:20] + struct.pack("!BBH", 0, 6, len(seg))
    return csum(pseudo + seg) == 0


def main():
    tap, dst = sys.argv[1], sys.argv[2]
    flags = IFF_TAP | IFF_NO_PI
    if "--multi-queue" in sys.argv[3:]:
        flags |= IFF_MULTI_QUEUE
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", tap.encode(), flags))
    c = socket.socket()
    c.setblocking(False)
    try:
        c.connect((dst, 9))
    except BlockingIOError:
        pass
    end = time.monotonic() + 3
    while time.monotonic() < end:
        if not select.select([fd], [], [], 0.2)[0]:
            continue
        f = os.read(fd, 65536)
        if len(f) < 34 or f[12:14] != b"\x08\x00" or f[23] != 6:
            continue
        ip = f[14:]
        if socket.inet_ntoa(ip[16:20]) != dst:
            continue
        print("whole" if tcp_ok(ip) else "undone")
        return 0 if tcp_ok(ip) else 1
    print("no SYN to %s seen on %s" % (dst, tap))
    return 2


if __name__ == "__main__":
    sys.exit(main())
