/*
 * The script reader: packetdrill's language as the FreeBSD suite uses it
 * (see pd.h).  Two passes: the text is cut into logical lines (comments
 * removed, #ifdef applied, a `command` or %{ code }% spanning lines joined
 * into one), then each line is parsed on its own.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pd.h"

/* ---- logical lines ---- */

struct lline {
  int line;
  char *s;
};

struct llines {
  int n, cap;
  struct lline *v;
};

static void ll_push(struct llines *ll, int line, const char *s, size_t len) {
  if (ll->n == ll->cap) {
    ll->cap = ll->cap ? 2 * ll->cap : 64;
    ll->v = realloc(ll->v, (size_t)ll->cap * sizeof(*ll->v));
  }
  char *c = malloc(len + 1);
  memcpy(c, s, len);
  c[len] = 0;
  ll->v[ll->n].line = line;
  ll->v[ll->n].s = c;
  ll->n++;
}

static void ll_free(struct llines *ll) {
  for (int i = 0; i < ll->n; i++)
    free(ll->v[i].s);
  free(ll->v);
}

static bool defined(const char *const *defs, const char *name, size_t len) {
  for (; defs && *defs; defs++)
    if (strlen(*defs) == len && memcmp(*defs, name, len) == 0)
      return true;
  return false;
}

/* A growing buffer for the logical line being collected. */
struct sbuf {
  char *p;
  size_t n, cap;
};

static void sb_add(struct sbuf *b, char c) {
  if (b->n + 1 >= b->cap) {
    b->cap = b->cap ? 2 * b->cap : 256;
    b->p = realloc(b->p, b->cap);
  }
  b->p[b->n++] = c;
}

#define MAX_IF 16

/* Cut text into logical lines.  Returns 0 or -1 with err set. */
static int split_lines(const char *text, const char *const *defs,
                       struct llines *ll, char *err, size_t errlen) {
  struct sbuf cur = {0};
  int line = 1, start_line = 1;
  bool in_tick = false, in_code = false, in_block = false;
  bool active[MAX_IF + 1];
  bool taken[MAX_IF + 1];
  int depth = 0;
  active[0] = true;
  taken[0] = true;
  const char *p = text;
  bool at_bol = true;
  while (*p) {
    if (at_bol && !in_tick && !in_code && !in_block) {
      const char *q = p;
      while (*q == ' ' || *q == '\t')
        q++;
      if (*q == '#') {
        /* A directive: #ifdef / #ifndef / #else / #endif. */
        const char *e = q;
        while (*e && *e != '\n')
          e++;
        const char *w = q + 1;
        while (*w == ' ' || *w == '\t')
          w++;
        const char *we = w;
        while (we < e && isalpha((unsigned char)*we))
          we++;
        size_t wl = (size_t)(we - w);
        const char *a = we;
        while (a < e && isspace((unsigned char)*a))
          a++;
        const char *ae = a;
        while (ae < e && (isalnum((unsigned char)*ae) || *ae == '_'))
          ae++;
        bool parent = active[depth];
        if ((wl == 5 && memcmp(w, "ifdef", 5) == 0) ||
            (wl == 6 && memcmp(w, "ifndef", 6) == 0)) {
          if (depth == MAX_IF) {
            snprintf(err, errlen, "line %d: #if nested too deep", line);
            free(cur.p);
            return -1;
          }
          bool d = defined(defs, a, (size_t)(ae - a));
          if (wl == 6)
            d = !d;
          depth++;
          active[depth] = parent && d;
          taken[depth] = d;
        } else if (wl == 4 && memcmp(w, "else", 4) == 0) {
          if (depth == 0) {
            snprintf(err, errlen, "line %d: #else without #ifdef", line);
            free(cur.p);
            return -1;
          }
          active[depth] = active[depth - 1] && !taken[depth];
          taken[depth] = true;
        } else if (wl == 5 && memcmp(w, "endif", 5) == 0) {
          if (depth == 0) {
            snprintf(err, errlen, "line %d: #endif without #ifdef", line);
            free(cur.p);
            return -1;
          }
          depth--;
        } else {
          snprintf(err, errlen, "line %d: unknown directive '%.*s'", line,
                   (int)(e - q), q);
          free(cur.p);
          return -1;
        }
        p = e;
        continue; /* the newline ends an (empty) logical line */
      }
    }
    at_bol = false;
    char c = *p;
    if (in_block) {
      if (c == '*' && p[1] == '/') {
        in_block = false;
        p += 2;
        continue;
      }
      if (c != '\n') {
        p++;
        continue;
      }
    } else if (!in_tick && !in_code) {
      if (c == '/' && p[1] == '/') {
        while (*p && *p != '\n')
          p++;
        continue;
      }
      if (c == '/' && p[1] == '*') {
        in_block = true;
        p += 2;
        continue;
      }
      if (c == '`')
        in_tick = true;
      else if (c == '%' && p[1] == '{')
        in_code = true;
    } else if (in_tick && c == '`') {
      in_tick = false;
    } else if (in_code && c == '}' && p[1] == '%') {
      in_code = false;
      if (active[depth]) {
        sb_add(&cur, '}');
        sb_add(&cur, '%');
      }
      p += 2;
      continue;
    }
    if (c == '\n') {
      line++;
      at_bol = true;
      p++;
      if (in_tick || in_code) {
        if (active[depth])
          sb_add(&cur, ' ');
        continue;
      }
      if (cur.n)
        ll_push(ll, start_line, cur.p, cur.n);
      cur.n = 0;
      start_line = line;
      continue;
    }
    if (active[depth]) {
      if (cur.n == 0)
        start_line = line;
      sb_add(&cur, c == '\t' || c == '\r' ? ' ' : c);
    }
    p++;
  }
  if (in_tick || in_code) {
    snprintf(err, errlen, "line %d: unterminated %s", start_line,
             in_tick ? "`command`" : "%{ code }%");
    free(cur.p);
    return -1;
  }
  if (depth != 0) {
    snprintf(err, errlen, "line %d: #ifdef without #endif", line);
    free(cur.p);
    return -1;
  }
  if (cur.n)
    ll_push(ll, start_line, cur.p, cur.n);
  free(cur.p);
  return 0;
}

