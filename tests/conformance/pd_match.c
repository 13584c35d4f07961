/*
 * Matching a segment the stack sent against an outbound script line.
 *
 * By default everything the line gives is compared exactly, as
 * packetdrill does: flags, sequence number (relative to our ISN), payload
 * length, acknowledgment number (relative to the peer's ISN), the window
 * field, and the options byte for byte (order and NOP/EOL padding
 * included).  Two values cannot be compared byte for byte and are treated
 * as packetdrill treats them:
 *
 *   - TS val: the stack's clock is not the script's.  As in packetdrill,
 *     the first TSval the stack sends fixes the offset between the two
 *     (any value passes then) and inbound TS ecr values are translated by
 *     it (pd_run.c).  packetdrill checks later TSvals only when given a
 *     tick (--tcp_ts_tick_usecs); here they are always checked, at 1 ms
 *     per tick (FreeBSD's and znet's clocks both run so): the script's
 *     value plus the offset, within the time the segment was allowed to
 *     be early or late (ctx->map->ts_slack_ms).
 *   - TS ecr: the peer's TSvals in the script are absolute (used as
 *     written on the wire), so an echo is compared exactly.
 *
 * Anything else is relaxed only by a PD_ACC_* bit that accepted.c grants
 * the script, and each relaxation actually needed is reported back so the
 * runner can say which accepted difference a pass relied on.
 */
#include <stdio.h>
#include <string.h>

#include "pd.h"

static uint32_t rd32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
         p[3];
}

static uint16_t rd16(const uint8_t *p) {
  return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static void wr32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

bool pd_seg_decode(const uint8_t *p, size_t len, struct pd_seg *s) {
  memset(s, 0, sizeof(*s));
  if (len < 20)
    return false;
  size_t hl = (size_t)(p[12] >> 4) * 4;
  if (hl < 20 || hl > len)
    return false;
  s->seq = rd32(p + 4);
  s->ack = rd32(p + 8);
  s->flags = p[13];
  s->win = rd16(p + 14);
  s->optlen = (uint8_t)(hl - 20);
  memcpy(s->opts, p + 20, s->optlen);
  s->len = (uint32_t)(len - hl);
  return true;
}

/* The Internet checksum's running sum of len bytes at p (RFC 1071),
 * written here rather than taken from znet so that a checksum the stack
 * computes wrongly cannot pass because the same code checks it. */
static uint32_t sum16(uint32_t sum, const uint8_t *p, size_t len) {
  for (size_t i = 0; i + 1 < len; i += 2)
    sum += rd16(p + i);
  if (len & 1)
    sum += (uint32_t)p[len - 1] << 8;
  return sum;
}

static uint16_t fold(uint32_t sum) {
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)sum;
}

/* The IPv4 header at ip (ihl bytes, tot_len): its checksum, protocol and
 * a TCP segment's pseudo-header sum (RFC 9293 §3.1). */
static int decode_ipv4(const uint8_t *ip, size_t len, struct pd_seg *s,
                       const uint8_t **tcp, size_t *tlen, uint32_t *psum,
                       char *why, size_t whylen) {
  if (len < 20 || ip[0] >> 4 != 4) {
    snprintf(why, whylen, "not an IPv4 header");
    return -1;
  }
  size_t ihl = (size_t)(ip[0] & 15) * 4;
  size_t tot = rd16(ip + 2);
  if (ihl < 20 || tot < ihl || tot > len) {
    snprintf(why, whylen, "IPv4 lengths: header %zu, total %zu, frame %zu",
             ihl, tot, len);
    return -1;
  }
  if (fold(sum16(0, ip, ihl)) != 0xffff) {
    snprintf(why, whylen, "bad IPv4 header checksum");
    return -1;
  }
  if (ip[9] != 6)
    return 0;
  s->ipv = 4;
  s->tos = ip[1];
  s->ttl = ip[8];
  *tcp = ip + ihl;
  *tlen = tot - ihl;
  *psum = sum16(sum16(0, ip + 12, 8), (const uint8_t[4]){0, 6,
                (uint8_t)(*tlen >> 8), (uint8_t)*tlen}, 4);
  return 1;
}

