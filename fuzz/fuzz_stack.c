/*
 * The whole stack: two stacks on a memlink, S (10.0.0.2, fz_server: TCP
 * echo on 80, a never-reading sink on 81, UDP echo on 7) and C (10.0.0.1,
 * the client: connections open to S:80 and S:81, a SYN out to the
 * fictitious host X 10.0.0.66:80, a UDP socket talking to S:7, and a DNS
 * query to X:53), and the fuzzer's frames injected into either of them on
 * a virtual clock, so mutated segments land on connections in every state.
 *
 * Input: one configuration byte, then records until the input ends:
 *
 *   hdr    bits 0-1  0, 3: a frame for S; 1: a frame for C; 2: an
 *                    application call (then one byte: which, on what)
 *          bit 2     fix the checksums (IPv4, ICMP, UDP, TCP) after the
 *                    rewrites below; without it bad checksums reach the
 *                    stack as they are
 *          bit 3     address the frame: Ethernet and IPv4 (or ARP)
 *                    source and destination set to the peer and the target
 *          bit 4     the peer is X (else the other stack, spoofed)
 *          bit 5     relative: for TCP, ports from a connection between
 *                    peer and target seen on the wire, and sequence and
 *                    acknowledgment numbers taken as offsets from what
 *                    each side last sent on it; for UDP, the ports of a
 *                    flow seen, and a DNS ID from its last query
 *          bits 6-7  time to advance first: none, u8 ms, u16 ms, u8 s
 *   [delay]
 *   frame: u16 length, then the frame (all of it: up to 65535 bytes, as
 *          large as a stack's large buffer takes, FZ_FRAME_MAX)
 *
 * The harness only reads the stacks' output (through a decorator on each
 * memlink end) and rewrites the fuzzer's bytes; the stacks run unchanged,
 * checksum verification included.  At the end every handle is closed and
 * the clock run on: every connection must be gone, every frame counted,
 * every buffer back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"

#define IP_C ZN_IPV4(10, 0, 0, 1)
#define IP_S ZN_IPV4(10, 0, 0, 2)
#define IP_X ZN_IPV4(10, 0, 0, 66)
static const uint8_t MAC_C[6] = {2, 0, 0, 0, 0, 1};
static const uint8_t MAC_S[6] = {2, 0, 0, 0, 0, 2};
static const uint8_t MAC_X[6] = {2, 0, 0, 0, 0, 0x66};

#define MAX_FRAME 65535 /* what the record's length can say */
#define NFLOWS 32

/* A flow seen on the wire: a TCP connection or a UDP exchange between
 * endpoint 0 and endpoint 1. */
struct flow {
  uint8_t proto;
  uint32_t ip[2];
  uint16_t port[2];
  uint32_t nxt[2];     /* TCP: what endpoint i sent up to (seq + len) */
  uint16_t dns_id[2];  /* UDP: the first two payload bytes i last sent */
};

struct spy {
  struct zn_netif nif; /* first */
  struct zn_netif *inner;
};

struct client {
  struct zn_tcp_conn *conns[FZ_MAX_CONNS];
  struct zn_udp_sock *udp;
  struct zn_dns_resolver *res;
  void *res_mem;
  uint32_t opened, closed;
};

static struct fz_pair pair;
static struct spy spy_c, spy_s;
static struct fz_server srv;
static struct client cli;
static struct flow flows[NFLOWS];
static unsigned nflows;
static uint8_t frame[MAX_FRAME];
static uint8_t junk[4096];

/* ---- watching the wire ------------------------------------------------- */

static struct flow *flow_find(uint8_t proto, uint32_t sip, uint16_t sport,
                              uint32_t dip, uint16_t dport, int *dir,
                              bool add) {
  for (unsigned i = 0; i < nflows; i++) {
    struct flow *f = &flows[i];
    if (f->proto != proto)
      continue;
    for (int d = 0; d < 2; d++) {
      if (f->ip[d] == sip && f->port[d] == sport && f->ip[!d] == dip &&
          f->port[!d] == dport) {
        *dir = d;
        return f;
      }
    }
  }
  if (!add || nflows == NFLOWS)
    return NULL;
  struct flow *f = &flows[nflows++];
  memset(f, 0, sizeof(*f));
  f->proto = proto;
  f->ip[0] = sip;
  f->port[0] = sport;
  f->ip[1] = dip;
  f->port[1] = dport;
  *dir = 0;
  return f;
}

