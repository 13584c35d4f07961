#!/usr/bin/env python3
"""Floods and hostile peers against znet-echo, one attack per run, while
a witness Linux client keeps being served.

    attack_floods.py MODE IFNAME ZNET_IP ZNET_MAC SECONDS PID

MODE is one of
  arp       ARP requests for random addresses (on the prefix and off it)
            from random senders, and unsolicited ARP replies for random
            addresses, through an AF_PACKET socket on IFNAME
  frags     first and middle IPv4 fragments (ICMP echo, UDP) from random
            on-link sources that never complete
  overlap   ICMP echo requests split into overlapping fragments (a second
            fragment rewriting part of the first, a tiny one inside a big
            one, a last fragment overlapping the first): none may be
            answered
  window    TCP peers on a forged address (10.77.0.50, which znet reaches
            through a static ARP entry) that ask for an echo and then
            advertise a window of 1 byte (half of them) or 0 (the other
            half), for SECONDS; then they are reset
  idle      eight Linux clients that connect to the echo port and send
            nothing, for SECONDS
  noread    Linux clients (small receive buffers) that connect to the echo
            port (and the discard port), write as much as it takes (at
            most 32 MiB/s in all), and never read
for SECONDS, at a bounded rate.  Meanwhile the witness connects to port 7
every 0.2 s (200 random bytes, read back, 2 s timeout: on the link a
success takes milliseconds, a lost SYN is sent again after 1 s) and pings (56
bytes, 2 s timeout), and PID (znet-echo, 0: none) has its resident
memory sampled.  Prints "key value" lines (sent, witness_tcp,
witness_tcp_ok, witness_ping, witness_ping_ok, rss_start_kb,
rss_peak_kb, and per-mode figures) and "fail ..." lines; exits 0 (the
shell test judges).
"""
import os
import random
import select
import socket
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import attack_lib as al  # noqa: E402

KIP = al.ip_aton("10.77.0.1")
FAKE_IP = al.ip_aton("10.77.0.50")
FAKE_MAC = al.mac_aton("02:00:00:77:00:50")
NOREAD_RATE = 32 * 1024 * 1024


def rand_mac(rng):
    return bytes([0x02] + [rng.getrandbits(8) for _ in range(5)])


def icmp_echo(ident, seq, data):
    h = struct.pack(">BBHHH", 8, 0, 0, ident, seq) + data
    return h[:2] + struct.pack(">H", al.csum(h)) + h[4:]


def paced(rate, seconds, gen, link):
    """Send gen()'s frames at rate per second for seconds; the count."""
    t0 = time.monotonic()
    n = 0
    while True:
        now = time.monotonic()
        if now - t0 >= seconds:
            return n
        due = int((now - t0) * rate)
        if n >= due:
            time.sleep(0.002)
            continue
        for _ in range(min(64, due - n)):
            for f in gen():
                link.send(f)
            n += 1


def mode_arp(link, zip_, zmac, seconds, rng, res):
    bcast = b"\xff" * 6
    net = zip_ & 0xffffff00
    kinds = {"req_random": 0, "req_for_us": 0, "reply_unsolicited": 0}

    def gen():
        smac = rand_mac(rng)
        spa = net | rng.randrange(3, 255)
        k = rng.randrange(3)
        if k == 0:  # who-has a random address (on the prefix or not)
            tpa = net | rng.randrange(0, 256) if rng.getrandbits(1) else rng.getrandbits(32)
            kinds["req_random"] += 1
            return [al.eth(bcast, smac, al.ETH_P_ARP,
                           al.arp(1, smac, spa, b"\0" * 6, tpa))]
        if k == 1:  # who-has us, from random senders (fills the cache)
            kinds["req_for_us"] += 1
            return [al.eth(bcast, smac, al.ETH_P_ARP,
                           al.arp(1, smac, spa, b"\0" * 6, zip_))]
        kinds["reply_unsolicited"] += 1  # is-at for random addresses, to us
        return [al.eth(zmac, smac, al.ETH_P_ARP,
                       al.arp(2, smac, spa, zmac, zip_))]

    res["sent"] = paced(4000, seconds, gen, link)
    res.update(kinds)


def mode_frags(link, zip_, zmac, seconds, rng, res):
    net = zip_ & 0xffffff00

    def gen():
        src = net | rng.randrange(100, 200)
        ident = rng.getrandbits(16)
        proto = rng.choice([1, 17])
        body = bytes(rng.getrandbits(8) for _ in range(8)) * 185  # 1480
        if rng.getrandbits(1):  # a first fragment, the rest never comes
            ip = al.ipv4(src, zip_, proto, body, ident=ident, mf=True,
                         total=20 + len(body))
        else:  # a middle fragment
            off = 8 * rng.randrange(1, 7000)
            ip = al.ipv4(src, zip_, proto, body, ident=ident, frag=off, mf=True)
        return [al.eth(zmac, link.mac, al.ETH_P_IP, ip)]

    res["sent"] = paced(2000, seconds, gen, link)