/* The IPv6 fixed header at ip (RFC 8200 §3): version, payload length
 * against the frame, next header TCP (the stack sends TCP with no
 * extension header), and the pseudo-header sum of §8.1. */
static int decode_ipv6(const uint8_t *ip, size_t len, struct pd_seg *s,
                       const uint8_t **tcp, size_t *tlen, uint32_t *psum,
                       char *why, size_t whylen) {
  if (len < 40 || ip[0] >> 4 != 6) {
    snprintf(why, whylen, "not an IPv6 header");
    return -1;
  }
  size_t plen = rd16(ip + 4);
  if (40 + plen > len) {
    snprintf(why, whylen, "IPv6 payload length %zu, frame holds %zu", plen,
             len - 40);
    return -1;
  }
  if (ip[6] != 6)
    return 0; /* ICMPv6 (ND, MLD) or hop-by-hop (MLD): not ours to match */
  s->ipv = 6;
  s->tos = (uint8_t)(rd16(ip) >> 4);
  s->flow = rd32(ip) & 0xfffff;
  s->ttl = ip[7];
  *tcp = ip + 40;
  *tlen = plen;
  *psum = sum16(0, ip + 8, 32) + (uint32_t)plen + 6;
  return 1;
}

int pd_frame_decode(const uint8_t *f, size_t len, struct pd_seg *s, char *why,
                    size_t whylen) {
  memset(s, 0, sizeof(*s));
  if (len < 14)
    return 0;
  uint16_t type = rd16(f + 12);
  const uint8_t *tcp = NULL;
  size_t tlen = 0;
  uint32_t psum = 0;
  int rc;
  if (type == 0x0800)
    rc = decode_ipv4(f + 14, len - 14, s, &tcp, &tlen, &psum, why, whylen);
  else if (type == 0x86dd)
    rc = decode_ipv6(f + 14, len - 14, s, &tcp, &tlen, &psum, why, whylen);
  else
    return 0;
  if (rc <= 0)
    return rc;
  if (fold(sum16(psum, tcp, tlen)) != 0xffff) {
    snprintf(why, whylen, "bad TCP checksum (IPv%d pseudo-header)", s->ipv);
    return -1;
  }
  struct pd_seg ip = *s;
  if (!pd_seg_decode(tcp, tlen, s)) {
    snprintf(why, whylen, "malformed TCP header");
    return -1;
  }
  s->ipv = ip.ipv;
  s->ttl = ip.ttl;
  s->tos = ip.tos;
  s->flow = ip.flow;
  s->sport = rd16(tcp);
  s->dport = rd16(tcp + 2);
  return 1;
}

int pd_opts_encode(const struct pd_opt *o, int n, uint8_t *out) {
  int k = 0;
  for (int i = 0; i < n; i++) {
    int need;
    switch (o[i].kind) {
    case PD_OPT_EOL:
    case PD_OPT_NOP: need = 1; break;
    case PD_OPT_MSS: need = 4; break;
    case PD_OPT_WS: need = 3; break;
    case PD_OPT_SACKOK: need = 2; break;
    case PD_OPT_TS: need = 10; break;
    case PD_OPT_SACK: need = 2 + 8 * o[i].nsack; break;
    case PD_OPT_MD5: need = 18; break;
    default: return -1;
    }
    if (k + need > 40)
      return -1;
    uint8_t *q = out + k;
    switch (o[i].kind) {
    case PD_OPT_EOL: q[0] = 0; break;
    case PD_OPT_NOP: q[0] = 1; break;
    case PD_OPT_MSS:
      q[0] = 2;
      q[1] = 4;
      q[2] = (uint8_t)(o[i].val >> 8);
      q[3] = (uint8_t)o[i].val;
      break;
    case PD_OPT_WS:
      q[0] = 3;
      q[1] = 3;
      q[2] = (uint8_t)o[i].val;
      break;
    case PD_OPT_SACKOK:
      q[0] = 4;
      q[1] = 2;
      break;
    case PD_OPT_TS:
      q[0] = 8;
      q[1] = 10;
      wr32(q + 2, o[i].val);
      wr32(q + 6, o[i].ecr);
      break;
    case PD_OPT_SACK:
      q[0] = 5;
      q[1] = (uint8_t)need;
      for (int j = 0; j < o[i].nsack; j++) {
        wr32(q + 2 + 8 * j, o[i].sack[j].left);
        wr32(q + 6 + 8 * j, o[i].sack[j].right);
      }
      break;
    case PD_OPT_MD5:
      q[0] = 19;
      q[1] = 18;
      memset(q + 2, 0, 16);
      break;
    default: break;
    }
    k += need;
  }
  while (k % 4)
    out[k++] = 0;
  return k;
}

