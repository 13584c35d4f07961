#!/usr/bin/env python3
"""Hold N connections open to a web server, each past one request, for
scripts/bench's memory part (bench/http.sh, run_http_mem).

    hold-conns.py [--tls] ADDR PORT PATH N READY_FILE

Opens N TCP connections to ADDR:PORT (over TLS 1.3 with --tls, without
checking the certificate: the bench's own), sends one keep-alive GET of
PATH on each and reads its whole answer (Content-Length), so that every
connection has served a request and stays open.  Then writes "held N" to
READY_FILE and waits until its standard input closes or 120 s pass.
Exits 1 if a connection or an answer fails.
"""
import select
import socket
import ssl
import sys
import time


def read_answer(s):
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(65536)
        if not chunk:
            raise OSError("closed before the head")
        buf += chunk
    head, body = buf.split(b"\r\n\r\n", 1)
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    if not head.startswith(b"HTTP/1.1 200"):
        raise OSError("answer " + head.split(b"\r\n")[0].decode(errors="replace"))
    while len(body) < length:
        chunk = s.recv(65536)
        if not chunk:
            raise OSError("closed in the body")
        body += chunk


def main():
    args = sys.argv[1:]
    tls = False
    if args and args[0] == "--tls":
        tls = True
        args = args[1:]
    if len(args) != 5:
        sys.stderr.write(__doc__)
        return 2
    addr, port, path, n, ready = args[0], int(args[1]), args[2], int(args[3]), args[4]
    ctx = None
    if tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.maximum_version = ssl.TLSVersion.TLSv1_3
    req = ("GET %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (path, addr)).encode()
    held = []
    try:
        for _ in range(n):
            s = socket.create_connection((addr, port), timeout=10)
            if ctx is not None:
                s = ctx.wrap_socket(s)
            s.sendall(req)
            read_answer(s)
            held.append(s)
    except OSError as e:
        sys.stderr.write("hold-conns: connection %d: %s\n" % (len(held) + 1, e))
        return 1
    with open(ready, "w") as f:
        f.write("held %d\n" % len(held))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        r, _, _ = select.select([sys.stdin], [], [], 1.0)
        if r and not sys.stdin.read(1):
            break
    for s in held:
        s.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
