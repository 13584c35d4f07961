/*
 * The DHCPv4 client: RFC 2131's state machine (4.4, figure 5) on the
 * stack's clock, with RFC 5227 2.1 address probing between the ACK and
 * BOUND.
 *
 * Two timers, each with one role at a time (dhcp4_int.h): `timer` paces
 * the exchange (START: the first message after a delay; RESEND: the RFC
 * 2131 4.1 backoff in SELECTING, REQUESTING and REBOOTING, 4.4.5's halving
 * in RENEWING and REBINDING; PROBE: RFC 5227's probes and
 * ANNOUNCE_WAIT), `lease_timer` the lease's deadlines (T1, T2, expiry).
 * Every transition is a function named after the state it enters.
 *
 * Choices, each also noted where it is made:
 *  - the first usable offer is taken (RFC 2131 4.4.1 lets a client wait
 *    for more; nothing here would rank them);
 *  - a REQUEST is sent REQUEST_TRIES (4) times before INIT (4.4.1's own
 *    example: about 60 s); INIT-REBOOT falls back to INIT the same way
 *    rather than keep the remembered address (3.2 allows either);
 *  - each exchange (DISCOVER..ACK, a renewal, a rebinding, a reboot) has
 *    its own random xid, kept across its retransmissions;
 *  - after a NAK the client waits the start delay again before INIT's
 *    DISCOVER, so that a server refusing every REQUEST cannot make it
 *    spin; after a lease ran out it starts at once;
 *  - a bound address is not defended (RFC 5227 2.4): the ARP module
 *    counts and logs a conflict.
 */
#include <string.h>

#include "core/log_int.h"
#include "core/module_int.h"
#include "dhcp4/dhcp4_priv.h"
#include "znet/err.h"

/* RFC 2131 4.1 and 4.4.5. */
#define BACKOFF_FIRST_MS 4000u
#define BACKOFF_MAX_MS 64000u
#define BACKOFF_JITTER_MS 1000u
#define REQUEST_TRIES 4
#define RENEW_MIN_WAIT (60ull * SEC)
/* RFC 2131 4.4.1: "wait a minimum of ten seconds before restarting"
 * after a DECLINE. */
#define DECLINE_WAIT (10ull * SEC)
/* RFC 5227 1.1. */
#define PROBE_WAIT_MS 1000u
#define PROBE_NUM 3
#define PROBE_MIN_MS 1000u
#define PROBE_MAX_MS 2000u
#define ANNOUNCE_WAIT (2ull * SEC)
#define MAX_CONFLICTS 10
#define RATE_LIMIT_INTERVAL (60ull * SEC)

static bool running(const struct zn_stack *st) {
  return st->cfg.dhcp4.enable &&ZN__MOD(st, dhcp4)->sock != NULL;
}

static bool has_lease(uint8_t state) {
  return state == ZN_DHCP4_BOUND || state == ZN_DHCP4_RENEWING ||
         state == ZN_DHCP4_REBINDING;
}

/* ---- configuration ------------------------------------------------ */

static bool hostname_ok(const char *h) {
  size_t n = 0;
  for (; n <= ZN_DHCP4_HOSTNAME_MAX && h[n]; n++) {
    char c = h[n];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '-' || c == '.'))
      return false;
  }
  return n <= ZN_DHCP4_HOSTNAME_MAX;
}

bool zn__dhcp4_config_ok(const struct zn_config *cfg) {
  const struct zn_dhcp4_config *c = &cfg->dhcp4;
  if (!c->enable)
    return true;
  uint32_t top = c->reboot_addr >> 24;
  bool reboot_ok = c->reboot_addr == 0 || (top != 0 && top != 127 && top < 224);
  return cfg->ipv4_addr == 0 && cfg->udp_socks > 0 &&
         c->client_id_len <= ZN_DHCP4_CLIENT_ID_MAX &&
         hostname_ok(c->hostname) && reboot_ok;
}

/* ---- timers ------------------------------------------------------- */

static void arm(struct zn_stack *st, enum zn__dhcp4_role role, uint64_t at) {
  ZN__MOD(st, dhcp4)->role = (uint8_t)role;
  zn_timer_start(st, &ZN__MOD(st, dhcp4)->timer, at);
}

static void disarm(struct zn_stack *st) {
  ZN__MOD(st, dhcp4)->role = ZN__DHCP4_T_NONE;
  zn_timer_stop(st, &ZN__MOD(st, dhcp4)->timer);
}

