/*
 * znb-delay: a fixed delay on a wire, in user space, for kernels whose
 * netem is not there.  Every Ethernet frame that arrives on interface A
 * leaves on interface B DELAY_AB ms later, and every frame from B leaves
 * on A DELAY_BA ms later, in order (a fixed delay keeps the order, so each
 * direction is one FIFO).  It bridges the two at layer 2: ARP and
 * everything else pass, nothing is looked at.
 *
 *     znb-delay IFA IFB [--ab MS] [--ba MS] [--slots N]
 *
 * Run it in a namespace that holds only IFA and IFB (the ends of two veth
 * pairs, no addresses, offloads off: a frame is at most 2 KiB, and
 * checksums must be complete on the wire).  bench/dumbbell.sh puts it
 * between the senders' router and the receiver, so every flow of a
 * benchmark crosses the same delay, whichever stack sends it.
 *
 * Prints "znb-delay ready" on stdout once both sockets are bound, runs
 * until SIGINT or SIGTERM, then prints its counters to stderr: frames
 * forwarded each way, dropped because a direction's N slots were full
 * (full), too long for a slot (long), refused by the send (err), and the
 * kernel's drops on the sockets' queues (PACKET_STATISTICS: the relay not
 * reading fast enough).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "znb_host.h"

#define PROG "znb-delay"
#define SLOT_BYTES 2048
#define DEFAULT_SLOTS 8192
/* Frames taken from one socket before the other is looked at. */
#define RX_BATCH 64
#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

struct slot {
  uint64_t due;  /* CLOCK_MONOTONIC ns */
  uint16_t len;
  unsigned char data[SLOT_BYTES];
};

/* One direction: frames read from `in`, held, written to `out`. */
struct dir {
  int in, out;
  uint64_t delay_ns;
  struct slot *ring;
  uint32_t head, count, nslots;
  uint64_t fwd, full, toolong, err;
};

static __attribute__((noreturn)) void die(const char *what) {
  fprintf(stderr, PROG ": %s: %s\n", what, strerror(errno));
  exit(1);
}

static __attribute__((noreturn)) void usage(const char *msg) {
  fprintf(stderr,
          PROG ": %s\nusage: " PROG " IFA IFB [--ab MS] [--ba MS] "
               "[--slots N]\n",
          msg);
  exit(2);
}

/* A packet socket that sees every frame arriving on interface name, and
 * not the ones it sends. */
static int open_if(const char *name) {
  unsigned idx = if_nametoindex(name);
  if (idx == 0)
    die(name);
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
                  htons(ETH_P_ALL));
  if (fd < 0)
    die("socket(AF_PACKET)");
  int one = 1, big = 8 << 20;
  setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
  setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
  setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
  struct sockaddr_ll sll;
  memset(&sll, 0, sizeof(sll));
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = (int)idx;
  if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) != 0)
    die("bind");
  return fd;
}

/* Take what has arrived on d->in, at most RX_BATCH frames. */
static void dir_read(struct dir *d, uint64_t now) {
  for (int i = 0; i < RX_BATCH; i++) {
    struct slot tmp, *s = &tmp;
    if (d->count < d->nslots)
      s = &d->ring[(d->head + d->count) % d->nslots];
    struct sockaddr_ll from;
    socklen_t fl = sizeof(from);
    ssize_t n = recvfrom(d->in, s->data, SLOT_BYTES, MSG_TRUNC,
                         (struct sockaddr *)&from, &fl);
    if (n < 0)
      return; /* EAGAIN, or nothing we can do about it here */
    if (from.sll_pkttype == PACKET_OUTGOING)
      continue;
    if (n > SLOT_BYTES) {
      d->toolong++;
      continue;
    }
    if (s == &tmp) {
      d->full++;
      continue;
    }
    s->len = (uint16_t)n;
    s->due = now + d->delay_ns;
    d->count++;
  }
}

