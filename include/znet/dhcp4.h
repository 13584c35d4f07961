/** \file
 * DHCPv4 client (RFC 2131, options RFC 2132, RFC 3442; address conflict
 * detection RFC 5227).
 *
 * Turn it on in the stack's configuration, before zn_stack_create():
 *
 *     zn_config_default(&cfg);
 *     cfg.dhcp4.enable = true;                 // no cfg.ipv4_addr
 *     strcpy(cfg.dhcp4.hostname, "unikernel"); // optional: option 12
 *     ...
 *     zn_dhcp4_set_event_cb(st, on_lease, app); // optional
 *
 * The client starts at the stack's first zn_stack_poll() and runs on the
 * stack's clock, with no thread and no allocation: its state lives in the
 * stack's memory block and it holds one UDP socket of cfg.udp_socks,
 * bound to port 68.  It goes INIT -> SELECTING -> REQUESTING, checks the
 * address it is given with RFC 5227 ARP probes (PROBING), then applies it
 * as the stack's IPv4 address, prefix and gateway (as
 * zn_stack_set_ipv4() would, with the ARP module's announcements) and the
 * MTU of option 26 to the netif; renews at T1 (RENEWING, unicast to its
 * server), rebinds at T2 (REBINDING, broadcast), and removes the address
 * when the lease runs out.  With cfg.dhcp4.reboot_addr it starts in
 * INIT-REBOOT, asking for that address again (RFC 2131 3.2).
 *
 * Retransmissions follow RFC 2131 4.1: 4 s, 8 s, ... up to 64 s, each
 * +-1 s uniformly from the stack's CSPRNG; a REQUEST is sent four times
 * before going back to INIT (4.4.1: about 60 s).  In RENEWING and
 * REBINDING a REQUEST is repeated after half the time left until T2 or
 * the lease's end, at least 60 s (4.4.5).  The first DISCOVER waits a
 * random part of cfg.dhcp4.start_delay_ms (RFC 2131 4.4.1: 1 to 10 s by
 * default).  A NAK restarts at INIT after the same kind of delay, so a
 * server that refuses every request cannot make the client spin.  An
 * address found in use (an ARP from another host for it while probing)
 * is declined (DHCPDECLINE) and the client starts over 10 s later, or
 * 60 s later after 10 conflicts in a row (RFC 5227 2.1.1 rate limit).
 *
 * Every reply is checked before anything is read from it: its xid and
 * chaddr, the magic cookie, every option's length against its area
 * (options field, and file and sname when option 52 flags them), each
 * option used for its exact length and a sane value.  Whatever is
 * dropped is counted under a dhcp4_drop_* counter of znet/stats.h; an
 * option that is present but unusable is ignored and counted
 * (dhcp4_opt_ignored, dhcp4_mtu_ignored, dhcp4_times_fixed).
 *
 * Options used: subnet mask (1; without it, the address's classful mask),
 * router (3), DNS servers (6; zn_dhcp4_dns_server(), and the resolver asks
 * them when it has no server of its own), host name (12, sent), interface
 * MTU (26, only within 576 (1280 with IPv6 on, which shares the netif's
 * MTU)..the netif's own MTU), broadcast address (28,
 * reported), lease time (51), T1 and T2 (58, 59; 0.5 and 0.875 of the
 * lease when absent, and both replaced by those when not T1 < T2 <
 * lease), server identifier (54), classless static routes (121, RFC
 * 3442: when present option 3 is ignored).  The stack has one gateway, so
 * of option 121 only the default route (0/0) is applied, through a router
 * on the prefix or on the link: a /32 lease's router, or one that an
 * option 121 route to it alone through 0.0.0.0 puts there (Compute
 * Engine's leases); the other routes are counted (dhcp4_route_ignored,
 * and zn_dhcp4_lease's routes_ignored) and logged.  The client sends its
 * client identifier (61: cfg.dhcp4.client_id, or type 1 and the MAC, so
 * it is the same across restarts), a parameter request list (55) and the
 * maximum message size it takes (57).
 *
 * Not done: DHCPINFORM, relay agents' options, option 33 (classful static
 * routes, superseded by 121), the defence of a bound address against
 * later conflicts (RFC 5227 2.4: the ARP module counts arp_conflict and
 * keeps the address).
 */
#ifndef ZNET_DHCP4_H
#define ZNET_DHCP4_H

#include <stdbool.h>
#include <stdint.h>

#include "znet/addr.h"

struct zn_stack;

#define ZN_DHCP4_CLIENT_ID_MAX 64 /**< bytes of option 61 kept */
#define ZN_DHCP4_HOSTNAME_MAX 63  /**< characters of option 12 */
#define ZN_DHCP4_DNS_MAX 4        /**< DNS servers kept from option 6 */
/** cfg.dhcp4.start_delay_ms that zn_config_default() sets: RFC 2131
 * 4.4.1's "random time between one and ten seconds". */
#define ZN_DHCP4_START_DELAY_DEFAULT_MS 10000u
/** A lease time (seconds) that never runs out. */
#define ZN_DHCP4_INFINITE 0xffffffffu

/** The client's part of struct zn_config (znet/stack.h), cfg.dhcp4. */
struct zn_dhcp4_config {
  bool enable;             /**< run the client; cfg.ipv4_addr must be 0 */
  uint8_t client_id_len;   /**< 0: option 61 is type 1 and the MAC */
  uint8_t client_id[ZN_DHCP4_CLIENT_ID_MAX]; /**< option 61's value, as
                              sent (type byte first) */
  char hostname[ZN_DHCP4_HOSTNAME_MAX + 1]; /**< option 12, NUL-terminated,
                              letters, digits, '-' and '.'; "" sends none */
  uint32_t reboot_addr;    /**< an address a previous lease gave: start in
                              INIT-REBOOT asking for it; 0: start in INIT */
  uint32_t start_delay_ms; /**< the first message waits a random time in
                              [this / 10, this] ms (desynchronising hosts
                              that start together); 0: none */
};

