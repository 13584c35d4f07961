/*
 * The keyed hash of a peer's address, with its memo (struct zn_stack's
 * peer_memo_*): the call every datagram to a next hop makes, inline.
 */
#ifndef ZN_CORE_PEER_HASH_H
#define ZN_CORE_PEER_HASH_H

#include <stdint.h>

#include "core/stack_int.h"

/* The keyed hash of a peer's IPv4 address, 64 bits, for the tables a
 * datagram to it consults: ARP's bucket takes the low half, IPv4's ID
 * counter slot the high half (two independent halves of one PRF output),
 * so a datagram to a new next hop hashes its address once, not once per
 * table.  The hashes of the last few addresses are remembered, one per
 * memo slot, the slot chosen by the address's low bits: a host that
 * talks to a handful of neighbours in turn, or whose datagrams go to one
 * host through another, hashes each once, not once per datagram.  The
 * slot is no secret: an attacker who picks addresses only makes the memo
 * miss, which costs the hash it saves, no more.  zn__peer_hash_fill
 * computes a hash and remembers it (core/stack.c). */
static inline uint64_t zn__peer_hash(const struct zn_stack *st, uint32_t ip) {
  uint32_t i = ip & (ZN__PEER_MEMO - 1);
  return st->peer_memo_ip[i] == ip ? st->peer_memo_hash[i]
                                   : zn__peer_hash_fill(st, ip);
}

#endif
