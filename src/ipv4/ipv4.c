/*
 * IPv4 (RFC 791; host requirements RFC 1122 §3.2.1, §3.3.2).
 *
 * Input: validate, check the destination, reassemble fragments, hand the
 * payload to the transport with the header left in the headroom.
 * Output: choose the next hop (on-link, gateway, broadcast, ourselves),
 * push the header into the headroom (no copy), or fragment into fresh
 * buffers when the datagram exceeds the MTU.  A flow that sends many
 * datagrams (a TCP connection) keeps the route its first took straight
 * to a resolved neighbour (struct zn__ip_path): the frame's headers as a
 * template, the sum of the header's fixed words, the neighbour's ARP
 * entry pinned, and the epoch of the configuration, which every change
 * of address, mask, gateway, MAC or netif moves.  Its next datagrams,
 * while all of that stands, take the template, their own TOS, length,
 * ID and an incremental checksum, and go to the link.
 *
 * Reassembly keeps fragments as the buffers they arrived in, sorted by
 * offset, and copies them once into one buffer when the last hole closes.
 * Overlaps drop the whole datagram; exact duplicates are dropped alone.
 */
#include <string.h>

#include "arp/arp_int.h"
#include "core/module_int.h"
#include "core/peer_hash.h"
#include "core/log_int.h"
#include "core/stack_int.h"
#include "eth/eth_int.h"
#include "inet/inet_int.h"
#include "ipv4/ipv4_int.h"
#include "wire/wire_inline.h"
#include "znet/err.h"
#include "znet/wire.h"

/* Per-fragment bookkeeping kept in the buffer's cb while it waits. */
struct frag_cb {
  struct zn__frag_cb f; /* payload offset and bytes: the queue's */
  uint32_t hdr_len;     /* IP header bytes, still in the headroom */
};

static struct frag_cb *fcb(struct zn_buf *b) {
  return (struct frag_cb *)(void *)b->cb;
}

_Static_assert(sizeof(struct frag_cb) <= ZN_BUF_CB_SIZE, "cb too small");

static void reass_timer(struct zn_stack *st, struct zn_timer *t);

size_t zn__ip_mem_size(const struct zn_config *cfg) {
  return zn__carve_size((size_t)cfg->reass_slots * sizeof(struct zn__reass));
}

void zn__ip_init(struct zn_stack *st, void **mem) {
  struct zn__ip *ip = ZN__MOD(st, ip);
  memset(ip, 0, sizeof(*ip));
  ip->reass = zn__carve(mem, (size_t)st->cfg.reass_slots * sizeof(struct zn__reass));
  memset(ip->reass, 0, (size_t)st->cfg.reass_slots * sizeof(struct zn__reass));
  for (uint32_t i = 0; i < st->cfg.reass_slots; i++)
    zn_timer_init(&ip->reass[i].timer, reass_timer);
  /* Random starting IDs: a shared, predictable counter lets an observer
   * count our traffic (idle scans). */
  zn_random_bytes(st, ip->ids, sizeof(ip->ids));
  ip->epoch = 1; /* 0 is an empty path's */
}

void zn__ip_config_changed(struct zn_stack *st) {
  if (++ZN__MOD(st, ip)->epoch == 0)
    ZN__MOD(st, ip)->epoch = 1;
}

static void reass_free(struct zn_stack *st, struct zn__reass *r,
                       enum zn_stat reason, bool count) {
  if (count)
    st->stats.v[reason] += r->q.nfrags;
  ZN__MOD(st, ip)->reass_mem -= r->q.mem;
  zn__frag_release(&r->q);
  zn_timer_stop(st, &r->timer);
  r->used = false;
}

void zn__ip_destroy(struct zn_stack *st) {
  for (uint32_t i = 0; i < st->cfg.reass_slots; i++)
    if (ZN__MOD(st, ip)->reass[i].used)
      reass_free(st, &ZN__MOD(st, ip)->reass[i], ZN_STAT_ip_reass_drop_timeout, false);
}

/* (Inline here, where every datagram in and out asks; the other modules
 * call zn__ip_is_local and zn__ip_is_bcast.) */
static inline bool is_local(const struct zn_stack *st, uint32_t a) {
  return a != 0 && a == ZN__MOD(st, ip)->addr;
}

/* The limited broadcast, or the directed broadcast of our prefix (none
 * on /31 and /32, RFC 3021: then dbcast is the limited one). */
static inline bool is_bcast(const struct zn_stack *st, uint32_t a) {
  return a == ZN_IPV4_BCAST || a == ZN__MOD(st, ip)->dbcast;
}

bool zn__ip_is_local(const struct zn_stack *st, uint32_t a) {
  return is_local(st, a) || zn_ipv4_is_loopback(a);
}

bool zn__ip_is_bcast(const struct zn_stack *st, uint32_t a) {
  return is_bcast(st, a);
}

void zn__ip_error_reporter(struct zn_stack *st, zn__ip_error_fn fn) {
  ZN__MOD(st, ip)->report_error = fn;
}