static void arm_lease(struct zn_stack *st, enum zn__dhcp4_lease_role role,
                      uint64_t at) {
  ZN__MOD(st, dhcp4)->lease_role = (uint8_t)role;
  if (at == NEVER)
    zn_timer_stop(st, &ZN__MOD(st, dhcp4)->lease_timer);
  else
    zn_timer_start(st, &ZN__MOD(st, dhcp4)->lease_timer, at);
}

static void disarm_lease(struct zn_stack *st) {
  ZN__MOD(st, dhcp4)->lease_role = ZN__DHCP4_L_NONE;
  zn_timer_stop(st, &ZN__MOD(st, dhcp4)->lease_timer);
}

static uint64_t rand_ms(struct zn_stack *st, uint32_t lo, uint32_t hi) {
  return (uint64_t)(lo + zn__rng_below(&st->rng, hi - lo + 1)) * MS;
}

/* RFC 2131 4.1: 4 s before the first retransmission, doubling up to 64 s,
 * each randomised by -1..+1 s (uniform, from the CSPRNG).  `sent`: the
 * messages of the exchange sent so far, at least 1. */
static uint64_t backoff(struct zn_stack *st, uint32_t sent) {
  uint32_t base = BACKOFF_FIRST_MS;
  for (uint32_t i = 1; i < sent && base < BACKOFF_MAX_MS; i++)
    base *= 2;
  return rand_ms(st, base - BACKOFF_JITTER_MS, base + BACKOFF_JITTER_MS);
}

/* RFC 2131 4.4.5: half the time left until `until`, at least 60 s. */
static uint64_t halving(const struct zn_stack *st, uint64_t until) {
  uint64_t left = until > st->now ? (until - st->now) / 2 : 0;
  if (until == NEVER)
    left = RENEW_MIN_WAIT;
  return left > RENEW_MIN_WAIT ? left : RENEW_MIN_WAIT;
}

/* cfg.dhcp4.start_delay_ms: uniform in [d / 10, d]. */
static uint64_t start_delay(struct zn_stack *st) {
  uint32_t d = st->cfg.dhcp4.start_delay_ms;
  return d ? rand_ms(st, d / 10, d) : 0;
}

/* ---- events ------------------------------------------------------- */

static void notify(struct zn_stack *st, enum zn_dhcp4_event ev,
                   const struct zn__dhcp4_lease *l) {
  struct zn__dhcp4 *dh = ZN__MOD(st, dhcp4);
  if (!dh->cb)
    return;
  struct zn_dhcp4_lease r;
  zn__dhcp4_report(st, l, dh->state, &r);
  dh->cb(st, dh->cb_arg, ev, &r);
}

/* ---- transitions -------------------------------------------------- */

/* A new exchange: its own xid, secs counted from now. */
static void new_exchange(struct zn_stack *st) {
  struct zn__dhcp4 *dh = ZN__MOD(st, dhcp4);
  dh->xid = zn__rng_u32(&st->rng);
  dh->began = st->now;
  dh->req_at = st->now;
  dh->tries = 0;
}

/* Send the state's message and arm its retransmission. */
static void transmit(struct zn_stack *st) {
  struct zn__dhcp4 *dh = ZN__MOD(st, dhcp4);
  if (dh->state == ZN_DHCP4_SELECTING)
    zn__dhcp4_send_discover(st);
  else
    zn__dhcp4_send_request(st);
  if (dh->tries < UINT8_MAX)
    dh->tries++;
  uint64_t wait;
  if (dh->state == ZN_DHCP4_RENEWING)
    wait = halving(st, zn__dhcp4_t2_at(&dh->lease));
  else if (dh->state == ZN_DHCP4_REBINDING)
    wait = halving(st, zn__dhcp4_expires_at(&dh->lease));
  else
    wait = backoff(st, dh->tries);
  arm(st, ZN__DHCP4_T_RESEND, st->now + wait);
}

/* START: the exchange's first message. */
static void start_due(struct zn_stack *st) {
  struct zn__dhcp4 *dh = ZN__MOD(st, dhcp4);
  new_exchange(st);
  dh->state = dh->state == ZN_DHCP4_INIT_REBOOT ? ZN_DHCP4_REBOOTING
                                                : ZN_DHCP4_SELECTING;
  transmit(st);
}

