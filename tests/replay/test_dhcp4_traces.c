/*
 * The DHCP captures of ../shared/traces/v6-dhcp (zeek, tcpdump,
 * PcapPlusPlus; see its README) through the DHCP parser and, where a
 * capture holds what a client would see, through the client.
 *
 * Parser: every DHCP payload parses, and the fields tshark 4.0 decoded
 * (decode/<file>.txt, and `tshark -V`) come out the same: message types,
 * xids, addresses, lease times, routers, DNS servers, option lengths
 * (tcpdump's option 33 captures carry lengths of 8, 16, 24, then a
 * malformed 3 and 0: the walk takes them, only a user of 33 would judge).
 *
 * Client: a stack with the capture's client MAC is taken to the state
 * the capture's exchange needs, made to use the capture's xid (the test
 * sets it, as the client's own random choice could never match), and the
 * server's frames are fed to it as they were captured, from the Ethernet
 * header on: zeek's OFFER (unicast to the address offered, before the
 * stack has one) is requested and its NAK sends the client back to INIT;
 * zeek's ACK to an INIT-REBOOT REQUEST binds the lease it grants;
 * tcpdump's offers with option 33 are requested, 33 ignored.
 */
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

#include "core/stack_int.h"
#include "internals.h"
#include "harness.h"
#include "zt.h"

#define SECS 1000000000ull
#define MAX_FRAMES 16

static const char *dir;

struct frame {
  uint8_t d[2048];
  size_t len;
};

/* The frames of one capture; how many, -1 (and the case failed) if it
 * cannot be read. */
static int load(const char *file, struct frame *out) {
  char path[1024], err[PCAP_ERRBUF_SIZE];
  snprintf(path, sizeof(path), "%s/%s", dir, file);
  pcap_t *p = pcap_open_offline(path, err);
  if (!p) {
    zt_fail(__FILE__, __LINE__, "%s: %s", path, err);
    return -1;
  }
  struct pcap_pkthdr *h;
  const u_char *d;
  int n = 0;
  while (n < MAX_FRAMES && pcap_next_ex(p, &h, &d) == 1) {
    size_t len = h->caplen < sizeof(out[n].d) ? h->caplen : sizeof(out[n].d);
    memcpy(out[n].d, d, len);
    out[n].len = len;
    n++;
  }
  pcap_close(p);
  return n;
}

/* The DHCP message of an Ethernet/IPv4/UDP frame (ports 67 or 68). */
static const uint8_t *payload(const struct frame *f, size_t *len) {
  struct zn_eth_view e;
  struct zn_ipv4_view ip;
  struct zn_udp_view u;
  if (zn_eth_view_init(&e, f->d, f->len) != ZN_OK ||
      e.type != ZN_ETHERTYPE_IPV4 ||
      zn_ipv4_view_init(&ip, f->d + e.hdr_len, f->len - e.hdr_len) != ZN_OK ||
      ip.proto != ZN_IPPROTO_UDP ||
      zn_udp_view_init(&u, zn_ipv4_payload(&ip), zn_ipv4_payload_len(&ip)) !=
          ZN_OK ||
      (u.sport != 67 && u.sport != 68))
    return NULL;
  *len = zn_udp_payload_len(&u);
  return zn_udp_payload(&u);
}

/* Frame i parsed into *v. */
static bool view_of(const struct frame *f, struct zn_dhcp4_view *v) {
  size_t len;
  const uint8_t *p = payload(f, &len);
  if (!p) {
    zt_fail(__FILE__, __LINE__, "not a DHCP frame");
    return false;
  }
  int rc = zn_dhcp4_view_init(v, p, len);
  ZT_EQ(rc, ZN_OK);
  return rc == ZN_OK;
}

static uint32_t opt32(const struct zn_dhcp4_view *v, uint8_t code) {
  uint8_t b[4];
  size_t n;
  if (zn_dhcp4_opt_get(v, code, b, 4, &n) != ZN_OK || n != 4)
    return 0;
  return zn_rd32(b);
}

