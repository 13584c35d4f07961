/** \file
 * Keyed hashing.  SipHash-2-4 (Aumasson & Bernstein): a short-input PRF, so
 * tables keyed by a per-stack secret cannot be flooded into one bucket by
 * an attacker who picks addresses and ports.
 */
#ifndef ZNET_HASH_H
#define ZNET_HASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t zn_siphash24(const uint8_t key[16], const void *data, size_t len);

/** SipHash-1-3: fewer rounds (5 instead of 8 for a short input), for the
 * hash tables' bucket indexes, where an attacker sees no output and only
 * flooding one bucket is at stake (Linux's hsiphash and Python's string
 * hash make the same trade).  ISNs and SYN cookies keep SipHash-2-4. */
uint64_t zn_siphash13(const uint8_t key[16], const void *data, size_t len);

#endif /* ZNET_HASH_H */