/* INIT: DISCOVER after `delay` (0: now). */
static void enter_init(struct zn_stack *st, uint64_t delay) {
  ZN__MOD(st, dhcp4)->state = ZN_DHCP4_INIT;
  disarm_lease(st);
  if (delay)
    arm(st, ZN__DHCP4_T_START, st->now + delay);
  else
    start_due(st);
}

/* INIT-REBOOT: a REQUEST for addr after `delay` (RFC 2131 3.2). */
static void enter_init_reboot(struct zn_stack *st, uint32_t addr,
                              uint64_t delay) {
  ZN__MOD(st, dhcp4)->state = ZN_DHCP4_INIT_REBOOT;
  ZN__MOD(st, dhcp4)->offer = addr;
  disarm_lease(st);
  if (delay)
    arm(st, ZN__DHCP4_T_START, st->now + delay);
  else
    start_due(st);
}

/* The address goes (expiry, NAK, release, restart): LOST. */
static void drop_lease(struct zn_stack *st, uint8_t next_state) {
  struct zn__dhcp4 *dh = ZN__MOD(st, dhcp4);
  struct zn__dhcp4_lease old = dh->lease;
  zn__dhcp4_unapply(st);
  memset(&dh->lease, 0, sizeof(dh->lease));
  dh->state = next_state;
  ZN_LOG(st, ZN_LOG_INFO, "dhcp4: %I lost", old.addr);
  notify(st, ZN_DHCP4_EV_LOST, &old);
}

/* PROBING (RFC 5227 2.1.1): the first probe after 0..PROBE_WAIT. */
static void enter_probing(struct zn_stack *st,
                          const struct zn__dhcp4_lease *l) {
  struct zn__dhcp4 *dh = ZN__MOD(st, dhcp4);
  dh->pending = *l;
  dh->offer = l->addr;
  dh->probes = 0;
  dh->state = ZN_DHCP4_PROBING;
  arm(st, ZN__DHCP4_T_PROBE, st->now + rand_ms(st, 0, PROBE_WAIT_MS));
}

/* BOUND: the lease in use, T1 armed (RFC 2131 4.4.5). */
static void enter_bound(struct zn_stack *st, const struct zn__dhcp4_lease *l,
                        enum zn_dhcp4_event ev) {
  struct zn__dhcp4 *dh = ZN__MOD(st, dhcp4);
  dh->lease = *l;
  dh->state = ZN_DHCP4_BOUND;
  dh->last_addr = l->addr;
  disarm(st);
  zn__dhcp4_apply(st, l);
  arm_lease(st, ZN__DHCP4_L_T1, zn__dhcp4_t1_at(l));
  ZN_LOG(st, ZN_LOG_INFO, "dhcp4: %s %I/%u router %I lease %us from %I",
         ev == ZN_DHCP4_EV_BOUND ? "bound" : "renewed", l->addr,
         (unsigned)l->prefix, l->router, (unsigned)l->lease_s, l->server);
  notify(st, ev, l);
}

/* The ARP check passed: bind, unless the lease ran out meanwhile. */
static void probing_done(struct zn_stack *st) {
  struct zn__dhcp4 *dh = ZN__MOD(st, dhcp4);
  if (zn__dhcp4_expires_at(&dh->pending) <= st->now) {
    ZN_STAT_INC(st, dhcp4_expired);
    enter_init(st, 0);
    return;
  }
  dh->conflicts = 0;
  ZN_STAT_INC(st, dhcp4_bound);
  enter_bound(st, &dh->pending, ZN_DHCP4_EV_BOUND);
}

/* RFC 5227 2.1.1 / RFC 2131 4.4.1: the address is in use: DECLINE and
 * start over, 10 s later, or one address a minute after MAX_CONFLICTS. */
static void conflict(struct zn_stack *st) {
  struct zn__dhcp4 *dh = ZN__MOD(st, dhcp4);
  ZN_STAT_INC(st, dhcp4_conflict);
  ZN_LOG(st, ZN_LOG_WARN, "dhcp4: %I is in use: declined", dh->offer);
  zn__dhcp4_send_decline(st, dh->offer, dh->pending.server);
  if (dh->last_addr == dh->offer)
    dh->last_addr = 0;
  if (dh->conflicts < UINT8_MAX)
    dh->conflicts++;
  enter_init(st, dh->conflicts >= MAX_CONFLICTS ? RATE_LIMIT_INTERVAL
                                                : DECLINE_WAIT);
}

