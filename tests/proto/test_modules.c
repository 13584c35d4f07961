/*
 * The assembly of a stack from its table of modules (src/assembly): a
 * stack without a module works and counts that module's traffic as a
 * drop (DHCPv4, TCP, IPv6's address configuration), a table missing what
 * a module needs is refused, and a protocol registered from outside the
 * library goes through the same table of transports as UDP and TCP.
 */
#include <string.h>

#include "harness.h"
#include "internals.h"
#include "zt.h"

#define A_IP ZN_IPV4(10, 0, 0, 1)
#define B_IP ZN_IPV4(10, 0, 0, 2)
#define TOY_PROTO 253 /* RFC 3692: for experimentation */

/* The default table's modules but those named in `without` (a list of
 * names ending in NULL), in the default order. */
static size_t table_without(const struct zn__module **tab,
                            const char *const *without) {
  static const char *const order[] = {"eth",     "arp", "inet", "ip",
                                      "icmp",    "ip6", "ip6conf",
                                      "udp",     "tcp", "dhcp4"};
  size_t n = 0;
  for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
    bool skip = false;
    for (const char *const *w = without; *w; w++)
      skip = skip || strcmp(*w, order[i]) == 0;
    if (!skip)
      tab[n++] = zn__module_find(order[i]);
  }
  return n;
}

/* p: A a whole stack, B one made from tab; both with IPv6 on if ipv6. */
static void pair_with(struct th_pair *p, const struct zn__module **tab,
                      size_t n, bool ipv6) {
  struct zn_config ca, cb;
  memset(p, 0, sizeof(*p));
  th_config(&ca, A_IP, 24, 1);
  th_config(&cb, B_IP, 24, 2);
  ca.ipv6 = ipv6;
  cb.ipv6 = ipv6;
  zn_memlink_init(&p->link, 0, 0);
  p->a = th_stack_new(&ca);
  p->b = th_stack_new_with(&cb, tab, n);
  ZT_REQUIRE(p->a && p->b);
  zn_stack_attach(p->a, &p->link.a.nif);
  zn_stack_attach(p->b, &p->link.b.nif);
}

static int echo_replies;

static void on_echo_reply(struct zn_stack *st, void *arg,
                          const struct zn_icmp_echo *r) {
  (void)st;
  (void)arg;
  (void)r;
  echo_replies++;
}

static int connected;

static void on_connected(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  (void)arg;
  connected++;
}

static void on_accept(struct zn_tcp_conn *l, void *arg) {
  (void)arg;
  struct zn_tcp_conn *c;
  while (zn_tcp_accept(l, &c) == ZN_OK)
    zn_tcp_close(c);
}

static const struct zn_tcp_callbacks cbs = {.on_accept = on_accept,
                                            .on_connected = on_connected};

/* A UDP datagram from A to B's port. */
static void send_udp(struct th_pair *p, uint16_t port) {
  struct zn_udp_sock *s;
  ZT_EQ(zn_udp_open(p->a, &s), ZN_OK);
  ZT_EQ(zn_udp_sendto(s, TH_IP(B_IP), port, "x", 1), ZN_OK);
  th_pair_run(p, ZN_MS(10));
  zn_udp_close(s);
}

/* A pings B (ARP, then ICMP) and hears the reply. */
static void ping_answered(struct th_pair *p) {
  echo_replies = 0;
  zn_icmp_set_echo_reply_cb(p->a, on_echo_reply, NULL);
  ZT_EQ(zn_icmp_echo_send(p->a, B_IP, 1, 1, "ping", 4), ZN_OK);
  th_pair_run(p, ZN_MS(100));
  ZT_EQ(echo_replies, 1);
}

/* A connects to B's listener on port 80 over IPv4, and both close. */
static void tcp_connects(struct th_pair *p) {
  struct zn_tcp_conn *l, *c;
  connected = 0;
  ZT_EQ(zn_tcp_listen(p->b, NULL, 80, 0, &cbs, NULL, &l), ZN_OK);
  ZT_EQ(zn_tcp_connect(p->a, TH_IP(B_IP), 80, &cbs, NULL, &c), ZN_OK);
  th_pair_run(p, ZN_MS(100));
  ZT_EQ(connected, 1);
  zn_tcp_close(c);
  zn_tcp_close(l);
}

