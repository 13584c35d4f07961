/*
 * RFC 6528 initial sequence numbers and SYN cookies.
 *
 * Every keyed hash here is SipHash-2-4 over explicitly serialized bytes:
 * a one-byte domain, then the 4-tuple in a fixed order, big-endian
 *
 *     domain | laddr (4) | lport (2) | raddr (4) | rport (2) [| extra]
 *
 * for IPv4, and the same with the 16 bytes of each address for IPv6 (the
 * two lengths keep the families apart), so no struct padding or host byte
 * order reaches the hash.  (An IPv4 tuple's 13 bytes go to the hash as
 * two words built from the fields, core/hash_int.h: the same bytes, the
 * same hash, without the stores and loads.)  Distinct domains keep the
 * ISN offset and the two cookie hashes from ever hashing the same input,
 * and the other uses of the same key (the stack's hash_key) hash other
 * inputs under another function: SipHash-1-3 of the 4-tuple without a
 * domain byte (12 or 36 bytes: the connection table, tcp.c, whose low
 * half chooses the chain and whose high half seeds the connection's IPv4
 * IDs), of an address and a word (8 bytes, zn__hash32; 21 for IPv6,
 * zn__inet_hash) and of a peer's address (5 bytes, zn__peer_hash).
 * Knowing one says nothing about another: a peer, who sees its own ISN,
 * TSvals and IDs, learns nothing of the table hash its tuple is filed
 * under.
 *
 * The ISN domain's 64-bit hash gives two offsets of the tuple: its low
 * 32 bits are RFC 6528's F (ISN = M + F), its high 32 bits our TSval
 * offset (RFC 7323 §5.4, zn__tcp_ts_offset).  The halves of a PRF's
 * output are independent of each other: a peer, who sees both for its
 * own tuple (its ISN and TSvals, less the clocks), learns nothing of
 * either for any other tuple, and a connection pays for one SipHash-2-4
 * where it paid for two.
 *
 * SYN cookie (our ISN), all sums modulo 2^32:
 *
 *     cookie = H1 + peer_isn + (count << 24) + (MAC << 3 | mss_idx)
 *
 *     H1      = low 32 bits of SipHash(key, 0x01 | tuple)
 *     MAC     = low 21 bits of SipHash(key, 0x02 | tuple | peer_isn (4) |
 *                                      count (8) | mss_idx (1))
 *     count   = now_ns / 64 s (the full 64-bit value in MAC, its low
 *               8 bits in the top byte of the cookie)
 *     mss_idx = index into mss_table (3 bits, 0..7, all valid)
 *
 * This is the classic layout (H1 hides the count; count and peer_isn are
 * added in; a second hash checks the rest) with one change: the MSS index
 * is an input of the second hash and sits beside it rather than being
 * added to it.  With hash + index, flipping a low bit of the cookie or
 * adding 1 to the peer's ISN moves the index to a neighbouring, equally
 * valid one, and the forged ACK is accepted with another MSS; here any
 * change to the index changes the MAC it must match.
 *
 * Check: subtracting H1 and peer_isn leaves count's low 8 bits in the top
 * byte; they must be the current tick or the one before
 * (ZN__SYNCOOKIE_MAX_AGE), which also refuses cookies from the future.
 * The full count is rebuilt from the current one, and the MAC recomputed
 * with the index from the low 3 bits must equal bits 3..23.  A random
 * cookie passes the age test with probability 2/256 and the MAC with
 * 2^-21: 2^-28 overall.
 *
 * With timestamps, our TSval in the SYN-ACK carries the peer's options in
 * its low 6 bits (the peer echoes it as TSecr in the ACK):
 *
 *     bit 5     always 1 (marks a cookie TSval)
 *     bit 4     SACK-permitted
 *     bits 0-3  peer's window scale 0..14, 15 = none
 *
 * the upper 26 bits come from ts_clock.  These bits are not authenticated:
 * the peer can only change the options of its own connection.
 *
 * A cookie ISN does not increase with time for a given tuple the way an
 * RFC 6528 ISN does; like every SYN cookie scheme, it trades that for
 * keeping no state.
 */
#include "tcp/tcp_isn.h"

#include <string.h>

#include "core/hash_int.h"
#include "znet/hash.h"

enum {
  ISN_DOMAIN = 0x00,
  COOKIE_DOMAIN_H1 = 0x01,
  COOKIE_DOMAIN_MAC = 0x02,
};