void zn__ip_send_error(struct zn_stack *st, const struct zn_buf *orig,
                       bool link_bcast, uint8_t type, uint8_t code,
                       uint32_t rest) {
  zn__ip_error_fn fn = ZN__MOD(st, ip)->report_error;
  if (fn)
    fn(st, orig, link_bcast, type, code, rest);
}

/* ---- reassembly ---- */

static struct zn__reass *reass_find(struct zn_stack *st,
                                    const struct zn_ipv4_view *v) {
  struct zn__reass *free_slot = NULL;
  for (uint32_t i = 0; i < st->cfg.reass_slots; i++) {
    struct zn__reass *r = &ZN__MOD(st, ip)->reass[i];
    if (!r->used) {
      if (!free_slot)
        free_slot = r;
      continue;
    }
    if (r->id == v->id && r->src == v->src && r->dst == v->dst &&
        r->proto == v->proto)
      return r;
  }
  if (!free_slot) {
    /* Every slot busy: the oldest datagram goes.  Waiting for timeouts
     * instead let a few fragments that never complete (eight, by default)
     * block all reassembly for reass_timeout_ms (found by the attack
     * tests); a datagram whose fragments arrive together completes long
     * before a flood can push it out. */
    struct zn__reass *oldest = NULL;
    for (uint32_t i = 0; i < st->cfg.reass_slots; i++) {
      struct zn__reass *r = &ZN__MOD(st, ip)->reass[i];
      if (!oldest || r->timer.expires < oldest->timer.expires)
        oldest = r;
    }
    if (!oldest)
      return NULL; /* no slots at all */
    reass_free(st, oldest, ZN_STAT_ip_reass_drop_evicted, true);
    free_slot = oldest;
  }
  free_slot->used = true;
  free_slot->id = v->id;
  free_slot->src = v->src;
  free_slot->dst = v->dst;
  free_slot->proto = v->proto;
  zn_timer_start_in(st, &free_slot->timer, ZN_MS(st->cfg.reass_timeout_ms));
  return free_slot;
}

static void reass_timer(struct zn_stack *st, struct zn_timer *t) {
  struct zn__reass *r = ZN_CONTAINER_OF(t, struct zn__reass, timer);
  struct zn_buf *first = r->q.frags;
  /* RFC 792/1122: time exceeded (reassembly), only if fragment 0 came. */
  if (first && fcb(first)->f.off == 0) {
    uint32_t hl = fcb(first)->hdr_len;
    if (zn_buf_push(first, hl)) {
      zn__ip_send_error(st, first, false, ZN_ICMP_TIME_EXCEEDED,
                        ZN_ICMP_TIMXCEED_REASS, 0);
      zn_buf_pull(first, hl);
    }
  }
  ZN_LOG(st, ZN_LOG_DEBUG, "ip: reassembly of id %u from %I timed out",
         (unsigned)r->id, r->src);
  reass_free(st, r, ZN_STAT_ip_reass_drop_timeout, true);
}

/* Join the fragments of a complete datagram into one buffer. */
static struct zn_buf *reass_join(struct zn_stack *st, struct zn__reass *r) {
  struct zn_buf *first = r->q.frags;
  uint32_t hl = fcb(first)->hdr_len;
  size_t tot = (size_t)hl + r->q.total;
  if (tot > ZN_IPV4_MAX_LEN) {
    reass_free(st, r, ZN_STAT_ip_reass_drop_bad, true);
    return NULL;
  }
  struct zn_buf *out = zn__buf_alloc(st, tot);
  if (!out) {
    reass_free(st, r, ZN_STAT_ip_reass_drop_nobuf, true);
    return NULL;
  }
  uint8_t *p = zn_buf_put(out, tot);
  memcpy(p, first->data - hl, hl);
  for (struct zn_buf *f = first; f; f = f->next)
    memcpy(p + hl + fcb(f)->f.off, f->data, f->len);
  /* No backend checks a transport checksum fragment by fragment. */
  out->flags = first->flags & (uint16_t)~ZN_BUF_F_CSUM_OK;
  zn_wr16(p + 2, (uint16_t)tot);
  zn_wr16(p + 6, 0);
  zn_wr16(p + 10, 0);
  zn_wr16(p + 10, zn_csum(p, hl));
  ZN_STAT_INC(st, ip_reass_ok);
  ZN_STAT_ADD(st, ip_reass_joined, r->q.nfrags);
  reass_free(st, r, ZN_STAT_ip_reass_ok, false);
  return out;
}

/* Take a fragment (data at the IP header, trimmed to tot_len).  Returns the
 * whole datagram once complete, else NULL; consumes b either way. */
