/** \file
 * TLS over znet's TCP: libznet-tls (link with `-lznet-tls -lznet`, or
 * `pkg-config znet-tls`), built with meson's `-Dtls` and BearSSL.
 *
 * A TLS session is a byte stream (znet/stream.h): zn_tls_server_start()
 * takes an accepted TCP connection, zn_tls_client_start() one that is
 * connecting or connected, and each gives back a struct zn_stream that
 * protocol code uses exactly as it uses a TCP stream.  on_open is the
 * end of the handshake (both sides).
 *
 * Policy, not configurable beyond narrowing it: TLS 1.3 (RFC 8446) and
 * TLS 1.2 (RFC 5246), the AEAD suites of ZN_TLS_SUITES (AES-128-GCM,
 * AES-256-GCM, ChaCha20-Poly1305), (EC)DHE always (X25519, P-256,
 * P-384), signatures by ECDSA or RSA (RSA-PSS in TLS 1.3); nothing else
 * is offered or accepted.  A server speaks TLS 1.3 to a client that
 * offers it (supported_versions) and TLS 1.2 to one that does not, with
 * the suites the configuration allows (a configuration without a TLS 1.3
 * suite is TLS 1.2 only); it picks the suite in the client's order (in
 * TLS 1.2 one its key can sign for), the TLS 1.3 group X25519 first,
 * then P-256, then P-384 (a HelloRetryRequest when the client sent no
 * share for one of them); it sends the chain of cfg.sni for the name the
 * client asks for (RFC 6066), cfg.creds's otherwise, in either version
 * (every server session starts on the TLS 1.3 engine, which reads the
 * ClientHello and hands a TLS 1.2 one to BearSSL with that chain).  A
 * client offers TLS 1.3 and TLS 1.2 in one
 * ClientHello (X25519's share; P-256 or P-384 if a HelloRetryRequest
 * asks), checks the chain against cfg.anchors and server_name, and
 * speaks TLS 1.2 through BearSSL's engine if the server answers TLS 1.2
 * (refusing one whose random carries RFC 8446 §4.1.3's downgrade
 * sentinel); with cfg.resume it keeps the server's TLS 1.3 tickets and
 * offers one on its next connection to the same name (a resumed
 * handshake, no certificate checked again), and it answers a
 * CertificateRequest with no certificate.  No
 * renegotiation, no compression, no
 * 0-RTT (RFC 8446 §8: replay protection needs state a unikernel loses
 * on restart).  TLS 1.3 comes from znet's own engine over BearSSL's
 * constant-time primitives (tls/tls13_*.c), TLS 1.2 from BearSSL's; a
 * server whose configuration has a TLS 1.3 suite ends the random of its
 * TLS 1.2 ServerHello (full or resumed) with RFC 8446 §4.1.3's downgrade
 * sentinel, "DOWNGRD\x01", so that a TLS 1.3 client an attacker steered
 * to TLS 1.2 can tell; a TLS 1.2-only configuration does not.
 *
 * Memory is the caller's, as the stack's is: one block per session, of
 * zn_tls_conn_size(cfg) bytes, holding the engine's state, its record
 * buffers and the glue; credentials, trust anchors and the session cache
 * are decoded into blocks of their own (the *_measure() functions size
 * them).  libznet-tls allocates nothing and reads no clock: the wall
 * clock for certificate validity comes from cfg.clock, the entropy from
 * the stack's CSPRNG (zn_random_bytes(), 32 bytes per session).
 *
 * Bytes per session with the default buffers (x86-64, BearSSL 0.6;
 * checked by tests/tls/test_tls_memory.c):
 *
 * | role   | in_buf | out_buf | bytes  |
 * |--------|--------|---------|--------|
 * | server | 16709  | 16469   | 38069  |
 * | client | 16709  | 16469   | 43141  |
 * | server | 16709  | 597     | 22197  |
 * | client | 837    | 597     | 11397  |
 * | server | lent   | lent    | 4880   |
 *
 * That is the two buffers, the engine's state (a server's: the TLS 1.3
 * engine, 3992 bytes, in the same place as the BearSSL context of 4208
 * that takes over when a client offers only TLS 1.2; a client's: the TLS
 * 1.3 engine with its handshake state, 9288 bytes (its X.509 validator
 * 3168, its ClientHello kept and a server message gathered, 1861 and
 * 1024, a ticket to offer 584), in the same place as the BearSSL context of
 * 6952 that takes over when the server answers TLS 1.2), 40 bytes per write_ref
 * reference (cfg.max_refs, 8 by default) and 336 bytes of glue, each part
 * rounded up to 16.  The server's input buffer must hold a whole record: the
 * client decides whether records get smaller.  The last line is a client that
 * asks for 512-byte records with the max_fragment_length extension (RFC 6066
 * §4), which a server need not grant.  The last is a server whose record
 * buffers come from a zn_tls_bufpool while a record is in progress (see
 * "Record buffers lent"): its idle sessions cost no more.
 *
 * The stream's calls mean what znet/stream.h says, with these
 * differences:
 *
 * - zn_stream_peek() shows the rest of the current decrypted record, in
 *   place in the session's input buffer (no copy); zn_stream_consume()
 *   releases it, and the next record is decrypted once the current one is
 *   consumed.  zn_stream_readable() is what is left of that record.
 * - zn_stream_write() copies into records (sealed at once, one or more
 *   per call) and returns what it took; zn_stream_write_ref() keeps the
 *   caller's reference and encrypts from it as record space frees,
 *   calling release(arg) once every byte of it has been encrypted and
 *   handed to TCP (so the memory need not outlive the TCP send buffer:
 *   an mmap'ed file can be served with no copy of its own).  At most
 *   cfg.max_refs references wait per session; a copying write waits
 *   behind them (ZN_EAGAIN, then on_writable).
 * - zn_stream_shutdown() and zn_stream_close() send close_notify after
 *   everything queued, then TCP's FIN.  TLS 1.2 has no half-close (RFC
 *   5246 §7.2.1): once close_notify is sent the engine discards what the
 *   peer still sends, and reads return 0 when the peer's close_notify
 *   comes.  TLS 1.3 has (RFC 8446 §6.1): what the peer sends after our
 *   close_notify is still read, up to its own.  The peer's close_notify is
 * answered with ours, then a FIN; reads return 0 once what came before it has
 * been read.
 * - A TCP FIN from the peer after the handshake without a close_notify
 *   before it is a truncation (RFC 5246 §7.2.1, RFC 8446 §6.1): what was
 *   received before it stays readable, then reads return ZN_ETLS, and
 *   on_error(ZN_ETLS) comes with zn_tls_error() reporting
 *   ZN_TLS_FAIL_truncated.
 * - zn_stream_abort() resets the TCP connection and releases every
 *   pending reference before it returns, as zn_tcp_abort() does, and
 *   leaves no timer armed: a program that stops polling after it (at
 *   exit, before zn_stack_destroy()) may free the session's memory at
 *   once, without waiting for on_closed.
 * - Errors: ZN_ENOTCONN before the handshake is done; ZN_ETLS once the
 *   session failed (zn_tls_error() says why); the TCP errors of
 *   znet/tcp.h when the connection under it failed (ZN_ECONNRESET,
 *   ZN_ETIMEDOUT, ...); ZN_ETIMEDOUT also when the handshake takes longer
 *   than cfg.handshake_timeout_ms.  After a failure the session lets go
 *   of its TCP connection by itself, so that a failed handshake never
 *   holds a slot of the stack's table in TIME_WAIT: a reset; a close
 *   when the peer's FIN came first; after a fatal alert of its own, up
 *   to 2 s for the peer to close first, then a reset.  A failure after
 *   zn_stream_close() is counted but not told (no callback comes after
 *   it).  zn_stream_close() is still needed, and on_closed follows it.
 *
 * Usage (a server; every session of it shares one configuration):
 *
 *     struct zn_tls_config cfg;
 *     zn_tls_config_default(&cfg, ZN_TLS_SERVER);
 *     cfg.creds = creds;                  // zn_tls_creds_init()
 *     cfg.stats = &stats;
 *     ...
 *     void *mem = malloc(zn_tls_conn_size(&cfg));   // per connection
 *     struct zn_stream *s;
 *     zn_tls_server_start(&cfg, st, accepted, &my_cbs, me, mem,
 *                         zn_tls_conn_size(&cfg), &s);
 *     // on_closed(s): free(mem)
 */
