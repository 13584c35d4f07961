/*
 * IPv6 reassembly (RFC 8200 §4.5) in the house style of IPv4's: the
 * fragments wait as the buffers they came in, sorted by offset, headers in
 * their headroom, and are copied once into one buffer when the last hole
 * closes.  Bounded in slots (cfg.ip6_reass_slots, the oldest datagram
 * evicted for a new one), bytes (cfg.ip6_reass_max_bytes) and time
 * (cfg.ip6_reass_timeout_ms).  Any overlap abandons the datagram (RFC
 * 5722); an exact duplicate is dropped alone (RFC 8200 §4.5 allows it).
 * Atomic fragments never come here (RFC 6946).
 */
#include <string.h>

#include "core/stack_int.h"
#include "ipv6/ipv6_int.h"
#include "znet/err.h"
#include "znet/wire.h"

struct frag6_cb {
  struct zn__frag_cb f; /* fragment offset and data bytes: the queue's */
  uint16_t unf;     /* bytes before the fragment header (from IPv6 hdr) */
  uint16_t nxt_at;  /* offset of the next-header field naming it */
  uint8_t nxt;      /* the fragment header's next header */
};

_Static_assert(sizeof(struct frag6_cb) <= ZN_BUF_CB_SIZE, "cb too small");

static struct frag6_cb *fcb(struct zn_buf *b) {
  return (struct frag6_cb *)(void *)b->cb;
}

static void reass_timer(struct zn_stack *st, struct zn_timer *t);

size_t zn__ip6_reass_mem_size(const struct zn_config *cfg) {
  return zn__carve_size((size_t)cfg->ip6_reass_slots *
                        sizeof(struct zn__reass6));
}

void zn__ip6_reass_init(struct zn_stack *st, void **mem) {
  size_t n = (size_t)st->cfg.ip6_reass_slots * sizeof(struct zn__reass6);
  ZN__MOD(st, ip6)->reass = zn__carve(mem, n);
  memset(ZN__MOD(st, ip6)->reass, 0, n);
  for (uint32_t i = 0; i < st->cfg.ip6_reass_slots; i++)
    zn_timer_init(&ZN__MOD(st, ip6)->reass[i].timer, reass_timer);
}

static void reass_free(struct zn_stack *st, struct zn__reass6 *r,
                       enum zn_stat reason, bool count) {
  if (count)
    st->stats.v[reason] += r->q.nfrags;
  ZN__MOD(st, ip6)->reass_mem -= r->q.mem;
  zn__frag_release(&r->q);
  zn_timer_stop(st, &r->timer);
  r->used = false;
}

void zn__ip6_reass_destroy(struct zn_stack *st) {
  for (uint32_t i = 0; i < st->cfg.ip6_reass_slots; i++)
    if (ZN__MOD(st, ip6)->reass[i].used)
      reass_free(st, &ZN__MOD(st, ip6)->reass[i], ZN_STAT_ip6_reass_drop_timeout, false);
}

/* Fragments held in reassembly, for the accounting of tests. */
uint32_t zn__ip6_reass_held(const struct zn_stack *st) {
  uint32_t n = 0;
  for (uint32_t i = 0; ZN__MOD(st, ip6)->up && i < st->cfg.ip6_reass_slots; i++)
    if (ZN__MOD(st, ip6)->reass[i].used)
      n += ZN__MOD(st, ip6)->reass[i].q.nfrags;
  return n;
}

static struct zn__reass6 *reass_find(struct zn_stack *st, const uint8_t *h,
                                     uint32_t id) {
  struct zn__reass6 *free_slot = NULL, *oldest = NULL;
  for (uint32_t i = 0; i < st->cfg.ip6_reass_slots; i++) {
    struct zn__reass6 *r = &ZN__MOD(st, ip6)->reass[i];
    if (!r->used) {
      if (!free_slot)
        free_slot = r;
      continue;
    }
    if (r->id == id && memcmp(r->src, h + 8, 16) == 0 &&
        memcmp(r->dst, h + 24, 16) == 0)
      return r;
    if (!oldest || r->timer.expires < oldest->timer.expires)
      oldest = r;
  }
  if (!free_slot) {
    if (!oldest)
      return NULL;
    reass_free(st, oldest, ZN_STAT_ip6_reass_drop_evicted, true);
    free_slot = oldest;
  }
  free_slot->used = true;
  free_slot->id = id;
  memcpy(free_slot->src, h + 8, 16);
  memcpy(free_slot->dst, h + 24, 16);
  zn_timer_start_in(st, &free_slot->timer,
                    ZN_MS(st->cfg.ip6_reass_timeout_ms));
  return free_slot;
}

/* RFC 8200 §4.5: time exceeded code 1, only if the first fragment came. */
static void reass_timer(struct zn_stack *st, struct zn_timer *t) {
  struct zn__reass6 *r = ZN_CONTAINER_OF(t, struct zn__reass6, timer);
  struct zn_buf *first = r->q.frags;
  if (first && fcb(first)->f.off == 0) {
    size_t hl = (size_t)fcb(first)->unf + 8;
    if (zn_buf_push(first, hl)) {
      zn__icmp6_error(st, first, false, ZN_ICMP6_TIME_EXCEEDED,
                      ZN_ICMP6_TIMXCEED_REASS, 0);
      zn_buf_pull(first, hl);
    }
  }
  reass_free(st, r, ZN_STAT_ip6_reass_drop_timeout, true);
}

