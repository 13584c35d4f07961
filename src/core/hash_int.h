/*
 * SipHash (znet/hash.h) of the short inputs of a fixed shape that every
 * connection or datagram hashes: an IPv4 4-tuple (12 or 13 bytes), an
 * address (5 bytes), two words (8 bytes).  The caller passes the message
 * as its little-endian 64-bit words, built in registers from the fields,
 * rather than serializing bytes for the hash to load back; the rounds
 * run straight through, with no loop over a length.  The result is
 * SipHash of the byte string the words spell, bit for bit: w0 holds
 * its first eight bytes (byte i in bits 8i..8i+7), tail the bytes after
 * them (all of them for _w1) in its low bytes, zero above, and len is
 * the string's length, 8..15 for _w2, 0..7 for _w1.  (tests/core holds
 * them to the byte-string functions on every such length.)
 */
#ifndef ZN_CORE_HASH_INT_H
#define ZN_CORE_HASH_INT_H

#include <stdint.h>
#include <string.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define ZN__SIP_NATIVE_BE 1
#else
#define ZN__SIP_NATIVE_BE 0
#endif

uint64_t zn__siphash13_w1(const uint8_t key[16], uint64_t tail, uint32_t len);
uint64_t zn__siphash13_w2(const uint8_t key[16], uint64_t w0, uint64_t tail,
                          uint32_t len);
uint64_t zn__siphash24_w2(const uint8_t key[16], uint64_t w0, uint64_t tail,
                          uint32_t len);

/* The four bytes at p (an address, network order) as a little-endian
 * number: the bits they put into a word of the message. */
static inline uint64_t zn__sip_le32(const uint8_t *p) {
  uint32_t v;
  memcpy(&v, p, sizeof(v));
  return ZN__SIP_NATIVE_BE ? __builtin_bswap32(v) : v;
}

/* A 16-bit field written big-endian (a port), read as a little-endian
 * number: its two bytes swapped, whatever the host's order. */
static inline uint64_t zn__sip_be16(uint16_t v) {
  return (uint16_t)(v << 8 | v >> 8);
}

#endif
