/*
 * libznet-tls inside: the interface between the glue (tls.c: the stream,
 * TCP, timers, counters) and a TLS engine (tls_bearssl.c), and the
 * credentials' layout the engine reads (tls_pem.c writes it).
 *
 * An engine is a state machine over four buffers, BearSSL's model: the
 * glue copies ciphertext from TCP into the engine's record input
 * (recvrec), ciphertext the engine made from its record output (sendrec)
 * to TCP, and the application reads plaintext from the engine's
 * application input (recvapp) and writes into its application output
 * (sendapp).  Each buffer is offered with its length (NULL: not now) and
 * taken with an ack of what was used.  status() says which are offered
 * or that the engine is closed; last_error() why, if it failed.  Nothing
 * in the glue knows the engine's record or handshake formats beyond the
 * 5-byte record header (common to TLS 1.2 and 1.3), so a TLS 1.3 engine
 * is a second struct zn__tls_engine.
 */
#ifndef ZNET_TLS_INT_H
#define ZNET_TLS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "znet/tls.h"

/* Blocks the caller gives (sessions, credentials, pools) are aligned as
 * malloc aligns, and so is every piece cut from them. */
static inline size_t zn__tls_align_up(size_t n) {
  size_t a = _Alignof(max_align_t);
  return (n + a - 1) / a * a;
}

static inline bool zn__tls_aligned(const void *p) {
  return ((uintptr_t)p % _Alignof(max_align_t)) == 0;
}

/* status() bits; an engine reports CLOSED alone once it is done (cleanly
 * after close_notify both ways, or failed). */
enum {
  ZN__TLS_CLOSED = 1u << 0,
  ZN__TLS_SENDREC = 1u << 1, /* ciphertext to send */
  ZN__TLS_RECVREC = 1u << 2, /* room for ciphertext received */
  ZN__TLS_SENDAPP = 1u << 3, /* room for plaintext to send */
  ZN__TLS_RECVAPP = 1u << 4, /* plaintext received */
  /* A server's handshake done but for its NewSessionTickets, made and
   * not yet handed out (sendrec_buf makes their records): the glue may
   * let them wait for the application's answer (tls.c, hold_tickets). */
  ZN__TLS_TICKETS = 1u << 5,
};

/* One pair of record buffers: a session's own (in its block), or one of
 * a struct zn_tls_bufpool's, lent to a session while a record is in
 * progress (tls_bufpool.c). */
struct zn__tls_bufpair {
  uint8_t *ibuf, *obuf;         /* at least cfg.in_buf, cfg.out_buf bytes */
  struct zn__tls_bufpair *next; /* the pool's free list */
};

/* A session waiting for a pair of a pool: a queue, first come first
 * served. */
struct zn__tls_waiter {
  struct zn__tls_waiter *next;
  bool queued;
};

/* A pair, or NULL when none is free (the caller then waits). */
struct zn__tls_bufpair *zn__tls_bufpool_take(struct zn_tls_bufpool *bp);
/* Join the queue (once: a waiter already queued stays where it is). */
void zn__tls_bufpool_wait(struct zn_tls_bufpool *bp, struct zn__tls_waiter *w);
/* Leave the queue, if in it. */
void zn__tls_bufpool_cancel(struct zn_tls_bufpool *bp,
                            struct zn__tls_waiter *w);
/* Give a pair back.  If a session waits, the pair is now the first
 * waiter's, which is returned (off the queue) for the caller to hand it
 * to; else the pair is free again (poisoned under ASan) and NULL is
 * returned. */
struct zn__tls_waiter *zn__tls_bufpool_give(struct zn_tls_bufpool *bp,
                                            struct zn__tls_bufpair *pair);
/* True if take() would give a pair. */
bool zn__tls_bufpool_has_free(const struct zn_tls_bufpool *bp);
/* The sizes of the pool's buffers. */
void zn__tls_bufpool_sizes(const struct zn_tls_bufpool *bp, uint32_t *in_buf,
                           uint32_t *out_buf);

/* The ZN_TLS_SUITE() bit of a suite's IANA number, 0 if not ours. */
uint32_t zn__tls_suite_bit(uint16_t iana);
/* The ZN_TLS_SUITE() bits of one protocol version's suites (0x0303,
 * 0x0304). */