#define TUPLE_BYTES 36u /* the longest: two IPv6 addresses, two ports */
#define ISN_TICK_NS 4000u /* RFC 6528's 4 µs timer */

/* Ascending; the index of the largest entry not above the peer's MSS
 * goes into the cookie.  Common path MSS values: 536 (RFC 9293 default),
 * 1300/1380/1440 (tunnels, VPNs), 1452 (PPPoE), 1460 (Ethernet), 4312,
 * 8960 (jumbo frames). */
static const uint16_t mss_table[] = {536, 1300, 1380, 1440,
                                     1452, 1460, 4312, 8960};
#define MSS_COUNT ((uint32_t)(sizeof(mss_table) / sizeof(mss_table[0])))
#define IDX_BITS 3u
#define IDX_MASK ((1u << IDX_BITS) - 1u)
#define MAC_MASK (0x00ffffffu >> IDX_BITS)
_Static_assert(MSS_COUNT == 1u << IDX_BITS, "every index is a table entry");

#define TS_BITS 6u
#define TS_MASK ((1u << TS_BITS) - 1u)
#define TS_MARK 0x20u
#define TS_SACK 0x10u
#define TS_WSCALE_MASK 0x0fu
#define TS_WSCALE_NONE 0x0fu
#define WSCALE_MAX 14u

static void put_be32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

static void put_be16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

/* Writes domain | tuple into buf[0 .. 1 + TUPLE_BYTES) and returns the
 * bytes written (13 for IPv4, 37 for IPv6).  (The addresses are copied by
 * family, each copy of a constant size the compiler writes inline.) */
static size_t put_tuple(uint8_t *buf, uint8_t domain,
                        const struct zn__tcp_4tuple *t) {
  buf[0] = domain;
  if (t->laddr.family != ZN_AF_INET6) {
    memcpy(buf + 1, t->laddr.bytes, 4);
    put_be16(buf + 5, t->lport);
    memcpy(buf + 7, t->raddr.bytes, 4);
    put_be16(buf + 11, t->rport);
    return 13;
  }
  memcpy(buf + 1, t->laddr.bytes, 16);
  put_be16(buf + 17, t->lport);
  memcpy(buf + 19, t->raddr.bytes, 16);
  put_be16(buf + 35, t->rport);
  return 37;
}

/* SipHash-2-4 of domain | tuple.  An IPv4 tuple's 13 bytes are the two
 * words of core/hash_int.h, built from the fields (the same bytes
 * put_tuple writes, not stored to be loaded back); an IPv6 tuple is
 * serialized. */
static inline uint64_t tuple_hash24(const uint8_t key[16], uint8_t domain,
                             const struct zn__tcp_4tuple *t) {
  if (t->laddr.family != ZN_AF_INET6) {
    uint64_t ra = zn__sip_le32(t->raddr.bytes);
    uint64_t w0 = domain | zn__sip_le32(t->laddr.bytes) << 8 |
                  zn__sip_be16(t->lport) << 40 | ra << 56;
    uint64_t tail = ra >> 8 | zn__sip_be16(t->rport) << 24;
    return zn__siphash24_w2(key, w0, tail, 13);
  }
  uint8_t in[1 + TUPLE_BYTES];
  size_t n = put_tuple(in, domain, t);
  return zn_siphash24(key, in, n);
}

/* The ISN domain's hash of the tuple: F in its low half, the TSval
 * offset in its high half. */
static uint64_t isn_hash(const uint8_t key[16],
                         const struct zn__tcp_4tuple *t) {
  return tuple_hash24(key, ISN_DOMAIN, t);
}

static uint32_t isn_at(uint64_t h, uint64_t now_ns) {
  uint32_t m = (uint32_t)(now_ns / ISN_TICK_NS); /* truncated: wraps */
  return m + (uint32_t)h;
}

uint32_t zn__tcp_isn(const uint8_t key[16], const struct zn__tcp_4tuple *t,
                     uint64_t now_ns) {
  return isn_at(isn_hash(key, t), now_ns);
}

uint32_t zn__tcp_isn_ts(const uint8_t key[16], const struct zn__tcp_4tuple *t,
                        uint64_t now_ns, uint32_t *ts_offset) {
  uint64_t h = isn_hash(key, t);
  *ts_offset = (uint32_t)(h >> 32);
  return isn_at(h, now_ns);
}

uint32_t zn__tcp_ts_offset(const uint8_t key[16],
                           const struct zn__tcp_4tuple *t) {
  return (uint32_t)(isn_hash(key, t) >> 32);
}

