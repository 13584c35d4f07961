# The answers of services (src/main.rs) to a fixed set of requests, one
# line each, the same from the Linux process and from each image
# (scripts/images rust compares them):
#   python3 answers.py HOST FILE-ON-THE-SERVER LOCAL-COPY-OF-IT
import hashlib
import http.client
import os
import sys
import time

host, remote, local = sys.argv[1], sys.argv[2], sys.argv[3]


def ask(method, path, body=None):
    c = http.client.HTTPConnection(host, 8080, timeout=30)
    c.request(method, path, body=body)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data


def line(what, status, text):
    print("%s -> %d %s" % (what, status, text))


for _ in range(2):
    s, d = ask("GET", "/")
    line("GET /", s, d.decode().strip())
n = 1 << 20
s, d = ask("GET", "/bytes?n=%d" % n)
want = bytes(i % 251 for i in range(n))
line("GET /bytes?n=%d" % n, s, "%d bytes, %s" % (len(d), "as made" if d == want else "differ"))
s, d = ask("GET", "/bytes?n=-1")
line("GET /bytes?n=-1", s, d.decode().strip())
up = os.urandom(n)
s, d = ask("POST", "/echo", up)
line("POST /echo of 1 MiB", s, "back byte for byte" if d == up else "%d bytes, differ" % len(d))
t = time.monotonic()
s, d = ask("GET", "/sleep?ms=300")
took = time.monotonic() - t
ms = int(d.split()[1]) if d.startswith(b"slept ") else -1
line("GET /sleep?ms=300", s, "slept 300 ms or more, under 1 s: %s" %
     ("yes" if 300 <= ms < 1000 and 0.3 <= took < 1.0 else "no (%r, %.3f s)" % (d, took)))
with open(local, "rb") as f:
    mine = f.read()
s, d = ask("GET", "/file?p=" + remote)
line("GET /file (%d bytes)" % len(mine), s, "its bytes" if d == mine else
     "%d bytes, sha256 %s" % (len(d), hashlib.sha256(d).hexdigest()))
s, d = ask("GET", "/file?p=/nonexistent")
line("GET /file?p=/nonexistent", s, d.decode().strip())
s, d = ask("GET", "/panic")
line("GET /panic", s, d.decode().strip())
s, d = ask("GET", "/")
line("GET / after the panic", s, d.decode().strip())
s, d = ask("GET", "/no/such/route")
line("GET /no/such/route", s, d.decode().strip())
