/*
 * TCP connections: the table, lookup, listeners, callbacks and the
 * application API.  The protocol itself is in tcp_in.c, tcp_in_sync.c
 * and tcp_ack.c (input), tcp_out.c (output and timers), tcp_act.c and
 * tcp_fsm.rl (the state machine).
 *
 * Lookup is by a keyed hash (SipHash under the stack's secret) of the
 * 4-tuple, so an attacker choosing ports cannot pile connections into one
 * chain.  Listeners have their own table keyed by local port.  The last
 * connection found and the last hashes are remembered, so a run of
 * segments of one connection is not hashed segment by segment.
 *
 * Lifetime: callbacks are collected as flags while a segment or a timer is
 * processed and delivered at the end (zn__tcp_deliver), so no callback
 * ever sees a connection half-way through an update.  A connection that
 * reaches CLOSED goes on the reap list; at the end of the poll on_closed
 * runs (if the application holds a handle) and the slot is freed.
 *
 * Settings (struct zn_tcp_opts, the setters): a connection starts with
 * the stack's defaults (zn__tcp_alloc), then its opts (apply_opts) or its
 * listener's (zn__tcp_inherit), before its first segment.  A setter only
 * writes the connection and at most sends what the new setting lets go
 * (kick_output): no callback runs inside one.  The protocol reads them
 * where it needs them: tcp_out.c (cork, TOS, TTL, the user timeout),
 * tcp_mem.c (rcvbuf).
 */
#include <string.h>

#include "core/hash_int.h"
#include "core/module_int.h"
#include "core/stack_int.h"
#include "af/af_inline.h"
#include "tcp/tcp_int.h"
#include "tcp/tcp_isn.h"
#include "znet/err.h"
#include "znet/hash.h"

static const char *const state_names[ZN_TCP_NSTATES] = {
    "CLOSED",      "LISTEN",     "SYN_SENT",   "SYN_RECEIVED",
    "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2", "CLOSE_WAIT",
    "CLOSING",     "LAST_ACK",   "TIME_WAIT"};

const char *zn_tcp_state_name(int state) {
  return state >= 0 && state < ZN_TCP_NSTATES ? state_names[state] : "?";
}

/* The tables' sizes: a bucket a connection at least (chains of one on
 * average when the table is full), and a listener bucket for 16 (few
 * connections listen). */
static uint32_t conn_buckets(uint32_t n) {
  return zn__tcp_pow2_at_least(n + 1);
}
static uint32_t listen_buckets(uint32_t n) {
  return zn__tcp_pow2_at_least(n / 16 + 4);
}

/* The table's slots: cfg.tcp_conns, and one spare that only a segment
 * for a saved TIME_WAIT may take (zn__tcp_alloc_spare): it can always
 * be answered, a full table or not. */
static uint32_t slot_count(uint32_t n) { return n ? n + 1u : 0u; }

size_t zn__tcp_mem_size(const struct zn_config *cfg) {
  uint32_t n = cfg->tcp_conns;
  return zn__carve_size((size_t)slot_count(n) * sizeof(struct zn_tcp_conn)) +
         zn__carve_size((size_t)conn_buckets(n) * sizeof(void *)) +
         zn__carve_size((size_t)listen_buckets(n) * sizeof(void *)) +
         zn__tcp_flight_mem_size(cfg) + zn__tcp_model_mem_size(cfg) +
         zn__tcp_tw_mem_size(cfg);
}

void zn__tcp_init(struct zn_stack *st, void **mem) {
  struct zn__tcp *t = ZN__MOD(st, tcp);
  uint32_t n = st->cfg.tcp_conns, slots = slot_count(n);
  memset(t, 0, sizeof(*t));
  t->nslots = slots;
  t->conns = zn__carve(mem, (size_t)slots * sizeof(struct zn_tcp_conn));
  t->nbuckets = conn_buckets(n);
  t->bucket = zn__carve(mem, (size_t)t->nbuckets * sizeof(void *));
  t->nlbuckets = listen_buckets(n);
  t->lbucket = zn__carve(mem, (size_t)t->nlbuckets * sizeof(void *));
  memset(t->conns, 0, (size_t)slots * sizeof(struct zn_tcp_conn));
  memset(t->bucket, 0, (size_t)t->nbuckets * sizeof(void *));
  memset(t->lbucket, 0, (size_t)t->nlbuckets * sizeof(void *));
  for (uint32_t i = slots; i-- > 0;) {
    t->conns[i].next = t->free;
    t->free = &t->conns[i];
  }
  zn__tcp_mem_init(st);
  zn__tcp_flight_init(st, mem);
  zn__tcp_model_init(st, mem);
  zn__tcp_tw_init(st, mem);
  if (n)
    zn__inet_register(st, ZN__INET_ON_BOTH, ZN_IPPROTO_TCP, zn__tcp_input, zn__tcp_icmp_err);
}

static void free_slot(struct zn_tcp_conn *c) {
  struct zn__tcp *t = c->tcp;
  struct zn_stack *st = c->st;
  /* (zn__tcp_closed released all but the receive queue of an application
   * still holding the handle: most slots come here holding nothing, and
   * what release_all would reset then is cleared below or set up again
   * by zn__tcp_alloc.) */
  if (c->sndq.head || c->rcvq.head || c->ooo.root || c->acq_head ||
      c->mem_charged || c->adv_charged || c->fl ||
      (c->mem & ZN__TCPM_FLIGHT_WAIT) ||
      (c->cc.ops && c->cc.ops->model_based))
    zn__tcp_release_all(c);
  /* (Stopped by zn__tcp_closed, and nothing arms one in CLOSED: this
   * keeps a pending timer off the free slot all the same, for three
   * tests.) */
  zn__tcp_timers_stop(c);
  if (t->last == c) /* hashed out already; never point at a free slot */
    t->last = NULL;
  /* Not the queues and timers zn__tcp_alloc sets up (empty and stopped
   * by now), nor the arrays behind their counts. */
  memset(c, 0, ZN__TCP_CONN_CLEARED);
  c->st = st;
  c->tcp = t;
  c->next = t->free;
  t->free = c;
  t->nused--;
}

void zn__tcp_destroy(struct zn_stack *st) {
  for (uint32_t i = 0; i < ZN__MOD(st, tcp)->nslots; i++) {
    struct zn_tcp_conn *c = &ZN__MOD(st, tcp)->conns[i];
    if (c->st)
      zn__tcp_release_all(c);
  }
}

void zn__tcp_addr_removed(struct zn_stack *st, const struct zn_ip *addr) {
  for (uint32_t i = 0; i < ZN__MOD(st, tcp)->nslots; i++) {
    struct zn_tcp_conn *c = &ZN__MOD(st, tcp)->conns[i];
    if (!c->st || c->state == ZN_TCP_CLOSED || c->state == ZN_TCP_LISTEN ||
        c->state == ZN_TCP_TIME_WAIT || !zn__inet_eq(&c->laddr, addr))
      continue;
    ZN_STAT_INC(st, tcp_addr_removed);
    zn__tcp_notify_error(c, ZN_EADDRNOTAVAIL);
    zn__tcp_fsm(c, ZN__EV_T_GIVEUP, NULL);
    zn__tcp_reap_add(c); /* on_error from the poll (it may be an API call) */
  }
}

/* A free slot, the spare included. */
struct zn_tcp_conn *zn__tcp_alloc_spare(struct zn_stack *st) {
  struct zn__tcp *t = ZN__MOD(st, tcp);
  struct zn_tcp_conn *c = t->free;
  if (!c)
    return NULL;
  t->free = c->next;
  /* Free slots are all zero but st and next up to ZN__TCP_CONN_CLEARED
   * (zn__tcp_init and free_slot clear them: nothing that scans the table
   * may find a stale mark on one), so the slot is not cleared a second
   * time here; beyond, the queues and timers are set up here, and the
   * arrays' counts say they are empty. */
  c->next = NULL;
  c->st = st;
  c->tcp = t;
  c->state = ZN_TCP_CLOSED;
  c->cc_algo = st->cfg.tcp_cc;
  c->sndbuf = st->cfg.tcp_sndbuf;
  c->rcvbuf = st->cfg.tcp_rcvbuf;
  zn_bufq_init(&c->sndq);
  zn_bufq_init(&c->rcvq);
  zn__tcp_ooo_init(&c->ooo);
  zn__tcp_timers_init(c);
  t->nused++;
  return c;
}

struct zn_tcp_conn *zn__tcp_alloc(struct zn_stack *st) {
  if (ZN__MOD(st, tcp)->nused >= st->cfg.tcp_conns) {
    ZN_STAT_INC(st, tcp_table_full);
    return NULL;
  }
  return zn__tcp_alloc_spare(st);
}

/* ---- hashing ---- */