/* The options of a sent segment, walked the BSD way (EOL ends them).
 * Returns false if they are malformed. */
static bool walk_opts(const uint8_t *p, int len, struct pd_opt *o, int *n) {
  *n = 0;
  int i = 0;
  while (i < len && *n < PD_MAX_OPTS) {
    struct pd_opt *x = &o[*n];
    memset(x, 0, sizeof(*x));
    x->kind = p[i];
    if (p[i] == PD_OPT_EOL) {
      (*n)++;
      /* What follows EOL is padding. */
      return true;
    }
    if (p[i] == PD_OPT_NOP) {
      (*n)++;
      i++;
      continue;
    }
    if (i + 2 > len || p[i + 1] < 2 || i + p[i + 1] > len)
      return false;
    int ol = p[i + 1];
    const uint8_t *v = p + i + 2;
    switch (p[i]) {
    case PD_OPT_MSS:
      if (ol != 4)
        return false;
      x->val = rd16(v);
      break;
    case PD_OPT_WS:
      if (ol != 3)
        return false;
      x->val = v[0];
      break;
    case PD_OPT_SACKOK:
      if (ol != 2)
        return false;
      break;
    case PD_OPT_TS:
      if (ol != 10)
        return false;
      x->val = rd32(v);
      x->ecr = rd32(v + 4);
      break;
    case PD_OPT_SACK:
      if ((ol - 2) % 8 || ol < 10 || (ol - 2) / 8 > PD_MAX_SACK)
        return false;
      x->nsack = (uint8_t)((ol - 2) / 8);
      for (int j = 0; j < x->nsack; j++) {
        x->sack[j].left = rd32(v + 8 * j);
        x->sack[j].right = rd32(v + 4 + 8 * j);
      }
      break;
    default:
      break;
    }
    (*n)++;
    i += ol;
  }
  return true;
}

/* The script's options with absolute numbers. */
static void absolute_opts(const struct pd_pkt *w, const struct pd_map *m,
                          struct pd_opt *o) {
  for (int i = 0; i < w->nopts; i++) {
    o[i] = w->opts[i];
    if (o[i].kind == PD_OPT_SACK)
      for (int j = 0; j < o[i].nsack; j++) {
        o[i].sack[j].left += m->remote_isn;
        o[i].sack[j].right += m->remote_isn;
      }
    if (o[i].kind == PD_OPT_TS && m->ts_known)
      o[i].val += m->ts_offset;
  }
}

static const struct pd_opt *find_opt(const struct pd_opt *o, int n,
                                     uint8_t kind) {
  for (int i = 0; i < n; i++)
    if (o[i].kind == kind)
      return &o[i];
  return NULL;
}

static int count_opt(const struct pd_opt *o, int n, uint8_t kind) {
  int k = 0;
  for (int i = 0; i < n; i++)
    k += o[i].kind == kind;
  return k;
}

static bool is_pad(uint8_t kind) {
  return kind == PD_OPT_NOP || kind == PD_OPT_EOL;
}

/* RFC 2883 §4: the first block of an ACK is a D-SACK block if it lies
 * below the cumulative ACK or inside the second block. */
static bool is_dsack(const struct pd_opt *s, uint32_t ack) {
  if (s->nsack == 0)
    return false;
  uint32_t l = s->sack[0].left, r = s->sack[0].right;
  if ((int32_t)(r - ack) <= 0)
    return true;
  return s->nsack > 1 && (int32_t)(l - s->sack[1].left) >= 0 &&
         (int32_t)(r - s->sack[1].right) <= 0;
}

