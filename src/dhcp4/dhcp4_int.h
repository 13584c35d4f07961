/*
 * The DHCPv4 client (znet/dhcp4.h): its state in struct zn_stack and the
 * calls the rest of the stack makes into it.
 *
 * How replies reach the client before the stack has an address.  A
 * server answers a client without an address either by broadcast, or by
 * unicast to the address it offers, to the client's MAC (RFC 2131 4.1;
 * dnsmasq and ISC do the latter unless the BROADCAST flag is set).
 * Broadcasts need nothing: IPv4 takes 255.255.255.255 and UDP hands it to
 * the client's socket (bound to 0.0.0.0:68, a socket like any other, so
 * UDP's checksum, length and accounting apply unchanged).  The unicast
 * needs one hook where IPv4 judges a destination: zn__dhcp4_takes,
 * registered with zn__ip_accept_other and asked by zn__ip_input only for a datagram that is neither to our address nor
 * a broadcast (the common path pays nothing), says yes while the stack
 * has no address and the client waits for a server, for an unfragmented
 * UDP datagram from port 67 to port 68.  Everything after that (checksum,
 * xid, chaddr, options) is checked by UDP and the client as for any
 * reply.  The other choices were to set the BROADCAST flag (which RFC
 * 2131 4.1 reserves for clients that cannot take such unicasts, and which
 * makes every reply disturb every host), or to intercept UDP/68 in IPv4
 * before the socket layer (a second UDP input with its own checksum and
 * counting).
 *
 * Sending before the stack has an address (DISCOVER, the REQUESTs of
 * SELECTING and INIT-REBOOT, DECLINE) writes the UDP and IPv4 headers
 * itself, from 0.0.0.0 to 255.255.255.255, and hands the frame to
 * Ethernet as a broadcast: IPv4 output refuses a source of 0.0.0.0, and
 * rightly for everything else.  With an address (RENEWING, REBINDING,
 * RELEASE) messages go through the socket like any datagram.
 *
 * RFC 5227 probing: zn__arp_input shows the client, a listener it
 * registered (zn__arp_listen), every ARP packet with a plausible sender
 * (zn__dhcp4_arp_input) before its own checks, which
 * drop everything while the stack has no address.
 */
#ifndef ZN_DHCP4_INT_H
#define ZN_DHCP4_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/stack_int.h"
#include "modules.h"
#include "znet/dhcp4.h"
#include "znet/stack.h"
#include "znet/timer.h"
#include "znet/udp.h"
#include "znet/wire.h"

/* What `timer` does when it fires; set where it is armed. */
enum zn__dhcp4_role {
  ZN__DHCP4_T_NONE = 0,
  ZN__DHCP4_T_START,   /* INIT, INIT-REBOOT: send the exchange's first
                          message (after the start delay, a NAK's delay,
                          or the wait after a decline) */
  ZN__DHCP4_T_RESEND,  /* SELECTING, REQUESTING, REBOOTING, RENEWING,
                          REBINDING: repeat the message, or give up */
  ZN__DHCP4_T_PROBE,   /* PROBING: the next ARP probe, or after the last
                          one and ANNOUNCE_WAIT, bind */
};

/* What `lease_timer` does when it fires: the lease's three deadlines,
 * one at a time. */
enum zn__dhcp4_lease_role {
  ZN__DHCP4_L_NONE = 0,
  ZN__DHCP4_L_T1,      /* BOUND -> RENEWING */
  ZN__DHCP4_L_T2,      /* RENEWING -> REBINDING */
  ZN__DHCP4_L_EXPIRY,  /* REBINDING -> INIT, the address removed */
};

/* A lease as the client keeps it: what an ACK granted, validated. */
struct zn__dhcp4_lease {
  uint32_t addr;
  uint32_t server;         /* option 54 */
  uint32_t router;         /* the gateway to apply, on the prefix; 0 */
  uint32_t bcast;          /* option 28 if valid, else directed */
  uint8_t prefix;
  uint8_t ndns;
  uint16_t mtu;            /* option 26 if valid, else 0 */
  uint32_t dns[ZN_DHCP4_DNS_MAX];
  uint32_t routes_ignored; /* option 121 routes not applied */
  uint32_t lease_s, t1_s, t2_s; /* seconds; ZN_DHCP4_INFINITE */
  uint64_t start;          /* ns: the REQUEST it answers was sent */
};

struct zn__dhcp4 {
  uint8_t state;           /* enum zn_dhcp4_state */
  uint8_t role;            /* enum zn__dhcp4_role: what `timer` does */
  uint8_t lease_role;      /* enum zn__dhcp4_lease_role: `lease_timer` */
  uint8_t tries;           /* messages sent in this exchange */
  uint8_t probes;          /* ARP probes sent for `offer` */
  uint8_t conflicts;       /* RFC 5227 conflicts since the last binding */
  bool stopped;            /* zn_dhcp4_release: not started again until
                              zn_dhcp4_restart, the first poll included */
  uint16_t secs;           /* the last DISCOVER's secs (its REQUEST's) */
  uint32_t xid;            /* this exchange's transaction ID */
  uint64_t began;          /* ns: this exchange began (secs count) */
  uint64_t req_at;         /* ns: its first REQUEST (the lease counts) */
  uint32_t offer;          /* REQUESTING: the address offered; PROBING:
                              the address ACKed; INIT-REBOOT, REBOOTING:
                              the address asked for again */
  uint32_t server;         /* REQUESTING: the server chosen */
  uint32_t last_addr;      /* the last address bound, asked for again */
  uint32_t link_mtu;       /* the netif's MTU before option 26; 0: the
                              netif's MTU is its own */
  struct zn__dhcp4_lease lease;   /* BOUND, RENEWING, REBINDING */
  struct zn__dhcp4_lease pending; /* PROBING: ACKed, not applied yet */
  struct zn_timer timer;          /* role */
  struct zn_timer lease_timer;    /* lease_role */
  struct zn_udp_sock *sock;       /* bound to 0.0.0.0:68 */
  zn_dhcp4_event_fn cb;
  void *cb_arg;
};

bool zn__dhcp4_config_ok(const struct zn_config *cfg);
/* After zn__udp_init: the socket, with cfg.dhcp4.enable. */
void zn__dhcp4_init(struct zn_stack *st);
/* At the first poll: INIT or INIT-REBOOT, the first message armed. */
void zn__dhcp4_start(struct zn_stack *st);
void zn__dhcp4_destroy(struct zn_stack *st);

/* IPv4's zn__ip_accept_other: may a datagram v, neither to our address
 * nor a broadcast, come in?  Yes only as the file comment says. */
bool zn__dhcp4_takes(const struct zn_stack *st, const struct zn_ipv4_view *v);

/* ARP's listener (zn__arp_listen): an ARP packet (op request or reply)
 * from sha/spa about tpa, its sender already judged plausible.  Looks
 * only; never consumes. */
void zn__dhcp4_arp_input(struct zn_stack *st, const uint8_t *sha,
                         uint32_t spa, uint32_t tpa, uint16_t op);

#endif
