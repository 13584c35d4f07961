/* The connection table's lookup caches (src/tcp/tcp.c): the last
 * connection found, the remembered hashes, the hash a connection keeps.
 * Every test here would fail on a cache that outlives what it points at:
 * a connection removed from the table, a slot reused, a newer entry for
 * the same 4-tuple, a 4-tuple that differs in one field. */
#include "tcp/tcp_isn.h"
#include "tcp_fixture.h"
#include "znet/hash.h"

#define LA FX_OUR_IP
#define RA FX_PEER_IP

/* A connection hashed into the table as zn_tcp_connect/a listener would. */
static struct zn_tcp_conn *put(struct zn_stack *st, uint32_t la, uint16_t lp,
                               uint32_t ra, uint16_t rp, int state) {
  struct zn_tcp_conn *c = zn__tcp_alloc(st);
  if (!c)
    return NULL;
  c->laddr = zn_ip_from_v4(la);
  c->lport = lp;
  c->raddr = zn_ip_from_v4(ra);
  c->rport = rp;
  c->state = (uint8_t)state;
  zn__tcp_hash_in(c);
  return c;
}

/* c is on some chain of either table. */
static bool chained(const struct zn_stack *st, const struct zn_tcp_conn *c) {
  const struct zn__tcp *t = ZN__MOD(st, tcp);
  for (uint32_t i = 0; i < t->nbuckets; i++)
    for (const struct zn_tcp_conn *x = t->bucket[i]; x; x = x->hnext)
      if (x == c)
        return true;
  for (uint32_t i = 0; i < t->nlbuckets; i++)
    for (const struct zn_tcp_conn *x = t->lbucket[i]; x; x = x->hnext)
      if (x == c)
        return true;
  return false;
}

static void drop(struct zn_tcp_conn *c) {
  zn__tcp_hash_out(c);
  c->state = ZN_TCP_CLOSED;
}

ZT_TEST(test_lookup_cache_whole_tuple) {
  struct zn_config cfg;
  fx_config(&cfg);
  struct zn_stack *st = th_stack_new(&cfg);
  ZT_REQUIRE(st);
  struct zn_tcp_conn *a = put(st, LA, 80, RA, 4000, ZN_TCP_ESTABLISHED);
  ZT_REQUIRE(a);
  ZT_CHECK(zn__tcp_lookup(st, TH_IP(LA), 80, TH_IP(RA), 4000) == a);
  ZT_CHECK(ZN__MOD(st, tcp)->last == a);
  /* A 4-tuple one field away is another connection (none here). */
  ZT_CHECK(zn__tcp_lookup(st, TH_IP(LA), 80, TH_IP(RA), 4001) == NULL);
  ZT_CHECK(zn__tcp_lookup(st, TH_IP(LA), 81, TH_IP(RA), 4000) == NULL);
  ZT_CHECK(zn__tcp_lookup(st, TH_IP(LA), 80, TH_IP(RA + 1), 4000) == NULL);
  ZT_CHECK(zn__tcp_lookup(st, TH_IP(LA + 1), 80, TH_IP(RA), 4000) == NULL);
  /* Ports swapped: not the same connection either. */
  ZT_CHECK(zn__tcp_lookup(st, TH_IP(LA), 4000, TH_IP(RA), 80) == NULL);
  /* Two connections one field apart, looked up in turn. */
  struct zn_tcp_conn *b = put(st, LA, 80, RA, 4001, ZN_TCP_ESTABLISHED);
  struct zn_tcp_conn *c = put(st, LA, 80, RA + 1, 4000, ZN_TCP_ESTABLISHED);
  ZT_REQUIRE(b && c);
  for (int i = 0; i < 4; i++) {
    ZT_CHECK(zn__tcp_lookup(st, TH_IP(LA), 80, TH_IP(RA), 4000) == a);
    ZT_CHECK(zn__tcp_lookup(st, TH_IP(LA), 80, TH_IP(RA), 4001) == b);
    ZT_CHECK(zn__tcp_lookup(st, TH_IP(LA), 80, TH_IP(RA), 4001) == b);
    ZT_CHECK(zn__tcp_lookup(st, TH_IP(LA), 80, TH_IP(RA + 1), 4000) == c);
  }
  drop(a);
  drop(b);
  drop(c);
  th_stack_free(st);
}

