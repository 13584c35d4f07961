/* znet-boot's rtnetlink (rtnetlink(7), RFC 3549): requests built into a
 * fixed buffer, sent on a NETLINK_ROUTE socket, and the kernel's answer
 * read back, a dump message by message or an acknowledgment.
 *
 * An answer is read as any input is: only datagrams from the kernel
 * (port 0), only messages of the request's sequence number, every length
 * checked against what arrived before a header is read, a datagram cut
 * short (MSG_TRUNC) refused, a dump bounded in datagrams
 * (BOOT_NL_DATAGRAMS) and the socket in time (BOOT_NL_TIMEOUT_S): a
 * kernel that never ends a dump stops znet-boot with an error, not a
 * hang. */
#include "boot.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* A dump of this container's links, addresses or routes is a few
 * datagrams; a whole host's routing table (a full BGP feed, 10^6 routes)
 * fits in this many of 64 KiB. */
#define BOOT_NL_DATAGRAMS 8192
#define BOOT_NL_RX 65536
#define BOOT_NL_TIMEOUT_S 5

int boot_nl_open(struct boot_nl *nl) {
  struct sockaddr_nl sa;
  struct timeval tv = {.tv_sec = BOOT_NL_TIMEOUT_S, .tv_usec = 0};
  nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (nl->fd < 0)
    return -errno;
  memset(&sa, 0, sizeof(sa));
  sa.nl_family = AF_NETLINK;
  if (bind(nl->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
      setsockopt(nl->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0) {
    int e = -errno;
    (void)close(nl->fd);
    nl->fd = -1;
    return e;
  }
  nl->seq = (uint32_t)time(NULL);
  return 0;
}

void boot_nl_close(struct boot_nl *nl) {
  if (nl->fd >= 0)
    (void)close(nl->fd);
  nl->fd = -1;
}

void *boot_msg_init(struct boot_msg *m, uint16_t type, uint16_t flags,
                    size_t hdrlen) {
  memset(m, 0, sizeof(*m));
  m->u.h.nlmsg_type = type;
  m->u.h.nlmsg_flags = (uint16_t)(flags | NLM_F_REQUEST);
  m->u.h.nlmsg_len = (uint32_t)NLMSG_LENGTH(hdrlen);
  return NLMSG_DATA(&m->u.h);
}

bool boot_msg_put(struct boot_msg *m, uint16_t type, const void *data,
                  size_t len) {
  size_t at = NLMSG_ALIGN(m->u.h.nlmsg_len);
  size_t need = RTA_SPACE(len);
  struct rtattr a;
  if (len > 0xffff - RTA_LENGTH(0) || at > sizeof(m->u.bytes) ||
      need > sizeof(m->u.bytes) - at)
    return false;
  a.rta_type = type;
  a.rta_len = (unsigned short)RTA_LENGTH(len);
  memcpy(m->u.bytes + at, &a, sizeof(a));
  if (len > 0)
    memcpy(m->u.bytes + at + RTA_LENGTH(0), data, len);
  m->u.h.nlmsg_len = (uint32_t)(at + need);
  return true;
}

size_t boot_msg_nest(struct boot_msg *m, uint16_t type) {
  size_t at = NLMSG_ALIGN(m->u.h.nlmsg_len);
  if (!boot_msg_put(m, (uint16_t)(type | NLA_F_NESTED), NULL, 0))
    return 0;
  return at;
}

void boot_msg_nest_end(struct boot_msg *m, size_t at) {
  struct rtattr a;
  memcpy(&a, m->u.bytes + at, sizeof(a));
  a.rta_len = (unsigned short)(m->u.h.nlmsg_len - at);
  memcpy(m->u.bytes + at, &a, sizeof(a));
}

/* The outcome of one message of the answer: 1 to read on, 0 for the end
 * (the dump's NLMSG_DONE, or the acknowledgment's success), or -errno. */
static int one_answer(const struct nlmsghdr *h, uint32_t seq,
                      boot_nl_each each, void *ctx) {
  if (h->nlmsg_seq != seq)
    return 1; /* an answer to an earlier request, left unread then */
  if (h->nlmsg_type == NLMSG_ERROR) {
    struct nlmsgerr e;
    if (h->nlmsg_len < NLMSG_LENGTH(sizeof(e)))
      return -EBADMSG;
    memcpy(&e, (const unsigned char *)h + NLMSG_HDRLEN, sizeof(e));
    if (e.error > 0 || e.error < -4095)
      return -EBADMSG;
    return e.error;
  }
  if (h->nlmsg_type == NLMSG_DONE) {
    int err = 0;
    /* A dump the kernel could not finish says why after NLMSG_DONE. */
    if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(err)))
      memcpy(&err, (const unsigned char *)h + NLMSG_HDRLEN, sizeof(err));
    return err < 0 && err >= -4095 ? err : 0;
  }
  if (!each)
    return 1;
  return each(h, h->nlmsg_len, ctx) ? 1 : -EBADMSG;
}

/* The messages of one datagram of n bytes: as one_answer, 1 when the
 * datagram ended without deciding. */
static int one_datagram(const unsigned char *b, size_t n, uint32_t seq,
                        boot_nl_each each, void *ctx) {
  size_t off = 0;
  /* Each turn moves off by at least NLMSG_HDRLEN. */
  while (n - off >= sizeof(struct nlmsghdr)) {
    const struct nlmsghdr *h = (const struct nlmsghdr *)(const void *)(b + off);
    if (h->nlmsg_len < sizeof(*h) || h->nlmsg_len > n - off)
      return -EBADMSG;
    int r = one_answer(h, seq, each, ctx);
    if (r <= 0)
      return r;
    size_t step = NLMSG_ALIGN((size_t)h->nlmsg_len);
    if (step > n - off)
      break;
    off += step;
  }
  return 1;
}

int boot_nl_talk(struct boot_nl *nl, struct boot_msg *m, boot_nl_each each,
                 void *ctx) {
  /* Aligned for the headers read in place; static: 64 KiB is more than
   * a stack should lend, and znet-boot has one thread. */
  static union {
    struct nlmsghdr h;
    unsigned char b[BOOT_NL_RX];
  } rx;
  struct sockaddr_nl to;
  memset(&to, 0, sizeof(to));
  to.nl_family = AF_NETLINK;
  m->u.h.nlmsg_seq = ++nl->seq;
  m->u.h.nlmsg_flags |= each ? NLM_F_DUMP : NLM_F_ACK;
  if (sendto(nl->fd, m->u.bytes, m->u.h.nlmsg_len, 0, (struct sockaddr *)&to,
             sizeof(to)) != (ssize_t)m->u.h.nlmsg_len)
    return errno ? -errno : -EIO;
  for (int i = 0; i < BOOT_NL_DATAGRAMS; i++) {
    struct sockaddr_nl from;
    socklen_t fl = sizeof(from);
    ssize_t n = recvfrom(nl->fd, rx.b, sizeof(rx.b), MSG_TRUNC,
                         (struct sockaddr *)&from, &fl);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
    if ((size_t)n > sizeof(rx.b))
      return -EMSGSIZE;
    if (fl != sizeof(from) || from.nl_family != AF_NETLINK ||
        from.nl_pid != 0)
      continue; /* not the kernel's */
    int r = one_datagram(rx.b, (size_t)n, nl->seq, each, ctx);
    if (r <= 0)
      return r;
  }
  return -E2BIG;
}