/* ---- timer callbacks ---------------------------------------------- */

/* RESEND: SELECTING repeats forever; REQUESTING and REBOOTING give up
 * after REQUEST_TRIES; RENEWING and REBINDING repeat until T2 or the
 * lease's end moves them on. */
static void resend_due(struct zn_stack *st) {
  struct zn__dhcp4 *dh = ZN__MOD(st, dhcp4);
  if ((dh->state == ZN_DHCP4_REQUESTING || dh->state == ZN_DHCP4_REBOOTING) &&
      dh->tries >= REQUEST_TRIES) {
    ZN_STAT_INC(st, dhcp4_request_timeout);
    ZN_LOG(st, ZN_LOG_INFO, "dhcp4: no answer to REQUEST for %I: INIT",
           dh->offer);
    enter_init(st, 0);
    return;
  }
  transmit(st);
}

/* PROBE: PROBE_NUM probes PROBE_MIN..PROBE_MAX apart, then ANNOUNCE_WAIT
 * for a late answer, then bind. */
static void probe_due(struct zn_stack *st) {
  struct zn__dhcp4 *dh = ZN__MOD(st, dhcp4);
  if (dh->probes >= PROBE_NUM) {
    probing_done(st);
    return;
  }
  zn__dhcp4_send_probe(st, dh->offer);
  dh->probes++;
  uint64_t wait = dh->probes < PROBE_NUM
                      ? rand_ms(st, PROBE_MIN_MS, PROBE_MAX_MS)
                      : ANNOUNCE_WAIT;
  arm(st, ZN__DHCP4_T_PROBE, st->now + wait);
}

static void on_timer(struct zn_stack *st, struct zn_timer *t) {
  (void)t;
  enum zn__dhcp4_role role = (enum zn__dhcp4_role)ZN__MOD(st, dhcp4)->role;
  ZN__MOD(st, dhcp4)->role = ZN__DHCP4_T_NONE;
  switch (role) {
  case ZN__DHCP4_T_START:
    start_due(st);
    break;
  case ZN__DHCP4_T_RESEND:
    resend_due(st);
    break;
  case ZN__DHCP4_T_PROBE:
    probe_due(st);
    break;
  case ZN__DHCP4_T_NONE:
    break;
  }
}

/* T1: RENEWING, a REQUEST unicast to the server (RFC 2131 4.4.5). */
static void t1_due(struct zn_stack *st) {
  struct zn__dhcp4 *dh = ZN__MOD(st, dhcp4);
  dh->state = ZN_DHCP4_RENEWING;
  new_exchange(st);
  arm_lease(st, ZN__DHCP4_L_T2, zn__dhcp4_t2_at(&dh->lease));
  transmit(st);
}

/* T2: REBINDING, REQUESTs broadcast to any server. */
static void t2_due(struct zn_stack *st) {
  struct zn__dhcp4 *dh = ZN__MOD(st, dhcp4);
  dh->state = ZN_DHCP4_REBINDING;
  new_exchange(st);
  arm_lease(st, ZN__DHCP4_L_EXPIRY, zn__dhcp4_expires_at(&dh->lease));
  transmit(st);
}

/* The lease ran out: the address goes, INIT at once (RFC 2131 4.4.5). */
static void expiry_due(struct zn_stack *st) {
  ZN_STAT_INC(st, dhcp4_expired);
  disarm(st);
  drop_lease(st, ZN_DHCP4_INIT);
  enter_init(st, 0);
}

static void on_lease_timer(struct zn_stack *st, struct zn_timer *t) {
  (void)t;
  enum zn__dhcp4_lease_role role =
      (enum zn__dhcp4_lease_role)ZN__MOD(st, dhcp4)->lease_role;
  ZN__MOD(st, dhcp4)->lease_role = ZN__DHCP4_L_NONE;
  switch (role) {
  case ZN__DHCP4_L_T1:
    t1_due(st);
    break;
  case ZN__DHCP4_L_T2:
    t2_due(st);
    break;
  case ZN__DHCP4_L_EXPIRY:
    expiry_due(st);
    break;
  case ZN__DHCP4_L_NONE:
    break;
  }
}

/* ---- replies ------------------------------------------------------ */