ZT_TEST(test_stack_without_dhcp4_works_and_drops_its_traffic) {
  const struct zn__module *tab[ZN__MOD_SLOTS];
  size_t n = table_without(tab, (const char *const[]){"dhcp4", NULL});
  struct th_pair p;
  pair_with(&p, tab, n, false);
  ZT_CHECK(ZN__MOD(p.b, dhcp4) == NULL);
  ZT_CHECK(ZN__MOD(p.b, udp) != NULL);
  /* The others: ARP and ping, TCP. */
  ping_answered(&p);
  tcp_connects(&p);
  /* The client's port: nobody there, counted as UDP's drop. */
  uint64_t noport = zn_stat(p.b, ZN_STAT_udp_drop_noport);
  send_udp(&p, ZN_DHCP4_CLIENT_PORT);
  ZT_EQU(zn_stat(p.b, ZN_STAT_udp_drop_noport), noport + 1);
  th_pair_run(&p, ZN_SEC(130));
  th_pair_free(&p);
}

ZT_TEST(test_stack_without_tcp_drops_segments_as_unknown_protocol) {
  const struct zn__module *tab[ZN__MOD_SLOTS];
  size_t n = table_without(tab, (const char *const[]){"dhcp4", "tcp", NULL});
  struct th_pair p;
  pair_with(&p, tab, n, false);
  struct zn_tcp_conn *c;
  ZT_EQ(zn_tcp_connect(p.a, TH_IP(B_IP), 80, &cbs, NULL, &c), ZN_OK);
  th_pair_run(&p, ZN_MS(100));
  /* RFC 1122 §3.2.2.1: protocol unreachable, which ends A's attempt. */
  ZT_CHECK(zn_stat(p.b, ZN_STAT_ip_drop_proto) >= 1);
  ZT_CHECK(zn_stat(p.b, ZN_STAT_icmp_err_tx) >= 1);
  zn_tcp_close(c);
  /* UDP still works. */
  uint64_t noport = zn_stat(p.b, ZN_STAT_udp_drop_noport);
  send_udp(&p, 9);
  ZT_EQU(zn_stat(p.b, ZN_STAT_udp_drop_noport), noport + 1);
  th_pair_run(&p, ZN_SEC(130));
  th_pair_free(&p);
}

/* An IPv4-only host: no IPv6 layer, no IPv6 configuration.  IPv4 works,
 * an IPv6 frame is dropped as an unknown EtherType, and the transports
 * answer an IPv6 peer as a family with no address. */
ZT_TEST(test_stack_without_ipv6_works_and_drops_its_traffic) {
  const struct zn__module *tab[ZN__MOD_SLOTS];
  size_t n = table_without(tab, (const char *const[]){"ip6", "ip6conf",
                                                      "dhcp4", NULL});
  struct th_pair p;
  pair_with(&p, tab, n, false);
  ZT_CHECK(ZN__MOD(p.b, ip6) == NULL);
  tcp_connects(&p);
  /* An IPv6 frame to B's MAC. */
  uint8_t f[ZN_ETH_HDR_LEN + 40] = {0};
  memcpy(f, zn_stack_mac(p.b), 6);
  memcpy(f + 6, zn_stack_mac(p.a), 6);
  zn_wr16(f + 12, ZN_ETHERTYPE_IPV6);
  f[14] = 0x60;
  f[14 + 6] = ZN_IPPROTO_NONE;
  f[14 + 7] = 64;
  struct zn_buf *b = zn_stack_buf_alloc(p.b, sizeof(f));
  memcpy(zn_buf_put(b, sizeof(f)), f, sizeof(f));
  uint64_t drops = zn_stat(p.b, ZN_STAT_eth_drop_type);
  zn_stack_input(p.b, b);
  ZT_EQU(zn_stat(p.b, ZN_STAT_eth_drop_type), drops + 1);
  /* The transports with an IPv6 peer. */
  struct zn_ip peer6;
  ZT_EQ(zn_ip_parse("2001:db8::1", &peer6), ZN_OK);
  struct zn_tcp_conn *c;
  ZT_EQ(zn_tcp_connect(p.b, &peer6, 80, &cbs, NULL, &c),
        ZN_EADDRNOTAVAIL);
  struct zn_udp_sock *s;
  ZT_EQ(zn_udp_open(p.b, &s), ZN_OK);
  ZT_EQ(zn_udp_bind(s, &peer6, 53), ZN_EADDRNOTAVAIL);
  ZT_EQ(zn_udp_sendto(s, &peer6, 53, "x", 1), ZN_EADDRNOTAVAIL);
  zn_udp_close(s);
  th_pair_run(&p, ZN_SEC(130));
  th_pair_free(&p);
}

