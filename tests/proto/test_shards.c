/*
 * Shards: stacks with one address and one MAC on one link, each on its
 * own queue of a device that steers each frame to one of them
 * (znet/steer.h), as a multi-queue TAP does with tap_steer.c's program.
 * Here the device is a memlink fan (zn_memlink_init_fan) whose steering
 * function is the same rule over tables the test keeps, and the group's
 * work between polls is done by the test as the real group does it:
 *  - flows: each shard's TCP tells its flows (zn_tcp_set_flow_hooks):
 *    into the flow table at their first segment, out at their end;
 *  - listeners: a port row spreads a listening port's buckets over the
 *    shards serving it;
 *  - neighbors: only shard 0 sees ARP (the rule's slot 0); it publishes
 *    what it learns (`learned`), the others ask for what they need
 *    (`wanted`) and are told (zn_arp_learn).
 * Cases: ARP answered once and by shard 0; a flow stays with its shard,
 * also when its bucket moves; the other shards resolve through shard 0
 * and send no ARP; the answer to an outgoing connection reaches the
 * shard that opened it (and, unpinned, would not); a shard that joins
 * later (a listener made again after fork) takes new connections while
 * the old ones stay where they were.
 */
#include <stdlib.h>

#include "../proto/proto_util.h"
#include "core/stack_int.h"
#include "internals.h"
#include "tcp/tcp_int.h" /* zn__tcp_tw_used */
#include "znet/steer.h"

#define MAXSH 3
#define MAXFLOWS 512
#define MAXPORTS 4
#define IP_US IP_B /* the shards' address */
#define IP_PEER IP_A

struct group;
struct shard_arg {
  struct group *g;
  uint32_t slot;
};

struct group {
  struct zn_memlink_end peer_end, ends[MAXSH];
  struct zn_stack *peer, *sh[MAXSH];
  uint32_t nsh;
  struct shard_arg args[MAXSH];
  uint64_t now;
  /* The device's tables. */
  struct {
    struct zn_steer_key k;
    uint32_t slot;
    bool used;
  } flow[MAXFLOWS];
  uint32_t nflows;
  struct {
    uint32_t key;
    uint8_t slots[ZN_STEER_BUCKETS];
    bool used;
  } port[MAXPORTS];
  bool pin; /* tell the flows to the table (off: the control case) */
  /* Neighbors: what shard 0 published; what others want. */
  struct {
    uint32_t ip;
    uint8_t mac[6];
  } pub[16];
  uint32_t npub;
  struct {
    uint32_t ip, slot;
  } want[64];
  uint32_t nwant;
  uint32_t steered[MAXSH]; /* frames the device gave each shard */
};

/* ---- the device ---- */

static int find_flow(const struct group *g, const struct zn_steer_key *k) {
  for (uint32_t i = 0; i < MAXFLOWS; i++)
    if (g->flow[i].used && memcmp(&g->flow[i].k, k, sizeof(*k)) == 0)
      return (int)i;
  return -1;
}

static struct zn_memlink_end *steer(void *arg, const uint8_t *f, size_t len) {
  struct group *g = arg;
  struct zn_steer_key k;
  uint32_t slot = 0;
  if (zn_steer_key_of_frame(f, len, &k) != ZN_STEER_OTHER) {
    int i = find_flow(g, &k);
    if (i >= 0) {
      slot = g->flow[i].slot;
    } else {
      uint32_t pk = zn_steer_port_key(k.proto, k.local_port);
      for (uint32_t p = 0; p < MAXPORTS; p++)
        if (g->port[p].used && g->port[p].key == pk)
          slot = g->port[p].slots[zn_steer_bucket(&k)];
    }
  }
  if (slot >= g->nsh)
    return NULL;
  g->steered[slot]++;
  return &g->ends[slot];
}

static void flow_opened(void *arg, const struct zn_steer_key *k) {
  struct shard_arg *a = arg;
  struct group *g = a->g;
  if (!g->pin)
    return;
  int i = find_flow(g, k);
  for (uint32_t j = 0; i < 0 && j < MAXFLOWS; j++)
    if (!g->flow[j].used)
      i = (int)j;
  ZT_CHECK(i >= 0);
  if (i < 0)
    return;
  g->flow[i].k = *k;
  g->flow[i].slot = a->slot;
  if (!g->flow[i].used)
    g->nflows++;
  g->flow[i].used = true;
}

