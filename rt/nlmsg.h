/* rt/nlmsg.c: NETLINK_ROUTE's replies, built from requests alone (no
 * file, no socket: netlink.c holds those).  Pure, so that the fuzzer
 * (fuzz/fuzz_netlink.c) runs it on the host. */
#ifndef ZN_RT_NLMSG_H
#define ZN_RT_NLMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net.h"

/* The replies to the requests in req[0..n) appended to out[*len..cap),
 * each with nlmsg_pid port: RTM_GETLINK and RTM_GETADDR dumps of nic's
 * interfaces and NLMSG_DONE, NLMSG_ERROR (-EOPNOTSUPP) for any other
 * request; a message that is no request (no NLM_F_REQUEST, a control
 * type) is not answered, and bytes after the last whole message are
 * ignored, as Linux ignores them.  false, *len unchanged, if the
 * replies do not fit. */
bool zrt_nl_answer(const uint8_t *req, size_t n, const struct zrt_net_iface *nic,
                   uint32_t port, uint8_t *out, size_t cap, size_t *len);

#endif
