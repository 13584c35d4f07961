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
 * The blocklist, the cache and the pending table are this program's, in
 * malloc'd memory; the stack still allocates nothing.  At exit the DNS
 * counters are printed (the main ones always, the others when not zero),
 * then the stack's own.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common.h"
#include "znet/dns.h"
#include "znet/hash.h"

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
#define OPT_RR_LEN 11u       /* root, type, class, ttl, rdlen 0 */
#define ID_TRIES 16          /* random IDs tried before giving up */
#define WARN_MAX 5           /* blocklist warnings printed */
#define TCP_QUERY_MAX 4096u  /* longer TCP queries close the connection */
#define TCP_PIPELINE_MAX 16u /* queries in progress per TCP connection */
#define TCP_BACKLOG 64u
#define DEFAULT_TCP_IDLE_MS 10000u
#define UPSTREAM_TCP_MAX 64u /* TCP retries of truncated answers at once */

enum {
  OPT_UPSTREAM = 0x200,
  OPT_BLOCKLIST,
  OPT_BLOCK,
  OPT_BLOCK_MODE,
  OPT_LISTEN_PORT,
  OPT_CACHE,
  OPT_UP_TIMEOUT,
  OPT_TCP_IDLE
};

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

/* ---- the blocklist: a hash set of names in wire form ------------------- */

/* Open addressing over offsets into one arena of <len><wire name> keys;
 * at most half full, so a probe sequence is short.  Keyed SipHash: the
 * names looked up come from the network. */
struct nameset {
  uint8_t key[16];
  uint32_t *slot; /* 0: empty, else arena offset + 1 */
  size_t nslots;  /* power of two */
  size_t count;
  uint8_t *arena;
  size_t alen, acap;
};

static size_t set_index(const struct nameset *s, const uint8_t *p, size_t len) {
  return (size_t)zn_siphash24(s->key, p, len) & (s->nslots - 1);
}

static bool set_has(const struct nameset *s, const uint8_t *p, size_t len) {
  if (s->count == 0)
    return false;
  for (size_t i = set_index(s, p, len);; i = (i + 1) & (s->nslots - 1)) {
    uint32_t o = s->slot[i];
    if (o == 0)
      return false;
    const uint8_t *k = s->arena + (o - 1);
    if (k[0] == len && memcmp(k + 1, p, len) == 0)
      return true;
  }
}

static int set_grow(struct nameset *s) {
  size_t n = s->nslots ? s->nslots * 2 : 1024;
  uint32_t *slot = calloc(n, sizeof(*slot));
  if (slot == NULL)
    return -1;
  for (size_t i = 0; i < s->nslots; i++) {
    uint32_t o = s->slot[i];
    if (o == 0)
      continue;
    const uint8_t *k = s->arena + (o - 1);
    size_t j = (size_t)zn_siphash24(s->key, k + 1, k[0]) & (n - 1);
    while (slot[j] != 0)
      j = (j + 1) & (n - 1);
    slot[j] = o;
  }
  free(s->slot);
  s->slot = slot;
  s->nslots = n;
  return 0;
}

/* Returns 1 if added, 0 if already there, -1 out of memory. */
static int set_add(struct nameset *s, const uint8_t *p, size_t len) {
  if (set_has(s, p, len))
    return 0;
  if ((s->count + 1) * 2 > s->nslots && set_grow(s) != 0)
    return -1;
  if (s->alen + 1 + len > s->acap) {
    size_t cap = s->acap ? s->acap * 2 : 65536;
    while (cap < s->alen + 1 + len)
      cap *= 2;
    if (cap > UINT32_MAX - 1)
      return -1;
    uint8_t *a = realloc(s->arena, cap);
    if (a == NULL)
      return -1;
    s->arena = a;
    s->acap = cap;
  }
  uint32_t o = (uint32_t)s->alen;
  s->arena[s->alen++] = (uint8_t)len;
  memcpy(s->arena + s->alen, p, len);
  s->alen += len;
  size_t i = set_index(s, p, len);
  while (s->slot[i] != 0)
    i = (i + 1) & (s->nslots - 1);
  s->slot[i] = o + 1;
  s->count++;
  return 1;
}

static void set_free(struct nameset *s) {
  free(s->slot);
  free(s->arena);
  memset(s, 0, sizeof(*s));
}

/* Is n (lower case) or one of the zones above it in the set?  Walks the
 * suffixes label by label; the root alone is never looked up. */
static bool set_blocks(const struct nameset *s, const struct zn_dns_name *n) {
  for (size_t off = 0; off + 1 < n->len; off += (size_t)n->b[off] + 1)
    if (set_has(s, n->b + off, n->len - off))
      return true;
  return false;
}

/* ---- reading the blocklist --------------------------------------------- */

struct load_stats {
  uint64_t lines, added, duplicates, ignored, invalid;
};

