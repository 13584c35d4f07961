#!/usr/bin/env python3
"""A misbehaving DNS upstream for dns.sh, by query name.

    dns_fake_upstream.py ADDR PORT SECONDS

Listens on ADDR:PORT (an address of the test's own network namespace)
for SECONDS, then exits.  Every query is logged to stdout as "QNAME".
Answers, by the name asked (lower case):

  forged.test   first a copy of the answer with another ID, then one with
                the right ID but the question "other.test", then the real
                answer (A 10.5.5.5): the forwarder must take only the last
  tc.test       an empty answer with TC set
  bad.test      an answer whose ANCOUNT says 3 records but holds none
  late.test     the answer (A 10.5.5.6), 1.5 s late
  ttl0.test     A 10.5.5.7 with TTL 0 (not cacheable)
  anything else A 10.5.5.8, TTL 300
"""
import socket
import struct
import sys
import threading
import time


def parse_question(q):
    """(name, qtype, qclass, end offset) of the first question."""
    off, labels = 12, []
    while True:
        n = q[off]
        if n == 0:
            off += 1
            break
        if n & 0xc0:
            raise ValueError("compressed question")
        labels.append(q[off + 1:off + 1 + n].decode("ascii", "replace"))
        off += 1 + n
    qtype, qclass = struct.unpack(">HH", q[off:off + 4])
    return ".".join(labels).lower(), qtype, qclass, off + 4


def encode(name):
    out = b""
    for label in name.split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def answer(q, addr, ttl=300, flags=0x8180, qid=None, qname=None, ancount=None):
    name, qtype, qclass, end = parse_question(q)
    if qid is None:
        qid = struct.unpack(">H", q[:2])[0]
    question = q[12:end] if qname is None else encode(qname) + \
        struct.pack(">HH", qtype, qclass)
    rr = b""
    if addr is not None and qtype == 1:
        rr = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, ttl, 4) + \
            socket.inet_aton(addr)
    n = (1 if rr else 0) if ancount is None else ancount
    return struct.pack(">HHHHHH", qid, flags, 1, n, 0, 0) + question + rr


def main():
    addr, port, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, port))
    s.settimeout(0.2)
    end = time.time() + seconds
    print("listening", flush=True)
    while time.time() < end:
        try:
            q, peer = s.recvfrom(4096)
        except socket.timeout:
            continue
        try:
            name = parse_question(q)[0]
        except (ValueError, IndexError, struct.error):
            continue
        print(name, flush=True)
        qid = struct.unpack(">H", q[:2])[0]
        if name == "forged.test":
            s.sendto(answer(q, "10.6.6.6", qid=(qid + 1) & 0xffff), peer)
            s.sendto(answer(q, "10.6.6.7", qname="other.test"), peer)
            s.sendto(answer(q, "10.5.5.5"), peer)
        elif name == "tc.test":
            s.sendto(answer(q, None, flags=0x8380), peer)
        elif name == "bad.test":
            s.sendto(answer(q, None, ancount=3), peer)
        elif name == "late.test":
            data = answer(q, "10.5.5.6")
            threading.Timer(1.5, s.sendto, (data, peer)).start()
        elif name == "ttl0.test":
            s.sendto(answer(q, "10.5.5.7", ttl=0), peer)
        else:
            s.sendto(answer(q, "10.5.5.8"), peer)
    time.sleep(2)  # let a late answer go out


if __name__ == "__main__":
    main()
