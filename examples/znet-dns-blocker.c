/*
 * znet-dns-blocker: a forwarding DNS server that answers blocked names
 * itself (an ad blocker in the manner of Pi-hole), on UDP and TCP port 53.
 *
 *     znet-dns-blocker --upstream 10.0.0.1 --blocklist hosts.txt \
 *         --netif tap:zntap0 --ipv4 10.0.0.2/24 [--block-mode zero]
 *
 * A query goes through these steps, each with its counter:
 *
 *   1. Sanity.  A datagram too short for a header is dropped; so is a
 *      response (QR=1) sent to us, and anything sent to a broadcast
 *      address or from port 0.  An opcode other than QUERY gets NOTIMP;
 *      a QDCOUNT other than 1, a question or record that does not parse
 *      (zn_dns_msg_check) gets FORMERR.
 *   2. Blocked?  The name's suffixes are looked up label by label in a
 *      hash set of the blocklist ("ads.example.com" is blocked by itself,
 *      by "example.com" or by "com"): O(labels) lookups.  A blocked name
 *      is answered here: NXDOMAIN (the default), or with --block-mode
 *      zero 0.0.0.0 for A, :: for AAAA and no data for other types, with
 *      a short TTL and no SOA.
 *   3. Cached?  Answers are cached by (lower-cased name, type, class,
 *      and the query's DO and CD bits) for the smallest TTL in them,
 *      negative ones for their SOA's negative TTL (RFC 2308 5; without a
 *      SOA they are not cached).  The upstream's OPT record is not kept:
 *      a hit is served with the client's ID and question, our own OPT if
 *      the client sent one, and every TTL lowered by the time it spent
 *      cached.
 *   4. Forwarded.  The query goes to the upstream server over one UDP
 *      socket, its ID replaced by a fresh random one; a pending table
 *      maps that ID back to the client.  An answer is taken only from the
 *      upstream's address and port, with a pending ID and the same
 *      question; its ID is put back and it goes to the client.  A query
 *      the upstream does not answer within --upstream-timeout (5 s) gets
 *      SERVFAIL (see expire_pending for why not silence).  An answer
 *      with TC set is asked again over TCP (tcp_fallback), under the
 *      same ID; the whole answer is cached and goes to the client, or,
 *      if it is too big for a UDP client, an empty one with TC (the
 *      client then asks us over TCP, and the cache has it).
 *
 * DNS over TCP (RFC 1035 4.2.2, RFC 7766): the same port takes TCP
 * connections, each carrying any number of length-prefixed queries, sent
 * back to back without waiting (pipelining).  They go through the same
 * steps; answers go back with their length as they come, in any order.
 * At most TCP_PIPELINE_MAX queries per connection are in progress at
 * once: beyond, the connection is not read, so its window closes.  A
 * connection idle for --tcp-idle-timeout (10 s) is closed (RFC 7766
 * 6.2.3); the number of connections is the stack's (--tcp-conns).
 *
 * Zero copy where the bytes do not change size: a forwarded query or
 * answer is the received buffer itself, its ID rewritten in place and sent
 * back out with zn_udp_sendto_buf.  Local answers are built straight into
 * a send buffer.
 *
 * The blocklist matcher, the answer cache and the DNS-over-TCP framing
 * are the library's (znet/dns.h); this program wires them to the stack's
 * sockets and keeps the pending table.  Their memory is malloc'd here and
 * handed over; the stack still allocates nothing.  At exit the DNS
 * counters are printed (the main ones always, the others when not zero),
 * then the stack's own.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common.h"
#include "znet/dns.h"

#define PROG "znet-dns-blocker"
#define DEFAULT_CACHE 4096u
#define MAX_CACHE (1u << 20)
#define PENDING_MAX 1024u /* queries forwarded and unanswered */
#define DEFAULT_UPSTREAM_TIMEOUT_MS 5000u
#define BLOCK_TTL 60u        /* seconds, on local answers */
#define CACHE_MAX_TTL 86400u /* longer TTLs are cut to a day */
#define CACHE_MSG_MAX 4096u  /* longer answers are not cached */
#define EDNS_UDP_SIZE 1232u  /* what we advertise (DNS flag day) */
#define LOCAL_MSG_MAX 512u   /* room for any local answer */
#define ID_TRIES 16          /* random IDs tried before giving up */
#define WARN_MAX 5           /* blocklist warnings printed */
#define TCP_QUERY_MAX 4096u  /* longer TCP queries close the connection */
#define TCP_PIPELINE_MAX 16u /* queries in progress per TCP connection */
#define TCP_BACKLOG 64u
#define DEFAULT_TCP_IDLE_MS 10000u
#define UPSTREAM_TCP_MAX 64u /* TCP retries of truncated answers at once */

/* ---- counters ---------------------------------------------------------- */

/* One table gives the fields, their printed names, whether they are
 * printed when zero (the main ones) and what they mean. */
#define BLK_STATS(X)                                                           \
  X(received, 1, "datagrams and TCP messages to the DNS port")                 \
  X(queries, 1, "queries (QR=0) with a parsable header")                       \
  X(blocked, 1, "answered locally: name on the blocklist")                     \
  X(cache_hits, 1, "answered from the cache")                                  \
  X(cache_misses, 0, "not in the cache")                                       \
  X(forwarded, 1, "sent to the upstream")                                      \
  X(answered, 1, "upstream answers relayed to clients")                        \
  X(truncated, 0, "upstream UDP answers with TC (asked again over TCP)")      \
  X(truncated_for_client, 0,                                                   \
    "answers sent with TC: too big for a UDP client, or TCP failed")           \
  X(tcp_connections, 1, "TCP connections from clients")                       \
  X(tcp_queries, 1, "queries received over TCP")                               \
  X(tcp_answers, 0, "answers sent over TCP")                                   \
  X(tcp_idle_closed, 0, "TCP connections closed for idling")                   \
  X(tcp_bad_length, 0, "TCP connections closed: length prefix < 12 or > 4096") \
  X(tcp_answer_dropped, 0, "answers for TCP clients that had gone")            \
  X(tcp_refused, 0, "TCP connections reset: no client slot")                   \
  X(tcp_fallback, 1, "truncated upstream answers asked again over TCP")        \
  X(tcp_fallback_ok, 0, "... answered over TCP")                               \
  X(tcp_fallback_failed, 0,                                                    \
    "... failed (UDP client: TC sent; TCP client: SERVFAIL)")                  \
  X(tcp_fallback_busy, 0, "truncated answers not retried: no TCP slot")        \
  X(upstream_timeouts, 1, "forwarded queries never answered (SERVFAIL sent)")  \
  X(servfail, 0, "SERVFAIL sent (timeouts, pending table full, bad upstream)") \
  X(formerr, 1, "FORMERR sent: QDCOUNT != 1 or a part that does not parse")    \
  X(notimp, 0, "NOTIMP sent: opcode other than QUERY")                         \
  X(pending_full, 0, "queries refused: pending table full")                    \
  X(dropped, 1, "datagrams dropped, all reasons below")                        \
  X(dropped_short, 0, "dropped: shorter than a DNS header")                    \
  X(dropped_response, 0, "dropped: a response (QR=1) sent to the DNS port")    \
  X(dropped_bcast, 0, "dropped: sent to a broadcast address or from port 0")   \
  X(send_errors, 0, "answers the stack could not send")                        \
  X(upstream_mismatch, 0,                                                      \
    "upstream datagrams ignored: wrong source, ID or "                         \
    "question (late or forged)")                                               \
  X(upstream_malformed, 0, "upstream answers that did not parse")              \
  X(upstream_unreachable, 0, "ICMP errors from the upstream")                  \
  X(cache_inserts, 0, "answers stored in the cache")                           \
  X(cache_uncacheable, 0, "answers not cacheable (TTL 0, no SOA, TC, size)")   \
  X(cache_evictions, 0, "cache entries evicted to make room")                  \
  X(cache_expired, 0, "cache entries found expired")

struct blk_stats {
#define X(name, always, text) uint64_t name;
  BLK_STATS(X)
#undef X
};

/* ---- the blocklist ----------------------------------------------------- */

struct reject_ctx {
  const char *file;
  uint64_t shown;
};

