#!/usr/bin/env python3
"""Hostile HTTP and TLS clients against znet-httpd (attack_httpd.sh).

    attack_httpd.py ADDR PID CA.pem HEADER_TIMEOUT_S MAX_CONNS

znet-httpd serves /1k.bin (1024 bytes) and /small.txt (17 bytes) on
ports 80 and 443.  Runs, one after the other, while a witness fetches
/1k.bin over a fresh connection every half second (HTTP during the HTTP
attacks, HTTPS during the TLS ones) and checks every byte:

  slowloris  40 connections sending their head one byte a second: each
             must be closed by the server within its header timeout (+2 s)
  idle       2 x MAX_CONNS connections that say nothing, opened in a
             burst: the oldest idle ones are closed to make room, the
             witness is still served
  huge       a head with a 100 KB field line (431 and a close), and one
             with 1000 field lines (431)
  pipeline   10,000 requests written back to back on one connection (a
             thread writes, the main one reads): all answered, in order
             (the two files alternate), while the server's RSS stays
             within 16 MiB of where it started
  hello      300 TLS ClientHellos closed as soon as sent, 300 halves of
             one, 100 connections reset (SO_LINGER 0) in the middle of
             the handshake, 40 at a time

Prints "key value" lines: per attack what was done and what the server
did, witness and witness_ok, witness_max_ms, rss_start_kb and
rss_peak_kb; "fail ..." lines for what went wrong.  Exits 0.
"""
import os
import socket
import ssl
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tls_flood import Rss, client_hello  # noqa: E402

SLOW = 40
PIPELINE = 10000
FILES = {"/1k.bin": 1024, "/small.txt": 17}


def out(k, v):
    print("%s %s" % (k, v), flush=True)


def read_response(f):
    """One response from a buffered reader: (status, body) or None."""
    line = f.readline()
    if not line:
        return None
    parts = line.split(b" ", 2)
    status = int(parts[1])
    length = 0
    while True:
        h = f.readline()
        if h in (b"\r\n", b"\n", b""):
            break
        k, _, v = h.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v.strip())
    body = f.read(length) if length else b""
    return status, body


class Witness:
    """A fresh connection every half second fetching /1k.bin."""

    def __init__(self, addr, ca, want):
        self.addr, self.want = addr, want
        self.ctx = ssl.create_default_context(cafile=ca)
        self.ctx.check_hostname = False
        self.tls = False
        self.n = self.ok = self.n_tls = self.ok_tls = 0
        self.max_ms = 0.0
        self.fails = []
        self.stop = threading.Event()
        self.t = threading.Thread(target=self.run, daemon=True)

    def once(self):
        t0 = time.monotonic()
        s = socket.create_connection((self.addr, 443 if self.tls else 80),
                                     timeout=3)
        try:
            if self.tls:
                s = self.ctx.wrap_socket(s, server_hostname="localhost")
            s.sendall(b"GET /1k.bin HTTP/1.1\r\nHost: w\r\n"
                      b"Connection: close\r\n\r\n")
            r = read_response(s.makefile("rb"))
        finally:
            s.close()
        ms = (time.monotonic() - t0) * 1000
        self.max_ms = max(self.max_ms, ms)
        return r is not None and r[0] == 200 and r[1] == self.want

    def run(self):
        while not self.stop.is_set():
            self.n += 1
            self.n_tls += self.tls
            try:
                if self.once():
                    self.ok += 1
                    self.ok_tls += self.tls
                else:
                    self.fails.append("witness: wrong answer")
            except (OSError, ValueError) as e:
                self.fails.append("witness: %s" % e)
            self.stop.wait(0.5)


def closed_by_peer(s):
    """True if the server closed or reset s (without blocking)."""
    try:
        s.setblocking(False)
        d = s.recv(4096)
        return d == b"" or len(d) > 0  # an answer means the head ended
    except BlockingIOError:
        return False
    except OSError:
        return True


def slowloris(addr, timeout_s, rss):
    head = b"GET /1k.bin HTTP/1.1\r\nHost: slow\r\nX-Slow: " + b"a" * 200
    socks = [socket.create_connection((addr, 80), timeout=3)
             for _ in range(SLOW)]
    t0 = time.monotonic()
    closed_at = [None] * SLOW
    i = 0
    while time.monotonic() - t0 < timeout_s + 4 and None in closed_at:
        for k, s in enumerate(socks):
            if closed_at[k] is not None:
                continue
            if closed_by_peer(s):
                closed_at[k] = time.monotonic() - t0
                continue
            try:
                s.setblocking(True)
                s.send(head[i:i + 1])
            except OSError:
                closed_at[k] = time.monotonic() - t0
        i += 1
        rss.sample()
        time.sleep(1)
    for s in socks:
        s.close()
    done = [c for c in closed_at if c is not None]
    out("slow", SLOW)
    out("slow_bytes_each", i)
    out("slow_closed", len(done))
    out("slow_closed_max_s", "%.1f" % (max(done) if done else -1))


