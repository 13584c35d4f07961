/* rt/net.c's interface to start-up (start.c): the network's start and
 * the DHCP lease's name servers for /etc/resolv.conf.  (The descriptor
 * table reaches the layer's sockets only through their files'
 * operations; code linked into an image reaches the network through
 * znet/image.h.) */
#ifndef ZN_RT_NET_H
#define ZN_RT_NET_H

#include <stddef.h>

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
/* "nameserver ADDR" lines for the DHCP lease's DNS servers
 * into text (nothing without a lease). */
void zrt_net_lease_dns(char *text, size_t n);

#endif
