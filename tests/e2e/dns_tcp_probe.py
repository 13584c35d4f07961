#!/usr/bin/env python3
"""DNS over TCP probes for dns_tcp.sh (RFC 1035 4.2.2, RFC 7766).

    dns_tcp_probe.py SERVER PORT CASE [ARGS]

Talks to SERVER:PORT (a host in the test's own network namespace) and
prints one line saying what happened; exits 0 if the server behaved.

  pipeline N NAME...  one connection; N queries for the NAMEs (in turn),
                      all written at once before reading; every ID must
                      come back once with rcode NOERROR or NXDOMAIN.
                      Prints "answered A of N, rcodes {...}, in-order yes/no"
  drip NAME           one query written a byte at a time, 20 ms apart;
                      prints "rcode=R an=N"
  formerr             a framed query that does not parse (QDCOUNT 2 with
                      one question): prints "rcode=R id-ok"
  badlen LEN          a length prefix of LEN (0 or > 4096) and some bytes:
                      the server must close; prints "closed after T s"
  idle SECONDS        connect, send nothing; prints "closed after T s" if
                      the server closes within SECONDS, else "still open"
  halfclose NAME      a query, then shutdown(SHUT_WR) at once: the answer
                      must still come, then the server's close;
                      prints "rcode=R an=N then closed"
"""
import socket
import struct
import sys
import time


def qname(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def query(qid, name, qtype=1, qd=1):
    return struct.pack(">HHHHHH", qid, 0x0100, qd, 0, 0, 0) + qname(name) + \
        struct.pack(">HH", qtype, 1)


def framed(msg):
    return struct.pack(">H", len(msg)) + msg


def recv_exact(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def read_msg(s):
    hdr = recv_exact(s, 2)
    if hdr is None:
        return None
    (n,) = struct.unpack(">H", hdr)
    return recv_exact(s, n)


def parse(msg):
    qid, flags, qd, an, ns, ar = struct.unpack(">HHHHHH", msg[:12])
    return qid, flags & 0xF, an


def connect(addr, port):
    s = socket.create_connection((addr, port), timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def wait_close(s, limit):
    start = time.monotonic()
    s.settimeout(0.2)
    while time.monotonic() - start < limit:
        try:
            d = s.recv(4096)
            if not d:
                return time.monotonic() - start
        except socket.timeout:
            continue
        except ConnectionResetError:
            return time.monotonic() - start
    return None


def main():
    addr, port, case = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    args = sys.argv[4:]
    s = connect(addr, port)
    if case == "pipeline":
        n, names = int(args[0]), args[1:]
        ids = [0x1000 + i for i in range(n)]
        s.sendall(b"".join(framed(query(q, names[i % len(names)]))
                           for i, q in enumerate(ids)))
        got, rcodes, order = {}, {}, []
        for _ in range(n):
            m = read_msg(s)
            if m is None:
                break
            qid, rcode, an = parse(m)
            got[qid] = got.get(qid, 0) + 1
            rcodes[rcode] = rcodes.get(rcode, 0) + 1
            order.append(qid)
        ok = sorted(got) == ids and all(v == 1 for v in got.values()) and \
            set(rcodes) <= {0, 3}
        print("answered %d of %d, rcodes %s, in-order %s" % (
            len(got), n, dict(sorted(rcodes.items())),
            "yes" if order == ids else "no"))
        sys.exit(0 if ok else 1)
    if case == "drip":
        for b in framed(query(0x2222, args[0])):
            s.send(bytes([b]))
            time.sleep(0.02)
        m = read_msg(s)
        if m is None:
            print("closed, no answer")
            sys.exit(1)
        qid, rcode, an = parse(m)
        print("rcode=%d an=%d" % (rcode, an))
        sys.exit(0 if qid == 0x2222 else 1)
    if case == "formerr":
        s.sendall(framed(query(0x3333, "allowed.test", qd=2)))
        m = read_msg(s)
        if m is None:
            print("closed, no answer")
            sys.exit(1)
        qid, rcode, an = parse(m)
        print("rcode=%d%s" % (rcode, " id-ok" if qid == 0x3333 else ""))
        sys.exit(0 if qid == 0x3333 and rcode == 1 else 1)
    if case == "badlen":
        s.sendall(struct.pack(">H", int(args[0])) + b"x" * 40)
        t = wait_close(s, 15)  # at once; long for a loaded machine
        print("closed after %.2f s" % t if t is not None else "still open")
        sys.exit(0 if t is not None else 1)
    if case == "idle":
        t = wait_close(s, float(args[0]))
        print("closed after %.2f s" % t if t is not None else "still open")
        sys.exit(0 if t is not None else 1)
    if case == "halfclose":
        s.sendall(framed(query(0x4444, args[0])))
        s.shutdown(socket.SHUT_WR)
        m = read_msg(s)
        if m is None:
            print("closed, no answer")
            sys.exit(1)
        qid, rcode, an = parse(m)
        t = wait_close(s, 15)  # at once; long for a loaded machine
        print("rcode=%d an=%d %s" % (rcode, an,
                                     "then closed" if t is not None else "left open"))
        sys.exit(0 if qid == 0x4444 and t is not None else 1)
    print("unknown case " + case)
    sys.exit(2)


if __name__ == "__main__":
    main()
