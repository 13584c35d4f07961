/** \file
 * znet: a TCP/IP stack for unikernels.  Umbrella header.
 * Backends with host dependencies (tap, pcap, capture, loop) have their
 * own headers and are not included here.
 */
#ifndef ZNET_H
#define ZNET_H

#include "znet/addr.h"
#include "znet/arp.h"
#include "znet/assert.h"
#include "znet/buf.h"
#include "znet/config.h"
#include "znet/dhcp4.h"
#include "znet/dns.h"
#include "znet/dns_wire.h"
#include "znet/err.h"
#include "znet/fault.h"
#include "znet/hash.h"
#include "znet/http.h"
#include "znet/icmp.h"
#include "znet/ipv4.h"
#include "znet/log.h"
#include "znet/memlink.h"
#include "znet/netif.h"
#include "znet/stack.h"
#include "znet/stats.h"
#include "znet/tcp.h"
#include "znet/time.h"
#include "znet/timer.h"
#include "znet/udp.h"
#include "znet/wire.h"

#define ZNET_VERSION_MAJOR 0
#define ZNET_VERSION_MINOR 1
#define ZNET_VERSION_PATCH 0
#define ZNET_VERSION_STRING "0.1.0"

#endif /* ZNET_H */