static struct zn_buf *reass_input(struct zn_stack *st, struct zn_buf *b,
                                  const struct zn_ipv4_view *v) {
  ZN_STAT_INC(st, ip_frag_rx);
  uint32_t off = (uint32_t)zn_ipv4_frag_offset(v);
  uint32_t len = (uint32_t)zn_ipv4_payload_len(v);
  bool mf = zn_ipv4_mf(v);
  if (len == 0 || (mf && (len & 7u) != 0) ||
      (size_t)off + len + v->hdr_len > ZN_IPV4_MAX_LEN) {
    ZN_STAT_INC(st, ip_reass_drop_bad);
    zn_buf_free(b);
    return NULL;
  }
  struct zn__reass *r = reass_find(st, v);
  if (!r) {
    ZN_STAT_INC(st, ip_reass_drop_slots);
    zn_buf_free(b);
    return NULL;
  }
  uint32_t bsize = b->pool->size;
  if (ZN__MOD(st, ip)->reass_mem + bsize > st->cfg.reass_max_bytes) {
    /* Without this fragment the datagram can never complete: release all
     * of it, so one flood cannot pin the whole budget. */
    ZN_STAT_INC(st, ip_reass_drop_mem);
    zn_buf_free(b);
    reass_free(st, r, ZN_STAT_ip_reass_drop_mem, true);
    return NULL;
  }
  uint32_t end = off + len;
  if (!zn__frag_end_ok(&r->q, end, mf))
    goto bad;
  struct frag_cb *c = fcb(b);
  c->f.off = off;
  c->f.len = len;
  c->hdr_len = (uint32_t)v->hdr_len;
  zn_buf_pull(b, v->hdr_len);
  /* An exact duplicate is dropped alone; any other overlap drops the
   * whole datagram (the pieces could be read two ways). */
  enum zn__frag_fit fit = zn__frag_insert(&r->q, b, bsize);
  if (fit == ZN__FRAG_DUP) {
    ZN_STAT_INC(st, ip_reass_drop_dup);
    zn_buf_free(b);
    return NULL;
  }
  if (fit == ZN__FRAG_OVERLAP) {
    ZN_STAT_INC(st, ip_reass_drop_overlap);
    zn_buf_free(b);
    reass_free(st, r, ZN_STAT_ip_reass_drop_overlap, true);
    return NULL;
  }
  ZN__MOD(st, ip)->reass_mem += bsize;
  if (!mf)
    zn__frag_set_last(&r->q, end);
  if (zn__frag_complete(&r->q))
    return reass_join(st, r);
  return NULL;
bad:
  ZN_STAT_INC(st, ip_reass_drop_bad);
  zn_buf_free(b);
  reass_free(st, r, ZN_STAT_ip_reass_drop_bad, true);
  return NULL;
}

/* ---- input ---- */

/* Inlined into source_acceptable, which every datagram goes through;
 * zn__ip_classify_source is the same for the other modules. */
static inline enum zn__ipv4_src classify_source(const struct zn_stack *st,
                                                uint32_t src, bool from_wire) {
  const struct zn__ip *ip = ZN__MOD(st, ip);
  enum zn__ipv4_src c = zn__ipv4_src_class(src, ip->dbcast);
  if (c == ZN__IPV4_SRC_HOST && from_wire && src == ip->addr)
    return ZN__IPV4_SRC_OWN; /* spoofed, or our own frame looped by the
                                link */
  if (c == ZN__IPV4_SRC_LOOPBACK && !from_wire)
    return ZN__IPV4_SRC_HOST; /* 127/8 inside the host: ourselves */
  return c;
}

enum zn__ipv4_src zn__ip_classify_source(const struct zn_stack *st,
                                             uint32_t src, bool from_wire) {
  return classify_source(st, src, from_wire);
}

/* RFC 1122 §3.2.1.3 / RFC 1812 §5.3.7: a datagram whose source names no
 * single host is silently discarded, each kind under its own counter. */
static bool source_acceptable(struct zn_stack *st, uint32_t src,
                              const struct zn_buf *b) {
  bool from_wire = !(b->flags & ZN_BUF_F_LOOP);
  switch (classify_source(st, src, from_wire)) {
  case ZN__IPV4_SRC_HOST:
    return true;
  case ZN__IPV4_SRC_ZERO:
    ZN_STAT_INC(st, ip_drop_src_zero);
    return false;
  case ZN__IPV4_SRC_LOOPBACK:
    ZN_STAT_INC(st, ip_drop_src_loopback);
    return false;
  case ZN__IPV4_SRC_MCAST:
    ZN_STAT_INC(st, ip_drop_src_mcast);
    return false;
  case ZN__IPV4_SRC_BCAST:
    ZN_STAT_INC(st, ip_drop_src_bcast);
    return false;
  case ZN__IPV4_SRC_CLASS_E:
    ZN_STAT_INC(st, ip_drop_src_class_e);
    return false;
  case ZN__IPV4_SRC_OWN:
    ZN_STAT_INC(st, ip_drop_src_own);
    return false;
  }
  return false;
}

/* The source of nearly every datagram, in five compares: 1.0.0.0 to
 * 223.255.255.255 but 127.0.0.0/8, neither our address nor our directed
 * broadcast.  classify_source says ZN__IPV4_SRC_HOST of each such address;
 * any other goes through it (and may still pass, as a looped datagram
 * from our own address does). */