/* The keyed hashes stay (they keep an attacker from piling connections
 * into one chain), but the common case does not pay for them again: the
 * last 4-tuple's and the last listening port's hashes are remembered (a
 * SYN's lookup and the new connection's insertion hash once; so do the
 * candidate port and the insertion of zn_tcp_connect), a connection
 * keeps the hash it was inserted under (removal hashes nothing), and
 * zn__tcp_lookup answers a run of segments of one connection from
 * t->last.
 *
 * A 4-tuple's hash is SipHash-1-3 under the stack's key of
 *
 *     laddr | raddr | lport | rport      (ports big-endian)
 *
 * the family's bytes only: 12 bytes for IPv4, 36 for IPv6 (the lengths
 * keep the families apart, and every input of tcp_isn.c's hashes, under
 * the same key, is 13 or 37 bytes and a SipHash-2-4 besides).  Its low
 * 32 bits are the connection's table hash, which chooses its chain and
 * must never be seen: nothing derived from them leaves the stack.  Its
 * high 32 bits are an independent half of the PRF's output (knowing one
 * half says nothing of the other, as with zn__peer_hash's halves), and
 * the first 16 of them seed the connection's IPv4 IDs (zn_tcp_conn.ip_id,
 * tcp_out.c), which a peer sees: the ID counter comes with the hash the
 * connection is filed under, for nothing. */
static uint64_t tuple_sip(const struct zn_stack *st, const struct zn_ip *laddr,
                          uint16_t lport, const struct zn_ip *raddr,
                          uint16_t rport) {
  if (laddr->family != ZN_AF_INET6) {
    /* The 12 bytes as words (core/hash_int.h), read from the fields. */
    uint64_t w0 = zn__sip_le32(laddr->bytes) | zn__sip_le32(raddr->bytes) << 32;
    uint64_t tail = zn__sip_be16(lport) | zn__sip_be16(rport) << 16;
    return zn__siphash13_w2(st->hash_key, w0, tail, 12);
  }
  uint8_t in[36];
  memcpy(in, laddr->bytes, 16);
  memcpy(in + 16, raddr->bytes, 16);
  zn_wr16(in + 32, lport);
  zn_wr16(in + 34, rport);
  return zn_siphash13(st->hash_key, in, sizeof(in));
}

/* (Inlined into both lookups, which it specialises.) */
static inline __attribute__((always_inline)) uint64_t
tuple_hash(struct zn_stack *st, const struct zn_ip *laddr, uint16_t lport,
           const struct zn_ip *raddr, uint16_t rport) {
  struct zn__tcp *t = ZN__MOD(st, tcp);
  if (t->memo_ok &&
      zn__tcp_tuple_is(&t->memo_laddr, t->memo_lport, &t->memo_raddr,
                       t->memo_rport, laddr, lport, raddr, rport))
    return t->memo_hash;
  t->memo_hash = tuple_sip(st, laddr, lport, raddr, rport);
  t->memo_laddr = *laddr;
  t->memo_raddr = *raddr;
  t->memo_lport = lport;
  t->memo_rport = rport;
  t->memo_ok = true;
  return t->memo_hash;
}

uint32_t zn__tcp_tuple_hash(struct zn_stack *st, const struct zn_ip *laddr,
                           uint16_t lport, const struct zn_ip *raddr,
                           uint16_t rport) {
  return (uint32_t)tuple_hash(st, laddr, lport, raddr, rport);
}

static uint32_t port_hash(struct zn_stack *st, uint16_t lport) {
  struct zn__tcp *t = ZN__MOD(st, tcp);
  if (!t->lmemo_ok || t->lmemo_port != lport) {
    t->lmemo_hash = zn__hash32(st, lport, 0x6c697374u);
    t->lmemo_port = lport;
    t->lmemo_ok = true;
  }
  return t->lmemo_hash;
}

/* The flow's coming and going, for a group's flow table. */
void zn__tcp_tell_flow(struct zn__tcp *t, const struct zn_ip *raddr,
                       uint16_t rport, uint16_t lport, bool opened) {
  const struct zn_flow_hooks *h = &t->flow_hooks;
  void (*fn)(void *, const struct zn_steer_key *) =
      opened ? h->opened : h->closed;
  if (fn == NULL)
    return;
  struct zn_steer_key k;
  zn_steer_key_of_flow(&k, ZN_IPPROTO_TCP, raddr, rport, lport);
  fn(h->arg, &k);
}

static void tell_flow(const struct zn_tcp_conn *c, bool opened) {
  zn__tcp_tell_flow(c->tcp, &c->raddr, c->rport, c->lport, opened);
}

void zn_tcp_set_flow_hooks(struct zn_stack *st, const struct zn_flow_hooks *h) {
  struct zn__tcp *t = ZN__MOD(st, tcp);
  if (h)
    t->flow_hooks = *h;
  else
    memset(&t->flow_hooks, 0, sizeof(t->flow_hooks));
}

void zn__tcp_hash_in(struct zn_tcp_conn *c) {
  struct zn__tcp *t = c->tcp;
  struct zn_tcp_conn **b;
  if (c->state == ZN_TCP_LISTEN) {
    c->hash = port_hash(c->st, c->lport);
    c->hashed = ZN__TCP_HASHED_LISTEN;
    b = &t->lbucket[c->hash & (t->nlbuckets - 1)];
  } else {
    uint64_t h = tuple_hash(c->st, &c->laddr, c->lport, &c->raddr, c->rport);
    c->hash = (uint32_t)h;
    c->ip_id = (uint16_t)(h >> 32); /* the other half: see above */
    c->hashed = ZN__TCP_HASHED_CONN;
    /* The tuple is final here (lookups depend on it too): its share of
     * every segment's checksum is summed once, not per segment. */
    c->psum = zn__inet_pseudo_sum(&c->laddr, &c->raddr, ZN_IPPROTO_TCP, 0);
    b = &t->bucket[c->hash & (t->nbuckets - 1)];
  }
  c->hnext = *b;
  *b = c;
  if (c->hashed == ZN__TCP_HASHED_CONN)
    tell_flow(c, true);
  /* Ahead of its chain now: if it shares last's 4-tuple, a lookup finds
   * it, not last.  A connection is the first of its tuple in its chain
   * (lookup's condition on last): the handshake's next segment, the
   * peer's ACK, is looked up without hashing. */
  t->last = c->hashed == ZN__TCP_HASHED_CONN ? c : NULL;
}

/* Out of the table; the flow hooks hear it unless the connection goes on
 * as a TIME_WAIT record (tell false), whose end tells them (tcp_tw.c). */
static void hash_out(struct zn_tcp_conn *c, bool tell) {
  struct zn__tcp *t = c->tcp;
  if (t->last == c)
    t->last = NULL;
  /* The table it went into and the hash it went in under (its state may
   * have changed since). */
  struct zn_tcp_conn **pp = NULL;
  if (c->hashed == ZN__TCP_HASHED_CONN)
    pp = &t->bucket[c->hash & (t->nbuckets - 1)];
  else if (c->hashed == ZN__TCP_HASHED_LISTEN)
    pp = &t->lbucket[c->hash & (t->nlbuckets - 1)];
  if (pp) {
    while (*pp && *pp != c)
      pp = &(*pp)->hnext;
    if (*pp)
      *pp = c->hnext;
  }
  if (c->hashed == ZN__TCP_HASHED_CONN && tell)
    tell_flow(c, false);
  c->hnext = NULL;
  c->hashed = ZN__TCP_HASHED_NONE;
}

void zn__tcp_hash_out(struct zn_tcp_conn *c) { hash_out(c, true); }

/* The chain walk, out of line, so that the common case, a segment of
 * the last connection found, saves and restores no registers. */
static __attribute__((noinline)) struct zn_tcp_conn *
lookup_chain(struct zn_stack *st, const struct zn_ip *laddr, uint16_t lport,
             const struct zn_ip *raddr, uint16_t rport) {
  struct zn__tcp *t = ZN__MOD(st, tcp);
  uint32_t h = (uint32_t)tuple_hash(st, laddr, lport, raddr, rport);
  struct zn_tcp_conn *c = t->bucket[h & (t->nbuckets - 1)];
  for (; c; c = c->hnext)
    if (zn__tcp_tuple_is(&c->laddr, c->lport, &c->raddr, c->rport, laddr, lport,
                         raddr, rport)) {
      t->last = c;
      return c;
    }
  return NULL;
}

struct zn_tcp_conn *zn__tcp_lookup(struct zn_stack *st,
                                   const struct zn_ip *laddr, uint16_t lport,
                                   const struct zn_ip *raddr, uint16_t rport) {
  /* last is in the table and still the first of its tuple in its chain
   * (nothing was hashed in since it was found). */
  struct zn_tcp_conn *c = ZN__MOD(st, tcp)->last;
  if (c && zn__tcp_tuple_is(&c->laddr, c->lport, &c->raddr, c->rport, laddr,
                            lport, raddr, rport))
    return c;
  return lookup_chain(st, laddr, lport, raddr, rport);
}

struct zn_tcp_conn *zn__tcp_lookup_listener(struct zn_stack *st,
                                            const struct zn_ip *laddr,
                                            uint16_t lport) {
  struct zn__tcp *t = ZN__MOD(st, tcp);
  struct zn_tcp_conn *best = NULL;
  int best_score = 0;
  struct zn_tcp_conn *c = t->lbucket[port_hash(st, lport) & (t->nlbuckets - 1)];
  for (; c; c = c->hnext) {
    if (c->lport != lport || c->state != ZN_TCP_LISTEN)
      continue;
    int score = zn__inet_bind_match(&c->laddr, laddr);
    if (score == 3)
      return c;
    if (score > best_score) {
      best = c;
      best_score = score;
    }
  }
  return best;
}

