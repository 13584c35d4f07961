/*
 * The forwarder's answers to its clients (see znet/dns.h, "Forwarder"):
 * built here when they are local (a refusal, a block, a failure, a
 * truncated answer that sends a UDP client to TCP), copied when they are
 * the upstream's, and written to the client over UDP or, for a TCP or
 * stream client, with the length prefix of RFC 7766 into its connection.
 * The lowest of the forwarder's files: it calls none of the others.
 *
 * Local answers are built straight into a send buffer (or, for a TCP
 * client, into the scratch area behind room for the length prefix).
 */
#include <string.h>

#include "forward_int.h"
#include "znet/err.h"

/* Send b (consumed) from socket s, counting a failure. */
void zn__fwd_send_to(struct zn_dns_forwarder *fw, struct zn_udp_sock *s,
                     const struct zn_ip *addr, uint16_t port,
                     struct zn_buf *b) {
  if (zn_udp_sendto_buf(s, addr, port, b) != ZN_OK)
    fw->s.send_errors++;
}

/* ---- TCP clients: writing answers ---- */

/* The TCP client an answer for cl goes to: NULL for a UDP client, or a
 * connection that has gone or is closing. */
struct fwd_tclient *zn__fwd_tclient_of(struct zn_dns_forwarder *fw,
                                       const struct fwd_client *cl) {
  if (cl->kind != CL_TCP || cl->slot >= fw->cfg.tcp_clients)
    return NULL;
  struct fwd_tclient *tc = &fw->tc[cl->slot];
  return tc->s && tc->gen == cl->gen && !tc->closing ? tc : NULL;
}

/* Close the client's stream (once); its on_closed frees the slot. */
void zn__fwd_tc_close(struct fwd_tclient *tc) {
  if (tc->s && !tc->closing) {
    tc->closing = true;
    zn_stream_close(tc->s);
  }
}

/* Write what waits, in order, as far as the send buffer takes it. */
void zn__fwd_tc_flush(struct fwd_tclient *tc) {
  while (tc->out_off < tc->out_len && !tc->closing) {
    long w = zn_stream_write(tc->s, tc->out + tc->out_off,
                             tc->out_len - tc->out_off);
    if (w == ZN_EAGAIN)
      return; /* on_writable */
    if (w < 0) {
      zn__fwd_tc_close(tc);
      return;
    }
    tc->out_off += (size_t)w;
  }
  if (tc->out_off == tc->out_len)
    tc->out_off = tc->out_len = tc->nout = 0;
}

/* Send one answer (len bytes at fw->scratch + 2) to a TCP client: the
 * length prefix goes in front of it, and what the send buffer does not
 * take now waits, in order, in the client's out buffer.  Answers to
 * pipelined queries go out as they come (RFC 7766 6.2.1.1: the client
 * matches them by ID). */
static void tc_answer(struct zn_dns_forwarder *fw, const struct fwd_client *cl,
                      size_t len) {
  struct fwd_tclient *tc = zn__fwd_tclient_of(fw, cl);
  if (tc == NULL) {
    fw->s.tcp_answer_dropped++;
    return;
  }
  uint8_t *p = fw->scratch;
  (void)zn_dns_tcp_encode_len(len, p); /* 12..65535: a whole message */
  size_t total = len + 2, done = 0;
  if (tc->out_len == 0) {
    long w = zn_stream_write(tc->s, p, total);
    if (w < 0 && w != ZN_EAGAIN) {
      fw->s.send_errors++;
      zn__fwd_tc_close(tc);
      return;
    }
    done = w > 0 ? (size_t)w : 0;
  }
  fw->s.tcp_answers++;
  zn_timer_start_in(fw->st, &tc->idle, fw->tcp_idle_ns);
  if (done == total)
    return;
  if (tc->out_off > 0) {
    memmove(tc->out, tc->out + tc->out_off, tc->out_len - tc->out_off);
    tc->out_len -= tc->out_off;
    tc->out_off = 0;
  }
  if (total - done > FWD_TCP_OUT_MAX - tc->out_len) {
    /* A client that does not read: the stream would lose its framing,
     * so give up on the connection. */
    fw->s.send_errors++;
    zn__fwd_tc_close(tc);
    return;
  }
  memcpy(tc->out + tc->out_len, p + done, total - done);
  tc->out_len += total - done;
  tc->nout++;
}

/* ---- answers, to either kind of client ---- */

/* Where an answer is built: straight into a UDP send buffer, or into the
 * scratch area behind room for the TCP length prefix.  NULL (counted) if
 * no buffer is free.  zn__fwd_reply_send sends len bytes of it. */