static void flow_closed(void *arg, const struct zn_steer_key *k) {
  struct shard_arg *a = arg;
  int i = find_flow(a->g, k);
  if (i >= 0 && a->g->flow[i].slot == a->slot) {
    a->g->flow[i].used = false;
    a->g->nflows--;
  }
}

/* Port row for TCP port: bucket b to serving[b % n]. */
static void port_row(struct group *g, uint16_t port, const uint32_t *serving,
                     uint32_t n) {
  uint32_t pk = zn_steer_port_key(6, port);
  uint32_t p = 0;
  while (p < MAXPORTS && g->port[p].used && g->port[p].key != pk)
    p++;
  ZT_REQUIRE(p < MAXPORTS);
  g->port[p].used = true;
  g->port[p].key = pk;
  for (uint32_t b = 0; b < ZN_STEER_BUCKETS; b++)
    g->port[p].slots[b] = (uint8_t)serving[b % n];
}

/* ---- neighbors ---- */

static void published(void *arg, const struct zn_ip *ip, const uint8_t mac[6]) {
  struct group *g = ((struct shard_arg *)arg)->g;
  uint32_t a = zn_ip_v4(ip), i = 0;
  while (i < g->npub && g->pub[i].ip != a)
    i++;
  ZT_REQUIRE(i < 16);
  g->pub[i].ip = a;
  memcpy(g->pub[i].mac, mac, 6);
  if (i == g->npub)
    g->npub++;
}

static void wanted(void *arg, const struct zn_ip *ip) {
  struct shard_arg *a = arg;
  struct group *g = a->g;
  ZT_REQUIRE(g->nwant < 64);
  g->want[g->nwant].ip = zn_ip_v4(ip);
  g->want[g->nwant].slot = a->slot;
  g->nwant++;
}

/* After a poll: tell each wish what shard 0 knows, or ask shard 0. */
static void settle_neighbors(struct group *g) {
  uint32_t keep = 0;
  for (uint32_t w = 0; w < g->nwant; w++) {
    uint32_t ip = g->want[w].ip;
    uint8_t mac[6];
    bool told = false;
    for (uint32_t i = 0; i < g->npub && !told; i++)
      if (g->pub[i].ip == ip) {
        ZT_EQ(zn_arp_learn(g->sh[g->want[w].slot], ip, g->pub[i].mac), ZN_OK);
        told = true;
      }
    if (!told && zn_arp_resolve(g->sh[0], ip, mac) == ZN_OK) {
      ZT_EQ(zn_arp_learn(g->sh[g->want[w].slot], ip, mac), ZN_OK);
      told = true;
    }
    if (!told)
      g->want[keep++] = g->want[w];
  }
  g->nwant = keep;
}

/* ---- the group ---- */

static struct zn_stack *shard_new(struct group *g, uint32_t slot) {
  struct zn_config cfg;
  th_config(&cfg, IP_US, 24, 2); /* one MAC and address for all */
  cfg.arp_announce = false;
  cfg.port_share = (uint16_t)slot; /* their own ephemeral ports */
  cfg.port_shares = MAXSH;
  struct zn_stack *st = th_stack_new(&cfg);
  ZT_CHECK(st != NULL);
  if (st == NULL)
    abort();
  zn_stack_attach(st, &g->ends[slot].nif);
  g->args[slot] = (struct shard_arg){g, slot};
  struct zn_flow_hooks fh = {flow_opened, flow_closed, &g->args[slot]};
  zn_tcp_set_flow_hooks(st, &fh);
  zn_udp_set_flow_hooks(st, &fh);
  struct zn_neigh_hooks nh = {.arg = &g->args[slot]};
  if (slot == 0)
    nh.learned = published;
  else
    nh.wanted = wanted;
  zn_arp_set_hooks(st, &nh);
  zn_stack_poll(st, g->now);
  return st;
}

