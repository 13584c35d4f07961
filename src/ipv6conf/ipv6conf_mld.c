/*
 * MLDv2 for a host (RFC 3810): membership of the groups we listen to
 * (refcounted, §6.1 state-change reports), and answers to general and
 * address-specific queries (§6.2).  No MLDv1 compatibility mode (§8):
 * MLDv1 queries are counted (mld_drop_v1) and ignored.
 */
#include <string.h>

#include "ipv6/ipv6_int.h"
#include "ipv6conf/ipv6conf_base.h"
#include "znet/err.h"
#include "znet/wire.h"

/* RFC 3810 §9. */
#define MLD_ROBUSTNESS 2u
#define MLD_UNSOLICITED_REPORT_MS 1000u
#define MLD_REPORT_MAX_RECORDS 60u

static const uint8_t all_nodes[16] = {0xff, 2, [15] = 1};
static const uint8_t all_mldv2_routers[16] = {0xff, 2, [15] = 0x16};

/* RFC 3810 §5.2: a report with n records of one type, to ff02::16, hop
 * limit 1, with a Router Alert. */
static void send_report(struct zn_stack *st, uint8_t type,
                        const uint8_t (*groups)[16], size_t n) {
  struct zn_buf *b = NULL;
  uint8_t *p = zn__ip6conf_msg_alloc(st, 8 + 20 * n, &b);
  if (!p)
    return;
  zn_mld2_report_emit(p, type, groups, n);
  zn__ip6conf_msg_send(st, b, zn__ip6conf_usable_linklocal(st), all_mldv2_routers, 1, true);
  ZN_STAT_INC(st, mld_report_tx);
}

/* ---- MLD membership (RFC 3810 §6.1) ---------------------------------- */

static struct zn__ip6_group *group_find(struct zn_stack *st,
                                        const uint8_t g[16]) {
  struct zn__ip6 *ip6 = ZN__MOD(st, ip6);
  for (uint32_t i = 0; i < ip6->ngroup; i++) {
    struct zn__ip6_group *e = &ip6->group[i];
    if ((e->refs || e->report_left) && memcmp(e->g, g, 16) == 0)
      return e;
  }
  return NULL;
}

/* RFC 3810 §6: groups of scope 0 and 1 and all-nodes are never
 * reported. */
static bool group_reported(const uint8_t g[16]) {
  return zn_ipv6_mcast_scope(g) >= 2 && memcmp(g, all_nodes, 16) != 0;
}

/* RFC 3810 §6.1: a state change is reported at once and repeated
 * Robustness Variable - 1 times at random intervals up to the Unsolicited
 * Report Interval. */
static void group_state_change(struct zn_stack *st, struct zn__ip6_group *e,
                               uint8_t type) {
  e->report_type = type;
  e->report_left = group_reported(e->g) ? MLD_ROBUSTNESS : 0;
  e->report_at = st->now;
  e->answer_at = 0;
}

int zn__ip6conf_mcast_join(struct zn_stack *st, const uint8_t g[16]) {
  struct zn__ip6 *ip6 = ZN__MOD(st, ip6);
  if (!zn_ipv6_addr_is_mcast(g))
    return ZN_EINVAL;
  if (memcmp(g, all_nodes, 16) == 0)
    return ZN_OK;
  struct zn__ip6_group *e = group_find(st, g);
  if (e && e->refs) {
    e->refs++;
    return ZN_OK;
  }
  for (uint32_t i = 0; i < ip6->ngroup && !e; i++)
    if (!ip6->group[i].refs && !ip6->group[i].report_left)
      e = &ip6->group[i];
  if (!e) {
    ZN_STAT_INC(st, mld_group_full);
    return ZN_ENOSPC;
  }
  memcpy(e->g, g, 16);
  e->refs = 1;
  group_state_change(st, e, ZN_MLD2_CHANGE_TO_EXCLUDE_MODE);
  zn__ip6conf_rearm(st);
  return ZN_OK;
}

int zn__ip6conf_mcast_leave(struct zn_stack *st, const uint8_t g[16]) {
  if (memcmp(g, all_nodes, 16) == 0)
    return ZN_OK;
  struct zn__ip6_group *e = group_find(st, g);
  if (!e || !e->refs)
    return ZN_ENOENT;
  if (--e->refs == 0) {
    group_state_change(st, e, ZN_MLD2_CHANGE_TO_INCLUDE_MODE);
    zn__ip6conf_rearm(st);
  }
  return ZN_OK;
}

/* RFC 3810 §6.2: the pending answer to a general query: every group we
 * are in, as MODE_IS_EXCLUDE with no sources, in as few reports as
 * fit. */