ZT_TEST(test_lookup_cache_removed_and_reused) {
  struct zn_config cfg;
  fx_config(&cfg);
  struct zn_stack *st = th_stack_new(&cfg);
  ZT_REQUIRE(st);
  struct zn_tcp_conn *a = put(st, LA, 80, RA, 4000, ZN_TCP_ESTABLISHED);
  ZT_REQUIRE(a);
  ZT_CHECK(zn__tcp_lookup(st, TH_IP(LA), 80, TH_IP(RA), 4000) == a);
  /* Out of the table (as a connection the app still holds after a
   * reset: the slot and its 4-tuple stay): not found any more. */
  zn__tcp_hash_out(a);
  ZT_CHECK(ZN__MOD(st, tcp)->last != a);
  ZT_CHECK(!chained(st, a));
  ZT_EQ(a->lport, 80);
  ZT_CHECK(zn__tcp_lookup(st, TH_IP(LA), 80, TH_IP(RA), 4000) == NULL);
  /* A new connection on the same 4-tuple in another slot. */
  struct zn_tcp_conn *n = put(st, LA, 80, RA, 4000, ZN_TCP_SYN_RECEIVED);
  ZT_REQUIRE(n && n != a);
  ZT_CHECK(zn__tcp_lookup(st, TH_IP(LA), 80, TH_IP(RA), 4000) == n);
  /* A newer entry with the 4-tuple of the cached one goes ahead of it in
   * its chain, and lookup has always found the newest: still so. */
  struct zn_tcp_conn *m = put(st, LA, 80, RA, 4000, ZN_TCP_SYN_RECEIVED);
  ZT_REQUIRE(m);
  ZT_CHECK(zn__tcp_lookup(st, TH_IP(LA), 80, TH_IP(RA), 4000) == m);
  drop(m);
  ZT_CHECK(zn__tcp_lookup(st, TH_IP(LA), 80, TH_IP(RA), 4000) == n);
  drop(n);
  ZT_CHECK(zn__tcp_lookup(st, TH_IP(LA), 80, TH_IP(RA), 4000) == NULL);
  a->state = ZN_TCP_CLOSED;
  /* Hashed out twice, or never hashed in: harmless, as before. */
  zn__tcp_hash_out(a);
  ZT_EQ(a->hashed, ZN__TCP_HASHED_NONE);
  th_stack_free(st);
}

/* A connection leaves the table it went into even if its state changed
 * since (the hash it went in under is kept, not recomputed). */
ZT_TEST(test_hash_out_by_kept_hash) {
  struct zn_config cfg;
  fx_config(&cfg);
  struct zn_stack *st = th_stack_new(&cfg);
  ZT_REQUIRE(st);
  struct zn_tcp_conn *l = put(st, 0, 80, 0, 0, ZN_TCP_LISTEN);
  struct zn_tcp_conn *c = put(st, LA, 80, RA, 4000, ZN_TCP_SYN_SENT);
  ZT_REQUIRE(l && c);
  ZT_EQ(l->hashed, ZN__TCP_HASHED_LISTEN);
  ZT_EQ(c->hashed, ZN__TCP_HASHED_CONN);
  ZT_CHECK(zn__tcp_lookup_listener(st, TH_IP(LA), 80) == l);
  ZT_CHECK(zn__tcp_lookup_listener(st, TH_IP(LA), 81) == NULL);
  ZT_CHECK(zn__tcp_lookup(st, TH_IP(LA), 80, TH_IP(RA), 4000) == c);
  l->state = ZN_TCP_CLOSED;
  c->state = ZN_TCP_LISTEN; /* as if: hash_out must not go by the state */
  zn__tcp_hash_out(l);
  zn__tcp_hash_out(c);
  ZT_CHECK(!chained(st, l));
  ZT_CHECK(!chained(st, c));
  ZT_CHECK(zn__tcp_lookup(st, TH_IP(LA), 80, TH_IP(RA), 4000) == NULL);
  ZT_CHECK(zn__tcp_lookup_listener(st, TH_IP(LA), 80) == NULL);
  c->state = ZN_TCP_CLOSED;
  /* Many connections in and out: every chain stays consistent. */
  struct zn_tcp_conn *k[32];
  for (int round = 0; round < 3; round++) {
    for (int i = 0; i < 32; i++) {
      k[i] = put(st, LA, (uint16_t)(1000 + i), RA, (uint16_t)(5000 + round),
                 ZN_TCP_ESTABLISHED);
      ZT_REQUIRE(k[i]);
    }
    for (int i = 0; i < 32; i += 2)
      drop(k[i]);
    for (int i = 0; i < 32; i++)
      ZT_CHECK(zn__tcp_lookup(st, TH_IP(LA), (uint16_t)(1000 + i), TH_IP(RA),
                              (uint16_t)(5000 + round)) ==
               (i % 2 ? k[i] : NULL));
    for (int i = 1; i < 32; i += 2)
      drop(k[i]);
    for (int i = 0; i < 32; i++)
      ZT_CHECK(!chained(st, k[i]));
    /* Back to the free list for the next round (as free_slot does). */
    for (int i = 31; i >= 0; i--) {
      memset(k[i], 0, sizeof(*k[i]));
      k[i]->st = st;
      k[i]->next = ZN__MOD(st, tcp)->free;
      ZN__MOD(st, tcp)->free = k[i];
      ZN__MOD(st, tcp)->nused--;
    }
  }
  th_stack_free(st);
}

