/*
 * The forwarder's queries in progress (see znet/dns.h, "Forwarder"): the
 * pending table of queries sent upstream under a fresh ID (RFC 5452 9.2)
 * and not yet answered, oldest first, one timer for them all; the check
 * that an answer is to the question asked (RFC 5452 9.1); and the cache
 * an answer goes into.  Whoever gets an answer (forward.c over UDP,
 * forward_tcp.c over TCP, forward_stream.c over a stream) ends its entry
 * here; the answer itself is forward_answer.c's.
 *
 * Ending an entry never calls up into a client: a TCP client that had
 * stopped reading for its queries in progress is woken by its own timer,
 * due at once, which the stack runs at the end of the poll (forward_tcp.c,
 * zn__fwd_tc_wake).  So serving a query, which may end one, never finds
 * itself reading the next.
 */
#include <string.h>

#include "forward_int.h"
#include "znet/err.h"
#include "znet/stack.h"

/* ---- the answer cache ---- */

/* Keep the upstream's answer m to the pending query p, if it may be. */
void zn__fwd_cache_put(struct zn_dns_forwarder *fw, const struct fwd_pending *p,
                       const struct zn_dns_msg *m, uint64_t now) {
  struct zn_dns_cache_key k;
  if (fw->cache == NULL)
    return;
  zn__fwd_cache_key(&k, &p->qname, p->qtype, p->qclass, p->variant);
  if (zn_dns_cache_put_msg(fw->cache, &k, m, now) != ZN_OK)
    fw->s.cache_uncacheable++; /* TTL 0, negative without SOA, TC, size */
}

/* RFC 5452 9.1: the question of answer m must be the one p asked. */
bool zn__fwd_question_is(const struct zn_dns_msg *m,
                         const struct fwd_pending *p) {
  struct zn_dns_iter it;
  struct zn_dns_question q;
  zn_dns_iter_init(&it, m);
  return zn_dns_qdcount(m) == 1 && zn_dns_iter_question(&it, &q) == ZN_OK &&
         q.qtype == p->qtype && q.qclass == p->qclass &&
         zn_dns_name_eq(&q.name, &p->qname);
}

/* ---- the pending table ---- */

static void pending_rearm(struct zn_dns_forwarder *fw) {
  if (fw->oldest)
    zn_timer_start(fw->st, &fw->timer, fw->oldest->deadline);
  else
    zn_timer_stop(fw->st, &fw->timer);
}

/* The entry goes back on the free list, with what it held: its TCP
 * retry, its place on an upstream stream, its TCP client's count of
 * queries in progress (the client woken to read on, see above). */
static void pending_release(struct zn_dns_forwarder *fw,
                            struct fwd_pending *p) {
  if (p->prev)
    p->prev->next = p->next;
  else
    fw->oldest = p->next;
  if (p->next)
    p->next->prev = p->prev;
  else
    fw->newest = p->prev;
  fw->by_id[p->new_id] = 0;
  if (p->up) {
    /* The TCP retry is over (answered, failed or timed out). */
    p->up->p = NULL;
    if (p->up->c)
      zn_tcp_abort(p->up->c);
    p->up = NULL;
  }
  if (p->via && p->via->inflight > 0)
    p->via->inflight--;
  p->via = NULL;
  struct fwd_tclient *tc = zn__fwd_tclient_of(fw, &p->cl);
  p->prev = NULL;
  p->next = fw->free_pend;
  fw->free_pend = p;
  fw->npending--;
  if (tc) {
    tc->inflight--;
    zn_timer_start(fw->st, &tc->wake, 0); /* due now: this poll's timers */
  }
}

/* A new entry with a fresh random ID (RFC 5452 9.2), at the young end of
 * the list (the timer armed for it if it is the only one); NULL if the
 * table is full. */
struct fwd_pending *zn__fwd_pending_new(struct zn_dns_forwarder *fw,
                                        uint64_t now) {
  struct fwd_pending *p = fw->free_pend;
  if (p == NULL)
    return NULL;
  uint16_t id = 0;
  int tries = 0;
  do {
    id = (uint16_t)zn_random_u32(fw->st);
  } while (fw->by_id[id] != 0 && ++tries < FWD_ID_TRIES);
  if (fw->by_id[id] != 0)
    return NULL;
  fw->free_pend = p->next;
  memset(p, 0, sizeof(*p));
  p->new_id = id;
  p->deadline = now + fw->up_timeout_ns;
  fw->by_id[id] = (uint16_t)(p - fw->pend + 1);
  p->prev = fw->newest;
  if (fw->newest)
    fw->newest->next = p;
  else
    fw->oldest = p;
  fw->newest = p;
  fw->npending++;
  if (p == fw->oldest)
    pending_rearm(fw);
  return p;
}

void zn__fwd_pending_done(struct zn_dns_forwarder *fw, struct fwd_pending *p) {
  pending_release(fw, p);
  pending_rearm(fw);
}

static void servfail_pending(struct zn_dns_forwarder *fw,
                             const struct fwd_pending *p) {
  zn__fwd_answer_pending(fw, p, ZN_DNS_RCODE_SERVFAIL, false);
}

/* SERVFAIL to the entry's client, and the entry is done. */
void zn__fwd_fail_pending(struct zn_dns_forwarder *fw, struct fwd_pending *p) {
  servfail_pending(fw, p);
  zn__fwd_pending_done(fw, p);
}

/* Expire pending queries whose time is up.  The client gets SERVFAIL
 * rather than silence: a stub resolver then moves on to its next server
 * (or reports the failure) at once, instead of waiting out its own
 * timeout and retrying a forwarder that has already given up. */
void zn__fwd_expire_pending(struct zn_stack *st, struct zn_timer *t) {
  struct zn_dns_forwarder *fw =
      ZN_CONTAINER_OF(t, struct zn_dns_forwarder, timer);
  uint64_t now = zn_stack_now(st);
  while (fw->oldest && fw->oldest->deadline <= now) {
    struct fwd_pending *p = fw->oldest;
    fw->s.upstream_timeouts++;
    servfail_pending(fw, p);
    pending_release(fw, p);
  }
  pending_rearm(fw);
}