/* The first WARN_MAX rejected tokens are shown. */
static void on_reject(void *arg, uint64_t line, const char *tok, size_t len) {
  struct reject_ctx *r = arg;
  if (r->shown++ < WARN_MAX)
    fprintf(stderr, PROG ": %s:%" PRIu64 ": skipping '%.*s' (not a host "
                    "name)\n", r->file, line, (int)len, tok);
}

/* The whole file in malloc'd *out (*len bytes; NULL if empty).  Returns
 * 0, or -1 (message printed) if it cannot be read. */
static int read_file(const char *file, char **out, size_t *len) {
  FILE *fp = fopen(file, "r");
  if (fp == NULL) {
    fprintf(stderr, PROG ": cannot read blocklist '%s': %s\n", file,
            strerror(errno));
    return -1;
  }
  char *text = NULL, *line = NULL;
  size_t cap = 0, lcap = 0;
  ssize_t got;
  *len = 0;
  while ((got = getline(&line, &lcap, fp)) >= 0) {
    if (*len + (size_t)got > cap) {
      size_t ncap = cap ? cap : 65536;
      while (ncap < *len + (size_t)got)
        ncap *= 2;
      char *more = realloc(text, ncap);
      if (more == NULL)
        break;
      text = more;
      cap = ncap;
    }
    memcpy(text + *len, line, (size_t)got);
    *len += (size_t)got;
  }
  bool err = ferror(fp) || got >= 0; /* got >= 0: out of memory */
  free(line);
  (void)fclose(fp); /* read only: ferror said what matters */
  if (err) {
    fprintf(stderr, PROG ": error reading blocklist '%s'\n", file);
    free(text);
    return -1;
  }
  *out = text;
  return 0;
}

/* The set of --blocklist's names and --block's, in malloc'd *mem; keyed
 * with a secret from the host, since the names looked up come from the
 * network.  Returns NULL (message printed) on failure. */
static struct zn_dns_blocklist *load_blocklist(const char *file,
                                               const char **block,
                                               size_t nblock, void **mem,
                                               struct zn_dns_blocklist_stats *ls) {
  size_t len = 0;
  char *text = NULL;
  struct zn_dns_blocklist *bl = NULL;
  uint8_t seed[32];
  struct zn_dns_blocklist_cfg cfg;
  memset(ls, 0, sizeof(*ls));
  *mem = NULL;
  if (file && read_file(file, &text, &len) != 0)
    return NULL;
  if (zn_host_seed(seed) != ZN_OK) {
    fprintf(stderr, PROG ": getrandom failed: %s\n", strerror(errno));
    free(text);
    return NULL;
  }
  zn_dns_blocklist_measure(text ? text : "", len, (uint32_t)nblock, &cfg);
  size_t need = zn_dns_blocklist_mem_size(&cfg);
  *mem = need ? malloc(need) : NULL;
  if (*mem == NULL || zn_dns_blocklist_init(&cfg, seed, *mem, need, &bl) != ZN_OK) {
    fprintf(stderr, PROG ": out of memory for the blocklist\n");
    free(text);
    return NULL;
  }
  struct reject_ctx rc = {.file = file, .shown = 0};
  if (text)
    (void)zn_dns_blocklist_parse(bl, text, len, ls, on_reject, &rc);
  rc.file = "--block";
  for (size_t i = 0; i < nblock; i++)
    if (zn_dns_blocklist_add_text(bl, block[i], strlen(block[i]), ls) ==
        ZN_EINVAL)
      on_reject(&rc, i + 1, block[i], strlen(block[i]));
  free(text);
  return bl;
}

/* ---- the server -------------------------------------------------------- */

/* Where an answer goes: a UDP client (address and port), or a TCP client
 * connection, named by its slot and the slot's generation so that an
 * answer for a connection that has gone (and whose slot serves another)
 * is recognized and dropped. */
enum { CL_UDP, CL_TCP };

struct client {
  uint8_t kind;
  uint32_t addr;      /* CL_UDP */
  uint16_t port;
  uint32_t slot, gen; /* CL_TCP */
};

struct upconn;

/* A query sent upstream and not yet answered.  Entries are kept in the
 * order they were sent, so the oldest is always at the head and one
 * timer (armed for the head) expires them all. */
struct pending {
  struct pending *prev, *next;
  bool used;
  uint64_t deadline;
  struct client cl;
  uint16_t client_max; /* largest answer the client takes */
  uint16_t orig_id, new_id;
  uint16_t qtype, qclass;
  uint8_t variant;
  bool rd, cd, edns, do_bit;
  struct zn_dns_name qname; /* as the client sent it */
  struct upconn *up;        /* asking again over TCP (TC), or NULL */
};

/* An answer waiting for room in a TCP client's send buffer: its length
 * prefix and bytes, `off` of them already written. */
struct outmsg {
  struct outmsg *next;
  size_t len, off;
  uint8_t data[];
};

/* A DNS client over TCP (RFC 7766): its connection, the length prefix and
 * query being read, the queries it has in progress, and the answers
 * waiting to be written.  Slots come from a table of cfg.tcp_conns. */
struct tclient {
  struct blocker *bk;
  struct zn_tcp_conn *c; /* NULL: the slot is free */
  uint32_t gen;          /* bumped when the slot is freed */
  struct zn_dns_tcp_decoder dec; /* into TCP_QUERY_MAX malloc'd bytes */
  uint32_t inflight;     /* forwarded, not answered yet */
  struct outmsg *out, *out_tail;
  uint32_t nout;
  bool eof, closing, in_read;
  struct zn_timer idle;
  struct tclient *next_free;
};

/* A connection to the upstream asking a query again over TCP after its
 * UDP answer came back truncated (RFC 7766 5, RFC 1035 4.2.2): the query
 * with its length prefix, then the answer read through `dec`. */
struct upconn {
  struct blocker *bk;
  struct zn_tcp_conn *c; /* NULL: the slot is free */
  struct pending *p;     /* NULL once the query is done with */
  uint8_t q[2 + LOCAL_MSG_MAX];
  size_t qlen, qoff;
  struct zn_dns_tcp_decoder dec; /* into ZN_DNS_MSG_MAX malloc'd bytes */
  struct upconn *next_free;
};

struct blocker {
  struct zn_stack *st;
  struct zn_udp_sock *listen, *up;
  struct zn_tcp_conn *tlisten;
  uint32_t up_addr;
  uint16_t up_port, listen_port;
  uint64_t up_timeout_ns, tcp_idle_ns;
  bool zero_mode;
  struct zn_dns_blocklist *blocked;
  struct zn_dns_cache *cache; /* NULL: --cache 0 */
  void *blocked_mem, *cache_mem;
  struct pending *pend; /* PENDING_MAX entries */
  struct pending *free_pend;
  struct pending *oldest, *newest;
  uint32_t npending;
  uint16_t *by_id; /* 65536: entry index + 1, or 0 */
  struct zn_timer timer;
  struct tclient *tc; /* ntc slots */
  uint32_t ntc, tc_active;
  struct tclient *free_tc;
  struct upconn *uc; /* UPSTREAM_TCP_MAX slots */
  struct upconn *free_uc;
  uint8_t *scratch; /* 2 + ZN_DNS_MSG_MAX: a TCP answer being built */
  struct blk_stats s;
};

/* What step 1 learned about a query. */
struct query {
  struct zn_dns_msg m;
  struct zn_dns_question q;
  struct zn_dns_cache_key key; /* the question, DO and CD */
  bool edns, do_bit;
  uint16_t client_max; /* largest answer the client takes */
};

/* ---- the answer cache ---- */

/* DO and CD change what an upstream puts in its answer (signatures,
 * unvalidated data), so they are part of the key. */
static uint8_t variant(bool do_bit, bool cd) {
  return (uint8_t)((do_bit ? 1u : 0u) | (cd ? 2u : 0u));
}

static void cache_key(struct zn_dns_cache_key *k, const struct zn_dns_name *n,
                      uint16_t qtype, uint16_t qclass, uint8_t var) {
  k->name = *n;
  k->qtype = qtype;
  k->qclass = qclass;
  k->variant = var;
}

