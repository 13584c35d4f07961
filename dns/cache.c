/*
 * The answer cache: see the "Answer cache" part of znet/dns.h.
 *
 * Entries live in one array, values in another (value_size bytes each,
 * written only when stored, so memory the caller got lazily zeroed from
 * the system stays untouched until it is used).  Buckets hold the index
 * of the first entry of a chain; the entries of a chain link through
 * hnext, all entries in use through an LRU list (most recent at head),
 * free ones through `next`.  Indexes, not pointers: NIL ends every list.
 */
#include <string.h>

#include "dns_int.h"
#include "znet/dns.h"
#include "znet/err.h"
#include "znet/hash.h"

#define NIL UINT32_MAX
#define MAX_ENTRIES (1u << 20)
#define MAX_VALUE (1u << 17)
#define NS_PER_SEC 1000000000ull
#define OPT_RR_LEN 11u   /* root, type, class, TTL, RDLENGTH 0 */
#define MSG_VALUE_HDR 4u /* a response's value: u16 length, u16 TTL count */

struct cent {
  uint32_t hnext;           /* bucket chain */
  uint32_t prev, next;      /* LRU list; `next` is also the free list */
  uint32_t bucket;          /* where it is chained */
  uint32_t len;             /* value bytes */
  uint64_t stored, expires; /* ns, the caller's clock */
  uint16_t qtype, qclass;
  uint8_t variant;
  struct zn_dns_name name; /* lower case */
};

struct zn_dns_cache {
  struct zn_dns_cache_cfg cfg;
  uint8_t key[16];
  struct cent *e;
  uint32_t *bucket;
  uint8_t *values;
  uint32_t nbuckets, count;
  uint32_t head, tail, free;
  struct zn_dns_cache_stats stats;
};

static bool cfg_ok(const struct zn_dns_cache_cfg *cfg) {
  return cfg->entries >= 1 && cfg->entries <= MAX_ENTRIES &&
         cfg->value_size >= 1 && cfg->value_size <= MAX_VALUE;
}

size_t zn_dns_cache_mem_size(const struct zn_dns_cache_cfg *cfg) {
  if (cfg == NULL || !cfg_ok(cfg))
    return 0;
  return zn__dns_carve_size(sizeof(struct zn_dns_cache)) +
         zn__dns_carve_size((size_t)cfg->entries * sizeof(struct cent)) +
         zn__dns_carve_size((size_t)zn__dns_pow2(cfg->entries) *
                            sizeof(uint32_t)) +
         zn__dns_carve_size((size_t)cfg->entries * cfg->value_size);
}

static void free_all(struct zn_dns_cache *c) {
  for (uint32_t i = 0; i < c->nbuckets; i++)
    c->bucket[i] = NIL;
  for (uint32_t i = 0; i < c->cfg.entries; i++)
    c->e[i].next = i + 1 < c->cfg.entries ? i + 1 : NIL;
  c->free = 0;
  c->head = c->tail = NIL;
  c->count = 0;
}

int zn_dns_cache_init(const struct zn_dns_cache_cfg *cfg, const uint8_t key[16],
                      void *mem, size_t len, struct zn_dns_cache **out) {
  size_t need = zn_dns_cache_mem_size(cfg);
  if (need == 0 || key == NULL || mem == NULL || out == NULL)
    return ZN_EINVAL;
  if (len < need)
    return ZN_ENOMEM;
  uint8_t *m = mem;
  struct zn_dns_cache *c = zn__dns_carve(&m, sizeof(*c));
  memset(c, 0, sizeof(*c));
  c->cfg = *cfg;
  memcpy(c->key, key, sizeof(c->key));
  c->nbuckets = zn__dns_pow2(cfg->entries);
  c->e = zn__dns_carve(&m, (size_t)cfg->entries * sizeof(struct cent));
  c->bucket = zn__dns_carve(&m, (size_t)c->nbuckets * sizeof(uint32_t));
  c->values = zn__dns_carve(&m, (size_t)cfg->entries * cfg->value_size);
  free_all(c);
  *out = c;
  return ZN_OK;
}