static int optlen(const struct zn_dhcp4_view *v, uint8_t code) {
  uint8_t b[256];
  size_t n;
  int rc = zn_dhcp4_opt_get(v, code, b, sizeof(b), &n);
  return rc == ZN_ENOENT ? -1 : (int)n;
}

/* ---- the parser ------------------------------------------------------- */

ZT_TEST(test_zeek_dhcp_parsed) {
  struct frame f[MAX_FRAMES];
  struct zn_dhcp4_view v;
  int n = load("zeek__dhcp.pcap", f);
  ZT_REQUIRE(n == 9);
  static const uint8_t types[9] = {1, 2, 3, 6, 3, 5, 4, 7, 8};
  static const uint32_t xids[9] = {0x7c0, 0x7c0, 0x7c0, 0x7c0, 0x7c0,
                                   0x7c0, 0x7c0, 0x79c, 0x7c4};
  for (int i = 0; i < n; i++) {
    ZT_REQUIRE(view_of(&f[i], &v));
    ZT_EQ(v.msg_type, types[i]);
    ZT_EQU(v.xid, xids[i]);
    ZT_EQ(v.op, types[i] == 2 || types[i] == 5 || types[i] == 6 ? 2 : 1);
  }
  /* Frame 1, the DISCOVER. */
  view_of(&f[0], &v);
  ZT_EQU(opt32(&v, ZN_DHCP4_OPT_REQUESTED_IP), ZN_IPV4(192, 168, 211, 194));
  uint8_t host[64];
  size_t hl;
  ZT_EQ(zn_dhcp4_opt_get(&v, ZN_DHCP4_OPT_HOSTNAME, host, sizeof(host), &hl),
        ZN_OK);
  ZT_EQU(hl, 13);
  ZT_MEMEQ(host, "btest.is.cool", 13);
  /* Frame 2, the OFFER. */
  view_of(&f[1], &v);
  ZT_EQU(v.yiaddr, ZN_IPV4(128, 2, 6, 97));
  ZT_EQU(v.siaddr, ZN_IPV4(172, 19, 230, 7));
  ZT_EQU(opt32(&v, ZN_DHCP4_OPT_SERVER_ID), ZN_IPV4(128, 2, 6, 152));
  ZT_EQU(opt32(&v, ZN_DHCP4_OPT_LEASE_TIME), 900);
  ZT_EQU(opt32(&v, ZN_DHCP4_OPT_SUBNET_MASK), 0xffffff00u);
  ZT_EQU(opt32(&v, ZN_DHCP4_OPT_ROUTER), ZN_IPV4(128, 2, 6, 1));
  ZT_EQU(opt32(&v, ZN_DHCP4_OPT_BROADCAST), ZN_IPV4(128, 2, 6, 255));
  uint8_t dns[8];
  size_t dl;
  ZT_EQ(zn_dhcp4_opt_get(&v, ZN_DHCP4_OPT_DNS, dns, sizeof(dns), &dl), ZN_OK);
  ZT_EQU(dl, 8);
  ZT_EQU(zn_rd32(dns), ZN_IPV4(128, 2, 1, 11));
  ZT_EQU(zn_rd32(dns + 4), ZN_IPV4(128, 2, 1, 10));
  ZT_EQ(v.nopts, 15); /* 53 54 51 1 3 6 4 67 28 42 43 60 44 46 15 */
  /* Frame 4, the NAK: broadcast flag, server id. */
  view_of(&f[3], &v);
  ZT_EQU(v.flags, ZN_DHCP4_FLAG_BROADCAST);
  ZT_EQU(opt32(&v, ZN_DHCP4_OPT_SERVER_ID), ZN_IPV4(128, 2, 6, 152));
  /* Frame 5, the INIT-REBOOT REQUEST: 50, no 54. */
  view_of(&f[4], &v);
  ZT_EQU(opt32(&v, ZN_DHCP4_OPT_REQUESTED_IP), ZN_IPV4(128, 2, 6, 189));
  ZT_EQ(optlen(&v, ZN_DHCP4_OPT_SERVER_ID), -1);
}

