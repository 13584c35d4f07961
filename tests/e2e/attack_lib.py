"""Raw frames for the attack tests (imported by attack_*.py; not run).

Everything here builds or parses Ethernet, ARP, IPv4 and TCP by hand
with struct (no scapy), and sends or sniffs them on the kernel's side
of the test's TAP through an AF_PACKET socket: a frame sent there is
read by znet from the TAP, and every frame either side puts on the TAP
is seen.  Only ever used inside the test's own network namespace.
"""
import os
import random
import select
import socket
import struct
import time

ETH_P_ALL = 0x0003
ETH_P_IP = 0x0800
ETH_P_ARP = 0x0806

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


def ip_aton(s):
    return struct.unpack(">I", socket.inet_aton(s))[0]


def ip_ntoa(v):
    return socket.inet_ntoa(struct.pack(">I", v))


def mac_aton(s):
    return bytes(int(x, 16) for x in s.split(":"))


def if_mac(ifname):
    with open("/sys/class/net/%s/address" % ifname) as f:
        return mac_aton(f.read().strip())


def csum(data):
    if len(data) & 1:
        data += b"\0"
    s = sum(struct.unpack(">%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def eth(dst, src, etype, payload):
    return dst + src + struct.pack(">H", etype) + payload


def ipv4(src, dst, proto, payload, ident=0, frag=0, ttl=64, mf=False,
         df=False, total=None):
    """An IPv4 header (no options) in front of payload; frag in bytes
    (a multiple of 8), mf the More Fragments bit."""
    ff = (frag >> 3) | (0x2000 if mf else 0) | (0x4000 if df else 0)
    tl = 20 + len(payload) if total is None else total
    h = struct.pack(">BBHHHBBHII", 0x45, 0, tl, ident, ff, ttl, proto, 0,
                    src, dst)
    h = h[:10] + struct.pack(">H", csum(h)) + h[12:]
    return h + payload


def tcp(src, dst, sport, dport, seq, ack, flags, win=65535, payload=b"",
        opts=b""):
    """A TCP segment with a correct checksum (src, dst: ints)."""
    while len(opts) % 4:
        opts += b"\x01"
    off = (20 + len(opts)) // 4
    h = struct.pack(">HHIIBBHHH", sport, dport, seq & 0xffffffff,
                    ack & 0xffffffff, off << 4, flags, win, 0, 0) + opts
    pseudo = struct.pack(">IIBBH", src, dst, 0, 6, len(h) + len(payload))
    c = csum(pseudo + h + payload)
    return h[:16] + struct.pack(">H", c) + h[18:] + payload


def tcp_frame(dmac, smac, src, dst, sport, dport, seq, ack, flags,
              win=65535, payload=b"", opts=b"", ident=0):
    seg = tcp(src, dst, sport, dport, seq, ack, flags, win, payload, opts)
    return eth(dmac, smac, ETH_P_IP, ipv4(src, dst, 6, seg, ident=ident))


def arp(op, sha, spa, tha, tpa):
    return struct.pack(">HHBBH6sI6sI", 1, ETH_P_IP, 6, 4, op, sha, spa, tha,
                       tpa)


def syn_opts(mss=1460, wscale=7, ts=None, sack=True):
    o = struct.pack(">BBH", 2, 4, mss)
    if sack:
        o += b"\x04\x02"
    if ts is not None:
        o += struct.pack(">BBII", 8, 10, ts, 0)
    if wscale is not None:
        o += b"\x01" + struct.pack(">BBB", 3, 3, wscale)
    return o


class Link:
    """An AF_PACKET socket on one interface: send frames, sniff frames."""

    def __init__(self, ifname, sniff=True):
        self.ifname = ifname
        self.s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                               socket.htons(ETH_P_ALL) if sniff else 0)
        self.s.bind((ifname, 0))
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 22)
        if sniff:
            self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 24)
        self.mac = if_mac(ifname)

    def send(self, frame):
        """True if sent; False if the socket's queue is full."""
        try:
            self.s.send(frame)
            return True
        except (BlockingIOError, OSError):
            return False

    def recv(self, timeout):
        """(frame, outgoing) or None after timeout seconds."""
        r, _, _ = select.select([self.s], [], [], max(0.0, timeout))
        if not r:
            return None
        data, addr = self.s.recvfrom(65535)
        # addr[2] is the packet type: 4 = PACKET_OUTGOING (the kernel sent it).
        return data, addr[2] == 4

    def drain(self):
        self.s.setblocking(False)
        try:
            while True:
                self.s.recv(65535)
        except (BlockingIOError, OSError):
            pass
        self.s.setblocking(True)

    def close(self):
        self.s.close()