/* The bucket of a key whose name is already in lower case. */
static uint32_t bucket_of(const struct zn_dns_cache *c,
                          const struct zn_dns_name *lname, uint16_t qtype,
                          uint16_t qclass, uint8_t variant) {
  uint8_t k[ZN_DNS_NAME_MAX + 5];
  memcpy(k, lname->b, lname->len);
  zn_wr16(k + lname->len, qtype);
  zn_wr16(k + lname->len + 2, qclass);
  k[lname->len + 4] = variant;
  return (uint32_t)zn_siphash13(c->key, k, (size_t)lname->len + 5) &
         (c->nbuckets - 1);
}

static void lru_unlink(struct zn_dns_cache *c, uint32_t i) {
  struct cent *e = &c->e[i];
  if (e->prev != NIL)
    c->e[e->prev].next = e->next;
  else
    c->head = e->next;
  if (e->next != NIL)
    c->e[e->next].prev = e->prev;
  else
    c->tail = e->prev;
}

static void lru_push(struct zn_dns_cache *c, uint32_t i) {
  struct cent *e = &c->e[i];
  e->prev = NIL;
  e->next = c->head;
  if (c->head != NIL)
    c->e[c->head].prev = i;
  c->head = i;
  if (c->tail == NIL)
    c->tail = i;
}

static void remove_entry(struct zn_dns_cache *c, uint32_t i) {
  struct cent *e = &c->e[i];
  uint32_t *pp = &c->bucket[e->bucket];
  while (*pp != NIL && *pp != i)
    pp = &c->e[*pp].hnext;
  if (*pp == i)
    *pp = e->hnext;
  lru_unlink(c, i);
  e->next = c->free;
  c->free = i;
  c->count--;
}

/* The entry of (lname, ...), or NIL; does not look at its age. */
static uint32_t find(const struct zn_dns_cache *c,
                     const struct zn_dns_name *lname, uint16_t qtype,
                     uint16_t qclass, uint8_t variant, uint32_t b) {
  for (uint32_t i = c->bucket[b]; i != NIL; i = c->e[i].hnext) {
    const struct cent *e = &c->e[i];
    if (e->qtype == qtype && e->qclass == qclass && e->variant == variant &&
        e->name.len == lname->len &&
        memcmp(e->name.b, lname->b, lname->len) == 0)
      return i;
  }
  return NIL;
}

/* Make room for a value of len bytes under k, live for ttl seconds from
 * now, and return where the value goes (the caller writes it). */
static uint8_t *reserve(struct zn_dns_cache *c,
                        const struct zn_dns_cache_key *k, uint32_t ttl,
                        uint64_t now, size_t len) {
  struct zn_dns_name lname = k->name;
  zn_dns_name_lower(&lname);
  uint32_t b = bucket_of(c, &lname, k->qtype, k->qclass, k->variant);
  uint32_t i = find(c, &lname, k->qtype, k->qclass, k->variant, b);
  if (i != NIL) {
    remove_entry(c, i); /* a fresher answer replaces it */
  } else if (c->free == NIL) {
    if (c->e[c->tail].expires <= now)
      c->stats.expired++;
    else
      c->stats.evictions++;
    remove_entry(c, c->tail);
  }
  i = c->free;
  struct cent *e = &c->e[i];
  c->free = e->next;
  if (ttl > c->cfg.max_ttl)
    ttl = c->cfg.max_ttl;
  e->stored = now;
  e->expires = now + (uint64_t)ttl * NS_PER_SEC;
  e->qtype = k->qtype;
  e->qclass = k->qclass;
  e->variant = k->variant;
  e->name = lname;
  e->len = (uint32_t)len;
  e->bucket = b;
  e->hnext = c->bucket[b];
  c->bucket[b] = i;
  lru_push(c, i);
  c->count++;
  c->stats.inserts++;
  return c->values + (size_t)i * c->cfg.value_size;
}

int zn_dns_cache_put(struct zn_dns_cache *c, const struct zn_dns_cache_key *k,
                     uint32_t ttl, uint64_t now, const void *value,
                     size_t len) {
  if (ttl == 0 || c->cfg.max_ttl == 0)
    return ZN_EINVAL;
  if (len > c->cfg.value_size)
    return ZN_EMSGSIZE;
  memcpy(reserve(c, k, ttl, now, len), value, len);
  return ZN_OK;
}