/* The hashes a connection is filed under are the keyed hashes of its own
 * 4-tuple or port, whatever was hashed just before (a memo gone stale
 * would still find entries, through wrong chains: only this shows it). */
static uint32_t want_hash(const struct zn_tcp_conn *c) {
  if (c->state == ZN_TCP_LISTEN)
    return zn__hash32(c->st, c->lport, 0x6c697374u); /* tcp.c's salt */
  uint8_t in[12];
  zn_wr32(in, zn_ip_v4(&c->laddr));
  zn_wr32(in + 4, zn_ip_v4(&c->raddr));
  zn_wr16(in + 8, c->lport);
  zn_wr16(in + 10, c->rport);
  return (uint32_t)zn_siphash13(c->st->hash_key, in, sizeof(in));
}

ZT_TEST(test_kept_hash_is_keyed_hash) {
  struct zn_config cfg;
  fx_config(&cfg);
  struct zn_stack *st = th_stack_new(&cfg);
  ZT_REQUIRE(st);
  struct zn_tcp_conn *k[8];
  int n = 0;
  k[n++] = put(st, 0, 80, 0, 0, ZN_TCP_LISTEN);
  ZT_CHECK(zn__tcp_lookup_listener(st, TH_IP(LA), 22) == NULL);
  k[n++] = put(st, LA, 81, 0, 0, ZN_TCP_LISTEN);
  k[n++] = put(st, LA, 80, RA, 4000, ZN_TCP_ESTABLISHED);
  ZT_CHECK(zn__tcp_lookup(st, TH_IP(LA), 80, TH_IP(RA + 7), 4000) == NULL);
  k[n++] = put(st, LA, 80, RA + 1, 4000, ZN_TCP_ESTABLISHED);
  k[n++] = put(st, LA, 80, RA + 1, 4001, ZN_TCP_ESTABLISHED);
  k[n++] = put(st, LA + 1, 80, RA + 1, 4001, ZN_TCP_ESTABLISHED);
  k[n++] = put(st, LA, 81, RA + 1, 4001, ZN_TCP_ESTABLISHED);
  for (int i = 0; i < n; i++) {
    ZT_REQUIRE(k[i]);
    ZT_EQU(k[i]->hash, want_hash(k[i]));
  }
  for (int i = 0; i < n; i++)
    drop(k[i]);
  th_stack_free(st);
}

/* Back to the free list (as free_slot does: a free slot is all zero but
 * st and next). */
static void recycle(struct zn_stack *st, struct zn_tcp_conn *c) {
  drop(c);
  memset(c, 0, sizeof(*c));
  c->st = st;
  c->next = ZN__MOD(st, tcp)->free;
  ZN__MOD(st, tcp)->free = c;
  ZN__MOD(st, tcp)->nused--;
}

/* The table is keyed: two stacks with different seeds file the same
 * 4-tuples under unrelated hashes, so in unrelated buckets (an attacker
 * who learnt one stack's layout knows nothing of another's). */
ZT_TEST(test_buckets_keyed_by_seed) {
  struct zn_config cfg_a, cfg_b;
  fx_config(&cfg_a);
  cfg_b = cfg_a;
  cfg_b.seed[0] ^= 1;
  struct zn_stack *a = th_stack_new(&cfg_a), *b = th_stack_new(&cfg_b);
  ZT_REQUIRE(a && b);
  uint32_t mask = ZN__MOD(a, tcp)->nbuckets - 1;
  ZT_EQU(ZN__MOD(b, tcp)->nbuckets - 1, mask);
  int same_hash = 0, same_bucket = 0, n = 256;
  for (int i = 0; i < n; i++) {
    uint32_t ra = RA + (uint32_t)i * 7u;
    uint16_t lp = (uint16_t)(80 + i % 3), rp = (uint16_t)(40000 + i);
    struct zn_tcp_conn *x = put(a, LA, lp, ra, rp, ZN_TCP_ESTABLISHED);
    struct zn_tcp_conn *y = put(b, LA, lp, ra, rp, ZN_TCP_ESTABLISHED);
    ZT_REQUIRE(x && y);
    ZT_EQU(x->hash, want_hash(x));
    ZT_EQU(y->hash, want_hash(y));
    same_hash += x->hash == y->hash;
    same_bucket += (x->hash & mask) == (y->hash & mask);
    recycle(a, x);
    recycle(b, y);
  }
  ZT_EQ(same_hash, 0);
  /* About n / nbuckets by chance. */
  ZT_CHECK(same_bucket <= n / 8 + 2);
  th_stack_free(a);
  th_stack_free(b);
}