#ifndef ZNET_TLS_H
#define ZNET_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "znet/stream.h"

struct zn_stack;
struct zn_tcp_conn;

/** The cipher suites offered and accepted: X(name, IANA number, name in
 * OpenSSL's spelling, protocol version).  The TLS 1.2 ones are RFC 8422's
 * and RFC 7905's (ECDHE, signed with ECDSA or RSA); the TLS 1.3 ones RFC
 * 8446 §B.4's (the key exchange and signature are negotiated apart).
 * Each is one bit of zn_tls_config.suites, in this order. */
#define ZN_TLS_SUITES(X)                                                       \
  X(ECDHE_ECDSA_AES_128_GCM_SHA256, 0xC02B, "ECDHE-ECDSA-AES128-GCM-SHA256",   \
    0x0303)                                                                    \
  X(ECDHE_ECDSA_AES_256_GCM_SHA384, 0xC02C, "ECDHE-ECDSA-AES256-GCM-SHA384",   \
    0x0303)                                                                    \
  X(ECDHE_ECDSA_CHACHA20_POLY1305_SHA256, 0xCCA9,                              \
    "ECDHE-ECDSA-CHACHA20-POLY1305", 0x0303)                                   \
  X(ECDHE_RSA_AES_128_GCM_SHA256, 0xC02F, "ECDHE-RSA-AES128-GCM-SHA256",       \
    0x0303)                                                                    \
  X(ECDHE_RSA_AES_256_GCM_SHA384, 0xC030, "ECDHE-RSA-AES256-GCM-SHA384",       \
    0x0303)                                                                    \
  X(ECDHE_RSA_CHACHA20_POLY1305_SHA256, 0xCCA8, "ECDHE-RSA-CHACHA20-POLY1305", \
    0x0303)                                                                    \
  X(AES_128_GCM_SHA256, 0x1301, "TLS_AES_128_GCM_SHA256", 0x0304)              \
  X(AES_256_GCM_SHA384, 0x1302, "TLS_AES_256_GCM_SHA384", 0x0304)              \
  X(CHACHA20_POLY1305_SHA256, 0x1303, "TLS_CHACHA20_POLY1305_SHA256", 0x0304)

/** Bit numbers of the suites in zn_tls_config.suites. */
enum zn_tls_suite_bit {
#define ZN_TLS_SUITE_BIT_(name, id, text, version) ZN_TLS_SUITE_BIT_##name,
  ZN_TLS_SUITES(ZN_TLS_SUITE_BIT_)
#undef ZN_TLS_SUITE_BIT_
      ZN_TLS_NSUITES
};

