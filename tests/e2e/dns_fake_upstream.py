#!/usr/bin/env python3
"""A misbehaving DNS upstream for dns.sh, by query name.

    dns_fake_upstream.py ADDR PORT SECONDS [tcp]

Listens on ADDR:PORT (an address of the test's own network namespace)
for SECONDS, then exits.  Every query is logged to stdout as "QNAME"
(over TCP as "tcp QNAME").  Answers, by the name asked (lower case):

  forged.test   first a copy of the answer with another ID, then one with
                the right ID but the question "other.test", then the real
                answer (A 10.5.5.5): the forwarder must take only the last
  tc.test       an empty answer with TC set
  bad.test      an answer whose ANCOUNT says 3 records but holds none
  late.test     the answer (A 10.5.5.6), 1.5 s late, then the line
                "late.test answered" on stdout
  ttl0.test     A 10.5.5.7 with TTL 0 (not cacheable)
  anything else A 10.5.5.8, TTL 300

With "tcp" it also serves DNS over TCP on the same port (RFC 1035
4.2.2), where tc.test is answered in full (A 10.5.5.9), tcprst.test
(truncated over UDP too) draws a close without an answer, and wrongid.test
(truncated over UDP) an answer under another ID; anything else as over
UDP.
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


def recv_exact(c, n):
    data = b""
    while len(data) < n:
        chunk = c.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def tcp_conn(c):
    """Serve one TCP connection: queries until the client closes."""
    c.settimeout(5)
    try:
        while True:
            hdr = recv_exact(c, 2)
            if hdr is None:
                return
            q = recv_exact(c, struct.unpack(">H", hdr)[0])
            if q is None:
                return
            name = parse_question(q)[0]
            print("tcp " + name, flush=True)
            qid = struct.unpack(">H", q[:2])[0]
            if name == "tcprst.test":
                return
            if name == "tc.test":
                a = answer(q, "10.5.5.9")
            elif name == "wrongid.test":
                a = answer(q, "10.5.5.10", qid=(qid + 7) & 0xffff)
            else:
                a = answer(q, "10.5.5.8")
            c.sendall(struct.pack(">H", len(a)) + a)
    except (OSError, ValueError, IndexError, struct.error):
        return
    finally:
        c.close()


def tcp_server(addr, port, end):
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind((addr, port))
    t.listen(16)
    t.settimeout(0.2)
    while time.time() < end:
        try:
            c, _ = t.accept()
        except socket.timeout:
            continue
        threading.Thread(target=tcp_conn, args=(c,), daemon=True).start()


def main():
    addr, port, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    if len(sys.argv) > 4 and sys.argv[4] == "tcp":
        threading.Thread(target=tcp_server,
                         args=(addr, port, time.time() + seconds),
                         daemon=True).start()
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
        elif name in ("tc.test", "tcprst.test", "wrongid.test"):
            s.sendto(answer(q, None, flags=0x8380), peer)
        elif name == "bad.test":
            s.sendto(answer(q, None, ancount=3), peer)
        elif name == "late.test":
            def late(data=answer(q, "10.5.5.6"), peer=peer):
                s.sendto(data, peer)
                print("late.test answered", flush=True)
            threading.Timer(1.5, late).start()
        elif name == "ttl0.test":
            s.sendto(answer(q, "10.5.5.7", ttl=0), peer)
        else:
            s.sendto(answer(q, "10.5.5.8"), peer)
    time.sleep(2)  # let a late answer go out


if __name__ == "__main__":
    main()