bool zn_tcp_listening_on(struct zn_stack *st, const struct zn_ip *addr,
                         uint16_t port) {
  return st && addr && zn__tcp_lookup_listener(st, addr, port) != NULL;
}

/* Would a binding to addr:port collide with what holds the port?  Linux's
 * rule for bind() (inet_csk_bind_conflict), for the newcomer's
 * SO_REUSEADDR only: a listener on an overlapping address always does;
 * without reuseaddr, any other connection there does too (TIME_WAIT
 * included). */
static bool port_in_use(struct zn_stack *st, const struct zn_ip *addr,
                        uint16_t port, bool reuseaddr) {
  if (!reuseaddr && zn__tcp_tw_port_held(st, addr, port))
    return true;
  for (uint32_t i = 0; i < ZN__MOD(st, tcp)->nslots; i++) {
    const struct zn_tcp_conn *c = &ZN__MOD(st, tcp)->conns[i];
    if (c->state == ZN_TCP_CLOSED || c->lport != port ||
        !zn__inet_bind_overlap(&c->laddr, addr))
      continue;
    if (c->state == ZN_TCP_LISTEN || !reuseaddr)
      return true;
  }
  return false;
}

/* ---- notifications ---- */

/* An ACK still owed when the callback returns goes out then (inside it
 * zn__tcp_output holds pure ACKs back): what the callback wrote carries
 * it, if anything, so that an answer to a request, or a TLS flight to
 * its hello written while corked, is one segment and not an ACK (of the
 * request, or a window update for having read it) and then the
 * answer. */
static void call(struct zn_tcp_conn *c,
                 void (*fn)(struct zn_tcp_conn *, void *)) {
  if (!fn)
    return;
  c->in_cb++;
  fn(c, c->arg);
  c->in_cb--;
  if (c->in_cb == 0 && (c->flags & ZN__TCPF_ACK_NOW))
    zn__tcp_output(c);
}

bool zn__tcp_chack_allowed(struct zn_stack *st) {
  struct zn__tcp *t = ZN__MOD(st, tcp);
  if (st->now - t->chack_window >= ZN_SEC(1)) {
    t->chack_window = st->now;
    t->chack_count = 0;
  }
  if (t->chack_count >= st->cfg.tcp_chack_limit) {
    ZN_STAT_INC(st, tcp_chack_limited);
    return false;
  }
  t->chack_count++;
  return true;
}

void zn__tcp_notify_error(struct zn_tcp_conn *c, int err) {
  if (!c->err)
    c->err = err;
}

void zn__tcp_notify_readable(struct zn_tcp_conn *c) {
  c->notify |= ZN__TCPN_NOTIFY_READ;
}

void zn__tcp_notify_connected(struct zn_tcp_conn *c) {
  c->notify |= ZN__TCPN_CONNECTED_NOTIFY;
}

void zn__tcp_notify_accept(struct zn_tcp_conn *l) {
  l->notify |= ZN__TCPN_NOTIFY_READ;
}

/* Deliver what processing collected, app callbacks last. */
void zn__tcp_deliver(struct zn_tcp_conn *c) {
  if (c->state == ZN_TCP_LISTEN) {
    /* (A listener holds no buffers and offers no window: it has nothing
     * to sync, and is the application's from zn_tcp_listen on.) */
    if (!(c->life & ZN__TCPL_USER_CLOSED) &&
        (c->notify & ZN__TCPN_NOTIFY_READ) && c->acq_len) {
      c->notify &= (uint8_t)~ZN__TCPN_NOTIFY_READ;
      if (c->cb.on_accept) {
        c->in_cb++;
        c->cb.on_accept(c, c->arg);
        c->in_cb--;
      }
    }
    return;
  }
  zn__tcp_mem_sync(c);
  if ((c->life & ZN__TCPL_USER_CLOSED) || !zn__tcp_app_owned(c))
    return;
  if (c->notify & ZN__TCPN_CONNECTED_NOTIFY) {
    c->notify &= (uint8_t)~ZN__TCPN_CONNECTED_NOTIFY;
    call(c, c->cb.on_connected);
  }
  if ((c->notify & ZN__TCPN_NOTIFY_READ) && !(c->life & ZN__TCPL_USER_CLOSED)) {
    c->notify &= (uint8_t)~ZN__TCPN_NOTIFY_READ;
    call(c, c->cb.on_readable);
  }
  if ((c->notify & ZN__TCPN_WANT_WRITABLE) && !(c->life & ZN__TCPL_USER_CLOSED) &&
      !c->err && zn_tcp_writable(c) > 0) {
    c->notify &= (uint8_t)~ZN__TCPN_WANT_WRITABLE;
    call(c, c->cb.on_writable);
  }
  if (c->err && !(c->notify & ZN__TCPN_ERR_NOTIFIED) &&
      !(c->life & ZN__TCPL_USER_CLOSED)) {
    c->notify |= ZN__TCPN_ERR_NOTIFIED;
    if (c->cb.on_error) {
      c->in_cb++;
      c->cb.on_error(c, c->arg, c->err);
      c->in_cb--;
    }
  }
}

void zn__tcp_reap_add(struct zn_tcp_conn *c) {
  if (c->life & ZN__TCPL_REAP)
    return;
  c->life |= ZN__TCPL_REAP;
  struct zn__tcp *t = c->tcp;
  c->next = t->reap;
  t->reap = c;
  zn__poll_due(c->st, ZN__MOD_tcp, true); /* the next poll frees it */
}

static void acq_remove(struct zn_tcp_conn *l, struct zn_tcp_conn *c) {
  struct zn_tcp_conn **pp = &l->acq_head;
  l->acq_tail = NULL;
  while (*pp) {
    if (*pp == c) {
      *pp = c->next;
      l->acq_len--;
      c->life &= (uint8_t)~ZN__TCPL_IN_ACCEPTQ;
      if (!*pp)
        break;
    }
    l->acq_tail = *pp;
    pp = &(*pp)->next;
  }
  /* cppcheck-suppress redundantAssignment ; the loop's tail is not used */
  l->acq_tail = NULL;
  for (struct zn_tcp_conn *x = l->acq_head; x; x = x->next)
    l->acq_tail = x;
}

/* Can c wait in a record (tcp_tw.c)?  In TIME_WAIT, or in FIN_WAIT_2
 * with its time limit (the application closed) and nothing queued; no
 * application holding it; not in a callback or a list.  In FIN_WAIT_2
 * not while an ACK is delayed either: the peer's last data (a TLS
 * close_notify) usually comes just ahead of its FIN, and that ACK, sent
 * at once to empty the slot, made two ACKs where one answers both; the
 * ACK's timer saves the slot when it fires (ack_timer_fn, tcp_out.c). */
static bool compactable(const struct zn_tcp_conn *c) {
  bool fw2 = c->state == ZN_TCP_FIN_WAIT_2 &&
             c->misc_mode == ZN__TCP_MISC_FIN_WAIT_2 && !c->sndq.head &&
             !c->rcvq.head && !c->ooo.root && c->snd_una == c->snd_max &&
             !zn_timer_pending(&c->ack_timer);
  return (c->state == ZN_TCP_TIME_WAIT || fw2) && !c->in_cb &&
         !(c->life & (ZN__TCPL_REAP | ZN__TCPL_IN_ACCEPTQ)) &&
         (!zn__tcp_app_owned(c) || (c->life & ZN__TCPL_USER_CLOSED));
}

/* A connection in TIME_WAIT, or closed in FIN_WAIT_2, that no
 * application holds any longer (it closed, or none ever had it) gives
 * its slot back for a record (tcp_tw.c).  An ACK still owed goes out
 * first: the record sends nothing by itself.  Without a record (a stack
 * with none) the slot stays, as it always did. */
void zn__tcp_timewait_compact(struct zn_tcp_conn *c) {
  if (!compactable(c))
    return;
  if ((c->flags & ZN__TCPF_ACK_NOW) || zn_timer_pending(&c->ack_timer))
    zn__tcp_send_ack(c);
  if (!zn__tcp_tw_save(c))
    return;
  if (c->state == ZN_TCP_TIME_WAIT)
    c->tcp->ntimewait--;
  zn__tcp_timers_stop(c);
  hash_out(c, false); /* the record keeps its flow: a late segment of it
                         reaches this stack's record, not another shard */
  c->state = ZN_TCP_CLOSED;
  free_slot(c);
}

/* Through zn__tcp_release_all() of a listener, for its children, which
 * have none: the recursion is two calls deep.
 * NOLINTNEXTLINE(misc-no-recursion) */
