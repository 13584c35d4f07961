/*
 * The modules a stack is assembled from: one row each, in the order of
 * assembly, every module after the modules it calls.  From this list
 * come each module's slot in the stack (ZN__MOD_<name>, where the stack
 * keeps a pointer to the module's state: ZN__MOD(st, name)) and the
 * default table that zn_stack_create() walks (src/assembly/).  A new
 * module is a row here and its descriptor (struct zn__module, named
 * zn__<name>_module) beside its code; the core is not edited.
 *
 * The core does not include this file: it keeps ZN__MOD_SLOTS opaque
 * pointers and knows no module by name.
 */
#ifndef ZN_MODULES_H
#define ZN_MODULES_H

#define ZN__MODULES(X)                                                        \
  X(eth)      /* Ethernet II and 802.1Q: src/eth */                           \
  X(arp)      /* ARP: src/arp */                                              \
  X(inet)     /* the transports' table, either family: src/inet */            \
  X(ip)       /* IPv4: src/ipv4 */                                            \
  X(icmp)     /* ICMP for IPv4: src/icmp */                                   \
  X(ip6)      /* IPv6, ICMPv6, neighbor discovery: src/ipv6 */                \
  X(ip6conf)  /* IPv6 addresses, SLAAC, DAD, RA, MLD: src/ipv6conf */         \
  X(udp)      /* UDP: src/udp */                                              \
  X(tcp)      /* TCP: src/tcp */                                              \
  X(dhcp4)    /* the DHCPv4 client: src/dhcp4 */

enum zn__module_id {
#define ZN__MODULE_ID(name) ZN__MOD_##name,
  ZN__MODULES(ZN__MODULE_ID)
#undef ZN__MODULE_ID
  ZN__MOD_COUNT
};

/* The state of module `name` in stack st (struct zn__<name> *); NULL if
 * the stack was assembled without it. */
#define ZN__MOD(st, name)                                                     \
  ((struct zn__##name *)(st)->state[ZN__MOD_##name])

#endif
