#!/usr/bin/env python3
"""Blind in-window injection (RFC 5961) into a live Linux -> znet-echo
connection.

    attack_inject.py IFNAME ZNET_IP ZNET_MAC PORT ROUNDS

A Linux TCP client (the namespace's kernel) connects to ZNET_IP:PORT and
runs ROUNDS rounds: it sends 1..4 KiB of random bytes and reads the echo
back, checking every byte; then, with the connection idle, an off-path
sender (an AF_PACKET socket on IFNAME, the kernel's end of znet's TAP)
forges segments from the client's address and port.  A sniffer on the
same interface knows the true state (znet's RCV.NXT, SND.NXT, window,
the client's last TSval), so the forgeries land exactly where a lucky
blind attacker's would; each round takes one kind, in turn:

  rst_inwin   RSTs at RCV.NXT+1 .. RCV.NXT+RCV.WND-1 (in the window, never
              RCV.NXT itself): RFC 5961 3.2 says challenge ACK, no reset
  rst_spray   RSTs at sequence numbers spread over the whole space (the
              window included, RCV.NXT excluded)
  syn         SYNs at in-window and random sequence numbers (RFC 5961 4)
  data_oldack data in the window (RCV.NXT+1 ..) and, the sharpest, at
              RCV.NXT itself, with an ACK below SND.UNA - MAX.SND.WND
              (RFC 5961 5.2: acceptable to RFC 793, rejected here)
  data_newack the same with an ACK beyond SND.NXT (RFC 793 rejects it too)
  data_noack  the same without the ACK flag

Non-RST forgeries carry the client's current timestamp (so PAWS does not
hide them) on half of them, none on the other half.  An attacker who
guessed an ACK inside the acceptable range (about MAX.SND.WND / 2^32 of
the guesses) could inject data; RFC 5961 accepts that risk, and this
test does not take it (its ACKs are always outside).

ATTACK_KINDS=kind,... in the environment limits the rounds to those
kinds.  After the rounds the client half-closes and reads to the end.  Prints
"key value" lines: rounds_ok, bytes_sent, bytes_back, stream_exact,
clean_eof, error, and per kind the count sent (sent_rst_inwin ...); exits
0 whatever happened (the shell test judges).
"""
import os
import random
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import attack_lib as al  # noqa: E402

KINDS = ["rst_inwin", "rst_spray", "syn", "data_oldack", "data_newack",
         "data_noack"]
# ATTACK_KINDS=k1,k2 forges only those kinds (to reproduce one by hand).
if os.environ.get("ATTACK_KINDS"):
    KINDS = os.environ["ATTACK_KINDS"].split(",")
PER_ROUND = 150


class Tracker:
    """The connection's true state, from frames seen on the TAP."""

    def __init__(self, link, zip_, port):
        self.link, self.z, self.port = link, zip_, port
        self.lport = None
        self.lock = threading.Lock()
        self.rcv_nxt = self.snd_nxt = None  # znet's
        self.zwin = 0
        self.zwscale = 0
        self.cwscale = 0
        self.max_cwin = 0  # the most the client ever offered (bytes)
        self.tsval = None  # the client's latest
        self.stop = False
        self.seen = 0

    def run(self):
        while not self.stop:
            r = self.link.recv(0.05)
            if r is None:
                continue
            t = al.parse_tcp(r[0])
            if t is None or self.lport is None:
                continue
            with self.lock:
                if t["src"] == self.z and t["sport"] == self.port and \
                        t["dport"] == self.lport:
                    self.seen += 1
                    if t["flags"] & al.SYN:
                        self.zwscale = t["wscale"] or 0
                    end = (t["seq"] + t["len"] + (1 if t["flags"] & (al.SYN | al.FIN) else 0)) & 0xffffffff
                    if self.snd_nxt is None or ((end - self.snd_nxt) & 0xffffffff) < 1 << 31:
                        self.snd_nxt = end
                    if t["flags"] & al.ACK:
                        self.rcv_nxt = t["ack"]
                        self.zwin = t["win"] << (0 if t["flags"] & al.SYN else self.zwscale)
                elif t["dst"] == self.z and t["dport"] == self.port and \
                        t["sport"] == self.lport:
                    if t["flags"] & al.SYN:
                        self.cwscale = t["wscale"] or 0
                    else:
                        self.max_cwin = max(self.max_cwin, t["win"] << self.cwscale)
                    if t["tsval"] is not None:
                        self.tsval = t["tsval"]

    def snapshot(self):
        with self.lock:
            return (self.rcv_nxt, self.snd_nxt, self.zwin, self.max_cwin,
                    self.tsval)