/* ---- a cursor over one logical line ---- */

struct cur {
  const char *p;
  int line;
  char *err;
  size_t errlen;
  bool failed;
};

static void fail(struct cur *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void fail(struct cur *c, const char *fmt, ...) {
  if (c->failed)
    return;
  c->failed = true;
  int n = snprintf(c->err, c->errlen, "line %d: ", c->line);
  va_list ap;
  va_start(ap, fmt);
  if (n >= 0 && (size_t)n < c->errlen)
    vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
  va_end(ap);
}

static void ws(struct cur *c) {
  while (*c->p == ' ' || *c->p == '\t')
    c->p++;
}

static bool lit(struct cur *c, const char *s) {
  ws(c);
  size_t n = strlen(s);
  if (strncmp(c->p, s, n) != 0)
    return false;
  c->p += n;
  return true;
}

/* An identifier into buf; false if none here. */
static bool ident(struct cur *c, char *buf, size_t len) {
  ws(c);
  if (!isalpha((unsigned char)*c->p) && *c->p != '_')
    return false;
  size_t n = 0;
  while (isalnum((unsigned char)*c->p) || *c->p == '_') {
    if (n + 1 < len)
      buf[n++] = *c->p;
    c->p++;
  }
  buf[n] = 0;
  return true;
}

/* A word (letters, digits, '_') equal to w, not followed by more. */
static bool word(struct cur *c, const char *w) {
  ws(c);
  size_t n = strlen(w);
  if (strncmp(c->p, w, n) != 0)
    return false;
  char nx = c->p[n];
  if (isalnum((unsigned char)nx) || nx == '_')
    return false;
  c->p += n;
  return true;
}

/* An unsigned integer (decimal or 0x hex) up to 2^64-1. */
static bool unum(struct cur *c, uint64_t *out) {
  ws(c);
  const char *s = c->p;
  uint64_t v = 0;
  if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X') &&
      isxdigit((unsigned char)s[2])) {
    s += 2;
    while (isxdigit((unsigned char)*s)) {
      int d = isdigit((unsigned char)*s) ? *s - '0'
                                         : (tolower((unsigned char)*s) - 'a' + 10);
      v = v * 16 + (uint64_t)d;
      s++;
    }
  } else {
    if (!isdigit((unsigned char)*s))
      return false;
    while (isdigit((unsigned char)*s)) {
      v = v * 10 + (uint64_t)(*s - '0');
      s++;
    }
  }
  c->p = s;
  *out = v;
  return true;
}

static bool u32(struct cur *c, uint32_t *out, const char *what) {
  uint64_t v;
  if (!unum(c, &v)) {
    fail(c, "expected a number (%s) at '%.20s'", what, c->p);
    return false;
  }
  if (v > 0xffffffffu) {
    fail(c, "%s %llu does not fit 32 bits", what, (unsigned long long)v);
    return false;
  }
  *out = (uint32_t)v;
  return true;
}