/* An OFFER in SELECTING: REQUESTING it (RFC 2131 4.4.1), same xid. */
static void offer_in(struct zn_stack *st, const struct zn_dhcp4_view *v) {
  struct zn__dhcp4 *dh = ZN__MOD(st, dhcp4);
  uint32_t addr, server;
  if (!zn__dhcp4_read_offer(st, v, &addr, &server)) {
    ZN_STAT_INC(st, dhcp4_drop_offer);
    return;
  }
  ZN_STAT_INC(st, dhcp4_offer_rx);
  dh->offer = addr;
  dh->server = server;
  dh->state = ZN_DHCP4_REQUESTING;
  dh->tries = 0;
  dh->req_at = st->now;
  transmit(st);
}

/* An ACK in REQUESTING or REBOOTING: probe the address; in RENEWING or
 * REBINDING: the lease extended. */
static void ack_in(struct zn_stack *st, const struct zn_dhcp4_view *v) {
  struct zn__dhcp4 *dh = ZN__MOD(st, dhcp4);
  struct zn__dhcp4_lease l;
  bool renewal = has_lease(dh->state);
  uint32_t want = renewal ? dh->lease.addr : dh->offer;
  if (!zn__dhcp4_read_lease(st, v, dh->req_at, &l) || l.addr != want) {
    ZN_STAT_INC(st, dhcp4_drop_ack);
    return;
  }
  if (dh->state == ZN_DHCP4_REQUESTING && l.server != dh->server) {
    ZN_STAT_INC(st, dhcp4_drop_server);
    return;
  }
  ZN_STAT_INC(st, dhcp4_ack_rx);
  if (!renewal) {
    enter_probing(st, &l);
    return;
  }
  ZN_STAT_INC(st, dhcp4_renewed);
  enter_bound(st, &l, ZN_DHCP4_EV_RENEWED);
}

/* A NAK: back to INIT (RFC 2131 4.4.1, 4.4.5), the address given up. */
static void nak_in(struct zn_stack *st, const struct zn_dhcp4_view *v) {
  struct zn__dhcp4 *dh = ZN__MOD(st, dhcp4);
  uint32_t sid = zn__dhcp4_server_id(st, v);
  uint32_t ours = dh->state == ZN_DHCP4_REQUESTING ? dh->server
                  : dh->state == ZN_DHCP4_RENEWING ? dh->lease.server
                                                   : 0;
  /* In REQUESTING and RENEWING only our server may refuse us. */
  if (ours && sid != ours) {
    ZN_STAT_INC(st, dhcp4_drop_server);
    return;
  }
  ZN_STAT_INC(st, dhcp4_nak_rx);
  ZN_LOG(st, ZN_LOG_INFO, "dhcp4: NAK from %I in %s", sid,
         zn_dhcp4_state_name((enum zn_dhcp4_state)dh->state));
  if (dh->state == ZN_DHCP4_REBOOTING && dh->last_addr == dh->offer)
    dh->last_addr = 0;
  disarm(st);
  if (has_lease(dh->state))
    drop_lease(st, ZN_DHCP4_INIT);
  enter_init(st, start_delay(st));
}

static bool awaits_reply(uint8_t state) {
  return state == ZN_DHCP4_SELECTING || state == ZN_DHCP4_REQUESTING ||
         state == ZN_DHCP4_REBOOTING || state == ZN_DHCP4_RENEWING ||
         state == ZN_DHCP4_REBINDING;
}

/* The checks every reply goes through before its type is looked at;
 * true if it may be dispatched, else counted. */
static bool reply_acceptable(struct zn_stack *st, const struct zn_dhcp4_view *v,
                             int rc) {
  switch (rc) {
  case ZN_OK:
    break;
  case ZN_ETRUNCATED:
    ZN_STAT_INC(st, dhcp4_drop_short);
    return false;
  case ZN_EPROTO:
    ZN_STAT_INC(st, dhcp4_drop_cookie);
    return false;
  default:
    ZN_STAT_INC(st, dhcp4_drop_options);
    return false;
  }
  if (v->op != ZN_DHCP4_OP_REPLY || v->htype != ZN_DHCP4_HTYPE_ETH ||
      v->hlen != ZN_ETH_ADDR_LEN) {
    ZN_STAT_INC(st, dhcp4_drop_op);
    return false;
  }
  if (memcmp(v->chaddr, st->mac, 6) != 0) {
    ZN_STAT_INC(st, dhcp4_drop_chaddr);
    return false;
  }
  if (v->xid != ZN__MOD(st, dhcp4)->xid) {
    ZN_STAT_INC(st, dhcp4_drop_xid);
    return false;
  }
  return true;
}