static void rel_seg_str(const struct pd_seg *g, const struct pd_map *m,
                        char *buf, size_t len) {
  char fl[12];
  pd_flags_str(g->flags, fl, sizeof(fl));
  uint32_t s = g->seq - m->local_isn;
  int n = snprintf(buf, len, "%s %u:%u(%u)", fl, s, s + g->len, g->len);
  if ((size_t)n < len && (g->flags & PD_ACK))
    n += snprintf(buf + n, len - (size_t)n, " ack %u", g->ack - m->remote_isn);
  if ((size_t)n < len)
    n += snprintf(buf + n, len - (size_t)n, " win %u", g->win);
  struct pd_opt o[PD_MAX_OPTS];
  int no;
  if (g->optlen == 0 || (size_t)n >= len)
    return;
  if (!walk_opts(g->opts, g->optlen, o, &no)) {
    snprintf(buf + n, len - (size_t)n, " <malformed options>");
    return;
  }
  struct pd_pkt tmp;
  memset(&tmp, 0, sizeof(tmp));
  tmp.has_opts = true;
  tmp.nopts = no;
  for (int i = 0; i < no; i++) {
    tmp.opts[i] = o[i];
    if (o[i].kind == PD_OPT_SACK)
      for (int j = 0; j < o[i].nsack; j++) {
        tmp.opts[i].sack[j].left -= m->remote_isn;
        tmp.opts[i].sack[j].right -= m->remote_isn;
      }
    if (o[i].kind == PD_OPT_TS && m->ts_known)
      tmp.opts[i].val -= m->ts_offset;
  }
  char ob[200];
  pd_pkt_str(&tmp, ob, sizeof(ob));
  /* pd_pkt_str printed "- 0:0(0) <...>": keep the options part. */
  const char *lt = strchr(ob, '<');
  snprintf(buf + n, len - (size_t)n, " %s", lt ? lt : "");
}

/* Compare SACK blocks: the first exactly, the rest as listed or (with
 * PD_ACC_SACK_ORDER) as a set.  wn/gn may be 0. */
static bool sack_blocks(const struct pd_opt *w, int wn, const struct pd_opt *g,
                        int gn, unsigned acc, unsigned *used, char *why,
                        size_t whylen) {
  if (wn != gn) {
    snprintf(why, whylen, "%d SACK blocks, not %d", gn, wn);
    return false;
  }
  if (wn == 0)
    return true;
  if (w->sack[0].left != g->sack[0].left ||
      w->sack[0].right != g->sack[0].right) {
    snprintf(why, whylen, "first SACK block differs");
    return false;
  }
  bool same_order = true;
  for (int i = 1; i < wn; i++)
    if (w->sack[i].left != g->sack[i].left ||
        w->sack[i].right != g->sack[i].right)
      same_order = false;
  if (same_order)
    return true;
  for (int i = 1; i < wn; i++) {
    bool found = false;
    for (int j = 1; j < gn; j++)
      if (w->sack[i].left == g->sack[j].left &&
          w->sack[i].right == g->sack[j].right)
        found = true;
    if (!found) {
      snprintf(why, whylen, "SACK blocks differ");
      return false;
    }
  }
  if (!(acc & PD_ACC_SACK_ORDER)) {
    snprintf(why, whylen, "SACK blocks in another order");
    return false;
  }
  *used |= PD_ACC_SACK_ORDER;
  return true;
}

/* Compare the SACK option of want and got (either may be NULL); both
 * absolute.  A leading D-SACK block the stack did not send may go
 * (PD_ACC_DSACK). */
