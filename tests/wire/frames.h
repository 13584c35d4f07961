/* Frames shared by the wire tests: raw Ethernet frames from
 * ../shared/fuzz-seeds (see SEEDS.md for their sources and licenses). */
#ifndef TESTS_WIRE_FRAMES_H
#define TESTS_WIRE_FRAMES_H

#include <stdint.h>

/* smoltcp/arp.bin (60 bytes) */
extern const uint8_t arp_frame[60];
/* smoltcp/icmpv4_request.bin (98 bytes) */
extern const uint8_t icmpv4_request[98];
/* lwip/icmp/icmp_ping.bin (98 bytes) */
extern const uint8_t icmp_ping[98];
/* smoltcp/icmpv4_unreachable.bin (590 bytes) */
extern const uint8_t icmpv4_unreachable[590];
/* smoltcp/tcpv4_rst.bin (54 bytes) */
extern const uint8_t tcpv4_rst[54];
/* smoltcp/udpv4.bin (122 bytes) */
extern const uint8_t udpv4[122];

#endif

