/* rt/net.c's interface to start-up (start.c): the network's start and
 * the DHCP lease's name servers for /etc/resolv.conf; and netlink.c's
 * socket, which net.c's socket() makes, handing it the interface.  (The descriptor
 * table reaches the layer's sockets only through their files'
 * operations; code linked into an image reaches the network through
 * znet/image.h.) */
#ifndef ZN_RT_NET_H
#define ZN_RT_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Before main(): znet's flags out of the words before "--"
 * (libznet-app's zn_app_open, as every znet program parses them), the
 * stack on the image's net device, its addresses settled, the socket
 * layer over it.  Returns the program's words (argv[0], then those after
 * "--"), *pargc their number.  When the program owns the network
 * (znet/image.h: zn_image_program_owns_net) it builds nothing and every
 * word is the program's: its zn_app_open builds the stack and hands it
 * over (zn_image_adopt_stack); until then the image has no socket
 * layer. */
char **zrt_net_start(int argc, char **argv, int *pargc);
/* --host-loopback: from now on a TCP connect() to a 127.0.0.0/8 port
 * that no listener of the image serves goes to the IPv4 gateway, the
 * same port (the host forwards it to its own loopback), and a listen()
 * on 127.0.0.0/8 opens its door (zrt_lobridge_listening). */
void zrt_net_host_loopback(void);
/* --host-loopback's way in (lobridge.c): the program listens on lo:port
 * (127.0.0.0/8); the gateway's connections to the image's IPv4 address
 * at that port are joined to new ones to it from the loopback. */
struct zn_stack;
struct zn_ip;
void zrt_lobridge_listening(struct zn_stack *st, const struct zn_ip *lo,
                            uint16_t port);
/* --signal-port PORT: a UDP datagram to PORT from the IPv4 gateway
 * holding a signal's name (TERM, SIGQUIT, 15, ...) sends it to the
 * image, as kill(1) would; it is answered "sent" or "unknown signal".
 * Datagrams from any other address are dropped unanswered (counted, the
 * first said on the console). */
void zrt_net_signal_port(uint16_t port);
/* "nameserver ADDR" lines for the DHCP lease's DNS servers
 * into text (nothing without a lease). */
void zrt_net_lease_dns(char *text, size_t n);

/* The network device's interface as netlink.c reports it (eth0): its
 * link and the stack's addresses now. */
#define ZRT_NET_ADDR6_MAX 16
struct zrt_net_addr6 {
  uint8_t addr[16];
  uint8_t prefix;
  bool tentative, deprecated, permanent; /* never expires */
};
struct zrt_net_iface {
  bool present;     /* false: no stack (the program owns the network) */
  uint8_t mac[6];
  uint32_t mtu;
  uint32_t ipv4;    /* host order; 0: none */
  uint8_t prefix4;
  uint32_t n6;
  struct zrt_net_addr6 v6[ZRT_NET_ADDR6_MAX];
};
/* AF_NETLINK's socket(): NETLINK_ROUTE's dumps (netlink.c), of the
 * interface iface reports at each request (net.c's: the stack's). */
long zrt_netlink_socket(int type, int protocol,
                        void (*iface)(struct zrt_net_iface *out));

#endif