void zn__tcp_closed(struct zn_tcp_conn *c) {
  /* TIME_WAIT may end by its timer, an abort, or (RFC 793) a SYN. */
  if (c->state == ZN_TCP_TIME_WAIT &&c->tcp->ntimewait)
    c->tcp->ntimewait--;
  zn__tcp_timers_stop(c);
  zn__tcp_hash_out(c);
  if (c->parent && (c->life & ZN__TCPL_IN_ACCEPTQ))
    acq_remove(c->parent, c);
  c->state = ZN_TCP_CLOSED;
  c->life |= ZN__TCPL_ZOMBIE;
  /* Data and references are released now; the handle stays until the app
   * lets go of it (zn_tcp_close), or at once if the app has none.  After
   * an orderly close, what was received and not yet read stays readable
   * (the stack acknowledged it: dropping it would lose data while reads
   * report a clean end of stream); a reset or a timeout discards it (RFC
   * 9293 §3.10.7.4), unless the connection keeps it then too (Linux's
   * sockets: zn_tcp_opts.keep_after_reset). */
  bool keep = zn__tcp_app_owned(c) && !(c->life & ZN__TCPL_USER_CLOSED) &&
              (!c->err || (c->life & ZN__TCPL_KEEP_RCVQ));
  struct zn_bufq rcvq = c->rcvq;
  uint32_t rcvq_bytes = c->rcvq_bytes;
  if (keep) {
    zn_bufq_init(&c->rcvq);
    c->rcvq_bytes = 0;
  }
  zn__tcp_release_all(c);
  if (keep) {
    c->rcvq = rcvq;
    c->rcvq_bytes = rcvq_bytes;
    zn__tcp_mem_sync(c);
  }
  if (!zn__tcp_app_owned(c) || (c->life & ZN__TCPL_USER_CLOSED))
    zn__tcp_reap_add(c);
}

/* NOLINTNEXTLINE(misc-no-recursion): see zn__tcp_closed() */
void zn__tcp_release_all(struct zn_tcp_conn *c) {
  struct zn_buf *b;
  while ((b = zn_bufq_pop(&c->sndq)) != NULL) {
    const struct zn__tcp_chunk *k = (const struct zn__tcp_chunk *)(void *)b->cb;
    if (k->ref && k->release)
      k->release(k->arg);
    zn_buf_free(b);
  }
  c->snd_queued = 0;
  c->snd_head_off = 0;
  c->nrefs = 0;
  c->tx_chunk = NULL;
  zn_bufq_purge(&c->rcvq);
  c->rcvq_bytes = 0;
  zn__tcp_ooo_purge(&c->ooo);
  zn__tcp_mem_sync(c);
  zn__tcp_flight_give(c);
  zn__tcp_model_give(c);
  /* A listener drops the children nobody accepted. */
  if (c->acq_head) {
    struct zn_tcp_conn *x = c->acq_head;
    c->acq_head = c->acq_tail = NULL;
    c->acq_len = 0;
    while (x) {
      struct zn_tcp_conn *n = x->next;
      x->life &= (uint8_t)~ZN__TCPL_IN_ACCEPTQ;
      /* Never accepted: the app never held it, so no on_closed (without
       * a parent zn__tcp_app_owned() would say otherwise). */
      x->life |= ZN__TCPL_USER_CLOSED;
      x->notify |= ZN__TCPN_CLOSED_NOTIFIED;
      x->parent = NULL;
      if (x->state != ZN_TCP_CLOSED) {
        zn__tcp_send_rst_conn(x);
        zn__tcp_closed(x);
      }
      x->life |= ZN__TCPL_USER_CLOSED;
      zn__tcp_reap_add(x);
      x = n;
    }
  }
}

/* TCP's work at the end of a poll, which it asked for (zn__poll_due):
 * the reap list, the memory bound's wake-up, and the senders waiting for
 * a flight block. */
static void reap_list(struct zn_stack *st) {
  struct zn__tcp *t = ZN__MOD(st, tcp);
  /* The list holds connections to free (the app let go of them, or never
   * had them) and accepted ones with news to deliver (zn_tcp_accept).
   * on_closed may close other handles, which adds to the list: loop. */
  if (zn__tcp_mem_wake_due(t))
    zn__tcp_mem_wake(st);
  if (zn__tcp_flight_wake_due(t))
    zn__tcp_flight_wake(st);
  while (t->reap) {
    struct zn_tcp_conn *c = t->reap;
    t->reap = c->next;
    c->life &= (uint8_t)~ZN__TCPL_REAP;
    if (zn__tcp_app_owned(c) && !(c->life & ZN__TCPL_USER_CLOSED)) {
      /* Queued by zn_tcp_accept() with news for the app, not to go. */
      zn__tcp_deliver(c);
      continue;
    }
    if (zn__tcp_app_owned(c) && !(c->notify & ZN__TCPN_CLOSED_NOTIFIED)) {
      c->notify |= ZN__TCPN_CLOSED_NOTIFIED;
      call(c, c->cb.on_closed);
    }
    if (c->state == ZN_TCP_CLOSED) {
      if (c->parent) {
        struct zn_tcp_conn *l = c->parent;
        if (c->life & ZN__TCPL_IN_ACCEPTQ)
          acq_remove(l, c);
      }
      free_slot(c);
    } else {
      zn__tcp_timewait_compact(c);
    }
  }
  if (zn__tcp_mem_wake_due(t) || zn__tcp_flight_wake_due(t))
    zn__poll_due(st, ZN__MOD_tcp, false); /* at every poll until done */
}

void zn__tcp_reap(struct zn_stack *st) {
  struct zn__tcp *t = ZN__MOD(st, tcp);
  if (t->reap || zn__tcp_mem_wake_due(t) || zn__tcp_flight_wake_due(t))
    reap_list(st);
}

/* ---- setup ---- */

/* The least shift s (at most 14, RFC 7323 §2.3) with rcvbuf >> s in 16
 * bits: rcvbuf's bit length less 16. */
uint8_t zn__tcp_wscale_for(uint32_t rcvbuf) {
  uint32_t bits = rcvbuf ? 32u - (uint32_t)__builtin_clz(rcvbuf) : 0u;
  uint32_t s = bits > 16u ? bits - 16u : 0u;
  return (uint8_t)(s < 14u ? s : 14u);
}

/* RFC 6928: min(10 * MSS, max(2 * MSS, 14600)). */
uint32_t zn__tcp_initial_window(const struct zn_tcp_conn *c) {
  uint32_t iw = 10u * c->mss, alt = 2u * c->mss > 14600 ? 2u * c->mss : 14600;
  return alt < iw ? alt : iw;
}

void zn__tcp_cc_start(struct zn_tcp_conn *c) {
  c->cc.ops->init(&c->cc, c->mss, zn__tcp_initial_window(c));
}

/* The MSS we send with: the path MTU toward dst less the fixed network
 * and TCP headers (RFC 9293 §3.7.1, RFC 879). */
uint16_t zn__tcp_our_mss(struct zn_stack *st, const struct zn_ip *dst) {
  uint32_t mtu = zn__af_path_mtu(st, dst);
  uint32_t hdrs = zn__inet_hdr_len(dst->family) + ZN_TCP_HDR_LEN;
  uint32_t mss = mtu > hdrs ? mtu - hdrs : 536;
  return (uint16_t)(mss > 65535 ? 65535 : mss);
}

void zn__tcp_path_setup(struct zn_tcp_conn *c) {
  struct zn_stack *st = c->st;
  zn__tcp_set_mss(c, zn__tcp_our_mss(st, &c->raddr));
  c->mtu_epoch = (uint16_t)zn__af_mtu_epoch(st); /* fitted just now */
  c->peer_mss = 536;
  c->rto_ms = st->cfg.tcp_rto_init_ms;
}

void zn__tcp_conn_setup(struct zn_tcp_conn *c) {
  struct zn_stack *st = c->st;
  zn__tcp_path_setup(c);
  c->rcv_wscale = st->cfg.tcp_wscale ? zn__tcp_wscale_for(c->rcvbuf) : 0;
  struct zn__tcp_4tuple tu = {c->laddr, c->raddr, c->lport, c->rport};
  c->iss = zn__tcp_isn_ts(st->hash_key, &tu, st->now, &c->ts_offset);
  if (ZN__MOD(st, tcp)->reopen && zn__seq_lt(c->iss, ZN__MOD(st, tcp)->reopen_iss_floor))
    c->iss = ZN__MOD(st, tcp)->reopen_iss_floor; /* RFC 6191 */
  c->snd_una = c->snd_nxt = c->snd_max = c->snd_sml = c->iss;
  c->recover = c->high_sacked = c->rtx_next = c->iss;
  zn__tcp_rack_init(c);
  const struct zn__tcp_cc_ops *ops = zn__tcp_cc_ops_of(c->cc_algo);
  if (!zn__tcp_model_take(c, ops)) { /* no model block free */
    c->cc_algo = ZN_TCP_CC_CUBIC;
    ops = zn__tcp_cc_ops_of(c->cc_algo);
    ZN_STAT_INC(st, tcp_cc_fallback);
  }
  c->cc.ops = ops;
  c->cc.rng = c->iss ^ (uint32_t)c->ts_offset; /* BBR's probe wait */
}

/* ---- settings (struct zn_tcp_opts) ---- */

static bool opts_ok(const struct zn_tcp_opts *o) {
  return !o || (zn__tcp_cc_ops_of(o->cc) && o->sndbuf <= ZN__TCP_BUF_MAX &&
                o->rcvbuf <= ZN__TCP_BUF_MAX);
}

static bool reuseaddr_of(const struct zn_tcp_opts *o) {
  return o && o->reuseaddr;
}

/* c takes o's settings (zn__tcp_alloc gave it the stack's defaults): before
 * its first segment, so that the window scale follows rcvbuf
 * (zn__tcp_conn_setup). */