/* Seconds with an optional fraction ("1", "0.25", ".01") to microseconds. */
static bool seconds(struct cur *c, int64_t *us) {
  ws(c);
  const char *s = c->p;
  int64_t whole = 0, frac = 0;
  int digits = 0;
  bool any = false;
  while (isdigit((unsigned char)*s)) {
    if (whole > (INT64_MAX / 1000000 - 9) / 10)
      return false; /* no script waits 2^63 microseconds */
    whole = whole * 10 + (*s - '0');
    s++;
    any = true;
  }
  /* "1.00...6.00": a '.' followed by '..' is the blocking marker. */
  if (*s == '.' && !(s[1] == '.' && s[2] == '.')) {
    s++;
    while (isdigit((unsigned char)*s)) {
      if (digits < 6) {
        frac = frac * 10 + (*s - '0');
        digits++;
      }
      s++;
      any = true;
    }
  }
  if (!any)
    return false;
  while (digits < 6) {
    frac *= 10;
    digits++;
  }
  c->p = s;
  *us = whole * 1000000 + frac;
  return true;
}

/* ---- time ---- */

static bool parse_time(struct cur *c, struct pd_time *t) {
  memset(t, 0, sizeof(*t));
  ws(c);
  if (*c->p == '*') {
    c->p++;
    t->kind = PD_T_ANY;
    return true;
  }
  if (*c->p == '+') {
    c->p++;
    t->kind = PD_T_REL;
  } else if (isdigit((unsigned char)*c->p) || *c->p == '.') {
    if (c->p[0] == '.' && c->p[1] == '.') {
      fail(c, "bad time");
      return false;
    }
    t->kind = PD_T_ABS;
  } else {
    t->kind = PD_T_NONE;
    return true;
  }
  if (!seconds(c, &t->us)) {
    fail(c, "bad time at '%.20s'", c->p);
    return false;
  }
  if (*c->p == '~') {
    c->p++;
    bool rel = false;
    ws(c);
    if (*c->p == '+') {
      rel = true;
      c->p++;
    }
    if (!seconds(c, &t->end_us)) {
      fail(c, "bad time range");
      return false;
    }
    if (rel)
      t->end_us += t->us;
    t->kind = PD_T_RANGE;
  } else if (strncmp(c->p, "...", 3) == 0) {
    c->p += 3;
    ws(c);
    if (*c->p == '+') {
      t->end_rel = true;
      c->p++;
    }
    if (!seconds(c, &t->end_us)) {
      fail(c, "bad end time of a blocking call");
      return false;
    }
    t->blocking = true;
  }
  return true;
}

/* ---- packets ---- */

static bool parse_seqs(struct cur *c, uint32_t *seq, uint32_t *end,
                       uint32_t *len) {
  if (!u32(c, seq, "sequence number"))
    return false;
  if (!lit(c, ":")) {
    fail(c, "expected ':' after the sequence number");
    return false;
  }
  if (!u32(c, end, "end sequence number"))
    return false;
  if (!lit(c, "(")) {
    fail(c, "expected '(' before the length");
    return false;
  }
  if (!u32(c, len, "length"))
    return false;
  if (!lit(c, ")")) {
    fail(c, "expected ')' after the length");
    return false;
  }
  if (*end - *seq != *len) {
    fail(c, "%u:%u(%u): the length is not end - start", *seq, *end, *len);
    return false;
  }
  return true;
}

static bool parse_opts(struct cur *c, struct pd_pkt *k) {
  /* after '<' */
  k->has_opts = true;
  ws(c);
  if (lit(c, "...")) {
    k->opts_any = true;
    if (!lit(c, ">")) {
      fail(c, "expected '>' after '<...'");
      return false;
    }
    return true;
  }
  if (lit(c, ">"))
    return true; /* <> : no options */
  for (;;) {
    if (k->nopts == PD_MAX_OPTS) {
      fail(c, "too many options");
      return false;
    }
    struct pd_opt *o = &k->opts[k->nopts];
    memset(o, 0, sizeof(*o));
    char name[16];
    if (!ident(c, name, sizeof(name))) {
      fail(c, "expected an option at '%.20s'", c->p);
      return false;
    }
    if (strcmp(name, "nop") == 0) {
      o->kind = PD_OPT_NOP;
    } else if (strcmp(name, "eol") == 0) {
      o->kind = PD_OPT_EOL;
    } else if (strcmp(name, "sackOK") == 0) {
      o->kind = PD_OPT_SACKOK;
    } else if (strcmp(name, "mss") == 0) {
      o->kind = PD_OPT_MSS;
      if (!u32(c, &o->val, "mss"))
        return false;
    } else if (strcmp(name, "wscale") == 0) {
      o->kind = PD_OPT_WS;
      if (!u32(c, &o->val, "wscale"))
        return false;
    } else if (strcmp(name, "TS") == 0) {
      o->kind = PD_OPT_TS;
      if (!word(c, "val") || !u32(c, &o->val, "TS val") ||
          !word(c, "ecr") || !u32(c, &o->ecr, "TS ecr")) {
        fail(c, "expected 'TS val N ecr N'");
        return false;
      }
    } else if (strcmp(name, "sack") == 0) {
      o->kind = PD_OPT_SACK;
      for (;;) {
        ws(c);
        if (!isdigit((unsigned char)*c->p))
          break;
        if (o->nsack == PD_MAX_SACK) {
          fail(c, "more than %d SACK blocks", PD_MAX_SACK);
          return false;
        }
        if (!u32(c, &o->sack[o->nsack].left, "SACK left") || !lit(c, ":") ||
            !u32(c, &o->sack[o->nsack].right, "SACK right")) {
          fail(c, "expected SACK blocks L:R");
          return false;
        }
        o->nsack++;
      }
      if (o->nsack == 0) {
        fail(c, "SACK option without blocks");
        return false;
      }
    } else if (strcmp(name, "md5") == 0) {
      o->kind = PD_OPT_MD5;
      char v[16];
      ident(c, v, sizeof(v)); /* "valid", "invalid" */
    } else {
      fail(c, "unknown option '%s'", name);
      return false;
    }
    k->nopts++;
    if (lit(c, ","))
      continue;
    if (lit(c, ">"))
      return true;
    fail(c, "expected ',' or '>' at '%.20s'", c->p);
    return false;
  }
}

