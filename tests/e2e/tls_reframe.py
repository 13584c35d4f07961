#!/usr/bin/env python3
"""A TCP relay that cuts a TLS server's first record into small ones.

    tls_reframe.py LISTEN_ADDR LISTEN_PORT SERVER_ADDR SERVER_PORT PIECE

Accepts one connection, connects to the server, and relays both ways;
the server's first record (its ServerHello and what follows it in the
record) goes on as records of PIECE bytes of content each, the rest as
it comes.  RFC 5246 6.2.1 and RFC 8446 5.1 let a handshake message span
records, so a client must read a hello cut this way.  Prints "cut N
bytes into K records" to stderr; exits when both sides are closed, or
after 30 s.
"""
import select
import socket
import sys
import time


def records_of(body, rtype, version, piece):
    out = b""
    for i in range(0, len(body), piece):
        part = body[i:i + piece]
        out += bytes([rtype]) + version + len(part).to_bytes(2, "big") + part
    return out


def main():
    laddr, lport, saddr, sport, piece = sys.argv[1], int(sys.argv[2]), \
        sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((laddr, lport))
    ls.listen(1)
    ls.settimeout(30)
    print("listening", flush=True)
    c, _ = ls.accept()
    s = socket.create_connection((saddr, sport), timeout=10)
    pending, cut = b"", False
    open_ = {c: True, s: True}
    end = time.time() + 30
    while any(open_.values()) and time.time() < end:
        r, _, _ = select.select([x for x in open_ if open_[x]], [], [], 1)
        for x in r:
            data = x.recv(65536)
            other = s if x is c else c
            if not data:
                open_[x] = False
                try:
                    other.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                continue
            if x is s and not cut:
                pending += data
                if len(pending) < 5:
                    continue
                n = int.from_bytes(pending[3:5], "big")
                if len(pending) < 5 + n:
                    continue
                body = pending[5:5 + n]
                data = records_of(body, pending[0], pending[1:3], piece) \
                    + pending[5 + n:]
                print(f"cut {n} bytes into {(n + piece - 1) // piece} records",
                      file=sys.stderr, flush=True)
                cut = True
            other.sendall(data)
    c.close()
    s.close()


if __name__ == "__main__":
    main()