/** One suite as a zn_tls_config.suites mask:
 * ZN_TLS_SUITE(ECDHE_RSA_AES_128_GCM_SHA256). */
#define ZN_TLS_SUITE(name) (1u << ZN_TLS_SUITE_BIT_##name)
/** Every suite of the policy (what 0 in zn_tls_config.suites means). */
#define ZN_TLS_SUITES_ALL ((1u << ZN_TLS_NSUITES) - 1u)

/** The suite's OpenSSL name ("ECDHE-RSA-AES128-GCM-SHA256",
 * "TLS_AES_128_GCM_SHA256") from its IANA number; NULL for one not in
 * ZN_TLS_SUITES. */
const char *zn_tls_suite_name(uint16_t iana);

/** Why a session failed: X(name, text).  zn_tls_error() reports one; the
 * counters count each (ZN_TLS_STAT_failed_<name>). */
#define ZN_TLS_FAILURES(X)                                                     \
  X(version, "protocol version is neither TLS 1.3 nor TLS 1.2")               \
  X(no_shared_cipher, "no cipher suite (or curve) in common")                  \
  X(handshake, "handshake failure")                                            \
  X(bad_cert, "bad certificate")                                               \
  X(name_mismatch, "certificate does not match the server name")               \
  X(cert_expired, "certificate expired or not yet valid")                      \
  X(unknown_ca, "certificate not issued by a trusted CA")                      \
  X(bad_mac, "bad record MAC")                                                 \
  X(protocol, "protocol error: a malformed or unexpected message")             \
  X(alert, "the peer sent a fatal alert")                                      \
  X(truncated, "connection closed without close_notify (truncation)")          \
  X(peer_closed, "connection closed during the handshake")                     \
  X(timeout, "handshake or closing timed out")                                 \
  X(tcp, "the TCP connection failed (reset, timed out, unreachable)")          \
  X(internal, "internal error (engine state, configuration)")

enum zn_tls_failure {
  ZN_TLS_FAIL_none = 0,
#define ZN_TLS_FAIL_ENUM_(name, text) ZN_TLS_FAIL_##name,
  ZN_TLS_FAILURES(ZN_TLS_FAIL_ENUM_)
#undef ZN_TLS_FAIL_ENUM_
      ZN_TLS_NFAILURES
};

/** "name_mismatch" etc.; "none" for 0, "?" for a bad value. */
const char *zn_tls_failure_name(int f);
/** "certificate does not match the server name" etc.; "no failure" for
 * 0, "?" for a bad value. */
const char *zn_tls_failure_text(int f);

/** Counters of every session made with one configuration (or several
 * sharing a struct zn_tls_stats): X(name, text). */
#define ZN_TLS_STATS(X)                                                        \
  X(sessions, "sessions started (server and client)")                          \
  X(handshakes_ok, "handshakes completed")                                     \
  X(handshakes_tls13, "handshakes completed with TLS 1.3")                     \
  X(handshakes_hrr, "TLS 1.3 handshakes completed after a HelloRetryRequest")  \
  X(handshakes_resumed, "TLS 1.3 handshakes that resumed a session (ticket)")  \
  X(tickets_offered, "TLS 1.3 tickets a client offered (cfg.resume)")          \
  X(tickets_kept, "TLS 1.3 tickets a client kept (cfg.resume)")                \
  X(tickets_too_long, "TLS 1.3 tickets a client did not keep: too long")       \
  X(handshakes_stapled, "TLS 1.3 handshakes whose certificate carried OCSP")   \
  X(handshakes_failed, "handshakes that failed (reasons: failed_*)")           \
  X(alerts_sent, "fatal alerts sent")                                          \
  X(alerts_received, "fatal alerts received")                                  \
  X(close_notify_sent, "close_notify alerts sent")                             \
  X(close_notify_received, "close_notify alerts received")                     \
  X(records_in, "records received")                                            \
  X(records_out, "records sent")                                               \
  X(bytes_in, "application bytes received (decrypted)")                        \
  X(bytes_out, "application bytes sent (before encryption)")                   \
  X(wire_bytes_in, "TLS bytes received from TCP")                              \
  X(wire_bytes_out, "TLS bytes handed to TCP")                                 \
  X(buf_waits, "times a session waited for record buffers (bufpool)")          \
  X(buf_partial, "records lent buffers before TCP held all of them "           \
                 "(TCP would not: bufpool)")                                   \
  X(bad_headers, "record headers refused before buffers were lent (bufpool)")

/** Counter indices: ZN_TLS_STAT_<name> for each of ZN_TLS_STATS, then
 * ZN_TLS_STAT_failed_<name> for each of ZN_TLS_FAILURES (sessions that
 * failed for that reason, during the handshake or after it). */
enum zn_tls_stat {
#define ZN_TLS_STAT_ENUM_(name, text) ZN_TLS_STAT_##name,
  ZN_TLS_STATS(ZN_TLS_STAT_ENUM_)
#undef ZN_TLS_STAT_ENUM_
#define ZN_TLS_STAT_FAIL_(name, text) ZN_TLS_STAT_failed_##name,
      ZN_TLS_FAILURES(ZN_TLS_STAT_FAIL_)
#undef ZN_TLS_STAT_FAIL_
          ZN_TLS_NSTATS
};

struct zn_tls_stats {
  uint64_t v[ZN_TLS_NSTATS]; /**< indexed by enum zn_tls_stat */
};

