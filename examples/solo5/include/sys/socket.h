/* BSD sockets for znet's Solo5 runtime: libznet-posix's calls as the C
 * library's (examples/solo5/posix_host.c), with Linux's x86_64 numbers
 * and struct layouts, so the same program and the same socket layer
 * compile against Linux's headers or these. */
#ifndef ZN_SOLO5_SYS_SOCKET_H
#define ZN_SOLO5_SYS_SOCKET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

typedef unsigned int socklen_t;
typedef unsigned short sa_family_t;

#define AF_UNSPEC 0
#define AF_UNIX 1
#define AF_LOCAL AF_UNIX
#define AF_INET 2
#define AF_INET6 10
#define AF_NETLINK 16
#define AF_PACKET 17
#define PF_UNSPEC AF_UNSPEC
#define PF_UNIX AF_UNIX
#define PF_LOCAL AF_LOCAL
#define PF_INET AF_INET
#define PF_INET6 AF_INET6

#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define SOCK_RAW 3
#define SOCK_RDM 4
#define SOCK_SEQPACKET 5
#define SOCK_NONBLOCK 04000
#define SOCK_CLOEXEC 02000000

#define SOL_SOCKET 1
#define SO_DEBUG 1
#define SO_REUSEADDR 2
#define SO_TYPE 3
#define SO_ERROR 4
#define SO_DONTROUTE 5
#define SO_BROADCAST 6
#define SO_SNDBUF 7
#define SO_RCVBUF 8
#define SO_KEEPALIVE 9
#define SO_OOBINLINE 10
#define SO_NO_CHECK 11
#define SO_PRIORITY 12
#define SO_LINGER 13
#define SO_BSDCOMPAT 14
#define SO_REUSEPORT 15
#define SO_PASSCRED 16
#define SO_PEERCRED 17
#define SO_RCVLOWAT 18
#define SO_SNDLOWAT 19
#define SO_RCVTIMEO_OLD 20
#define SO_SNDTIMEO_OLD 21
#define SO_BINDTODEVICE 25
#define SO_TIMESTAMP_OLD 29
#define SO_ACCEPTCONN 30
#define SO_SNDBUFFORCE 32
#define SO_RCVBUFFORCE 33
#define SO_PROTOCOL 38
#define SO_DOMAIN 39
#define SO_RCVTIMEO_NEW 66
#define SO_SNDTIMEO_NEW 67
/* 64-bit time_t: the old numbers take the native struct timeval. */
#define SO_RCVTIMEO SO_RCVTIMEO_OLD
#define SO_SNDTIMEO SO_SNDTIMEO_OLD
#define SO_TIMESTAMP SO_TIMESTAMP_OLD

#define SOMAXCONN 4096

#define MSG_OOB 0x1
#define MSG_PEEK 0x2
#define MSG_DONTROUTE 0x4
#define MSG_CTRUNC 0x8
#define MSG_PROXY 0x10
#define MSG_TRUNC 0x20
#define MSG_DONTWAIT 0x40
#define MSG_EOR 0x80
#define MSG_WAITALL 0x100
#define MSG_FIN 0x200
#define MSG_SYN 0x400
#define MSG_CONFIRM 0x800
#define MSG_RST 0x1000
#define MSG_ERRQUEUE 0x2000
#define MSG_NOSIGNAL 0x4000
#define MSG_MORE 0x8000
#define MSG_WAITFORONE 0x10000
#define MSG_ZEROCOPY 0x4000000
#define MSG_FASTOPEN 0x20000000
#define MSG_CMSG_CLOEXEC 0x40000000

#define SHUT_RD 0
#define SHUT_WR 1
#define SHUT_RDWR 2

#define SCM_RIGHTS 1

struct sockaddr {
  sa_family_t sa_family;
  char sa_data[14];
};

/* 128 bytes, aligned for any address. */
struct sockaddr_storage {
  sa_family_t ss_family;
  char zn_pad[128 - sizeof(sa_family_t) - sizeof(unsigned long)];
  unsigned long zn_align;
};

struct linger {
  int l_onoff;
  int l_linger;
};

struct msghdr {
  void *msg_name;
  socklen_t msg_namelen;
  struct iovec *msg_iov;
  size_t msg_iovlen;
  void *msg_control;
  size_t msg_controllen;
  int msg_flags;
};

struct mmsghdr {
  struct msghdr msg_hdr;
  unsigned int msg_len;
};

struct cmsghdr {
  size_t cmsg_len;
  int cmsg_level;
  int cmsg_type;
};

/* Control messages: each header and its data aligned to a size_t. */
#define CMSG_ALIGN(n) (((n) + sizeof(size_t) - 1) & ~(sizeof(size_t) - 1))
#define CMSG_DATA(c) ((unsigned char *)(c) + CMSG_ALIGN(sizeof(struct cmsghdr)))
#define CMSG_SPACE(n) (CMSG_ALIGN(n) + CMSG_ALIGN(sizeof(struct cmsghdr)))
#define CMSG_LEN(n) (CMSG_ALIGN(sizeof(struct cmsghdr)) + (n))
#define CMSG_FIRSTHDR(m)                                                      \
  ((m)->msg_controllen >= sizeof(struct cmsghdr)                              \
       ? (struct cmsghdr *)(m)->msg_control                                   \
       : (struct cmsghdr *)0)
#define CMSG_NXTHDR(m, c) zn_cmsg_next((m), (c))

static inline struct cmsghdr *zn_cmsg_next(const struct msghdr *m,
                                           const struct cmsghdr *c) {
  if (c->cmsg_len < sizeof(struct cmsghdr))
    return (struct cmsghdr *)0;
  const unsigned char *end = (const unsigned char *)m->msg_control +
                             m->msg_controllen;
  const unsigned char *next = (const unsigned char *)c +
                              CMSG_ALIGN(c->cmsg_len);
  if (next + sizeof(struct cmsghdr) > end ||
      next + CMSG_ALIGN(((const struct cmsghdr *)(const void *)next)->cmsg_len) >
          end)
    return (struct cmsghdr *)0;
  return (struct cmsghdr *)(uintptr_t)next;
}

int socket(int domain, int type, int protocol);
int bind(int fd, const struct sockaddr *sa, socklen_t len);
int listen(int fd, int backlog);
int accept(int fd, struct sockaddr *sa, socklen_t *len);
int accept4(int fd, struct sockaddr *sa, socklen_t *len, int flags);
int connect(int fd, const struct sockaddr *sa, socklen_t len);
ssize_t send(int fd, const void *buf, size_t len, int flags);
ssize_t sendto(int fd, const void *buf, size_t len, int flags,
               const struct sockaddr *sa, socklen_t salen);
ssize_t sendmsg(int fd, const struct msghdr *msg, int flags);
int sendmmsg(int fd, struct mmsghdr *v, unsigned int n, int flags);
ssize_t recv(int fd, void *buf, size_t len, int flags);
ssize_t recvfrom(int fd, void *buf, size_t len, int flags,
                 struct sockaddr *sa, socklen_t *salen);
ssize_t recvmsg(int fd, struct msghdr *msg, int flags);
int shutdown(int fd, int how);
int getsockname(int fd, struct sockaddr *sa, socklen_t *len);
int getpeername(int fd, struct sockaddr *sa, socklen_t *len);
int getsockopt(int fd, int level, int name, void *val, socklen_t *len);
int setsockopt(int fd, int level, int name, const void *val, socklen_t len);

#endif