/* Names every hosts file carries for the machine itself. */
static bool local_name(const char *t) {
  static const char *const names[] = {
      "localhost",      "localhost.localdomain", "local",
      "broadcasthost",  "ip6-localhost",         "ip6-loopback",
      "ip6-localnet",   "ip6-mcastprefix",       "ip6-allnodes",
      "ip6-allrouters", "ip6-allhosts",          "0.0.0.0",
  };
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
    if (strcasecmp(t, names[i]) == 0)
      return true;
  return false;
}

/* A hosts line starts with an address: IPv4, or anything with a colon
 * (IPv6).  Which address does not matter: every listed name is blocked. */
static bool looks_like_addr(const char *t) {
  uint32_t a;
  return strchr(t, ':') != NULL || zn_ipv4_parse(t, &a) == ZN_OK;
}

/* Host names only: letters, digits, '-', '_', dots. */
static bool hostname_chars(const char *t) {
  for (; *t; t++)
    if (!isalnum((unsigned char)*t) && *t != '-' && *t != '_' && *t != '.')
      return false;
  return true;
}

static void add_name(struct nameset *s, struct load_stats *ls, const char *file,
                     uint64_t line, const char *t) {
  if (strncmp(t, "*.", 2) == 0)
    t += 2; /* subdomains are blocked anyway */
  if (local_name(t)) {
    ls->ignored++;
    return;
  }
  struct zn_dns_name n;
  if (!hostname_chars(t) || zn_dns_name_from_text(&n, t, strlen(t)) != ZN_OK ||
      n.len <= 1) {
    if (ls->invalid++ < WARN_MAX)
      fprintf(stderr, PROG ": %s:%" PRIu64 ": skipping '%s' (not a host "
                      "name)\n", file, line, t);
    return;
  }
  zn_dns_name_lower(&n);
  int rc = set_add(s, n.b, n.len);
  if (rc < 0) {
    fprintf(stderr, PROG ": out of memory reading %s\n", file);
    exit(EX_EXIT_FAIL);
  }
  if (rc == 0)
    ls->duplicates++;
  else
    ls->added++;
}

/* Hosts format ("0.0.0.0 ads.example.com", "127.0.0.1 a b c") and plain
 * lists (one name per line) may be mixed; '#' starts a comment.  Returns 0
 * or -1 if the file cannot be read. */
static int load_blocklist(struct nameset *s, const char *file,
                          struct load_stats *ls) {
  FILE *fp = fopen(file, "r");
  if (fp == NULL) {
    fprintf(stderr, PROG ": cannot read blocklist '%s': %s\n", file,
            strerror(errno));
    return -1;
  }
  char *line = NULL;
  size_t cap = 0;
  ssize_t got;
  while ((got = getline(&line, &cap, fp)) >= 0) {
    ls->lines++;
    char *hash = memchr(line, '#', (size_t)got);
    if (hash)
      *hash = '\0';
    char *save = NULL;
    char *tok = strtok_r(line, " \t\r\n", &save);
    if (tok == NULL)
      continue;
    if (looks_like_addr(tok))
      tok = strtok_r(NULL, " \t\r\n", &save);
    for (; tok; tok = strtok_r(NULL, " \t\r\n", &save))
      add_name(s, ls, file, ls->lines, tok);
  }
  bool err = ferror(fp);
  free(line);
  (void)fclose(fp); /* read only: ferror said what matters */
  if (err) {
    fprintf(stderr, PROG ": error reading blocklist '%s'\n", file);
    return -1;
  }
  return 0;
}

/* ---- the answer cache -------------------------------------------------- */

/* An entry holds a whole answer, OPT record stripped, ready to copy out:
 * the client's ID and question case go in at offset 0 and 12, and each
 * TTL (at ttl_off[]) is lowered by the seconds spent in the cache.
 * Bounded by --cache entries; the least recently used goes first. */
struct centry {
  struct centry *hnext;       /* hash chain */
  struct centry *prev, *next; /* LRU list, most recent first */
  uint64_t stored, expires;   /* ns, on the stack's clock */
  uint16_t qtype, qclass;
  uint8_t variant;         /* DO and CD bits of the query */
  struct zn_dns_name name; /* lower case */
  uint8_t *msg;            /* len bytes, then nttl offsets */
  uint16_t len, nttl;
  const uint8_t *ttl_off; /* nttl host-order uint16_t, maybe
                             unaligned: read with memcpy */
};

struct cache {
  uint32_t max, count;
  struct centry *e; /* max entries */
  struct centry *free;
  struct centry **bucket;
  size_t nbuckets;
  struct centry *head, *tail; /* LRU */
  uint8_t key[16];
};

/* DO and CD change what an upstream puts in its answer (signatures,
 * unvalidated data), so they are part of the key. */
#define VAR_DO 1u
#define VAR_CD 2u

static size_t cache_hash(const struct cache *c, const struct zn_dns_name *n,
                         uint16_t qtype, uint16_t qclass, uint8_t variant) {
  uint8_t k[ZN_DNS_NAME_MAX + 5];
  memcpy(k, n->b, n->len);
  zn_wr16(k + n->len, qtype);
  zn_wr16(k + n->len + 2, qclass);
  k[n->len + 4] = variant;
  return (size_t)zn_siphash24(c->key, k, (size_t)n->len + 5) &
         (c->nbuckets - 1);
}