static struct zn_buf *reass_join(struct zn_stack *st, struct zn__reass6 *r) {
  struct zn_buf *first = r->q.frags;
  const struct frag6_cb *c = fcb(first);
  size_t unf = c->unf, tot = unf + r->q.total;
  if (tot - ZN_IPV6_HDR_LEN > 0xffff) {
    reass_free(st, r, ZN_STAT_ip6_reass_drop_bad, true);
    return NULL;
  }
  struct zn_buf *out = zn__buf_alloc(st, tot);
  if (!out) {
    reass_free(st, r, ZN_STAT_ip6_reass_drop_nobuf, true);
    return NULL;
  }
  uint8_t *p = zn_buf_put(out, tot);
  memcpy(p, first->data - unf - 8, unf);
  p[c->nxt_at] = c->nxt;
  zn_wr16(p + 4, (uint16_t)(tot - ZN_IPV6_HDR_LEN));
  for (struct zn_buf *f = first; f; f = f->next)
    memcpy(p + unf + fcb(f)->f.off, f->data, f->len);
  out->flags = first->flags & (uint16_t)~ZN_BUF_F_CSUM_OK;
  ZN_STAT_INC(st, ip6_reass_ok);
  ZN_STAT_ADD(st, ip6_reass_joined, r->q.nfrags);
  reass_free(st, r, ZN_STAT_ip6_reass_ok, false);
  return out;
}

/* RFC 5722: any overlap abandons the whole datagram; an exact duplicate
 * is dropped alone (RFC 8200 §4.5 allows it).  False if b was not kept,
 * counted. */
static bool reass_insert(struct zn_stack *st, struct zn__reass6 *r,
                         struct zn_buf *b, uint32_t bsize) {
  enum zn__frag_fit fit = zn__frag_insert(&r->q, b, bsize);
  if (fit == ZN__FRAG_DUP) {
    ZN_STAT_INC(st, ip6_reass_drop_dup);
    zn_buf_free(b);
    return false;
  }
  if (fit == ZN__FRAG_OVERLAP) {
    ZN_STAT_INC(st, ip6_reass_drop_overlap);
    zn_buf_free(b);
    reass_free(st, r, ZN_STAT_ip6_reass_drop_overlap, true);
    return false;
  }
  return true;
}

struct zn_buf *zn__ip6_reass_input(struct zn_stack *st, struct zn_buf *b,
                                   const struct zn_ipv6_chain *w) {
  size_t k = 0;
  while (k < w->n && w->hdr[k].type != ZN_IPPROTO_FRAGMENT)
    k++;
  if (k == w->n) {
    ZN_STAT_INC(st, ip6_reass_drop_bad);
    zn_buf_free(b);
    return NULL;
  }
  uint16_t fo = w->hdr[k].off;
  uint32_t dlen = b->len - fo - 8u, off = w->frag_offset;
  if (dlen == 0 || off + dlen > 0xffff) {
    zn__icmp6_error(st, b, false, ZN_ICMP6_PARAM_PROB,
                    ZN_ICMP6_PARAMPROB_HEADER, fo + 2u);
    ZN_STAT_INC(st, ip6_reass_drop_bad);
    zn_buf_free(b);
    return NULL;
  }
  struct zn__reass6 *r = reass_find(st, b->data, w->frag_id);
  uint32_t bsize = (uint32_t)(b->end - b->head);
  if (!r || ZN__MOD(st, ip6)->reass_mem + bsize > st->cfg.ip6_reass_max_bytes) {
    if (r)
      ZN_STAT_INC(st, ip6_reass_drop_mem);
    else
      ZN_STAT_INC(st, ip6_reass_drop_slots);
    zn_buf_free(b);
    return NULL;
  }
  struct frag6_cb *c = fcb(b);
  c->f.off = off;
  c->f.len = dlen;
  c->unf = fo;
  c->nxt_at = (uint16_t)(k ? w->hdr[k - 1].off : 6);
  c->nxt = b->data[fo];
  /* RFC 8200 §4.5: the last fragment fixes the length; fragments past
   * it, or a second different end, are inconsistent. */
  if (!zn__frag_end_ok(&r->q, off + dlen, w->frag_more)) {
    ZN_STAT_INC(st, ip6_reass_drop_bad);
    zn_buf_free(b);
    reass_free(st, r, ZN_STAT_ip6_reass_drop_bad, true);
    return NULL;
  }
  if (!w->frag_more)
    zn__frag_set_last(&r->q, off + dlen);
  zn_buf_pull(b, (size_t)fo + 8);
  if (!reass_insert(st, r, b, bsize))
    return NULL;
  ZN__MOD(st, ip6)->reass_mem += bsize;
  if (zn__frag_complete(&r->q))
    return reass_join(st, r);
  return NULL;
}