/* Note the TCP and UDP flows a frame belongs to, and how far it goes. */
static void observe(const uint8_t *p, size_t len) {
  size_t off = fz_ipv4_off(p, len);
  struct zn_ipv4_view ip;
  if (!off || zn_ipv4_view_init(&ip, p + off, len - off) != ZN_OK ||
      zn_ipv4_is_fragment(&ip))
    return;
  const uint8_t *l4 = zn_ipv4_payload(&ip);
  size_t l4len = zn_ipv4_payload_len(&ip);
  int dir;
  if (ip.proto == ZN_IPPROTO_TCP) {
    struct zn_tcp_view t;
    if (zn_tcp_view_init(&t, l4, l4len) != ZN_OK)
      return;
    struct flow *f = flow_find(ZN_IPPROTO_TCP, ip.src, t.sport, ip.dst,
                               t.dport, &dir, !(t.flags & ZN_TCP_RST));
    if (getenv("FZ_TRACE"))
      fprintf(stderr, "tcp %u:%u > %u:%u seq %u ack %u flags %02x len %zu win %u\n",
              ip.src & 0xff, t.sport, ip.dst & 0xff, t.dport, t.seq, t.ack,
              t.flags, zn_tcp_payload_len(&t), t.win);
    if (f)
      f->nxt[dir] = t.seq + (uint32_t)zn_tcp_payload_len(&t) +
                    ((t.flags & ZN_TCP_SYN) ? 1u : 0u) +
                    ((t.flags & ZN_TCP_FIN) ? 1u : 0u);
  } else if (ip.proto == ZN_IPPROTO_UDP) {
    struct zn_udp_view u;
    if (zn_udp_view_init(&u, l4, l4len) != ZN_OK)
      return;
    struct flow *f = flow_find(ZN_IPPROTO_UDP, ip.src, u.sport, ip.dst,
                               u.dport, &dir, true);
    if (f && zn_udp_payload_len(&u) >= 2)
      f->dns_id[dir] = zn_rd16(zn_udp_payload(&u));
  }
}

static struct spy *spy_of(struct zn_netif *nif) {
  return (struct spy *)(void *)nif;
}

static int spy_recv(struct zn_netif *nif, struct zn_buf **out) {
  struct spy *s = spy_of(nif);
  s->inner->now = nif->now;
  return zn_netif_recv(s->inner, out);
}

static int spy_send(struct zn_netif *nif, struct zn_buf *b) {
  struct spy *s = spy_of(nif);
  s->inner->now = nif->now;
  observe(b->data, b->len);
  return zn_netif_send(s->inner, b);
}

static uint64_t spy_next_deadline(struct zn_netif *nif) {
  return zn_netif_next_deadline(spy_of(nif)->inner);
}

static const struct zn_netif_ops spy_ops = {
    .kind = "spy", .recv = spy_recv, .send = spy_send,
    .next_deadline = spy_next_deadline};

static void spy_init(struct spy *s, struct zn_netif *inner) {
  memset(s, 0, sizeof(*s));
  zn_netif_init(&s->nif, &spy_ops, 0);
  s->inner = inner;
  zn_netif_wrap(&s->nif, inner);
}

/* ---- rewriting the fuzzer's frames -------------------------------------- */