/* Keep the upstream's answer m to the pending query p, if it may be. */
static void cache_put(struct blocker *bk, const struct pending *p,
                      const struct zn_dns_msg *m, uint64_t now) {
  struct zn_dns_cache_key k;
  if (bk->cache == NULL)
    return;
  cache_key(&k, &p->qname, p->qtype, p->qclass, p->variant);
  if (zn_dns_cache_put_msg(bk->cache, &k, m, now) != ZN_OK)
    bk->s.cache_uncacheable++; /* TTL 0, negative without SOA, TC, size */
}

static void send_to(struct blocker *bk, struct zn_udp_sock *s, uint32_t addr,
                    uint16_t port, struct zn_buf *b) {
  if (zn_udp_sendto_buf(s, addr, port, b) != ZN_OK)
    bk->s.send_errors++;
}

/* ---- TCP clients: writing answers ---- */

static struct tclient *tclient_of(struct blocker *bk, const struct client *cl) {
  if (cl->kind != CL_TCP || cl->slot >= bk->ntc)
    return NULL;
  struct tclient *tc = &bk->tc[cl->slot];
  return tc->c && tc->gen == cl->gen && !tc->closing ? tc : NULL;
}

static void tc_close(struct tclient *tc) {
  if (tc->c && !tc->closing) {
    tc->closing = true;
    zn_tcp_close(tc->c);
  }
}

/* Write what waits, in order, as far as the send buffer takes it. */
static void tc_flush(struct tclient *tc) {
  while (tc->out && !tc->closing) {
    struct outmsg *o = tc->out;
    long w = zn_tcp_write(tc->c, o->data + o->off, o->len - o->off);
    if (w == ZN_EAGAIN)
      return; /* on_writable */
    if (w < 0) {
      tc_close(tc);
      return;
    }
    o->off += (size_t)w;
    if (o->off < o->len)
      return;
    tc->out = o->next;
    if (tc->out == NULL)
      tc->out_tail = NULL;
    tc->nout--;
    free(o);
  }
}

/* Send one answer (len bytes at bk->scratch + 2) to a TCP client: the
 * length prefix goes in front of it, and what the send buffer does not
 * take now waits, in order.  Answers to pipelined queries go out as they
 * come (RFC 7766 6.2.1.1: the client matches them by ID). */
static void tc_answer(struct blocker *bk, const struct client *cl,
                      size_t len) {
  struct tclient *tc = tclient_of(bk, cl);
  if (tc == NULL) {
    bk->s.tcp_answer_dropped++;
    return;
  }
  uint8_t *p = bk->scratch;
  (void)zn_dns_tcp_encode_len(len, p); /* 12..65535: a whole message */
  size_t total = len + 2, done = 0;
  if (tc->out == NULL) {
    long w = zn_tcp_write(tc->c, p, total);
    if (w < 0 && w != ZN_EAGAIN) {
      bk->s.send_errors++;
      tc_close(tc);
      return;
    }
    done = w > 0 ? (size_t)w : 0;
  }
  bk->s.tcp_answers++;
  zn_timer_start_in(bk->st, &tc->idle, bk->tcp_idle_ns);
  if (done == total)
    return;
  struct outmsg *o = malloc(sizeof(*o) + total - done);
  if (o == NULL) {
    /* The stream would lose its framing: give up on the connection. */
    bk->s.send_errors++;
    tc_close(tc);
    return;
  }
  o->next = NULL;
  o->len = total - done;
  o->off = 0;
  memcpy(o->data, p + done, o->len);
  if (tc->out_tail)
    tc->out_tail->next = o;
  else
    tc->out = o;
  tc->out_tail = o;
  tc->nout++;
}

/* ---- answers, to either kind of client ---- */

/* Where an answer is built: straight into a UDP send buffer, or into the
 * scratch area behind room for the TCP length prefix.  NULL (counted) if
 * no buffer is free.  reply_send sends len bytes of it. */
static uint8_t *reply_begin(struct blocker *bk, const struct client *cl,
                            size_t max, struct zn_buf **b) {
  *b = NULL;
  if (cl->kind == CL_TCP)
    return bk->scratch + 2;
  *b = zn_udp_buf_alloc(bk->listen, max);
  if (*b == NULL) {
    bk->s.send_errors++;
    return NULL;
  }
  return (*b)->data;
}

static void reply_send(struct blocker *bk, const struct client *cl,
                       struct zn_buf *b, size_t len) {
  if (cl->kind == CL_TCP) {
    tc_answer(bk, cl, len);
    return;
  }
  zn_buf_put(b, len);
  send_to(bk, bk->listen, cl->addr, cl->port, b);
}

/* Append an OPT record advertising our UDP size (RFC 6891 7: a response
 * carries one iff the query did), DO copied from the query (RFC 3225). */
static void build_opt(struct zn_dns_builder *b, bool do_bit) {
  struct zn_dns_opt o;
  memset(&o, 0, sizeof(o));
  o.udp_size = EDNS_UDP_SIZE;
  o.do_bit = do_bit;
  (void)zn_dns_build_opt(b, &o); /* fits: LOCAL_MSG_MAX leaves room */
}

/* A local answer to the query: rcode, and in zero mode the 0.0.0.0 / ::
 * record, or with tc an empty answer with TC set.  Built straight into
 * the send buffer. */
static void answer_local_tc(struct blocker *bk, const struct client *cl,
                            const struct query *qr, uint8_t rcode, bool zero,
                            bool tc) {
  struct zn_buf *b;
  uint8_t *p = reply_begin(bk, cl, LOCAL_MSG_MAX, &b);
  if (p == NULL)
    return;
  struct zn_dns_builder bld;
  /* Questions that do not fit or parse leave a header-only answer in
   * bld: exactly what FORMERR wants.  Only a bad rcode leaves it unset.
   * One question (at most 259 bytes), a compressed A or AAAA record and
   * an OPT record always fit in LOCAL_MSG_MAX. */
  if (zn_dns_build_response(&bld, p, LOCAL_MSG_MAX, &qr->m, rcode) ==
      ZN_EINVAL) {
    zn_buf_free(b);
    return;
  }
  struct zn_dns_hdr h;
  struct zn_dns_msg built = {.p = bld.p, .len = zn_dns_build_len(&bld)};
  zn_dns_msg_hdr(&built, &h);
  h.ra = true; /* we recurse, through the upstream */
  h.tc = tc;
  (void)zn_dns_build_set_hdr(&bld, &h);
  if (zero) {
    struct zn_dns_rdata rd;
    memset(&rd, 0, sizeof(rd));
    rd.type = qr->q.qtype; /* A: 0.0.0.0, AAAA: :: (all zero) */
    (void)zn_dns_build_rr(&bld, ZN_DNS_SEC_ANSWER, &qr->q.name, ZN_DNS_CLASS_IN,
                          BLOCK_TTL, &rd);
  }
  if (qr->edns)
    build_opt(&bld, qr->do_bit);
  reply_send(bk, cl, b, zn_dns_build_len(&bld));
}

static void answer_local(struct blocker *bk, const struct client *cl,
                         const struct query *qr, uint8_t rcode, bool zero) {
  answer_local_tc(bk, cl, qr, rcode, zero, false);
}

/* An answer with no records, rebuilt from what a pending entry remembers
 * (the query itself is long gone): SERVFAIL, or a truncated answer (TC)
 * that sends a UDP client to TCP. */
static void answer_pending(struct blocker *bk, const struct pending *p,
                           uint8_t rcode, bool tc) {
  struct zn_buf *b;
  uint8_t *buf = reply_begin(bk, &p->cl, LOCAL_MSG_MAX, &b);
  if (buf == NULL)
    return;
  struct zn_dns_hdr h;
  memset(&h, 0, sizeof(h));
  h.id = p->orig_id;
  h.qr = h.ra = true;
  h.tc = tc;
  h.rd = p->rd;
  h.cd = p->cd;
  h.rcode = rcode;
  struct zn_dns_builder bld;
  if (zn_dns_build_init(&bld, buf, LOCAL_MSG_MAX, &h) != ZN_OK) {
    zn_buf_free(b);
    return;
  }
  (void)zn_dns_build_question(&bld, &p->qname, p->qtype, p->qclass);
  if (p->edns)
    build_opt(&bld, p->do_bit);
  if (rcode == ZN_DNS_RCODE_SERVFAIL)
    bk->s.servfail++;
  reply_send(bk, &p->cl, b, zn_dns_build_len(&bld));
}

static void servfail_pending(struct blocker *bk, const struct pending *p) {
  answer_pending(bk, p, ZN_DNS_RCODE_SERVFAIL, false);
}

