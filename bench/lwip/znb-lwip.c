/*
 * znb-lwip: lwIP 2.1 as the benchmark server on a TAP device, offering
 * what znb-znet and `znb-load serve` offer:
 *
 *     UDP 7   echo: the received pbuf goes back (udp_sendto, no copy)
 *     TCP 7   echo: tcp_write(TCP_WRITE_FLAG_COPY) of the received pbufs
 *             (one copy), tcp_recved for what the send buffer took
 *     TCP 9   discard: tcp_recved and pbuf_free, closes on the client's FIN
 *     TCP 19  source: an endless stream of one static buffer by tcp_write
 *             without the copy flag (zero copy), at most TCP_SND_BUF
 *             unacknowledged, until the client goes
 *
 *     znb-lwip --tap NAME --ipv4 ADDR/PREFIX [--ipv6 ADDR/64] [--mac MAC]
 *     znb-lwip --info          what lwIP was built with, and its sizes
 *
 * The TAP netif is read and written the way netif/tap.c does for znet:
 * one read(2) per frame, straight into a pool pbuf (PBUF_POOL_BUFSIZE
 * holds a whole frame), non-blocking, with poll(2) sleeping until the
 * next lwIP timer; at most 64 frames per turn (znet's rx_budget).
 * NO_SYS=1: one thread, the raw API, sys_check_timeouts() each turn.
 *
 * With --ipv6 the services take both families (IP_ANY_TYPE); the address
 * is preferred at once (no DAD: the namespace is ours) and a link-local
 * one is made from the MAC.  lwIP 2.1 takes the /64 of its addresses as
 * on link, so only /64 is accepted.
 *
 * Prints "znb-lwip ready ..." on stdout once it serves, runs until SIGINT
 * or SIGTERM, then prints its counters to stderr.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "lwip/etharp.h"
#include "lwip/ethip6.h"
#include "lwip/init.h"
#include "lwip/memp.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"
#include "lwip/timeouts.h"
#include "lwip/udp.h"
#include "netif/ethernet.h"

#define PROG "znb-lwip"
#define PORT_ECHO 7
#define PORT_DISCARD 9
#define PORT_SOURCE 19
#define RX_BUDGET 64
#define SOURCE_CHUNK (16u * 1024u)
#define MAX_IOV 32

#if TCP_MSS != 1460
#error "TCP_MSS must be 1460 (a system header redefined it?)"
#endif

static volatile sig_atomic_t stop_flag;
static int tap_fd = -1;
static struct netif nif;
static uint8_t source_data[SOURCE_CHUNK];

static struct {
  uint64_t rx_frames, tx_frames, rx_nobuf, rx_oversize, tx_errors;
  uint64_t udp_echoed, accepted, closed, errors, bytes_in, bytes_out;
} ctr;

enum svc { SVC_ECHO, SVC_DISCARD, SVC_SOURCE };

struct conn {
  struct tcp_pcb *pcb;
  enum svc svc;
  struct pbuf *pending; /* echo: received, not yet taken by tcp_write */
};

static void on_signal(int sig) {
  (void)sig;
  stop_flag = 1;
}

u32_t sys_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (u32_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
}

/* ---- the TAP netif ---- */

static err_t tap_linkoutput(struct netif *n, struct pbuf *p) {
  (void)n;
  struct iovec iov[MAX_IOV];
  int cnt = 0;
  for (struct pbuf *q = p; q != NULL && cnt < MAX_IOV; q = q->next) {
    iov[cnt].iov_base = q->payload;
    iov[cnt].iov_len = q->len;
    cnt++;
  }
  ssize_t w;
  do {
    w = writev(tap_fd, iov, cnt);
  } while (w < 0 && errno == EINTR);
  if (w != (ssize_t)p->tot_len) {
    ctr.tx_errors++;
    return ERR_IF;
  }
  ctr.tx_frames++;
  return ERR_OK;
}

static err_t tap_netif_init(struct netif *n) {
  n->name[0] = 't';
  n->name[1] = 'p';
  n->output = etharp_output;
  n->output_ip6 = ethip6_output;
  n->linkoutput = tap_linkoutput;
  n->mtu = 1500;
  n->hwaddr_len = ETH_HWADDR_LEN;
  n->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET |
             NETIF_FLAG_LINK_UP | NETIF_FLAG_MLD6;
  return ERR_OK;
}

