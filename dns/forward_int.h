/*
 * Private to the forwarder.  Its files, each calling only those below it
 * (forward.c says what each holds):
 *
 *   forward.c  forward_tcp.c  forward_serve.c  forward_stream.c
 *   forward_pending.c  forward_answer.c
 */
#ifndef ZNET_DNS_FORWARD_INT_H
#define ZNET_DNS_FORWARD_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "znet/dns.h"
#include "znet/stream.h"
#include "znet/tcp.h"
#include "znet/timer.h"
#include "znet/udp.h"

#define FWD_BLOCK_TTL 60u        /* seconds, on local answers */
#define FWD_CACHE_MAX_TTL 86400u /* longer TTLs are cut to a day */
/* cfg.cache_msg_max: the range, and the default (DNS Flag Day 2020's EDNS
 * buffer size).  Every entry reserves room for the longest answer. */
#define FWD_CACHE_MSG_MIN 512u
#define FWD_CACHE_MSG_MAX 4096u
#define FWD_CACHE_MSG_DEFAULT 1232u
#define FWD_EDNS_UDP_SIZE 1232u  /* what we advertise (DNS flag day) */
#define FWD_LOCAL_MSG_MAX 512u   /* room for any local answer */
#define FWD_ID_TRIES 16          /* random IDs tried before giving up */
#define FWD_TCP_QUERY_MAX 4096u  /* longer TCP queries close the connection */
#define FWD_TCP_PIPELINE_MAX 16u /* queries in progress per TCP connection */
#define FWD_TCP_OUT_MAX (2u + ZN_DNS_MSG_MAX) /* answers waiting per client */
#define FWD_TCP_BACKLOG 64u
#define FWD_DOT_PORT 853u /* RFC 7858 3.1 */
#define FWD_US_MAX 16u    /* cfg.upstream_streams at most */
#define FWD_US_DEFAULT 2u
#define FWD_US_OUT_MAX 8192u     /* queries waiting per upstream stream */
#define FWD_US_PIPELINE_MAX 128u /* in flight per upstream stream */
#define FWD_US_BACKOFF_MIN_MS 1000u
#define FWD_US_BACKOFF_MAX_MS 64000u

/* Where an answer goes: a UDP client (address and port), or a TCP client
 * connection, named by its slot and the slot's generation so that an
 * answer for a connection that has gone (and whose slot serves another)
 * is recognized and dropped. */
enum { CL_UDP, CL_TCP };

struct fwd_client {
  uint8_t kind;
  struct zn_ip addr; /* CL_UDP */
  uint16_t port;
  uint32_t slot, gen; /* CL_TCP */
};

struct fwd_upconn;
struct fwd_ustream;

/* A query sent upstream and not yet answered.  Entries are kept in the
 * order they were sent, so the oldest is always at the head and one
 * timer (armed for the head) expires them all. */
struct fwd_pending {
  struct fwd_pending *prev, *next;
  uint64_t deadline;
  struct fwd_client cl;
  uint16_t client_max; /* largest answer the client takes */
  uint16_t orig_id, new_id;
  uint16_t qtype, qclass;
  uint8_t variant;
  bool rd, cd, edns, do_bit;
  struct zn_dns_name qname; /* as the client sent it */
  struct fwd_upconn *up;    /* asking again over TCP (TC), or NULL */
  struct fwd_ustream *via;  /* sent over this upstream stream, or NULL */
};

/* A DNS client over TCP (RFC 7766) or over a stream from the configured
 * maker (TLS, RFC 7858): its stream, the query being read,
 * the queries it has in progress, and the answers waiting for room in the
 * connection's send buffer (out[out_off..out_len), nout of them since the
 * buffer was last empty).  Slots come from a table of cfg.tcp_clients. */
struct fwd_tclient {
  struct zn_dns_forwarder *fw;
  struct zn_stream *s;           /* NULL: the slot is free */
  struct zn_tcp_stream ts;       /* s, for a plain TCP client */
  uint32_t gen;                  /* bumped when the slot is freed */
  struct zn_dns_tcp_decoder dec; /* into FWD_TCP_QUERY_MAX bytes */
  uint32_t inflight;             /* forwarded, not answered yet */
  uint8_t *out;                  /* FWD_TCP_OUT_MAX bytes */
  size_t out_off, out_len;
  uint32_t nout;
  bool eof, closing, in_read;
  struct zn_timer idle;
  struct zn_timer wake; /* a query of its ended: read on (due at once) */
  struct fwd_tclient *next_free;
};

/* A connection to the upstream asking a query again over TCP after its
 * UDP answer came back truncated (RFC 7766 5, RFC 1035 4.2.2): the query
 * with its length prefix, then the answer read through `dec`. */
struct fwd_upconn {
  struct zn_dns_forwarder *fw;
  struct zn_tcp_conn *c; /* NULL: the slot is free */
  struct fwd_pending *p; /* NULL once the query is done with */
  uint8_t q[2 + FWD_LOCAL_MSG_MAX];
  size_t qlen, qoff;
  struct zn_dns_tcp_decoder dec; /* into ZN_DNS_MSG_MAX bytes */
  struct fwd_upconn *next_free;
};

/* A persistent stream connection to the upstream (DoT), carrying any
 * number of queries (RFC 7766 6.2.1.1): the queries not yet taken by the
 * stream (out[out_off..out_len), length-prefixed), the answer being read,
 * how many are in flight.  When a connection may be tried again after
 * one failed to open is the forwarder's (us_retry_at): the upstream is
 * what failed, not the slot. */
enum { US_DOWN, US_OPENING, US_OPEN, US_CLOSING };

