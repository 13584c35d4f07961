/* UDP state and the calls the rest of the stack makes into it. */
#ifndef ZN_UDP_INT_H
#define ZN_UDP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/stack_int.h"
#include "modules.h"
#include "znet/steer.h"
#include "znet/buf.h"
#include "znet/stack.h"
#include "znet/udp.h"

enum { ZN__UDP_FREE = 0, ZN__UDP_OPEN, ZN__UDP_CLOSING };

struct zn_udp_sock {
  struct zn_stack *st;
  struct zn_udp_sock *hnext;  /* chain of the port's hash bucket */
  struct zn_ip laddr;         /* the binding (inet_int.h) */
  struct zn_ip raddr;         /* ZN_AF_NONE: not connected */
  uint16_t lport, rport;
  uint8_t state;
  uint8_t hashed;
  uint16_t in_cb;             /* callbacks of this socket running */
  uint8_t tos;                /* TOS / traffic class of what it sends */
  uint8_t ttl;                /* unicast TTL / hop limit; 0: the stack's */
  bool v6only;                /* bound to any address: IPv6's only */
  bool addr_gone;             /* its address was removed: err_cb owed,
                                 at the end of the poll */
  zn_udp_recv_cb recv_cb;
  void *recv_arg;
  zn_udp_err_cb err_cb;
  void *err_arg;
  struct zn_bufq rxq;
  struct zn_udp_sock *free_next;
};

struct zn__udp {
  struct zn_udp_sock *socks;   /* cfg.udp_socks */
  struct zn_flow_hooks flow_hooks; /* zn_udp_set_flow_hooks */
  struct zn_udp_sock **bucket; /* by local port */
  uint32_t nbuckets;           /* power of two */
  struct zn_udp_sock *free;
  uint32_t nopen;
  /* lookup()'s last destination port and its bucket.  Only the bucket is
   * remembered, never a socket: the port's bucket is fixed for the
   * stack's life (the key never changes), so binds, closes and
   * connects cannot make it stale, and the chain is still searched for
   * the best match. */
  uint32_t last_bucket;
  uint16_t last_port;
  bool last_cached;
};

size_t zn__udp_mem_size(const struct zn_config *cfg);
void zn__udp_init(struct zn_stack *st, void **mem);
void zn__udp_destroy(struct zn_stack *st);
/* addr is no longer ours: the error callback of every socket bound to
 * it says ZN_EADDRNOTAVAIL (the binding stays until the socket closes
 * or is bound again elsewhere by the application). */
void zn__udp_addr_removed(struct zn_stack *st, const struct zn_ip *addr);

#endif