ZT_TEST(test_zeek_inform_parsed) {
  struct frame f[MAX_FRAMES];
  struct zn_dhcp4_view v;
  int n = load("zeek__dhcp_inform.pcap", f);
  ZT_REQUIRE(n == 2);
  ZT_REQUIRE(view_of(&f[0], &v));
  ZT_EQ(v.msg_type, ZN_DHCP4_INFORM);
  ZT_EQU(v.xid, 0xa42cec51u);
  ZT_EQU(v.ciaddr, ZN_IPV4(128, 2, 6, 122));
  ZT_EQ(optlen(&v, ZN_DHCP4_OPT_PARAM_LIST), 1);
  ZT_REQUIRE(view_of(&f[1], &v));
  ZT_EQ(v.msg_type, ZN_DHCP4_ACK);
  ZT_EQU(v.ciaddr, ZN_IPV4(128, 2, 6, 122));
  ZT_EQU(v.yiaddr, 0);
  ZT_EQU(opt32(&v, ZN_DHCP4_OPT_SUBNET_MASK), 0xffffff00u);
  ZT_EQ(optlen(&v, ZN_DHCP4_OPT_LEASE_TIME), -1); /* an INFORM's ACK */
}

ZT_TEST(test_pcpp_relayed_offer_parsed) {
  struct frame f[MAX_FRAMES];
  struct zn_dhcp4_view v;
  int n = load("pcpp__Dhcp1.pcap", f);
  ZT_REQUIRE(n == 1);
  ZT_REQUIRE(view_of(&f[0], &v));
  ZT_EQ(v.msg_type, ZN_DHCP4_OFFER);
  ZT_EQU(v.xid, 0x7771cf85u);
  ZT_EQ(v.secs, 10);
  ZT_EQU(v.yiaddr, ZN_IPV4(10, 10, 8, 235));
  ZT_EQU(v.giaddr, ZN_IPV4(10, 10, 8, 240));
  static const uint8_t chaddr[6] = {0x00, 0x0e, 0x86, 0x11, 0xc0, 0x75};
  ZT_MEMEQ(v.chaddr, chaddr, 6);
  ZT_EQU(opt32(&v, ZN_DHCP4_OPT_SERVER_ID), ZN_IPV4(172, 22, 178, 234));
  ZT_EQU(opt32(&v, ZN_DHCP4_OPT_LEASE_TIME), 43200);
  ZT_EQU(opt32(&v, ZN_DHCP4_OPT_ROUTER), ZN_IPV4(10, 10, 8, 254));
  ZT_EQ(optlen(&v, ZN_DHCP4_OPT_DNS), 8);
  ZT_EQ(optlen(&v, ZN_DHCP4_OPT_CLIENT_ID), 16);
  ZT_EQ(optlen(&v, 82), 22);  /* relay agent information */
  ZT_EQ(optlen(&v, 90), 31);  /* authentication */
  ZT_EQ(optlen(&v, 66), 14);
  ZT_EQ(optlen(&v, 120), 5);
}

ZT_TEST(test_tcpdump_option33_parsed) {
  struct frame f[MAX_FRAMES];
  struct zn_dhcp4_view v;
  int n = load("tcpdump__dhcp-option-33.pcap", f);
  ZT_REQUIRE(n == 5);
  static const int len33[5] = {8, 16, 24, 3, 0};
  for (int i = 0; i < n; i++) {
    ZT_REQUIRE(view_of(&f[i], &v));
    ZT_EQ(v.msg_type, ZN_DHCP4_OFFER);
    ZT_EQU(v.xid, 0x12345678u);
    ZT_EQU(v.yiaddr, ZN_IPV4(192, 168, 1, 100));
    ZT_EQU(opt32(&v, ZN_DHCP4_OPT_LEASE_TIME), 86400);
    ZT_EQ(optlen(&v, 33), len33[i]);
    ZT_CHECK(v.len < ZN_DHCP4_BOOTP_MIN_LEN); /* not padded to 300 */
  }
}