def mode_overlap(link, zip_, zmac, seconds, rng, res):
    """Overlapping fragments of echo requests; counts replies seen."""
    ids = set()
    ident = [0x7000]

    def gen():
        ident[0] = (ident[0] + 1) & 0xffff
        iid = ident[0]
        ids.add(iid)
        data = bytes(rng.getrandbits(8) for _ in range(32)) * 64  # 2048
        dgram = icmp_echo(0x4242, iid, data)  # 2056 bytes
        k = iid % 3
        if k == 0:  # the second rewrites the end of the first
            parts = [(0, dgram[:1480], True), (1000, dgram[1000:], False)]
        elif k == 1:  # a tiny fragment inside the first, then the rest
            parts = [(0, dgram[:1480], True), (400, b"X" * 16, True),
                     (1480, dgram[1480:], False)]
        else:  # the last first, then a first that runs past its start
            parts = [(1472, dgram[1472:], False), (0, dgram[:1480], True)]
        out = []
        for off, body, mf in parts:
            ip = al.ipv4(KIP, zip_, 1, body, ident=iid, frag=off, mf=mf)
            out.append(al.eth(zmac, link.mac, al.ETH_P_IP, ip))
        return out

    stop = [False]
    replies = [0]

    def sniff():
        s = al.Link(link.ifname)
        while not stop[0]:
            r = s.recv(0.05)
            if r is None:
                continue
            f = r[0]
            if len(f) < 42 or f[12:14] != b"\x08\x00" or f[23] != 1:
                continue
            ihl = (f[14] & 0x0f) * 4
            icmp = f[14 + ihl:]
            ff = struct.unpack(">H", f[20:22])[0]
            if (ff & 0x1fff) == 0 and len(icmp) >= 8 and icmp[0] == 0 and \
                    struct.unpack(">H", icmp[4:6])[0] == 0x4242:
                replies[0] += 1
        s.close()

    th = threading.Thread(target=sniff, daemon=True)
    th.start()
    res["sent"] = paced(300, seconds, gen, link)
    time.sleep(0.5)
    stop[0] = True
    th.join()
    res["overlap_replies"] = replies[0]


class Peer:
    def __init__(self, port, wnd, iss):
        self.port, self.wnd, self.iss = port, wnd, iss
        self.snd_nxt = iss
        self.rcv_nxt = None
        self.sent_req = False
        self.got = 0
        self.probes = 0


def mode_window(link, zip_, zmac, seconds, rng, res):
    """Tiny- and zero-window peers: each sends 16 KiB to the echo, then
    takes its echo a byte at a time (window 1) or not at all (window 0)."""
    peers = {}
    base = rng.randrange(20000, 40000)
    for i in range(16):
        p = Peer(base + i, 1 if i % 2 == 0 else 0, rng.getrandbits(32))
        peers[p.port] = p

    def send(p, flags, seq, payload=b"", wnd=None, opts=b""):
        link.send(al.tcp_frame(zmac, FAKE_MAC, FAKE_IP, zip_, p.port, 7, seq,
                               p.rcv_nxt or 0, flags,
                               p.wnd if wnd is None else wnd, payload, opts))

    for p in peers.values():
        send(p, al.SYN, p.iss, wnd=65535, opts=struct.pack(">BBH", 2, 4, 1460))
    req = b"0123456789abcdef" * 1024  # 16 KiB
    t_end = time.monotonic() + seconds
    while time.monotonic() < t_end:
        r = link.recv(0.05)
        if r is None:
            continue
        t = al.parse_tcp(r[0])
        if not t or t["src"] != zip_ or t["dst"] != FAKE_IP or t["dport"] not in peers:
            continue
        p = peers[t["dport"]]
        if t["flags"] & al.RST:
            p.rcv_nxt = None
            continue
        if t["flags"] & al.SYN:
            p.rcv_nxt = (t["seq"] + 1) & 0xffffffff
            p.snd_nxt = (p.iss + 1) & 0xffffffff
            send(p, al.ACK, p.snd_nxt)
            if not p.sent_req:
                # The request, in MSS pieces (znet's window is open).
                for off in range(0, len(req), 1460):
                    send(p, al.ACK | al.PSH, p.snd_nxt + off,
                         req[off:off + 1460])
                p.sent_req = True
                p.snd_nxt = (p.snd_nxt + len(req)) & 0xffffffff
            continue
        if p.rcv_nxt is None:
            continue
        if t["len"]:
            if t["seq"] == p.rcv_nxt and p.wnd > 0:
                take = min(t["len"], p.wnd)
                p.rcv_nxt = (p.rcv_nxt + take) & 0xffffffff
                p.got += take
            else:
                p.probes += 1
            send(p, al.ACK, p.snd_nxt)
        elif ((t["ack"] - p.snd_nxt) & 0xffffffff) > 1 << 31:
            # znet has not got all of the request: resend from its ACK.
            off = (t["ack"] - p.iss - 1) & 0xffffffff
            if off < len(req):
                send(p, al.ACK | al.PSH, t["ack"], req[off:off + 1460])
    res["sent"] = len(peers)
    res["tiny_bytes_echoed"] = sum(p.got for p in peers.values() if p.wnd)
    res["zero_probes_answered"] = sum(p.probes for p in peers.values() if not p.wnd)
    res["peers_established"] = sum(1 for p in peers.values() if p.rcv_nxt is not None)
    for p in peers.values():
        if p.rcv_nxt is not None:
            send(p, al.RST | al.ACK, p.snd_nxt)