/* A datagram to port 68 (the socket's callback). */
static void dhcp4_input(struct zn_stack *st, const uint8_t *p, size_t len,
                        uint16_t sport) {
  struct zn__dhcp4 *dh = ZN__MOD(st, dhcp4);
  struct zn_dhcp4_view v;
  ZN_STAT_INC(st, dhcp4_rx);
  if (!awaits_reply(dh->state)) {
    ZN_STAT_INC(st, dhcp4_drop_state);
    return;
  }
  if (sport != ZN_DHCP4_SERVER_PORT) {
    ZN_STAT_INC(st, dhcp4_drop_port);
    return;
  }
  if (!reply_acceptable(st, &v, zn_dhcp4_view_init(&v, p, len)))
    return;
  if (v.msg_type == ZN_DHCP4_OFFER && dh->state == ZN_DHCP4_SELECTING)
    offer_in(st, &v);
  else if (v.msg_type == ZN_DHCP4_ACK && dh->state != ZN_DHCP4_SELECTING)
    ack_in(st, &v);
  else if (v.msg_type == ZN_DHCP4_NAK && dh->state != ZN_DHCP4_SELECTING)
    nak_in(st, &v);
  else
    ZN_STAT_INC(st, dhcp4_drop_type);
}

static void on_dgram(struct zn_udp_sock *s, void *arg,
                     const struct zn_udp_dgram *d) {
  (void)arg;
  dhcp4_input(zn_udp_stack(s), d->data, d->len, d->sport);
}

/* ---- the stack's calls -------------------------------------------- */

void zn__dhcp4_init(struct zn_stack *st) {
  struct zn__dhcp4 *dh = ZN__MOD(st, dhcp4);
  memset(dh, 0, sizeof(*dh));
  zn_timer_init(&dh->timer, on_timer);
  zn_timer_init(&dh->lease_timer, on_lease_timer);
  if (!st->cfg.dhcp4.enable)
    return;
  /* The table was just made with udp_socks >= 1 (config_ok): cannot
   * fail, and neither can the bind of a fresh table. */
  if (zn_udp_open(st, &dh->sock) != ZN_OK)
    return;
  struct zn_ip any = zn_ip_from_v4(0);
  if (zn_udp_bind(dh->sock, &any, ZN_DHCP4_CLIENT_PORT) != ZN_OK) {
    zn_udp_close(dh->sock);
    dh->sock = NULL;
    return;
  }
  zn_udp_set_recv_cb(dh->sock, on_dgram, NULL);
}

void zn__dhcp4_start(struct zn_stack *st) {
  if (!running(st) || ZN__MOD(st, dhcp4)->stopped)
    return;
  uint32_t addr = st->cfg.dhcp4.reboot_addr;
  if (addr)
    enter_init_reboot(st, addr, start_delay(st));
  else
    enter_init(st, start_delay(st));
}

void zn__dhcp4_destroy(struct zn_stack *st) {
  disarm(st);
  disarm_lease(st);
}

bool zn__dhcp4_takes(const struct zn_stack *st, const struct zn_ipv4_view *v) {
  uint8_t s = ZN__MOD(st, dhcp4)->state;
  if (zn__ip_addr(st) != 0 || (s != ZN_DHCP4_SELECTING &&
                           s != ZN_DHCP4_REQUESTING && s != ZN_DHCP4_REBOOTING))
    return false;
  const uint8_t *u = zn_ipv4_payload(v);
  return v->proto == ZN_IPPROTO_UDP && !zn_ipv4_is_fragment(v) &&
         zn_ipv4_payload_len(v) >= ZN_UDP_HDR_LEN &&
         zn_rd16(u) == ZN_DHCP4_SERVER_PORT &&
         zn_rd16(u + 2) == ZN_DHCP4_CLIENT_PORT;
}

/* RFC 5227 2.1.1: while probing, any ARP packet whose sender is the
 * address, or a probe for it from another MAC, means another host uses
 * or wants it. */
