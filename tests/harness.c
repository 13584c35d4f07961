#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/stack_int.h"
#include "internals.h"
#include "tcp/tcp_int.h"
#include "zt.h"

/* The arena each stack lives in, found again by th_stack_free(). */
struct arena {
  struct zn_stack *st;
  void *mem;
  struct arena *next;
};
static struct arena *arenas;

void zn_host_log_for_tests(void *ctx, int level, const char *line) {
  (void)ctx;
  printf("# [%s] %s\n", zn_log_level_name(level), line);
}

void th_config(struct zn_config *cfg, uint32_t ip, uint8_t prefix,
               uint8_t mac_last) {
  zn_config_default(cfg);
  cfg->ipv4_addr = ip;
  cfg->ipv4_prefix = prefix;
  cfg->has_mac = true;
  uint8_t mac[6] = {0x02, 0, 0, 0, 0, mac_last};
  memcpy(cfg->mac, mac, 6);
  for (int i = 0; i < 32; i++)
    cfg->seed[i] = (uint8_t)(i * 7 + mac_last);
  cfg->nbufs = 256;
  cfg->nbigbufs = 4;
  /* The tests' virtual clocks see each flight at once; the pacing tests
   * turn it on. */
  cfg->tcp_pacing = false;
  if (getenv("ZT_LOG")) {
    cfg->log = zn_host_log_for_tests;
    cfg->log_level = ZN_LOG_TRACE;
  }
}

/* A stack from tab (NULL: the default table) in a fresh arena. */
static struct zn_stack *arena_stack(const struct zn_config *cfg,
                                    const struct zn__module *const *tab,
                                    size_t n) {
  size_t need = tab ? zn__stack_mem_size_with(cfg, tab, n)
                    : zn_stack_mem_size(cfg);
  if (need == 0)
    return NULL;
  struct arena *a = calloc(1, sizeof(*a));
  a->mem = malloc(need);
  int rc = tab ? zn__stack_create_with(cfg, tab, n, a->mem, need, &a->st)
               : zn_stack_create(cfg, a->mem, need, &a->st);
  if (rc != ZN_OK) {
    free(a->mem);
    free(a);
    return NULL;
  }
  a->next = arenas;
  arenas = a;
  return a->st;
}

struct zn_stack *th_stack_new(const struct zn_config *cfg) {
  return arena_stack(cfg, NULL, 0);
}

struct zn_stack *th_stack_new_with(const struct zn_config *cfg,
                                   const struct zn__module *const *tab,
                                   size_t n) {
  return arena_stack(cfg, tab, n);
}

void th_stack_free(struct zn_stack *st) {
  struct arena **pp = &arenas;
  while (*pp && (*pp)->st != st)
    pp = &(*pp)->next;
  if (!*pp)
    return;
  struct arena *a = *pp;
  *pp = a->next;
  th_check_accounting(st);
  zn_stack_destroy(st);
  ZT_EQ(zn_stack_bufs_in_use(st), 0);
  free(a->mem);
  free(a);
}

void th_pair_init(struct th_pair *p, const struct zn_config *cfg_a,
                  const struct zn_config *cfg_b) {
  struct zn_config ca, cb;
  memset(p, 0, sizeof(*p));
  if (cfg_a)
    ca = *cfg_a;
  else
    th_config(&ca, ZN_IPV4(10, 0, 0, 1), 24, 1);
  if (cfg_b)
    cb = *cfg_b;
  else
    th_config(&cb, ZN_IPV4(10, 0, 0, 2), 24, 2);
  zn_memlink_init(&p->link, 0, 0);
  p->a = th_stack_new(&ca);
  p->b = th_stack_new(&cb);
  if (p->a)
    zn_stack_attach(p->a, &p->link.a.nif);
  if (p->b)
    zn_stack_attach(p->b, &p->link.b.nif);
}

static uint64_t min64(uint64_t a, uint64_t b) { return a < b ? a : b; }