/* A router advertisement from fe80::1 (router lifetime 0, so that a stack
 * that takes it adds no router), to all-nodes with hop limit 255, put
 * into stack `to` as a frame from the link. */
static void ra_into(struct zn_stack *to, const uint8_t from_mac[6]) {
  static const uint8_t src[16] = {0xfe, 0x80, [15] = 1};
  static const uint8_t all_nodes[16] = {0xff, 2, [15] = 1};
  uint8_t f[14 + 40 + 16] = {0}, mac[6];
  uint8_t *m = f + 14 + 40;
  zn_icmp6_emit(m, ZN_ICMP6_ND_RA, 0, 64u << 24); /* Cur Hop Limit 64 */
  zn_icmp6_finish(m, 16,
                  zn_csum_pseudo6(src, all_nodes, 16, ZN_IPPROTO_ICMPV6));
  zn_ipv6_mcast_mac(all_nodes, mac);
  zn_eth_emit(f, mac, from_mac, ZN_ETHERTYPE_IPV6);
  struct zn_ipv6_hdr h = {0};
  h.plen = 16;
  h.nxt = ZN_IPPROTO_ICMPV6;
  h.hlim = ZN_ND_HOP_LIMIT;
  memcpy(h.src, src, 16);
  memcpy(h.dst, all_nodes, 16);
  zn_ipv6_emit(f + 14, &h);
  struct zn_buf *b = zn_stack_buf_alloc(to, sizeof(f));
  ZT_REQUIRE(b);
  memcpy(zn_buf_put(b, sizeof(f)), f, sizeof(f));
  zn_stack_input(to, b);
}

/* IPv6 on without its address configuration: IPv6 runs with empty
 * tables (no address, no router), router advertisements are of a type
 * nobody took, and IPv4 is untouched. */
ZT_TEST(test_stack_without_ip6conf_drops_ra_as_unhandled_type) {
  const struct zn__module *tab[ZN__MOD_SLOTS];
  size_t n = table_without(tab, (const char *const[]){"ip6conf", NULL});
  struct th_pair p;
  pair_with(&p, tab, n, true);
  ZT_CHECK(ZN__MOD(p.b, ip6conf) == NULL);
  ZT_CHECK(ZN__MOD(p.b, ip6)->up);
  /* A configures itself (link-local, DAD, RS, MLD reports) meanwhile. */
  th_pair_run(&p, ZN_SEC(3));
  ZT_EQU(zn_stack_ipv6_addrs(p.b, NULL, 0), 0);
  ZT_CHECK(zn_stack_ipv6_addrs(p.a, NULL, 0) >= 1);
  /* The same advertisement: A takes it, B drops it, counted. */
  ra_into(p.a, zn_stack_mac(p.b));
  ZT_EQU(zn_stat(p.a, ZN_STAT_icmp6_ra_rx), 1);
  ZT_EQU(zn_stat(p.a, ZN_STAT_ra_accepted), 1);
  uint64_t unhandled = zn_stat(p.b, ZN_STAT_icmp6_drop_type);
  ra_into(p.b, zn_stack_mac(p.a));
  ZT_EQU(zn_stat(p.b, ZN_STAT_icmp6_rx), 1);
  ZT_EQU(zn_stat(p.b, ZN_STAT_icmp6_drop_type), unhandled + 1);
  ZT_EQU(zn_stat(p.b, ZN_STAT_icmp6_ra_rx), 0);
  ZT_EQU(zn_stat(p.b, ZN_STAT_ra_rx), 0);
  /* IPv4: ARP and ping, TCP. */
  ping_answered(&p);
  tcp_connects(&p);
  th_pair_run(&p, ZN_SEC(130));
  th_pair_free(&p);
}

