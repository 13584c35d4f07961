/*
 * Initial sequence numbers (RFC 6528) and SYN cookies.
 *
 * ISN = M + F(local addr, local port, remote addr, remote port, key),
 * where M is a clock ticking every 4 µs and F is SipHash-2-4 under the
 * stack's secret key: unguessable off-path, and increasing for a given
 * 4-tuple so that a new incarnation starts above the old one's sequence
 * space.  The same hash's other half is the connection's TSval offset.
 *
 * SYN cookies let a listener whose SYN queue is full answer a SYN without
 * keeping state: everything needed to build the connection when the
 * final ACK arrives is encoded in our ISN (and, when the peer uses
 * timestamps, in the low bits of our TSval).
 */
#ifndef ZN_TCP_ISN_H
#define ZN_TCP_ISN_H

#include <stdbool.h>
#include <stdint.h>

#include "znet/addr.h"

struct zn__tcp_4tuple {
  struct zn_ip laddr, raddr; /* same family */
  uint16_t lport, rport;
};

/* RFC 6528 ISN at time now_ns. */
uint32_t zn__tcp_isn(const uint8_t key[16], const struct zn__tcp_4tuple *t,
                     uint64_t now_ns);

/* Our TSval offset for the tuple (RFC 7323 §5.4): a keyed hash, not a
 * fresh random number (as Linux's secure_tcp_ts_off), so that the connection a SYN cookie becomes
 * keeps the clock its SYN-ACK showed, or its TSvals would jump back and
 * fail the peer's PAWS.  The other half of the hash F comes from (see
 * tcp_isn.c), independent of it. */
uint32_t zn__tcp_ts_offset(const uint8_t key[16],
                           const struct zn__tcp_4tuple *t);

/* Both at once, for a new connection: the ISN at now_ns, and the TSval
 * offset in *ts_offset, from one hash. */
uint32_t zn__tcp_isn_ts(const uint8_t key[16], const struct zn__tcp_4tuple *t,
                        uint64_t now_ns, uint32_t *ts_offset);

/* SYN cookie timing: a counter ticking every 64 s; a cookie made during
 * tick c is accepted while the current tick is c or c + 1, i.e. for at
 * least 64 s and at most 128 s (about 2 minutes) after it was made. */
#define ZN__SYNCOOKIE_TICK_NS 64000000000ull
#define ZN__SYNCOOKIE_MAX_AGE 1u /* ticks */

#define ZN__SYNCOOKIE_WSCALE_NONE 0xff

/* What a SYN asked for and a cookie carries back. */
struct zn__syncookie_opts {
  uint16_t mss;       /* peer's MSS; a cookie keeps the largest value of
                         {536, 1300, 1380, 1440, 1452, 1460, 4312, 8960}
                         not above it (536 if it is below them all) */
  uint8_t wscale;     /* peer's window scale 0..14, or 0xff: none (make
                         treats 15..254 as 14, RFC 7323 §2.3) */
  bool sack;          /* SACK-permitted */
  bool ts;            /* timestamps (needed to carry wscale and sack) */
};

/* Our ISN for a SYN from the peer (peer_isn = its SEQ) answered by a
 * cookie at time now_ns.  If opts->ts, *tsval receives our TSval with
 * wscale and sack encoded in its low 6 bits (ts_clock gives the other
 * bits; the TSval is never above ts_clock and lags it by at most 63
 * units, so our later TSvals, read from ts_clock, do not go backwards);
 * otherwise tsval is not touched and may be NULL.  Without timestamps
 * wscale and sack cannot be carried and the connection will run without
 * them.  Layout of the cookie and the TSval: see tcp_isn.c. */
uint32_t zn__syncookie_make(const uint8_t key[16],
                            const struct zn__tcp_4tuple *t, uint32_t peer_isn,
                            const struct zn__syncookie_opts *opts,
                            uint64_t now_ns, uint32_t ts_clock,
                            uint32_t *tsval);

/* Check the ACK completing a cookie handshake: cookie = its ACK - 1,
 * peer_isn = its SEQ - 1; tsecr is its echoed timestamp if has_ts.
 * Cookies are accepted for 64 to 128 s (ZN__SYNCOOKIE_MAX_AGE above).
 * Returns true and fills *opts (mss; wscale/sack/ts from tsecr if has_ts,
 * else wscale none, no sack, ts false) or false, leaving *opts untouched
 * (forged, expired, from the future, or has_ts with a tsecr that is not
 * one of our cookie TSvals).  A random cookie passes with probability
 * 2^-28. */
bool zn__syncookie_check(const uint8_t key[16], const struct zn__tcp_4tuple *t,
                         uint32_t cookie, uint32_t peer_isn, bool has_ts,
                         uint32_t tsecr, uint64_t now_ns,
                         struct zn__syncookie_opts *opts);

#endif