/* End to end: a reset connection the app still holds keeps its slot and
 * 4-tuple, but is out of the table: a new SYN on the same 4-tuple must
 * reach the listener (a cache still pointing at the old one would answer
 * it with a reset), and segments then reach the new connection. */
ZT_TEST(test_reset_then_same_tuple) {
  struct fx f;
  fx_init(&f, NULL);
  fx_established_passive(&f);
  struct zn_tcp_conn *old = f.c;
  ZT_REQUIRE(old);
  ZT_CHECK(fx_conn(&f) == old);
  SEND(&f, .seq = f.p_nxt, .flags = RST);
  EXPECT_NONE(&f);
  ZT_STREQ(f.log, "AE(ECONNRESET)");
  ZT_EQ(old->state, ZN_TCP_CLOSED);
  ZT_EQ(old->rport, FX_PEER_PORT); /* the handle and its 4-tuple stay */
  ZT_CHECK(fx_conn(&f) == NULL);
  /* The peer comes back on the same ports. */
  f.p_iss += 500000;
  f.p_nxt = f.p_iss;
  struct zn_tcp_seg_opts o = fx_peer_syn_opts(&f);
  SEND(&f, .seq = f.p_iss, .flags = SYN, .o = o);
  f.p_nxt = f.p_iss + 1;
  EXPECT(&f, .any_seq = true, .ack = f.p_nxt, .flags = SYN | ACK,
         .any_opts = true);
  f.iss = f.last.seq;
  f.s_nxt = f.iss + 1;
  struct zn_tcp_conn *n = fx_conn(&f);
  ZT_REQUIRE(n);
  ZT_CHECK(n != old);
  EXPECT_STATE(&f, ZN_TCP_SYN_RECEIVED);
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK);
  EXPECT_NONE(&f);
  EXPECT_STATE(&f, ZN_TCP_ESTABLISHED);
  ZT_EQ(f.accepted, 2);
  ZT_CHECK(f.c == n);
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK | PSH, .len = 10);
  f.p_nxt += 10;
  fx_run(&f, ZN_MS(500));
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  ZT_EQ(n->bytes_received, 10);
  ZT_EQ(old->bytes_received, 0);
  ZT_EQ(old->state, ZN_TCP_CLOSED);
  /* The old handle goes; the new connection is still found. */
  f.in_api++;
  zn_tcp_close(old);
  f.in_api--;
  fx_poll(&f);
  ZT_CHECK(fx_conn(&f) == n);
  EXPECT_STATE(&f, ZN_TCP_ESTABLISHED);
  fx_free(&f);
}

/* Connection after connection on one 4-tuple, each closed and freed (its
 * slot reused by the next): each is found while it lives and never
 * after. */
ZT_TEST(test_slot_reused_same_tuple) {
  struct fx f;
  fx_init(&f, NULL);
  fx_listen(&f, 0);
  struct zn_tcp_conn *first = NULL;
  for (int i = 0; i < 4; i++) {
    f.p_iss = FX_PEER_ISS + (uint32_t)i * 1000000u;
    f.p_nxt = f.p_iss;
    struct zn_tcp_seg_opts o = fx_peer_syn_opts(&f);
    SEND(&f, .seq = f.p_iss, .flags = SYN, .o = o);
    f.p_nxt = f.p_iss + 1;
    EXPECT(&f, .any_seq = true, .ack = f.p_nxt, .flags = SYN | ACK,
           .any_opts = true);
    f.iss = f.last.seq;
    f.s_nxt = f.iss + 1;
    SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK);
    EXPECT_NONE(&f);
    ZT_EQ(f.accepted, i + 1);
    struct zn_tcp_conn *c = f.c;
    ZT_REQUIRE(c);
    if (!first)
      first = c;
    ZT_CHECK(c == first); /* the same slot each time */
    ZT_CHECK(fx_conn(&f) == c);
    ZT_EQU(c->irs, f.p_iss);
    /* Abort: a reset out, the slot freed at the end of the poll. */
    fx_abort(&f);
    fx_poll(&f);
    EXPECT(&f, .seq = f.s_nxt, .any_ack = true, .flags = RST);
    ZT_CHECK(fx_conn(&f) == NULL);
    ZT_EQ(ZN__MOD(f.st, tcp)->nused, 1); /* the listener */
    ZT_CHECK(ZN__MOD(f.st, tcp)->last == NULL || ZN__MOD(f.st, tcp)->last->state != ZN_TCP_CLOSED);
  }
  fx_free(&f);
}