def idle(addr, max_conns, rss):
    socks = []
    for _ in range(2 * max_conns):
        try:
            socks.append(socket.create_connection((addr, 80), timeout=3))
        except OSError:
            pass
        rss.sample()
    time.sleep(1.5)
    closed = sum(1 for s in socks if closed_by_peer(s))
    for s in socks:
        s.close()
    out("idle", len(socks))
    out("idle_closed", closed)


def expect_431(addr, head):
    s = socket.create_connection((addr, 80), timeout=10)
    got = b""

    def send():
        try:
            s.sendall(head)
        except OSError:
            pass  # the server closed after answering: expected
    th = threading.Thread(target=send, daemon=True)
    th.start()
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            got += d
    except OSError:
        pass
    th.join(5)
    s.close()
    return got.startswith(b"HTTP/1.1 431 ") and b"Connection: close" in got


def huge(addr):
    big = (b"GET / HTTP/1.1\r\nHost: h\r\nX-Huge: " + b"a" * 100000 +
           b"\r\n\r\n")
    out("huge_field_431", int(expect_431(addr, big)))
    many = b"GET / HTTP/1.1\r\nHost: h\r\n" + b"".join(
        b"X-F%d: v\r\n" % k for k in range(1000)) + b"\r\n"
    out("many_fields_431", int(expect_431(addr, many)))


def pipeline(addr, rss, fails):
    paths = ["/1k.bin" if k % 2 == 0 else "/small.txt"
             for k in range(PIPELINE)]
    reqs = b"".join(b"GET %s HTTP/1.1\r\nHost: p\r\n\r\n" % p.encode()
                    for p in paths)
    s = socket.create_connection((addr, 80), timeout=30)
    err = []

    def send():
        try:
            s.sendall(reqs)
        except OSError as e:
            err.append(e)
    th = threading.Thread(target=send, daemon=True)
    t0 = time.monotonic()
    th.start()
    f = s.makefile("rb")
    n = bad = 0
    try:
        for k in range(PIPELINE):
            r = read_response(f)
            if r is None:
                break
            if r[0] != 200 or len(r[1]) != FILES[paths[k]]:
                bad += 1
            n += 1
            if n % 500 == 0:
                rss.sample()
    except (OSError, ValueError) as e:
        fails.append("pipeline: %s" % e)
    th.join(10)
    s.close()
    if err:
        fails.append("pipeline send: %s" % err[0])
    out("pipeline", PIPELINE)
    out("pipeline_answered", n)
    out("pipeline_out_of_order", bad)
    out("pipeline_s", "%.1f" % (time.monotonic() - t0))


def hellos(addr, rss):
    hello = client_hello()
    modes = [("hello", 300, hello, False), ("half", 300, hello[:60], False),
             ("reset", 100, hello, True)]
    for name, count, payload, reset in modes:
        done = 0
        while done < count:
            batch = []
            for _ in range(min(40, count - done)):
                try:
                    s = socket.create_connection((addr, 443), timeout=3)
                    s.sendall(payload)
                    batch.append(s)
                except OSError:
                    pass
                done += 1
            for s in batch:
                if reset:
                    try:
                        s.settimeout(2)
                        s.recv(100)  # the start of the server's flight
                    except OSError:
                        pass
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                 struct.pack("ii", 1, 0))
                s.close()
            rss.sample()
        out("tls_" + name, count)


def main():
    addr, pid, ca = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    timeout_s, max_conns = float(sys.argv[4]), int(sys.argv[5])
    rss = Rss(pid)
    out("rss_start_kb", rss.first)
    w = Witness(addr, ca, None)
    w.want = read_response_once(addr)
    fails = []
    w.t.start()
    slowloris(addr, timeout_s, rss)
    idle(addr, max_conns, rss)
    huge(addr)
    pipeline(addr, rss, fails)
    w.tls = True
    hellos(addr, rss)
    time.sleep(2)
    w.stop.set()
    w.t.join(10)
    rss.sample()
    out("witness", w.n)
    out("witness_ok", w.ok)
    out("witness_tls", w.n_tls)
    out("witness_tls_ok", w.ok_tls)
    out("witness_max_ms", "%.0f" % w.max_ms)
    out("rss_peak_kb", rss.peak)
    for f in fails + w.fails:
        out("fail", f)


def read_response_once(addr):
    s = socket.create_connection((addr, 80), timeout=5)
    s.sendall(b"GET /1k.bin HTTP/1.1\r\nHost: w\r\nConnection: close\r\n\r\n")
    r = read_response(s.makefile("rb"))
    s.close()
    return r[1]


if __name__ == "__main__":
    main()