static bool parse_pkt(struct cur *c, struct pd_pkt *k) {
  k->ttl = k->tos = k->flow = -1;
  k->ecn = PD_ECN_UNSET;
  for (;;) {
    ws(c);
    if (*c->p == '[') {
      c->p++;
      char m[16];
      if (!ident(c, m, sizeof(m)) || !lit(c, "]")) {
        fail(c, "bad [ecn] mark");
        return false;
      }
      if (strcmp(m, "noecn") == 0)
        k->ecn = PD_ECN_NOT;
      else if (strcmp(m, "ect0") == 0)
        k->ecn = PD_ECN_ECT0;
      else if (strcmp(m, "ect1") == 0)
        k->ecn = PD_ECN_ECT1;
      else if (strcmp(m, "ce") == 0)
        k->ecn = PD_ECN_CE;
      else {
        fail(c, "unknown mark [%s]", m);
        return false;
      }
      continue;
    }
    if (*c->p == '(') {
      c->p++;
      char m[16];
      uint32_t v;
      if (!ident(c, m, sizeof(m)) || !u32(c, &v, m) || !lit(c, ")")) {
        fail(c, "bad (ttl N) / (tos N)");
        return false;
      }
      /* IPv6's hop limit and traffic class are IPv4's TTL and TOS. */
      if (strcmp(m, "ttl") == 0 || strcmp(m, "hlim") == 0)
        k->ttl = (int)v;
      else if (strcmp(m, "tos") == 0 || strcmp(m, "class") == 0)
        k->tos = (int)v;
      else if (strcmp(m, "flowlabel") == 0 && v <= 0xfffff)
        k->flow = (int)v;
      else {
        fail(c, "unknown IP field (%s)", m);
        return false;
      }
      continue;
    }
    break;
  }
  /* Flags. */
  const char *f0 = c->p;
  for (;; c->p++) {
    switch (*c->p) {
    case 'S': k->flags |= PD_SYN; continue;
    case 'F': k->flags |= PD_FIN; continue;
    case 'R': k->flags |= PD_RST; continue;
    case 'P': k->flags |= PD_PSH; continue;
    case '.': k->flags |= PD_ACK; continue;
    case 'U': k->flags |= PD_URG; continue;
    case 'E': k->flags |= PD_ECE; continue;
    case 'W': k->flags |= PD_CWR; continue;
    case '-': continue;
    default: break;
    }
    break;
  }
  if (c->p == f0) {
    fail(c, "expected TCP flags at '%.20s'", c->p);
    return false;
  }
  ws(c);
  if (lit(c, "...")) {
    k->seq_any = true;
    if (!lit(c, "(") || !u32(c, &k->len, "length") || !lit(c, ")")) {
      fail(c, "expected '...(LEN)'");
      return false;
    }
  } else if (!parse_seqs(c, &k->seq, &k->end, &k->len)) {
    return false;
  }
  if (*c->p == '!') {
    k->bang = true;
    c->p++;
  }
  for (;;) {
    ws(c);
    if (*c->p == 0)
      return true;
    if (word(c, "ack")) {
      k->has_ack = true;
      if (!u32(c, &k->ack, "ack"))
        return false;
    } else if (word(c, "win")) {
      k->has_win = true;
      if (!u32(c, &k->win, "window"))
        return false;
      if (k->win > 65535) {
        fail(c, "window %u does not fit 16 bits", k->win);
        return false;
      }
    } else if (*c->p == '<') {
      c->p++;
      if (!parse_opts(c, k))
        return false;
    } else if (lit(c, "/udp(")) {
      k->udp = true;
      while (*c->p && *c->p != ')')
        c->p++;
      if (*c->p != ')') {
        fail(c, "unterminated /udp(...)");
        return false;
      }
      c->p++;
    } else {
      fail(c, "unexpected '%.20s' in a packet", c->p);
      return false;
    }
  }
}

