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

#endif /* ZNET_NEIGH_H */
