/* Address text for znet's Solo5 runtime (posix_host.c, over znet's own
 * parser and formatter): inet_pton and inet_ntop of AF_INET and AF_INET6
 * as the C library's on Linux (RFC 5952 text out). */
#ifndef ZN_SOLO5_ARPA_INET_H
#define ZN_SOLO5_ARPA_INET_H

#include <netinet/in.h>

int inet_pton(int af, const char *restrict src, void *restrict dst);
const char *inet_ntop(int af, const void *restrict src, char *restrict dst,
                      socklen_t size);
/* a.b.c.d only (no shorter forms); INADDR_NONE if it is not one. */
in_addr_t inet_addr(const char *s);

#endif