/* A whole answer from the upstream (over TCP, so any size) to the
 * pending query's client, under the client's ID.  A UDP client that
 * cannot take that much gets a truncated answer instead, and asks us
 * again over TCP (where the cache has it by then). */
static void answer_copy(struct blocker *bk, const struct pending *p,
                        const uint8_t *msg, size_t len) {
  if (p->cl.kind == CL_UDP && len > p->client_max) {
    bk->s.truncated_for_client++;
    answer_pending(bk, p, ZN_DNS_RCODE_NOERROR, true);
    return;
  }
  struct zn_buf *b;
  uint8_t *buf = reply_begin(bk, &p->cl, len, &b);
  if (buf == NULL)
    return;
  memcpy(buf, msg, len);
  zn_wr16(buf, p->orig_id);
  reply_send(bk, &p->cl, b, len);
}

/* ---- the pending table ---- */

static void pending_rearm(struct blocker *bk) {
  if (bk->oldest)
    zn_timer_start(bk->st, &bk->timer, bk->oldest->deadline);
  else
    zn_timer_stop(bk->st, &bk->timer);
}

static void tc_resume(struct tclient *tc);

/* Resumes the entry's TCP client, which may be the one whose query is
 * being served (tc_read, serve, forward, here, tc_resume): tc_read's
 * in_read flag stops that cycle at its first turn.
 * NOLINTNEXTLINE(misc-no-recursion): see tc_read's in_read guard */
static void pending_release(struct blocker *bk, struct pending *p) {
  if (p->prev)
    p->prev->next = p->next;
  else
    bk->oldest = p->next;
  if (p->next)
    p->next->prev = p->prev;
  else
    bk->newest = p->prev;
  bk->by_id[p->new_id] = 0;
  if (p->up) {
    /* The TCP retry is over (answered, failed or timed out). */
    p->up->p = NULL;
    if (p->up->c)
      zn_tcp_abort(p->up->c);
    p->up = NULL;
  }
  struct tclient *tc = tclient_of(bk, &p->cl);
  p->used = false;
  p->prev = NULL;
  p->next = bk->free_pend;
  bk->free_pend = p;
  bk->npending--;
  if (tc) {
    tc->inflight--;
    tc_resume(tc);
  }
}

/* A new entry with a fresh random ID (RFC 5452 9.2), at the young end of
 * the list; NULL if the table is full. */
static struct pending *pending_new(struct blocker *bk, uint64_t now) {
  struct pending *p = bk->free_pend;
  if (p == NULL)
    return NULL;
  uint16_t id = 0;
  int tries = 0;
  do {
    id = (uint16_t)zn_random_u32(bk->st);
  } while (bk->by_id[id] != 0 && ++tries < ID_TRIES);
  if (bk->by_id[id] != 0)
    return NULL;
  bk->free_pend = p->next;
  memset(p, 0, sizeof(*p));
  p->used = true;
  p->new_id = id;
  p->deadline = now + bk->up_timeout_ns;
  bk->by_id[id] = (uint16_t)(p - bk->pend + 1);
  p->prev = bk->newest;
  if (bk->newest)
    bk->newest->next = p;
  else
    bk->oldest = p;
  bk->newest = p;
  bk->npending++;
  return p;
}

/* Expire pending queries whose time is up.  The client gets SERVFAIL
 * rather than silence: a stub resolver then moves on to its next server
 * (or reports the failure) at once, instead of waiting out its own
 * timeout and retrying a forwarder that has already given up. */
static void expire_pending(struct zn_stack *st, struct zn_timer *t) {
  struct blocker *bk = ZN_CONTAINER_OF(t, struct blocker, timer);
  uint64_t now = zn_stack_now(st);
  while (bk->oldest && bk->oldest->deadline <= now) {
    struct pending *p = bk->oldest;
    bk->s.upstream_timeouts++;
    servfail_pending(bk, p);
    pending_release(bk, p);
  }
  pending_rearm(bk);
}

/* ---- queries from clients ---- */

/* Step 1: is this a query we serve?  Answers FORMERR/NOTIMP or drops, and
 * returns false, if not.  client_max starts at what the transport takes
 * without EDNS (512 for UDP, a whole message for TCP). */
static bool check_query(struct blocker *bk, const struct client *cl,
                        const uint8_t *data, size_t len, struct query *qr) {
  if (zn_dns_msg_init(&qr->m, data, len) != ZN_OK) {
    bk->s.dropped_short++;
    bk->s.dropped++;
    return false;
  }
  if (zn_dns_qr(&qr->m)) {
    bk->s.dropped_response++;
    bk->s.dropped++;
    return false;
  }
  bk->s.queries++;
  qr->edns = false;
  qr->do_bit = false;
  qr->client_max = cl->kind == CL_TCP ? ZN_DNS_MSG_MAX : ZN_DNS_UDP_MAX;
  if (zn_dns_opcode(&qr->m) != ZN_DNS_OPCODE_QUERY) {
    bk->s.notimp++;
    answer_local(bk, cl, qr, ZN_DNS_RCODE_NOTIMP, false);
    return false;
  }
  struct zn_dns_iter it;
  zn_dns_iter_init(&it, &qr->m);
  struct zn_dns_opt o;
  int oerr = ZN_ENOENT;
  if (zn_dns_qdcount(&qr->m) != 1 ||
      zn_dns_iter_question(&it, &qr->q) != ZN_OK ||
      zn_dns_msg_check(&qr->m) != ZN_OK ||
      ((oerr = zn_dns_msg_opt(&qr->m, &o)) != ZN_OK && oerr != ZN_ENOENT)) {
    bk->s.formerr++;
    answer_local(bk, cl, qr, ZN_DNS_RCODE_FORMERR, false);
    return false;
  }
  if (oerr == ZN_OK) {
    qr->edns = true;
    qr->do_bit = o.do_bit;
    if (o.udp_size > qr->client_max)
      qr->client_max = o.udp_size;
  }
  cache_key(&qr->key, &qr->q.name, qr->q.qtype, qr->q.qclass,
            variant(qr->do_bit, zn_dns_cd(&qr->m)));
  return true;
}

/* Step 3: serve from the cache if the entry is there.  One too big for
 * a UDP client is answered with TC (RFC 1035 4.2.1, RFC 2181 9): the
 * client asks again over TCP, and gets it from the cache then.  The
 * library writes the client's ID, RD, CD and question case into it, and
 * every TTL lowered by the time it spent cached. */
static bool serve_cached(struct blocker *bk, const struct client *cl,
                         const struct query *qr, uint64_t now) {
  struct zn_dns_cache_hit hit;
  if (bk->cache == NULL ||
      zn_dns_cache_get(bk->cache, &qr->key, now, &hit) != ZN_OK) {
    bk->s.cache_misses++;
    return false;
  }
  bk->s.cache_hits++;
  size_t len = zn_dns_cache_msg_len(&hit, qr->edns);
  if (len > qr->client_max) {
    bk->s.truncated_for_client++;
    answer_local_tc(bk, cl, qr, ZN_DNS_RCODE_NOERROR, false, true);
    return true;
  }
  struct zn_buf *b;
  uint8_t *p = reply_begin(bk, cl, len, &b);
  if (p == NULL)
    return true; /* answered as far as the client can tell: it retries */
  struct zn_dns_opt o = {.udp_size = EDNS_UDP_SIZE, .do_bit = qr->do_bit};
  (void)zn_dns_cache_write_msg(&hit, &qr->m, qr->edns ? &o : NULL, p);
  reply_send(bk, cl, b, len);
  return true;
}

/* Step 4: to the upstream over UDP, under a fresh ID.  A UDP client's
 * buffer goes out again with only the ID changed (d); a TCP client's
 * query is copied into a datagram.
 * NOLINTNEXTLINE(misc-no-recursion): see tc_read's in_read guard */