/* ---- family: the tables key on the whole struct zn_ip ---- */

static struct zn_tcp_conn *put_ip(struct zn_stack *st, const struct zn_ip *la,
                                  uint16_t lp, const struct zn_ip *ra,
                                  uint16_t rp, int state) {
  struct zn_tcp_conn *c = zn__tcp_alloc(st);
  if (!c)
    return NULL;
  c->laddr = *la;
  c->lport = lp;
  c->raddr = *ra;
  c->rport = rp;
  c->state = (uint8_t)state;
  zn__tcp_hash_in(c);
  return c;
}

/* An IPv6 address whose first four bytes are the IPv4 address a. */
static struct zn_ip v6_like(uint32_t a) {
  struct zn_ip ip = zn_ip_from_v4(a);
  ip.family = ZN_AF_INET6;
  return ip;
}

/* The IPv4-mapped IPv6 form of a. */
static struct zn_ip mapped(uint32_t a) {
  struct zn_ip ip = {ZN_AF_INET6, {0}};
  ip.bytes[10] = ip.bytes[11] = 0xff;
  zn_wr32(ip.bytes + 12, a);
  return ip;
}

/* IPv4 and IPv6 4-tuples with the same leading bytes, an IPv4 one and its
 * IPv4-mapped form, and IPv6 ones that differ in the last byte only, are
 * different connections, each filed under the keyed hash of its own
 * family's bytes. */
ZT_TEST(test_lookup_keys_on_family) {
  struct zn_config cfg;
  fx_config(&cfg);
  struct zn_stack *st = th_stack_new(&cfg);
  ZT_REQUIRE(st);
  struct zn_ip la6 = v6_like(LA), ra6 = v6_like(RA), ra6b = ra6;
  struct zn_ip la_m = mapped(LA), ra_m = mapped(RA);
  ra6b.bytes[15] ^= 1;
  struct zn_tcp_conn *a = put(st, LA, 80, RA, 4000, ZN_TCP_ESTABLISHED);
  struct zn_tcp_conn *b = put_ip(st, &la6, 80, &ra6, 4000, ZN_TCP_ESTABLISHED);
  struct zn_tcp_conn *c = put_ip(st, &la6, 80, &ra6b, 4000, ZN_TCP_ESTABLISHED);
  ZT_REQUIRE(a && b && c);
  for (int round = 0; round < 2; round++) {
    ZT_CHECK(zn__tcp_lookup(st, TH_IP(LA), 80, TH_IP(RA), 4000) == a);
    ZT_CHECK(zn__tcp_lookup(st, &la6, 80, &ra6, 4000) == b);
    ZT_CHECK(zn__tcp_lookup(st, &la6, 80, &ra6b, 4000) == c);
    ZT_CHECK(zn__tcp_lookup(st, &la_m, 80, &ra_m, 4000) == NULL);
  }
  uint8_t in[36];
  memcpy(in, la6.bytes, 16);
  memcpy(in + 16, ra6.bytes, 16);
  zn_wr16(in + 32, 80);
  zn_wr16(in + 34, 4000);
  ZT_EQU(b->hash, (uint32_t)zn_siphash13(st->hash_key, in, sizeof(in)));
  ZT_EQU(a->hash, want_hash(a));
  ZT_CHECK(b->hash != c->hash);
  drop(a);
  drop(b);
  drop(c);
  th_stack_free(st);
}

/* A listener bound to an IPv6 address takes no IPv4 segment, one bound to
 * 0.0.0.0 no IPv6 segment, one bound to no family both; the most
 * specific wins. */