static bool sack_match(const struct pd_opt *w, const struct pd_opt *g,
                       uint32_t ack, unsigned acc, unsigned *used,
                       char *why, size_t whylen) {
  struct pd_opt ew = w ? *w : (struct pd_opt){.kind = PD_OPT_SACK};
  struct pd_opt eg = g ? *g : (struct pd_opt){.kind = PD_OPT_SACK};
  int wn = w ? w->nsack : 0, gn = g ? g->nsack : 0;
  unsigned u = 0;
  if (sack_blocks(&ew, wn, &eg, gn, acc, &u, why, whylen)) {
    *used |= u;
    return true;
  }
  if (wn == 0 || !is_dsack(&ew, ack))
    return false;
  char why2[120];
  memmove(&ew.sack[0], &ew.sack[1], (size_t)(wn - 1) * sizeof(ew.sack[0]));
  u = 0;
  if (!sack_blocks(&ew, wn - 1, &eg, gn, acc, &u, why2, sizeof(why2)))
    return false; /* the first reason stands */
  if (!(acc & PD_ACC_DSACK)) {
    snprintf(why, whylen, "D-SACK block missing");
    return false;
  }
  *used |= u | PD_ACC_DSACK;
  return true;
}

static bool ts_val_ok(uint32_t want, uint32_t got, const struct pd_map *m) {
  if (!m->ts_known)
    return true;
  int64_t d = (int32_t)(got - want);
  if (d < 0)
    d = -d;
  return d <= m->ts_slack_ms;
}