struct fwd_ustream {
  struct zn_dns_forwarder *fw;
  struct zn_stream *s; /* NULL: US_DOWN */
  uint8_t state;
  uint8_t *out; /* FWD_US_OUT_MAX bytes */
  size_t out_off, out_len;
  struct zn_dns_tcp_decoder dec; /* into ZN_DNS_MSG_MAX bytes */
  uint32_t inflight;
};

struct zn_dns_forwarder {
  struct zn_stack *st;
  struct zn_dns_forwarder_cfg cfg;
  struct zn_udp_sock *listen, *up;
  struct zn_tcp_conn *tlisten; /* the DNS port, plain TCP */
  struct zn_tcp_conn *slisten; /* cfg.stream_port, or NULL */
  struct zn_ip up_addr;
  uint16_t up_port, listen_port;
  uint16_t udp_port;      /* the upstream's over UDP (up_port unless
                             streams carry the queries: 53) */
  struct fwd_ustream *us; /* cfg.upstream_streams, or NULL */
  uint32_t us_backoff_ms; /* 0: the last one opened */
  uint64_t us_retry_at;
  uint64_t up_timeout_ns, tcp_idle_ns;
  struct zn_dns_cache *cache; /* NULL: cache_entries 0 */
  struct fwd_pending *pend;   /* cfg.pending_max entries */
  struct fwd_pending *free_pend;
  struct fwd_pending *oldest, *newest;
  uint32_t npending;
  uint16_t *by_id; /* 65536: entry index + 1, or 0 */
  struct zn_timer timer;
  struct fwd_tclient *tc; /* cfg.tcp_clients slots */
  uint32_t tc_active;
  struct fwd_tclient *free_tc;
  struct fwd_upconn *uc; /* cfg.upstream_tcp_max slots */
  struct fwd_upconn *free_uc;
  uint8_t *scratch; /* 2 + ZN_DNS_MSG_MAX: a TCP answer being built */
  struct zn_dns_forwarder_stats s;
};

/* What step 1 learned about a query. */
struct fwd_query {
  struct zn_dns_msg m;
  struct zn_dns_question q;
  struct zn_dns_cache_key key; /* the question, DO and CD */
  bool edns, do_bit;
  uint16_t client_max; /* largest answer the client takes */
};

static inline void zn__fwd_cache_key(struct zn_dns_cache_key *k,
                                     const struct zn_dns_name *n,
                                     uint16_t qtype, uint16_t qclass,
                                     uint8_t variant) {
  k->name = *n;
  k->qtype = qtype;
  k->qclass = qclass;
  k->variant = variant;
}

/* forward_answer.c */
void zn__fwd_send_to(struct zn_dns_forwarder *fw, struct zn_udp_sock *s,
                     const struct zn_ip *addr, uint16_t port, struct zn_buf *b);
struct fwd_tclient *zn__fwd_tclient_of(struct zn_dns_forwarder *fw,
                                       const struct fwd_client *cl);
void zn__fwd_tc_close(struct fwd_tclient *tc);
void zn__fwd_tc_flush(struct fwd_tclient *tc);
uint8_t *zn__fwd_reply_begin(struct zn_dns_forwarder *fw,
                             const struct fwd_client *cl, size_t max,
                             struct zn_buf **b);
void zn__fwd_reply_send(struct zn_dns_forwarder *fw,
                        const struct fwd_client *cl, struct zn_buf *b,
                        size_t len);
void zn__fwd_build_opt(struct zn_dns_builder *b, bool do_bit);
void zn__fwd_answer_local(struct zn_dns_forwarder *fw,
                          const struct fwd_client *cl,
                          const struct fwd_query *qr, uint8_t rcode, bool zero,
                          bool tc);
void zn__fwd_answer_pending(struct zn_dns_forwarder *fw,
                            const struct fwd_pending *p, uint8_t rcode,
                            bool tc);
void zn__fwd_answer_copy(struct zn_dns_forwarder *fw,
                         const struct fwd_pending *p, const uint8_t *msg,
                         size_t len);

/* forward_pending.c */
void zn__fwd_cache_put(struct zn_dns_forwarder *fw, const struct fwd_pending *p,
                       const struct zn_dns_msg *m, uint64_t now);
bool zn__fwd_question_is(const struct zn_dns_msg *m,
                         const struct fwd_pending *p);
struct fwd_pending *zn__fwd_pending_new(struct zn_dns_forwarder *fw,
                                        uint64_t now);
void zn__fwd_pending_done(struct zn_dns_forwarder *fw, struct fwd_pending *p);
void zn__fwd_fail_pending(struct zn_dns_forwarder *fw, struct fwd_pending *p);
void zn__fwd_expire_pending(struct zn_stack *st, struct zn_timer *t);

/* forward_stream.c */
bool zn__fwd_stream_send(struct zn_dns_forwarder *fw, struct fwd_pending *p,
                         const uint8_t *msg, size_t len);
void zn__fwd_stream_stop(struct zn_dns_forwarder *fw);

/* forward_serve.c */
bool zn__fwd_check_query(struct zn_dns_forwarder *fw,
                         const struct fwd_client *cl, const uint8_t *data,
                         size_t len, struct fwd_query *qr);
void zn__fwd_serve(struct zn_dns_forwarder *fw, const struct fwd_client *cl,
                   const struct zn_udp_dgram *d, const struct fwd_query *qr);

/* forward_tcp.c */
extern const struct zn_tcp_callbacks zn__fwd_listener_cbs;
void zn__fwd_tc_idle(struct zn_stack *st, struct zn_timer *t);
void zn__fwd_tc_wake(struct zn_stack *st, struct zn_timer *t);
bool zn__fwd_tcp_fallback(struct zn_dns_forwarder *fw, struct fwd_pending *p);
void zn__fwd_tcp_stop(struct zn_dns_forwarder *fw);

#endif /* ZNET_DNS_FORWARD_INT_H */