/* ---- the client ------------------------------------------------------- */

struct cl {
  struct zn_memlink link;
  struct zn_stack *st;
  uint64_t now;
};

/* A client with `mac`, started (first poll done), what it sent
 * discarded. */
static void cl_init(struct cl *c, const uint8_t mac[6], uint32_t reboot) {
  struct zn_config cfg;
  th_config(&cfg, 0, 0, 1);
  memcpy(cfg.mac, mac, 6);
  cfg.dhcp4.enable = true;
  cfg.dhcp4.start_delay_ms = 0;
  cfg.dhcp4.reboot_addr = reboot;
  zn_memlink_init(&c->link, 0, 1024);
  c->st = th_stack_new(&cfg);
  zn_stack_attach(c->st, &c->link.a.nif);
  c->now = SECS;
  zn_stack_poll(c->st, c->now);
  zn_bufq_purge(&c->link.b.rxq);
}

static void cl_feed(struct cl *c, const struct frame *f) {
  struct zn_buf *b = zn_stack_buf_alloc(c->st, f->len);
  memcpy(zn_buf_put(b, f->len), f->d, f->len);
  zn_stack_input(c->st, b);
  zn_stack_flush(c->st);
}

static void cl_run(struct cl *c, uint64_t dur) {
  uint64_t end = c->now + dur;
  while (c->now < end) {
    uint64_t next = zn_stack_next_deadline(c->st);
    c->now = next <= c->now ? c->now + 1000000 : next > end ? end : next;
    zn_stack_poll(c->st, c->now);
    zn_bufq_purge(&c->link.b.rxq);
  }
}

static void cl_free(struct cl *c) {
  zn_memlink_purge(&c->link);
  th_stack_free(c->st);
}

#define CS(c, name) zn_stat((c)->st, ZN_STAT_##name)

static const uint8_t ZEEK_MAC[6] = {0x90, 0xb1, 0x1c, 0x99, 0x49, 0x29};

ZT_TEST(test_client_zeek_offer_then_nak) {
  struct frame f[MAX_FRAMES];
  ZT_REQUIRE(load("zeek__dhcp.pcap", f) == 9);
  struct cl c;
  cl_init(&c, ZEEK_MAC, 0);
  ZT_EQ(zn_dhcp4_state(c.st), ZN_DHCP4_SELECTING);
  ZN__MOD(c.st, dhcp4)->xid = 0x7c0;
  cl_feed(&c, &f[1]); /* OFFER, unicast to 128.2.6.97 */
  ZT_EQ(CS(&c, dhcp4_offer_rx), 1);
  ZT_EQ(zn_dhcp4_state(c.st), ZN_DHCP4_REQUESTING);
  ZT_EQU(ZN__MOD(c.st, dhcp4)->offer, ZN_IPV4(128, 2, 6, 97));
  ZT_EQU(ZN__MOD(c.st, dhcp4)->server, ZN_IPV4(128, 2, 6, 152));
  /* The client's own DISCOVER coming back: Ethernet drops it (our MAC
   * as source). */
  cl_feed(&c, &f[0]);
  ZT_EQ(CS(&c, eth_drop_src), 1);
  ZT_EQ(CS(&c, dhcp4_rx), 1);
  cl_feed(&c, &f[3]); /* NAK, broadcast */
  ZT_EQ(CS(&c, dhcp4_nak_rx), 1);
  ZT_EQ(zn_dhcp4_state(c.st), ZN_DHCP4_SELECTING); /* INIT, DISCOVER */
  ZT_CHECK(ZN__MOD(c.st, dhcp4)->xid != 0x7c0);
  cl_free(&c);
}

