#!/usr/bin/env python3
"""The SHA-256 of what `znet-nc --send BYTES` sends, computed on its own.

    nc_pattern.py BYTES

znet-nc sends byte i = P[i mod 65521], where P[k] is the top byte of the
(k+1)-th output of xorshift32 (shifts 13, 17, 5) started at 0x9e3779b9.
Prints the hex digest, as sha256sum would for those bytes.
"""
import hashlib
import sys

PERIOD = 65521


def pattern():
    x, out = 0x9E3779B9, bytearray()
    for _ in range(PERIOD):
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        out.append(x >> 24)
    return bytes(out)


def main():
    n = int(sys.argv[1])
    p = pattern()
    h = hashlib.sha256()
    block = p * 64
    while n >= len(block):
        h.update(block)
        n -= len(block)
    whole, rest = divmod(n, PERIOD)
    h.update(p * whole + p[:rest])
    print(h.hexdigest())


if __name__ == "__main__":
    main()