static void address(uint8_t *f, size_t len, const uint8_t *tmac, uint32_t tip,
                    const uint8_t *pmac, uint32_t pip) {
  if (len < ZN_ETH_HDR_LEN)
    return;
  if (!zn_eth_is_mcast(f))
    memcpy(f, tmac, 6);
  memcpy(f + 6, pmac, 6);
  size_t off = fz_ipv4_off(f, len);
  if (off) {
    zn_wr32(f + off + 12, pip);
    if (!zn_ipv4_is_mcast(zn_rd32(f + off + 16)) &&
        zn_rd32(f + off + 16) != ZN_IPV4_BCAST)
      zn_wr32(f + off + 16, tip);
    return;
  }
  if (zn_rd16(f + 12) == ZN_ETHERTYPE_ARP &&
      len >= ZN_ETH_HDR_LEN + ZN_ARP_ETH_IPV4_LEN) {
    uint8_t *a = f + ZN_ETH_HDR_LEN;
    memcpy(a + 8, pmac, 6);
    zn_wr32(a + 14, pip);
    zn_wr32(a + 24, tip);
  }
}

static void relative(uint8_t *f, size_t len, uint32_t tip, uint32_t pip) {
  size_t off = fz_ipv4_off(f, len);
  if (!off)
    return;
  uint8_t *ip = f + off;
  size_t ihl = (size_t)(ip[0] & 0x0f) * 4;
  if (ihl < ZN_IPV4_HDR_LEN || off + ihl + 8 > len)
    return;
  uint8_t *l4 = ip + ihl;
  uint8_t proto = ip[9];
  bool tcp = proto == ZN_IPPROTO_TCP && off + ihl + ZN_TCP_HDR_LEN <= len;
  if (!tcp && proto != ZN_IPPROTO_UDP)
    return;
  unsigned match[NFLOWS], n = 0;
  for (unsigned i = 0; i < nflows; i++)
    if (flows[i].proto == proto &&
        ((flows[i].ip[0] == tip && flows[i].ip[1] == pip) ||
         (flows[i].ip[1] == tip && flows[i].ip[0] == pip)))
      match[n++] = i;
  if (n == 0)
    return;
  struct flow *fl = &flows[match[zn_rd16(l4) % n]];
  int t = fl->ip[0] == tip ? 0 : 1; /* the target's side */
  zn_wr16(l4, fl->port[!t]);
  zn_wr16(l4 + 2, fl->port[t]);
  if (tcp) {
    zn_wr32(l4 + 4, zn_rd32(l4 + 4) + fl->nxt[!t]);
    zn_wr32(l4 + 8, zn_rd32(l4 + 8) + fl->nxt[t]);
  } else if (off + ihl + 10 <= len) {
    zn_wr16(l4 + 8, fl->dns_id[t]);
  }
}

/* ---- the client ---------------------------------------------------------- */

static void cli_track(struct zn_tcp_conn *c) {
  cli.opened++;
  for (int i = 0; i < FZ_MAX_CONNS; i++) {
    if (!cli.conns[i]) {
      cli.conns[i] = c;
      return;
    }
  }
  zn_tcp_close(c);
}

static void cli_readable(struct zn_tcp_conn *c, void *arg) {
  (void)arg;
  for (int i = 0; i < 64 && zn_tcp_read(c, junk, sizeof(junk)) > 0; i++)
    ;
}

static void cli_closed(struct zn_tcp_conn *c, void *arg) {
  (void)arg;
  cli.closed++;
  for (int i = 0; i < FZ_MAX_CONNS; i++)
    if (cli.conns[i] == c)
      cli.conns[i] = NULL;
}

static const struct zn_tcp_callbacks cli_cbs = {
    .on_readable = cli_readable, .on_closed = cli_closed};

static void cli_connect(uint32_t ip, uint16_t port) {
  struct zn_tcp_conn *c;
  if (zn_tcp_connect(pair.a, TH_IP(ip), port, &cli_cbs, NULL, &c) == ZN_OK)
    cli_track(c);
}

static void cli_resolved(struct zn_dns_resolver *r, void *arg,
                         const struct zn_dns_answer *a) {
  (void)r;
  (void)arg;
  FZ_CHECK(a->naddr <= ZN_DNS_MAX_ADDRS);
}

static void cli_resolve(const char *name, uint16_t qtype) {
  (void)zn_dns_resolve(cli.res, name, qtype, cli_resolved, NULL, NULL);
}