/* ICMP types and codes by name. */
struct icmp_name {
  const char *type;
  uint8_t t;
  const char *code;
  uint8_t k;
};

static const struct icmp_name icmp_names[] = {
    {"unreachable", 3, "net_unreachable", 0},
    {"unreachable", 3, "host_unreachable", 1},
    {"unreachable", 3, "protocol_unreachable", 2},
    {"unreachable", 3, "port_unreachable", 3},
    {"unreachable", 3, "frag_needed", 4},
    {"unreachable", 3, "source_route_failed", 5},
    {"unreachable", 3, "net_unknown", 6},
    {"unreachable", 3, "host_unknown", 7},
    {"unreachable", 3, "source_host_isolated", 8},
    {"unreachable", 3, "net_prohibited", 9},
    {"unreachable", 3, "host_prohibited", 10},
    {"unreachable", 3, "net_unreachable_for_tos", 11},
    {"unreachable", 3, "host_unreachable_for_tos", 12},
    {"unreachable", 3, "packet_filtered", 13},
    {"unreachable", 3, "precedence_violation", 14},
    {"unreachable", 3, "precedence_cutoff", 15},
    {"source_quench", 4, NULL, 0},
    {"redirect", 5, "redirect_net", 0},
    {"redirect", 5, "redirect_host", 1},
    {"redirect", 5, "redirect_tos_net", 2},
    {"redirect", 5, "redirect_tos_host", 3},
    {"time_exceeded", 11, "ttl_exceeded_in_transit", 0},
    {"time_exceeded", 11, "frag_reass_exceeded", 1},
    {"parameter_problem", 12, NULL, 0},
};

/* ICMPv6 (RFC 4443 §3, §4) by packetdrill's names, for --ip_version=ipv6. */
static const struct icmp_name icmp6_names[] = {
    {"unreachable", 1, "no_route", 0},
    {"unreachable", 1, "admin_prohibited", 1},
    {"unreachable", 1, "not_neighbour", 2},
    {"unreachable", 1, "address_unreachable", 3},
    {"unreachable", 1, "port_unreachable", 4},
    {"packet_too_big", 2, NULL, 0},
    {"time_exceeded", 3, "exceeded_hop_limit", 0},
    {"time_exceeded", 3, "exceeded_frag_time", 1},
    {"parameter_problem", 4, "header_field", 0},
    {"parameter_problem", 4, "unknown_next_header", 1},
    {"parameter_problem", 4, "unknown_option", 2},
};

static bool parse_icmp(struct cur *c, struct pd_icmp *m, bool v6) {
  const struct icmp_name *names = v6 ? icmp6_names : icmp_names;
  size_t nnames = v6 ? sizeof(icmp6_names) / sizeof(icmp6_names[0])
                     : sizeof(icmp_names) / sizeof(icmp_names[0]);
  char type[32], code[32] = "";
  if (!ident(c, type, sizeof(type))) {
    fail(c, "expected an ICMP type");
    return false;
  }
  const char *save = c->p;
  if (!ident(c, code, sizeof(code)) || strcmp(code, "mtu") == 0) {
    c->p = save;
    code[0] = 0;
  }
  bool found = false;
  for (size_t i = 0; i < nnames; i++) {
    const struct icmp_name *n = &names[i];
    if (strcmp(n->type, type) != 0)
      continue;
    m->type = n->t;
    if (code[0] == 0 || !n->code) {
      found = true;
      m->code = 0;
      if (code[0] && strncmp(code, "code_", 5) == 0)
        m->code = (uint8_t)atoi(code + 5);
      else if (code[0] && !n->code) {
        fail(c, "unknown ICMP code '%s' for %s", code, type);
        return false;
      }
      break;
    }
    if (strcmp(n->code, code) == 0) {
      m->code = n->k;
      found = true;
      break;
    }
  }
  if (!found) {
    fail(c, "unknown ICMP '%s %s'", type, code);
    return false;
  }
  snprintf(m->what, sizeof(m->what), "%s%s%s", type, code[0] ? " " : "",
           code);
  if (word(c, "mtu")) {
    m->has_mtu = true;
    if (!u32(c, &m->mtu, "mtu"))
      return false;
  }
  if (lit(c, "[")) {
    m->has_seq = true;
    if (!parse_seqs(c, &m->seq, &m->end, &m->len))
      return false;
    if (!lit(c, "]")) {
      fail(c, "expected ']' after the quoted segment");
      return false;
    }
  }
  ws(c);
  if (*c->p) {
    fail(c, "unexpected '%.20s' after an ICMP message", c->p);
    return false;
  }
  return true;
}