static void forward(struct blocker *bk, const struct client *cl,
                    const struct zn_udp_dgram *d, const struct query *qr,
                    uint64_t now) {
  struct pending *p = pending_new(bk, now);
  if (p == NULL) {
    /* Refusing costs the client one round trip; queueing without bound
     * would cost us the memory. */
    bk->s.pending_full++;
    bk->s.servfail++;
    answer_local(bk, cl, qr, ZN_DNS_RCODE_SERVFAIL, false);
    return;
  }
  p->cl = *cl;
  p->client_max = qr->client_max;
  p->orig_id = zn_dns_id(&qr->m);
  p->qtype = qr->q.qtype;
  p->qclass = qr->q.qclass;
  p->qname = qr->q.name;
  p->variant = qr->key.variant;
  p->rd = zn_dns_rd(&qr->m);
  p->cd = zn_dns_cd(&qr->m);
  p->edns = qr->edns;
  p->do_bit = qr->do_bit;
  struct tclient *tc = tclient_of(bk, cl);
  if (tc)
    tc->inflight++;
  if (p == bk->oldest)
    pending_rearm(bk);

  struct zn_buf *b;
  if (d) {
    b = zn_udp_dgram_keep(d);
  } else {
    b = zn_udp_buf_alloc(bk->up, qr->m.len);
    if (b)
      memcpy(zn_buf_put(b, qr->m.len), qr->m.p, qr->m.len);
  }
  bk->s.forwarded++;
  if (b == NULL) {
    bk->s.send_errors++;
    servfail_pending(bk, p);
    pending_release(bk, p);
    pending_rearm(bk);
    return;
  }
  zn_wr16(b->data, p->new_id); /* the query's bytes now carry new_id */
  if (zn_udp_sendto_buf(bk->up, bk->up_addr, bk->up_port, b) != ZN_OK) {
    bk->s.send_errors++;
    servfail_pending(bk, p); /* from the entry: it has the client's ID */
    pending_release(bk, p);
    pending_rearm(bk);
  }
}

/* Steps 2 to 4 for a query that passed step 1.
 * NOLINTNEXTLINE(misc-no-recursion): see tc_read's in_read guard */
static void serve(struct blocker *bk, const struct client *cl,
                  const struct zn_udp_dgram *d, const struct query *qr) {
  uint64_t now = zn_stack_now(bk->st);
  if (zn_dns_blocklist_match(bk->blocked, &qr->q.name)) {
    bool zero = bk->zero_mode && qr->q.qclass == ZN_DNS_CLASS_IN &&
                (qr->q.qtype == ZN_DNS_TYPE_A || qr->q.qtype == ZN_DNS_TYPE_AAAA);
    bk->s.blocked++;
    answer_local(bk, cl, qr,
                 bk->zero_mode ? ZN_DNS_RCODE_NOERROR : ZN_DNS_RCODE_NXDOMAIN,
                 zero);
    return;
  }
  if (serve_cached(bk, cl, qr, now))
    return;
  forward(bk, cl, d, qr, now);
}

static void on_query(struct zn_udp_sock *s, void *arg,
                     const struct zn_udp_dgram *d) {
  (void)s;
  struct blocker *bk = arg;
  struct query qr;
  bk->s.received++;
  if (d->bcast || d->sport == 0) {
    bk->s.dropped_bcast++;
    bk->s.dropped++;
    return;
  }
  struct client cl = {.kind = CL_UDP, .addr = d->src, .port = d->sport};
  if (check_query(bk, &cl, d->data, d->len, &qr))
    serve(bk, &cl, d, &qr);
}

/* ---- TCP clients: reading queries ---- */

/* The client said it is done (FIN): close once every query it sent is
 * answered and written. */
static void tc_maybe_close(struct tclient *tc) {
  if (tc->eof && tc->inflight == 0 && tc->out == NULL)
    tc_close(tc);
}

/* Read queries off the stream (RFC 1035 4.2.2, RFC 7766 6.2.1.1: any
 * number, back to back).  The bytes are copied out of the frame buffers
 * by the library's decoder (a query may span several) and consumed as
 * they are taken.  Stops taking more while TCP_PIPELINE_MAX queries are
 * in progress or answers wait to be written, so a client that sends
 * without reading finds the window closed.  Re-entered (through serve,
 * forward, pending_release and tc_resume) it returns at once: in_read.
 * NOLINTNEXTLINE(misc-no-recursion) */
static void tc_read(struct tclient *tc) {
  struct blocker *bk = tc->bk;
  if (tc->in_read)
    return; /* tc_resume from inside a query being served */
  tc->in_read = true;
  while (!tc->closing && tc->inflight + tc->nout < TCP_PIPELINE_MAX) {
    const uint8_t *p;
    long n = zn_tcp_peek(tc->c, &p);
    if (n == ZN_EAGAIN)
      break;
    if (n <= 0) {
      tc->eof = n == 0;
      if (n < 0)
        tc_close(tc);
      break;
    }
    size_t used = 0, k;
    while (used < (size_t)n && !tc->closing &&
           tc->inflight + tc->nout < TCP_PIPELINE_MAX) {
      int rc = zn_dns_tcp_decode(&tc->dec, p + used, (size_t)n - used, &k);
      used += k;
      if (rc < 0) {
        /* Nothing sensible follows; the framing cannot be trusted. */
        bk->s.tcp_bad_length++;
        tc_close(tc);
      } else if (rc == 1) {
        bk->s.tcp_queries++;
        bk->s.received++;
        zn_timer_start_in(bk->st, &tc->idle, bk->tcp_idle_ns);
        struct client cl = {.kind = CL_TCP,
                            .slot = (uint32_t)(tc - bk->tc),
                            .gen = tc->gen};
        struct query qr;
        if (check_query(bk, &cl, tc->dec.buf, tc->dec.need, &qr))
          serve(bk, &cl, NULL, &qr);
      }
    }
    if (!tc->closing)
      (void)zn_tcp_consume(tc->c, used); /* used <= what peek showed */
    if (used < (size_t)n)
      break;
  }
  tc->in_read = false;
  tc_maybe_close(tc);
}

/* An answer went out or a query finished: read on if reading had
 * stopped, and close if the client is done.
 * NOLINTNEXTLINE(misc-no-recursion): see tc_read's in_read guard */
static void tc_resume(struct tclient *tc) {
  if (tc->closing || tc->in_read)
    return;
  tc_flush(tc);
  tc_read(tc);
}

static void tc_on_readable(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  tc_read(arg);
}

static void tc_on_writable(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  tc_resume(arg);
}

static void tc_on_error(struct zn_tcp_conn *c, void *arg, int err) {
  (void)c;
  (void)err;
  tc_close(arg);
}

static void tc_free_out(struct tclient *tc) {
  while (tc->out) {
    struct outmsg *o = tc->out;
    tc->out = o->next;
    free(o);
  }
  tc->out_tail = NULL;
  tc->nout = 0;
}

/* The slot is free again; answers still on their way to it are dropped
 * (the generation changes). */
static void tc_release(struct tclient *tc) {
  struct blocker *bk = tc->bk;
  zn_timer_stop(bk->st, &tc->idle);
  tc_free_out(tc);
  tc->c = NULL;
  tc->gen++;
  tc->inflight = 0;
  tc->next_free = bk->free_tc;
  bk->free_tc = tc;
  bk->tc_active--;
}

static void tc_on_closed(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  tc_release(arg);
}

/* RFC 7766 6.2.3: a server closes connections that have been idle for a
 * while.  A query in progress or an answer not yet taken by the client is
 * not idleness. */
static void tc_idle_fn(struct zn_stack *st, struct zn_timer *t) {
  (void)st;
  struct tclient *tc = ZN_CONTAINER_OF(t, struct tclient, idle);
  if (tc->c == NULL || tc->closing)
    return;
  if (tc->inflight || tc->out) {
    zn_timer_start_in(tc->bk->st, &tc->idle, tc->bk->tcp_idle_ns);
    return;
  }
  tc->bk->s.tcp_idle_closed++;
  /* Unread bytes (a query cut short) make this a reset, as it should. */
  tc_close(tc);
}

static const struct zn_tcp_callbacks tclient_cbs = {
    .on_readable = tc_on_readable,
    .on_writable = tc_on_writable,
    .on_error = tc_on_error,
    .on_closed = tc_on_closed,
};

