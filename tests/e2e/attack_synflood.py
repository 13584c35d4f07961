#!/usr/bin/env python3
"""SYN flood against znet-echo while a Linux client keeps connecting.

    attack_synflood.py IFNAME ZNET_IP ZNET_MAC PORT SECONDS RATE PID

A child process sends SYNs to ZNET_IP:PORT from spoofed sources (random
addresses in 198.18.0.0/15, off the link, so znet answers through its
gateway, the namespace's kernel, which drops the answers; random ports,
sequence numbers, and Linux's SYN options) through an AF_PACKET socket
on IFNAME (the kernel's end of znet's TAP), at RATE per second for
SECONDS.  Meanwhile the parent connects to ZNET_IP:PORT from the
kernel's stack over and over (one at a time, 4 s timeout each: Linux
sends its SYN again after 1 s and 3 s), sends 200 random bytes, and
reads them back; it goes on for 3 s after the flood.  PID (the
znet-echo process, 0: none) has its resident memory sampled every
0.2 s.

Prints "key value" lines: syns_sent, syns_unsent (the socket's queue
was full), clients, clients_ok, clients_ok_during, clients_during,
clients_ok_after, clients_after, success_pct_during, latency_max_ms,
rss_start_kb, rss_peak_kb, rss_end_kb; and one "fail REASON" line per
failed client.  Exits 0 whatever the figures (the shell test judges).
"""
import os
import random
import signal
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import attack_lib as al  # noqa: E402


def flood(ifname, dst, dmac, port, seconds, rate, seed, out_fd):
    link = al.Link(ifname, sniff=False)
    rng = random.Random(seed)
    # A batch of distinct SYNs built up front (a Python loop cannot
    # checksum at flood rates); sent round-robin.
    frames = []
    base = al.ip_aton("198.18.0.0")
    for _ in range(8192):
        src = base + rng.randrange(1, 1 << 17)
        opts = al.syn_opts(1460, 7, rng.getrandbits(32), True)
        frames.append(al.tcp_frame(dmac, link.mac, src, dst,
                                   rng.randrange(1024, 65536), port,
                                   rng.getrandbits(32), 0, al.SYN, 64240,
                                   opts=opts, ident=rng.getrandbits(16)))
    sent = unsent = 0
    t0 = time.monotonic()
    end = t0 + seconds
    total = int(seconds * rate)
    i = 0
    while sent + unsent < total:
        now = time.monotonic()
        if now >= end:
            break
        # Pace in bursts of 50.
        due = int((now - t0) * rate)
        if sent + unsent >= due:
            time.sleep(0.002)
            continue
        for _ in range(min(50, due - sent - unsent)):
            if link.send(frames[i % len(frames)]):
                sent += 1
            else:
                unsent += 1
            i += 1
    os.write(out_fd, struct.pack(">QQ", sent, unsent))
    os._exit(0)


def main():
    ifname, zip_, zmac, port, seconds, rate, pid = sys.argv[1:8]
    dst = al.ip_aton(zip_)
    dmac = al.mac_aton(zmac)
    port, seconds, rate, pid = int(port), float(seconds), float(rate), int(pid)
    rng, seed = al.seeded_rng()
    print("seed %d" % seed)

    mem = al.MemSampler(pid)
    stop = threading.Event()

    def sampler():
        while not stop.is_set():
            mem.sample()
            time.sleep(0.2)

    th = threading.Thread(target=sampler, daemon=True)
    th.start()

    # Two clean connections first: the figures then compare like with like.
    pre_ok = sum(al.echo_once(zip_, port, 200, 4, rng)[0] for _ in range(2))
    print("clients_ok_before %d" % pre_ok)

    r, w = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(r)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        flood(ifname, dst, dmac, port, seconds, rate, seed ^ 0x5a5a, w)
    os.close(w)
    t_start = time.monotonic()
    flood_end = t_start + seconds
    during = ok_during = after = ok_after = 0
    lat_max = 0.0
    fails = []
    time.sleep(0.3)  # let the flood fill the table first
    while True:
        now = time.monotonic()
        # 3 s after the flood, and at least one client after it.
        if now > flood_end + 3 and after > 0:
            break
        in_flood = now < flood_end
        ok, dt, why = al.echo_once(zip_, port, 200, 4, rng)
        if in_flood:
            during += 1
            ok_during += ok
        else:
            after += 1
            ok_after += ok
        if ok:
            lat_max = max(lat_max, dt)
        else:
            fails.append("%s at t=%.1fs after %.2fs: %s" % (
                "during" if in_flood else "after", now - t_start, dt, why))
        time.sleep(0.05)
    _, status = os.waitpid(child, 0)
    data = os.read(r, 16)
    sent, unsent = struct.unpack(">QQ", data) if len(data) == 16 else (0, 0)
    stop.set()
    th.join()
    mem.sample()

    print("syns_sent %d" % sent)
    print("syns_unsent %d" % unsent)
    print("clients %d" % (during + after))
    print("clients_ok %d" % (ok_during + ok_after))
    print("clients_during %d" % during)
    print("clients_ok_during %d" % ok_during)
    print("clients_after %d" % after)
    print("clients_ok_after %d" % ok_after)
    print("success_pct_during %.1f" % (100.0 * ok_during / during if during else 0))
    print("latency_max_ms %d" % int(lat_max * 1000))
    print("rss_start_kb %d" % mem.first)
    print("rss_peak_kb %d" % mem.peak)
    print("rss_end_kb %d" % mem.last)
    for f in fails:
        print("fail " + f)


if __name__ == "__main__":
    main()