int zn_dns_cache_get(struct zn_dns_cache *c, const struct zn_dns_cache_key *k,
                     uint64_t now, struct zn_dns_cache_hit *hit) {
  struct zn_dns_name lname = k->name;
  zn_dns_name_lower(&lname);
  uint32_t b = bucket_of(c, &lname, k->qtype, k->qclass, k->variant);
  uint32_t i = find(c, &lname, k->qtype, k->qclass, k->variant, b);
  if (i != NIL && c->e[i].expires <= now) {
    c->stats.expired++;
    remove_entry(c, i);
    i = NIL;
  }
  if (i == NIL) {
    c->stats.misses++;
    return ZN_ENOENT;
  }
  struct cent *e = &c->e[i];
  lru_unlink(c, i);
  lru_push(c, i);
  c->stats.hits++;
  hit->value = c->values + (size_t)i * c->cfg.value_size;
  hit->len = e->len;
  hit->age = now > e->stored ? (uint32_t)((now - e->stored) / NS_PER_SEC) : 0;
  hit->ttl = (uint32_t)((e->expires - now) / NS_PER_SEC);
  return ZN_OK;
}

void zn_dns_cache_flush(struct zn_dns_cache *c) { free_all(c); }

uint32_t zn_dns_cache_count(const struct zn_dns_cache *c) { return c->count; }

void zn_dns_cache_get_stats(const struct zn_dns_cache *c,
                            struct zn_dns_cache_stats *s) {
  *s = c->stats;
}

/* ---- whole responses ---------------------------------------------------- */

/* Where a response's records are and how long it may live.  Returns the
 * TTL (0: not cacheable); *end is where the kept bytes end (the OPT
 * record, which must be last, is left out), *nttl the number of records
 * whose TTL offsets go to offs (2 bytes each, big-endian) unless NULL. */
static uint32_t walk_ttls(const struct zn_dns_msg *m, uint8_t *offs,
                          uint16_t *nttl, size_t *end) {
  uint8_t rcode = zn_dns_rcode(m);
  if (zn_dns_tc(m) || zn_dns_qdcount(m) != 1 ||
      (rcode != ZN_DNS_RCODE_NOERROR && rcode != ZN_DNS_RCODE_NXDOMAIN))
    return 0;
  bool negative = rcode == ZN_DNS_RCODE_NXDOMAIN || zn_dns_ancount(m) == 0;
  uint32_t ttl = UINT32_MAX, neg = UINT32_MAX;
  bool soa = false;
  size_t opt_at = 0;
  struct zn_dns_iter it;
  struct zn_dns_question q;
  struct zn_dns_rr rr;
  int err;
  *nttl = 0;
  zn_dns_iter_init(&it, m);
  while ((err = zn_dns_iter_question(&it, &q)) == ZN_OK)
    ;
  if (err != ZN_EOF)
    return 0;
  /* it.off is where each record starts, before it is read. */
  for (size_t start = it.off; (err = zn_dns_iter_rr(&it, &rr)) == ZN_OK;
       start = it.off) {
    struct zn_dns_rdata rd;
    if (zn_dns_rr_rdata(m, &rr, &rd) != ZN_OK)
      return 0;
    if (rr.type == ZN_DNS_TYPE_OPT) {
      if (it.off != m->len || opt_at != 0 || rd.u.opt.ext_rcode != 0 ||
          rr.section != ZN_DNS_SEC_ADDITIONAL)
        return 0;
      opt_at = start;
      continue;
    }
    if (zn_dns_ttl(&rr) < ttl)
      ttl = zn_dns_ttl(&rr);
    if (rr.type == ZN_DNS_TYPE_SOA && rr.section == ZN_DNS_SEC_AUTHORITY) {
      uint32_t nt = zn_dns_soa_neg_ttl(&rr, &rd.u.soa);
      neg = nt < neg ? nt : neg;
      soa = true;
    }
    if (offs)
      zn_wr16(offs + (size_t)2 * *nttl,
              (uint16_t)(rr.rdoff - 6)); /* TTL field */
    (*nttl)++;
  }
  if (err != ZN_EOF)
    return 0;
  *end = opt_at ? opt_at : it.off;
  if (negative) {
    if (!soa)
      return 0;
    ttl = neg < ttl ? neg : ttl;
  }
  return ttl == UINT32_MAX ? 0 : ttl;
}