/* One frame from the TAP into a pool pbuf; 0 when nothing is readable. */
static int tap_read_one(void) {
  struct pbuf *p = pbuf_alloc(PBUF_RAW, PBUF_POOL_BUFSIZE, PBUF_POOL);
  if (p == NULL) {
    uint8_t scratch[64];
    if (read(tap_fd, scratch, sizeof(scratch)) < 0)
      return 0;
    ctr.rx_nobuf++;
    return 1;
  }
  uint8_t extra;
  struct iovec iov[2] = {{.iov_base = p->payload, .iov_len = p->len},
                         {.iov_base = &extra, .iov_len = 1}};
  ssize_t n = p->next == NULL ? readv(tap_fd, iov, 2) : -1;
  if (n < 0) {
    pbuf_free(p);
    return 0;
  }
  if ((size_t)n > iov[0].iov_len || n < 14) {
    ctr.rx_oversize++;
    pbuf_free(p);
    return 1;
  }
  pbuf_realloc(p, (u16_t)n);
  ctr.rx_frames++;
  if (nif.input(p, &nif) != ERR_OK)
    pbuf_free(p);
  return 1;
}

static int tap_open(const char *name) {
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return -1;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof(ifr));
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
  strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    close(fd);
    return -1;
  }
  /* No offloads: the device may keep those znet's TAP backend asked for
   * when it had the device before. */
  (void)ioctl(fd, TUNSETOFFLOAD, 0ul);
  return fd;
}

/* ---- UDP echo ---- */

static void udp_echo(void *arg, struct udp_pcb *pcb, struct pbuf *p,
                     const ip_addr_t *addr, u16_t port) {
  (void)arg;
  if (udp_sendto(pcb, p, addr, port) == ERR_OK)
    ctr.udp_echoed++;
  pbuf_free(p);
}

/* ---- TCP ---- */

static void conn_free(struct conn *k) {
  if (k->pending)
    pbuf_free(k->pending);
  free(k);
}

static void conn_close(struct conn *k) {
  struct tcp_pcb *pcb = k->pcb;
  tcp_arg(pcb, NULL);
  tcp_recv(pcb, NULL);
  tcp_sent(pcb, NULL);
  tcp_err(pcb, NULL);
  if (tcp_close(pcb) != ERR_OK)
    tcp_abort(pcb);
  ctr.closed++;
  conn_free(k);
}

/* Echo: hand what is pending to tcp_write as far as the send buffer
 * takes, and open the window by as much. */
static void echo_flush(struct conn *k) {
  while (k->pending) {
    struct pbuf *q = k->pending;
    u16_t n = q->len;
    if (n > tcp_sndbuf(k->pcb))
      n = tcp_sndbuf(k->pcb);
    if (n == 0)
      break;
    if (tcp_write(k->pcb, q->payload, n, TCP_WRITE_FLAG_COPY) != ERR_OK)
      break;
    tcp_recved(k->pcb, n);
    ctr.bytes_in += n;
    ctr.bytes_out += n;
    k->pending = pbuf_free_header(q, n);
  }
  tcp_output(k->pcb);
}

static void source_fill(struct conn *k) {
  while (tcp_sndbuf(k->pcb) >= SOURCE_CHUNK &&
         tcp_sndqueuelen(k->pcb) + SOURCE_CHUNK / TCP_MSS + 2 <
             TCP_SND_QUEUELEN) {
    if (tcp_write(k->pcb, source_data, SOURCE_CHUNK, 0) != ERR_OK)
      break;
    ctr.bytes_out += SOURCE_CHUNK;
  }
  tcp_output(k->pcb);
}

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p,
                     err_t err) {
  struct conn *k = arg;
  (void)err;
  if (p == NULL) {
    conn_close(k); /* the client's FIN */
    return ERR_OK;
  }
  if (k->svc == SVC_ECHO) {
    if (k->pending)
      pbuf_cat(k->pending, p);
    else
      k->pending = p;
    echo_flush(k);
    return ERR_OK;
  }
  ctr.bytes_in += p->tot_len;
  tcp_recved(pcb, p->tot_len);
  pbuf_free(p);
  return ERR_OK;
}