static void apply_opts(struct zn_tcp_conn *c, const struct zn_tcp_opts *o) {
  if (!o)
    return;
  if (o->sndbuf)
    c->sndbuf = o->sndbuf;
  if (o->rcvbuf)
    c->rcvbuf = o->rcvbuf;
  if (o->cc)
    c->cc_algo = o->cc;
  c->tos = (uint8_t)(o->tos & ~ZN_IP_ECN_MASK);
  c->ttl = o->ttl;
  if (o->nodelay)
    c->flags |= ZN__TCPF_NODELAY;
  c->user_timeout_ms = o->user_timeout_ms;
  if (o->keep_after_reset)
    c->life |= ZN__TCPL_KEEP_RCVQ;
  if (o->keepidle_ms) { /* armed when the connection is established */
    c->ka_idle_ms = o->keepidle_ms;
    c->ka_intvl_ms = o->keepintvl_ms ? o->keepintvl_ms : ZN__TCP_KA_INTVL_MS;
    c->ka_count = o->keepcnt ? o->keepcnt : ZN__TCP_KA_COUNT;
  }
}

void zn__tcp_inherit(struct zn_tcp_conn *x, const struct zn_tcp_conn *l) {
  x->sndbuf = l->sndbuf;
  x->rcvbuf = l->rcvbuf;
  x->cc_algo = l->cc_algo;
  x->tos = l->tos;
  x->ttl = l->ttl;
  x->flags |= (uint16_t)(l->flags & ZN__TCPF_NODELAY);
  x->app = l->app;
  x->user_timeout_ms = l->user_timeout_ms;
  x->life |= (uint8_t)(l->life & ZN__TCPL_KEEP_RCVQ);
  x->ka_idle_ms = l->ka_idle_ms;
  x->ka_intvl_ms = l->ka_intvl_ms;
  x->ka_count = l->ka_count;
}

/* ---- API ---- */

static void set_cbs(struct zn_tcp_conn *c, const struct zn_tcp_callbacks *cb,
                    void *arg) {
  if (cb)
    c->cb = *cb;
  else
    memset(&c->cb, 0, sizeof(c->cb));
  c->arg = arg;
}

/* A listener's binding (inet_int.h): zn__af_binding's, and with v6only
 * any address of IPv6 only (stored as `::`, which zn__inet_bind_match and
 * _overlap keep apart from IPv4).  Errors: those of zn__af_binding;
 * ZN_EINVAL (v6only and an IPv4-mapped address, as Linux). */
static int listen_binding(struct zn_stack *st, const struct zn_ip *laddr,
                          const struct zn_tcp_opts *o, struct zn_ip *out) {
  bool v6only = o && o->v6only;
  if (v6only && laddr && zn_ip_is_v4mapped(laddr))
    return ZN_EINVAL;
  int rc = zn__af_binding(st, laddr, out);
  if (rc == ZN_OK && v6only && out->family == ZN_AF_NONE)
    out->family = ZN_AF_INET6;
  return rc;
}

/* Port 0 to listen(): a port of the ephemeral range (as connect's, below)
 * that nothing holds on an overlapping address, from a random start. */
static int pick_listen_port(struct zn_stack *st, const struct zn_ip *addr,
                            uint16_t *out) {
  const uint32_t lo = 49152, n = 65536 - 49152;
  uint32_t off = zn_random_u32(st);
  for (uint32_t i = 0; i < n; i++) {
    uint16_t p = (uint16_t)(lo + (off + i) % n);
    if (zn__inet_port_ours(st, p) && !port_in_use(st, addr, p, false)) {
      *out = p;
      return ZN_OK;
    }
  }
  return ZN_EADDRINUSE;
}

int zn_tcp_bind_check(struct zn_stack *st, const struct zn_ip *laddr,
                      uint16_t port, const struct zn_tcp_opts *o) {
  if (port == 0 || !opts_ok(o))
    return ZN_EINVAL;
  struct zn_ip b;
  int rc = listen_binding(st, laddr, o, &b);
  if (rc != ZN_OK)
    return rc;
  return port_in_use(st, &b, port, reuseaddr_of(o)) ? ZN_EADDRINUSE : ZN_OK;
}

int zn_tcp_listen_opts(struct zn_stack *st, const struct zn_ip *laddr,
                       uint16_t port, uint32_t backlog,
                       const struct zn_tcp_opts *o,
                       const struct zn_tcp_callbacks *cb, void *arg,
                       struct zn_tcp_conn **out) {
  if (!out || !opts_ok(o))
    return ZN_EINVAL;
  struct zn_ip b;
  int rc = listen_binding(st, laddr, o, &b);
  if (rc != ZN_OK)
    return rc;
  if (port == 0)
    rc = pick_listen_port(st, &b, &port);
  else if (port_in_use(st, &b, port, reuseaddr_of(o)))
    rc = ZN_EADDRINUSE;
  if (rc != ZN_OK)
    return rc;
  struct zn_tcp_conn *c = zn__tcp_alloc(st);
  if (!c)
    return ZN_ENOMEM;
  c->laddr = b;
  c->lport = port;
  c->backlog = backlog ? backlog : st->cfg.tcp_backlog;
  apply_opts(c, o);
  set_cbs(c, cb, arg);
  zn__tcp_fsm(c, ZN__EV_U_LISTEN, NULL);
  *out = c;
  return ZN_OK;
}

int zn_tcp_listen(struct zn_stack *st, const struct zn_ip *addr,
                  uint16_t port, uint32_t backlog,
                  const struct zn_tcp_callbacks *cb, void *arg,
                  struct zn_tcp_conn **out) {
  if (port == 0) /* (its contract before listen_opts: kept) */
    return ZN_EINVAL;
  return zn_tcp_listen_opts(st, addr, port, backlog, NULL, cb, arg, out);
}

int zn_tcp_accept(struct zn_tcp_conn *l, struct zn_tcp_conn **out) {
  if (l->state != ZN_TCP_LISTEN)
    return ZN_EINVAL;
  struct zn_tcp_conn *c = l->acq_head;
  if (!c)
    return ZN_EAGAIN;
  l->acq_head = c->next;
  if (!l->acq_head)
    l->acq_tail = NULL;
  l->acq_len--;
  c->next = NULL;
  c->life &= (uint8_t)~ZN__TCPL_IN_ACCEPTQ;
  c->parent = NULL; /* the app holds it now */
  *out = c;
  /* Whatever arrived while it waited is news to the app now. */
  if (zn_tcp_readable(c) || (c->flags & ZN__TCPF_FIN_RCVD))
    c->notify |= ZN__TCPN_NOTIFY_READ;
  if (c->state == ZN_TCP_CLOSED) {
    /* Reset while waiting: the app learns it through on_error. */
    c->life |= ZN__TCPL_ZOMBIE;
  }
  /* No callback inside an API call: the reap pass at the end of the poll
   * delivers that news (nothing else would until the next segment or
   * timer of this connection, maybe never). */
  if ((c->notify & ZN__TCPN_NOTIFY_READ) || c->err)
    zn__tcp_reap_add(c);
  return ZN_OK;
}

uint32_t zn_tcp_accept_pending(const struct zn_tcp_conn *l) {
  return l->state == ZN_TCP_LISTEN ? l->acq_len : 0;
}

enum zn_tcp_state zn_tcp_state(const struct zn_tcp_conn *c) {
  return (enum zn_tcp_state)c->state;
}

static int pick_port(struct zn_stack *st, const struct zn_ip *laddr,
                     const struct zn_ip *raddr, uint16_t rport,
                     uint16_t *out) {
  /* RFC 6056 algorithm 3 in spirit: a keyed offset per destination, then
   * the next free port, so ports are unpredictable off-path. */
  const uint32_t lo = 49152, n = 65536 - 49152;
  uint32_t off = zn__inet_hash(st, raddr, rport) + zn_random_u32(st);
  for (uint32_t i = 0; i < n; i++) {
    uint16_t p = (uint16_t)(lo + (off + i) % n);
    if (zn__inet_port_ours(st, p) &&
        !zn__tcp_lookup(st, laddr, p, raddr, rport) &&
        !zn__tcp_tw_holds(st, laddr, p, raddr, rport) &&
        !zn__tcp_lookup_listener(st, laddr, p)) {
      *out = p;
      return ZN_OK;
    }
  }
  return ZN_EADDRINUSE;
}

/* The source of a connection to raddr, and the binding its port is
 * checked against: laddr if one is given (ours, of raddr's family; a
 * 127/8 or ::1 source only toward the host itself, as Linux), else the
 * stack's choice checked against raddr's family's unspecified address.
 * Errors: ZN_EINVAL, ZN_EADDRNOTAVAIL. */