/** "handshakes_ok", "failed_name_mismatch"; "?" for a bad index. */
const char *zn_tls_stat_name(int i);
/** What the counter counts; "?" for a bad index. */
const char *zn_tls_stat_text(int i);

enum zn_tls_role {
  ZN_TLS_SERVER = 1,
  ZN_TLS_CLIENT = 2,
};

/* ---- credentials, trust anchors, session cache --------------------------
 */

/** A server's certificate chain and private key, decoded. */
struct zn_tls_creds;
/** A client's trust anchors, decoded. */
struct zn_tls_anchors;
/** A server's session cache (session IDs, RFC 5246 §7.4.1.2). */
struct zn_tls_session_cache;

/** The memory zn_tls_creds_init() needs for this chain and key.
 *
 * chain_pem: the certificate chain, PEM ("-----BEGIN CERTIFICATE-----"
 * blocks), the server's own certificate first, then the intermediates.
 * key_pem: its private key, PEM, unencrypted: "EC PRIVATE KEY" (SEC 1),
 * "RSA PRIVATE KEY" (PKCS #1) or "PRIVATE KEY" (PKCS #8); an EC key on
 * P-256 or P-384, or an RSA key of 2048 to 4096 bits.  Text outside the
 * PEM blocks is ignored.
 *
 * Returns ZN_OK and *mem_size, or: ZN_EINVAL (no certificate, no key,
 * more than one key, a block that does not decode), ZN_ENOTSUP (a key
 * type or size outside the policy), ZN_ETLS (the key is not the
 * certificate's).  *why (if why is not NULL) is then a short text saying
 * which, else NULL. */
int zn_tls_creds_measure(const void *chain_pem, size_t chain_len,
                         const void *key_pem, size_t key_len, size_t *mem_size,
                         const char **why);

/** Decode chain and key into [mem, mem+len) (aligned as malloc aligns),
 * which stays the credentials' until no configuration uses them.  The
 * PEM text may go once this returns (the decoding state is wiped, the
 * key is in mem only: zn_wipe() mem, and the PEM, to erase it).
 * Errors: those of zn_tls_creds_measure(), and ZN_ENOMEM (len too
 * small). */
int zn_tls_creds_init(const void *chain_pem, size_t chain_len,
                      const void *key_pem, size_t key_len, void *mem,
                      size_t len, struct zn_tls_creds **out, const char **why);

/** True for an EC key, false for RSA. */
bool zn_tls_creds_is_ec(const struct zn_tls_creds *c);
/** Certificates in the chain. */
uint32_t zn_tls_creds_chain_len(const struct zn_tls_creds *c);

/** The longest OCSP response zn_tls_creds_set_ocsp() takes, bytes: what
 * RFC 8446 §4.4.2's CertificateEntry has room for (its extensions are
 * <0..2^16-1>: 65535 less the extension's type and length, the status
 * type and the response's 3-byte length).  Real responses are 1 to 4
 * KiB. */
#define ZN_TLS_OCSP_MAX 65527u

/** OCSP stapling (RFC 8446 §4.4.2.1, RFC 6066 §8, RFC 6960): der, len
 * bytes of a DER OCSPResponse the operator fetched for the chain's first
 * certificate, is sent to each TLS 1.3 client whose ClientHello asks
 * with status_request (status_type ocsp), in the status_request
 * extension of the Certificate message's first entry;
 * handshakes_stapled counts them.  der NULL or len 0: none (the
 * default; a client that asks then gets no response, as RFC 6066 §8
 * allows).
 *
 * The check is cheap, not a validation: the bytes must be one DER
 * SEQUENCE whose length is exactly len, holding responseStatus
 * successful (ENUMERATED 0) then responseBytes ([0], to the end), and
 * len at most ZN_TLS_OCSP_MAX.  The signature, the certificate the
 * response is for and its thisUpdate/nextUpdate are not looked at: the
 * client checks them, and refreshing a response before it goes stale is
 * the operator's (fetch a new one, call this again).
 *
 * The bytes stay the caller's: the credentials point at them and each
 * handshake sends them from there (no copy).  A handshake takes the
 * pointer and length at the moment it writes its Certificate (right
 * after the ClientHello), and reads the bytes until its flight is in
 * records, which is before it ends (opens, or fails).  So the call may
 * come while sessions run (from the thread that polls their stack, as
 * every call; it replaces one pointer and one length), and handshakes
 * begun before it go on with the previous response; the previous bytes
 * must stay unchanged until they are done: for cfg.handshake_timeout_ms
 * after the call (the handshake timer starts with the session), or,
 * with a timeout of 0, until no session started before the call is
 * still handshaking.  Resumed handshakes send no certificate, so no
 * response.
 *
 * TLS 1.2 sessions are not stapled: their handshake is BearSSL 0.6's,
 * which ignores the ClientHello's status_request (its extension switch
 * in ssl_hs_server.t0 skips it), writes the ServerHello's extensions
 * itself (renegotiation_info, max_fragment_length and ALPN only, so the
 * empty status_request answer RFC 6066 §8 requires before a
 * CertificateStatus cannot be added) and has no CertificateStatus
 * message (type 22) in its flight, nor a hook to add one.  A TLS 1.2
 * client that asks gets no response, which RFC 6066 §8 allows.
 *
 * Returns ZN_OK, or ZN_EINVAL (creds NULL, der NULL with len > 0, len
 * over ZN_TLS_OCSP_MAX, bytes not as above, a response not successful:
 * tryLater and the like are not worth sending); on error the
 * credentials keep the response they had. */
