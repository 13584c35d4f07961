/*
 * A query's way through the forwarder (see znet/dns.h, "Forwarder"),
 * whichever client it came from (forward.c over UDP, forward_tcp.c over
 * TCP and streams): step 1, is it a query we serve; step 2, is its name
 * blocked; step 3, is its answer cached; step 4, to the upstream under a
 * fresh ID, over UDP or over a stream connection (forward_stream.c).
 *
 * Zero copy where the bytes do not change size: a UDP client's query is
 * forwarded in the buffer it came in, its ID rewritten in place and sent
 * on with zn_udp_sendto_buf.
 */
#include <string.h>

#include "forward_int.h"
#include "znet/err.h"
#include "znet/stack.h"

/* DO and CD change what an upstream puts in its answer (signatures,
 * unvalidated data), so they are part of the cache key. */
static uint8_t variant(bool do_bit, bool cd) {
  return (uint8_t)((do_bit ? 1u : 0u) | (cd ? 2u : 0u));
}

static void answer_local(struct zn_dns_forwarder *fw,
                         const struct fwd_client *cl,
                         const struct fwd_query *qr, uint8_t rcode, bool zero) {
  zn__fwd_answer_local(fw, cl, qr, rcode, zero, false);
}

/* Step 1: is this a query we serve?  Answers FORMERR/NOTIMP or drops, and
 * returns false, if not.  client_max starts at what the transport takes
 * without EDNS (512 for UDP, a whole message for TCP). */
bool zn__fwd_check_query(struct zn_dns_forwarder *fw,
                         const struct fwd_client *cl, const uint8_t *data,
                         size_t len, struct fwd_query *qr) {
  if (zn_dns_msg_init(&qr->m, data, len) != ZN_OK) {
    fw->s.dropped_short++;
    fw->s.dropped++;
    return false;
  }
  if (zn_dns_qr(&qr->m)) {
    fw->s.dropped_response++;
    fw->s.dropped++;
    return false;
  }
  fw->s.queries++;
  qr->edns = false;
  qr->do_bit = false;
  qr->client_max = cl->kind == CL_TCP ? ZN_DNS_MSG_MAX : ZN_DNS_UDP_MAX;
  if (zn_dns_opcode(&qr->m) != ZN_DNS_OPCODE_QUERY) {
    fw->s.notimp++;
    answer_local(fw, cl, qr, ZN_DNS_RCODE_NOTIMP, false);
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
    fw->s.formerr++;
    answer_local(fw, cl, qr, ZN_DNS_RCODE_FORMERR, false);
    return false;
  }
  if (oerr == ZN_OK) {
    qr->edns = true;
    qr->do_bit = o.do_bit;
    if (o.udp_size > qr->client_max)
      qr->client_max = o.udp_size;
  }
  zn__fwd_cache_key(&qr->key, &qr->q.name, qr->q.qtype, qr->q.qclass,
                    variant(qr->do_bit, zn_dns_cd(&qr->m)));
  return true;
}

/* Step 3: serve from the cache if the entry is there.  One too big for
 * a UDP client is answered with TC (RFC 1035 4.2.1, RFC 2181 9): the
 * client asks again over TCP, and gets it from the cache then.  The
 * library writes the client's ID, RD, CD and question case into it, and
 * every TTL lowered by the time it spent cached. */