static int connect_source(struct zn_stack *st, const struct zn_ip *laddr,
                          const struct zn_ip *raddr, struct zn_ip *src,
                          struct zn_ip *bind) {
  struct zn_ip a = {ZN_AF_NONE, {0}};
  if (laddr)
    a = zn_ip_unmap(laddr);
  if (a.family != ZN_AF_NONE && a.family != ZN_AF_INET &&
      a.family != ZN_AF_INET6)
    return ZN_EINVAL;
  if (a.family == ZN_AF_NONE || zn_ip_is_unspecified(&a)) {
    /* 0.0.0.0 goes to IPv4 only; `::` (a dual socket's) either way. */
    if (a.family == ZN_AF_INET && raddr->family != ZN_AF_INET)
      return ZN_EINVAL;
    memset(bind, 0, sizeof(*bind));
    bind->family = raddr->family;
    return zn__af_select_source(st, raddr, src);
  }
  if (a.family != raddr->family)
    return ZN_EINVAL;
  if (!zn__af_is_local(st, &a))
    return ZN_EADDRNOTAVAIL;
  if (zn__af_is_loopback(&a) && !zn__af_is_local(st, raddr))
    return ZN_EINVAL;
  *src = a;
  *bind = a;
  return ZN_OK;
}

/* A port the application chose for its connection: free as bind() would
 * find it, and the 4-tuple new. */
static int connect_port_ok(struct zn_stack *st, const struct zn_ip *bind,
                           const struct zn_ip *src, uint16_t lport,
                           const struct zn_ip *raddr, uint16_t rport,
                           bool reuseaddr) {
  if (zn__tcp_lookup(st, src, lport, raddr, rport) ||
      zn__tcp_tw_holds(st, src, lport, raddr, rport) ||
      port_in_use(st, bind, lport, reuseaddr))
    return ZN_EADDRINUSE;
  return ZN_OK;
}

int zn_tcp_connect_opts(struct zn_stack *st, const struct zn_ip *laddr,
                        uint16_t lport, const struct zn_ip *raddr_in,
                        uint16_t rport, const struct zn_tcp_opts *o,
                        const struct zn_tcp_callbacks *cb, void *arg,
                        struct zn_tcp_conn **out) {
  if (!raddr_in || !rport || !out || !opts_ok(o))
    return ZN_EINVAL;
  struct zn_ip raddr = zn_ip_unmap(raddr_in), src, bind;
  if ((raddr.family != ZN_AF_INET && raddr.family != ZN_AF_INET6) ||
      zn_ip_is_unspecified(&raddr) ||
      (o && o->v6only && raddr.family == ZN_AF_INET))
    return ZN_EINVAL;
  int rc = connect_source(st, laddr, &raddr, &src, &bind);
  if (rc != ZN_OK)
    return rc;
  if (!zn__af_routable(st, &raddr))
    return ZN_EHOSTUNREACH;
  if (lport)
    rc = connect_port_ok(st, &bind, &src, lport, &raddr, rport,
                         reuseaddr_of(o));
  else
    rc = pick_port(st, &src, &raddr, rport, &lport);
  if (rc != ZN_OK)
    return rc;
  struct zn_tcp_conn *c = zn__tcp_alloc(st);
  if (!c)
    return ZN_ENOMEM;
  c->laddr = src;
  c->lport = lport;
  c->raddr = raddr;
  c->rport = rport;
  apply_opts(c, o);
  set_cbs(c, cb, arg);
  zn__tcp_fsm(c, ZN__EV_U_CONNECT, NULL);
  *out = c;
  return ZN_OK;
}

int zn_tcp_connect(struct zn_stack *st, const struct zn_ip *addr,
                   uint16_t port, const struct zn_tcp_callbacks *cb,
                   void *arg, struct zn_tcp_conn **out) {
  return zn_tcp_connect_opts(st, NULL, 0, addr, port, NULL, cb, arg, out);
}

void zn_tcp_set_callbacks(struct zn_tcp_conn *c,
                          const struct zn_tcp_callbacks *cb, void *arg) {
  set_cbs(c, cb, arg);
}

static int write_err(const struct zn_tcp_conn *c) {
  if (c->err)
    return c->err;
  if ((c->flags & ZN__TCPF_FIN_QUEUED) ||
      (c->life & (ZN__TCPL_SHUT_WR | ZN__TCPL_USER_CLOSED)))
    return ZN_EPIPE;
  switch (c->state) {
  case ZN_TCP_ESTABLISHED:
  case ZN_TCP_CLOSE_WAIT:
  case ZN_TCP_SYN_SENT:
  case ZN_TCP_SYN_RECEIVED:
    return ZN_OK;
  default:
    return ZN_ENOTCONN;
  }
}

size_t zn_tcp_writable(const struct zn_tcp_conn *c) {
  if (write_err(c) != ZN_OK || zn__tcp_mem_full(c->st) ||
      zn__tcp_over_share(c, false))
    return 0;
  return c->snd_queued >= c->sndbuf ? 0 : c->sndbuf - c->snd_queued;
}

void zn_tcp_want_writable(struct zn_tcp_conn *c) {
  if (!c)
    return;
  if (zn__tcp_mem_full(c->st))
    zn__tcp_mem_wait(c); /* the stack-wide bound's wake-up too */
  c->notify |= ZN__TCPN_WANT_WRITABLE;
}

static void kick_output(struct zn_tcp_conn *c) {
  if (c->state == ZN_TCP_ESTABLISHED || c->state == ZN_TCP_CLOSE_WAIT)
    zn__tcp_output(c);
}

long zn_tcp_write(struct zn_tcp_conn *c, const void *data, size_t len) {
  int e = write_err(c);
  if (e != ZN_OK)
    return e;
  const uint8_t *p = data;
  size_t done = 0;
  while (done < len && c->snd_queued < c->sndbuf) {
    struct zn_buf *t = c->sndq.tail;
    struct zn__tcp_chunk *k = t ? (struct zn__tcp_chunk *)(void *)t->cb : NULL;
    if (!t || k->ref || zn_buf_tailroom(t) == 0) {
      if (zn__tcp_mem_full(c->st)) {
        zn__tcp_mem_wait(c);
        break;
      }
      if (zn__tcp_over_share(c, false)) {
        ZN_STAT_INC(c->st, tcp_snd_share);
        break;
      }
      t = zn__buf_alloc(c->st, ZN_BUF_SIZE - ZN_BUF_HEADROOM);
      if (!t)
        break;
      zn_buf_reset_headroom(t, 0);
      k = (struct zn__tcp_chunk *)(void *)t->cb;
      memset(k, 0, sizeof(*k));
      zn_bufq_push(&c->sndq, t);
    }
    size_t n = zn_buf_tailroom(t);
    if (n > len - done)
      n = len - done;
    if (n > c->sndbuf - c->snd_queued)
      n = c->sndbuf - c->snd_queued;
    memcpy(zn_buf_put(t, n), p + done, n);
    k->len += (uint32_t)n;
    c->sndq.bytes += (uint32_t)n;
    c->snd_queued += (uint32_t)n;
    done += n;
  }
  zn__tcp_mem_sync(c);
  if (done < len)
    c->notify |= ZN__TCPN_WANT_WRITABLE;
  if (done == 0)
    return ZN_EAGAIN;
  kick_output(c);
  return (long)done;
}

int zn_tcp_write_ref(struct zn_tcp_conn *c, const void *data, size_t len,
                     zn_tcp_release_fn release, void *arg) {
  int e = write_err(c);
  if (e != ZN_OK)
    return e;
  if (len == 0 || len > UINT32_MAX / 2)
    return ZN_EINVAL;
  /* The bytes are the caller's memory, not ours: what is bounded is the
   * number of references, each costing one descriptor buffer. */
  if (c->nrefs >= ZN_TCP_MAX_REFS || (size_t)c->snd_queued + len > UINT32_MAX / 2) {
    c->notify |= ZN__TCPN_WANT_WRITABLE;
    return ZN_EAGAIN;
  }
  if (zn__tcp_mem_full(c->st)) {
    zn__tcp_mem_wait(c);
    return ZN_EAGAIN;
  }
  if (zn__tcp_over_share(c, false)) {
    ZN_STAT_INC(c->st, tcp_snd_share);
    c->notify |= ZN__TCPN_WANT_WRITABLE;
    return ZN_EAGAIN;
  }
  struct zn_buf *t = zn__buf_alloc(c->st, 0);
  if (!t) {
    c->notify |= ZN__TCPN_WANT_WRITABLE;
    return ZN_EAGAIN;
  }
  struct zn__tcp_chunk *k = (struct zn__tcp_chunk *)(void *)t->cb;
  memset(k, 0, sizeof(*k));
  k->len = (uint32_t)len;
  k->ref = data;
  k->release = release;
  k->arg = arg;
  zn_bufq_push(&c->sndq, t);
  c->sndq.bytes += (uint32_t)len;
  c->snd_queued += (uint32_t)len;
  c->nrefs++;
  zn__tcp_mem_sync(c);
  kick_output(c);
  return ZN_OK;
}

size_t zn_tcp_readable(const struct zn_tcp_conn *c) { return c->rcvq_bytes; }

static long read_err(const struct zn_tcp_conn *c) {
  if (c->flags & ZN__TCPF_FIN_RCVD)
    return 0;
  if (c->err)
    return c->err;
  if (c->state == ZN_TCP_LISTEN || c->state == ZN_TCP_CLOSED)
    return ZN_ENOTCONN;
  return ZN_EAGAIN;
}

long zn_tcp_peek(struct zn_tcp_conn *c, const uint8_t **data) {
  struct zn_buf *b = c->rcvq.head;
  if (!b)
    return read_err(c);
  *data = b->data;
  return (long)b->len;
}