static void cli_start(void) {
  memset(&cli, 0, sizeof(cli));
  cli_connect(IP_S, 80);
  cli_connect(IP_S, 81);
  cli_connect(IP_X, 80);
  FZ_CHECK(zn_udp_open(pair.a, &cli.udp) == ZN_OK);
  FZ_CHECK(zn_udp_connect(cli.udp, TH_IP(IP_S), 7) == ZN_OK);
  struct zn_dns_resolver_cfg rc;
  zn_dns_resolver_cfg_default(&rc);
  rc.servers[0].addr = zn_ip_from_v4(IP_X);
  rc.nservers = 1;
  rc.max_queries = 4;
  rc.cache_entries = 8;
  rc.tries = 2;
  size_t need = zn_dns_resolver_mem_size(&rc);
  cli.res_mem = malloc(need);
  FZ_CHECK(cli.res_mem &&
           zn_dns_resolver_init(pair.a, &rc, cli.res_mem, need, &cli.res) ==
               ZN_OK);
  cli_resolve("example.com", ZN_DNS_TYPE_A);
}

static void cli_close(void) {
  for (int i = 0; i < FZ_MAX_CONNS; i++) {
    if (cli.conns[i])
      zn_tcp_close(cli.conns[i]);
    cli.conns[i] = NULL;
  }
  zn_udp_close(cli.udp);
  zn_dns_resolver_destroy(cli.res);
  free(cli.res_mem);
}

/* An application call: b's low 4 bits say which, the high 4 on what. */
static void app_call(uint8_t b, uint8_t arg) {
  unsigned k = (unsigned)(b >> 4) % FZ_MAX_CONNS;
  struct zn_tcp_conn *cc = cli.conns[k], *sc = srv.conns[k];
  size_t n = (size_t)arg * 16u + 1u;
  switch (b & 0x0f) {
  case 0: if (cc) (void)zn_tcp_write(cc, junk, n); break;
  case 1: if (sc) (void)zn_tcp_write(sc, junk, n); break;
  case 2: if (cc) (void)zn_tcp_shutdown(cc); break;
  case 3: if (cc) { zn_tcp_close(cc); cli.conns[k] = NULL; } break;
  case 4: if (cc) { zn_tcp_abort(cc); cli.conns[k] = NULL; } break;
  case 5: if (sc) { zn_tcp_close(sc); srv.conns[k] = NULL; } break;
  case 6: if (sc) { zn_tcp_abort(sc); srv.conns[k] = NULL; } break;
  case 7: cli_connect(arg & 1 ? IP_X : IP_S, (uint16_t)(80 + (arg >> 1) % 3));
    break;
  case 8: (void)zn_udp_send(cli.udp, junk, n); break;
  case 9: cli_resolve(arg & 1 ? "a.example.com" : "example.com",
                      arg & 2 ? ZN_DNS_TYPE_AAAA : ZN_DNS_TYPE_A);
    break;
  case 10: if (cc) zn_tcp_set_keepalive(cc, 1000, 500, 2); break;
  case 11: if (cc) zn_tcp_set_nodelay(cc, arg & 1); break;
  case 12: if (cc) cli_readable(cc, NULL); break;
  case 13: if (sc) (void)zn_tcp_shutdown(sc); break;
  default: break;
  }
}

/* ---- the run -------------------------------------------------------------- */

