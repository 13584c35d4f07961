/*
 * The steering rule's step 1 and its bucket, in C (znet/steer.h).  The
 * eBPF program of tap_steer.c is the same rule in the kernel's
 * instructions: change one, change the other (test_steer runs both over
 * the shared traces and random frames and compares).
 */
#include "znet/steer.h"

#include <string.h>

#define ETH_HLEN 14

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

static uint32_t rd32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
         p[3];
}

/* The ports of a TCP or UDP header at l4 (peer's first, as the peer sent
 * it; swapped for a quoted segment, which we sent). */
static bool ports_at(const uint8_t *frame, size_t len, size_t l4, bool ours,
                     struct zn_steer_key *k) {
  if (l4 + 4 > len)
    return false;
  uint16_t src = rd16(frame + l4), dst = rd16(frame + l4 + 2);
  k->peer_port = ours ? dst : src;
  k->local_port = ours ? src : dst;
  return true;
}

static bool is_l4(uint8_t proto) { return proto == 6 || proto == 17; }

/* An IPv4 header at off: its length, or 0 if it is not one we can read
 * ports behind (too short, options bad, a fragment). */
static size_t ipv4_hlen(const uint8_t *frame, size_t len, size_t off) {
  if (off + 20 > len)
    return 0;
  size_t ihl = (size_t)(frame[off] & 0xf) * 4;
  if (ihl < 20 || (rd16(frame + off + 6) & 0x3fff) != 0)
    return 0;
  return ihl;
}

static enum zn_steer_kind ipv4_error(const uint8_t *frame, size_t len,
                                     size_t l4, struct zn_steer_key *k) {
  if (l4 + 1 > len)
    return ZN_STEER_OTHER;
  uint8_t type = frame[l4];
  if (type != 3 && type != 11 && type != 12)
    return ZN_STEER_OTHER;
  size_t in = l4 + 8; /* the quoted header */
  if (in + 20 > len)
    return ZN_STEER_OTHER;
  size_t ihl = (size_t)(frame[in] & 0xf) * 4;
  k->proto = frame[in + 9];
  if (ihl < 20 || !is_l4(k->proto))
    return ZN_STEER_OTHER;
  k->peer[0] = rd32(frame + in + 16); /* we sent it: its destination */
  return ports_at(frame, len, in + ihl, true, k) ? ZN_STEER_ERROR
                                                 : ZN_STEER_OTHER;
}

static enum zn_steer_kind ipv4_key(const uint8_t *frame, size_t len,
                                   struct zn_steer_key *k) {
  size_t ihl = ipv4_hlen(frame, len, ETH_HLEN);
  if (ihl == 0)
    return ZN_STEER_OTHER;
  k->family = 4;
  uint8_t proto = frame[ETH_HLEN + 9];
  if (proto == 1)
    return ipv4_error(frame, len, ETH_HLEN + ihl, k);
  if (!is_l4(proto))
    return ZN_STEER_OTHER;
  k->proto = proto;
  k->peer[0] = rd32(frame + ETH_HLEN + 12);
  return ports_at(frame, len, ETH_HLEN + ihl, false, k) ? ZN_STEER_FLOW
                                                        : ZN_STEER_OTHER;
}

static void ipv6_addr(const uint8_t *p, uint32_t out[4]) {
  for (size_t i = 0; i < 4; i++)
    out[i] = rd32(p + 4 * i);
}

static enum zn_steer_kind ipv6_error(const uint8_t *frame, size_t len,
                                     size_t l4, struct zn_steer_key *k) {
  if (l4 + 1 > len)
    return ZN_STEER_OTHER;
  uint8_t type = frame[l4];
  if (type < 1 || type > 4)
    return ZN_STEER_OTHER;
  size_t in = l4 + 8; /* the quoted IPv6 header */
  if (in + 40 > len)
    return ZN_STEER_OTHER;
  k->proto = frame[in + 6];
  if (!is_l4(k->proto))
    return ZN_STEER_OTHER;
  ipv6_addr(frame + in + 24, k->peer); /* we sent it: its destination */
  return ports_at(frame, len, in + 40, true, k) ? ZN_STEER_ERROR
                                                : ZN_STEER_OTHER;
}

static enum zn_steer_kind ipv6_key(const uint8_t *frame, size_t len,
                                   struct zn_steer_key *k) {
  if (ETH_HLEN + 40 > len)
    return ZN_STEER_OTHER;
  k->family = 6;
  uint8_t next = frame[ETH_HLEN + 6];
  if (next == 58)
    return ipv6_error(frame, len, ETH_HLEN + 40, k);
  if (!is_l4(next))
    return ZN_STEER_OTHER;
  k->proto = next;
  ipv6_addr(frame + ETH_HLEN + 8, k->peer);
  return ports_at(frame, len, ETH_HLEN + 40, false, k) ? ZN_STEER_FLOW
                                                       : ZN_STEER_OTHER;
}

enum zn_steer_kind zn_steer_key_of_frame(const uint8_t *frame, size_t len,
                                         struct zn_steer_key *key) {
  memset(key, 0, sizeof(*key));
  enum zn_steer_kind kind = ZN_STEER_OTHER;
  if (frame != NULL && len >= ETH_HLEN) {
    uint16_t type = rd16(frame + 12);
    if (type == 0x0800)
      kind = ipv4_key(frame, len, key);
    else if (type == 0x86dd)
      kind = ipv6_key(frame, len, key);
  }
  if (kind == ZN_STEER_OTHER)
    memset(key, 0, sizeof(*key));
  return kind;
}

/* Multiply by 2^32 / phi and keep the top 8 bits: the eBPF program does
 * the same in 32-bit arithmetic. */
uint32_t zn_steer_bucket(const struct zn_steer_key *key) {
  uint32_t h = key->peer[0] ^ key->peer[1] ^ key->peer[2] ^ key->peer[3];
  h ^= (uint32_t)key->peer_port << 16 | key->local_port;
  return (uint32_t)(h * 0x9e3779b1u) >> 24;
}

void zn_steer_key_of_flow(struct zn_steer_key *key, uint8_t proto,
                          const struct zn_ip *peer, uint16_t peer_port,
                          uint16_t local_port) {
  memset(key, 0, sizeof(*key));
  struct zn_ip p = zn_ip_unmap(peer);
  key->proto = proto;
  key->peer_port = peer_port;
  key->local_port = local_port;
  if (p.family == ZN_AF_INET) {
    key->family = 4;
    key->peer[0] = zn_ip_v4(&p);
  } else {
    key->family = 6;
    ipv6_addr(p.bytes, key->peer);
  }
}