long zn_tcp_peek_at(struct zn_tcp_conn *c, size_t off, const uint8_t **data) {
  for (struct zn_buf *b = c->rcvq.head; b; b = b->next) {
    if (off < b->len) {
      *data = b->data + off;
      return (long)(b->len - off);
    }
    off -= b->len;
  }
  return read_err(c);
}

/* Reading opened the window: tell the peer if it grew enough (RFC 1122
 * §4.2.3.3: by a full MSS or half the buffer), and only if what we
 * advertised has shrunk to half the largest window or less and reading
 * at least doubles it (Linux tcp_cleanup_rbuf).  Without that second
 * rule an application reading each segment as it comes drew an ACK per
 * segment, and delayed ACKs never happened. */
static void window_update(struct zn_tcp_conn *c) {
  if (c->state < ZN_TCP_ESTABLISHED || c->state == ZN_TCP_TIME_WAIT)
    return;
  uint32_t wnd = zn__tcp_rcv_wnd(c);
  uint32_t adv = c->rcv_adv - c->rcv_nxt;
  if (zn__seq_lt(c->rcv_adv, c->rcv_nxt))
    adv = 0;
  uint32_t step = c->rcvbuf / 2 < c->mss ? c->rcvbuf / 2 : c->mss;
  uint64_t max = (uint64_t)65535 << c->rcv_wscale;
  if (max > c->rcvbuf)
    max = c->rcvbuf;
  if (wnd >= adv + step && 2ull * adv <= max && wnd >= 2ull * adv) {
    c->flags |= ZN__TCPF_ACK_NOW;
    zn__tcp_output(c);
  }
}

int zn_tcp_consume(struct zn_tcp_conn *c, size_t n) {
  if (n > c->rcvq_bytes)
    return ZN_EINVAL;
  while (n > 0) {
    struct zn_buf *b = c->rcvq.head;
    if (n < b->len) {
      zn_buf_pull(b, n);
      c->rcvq.bytes -= (uint32_t)n;
      c->rcvq_bytes -= (uint32_t)n;
      break;
    }
    n -= b->len;
    c->rcvq_bytes -= b->len;
    zn_buf_free(zn_bufq_pop(&c->rcvq));
  }
  zn__tcp_mem_sync(c);
  window_update(c);
  return ZN_OK;
}

long zn_tcp_read(struct zn_tcp_conn *c, void *buf, size_t len) {
  if (!c->rcvq.head)
    return read_err(c);
  uint8_t *o = buf;
  size_t done = 0;
  while (done < len && c->rcvq.head) {
    struct zn_buf *b = c->rcvq.head;
    size_t n = b->len < len - done ? b->len : len - done;
    memcpy(o + done, b->data, n);
    done += n;
    /* cppcheck-suppress knownConditionTrueFalse ; true when len - done was */
    if (n < b->len) {
      zn_buf_pull(b, n);
      c->rcvq.bytes -= (uint32_t)n;
      c->rcvq_bytes -= (uint32_t)n;
    } else {
      c->rcvq_bytes -= b->len;
      zn_buf_free(zn_bufq_pop(&c->rcvq));
    }
  }
  zn__tcp_mem_sync(c);
  window_update(c);
  return (long)done;
}

int zn_tcp_shutdown(struct zn_tcp_conn *c) {
  if (c->state != ZN_TCP_ESTABLISHED && c->state != ZN_TCP_CLOSE_WAIT &&
      c->state != ZN_TCP_SYN_RECEIVED && c->state != ZN_TCP_SYN_SENT)
    return c->life & ZN__TCPL_SHUT_WR ? ZN_OK : ZN_ENOTCONN;
  if (c->life & ZN__TCPL_SHUT_WR)
    return ZN_OK;
  c->life |= ZN__TCPL_SHUT_WR;
  if (c->state == ZN_TCP_SYN_SENT)
    return ZN_OK; /* the FIN goes once connected (act_synsent_synack) */
  zn__tcp_fsm(c, ZN__EV_U_CLOSE, NULL);
  return ZN_OK;
}

void zn_tcp_close(struct zn_tcp_conn *c) {
  if (!c || (c->life & ZN__TCPL_USER_CLOSED))
    return;
  c->life |= ZN__TCPL_USER_CLOSED;
  if (c->life & ZN__TCPL_ZOMBIE) {
    zn__tcp_reap_add(c);
    return;
  }
  /* RFC 9293 §3.10.4 / RFC 2525 §2.17: closing with unread data resets. */
  if (c->rcvq_bytes && c->state >= ZN_TCP_ESTABLISHED) {
    zn__tcp_fsm(c, ZN__EV_U_ABORT, NULL);
  } else if (c->life & ZN__TCPL_SHUT_WR) {
    /* The FIN is already on its way; only the handle goes. */
    if (c->state == ZN_TCP_SYN_SENT)
      zn__tcp_fsm(c, ZN__EV_U_CLOSE, NULL);
    else if (c->state == ZN_TCP_FIN_WAIT_2)
      zn__tcp_arm_fw2(c);
  } else {
    zn__tcp_fsm(c, ZN__EV_U_CLOSE, NULL);
  }
  if (c->state == ZN_TCP_TIME_WAIT || c->state == ZN_TCP_CLOSED)
    zn__tcp_reap_add(c);
  else if (c->state == ZN_TCP_FIN_WAIT_2)
    zn__tcp_arm_fw2(c);
}

void zn_tcp_abort(struct zn_tcp_conn *c) {
  if (!c || (c->life & ZN__TCPL_USER_CLOSED))
    return;
  c->life |= ZN__TCPL_USER_CLOSED;
  if (!(c->life & ZN__TCPL_ZOMBIE))
    zn__tcp_fsm(c, ZN__EV_U_ABORT, NULL);
  zn__tcp_reap_add(c);
}

void zn_tcp_set_keep_after_reset(struct zn_tcp_conn *c, bool on) {
  if (on)
    c->life |= ZN__TCPL_KEEP_RCVQ;
  else
    c->life &= (uint8_t)~ZN__TCPL_KEEP_RCVQ;
}

void zn_tcp_set_nodelay(struct zn_tcp_conn *c, bool on) {
  if (on)
    c->flags |= ZN__TCPF_NODELAY;
  else
    c->flags &= (uint16_t)~ZN__TCPF_NODELAY;
  /* Nagle holds back only queued data; with none there is nothing to
   * send now (what an accept callback setting it on finds). */
  if (on && c->snd_queued)
    kick_output(c);
}

void zn_tcp_set_cork(struct zn_tcp_conn *c, bool on) {
  if (on) {
    c->app |= ZN__TCPA_CORK;
    return;
  }
  c->app &= (uint8_t)~ZN__TCPA_CORK;
  if (c->snd_queued)
    kick_output(c);
}

/* A receive window that grew by a segment or more (a larger rcvbuf) is
 * worth an ACK now: the peer may be waiting on it.  In the states whose
 * window the peer still sends into. */
static void announce_window(struct zn_tcp_conn *c) {
  if ((c->state != ZN_TCP_ESTABLISHED && c->state != ZN_TCP_FIN_WAIT_1 &&
       c->state != ZN_TCP_FIN_WAIT_2) ||
      (c->flags & ZN__TCPF_FIN_RCVD))
    return;
  uint32_t adv =
      zn__seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
  if (zn__tcp_rcv_wnd(c) >= adv + c->mss) {
    c->flags |= ZN__TCPF_ACK_NOW;
    zn__tcp_output(c);
  }
}

int zn_tcp_set_bufsizes(struct zn_tcp_conn *c, uint32_t sndbuf,
                        uint32_t rcvbuf) {
  if (sndbuf > ZN__TCP_BUF_MAX || rcvbuf > ZN__TCP_BUF_MAX)
    return ZN_EINVAL;
  if (sndbuf) {
    c->sndbuf = sndbuf;
    /* A writer that fell short hears on_writable at the end of the
     * poll, if there is room now (no callback inside an API call). */
    if ((c->notify & ZN__TCPN_WANT_WRITABLE) && zn_tcp_writable(c) > 0)
      zn__tcp_reap_add(c);
  }
  if (rcvbuf) {
    /* The window scale stays as agreed (zn__tcp_rcv_wnd caps the window
     * at what it expresses), and the window never shrinks below what
     * was advertised (zn__tcp_rcv_wnd again). */
    c->rcvbuf = rcvbuf;
    zn__tcp_mem_sync(c);
    announce_window(c);
  }
  return ZN_OK;
}

void zn_tcp_set_user_timeout(struct zn_tcp_conn *c, uint32_t ms) {
  c->user_timeout_ms = ms;
}

void zn_tcp_set_tos(struct zn_tcp_conn *c, uint8_t tos) {
  c->tos = (uint8_t)(tos & ~ZN_IP_ECN_MASK);
}

void zn_tcp_set_ttl(struct zn_tcp_conn *c, uint8_t ttl) {
  c->ttl = ttl;
  /* IPv4's cached route keeps the TTL in its header template: the next
   * segment takes the full path, which fills it again. */
  c->path.epoch = 0;
}

int zn_tcp_set_backlog(struct zn_tcp_conn *l, uint32_t backlog) {
  if (l->state != ZN_TCP_LISTEN)
    return ZN_EINVAL;
  l->backlog = backlog ? backlog : l->st->cfg.tcp_backlog;
  return ZN_OK;
}