int zn_tls_creds_set_ocsp(struct zn_tls_creds *creds, const void *der,
                          size_t len);

/** The memory zn_tls_anchors_init() needs for a bundle of CA
 * certificates in PEM (as /etc/ssl/certs/ca-certificates.crt is): each
 * becomes a trust anchor, its subject name and public key, flagged as a
 * CA if its basic constraints say so (a certificate without that flag is
 * trusted as the server's own).  Certificates with a key other than RSA
 * or EC are skipped (*skipped, if not NULL, counts them).  Errors:
 * ZN_EINVAL (no usable certificate, a block that does not decode). */
int zn_tls_anchors_measure(const void *pem, size_t len, size_t *mem_size,
                           uint32_t *skipped, const char **why);

/** Decode the bundle into [mem, mem+len) (aligned as malloc aligns).
 * Errors: those of zn_tls_anchors_measure(), and ZN_ENOMEM. */
int zn_tls_anchors_init(const void *pem, size_t len, void *mem, size_t mem_len,
                        struct zn_tls_anchors **out, const char **why);

/** Trust anchors held. */
uint32_t zn_tls_anchors_count(const struct zn_tls_anchors *a);

/** A pool of record buffer pairs that sessions borrow while a record is
 * in progress (zn_tls_config.bufpool), so that an idle session holds
 * none: see "Record buffers lent" below. */
struct zn_tls_bufpool;

/** TLS 1.3 session tickets (RFC 8446 §4.6.1): stateless, each the
 * resumption secret sealed (AES-256-GCM) under a key the server derives
 * from its secret for each period of `lifetime` seconds, accepted while
 * the key of its period is the current one or the one before and while
 * its age is within the lifetime; for the server name it was issued
 * for only.  A resumed handshake sends no certificate and still does a
 * fresh (EC)DHE (psk_dhe_ke only).  The age is measured with the stack's
 * clock, so tickets live as long as the process that issued them.
 * 0-RTT is not offered (the tickets carry no early_data): replay
 * protection would need state that a unikernel would lose on restart. */
struct zn_tls_tickets;

/** The longest lifetime RFC 8446 §4.6.1 allows: 7 days. */
#define ZN_TLS_TICKET_LIFETIME_MAX 604800u

/** Bytes zn_tls_tickets_init() needs. */
size_t zn_tls_tickets_mem_size(void);

/** Ticket keys from secret (32 bytes: from zn_random_bytes(), or the
 * operator's), tickets valid for lifetime_s seconds (1..7 days), in
 * [mem, mem+len) (aligned as malloc aligns); zn_wipe() mem to retire
 * them.  Errors: ZN_EINVAL (a NULL, a lifetime out of range, mem
 * unaligned), ZN_ENOMEM (len too small). */
int zn_tls_tickets_init(void *mem, size_t len, const uint8_t secret[32],
                        uint32_t lifetime_s, struct zn_tls_tickets **out);

/** A client's TLS 1.3 tickets (RFC 8446 §4.6.1), in the caller's memory,
 * shared by the client sessions of the configurations that name it
 * (zn_tls_config.resume).  A session keeps each ticket its server sends,
 * under the name it connected to, with the secret it resumes; the next
 * session to that name takes the newest one alive and offers it
 * (pre_shared_key with psk_dhe_ke: a fresh (EC)DHE too).  A ticket is
 * offered once (§C.4: one used twice links the two connections); a
 * session that resumes gets new ones.  The store holds `entries`
 * tickets, the oldest out first; a ticket longer than
 * ZN_TLS_RESUME_TICKET_MAX is not kept (counted, tickets_too_long).
 * Ages are measured on the stack's clock from the start of the session
 * that got the ticket, so the age a client gives runs ahead of the
 * server's by that handshake's duration.  TLS 1.2 sessions are not
 * resumed by a client. */
struct zn_tls_resume;

/** The longest ticket kept, bytes (servers send 100 to 300). */
#define ZN_TLS_RESUME_TICKET_MAX 512u

/** Bytes zn_tls_resume_init() needs for `entries` tickets (about 640
 * bytes each, plus a header). */
size_t zn_tls_resume_mem_size(uint32_t entries);

/** A client ticket store of `entries` tickets in [mem, mem+len) (aligned
 * as malloc aligns).  Errors: ZN_EINVAL (a NULL, entries 0 or above
 * 65536, mem unaligned), ZN_ENOMEM (len too small). */
int zn_tls_resume_init(void *mem, size_t len, uint32_t entries,
                       struct zn_tls_resume **out);

/** Tickets held now (alive or not). */
uint32_t zn_tls_resume_count(const struct zn_tls_resume *r);

/** Bytes zn_tls_session_cache_init() needs for `entries` sessions (100
 * bytes each, plus a header). */
size_t zn_tls_session_cache_mem_size(uint32_t entries);

/** A server session cache (least recently used out first) in [mem,
 * mem+len), shared by every session of the configurations that name it;
 * an abbreviated handshake (RFC 5246 §7.3) then resumes a cached session.
 * Errors: ZN_EINVAL (entries 0), ZN_ENOMEM (len too small). */
int zn_tls_session_cache_init(void *mem, size_t len, uint32_t entries,
                              struct zn_tls_session_cache **out);

/* ---- configuration --------------------------------------------------------
 */

/** Server: one more certificate chain, for the clients that name this
 * server (RFC 6066 server_name): name is a DNS name ("example.com") or a
 * wildcard of one leftmost label ("*.example.com": "a.example.com", not
 * "example.com" nor "a.b.example.com"), matched without regard to case.
 * The first entry that matches wins; a client that names none of them,
 * or no name, gets cfg.creds.  The names are the operator's: the library
 * does not read them from the certificates. */