static err_t on_sent(void *arg, struct tcp_pcb *pcb, u16_t len) {
  (void)pcb;
  (void)len;
  struct conn *k = arg;
  if (k->svc == SVC_ECHO)
    echo_flush(k);
  else if (k->svc == SVC_SOURCE)
    source_fill(k);
  return ERR_OK;
}

static void on_err(void *arg, err_t err) {
  (void)err;
  struct conn *k = arg;
  ctr.errors++;
  if (k)
    conn_free(k); /* the pcb is gone already */
}

static err_t on_accept(void *arg, struct tcp_pcb *pcb, err_t err) {
  if (err != ERR_OK || pcb == NULL)
    return ERR_VAL;
  struct conn *k = calloc(1, sizeof(*k));
  if (k == NULL)
    return ERR_MEM;
  k->pcb = pcb;
  k->svc = (enum svc)(uintptr_t)arg;
  ctr.accepted++;
  tcp_nagle_disable(pcb);
  tcp_arg(pcb, k);
  tcp_recv(pcb, on_recv);
  tcp_sent(pcb, on_sent);
  tcp_err(pcb, on_err);
  if (k->svc == SVC_SOURCE)
    source_fill(k);
  return ERR_OK;
}

static int listen_on(u16_t port, enum svc svc) {
  struct tcp_pcb *pcb = tcp_new_ip_type(IPADDR_TYPE_ANY);
  if (pcb == NULL || tcp_bind(pcb, IP_ANY_TYPE, port) != ERR_OK)
    return -1;
  pcb = tcp_listen_with_backlog(pcb, 128); /* both families */
  if (pcb == NULL)
    return -1;
  tcp_arg(pcb, (void *)(uintptr_t)svc);
  tcp_accept(pcb, on_accept);
  return 0;
}

/* ---- main ---- */

static void print_info(void) {
  printf("znb-lwip info version=%s tcp_pcb=%zu memp_tcp_pcb=%u "
         "tcp_seg=%zu pbuf_pool=%ux%u mem_size=%u tcp_wnd=%u "
         "tcp_snd_buf=%u tcp_mss=%u tcp_snd_queuelen=%u tcp_pcbs=%u\n",
         LWIP_VERSION_STRING, sizeof(struct tcp_pcb),
         (unsigned)memp_pools[MEMP_TCP_PCB]->size, sizeof(struct tcp_seg),
         (unsigned)PBUF_POOL_SIZE, (unsigned)PBUF_POOL_BUFSIZE,
         (unsigned)MEM_SIZE, (unsigned)TCP_WND, (unsigned)TCP_SND_BUF,
         (unsigned)TCP_MSS, (unsigned)TCP_SND_QUEUELEN,
         (unsigned)MEMP_NUM_TCP_PCB);
}

static __attribute__((noreturn)) void usage(const char *msg) {
  fprintf(stderr, PROG ": %s\nusage: " PROG
                  " --tap NAME --ipv4 ADDR/PREFIX [--ipv6 ADDR/64] [--mac MAC]"
                  " | --info\n",
          msg);
  exit(2);
}