static void group_init(struct group *g, uint32_t nsh) {
  memset(g, 0, sizeof(*g));
  g->pin = true;
  g->nsh = nsh;
  zn_memlink_init_fan(&g->peer_end, g->ends, MAXSH, 0, 0, steer, g);
  struct zn_config cfg;
  th_config(&cfg, IP_PEER, 24, 1);
  cfg.arp_announce = false;
  g->peer = th_stack_new(&cfg);
  ZT_REQUIRE(g->peer != NULL);
  zn_stack_attach(g->peer, &g->peer_end.nif);
  zn_stack_poll(g->peer, 0);
  for (uint32_t i = 0; i < nsh; i++)
    g->sh[i] = shard_new(g, i);
}

static bool in_flight(const struct group *g) {
  if (g->peer_end.rxq.count)
    return true;
  for (uint32_t i = 0; i < g->nsh; i++)
    if (g->ends[i].rxq.count)
      return true;
  return false;
}

static void group_run(struct group *g, uint64_t dur) {
  uint64_t end = g->now + dur;
  for (int guard = 0; guard < 1000000; guard++) {
    zn_stack_poll(g->peer, g->now);
    for (uint32_t i = 0; i < g->nsh; i++)
      zn_stack_poll(g->sh[i], g->now);
    settle_neighbors(g);
    if (in_flight(g))
      continue;
    uint64_t next = zn_stack_next_deadline(g->peer);
    for (uint32_t i = 0; i < g->nsh; i++) {
      uint64_t d = zn_stack_next_deadline(g->sh[i]);
      next = d < next ? d : next;
    }
    if (next <= g->now)
      next = g->now + 1;
    if (next > end) {
      g->now = end;
      return;
    }
    g->now = next;
  }
  zt_fail(__FILE__, __LINE__, "group_run did not settle");
}

static void group_free(struct group *g) {
  zn_memlink_end_purge(&g->peer_end);
  for (uint32_t i = 0; i < MAXSH; i++)
    zn_memlink_end_purge(&g->ends[i]);
  th_stack_free(g->peer);
  for (uint32_t i = 0; i < g->nsh; i++)
    th_stack_free(g->sh[i]);
}

/* ---- the programs: an echo server on each shard, clients on the peer ---- */

struct srv {
  uint32_t conns;
};

static void srv_readable(struct zn_tcp_conn *c, void *arg) {
  (void)arg;
  uint8_t buf[2048];
  long n;
  while ((n = zn_tcp_read(c, buf, sizeof buf)) > 0)
    zn_tcp_write(c, buf, (size_t)n);
  if (n == 0)
    zn_tcp_close(c);
}

static void srv_error(struct zn_tcp_conn *c, void *arg, int err) {
  (void)arg, (void)err;
  zn_tcp_close(c);
}

static void srv_conn(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  ((struct srv *)arg)->conns++;
}

static const struct zn_tcp_callbacks srv_cbs = {.on_readable = srv_readable,
                                                .on_error = srv_error};

struct cli {
  struct zn_tcp_conn *c;
  uint32_t sent, got, bad, errors, connected;
  uint8_t seed;
};

static void cli_send(struct cli *k, uint32_t n) {
  uint8_t buf[1000];
  for (uint32_t i = 0; i < n && i < sizeof buf; i++)
    buf[i] = (uint8_t)(k->seed + k->sent + i);
  long w = zn_tcp_write(k->c, buf, n);
  ZT_EQ(w, (long)n);
  k->sent += (uint32_t)(w > 0 ? w : 0);
}

static void cli_connected(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  ((struct cli *)arg)->connected++;
}

static void cli_readable(struct zn_tcp_conn *c, void *arg) {
  struct cli *k = arg;
  uint8_t buf[2048];
  long n;
  while ((n = zn_tcp_read(c, buf, sizeof buf)) > 0)
    for (long i = 0; i < n; i++, k->got++)
      k->bad += buf[i] != (uint8_t)(k->seed + k->got);
}

static void cli_error(struct zn_tcp_conn *c, void *arg, int err) {
  (void)c, (void)err;
  ((struct cli *)arg)->errors++;
}

static const struct zn_tcp_callbacks cli_cbs = {.on_connected = cli_connected,
                                                .on_readable = cli_readable,
                                                .on_error = cli_error};

/* zn_tcp_serve keeps its options: one set per shard, kept here. */
static struct zn_tcp_serve_opts serve_opts[MAXSH];

