/** \file
 * Neighbors shared by stacks on one link: hooks for a group of stacks
 * with one address (shards, `znet/steer.h`), of which only one sees the
 * link's ARP and neighbor discovery.  That one (slot 0) resolves and
 * publishes what it learns (`learned`); the others resolve through it
 * (`wanted`), and are told the answer (zn_arp_learn(), zn_nd_learn()).
 * A stack alone on its link sets no hooks.
 *
 * Both hooks are table rows, called synchronously from inside the stack
 * (its input, its timers, the call that queued a datagram): they must not
 * call into the stack; they record and return (the caller acts later,
 * after the stack's poll).
 */
#ifndef ZNET_NEIGH_H
#define ZNET_NEIGH_H

#include <stdint.h>

#include "znet/addr.h"

struct zn_neigh_hooks {
  /** A neighbor's link address learnt from the link (a reply to our
   * request, a request or solicitation to us, an advertisement): for the
   * group's other stacks.  May be NULL. */
  void (*learned)(void *arg, const struct zn_ip *ip, const uint8_t mac[6]);
  /** Instead of a request or solicitation on the link (which would be
   * answered to another stack): ip is wanted.  The entry's timers run as
   * for a request sent (each retry calls again; the last one gives up).
   * May be NULL: requests go to the link. */
  void (*wanted)(void *arg, const struct zn_ip *ip);
  void *arg;
};

struct zn_stack;

/** The neighbor hooks of IPv6 neighbor discovery, copied; NULL: none.
 * (ARP's: zn_arp_set_hooks(), `znet/arp.h`.)  Nothing in a stack without
 * IPv6. */
void zn_nd_set_hooks(struct zn_stack *st, const struct zn_neigh_hooks *h);

/** ip (16 bytes) is at mac, as a solicited advertisement would say
 * (another stack of the group learnt it): the entry is made or updated
 * REACHABLE and the datagrams waiting for it are sent.  Errors:
 * ZN_EINVAL (no IPv6, an address that is not a unicast neighbor's, a
 * multicast or zero MAC), ZN_ENOMEM (cache full of busy entries). */
int zn_nd_learn(struct zn_stack *st, const uint8_t ip[16],
                const uint8_t mac[6]);

/** Resolve ip without a datagram: ZN_OK with *mac when the cache has an
 * address for it; else a solicitation is sent (or already outstanding)
 * and ZN_EINPROGRESS is returned, the answer coming as `learned`.
 * Errors: ZN_EINVAL, ZN_ENOMEM. */
int zn_nd_resolve(struct zn_stack *st, const uint8_t ip[16], uint8_t mac[6]);

#endif /* ZNET_NEIGH_H */
