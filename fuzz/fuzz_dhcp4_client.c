/*
 * The DHCPv4 client (src/dhcp4) fed fuzzer-made server replies, ARP
 * packets, time and API calls, on the virtual clock.
 *
 * Input: a configuration byte (bit 0: start in INIT-REBOOT; bit 1: a
 * host name; bit 2: a configured client identifier; bit 3: a start
 * delay), then records of a kind byte, an argument byte and, for frames,
 * a 2-byte length and that many bytes:
 *
 *   0  a reply from a server (10.0.0.1:67, MAC :01): the bytes are the
 *      DHCP message; argument bits ask the harness to make it pass the
 *      client's first checks so that mutations reach the options: bit 0
 *      the client's current xid, bit 1 our chaddr (op 2, Ethernet), bit 2
 *      the magic cookie, bit 3 yiaddr the address the client is after;
 *      bit 4: unicast to yiaddr (else broadcast); bit 5: the UDP checksum
 *      left as it falls (else fixed).  Up to 65507 bytes (a UDP
 *      datagram), in IPv4 fragments when longer than the link's MTU
 *   1  an ARP packet (28 bytes of the input): bit 0 makes its sender
 *      the address being probed, bit 1 a probe (sender 0.0.0.0) for it
 *   2  time: argument ms (bit 7 of the kind's record clear) or s
 *   3  an API call: release, restart, read the lease, a resolver query
 *
 * Checked after every record: the state and the timers' roles agree
 * (RESEND only in the states that send, PROBE only in PROBING, the lease
 * timer only with a lease); with a lease the stack holds its address,
 * prefix and gateway, the gateway is a unicast host other than us (on
 * the prefix, or on the link as the lease said), T1 <= T2 <= lease and
 * the netif's MTU is option 26's within 576..1500; without one the stack
 * has no address.  Every frame the stack sends is looked at: a DHCP
 * message is a BOOTREQUEST of ours that parses, of a type a client
 * sends, from 0.0.0.0 to the broadcast address when the stack has no
 * address.  At the end the clock runs on 10 minutes; every frame is
 * accounted for and every buffer comes back.
 */
#include <string.h>

#include "core/stack_int.h"
#include "internals.h"
#include "dhcp4/dhcp4_int.h"
#include "fuzz_util.h"

#define SRV ZN_IPV4(10, 0, 0, 1)

static const uint8_t srv_mac[6] = {2, 0, 0, 0, 0, 1};

struct run {
  struct zn_memlink link;
  struct zn_stack *st;
  uint64_t now;
};

static bool has_lease(uint8_t s) {
  return s == ZN_DHCP4_BOUND || s == ZN_DHCP4_RENEWING ||
         s == ZN_DHCP4_REBINDING;
}

/* Every frame the stack sent, looked at and freed. */
static void check_sent(struct run *r) {
  struct zn_buf *b;
  while ((b = zn_bufq_pop(&r->link.b.rxq)) != NULL) {
    const uint8_t *f = b->data;
    size_t n = b->len;
    if (n >= 42 && zn_rd16(f + 12) == ZN_ETHERTYPE_IPV4 &&
        f[23] == ZN_IPPROTO_UDP && zn_rd16(f + 36) == ZN_DHCP4_SERVER_PORT) {
      struct zn_dhcp4_view v;
      size_t ulen = zn_rd16(f + 38);
      FZ_CHECK(ulen >= 8 && 34 + ulen <= n);
      FZ_CHECK(zn_dhcp4_view_init(&v, f + 42, ulen - 8) == ZN_OK);
      FZ_CHECK(v.op == ZN_DHCP4_OP_REQUEST);
      FZ_CHECK(memcmp(v.chaddr, zn_stack_mac(r->st), 6) == 0);
      FZ_CHECK(v.msg_type == ZN_DHCP4_DISCOVER ||
               v.msg_type == ZN_DHCP4_REQUEST ||
               v.msg_type == ZN_DHCP4_DECLINE ||
               v.msg_type == ZN_DHCP4_RELEASE);
      if (zn_rd32(f + 26) == 0)
        FZ_CHECK(zn_rd32(f + 30) == ZN_IPV4_BCAST &&
                 zn_eth_is_bcast(f));
    }
    zn_buf_free(b);
  }
}

