/*
 * The messages the DHCPv4 client sends (RFC 2131 4.4.1 table 5, 4.4.4 on
 * broadcast and unicast) and its RFC 5227 ARP probes.
 *
 * Every message carries the client identifier (61), and those that ask
 * for a lease the maximum message size (57), the parameter request list
 * (55) and the host name (12).  Without an address a message goes out
 * from 0.0.0.0 to 255.255.255.255 in an Ethernet broadcast with headers
 * written here (dhcp4_int.h says why); with one, through the client's
 * UDP socket, so that IPv4 routes it (RENEWING's REQUEST may go through
 * the gateway to a server on another link).
 */
#include <string.h>

#include "dhcp4/dhcp4_priv.h"
#include "eth/eth_int.h"
#include "znet/err.h"

/* The longest message built here, options included, fits a 576-byte
 * datagram: 240 + 3 + 66 + 4 + 11 + 65 + 6 + 6 + 1 = 402. */
#define MSG_MAX (576u - ZN_IPV4_HDR_LEN - ZN_UDP_HDR_LEN)

/* RFC 3442 3: 121 comes before 3 in the list. */
static const uint8_t param_list[] = {
    ZN_DHCP4_OPT_SUBNET_MASK, ZN_DHCP4_OPT_CLASSLESS_ROUTES,
    ZN_DHCP4_OPT_ROUTER,      ZN_DHCP4_OPT_DNS,
    ZN_DHCP4_OPT_MTU,         ZN_DHCP4_OPT_BROADCAST,
    ZN_DHCP4_OPT_LEASE_TIME,  ZN_DHCP4_OPT_T1,
    ZN_DHCP4_OPT_T2,
};

struct msg {
  struct zn_buf *b;
  uint8_t *p;
  size_t len;
};

static void opt(struct msg *m, uint8_t code, const void *data, size_t len) {
  m->len += zn_dhcp4_opt_emit(m->p + m->len, code, data, len);
}

static void opt_addr(struct msg *m, uint8_t code, uint32_t a) {
  uint8_t v[4];
  zn_wr32(v, a);
  opt(m, code, v, 4);
}

/* Option 61: the configured identifier, or type 1 (Ethernet) and the MAC
 * (RFC 2132 9.14), the same across restarts. */
static void opt_client_id(const struct zn_stack *st, struct msg *m) {
  const struct zn_dhcp4_config *c = &st->cfg.dhcp4;
  if (c->client_id_len) {
    opt(m, ZN_DHCP4_OPT_CLIENT_ID, c->client_id, c->client_id_len);
    return;
  }
  uint8_t id[7] = {ZN_DHCP4_HTYPE_ETH};
  memcpy(id + 1, st->mac, 6);
  opt(m, ZN_DHCP4_OPT_CLIENT_ID, id, sizeof(id));
}

/* What a message asking for a lease adds: 57 (the largest datagram the
 * link takes, 576..1500), 55 and 12. */
static void opt_wants(const struct zn_stack *st, struct msg *m) {
  uint32_t mtu = st->nif ? st->nif->mtu : ZN_DEFAULT_MTU;
  uint8_t size[2];
  if (mtu < 576)
    mtu = 576;
  if (mtu > 1500)
    mtu = 1500;
  zn_wr16(size, (uint16_t)mtu);
  opt(m, ZN_DHCP4_OPT_MAX_MSG_SIZE, size, 2);
  opt(m, ZN_DHCP4_OPT_PARAM_LIST, param_list, sizeof(param_list));
  size_t n = 0;
  while (n < ZN_DHCP4_HOSTNAME_MAX && st->cfg.dhcp4.hostname[n])
    n++;
  if (n)
    opt(m, ZN_DHCP4_OPT_HOSTNAME, st->cfg.dhcp4.hostname, n);
}

/* A BOOTREQUEST of `type` with the header fields table 5 lets vary. */
static bool msg_begin(struct zn_stack *st, struct msg *m, uint8_t type,
                      uint32_t ciaddr, uint16_t secs, uint32_t xid) {
  m->b = zn__buf_alloc(st, MSG_MAX);
  if (!m->b) {
    ZN_STAT_INC(st, dhcp4_tx_fail);
    return false;
  }
  m->p = zn_buf_put(m->b, MSG_MAX);
  struct zn_dhcp4_hdr h;
  memset(&h, 0, sizeof(h));
  h.op = ZN_DHCP4_OP_REQUEST;
  h.xid = xid;
  h.secs = secs;
  h.ciaddr = ciaddr;
  memcpy(h.chaddr, st->mac, 6);
  m->len = zn_dhcp4_emit(m->p, &h);
  opt(m, ZN_DHCP4_OPT_MSG_TYPE, &type, 1);
  opt_client_id(st, m);
  return true;
}

/* From 0.0.0.0:68 to 255.255.255.255:67, the headers written here. */
static bool send_unaddressed(struct zn_stack *st, struct zn_buf *b) {
  size_t ulen = (size_t)b->len + ZN_UDP_HDR_LEN;
  uint8_t *u = zn_buf_push(b, ZN_UDP_HDR_LEN);
  uint8_t *ip = u ? zn_buf_push(b, ZN_IPV4_HDR_LEN) : NULL;
  if (!ip) {
    zn_buf_free(b);
    return false;
  }
  zn_udp_emit(u, ZN_DHCP4_CLIENT_PORT, ZN_DHCP4_SERVER_PORT, ulen, 0,
              ZN_IPV4_BCAST);
  struct zn_ipv4_hdr h;
  memset(&h, 0, sizeof(h));
  h.ttl = st->cfg.ttl;
  h.proto = ZN_IPPROTO_UDP;
  h.id = (uint16_t)zn__rng_u32(&st->rng);
  h.tot_len = (uint16_t)(ulen + ZN_IPV4_HDR_LEN);
  h.src = 0;
  h.dst = ZN_IPV4_BCAST;
  zn_ipv4_emit(ip, &h);
  b->flags = 0;
  zn__eth_output(st, b, zn_eth_bcast, ZN_ETHERTYPE_IPV4);
  return true;
}