void zn__dhcp4_arp_input(struct zn_stack *st, const uint8_t *sha, uint32_t spa,
                         uint32_t tpa, uint16_t op) {
  const struct zn__dhcp4 *dh = ZN__MOD(st, dhcp4);
  if (dh->state != ZN_DHCP4_PROBING || memcmp(sha, st->mac, 6) == 0)
    return;
  if (spa == dh->offer ||
      (op == ZN_ARP_OP_REQUEST && spa == 0 && tpa == dh->offer))
    conflict(st);
}

/* ---- public API ----------------------------------------------------- */

const char *zn_dhcp4_state_name(enum zn_dhcp4_state s) {
  static const char *const names[] = {
      "OFF",   "INIT",     "SELECTING", "REQUESTING",  "PROBING",
      "BOUND", "RENEWING", "REBINDING", "INIT-REBOOT", "REBOOTING"};
  if ((unsigned)s >= sizeof(names) / sizeof(names[0]))
    return "?";
  return names[s];
}

enum zn_dhcp4_state zn_dhcp4_state(const struct zn_stack *st) {
  return (enum zn_dhcp4_state)ZN__MOD(st, dhcp4)->state;
}

int zn_dhcp4_lease(const struct zn_stack *st, struct zn_dhcp4_lease *out) {
  const struct zn__dhcp4 *dh = ZN__MOD(st, dhcp4);
  if (!has_lease(dh->state)) {
    memset(out, 0, sizeof(*out));
    out->state = dh->state;
    return ZN_ENOENT;
  }
  zn__dhcp4_report(st, &dh->lease, dh->state, out);
  return ZN_OK;
}

int zn_dhcp4_dns_server(const struct zn_stack *st, uint32_t i,
                        struct zn_ip *out) {
  const struct zn__dhcp4 *dh = ZN__MOD(st, dhcp4);
  if (!has_lease(dh->state) || i >= dh->lease.ndns)
    return ZN_ENOENT;
  *out = zn_ip_from_v4(dh->lease.dns[i]);
  return ZN_OK;
}

void zn_dhcp4_set_event_cb(struct zn_stack *st, zn_dhcp4_event_fn fn,
                           void *arg) {
  ZN__MOD(st, dhcp4)->cb = fn;
  ZN__MOD(st, dhcp4)->cb_arg = arg;
}

int zn_dhcp4_release(struct zn_stack *st) {
  struct zn__dhcp4 *dh = ZN__MOD(st, dhcp4);
  if (!running(st))
    return ZN_EINVAL;
  disarm(st);
  disarm_lease(st);
  if (has_lease(dh->state)) {
    zn__dhcp4_send_release(st);
    drop_lease(st, ZN_DHCP4_OFF);
  }
  dh->state = ZN_DHCP4_OFF;
  dh->stopped = true;
  return ZN_OK;
}

int zn_dhcp4_restart(struct zn_stack *st) {
  struct zn__dhcp4 *dh = ZN__MOD(st, dhcp4);
  if (!running(st))
    return ZN_EINVAL;
  dh->stopped = false;
  if (!st->started)
    return ZN_OK; /* the first poll starts it */
  disarm(st);
  disarm_lease(st);
  if (has_lease(dh->state))
    drop_lease(st, ZN_DHCP4_INIT);
  if (dh->last_addr)
    enter_init_reboot(st, dh->last_addr, 0);
  else
    enter_init(st, 0);
  return ZN_OK;
}

static void dhcp4_config_default(struct zn_config *cfg) {
  cfg->dhcp4.start_delay_ms = ZN_DHCP4_START_DELAY_DEFAULT_MS;
}

static void dhcp4_init(struct zn_stack *st, void **mem) {
  (void)mem;
  zn__dhcp4_init(st);
  zn__arp_listen(st, zn__dhcp4_arp_input);
  zn__ip_accept_other(st, zn__dhcp4_takes);
}

const struct zn__module zn__dhcp4_module = {
    .name = "dhcp4",
    .id = ZN__MOD_dhcp4,
    .needs = ZN__MOD_BIT(eth) | ZN__MOD_BIT(arp) | ZN__MOD_BIT(ip) |
             ZN__MOD_BIT(udp),
    .state_size = sizeof(struct zn__dhcp4),
    .config_default = dhcp4_config_default,
    .config_ok = zn__dhcp4_config_ok,
    .init = dhcp4_init,
    .start = zn__dhcp4_start,
    .destroy = zn__dhcp4_destroy,
};