static inline bool source_plain_host(const struct zn_stack *st,
                                     uint32_t src) {
  const struct zn__ip *ip = ZN__MOD(st, ip);
  uint32_t top = src >> 24;
  return top - 1u < 223u && top != 127 && src != ip->addr &&
         src != ip->dbcast;
}

/* How input_any takes a destination. */
enum dst_kind { DST_DROP, DST_UNICAST, DST_BCAST };

/* A destination other than our address in a frame to us, which
 * input_any takes at once: our address in a link broadcast, a
 * broadcast, 127/8 from our own loopback queue, a DHCP reply before we
 * hold an address, or not ours (counted).  b holds the datagram input_any
 * checked, whose header is read again here, out of its way. */
__attribute__((noinline)) static enum dst_kind
destination_other(struct zn_stack *st, const struct zn_buf *b) {
  struct zn_ipv4_view v;
  bool looped = (b->flags & ZN_BUF_F_LOOP) != 0;
  if (zn__ipv4_view_parse(&v, b->data, b->len) != ZN_OK ||
      is_local(st, v.dst)) {
    /* RFC 1122 §3.3.6: unicast inside a link broadcast is suspect.  (The
     * view cannot fail: input_any checked the same bytes.) */
    ZN_STAT_INC(st, ip_drop_not_for_us);
    return DST_DROP;
  }
  if (is_bcast(st, v.dst))
    return DST_BCAST;
  /* 127/8 is ours only inside the host (RFC 1122 §3.2.1.3 (g)): from the
   * wire it is not for us, as any other address. */
  if (looped && zn_ipv4_is_loopback(v.dst))
    return DST_UNICAST;
  /* A DHCP reply unicast to the address offered to us, before we hold
   * one (src/dhcp4/dhcp4_int.h). */
  zn__ip_accept_fn accept = ZN__MOD(st, ip)->accept_other;
  if (accept && accept(st, &v))
    return DST_UNICAST;
  ZN_STAT_INC(st, ip_drop_not_for_us);
  return DST_DROP;
}

/* Hand the whole datagram of v, in b (trimmed to it), to its transport,
 * the header left in the headroom; consumes b.  bcast: sent to a
 * broadcast address, of the link or of IP. */
/* The meta for the transport of the datagram whose header (hdr_len
 * bytes) is at p: the addresses as the bytes of the header, no byte
 * swap, and the rest of the meta cleared in three stores. */
static inline void meta_from_header(struct zn__inet_meta *m, const uint8_t *p,
                                    uint16_t hdr_len, bool bcast) {
  memset(m, 0, sizeof(*m));
  m->src.family = ZN_AF_INET;
  memcpy(m->src.bytes, p + 12, 4);
  m->dst.family = ZN_AF_INET;
  memcpy(m->dst.bytes, p + 16, 4);
  m->proto = p[9];
  m->ttl = p[8];
  m->tos = p[1];
  m->hdr_len = hdr_len;
  m->bcast = bcast;
}

static inline void deliver(struct zn_stack *st, struct zn_buf *b,
                           const struct zn_ipv4_view *v, bool bcast) {
  struct zn__inet_meta m;
  meta_from_header(&m, v->p, (uint16_t)v->hdr_len, bcast);
  zn_buf_pull(b, v->hdr_len);
  if (zn__inet_deliver(st, b, &m))
    return;
  zn_buf_push(b, v->hdr_len);
  ZN_STAT_INC(st, ip_drop_proto);
  zn__ip_send_error(st, b, m.bcast, ZN_ICMP_DEST_UNREACH,
                    ZN_ICMP_UNREACH_PROTO, 0);
  zn_buf_free(b);
}

/* A fragment input_any checked, in b trimmed to it: into reassembly,
 * and the datagram it completes, if any, to its transport.  Consumes b.
 * Out of line, so that the common path keeps its registers. */
__attribute__((noinline)) static void reassemble(struct zn_stack *st,
                                                 struct zn_buf *b,
                                                 bool bcast) {
  struct zn_ipv4_view v;
  if (zn__ipv4_view_parse(&v, b->data, b->len) != ZN_OK) {
    ZN_STAT_INC(st, ip_reass_drop_bad); /* cannot happen: checked */
    zn_buf_free(b);
    return;
  }
  b = reass_input(st, b, &v);
  if (!b)
    return;
  if (zn__ipv4_view_parse(&v, b->data, b->len) != ZN_OK) {
    ZN_STAT_INC(st, ip_reass_drop_bad); /* cannot happen: we built it */
    zn_buf_free(b);
    return;
  }
  deliver(st, b, &v, bcast);
}

static void count_bad_header(struct zn_stack *st, int rc) {
  switch (rc) {
  case ZN_ETRUNCATED:
    ZN_STAT_INC(st, ip_drop_short);
    break;
  case ZN_EPROTO:
    ZN_STAT_INC(st, ip_drop_version);
    break;
  case ZN_EMALFORMED:
    ZN_STAT_INC(st, ip_drop_hdrlen);
    break;
  default:
    ZN_STAT_INC(st, ip_drop_totlen);
    break;
  }
}

