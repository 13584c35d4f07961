#!/usr/bin/env python3
"""Seeds of fuzz_tls_client (fuzz/fuzz_tls_client.c's input format):

    tls_client_seeds.py OUT_DIR

Mode 1 (a ServerHello made by the harness, then sealed records of
[length:2][inner type:1][content]): RFC 8448's server flight
(tests/tls/rfc8448.h: EncryptedExtensions, Certificate, CertificateVerify,
Finished; then its NewSessionTicket), as one record and one record per
message; the same with znet's own ECDSA and RSA chains
(tests/tls/server-*.pem) in the Certificate; a CertificateRequest first;
KeyUpdate and application data after.  Mode 0 (the server's bytes in the
clear): RFC 8448's ServerHello as a record, HelloRetryRequests (P-256 with
a cookie, X25519 again), TLS 1.2 ServerHellos with and without RFC 8446's
downgrade sentinel (one cut over three records), an alert, a change_cipher_spec first.  Mode 0x11 (the
client offers a ticket from its store and the harness resumes it): what
comes after a resumed handshake: tickets (kept, too long, lifetime 0,
with early_data), KeyUpdate, data."""
import base64
import hashlib
import os
import re
import sys

here = os.path.dirname(os.path.abspath(__file__))
tls = os.path.join(here, "..", "tests", "tls")


def macros():
    text = open(os.path.join(tls, "rfc8448.h")).read()
    out = {}
    for m in re.finditer(r"#define (R8448_\w+) \\\n((?:\s*\"[0-9a-f]*\"\s*\\?\n?)+)", text):
        out[m.group(1)] = bytes.fromhex("".join(re.findall(r"\"([0-9a-f]*)\"", m.group(2))))
    return out


def ders(pem):
    text = open(os.path.join(tls, pem)).read()
    return [base64.b64decode("".join(b.split()))
            for b in re.findall(r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", text, re.S)]


def u16(v):
    return v.to_bytes(2, "big")


def u24(v):
    return v.to_bytes(3, "big")


def hs(t, body):
    return bytes([t]) + u24(len(body)) + body


def certificate(chain):
    entries = b"".join(u24(len(d)) + d + u16(0) for d in chain)
    return hs(11, b"\x00" + u24(len(entries)) + entries)


def sealed(*recs):
    return b"".join(u16(len(c)) + bytes([t]) + c for t, c in recs)


def record(t, body):
    return bytes([t, 3, 3]) + u16(len(body)) + body


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    r = macros()
    ee, cert = r["R8448_ENCRYPTED_EXTENSIONS"], r["R8448_CERTIFICATE"]
    cv, fin = r["R8448_CERTIFICATE_VERIFY"], r["R8448_SERVER_FINISHED"]
    nst = r["R8448_NEW_SESSION_TICKET"]
    ee_empty = hs(8, u16(0))
    cv_ec = hs(15, u16(0x0403) + u16(70) + bytes(70))
    fin_junk = hs(20, bytes(32))
    cr = hs(13, b"\x00" + u16(8) + u16(13) + u16(4) + u16(2) + u16(0x0403))
    ku = hs(24, b"\x01")
    seeds = {
        "rfc8448-flight-one-record": b"\x01" + sealed((22, ee + cert + cv + fin)),
        "rfc8448-flight-by-message": b"\x01" + sealed((22, ee), (22, cert), (22, cv), (22, fin), (22, nst)),
        "rfc8448-flight-split": b"\x01" + sealed(*[(22, (ee + cert + cv + fin)[i:i + 50])
                                                  for i in range(0, 657, 50)]),
        "ec-chain": b"\x01" + sealed((22, ee_empty + certificate(ders("server-ec.pem")) + cv_ec + fin_junk)),
        "rsa-chain": b"\x01" + sealed((22, ee_empty), (22, certificate(ders("server-rsa.pem"))),
                                      (22, hs(15, u16(0x0804) + u16(256) + bytes(256))), (22, fin_junk)),
        "cert-request-first": b"\x01" + sealed((22, ee_empty + cr + certificate(ders("server-ec.pem")))),
        "after-open": b"\x01" + sealed((22, ee_empty), (22, ku), (23, b"data"), (21, b"\x01\x00")),
        "alpn-and-limits": b"\x01" + sealed((22, hs(8, u16(19) + u16(16) + u16(5) + u16(3) + b"\x02h2"
                                                     + u16(1) + u16(1) + b"\x04"))),
    }
    # Mode 0x11: resumed; what comes after the harness's valid Finished.
    def ticket(lifetime, nonce, tk, exts=b""):
        return hs(4, lifetime.to_bytes(4, "big") + (77).to_bytes(4, "big")
                  + bytes([len(nonce)]) + nonce + u16(len(tk)) + tk + u16(len(exts)) + exts)
    seeds.update({
        "resumed-tickets": b"\x11" + sealed((22, ticket(7200, b"\x00", bytes(200))),
                                            (22, ticket(7200, b"\x01", bytes(120)))),
        "resumed-ticket-kinds": b"\x11" + sealed(
            (22, ticket(0, b"\x00", bytes(10))),                   # not kept
            (22, ticket(60, bytes(255), bytes(513))),              # too long
            (22, ticket(60, b"", b"\x01", u16(42) + u16(4) + bytes(4)))),  # early_data
        "resumed-then-data": b"\x11" + sealed((22, ticket(3600, b"\x02", bytes(64)) + ku),
                                               (23, b"after resumption"), (21, b"\x01\x00")),
        "rfc8448-resumed-nst": b"\x11" + sealed((22, nst)),
    })
    sh = r["R8448_SERVER_HELLO"]
    hrr_random = hashlib.sha256(b"HelloRetryRequest").digest()
    sid = bytes(32)

    def server_hello(random, exts, suite=0x1301):
        body = u16(0x0303) + random + b"\x20" + sid + u16(suite) + b"\x00"
        if exts is not None:
            body += u16(len(exts)) + exts
        return hs(2, body)

    versions = u16(43) + u16(2) + u16(0x0304)
    hrr_p256 = server_hello(hrr_random, versions + u16(51) + u16(2) + u16(0x0017)
                            + u16(44) + u16(7) + u16(5) + b"cooky")
    hrr_x25519 = server_hello(hrr_random, versions + u16(51) + u16(2) + u16(0x001d))
    downgrade = bytes(24) + b"DOWNGRD\x01"
    tls12 = server_hello(bytes(range(32)), None, 0xC02B)
    tls12_dg = server_hello(downgrade, None, 0xC02B)
    seeds.update({
        "rfc8448-server-hello": b"\x00" + record(22, sh),
        "rfc8448-server-hello-bytewise": b"\x02" + record(22, sh),
        "hrr-p256-cookie": b"\x08" + record(22, hrr_p256),
        "hrr-x25519-again": b"\x08" + record(22, hrr_x25519),
        "hrr-then-ccs-then-hrr": b"\x08" + record(22, hrr_p256) + record(20, b"\x01") + record(22, hrr_p256),
        "tls12-server-hello": b"\x0a" + record(22, tls12) + record(22, hs(11, b"")),
        "tls12-downgrade-sentinel": b"\x0a" + record(22, tls12_dg),
        "tls12-server-hello-split": b"\x0a" + record(22, tls12[:10]) + record(22, tls12[10:30])
        + record(22, tls12[30:] + hs(11, b"")),
        "alert-first": b"\x00" + record(21, b"\x02\x28"),
        "ccs-first": b"\x00" + record(20, b"\x01") + record(22, sh),
    })
    for name, data in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