static int cache_init(struct cache *c, uint32_t max, const uint8_t key[16]) {
  memset(c, 0, sizeof(*c));
  memcpy(c->key, key, 16);
  c->max = max;
  if (max == 0)
    return 0;
  c->nbuckets = 1;
  while (c->nbuckets < max)
    c->nbuckets <<= 1;
  c->e = calloc(max, sizeof(*c->e));
  /* An array of pointers, so the size of a pointer:
   * NOLINTNEXTLINE(bugprone-sizeof-expression) */
  c->bucket = calloc(c->nbuckets, sizeof(*c->bucket));
  if (c->e == NULL || c->bucket == NULL)
    return -1;
  for (uint32_t i = max; i-- > 0;) {
    c->e[i].next = c->free;
    c->free = &c->e[i];
  }
  return 0;
}

static void lru_unlink(struct cache *c, struct centry *e) {
  if (e->prev)
    e->prev->next = e->next;
  else
    c->head = e->next;
  if (e->next)
    e->next->prev = e->prev;
  else
    c->tail = e->prev;
  e->prev = e->next = NULL;
}

static void lru_push(struct cache *c, struct centry *e) {
  e->prev = NULL;
  e->next = c->head;
  if (c->head)
    c->head->prev = e;
  c->head = e;
  if (c->tail == NULL)
    c->tail = e;
}

static void cache_remove(struct cache *c, struct centry *e) {
  struct centry **pp =
      &c->bucket[cache_hash(c, &e->name, e->qtype, e->qclass, e->variant)];
  while (*pp && *pp != e)
    pp = &(*pp)->hnext;
  if (*pp)
    *pp = e->hnext;
  lru_unlink(c, e);
  free(e->msg);
  memset(e, 0, sizeof(*e));
  e->next = c->free;
  c->free = e;
  c->count--;
}

static void cache_free(struct cache *c) {
  while (c->head)
    cache_remove(c, c->head);
  free(c->e);
  free(c->bucket);
  memset(c, 0, sizeof(*c));
}

static struct centry *cache_find(struct cache *c, struct blk_stats *bs,
                                 const struct zn_dns_name *lname,
                                 uint16_t qtype, uint16_t qclass,
                                 uint8_t variant, uint64_t now) {
  if (c->max == 0)
    return NULL;
  for (struct centry *e =
           c->bucket[cache_hash(c, lname, qtype, qclass, variant)];
       e; e = e->hnext) {
    if (e->qtype != qtype || e->qclass != qclass || e->variant != variant ||
        e->name.len != lname->len ||
        memcmp(e->name.b, lname->b, lname->len) != 0)
      continue;
    if (e->expires <= now) {
      bs->cache_expired++;
      cache_remove(c, e);
      return NULL;
    }
    lru_unlink(c, e);
    lru_push(c, e);
    return e;
  }
  return NULL;
}

/* How long an answer may be cached, in seconds (0: not at all), and where
 * its TTLs are.  Positive answers: the smallest TTL of any record.
 * Negative answers (NXDOMAIN, or NOERROR without an answer): the SOA's
 * negative TTL (RFC 2308 5), and not cached without a SOA.  *opt_at is
 * the offset of an OPT record that ends the message (stripped before
 * caching), or 0; an OPT anywhere else makes the answer uncacheable.
 * *end is where the last record ends (bytes after it are not kept). */
static uint32_t cache_ttl(const struct zn_dns_msg *m, uint16_t *ttl_off,
                          uint16_t *nttl, size_t *opt_at, size_t *end) {
  uint8_t rcode = zn_dns_rcode(m);
  if (zn_dns_tc(m) || zn_dns_qdcount(m) != 1 ||
      (rcode != ZN_DNS_RCODE_NOERROR && rcode != ZN_DNS_RCODE_NXDOMAIN))
    return 0;
  bool negative = rcode == ZN_DNS_RCODE_NXDOMAIN || zn_dns_ancount(m) == 0;
  uint32_t ttl = CACHE_MAX_TTL, neg = 0;
  bool soa = false;
  struct zn_dns_iter it;
  struct zn_dns_question q;
  struct zn_dns_rr rr;
  int err;
  *nttl = 0;
  *opt_at = 0;
  zn_dns_iter_init(&it, m);
  while ((err = zn_dns_iter_question(&it, &q)) == ZN_OK)
    ;
  if (err != ZN_EOF)
    return 0;
  /* it.off is now where each record starts, before it is read. */
  for (size_t start = it.off; (err = zn_dns_iter_rr(&it, &rr)) == ZN_OK;
       start = it.off) {
    if (rr.type == ZN_DNS_TYPE_OPT) {
      struct zn_dns_opt o;
      if (it.off != m->len || zn_dns_msg_opt(m, &o) != ZN_OK ||
          o.ext_rcode != 0)
        return 0;
      *opt_at = start;
      continue;
    }
    uint32_t t = zn_dns_ttl(&rr);
    if (t < ttl)
      ttl = t;
    if (rr.type == ZN_DNS_TYPE_SOA && rr.section == ZN_DNS_SEC_AUTHORITY) {
      struct zn_dns_rdata rd;
      if (zn_dns_rr_rdata(m, &rr, &rd) == ZN_OK) {
        uint32_t nt = zn_dns_soa_neg_ttl(&rr, &rd.u.soa);
        neg = soa ? (nt < neg ? nt : neg) : nt;
        soa = true;
      }
    }
    if (*nttl >= CACHE_MSG_MAX / 11)
      return 0; /* more records than a cacheable answer can hold */
    ttl_off[(*nttl)++] = (uint16_t)(rr.rdoff - 6); /* TTL, RDLENGTH, RDATA */
  }
  if (err != ZN_EOF)
    return 0;
  *end = *opt_at ? *opt_at : it.off;
  if (negative) {
    if (!soa)
      return 0;
    if (neg < ttl)
      ttl = neg;
  }
  return ttl;
}