/* Every datagram but the common one (zn__ip_input), checked in full from
 * its first byte.  The view is parsed inline and stays in registers; the
 * rarer paths still (other destinations, fragments) read the header again
 * out of line. */
__attribute__((noinline)) static void input_any(struct zn_stack *st,
                                                struct zn_buf *b,
                                                bool link_bcast) {
  struct zn_ipv4_view v;
  int rc = zn__ipv4_view_parse(&v, b->data, b->len);
  if (rc != ZN_OK) {
    count_bad_header(st, rc);
    goto drop;
  }
  if (!(b->flags & ZN_BUF_F_LOOP) && !zn__ipv4_csum_ok(&v)) {
    ZN_STAT_INC(st, ip_drop_checksum);
    goto drop;
  }
  /* No TTL check: a host takes a datagram addressed to it whatever its
   * TTL, 0 included; TTL matters only to a router (RFC 1122 §3.2.1.7). */
  if (!source_plain_host(st, v.src) && !source_acceptable(st, v.src, b))
    goto drop; /* counted inside */
  bool bcast = link_bcast;
  if (!is_local(st, v.dst) || link_bcast) {
    enum dst_kind k = destination_other(st, b);
    if (k == DST_DROP)
      goto drop; /* counted inside */
    bcast = bcast || k == DST_BCAST;
  }
  zn_buf_trim(b, v.tot_len); /* link padding */
  if (zn_ipv4_is_fragment(&v)) {
    reassemble(st, b, bcast);
    return;
  }
  deliver(st, b, &v, bcast);
  return;
drop:
  zn_buf_free(b);
}

/* The common datagram, a whole one without options from a unicast host
 * to our address, in a frame to us from the wire, for a transport we
 * have: its checks read the header's bytes in place and the meta is
 * built from them, and the function keeps nothing in callee-saved
 * registers (the transport's call is its last).  Any other datagram, and
 * any that fails a check here, goes to input_any, which checks it again
 * from the start and counts what it drops. */
void zn__ip_input(struct zn_stack *st, struct zn_buf *b, uint16_t group) {
  ZN_STAT_INC(st, ip_rx);
  const uint8_t *p = b->data;
  uint32_t len = b->len;
  if (len < ZN_IPV4_HDR_LEN || p[0] != 0x45 || group != 0 ||
      (b->flags & ZN_BUF_F_LOOP))
    goto other;
  uint32_t tot_len = zn_rd16(p + 2);
  if (tot_len < ZN_IPV4_HDR_LEN || tot_len > len || !zn__ipv4_csum20_ok(p))
    goto other;
  uint32_t src = zn_rd32(p + 12), dst = zn_rd32(p + 16);
  if (!source_plain_host(st, src) || !is_local(st, dst) ||
      (zn_rd16(p + 6) & (ZN_IPV4_MF | ZN_IPV4_OFFMASK)) != 0)
    goto other;
  uint8_t proto = p[9];
  zn__inet_input_fn in = zn__inet_input(st, ZN__INET_V4, proto);
  if (!in)
    goto other; /* answered, and counted, there */
  struct zn__inet_meta m;
  meta_from_header(&m, p, ZN_IPV4_HDR_LEN, false);
  /* zn_buf_trim to tot_len (the link padding) and zn_buf_pull of the
   * header, whose tests the checks above have made. */
  b->data += ZN_IPV4_HDR_LEN;
  b->len = tot_len - ZN_IPV4_HDR_LEN;
  in(st, b, &m);
  return;
other:
  input_any(st, b, group == ZN_BUF_F_BCAST);
}

/* A datagram we sent to our own address, at the next poll. */
static void loop_input(struct zn_stack *st, struct zn_buf *b) {
  ZN_STAT_INC(st, ip_loop_rx);
  zn__ip_input(st, b, 0);
}

/* ---- output ---- */

uint32_t zn__ip_id_slot(const struct zn_stack *st, uint32_t dst,
                        uint8_t proto) {
  return ((uint32_t)(zn__peer_hash(st, dst) >> 32) + proto) % ZN__IP_IDS;
}

static uint16_t next_id(struct zn_stack *st, uint32_t dst, uint8_t proto) {
  return ZN__MOD(st, ip)->ids[zn__ip_id_slot(st, dst, proto)]++;
}

enum hop_kind { HOP_UNICAST, HOP_BCAST, HOP_MCAST };