ZT_TEST(test_table_without_what_a_module_needs_refused) {
  struct zn_config cfg;
  th_config(&cfg, B_IP, 24, 2);
  const struct zn__module *tab[ZN__MOD_SLOTS];
  /* TCP and UDP without the transports' table; IPv4 without ARP. */
  size_t n = table_without(tab, (const char *const[]){"inet", NULL});
  ZT_EQU(zn__stack_mem_size_with(&cfg, tab, n), 0);
  n = table_without(tab, (const char *const[]){"arp", NULL});
  ZT_EQU(zn__stack_mem_size_with(&cfg, tab, n), 0);
  /* A module twice. */
  n = table_without(tab, (const char *const[]){NULL});
  tab[n] = tab[n - 1];
  ZT_EQU(zn__stack_mem_size_with(&cfg, tab, n + 1), 0);
  /* Out of order: a module before one it needs. */
  n = table_without(tab, (const char *const[]){NULL});
  const struct zn__module *t = tab[0];
  tab[0] = tab[1];
  tab[1] = t;
  ZT_EQU(zn__stack_mem_size_with(&cfg, tab, n), 0);
  /* The whole table, as zn_stack_mem_size. */
  tab[1] = tab[0];
  tab[0] = t;
  ZT_EQU(zn__stack_mem_size_with(&cfg, tab, n), zn_stack_mem_size(&cfg));
}

/* ---- a protocol from outside the library ---- */

struct toy {
  int got;
  struct zn_ip src, dst;
  uint8_t proto;
  uint8_t data[8];
  size_t len;
};

static struct toy toy;

static void toy_input(struct zn_stack *st, struct zn_buf *b,
                      const struct zn__inet_meta *m) {
  (void)st;
  toy.got++;
  toy.src = m->src;
  toy.dst = m->dst;
  toy.proto = m->proto;
  toy.len = b->len < sizeof(toy.data) ? b->len : sizeof(toy.data);
  memcpy(toy.data, b->data, toy.len);
  zn_buf_free(b);
}

static int toy_frames;

static void toy_frame_input(struct zn_stack *st, struct zn_buf *b,
                            uint16_t group) {
  (void)st;
  (void)group;
  toy_frames++;
  zn_buf_free(b);
}

/* A datagram of protocol proto with 4 bytes from A to B. */
static int send_proto(struct th_pair *p, uint8_t proto) {
  struct zn_buf *b = zn_stack_buf_alloc(p->a, 4);
  memcpy(zn_buf_put(b, 4), "toy!", 4);
  struct zn_ip src = zn_ip_from_v4(A_IP), dst = zn_ip_from_v4(B_IP);
  int rc = zn__af_send(p->a, b, &src, &dst, proto, 0, 0, false);
  th_pair_run(p, ZN_MS(10));
  return rc;
}

ZT_TEST(test_toy_protocol_registered_from_outside_gets_its_datagrams) {
  struct th_pair p;
  th_pair_init(&p, NULL, NULL);
  memset(&toy, 0, sizeof(toy));
  ZT_EQ(zn__inet_register(p.b, ZN__INET_ON_BOTH, TOY_PROTO, toy_input, NULL), ZN_OK);
  ZT_EQ(send_proto(&p, TOY_PROTO), ZN_OK);
  ZT_EQ(toy.got, 1);
  ZT_EQ(toy.proto, TOY_PROTO);
  ZT_CHECK(zn_ip_eq(&toy.src, TH_IP(A_IP)));
  ZT_CHECK(zn_ip_eq(&toy.dst, TH_IP(B_IP)));
  ZT_EQU(toy.len, 4);
  ZT_MEMEQ(toy.data, "toy!", 4);
  ZT_EQU(zn_stat(p.b, ZN_STAT_ip_drop_proto), 0);
  /* A protocol nobody registered: dropped, counted, answered. */
  ZT_EQ(send_proto(&p, TOY_PROTO + 1), ZN_OK);
  ZT_EQ(toy.got, 1);
  ZT_EQU(zn_stat(p.b, ZN_STAT_ip_drop_proto), 1);
  ZT_EQU(zn_stat(p.b, ZN_STAT_icmp_err_tx), 1);
  /* The toy's datagram is counted by no counter of the stack's own
   * transports, which the accounting at th_pair_free sums. */
  zn_stats_reset(p.b);
  th_pair_free(&p);
}