struct zn_tls_sni {
  const char *name;
  const struct zn_tls_creds *creds;
};

/** Entries a configuration's SNI table may hold. */
#define ZN_TLS_SNI_MAX 64

/** Record buffers.  The input buffer holds one whole received record:
 * 16384 bytes of plaintext plus 325 of overhead (header, explicit IV,
 * MAC, padding: what any TLS 1.2 record may carry). */
#define ZN_TLS_IN_BUF_DEFAULT 16709u
/** The output buffer holds one record being built: 16384 + 85. */
#define ZN_TLS_OUT_BUF_DEFAULT 16469u
/** The smallest output buffer: 512 bytes of plaintext per record, + 85. */
#define ZN_TLS_OUT_BUF_MIN 597u
/** The smallest input buffer (clients only): 512 + 325. */
#define ZN_TLS_IN_BUF_MIN 837u

/** ALPN names a configuration may hold. */
#define ZN_TLS_ALPN_MAX 8

/** Seconds since the Unix epoch (the wall clock), 0 if unknown. */
typedef uint64_t (*zn_tls_clock_fn)(void *arg);

/** What every session made with it shares; read-only once sessions use
 * it (but for the credentials' OCSP response, zn_tls_creds_set_ocsp()),
 * and it (with what it points to) must outlive them. */
struct zn_tls_config {
  enum zn_tls_role role;
  /** Suites to offer (client) or accept (server), as ZN_TLS_SUITE() bits;
   * 0 means ZN_TLS_SUITES_ALL.  Only narrows the policy. */
  uint32_t suites;
  /** Input record buffer, bytes.  A server's must be
   * ZN_TLS_IN_BUF_DEFAULT or more.  A client's may be smaller (down to
   * ZN_TLS_IN_BUF_MIN): it then asks the server for smaller records
   * (max_fragment_length, RFC 6066 §4), and fails with
   * ZN_TLS_FAIL_protocol if the server sends larger ones anyway. */
  uint32_t in_buf;
  /** Output record buffer, bytes, ZN_TLS_OUT_BUF_MIN or more: records
   * carry at most its size less 85 bytes of plaintext (rounded down to
   * 512, 1024, 2048, 4096 or 16384).  Smaller saves memory per session
   * and costs 21 to 29 bytes and one AEAD call per record: 5.7% more on
   * the wire with 512-byte records, 0.2% with 16384.  A client's smaller
   * buffer also asks the server for smaller records. */
  uint32_t out_buf;
  /** zn_stream_write_ref() references waiting per session (1..1024). */
  uint32_t max_refs;
  /** A handshake not done in this long fails (ZN_ETIMEDOUT,
   * ZN_TLS_FAIL_timeout) and its TCP connection is reset; 0: never. */
  uint32_t handshake_timeout_ms;
  /** After zn_stream_close(), the session waits this long for its
   * queued data, close_notify and FIN to go, then resets; 0: never. */
  uint32_t close_timeout_ms;
  /** ALPN (RFC 7301): protocol names, most preferred first ("http/1.1",
   * "dot"; at most ZN_TLS_ALPN_MAX, each 1..255 bytes); NULL or nalpn 0:
   * none.  A client offers them, a server picks
   * the first of its own the client offers (none in common: no ALPN). */
  const char *const *alpn;
  uint32_t nalpn;
  /** Server: the certificate chain and key (required): the default. */
  const struct zn_tls_creds *creds;
  /** Server: chains chosen by the name the client asks for (TLS 1.3 and
   * TLS 1.2 alike), nsni entries (at most ZN_TLS_SNI_MAX); NULL or 0:
   * cfg.creds for every client. */
  const struct zn_tls_sni *sni;
  uint32_t nsni;
  /** Server: a session cache, or NULL for none. */
  struct zn_tls_session_cache *cache;
  /** Server: TLS 1.3 session tickets, or NULL for none. */
  const struct zn_tls_tickets *tickets;
  /** Client: TLS 1.3 tickets kept and offered again (zn_tls_resume_init),
   * or NULL: none (psk_key_exchange_modes is then not offered, so a
   * server sends none). */
  struct zn_tls_resume *resume;
  /** Client: the trust anchors the server's chain must lead to
   * (required). */
  const struct zn_tls_anchors *anchors;
  /** Client: the wall clock certificates are checked against (required:
   * a session does not start while it returns 0). */
  zn_tls_clock_fn clock;
  void *clock_arg;
  /** Where the sessions count; NULL: nowhere. */
  struct zn_tls_stats *stats;
  /** Record buffers lent by this pool (zn_tls_bufpool_init(), its
   * buffers at least in_buf and out_buf bytes) instead of held by each
   * session: a session's block (zn_tls_conn_size()) then has none.
   * NULL: every session has its own. */
  struct zn_tls_bufpool *bufpool;
};

/** Defaults: the role, every suite, the default buffers, 8 references,
 * 10000 ms to handshake, 10000 ms to close, no ALPN, nothing else. */
void zn_tls_config_default(struct zn_tls_config *cfg, enum zn_tls_role role);

/** Bytes one session made with cfg needs (see the table above), or 0 if
 * cfg is invalid (a role other than the two, buffers outside their
 * bounds, max_refs outside 1..1024, suites outside the policy, a server
 * without creds, a client without anchors or clock). */