void zn__ip_link_send(struct zn_stack *st, struct zn_buf *b,
                      const uint8_t mac[6]) {
  uint32_t mtu = st->nif ? st->nif->mtu : ZN_DEFAULT_MTU;
  /* A TSO frame is cut by the netif, not fragmented. */
  if (b->len <= mtu || b->gso_size) {
    zn__eth_output(st, b, mac, ZN_ETHERTYPE_IPV4);
    return;
  }
  /* Fragment (RFC 791 §3.2): payload chunks of a multiple of 8 bytes, each
   * behind a copy of our (option-less) header.  The datagram was built
   * whole so that a pending ARP resolution holds one buffer, not dozens. */
  const uint8_t *h = b->data;
  size_t hl = (size_t)(h[0] & 0x0f) * 4;
  size_t plen = b->len - hl;
  size_t chunk = (mtu - hl) & ~(size_t)7;
  for (size_t off = 0; off < plen; off += chunk) {
    size_t n = plen - off < chunk ? plen - off : chunk;
    struct zn_buf *f = zn__buf_alloc(st, n + hl);
    if (!f) {
      ZN_STAT_INC(st, ip_tx_drop_nobuf);
      break;
    }
    uint8_t *p = zn_buf_put(f, n + hl);
    memcpy(p, h, hl);
    zn_wr16(p + 2, (uint16_t)(n + hl));
    zn_wr16(p + 6, (uint16_t)((off / 8) | (off + n < plen ? ZN_IPV4_MF : 0)));
    zn_wr16(p + 10, 0);
    zn_wr16(p + 10, zn_csum(p, hl));
    memcpy(p + hl, h + hl + off, n);
    ZN_STAT_INC(st, ip_frag_tx);
    zn__eth_output(st, f, mac, ZN_ETHERTYPE_IPV4);
  }
  zn_buf_free(b);
}

/* (Inline in both of output's copies, as it was in the one.) */
static inline __attribute__((always_inline)) void
link_output(struct zn_stack *st, struct zn_buf *b, enum hop_kind kind,
            uint32_t hop) {
  if (kind == HOP_BCAST) {
    zn__ip_link_send(st, b, zn_eth_bcast);
  } else if (kind == HOP_MCAST) {
    /* RFC 1112 §6.4: 01:00:5e + low 23 bits of the group. */
    uint8_t mac[6] = {0x01, 0x00, 0x5e, (uint8_t)((hop >> 16) & 0x7f),
                      (uint8_t)(hop >> 8), (uint8_t)hop};
    zn__ip_link_send(st, b, mac);
  } else {
    zn__arp_output(st, b, hop);
  }
}

/* RFC 1122 §3.2.1.3: 0.0.0.0/8 and 127.0.0.0/8 never appear as a
 * destination outside a host, nor does 240.0.0.0/4 (reserved) but for the
 * limited broadcast.  Sent to a gateway they would leak.  (127/8 is
 * looped back inside the host: output.) */
static bool destination_never_on_wire(const struct zn_stack *st,
                                      uint32_t dst) {
  uint32_t top = dst >> 24;
  if (top == 0 || top == 127)
    return true;
  return top >= 240 && !is_bcast(st, dst);
}

/* The IPv4 header h of a datagram of path's flow, emitted at p, as path
 * keeps it: the bytes (those zn__ip_path_output rewrites included), and
 * the sum of the words it does not rewrite (all but the TOS, length, ID
 * and checksum), as zn_csum20 sums them. */
static void path_keep_header(struct zn__ip_path *path, const uint8_t *p,
                             const struct zn_ipv4_hdr *h) {
  memcpy(path->hdr + ZN_ETH_HDR_LEN, p, ZN_IPV4_HDR_LEN);
  path->sum = 0x4500u + h->frag + ((uint32_t)h->ttl << 8 | h->proto) +
              (h->src >> 16) + (h->src & 0xffffu) + (h->dst >> 16) +
              (h->dst & 0xffffu); /* seven terms below 2^16 */
}

/* After zn__arp_output has sent a datagram of path's flow to next hop
 * hop: if it went straight to the link, path takes the route (the
 * Ethernet header, the neighbour's entry pinned, this configuration);
 * else path is emptied.  A tagged frame (cfg.vlan_id) is not kept: the
 * template has no room for its tag. */
static void path_keep_route(struct zn_stack *st, struct zn__ip_path *path,
                            uint32_t hop) {
  const uint8_t *mac = NULL;
  if (st->nif && !st->cfg.vlan_id)
    mac = zn__arp_pin(ZN__MOD(st, arp), hop, &path->hop);
  if (!mac) {
    path->epoch = 0;
    return;
  }
  path->epoch = ZN__MOD(st, ip)->epoch;
  memcpy(path->hdr, mac, 6);
  memcpy(path->hdr + 6, st->mac, 6);
  zn_wr16(path->hdr + 12, ZN_ETHERTYPE_IPV4);
}

/* zn__ip_output, and with a path zn__ip_output_path's keeping of the
 * route in it.  (Both inline this: in the first path is NULL, in the
 * second it cannot be, and either way the tests of it fold away.) */