static void answer_general_query(struct zn_stack *st) {
  const struct zn__ip6 *ip6 = ZN__MOD(st, ip6);
  uint8_t groups[MLD_REPORT_MAX_RECORDS][16];
  size_t n = 0;
  for (uint32_t i = 0; i < ip6->ngroup; i++) {
    if (!ip6->group[i].refs || !group_reported(ip6->group[i].g))
      continue;
    memcpy(groups[n++], ip6->group[i].g, 16);
    if (n == MLD_REPORT_MAX_RECORDS) {
      send_report(st, ZN_MLD2_MODE_IS_EXCLUDE, (const uint8_t(*)[16])groups,
                  n);
      n = 0;
    }
  }
  if (n)
    send_report(st, ZN_MLD2_MODE_IS_EXCLUDE, (const uint8_t(*)[16])groups, n);
}

void zn__ip6conf_groups_due(struct zn_stack *st) {
  struct zn__ip6conf *c = ZN__MOD(st, ip6conf);
  struct zn__ip6 *ip6 = ZN__MOD(st, ip6);
  for (uint32_t i = 0; i < ip6->ngroup; i++) {
    struct zn__ip6_group *e = &ip6->group[i];
    if (e->report_left && e->report_at <= st->now) {
      send_report(st, e->report_type, (const uint8_t(*)[16])e->g, 1);
      e->report_left--;
      e->report_at = e->report_left
                         ? zn__ip6conf_after_rand_ms(st, MLD_UNSOLICITED_REPORT_MS)
                         : 0;
    }
    if (e->answer_at && e->answer_at <= st->now) {
      e->answer_at = 0;
      if (e->refs)
        send_report(st, ZN_MLD2_MODE_IS_EXCLUDE, (const uint8_t(*)[16])e->g,
                    1);
    }
  }
  if (c->general_at && c->general_at <= st->now) {
    c->general_at = 0;
    answer_general_query(st);
  }
}

/* ---- MLD queries (RFC 3810 §5.1, §6.2) ------------------------------- */

/* RFC 3810 §5.1.14 and §6.2: a query from a link-local source with hop
 * limit 1.  MLDv1 queries are counted and ignored: no §8 compatibility
 * mode. */
static bool mld_query_valid(struct zn_stack *st, const struct zn_buf *b,
                            const struct zn__inet_meta *m,
                            struct zn_mld2_query_view *q) {
  struct zn_icmp6_view v;
  if (zn_icmp6_view_init(&v, b->data, b->len) != ZN_OK) {
    ZN_STAT_INC(st, mld_drop_malformed);
    return false;
  }
  if (v.type != ZN_ICMP6_MLD_QUERY) {
    ZN_STAT_INC(st, mld_drop_report);
    return false;
  }
  if (m->src.family != ZN_AF_INET6 || !zn_ipv6_addr_is_linklocal(m->src.bytes)) {
    ZN_STAT_INC(st, mld_drop_src);
    return false;
  }
  if (m->ttl != 1) {
    ZN_STAT_INC(st, mld_drop_hop_limit);
    return false;
  }
  int r = zn_mld2_query_view_init(q, &v);
  if (r == ZN_EPROTO && v.len == ZN_MLD_QUERY_V1_LEN) {
    ZN_STAT_INC(st, mld_drop_v1);
    return false;
  }
  if (r != ZN_OK) {
    ZN_STAT_INC(st, mld_drop_malformed);
    return false;
  }
  return true;
}

void zn__ip6conf_mld_input(struct zn_stack *st, struct zn_buf *b,
                           const struct zn__inet_meta *m) {
  static const uint8_t unspecified[16];
  struct zn__ip6conf *c = ZN__MOD(st, ip6conf);
  struct zn_mld2_query_view q;
  ZN_STAT_INC(st, mld_rx);
  if (!mld_query_valid(st, b, m, &q))
    goto drop; /* counted inside, by reason */
  /* §6.2: answer after a random delay up to Maximum Response Delay, or
   * sooner if an answer is already pending. */
  uint64_t at = zn__ip6conf_after_rand_ms(st, q.max_resp_ms);
  if (memcmp(q.group, unspecified, 16) == 0) {
    ZN_STAT_INC(st, mld_query_general);
    if (!c->general_at || at < c->general_at)
      c->general_at = at;
  } else {
    struct zn__ip6_group *g = group_find(st, q.group);
    if (!g || !g->refs || !group_reported(q.group)) {
      ZN_STAT_INC(st, mld_drop_not_member);
      goto drop;
    }
    ZN_STAT_INC(st, mld_query_specific);
    if (!g->answer_at || at < g->answer_at)
      g->answer_at = at;
  }
  zn__ip6conf_rearm(st);
drop:
  zn_buf_free(b);
}