/* ---- system calls ---- */

static bool parse_arg(struct cur *c, struct pd_arg *a, bool in_list);

static bool parse_list(struct cur *c, struct pd_arg *a) {
  a->kind = PD_ARG_LIST;
  ws(c);
  if (lit(c, "]"))
    return true;
  for (;;) {
    a->list = realloc(a->list, (size_t)(a->nlist + 1) * sizeof(*a->list));
    memset(&a->list[a->nlist], 0, sizeof(*a->list));
    if (!parse_arg(c, &a->list[a->nlist], true))
      return false;
    a->nlist++;
    if (lit(c, ","))
      continue;
    if (lit(c, "]"))
      return true;
    fail(c, "expected ',' or ']' at '%.20s'", c->p);
    return false;
  }
}

static bool parse_arg(struct cur *c, struct pd_arg *a, bool in_list) {
  ws(c);
  if (lit(c, "...")) {
    a->kind = PD_ARG_ELLIPSIS;
    return true;
  }
  if (*c->p == '[') {
    if (in_list) {
      fail(c, "nested lists are not supported");
      return false;
    }
    c->p++;
    return parse_list(c, a);
  }
  if (*c->p == '-' || isdigit((unsigned char)*c->p)) {
    bool neg = *c->p == '-';
    if (neg)
      c->p++;
    uint64_t v;
    if (!unum(c, &v)) {
      fail(c, "bad number");
      return false;
    }
    a->kind = PD_ARG_INT;
    a->num = neg ? -(int64_t)v : (int64_t)v;
    ws(c);
    if (*c->p != '|')
      return true;
    /* A number in an | expression: keep it as a name. */
    a->kind = PD_ARG_SYMS;
    snprintf(a->syms[a->nsyms++], sizeof(a->syms[0]), "%s%llu",
             neg ? "-" : "", (unsigned long long)v);
    c->p++;
  } else {
    a->kind = PD_ARG_SYMS;
  }
  for (;;) {
    if (a->nsyms == PD_MAX_SYMS) {
      fail(c, "expression too long");
      return false;
    }
    ws(c);
    uint64_t v;
    if (isdigit((unsigned char)*c->p) && unum(c, &v)) {
      snprintf(a->syms[a->nsyms++], sizeof(a->syms[0]), "%llu",
               (unsigned long long)v);
    } else if (!ident(c, a->syms[a->nsyms], sizeof(a->syms[0]))) {
      fail(c, "expected a name at '%.20s'", c->p);
      return false;
    } else {
      a->nsyms++;
    }
    if (!lit(c, "|"))
      return true;
  }
}

static void free_args(struct pd_syscall *s) {
  for (int i = 0; i < s->nargs; i++)
    free(s->args[i].list);
  s->nargs = 0;
}

static bool parse_syscall(struct cur *c, struct pd_syscall *s) {
  if (!ident(c, s->name, sizeof(s->name))) {
    fail(c, "expected a system call at '%.20s'", c->p);
    return false;
  }
  if (!lit(c, "(")) {
    fail(c, "expected '(' after %s", s->name);
    return false;
  }
  if (!lit(c, ")")) {
    for (;;) {
      if (s->nargs == PD_MAX_ARGS) {
        fail(c, "too many arguments");
        return false;
      }
      memset(&s->args[s->nargs], 0, sizeof(s->args[0]));
      /* Counted before parsing, so a half-parsed list is freed too. */
      s->nargs++;
      if (!parse_arg(c, &s->args[s->nargs - 1], false))
        return false;
      if (lit(c, ","))
        continue;
      if (lit(c, ")"))
        break;
      fail(c, "expected ',' or ')' at '%.20s'", c->p);
      return false;
    }
  }
  if (!lit(c, "=")) {
    fail(c, "expected '= RESULT' after %s(...)", s->name);
    return false;
  }
  ws(c);
  bool neg = false;
  if (*c->p == '-') {
    neg = true;
    c->p++;
  }
  uint64_t v;
  if (!unum(c, &v)) {
    fail(c, "expected the result of %s", s->name);
    return false;
  }
  s->ret = neg ? -(int64_t)v : (int64_t)v;
  ws(c);
  if (*c->p == 'E' && ident(c, s->err, sizeof(s->err))) {
    /* errno name */
  }
  ws(c);
  if (*c->p == '(') {
    /* "(Operation now in progress)", "(flags O_RDWR)": a note. */
    int depth = 0;
    do {
      if (*c->p == '(')
        depth++;
      else if (*c->p == ')')
        depth--;
      c->p++;
    } while (*c->p && depth > 0);
    if (depth) {
      fail(c, "unbalanced '(' after the result");
      return false;
    }
  }
  ws(c);
  if (*c->p) {
    fail(c, "unexpected '%.20s' after the result", c->p);
    return false;
  }
  return true;
}