size_t zn_tls_conn_size(const struct zn_tls_config *cfg);

/* ---- record buffers lent ---------------------------------------------------
 */

/** Record buffers lent (zn_tls_config.bufpool).  Most of a session's
 * bytes are its two record buffers, each sized for a whole 16 KiB
 * record, and a connection kept alive between requests uses neither.
 * With a buffer pool a session borrows a pair (one input, one output
 * buffer) when it has a record to work on, and gives it back when the
 * engine is between records with nothing buffered: no byte of the next
 * record received, no decrypted plaintext left unread, nothing written
 * and not yet encrypted, no encrypted byte not yet taken by TCP.  An
 * idle session then costs its engine's state (keys, sequence numbers)
 * and the glue: 4880 bytes for a server, against 38069 with its own
 * buffers (x86-64; tests/tls/test_tls_bufpool.c checks it).
 *
 * - A pair is taken for a record received only once TCP holds all of
 *   it (its 5-byte header says how long it is), so a peer that sends a
 *   record a byte at a time, or stops halfway, holds none meanwhile: the
 *   bytes wait in TCP's receive queue.  So is a server's pair for the
 *   client's first record (its ClientHello): a connection that sends
 *   nothing, or part of a hello, holds none.  A client session takes
 *   its pair at once.  Each keeps its pair until the handshake is done.
 * - Unless TCP will not hold all of the record before it is read: its
 *   receive window (zn_tcp_info.rcv_wnd: the connection's rcvbuf, its
 *   share of the stack's buffers) below the rest of the record and below
 *   a segment, or the peer's FIN behind it.  Then the pair is taken for
 *   the part TCP holds (counted, buf_partial), so that the session moves
 *   whatever TCP's bounds are.
 * - A FIN needs no pair.  A header the engine would refuse (not TLS 1.x,
 *   a version other than the one agreed, a length beyond what the suite
 *   or the input buffer allows; before the handshake, a type it does not
 *   take) fails the session before a pair is taken, as the engine would
 *   have failed on it (the same zn_tls_error()), and resets the TCP
 *   connection, dropping what it holds; bad_headers counts them.
 * - A failed session gives its pair back once the plaintext that came
 *   before the failure has been read.
 * - When no pair is free, a session waits in a queue, first come first
 *   served, and does not read from TCP: the bytes stay in TCP's receive
 *   queue and its window closes (nothing is lost); a write returns
 *   ZN_EAGAIN and on_writable follows.  A pair given back goes straight
 *   to the first waiter, which carries on at the next poll.  The
 *   buf_waits counter counts the waits.
 * - Sizing: a pair is held while a record is on its way, in or out, so
 *   the pool needs as many pairs as sessions move records at once, not
 *   as sessions are open; a session's handshake, a record TCP has not
 *   taken yet (a response larger than TCP's send buffer) and plaintext
 *   the application leaves unread hold one.  An application that
 *   keeps one session's plaintext unread (a view of zn_stream_peek())
 *   while it waits to write to another session of the same pool needs
 *   two pairs free for that, or it waits for itself.
 * - The sessions of several configurations may share one pool (buffers
 *   at least as large as each configuration's).  Under AddressSanitizer
 *   a free pair is poisoned, and a session that holds none points its
 *   engine at no buffer, so any use of a lent buffer after its return
 *   is caught. */

/** Bytes zn_tls_bufpool_init() needs for n pairs of buffers of in_buf
 * and out_buf bytes; 0 if n is 0 or a size is outside the bounds of
 * zn_tls_config's (ZN_TLS_IN_BUF_MIN.., ZN_TLS_OUT_BUF_MIN.., 65536 at
 * most). */
size_t zn_tls_bufpool_mem_size(uint32_t n, uint32_t in_buf, uint32_t out_buf);

/** A pool of n buffer pairs in [mem, mem+len) (aligned as malloc
 * aligns), which stays the pool's until no session of a configuration
 * naming it is left.  Errors: ZN_EINVAL (n 0, a size out of bounds, mem
 * misaligned), ZN_ENOMEM (len too small); *out untouched on error. */
int zn_tls_bufpool_init(void *mem, size_t len, uint32_t n, uint32_t in_buf,
                        uint32_t out_buf, struct zn_tls_bufpool **out);

/** What a buffer pool is doing. */
struct zn_tls_bufpool_info {
  uint32_t n;       /**< pairs */
  uint32_t in_use;  /**< pairs lent now */
  uint32_t peak;    /**< most pairs lent at once */
  uint32_t waiting; /**< sessions waiting for a pair now */
  uint64_t takes;   /**< pairs lent (a hand-over to a waiter counts) */
  uint64_t waits;   /**< times a session found no pair free */
};

/** Fill info for pool bp. */
void zn_tls_bufpool_get_info(const struct zn_tls_bufpool *bp,
                             struct zn_tls_bufpool_info *info);

/* ---- sessions -------------------------------------------------------------
 */

/** Start a server session on c, a connection from zn_tcp_accept(), in
 * [mem, mem+len) (len at least zn_tls_conn_size(cfg), aligned as malloc
 * aligns).  The session takes c's callbacks (c's userdata stays the
 * caller's), so c's events become the stream's; mem is the session's
 * until on_closed has returned, and c is the session's to close: use the
 * stream only.  The session turns Nagle's algorithm off on c (TCP_NODELAY):
 * it corks c while it writes records, so what leaves at the end is whole,
 * and a short record held for an ACK the peer delays would stall a
 * request behind the handshake's last flight by the peer's delayed-ACK
 * time.  *out is mem: the stream is the start of the block.  cb and arg
 * are the stream's callbacks (both may be NULL: none).  Errors: ZN_EINVAL (cfg
 * invalid, not a server configuration, mem misaligned), ZN_ENOMEM (len too
 * small), ZN_ENOTCONN (c is not established); on error c and mem are the
 * caller's again, c's callbacks unchanged. */