static bool serve_cached(struct zn_dns_forwarder *fw,
                         const struct fwd_client *cl,
                         const struct fwd_query *qr, uint64_t now) {
  struct zn_dns_cache_hit hit;
  if (fw->cache == NULL ||
      zn_dns_cache_get(fw->cache, &qr->key, now, &hit) != ZN_OK) {
    fw->s.cache_misses++;
    return false;
  }
  fw->s.cache_hits++;
  size_t len = zn_dns_cache_msg_len(&hit, qr->edns);
  if (len > qr->client_max) {
    fw->s.truncated_for_client++;
    zn__fwd_answer_local(fw, cl, qr, ZN_DNS_RCODE_NOERROR, false, true);
    return true;
  }
  struct zn_buf *b;
  uint8_t *p = zn__fwd_reply_begin(fw, cl, len, &b);
  if (p == NULL)
    return true; /* answered as far as the client can tell: it retries */
  struct zn_dns_opt o = {.udp_size = FWD_EDNS_UDP_SIZE, .do_bit = qr->do_bit};
  (void)zn_dns_cache_write_msg(&hit, &qr->m, qr->edns ? &o : NULL, p);
  zn__fwd_reply_send(fw, cl, b, len);
  return true;
}

/* Step 4: to the upstream over UDP, under a fresh ID.  A UDP client's
 * buffer goes out again with only the ID changed (d); a TCP client's
 * query is copied into a datagram.  Or over a stream connection
 * (forward_stream.c), when the upstream is asked that way. */
static void forward(struct zn_dns_forwarder *fw, const struct fwd_client *cl,
                    const struct zn_udp_dgram *d, const struct fwd_query *qr,
                    uint64_t now) {
  struct fwd_pending *p = zn__fwd_pending_new(fw, now);
  if (p == NULL) {
    /* Refusing costs the client one round trip; queueing without bound
     * would cost us the memory. */
    fw->s.pending_full++;
    fw->s.servfail++;
    answer_local(fw, cl, qr, ZN_DNS_RCODE_SERVFAIL, false);
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
  struct fwd_tclient *tc = zn__fwd_tclient_of(fw, cl);
  if (tc)
    tc->inflight++;
  fw->s.forwarded++;
  if (fw->cfg.upstream_stream) {
    if (zn__fwd_stream_send(fw, p, qr->m.p, qr->m.len))
      return;
    if (!fw->cfg.upstream_fallback_udp) {
      fw->s.upstream_stream_unavailable++; /* strict (RFC 8310 5) */
      zn__fwd_fail_pending(fw, p);
      return;
    }
    fw->s.upstream_fallback_udp++; /* opportunistic: in clear */
  }

  struct zn_buf *b;
  if (d) {
    b = zn_udp_dgram_keep(d);
  } else {
    b = zn_udp_buf_alloc(fw->up, qr->m.len);
    if (b)
      memcpy(zn_buf_put(b, qr->m.len), qr->m.p, qr->m.len);
  }
  if (b == NULL) {
    fw->s.send_errors++;
    zn__fwd_fail_pending(fw, p);
    return;
  }
  zn_wr16(b->data, p->new_id); /* the query's bytes now carry new_id */
  if (zn_udp_sendto_buf(fw->up, &fw->up_addr, fw->udp_port, b) != ZN_OK) {
    fw->s.send_errors++;
    zn__fwd_fail_pending(fw, p); /* from the entry: it has the client's ID */
  }
}

/* Steps 2 to 4 for a query that passed step 1. */
void zn__fwd_serve(struct zn_dns_forwarder *fw, const struct fwd_client *cl,
                   const struct zn_udp_dgram *d, const struct fwd_query *qr) {
  uint64_t now = zn_stack_now(fw->st);
  if (fw->cfg.blocklist &&
      zn_dns_blocklist_match(fw->cfg.blocklist, &qr->q.name)) {
    bool zero =
        fw->cfg.block_zero && qr->q.qclass == ZN_DNS_CLASS_IN &&
        (qr->q.qtype == ZN_DNS_TYPE_A || qr->q.qtype == ZN_DNS_TYPE_AAAA);
    fw->s.blocked++;
    answer_local(fw, cl, qr,
                 fw->cfg.block_zero ? ZN_DNS_RCODE_NOERROR
                                    : ZN_DNS_RCODE_NXDOMAIN,
                 zero);
    return;
  }
  if (serve_cached(fw, cl, qr, now))
    return;
  forward(fw, cl, d, qr, now);
}