static inline __attribute__((always_inline)) int
output(struct zn_stack *st, struct zn_buf *b, const struct zn__ip_tx *tx,
       struct zn__ip_path *path) {
  const struct zn__ip *ip = ZN__MOD(st, ip);
  uint32_t src = tx->src ? tx->src : ip->addr;
  uint32_t dst = tx->dst;
  size_t plen = b->len;
  int rc;
  bool loop = false;
  if (destination_never_on_wire(st, dst)) {
    if (!zn_ipv4_is_loopback(dst)) {
      ZN_STAT_INC(st, ip_tx_drop_martian);
      rc = ZN_ENETUNREACH;
      goto fail;
    }
    /* The loopback network, up with or without an address: from
     * 127.0.0.1 unless the sender chose (Linux's route for 127/8). */
    loop = true;
    if (!tx->src)
      src = ZN_IPV4_LOOPBACK;
  }
  if (src == 0) {
    ZN_STAT_INC(st, ip_tx_drop_noaddr);
    rc = ZN_EADDRNOTAVAIL;
    goto fail;
  }
  if (plen + ZN_IPV4_HDR_LEN > ZN_IPV4_MAX_LEN) {
    ZN_STAT_INC(st, ip_tx_drop_toobig);
    rc = ZN_EMSGSIZE;
    goto fail;
  }
  enum hop_kind kind = HOP_UNICAST;
  uint32_t hop = dst;
  if (loop || is_local(st, dst)) {
    loop = true;
  } else if (is_bcast(st, dst)) {
    kind = HOP_BCAST;
  } else if (zn_ipv4_is_mcast(dst)) {
    kind = HOP_MCAST;
  } else if (ip->addr && ((dst ^ ip->addr) & ip->mask) == 0) {
    hop = dst;
  } else if (ip->gw) {
    hop = ip->gw;
  } else {
    ZN_STAT_INC(st, ip_tx_drop_noroute);
    rc = ZN_ENETUNREACH;
    goto fail;
  }
  if (!loop && zn_ipv4_is_loopback(src)) {
    /* A loopback source never leaves the host (RFC 1122 §3.2.1.3 (g));
     * Linux refuses it with EINVAL. */
    ZN_STAT_INC(st, ip_tx_drop_src_loopback);
    rc = ZN_EINVAL;
    goto fail;
  }
  uint32_t mtu = st->nif ? st->nif->mtu : ZN_DEFAULT_MTU;
  if (!loop && plen + ZN_IPV4_HDR_LEN > mtu && !b->gso_size &&
      (tx->df || mtu < ZN_IPV4_HDR_LEN + 8)) {
    ZN_STAT_INC(st, ip_tx_drop_df);
    rc = ZN_EMSGSIZE;
    goto fail;
  }
  struct zn_ipv4_hdr h;
  h.tos = tx->tos;
  h.ttl = tx->ttl ? tx->ttl : st->cfg.ttl;
  h.proto = tx->proto;
  h.id = tx->own_id && tx->df ? tx->id : next_id(st, dst, tx->proto);
  h.src = src;
  h.dst = dst;
  h.frag = tx->df ? ZN_IPV4_DF : 0;
  h.tot_len = (uint16_t)(plen + ZN_IPV4_HDR_LEN);
  uint8_t *p = zn_buf_push(b, ZN_IPV4_HDR_LEN);
  if (!p) {
    ZN_STAT_INC(st, if_tx_errors); /* layer above left no headroom */
    rc = ZN_ENOBUFS;
    goto fail;
  }
  zn_ipv4_emit(p, &h);
  ZN_STAT_INC(st, ip_tx);
  if (path) /* while b is still ours */
    path_keep_header(path, p, &h);
  if (loop) {
    if (zn__loop(st, b, loop_input) != ZN_OK) {
      ZN_STAT_INC(st, ip_tx_drop_loopq);
      return ZN_ENOBUFS;
    }
    if (path)
      path->epoch = 0;
    return ZN_OK;
  }
  link_output(st, b, kind, hop);
  if (path) {
    if (kind == HOP_UNICAST)
      path_keep_route(st, path, hop);
    else
      path->epoch = 0;
  }
  return ZN_OK;
fail:
  zn_buf_free(b);
  return rc;
}

int zn__ip_output(struct zn_stack *st, struct zn_buf *b,
                  const struct zn__ip_tx *tx) {
  return output(st, b, tx, NULL);
}

int zn__ip_output_path(struct zn_stack *st, struct zn_buf *b,
                       const struct zn__ip_tx *tx, struct zn__ip_path *path) {
  return output(st, b, tx, path);
}

void zn__ip_path_output(struct zn_stack *st, const struct zn__ip_path *path,
                        struct zn_buf *b, uint8_t tos, uint16_t id) {
  uint32_t tot = b->len + ZN_IPV4_HDR_LEN;
  uint8_t *p = zn_buf_push(b, sizeof(path->hdr));
  if (!p) { /* zn__ip_path_takes saw to the room: a bug above */
    ZN_STAT_INC(st, if_tx_errors);
    zn_buf_free(b);
    return;
  }
  zn__arp_pin_used(&path->hop, st->now);
  memcpy(p, path->hdr, sizeof(path->hdr));
  uint8_t *ip = p + ZN_ETH_HDR_LEN;
  zn_wr16(ip, (uint16_t)(0x4500u | tos)); /* version 4, IHL 5; TOS */
  zn_wr16(ip + 2, (uint16_t)tot);
  zn_wr16(ip + 4, id);
  /* RFC 1071's sum, the fixed words' and these three (below 2^20), then
   * folded twice: bit for bit what zn_csum20 gives the whole header. */
  uint32_t sum = path->sum + tos + tot + id;
  sum = (sum & 0xffffu) + (sum >> 16);
  sum += sum >> 16;
  zn_wr16(ip + 10, (uint16_t)~sum);
  ZN_STAT_INC(st, ip_tx);
  ZN_STAT_INC(st, ip_tx_path_cached);
  zn__if_output(st, b);
}