/* Send every frame that is due; returns the next due time, or 0. */
static uint64_t dir_send(struct dir *d, uint64_t now) {
  while (d->count > 0) {
    struct slot *s = &d->ring[d->head];
    if (s->due > now)
      return s->due;
    if (send(d->out, s->data, s->len, 0) == (ssize_t)s->len)
      d->fwd++;
    else
      d->err++;
    d->head = (d->head + 1) % d->nslots;
    d->count--;
  }
  return 0;
}

static uint64_t drops_of(int fd) {
  struct tpacket_stats st;
  socklen_t l = sizeof(st);
  if (getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &l) != 0)
    return 0;
  return st.tp_drops;
}

static double parse_ms(const char *s) {
  char *end;
  double v = strtod(s, &end);
  if (end == s || *end != '\0' || v < 0 || v > 10000)
    usage("bad delay (ms, 0..10000)");
  return v;
}

int main(int argc, char **argv) {
  if (argc < 3)
    usage("want two interfaces");
  double ab = 0, ba = 0;
  unsigned long slots = DEFAULT_SLOTS;
  for (int i = 3; i < argc; i++) {
    if (i + 1 >= argc)
      usage("a flag without its value");
    if (strcmp(argv[i], "--ab") == 0)
      ab = parse_ms(argv[++i]);
    else if (strcmp(argv[i], "--ba") == 0)
      ba = parse_ms(argv[++i]);
    else if (strcmp(argv[i], "--slots") == 0) {
      slots = strtoul(argv[++i], NULL, 10);
      if (slots < 1 || slots > (1ul << 20))
        usage("bad --slots (1..1048576)");
    } else
      usage("bad flag");
  }
  znb_catch_stop();
  int fa = open_if(argv[1]), fb = open_if(argv[2]);
  struct dir dirs[2] = {
      {.in = fa, .out = fb, .delay_ns = (uint64_t)(ab * 1e6)},
      {.in = fb, .out = fa, .delay_ns = (uint64_t)(ba * 1e6)},
  };
  for (int k = 0; k < 2; k++) {
    dirs[k].nslots = (uint32_t)slots;
    dirs[k].ring = calloc(slots, sizeof(struct slot));
    if (dirs[k].ring == NULL)
      die("calloc");
  }
  printf("znb-delay ready %s<->%s ab_ms=%g ba_ms=%g slots=%lu\n", argv[1],
         argv[2], ab, ba, slots);
  fflush(stdout);
  struct pollfd pfd[2] = {{.fd = fa, .events = POLLIN},
                          {.fd = fb, .events = POLLIN}};
  while (!znb_stop) {
    uint64_t now = znb_now_ns(), next = 0;
    for (int k = 0; k < 2; k++) {
      uint64_t due = dir_send(&dirs[k], now);
      if (due && (next == 0 || due < next))
        next = due;
    }
    struct timespec ts = {.tv_sec = 0, .tv_nsec = 200000000};
    if (next) {
      uint64_t wait = next > now ? next - now : 0;
      ts.tv_sec = (time_t)(wait / 1000000000ull);
      ts.tv_nsec = (long)(wait % 1000000000ull);
    }
    int n = ppoll(pfd, 2, &ts, NULL);
    if (n < 0 && errno != EINTR)
      die("ppoll");
    now = znb_now_ns();
    for (int k = 0; k < 2; k++)
      if (n > 0 && (pfd[k].revents & POLLIN))
        dir_read(&dirs[k], now);
  }
  fprintf(stderr,
          PROG ": ab fwd %" PRIu64 " full %" PRIu64 " long %" PRIu64
               " err %" PRIu64 " sockdrop %" PRIu64 "; ba fwd %" PRIu64
               " full %" PRIu64 " long %" PRIu64 " err %" PRIu64
               " sockdrop %" PRIu64 "\n",
          dirs[0].fwd, dirs[0].full, dirs[0].toolong, dirs[0].err,
          drops_of(fa), dirs[1].fwd, dirs[1].full, dirs[1].toolong,
          dirs[1].err, drops_of(fb));
  return 0;
}
