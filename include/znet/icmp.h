/** \file
 * ICMP (RFC 792, RFC 1122 §3.2.2).
 *
 * The stack answers echo requests itself (cfg.icmp_echo), building the
 * reply in place in the request's buffer.  Applications can also send echo
 * requests and receive the replies (a ping client).
 */
#ifndef ZNET_ICMP_H
#define ZNET_ICMP_H

#include <stddef.h>
#include <stdint.h>

#include "znet/addr.h"

struct zn_stack;

struct zn_icmp_echo {
  uint32_t from;        /**< source of the reply */
  uint16_t id, seq;
  uint8_t ttl;
  const uint8_t *data;  /**< valid during the callback only */
  size_t len;
};

typedef void (*zn_icmp_echo_cb)(struct zn_stack *st, void *arg,
                                const struct zn_icmp_echo *reply);

/** Deliver echo replies to cb (NULL to stop). */
void zn_icmp_set_echo_reply_cb(struct zn_stack *st, zn_icmp_echo_cb cb,
                               void *arg);

/** Send an echo request with len bytes of data (fragmented if larger than
 * the MTU allows).  To 127.0.0.0/8 it is looped back inside the stack,
 * from 127.0.0.1, with or without an address configured.  Errors:
 * ZN_ENOBUFS, ZN_EHOSTUNREACH (no route, or to 0/8 or 240/4),
 * ZN_EADDRNOTAVAIL (no address configured), ZN_EMSGSIZE (> 65507). */
int zn_icmp_echo_send(struct zn_stack *st, uint32_t dst, uint16_t id,
                      uint16_t seq, const void *data, size_t len);

/** An ICMPv6 echo reply (RFC 4443 §4.2), as zn_icmp6_echo_cb sees it. */
struct zn_icmp6_echo {
  struct zn_ip from;    /**< source of the reply (IPv6) */
  uint16_t id, seq;
  uint8_t hlim;         /**< hop limit it arrived with */
  const uint8_t *data;  /**< valid during the callback only */
  size_t len;
};

/** Called for each ICMPv6 echo reply received. */
typedef void (*zn_icmp6_echo_cb)(struct zn_stack *st, void *arg,
                                 const struct zn_icmp6_echo *reply);

/** Deliver ICMPv6 echo replies to cb (NULL to stop). */
void zn_icmp6_set_echo_reply_cb(struct zn_stack *st, zn_icmp6_echo_cb cb,
                                void *arg);

/** Send an ICMPv6 echo request (RFC 4443 §4.1) to dst with len bytes of
 * data, fragmented to the path MTU if larger.  The source is chosen by
 * RFC 6724 rules.  Errors: ZN_EINVAL (dst not IPv6, or IPv6 off),
 * ZN_ENOBUFS, ZN_EHOSTUNREACH (no route), ZN_EADDRNOTAVAIL (no usable
 * address), ZN_EMSGSIZE (> 65527 bytes of data). */
int zn_icmp6_echo_send(struct zn_stack *st, const struct zn_ip *dst,
                       uint16_t id, uint16_t seq, const void *data,
                       size_t len);

#endif /* ZNET_ICMP_H */