/* End the message and send it to dst (ZN_IPV4_BCAST: broadcast); count
 * it under `stat` if it went. */
static void msg_send(struct zn_stack *st, struct msg *m, uint32_t dst,
                     enum zn_stat stat) {
  zn_buf_trim(m->b, zn_dhcp4_finish(m->p, m->len));
  bool ok;
  if (zn__ip_addr(st) == 0) {
    ok = send_unaddressed(st, m->b);
  } else {
    struct zn_ip to = zn_ip_from_v4(dst);
    ok = zn_udp_sendto_buf(ZN__MOD(st, dhcp4)->sock, &to, ZN_DHCP4_SERVER_PORT, m->b) ==
         ZN_OK;
  }
  if (ok)
    st->stats.v[stat]++;
  else
    ZN_STAT_INC(st, dhcp4_tx_fail);
}

/* RFC 2131 4.4.1: seconds since the exchange began. */
static uint16_t elapsed_secs(const struct zn_stack *st) {
  uint64_t s = (st->now - ZN__MOD(st, dhcp4)->began) / SEC;
  return s > UINT16_MAX ? UINT16_MAX : (uint16_t)s;
}

void zn__dhcp4_send_discover(struct zn_stack *st) {
  struct zn__dhcp4 *dh = ZN__MOD(st, dhcp4);
  struct msg m;
  dh->secs = elapsed_secs(st);
  if (!msg_begin(st, &m, ZN_DHCP4_DISCOVER, 0, dh->secs, dh->xid))
    return;
  opt_wants(st, &m);
  /* RFC 2131 4.4.1: MAY suggest the address it had. */
  if (dh->last_addr)
    opt_addr(&m, ZN_DHCP4_OPT_REQUESTED_IP, dh->last_addr);
  msg_send(st, &m, ZN_IPV4_BCAST, ZN_STAT_dhcp4_discover_tx);
}

void zn__dhcp4_send_request(struct zn_stack *st) {
  struct zn__dhcp4 *dh = ZN__MOD(st, dhcp4);
  struct msg m;
  uint32_t ciaddr = 0, dst = ZN_IPV4_BCAST;
  uint16_t secs = elapsed_secs(st);
  switch (dh->state) {
  case ZN_DHCP4_REQUESTING:
    secs = dh->secs; /* 4.4.1: the DISCOVER's secs, broadcast as it was */
    break;
  case ZN_DHCP4_RENEWING:
    dst = dh->lease.server;
    ZN_FALLTHROUGH;
  case ZN_DHCP4_REBINDING:
    ciaddr = dh->lease.addr;
    break;
  default: /* REBOOTING */
    break;
  }
  if (!msg_begin(st, &m, ZN_DHCP4_REQUEST, ciaddr, secs, dh->xid))
    return;
  opt_wants(st, &m);
  /* Table 5: 50 in SELECTING and INIT-REBOOT, 54 after SELECTING only. */
  if (dh->state == ZN_DHCP4_REQUESTING || dh->state == ZN_DHCP4_REBOOTING)
    opt_addr(&m, ZN_DHCP4_OPT_REQUESTED_IP, dh->offer);
  if (dh->state == ZN_DHCP4_REQUESTING)
    opt_addr(&m, ZN_DHCP4_OPT_SERVER_ID, dh->server);
  msg_send(st, &m, dst, ZN_STAT_dhcp4_request_tx);
}

void zn__dhcp4_send_decline(struct zn_stack *st, uint32_t addr,
                            uint32_t server) {
  struct msg m;
  static const char why[] = "address in use (ARP)";
  if (!msg_begin(st, &m, ZN_DHCP4_DECLINE, 0, 0, zn__rng_u32(&st->rng)))
    return;
  opt_addr(&m, ZN_DHCP4_OPT_REQUESTED_IP, addr);
  opt_addr(&m, ZN_DHCP4_OPT_SERVER_ID, server);
  opt(&m, ZN_DHCP4_OPT_MESSAGE, why, sizeof(why) - 1);
  msg_send(st, &m, ZN_IPV4_BCAST, ZN_STAT_dhcp4_decline_tx);
}

void zn__dhcp4_send_release(struct zn_stack *st) {
  const struct zn__dhcp4_lease *l = &ZN__MOD(st, dhcp4)->lease;
  struct msg m;
  if (!msg_begin(st, &m, ZN_DHCP4_RELEASE, l->addr, 0, zn__rng_u32(&st->rng)))
    return;
  opt_addr(&m, ZN_DHCP4_OPT_SERVER_ID, l->server);
  msg_send(st, &m, l->server, ZN_STAT_dhcp4_release_tx);
}

void zn__dhcp4_send_probe(struct zn_stack *st, uint32_t target) {
  static const uint8_t zero_mac[6];
  struct zn_buf *b = zn__buf_alloc(st, ZN_ARP_ETH_IPV4_LEN);
  if (!b) {
    ZN_STAT_INC(st, dhcp4_tx_fail);
    return;
  }
  zn_arp_emit(zn_buf_put(b, ZN_ARP_ETH_IPV4_LEN), ZN_ARP_OP_REQUEST, st->mac, 0,
              zero_mac, target);
  ZN_STAT_INC(st, dhcp4_probe_tx);
  zn__eth_output(st, b, zn_eth_bcast, ZN_ETHERTYPE_ARP);
}
