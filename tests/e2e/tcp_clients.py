#!/usr/bin/env python3
"""Many TCP echo clients at once, for tcp_echo.sh.

    tcp_clients.py ADDR PORT CONNS MAX_BYTES SECONDS [SEED [READ_DELAY]]

Opens CONNS connections to ADDR:PORT (an echo server in the test's own
network namespace) all at once, without waiting for one before the next.
Each sends its own random payload of MAX_BYTES/2..MAX_BYTES bytes
(seeded), shuts down its sending side, reads until the server closes,
and checks that what came back is exactly what it sent.  With
READ_DELAY (seconds) the clients read nothing for that long at first,
so that a large payload fills every buffer on the way and the server
must stop reading (backpressure).  Everything runs in one thread on
non-blocking sockets; after SECONDS it gives up on the rest.

Prints one line per failed connection, then a summary
"CONNS connections: N echoed correctly, F failed, B bytes each way, T s"
and exits 0 only if every connection echoed correctly.
"""
import errno
import random
import selectors
import socket
import sys
import time


class Client:
    def __init__(self, idx, payload):
        self.idx = idx
        self.payload = payload
        self.sent = 0
        self.back = bytearray()
        self.sock = None
        self.connected = False
        self.shut = False
        self.done = False
        self.error = None


def events(c, reading):
    """What to wait for on c's socket: writing until its payload is out,
    reading once allowed."""
    ev = 0 if c.shut else selectors.EVENT_WRITE
    if reading:
        ev |= selectors.EVENT_READ
    return ev


def main():
    addr, port = sys.argv[1], int(sys.argv[2])
    conns, max_bytes, seconds = int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
    rng = random.Random(int(sys.argv[6]) if len(sys.argv) > 6 else 1)
    read_delay = float(sys.argv[7]) if len(sys.argv) > 7 else 0.0
    reading = read_delay == 0
    sel = selectors.DefaultSelector()
    clients = []
    start = time.monotonic()
    for i in range(conns):
        c = Client(i, rng.randbytes(rng.randint(max(1, max_bytes // 2), max_bytes)))
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        err = s.connect_ex((addr, port))
        if err not in (0, errno.EINPROGRESS):
            c.error = "connect: " + errno.errorcode.get(err, str(err))
            c.done = True
            s.close()
        else:
            c.sock = s
            sel.register(s, events(c, reading), c)
        clients.append(c)
    left = sum(1 for c in clients if not c.done)
    while left and time.monotonic() - start < seconds:
        if not reading and time.monotonic() - start >= read_delay:
            reading = True
            for c in clients:
                if not c.done:
                    sel.modify(c.sock, events(c, reading), c)
        timeout = 0.2 if reading else min(0.2, read_delay - (time.monotonic() - start))
        if not sel.get_map():
            time.sleep(max(timeout, 0))
            continue
        for key, ev in sel.select(timeout=max(timeout, 0)):
            c = key.data
            s = c.sock
            try:
                if ev & selectors.EVENT_WRITE and not c.shut:
                    if not c.connected:
                        err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                        if err:
                            raise OSError(err, "connect: " + errno.errorcode.get(err, str(err)))
                        c.connected = True
                    if c.sent < len(c.payload):
                        c.sent += s.send(c.payload[c.sent:c.sent + 65536])
                    if c.sent == len(c.payload):
                        s.shutdown(socket.SHUT_WR)
                        c.shut = True
                        ev_now = events(c, reading)
                        if ev_now:
                            sel.modify(s, ev_now, c)
                        else:
                            sel.unregister(s)
                if ev & selectors.EVENT_READ:
                    data = s.recv(65536)
                    if data:
                        c.back += data
                    elif c.shut:
                        c.done = True
                    else:
                        c.error = "closed by the server before the payload was sent"
                        c.done = True
            except (BlockingIOError, InterruptedError):
                continue
            except OSError as e:
                c.error = str(e)
                c.done = True
            if c.done:
                if s.fileno() in sel.get_map():
                    sel.unregister(s)
                s.close()
                left -= 1
    ok = failed = 0
    for c in clients:
        if not c.done:
            c.error = "unfinished after %.0f s (sent %d of %d, got %d back)" % (
                seconds, c.sent, len(c.payload), len(c.back))
        elif c.error is None and bytes(c.back) != c.payload:
            c.error = "echo differs: sent %d bytes, got %d" % (len(c.payload), len(c.back))
        if c.error:
            failed += 1
            print("connection %d: %s" % (c.idx, c.error))
        else:
            ok += 1
    total = sum(len(c.payload) for c in clients)
    print("%d connections: %d echoed correctly, %d failed, %d bytes each way, %.2f s"
          % (conns, ok, failed, total, time.monotonic() - start))
    sys.exit(0 if failed == 0 else 1)


if __name__ == "__main__":
    main()