/* Our address, prefix and gateway become these, and ARP answers for the
 * address. */
static void set_config(struct zn_stack *st, uint32_t addr, uint8_t prefix,
                       uint32_t gateway) {
  struct zn__ip *ip = ZN__MOD(st, ip);
  ip->addr = addr;
  ip->prefix = prefix;
  ip->mask = zn_ipv4_mask(prefix);
  ip->gw = gateway;
  ip->dbcast = addr != 0 && prefix < 31 ? addr | ~ip->mask : ZN_IPV4_BCAST;
  zn__arp_set_addr(st, addr, ip->dbcast);
}

void zn_stack_get_ipv4(const struct zn_stack *st, uint32_t *addr,
                       uint8_t *prefix, uint32_t *gateway) {
  const struct zn__ip *ip = ZN__MOD(st, ip);
  if (addr)
    *addr = ip->addr;
  if (prefix)
    *prefix = ip->prefix;
  if (gateway)
    *gateway = ip->gw;
}

/* A gateway is a unicast address on the wire other than ours.  It need
 * not be on the prefix: one off it is reached on the link all the same
 * (ARP for it), as Linux's "onlink" route does, the way Kubernetes'
 * network plugins give a pod a /32 and a gateway such as 169.254.1.1. */
static bool gateway_usable(uint32_t gateway, uint32_t addr) {
  return gateway != addr && zn_ipv4_is_wire_unicast(gateway);
}

int zn_stack_set_ipv4(struct zn_stack *st, uint32_t addr, uint8_t prefix,
                      uint32_t gateway) {
  if (prefix > 32)
    return ZN_EINVAL;
  if (gateway && !gateway_usable(gateway, addr))
    return ZN_EINVAL;
  struct zn__ip *ip = ZN__MOD(st, ip);
  uint32_t old = ip->addr;
  uint8_t old_prefix = ip->prefix;
  set_config(st, addr, prefix, gateway);
  zn__stack_config_changed(st);
  if (st->started)
    zn__arp_start(st);
  if (old != addr) {
    struct zn_ip a;
    if (old) {
      a = zn_ip_from_v4(old);
      zn__stack_addr_event(st, ZN_ADDR_REMOVED, &a, old_prefix);
    }
    if (addr) {
      a = zn_ip_from_v4(addr);
      zn__stack_addr_event(st, ZN_ADDR_ADDED, &a, prefix);
    }
  }
  return ZN_OK;
}


void zn__ip_accept_other(struct zn_stack *st, zn__ip_accept_fn fn) {
  ZN__MOD(st, ip)->accept_other = fn;
}

static void ip_config_default(struct zn_config *cfg) {
  cfg->ttl = ZN_DEFAULT_TTL;
  cfg->reass_slots = ZN_DEFAULT_REASS_SLOTS;
  cfg->reass_max_bytes = ZN_DEFAULT_REASS_MAX_BYTES;
  cfg->reass_timeout_ms = ZN_DEFAULT_REASS_TIMEOUT_MS;
}

static bool ip_config_ok(const struct zn_config *cfg) {
  return cfg->ipv4_prefix <= 32 && cfg->reass_slots <= 4096 &&
         (!cfg->ipv4_gateway ||
          gateway_usable(cfg->ipv4_gateway, cfg->ipv4_addr));
}

/* IPv4 takes its EtherType from Ethernet, and the datagrams ARP has
 * resolved a next hop for; it starts with the configured address. */
static void ip_init(struct zn_stack *st, void **mem) {
  zn__ip_init(st, mem);
  zn__eth_register(st, ZN_ETHERTYPE_IPV4, zn__ip_input, true);
  zn__arp_set_sender(st, zn__ip_link_send);
  set_config(st, st->cfg.ipv4_addr, st->cfg.ipv4_prefix,
             st->cfg.ipv4_gateway);
}

const struct zn__module zn__ip_module = {
    .name = "ip",
    .id = ZN__MOD_ip,
    .needs = ZN__MOD_BIT(eth) | ZN__MOD_BIT(arp) | ZN__MOD_BIT(inet),
    .state_size = sizeof(struct zn__ip),
    .config_default = ip_config_default,
    .config_ok = ip_config_ok,
    .mem_size = zn__ip_mem_size,
    .init = ip_init,
    .config_changed = zn__ip_config_changed,
    .destroy = zn__ip_destroy,
};