/* ---- events ---- */

static struct pd_event *new_event(struct pd_script *s) {
  if (s->nevents == s->cap) {
    s->cap = s->cap ? 2 * s->cap : 64;
    s->events = realloc(s->events, (size_t)s->cap * sizeof(*s->events));
  }
  struct pd_event *e = &s->events[s->nevents++];
  memset(e, 0, sizeof(*e));
  return e;
}

static char *dup_range(const char *a, const char *b) {
  size_t n = (size_t)(b - a);
  char *s = malloc(n + 1);
  memcpy(s, a, n);
  s[n] = 0;
  return s;
}

static bool parse_event(struct cur *c, struct pd_script *s) {
  struct pd_time t;
  if (!parse_time(c, &t))
    return false;
  ws(c);
  struct pd_event *e = new_event(s);
  e->line = c->line;
  e->t = t;
  if (*c->p == '`') {
    const char *a = c->p + 1, *b = strchr(a, '`');
    if (!b) {
      fail(c, "unterminated `command`");
      return false;
    }
    e->kind = PD_E_CMD;
    e->text = dup_range(a, b);
    c->p = b + 1;
  } else if (c->p[0] == '%' && c->p[1] == '{') {
    const char *a = c->p + 2, *b = strstr(a, "}%");
    if (!b) {
      fail(c, "unterminated %%{ code }%%");
      return false;
    }
    e->kind = PD_E_CODE;
    e->text = dup_range(a, b);
    c->p = b + 2;
  } else if (*c->p == '<' || *c->p == '>') {
    bool in = *c->p == '<';
    c->p++;
    if (t.kind == PD_T_NONE) {
      fail(c, "a packet needs a time");
      return false;
    }
    const char *save = c->p;
    if (word(c, "icmp")) {
      if (!in) {
        fail(c, "outbound ICMP is not supported");
        return false;
      }
      e->kind = PD_E_ICMP;
      return parse_icmp(c, &e->icmp, s->ip_version == 6);
    }
    c->p = save;
    e->kind = PD_E_PKT;
    e->pkt.inbound = in;
    return parse_pkt(c, &e->pkt);
  } else {
    if (t.kind == PD_T_NONE) {
      fail(c, "expected a time at '%.20s'", c->p);
      return false;
    }
    e->kind = PD_E_SYSCALL;
    return parse_syscall(c, &e->call);
  }
  ws(c);
  if (*c->p) {
    fail(c, "unexpected '%.20s'", c->p);
    return false;
  }
  if (e->kind == PD_E_CMD && t.kind == PD_T_NONE)
    e->t.kind = PD_T_REL; /* a bare `command`: as +0 */
  return true;
}

static bool parse_option(struct cur *c, struct pd_script *s) {
  const char *p = c->p + 2;
  const char *eq = strchr(p, '=');
  const char *end = p + strlen(p);
  while (end > p && end[-1] == ' ')
    end--;
  const char *ne = eq ? eq : end;
  if (s->nopts == (int)(sizeof(s->opts) / sizeof(s->opts[0]))) {
    fail(c, "too many options");
    return false;
  }
  struct pd_option *o = &s->opts[s->nopts++];
  snprintf(o->name, sizeof(o->name), "%.*s", (int)(ne - p), p);
  snprintf(o->value, sizeof(o->value), "%.*s",
           eq ? (int)(end - eq - 1) : 0, eq ? eq + 1 : "");
  if (strcmp(o->name, "tolerance_usecs") == 0) {
    s->tolerance_us = atol(o->value);
  } else if (strcmp(o->name, "mtu") == 0) {
    s->mtu = (uint32_t)atol(o->value);
  } else if (strcmp(o->name, "ip_version") == 0) {
    if (strcmp(o->value, "ipv4") == 0)
      s->ip_version = 4;
    else if (strcmp(o->value, "ipv6") == 0)
      s->ip_version = 6;
    else if (strcmp(o->value, "ipv4-mapped-ipv6") == 0)
      s->ip_version = 46;
    else {
      fail(c, "unknown ip_version '%s'", o->value);
      return false;
    }
  }
  return true;
}