ZT_TEST(test_listener_lookup_by_family) {
  struct zn_config cfg;
  fx_config(&cfg);
  struct zn_stack *st = th_stack_new(&cfg);
  ZT_REQUIRE(st);
  struct zn_ip la6 = v6_like(LA), none = {0};
  struct zn_tcp_conn *l6 = put_ip(st, &la6, 22, &none, 0, ZN_TCP_LISTEN);
  struct zn_tcp_conn *l4 = put(st, 0, 23, 0, 0, ZN_TCP_LISTEN);
  struct zn_tcp_conn *lb = put_ip(st, &none, 24, &none, 0, ZN_TCP_LISTEN);
  struct zn_tcp_conn *lb2 = put_ip(st, &none, 23, &none, 0, ZN_TCP_LISTEN);
  struct zn_tcp_conn *lx = put(st, LA, 23, 0, 0, ZN_TCP_LISTEN);
  ZT_REQUIRE(l6 && l4 && lb && lb2 && lx);
  ZT_CHECK(zn__tcp_lookup_listener(st, TH_IP(LA), 22) == NULL);
  ZT_CHECK(zn__tcp_lookup_listener(st, &la6, 22) == l6);
  ZT_CHECK(zn__tcp_lookup_listener(st, TH_IP(LA), 24) == lb);
  ZT_CHECK(zn__tcp_lookup_listener(st, &la6, 24) == lb);
  /* Port 23: LA itself, then 0.0.0.0 for other IPv4 addresses, then the
   * both-families one for IPv6. */
  ZT_CHECK(zn__tcp_lookup_listener(st, TH_IP(LA), 23) == lx);
  ZT_CHECK(zn__tcp_lookup_listener(st, TH_IP(LA + 1), 23) == l4);
  ZT_CHECK(zn__tcp_lookup_listener(st, &la6, 23) == lb2);
  drop(l6);
  drop(l4);
  drop(lb);
  drop(lb2);
  drop(lx);
  th_stack_free(st);
}