uint32_t zn__tls_suites_of(uint16_t version);
/* The IANA numbers of the suites of mask for one version, in
 * ZN_TLS_SUITES's order, into ids (ZN_TLS_NSUITES): how many. */
size_t zn__tls_suite_ids(uint32_t mask, uint16_t version, uint16_t *ids);

/* What a session is started with, besides the configuration. */
struct zn__tls_start {
  uint8_t *ibuf, *obuf;     /* record buffers, cfg.in_buf, cfg.out_buf */
  const uint8_t *seed;      /* entropy for the engine's DRBG */
  size_t seed_len;          /* at least 32 */
  uint64_t now;             /* wall clock, s since the epoch (clients) */
  uint64_t now_ms;          /* the stack's clock, ms (servers: tickets) */
  const char *server_name;  /* clients: SNI and the name checked */
  const struct zn_tls_creds *creds; /* servers: the chain (NULL: cfg's) */
  bool mark_downgrade; /* servers: RFC 8446 §4.1.3's sentinel in the
                          ServerHello.random (a TLS 1.3 server's TLS 1.2) */
};

/* A failure as the engine reads one of its error codes. */
struct zn__tls_verdict {
  enum zn_tls_failure failure;
  int alert;       /* -1: none */
  bool alert_sent;
};

struct zn__tls_engine {
  const char *name;
  /* Bytes of per-session state for a role. */
  size_t (*state_size)(enum zn_tls_role role);
  /* Set up a session in state (state_size bytes, aligned): policy,
   * credentials, buffers, entropy, then the first flight (a client's
   * ClientHello).  ZN_OK, or ZN_ETLS (the engine refused: its error in
   * last_error()). */
  int (*start)(void *state, const struct zn_tls_config *cfg,
               const struct zn__tls_start *p);
  unsigned (*status)(const void *state);
  uint8_t *(*sendrec_buf)(void *state, size_t *len);
  void (*sendrec_ack)(void *state, size_t len);
  uint8_t *(*recvrec_buf)(void *state, size_t *len);
  void (*recvrec_ack)(void *state, size_t len);
  /* The stack's clock (ms) as a record's bytes come in (recvrec_ack), for
   * the engine that dates what they carry (a ticket's arrival); NULL:
   * the engine keeps start's. */
  void (*set_clock)(void *state, uint64_t now_ms);
  uint8_t *(*sendapp_buf)(void *state, size_t *len);
  void (*sendapp_ack)(void *state, size_t len);
  uint8_t *(*recvapp_buf)(void *state, size_t *len);
  void (*recvapp_ack)(void *state, size_t len);
  /* True when no record is in progress either way: nothing received of
   * the next record, no plaintext left unread, none written and not yet
   * sealed, no record byte left to send.  Asked only once the handshake
   * is done; the record buffers may then be swapped (set_bufs). */
  bool (*idle)(const void *state);
  /* The engine's error code for a record that starts with this 5-byte
   * header, if it would refuse the record before its body is in (or, in
   * the clear, at its first byte); 0 if it would read on.  Reads no
   * buffer, so the glue asks it before it lends a pair for the record.
   * state NULL: a server whose engine has not started yet (the client's
   * first record). */
  int (*header_error)(const void *state, const uint8_t *hdr);
  /* Point the engine at other record buffers of the sizes it started
   * with (NULL, NULL: none, and no buffer call may come until others are
   * set).  Only while idle() or closed. */
  void (*set_bufs)(void *state, uint8_t *ibuf, uint8_t *obuf);
  /* Seal the plaintext written so far into a record. */
  void (*flush)(void *state);
  /* Send close_notify (after what is sealed). */
  void (*close)(void *state);
  /* The engine's error code once closed: 0 after an orderly close. */
  int (*last_error)(const void *state);
  /* What a code of last_error() means. */
  struct zn__tls_verdict (*verdict)(int code);
  /* A fatal alert the engine failed without sending, as a whole record
   * into out (cap bytes): its length, 0 for none.  The glue sends it
   * before its FIN. */
  size_t (*unsent_alert)(const void *state, int code, uint8_t *out,
                         size_t cap, int *alert);
  /* Version, suite and ALPN of an open session. */
  void (*info)(void *state, struct zn_tls_info *info);
};

extern const struct zn__tls_engine zn__tls_bearssl;
extern const struct zn__tls_engine zn__tls_tls13;

#endif /* ZNET_TLS_INT_H */