void th_pair_run(struct th_pair *p, uint64_t dur) {
  uint64_t end = p->now + dur;
  for (int guard = 0; guard < 10000000; guard++) {
    zn_stack_poll(p->a, p->now);
    zn_stack_poll(p->b, p->now);
    /* Frames still in flight: poll again at the same time. */
    if (p->link.a.rxq.count || p->link.b.rxq.count)
      continue;
    uint64_t next = min64(zn_stack_next_deadline(p->a),
                          zn_stack_next_deadline(p->b));
    if (next <= p->now) {
      /* Due now (tx queued, timer due): one more round at this time.  A
       * stack with nothing left to do moves past `now`. */
      next = p->now + 1;
    }
    if (next > end) {
      p->now = end;
      zn_stack_poll(p->a, p->now);
      zn_stack_poll(p->b, p->now);
      if (!p->link.a.rxq.count && !p->link.b.rxq.count)
        return;
      continue;
    }
    p->now = next;
  }
  zt_fail(__FILE__, __LINE__, "th_pair_run did not settle");
}

void th_stack_run(struct zn_stack *st, uint64_t *now, uint64_t dur) {
  uint64_t end = *now + dur;
  for (int guard = 0; guard < 10000000; guard++) {
    zn_stack_poll(st, *now);
    uint64_t next = zn_stack_next_deadline(st);
    if (next <= *now)
      continue; /* due now: the loopback queue, a timer */
    if (next > end) {
      *now = end;
      zn_stack_poll(st, *now);
      if (zn_stack_next_deadline(st) > *now)
        return;
      continue;
    }
    *now = next;
  }
  zt_fail(__FILE__, __LINE__, "th_stack_run did not settle");
}

void th_pair_free(struct th_pair *p) {
  zn_memlink_purge(&p->link);
  th_stack_free(p->a);
  th_stack_free(p->b);
}

#define V(name) ((unsigned long long)s.v[ZN_STAT_##name])

static int eq(const char *what, unsigned long long l, unsigned long long r) {
  if (l == r)
    return 0;
  zt_fail(__FILE__, __LINE__, "accounting: %s: %llu != %llu", what, l, r);
  return 1;
}

/* TCP's stack-wide sums against its connections. */
static int tcp_accounting(const struct zn_stack *st) {
  int bad = 0;
  /* The stack-wide TCP buffer count is what the queues hold.  (Exact at
   * the end of a poll, when every connection has been synced.) */
  unsigned long long q = 0, charged = 0, rq = 0, adv = 0, nadv = 0, nmem = 0;
  for (uint32_t i = 0; i < st->cfg.tcp_conns; i++) {
    const struct zn_tcp_conn *c = &ZN__MOD(st, tcp)->conns[i];
    if (!c->st)
      continue;
    q += c->sndq.count + c->rcvq.count + c->ooo.nbufs;
    rq += c->rcvq.count + c->ooo.nbufs;
    adv += c->adv_charged;
    nadv += c->adv_charged != 0;
    nmem += c->mem_charged != 0;
    charged += c->mem_charged;
  }
  bad += eq("tcp mem_bufs = buffers the connections' queues hold",
            ZN__MOD(st, tcp)->mem_bufs, q);
  bad += eq("tcp mem_bufs = sum of the connections' charges",
            ZN__MOD(st, tcp)->mem_bufs, charged);
  bad += eq("tcp mem_rcv = buffers the receive queues hold", ZN__MOD(st, tcp)->mem_rcv,
            rq);
  bad += eq("tcp promised = windows the connections hold open", ZN__MOD(st, tcp)->promised,
            adv);
  bad += eq("tcp npromised = connections holding a window open",
            ZN__MOD(st, tcp)->npromised, nadv);
  bad += eq("tcp nmem = connections holding buffers", ZN__MOD(st, tcp)->nmem, nmem);
  return bad;
}

