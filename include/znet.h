/** \file
 * znet: a TCP/IP stack for unikernels.  Umbrella header: the stack's API
 * (libznet), and nothing else.
 *
 * Included on their own, each with its library or its role:
 * - the wire formats (znet/wire.h, znet/dns_wire.h), for parsing and
 *   building frames and DNS messages by hand;
 * - the test and fault-injection netifs (znet/memlink.h, znet/fault.h);
 * - the hosted backends (znet/tap.h, znet/pcap.h, znet/capture.h,
 *   znet/loop.h) and the Solo5 one (znet/solo5.h);
 * - the libraries over libznet: znet/dns.h (libznet-dns), znet/http.h
 *   (libznet-http), znet/tls.h (libznet-tls), znet/posix.h
 *   (libznet-posix), each with its pkg-config file of the same name.
 */
#ifndef ZNET_H
#define ZNET_H

#include "znet/addr.h"
#include "znet/arp.h"
#include "znet/assert.h"
#include "znet/buf.h"
#include "znet/config.h"
#include "znet/dhcp4.h"
#include "znet/err.h"
#include "znet/hash.h"
#include "znet/icmp.h"
#include "znet/ipv4.h"
#include "znet/log.h"
#include "znet/netif.h"
#include "znet/stack.h"
#include "znet/stats.h"
#include "znet/stream.h"
#include "znet/tcp.h"
#include "znet/time.h"
#include "znet/timer.h"
#include "znet/udp.h"
#include "znet/wipe.h"

#define ZNET_VERSION_MAJOR 0
#define ZNET_VERSION_MINOR 2
#define ZNET_VERSION_PATCH 0
#define ZNET_VERSION_STRING "0.2.0"

#endif /* ZNET_H */