/* Store the answer m to the question (lname, qtype, qclass, variant). */
static void cache_put(struct cache *c, struct blk_stats *bs,
                      const struct zn_dns_msg *m,
                      const struct zn_dns_name *lname, uint16_t qtype,
                      uint16_t qclass, uint8_t variant, uint64_t now) {
  if (c->max == 0)
    return;
  uint16_t offs[CACHE_MSG_MAX / 11];
  uint16_t nttl = 0;
  size_t opt_at = 0, len = 0;
  uint32_t ttl = m->len > CACHE_MSG_MAX + OPT_RR_LEN + 64
                     ? 0
                     : cache_ttl(m, offs, &nttl, &opt_at, &len);
  if (ttl == 0 || len > CACHE_MSG_MAX) {
    bs->cache_uncacheable++;
    return;
  }
  uint8_t *msg = malloc(len + (size_t)nttl * sizeof(uint16_t));
  if (msg == NULL) {
    bs->cache_uncacheable++;
    return;
  }
  memcpy(msg, m->p, len);
  if (opt_at)
    zn_wr16(msg + 10, (uint16_t)(zn_dns_arcount(m) - 1));
  memcpy(msg + len, offs, (size_t)nttl * sizeof(uint16_t));

  struct centry *e = cache_find(c, bs, lname, qtype, qclass, variant, now);
  if (e) {
    cache_remove(c, e); /* a fresher answer replaces it */
  } else if (c->free == NULL) {
    bs->cache_evictions++;
    cache_remove(c, c->tail);
  }
  e = c->free;
  c->free = e->next;
  memset(e, 0, sizeof(*e));
  e->stored = now;
  e->expires = now + ZN_SEC(ttl);
  e->qtype = qtype;
  e->qclass = qclass;
  e->variant = variant;
  e->name = *lname;
  e->msg = msg;
  e->len = (uint16_t)len;
  e->nttl = nttl;
  e->ttl_off = msg + len;
  size_t h = cache_hash(c, lname, qtype, qclass, variant);
  e->hnext = c->bucket[h];
  c->bucket[h] = e;
  lru_push(c, e);
  c->count++;
  bs->cache_inserts++;
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
  uint8_t hdr[2];
  size_t hlen;           /* prefix bytes read (0..2) */
  size_t need, have;     /* the query's length, bytes read */
  uint8_t *msg;          /* TCP_QUERY_MAX bytes */
  uint32_t inflight;     /* forwarded, not answered yet */
  struct outmsg *out, *out_tail;
  uint32_t nout;
  bool eof, closing, in_read;
  struct zn_timer idle;
  struct tclient *next_free;
};

/* A connection to the upstream asking a query again over TCP after its
 * UDP answer came back truncated (RFC 7766 5, RFC 1035 4.2.2): the query
 * with its length prefix, then the answer read into `ans`. */
struct upconn {
  struct blocker *bk;
  struct zn_tcp_conn *c; /* NULL: the slot is free */
  struct pending *p;     /* NULL once the query is done with */
  uint8_t q[2 + LOCAL_MSG_MAX];
  size_t qlen, qoff;
  uint8_t hdr[2];
  size_t hlen, need, have;
  uint8_t *ans;          /* need bytes, malloc'd once the length is known */
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
  struct nameset blocked;
  struct cache cache;
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
  struct zn_dns_name lname; /* q.name in lower case */
  bool edns, do_bit;
  uint16_t client_max; /* largest answer the client takes */
  uint8_t variant;
};

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
  zn_wr16(p, (uint16_t)len);
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
  qr->lname = qr->q.name;
  zn_dns_name_lower(&qr->lname);
  qr->variant =
      (uint8_t)((qr->do_bit ? VAR_DO : 0) | (zn_dns_cd(&qr->m) ? VAR_CD : 0));
  return true;
}

/* Step 3: serve from the cache if the entry is there.  One too big for
 * a UDP client is answered with TC (RFC 1035 4.2.1, RFC 2181 9): the
 * client asks again over TCP, and gets it from the cache then. */
