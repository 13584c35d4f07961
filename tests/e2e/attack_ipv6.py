#!/usr/bin/env python3
"""IPv6 attacks on znet-echo from raw frames, one attack per run, while
a witness Linux client keeps being served over IPv6.

    attack_ipv6.py MODE IFNAME ZNET_IP6 ZNET_MAC KERNEL_IP6 SECONDS PID

MODE is one of
  spoof     neighbor advertisements (override, solicited) claiming that
            KERNEL_IP6 is at a forged MAC, and router advertisements with
            a default router lifetime and an autonomous prefix
            2001:db8:66::/64, all with hop limit 64 (RFC 4861 6.1, 7.1.2:
            to be ignored)
  ndflood   neighbor solicitations for ZNET_IP6 from thousands of forged
            on-link sources, each with its own link-layer address option
            (each would make a neighbor entry), and echo requests from
            forged on-link sources (each reply needs a resolution)
  frags     first and middle fragments (ICMPv6 echo, UDP) from forged
            sources that never complete
  tiny      RFC 7112: echo requests split so that the first fragment
            holds only part of the header chain (a destination options
            header cut in two, or the chain ending just before ICMPv6),
            then the rest; none may be answered
  chain     echo requests behind 100 or 120 destination options headers,
            400 a second (more than the ICMPv6 error rate, 100 a second);
            none may be answered
  raflood   router advertisements from forged link-local routers, each
            with 4 autonomous on-link prefixes (hop limit 255: valid)
  ndfrag    RFC 6980: neighbor solicitations for ZNET_IP6 from forged
            on-link sources (interface identifiers 0c...), each with its
            link-layer address option, and router advertisements with a
            default router lifetime and an autonomous prefix
            2001:db8:67::/64, hop limit 255, each in an atomic fragment
            or in two fragments; none may be answered or applied
for SECONDS at a bounded rate.

    attack_ipv6.py probe IFNAME DST ZNET_MAC SRC COUNT

sends COUNT echo requests from SRC to DST at ZNET_MAC and prints how
many echo replies znet sent (replies).  Meanwhile, in an attack, a witness keeps one TCP
connection to ZNET_IP6 port 7 open from the start and echoes 4 KiB on it
every 0.05 s (every byte must come back, in order), opens a fresh
connection every 0.3 s, and pings every 0.3 s; PID's (znet-echo's)
resident memory is sampled.  Prints "key value" lines (sent, flow_bytes,
flow_ok, witness_tcp, witness_tcp_ok, witness_ping, witness_ping_ok,
rss_start_kb, rss_peak_kb, replies, paramprob, timeex, na_forged, ...);
exits 0 (the shell test judges).
"""
import os
import socket
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import attack_lib as al  # noqa: E402

ETH_P_IPV6 = 0x86DD
NH_HOP, NH_TCP, NH_UDP, NH_FRAG, NH_ICMP6, NH_NONE, NH_DST = 0, 6, 17, 44, 58, 59, 60


def a6(s):
    return socket.inet_pton(socket.AF_INET6, s)


def mcast_mac(dst):
    return b"\x33\x33" + dst[12:16]


def solicited_node(addr):
    return a6("ff02::1:ff00:0")[:13] + addr[13:16]


def ipv6(src, dst, nxt, payload, hlim=64):
    return struct.pack(">IHBB", 6 << 28, len(payload), nxt, hlim) + src + dst + payload


def l4sum(src, dst, nxt, data):
    return al.csum(src + dst + struct.pack(">IxxxB", len(data), nxt) + data)


def icmp6(src, dst, typ, code, body):
    h = struct.pack(">BBH", typ, code, 0) + body
    c = l4sum(src, dst, NH_ICMP6, h)
    return h[:2] + struct.pack(">H", c) + h[4:]


def echo_req(src, dst, ident, seq, data):
    return icmp6(src, dst, 128, 0, struct.pack(">HH", ident, seq) + data)


def frag_hdr(nxt, off, more, ident):
    return struct.pack(">BBHI", nxt, 0, off | (1 if more else 0), ident)