ZT_TEST(test_client_zeek_reboot_ack_binds) {
  struct frame f[MAX_FRAMES];
  ZT_REQUIRE(load("zeek__dhcp.pcap", f) == 9);
  struct cl c;
  cl_init(&c, ZEEK_MAC, ZN_IPV4(128, 2, 6, 189));
  ZT_EQ(zn_dhcp4_state(c.st), ZN_DHCP4_REBOOTING);
  ZN__MOD(c.st, dhcp4)->xid = 0x7c0;
  cl_feed(&c, &f[5]); /* ACK, unicast to 128.2.6.189 */
  ZT_EQ(CS(&c, dhcp4_ack_rx), 1);
  ZT_EQ(zn_dhcp4_state(c.st), ZN_DHCP4_PROBING);
  cl_run(&c, 10 * SECS);
  ZT_EQ(zn_dhcp4_state(c.st), ZN_DHCP4_BOUND);
  struct zn_dhcp4_lease l;
  ZT_EQ(zn_dhcp4_lease(c.st, &l), ZN_OK);
  ZT_EQU(l.addr, ZN_IPV4(128, 2, 6, 189));
  ZT_EQ(l.prefix, 24);
  ZT_EQU(l.router, ZN_IPV4(128, 2, 6, 1));
  ZT_EQU(l.server, ZN_IPV4(128, 2, 6, 152));
  ZT_EQU(l.bcast, ZN_IPV4(128, 2, 6, 255));
  ZT_EQU(l.lease_s, 900);
  ZT_EQU(l.t1_s, 450);
  ZT_EQ(l.ndns, 2);
  ZT_EQU(l.dns[0], ZN_IPV4(128, 2, 1, 11));
  uint32_t a;
  zn_stack_get_ipv4(c.st, &a, NULL, NULL);
  ZT_EQU(a, ZN_IPV4(128, 2, 6, 189));
  cl_free(&c);
}

ZT_TEST(test_client_tcpdump_offers_requested) {
  struct frame f[MAX_FRAMES];
  ZT_REQUIRE(load("tcpdump__dhcp-option-33.pcap", f) == 5);
  static const uint8_t mac[6] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55};
  for (int i = 0; i < 5; i++) {
    struct cl c;
    cl_init(&c, mac, 0);
    ZN__MOD(c.st, dhcp4)->xid = 0x12345678u;
    cl_feed(&c, &f[i]);
    ZT_EQ(CS(&c, dhcp4_offer_rx), 1);
    ZT_EQ(zn_dhcp4_state(c.st), ZN_DHCP4_REQUESTING);
    ZT_EQU(ZN__MOD(c.st, dhcp4)->offer, ZN_IPV4(192, 168, 1, 100));
    /* A second offer while REQUESTING is not taken. */
    cl_feed(&c, &f[(i + 1) % 5]);
    ZT_EQ(CS(&c, dhcp4_drop_type), 1);
    cl_free(&c);
  }
}

/* The captures' replies to another client (another chaddr) are counted
 * and change nothing. */
ZT_TEST(test_client_other_chaddr_dropped) {
  struct frame f[MAX_FRAMES];
  ZT_REQUIRE(load("tcpdump__dhcp-option-33.pcap", f) == 5);
  struct cl c;
  cl_init(&c, ZEEK_MAC, 0);
  ZN__MOD(c.st, dhcp4)->xid = 0x12345678u;
  cl_feed(&c, &f[0]);
  ZT_EQ(CS(&c, dhcp4_drop_chaddr), 1);
  ZT_EQ(zn_dhcp4_state(c.st), ZN_DHCP4_SELECTING);
  cl_free(&c);
}

int main(int argc, char **argv) {
  dir = argc > 1 ? argv[1] : "../shared/traces/v6-dhcp";
  th_shared_all(dir);
  ZT_RUN(test_zeek_dhcp_parsed);
  ZT_RUN(test_zeek_inform_parsed);
  ZT_RUN(test_pcpp_relayed_offer_parsed);
  ZT_RUN(test_tcpdump_option33_parsed);
  ZT_RUN(test_client_zeek_offer_then_nak);
  ZT_RUN(test_client_zeek_reboot_ack_binds);
  ZT_RUN(test_client_tcpdump_offers_requested);
  ZT_RUN(test_client_other_chaddr_dropped);
  return zt_done();
}
