#!/usr/bin/env python3
"""ISN and ephemeral-port unpredictability (issue 7, "Attacks").

    attack_isn.py selftest
    attack_isn.py server IFNAME ZNET_IP PORT N
    attack_isn.py client IFNAME ZNET_IP UPSTREAM_PORT N

server: N connections from Linux to ZNET_IP:PORT, each from a new
ephemeral port, each reset at once; the ISNs of znet's SYN-ACKs are
taken from the TAP (AF_PACKET sniffer).  client: N DNS queries for
tc.test to znet-dns-blocker on ZNET_IP:53 (run with --cache 0 against
dns_fake_upstream.py, which answers it truncated over UDP), so the
blocker opens N TCP connections to the upstream from one stack; the
source ports and ISNs of its SYNs are taken from the TAP.

The values are judged by relations a weak generator shows (each test
with a false-alarm probability below about 1e-4 for a uniform source):
  repeats     ISNs: none; ports: at most 2 (birthdays in 16384)
  deltas      consecutive differences modulo the range: the most
              frequent one occurs at most 3 times (constant increments);
              differences within 1/64 of the range (small steps, time-
              or counter-driven values) at most mean + 6 sd of the
              binomial count a uniform source gives (6 sd)
  linear      |Pearson r| of value against index, and of each value
              against the next, below 4.5 / sqrt(n)
  bits        each of the low 8 bits (ports: 6) set in 50% +- 4.5 sd
  uniform     Kolmogorov-Smirnov distance of the values (as fractions of
              the range) to uniform below 2.3 / sqrt(n) (p ~ 5e-5)
Prints "stat NAME value limit pass|FAIL" lines, then "verdict pass" or
"verdict FAIL"; selftest runs the tests on a sound source (os.urandom)
and on five weak ones (RFC 793 clock, constant step, time plus small
noise, a random value with its low bits cleared, a sequential port
allocator) and prints "selftest NAME pass|FAIL verdict"; exit 0 if the
sound source passes and every weak one is rejected.
"""
import math
import os
import random
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def judge(values, modulus, lo=0, bits=8, repeats_ok=0, out=print):
    """Run every test; True if all pass."""
    n = len(values)
    span = modulus
    xs = [(v - lo) % span for v in values]
    ok = True

    def stat(name, val, limit, good):
        nonlocal ok
        ok = ok and good
        out("stat %-22s %12s %14s %s" % (name, val, limit,
                                          "pass" if good else "FAIL"))

    reps = n - len(set(xs))
    stat("repeats", reps, "<= %d" % repeats_ok, reps <= repeats_ok)
    deltas = [(xs[i + 1] - xs[i]) % span for i in range(n - 1)]
    counts = {}
    for d in deltas:
        counts[d] = counts.get(d, 0) + 1
    top = max(counts.values()) if counts else 0
    stat("most_common_delta", top, "<= 3", top <= 3)
    small = sum(1 for d in deltas if min(d, span - d) < span // 128)
    p = 2.0 / 128
    lim = (n - 1) * p + 6 * math.sqrt((n - 1) * p * (1 - p))
    stat("small_deltas", small, "<= %.1f" % lim, small <= lim)
    k = 4.5 / math.sqrt(n)

    def pearson(a, b):
        ma, mb = sum(a) / len(a), sum(b) / len(b)
        sa = math.sqrt(sum((x - ma) ** 2 for x in a))
        sb = math.sqrt(sum((y - mb) ** 2 for y in b))
        if sa == 0 or sb == 0:
            return 1.0
        return sum((x - ma) * (y - mb) for x, y in zip(a, b)) / (sa * sb)

    r1 = pearson(list(range(n)), xs)
    stat("r_index_value", "%.3f" % r1, "< %.3f" % k, abs(r1) < k)
    r2 = pearson(xs[:-1], xs[1:])
    stat("r_serial", "%.3f" % r2, "< %.3f" % (4.5 / math.sqrt(n - 1)),
         abs(r2) < 4.5 / math.sqrt(n - 1))
    worst = 0.0
    for b in range(bits):
        ones = sum((x >> b) & 1 for x in xs)
        z = abs(ones - n / 2) / math.sqrt(n / 4)
        worst = max(worst, z)
    stat("low_bits_worst_z", "%.2f" % worst, "< 4.5", worst < 4.5)
    us = sorted(x / span for x in xs)
    d = max(max((i + 1) / n - u, u - i / n) for i, u in enumerate(us))
    stat("ks_uniform", "%.3f" % d, "< %.3f" % (2.3 / math.sqrt(n)),
         d < 2.3 / math.sqrt(n))
    out("verdict %s" % ("pass" if ok else "FAIL"))
    return ok


def selftest():
    n = 300
    rng = random.Random(7)
    quiet = []
    cases = [
        ("urandom_isn", [int.from_bytes(os.urandom(4), "big") for _ in range(n)],
         1 << 32, 0, 8, 0, True),
        ("rfc793_clock_isn", [(250000 * i * 3 + 12345) % (1 << 32) for i in range(n)],
         1 << 32, 0, 8, 0, False),
        ("constant_step_isn", [(i * 64000 + 99) % (1 << 32) for i in range(n)],
         1 << 32, 0, 8, 0, False),
        ("time_plus_noise_isn", [(i * 2500 + rng.randrange(1 << 16)) % (1 << 32)
                                 for i in range(n)], 1 << 32, 0, 8, 0, False),
        ("low_bits_clear_isn", [rng.getrandbits(32) & ~0xff for _ in range(n)],
         1 << 32, 0, 8, 0, False),
        ("sequential_ports", [49152 + (1000 + i) % 16384 for i in range(40)],
         16384, 49152, 6, 2, False),
        ("urandom_ports", [49152 + rng.randrange(16384) for _ in range(40)],
         16384, 49152, 6, 2, True),
    ]
    good = True
    for name, vals, mod, lo, bits, reps, should_pass in cases:
        verdict = judge(vals, mod, lo, bits, reps, out=quiet.append)
        right = verdict == should_pass
        good = good and right
        print("selftest %-20s %s (verdict %s, want %s)" % (
            name, "pass" if right else "FAIL", "pass" if verdict else "FAIL",
            "pass" if should_pass else "FAIL"))
    return 0 if good else 1


class Sniffer:
    """Collects (sport, seq) of SYN segments from src to dst:dport."""

    def __init__(self, ifname, src, dst, dport, synack):
        import attack_lib as al
        self.al = al
        self.link = al.Link(ifname)
        self.src, self.dst, self.dport, self.synack = src, dst, dport, synack
        self.got = {}
        self.stop = False
        self.th = threading.Thread(target=self.run, daemon=True)
        self.th.start()

    def run(self):
        al = self.al
        while not self.stop:
            r = self.link.recv(0.05)
            if r is None:
                continue
            t = al.parse_tcp(r[0])
            if not t or t["src"] != self.src or t["dst"] != self.dst:
                continue
            want = al.SYN | al.ACK if self.synack else al.SYN
            if t["flags"] & (al.SYN | al.ACK) != want:
                continue
            if self.synack and t["sport"] == self.dport:
                self.got.setdefault(t["dport"], t["seq"])
            elif not self.synack and t["dport"] == self.dport:
                self.got.setdefault(t["sport"], t["seq"])

    def finish(self):
        time.sleep(0.3)
        self.stop = True
        self.th.join()
        return self.got


def server(ifname, zip_s, port, n):
    import attack_lib as al
    sn = Sniffer(ifname, al.ip_aton(zip_s), al.ip_aton("10.77.0.1"), port, True)
    order = []
    fails = 0
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(3)
        try:
            s.connect((zip_s, port))
            order.append(s.getsockname()[1])
        except OSError:
            fails += 1
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
    got = sn.finish()
    isns = [got[p] for p in order if p in got]
    print("connections %d" % len(order))
    print("connect_failures %d" % fails)
    print("isns %d" % len(isns))
    print("sample %s" % " ".join("%08x" % v for v in isns[:6]))
    return 0 if judge(isns, 1 << 32) and len(isns) >= n * 9 // 10 else 1


def dns_query(qid, name):
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\0" + struct.pack(">HH", 1, 1)


def client(ifname, zip_s, uport, n):
    import attack_lib as al
    sn = Sniffer(ifname, al.ip_aton(zip_s), al.ip_aton("10.77.0.1"), uport, False)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.settimeout(3)
    answered = 0
    for i in range(n):
        u.sendto(dns_query(0x1000 + i, "tc.test"), (zip_s, 53))
        try:
            u.recvfrom(4096)
            answered += 1
        except OSError:
            pass
    got = sn.finish()
    ports = list(got.keys())  # in the order the SYNs were seen
    isns = [got[p] for p in ports]
    print("queries %d" % n)
    print("answered %d" % answered)
    print("connections %d" % len(ports))
    print("ports_sample %s" % " ".join(str(p) for p in ports[:10]))
    in_range = all(49152 <= p <= 65535 for p in ports)
    print("ports_in_ephemeral_range %d" % in_range)
    print("# ports")
    okp = judge(ports, 16384, 49152, bits=6, repeats_ok=2)
    print("# isns")
    oki = judge(isns, 1 << 32)
    return 0 if okp and oki and in_range and len(ports) >= n * 9 // 10 else 1


def main():
    mode = sys.argv[1]
    if mode == "selftest":
        return selftest()
    if mode == "server":
        return server(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    if mode == "client":
        return client(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    print("usage: see the docstring", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
