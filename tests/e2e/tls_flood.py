#!/usr/bin/env python3
"""Hostile TLS clients against znet-echo's TLS port (tls_attack.sh).

    tls_flood.py ADDR PORT PID CA.pem

Runs, one after the other, each bounded by count and time:

  hello    ClientHellos (TLS 1.2, the policy's suites), the connection
           closed as soon as it is sent: the server does a handshake's
           work for nothing
  partial  half a ClientHello, then a close
  garbage  random bytes instead of a record
  silent   connections that say nothing and stay open: the server must
           reset them itself (its handshake timeout)
  stall    ClientHellos, then nothing: the server answers, then must time
           out (and its TCP table must not fill for good)

all at once up to CONC connections, while a witness (Python's ssl, the
test CA) completes a real handshake and an echo every second.  Prints
"key value" lines: per mode how many were sent, witness and witness_ok
(echoes that worked), witness_max_ms, rss_start_kb and rss_peak_kb of
PID (znet-echo, from /proc), silent_reset (silent connections the
server closed); "fail ..." lines for what went wrong.  Exits 0.
"""
import os
import random
import select
import socket
import ssl
import struct
import sys
import time

CONC = 40          # connections open at once per mode
ROUNDS = 300       # connections per flooding mode
SILENT = 40        # silent connections (the table holds 64)
SILENT_WAIT = 14   # s: the server's handshake timeout is 10 s


def client_hello():
    """A ClientHello record offering the policy's six suites, P-256 and
    X25519, and the usual signature algorithms."""
    suites = [0xC02B, 0xC02C, 0xCCA9, 0xC02F, 0xC030, 0xCCA8]
    body = struct.pack(">H", 0x0303) + os.urandom(32) + b"\x00"
    body += struct.pack(">H", 2 * len(suites))
    body += b"".join(struct.pack(">H", s) for s in suites)
    body += b"\x01\x00"
    ext = bytes.fromhex("000a000600040017001d" "000b00020100"
                        "000d000a00080403050304010501")
    ext += b"\x00\x00" + struct.pack(">HH", 14, 12) + b"\x00" + \
        struct.pack(">H", 9) + b"localhost"
    body += struct.pack(">H", len(ext)) + ext
    hs = b"\x01" + struct.pack(">I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack(">H", len(hs)) + hs


class Rss:
    def __init__(self, pid):
        self.pid = pid
        self.first = self.read()
        self.peak = self.first

    def read(self):
        try:
            with open("/proc/%d/status" % self.pid) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        except OSError:
            pass
        return 0

    def sample(self):
        self.peak = max(self.peak, self.read())


class Witness:
    """A real client every second: handshake, 1 KiB echoed, close."""

    def __init__(self, addr, port, ca):
        self.addr, self.port = addr, port
        self.ctx = ssl.create_default_context(cafile=ca)
        self.ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        self.ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        self.n = self.ok = 0
        self.max_ms = 0.0
        self.next = 0.0

    def maybe(self, fails):
        now = time.monotonic()
        if now < self.next:
            return
        self.next = now + 1.0
        self.n += 1
        t0 = time.monotonic()
        data = os.urandom(1024)
        try:
            with socket.create_connection((self.addr, self.port), 5) as raw:
                with self.ctx.wrap_socket(raw, server_hostname="localhost") as s:
                    s.settimeout(5)
                    s.sendall(data)
                    got = b""
                    while len(got) < len(data):
                        chunk = s.recv(4096)
                        if not chunk:
                            break
                        got += chunk
                    if got != data:
                        raise RuntimeError("echo differs (%d bytes)" % len(got))
                    s.unwrap()
            self.ok += 1
        except Exception as e:  # noqa: BLE001: every failure is reported
            fails.append("witness: %r" % e)
        self.max_ms = max(self.max_ms, (time.monotonic() - t0) * 1000)


def connect(addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    try:
        s.connect((addr, port))
    except BlockingIOError:
        pass
    return s


def flood(addr, port, mode, payload, witness, rss, fails, deadline):
    """ROUNDS connections, CONC at a time: connect, send, close."""
    sent = 0
    pending = []
    while sent < ROUNDS and time.monotonic() < deadline:
        while len(pending) < CONC and sent + len(pending) < ROUNDS:
            pending.append((connect(addr, port), time.monotonic()))
        _, w, _ = select.select([], [p[0] for p in pending], [], 0.2)
        keep = []
        for s, t in pending:
            if s in w:
                try:
                    s.send(payload())
                    sent += 1
                except OSError:
                    pass
                s.close()
            elif time.monotonic() - t > 3:
                s.close()
            else:
                keep.append((s, t))
        pending = keep
        rss.sample()
        witness.maybe(fails)
    for s, _ in pending:
        s.close()
    return sent


def silent(addr, port, witness, rss, fails, hello):
    """SILENT connections that send nothing (or one ClientHello) and wait:
    how many the server closed by itself."""
    socks = []
    for _ in range(SILENT):
        s = socket.create_connection((addr, port), 5)
        if hello:
            s.sendall(client_hello())
        socks.append(s)
    closed = set()
    end = time.monotonic() + SILENT_WAIT
    while time.monotonic() < end and len(closed) < len(socks):
        r, _, _ = select.select([s for s in socks if s not in closed], [], [],
                                0.5)
        for s in r:
            try:
                if not s.recv(65536):
                    closed.add(s)
            except OSError:
                closed.add(s)
        rss.sample()
        witness.maybe(fails)
    for s in socks:
        s.close()
    return len(closed)


def main():
    addr, port, pid, ca = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
        sys.argv[4]
    rng = random.Random(7)
    hello = client_hello()
    witness = Witness(addr, port, ca)
    fails = []
    witness.maybe(fails)  # a first full handshake before measuring
    time.sleep(0.5)
    rss = Rss(pid)
    res = {}
    modes = [
        ("hello", lambda: hello),
        ("partial", lambda: hello[:rng.randrange(1, len(hello) - 1)]),
        ("garbage", lambda: bytes(rng.randrange(256)
                                  for _ in range(rng.randrange(1, 600)))),
    ]
    only = os.environ.get("TLS_FLOOD_MODES", "").split()  # for triage
    for name, payload in modes:
        if not only or name in only:
            res[name] = flood(addr, port, name, payload, witness, rss, fails,
                              time.monotonic() + 60)
    if not only or "silent" in only:
        res["silent"] = SILENT
        res["silent_reset"] = silent(addr, port, witness, rss, fails, False)
    if not only or "stall" in only:
        res["stall"] = SILENT
        res["stall_reset"] = silent(addr, port, witness, rss, fails, True)
    witness.next = 0
    witness.maybe(fails)  # and one after
    rss.sample()
    res["witness"] = witness.n
    res["witness_ok"] = witness.ok
    res["witness_max_ms"] = int(witness.max_ms)
    res["rss_start_kb"] = rss.first
    res["rss_peak_kb"] = rss.peak
    for k, v in res.items():
        print(k, v)
    for f in fails[:10]:
        print("fail", f)


if __name__ == "__main__":
    main()
