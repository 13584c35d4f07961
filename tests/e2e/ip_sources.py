#!/usr/bin/env python3
"""Source and TTL rules of IPv4 input (RFC 1122 §3.2.1.3, §3.2.1.7,
RFC 1812 §5.3.7) against znet-echo, with raw frames on the TAP.

    ip_sources.py IFNAME ZNET_IP ZNET_MAC

Four probes, each of which a host answers: an ICMP echo request, a UDP
datagram to closed port 9999 (port unreachable), a TCP SYN to closed
port 9999 (RST), and a datagram of protocol 99 (protocol unreachable).
They are sent from the kernel side's own address with TTL 0 and TTL 1
(each must be answered), then with TTL 64 from every kind of source
that names no single host (none may be answered: no frame may come
back).  Prints "key value" lines: answered_ttl0, answered_ttl1 (of 4
each), martian_sent, martian_answered, and sent_<kind> per source kind.
"""
import os
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import attack_lib as al  # noqa: E402

KIP = al.ip_aton("10.77.0.1")

MARTIANS = [
    ("zero", "0.0.0.0"), ("zero", "0.1.2.3"),
    ("loopback", "127.0.0.1"), ("loopback", "127.255.255.254"),
    ("mcast", "224.0.0.1"), ("mcast", "239.255.255.255"),
    ("bcast", "255.255.255.255"), ("bcast", "10.77.0.255"),
    ("class_e", "240.0.0.1"), ("class_e", "255.255.255.254"),
]


def probes(src, dst):
    """(proto, payload) of the four probes from src to dst."""
    echo = struct.pack(">BBHHH", 8, 0, 0, 0x7a7a, 1) + b"ttl-and-sources!"
    echo = echo[:2] + struct.pack(">H", al.csum(echo)) + echo[4:]
    data = b"probe"
    ulen = 8 + len(data)
    pseudo = struct.pack(">IIBBH", src, dst, 0, 17, ulen)
    udp = struct.pack(">HHHH", 40000, 9999, ulen, 0) + data
    c = al.csum(pseudo + udp) or 0xffff
    udp = udp[:6] + struct.pack(">H", c) + udp[8:]
    syn = al.tcp(src, dst, 40000, 9999, 1000, 0, al.SYN)
    return [(1, echo), (17, udp), (6, syn), (99, b"\xa5" * 20)]


def answers(link, zip_, seconds):
    """IPv4 frames znet sent within seconds (from its address)."""
    n = 0
    end = time.monotonic() + seconds
    while True:
        got = link.recv(end - time.monotonic())
        if got is None:
            return n
        frame, outgoing = got
        if outgoing or len(frame) < 34 or frame[12:14] != b"\x08\x00":
            continue
        if struct.unpack(">I", frame[26:30])[0] == zip_:
            n += 1


def main():
    ifname, zip_, zmac = sys.argv[1], al.ip_aton(sys.argv[2]), al.mac_aton(sys.argv[3])
    link = al.Link(ifname)
    for ttl in (0, 1):
        got = 0
        for proto, payload in probes(KIP, zip_):
            link.drain()
            link.send(al.eth(zmac, link.mac, al.ETH_P_IP,
                             al.ipv4(KIP, zip_, proto, payload, ident=ttl + 1, ttl=ttl)))
            got += 1 if answers(link, zip_, 1.0) >= 1 else 0
        print("answered_ttl%d %d" % (ttl, got))
    sent = answered = 0
    kinds = {}
    link.drain()
    for kind, a in MARTIANS:
        src = al.ip_aton(a)
        for proto, payload in probes(src, zip_):
            link.send(al.eth(zmac, link.mac, al.ETH_P_IP,
                             al.ipv4(src, zip_, proto, payload, ident=7)))
            sent += 1
            kinds[kind] = kinds.get(kind, 0) + 1
    answered = answers(link, zip_, 2.0)
    print("martian_sent %d" % sent)
    print("martian_answered %d" % answered)
    for k, v in sorted(kinds.items()):
        print("sent_%s %d" % (k, v))
    link.close()


if __name__ == "__main__":
    main()