/* zn__inet_hash: IPv4 as zn__hash32 always was; IPv6 over all 16 bytes. */
ZT_TEST(test_inet_hash_keys_on_family_bytes) {
  struct zn_config cfg;
  fx_config(&cfg);
  struct zn_stack *st = th_stack_new(&cfg);
  ZT_REQUIRE(st);
  struct zn_ip a4 = zn_ip_from_v4(RA), a6 = v6_like(RA);
  ZT_EQU(zn__inet_hash(st, &a4, 443), zn__hash32(st, RA, 443));
  uint32_t h6 = zn__inet_hash(st, &a6, 443);
  ZT_CHECK(h6 != zn__inet_hash(st, &a4, 443));
  int same = 0;
  for (unsigned bit = 0; bit < 128; bit++) {
    struct zn_ip b = a6;
    b.bytes[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    same += zn__inet_hash(st, &b, 443) == h6;
  }
  ZT_EQ(same, 0);
  th_stack_free(st);
}

/* The whole 64-bit keyed hash of an IPv4 4-tuple, as tcp.c defines it:
 * SipHash-1-3 of laddr | raddr | lport | rport, big-endian. */
static uint64_t tuple_sip_ref(const struct zn_stack *st, uint32_t la,
                              uint16_t lp, uint32_t ra, uint16_t rp) {
  uint8_t in[12];
  zn_wr32(in, la);
  zn_wr32(in + 4, ra);
  zn_wr16(in + 8, lp);
  zn_wr16(in + 10, rp);
  return zn_siphash13(st->hash_key, in, sizeof(in));
}

/* A connection's segments go with DF, and their IPv4 IDs (RFC 6864 §4.1:
 * any value on an atomic datagram) count up from its own seed, bits
 * 32..47 of its 4-tuple's hash (the half the table does not use), one
 * per segment; the per-destination counters do not move.  A RST, sent
 * without DF, draws from its destination's counter. */
ZT_TEST(test_ip_ids_count_per_connection) {
  struct fx f;
  fx_init(&f, NULL);
  uint16_t ids[ZN__IP_IDS];
  memcpy(ids, ZN__MOD(f.st, ip)->ids, sizeof(ids));
  fx_established(&f); /* our SYN, then our ACK */
  struct zn_tcp_conn *c = fx_conn(&f);
  ZT_REQUIRE(c);
  uint64_t h = tuple_sip_ref(f.st, FX_OUR_IP, c->lport, FX_PEER_IP, c->rport);
  ZT_EQU(c->hash, (uint32_t)h);
  uint16_t seed = (uint16_t)(h >> 32);
  ZT_EQ(f.last_ip_id, (uint16_t)(seed + 1));
  ZT_EQ(f.last_ip_df, 1);
  ZT_EQ(fx_write(&f, 3 * 1460), 3 * 1460);
  fx_poll(&f);
  uint32_t una = f.s_nxt;
  for (uint32_t k = 0; k < 3; k++) {
    EXPECT(&f, .seq = una + 1460u * k, .ack = f.p_nxt,
           .flags = k == 2 ? ACK | PSH : ACK, .len = 1460);
    ZT_EQ(f.last_ip_id, (uint16_t)(seed + 2 + k));
    ZT_EQ(f.last_ip_df, 1);
  }
  ZT_EQ(c->ip_id, (uint16_t)(seed + 5));
  ZT_MEMEQ(ids, ZN__MOD(f.st, ip)->ids, sizeof(ids));
  fx_abort(&f);
  fx_poll(&f);
  EXPECT(&f, .any_seq = true, .any_ack = true, .flags = RST);
  ZT_EQ(f.last_ip_df, 0);
  ZT_EQ(f.last_ip_id, ids[zn__ip_id_slot(f.st, FX_PEER_IP, ZN_IPPROTO_TCP)]);
  fx_free(&f);
}

/* A TSO frame of n segments, which the netif cuts numbering their IDs on
 * from the frame's (zn_tcp_gso_segment), takes n IDs of the counter: the
 * next frame starts after them. */
ZT_TEST(test_ip_ids_tso_frame_takes_its_segments) {
  struct fx f;
  fx_init(&f, NULL);
  fx_established(&f);
  struct zn_tcp_conn *c = fx_conn(&f);
  ZT_REQUIRE(c);
  zn_memlink_set_offloads(&f.link, true);
  uint16_t want = c->ip_id;
  ZT_EQ(fx_write(&f, 6 * 1460), 6 * 1460);
  fx_poll(&f);
  ZT_EQ(fx_write(&f, 100), 100);
  fx_poll(&f);
  struct zn_buf *b;
  int tso = 0;
  uint32_t bytes = 0;
  while ((b = sent_pop(&f.link.b)) != NULL) {
    struct zn_ipv4_view ip;
    ZT_EQ(zn_ipv4_view_init(&ip, b->data + 14, b->len - 14), ZN_OK);
    ZT_EQ(ip.id, want);
    ZT_CHECK(zn_ipv4_df(&ip));
    size_t th_len = (size_t)(ip.p[ip.hdr_len + 12] >> 4) * 4;
    uint32_t pay = (uint32_t)(ip.tot_len - ip.hdr_len - th_len);
    uint32_t n = b->gso_size ? (pay + b->gso_size - 1) / b->gso_size : 1;
    tso += n > 1;
    want = (uint16_t)(want + n);
    bytes += pay;
    zn_buf_free(b);
  }
  ZT_EQ(bytes, 6 * 1460 + 100);
  ZT_CHECK(tso > 0);
  ZT_EQ(c->ip_id, want);
  fx_free(&f);
}

/* Connections one port apart have unrelated ID seeds, and what a peer
 * sees of its own connection, its ISN (F, SipHash-2-4 with domain 0),
 * its TSval offset (F's other half) and its IDs (the table hash's other
 * half), is not the table hash its tuple is filed under: four separate
 * outputs, none of which is computed from another. */
ZT_TEST(test_ip_id_seed_and_isn_not_the_table_hash) {
  struct zn_config cfg;
  fx_config(&cfg);
  struct zn_stack *st = th_stack_new(&cfg);
  ZT_REQUIRE(st);
  enum { N = 64 };
  struct zn_tcp_conn *k[N];
  int same_seed = 0, same = 0;
  for (int i = 0; i < N; i++) {
    k[i] = put(st, LA, 80, RA, (uint16_t)(4000 + i), ZN_TCP_ESTABLISHED);
    ZT_REQUIRE(k[i]);
    uint64_t h = tuple_sip_ref(st, LA, 80, RA, (uint16_t)(4000 + i));
    ZT_EQU(k[i]->hash, (uint32_t)h);
    ZT_EQ(k[i]->ip_id, (uint16_t)(h >> 32));
    for (int j = 0; j < i; j++)
      same_seed += k[j]->ip_id == k[i]->ip_id;
    struct zn__tcp_4tuple tu = {zn_ip_from_v4(LA), zn_ip_from_v4(RA), 80,
                                (uint16_t)(4000 + i)};
    uint32_t ts = 0, f = zn__tcp_isn_ts(st->hash_key, &tu, 0, &ts);
    same += f == k[i]->hash || ts == k[i]->hash ||
            (uint32_t)(h >> 32) == k[i]->hash ||
            (f & 0xffffu) == k[i]->ip_id;
  }
  ZT_CHECK(same_seed <= 1); /* 64 draws of 16 bits: 3% chance of one */
  ZT_EQ(same, 0);
  for (int i = 0; i < N; i++)
    drop(k[i]);
  th_stack_free(st);
}

/* A freed slot leaks nothing into the next connection: every byte of a
 * connection dirtied (but what freeing it reads, made consistent, and a
 * buffer on each queue, or none), freed through the reap list, allocated
 * again: byte for byte what a never used slot is when allocated; and the
 * stack-wide sums (and the flight blocks) are back where they were. */
static void freed_slot_leaks_nothing(bool queued) {
  struct zn_config cfg;
  fx_config(&cfg);
  struct zn_stack *st = th_stack_new(&cfg);
  ZT_REQUIRE(st);
  struct zn_tcp_conn *c = zn__tcp_alloc(st);
  ZT_REQUIRE(c);
  memset(c, 0xa5, sizeof(*c));
  c->st = st;
  c->tcp = ZN__MOD(st, tcp);
  c->state = ZN_TCP_CLOSED;
  c->flags = 0;
  c->life = ZN__TCPL_USER_CLOSED | ZN__TCPL_ZOMBIE;
  c->notify = ZN__TCPN_CLOSED_NOTIFIED;
  c->acq_head = NULL;
  c->mem_charged = c->rcv_charged = c->adv_charged = 0;
  c->mem = 0;
  c->fl = NULL;
  c->cc.ops = NULL;
  zn_bufq_init(&c->sndq);
  zn_bufq_init(&c->rcvq);
  zn__tcp_ooo_init(&c->ooo);
  zn__tcp_timers_init(c);
  if (queued) {
    struct zn_buf *b = zn__buf_alloc(st, 100);
    ZT_REQUIRE(b);
    struct zn__tcp_chunk *k = (struct zn__tcp_chunk *)(void *)b->cb;
    *k = (struct zn__tcp_chunk){.len = 100};
    zn_bufq_push(&c->sndq, b);
    b = zn__buf_alloc(st, 100);
    ZT_REQUIRE(b);
    zn_bufq_push(&c->rcvq, b);
    zn__tcp_mem_sync(c);
    ZT_EQ(ZN__MOD(st, tcp)->mem_bufs, 2);
    ZT_REQUIRE(zn__tcp_flight_take(c)); /* a flight block held, too */
    ZT_EQU(ZN__MOD(st, tcp)->fl_nfree, ZN__MOD(st, tcp)->fl_count - 1);
  }
  zn__tcp_reap_add(c);
  zn__tcp_reap(st);
  ZT_EQ(ZN__MOD(st, tcp)->nused, 0);
  ZT_EQ(ZN__MOD(st, tcp)->mem_bufs, 0);
  ZT_EQ(ZN__MOD(st, tcp)->mem_rcv, 0);
  ZT_EQ(ZN__MOD(st, tcp)->nmem, 0);
  ZT_EQ(ZN__MOD(st, tcp)->nrcv, 0);
  ZT_EQU(ZN__MOD(st, tcp)->promised, 0);
  ZT_EQ(ZN__MOD(st, tcp)->npromised, 0);
  struct zn_tcp_conn *again = zn__tcp_alloc(st);
  struct zn_tcp_conn *fresh = zn__tcp_alloc(st);
  ZT_CHECK(again == c);
  ZT_REQUIRE(fresh && fresh != c);
  ZT_CHECK(memcmp(again, fresh, sizeof(struct zn_tcp_conn)) == 0);
  ZT_EQU(ZN__MOD(st, tcp)->fl_nfree, ZN__MOD(st, tcp)->fl_count);
  th_stack_free(st);
}

ZT_TEST(test_freed_slot_leaks_nothing) {
  freed_slot_leaks_nothing(true);
  freed_slot_leaks_nothing(false);
}

int main(void) {
  ZT_RUN(test_lookup_cache_whole_tuple);
  ZT_RUN(test_lookup_cache_removed_and_reused);
  ZT_RUN(test_hash_out_by_kept_hash);
  ZT_RUN(test_kept_hash_is_keyed_hash);
  ZT_RUN(test_buckets_keyed_by_seed);
  ZT_RUN(test_lookup_keys_on_family);
  ZT_RUN(test_listener_lookup_by_family);
  ZT_RUN(test_inet_hash_keys_on_family_bytes);
  ZT_RUN(test_reset_then_same_tuple);
  ZT_RUN(test_slot_reused_same_tuple);
  ZT_RUN(test_freed_slot_leaks_nothing);
  ZT_RUN(test_ip_ids_count_per_connection);
  ZT_RUN(test_ip_ids_tso_frame_takes_its_segments);
  ZT_RUN(test_ip_id_seed_and_isn_not_the_table_hash);
  return zt_done();
}
