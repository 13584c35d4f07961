/*
 * Model blocks: BBR's state (struct zn__tcp_bbr, 240 bytes), lent to the
 * connections that use BBR for their life, so that the others do not
 * carry it.  In the controller's union it was the largest member: every
 * CUBIC connection paid for a model it never had.
 *
 * The pool (cfg.tcp_bbr_conns) defaults to the whole table when the
 * stack's controller is BBR (every connection may need one: none is ever
 * refused), else to 64 (ZN__TCP_BBR_OPT_IN), for the connections that
 * ask for BBR themselves (zn_tcp_set_cc, a listener's or a connect's
 * opts.cc): a fixed number, so that a large table of CUBIC connections
 * pays nothing per connection for BBR.  A connection takes its block
 * when its controller starts (zn__tcp_conn_setup) and gives it back when
 * it ends (zn__tcp_release_all, or a switch away from BBR before any
 * data).
 * With none free, a connection set up for BBR runs CUBIC instead
 * (counter tcp_cc_fallback), and zn_tcp_set_cc refuses BBR with
 * ZN_ENOBUFS: the model is the whole of BBR, there is no BBR without it.
 */
#include "core/stack_int.h"
#include "tcp/tcp_int.h"

/* Model blocks for a stack whose controller is not BBR, by default. */
#define ZN__TCP_BBR_OPT_IN 64u

/* The pool's blocks are linked through their first bytes while free. */
union zn__tcp_model_slot {
  union zn__tcp_model_slot *next_free;
  struct zn__tcp_bbr bbr;
};

static uint32_t model_count(const struct zn_config *cfg) {
  uint32_t n = cfg->tcp_bbr_conns;
  if (n == 0)
    n = cfg->tcp_cc == ZN_TCP_CC_BBR ? cfg->tcp_conns : ZN__TCP_BBR_OPT_IN;
  return n < cfg->tcp_conns ? n : cfg->tcp_conns;
}

size_t zn__tcp_model_mem_size(const struct zn_config *cfg) {
  return zn__carve_size((size_t)model_count(cfg) *
                        sizeof(union zn__tcp_model_slot));
}

void zn__tcp_model_init(struct zn_stack *st, void **mem) {
  struct zn__tcp *t = ZN__MOD(st, tcp);
  uint32_t n = model_count(&st->cfg);
  union zn__tcp_model_slot *m =
      zn__carve(mem, (size_t)n * sizeof(union zn__tcp_model_slot));
  t->model_free = NULL;
  for (uint32_t i = n; i-- > 0;) {
    m[i].next_free = t->model_free;
    t->model_free = &m[i];
  }
  t->model_count = t->model_nfree = n;
}

/* c's controller is to be ops: with a model-based one, c takes a model
 * block (keeping one it has).  False: none is free (c is unchanged). */
bool zn__tcp_model_take(struct zn_tcp_conn *c,
                        const struct zn__tcp_cc_ops *ops) {
  struct zn__tcp *t = c->tcp;
  if (!ops->model_based || (c->cc.ops && c->cc.ops->model_based))
    return true;
  union zn__tcp_model_slot *m = t->model_free;
  if (m == NULL)
    return false;
  t->model_free = m->next_free;
  t->model_nfree--;
  c->cc.bbr = &m->bbr;
  return true;
}

/* c's controller is no longer a model-based one (it ends, or changes):
 * its block goes back, and c runs CUBIC until told otherwise. */
void zn__tcp_model_give(struct zn_tcp_conn *c) {
  struct zn__tcp *t = c->tcp;
  if (!c->cc.ops || !c->cc.ops->model_based || c->cc.bbr == NULL)
    return;
  union zn__tcp_model_slot *m = (union zn__tcp_model_slot *)(void *)c->cc.bbr;
  m->next_free = t->model_free;
  t->model_free = m;
  t->model_nfree++;
  /* A controller all the same, for whatever still asks it (CUBIC, from
   * the window it had). */
  uint32_t cwnd = c->cc.cwnd;
  c->cc.ops = zn__tcp_cc_ops_of(ZN_TCP_CC_CUBIC);
  c->cc.ops->init(&c->cc, c->cc.mss, cwnd);
}