uint32_t zn_dns_msg_cache_ttl(const struct zn_dns_msg *m) {
  uint16_t nttl;
  size_t end;
  return walk_ttls(m, NULL, &nttl, &end);
}

int zn_dns_cache_put_msg(struct zn_dns_cache *c,
                         const struct zn_dns_cache_key *k,
                         const struct zn_dns_msg *m, uint64_t now) {
  uint16_t nttl;
  size_t end = 0;
  uint32_t ttl = walk_ttls(m, NULL, &nttl, &end);
  if (ttl == 0 || c->cfg.max_ttl == 0)
    return ZN_EINVAL;
  size_t len = MSG_VALUE_HDR + end + 2u * (size_t)nttl;
  if (len > c->cfg.value_size)
    return ZN_EMSGSIZE;
  uint8_t *v = reserve(c, k, ttl, now, len);
  zn_wr16(v, (uint16_t)end);
  zn_wr16(v + 2, nttl);
  memcpy(v + MSG_VALUE_HDR, m->p, end);
  if (end < m->len) /* the OPT record is gone */
    zn_wr16(v + MSG_VALUE_HDR + 10, (uint16_t)(zn_dns_arcount(m) - 1));
  (void)walk_ttls(m, v + MSG_VALUE_HDR + end, &nttl, &end);
  return ZN_OK;
}

size_t zn_dns_cache_msg_len(const struct zn_dns_cache_hit *hit, bool opt) {
  const uint8_t *v = hit->value;
  return (size_t)zn_rd16(v) + (opt ? OPT_RR_LEN : 0);
}

/* Length of the uncompressed name at p[0..len), or 0. */
static size_t plain_name_len(const uint8_t *p, size_t len) {
  size_t off = 0;
  while (off < len && p[off] != 0 && p[off] <= ZN_DNS_LABEL_MAX)
    off += (size_t)p[off] + 1;
  return off < len && p[off] == 0 ? off + 1 : 0;
}

/* The question name's case from the query, if it is the same name. */
static void copy_question_case(uint8_t *p, size_t len,
                               const struct zn_dns_msg *query) {
  size_t n = plain_name_len(p + ZN_DNS_HDR_LEN, len - ZN_DNS_HDR_LEN);
  if (n == 0 || query->len < ZN_DNS_HDR_LEN + n)
    return;
  const uint8_t *q = query->p + ZN_DNS_HDR_LEN;
  if (zn_dns_eq_nocase(q, p + ZN_DNS_HDR_LEN, n))
    memcpy(p + ZN_DNS_HDR_LEN, q, n);
}

size_t zn_dns_cache_write_msg(const struct zn_dns_cache_hit *hit,
                              const struct zn_dns_msg *query,
                              const struct zn_dns_opt *opt, uint8_t *buf) {
  const uint8_t *v = hit->value;
  size_t len = zn_rd16(v);
  uint16_t nttl = zn_rd16(v + 2);
  const uint8_t *offs = v + MSG_VALUE_HDR + len;
  memcpy(buf, v + MSG_VALUE_HDR, len);
  zn_wr16(buf, zn_dns_id(query));
  uint16_t keep = ZN_DNS_F_RD | ZN_DNS_F_CD;
  zn_wr16(buf + 2, (uint16_t)((zn_rd16(buf + 2) & ~keep) |
                              (zn_dns_flags(query) & keep)));
  copy_question_case(buf, len, query);
  for (uint16_t i = 0; i < nttl; i++) {
    uint16_t off = zn_rd16(offs + (size_t)2 * i);
    uint32_t ttl = zn_rd32(buf + off);
    if (ttl & 0x80000000u)
      ttl = 0; /* RFC 2181 8 */
    zn_wr32(buf + off, ttl > hit->age ? ttl - hit->age : 0);
  }
  if (opt == NULL)
    return len;
  uint8_t *o = buf + len;
  o[0] = 0; /* the root */
  zn_wr16(o + 1, ZN_DNS_TYPE_OPT);
  zn_wr16(o + 3, opt->udp_size);
  o[5] = 0; /* extended RCODE */
  o[6] = 0; /* version */
  zn_wr16(o + 7, opt->do_bit ? 0x8000 : 0);
  zn_wr16(o + 9, 0);
  zn_wr16(buf + 10, (uint16_t)(zn_rd16(buf + 10) + 1));
  return len + OPT_RR_LEN;
}