uint8_t *zn__fwd_reply_begin(struct zn_dns_forwarder *fw,
                             const struct fwd_client *cl, size_t max,
                             struct zn_buf **b) {
  *b = NULL;
  if (cl->kind == CL_TCP)
    return fw->scratch + 2;
  *b = zn_udp_buf_alloc(fw->listen, max);
  if (*b == NULL) {
    fw->s.send_errors++;
    return NULL;
  }
  return (*b)->data;
}

void zn__fwd_reply_send(struct zn_dns_forwarder *fw,
                        const struct fwd_client *cl, struct zn_buf *b,
                        size_t len) {
  if (cl->kind == CL_TCP) {
    tc_answer(fw, cl, len);
    return;
  }
  zn_buf_put(b, len);
  zn__fwd_send_to(fw, fw->listen, &cl->addr, cl->port, b);
}

/* Append an OPT record advertising our UDP size (RFC 6891 7: a response
 * carries one iff the query did), DO copied from the query (RFC 3225). */
void zn__fwd_build_opt(struct zn_dns_builder *b, bool do_bit) {
  struct zn_dns_opt o;
  memset(&o, 0, sizeof(o));
  o.udp_size = FWD_EDNS_UDP_SIZE;
  o.do_bit = do_bit;
  (void)zn_dns_build_opt(b, &o); /* fits: FWD_LOCAL_MSG_MAX leaves room */
}

/* A local answer to the query: rcode, and in zero mode the 0.0.0.0 / ::
 * record, or with tc an empty answer with TC set.  Built straight into
 * the send buffer. */
void zn__fwd_answer_local(struct zn_dns_forwarder *fw,
                          const struct fwd_client *cl,
                          const struct fwd_query *qr, uint8_t rcode, bool zero,
                          bool tc) {
  struct zn_buf *b;
  uint8_t *p = zn__fwd_reply_begin(fw, cl, FWD_LOCAL_MSG_MAX, &b);
  if (p == NULL)
    return;
  struct zn_dns_builder bld;
  /* Questions that do not fit or parse leave a header-only answer in
   * bld: exactly what FORMERR wants.  Only a bad rcode leaves it unset.
   * One question (at most 259 bytes), a compressed A or AAAA record and
   * an OPT record always fit in FWD_LOCAL_MSG_MAX. */
  if (zn_dns_build_response(&bld, p, FWD_LOCAL_MSG_MAX, &qr->m, rcode) ==
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
                          FWD_BLOCK_TTL, &rd);
  }
  if (qr->edns)
    zn__fwd_build_opt(&bld, qr->do_bit);
  zn__fwd_reply_send(fw, cl, b, zn_dns_build_len(&bld));
}

/* An answer with no records, rebuilt from what a pending entry remembers
 * (the query itself is long gone): SERVFAIL, or a truncated answer (TC)
 * that sends a UDP client to TCP. */
void zn__fwd_answer_pending(struct zn_dns_forwarder *fw,
                            const struct fwd_pending *p, uint8_t rcode,
                            bool tc) {
  struct zn_buf *b;
  uint8_t *buf = zn__fwd_reply_begin(fw, &p->cl, FWD_LOCAL_MSG_MAX, &b);
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
  if (zn_dns_build_init(&bld, buf, FWD_LOCAL_MSG_MAX, &h) != ZN_OK) {
    zn_buf_free(b);
    return;
  }
  (void)zn_dns_build_question(&bld, &p->qname, p->qtype, p->qclass);
  if (p->edns)
    zn__fwd_build_opt(&bld, p->do_bit);
  if (rcode == ZN_DNS_RCODE_SERVFAIL)
    fw->s.servfail++;
  zn__fwd_reply_send(fw, &p->cl, b, zn_dns_build_len(&bld));
}

/* A whole answer from the upstream (over TCP, so any size) to the
 * pending query's client, under the client's ID.  A UDP client that
 * cannot take that much gets a truncated answer instead, and asks us
 * again over TCP (where the cache has it by then). */
void zn__fwd_answer_copy(struct zn_dns_forwarder *fw,
                         const struct fwd_pending *p, const uint8_t *msg,
                         size_t len) {
  if (p->cl.kind == CL_UDP && len > p->client_max) {
    fw->s.truncated_for_client++;
    zn__fwd_answer_pending(fw, p, ZN_DNS_RCODE_NOERROR, true);
    return;
  }
  struct zn_buf *b;
  uint8_t *buf = zn__fwd_reply_begin(fw, &p->cl, len, &b);
  if (buf == NULL)
    return;
  memcpy(buf, msg, len);
  zn_wr16(buf, p->orig_id);
  zn__fwd_reply_send(fw, &p->cl, b, len);
}