static bool opts_match(const struct pd_pkt *w, const struct pd_seg *g,
                       const struct pd_match_ctx *ctx, unsigned *used,
                       char *why, size_t whylen) {
  const struct pd_map *m = ctx->map;
  struct pd_opt wo[PD_MAX_OPTS], go[PD_MAX_OPTS];
  int wn = w->nopts, gn;
  absolute_opts(w, m, wo);
  if (!walk_opts(g->opts, g->optlen, go, &gn)) {
    snprintf(why, whylen, "malformed options");
    return false;
  }
  /* Byte for byte first (TS val apart). */
  uint8_t enc[40];
  int el = pd_opts_encode(wo, wn, enc);
  if (el < 0) {
    snprintf(why, whylen, "the script's options do not fit 40 bytes");
    return false;
  }
  if (el == g->optlen) {
    uint8_t tmp[40];
    memcpy(tmp, g->opts, g->optlen);
    /* Put the expected TS val in place for the comparison. */
    for (int i = 0; i + 1 < el;) {
      if (enc[i] == PD_OPT_EOL)
        break;
      if (enc[i] == PD_OPT_NOP) {
        i++;
        continue;
      }
      if (enc[i] == PD_OPT_TS && tmp[i] == PD_OPT_TS && i + 10 <= el)
        memcpy(tmp + i + 2, enc + i + 2, 4);
      i += enc[i + 1] ? enc[i + 1] : 1;
    }
    if (memcmp(tmp, enc, (size_t)el) == 0) {
      const struct pd_opt *wt = find_opt(wo, wn, PD_OPT_TS);
      const struct pd_opt *gt = find_opt(go, gn, PD_OPT_TS);
      if (wt && gt && !ts_val_ok(wt->val, gt->val, m)) {
        snprintf(why, whylen, "TS val %u, not %u (+-%lld)",
                 gt->val - (m->ts_known ? m->ts_offset : 0),
                 wt->val - (m->ts_known ? m->ts_offset : 0),
                 (long long)m->ts_slack_ms);
        return false;
      }
      return true;
    }
  }
  /* Option by option. */
  static const uint8_t kinds[] = {PD_OPT_MSS, PD_OPT_WS, PD_OPT_SACKOK,
                                  PD_OPT_TS, PD_OPT_SACK, PD_OPT_MD5};
  for (size_t k = 0; k < sizeof(kinds); k++) {
    int cw = count_opt(wo, wn, kinds[k]), cg = count_opt(go, gn, kinds[k]);
    if (kinds[k] == PD_OPT_SACK)
      continue; /* below: a D-SACK-only option may be absent */
    if (cw != cg) {
      snprintf(why, whylen, "option %u %s", kinds[k],
               cw > cg ? "missing" : "unexpected");
      return false;
    }
  }
  for (int i = 0; i < gn; i++) {
    bool known = is_pad(go[i].kind);
    for (size_t k = 0; k < sizeof(kinds); k++)
      known |= go[i].kind == kinds[k];
    if (!known) {
      snprintf(why, whylen, "unexpected option kind %u", go[i].kind);
      return false;
    }
  }
  const struct pd_opt *a, *b;
  if ((a = find_opt(wo, wn, PD_OPT_MSS)) && (b = find_opt(go, gn, PD_OPT_MSS)) &&
      a->val != b->val) {
    snprintf(why, whylen, "mss %u, not %u", b->val, a->val);
    return false;
  }
  if ((a = find_opt(wo, wn, PD_OPT_WS)) && (b = find_opt(go, gn, PD_OPT_WS)) &&
      a->val != b->val) {
    if (!(ctx->accept & PD_ACC_SYN_WSCALE)) {
      snprintf(why, whylen, "wscale %u, not %u", b->val, a->val);
      return false;
    }
    *used |= PD_ACC_SYN_WSCALE;
  }
  if ((a = find_opt(wo, wn, PD_OPT_TS)) && (b = find_opt(go, gn, PD_OPT_TS))) {
    if (a->ecr != b->ecr) {
      snprintf(why, whylen, "TS ecr %u, not %u", b->ecr, a->ecr);
      return false;
    }
    if (!ts_val_ok(a->val, b->val, m)) {
      snprintf(why, whylen, "TS val %u, not %u (+-%lld)",
               b->val - m->ts_offset, a->val - m->ts_offset,
               (long long)m->ts_slack_ms);
      return false;
    }
  }
  if (count_opt(wo, wn, PD_OPT_SACK) > 1 || count_opt(go, gn, PD_OPT_SACK) > 1) {
    snprintf(why, whylen, "more than one SACK option");
    return false;
  }
  if (!sack_match(find_opt(wo, wn, PD_OPT_SACK), find_opt(go, gn, PD_OPT_SACK),
                  m->remote_isn + w->ack, ctx->accept, used, why, whylen))
    return false;
  /* Same options; is the layout the same (order, NOP and EOL)? */
  bool same = wn == gn;
  for (int i = 0; same && i < wn; i++)
    same = wo[i].kind == go[i].kind;
  /* A SACK option dropped as D-SACK only changes the layout by that. */
  if (!same) {
    struct pd_opt x[PD_MAX_OPTS], y[PD_MAX_OPTS];
    int xn = 0, yn = 0;
    for (int i = 0; i < wn; i++)
      if (!is_pad(wo[i].kind) &&
          !(wo[i].kind == PD_OPT_SACK && !find_opt(go, gn, PD_OPT_SACK)))
        x[xn++] = wo[i];
    for (int i = 0; i < gn; i++)
      if (!is_pad(go[i].kind))
        y[yn++] = go[i];
    bool order = xn == yn;
    for (int i = 0; order && i < xn; i++)
      order = x[i].kind == y[i].kind;
    bool only_dsack_gone = order && (*used & PD_ACC_DSACK) &&
                           !find_opt(go, gn, PD_OPT_SACK) && yn == 0;
    if (!only_dsack_gone) {
      if (!(ctx->accept & PD_ACC_OPT_LAYOUT)) {
        snprintf(why, whylen, "options laid out differently");
        return false;
      }
      *used |= PD_ACC_OPT_LAYOUT;
    }
  }
  return true;
}

/* The IP fields a line gives: (ttl N) / (hlim N), (tos N) / (class N),
 * (flowlabel N), and the ECN field of a mark ([ect0], [noecn], ...). */
static const char *ecn_name(int ecn) {
  static const char *const names[] = {"noecn", "ect1", "ect0", "ce"};
  return names[ecn & 3];
}

static bool ip_fields_match(const struct pd_pkt *w, const struct pd_seg *g,
                            char *what, size_t len) {
  bool v6 = g->ipv == 6;
  if (w->ttl >= 0 && g->ttl != w->ttl)
    snprintf(what, len, "%s %u, not %d", v6 ? "hlim" : "ttl", g->ttl, w->ttl);
  else if (w->tos >= 0 && g->tos != w->tos)
    snprintf(what, len, "%s 0x%x, not 0x%x", v6 ? "class" : "tos", g->tos,
             (unsigned)w->tos);
  else if (w->flow >= 0 && g->flow != (uint32_t)w->flow)
    snprintf(what, len, "flowlabel 0x%x, not 0x%x", g->flow,
             (unsigned)w->flow);
  else if (w->ecn != PD_ECN_UNSET && (g->tos & 3) != w->ecn)
    snprintf(what, len, "ECN field %s, not %s", ecn_name(g->tos & 3),
             ecn_name(w->ecn));
  else
    return true;
  return false;
}

