#!/usr/bin/env python3
"""Send crafted DNS datagrams to a server and print what comes back.

    dns_probe.py SERVER PORT

One line per case: "CASE rcode=N qd=N an=N id-ok" or "CASE no reply".
Used by dns.sh against znet-dns-blocker: the blocker must answer the
well-formed but unservable queries with the right rcode, drop what
cannot be answered, and keep serving.  Sends only to the address given
(a host in the test's own network namespace).

"No reply" is not a timeout: after each case's datagram the same socket
sends a good query (the marker, allowed.test, which the blocker has
cached); the blocker takes datagrams in order, so a reply to the case
comes before the marker's answer or never.  (A fixed 0.7 s for the
reply is a bet a loaded machine can lose, and made every case that is
dropped cost that long.)
"""
import os
import random
import socket
import struct
import sys


def qname(name):
    out = b""
    for label in name.split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def header(qid, flags, qd=1, an=0, ns=0, ar=0):
    return struct.pack(">HHHHHH", qid, flags, qd, an, ns, ar)


def cases():
    rnd = random.Random(20240611)
    q = qname("allowed.test") + struct.pack(">HH", 1, 1)
    yield "short-5-bytes", b"\x12\x34\x01\x00\x00"
    yield "empty", b""
    # A response (QR=1) sent to the server's port.
    yield "response-qr1", header(0x1111, 0x8180, 1, 1) + q + \
        b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + bytes(4)
    yield "two-questions", header(0x2222, 0x0100, 2) + q + q
    yield "no-question", header(0x3333, 0x0100, 0)
    yield "opcode-status", header(0x4444, 0x1100) + q
    yield "opcode-notify", header(0x4545, 0x2100) + q
    # A compression pointer pointing at itself.
    yield "pointer-loop", header(0x5555, 0x0100) + b"\xc0\x0c" + \
        struct.pack(">HH", 1, 1)
    # A pointer into the header.
    yield "pointer-header", header(0x5656, 0x0100) + b"\xc0\x02" + \
        struct.pack(">HH", 1, 1)
    yield "question-cut", header(0x6666, 0x0100) + q[:7]
    yield "label-too-long", header(0x7777, 0x0100) + b"\x50" + b"a" * 80 + \
        b"\0" + struct.pack(">HH", 1, 1)
    yield "reserved-label", header(0x7878, 0x0100) + b"\x41abc\0" + \
        struct.pack(">HH", 1, 1)
    # Counts larger than the data.
    yield "counts-lie", header(0x8888, 0x0100, 1, 5, 5, 5) + q
    # Two OPT records.
    opt = b"\0" + struct.pack(">HHIH", 41, 1232, 0, 0)
    yield "two-opt", header(0x9999, 0x0100, 1, 0, 0, 2) + q + opt + opt
    for i in range(20):
        yield "random-%02d" % i, bytes(rnd.getrandbits(8)
                                       for _ in range(rnd.randint(12, 120)))
    # Well-formed last: the server must still answer it.
    yield "good-query", header(0xabcd, 0x0100) + q


MARKER_ID = 0xfeed  # no case's ID


def marker():
    return header(MARKER_ID, 0x0100) + qname("allowed.test") + \
        struct.pack(">HH", 1, 1)


def is_marker_answer(reply):
    if len(reply) < 4:
        return False
    rid, flags = struct.unpack(">HH", reply[:4])
    return rid == MARKER_ID and flags >> 15 == 1


def main():
    server, port = sys.argv[1], int(sys.argv[2])
    for name, data in cases():
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(10)
        s.connect((server, port))
        reply = None
        try:
            s.send(data)
            s.send(marker())
            while True:
                r = s.recv(65535)
                if is_marker_answer(r):
                    break
                if reply is None:
                    reply = r
        except socket.timeout:
            print(name, "no answer to the marker query within 10 s")
            continue
        except OSError as e:
            print(name, "error", e.strerror)
            continue
        finally:
            s.close()
        if reply is None:
            print(name, "no reply")
            continue
        if len(reply) < 12:
            print(name, "short reply", len(reply))
            continue
        rid, flags, qd, an = struct.unpack(">HHHH", reply[:8])
        idok = "id-ok" if len(data) >= 2 and rid == struct.unpack(
            ">H", data[:2])[0] else "id-bad"
        print("%s rcode=%d qd=%d an=%d qr=%d %s" % (
            name, flags & 0xf, qd, an, flags >> 15, idok))
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
