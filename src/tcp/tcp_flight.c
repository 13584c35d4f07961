/*
 * Flight blocks: the state a connection needs only while it has data in
 * flight, lent from a pool so that an idle connection does not carry it.
 *
 * The SACK scoreboard (RFC 6675, tcp_ack.c) and RACK's transmit map (RFC
 * 8985, tcp_rack.c) describe [SND.UNA, SND.MAX): when each range was last
 * sent, what the peer has SACKed of it.  Together they were three
 * quarters of a connection (768 of 2,008 bytes), and they are empty
 * whenever nothing is in flight, which for the connections a server
 * mostly holds (kept alive, waiting for the next request) is nearly
 * always.  So they live in a block of their own: a connection takes one
 * before it sends data or its FIN (zn__tcp_flight_ready, asked by
 * tcp_out.c's one transmission path) and gives it back when the peer has
 * acknowledged everything it sent and it has nothing more to send
 * (zn__tcp_flight_settled, at the end of every ACK), or when it is done
 * (zn__tcp_release_all).  Pacing's schedule and timer (tcp_pace.c) are
 * the block's too: only a sender paces, and a new block's schedule
 * starts from now, as after any idle period.
 *
 * The pool (cfg.tcp_flights) is by default as large as the TCP buffer
 * bound (tcp_mem.c's mem_limit) or the table, whichever is smaller: a
 * connection with data in flight holds that data in its send queue, so
 * at most that many can have any, and the default never holds a sender
 * back that the buffers would not have.  Set smaller, it can: then a
 * connection that finds the pool empty sends nothing (what it has stays
 * queued, as behind a closed window; no persist timer, no probe) and
 * joins a FIFO wait list, and each block given back sends for the first
 * waiter at the end of the poll (zn__tcp_flight_wake).  Every block
 * comes back: a block is held only while something is in flight or
 * waits to be sent, and that ends with the ACK, or with the connection
 * when the RTO or the user timeout gives up.  Counters: tcp_flight_wait (a connection found
 * the pool empty and waits), tcp_flight_woken (a waiter sent for again).
 *
 * Of the loss machinery only RFC 6675's and RFC 8985's arrays move; their
 * counts, RACK's state and the rate estimator's stay with the connection
 * (BBR's model and RACK's min_RTT must outlive an idle period), and with
 * no block both arrays read as empty: every loop over them stops at the
 * counts, which are 0.
 */
#include "core/stack_int.h"
#include "tcp/tcp_int.h"

static uint32_t flight_count(const struct zn_config *cfg) {
  if (cfg->tcp_flights)
    return cfg->tcp_flights < cfg->tcp_conns ? cfg->tcp_flights
                                             : cfg->tcp_conns;
  uint32_t bound = zn__tcp_mem_bound(cfg);
  return bound < cfg->tcp_conns ? bound : cfg->tcp_conns;
}

/* The scoreboard's ranges (tcp_int.h): the configuration's, else by the
 * send buffer. */
uint32_t zn__tcp_sack_ranges(const struct zn_config *cfg) {
  if (cfg->tcp_sack_ranges)
    return cfg->tcp_sack_ranges;
  return cfg->tcp_sndbuf >= ZN__TCP_SACK_BULK_SNDBUF ? ZN__TCP_SACK_RANGES_BULK
                                                      : ZN__TCP_SACK_RANGES;
}

size_t zn__tcp_flight_mem_size(const struct zn_config *cfg) {
  size_t n = flight_count(cfg);
  return zn__carve_size(n * sizeof(struct zn__tcp_flight)) +
         zn__carve_size(n * zn__tcp_sack_ranges(cfg) *
                        sizeof(struct zn__tcp_sack_block));
}

void zn__tcp_flight_init(struct zn_stack *st, void **mem) {
  struct zn__tcp *t = ZN__MOD(st, tcp);
  uint32_t n = flight_count(&st->cfg);
  t->sack_ranges = zn__tcp_sack_ranges(&st->cfg);
  struct zn__tcp_flight *fl =
      zn__carve(mem, (size_t)n * sizeof(struct zn__tcp_flight));
  struct zn__tcp_sack_block *sb = zn__carve(
      mem, (size_t)n * t->sack_ranges * sizeof(struct zn__tcp_sack_block));
  t->fl_free = NULL;
  for (uint32_t i = n; i-- > 0;) {
    fl[i].sacked = sb + (size_t)i * t->sack_ranges;
    fl[i].next_free = t->fl_free;
    t->fl_free = &fl[i];
  }
  t->fl_count = t->fl_nfree = n;
  t->fl_whead = t->fl_wtail = NULL;
}