int th_check_accounting(const struct zn_stack *st) {
  struct zn_stats s;
  zn_stats_get(st, &s);
  unsigned long long held = 0;
  for (uint32_t i = 0; ZN__MOD(st, ip) && i < st->cfg.reass_slots; i++)
    if (ZN__MOD(st, ip)->reass[i].used)
      held += ZN__MOD(st, ip)->reass[i].q.nfrags;
  int bad = 0;
  bad += eq("eth_rx = eth drops + arp_rx + ip_rx from the link",
            V(eth_rx), V(eth_drop_short) + V(eth_drop_not_for_us) +
                           V(eth_drop_src) + V(eth_drop_type) +
                           V(eth_drop_vlan) + V(eth_drop_mcast) + V(arp_rx) +
                           V(ip_rx) - V(ip_loop_rx) + V(ip6_rx) -
                           V(ip6_loop_rx));
  bad += eq("arp_rx = arp drops + requests + replies", V(arp_rx),
            V(arp_drop_malformed) + V(arp_drop_unsupported) + V(arp_drop_op) +
                V(arp_drop_not_for_us) + V(arp_drop_bad_sender) +
                V(arp_drop_unsolicited) + V(arp_conflict) +
                V(arp_gratuitous_rx) + V(arp_req_rx) +
                V(arp_reply_rx));
  bad += eq("ip_rx + reassembled = ip drops + fragments + transport input",
            V(ip_rx) + V(ip_reass_ok),
            V(ip_drop_short) + V(ip_drop_version) + V(ip_drop_hdrlen) +
                V(ip_drop_totlen) + V(ip_drop_checksum) +
                V(ip_drop_src_zero) + V(ip_drop_src_loopback) +
                V(ip_drop_src_mcast) + V(ip_drop_src_bcast) +
                V(ip_drop_src_class_e) + V(ip_drop_src_own) +
                V(ip_drop_not_for_us) + V(ip_drop_proto) +
                V(ip_frag_rx) + V(icmp_rx) + V(udp_rx) + V(tcp_rx) -
                V(ip6_delivered));
  bad += eq("ip6_rx + reassembled = ip6 drops + fragments + upper input",
            V(ip6_rx) + V(ip6_reass_ok),
            V(ip6_drop_off) + V(ip6_drop_malformed) + V(ip6_drop_src_mcast) +
                V(ip6_drop_src_unspec) + V(ip6_drop_src_loopback) +
                V(ip6_drop_not_for_us) + V(ip6_drop_tentative) +
                V(ip6_drop_chain) + V(ip6_drop_option) + V(ip6_drop_rh0) +
                V(ip6_drop_routing) + V(ip6_drop_proto) + V(ip6_drop_none) +
                V(ip6_frag_rx) + V(icmp6_rx) + V(ip6_delivered));
  bad += eq("ip6 fragments = reassembly drops + joined + held",
            V(ip6_frag_rx),
            V(ip6_reass_drop_overlap) + V(ip6_reass_drop_timeout) +
                V(ip6_reass_drop_mem) + V(ip6_reass_drop_slots) +
                V(ip6_reass_drop_evicted) + V(ip6_reass_drop_bad) +
                V(ip6_reass_drop_dup) + V(ip6_reass_drop_nobuf) +
                V(ip6_reass_joined) +
                (ZN__MOD(st, ip6) ? zn__ip6_reass_held(st) : 0));
  bad += eq("icmp6_rx = icmp6 drops + messages handled", V(icmp6_rx),
            V(icmp6_drop_short) + V(icmp6_drop_checksum) +
                V(icmp6_drop_nd_fragmented) + V(icmp6_drop_type) + V(icmp6_echo_rx) +
                V(icmp6_echo_reply_rx) + V(icmp6_err_rx) +
                V(icmp6_drop_quote) + V(icmp6_drop_noowner) + V(nd_rx) +
                V(icmp6_drop_conf_hlim) + V(icmp6_ra_rx) + V(icmp6_mld_rx) +
                V(nd_rs_ignored) + V(nd_redirect_ignored));
  bad += eq("nd_rx = nd drops + NS/NA handled", V(nd_rx),
            V(nd_drop_hlim) + V(nd_drop_invalid) + V(nd_drop_dad_src) +
                V(nd_drop_not_ours) + V(nd_drop_unsolicited) + V(nd_dad_rx) +
                V(nd_ns_rx) + V(nd_na_rx));
  bad += eq("fragments = reassembly drops + joined + held", V(ip_frag_rx),
            V(ip_reass_drop_overlap) + V(ip_reass_drop_timeout) +
                V(ip_reass_drop_mem) + V(ip_reass_drop_slots) +
                V(ip_reass_drop_evicted) +
                V(ip_reass_drop_bad) + V(ip_reass_drop_dup) +
                V(ip_reass_drop_nobuf) + V(ip_reass_joined) + held);
  bad += eq("icmp_rx = icmp drops + echo requests + replies + errors",
            V(icmp_rx),
            V(icmp_drop_short) + V(icmp_drop_checksum) + V(icmp_drop_type) +
                V(icmp_echo_rx) + V(icmp_echo_reply_rx) + V(icmp_err_rx) +
                V(icmp_drop_quote) + V(icmp_drop_noowner));
  bad += eq("udp_rx = udp drops + delivered + queued", V(udp_rx),
            V(udp_drop_short) + V(udp_drop_len) + V(udp_drop_checksum) +
                V(udp_drop_noport) + V(udp_drop_rxq_full) + V(udp_delivered) +
                V(udp_queued));
  bad += eq("tcp_rx = tcp drops + segments a connection processed", V(tcp_rx),
            V(tcp_drop_short) + V(tcp_drop_hdrlen) + V(tcp_drop_checksum) +
                V(tcp_drop_opts) + V(tcp_drop_bcast) + V(tcp_drop_noport) +
                V(tcp_conn_rx));
  bad += eq("ra_rx = ra drops + processed", V(ra_rx),
            V(ra_drop_src) + V(ra_drop_hop_limit) + V(ra_drop_malformed) +
                V(ra_drop_opts) + V(ra_drop_disabled) + V(ra_accepted));
  bad += eq("mld_rx = mld drops + queries answered", V(mld_rx),
            V(mld_drop_src) + V(mld_drop_hop_limit) +
                V(mld_drop_malformed) + V(mld_drop_v1) + V(mld_drop_report) +
                V(mld_drop_not_member) + V(mld_query_general) +
                V(mld_query_specific));
  bad += eq("dhcp4_rx = dhcp4 drops + offers, ACKs, NAKs taken", V(dhcp4_rx),
            V(dhcp4_drop_state) + V(dhcp4_drop_port) + V(dhcp4_drop_short) +
                V(dhcp4_drop_cookie) + V(dhcp4_drop_options) +
                V(dhcp4_drop_op) + V(dhcp4_drop_chaddr) + V(dhcp4_drop_xid) +
                V(dhcp4_drop_type) + V(dhcp4_drop_offer) + V(dhcp4_drop_ack) +
                V(dhcp4_drop_server) + V(dhcp4_offer_rx) + V(dhcp4_ack_rx) +
                V(dhcp4_nak_rx));
  if (ZN__MOD(st, tcp)) /* a stack assembled without TCP has none */
    bad += tcp_accounting(st);
  return bad;
}

