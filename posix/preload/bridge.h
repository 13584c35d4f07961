/* znet-run --host-loopback: the program's loopback and the host's as one
 * (bridge.c says how).  Called by the preload's replacements. */
#ifndef ZNET_POSIX_PRELOAD_BRIDGE_H
#define ZNET_POSIX_PRELOAD_BRIDGE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

/* --host-loopback given (before the layer is built). */
void pl_bridge_enable(void);
bool pl_bridge_on(void);
/* After the program's listen() of a layer's socket succeeded. */
void pl_bridge_listening(int fd);
/* The layer's serve hook (proto 6, TCP; 17, UDP): this process serves
 * port, or no longer.  Called under the layer's lock. */
void pl_bridge_serve(uint8_t proto, uint16_t port, bool on);
/* Before the program's connect() of a layer's socket fd to sa. */
void pl_bridge_connect(int fd, const struct sockaddr *sa, socklen_t len);
/* Before a datagram of a layer's socket fd goes to sa (connect(),
 * sendto, sendmsg with an address). */
void pl_bridge_dgram_to(int fd, const struct sockaddr *sa, socklen_t len);
/* After the program's bind() of a layer's socket fd to `asked`. */
void pl_bridge_bound(int fd, const struct sockaddr *asked, socklen_t alen);

#endif