static void serve_on(struct group *g, uint32_t slot, uint16_t port,
                     struct srv *s) {
  serve_opts[slot] = (struct zn_tcp_serve_opts){
      .port = port, .cb = &srv_cbs, .arg = s, .on_conn = srv_conn};
  ZT_EQ(zn_tcp_serve(g->sh[slot], &serve_opts[slot], NULL), ZN_OK);
}

static uint64_t stat_of(struct zn_stack *st, enum zn_stat id) {
  return zn_stat(st, id);
}

/* The slot the port row sends a client's first segment to. */
static uint32_t slot_of_client(const struct group *g, struct zn_tcp_conn *c,
                               uint16_t port) {
  struct zn_tcp_info info;
  zn_tcp_get_info(c, &info);
  struct zn_steer_key k;
  zn_steer_key_of_flow(&k, 6, &info.laddr, info.lport, port);
  uint32_t pk = zn_steer_port_key(6, port);
  for (uint32_t p = 0; p < MAXPORTS; p++)
    if (g->port[p].used && g->port[p].key == pk)
      return g->port[p].slots[zn_steer_bucket(&k)];
  return 0;
}

/* ---- cases ---- */

ZT_TEST(test_arp_answered_once_by_shard_0) {
  struct group g;
  group_init(&g, 2);
  struct srv s[2] = {{0}, {0}};
  serve_on(&g, 0, 80, &s[0]);
  serve_on(&g, 1, 80, &s[1]);
  uint32_t both[2] = {0, 1};
  port_row(&g, 80, both, 2);
  struct cli k = {.seed = 1};
  ZT_EQ(zn_tcp_connect(g.peer, TH_IP(IP_US), 80, &cli_cbs, &k, &k.c), ZN_OK);
  group_run(&g, ZN_MS(100));
  ZT_EQ(k.connected, 1);
  ZT_EQU(stat_of(g.peer, ZN_STAT_arp_req_tx), 1);
  ZT_EQU(stat_of(g.peer, ZN_STAT_arp_reply_rx), 1);
  ZT_EQU(stat_of(g.sh[0], ZN_STAT_arp_reply_tx), 1);
  ZT_EQU(stat_of(g.sh[1], ZN_STAT_arp_rx), 0); /* no ARP reaches shard 1 */
  group_free(&g);
}

ZT_TEST(test_flows_stay_with_their_shard) {
  struct group g;
  group_init(&g, 2);
  struct srv s[2] = {{0}, {0}};
  serve_on(&g, 0, 80, &s[0]);
  serve_on(&g, 1, 80, &s[1]);
  uint32_t both[2] = {0, 1};
  port_row(&g, 80, both, 2);
  enum { N = 40 };
  static struct cli k[N];
  uint32_t want[2] = {0, 0};
  memset(k, 0, sizeof(k));
  for (int i = 0; i < N; i++) {
    k[i].seed = (uint8_t)(i * 7);
    ZT_EQ(zn_tcp_connect(g.peer, TH_IP(IP_US), 80, &cli_cbs, &k[i], &k[i].c),
          ZN_OK);
    want[slot_of_client(&g, k[i].c, 80)]++;
  }
  /* (ARP keeps a few datagrams per address: the other SYNs go again.) */
  group_run(&g, ZN_SEC(4));
  for (int i = 0; i < N; i++)
    cli_send(&k[i], 1000);
  group_run(&g, ZN_MS(200));
  /* Every connection taken where the port row said, all echoed. */
  ZT_EQ(s[0].conns, want[0]);
  ZT_EQ(s[1].conns, want[1]);
  ZT_CHECK(want[0] > 5 && want[1] > 5);
  ZT_EQ(g.nflows, (uint32_t)N);
  /* The bucket rows move (a shard left, say): all to shard 0.  The flows
   * stay with the shard that holds them. */
  uint32_t only0[1] = {0};
  port_row(&g, 80, only0, 1);
  for (int i = 0; i < N; i++)
    cli_send(&k[i], 1000);
  group_run(&g, ZN_MS(200));
  uint32_t ok = 0;
  for (int i = 0; i < N; i++) {
    ok += k[i].connected == 1 && k[i].got == 2000 && k[i].bad == 0 &&
          k[i].errors == 0;
  }
  ZT_EQ(ok, (uint32_t)N);
  /* Shard 1 answered its SYNs without ARP of its own: shard 0 told it. */
  ZT_EQU(stat_of(g.sh[1], ZN_STAT_arp_req_tx), 0);
  ZT_CHECK(stat_of(g.sh[1], ZN_STAT_arp_req_wanted) >= 1);
  ZT_EQU(stat_of(g.sh[1], ZN_STAT_arp_learned_rx), 1);
  ZT_EQU(stat_of(g.sh[1], ZN_STAT_tcp_rst_tx), 0);
  ZT_EQU(stat_of(g.sh[0], ZN_STAT_tcp_rst_tx), 0);
  /* Closed: out of the flow table. */
  for (int i = 0; i < N; i++)
    zn_tcp_close(k[i].c);
  group_run(&g, ZN_SEC(2));
  ZT_EQ(g.nflows, 0);
  group_free(&g);
}