static void check_state(const struct run *r) {
  const struct zn_stack *st = r->st;
  const struct zn__dhcp4 *dh = ZN__MOD(st, dhcp4);
  uint8_t s = dh->state;
  FZ_CHECK(s <= ZN_DHCP4_REBOOTING);
  switch (dh->role) {
  case ZN__DHCP4_T_RESEND:
    FZ_CHECK(s == ZN_DHCP4_SELECTING || s == ZN_DHCP4_REQUESTING ||
             s == ZN_DHCP4_REBOOTING || s == ZN_DHCP4_RENEWING ||
             s == ZN_DHCP4_REBINDING);
    break;
  case ZN__DHCP4_T_PROBE:
    FZ_CHECK(s == ZN_DHCP4_PROBING);
    break;
  case ZN__DHCP4_T_START:
    FZ_CHECK(s == ZN_DHCP4_INIT || s == ZN_DHCP4_INIT_REBOOT);
    break;
  default:
    FZ_CHECK(s == ZN_DHCP4_OFF || s == ZN_DHCP4_BOUND);
  }
  FZ_CHECK(dh->role == ZN__DHCP4_T_NONE || zn_timer_pending(&dh->timer));
  if (dh->lease_role != ZN__DHCP4_L_NONE)
    FZ_CHECK(has_lease(s));
  struct zn_dhcp4_lease l;
  uint32_t addr, gw;
  uint8_t prefix;
  zn_stack_get_ipv4(st, &addr, &prefix, &gw);
  if (zn_dhcp4_lease(st, &l) != ZN_OK) {
    FZ_CHECK(!has_lease(s) && addr == 0 && l.state == s);
    FZ_CHECK(st->nif->mtu == ZN_DEFAULT_MTU);
    return;
  }
  FZ_CHECK(addr == l.addr && prefix == l.prefix && gw == l.router);
  FZ_CHECK(l.prefix >= 1 && l.prefix <= 32 && l.lease_s > 0);
  /* On the prefix, or on the link as the lease said (a /32, or option
   * 121's route to it through 0.0.0.0): a unicast host other than us. */
  FZ_CHECK(gw == 0 || (gw != addr && zn_ipv4_is_wire_unicast(gw)));
  FZ_CHECK(l.t1_s <= l.t2_s && l.t2_s <= l.lease_s);
  FZ_CHECK(l.t1_at <= l.t2_at && l.t2_at <= l.expires_at);
  FZ_CHECK(l.ndns <= ZN_DHCP4_DNS_MAX);
  FZ_CHECK(l.mtu == 0 || (l.mtu >= 576 && l.mtu <= ZN_DEFAULT_MTU));
  FZ_CHECK(st->nif->mtu == (l.mtu ? l.mtu : ZN_DEFAULT_MTU));
}

static void poll_at(struct run *r, uint64_t t) {
  r->now = t;
  zn_stack_poll(r->st, r->now);
  check_sent(r);
  check_state(r);
}

/* Run the clock dur ns on, deadline by deadline (bounded). */
static void run_for(struct run *r, uint64_t dur) {
  uint64_t end = r->now + dur;
  for (int i = 0; i < 100000 && r->now < end; i++) {
    uint64_t next = zn_stack_next_deadline(r->st);
    if (next <= r->now)
      next = r->now + ZN_MS(1);
    poll_at(r, next < end ? next : end);
  }
}

static uint8_t frame[ZN_ETH_HDR_LEN + ZN_DEFAULT_MTU];

/* The address the client is after, or has. */
static uint32_t wanted(const struct zn_stack *st) {
  const struct zn__dhcp4 *dh = ZN__MOD(st, dhcp4);
  return has_lease(dh->state) ? dh->lease.addr : dh->offer;
}

/* Send the IPv4 datagram of `len` payload bytes at p from the server to
 * dst: in one frame, or in fragments of the link's MTU (as the server's
 * stack would send a reply that does not fit one). */
static void send_ip(struct run *r, uint32_t dst, const uint8_t *p,
                    size_t len) {
  const size_t room = (ZN_DEFAULT_MTU - ZN_IPV4_HDR_LEN) & ~(size_t)7;
  zn_eth_emit(frame, dst == ZN_IPV4_BCAST ? zn_eth_bcast : zn_stack_mac(r->st),
              srv_mac, ZN_ETHERTYPE_IPV4);
  for (size_t off = 0; off < len; off += room) {
    size_t n = len - off < room ? len - off : room;
    struct zn_ipv4_hdr h = {0};
    h.ttl = 64;
    h.proto = ZN_IPPROTO_UDP;
    h.id = 7;
    h.frag = (uint16_t)(off / 8) | (off + n < len ? ZN_IPV4_MF : 0);
    h.tot_len = (uint16_t)(ZN_IPV4_HDR_LEN + n);
    h.src = SRV;
    h.dst = dst;
    zn_ipv4_emit(frame + ZN_ETH_HDR_LEN, &h);
    memcpy(frame + ZN_ETH_HDR_LEN + ZN_IPV4_HDR_LEN, p + off, n);
    fz_inject(r->st, frame, ZN_ETH_HDR_LEN + ZN_IPV4_HDR_LEN + n);
  }
}

/* A reply from the server: the whole message, up to what one UDP
 * datagram holds (65507 bytes), fragmented beyond the link's MTU. */