/* ZN_SHARED_REQUIRED set (and not "0"): a missing file is a failure. */
static bool shared_required(void) {
  const char *v = getenv("ZN_SHARED_REQUIRED");
  return v != NULL && v[0] != '\0' && strcmp(v, "0") != 0;
}

/* The one line a skip prints: what is missing, and where it goes. */
static const char *shared_missing(const char *path) {
  static char why[4096 + 160];
  snprintf(why, sizeof(why),
           "missing %s: put the shared material in ../shared beside the "
           "checkout, or run ZN_SHARED_DIR=DIR scripts/test "
           "(meson: -Dshared_dir=DIR)",
           path);
  return why;
}

bool th_shared(const char *path) {
  if (access(path, F_OK) == 0)
    return true;
  if (shared_required())
    zt_fail(__FILE__, __LINE__, "missing %s (ZN_SHARED_REQUIRED is set)",
            path);
  else
    zt_skip(shared_missing(path));
  return false;
}

void th_shared_all(const char *path) {
  if (access(path, F_OK) == 0)
    return;
  if (shared_required()) {
    printf("Bail out! missing %s (ZN_SHARED_REQUIRED is set)\n", path);
    exit(1);
  }
  printf("1..0 # SKIP %s\n", shared_missing(path));
  exit(0);
}