int zn_tls_server_start(const struct zn_tls_config *cfg, struct zn_stack *st,
                        struct zn_tcp_conn *c,
                        const struct zn_stream_callbacks *cb, void *arg,
                        void *mem, size_t len, struct zn_stream **out);

/** Start a client session on c (from zn_tcp_connect(): connecting, or
 * established), whose server must present a chain that leads to one of
 * cfg.anchors, is valid at cfg.clock's time and names server_name (a DNS
 * name, matched against the certificate's subjectAltName dNSName
 * entries, wildcards in the first label allowed, or its common name when
 * it has none; also sent as SNI, RFC 6066 §3).  IP address names are not
 * supported (BearSSL's X.509 engine matches DNS names only).  Otherwise
 * as zn_tls_server_start(); errors also ZN_EINVAL (server_name NULL,
 * empty, longer than 255 bytes or an IP address; the clock says 0).
 * With cfg.bufpool and no pair free, the session waits for one before
 * its ClientHello: server_name must then stay valid until on_open (or
 * on_closed). */
int zn_tls_client_start(const struct zn_tls_config *cfg, struct zn_stack *st,
                        struct zn_tcp_conn *c, const char *server_name,
                        const struct zn_stream_callbacks *cb, void *arg,
                        void *mem, size_t len, struct zn_stream **out);

/* ---- pools: sessions as a stream maker -----------------------------------
 */

struct zn_tls_pool_slot;

/** A fixed number of sessions of one configuration in the caller's
 * memory, as a struct zn_stream_maker (znet/stream.h): what a server
 * that serves plain TCP and TLS alike (the DNS forwarder's DNS over TLS,
 * the HTTP server) is given.  A server pool starts a server session on
 * each accepted connection; a client pool a client session checking
 * server_name on each connection opened.  A session's memory goes back
 * to the pool once its on_closed has returned. */
struct zn_tls_pool {
  struct zn_stream_maker maker; /**< what servers and clients are given */
  const struct zn_tls_config *cfg;
  struct zn_stack *st;
  const char *server_name; /**< clients: the name checked; NULL for servers */
  uint8_t *mem;
  size_t session_size, slot_size;
  struct zn_tls_pool_slot *free_list;
  uint32_t n, used;
  uint64_t refused; /**< connections no slot or no session was had for */
};

/** Bytes zn_tls_pool_init() needs for n sessions of cfg; 0 if cfg is
 * invalid or n is 0. */
size_t zn_tls_pool_mem_size(const struct zn_tls_config *cfg, uint32_t n);

/** A pool of n sessions of cfg on stack st in [mem, mem+len) (aligned as
 * malloc aligns); server_name for a client configuration (it must
 * outlive the pool), NULL for a server one.  cfg must outlive the pool.
 * Errors: ZN_EINVAL (cfg invalid, n 0, a server_name for a server or
 * none for a client, mem misaligned), ZN_ENOMEM (len too small). */
int zn_tls_pool_init(struct zn_tls_pool *p, const struct zn_tls_config *cfg,
                     struct zn_stack *st, const char *server_name, void *mem,
                     size_t len, uint32_t n);

/** True if s is a TLS session's stream. */
bool zn_tls_is_session(const struct zn_stream *s);

/** Why a session failed (ZN_TLS_FAIL_none while it has not). */
struct zn_tls_error_info {
  enum zn_tls_failure failure;
  int err;          /**< the error the stream reported: ZN_ETLS, or a
                         TCP error, ZN_ETIMEDOUT */
  int engine_code;  /**< the engine's own code (BearSSL's BR_ERR_*), 0 if
                         the failure was not the engine's */
  int alert;        /**< the fatal alert received or sent (RFC 5246
                         §7.2), -1 if none */
  bool alert_sent;  /**< alert is one we sent (false: the peer's) */
  const char *text; /**< zn_tls_failure_text(failure) */
};

/** What went wrong with session s (not a TLS stream: failure none). */
struct zn_tls_error_info zn_tls_error(const struct zn_stream *s);

/** What the handshake agreed on. */
struct zn_tls_info {
  bool open;              /**< the handshake is done */
  uint16_t version;       /**< 0x0304 (TLS 1.3) or 0x0303 (TLS 1.2) once
                               open, else 0 */
  uint16_t suite;         /**< IANA number, 0 before */
  const char *suite_name; /**< zn_tls_suite_name(suite), or NULL */
  const char *alpn;       /**< the protocol ALPN selected, or NULL */
  bool hello_retry;       /**< TLS 1.3: a HelloRetryRequest was sent */
  bool resumed;           /**< TLS 1.3: a ticket's session resumed (a
                               client: the ticket it offered) */
  int sni;                /**< server: the cfg.sni entry whose chain was
                               sent, -1 for cfg.creds */
  bool ocsp_stapled;      /**< TLS 1.3: an OCSP response was sent with
                               the certificate (zn_tls_creds_set_ocsp) */
};

/** Fill info for session s.  Errors: ZN_EINVAL (not a TLS stream). */
int zn_tls_get_info(const struct zn_stream *s, struct zn_tls_info *info);

#endif /* ZNET_TLS_H */