def mode_noread(link, zip_, zmac, seconds, rng, res):
    socks = []
    pushed = 0
    t_end = time.monotonic() + seconds
    for i in range(24):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.settimeout(3)
        try:
            s.connect((al.ip_ntoa(zip_), 7 if i % 2 == 0 else 9))
        except OSError:
            s.close()
            continue
        s.setblocking(False)
        socks.append(s)
    # Bounded at NOREAD_RATE bytes/s in all: enough to fill every echo
    # connection's buffers within the first second, while the discard
    # half does not saturate the TAP queue the witness's SYNs share (a
    # bulk flood there drops them below the stack, which the witness
    # would report as starvation).
    chunk = b"r" * 16384
    t0 = time.monotonic()
    while time.monotonic() < t_end:
        if pushed >= (time.monotonic() - t0) * NOREAD_RATE:
            time.sleep(0.005)
            continue
        _, w, _ = select.select([], socks, [], 0.1)
        for s in w:
            try:
                pushed += s.send(chunk)
            except (BlockingIOError, OSError):
                pass
    res["sent"] = len(socks)
    res["noread_bytes_pushed"] = pushed
    for s in socks:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()


def mode_idle(link, zip_, zmac, seconds, rng, res):
    """Eight connections that connect and then say nothing."""
    socks = []
    for i in range(8):
        try:
            socks.append(socket.create_connection((al.ip_ntoa(zip_), 7), timeout=3))
        except OSError:
            pass
    time.sleep(seconds)
    res["sent"] = len(socks)
    for s in socks:
        s.close()


def witness(zip_s, stop, res, rng):
    n = ok = pn = pok = 0
    lat = 0.0
    fails = []
    last_ping = 0.0
    while not stop.is_set():
        good, dt, why = al.echo_once(zip_s, 7, 200, 2, rng)
        lat = max(lat, dt) if good else lat
        n += 1
        ok += good
        if not good:
            fails.append("tcp after %.2fs: %s" % (dt, why))
        if time.monotonic() - last_ping > 0.5:
            last_ping = time.monotonic()
            r = subprocess.run(["ping", "-n", "-q", "-c", "1", "-W", "2",
                                zip_s], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
            pn += 1
            pok += r.returncode == 0
            if r.returncode != 0:
                fails.append("ping lost")
        time.sleep(0.2)
    res.update(witness_tcp=n, witness_tcp_ok=ok, witness_ping=pn,
               witness_ping_ok=pok, witness_max_ms=int(lat * 1000))
    res["fails"] = fails


def main():
    mode, ifname, zip_s, zmac_s, seconds, pid = sys.argv[1:7]
    seconds, pid = float(seconds), int(pid)
    zip_ = al.ip_aton(zip_s)
    zmac = al.mac_aton(zmac_s)
    rng, seed = al.seeded_rng()
    print("seed %d" % seed)
    link = al.Link(ifname)
    res = {}
    mem = al.MemSampler(pid)
    stop = threading.Event()

    def sampler():
        while not stop.is_set():
            mem.sample()
            time.sleep(0.2)

    wres = {}
    wstop = threading.Event()
    ths = [threading.Thread(target=sampler, daemon=True),
           threading.Thread(target=witness, args=(zip_s, wstop, wres,
                                                  random.Random(seed + 1)),
                            daemon=True)]
    for th in ths:
        th.start()
    fn = {"arp": mode_arp, "frags": mode_frags, "overlap": mode_overlap,
          "window": mode_window, "noread": mode_noread,
          "idle": mode_idle}[mode]
    fn(link, zip_, zmac, seconds, rng, res)
    time.sleep(1.0)  # the witness runs a little past the attack
    wstop.set()
    ths[1].join()
    stop.set()
    ths[0].join()
    mem.sample()
    res.update(wres)
    fails = res.pop("fails", [])
    res["rss_start_kb"] = mem.first
    res["rss_peak_kb"] = mem.peak
    for k in sorted(res):
        print("%s %s" % (k, res[k]))
    for f in fails:
        print("fail " + f)


if __name__ == "__main__":
    main()