/* Shard 1 connects out: the peer's answers must come back to it.  With
 * its flow in the table they do; without (the control), they go by the
 * rule's default to shard 0, which knows no such connection and resets
 * it. */
static void outgoing(bool pin) {
  struct group g;
  group_init(&g, 2);
  g.pin = pin;
  static struct srv s;
  static const struct zn_tcp_serve_opts o = {
      .port = 9000, .cb = &srv_cbs, .arg = &s, .on_conn = srv_conn};
  ZT_EQ(zn_tcp_serve(g.peer, &o, NULL), ZN_OK);
  struct cli k = {.seed = 3};
  ZT_EQ(zn_tcp_connect(g.sh[1], TH_IP(IP_PEER), 9000, &cli_cbs, &k, &k.c),
        ZN_OK);
  group_run(&g, ZN_MS(100));
  if (pin) {
    ZT_EQ(k.connected, 1);
    cli_send(&k, 1000);
    group_run(&g, ZN_MS(100));
    ZT_EQ(k.got, 1000);
    ZT_EQ(k.bad, 0);
    ZT_EQ(k.errors, 0);
    ZT_EQ(g.steered[1] > 0, 1);
  } else {
    ZT_EQ(k.connected, 0);
    ZT_CHECK(stat_of(g.sh[0], ZN_STAT_tcp_rst_tx) >= 1);
  }
  zn_tcp_abort(k.c);
  group_run(&g, ZN_SEC(1));
  group_free(&g);
}

ZT_TEST(test_outgoing_answer_reaches_its_shard) { outgoing(true); }

/* Shard 1 closes first (the peer's echo server closes on its FIN):
 * shard 1's end waits in TIME_WAIT, as a record once its slot is given
 * back, and keeps its flow the whole 2 MSL, so a late segment of the
 * connection reaches it, not another shard (which would reset it). */
ZT_TEST(test_time_wait_keeps_its_flow) {
  struct group g;
  group_init(&g, 2);
  static struct srv s;
  static const struct zn_tcp_serve_opts o = {
      .port = 9000, .cb = &srv_cbs, .arg = &s, .on_conn = srv_conn};
  ZT_EQ(zn_tcp_serve(g.peer, &o, NULL), ZN_OK);
  struct cli k = {.seed = 5};
  ZT_EQ(zn_tcp_connect(g.sh[1], TH_IP(IP_PEER), 9000, &cli_cbs, &k, &k.c),
        ZN_OK);
  group_run(&g, ZN_MS(100));
  ZT_EQ(k.connected, 1);
  ZT_EQ(g.nflows, 1);
  zn_tcp_close(k.c);
  group_run(&g, ZN_SEC(2));
  ZT_EQU(zn__tcp_tw_used(g.sh[1]), 1); /* a record, its slot given back */
  ZT_EQ(g.nflows, 1); /* in TIME_WAIT, as a record: still steered */
  group_run(&g, ZN_SEC(60));
  ZT_EQ(g.nflows, 0); /* 2 MSL over: the record and its flow gone */
  ZT_EQU(stat_of(g.sh[0], ZN_STAT_tcp_rst_tx), 0);
  ZT_EQU(stat_of(g.sh[1], ZN_STAT_tcp_rst_tx), 0);
  group_free(&g);
}
ZT_TEST(test_outgoing_unpinned_goes_astray) { outgoing(false); }