static void on_tcp_accept(struct zn_tcp_conn *l, void *arg) {
  struct blocker *bk = arg;
  struct zn_tcp_conn *c;
  while (zn_tcp_accept(l, &c) == ZN_OK) {
    struct tclient *tc = bk->free_tc;
    if (tc == NULL) {
      bk->s.tcp_refused++;
      zn_tcp_abort(c); /* the listener's callbacks: nothing to free */
      continue;
    }
    bk->free_tc = tc->next_free;
    bk->tc_active++;
    tc->c = c;
    zn_dns_tcp_decoder_init(&tc->dec, tc->dec.buf, TCP_QUERY_MAX);
    tc->inflight = tc->nout = 0;
    tc->out = tc->out_tail = NULL;
    tc->eof = tc->closing = tc->in_read = false;
    bk->s.tcp_connections++;
    zn_tcp_set_callbacks(c, &tclient_cbs, tc);
    zn_timer_start_in(bk->st, &tc->idle, bk->tcp_idle_ns);
    tc_read(tc); /* a query may have come with the handshake */
  }
}

static void on_tcp_listener_closed(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  (void)arg;
}

static const struct zn_tcp_callbacks tlisten_cbs = {
    .on_accept = on_tcp_accept,
    .on_closed = on_tcp_listener_closed,
};

/* ---- asking the upstream again over TCP ---- */

static void uc_close(struct upconn *u) {
  if (u->c)
    zn_tcp_close(u->c);
}

/* The TCP retry failed: a UDP client gets the truncated answer it would
 * have had (and may come to us over TCP), a TCP client SERVFAIL. */
static void uc_fail(struct upconn *u) {
  struct blocker *bk = u->bk;
  struct pending *p = u->p;
  if (p == NULL)
    return;
  bk->s.tcp_fallback_failed++;
  p->up = NULL;
  u->p = NULL;
  if (p->cl.kind == CL_UDP) {
    bk->s.truncated_for_client++;
    answer_pending(bk, p, ZN_DNS_RCODE_NOERROR, true);
  } else {
    servfail_pending(bk, p);
  }
  pending_release(bk, p);
  pending_rearm(bk);
  if (u->c)
    zn_tcp_abort(u->c);
}

/* The whole answer is in: check it as a UDP answer is checked, cache it,
 * hand it on. */
static void uc_answer(struct upconn *u) {
  struct blocker *bk = u->bk;
  struct pending *p = u->p;
  struct zn_dns_msg m;
  struct zn_dns_iter it;
  struct zn_dns_question q;
  if (p == NULL)
    return;
  if (zn_dns_msg_init(&m, u->dec.buf, u->dec.need) != ZN_OK || !zn_dns_qr(&m) ||
      zn_dns_id(&m) != p->new_id || zn_dns_qdcount(&m) != 1) {
    bk->s.upstream_mismatch++;
    uc_fail(u);
    return;
  }
  zn_dns_iter_init(&it, &m);
  if (zn_dns_iter_question(&it, &q) != ZN_OK || q.qtype != p->qtype ||
      q.qclass != p->qclass || !zn_dns_name_eq(&q.name, &p->qname)) {
    bk->s.upstream_mismatch++;
    uc_fail(u);
    return;
  }
  if (zn_dns_msg_check(&m) != ZN_OK) {
    bk->s.upstream_malformed++;
    uc_fail(u);
    return;
  }
  bk->s.tcp_fallback_ok++;
  if (!zn_dns_tc(&m))
    cache_put(bk, p, &m, zn_stack_now(bk->st));
  bk->s.answered++;
  answer_copy(bk, p, u->dec.buf, u->dec.need);
  p->up = NULL;
  u->p = NULL;
  pending_release(bk, p);
  pending_rearm(bk);
  uc_close(u);
}

static void uc_write(struct upconn *u) {
  while (u->qoff < u->qlen) {
    long w = zn_tcp_write(u->c, u->q + u->qoff, u->qlen - u->qoff);
    if (w == ZN_EAGAIN)
      return;
    if (w < 0) {
      uc_fail(u);
      return;
    }
    u->qoff += (size_t)w;
  }
}

static void uc_on_connected(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  uc_write(arg);
}

static void uc_on_writable(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  uc_write(arg);
}

static void uc_on_readable(struct zn_tcp_conn *c, void *arg) {
  struct upconn *u = arg;
  while (u->p) {
    const uint8_t *p;
    long n = zn_tcp_peek(c, &p);
    if (n == ZN_EAGAIN)
      return;
    if (n <= 0) {
      uc_fail(u); /* closed (or failed) before the whole answer came */
      return;
    }
    size_t used;
    int rc = zn_dns_tcp_decode(&u->dec, p, (size_t)n, &used);
    (void)zn_tcp_consume(c, used); /* used <= what peek showed */
    if (rc < 0) {
      u->bk->s.upstream_malformed++; /* a length below a header */
      uc_fail(u);
      return;
    }
    if (rc == 1) {
      uc_answer(u);
      return;
    }
  }
}

static void uc_on_error(struct zn_tcp_conn *c, void *arg, int err) {
  (void)c;
  (void)err;
  uc_fail(arg);
}

static void uc_on_closed(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  struct upconn *u = arg;
  struct blocker *bk = u->bk;
  u->c = NULL;
  uc_fail(u); /* every path closes after letting go of the query: no-op */
  u->next_free = bk->free_uc;
  bk->free_uc = u;
}

static const struct zn_tcp_callbacks upconn_cbs = {
    .on_connected = uc_on_connected,
    .on_readable = uc_on_readable,
    .on_writable = uc_on_writable,
    .on_error = uc_on_error,
    .on_closed = uc_on_closed,
};

/* TCP fallback (RFC 7766 5; RFC 1035 4.2.2): an upstream answer with TC
 * set is asked again over TCP, under the same ID, and the TCP answer is
 * what the client gets.  The pending entry waits meanwhile, its timeout
 * still running.  Returns false (the truncated answer is then relayed as
 * it is) if no TCP slot or connection is to be had. */
static bool tcp_fallback(struct blocker *bk, struct pending *p) {
  struct upconn *u = bk->free_uc;
  if (u == NULL) {
    bk->s.tcp_fallback_busy++;
    return false;
  }
  struct zn_dns_hdr h;
  memset(&h, 0, sizeof(h));
  h.id = p->new_id;
  h.rd = p->rd;
  h.cd = p->cd;
  struct zn_dns_builder bld;
  if (zn_dns_build_init(&bld, u->q + 2, LOCAL_MSG_MAX, &h) != ZN_OK ||
      zn_dns_build_question(&bld, &p->qname, p->qtype, p->qclass) != ZN_OK)
    return false;
  if (p->edns)
    build_opt(&bld, p->do_bit);
  u->qlen = 2 + zn_dns_build_len(&bld);
  (void)zn_dns_tcp_encode_len(u->qlen - 2, u->q); /* at most 512 */
  u->qoff = 0;
  zn_dns_tcp_decoder_init(&u->dec, u->dec.buf, ZN_DNS_MSG_MAX);
  u->c = NULL;
  if (zn_tcp_connect(bk->st, bk->up_addr, bk->up_port, &upconn_cbs, u,
                     &u->c) != ZN_OK) {
    u->c = NULL;
    bk->s.tcp_fallback_busy++;
    return false;
  }
  bk->free_uc = u->next_free;
  u->p = p;
  p->up = u;
  bk->s.tcp_fallback++;
  return true;
}

/* ---- answers from the upstream ---- */

