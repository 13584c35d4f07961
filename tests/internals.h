/*
 * Every module's private header, for the tests that look inside a stack
 * (its modules' states through ZN__MOD, their internal calls).  The
 * library's own files include only what they use.
 */
#ifndef ZN_TESTS_INTERNALS_H
#define ZN_TESTS_INTERNALS_H

#include "arp/arp_int.h"
#include "assembly/assembly_int.h"
#include "core/module_int.h"
#include "core/peer_hash.h"
#include "core/stack_int.h"
#include "internals.h"
#include "dhcp4/dhcp4_int.h"
#include "eth/eth_int.h"
#include "icmp/icmp_int.h"
#include "af/af_inline.h"
#include "af/af_int.h"
#include "inet/inet_int.h"
#include "ipv4/ipv4_inline.h"
#include "ipv4/ipv4_int.h"
#include "ipv6/ipv6_int.h"
#include "ipv6conf/ipv6conf_int.h"
#include "modules.h"
#include "tcp/tcp_int.h"
#include "udp/udp_int.h"

#endif