int pd_parse(const char *text, const char *const *defines, struct pd_script *s,
             char *err, size_t errlen) {
  memset(s, 0, sizeof(*s));
  s->tolerance_us = 4000;
  s->mtu = 1500;
  s->ip_version = 4;
  err[0] = 0;
  struct llines ll = {0};
  if (split_lines(text, defines, &ll, err, errlen) != 0) {
    ll_free(&ll);
    return -1;
  }
  int rc = 0;
  for (int i = 0; i < ll.n && rc == 0; i++) {
    struct cur c = {ll.v[i].s, ll.v[i].line, err, errlen, false};
    ws(&c);
    if (*c.p == 0)
      continue;
    bool ok;
    if (c.p[0] == '-' && c.p[1] == '-')
      ok = parse_option(&c, s);
    else
      ok = parse_event(&c, s);
    if (!ok || c.failed) {
      if (!c.failed)
        fail(&c, "syntax error");
      rc = -1;
    }
  }
  ll_free(&ll);
  return rc;
}

void pd_free(struct pd_script *s) {
  for (int i = 0; i < s->nevents; i++) {
    free(s->events[i].text);
    free_args(&s->events[i].call);
  }
  free(s->events);
  memset(s, 0, sizeof(*s));
}

const char *pd_option(const struct pd_script *s, const char *name) {
  for (int i = 0; i < s->nopts; i++)
    if (strcmp(s->opts[i].name, name) == 0)
      return s->opts[i].value;
  return NULL;
}

void pd_flags_str(uint8_t fl, char *buf, size_t len) {
  size_t n = 0;
  const char *order = "SFRPUEW.";
  const uint8_t bits[] = {PD_SYN, PD_FIN, PD_RST, PD_PSH,
                          PD_URG, PD_ECE, PD_CWR, PD_ACK};
  for (int i = 0; i < 8 && n + 1 < len; i++)
    if (fl & bits[i])
      buf[n++] = order[i];
  if (n == 0 && len > 1)
    buf[n++] = '-';
  buf[n] = 0;
}

void pd_pkt_str(const struct pd_pkt *p, char *buf, size_t len) {
  char fl[12];
  pd_flags_str(p->flags, fl, sizeof(fl));
  int n;
  if (p->seq_any)
    n = snprintf(buf, len, "%s ...(%u)", fl, p->len);
  else
    n = snprintf(buf, len, "%s %u:%u(%u)", fl, p->seq, p->end, p->len);
  if (n < 0 || (size_t)n >= len)
    return;
  if (p->has_ack)
    n += snprintf(buf + n, len - (size_t)n, " ack %u", p->ack);
  if ((size_t)n < len && p->has_win)
    n += snprintf(buf + n, len - (size_t)n, " win %u", p->win);
  if ((size_t)n < len && p->has_opts) {
    n += snprintf(buf + n, len - (size_t)n, " <");
    if (p->opts_any && (size_t)n < len)
      n += snprintf(buf + n, len - (size_t)n, "...");
    for (int i = 0; i < p->nopts && (size_t)n < len; i++) {
      const struct pd_opt *o = &p->opts[i];
      const char *sep = i ? "," : "";
      switch (o->kind) {
      case PD_OPT_NOP: n += snprintf(buf + n, len - (size_t)n, "%snop", sep); break;
      case PD_OPT_EOL: n += snprintf(buf + n, len - (size_t)n, "%seol", sep); break;
      case PD_OPT_SACKOK: n += snprintf(buf + n, len - (size_t)n, "%ssackOK", sep); break;
      case PD_OPT_MSS: n += snprintf(buf + n, len - (size_t)n, "%smss %u", sep, o->val); break;
      case PD_OPT_WS: n += snprintf(buf + n, len - (size_t)n, "%swscale %u", sep, o->val); break;
      case PD_OPT_TS:
        n += snprintf(buf + n, len - (size_t)n, "%sTS val %u ecr %u", sep, o->val, o->ecr);
        break;
      case PD_OPT_MD5: n += snprintf(buf + n, len - (size_t)n, "%smd5", sep); break;
      case PD_OPT_SACK:
        n += snprintf(buf + n, len - (size_t)n, "%ssack", sep);
        for (int j = 0; j < o->nsack && (size_t)n < len; j++)
          n += snprintf(buf + n, len - (size_t)n, " %u:%u", o->sack[j].left,
                        o->sack[j].right);
        break;
      default: break;
      }
    }
    if ((size_t)n < len)
      snprintf(buf + n, len - (size_t)n, ">");
  }
}