bool pd_match(const struct pd_pkt *w, const struct pd_seg *g,
              const struct pd_match_ctx *ctx, char *why, size_t whylen,
              unsigned *used_accept) {
  const struct pd_map *m = ctx->map;
  unsigned used = 0;
  char what[160] = "";
  bool ok = true;
  uint32_t want_seq = m->local_isn + w->seq;
  /* PD_ACC_FIN_RTX: our FIN again, <SEQ=FIN><FIN,ACK>, where the stack
   * sends the ACK <SEQ=SND.NXT> (= FIN + 1). */
  if ((ctx->accept & PD_ACC_FIN_RTX) && ctx->fin_known && !w->seq_any &&
      (w->flags & PD_FIN) && g->flags == (w->flags & ~PD_FIN) &&
      w->len == 0 && g->len == 0 && ctx->fin_seq == want_seq &&
      g->seq == want_seq + 1) {
    used |= PD_ACC_FIN_RTX;
    want_seq = g->seq;
  } else if ((ctx->accept & PD_ACC_ECN_SYN_RTX) && ctx->syn_rtx &&
             w->flags == (PD_SYN | PD_ECE | PD_CWR) && g->flags == PD_SYN) {
    /* An ECN-setup SYN resent without ECE and CWR. */
    used |= PD_ACC_ECN_SYN_RTX;
  } else if (g->flags != w->flags) {
    char a[12], b[12];
    pd_flags_str(w->flags, a, sizeof(a));
    pd_flags_str(g->flags, b, sizeof(b));
    snprintf(what, sizeof(what), "flags %s, not %s", b, a);
    ok = false;
  }
  if (!ok) {
    /* flags differ: reported as they are */
  } else if (!w->seq_any && g->seq != want_seq) {
    snprintf(what, sizeof(what), "seq %u, not %u", g->seq - m->local_isn,
             want_seq - m->local_isn);
    ok = false;
  } else if (g->len != w->len) {
    snprintf(what, sizeof(what), "%u payload bytes, not %u", g->len, w->len);
    ok = false;
  } else if (w->has_ack && g->ack != m->remote_isn + w->ack) {
    snprintf(what, sizeof(what), "ack %u, not %u", g->ack - m->remote_isn,
             w->ack);
    ok = false;
  } else if (w->has_win && g->win != w->win) {
    /* PD_ACC_WIN_OOO: less by at most what is held out of order. */
    uint32_t lo = w->win > ctx->ooo_bytes ? w->win - ctx->ooo_bytes : 0;
    if ((ctx->accept & PD_ACC_WIN_OOO) && ctx->ooo_bytes && g->win >= lo &&
        g->win < w->win) {
      used |= PD_ACC_WIN_OOO;
    } else {
      snprintf(what, sizeof(what), "win %u, not %u", g->win, w->win);
      ok = false;
    }
  }
  if (ok && !w->opts_any) {
    if (!w->has_opts || w->nopts == 0) {
      if (g->optlen) {
        snprintf(what, sizeof(what), "options present, none expected");
        ok = false;
      }
    } else if (!opts_match(w, g, ctx, &used, what, sizeof(what))) {
      ok = false;
    }
  }
  if (ok)
    ok = ip_fields_match(w, g, what, sizeof(what));
  if (!ok) {
    char exp[240], got[240];
    pd_pkt_str(w, exp, sizeof(exp));
    rel_seg_str(g, m, got, sizeof(got));
    snprintf(why, whylen, "%s: expected %s, got %s", what, exp, got);
    return false;
  }
  if (used_accept)
    *used_accept |= used;
  return true;
}