def parse_tcp(frame):
    """A dict for an IPv4/TCP frame, None for anything else."""
    if len(frame) < 34 or frame[12:14] != b"\x08\x00":
        return None
    ip = frame[14:]
    ihl = (ip[0] & 0x0f) * 4
    if ip[0] >> 4 != 4 or ip[9] != 6 or len(ip) < ihl + 20:
        return None
    tl = struct.unpack(">H", ip[2:4])[0]
    src, dst = struct.unpack(">II", ip[12:20])
    t = ip[ihl:tl]
    if len(t) < 20:
        return None
    sport, dport, seq, ack, off, flags, win = struct.unpack(">HHIIBBH", t[:16])
    doff = (off >> 4) * 4
    opts = t[20:doff]
    tsval = tsecr = wscale = None
    i = 0
    while i < len(opts):
        k = opts[i]
        if k == 0:
            break
        if k == 1:
            i += 1
            continue
        if i + 1 >= len(opts) or opts[i + 1] < 2:
            break
        n = opts[i + 1]
        if k == 8 and n == 10 and i + 10 <= len(opts):
            tsval, tsecr = struct.unpack(">II", opts[i + 2:i + 10])
        if k == 3 and n == 3 and i + 3 <= len(opts):
            wscale = opts[i + 2]
        i += n
    return {"src": src, "dst": dst, "sport": sport, "dport": dport,
            "seq": seq, "ack": ack, "flags": flags, "win": win,
            "len": len(t) - doff, "payload": t[doff:], "tsval": tsval,
            "tsecr": tsecr, "wscale": wscale, "smac": frame[6:12], "dmac": frame[0:6]}


def proc_mem_kb(pid):
    """(VmRSS, VmHWM) in kB of a process, (0, 0) if it is gone."""
    rss = hwm = 0
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
                elif line.startswith("VmHWM:"):
                    hwm = int(line.split()[1])
    except OSError:
        pass
    return rss, hwm


class MemSampler:
    """Samples a process's VmRSS; the peak and the first sample."""

    def __init__(self, pid):
        self.pid = pid
        self.first = proc_mem_kb(pid)[0] if pid else 0
        self.peak = self.first
        self.last = self.first

    def sample(self):
        if self.pid:
            self.last = proc_mem_kb(self.pid)[0]
            self.peak = max(self.peak, self.last)


def echo_once(addr, port, nbytes, timeout, rng):
    """Connect, send nbytes of random data, read them back, close.
    Returns (ok, seconds, reason)."""
    data = bytes(rng.getrandbits(8) for _ in range(nbytes))
    t0 = time.monotonic()
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect((addr, port))
        s.sendall(data)
        got = b""
        while len(got) < len(data):
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
        if got != data:
            return False, time.monotonic() - t0, "echo differs (%d of %d bytes)" % (
                len(got), len(data))
        return True, time.monotonic() - t0, "ok"
    except OSError as e:
        return False, time.monotonic() - t0, type(e).__name__ + ": " + str(e)
    finally:
        s.close()


def seeded_rng():
    seed = int.from_bytes(os.urandom(8), "big")
    return random.Random(seed), seed