static void setup(uint8_t conf) {
  struct zn_config cc, cs;
  fz_config(&cc, 1);
  fz_config(&cs, 2);
  cs.tcp_timestamps = !(conf & 0x01);
  cs.tcp_sack = !(conf & 0x02);
  cs.tcp_wscale = !(conf & 0x04);
  cc.tcp_rfc5961 = cs.tcp_rfc5961 = !(conf & 0x08);
  cs.tcp_syncookies = !(conf & 0x10);
  cc.tcp_cc = cs.tcp_cc = (conf & 0x20)   ? ZN_TCP_CC_NEWRENO
                          : (conf & 0x01) ? ZN_TCP_CC_BBR
                                          : ZN_TCP_CC_CUBIC;
  if (conf & 0x40)
    cc.tcp_rcvbuf = 2048;
  if (conf & 0x80) { /* scarce: buffers, flight blocks, BBR's models,
                       TIME_WAIT records (reused oldest first) */
    cc.nbufs = cs.nbufs = 40;
    cc.tcp_flights = cs.tcp_flights = 2;
    cc.tcp_bbr_conns = cs.tcp_bbr_conns = 1;
    cc.tcp_timewait = cs.tcp_timewait = 1;
  }
  memset(&pair, 0, sizeof(pair));
  nflows = 0;
  zn_memlink_init(&pair.link, 0, 64);
  pair.a = th_stack_new(&cc);
  pair.b = th_stack_new(&cs);
  FZ_CHECK(pair.a && pair.b);
  spy_init(&spy_c, &pair.link.a.nif);
  spy_init(&spy_s, &pair.link.b.nif);
  FZ_CHECK(zn_stack_attach(pair.a, &spy_c.nif) == ZN_OK);
  FZ_CHECK(zn_stack_attach(pair.b, &spy_s.nif) == ZN_OK);
  zn_arp_add_static(pair.a, IP_S, MAC_S);
  zn_arp_add_static(pair.b, IP_C, MAC_C);
  zn_arp_add_static(pair.a, IP_X, MAC_X);
  zn_arp_add_static(pair.b, IP_X, MAC_X);
  zn_stack_poll(pair.a, 0);
  zn_stack_poll(pair.b, 0);
  fz_server_start(&srv, pair.b);
  cli_start();
  fz_pair_run(&pair, ZN_MS(20));
  if (cli.conns[0])
    (void)zn_tcp_write(cli.conns[0], "hello", 5);
  if (cli.conns[1])
    (void)zn_tcp_write(cli.conns[1], junk, 3000);
  (void)zn_udp_send(cli.udp, "ping", 4);
  fz_pair_run(&pair, ZN_MS(5));
}

static uint64_t delay(struct fz_in *in, uint8_t hdr) {
  switch (hdr >> 6) {
  case 1: return ZN_MS(fz_u8(in));
  case 2: return ZN_MS(fz_u16(in));
  case 3: return ZN_SEC(fz_u8(in));
  default: return 0;
  }
}

static void record(struct fz_in *in) {
  uint8_t hdr = fz_u8(in);
  uint64_t dt = delay(in, hdr);
  if (dt)
    fz_pair_run(&pair, dt);
  if ((hdr & 3) == 2) {
    uint8_t b = fz_u8(in);
    app_call(b, fz_u8(in));
    fz_pair_run(&pair, 0);
    return;
  }
  size_t want = fz_u16(in);
  const uint8_t *p;
  size_t len = fz_bytes(in, want, &p);
  memcpy(frame, p, len);
  bool to_c = (hdr & 3) == 1;
  struct zn_stack *t = to_c ? pair.a : pair.b;
  const uint8_t *tmac = to_c ? MAC_C : MAC_S;
  uint32_t tip = to_c ? IP_C : IP_S;
  const uint8_t *pmac = (hdr & 0x10) ? MAC_X : (to_c ? MAC_S : MAC_C);
  uint32_t pip = (hdr & 0x10) ? IP_X : (to_c ? IP_S : IP_C);
  if (hdr & 0x08)
    address(frame, len, tmac, tip, pmac, pip);
  if (hdr & 0x20)
    relative(frame, len, tip, pip);
  if (hdr & 0x04)
    fz_fix_checksums(frame, len);
  observe(frame, len);
  fz_inject(t, frame, len);
  fz_pair_run(&pair, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct fz_in in;
  fz_in_init(&in, data, size);
  setup(fz_u8(&in));
  while (fz_more(&in))
    record(&in);
  fz_pair_run(&pair, ZN_SEC(1));
  cli_close();
  fz_server_close(&srv);
  fz_pair_run(&pair, ZN_SEC(120));
  fz_check_stack(pair.a);
  fz_check_stack(pair.b);
  fz_check_closed(pair.a, cli.opened, cli.closed);
  fz_check_closed(pair.b, srv.opened, srv.closed);
  fz_pair_free(&pair);
  return 0;
}