static uint32_t cookie_h1(const uint8_t key[16],
                          const struct zn__tcp_4tuple *t) {
  return (uint32_t)tuple_hash24(key, COOKIE_DOMAIN_H1, t);
}

/* The 21-bit MAC. */
static uint32_t cookie_mac(const uint8_t key[16],
                           const struct zn__tcp_4tuple *t, uint32_t peer_isn,
                           uint64_t count, uint32_t mss_idx) {
  uint8_t in[1 + TUPLE_BYTES + 4 + 8 + 1];
  size_t n = put_tuple(in, COOKIE_DOMAIN_MAC, t);
  uint8_t *p = in + n;
  put_be32(p, peer_isn);
  put_be32(p + 4, (uint32_t)(count >> 32));
  put_be32(p + 8, (uint32_t)count);
  p[12] = (uint8_t)mss_idx;
  return (uint32_t)zn_siphash24(key, in, n + 13) & MAC_MASK;
}

static uint32_t mss_index(uint16_t mss) {
  uint32_t i = MSS_COUNT - 1;
  while (i > 0 && mss_table[i] > mss)
    i--;
  return i; /* below the smallest entry: entry 0 */
}

/* Our TSval: ts_clock with its low 6 bits replaced by the options, moved
 * back one 64-unit block if that would put it above ts_clock, so it lags
 * ts_clock by 0..63 units and never leads it. */
static uint32_t ts_encode(const struct zn__syncookie_opts *o,
                          uint32_t ts_clock) {
  uint32_t ws = o->wscale == ZN__SYNCOOKIE_WSCALE_NONE ? TS_WSCALE_NONE
                : o->wscale > WSCALE_MAX               ? WSCALE_MAX
                                                       : o->wscale;
  uint32_t bits = TS_MARK | (o->sack ? TS_SACK : 0u) | ws;
  uint32_t ts = (ts_clock & ~TS_MASK) | bits;
  if (bits > (ts_clock & TS_MASK))
    ts -= 1u << TS_BITS;
  return ts;
}

uint32_t zn__syncookie_make(const uint8_t key[16],
                            const struct zn__tcp_4tuple *t, uint32_t peer_isn,
                            const struct zn__syncookie_opts *opts,
                            uint64_t now_ns, uint32_t ts_clock,
                            uint32_t *tsval) {
  uint64_t count = now_ns / ZN__SYNCOOKIE_TICK_NS;
  uint32_t idx = mss_index(opts->mss);
  uint32_t low = cookie_mac(key, t, peer_isn, count, idx) << IDX_BITS | idx;
  if (opts->ts)
    *tsval = ts_encode(opts, ts_clock);
  return cookie_h1(key, t) + peer_isn + ((uint32_t)count << 24) + low;
}

bool zn__syncookie_check(const uint8_t key[16], const struct zn__tcp_4tuple *t,
                         uint32_t cookie, uint32_t peer_isn, bool has_ts,
                         uint32_t tsecr, uint64_t now_ns,
                         struct zn__syncookie_opts *opts) {
  uint64_t now_count = now_ns / ZN__SYNCOOKIE_TICK_NS;
  uint32_t v = cookie - cookie_h1(key, t) - peer_isn;
  /* Age in ticks from the low 8 bits of count; a cookie from the future
   * wraps to a large age.  No cookie predates tick 0. */
  uint32_t age = ((uint32_t)now_count - (v >> 24)) & 0xffu;
  if (age > ZN__SYNCOOKIE_MAX_AGE || age > now_count)
    return false;
  uint32_t idx = v & IDX_MASK;
  if (cookie_mac(key, t, peer_isn, now_count - age, idx) !=
      ((v & 0x00ffffffu) >> IDX_BITS))
    return false;
  if (has_ts && !(tsecr & TS_MARK))
    return false; /* the peer did not echo one of our cookie TSvals */

  opts->mss = mss_table[idx];
  if (has_ts) {
    uint32_t ws = tsecr & TS_WSCALE_MASK;
    opts->wscale = ws == TS_WSCALE_NONE ? ZN__SYNCOOKIE_WSCALE_NONE
                                        : (uint8_t)ws;
    opts->sack = (tsecr & TS_SACK) != 0;
    opts->ts = true;
  } else {
    opts->wscale = ZN__SYNCOOKIE_WSCALE_NONE;
    opts->sack = false;
    opts->ts = false;
  }
  return true;
}