/* A third shard joins with the listener made again (a forked worker's):
 * the port row takes it in, new connections reach it, the old ones stay
 * with their shards. */
ZT_TEST(test_shard_joining_later_takes_new_connections) {
  struct group g;
  group_init(&g, 2);
  struct srv s[3] = {{0}, {0}, {0}};
  serve_on(&g, 0, 80, &s[0]);
  serve_on(&g, 1, 80, &s[1]);
  uint32_t two[2] = {0, 1};
  port_row(&g, 80, two, 2);
  enum { N = 24 };
  static struct cli k[2 * N];
  memset(k, 0, sizeof(k));
  for (int i = 0; i < N; i++) {
    k[i].seed = (uint8_t)i;
    ZT_EQ(zn_tcp_connect(g.peer, TH_IP(IP_US), 80, &cli_cbs, &k[i], &k[i].c),
          ZN_OK);
  }
  group_run(&g, ZN_SEC(4));
  g.nsh = 3;
  g.sh[2] = shard_new(&g, 2);
  serve_on(&g, 2, 80, &s[2]);
  uint32_t three[3] = {0, 1, 2};
  port_row(&g, 80, three, 3);
  uint32_t want2 = 0;
  for (int i = N; i < 2 * N; i++) {
    k[i].seed = (uint8_t)i;
    ZT_EQ(zn_tcp_connect(g.peer, TH_IP(IP_US), 80, &cli_cbs, &k[i], &k[i].c),
          ZN_OK);
    want2 += slot_of_client(&g, k[i].c, 80) == 2;
  }
  group_run(&g, ZN_SEC(4));
  for (int i = 0; i < 2 * N; i++)
    cli_send(&k[i], 700);
  group_run(&g, ZN_MS(300));
  uint32_t ok = 0;
  for (int i = 0; i < 2 * N; i++)
    ok += k[i].got == 700 && k[i].bad == 0 && k[i].errors == 0;
  ZT_EQ(ok, (uint32_t)(2 * N));
  ZT_EQ(s[0].conns + s[1].conns, (uint32_t)N + (uint32_t)N - want2);
  ZT_EQ(s[2].conns, want2);
  ZT_CHECK(want2 > 2);
  for (int i = 0; i < 2 * N; i++)
    zn_tcp_abort(k[i].c);
  group_run(&g, ZN_SEC(1));
  group_free(&g);
}

/* Each shard picks its ephemeral ports from its own share (p % 3 ==
 * slot): two shards never open the same flow to one peer and port. */
ZT_TEST(test_ephemeral_ports_shared_out) {
  struct group g;
  group_init(&g, MAXSH);
  static struct srv s;
  static const struct zn_tcp_serve_opts o = {
      .port = 9000, .cb = &srv_cbs, .arg = &s, .on_conn = srv_conn};
  ZT_EQ(zn_tcp_serve(g.peer, &o, NULL), ZN_OK);
  enum { N = 16 }; /* 48 in all: the peer's table holds 64 */
  static struct cli k[MAXSH][N];
  memset(k, 0, sizeof(k));
  uint32_t wrong = 0;
  for (uint32_t sh = 0; sh < MAXSH; sh++) {
    for (int i = 0; i < N; i++) {
      ZT_EQ(zn_tcp_connect(g.sh[sh], TH_IP(IP_PEER), 9000, &cli_cbs,
                           &k[sh][i], &k[sh][i].c),
            ZN_OK);
      struct zn_tcp_info info;
      zn_tcp_get_info(k[sh][i].c, &info);
      wrong += info.lport % MAXSH != sh;
    }
    struct zn_udp_sock *u;
    ZT_EQ(zn_udp_open(g.sh[sh], &u), ZN_OK);
    ZT_EQ(zn_udp_sendto(u, TH_IP(IP_PEER), 9, "x", 1), ZN_OK);
    wrong += zn_udp_local_port(u) % MAXSH != sh;
    zn_udp_close(u);
    struct zn_tcp_conn *l;
    ZT_EQ(zn_tcp_listen_opts(g.sh[sh], NULL, 0, 4, NULL, &srv_cbs, &s, &l),
          ZN_OK);
    struct zn_tcp_info li;
    zn_tcp_get_info(l, &li);
    wrong += li.lport % MAXSH != sh;
    zn_tcp_close(l);
  }
  ZT_EQ(wrong, 0);
  group_run(&g, ZN_SEC(4));
  uint32_t up = 0;
  for (uint32_t sh = 0; sh < MAXSH; sh++)
    for (int i = 0; i < N; i++)
      up += k[sh][i].connected;
  ZT_EQ(up, MAXSH * N);
  ZT_EQ(s.conns, MAXSH * N);
  for (uint32_t sh = 0; sh < MAXSH; sh++)
    for (int i = 0; i < N; i++)
      zn_tcp_abort(k[sh][i].c);
  group_run(&g, ZN_SEC(1));
  group_free(&g);
}