static void on_upstream(struct zn_udp_sock *s, void *arg,
                        const struct zn_udp_dgram *d) {
  (void)s;
  struct blocker *bk = arg;
  struct zn_dns_msg m;
  uint64_t now = zn_stack_now(bk->st);
  if (d->src != bk->up_addr || d->sport != bk->up_port) {
    bk->s.upstream_mismatch++;
    return;
  }
  if (zn_dns_msg_init(&m, d->data, d->len) != ZN_OK) {
    bk->s.upstream_malformed++;
    return;
  }
  uint16_t idx = bk->by_id[zn_dns_id(&m)];
  if (!zn_dns_qr(&m) || idx == 0 || bk->pend[idx - 1].up) {
    /* Unknown ID, or one being asked over TCP already. */
    bk->s.upstream_mismatch++;
    return;
  }
  struct pending *p = &bk->pend[idx - 1];
  struct zn_dns_iter it;
  struct zn_dns_question q;
  zn_dns_iter_init(&it, &m);
  /* RFC 5452 9.1: the question must be ours.  A forged or stray answer
   * leaves the entry waiting for the real one. */
  if (zn_dns_qdcount(&m) != 1 || zn_dns_iter_question(&it, &q) != ZN_OK ||
      q.qtype != p->qtype || q.qclass != p->qclass ||
      !zn_dns_name_eq(&q.name, &p->qname)) {
    bk->s.upstream_mismatch++;
    return;
  }
  if (zn_dns_tc(&m)) {
    bk->s.truncated++;
    if (tcp_fallback(bk, p))
      return;
    if (p->cl.kind == CL_TCP) {
      /* A TCP client asked precisely not to get a truncated answer. */
      servfail_pending(bk, p);
      pending_release(bk, p);
      pending_rearm(bk);
      return;
    }
  } else if (zn_dns_msg_check(&m) != ZN_OK) {
    /* The client would have to make sense of it; say the server failed. */
    bk->s.upstream_malformed++;
    servfail_pending(bk, p);
    pending_release(bk, p);
    pending_rearm(bk);
    return;
  }
  if (!zn_dns_tc(&m))
    cache_put(bk, p, &m, now);
  bk->s.answered++;
  if (p->cl.kind == CL_TCP) {
    answer_copy(bk, p, d->data, d->len);
    pending_release(bk, p);
    pending_rearm(bk);
    return;
  }
  struct zn_buf *b = zn_udp_dgram_keep(d);
  zn_wr16(b->data, p->orig_id);
  struct client cl = p->cl;
  pending_release(bk, p);
  pending_rearm(bk);
  send_to(bk, bk->listen, cl.addr, cl.port, b);
}

static void on_upstream_err(struct zn_udp_sock *s, void *arg, int err,
                            uint32_t addr, uint16_t port) {
  (void)s;
  (void)err;
  (void)addr;
  (void)port;
  struct blocker *bk = arg;
  /* Which query drew it is not known: the pending ones time out. */
  bk->s.upstream_unreachable++;
}

/* ---- setup ---- */

struct blk_opts {
  struct zn_dns_server up;
  bool has_up;
  const char *blocklist;
  const char **block; /* --block NAME, in order */
  size_t nblock;
  int zero_mode;
  uint16_t listen_port;
  uint32_t cache;
  uint32_t up_timeout_ms;
  uint32_t tcp_idle_ms;
};

static int parse_upstream(void *base, const char *val, const char *prog) {
  struct blk_opts *o = base;
  (void)prog;
  o->has_up = true;
  return ex_parse_dns_server(val, &o->up);
}

static int parse_block(void *base, const char *val, const char *prog) {
  struct blk_opts *o = base;
  const char **more = realloc(o->block, (o->nblock + 1) * sizeof(*more));
  if (more == NULL)
    ex_usage_error(prog, "out of memory");
  more[o->nblock++] = val;
  o->block = more;
  return 0;
}

static const struct ex_choice block_modes[] = {
    {"nxdomain", 0}, {"zero", 1}, {NULL, 0}};

#define OFF(field) offsetof(struct blk_opts, field)

static const struct ex_opt blk_flags[] = {
    {"upstream", 0, EX_FN, .fn = parse_upstream, .arg = "ADDR[:PORT]",
     .want = "ADDR[:PORT]",
     .help = "server to forward to (port 53 by default)"},
    {"blocklist", 0, EX_STR, OFF(blocklist), .arg = "FILE",
     .help = "hosts-file lines (0.0.0.0 NAME...) or one name per\nline; a "
             "name blocks its subdomains too"},
    {"block", 0, EX_FN, .fn = parse_block, .arg = "NAME",
     .help = "block NAME too (repeatable; with or instead of\n--blocklist, "
             "which Solo5 lacks)"},
    {"block-mode", 0, EX_CHOICE, OFF(zero_mode), .choices = block_modes,
     .arg = "nxdomain|zero",
     .help = "answer blocked names NXDOMAIN (default) or\n0.0.0.0 / :: (other "
             "types: no data)"},
    {"listen-port", 0, EX_U16, OFF(listen_port), 1, 65535, .arg = "N",
     .help = "UDP and TCP port to serve (default 53)"},
    {"cache", 0, EX_U32, OFF(cache), 0, MAX_CACHE, .arg = "N",
     .help = "answers cached (default 4096; 0: none)"},
    {"upstream-timeout", 0, EX_U32, OFF(up_timeout_ms), 1, 600000,
     .arg = "MS", .want = "1..600000 ms",
     .help = "SERVFAIL a forwarded query after this long\n(default 5000)"},
    {"tcp-idle-timeout", 0, EX_U32, OFF(tcp_idle_ms), 1, 3600000,
     .arg = "MS", .want = "1..3600000 ms",
     .help = "close a TCP client connection idle this long\n(default 10000)"},
    {.name = NULL},
};

#undef OFF

/* The answer cache in malloc'd memory, keyed with the stack's randomness
 * (the names come from the network).  0 or -1 (out of memory). */
static int cache_new(struct blocker *bk, uint32_t entries) {
  struct zn_dns_cache_cfg cfg = {
      .entries = entries,
      .value_size = ZN_DNS_CACHE_MSG_VALUE(CACHE_MSG_MAX),
      .max_ttl = CACHE_MAX_TTL};
  uint8_t key[16];
  if (entries == 0)
    return 0;
  size_t len = zn_dns_cache_mem_size(&cfg);
  zn_random_bytes(bk->st, key, sizeof(key));
  bk->cache_mem = malloc(len);
  return bk->cache_mem &&
                 zn_dns_cache_init(&cfg, key, bk->cache_mem, len,
                                   &bk->cache) == ZN_OK
             ? 0
             : -1;
}

/* The tables of pending queries and TCP connections; 0 or -1. */
static int tables_new(struct blocker *bk, uint32_t tcp_conns) {
  bk->pend = calloc(PENDING_MAX, sizeof(*bk->pend));
  bk->by_id = calloc(65536, sizeof(*bk->by_id));
  bk->ntc = tcp_conns;
  bk->tc = calloc(tcp_conns, sizeof(*bk->tc));
  bk->uc = calloc(UPSTREAM_TCP_MAX, sizeof(*bk->uc));
  bk->scratch = malloc(2 + ZN_DNS_MSG_MAX);
  if (bk->pend == NULL || bk->by_id == NULL || bk->tc == NULL ||
      bk->uc == NULL || bk->scratch == NULL)
    return -1;
  for (uint32_t i = PENDING_MAX; i-- > 0;) {
    bk->pend[i].next = bk->free_pend;
    bk->free_pend = &bk->pend[i];
  }
  for (uint32_t i = tcp_conns; i-- > 0;) {
    struct tclient *tc = &bk->tc[i];
    tc->bk = bk;
    zn_dns_tcp_decoder_init(&tc->dec, malloc(TCP_QUERY_MAX), TCP_QUERY_MAX);
    if (tc->dec.buf == NULL)
      return -1;
    zn_timer_init(&tc->idle, tc_idle_fn);
    tc->next_free = bk->free_tc;
    bk->free_tc = tc;
  }
  for (uint32_t i = UPSTREAM_TCP_MAX; i-- > 0;) {
    struct upconn *u = &bk->uc[i];
    u->bk = bk;
    zn_dns_tcp_decoder_init(&u->dec, malloc(ZN_DNS_MSG_MAX), ZN_DNS_MSG_MAX);
    if (u->dec.buf == NULL)
      return -1;
    u->next_free = bk->free_uc;
    bk->free_uc = u;
  }
  return 0;
}

/* The sockets: UDP and TCP listeners on the DNS port, and one UDP socket
 * for every upstream query, on a random ephemeral port, connected so that
 * the stack itself filters on the upstream's address and port
 * (on_upstream checks again). */
static int sockets_open(struct blocker *bk) {
  struct zn_stack *st = bk->st;
  int rc = zn_udp_open(st, &bk->listen);
  if (rc == ZN_OK)
    rc = zn_udp_bind(bk->listen, 0, bk->listen_port);
  if (rc == ZN_OK)
    rc = zn_tcp_listen(st, 0, bk->listen_port, TCP_BACKLOG, &tlisten_cbs, bk,
                       &bk->tlisten);
  if (rc != ZN_OK) {
    fprintf(stderr, PROG ": cannot listen on port %u: %s\n",
            (unsigned)bk->listen_port, zn_strerror(rc));
    return -1;
  }
  zn_udp_set_recv_cb(bk->listen, on_query, bk);
  rc = zn_udp_open(st, &bk->up);
  if (rc == ZN_OK)
    rc = zn_udp_connect(bk->up, bk->up_addr, bk->up_port);
  if (rc != ZN_OK) {
    fprintf(stderr, PROG ": cannot open the upstream socket: %s\n",
            zn_strerror(rc));
    return -1;
  }
  zn_udp_set_recv_cb(bk->up, on_upstream, bk);
  zn_udp_set_err_cb(bk->up, on_upstream_err, bk);
  return 0;
}

