/*
 * What the files of src/dhcp4 share and nothing else includes: dhcp4.c
 * (the state machine, its timers, input, the public calls), dhcp4_msg.c
 * (the messages the client sends, and its ARP probes) and dhcp4_lease.c
 * (reading offers and ACKs, applying and removing a lease).  Other
 * modules use dhcp4_int.h.
 */
#ifndef ZN_DHCP4_PRIV_H
#define ZN_DHCP4_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "core/stack_int.h"
#include "dhcp4/dhcp4_int.h"
#include "ipv4/ipv4_int.h"

#define MS 1000000ull
#define SEC 1000000000ull
#define NEVER UINT64_MAX

/* ---- dhcp4_msg.c ------------------------------------------------------ */

/* The message of the client's state, sent as RFC 2131 4.4.4 says: the
 * DISCOVER of SELECTING; the REQUEST of REQUESTING, REBOOTING (broadcast,
 * from 0.0.0.0), RENEWING (unicast to the server) or REBINDING
 * (broadcast, from our address).  Counted (dhcp4_*_tx, or dhcp4_tx_fail
 * when no buffer or route). */
void zn__dhcp4_send_discover(struct zn_stack *st);
void zn__dhcp4_send_request(struct zn_stack *st);
/* DHCPDECLINE of `addr` to `server`, broadcast from 0.0.0.0 (4.4.1). */
void zn__dhcp4_send_decline(struct zn_stack *st, uint32_t addr,
                            uint32_t server);
/* DHCPRELEASE of the lease in use, unicast to its server (4.4.6). */
void zn__dhcp4_send_release(struct zn_stack *st);
/* An RFC 5227 2.1.1 probe: an ARP request for `target` from our MAC and
 * sender address 0.0.0.0, broadcast. */
void zn__dhcp4_send_probe(struct zn_stack *st, uint32_t target);

/* ---- dhcp4_lease.c ---------------------------------------------------- */

/* An OFFER's address and server identifier, if both are usable. */
bool zn__dhcp4_read_offer(const struct zn_stack *st,
                          const struct zn_dhcp4_view *v, uint32_t *addr,
                          uint32_t *server);
/* The server identifier of a reply, 0 if it has none usable. */
uint32_t zn__dhcp4_server_id(const struct zn_stack *st,
                             const struct zn_dhcp4_view *v);
/* Read an ACK into *l (start: when its REQUEST went).  False if it
 * grants no usable lease (no usable address, lease time or server id);
 * options that are present but unusable are ignored and counted. */
bool zn__dhcp4_read_lease(struct zn_stack *st, const struct zn_dhcp4_view *v,
                          uint64_t start, struct zn__dhcp4_lease *l);
/* The lease's deadlines (ns; NEVER for an infinite lease). */
uint64_t zn__dhcp4_t1_at(const struct zn__dhcp4_lease *l);
uint64_t zn__dhcp4_t2_at(const struct zn__dhcp4_lease *l);
uint64_t zn__dhcp4_expires_at(const struct zn__dhcp4_lease *l);
/* Make l the stack's IPv4 configuration (address, prefix, gateway, MTU),
 * touching only what differs from what is applied. */
void zn__dhcp4_apply(struct zn_stack *st, const struct zn__dhcp4_lease *l);
/* Remove the address and give the netif its MTU back. */
void zn__dhcp4_unapply(struct zn_stack *st);
/* l as the public API shows it, in state `state`. */
void zn__dhcp4_report(const struct zn_stack *st,
                      const struct zn__dhcp4_lease *l, uint8_t state,
                      struct zn_dhcp4_lease *out);

#endif