/* A connected UDP socket of shard 2 (a DNS client's): the peer's answers
 * reach it through its flow; closed, the flow goes.  Unpinned (the
 * control), they go to shard 0, which has no such socket. */
static uint32_t udp_got;
static void udp_rx(struct zn_udp_sock *u, void *arg,
                   const struct zn_udp_dgram *d) {
  (void)u, (void)arg;
  udp_got += (uint32_t)d->len;
}
static void udp_echo(struct zn_udp_sock *u, void *arg,
                     const struct zn_udp_dgram *d) {
  (void)arg;
  zn_udp_sendto(u, &d->src, d->sport, d->data, d->len);
}

static void udp_client(bool pin) {
  struct group g;
  group_init(&g, MAXSH);
  g.pin = pin;
  struct zn_udp_sock *srv, *cli;
  ZT_EQ(zn_udp_open(g.peer, &srv), ZN_OK);
  ZT_EQ(zn_udp_bind(srv, NULL, 53), ZN_OK);
  zn_udp_set_recv_cb(srv, udp_echo, NULL);
  ZT_EQ(zn_udp_open(g.sh[2], &cli), ZN_OK);
  zn_udp_set_recv_cb(cli, udp_rx, NULL);
  ZT_EQ(zn_udp_connect(cli, TH_IP(IP_PEER), 53), ZN_OK);
  ZT_EQ(g.nflows, pin ? 1u : 0u);
  udp_got = 0;
  /* One first: ARP holds only a few datagrams while it resolves. */
  ZT_EQ(zn_udp_send(cli, "query", 5), ZN_OK);
  group_run(&g, ZN_MS(100));
  for (int i = 0; i < 4; i++)
    ZT_EQ(zn_udp_send(cli, "query", 5), ZN_OK);
  group_run(&g, ZN_MS(100));
  ZT_EQ(udp_got, pin ? 25u : 0u);
  if (!pin)
    ZT_CHECK(zn_stat(g.sh[0], ZN_STAT_udp_drop_noport) >= 1);
  zn_udp_close(cli);
  ZT_EQ(g.nflows, 0);
  zn_udp_close(srv);
  group_run(&g, ZN_MS(10));
  group_free(&g);
}

ZT_TEST(test_udp_client_answers_reach_its_shard) { udp_client(true); }
ZT_TEST(test_udp_client_unpinned_goes_astray) { udp_client(false); }

ZT_TEST(test_port_shares_checked) {
  struct zn_config cfg;
  th_config(&cfg, IP_US, 24, 2);
  cfg.port_shares = 2;
  cfg.port_share = 2;
  ZT_EQU(zn_stack_mem_size(&cfg), 0);
  cfg.port_share = 1;
  ZT_CHECK(zn_stack_mem_size(&cfg) > 0);
  cfg.port_shares = 257;
  ZT_EQU(zn_stack_mem_size(&cfg), 0);
}

int main(void) {
  ZT_RUN(test_arp_answered_once_by_shard_0);
  ZT_RUN(test_flows_stay_with_their_shard);
  ZT_RUN(test_outgoing_answer_reaches_its_shard);
  ZT_RUN(test_time_wait_keeps_its_flow);
  ZT_RUN(test_outgoing_unpinned_goes_astray);
  ZT_RUN(test_shard_joining_later_takes_new_connections);
  ZT_RUN(test_ephemeral_ports_shared_out);
  ZT_RUN(test_udp_client_answers_reach_its_shard);
  ZT_RUN(test_udp_client_unpinned_goes_astray);
  ZT_RUN(test_port_shares_checked);
  return zt_done();
}
