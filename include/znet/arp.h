/** \file
 * ARP (RFC 826) for one Ethernet interface.
 *
 * Cache policy (what a received ARP packet may change):
 *  - A reply is accepted only for an address we have an outstanding
 *    request for (an INCOMPLETE entry), or to confirm a REACHABLE/STALE
 *    entry we are probing.  Unsolicited replies never create or overwrite
 *    an entry (counted as arp_drop_unsolicited): this is what stops a blind
 *    ARP spoofer from redirecting traffic by spraying replies.
 *  - A request whose target is our address creates or refreshes the
 *    sender's entry (RFC 826 "merge" for the case the sender is about to
 *    talk to us; Linux does the same).
 *  - Gratuitous ARP from others (requests or replies for a third address)
 *    is ignored.  A packet whose sender claims our own address is counted
 *    as arp_conflict and ignored.
 *  - Static entries (zn_arp_add_static) are never changed by the network.
 *
 * Entries age: REACHABLE for arp_reachable_ms after the last confirmation,
 * then STALE; a STALE entry used to send is re-probed by unicast request
 * (up to arp_retries times) while it keeps serving traffic, and is removed
 * when probing fails.  An unresolved address queues up to arp_pending
 * frames; requests repeat after arp_retry_ms, doubling, arp_retries times,
 * then the queued frames are dropped (arp_drop_unresolved).
 */
#ifndef ZNET_ARP_H
#define ZNET_ARP_H

#include <stdbool.h>
#include <stdint.h>

#include "znet/neigh.h"

struct zn_stack;

/** Add or replace a permanent entry.  Errors: ZN_EINVAL (0 address or
 * multicast MAC), ZN_ENOMEM (cache full of static entries). */
int zn_arp_add_static(struct zn_stack *st, uint32_t ip, const uint8_t mac[6]);

/** Remove an entry (static or learned); frames queued on it are dropped.
 * Errors: ZN_ENOENT. */
int zn_arp_remove(struct zn_stack *st, uint32_t ip);

/** Look up a resolved entry.  Errors: ZN_ENOENT (absent or unresolved). */
int zn_arp_lookup(const struct zn_stack *st, uint32_t ip, uint8_t mac[6]);

/** Send a gratuitous ARP request announcing our address now. */
int zn_arp_announce(struct zn_stack *st);

/** The neighbor hooks of ARP (`znet/neigh.h`), copied; NULL: none. */
void zn_arp_set_hooks(struct zn_stack *st, const struct zn_neigh_hooks *h);

/** ip is at mac, as a reply to a request of ours would say (another stack
 * of the group learnt it): the entry is made or updated REACHABLE and the
 * datagrams waiting for it are sent.  Not published again (`learned`).
 * Errors: ZN_EINVAL (0 or a multicast MAC, an address that is not a
 * host's), ZN_EEXIST (a static entry, unchanged), ZN_ENOMEM (cache full of
 * busy entries). */
int zn_arp_learn(struct zn_stack *st, uint32_t ip, const uint8_t mac[6]);

/** Resolve ip without a datagram to send: ZN_OK with *mac when the cache
 * knows it (REACHABLE, STALE, PROBE or STATIC); else a request is sent (or
 * already outstanding) and ZN_EINPROGRESS is returned, the answer coming
 * as the `learned` hook.  Errors: ZN_EINVAL (not a host's address),
 * ZN_ENOMEM (cache full). */
int zn_arp_resolve(struct zn_stack *st, uint32_t ip, uint8_t mac[6]);

enum zn_arp_state {
  ZN_ARP_FREE = 0,
  ZN_ARP_INCOMPLETE, /**< request sent, no answer yet */
  ZN_ARP_REACHABLE,  /**< confirmed within arp_reachable_ms */
  ZN_ARP_STALE,      /**< usable, will be re-probed on use */
  ZN_ARP_PROBE,      /**< stale and being re-probed */
  ZN_ARP_STATIC,
};

struct zn_arp_entry_info {
  uint32_t ip;
  uint8_t mac[6];
  enum zn_arp_state state;
  uint32_t pending;      /**< frames queued */
  uint64_t expires;      /**< ns; next state change */
};

/** Visit every entry in use; stop early if fn returns false. */
void zn_arp_foreach(const struct zn_stack *st,
                    bool (*fn)(void *arg, const struct zn_arp_entry_info *e),
                    void *arg);

#endif /* ZNET_ARP_H */