/* Each network layer's EtherType sits in the row its lookup reads
 * first, whatever the order of registration: one compare per frame. */
ZT_TEST(test_ethertypes_in_their_own_rows) {
  struct zn_config c;
  th_config(&c, A_IP, 24, 1);
  c.ipv6 = true;
  struct zn_stack *st = th_stack_new(&c);
  ZT_REQUIRE(st);
  const uint16_t types[] = {ZN_ETHERTYPE_IPV4, ZN_ETHERTYPE_ARP,
                            ZN_ETHERTYPE_IPV6};
  const struct zn__eth *e = ZN__MOD(st, eth);
  for (size_t i = 0; i < 3; i++)
    ZT_EQ(e->types[zn__eth_type_row(types[i])].type, types[i]);
  th_stack_free(st);
  struct th_pair p;
  th_pair_init(&p, NULL, NULL);
  /* A type whose row is taken goes to another and is still found. */
  uint16_t other = 0x0808; /* (Frame Relay ARP) IPv4's first row */
  ZT_EQ(zn__eth_type_row(other), zn__eth_type_row(ZN_ETHERTYPE_IPV4));
  ZT_EQ(zn__eth_register(p.b, other, toy_frame_input, false), ZN_OK);
  uint8_t f[64] = {0};
  memcpy(f, zn_stack_mac(p.b), 6);
  memcpy(f + 6, zn_stack_mac(p.a), 6);
  zn_wr16(f + 12, other);
  struct zn_buf *b = zn_stack_buf_alloc(p.b, sizeof(f));
  memcpy(zn_buf_put(b, sizeof(f)), f, sizeof(f));
  toy_frames = 0;
  zn_stack_input(p.b, b);
  ZT_EQ(toy_frames, 1);
  ZT_EQU(zn_stat(p.b, ZN_STAT_eth_drop_type), 0);
  zn_stats_reset(p.b);
  th_pair_free(&p);
}

/* A stack with no common EtherType (no IPv4): a frame of type 0 to it
 * is asked of the common type first, and is counted as an unknown type,
 * not handed to an input nobody registered. */
ZT_TEST(test_stack_without_ipv4_drops_type_zero) {
  struct zn_config c;
  th_config(&c, B_IP, 24, 2);
  c.ipv6 = true;
  const struct zn__module *tab[] = {
      zn__module_find("eth"), zn__module_find("arp"), zn__module_find("inet"),
      zn__module_find("ip6"), zn__module_find("ip6conf")};
  struct zn_stack *st = th_stack_new_with(&c, tab, 5);
  ZT_REQUIRE(st);
  ZT_CHECK(ZN__MOD(st, ip) == NULL);
  uint8_t f[60] = {0};
  memcpy(f, zn_stack_mac(st), 6);
  f[6] = 0x02; /* a unicast source; EtherType 0 */
  struct zn_buf *b = zn_stack_buf_alloc(st, sizeof(f));
  memcpy(zn_buf_put(b, sizeof(f)), f, sizeof(f));
  zn_stack_input(st, b);
  ZT_EQU(zn_stat(st, ZN_STAT_eth_drop_type), 1);
  zn_stats_reset(st);
  th_stack_free(st);
}

int main(void) {
  ZT_RUN(test_stack_without_dhcp4_works_and_drops_its_traffic);
  ZT_RUN(test_stack_without_tcp_drops_segments_as_unknown_protocol);
  ZT_RUN(test_stack_without_ipv6_works_and_drops_its_traffic);
  ZT_RUN(test_stack_without_ip6conf_drops_ra_as_unhandled_type);
  ZT_RUN(test_table_without_what_a_module_needs_refused);
  ZT_RUN(test_toy_protocol_registered_from_outside_gets_its_datagrams);
  ZT_RUN(test_ethertypes_in_their_own_rows);
  ZT_RUN(test_stack_without_ipv4_drops_type_zero);
  return zt_done();
}