static void wait_join(struct zn_tcp_conn *c) {
  struct zn__tcp *t = c->tcp;
  if (c->mem & ZN__TCPM_FLIGHT_WAIT)
    return;
  c->mem |= ZN__TCPM_FLIGHT_WAIT;
  c->fl_wnext = NULL;
  if (t->fl_wtail)
    t->fl_wtail->fl_wnext = c;
  else
    t->fl_whead = c;
  t->fl_wtail = c;
  ZN_STAT_INC(c->st, tcp_flight_wait);
}

/* Out of the wait list, wherever c is in it (a scan: a connection leaves
 * from the middle only when it ends while waiting). */
static void wait_leave(struct zn_tcp_conn *c) {
  struct zn__tcp *t = c->tcp;
  struct zn_tcp_conn *prev = NULL;
  for (struct zn_tcp_conn *x = t->fl_whead; x; prev = x, x = x->fl_wnext) {
    if (x != c)
      continue;
    if (prev)
      prev->fl_wnext = c->fl_wnext;
    else
      t->fl_whead = c->fl_wnext;
    if (t->fl_wtail == c)
      t->fl_wtail = prev;
    break;
  }
  c->fl_wnext = NULL;
  c->mem &= (uint8_t)~ZN__TCPM_FLIGHT_WAIT;
}

bool zn__tcp_flight_take(struct zn_tcp_conn *c) {
  struct zn__tcp *t = c->tcp;
  struct zn__tcp_flight *fl = t->fl_free;
  /* Waiters go first: a block given back is theirs, in order. */
  if (fl == NULL || (t->fl_whead && t->fl_whead != c)) {
    wait_join(c);
    return false;
  }
  if (c->mem & ZN__TCPM_FLIGHT_WAIT)
    wait_leave(c);
  t->fl_free = fl->next_free;
  t->fl_nfree--;
  fl->owner = c;
  fl->pace_next = 0; /* nothing owed from an earlier flight */
  zn_timer_init(&fl->pace_timer, zn__tcp_pace_timer_fn);
  c->fl = fl;
  c->nsacked = 0;
  c->nxmap = 0;
  return true;
}

void zn__tcp_flight_give(struct zn_tcp_conn *c) {
  struct zn__tcp *t = c->tcp;
  if (c->mem & ZN__TCPM_FLIGHT_WAIT)
    wait_leave(c);
  c->nsacked = 0;
  c->sacked_bytes = 0;
  c->nxmap = 0;
  if (c->fl == NULL)
    return;
  zn__timer_stop(c->st, &c->fl->pace_timer);
  c->fl->owner = NULL;
  c->fl->next_free = t->fl_free;
  t->fl_free = c->fl;
  t->fl_nfree++;
  c->fl = NULL;
  if (t->fl_whead)
    zn__poll_due(c->st, ZN__MOD_tcp, false);
}

bool zn__tcp_flight_wake_due(const struct zn__tcp *t) {
  return t->fl_whead && t->fl_nfree;
}

/* The first waiter, while blocks are free, sends: at the head of the
 * list it takes a block (and leaves the list) if it still has something
 * to send; if it sends nothing (its window may have shut meanwhile, or
 * pacing holds it) it leaves the list all the same, and asks again when
 * it next sends.  Bounded by the blocks free at the start. */
void zn__tcp_flight_wake(struct zn_stack *st) {
  struct zn__tcp *t = ZN__MOD(st, tcp);
  for (uint32_t n = t->fl_nfree; n > 0 && t->fl_whead && t->fl_nfree; n--) {
    struct zn_tcp_conn *c = t->fl_whead;
    ZN_STAT_INC(st, tcp_flight_woken);
    zn__tcp_output(c);
    if (c->mem & ZN__TCPM_FLIGHT_WAIT)
      wait_leave(c);
  }
}
