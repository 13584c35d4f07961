/*
 * A program outside znet's tree, built against an installed znet the way
 * a user's build would be: `cc consumer.c $(pkg-config --cflags --libs
 * znet)`, or with --static.  scripts/install-check copies it out of the
 * tree, builds it both ways against a staged `meson install --destdir`,
 * and runs it.
 *
 * Two stacks joined by memlink; A pings B three times on a virtual clock,
 * then sends B a UDP datagram to an address given as text (struct zn_ip).
 * Checks every reply (source, id, sequence, data), the datagram's sender
 * and payload, the counters on both
 * sides, that nothing was dropped, and that every buffer comes back.
 * Prints TAP; exits 0 if every check passed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <znet.h>
#include <znet/loop.h>
#include <znet/memlink.h>

#define PINGS 3
#define DATA_LEN 100

static int checks, failures;

static void check(int ok, const char *what) {
  checks++;
  if (!ok)
    failures++;
  printf("%sok %d - %s\n", ok ? "" : "not ", checks, what);
}

struct pinger {
  uint32_t peer;
  uint16_t id;
  int replies, bad;
  uint8_t data[DATA_LEN];
};

struct udp_got {
  struct zn_ip from;
  size_t len;
  int n;
};

static void on_dgram(struct zn_udp_sock *s, void *arg,
                     const struct zn_udp_dgram *d) {
  struct udp_got *g = arg;
  (void)s;
  g->from = d->src;
  g->len = d->len;
  g->n++;
}

static void on_reply(struct zn_stack *st, void *arg,
                     const struct zn_icmp_echo *r) {
  struct pinger *p = arg;
  (void)st;
  if (r->from == p->peer && r->id == p->id && r->seq == p->replies &&
      r->len == DATA_LEN && memcmp(r->data, p->data, DATA_LEN) == 0)
    p->replies++;
  else
    p->bad++;
}

static struct zn_stack *make_stack(uint32_t addr, uint8_t mac_last,
                                   void **mem) {
  struct zn_config cfg;
  zn_config_default(&cfg);
  if (zn_host_seed(cfg.seed) != ZN_OK)
    return NULL;
  cfg.ipv4_addr = addr;
  cfg.ipv4_prefix = 24;
  cfg.has_mac = true;
  memcpy(cfg.mac, (uint8_t[6]){0x02, 0, 0, 0, 0, mac_last}, 6);
  cfg.nbufs = 64;
  size_t len = zn_stack_mem_size(&cfg);
  struct zn_stack *st;
  *mem = malloc(len);
  if (len == 0 || *mem == NULL ||
      zn_stack_create(&cfg, *mem, len, &st) != ZN_OK)
    return NULL;
  return st;
}

int main(void) {
  printf("# znet %s (header), installed copy\n", ZNET_VERSION_STRING);
  void *mem_a = NULL, *mem_b = NULL;
  struct zn_stack *a = make_stack(ZN_IPV4(10, 0, 0, 1), 1, &mem_a);
  struct zn_stack *b = make_stack(ZN_IPV4(10, 0, 0, 2), 2, &mem_b);
  check(a != NULL && b != NULL, "two stacks created in caller memory");
  if (a == NULL || b == NULL) {
    printf("1..%d\n", checks);
    return 1;
  }

  static struct zn_memlink link;
  zn_memlink_init(&link, 0, 0);
  check(zn_stack_attach(a, &link.a.nif) == ZN_OK &&
            zn_stack_attach(b, &link.b.nif) == ZN_OK,
        "both attached to a memlink");

  struct pinger p = {.peer = ZN_IPV4(10, 0, 0, 2), .id = 0x2a};
  for (int i = 0; i < DATA_LEN; i++)
    p.data[i] = (uint8_t)(i * 7);
  zn_icmp_set_echo_reply_cb(a, on_reply, &p);

  /* One ping every 100 ms of virtual time, both stacks polled every
   * millisecond; the first waits for ARP. */
  uint64_t now = ZN_MS(1);
  zn_stack_poll(a, now);
  zn_stack_poll(b, now);
  int sent = 0, send_err = ZN_OK;
  for (int ms = 0; ms < 1000; ms++, now += ZN_MS(1)) {
    if (ms % 100 == 0 && sent < PINGS) {
      int rc = zn_icmp_echo_send(a, p.peer, p.id, (uint16_t)sent, p.data,
                                 DATA_LEN);
      if (rc == ZN_OK)
        sent++;
      else
        send_err = rc;
    }
    zn_stack_poll(a, now);
    zn_stack_poll(b, now);
  }
  if (send_err != ZN_OK)
    printf("# zn_icmp_echo_send: %s\n", zn_strerror(send_err));
  check(sent == PINGS, "every echo request sent");
  check(p.replies == PINGS && p.bad == 0,
        "every reply came back, in order, with the data sent");

  /* UDP to B's port 7, bound to any address of both families. */
  struct udp_got got = {.n = 0};
  struct zn_udp_sock *us = NULL, *ua = NULL;
  struct zn_ip peer, self;
  int urc = zn_ip_parse("10.0.0.2", &peer);
  if (urc == ZN_OK)
    urc = zn_ip_parse("10.0.0.1", &self);
  if (urc == ZN_OK)
    urc = zn_udp_open(b, &us);
  if (urc == ZN_OK)
    urc = zn_udp_bind(us, NULL, 7);
  if (urc == ZN_OK) {
    zn_udp_set_recv_cb(us, on_dgram, &got);
    urc = zn_udp_open(a, &ua);
  }
  if (urc == ZN_OK)
    urc = zn_udp_sendto(ua, &peer, 7, "hello", 5);
  for (int ms = 0; ms < 10; ms++, now += ZN_MS(1)) {
    zn_stack_poll(a, now);
    zn_stack_poll(b, now);
  }
  check(urc == ZN_OK && got.n == 1 && got.len == 5 &&
            zn_ip_eq(&got.from, &self),
        "a UDP datagram to a parsed address arrived from A");
  zn_udp_close(ua);
  zn_udp_close(us);

  struct zn_stats sa, sb;
  zn_stats_get(a, &sa);
  zn_stats_get(b, &sb);
  check(sb.v[ZN_STAT_icmp_echo_rx] == PINGS &&
            sb.v[ZN_STAT_icmp_echo_reply_tx] == PINGS,
        "B counted the requests and its replies");
  check(sa.v[ZN_STAT_icmp_echo_reply_rx] == PINGS,
        "A counted the replies");
  check(zn_stat(a, ZN_STAT_arp_req_tx) >= 1 &&
            zn_stat(b, ZN_STAT_arp_reply_tx) >= 1,
        "A resolved B with ARP");
  check(zn_stats_drops(&sa) == 0 && zn_stats_drops(&sb) == 0,
        "no packet dropped");
  for (int i = 0; i < ZN_STAT_COUNT; i++)
    if (sa.v[i] != 0 || sb.v[i] != 0)
      printf("# %-24s A %-6llu B %llu\n", zn_stat_name(i),
             (unsigned long long)sa.v[i], (unsigned long long)sb.v[i]);

  zn_memlink_purge(&link);
  zn_stack_destroy(a);
  zn_stack_destroy(b);
  check(zn_stack_bufs_in_use(a) == 0 && zn_stack_bufs_in_use(b) == 0,
        "every buffer returned");
  free(mem_a);
  free(mem_b);
  printf("1..%d\n", checks);
  return failures == 0 ? 0 : 1;
}