static int blocker_start(struct blocker *bk, struct zn_stack *st,
                         const struct blk_opts *o, uint32_t tcp_conns) {
  bk->st = st;
  bk->up_addr = o->up.addr;
  bk->up_port = o->up.port;
  bk->listen_port = o->listen_port;
  bk->up_timeout_ns = ZN_MS(o->up_timeout_ms);
  bk->tcp_idle_ns = ZN_MS(o->tcp_idle_ms);
  bk->zero_mode = o->zero_mode != 0;
  zn_timer_init(&bk->timer, expire_pending);
  if (cache_new(bk, o->cache) != 0 || tables_new(bk, tcp_conns) != 0) {
    fprintf(stderr, PROG ": out of memory\n");
    return -1;
  }
  return sockets_open(bk);
}

/* At exit: reset the TCP connections still open (no poll follows, so no
 * on_closed runs: their slots are freed here), let the resets go out,
 * close the sockets, free everything. */
static void blocker_stop(struct blocker *bk) {
  if (bk->st)
    zn_timer_stop(bk->st, &bk->timer);
  for (uint32_t i = 0; bk->tc && i < bk->ntc; i++) {
    struct tclient *tc = &bk->tc[i];
    if (tc->c)
      zn_tcp_abort(tc->c);
    tc->c = NULL;
    if (bk->st)
      zn_timer_stop(bk->st, &tc->idle);
    tc_free_out(tc);
    free(tc->dec.buf);
  }
  for (uint32_t i = 0; bk->uc && i < UPSTREAM_TCP_MAX; i++) {
    if (bk->uc[i].c)
      zn_tcp_abort(bk->uc[i].c);
    bk->uc[i].c = NULL;
    free(bk->uc[i].dec.buf);
  }
  if (bk->tlisten)
    zn_tcp_close(bk->tlisten);
  bk->tlisten = NULL;
  if (bk->st)
    zn_stack_flush(bk->st);
  zn_udp_close(bk->listen);
  zn_udp_close(bk->up);
  free(bk->cache_mem);
  free(bk->blocked_mem);
  free(bk->pend);
  free(bk->by_id);
  free(bk->tc);
  free(bk->uc);
  free(bk->scratch);
  memset(bk, 0, sizeof(*bk));
}

static void print_blk_stats(FILE *fp, struct blocker *bk) {
  struct zn_dns_cache_stats cs;
  memset(&cs, 0, sizeof(cs));
  if (bk->cache)
    zn_dns_cache_get_stats(bk->cache, &cs);
  bk->s.cache_inserts = cs.inserts;
  bk->s.cache_evictions = cs.evictions;
  bk->s.cache_expired = cs.expired;
  fprintf(fp, PROG ": dns counters (the main ones, and others if not 0):\n");
#define X(name, always, text)                                                  \
  if ((always) || bk->s.name != 0)                                             \
    fprintf(fp, "  dns.%-22s %10" PRIu64 "  %s\n", #name, bk->s.name, text);
  BLK_STATS(X)
#undef X
  fprintf(fp, "  %-26s %10" PRIu32 "\n", "dns.cache_entries",
          bk->cache ? zn_dns_cache_count(bk->cache) : 0);
  fprintf(fp, "  %-26s %10" PRIu32 "\n", "dns.pending_at_exit", bk->npending);
  fprintf(fp, "  %-26s %10" PRIu32 "\n", "dns.tcp_open_at_exit", bk->tc_active);
}

static void print_banner(const struct ex_host *h, const struct blocker *bk,
                         const struct blk_opts *bo,
                         const struct zn_dns_blocklist_stats *ls) {
  char ip[ZN_IPV4_STRLEN], up[ZN_IPV4_STRLEN], mac[ZN_MAC_STRLEN];
  char where[4300];
  ex_describe_netif(h, where, sizeof(where));
  printf(PROG ": %s/%u mac %s on %s\n", zn_ipv4_format(h->o.ipv4, ip),
         (unsigned)h->o.prefix, zn_mac_format(zn_stack_mac(h->st), mac), where);
  printf(PROG ": blocklist %s: %" PRIu64 " names (%" PRIu64 " lines, %" PRIu64
              " duplicates, %" PRIu64 " local names ignored, %" PRIu64
              " invalid)\n",
         bo->blocklist ? bo->blocklist : "--block", ls->added, ls->lines,
         ls->duplicates, ls->ignored, ls->invalid);
  printf(PROG ": serving DNS on UDP and TCP port %u, upstream %s:%u, "
              "blocked names answered %s, cache %" PRIu32 " answers\n",
         (unsigned)bk->listen_port, zn_ipv4_format(bk->up_addr, up),
         (unsigned)bk->up_port, bk->zero_mode ? "0.0.0.0/::" : "NXDOMAIN",
         bo->cache);
  (void)fflush(stdout);
}

int main(int argc, char **argv) {
  static struct ex_host h;
  static struct blocker bk;
  struct blk_opts bo = {.listen_port = ZN_DNS_PORT,
                        .cache = DEFAULT_CACHE,
                        .up_timeout_ms = DEFAULT_UPSTREAM_TIMEOUT_MS,
                        .tcp_idle_ms = DEFAULT_TCP_IDLE_MS};
  const struct ex_prog prog = {
      .name = PROG,
      .synopsis = "--upstream ADDR[:PORT] --blocklist FILE|--block NAME... "
                  "[--block-mode nxdomain|zero]\n"
                  "       [--listen-port 53] [--cache N] "
                  "--netif tap:NAME --ipv4 ADDR/PREFIX [OPTIONS]",
      .summary = "A forwarding DNS server (UDP and TCP) that answers names "
                 "on a blocklist itself\n(NXDOMAIN or 0.0.0.0/::) and caches "
                 "the rest; prints its counters at exit.",
      .opts = blk_flags,
      .arg = &bo,
  };

  ex_opts_default(&h.o);
  int first = ex_parse(&h.o, argc, argv, &prog);
  if (first < argc)
    ex_usage_error(PROG, "unexpected argument '%s'", argv[first]);
  if (!bo.has_up)
    ex_usage_error(PROG, "--upstream ADDR[:PORT] is required");
  if (bo.blocklist == NULL && bo.nblock == 0)
    ex_usage_error(PROG, "--blocklist FILE or --block NAME is required");
  if (h.o.ipv4 == 0)
    ex_usage_error(PROG, "--ipv4 ADDR/PREFIX is required");

  struct zn_dns_blocklist_stats ls;
  bk.blocked = load_blocklist(bo.blocklist, bo.block, bo.nblock,
                              &bk.blocked_mem, &ls);
  free(bo.block);
  if (bk.blocked == NULL || ex_open(&h, PROG) != 0) {
    free(bk.blocked_mem);
    return EX_EXIT_FAIL;
  }
  int status = 0;
  if (blocker_start(&bk, h.st, &bo, h.cfg.tcp_conns) != 0) {
    status = EX_EXIT_FAIL;
  } else {
    print_banner(&h, &bk, &bo, &ls);
    struct zn_loop_opts lo;
    memset(&lo, 0, sizeof(lo));
    lo.until = ZN_TIME_NEVER;
    /* A replay: let pending queries time out before the end. */
    lo.eof_linger = bk.up_timeout_ns + ZN_SEC(1);
    int rc = ex_run(&h, &lo);
    if (rc != ZN_OK) {
      fprintf(stderr, PROG ": interface failed: %s\n", zn_strerror(rc));
      status = EX_EXIT_FAIL;
    }
  }
  print_blk_stats(stderr, &bk);
  blocker_stop(&bk);
  ex_print_stats(stderr, h.st, PROG);
  ex_print_netif_stats(stderr, &h);
  ex_close(&h, PROG);
  return status;
}