/** The client's state (RFC 2131 4.4, figure 5).  PROBING is the address
 * check between the ACK and BOUND (RFC 2131 3.1 step 5, RFC 5227 2.1). */
enum zn_dhcp4_state {
  ZN_DHCP4_OFF = 0,     /**< not enabled, or stopped by zn_dhcp4_release */
  ZN_DHCP4_INIT,        /**< waiting to send the first DISCOVER */
  ZN_DHCP4_SELECTING,   /**< DISCOVER sent, waiting for an offer */
  ZN_DHCP4_REQUESTING,  /**< REQUEST for an offer sent */
  ZN_DHCP4_PROBING,     /**< ACKed; ARP probes for the address */
  ZN_DHCP4_BOUND,       /**< the address is in use */
  ZN_DHCP4_RENEWING,    /**< past T1: REQUESTs unicast to the server */
  ZN_DHCP4_REBINDING,   /**< past T2: REQUESTs broadcast */
  ZN_DHCP4_INIT_REBOOT, /**< waiting to ask for the remembered address */
  ZN_DHCP4_REBOOTING,   /**< REQUEST for the remembered address sent */
};

/** The state's name as RFC 2131 writes it ("INIT-REBOOT"); "?" for a
 * value out of range.  Never NULL. */
const char *zn_dhcp4_state_name(enum zn_dhcp4_state s);

/** The client's state. */
enum zn_dhcp4_state zn_dhcp4_state(const struct zn_stack *st);

/** A lease as zn_dhcp4_lease() reports it.  Times are the stack's (ns,
 * zn_stack_now()); the *_left_s fields are the same seen from the
 * latest poll, in whole seconds (0 once passed, ZN_DHCP4_INFINITE for an
 * infinite lease). */
struct zn_dhcp4_lease {
  uint8_t state;           /**< enum zn_dhcp4_state */
  uint32_t addr;           /**< our address */
  uint8_t prefix;          /**< from option 1 */
  uint32_t router;         /**< the gateway applied; 0: none */
  uint32_t server;         /**< server identifier (option 54) */
  uint32_t bcast;          /**< option 28 if valid, else the directed
                              broadcast of the prefix */
  uint32_t mtu;            /**< option 26 as applied; 0: none */
  uint32_t dns[ZN_DHCP4_DNS_MAX]; /**< option 6, in the server's order */
  uint8_t ndns;
  uint32_t routes_ignored; /**< option 121 routes not applied */
  uint32_t lease_s, t1_s, t2_s; /**< as granted (ZN_DHCP4_INFINITE) */
  uint64_t t1_at, t2_at, expires_at; /**< ns; ZN_TIME_NEVER: never */
  uint32_t lease_left_s, t1_left_s, t2_left_s;
};

/** The lease in use (BOUND, RENEWING or REBINDING).  Errors: ZN_ENOENT
 * (no lease now: out->state is still written, the rest zeroed). */
int zn_dhcp4_lease(const struct zn_stack *st, struct zn_dhcp4_lease *out);

/** The i-th DNS server of the lease in use, as struct zn_ip (IPv4).
 * Errors: ZN_ENOENT (no lease, or fewer than i + 1 servers); *out
 * unwritten then. */
int zn_dhcp4_dns_server(const struct zn_stack *st, uint32_t i,
                        struct zn_ip *out);

/** What happened to the address. */
enum zn_dhcp4_event {
  ZN_DHCP4_EV_BOUND = 1, /**< a lease was acquired: the address is in use */
  ZN_DHCP4_EV_RENEWED,   /**< the lease was extended (same address; the
                            other parameters may have changed) */
  ZN_DHCP4_EV_LOST,      /**< the address was removed: the lease ran out,
                            a NAK, or zn_dhcp4_release() */
};

/** Called from inside zn_stack_poll() (or zn_dhcp4_release()) after the
 * stack's address changed; lease is the state after it (for LOST, the
 * lease that was lost, its state already the new one).  The callback may
 * use the stack (send, read the lease) but not destroy it. */
typedef void (*zn_dhcp4_event_fn)(struct zn_stack *st, void *arg,
                                  enum zn_dhcp4_event ev,
                                  const struct zn_dhcp4_lease *lease);

/** Set (or with NULL clear) the event callback. */
void zn_dhcp4_set_event_cb(struct zn_stack *st, zn_dhcp4_event_fn fn,
                           void *arg);

/** Give the lease back (RFC 2131 4.4.6: DHCPRELEASE unicast to the
 * server), remove the address (event LOST) and stop the client (OFF).
 * Without a lease it only stops the client.  Errors: ZN_EINVAL (the
 * client is not enabled). */
int zn_dhcp4_release(struct zn_stack *st);

/** Start over, as after a link change (RFC 2131 3.2): the address in use
 * (if any) is removed (event LOST), and the client asks for it (or for the
 * address of its last lease) again in INIT-REBOOT, or starts in INIT if it
 * never had one.  Also starts a client zn_dhcp4_release() stopped.
 * Errors: ZN_EINVAL (the client is not enabled). */
int zn_dhcp4_restart(struct zn_stack *st);

#endif /* ZNET_DHCP4_H */