def forge(kind, rng, st, link, zmac, kip, zip_, lport, port):
    rcv_nxt, snd_nxt, zwin, max_cwin, tsval = st
    wnd = max(zwin, 2)
    frames = []
    # Sequence numbers: in the window but never RCV.NXT (RST), or also
    # RCV.NXT itself (data); offsets cover both edges and the middle.
    def inwin():
        return (rcv_nxt + rng.choice([1, 2, wnd - 1, wnd // 2,
                                      rng.randrange(1, wnd)])) & 0xffffffff

    for i in range(PER_ROUND):
        ts = None
        if tsval is not None and i % 2 == 0:
            ts = (tsval + 1) & 0xffffffff
        opts = b"" if ts is None else b"\x01\x01" + bytes([8, 10]) + \
            ts.to_bytes(4, "big") + (0).to_bytes(4, "big")
        payload = b""
        if kind == "rst_inwin":
            seq, ack, flags, opts = inwin(), 0, al.RST, b""
        elif kind == "rst_spray":
            seq = (rcv_nxt + 1 + i * ((1 << 32) // PER_ROUND)) & 0xffffffff
            if i % 3 == 0:
                seq = inwin()
            ack, flags, opts = 0, al.RST, b""
        elif kind == "syn":
            seq = inwin() if i % 2 else rng.getrandbits(32)
            ack, flags = 0, al.SYN
        else:
            seq = rcv_nxt if i % 3 == 0 else inwin()
            payload = b"INJECTED" * rng.randrange(1, 64)
            if kind == "data_oldack":
                # Below SND.UNA - MAX.SND.WND (SND.UNA = SND.NXT: idle).
                ack = (snd_nxt - max_cwin - 1 - rng.randrange(0, 1 << 30)) & 0xffffffff
                flags = al.ACK | al.PSH
            elif kind == "data_newack":
                ack = (snd_nxt + 1 + rng.randrange(0, 1 << 30)) & 0xffffffff
                flags = al.ACK | al.PSH
            else:
                ack, flags = 0, al.PSH
        frames.append(al.tcp_frame(zmac, link.mac, kip, zip_, lport, port,
                                   seq, ack, flags, 502, payload, opts,
                                   ident=rng.getrandbits(16)))
    return frames


def main():
    ifname, zip_s, zmac_s, port, rounds = sys.argv[1:6]
    port, rounds = int(port), int(rounds)
    zip_ = al.ip_aton(zip_s)
    zmac = al.mac_aton(zmac_s)
    kip = al.ip_aton("10.77.0.1")
    rng, seed = al.seeded_rng()
    print("seed %d" % seed)
    link = al.Link(ifname)
    tr = Tracker(link, zip_, port)

    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.bind(("10.77.0.1", 0))
    tr.lport = s.getsockname()[1]
    th = threading.Thread(target=tr.run, daemon=True)
    th.start()
    s.settimeout(10)
    sent_all = bytearray()
    back_all = bytearray()
    counts = dict((k, 0) for k in KINDS)
    rounds_ok = 0
    error = "none"
    try:
        s.connect((zip_s, port))
        for r in range(rounds):
            chunk = bytes(rng.getrandbits(8) for _ in range(rng.randrange(1024, 4097)))
            s.sendall(chunk)
            sent_all += chunk
            got = b""
            while len(got) < len(chunk):
                d = s.recv(65536)
                if not d:
                    raise ConnectionError("EOF in round %d" % r)
                got += d
            back_all += got
            if got != chunk:
                raise ConnectionError("echo differs in round %d" % r)
            rounds_ok += 1
            time.sleep(0.12)  # idle: every ACK out, delayed ones too
            st = tr.snapshot()
            if st[0] is None or st[1] is None:
                raise ConnectionError("sniffer saw no segment of znet's")
            kind = KINDS[r % len(KINDS)]
            for f in forge(kind, rng, st, link, zmac, kip, zip_, tr.lport, port):
                link.send(f)
            counts[kind] += PER_ROUND
            time.sleep(0.05)
        # A last exchange, then the end of the stream.
        tail = bytes(rng.getrandbits(8) for _ in range(65536))
        s.sendall(tail)
        sent_all += tail
        s.shutdown(socket.SHUT_WR)
        while True:
            d = s.recv(65536)
            if not d:
                break
            back_all += d
        print("clean_eof 1")
    except (OSError, ConnectionError) as e:
        error = type(e).__name__ + ": " + str(e)
        print("clean_eof 0")
    finally:
        s.close()
        tr.stop = True
        th.join()
    print("rounds_ok %d" % rounds_ok)
    print("rounds %d" % rounds)
    print("bytes_sent %d" % len(sent_all))
    print("bytes_back %d" % len(back_all))
    print("stream_exact %d" % (1 if bytes(back_all) == bytes(sent_all) else 0))
    for k in KINDS:
        print("sent_%s %d" % (k, counts[k]))
    print("znet_segments_seen %d" % tr.seen)
    print("error %s" % error)


if __name__ == "__main__":
    main()