static bool serve_cached(struct blocker *bk, const struct client *cl,
                         const struct query *qr, uint64_t now) {
  struct centry *e = cache_find(&bk->cache, &bk->s, &qr->lname, qr->q.qtype,
                                qr->q.qclass, qr->variant, now);
  size_t len = e ? (size_t)e->len + (qr->edns ? OPT_RR_LEN : 0) : 0;
  if (e == NULL) {
    bk->s.cache_misses++;
    return false;
  }
  if (len > qr->client_max) {
    bk->s.cache_hits++;
    bk->s.truncated_for_client++;
    answer_local_tc(bk, cl, qr, ZN_DNS_RCODE_NOERROR, false, true);
    return true;
  }
  struct zn_buf *b;
  uint8_t *p = reply_begin(bk, cl, len, &b);
  if (p == NULL)
    return true; /* answered as far as the client can tell: it retries */
  memcpy(p, e->msg, e->len);
  /* The client's ID, RD and CD, and its question's case (at offset 12:
   * the first name of a message is never compressed). */
  zn_wr16(p, zn_dns_id(&qr->m));
  uint16_t f = zn_rd16(p + 2) & (uint16_t) ~(ZN_DNS_F_RD | ZN_DNS_F_CD);
  f |= zn_dns_flags(&qr->m) & (ZN_DNS_F_RD | ZN_DNS_F_CD);
  zn_wr16(p + 2, f);
  memcpy(p + ZN_DNS_HDR_LEN, qr->q.name.b, qr->q.name.len);
  uint32_t aged = (uint32_t)((now - e->stored) / ZN_SEC(1));
  for (uint16_t i = 0; i < e->nttl; i++) {
    uint16_t off;
    memcpy(&off, e->ttl_off + (size_t)i * sizeof(off), sizeof(off));
    uint32_t ttl = zn_rd32(p + off);
    if (ttl & 0x80000000u)
      ttl = 0; /* RFC 2181 8 */
    zn_wr32(p + off, ttl > aged ? ttl - aged : 0);
  }
  if (qr->edns) {
    uint8_t *o = p + e->len;
    o[0] = 0; /* root */
    zn_wr16(o + 1, ZN_DNS_TYPE_OPT);
    zn_wr16(o + 3, EDNS_UDP_SIZE);
    o[5] = 0; /* extended rcode */
    o[6] = 0; /* version */
    zn_wr16(o + 7, qr->do_bit ? 0x8000 : 0);
    zn_wr16(o + 9, 0);
    zn_wr16(p + 10, (uint16_t)(zn_rd16(p + 10) + 1));
  }
  bk->s.cache_hits++;
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
  p->variant = qr->variant;
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
  if (set_blocks(&bk->blocked, &qr->lname)) {
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

/* Read queries off the stream: a two-byte length, then the message
 * (RFC 1035 4.2.2), any number back to back.  The bytes are copied out
 * of the frame buffers (a query may span several) and consumed as they
 * are taken.  Stops taking more while TCP_PIPELINE_MAX queries are in
 * progress or answers wait to be written, so a client that sends without
 * reading finds the window closed.  Re-entered (through serve, forward,
 * pending_release and tc_resume) it returns at once: in_read.
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
    if (n == 0) {
      tc->eof = true;
      break;
    }
    if (n < 0) {
      tc_close(tc);
      break;
    }
    size_t used = 0;
    while (used < (size_t)n && !tc->closing &&
           tc->inflight + tc->nout < TCP_PIPELINE_MAX) {
      if (tc->hlen < 2) {
        tc->hdr[tc->hlen++] = p[used++];
        if (tc->hlen == 2) {
          tc->need = zn_rd16(tc->hdr);
          tc->have = 0;
          if (tc->need < ZN_DNS_HDR_LEN || tc->need > TCP_QUERY_MAX) {
            /* Nothing sensible follows; the framing cannot be trusted. */
            bk->s.tcp_bad_length++;
            tc_close(tc);
          }
        }
        continue;
      }
      size_t k = tc->need - tc->have;
      if (k > (size_t)n - used)
        k = (size_t)n - used;
      memcpy(tc->msg + tc->have, p + used, k);
      tc->have += k;
      used += k;
      if (tc->have < tc->need)
        continue;
      tc->hlen = 0;
      bk->s.tcp_queries++;
      bk->s.received++;
      zn_timer_start_in(bk->st, &tc->idle, bk->tcp_idle_ns);
      struct client cl = {.kind = CL_TCP,
                          .slot = (uint32_t)(tc - bk->tc),
                          .gen = tc->gen};
      struct query qr;
      if (check_query(bk, &cl, tc->msg, tc->need, &qr))
        serve(bk, &cl, NULL, &qr);
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
    tc->hlen = tc->need = tc->have = 0;
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
  if (zn_dns_msg_init(&m, u->ans, u->need) != ZN_OK || !zn_dns_qr(&m) ||
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
  if (!zn_dns_tc(&m)) {
    struct zn_dns_name lname = p->qname;
    zn_dns_name_lower(&lname);
    cache_put(&bk->cache, &bk->s, &m, &lname, p->qtype, p->qclass, p->variant,
              zn_stack_now(bk->st));
  }
  bk->s.answered++;
  answer_copy(bk, p, u->ans, u->need);
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
    size_t used = 0;
    bool done = false, bad = false;
    while (used < (size_t)n && !done && !bad) {
      if (u->hlen < 2) {
        u->hdr[u->hlen++] = p[used++];
        if (u->hlen == 2) {
          u->need = zn_rd16(u->hdr);
          u->ans = u->need >= ZN_DNS_HDR_LEN ? malloc(u->need) : NULL;
          bad = u->ans == NULL;
        }
        continue;
      }
      size_t k = u->need - u->have;
      if (k > (size_t)n - used)
        k = (size_t)n - used;
      memcpy(u->ans + u->have, p + used, k);
      u->have += k;
      used += k;
      done = u->have == u->need;
    }
    (void)zn_tcp_consume(c, used); /* used <= what peek showed */
    if (bad) {
      u->bk->s.upstream_malformed++;
      uc_fail(u);
      return;
    }
    if (done) {
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
  free(u->ans);
  u->ans = NULL;
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
  zn_wr16(u->q, (uint16_t)(u->qlen - 2));
  u->qoff = 0;
  u->hlen = u->need = u->have = 0;
  u->ans = NULL;
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
  if (!zn_dns_tc(&m)) {
    struct zn_dns_name lname = p->qname;
    zn_dns_name_lower(&lname);
    cache_put(&bk->cache, &bk->s, &m, &lname, p->qtype, p->qclass, p->variant,
              now);
  }
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
  const char **block;        /* --block NAME, in order */
  size_t nblock;
  bool zero_mode;
  uint32_t listen_port;
  uint32_t cache;
  uint32_t up_timeout_ms;
  uint32_t tcp_idle_ms;
};

static int parse_server(const char *s, struct zn_dns_server *srv) {
  char addr[ZN_IPV4_STRLEN];
  const char *colon = strchr(s, ':');
  size_t alen = colon ? (size_t)(colon - s) : strlen(s);
  if (alen == 0 || alen >= sizeof(addr))
    return -1;
  memcpy(addr, s, alen);
  addr[alen] = '\0';
  if (zn_ipv4_parse(addr, &srv->addr) != ZN_OK || srv->addr == 0)
    return -1;
  srv->port = ZN_DNS_PORT;
  if (colon) {
    uint32_t port;
    if (ex_parse_u32(colon + 1, 1, 65535, &port) != 0)
      return -1;
    srv->port = (uint16_t)port;
  }
  return 0;
}

static int handle(void *arg, int opt, const char *val) {
  struct blk_opts *o = arg;
  switch (opt) {
  case OPT_UPSTREAM:
    if (parse_server(val, &o->up) != 0) {
      fprintf(stderr,
              PROG ": bad --upstream '%s' (want ADDR[:PORT]) "
                   "(try --help)\n",
              val);
      return -1;
    }
    o->has_up = true;
    return 0;
  case OPT_BLOCKLIST:
    if (*val == '\0') {
      fprintf(stderr, PROG ": empty --blocklist file name (try --help)\n");
      return -1;
    }
    o->blocklist = val;
    return 0;
  case OPT_BLOCK: {
    const char **more = realloc(o->block, (o->nblock + 1) * sizeof(*more));
    if (more == NULL) {
      fprintf(stderr, PROG ": out of memory\n");
      return -1;
    }
    more[o->nblock++] = val;
    o->block = more;
    return 0;
  }
  case OPT_BLOCK_MODE:
    if (strcmp(val, "nxdomain") == 0)
      o->zero_mode = false;
    else if (strcmp(val, "zero") == 0)
      o->zero_mode = true;
    else {
      fprintf(stderr,
              PROG ": bad --block-mode '%s' (want nxdomain or zero) "
                   "(try --help)\n",
              val);
      return -1;
    }
    return 0;
  case OPT_LISTEN_PORT:
    if (ex_parse_u32(val, 1, 65535, &o->listen_port) != 0) {
      fprintf(stderr,
              PROG ": bad --listen-port '%s' (want 1..65535) "
                   "(try --help)\n",
              val);
      return -1;
    }
    return 0;
  case OPT_CACHE:
    if (ex_parse_u32(val, 0, MAX_CACHE, &o->cache) != 0) {
      fprintf(stderr, PROG ": bad --cache '%s' (want 0..%u) (try --help)\n",
              val, MAX_CACHE);
      return -1;
    }
    return 0;
  case OPT_UP_TIMEOUT:
    if (ex_parse_u32(val, 1, 600000, &o->up_timeout_ms) != 0) {
      fprintf(stderr,
              PROG ": bad --upstream-timeout '%s' (want 1..600000 "
                   "ms) (try --help)\n",
              val);
      return -1;
    }
    return 0;
  case OPT_TCP_IDLE:
    if (ex_parse_u32(val, 1, 3600000, &o->tcp_idle_ms) != 0) {
      fprintf(stderr,
              PROG ": bad --tcp-idle-timeout '%s' (want 1..3600000 "
                   "ms) (try --help)\n",
              val);
      return -1;
    }
    return 0;
  default:
    return -1;
  }
}

static int blocker_start(struct blocker *bk, struct zn_stack *st,
                         const struct blk_opts *o, uint32_t tcp_conns) {
  bk->st = st;
  bk->up_addr = o->up.addr;
  bk->up_port = o->up.port;
  bk->listen_port = (uint16_t)o->listen_port;
  bk->up_timeout_ns = ZN_MS(o->up_timeout_ms);
  bk->tcp_idle_ns = ZN_MS(o->tcp_idle_ms);
  bk->zero_mode = o->zero_mode;
  zn_timer_init(&bk->timer, expire_pending);
  uint8_t key[16];
  zn_random_bytes(st, key, sizeof(key));
  bk->pend = calloc(PENDING_MAX, sizeof(*bk->pend));
  bk->by_id = calloc(65536, sizeof(*bk->by_id));
  bk->ntc = tcp_conns;
  bk->tc = calloc(tcp_conns, sizeof(*bk->tc));
  bk->uc = calloc(UPSTREAM_TCP_MAX, sizeof(*bk->uc));
  bk->scratch = malloc(2 + ZN_DNS_MSG_MAX);
  if (bk->pend == NULL || bk->by_id == NULL || bk->tc == NULL ||
      bk->uc == NULL || bk->scratch == NULL ||
      cache_init(&bk->cache, o->cache, key) != 0) {
    fprintf(stderr, PROG ": out of memory\n");
    return -1;
  }
  for (uint32_t i = PENDING_MAX; i-- > 0;) {
    bk->pend[i].next = bk->free_pend;
    bk->free_pend = &bk->pend[i];
  }
  for (uint32_t i = tcp_conns; i-- > 0;) {
    struct tclient *tc = &bk->tc[i];
    tc->bk = bk;
    tc->msg = malloc(TCP_QUERY_MAX);
    if (tc->msg == NULL) {
      fprintf(stderr, PROG ": out of memory\n");
      return -1;
    }
    zn_timer_init(&tc->idle, tc_idle_fn);
    tc->next_free = bk->free_tc;
    bk->free_tc = tc;
  }
  for (uint32_t i = UPSTREAM_TCP_MAX; i-- > 0;) {
    bk->uc[i].bk = bk;
    bk->uc[i].next_free = bk->free_uc;
    bk->free_uc = &bk->uc[i];
  }
  int rc = zn_udp_open(st, &bk->listen);
  if (rc == ZN_OK)
    rc = zn_udp_bind(bk->listen, 0, bk->listen_port);
  if (rc != ZN_OK) {
    fprintf(stderr, PROG ": cannot listen on UDP port %u: %s\n",
            (unsigned)bk->listen_port, zn_strerror(rc));
    return -1;
  }
  zn_udp_set_recv_cb(bk->listen, on_query, bk);
  rc = zn_tcp_listen(st, 0, bk->listen_port, TCP_BACKLOG, &tlisten_cbs, bk,
                     &bk->tlisten);
  if (rc != ZN_OK) {
    fprintf(stderr, PROG ": cannot listen on TCP port %u: %s\n",
            (unsigned)bk->listen_port, zn_strerror(rc));
    return -1;
  }
  /* One socket for every upstream query, on a random ephemeral port,
   * connected so that the stack itself filters on the upstream's
   * address and port (on_upstream checks again). */
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

/* At exit: reset the TCP connections still open (no poll follows, so no
 * on_closed runs: their slots are freed here), let the resets go out,
 * close the sockets, free everything. */
static void blocker_stop(struct blocker *bk) {
  if (bk->st)
    zn_timer_stop(bk->st, &bk->timer);
  for (uint32_t i = 0; bk->tc && i < bk->ntc; i++) {
    struct tclient *tc = &bk->tc[i];
    if (tc->c) {
      zn_tcp_abort(tc->c);
      tc->c = NULL;
    }
    if (bk->st)
      zn_timer_stop(bk->st, &tc->idle);
    tc_free_out(tc);
    free(tc->msg);
  }
  for (uint32_t i = 0; bk->uc && i < UPSTREAM_TCP_MAX; i++) {
    struct upconn *u = &bk->uc[i];
    if (u->c)
      zn_tcp_abort(u->c);
    u->c = NULL;
    free(u->ans);
  }
  if (bk->tlisten)
    zn_tcp_close(bk->tlisten);
  bk->tlisten = NULL;
  if (bk->st)
    zn_stack_flush(bk->st);
  zn_udp_close(bk->listen);
  zn_udp_close(bk->up);
  bk->listen = bk->up = NULL;
  cache_free(&bk->cache);
  free(bk->pend);
  free(bk->by_id);
  free(bk->tc);
  free(bk->uc);
  free(bk->scratch);
  bk->pend = NULL;
  bk->by_id = NULL;
  bk->tc = NULL;
  bk->uc = NULL;
  bk->scratch = NULL;
  set_free(&bk->blocked);
}

static void print_blk_stats(FILE *fp, const struct blocker *bk) {
  fprintf(fp, PROG ": dns counters (the main ones, and others if not 0):\n");
#define X(name, always, text)                                                  \
  if ((always) || bk->s.name != 0)                                             \
    fprintf(fp, "  dns.%-22s %10" PRIu64 "  %s\n", #name, bk->s.name, text);
  BLK_STATS(X)
#undef X
  fprintf(fp, "  %-26s %10" PRIu32 "\n", "dns.cache_entries", bk->cache.count);
  fprintf(fp, "  %-26s %10" PRIu32 "\n", "dns.pending_at_exit", bk->npending);
  fprintf(fp, "  %-26s %10" PRIu32 "\n", "dns.tcp_open_at_exit", bk->tc_active);
}

int main(int argc, char **argv) {
  static struct ex_host h;
  static struct blocker bk;
  static const struct option extra[] = {
      {"upstream", required_argument, NULL, OPT_UPSTREAM},
      {"blocklist", required_argument, NULL, OPT_BLOCKLIST},
      {"block", required_argument, NULL, OPT_BLOCK},
      {"block-mode", required_argument, NULL, OPT_BLOCK_MODE},
      {"listen-port", required_argument, NULL, OPT_LISTEN_PORT},
      {"cache", required_argument, NULL, OPT_CACHE},
      {"upstream-timeout", required_argument, NULL, OPT_UP_TIMEOUT},
      {"tcp-idle-timeout", required_argument, NULL, OPT_TCP_IDLE},
      {NULL, 0, NULL, 0},
  };
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
      .extra_help =
          "  --upstream ADDR[:PORT]        server to forward to (port 53 by "
          "default)\n"
          "  --blocklist FILE              hosts-file lines (0.0.0.0 NAME...) "
          "or one name per\n"
          "                                line; a name blocks its "
          "subdomains too\n"
          "  --block NAME                  block NAME too (repeatable; with or "
          "instead of\n"
          "                                --blocklist, which Solo5 lacks)\n"
          "  --block-mode nxdomain|zero    answer blocked names NXDOMAIN "
          "(default) or\n"
          "                                0.0.0.0 / :: (other types: no "
          "data)\n"
          "  --listen-port N               UDP and TCP port to serve (default "
          "53)\n"
          "  --cache N                     answers cached (default 4096; 0: "
          "none)\n"
          "  --upstream-timeout MS         SERVFAIL a forwarded query after "
          "this long\n"
          "                                (default 5000)\n"
          "  --tcp-idle-timeout MS         close a TCP client connection idle "
          "this long\n"
          "                                (default 10000)\n",
      .extra = extra,
      .handle = handle,
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

  /* The set's hash key is secret from anyone who can send us names. */
  uint8_t seed[32];
  if (zn_host_seed(seed) != ZN_OK) {
    fprintf(stderr, PROG ": getrandom failed: %s\n", strerror(errno));
    return EX_EXIT_FAIL;
  }
  memcpy(bk.blocked.key, seed, sizeof(bk.blocked.key));
  struct load_stats ls;
  memset(&ls, 0, sizeof(ls));
  if (bo.blocklist && load_blocklist(&bk.blocked, bo.blocklist, &ls) != 0) {
    free(bo.block);
    set_free(&bk.blocked);
    return EX_EXIT_FAIL;
  }
  for (size_t i = 0; i < bo.nblock; i++)
    add_name(&bk.blocked, &ls, "--block", i + 1, bo.block[i]);
  free(bo.block);
  bo.block = NULL;

  if (ex_open(&h, PROG) != 0) {
    set_free(&bk.blocked);
    return EX_EXIT_FAIL;
  }
  int status = 0;
  if (blocker_start(&bk, h.st, &bo, h.cfg.tcp_conns) != 0) {
    status = EX_EXIT_FAIL;
  } else {
    char ip[ZN_IPV4_STRLEN], up[ZN_IPV4_STRLEN], mac[ZN_MAC_STRLEN];
    char where[4300];
    ex_describe_netif(&h, where, sizeof(where));
    printf(PROG ": %s/%u mac %s on %s\n", zn_ipv4_format(h.o.ipv4, ip),
           (unsigned)h.o.prefix, zn_mac_format(zn_stack_mac(h.st), mac), where);
    printf(PROG ": blocklist %s: %" PRIu64 " names (%" PRIu64 " lines, %" PRIu64
                " duplicates, %" PRIu64 " local names ignored, %" PRIu64
                " invalid)\n",
           bo.blocklist ? bo.blocklist : "--block", ls.added, ls.lines, ls.duplicates, ls.ignored,
           ls.invalid);
    printf(PROG ": serving DNS on UDP and TCP port %u, upstream %s:%u, "
                "blocked names answered %s, cache %" PRIu32 " answers\n",
           (unsigned)bk.listen_port, zn_ipv4_format(bk.up_addr, up),
           (unsigned)bk.up_port, bk.zero_mode ? "0.0.0.0/::" : "NXDOMAIN",
           bo.cache);
    (void)fflush(stdout);
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