int main(int argc, char **argv) {
  const char *tap = NULL, *ipv4 = NULL, *ipv6 = NULL;
  uint8_t mac[6] = {0x02, 0x00, 0x00, 0x4c, 0x57, 0x02};
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--info") == 0) {
      print_info();
      return 0;
    }
    if (i + 1 >= argc)
      usage("an option needs a value");
    if (strcmp(argv[i], "--tap") == 0)
      tap = argv[++i];
    else if (strcmp(argv[i], "--ipv4") == 0)
      ipv4 = argv[++i];
    else if (strcmp(argv[i], "--ipv6") == 0)
      ipv6 = argv[++i];
    else if (strcmp(argv[i], "--mac") == 0) {
      unsigned m[6];
      if (sscanf(argv[++i], "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3],
                 &m[4], &m[5]) != 6)
        usage("bad --mac");
      for (int j = 0; j < 6; j++)
        mac[j] = (uint8_t)m[j];
    } else
      usage("bad option");
  }
  if (tap == NULL || ipv4 == NULL)
    usage("--tap and --ipv4 are required");
  unsigned a, b, c, d, prefix;
  if (sscanf(ipv4, "%u.%u.%u.%u/%u", &a, &b, &c, &d, &prefix) != 5 ||
      a > 255 || b > 255 || c > 255 || d > 255 || prefix > 32)
    usage("bad --ipv4");
  ip6_addr_t a6;
  char a6text[64] = "";
  if (ipv6) {
    const char *slash = strchr(ipv6, '/');
    size_t n = slash ? (size_t)(slash - ipv6) : 0;
    if (slash == NULL || strcmp(slash, "/64") != 0 || n >= sizeof(a6text))
      usage("bad --ipv6 (ADDR/64)");
    memcpy(a6text, ipv6, n);
    if (!ip6addr_aton(a6text, &a6))
      usage("bad --ipv6 address");
  }
  tap_fd = tap_open(tap);
  if (tap_fd < 0) {
    fprintf(stderr, PROG ": cannot open TAP %s: %s\n", tap, strerror(errno));
    return 1;
  }
  memset(source_data, 's', sizeof(source_data));
  lwip_init();
  ip4_addr_t addr, mask, gw;
  IP4_ADDR(&addr, a, b, c, d);
  mask.addr = prefix ? lwip_htonl(0xffffffffu << (32 - prefix)) : 0;
  ip4_addr_set_zero(&gw);
  netif_add(&nif, &addr, &mask, &gw, NULL, tap_netif_init, netif_input);
  memcpy(nif.hwaddr, mac, 6);
  netif_set_default(&nif);
  netif_set_up(&nif);
  netif_set_link_up(&nif);
  if (ipv6) {
    s8_t idx;
    netif_create_ip6_linklocal_address(&nif, 1);
    netif_ip6_addr_set_state(&nif, 0, IP6_ADDR_PREFERRED);
    if (netif_add_ip6_address(&nif, &a6, &idx) != ERR_OK) {
      fprintf(stderr, PROG ": cannot add %s\n", a6text);
      return 1;
    }
    netif_ip6_addr_set_state(&nif, idx, IP6_ADDR_PREFERRED);
  }
  struct udp_pcb *u = udp_new_ip_type(IPADDR_TYPE_ANY);
  if (u == NULL || udp_bind(u, IP_ANY_TYPE, PORT_ECHO) != ERR_OK ||
      listen_on(PORT_ECHO, SVC_ECHO) || listen_on(PORT_DISCARD, SVC_DISCARD) ||
      listen_on(PORT_SOURCE, SVC_SOURCE)) {
    fprintf(stderr, PROG ": cannot open the services\n");
    return 1;
  }
  udp_recv(u, udp_echo, NULL);

  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  printf("znb-lwip ready addr=%u.%u.%u.%u%s%s version=%s\n", a, b, c, d,
         ipv6 ? " addr6=" : "", a6text, LWIP_VERSION_STRING);
  fflush(stdout);

  while (!stop_flag) {
    u32_t sleep_ms = sys_timeouts_sleeptime();
    int timeout = sleep_ms == SYS_TIMEOUTS_SLEEPTIME_INFINITE ? 1000
                  : sleep_ms > 1000                          ? 1000
                                                             : (int)sleep_ms;
    struct pollfd pfd = {.fd = tap_fd, .events = POLLIN};
    if (poll(&pfd, 1, timeout) < 0 && errno != EINTR)
      break;
    for (int i = 0; i < RX_BUDGET && tap_read_one(); i++)
      ;
    sys_check_timeouts();
  }
  fprintf(stderr,
          PROG ": rx %" PRIu64 ", tx %" PRIu64 ", rx_nobuf %" PRIu64
               ", rx_oversize %" PRIu64 ", tx_errors %" PRIu64
               ", udp_echoed %" PRIu64 ", accepted %" PRIu64
               ", closed %" PRIu64 ", errors %" PRIu64 ", bytes in %" PRIu64
               ", out %" PRIu64 "\n",
          ctr.rx_frames, ctr.tx_frames, ctr.rx_nobuf, ctr.rx_oversize,
          ctr.tx_errors, ctr.udp_echoed, ctr.accepted, ctr.closed, ctr.errors,
          ctr.bytes_in, ctr.bytes_out);
  close(tap_fd);
  return 0;
}
