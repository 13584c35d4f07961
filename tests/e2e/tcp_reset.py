#!/usr/bin/env python3
"""Connect, send some bytes, then reset the connection (for the e2e tests).

    tcp_reset.py ADDR PORT BYTES

Connects to ADDR:PORT (in the test's own network namespace), sends BYTES
zero bytes, waits 0.2 s, and closes with SO_LINGER {on, 0}, so that
Linux sends a RST instead of a FIN.  Exits 0 if that all happened.
"""
import socket
import struct
import sys
import time


def main():
    addr, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    s = socket.create_connection((addr, port), timeout=10)
    s.sendall(b"\0" * n)
    time.sleep(0.2)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


if __name__ == "__main__":
    main()