def dstopts(nxt, length=8):
    """A destination options header of length bytes, all padding."""
    pad = length - 2
    body = b"\x01" + bytes([pad - 2]) + b"\0" * (pad - 2)
    return bytes([nxt, length // 8 - 1]) + body


def rand_mac(rng):
    return bytes([0x02] + [rng.getrandbits(8) for _ in range(5)])


def ll_from_mac(mac):
    return a6("fe80::")[:8] + bytes([mac[0] ^ 2]) + mac[1:3] + b"\xff\xfe" + mac[3:6]


def paced(rate, seconds, gen, link):
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


# ndfrag's forged sources: their interface identifiers start with this.
NDFRAG_IID = 0x0c


class Sniffer:
    """Counts what znet sends: echo replies to ident, parameter problems
    (by code), time exceeded, NS and NA (and NAs to ndfrag's sources)."""

    def __init__(self, ifname, zmac, ident):
        self.link = al.Link(ifname)
        self.zmac, self.ident = zmac, ident
        self.c = {"replies": 0, "paramprob": 0, "timeex": 0, "ns_out": 0,
                  "na_out": 0, "na_forged": 0}
        self.codes = {}
        self.stop = False
        self.th = threading.Thread(target=self.run, daemon=True)
        self.th.start()

    def run(self):
        while not self.stop:
            r = self.link.recv(0.05)
            if r is None:
                continue
            f = r[0]
            if len(f) < 62 or f[6:12] != self.zmac or f[12:14] != b"\x86\xdd":
                continue
            if f[20] != NH_ICMP6:
                continue
            t = f[54]
            if t == 129 and struct.unpack(">H", f[58:60])[0] == self.ident:
                self.c["replies"] += 1
            elif t == 4:
                self.c["paramprob"] += 1
                self.codes[f[55]] = self.codes.get(f[55], 0) + 1
            elif t == 3:
                self.c["timeex"] += 1
            elif t == 135:
                self.c["ns_out"] += 1
            elif t == 136:
                self.c["na_out"] += 1
                if f[46] == NDFRAG_IID:
                    self.c["na_forged"] += 1

    def close(self, res):
        time.sleep(0.5)
        self.stop = True
        self.th.join()
        self.link.close()
        res.update(self.c)
        res["paramprob_codes"] = ",".join("%d:%d" % kv for kv in sorted(self.codes.items())) or "-"


IDENT = 0x4646


def mode_spoof(link, zip6, zmac, kip6, seconds, rng, res):
    fake = rand_mac(rng)
    router = ll_from_mac(fake)
    allnodes = a6("ff02::1")
    kinds = {"na_spoofed": 0, "ra_spoofed": 0}

    def gen():
        out = []
        # NA: KERNEL_IP6 is at fake (R=0, S=1, O=1), target LLA option.
        body = struct.pack(">I", 0x60000000) + kip6 + b"\x02\x01" + fake
        for hlim in (64, 254):
            na = icmp6(kip6, zip6, 136, 0, body)
            out.append(al.eth(zmac, fake, ETH_P_IPV6, ipv6(kip6, zip6, NH_ICMP6, na, hlim)))
        kinds["na_spoofed"] += 2
        # RA: router lifetime 1800 s, prefix 2001:db8:66::/64 (L, A).
        pio = struct.pack(">BBBBIII", 3, 4, 64, 0xc0, 86400, 14400, 0) + a6("2001:db8:66::")
        ra = icmp6(router, allnodes, 134, 0,
                   struct.pack(">BBHII", 64, 0, 1800, 0, 0) + pio + b"\x01\x01" + fake)
        out.append(al.eth(mcast_mac(allnodes), fake, ETH_P_IPV6,
                          ipv6(router, allnodes, NH_ICMP6, ra, 64)))
        kinds["ra_spoofed"] += 1
        return out

    res["sent"] = paced(200, seconds, gen, link)
    res.update(kinds)


def mode_ndflood(link, zip6, zmac, kip6, seconds, rng, res):
    sn = solicited_node(zip6)
    net = zip6[:8]
    kinds = {"ns_forged": 0, "echo_forged": 0}

    def gen():
        mac = rand_mac(rng)
        src = net + bytes([0x0a]) + bytes(rng.getrandbits(8) for _ in range(7))
        if rng.getrandbits(1):
            ns = icmp6(src, sn, 135, 0, b"\0" * 4 + zip6 + b"\x01\x01" + mac)
            kinds["ns_forged"] += 1
            return [al.eth(mcast_mac(sn), mac, ETH_P_IPV6, ipv6(src, sn, NH_ICMP6, ns, 255))]
        kinds["echo_forged"] += 1
        e = echo_req(src, zip6, IDENT + 1, kinds["echo_forged"] & 0xffff, b"x" * 16)
        return [al.eth(zmac, mac, ETH_P_IPV6, ipv6(src, zip6, NH_ICMP6, e))]

    res["sent"] = paced(2000, seconds, gen, link)
    res.update(kinds)


def mode_frags(link, zip6, zmac, kip6, seconds, rng, res):
    net = zip6[:8]

    def gen():
        src = net + bytes([0x0b]) + bytes(rng.getrandbits(8) for _ in range(7))
        ident = rng.getrandbits(32)
        body = bytes(rng.getrandbits(8) for _ in range(8)) * 180  # 1440
        nxt = rng.choice([NH_ICMP6, NH_UDP])
        if rng.getrandbits(1):  # a first fragment; the rest never comes
            if nxt == NH_ICMP6:
                body = struct.pack(">BBHHH", 128, 0, 0, 1, 1) + body[8:]
            pay = frag_hdr(nxt, 0, True, ident) + body
        else:
            pay = frag_hdr(nxt, 8 * rng.randrange(1, 7000), True, ident) + body
        return [al.eth(zmac, link.mac, ETH_P_IPV6, ipv6(src, zip6, NH_FRAG, pay))]

    res["sent"] = paced(2000, seconds, gen, link)


def mode_tiny(link, zip6, zmac, kip6, seconds, rng, res):
    seq = [0]

    def gen():
        seq[0] += 1
        s = seq[0] & 0xffff
        ident = 0x71120000 | s
        e = echo_req(kip6, zip6, IDENT, s, b"t" * 64)
        if s % 2:
            # A 16-byte destination options header cut after 8 bytes.
            unfrag = dstopts(NH_ICMP6, 16) + e
            parts = [(0, unfrag[:8], True), (8, unfrag[8:], False)]
        else:
            # The chain ends with the first fragment: ICMPv6 is in the second.
            unfrag = dstopts(NH_ICMP6, 8) + e
            parts = [(0, unfrag[:8], True), (8, unfrag[8:], False)]
        out = []
        for off, body, more in parts:
            pay = frag_hdr(NH_DST, off, more, ident) + body
            out.append(al.eth(zmac, link.mac, ETH_P_IPV6, ipv6(kip6, zip6, NH_FRAG, pay)))
        return out

    res["sent"] = paced(100, seconds, gen, link)


def mode_chain(link, zip6, zmac, kip6, seconds, rng, res):
    seq = [0]

    def gen():
        seq[0] += 1
        s = seq[0] & 0xffff
        n = 100 if s % 2 else 120
        pay = echo_req(kip6, zip6, IDENT, s, b"c" * 16)
        # Built from the inside out: the last header names ICMPv6.
        hdrs = dstopts(NH_ICMP6, 8)
        for _ in range(n - 1):
            hdrs = dstopts(NH_DST, 8) + hdrs
        return [al.eth(zmac, link.mac, ETH_P_IPV6, ipv6(kip6, zip6, NH_DST, hdrs + pay))]

    res["sent"] = paced(400, seconds, gen, link)  # over the error rate


def mode_raflood(link, zip6, zmac, kip6, seconds, rng, res):
    allnodes = a6("ff02::1")

    def gen():
        mac = rand_mac(rng)
        router = ll_from_mac(mac)
        opts = b""
        for _ in range(4):
            pfx = a6("2001:db8::")[:4] + bytes([0x80 | rng.getrandbits(7)]) + \
                bytes(rng.getrandbits(8) for _ in range(3)) + b"\0" * 8
            opts += struct.pack(">BBBBIII", 3, 4, 64, 0xc0, 600, 300, 0) + pfx
        ra = icmp6(router, allnodes, 134, 0,
                   struct.pack(">BBHII", 64, 0, 600, 0, 0) + opts + b"\x01\x01" + mac)
        return [al.eth(mcast_mac(allnodes), mac, ETH_P_IPV6,
                       ipv6(router, allnodes, NH_ICMP6, ra, 255))]

    res["sent"] = paced(200, seconds, gen, link)


def mode_ndfrag(link, zip6, zmac, kip6, seconds, rng, res):
    net = zip6[:8]
    allnodes = a6("ff02::1")
    kinds = {"ns_frag": 0, "ra_frag": 0}
    seq = [0]

    def fragmented(dmac, smac, src, dst, msg, ident, split):
        if split:  # the first part a multiple of 8 bytes
            cut = len(msg) // 2 & ~7
            pays = [frag_hdr(NH_ICMP6, 0, True, ident) + msg[:cut],
                    frag_hdr(NH_ICMP6, cut, False, ident) + msg[cut:]]
        else:  # atomic: offset 0, M 0
            pays = [frag_hdr(NH_ICMP6, 0, False, ident) + msg]
        return [al.eth(dmac, smac, ETH_P_IPV6, ipv6(src, dst, NH_FRAG, p, 255))
                for p in pays]

    def gen():
        seq[0] += 1
        mac = rand_mac(rng)
        split = bool(seq[0] & 1)
        ident = 0x69800000 | (seq[0] & 0xffff)
        if seq[0] % 4 < 2:
            src = net + bytes([NDFRAG_IID]) + bytes(rng.getrandbits(8) for _ in range(7))
            ns = icmp6(src, zip6, 135, 0, b"\0" * 4 + zip6 + b"\x01\x01" + mac)
            kinds["ns_frag"] += 1
            return fragmented(zmac, mac, src, zip6, ns, ident, split)
        router = ll_from_mac(mac)
        pio = struct.pack(">BBBBIII", 3, 4, 64, 0xc0, 86400, 14400, 0) + a6("2001:db8:67::")
        ra = icmp6(router, allnodes, 134, 0,
                   struct.pack(">BBHII", 64, 0, 1800, 0, 0) + pio + b"\x01\x01" + mac)
        kinds["ra_frag"] += 1
        return fragmented(mcast_mac(allnodes), mac, router, allnodes, ra, ident, split)

    res["sent"] = paced(100, seconds, gen, link)
    res.update(kinds)


class Flow:
    """One TCP connection kept open: 4 KiB echoed at a time, checked."""

    def __init__(self, addr, rng):
        self.rng = rng
        self.s = socket.create_connection((addr, 7), timeout=5)
        self.bytes = 0
        self.ok = True
        self.why = "ok"

    def step(self):
        if not self.ok:
            return
        data = bytes(self.rng.getrandbits(8) for _ in range(4096))
        try:
            self.s.sendall(data)
            got = b""
            while len(got) < len(data):
                chunk = self.s.recv(65536)
                if not chunk:
                    break
                got += chunk
            if got != data:
                self.ok, self.why = False, "echo differs (%d of 4096)" % len(got)
            else:
                self.bytes += len(data)
        except OSError as e:
            self.ok, self.why = False, type(e).__name__ + ": " + str(e)


def echo6_once(addr, rng):
    data = bytes(rng.getrandbits(8) for _ in range(200))
    try:
        s = socket.create_connection((addr, 7), timeout=2)
    except OSError:
        return False
    try:
        s.sendall(data)
        got = b""
        while len(got) < len(data):
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
        return got == data
    except OSError:
        return False
    finally:
        s.close()


def ping6(addr):
    r = subprocess.run(["ping", "-6", "-n", "-c", "1", "-W", "2", addr],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return r.returncode == 0


def witness(addr, stop, res, mem, rng, flow):
    n = okn = pn = pok = 0
    last_conn = last_ping = 0.0
    while not stop[0]:
        now = time.monotonic()
        flow.step()
        if now - last_conn >= 0.3:
            last_conn = now
            n += 1
            okn += echo6_once(addr, rng)
        if now - last_ping >= 0.3:
            last_ping = now
            pn += 1
            pok += ping6(addr)
        mem.sample()
        time.sleep(0.05)
    res.update({"witness_tcp": n, "witness_tcp_ok": okn, "witness_ping": pn,
                "witness_ping_ok": pok})


MODES = {"spoof": mode_spoof, "ndflood": mode_ndflood, "frags": mode_frags,
         "tiny": mode_tiny, "chain": mode_chain, "raflood": mode_raflood,
         "ndfrag": mode_ndfrag}


def probe(ifname, dst, zmac_s, src, count):
    """Echo requests from src to dst at znet's MAC; prints the replies."""
    zmac = al.mac_aton(zmac_s)
    link = al.Link(ifname, sniff=False)
    sniff = Sniffer(ifname, zmac, IDENT)
    d, s = a6(dst), a6(src)
    for i in range(int(count)):
        e = echo_req(s, d, IDENT, i, b"p" * 32)
        link.send(al.eth(zmac, link.mac, ETH_P_IPV6, ipv6(s, d, NH_ICMP6, e)))
        time.sleep(0.1)
    res = {"sent": int(count)}
    sniff.close(res)
    for k, v in res.items():
        print("%s %s" % (k, v))
    return 0


def main():
    if sys.argv[1] == "probe":
        return probe(*sys.argv[2:7])
    mode, ifname, zaddr, zmac_s, kaddr, secs, pid = sys.argv[1:8]
    rng, seed = al.seeded_rng()
    zip6, kip6, zmac = a6(zaddr), a6(kaddr), al.mac_aton(zmac_s)
    res = {"seed": seed}
    mem = al.MemSampler(int(pid))
    link = al.Link(ifname, sniff=False)
    sniff = Sniffer(ifname, zmac, IDENT)
    try:
        flow = Flow(zaddr, rng)
    except OSError as e:
        print("fail flow connect: %s" % e)
        return 0
    stop = [False]
    th = threading.Thread(target=witness, args=(zaddr, stop, res, mem, rng, flow),
                          daemon=True)
    th.start()
    MODES[mode](link, zip6, zmac, kip6, float(secs), rng, res)
    time.sleep(1.0)  # the witness goes on just after the attack
    stop[0] = True
    th.join()
    for _ in range(5):  # the kept connection after the attack
        flow.step()
    mem.sample()
    sniff.close(res)
    res["flow_bytes"] = flow.bytes
    res["flow_ok"] = int(flow.ok)
    if not flow.ok:
        print("fail flow: %s" % flow.why)
    flow.s.close()
    res["rss_start_kb"] = mem.first
    res["rss_peak_kb"] = mem.peak
    for k, v in res.items():
        print("%s %s" % (k, v))
    return 0


if __name__ == "__main__":
    sys.exit(main())