int zn_tcp_set_held(struct zn_tcp_conn *l, bool held) {
  if (l->state != ZN_TCP_LISTEN)
    return ZN_EINVAL;
  l->held = held;
  return ZN_OK;
}

void zn_tcp_set_keepalive(struct zn_tcp_conn *c, uint32_t idle_ms,
                          uint32_t intvl_ms, uint32_t count) {
  c->ka_idle_ms = idle_ms;
  c->ka_intvl_ms = intvl_ms ? intvl_ms : ZN__TCP_KA_INTVL_MS;
  c->ka_count = count ? count : ZN__TCP_KA_COUNT;
  zn__tcp_arm_keepalive(c);
}

int zn_tcp_set_cc(struct zn_tcp_conn *c, enum zn_tcp_cc_algo algo) {
  const struct zn__tcp_cc_ops *ops = zn__tcp_cc_ops_of(algo);
  if (!ops || c->bytes_sent)
    return ZN_EINVAL;
  if (c->cc.ops && c->cc.ops != ops) {
    uint32_t cwnd = c->cc.cwnd;
    if (!zn__tcp_model_take(c, ops))
      return ZN_ENOBUFS;
    if (!ops->model_based)
      zn__tcp_model_give(c);
    c->cc.ops = ops;
    ops->init(&c->cc, c->mss, cwnd);
  }
  c->cc_algo = (uint8_t)algo;
  return ZN_OK;
}

void zn_tcp_set_userdata(struct zn_tcp_conn *c, void *p) { c->userdata = p; }
void *zn_tcp_userdata(const struct zn_tcp_conn *c) { return c->userdata; }

/* ns since t, in ms; UINT32_MAX for never (t 0). */
static uint32_t ms_since(const struct zn_stack *st, uint64_t t) {
  if (t == 0)
    return UINT32_MAX;
  uint64_t ms = (st->now - t) / ZN_MS(1);
  return ms >= UINT32_MAX ? UINT32_MAX - 1 : (uint32_t)ms;
}

/* What Linux's TCP_INFO says beyond what zn_tcp_get_info always did. */
static void info_flight(const struct zn_tcp_conn *c, struct zn_tcp_info *i) {
  i->wscale = c->wscale_ok;
  i->rcv_mss = c->rcv_mss;
  i->pmtu = zn__af_path_mtu(c->st, &c->raddr);
  i->min_rtt_us = c->rack_min_rtt_us;
  i->sacked = c->sacked_bytes;
  i->lost = zn__tcp_rack_lost_bytes(c, c->snd_una, c->snd_max);
  i->retrans = zn__tcp_rack_rtx_bytes(c);
  i->backoff = c->rtx_count;
  uint32_t probes = (uint32_t)c->probes_out + c->ka_probes;
  i->probes = (uint8_t)(probes > 255 ? 255 : probes);
  i->last_data_sent_ms = ms_since(c->st, c->last_snd);
  i->last_rcv_ms = ms_since(c->st, c->last_rcv);
  i->delivered = c->rate.delivered_total;
  i->delivery_rate = c->rate.last_bps;
  i->delivery_rate_app_limited = c->rate.last_app_limited != 0;
  i->pacing_rate = zn__tcp_pacing_rate(c);
  if (c->state == ZN_TCP_LISTEN) {
    i->backlog = c->backlog;
    i->accept_queued = c->acq_len;
  }
}

static void info_settings(const struct zn_tcp_conn *c, struct zn_tcp_info *i) {
  i->sndbuf = c->sndbuf;
  i->rcvbuf = c->rcvbuf;
  i->nodelay = (c->flags & ZN__TCPF_NODELAY) != 0;
  i->cork = (c->app & ZN__TCPA_CORK) != 0;
  i->cc = (enum zn_tcp_cc_algo)c->cc_algo;
  i->tos = c->tos;
  i->ttl = c->ttl;
  i->user_timeout_ms = c->user_timeout_ms;
  i->keepidle_ms = c->ka_idle_ms;
  i->keepintvl_ms = c->ka_intvl_ms ? c->ka_intvl_ms : ZN__TCP_KA_INTVL_MS;
  i->keepcnt = c->ka_count ? c->ka_count : ZN__TCP_KA_COUNT;
}

void zn_tcp_get_info(const struct zn_tcp_conn *c, struct zn_tcp_info *i) {
  memset(i, 0, sizeof(*i));
  i->state = (enum zn_tcp_state)c->state;
  i->laddr = c->laddr;
  i->raddr = c->raddr;
  i->lport = c->lport;
  i->rport = c->rport;
  i->mss = c->mss;
  i->cwnd = c->cc.cwnd;
  i->ssthresh = c->cc.ssthresh;
  i->srtt_us = c->srtt_us;
  i->rttvar_us = c->rttvar_us;
  i->rto_ms = c->rto_ms;
  i->snd_wnd = c->snd_wnd;
  i->rcv_wnd = zn__tcp_rcv_wnd(c);
  i->snd_wscale = c->snd_wscale;
  i->rcv_wscale = c->rcv_wscale;
  i->ts = c->ts_ok;
  i->sack = c->sack_ok;
  i->ecn = (c->ecn & ZN__TCPE_OK) != 0;
  i->bytes_sent = c->bytes_sent;
  i->bytes_acked = c->bytes_acked;
  i->bytes_received = c->bytes_received;
  i->retransmits = c->retransmits;
  i->fast_retransmits = c->fast_retransmits;
  i->rto_timeouts = c->rto_timeouts;
  i->unacked = c->snd_max - c->snd_una;
  i->queued = c->snd_queued;
  info_flight(c, i);
  info_settings(c, i);
}

static void tcp_config_default(struct zn_config *cfg) {
  cfg->tcp_conns = ZN_DEFAULT_TCP_CONNS;
  cfg->tcp_sndbuf = ZN_DEFAULT_TCP_SNDBUF;
  cfg->tcp_rcvbuf = ZN_DEFAULT_TCP_RCVBUF;
  cfg->tcp_backlog = ZN_DEFAULT_TCP_BACKLOG;
  cfg->tcp_msl_ms = ZN_DEFAULT_TCP_MSL_MS;
  cfg->tcp_rto_min_ms = ZN_DEFAULT_TCP_RTO_MIN_MS;
  cfg->tcp_rto_init_ms = ZN_DEFAULT_TCP_RTO_INIT_MS;
  cfg->tcp_rto_max_ms = ZN_DEFAULT_TCP_RTO_MAX_MS;
  cfg->tcp_syn_retries = ZN_DEFAULT_TCP_SYN_RETRIES;
  cfg->tcp_retries = ZN_DEFAULT_TCP_RETRIES;
  cfg->tcp_blackhole_probe_ms = ZN_DEFAULT_TCP_BLACKHOLE_PROBE_MS;
  cfg->tcp_delack_ms = ZN_DEFAULT_TCP_DELACK_MS;
  cfg->tcp_quickacks = ZN_DEFAULT_TCP_QUICKACKS;
  cfg->tcp_fw2_ms = ZN_DEFAULT_TCP_FW2_MS;
  cfg->tcp_chack_limit = ZN_DEFAULT_TCP_CHACK_LIMIT;
  cfg->tcp_timestamps = true;
  cfg->tcp_wscale = true;
  cfg->tcp_sack = true;
  cfg->tcp_dsack = true;
  cfg->tcp_idle_restart = true;
  cfg->tcp_pacing = true;
  cfg->tcp_rfc5961 = true;
  cfg->tcp_soft_error_abort = true;
  cfg->tcp_syncookies = true;
  cfg->tcp_cc = 0;
  cfg->tcp_ecn = ZN_TCP_ECN_PASSIVE;
}

static bool tcp_config_ok(const struct zn_config *cfg) {
  return cfg->tcp_ecn <= ZN_TCP_ECN_PASSIVE && zn__tcp_cc_ops_of(cfg->tcp_cc) &&
         cfg->tcp_conns <= (1u << 22) && cfg->tcp_timewait <= (1u << 22) &&
         cfg->tcp_sndbuf <= ZN__TCP_BUF_MAX &&
         cfg->tcp_rcvbuf <= ZN__TCP_BUF_MAX &&
         (cfg->tcp_sack_ranges == 0 ||
          (cfg->tcp_sack_ranges >= 16 &&
           cfg->tcp_sack_ranges <= ZN__TCP_SACK_RANGES_MAX));
}

static void tcp_addr_event(struct zn_stack *st, enum zn_addr_event ev,
                           const struct zn_ip *addr, uint8_t prefix) {
  (void)prefix;
  if (ev == ZN_ADDR_REMOVED)
    zn__tcp_addr_removed(st, addr);
}

const struct zn__module zn__tcp_module = {
    .name = "tcp",
    .id = ZN__MOD_tcp,
    .needs = ZN__MOD_BIT(inet) | ZN__MOD_BIT(ip), /* and src/af: ip, ip6 if there */
    .state_size = sizeof(struct zn__tcp),
    .config_default = tcp_config_default,
    .config_ok = tcp_config_ok,
    .mem_size = zn__tcp_mem_size,
    .init = zn__tcp_init,
    .poll_end = reap_list,
    .addr_event = tcp_addr_event,
    .destroy = zn__tcp_destroy,
};