static void reply(struct run *r, uint8_t arg, const uint8_t *p, size_t n) {
  static uint8_t dgram[ZN_IPV4_MAX_LEN - ZN_IPV4_HDR_LEN];
  struct zn_stack *st = r->st;
  if (n > sizeof(dgram) - ZN_UDP_HEADER_LEN)
    n = sizeof(dgram) - ZN_UDP_HEADER_LEN;
  uint8_t *m = dgram + ZN_UDP_HEADER_LEN;
  memcpy(m, p, n);
  if (n >= ZN_DHCP4_MIN_LEN) {
    if (arg & 1)
      zn_wr32(m + 4, ZN__MOD(st, dhcp4)->xid);
    if (arg & 2) {
      m[0] = ZN_DHCP4_OP_REPLY;
      m[1] = ZN_DHCP4_HTYPE_ETH;
      m[2] = 6;
      memcpy(m + 28, zn_stack_mac(st), 6);
    }
    if (arg & 4)
      zn_wr32(m + ZN_DHCP4_FIXED_LEN, ZN_DHCP4_COOKIE);
    if (arg & 8)
      zn_wr32(m + 16, wanted(st));
  }
  uint32_t dst = (arg & 16) && n >= 20 ? zn_rd32(m + 16) : ZN_IPV4_BCAST;
  size_t ulen = n + ZN_UDP_HEADER_LEN;
  zn_udp_emit(dgram, ZN_DHCP4_SERVER_PORT, ZN_DHCP4_CLIENT_PORT, ulen, SRV,
              dst);
  if (arg & 32)
    dgram[6] ^= 0x5a;
  send_ip(r, dst, dgram, ulen);
}

static void arp(struct run *r, uint8_t arg, const uint8_t *p, size_t n) {
  uint8_t a[ZN_ARP_ETH_IPV4_LEN] = {0};
  memcpy(a, p, n < sizeof(a) ? n : sizeof(a));
  uint32_t want = wanted(r->st);
  if (arg & 1)
    zn_wr32(a + 14, want);
  if (arg & 2) {
    zn_wr32(a + 14, 0);
    zn_wr32(a + 24, want);
    zn_wr16(a + 6, ZN_ARP_OP_REQUEST);
  }
  zn_eth_emit(frame, zn_eth_bcast, srv_mac, ZN_ETHERTYPE_ARP);
  memcpy(frame + 14, a, sizeof(a));
  fz_inject(r->st, frame, 14 + sizeof(a));
}

static void api(struct run *r, uint8_t arg) {
  struct zn_dhcp4_lease l;
  struct zn_ip ip;
  switch (arg % 4) {
  case 0:
    (void)zn_dhcp4_release(r->st);
    break;
  case 1:
    (void)zn_dhcp4_restart(r->st);
    break;
  case 2:
    (void)zn_dhcp4_lease(r->st, &l);
    (void)zn_dhcp4_dns_server(r->st, arg >> 2, &ip);
    break;
  default:
    (void)zn_dhcp4_state_name(zn_dhcp4_state(r->st));
    break;
  }
  zn_stack_flush(r->st);
  check_sent(r);
  check_state(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct fz_in in;
  fz_in_init(&in, data, size);
  uint8_t conf = fz_u8(&in);
  struct zn_config cfg;
  th_config(&cfg, 0, 0, 2);
  cfg.nbufs = 64;
  cfg.nbigbufs = 1; /* to reassemble a reply longer than a frame */
  cfg.udp_socks = 2;
  cfg.tcp_conns = 1;
  cfg.arp_entries = 8;
  cfg.reass_slots = 1;
  cfg.dhcp4.enable = true;
  cfg.dhcp4.start_delay_ms = conf & 8 ? 3000 : 0;
  if (conf & 1)
    cfg.dhcp4.reboot_addr = ZN_IPV4(10, 0, 0, 50);
  if (conf & 2)
    memcpy(cfg.dhcp4.hostname, "fuzz", 5);
  if (conf & 4) {
    cfg.dhcp4.client_id_len = 3;
    memcpy(cfg.dhcp4.client_id, "\0id", 3);
  }
  struct run r;
  memset(&r, 0, sizeof(r));
  zn_memlink_init(&r.link, 0, 256);
  r.st = th_stack_new(&cfg);
  FZ_CHECK(r.st != NULL);
  FZ_CHECK(zn_stack_attach(r.st, &r.link.a.nif) == ZN_OK);
  poll_at(&r, ZN_SEC(1));
  for (int rec = 0; rec < 256 && fz_more(&in); rec++) {
    uint8_t kind = fz_u8(&in), arg = fz_u8(&in);
    const uint8_t *p = NULL;
    size_t n = 0;
    if ((kind & 3) < 2)
      n = fz_bytes(&in, fz_u16(&in), &p);
    switch (kind & 3) {
    case 0:
      reply(&r, arg, p, n);
      break;
    case 1:
      arp(&r, arg, p, n);
      break;
    case 2:
      run_for(&r, kind & 0x80 ? ZN_SEC(arg) * 16 : ZN_MS(arg));
      break;
    default:
      api(&r, arg);
      break;
    }
    check_sent(&r);
    check_state(&r);
  }
  run_for(&r, ZN_SEC(600));
  zn_memlink_purge(&r.link);
  th_stack_free(r.st);
  fz_check_harness();
  return 0;
}
