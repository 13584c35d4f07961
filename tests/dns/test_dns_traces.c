/*
 * The DNS messages of the shared captures (directory in argv[1]), parsed in
 * full: UDP to or from port 53 (and mDNS, 5353), and DNS over TCP with its
 * 2-byte length prefix, reassembled per direction.  Each message is copied
 * into a block of exactly its size, so ASan catches any overread.
 *
 * Every message is rendered line by line (header, questions, every record
 * with its decoded RDATA) and compared with what the capture is known to
 * hold: addresses, targets, MX preferences, SOA fields, TXT strings, TTLs,
 * EDNS0 fields, taken from the tshark decodes in decode/<file>.txt and
 * tcpdump -vvv.  The malformed ones must fail with the documented error.
 * On top, every message is checked against its tshark summary line
 * (rebuilt the way tshark writes it), every well-formed one is re-emitted
 * with the builder and parses back to the same lines, and every prefix of
 * it fails with ZN_ETRUNCATED.
 */
#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "znet/dns.h"
#include "znet/err.h"
#include "harness.h"
#include "znet/wire.h"
#include "zt.h"

#ifndef DLT_IPV4
#define DLT_IPV4 228
#endif

static const char *dir = "../shared/traces";

/* ---- extracting the messages -------------------------------------------- */

struct dmsg {
  int frame;        /* 1-based frame number where the message ends */
  bool mdns;
  uint8_t *p;       /* malloc'd, exactly len bytes */
  size_t len;
};

#define MAX_MSGS 64

struct stream {
  uint32_t ip;
  uint16_t port;
  bool have;
  uint32_t next_seq;
  uint8_t buf[16384];
  size_t len;
};

struct capture {
  struct dmsg m[MAX_MSGS];
  int n;
  struct stream st[4];
  int nst;
};

static void add_msg(struct capture *c, int frame, bool mdns, const uint8_t *p,
                    size_t len) {
  if (c->n >= MAX_MSGS) {
    zt_fail(__FILE__, __LINE__, "too many messages");
    return;
  }
  c->m[c->n].frame = frame;
  c->m[c->n].mdns = mdns;
  c->m[c->n].p = malloc(len ? len : 1);
  memcpy(c->m[c->n].p, p, len);
  c->m[c->n].len = len;
  c->n++;
}

static struct stream *stream_of(struct capture *c, uint32_t ip,
                                uint16_t port) {
  for (int i = 0; i < c->nst; i++)
    if (c->st[i].ip == ip && c->st[i].port == port)
      return &c->st[i];
  if (c->nst == 4)
    return NULL;
  memset(&c->st[c->nst], 0, sizeof c->st[0]);
  c->st[c->nst].ip = ip;
  c->st[c->nst].port = port;
  return &c->st[c->nst++];
}

/* A TCP segment to or from port 53: append in-sequence payload to its
 * direction's stream and cut off every complete length-prefixed message. */
static void tcp_segment(struct capture *c, int frame, uint32_t src,
                        const uint8_t *t, size_t len) {
  size_t doff;
  uint32_t seq;
  struct stream *s;

  if (len < 20 || (doff = (size_t)(t[12] >> 4) * 4) < 20 || doff > len)
    return;
  s = stream_of(c, src, zn_rd16(t));
  if (s == NULL)
    return;
  seq = zn_rd32(t + 4);
  if (t[13] & 0x02) { /* SYN */
    s->have = true;
    s->next_seq = seq + 1;
    s->len = 0;
    return;
  }
  if (!s->have || seq != s->next_seq || len == doff)
    return;
  if (len - doff > sizeof s->buf - s->len)
    return;
  memcpy(s->buf + s->len, t + doff, len - doff);
  s->len += len - doff;
  s->next_seq += (uint32_t)(len - doff);
  while (s->len >= 2 && s->len >= 2u + zn_rd16(s->buf)) {
    size_t ml = zn_rd16(s->buf);
    add_msg(c, frame, false, s->buf + 2, ml);
    memmove(s->buf, s->buf + 2 + ml, s->len - 2 - ml);
    s->len -= 2 + ml;
  }
}

static void l4(struct capture *c, int frame, uint8_t proto, uint32_t src,
               const uint8_t *p, size_t len) {
  if (proto == ZN_IPPROTO_UDP) {
    size_t ulen;
    uint16_t sp, dp;
    if (len < 8)
      return;
    sp = zn_rd16(p);
    dp = zn_rd16(p + 2);
    ulen = zn_rd16(p + 4);
    if (ulen < 8 || ulen > len)
      return;
    if (sp == 53 || dp == 53)
      add_msg(c, frame, false, p + 8, ulen - 8);
    else if (sp == 5353 || dp == 5353)
      add_msg(c, frame, true, p + 8, ulen - 8);
  } else if (proto == ZN_IPPROTO_TCP) {
    if (len >= 4 && (zn_rd16(p) == 53 || zn_rd16(p + 2) == 53))
      tcp_segment(c, frame, src, p, len);
  }
}

static void l3(struct capture *c, int frame, const uint8_t *p, size_t len) {
  if (len >= 1 && p[0] >> 4 == 4) {
    struct zn_ipv4_view v;
    if (zn_ipv4_view_init(&v, p, len) != ZN_OK || zn_ipv4_is_fragment(&v))
      return;
    l4(c, frame, v.proto, v.src, zn_ipv4_payload(&v),
       zn_ipv4_payload_len(&v));
  } else if (len >= 40 && p[0] >> 4 == 6) {
    size_t plen = zn_rd16(p + 4);
    if (40 + plen > len)
      return;
    l4(c, frame, p[6], zn_rd32(p + 20), p + 40, plen); /* no ext headers */
  }
}

/* Returns the number of messages, -1 if the file cannot be read. */
static int load(const char *name, struct capture *c) {
  char path[1024], err[PCAP_ERRBUF_SIZE];
  struct pcap_pkthdr *h;
  const u_char *d;
  pcap_t *pc;
  int dlt, frame = 0;

  memset(c, 0, sizeof *c);
  snprintf(path, sizeof path, "%s/%s", dir, name);
  pc = pcap_open_offline(path, err);
  if (pc == NULL) {
    zt_fail(__FILE__, __LINE__, "%s: %s", path, err);
    return -1;
  }
  dlt = pcap_datalink(pc);
  while (pcap_next_ex(pc, &h, &d) == 1) {
    frame++;
    if (dlt == DLT_EN10MB) {
      struct zn_eth_view e;
      if (zn_eth_view_init(&e, d, h->caplen) != ZN_OK)
        continue;
      if (e.type == ZN_ETHERTYPE_IPV4 || e.type == ZN_ETHERTYPE_IPV6)
        l3(c, frame, d + e.hdr_len, h->caplen - e.hdr_len);
    } else if (dlt == DLT_RAW || dlt == DLT_IPV4 || dlt == 101) {
      l3(c, frame, d, h->caplen);
    }
  }
  pcap_close(pc);
  return c->n;
}

static void unload(struct capture *c) {
  for (int i = 0; i < c->n; i++)
    free(c->m[i].p);
  c->n = 0;
}

/* ---- rendering ------------------------------------------------------------ */

#define MAX_LINES 64

struct render {
  char line[MAX_LINES][400];
  int n;
  int err;            /* ZN_OK, or the error that stopped the walk */
  char info[4096];    /* the message as tshark summarises it */
};

static void addf(char *dst, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void addf(char *dst, size_t size, const char *fmt, ...) {
  size_t l = strlen(dst);
  va_list ap;
  if (l >= size - 1)
    return;
  va_start(ap, fmt);
  vsnprintf(dst + l, size - l, fmt, ap);
  va_end(ap);
}

/* The mnemonic of a type, written into buf (16 bytes) and returned. */
static const char *type_name(uint16_t t, char *buf) {
  static const struct {
    uint16_t t;
    const char *s;
  } names[] = {{ZN_DNS_TYPE_A, "A"},     {ZN_DNS_TYPE_NS, "NS"},
               {ZN_DNS_TYPE_CNAME, "CNAME"}, {ZN_DNS_TYPE_SOA, "SOA"},
               {ZN_DNS_TYPE_PTR, "PTR"}, {ZN_DNS_TYPE_MX, "MX"},
               {ZN_DNS_TYPE_TXT, "TXT"}, {ZN_DNS_TYPE_AAAA, "AAAA"},
               {ZN_DNS_TYPE_SRV, "SRV"}, {ZN_DNS_TYPE_OPT, "OPT"},
               {ZN_DNS_TYPE_ANY, "ANY"}};
  snprintf(buf, 16, "TYPE%u", t);
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (names[i].t == t)
      snprintf(buf, 16, "%s", names[i].s);
  return buf;
}

static const char *name_text(const struct zn_dns_name *n, char *buf) {
  if (zn_dns_name_to_text(n, buf, ZN_DNS_NAME_TEXT_MAX, NULL) != ZN_OK)
    strcpy(buf, "?");
  return buf;
}

static void hex(char *dst, size_t size, const uint8_t *p, size_t len) {
  for (size_t i = 0; i < len; i++)
    addf(dst, size, "%02x", p[i]);
}

static char *next_line(struct render *r) {
  if (r->n == MAX_LINES - 1)
    return r->line[r->n]; /* keep overwriting the last one */
  r->line[r->n][0] = '\0';
  return r->line[r->n++];
}

/* Render RDATA both ways: the detailed line, and tshark's short form. */
static void rdata_text(const struct zn_dns_rdata *rd, char *l, size_t ls,
                       char *info, size_t is) {
  char nb[ZN_DNS_NAME_TEXT_MAX], nb2[ZN_DNS_NAME_TEXT_MAX], ab[64];
  switch (rd->type) {
  case ZN_DNS_TYPE_A: {
    uint32_t a = rd->u.a;
    snprintf(ab, sizeof ab, "%u.%u.%u.%u", a >> 24, a >> 16 & 255,
             a >> 8 & 255, a & 255);
    addf(l, ls, " %s", ab);
    addf(info, is, " %s", ab);
    break;
  }
  case ZN_DNS_TYPE_AAAA:
    inet_ntop(AF_INET6, rd->u.aaaa, ab, sizeof ab);
    addf(l, ls, " %s", ab);
    addf(info, is, " %s", ab);
    break;
  case ZN_DNS_TYPE_CNAME:
  case ZN_DNS_TYPE_NS:
  case ZN_DNS_TYPE_PTR:
    addf(l, ls, " %s", name_text(&rd->u.name, nb));
    addf(info, is, " %s", nb);
    break;
  case ZN_DNS_TYPE_MX:
    addf(l, ls, " %u %s", rd->u.mx.pref, name_text(&rd->u.mx.exchange, nb));
    addf(info, is, " %u %s", rd->u.mx.pref, nb);
    break;
  case ZN_DNS_TYPE_SOA:
    addf(l, ls, " %s %s %u %u %u %u %u", name_text(&rd->u.soa.mname, nb),
         name_text(&rd->u.soa.rname, nb2), rd->u.soa.serial,
         rd->u.soa.refresh, rd->u.soa.retry, rd->u.soa.expire,
         rd->u.soa.minimum);
    addf(info, is, " %s", nb);
    break;
  case ZN_DNS_TYPE_SRV:
    addf(l, ls, " %u %u %u %s", rd->u.srv.prio, rd->u.srv.weight,
         rd->u.srv.port, name_text(&rd->u.srv.target, nb));
    break;
  case ZN_DNS_TYPE_TXT: {
    size_t off = 0, sl;
    const uint8_t *s;
    while (zn_dns_txt_next(&rd->u.txt, &off, &s, &sl) == ZN_OK)
      addf(l, ls, " \"%.*s\"", (int)sl, (const char *)s);
    break;
  }
  case ZN_DNS_TYPE_OPT: {
    size_t off = 0;
    uint16_t code, dlen;
    const uint8_t *data;
    addf(l, ls, " udp=%u rcode=%u v=%u do=%d", rd->u.opt.udp_size,
         rd->u.opt.ext_rcode, rd->u.opt.version, rd->u.opt.do_bit);
    while (zn_dns_opt_next(&rd->u.opt, &off, &code, &data, &dlen) == ZN_OK) {
      addf(l, ls, " opt%u=", code);
      hex(l, ls, data, dlen);
    }
    break;
  }
  default:
    addf(l, ls, " len=%zu", rd->u.raw.len);
    break;
  }
}

static void render(const struct dmsg *dm, struct render *r) {
  static const char *const sec[] = {"Q", "AN", "NS", "AR"};
  struct zn_dns_msg m;
  struct zn_dns_iter it;
  struct zn_dns_question q;
  struct zn_dns_rr rr;
  struct zn_dns_rdata rd;
  char nb[ZN_DNS_NAME_TEXT_MAX], tb[16];
  char *l;
  int err;

  memset(r, 0, sizeof *r);
  err = zn_dns_msg_init(&m, dm->p, dm->len);
  if (err != ZN_OK) {
    r->err = err;
    return;
  }
  l = next_line(r);
  addf(l, 400, "id=%04x flags=%04x counts=%u/%u/%u/%u", zn_dns_id(&m),
       zn_dns_flags(&m), zn_dns_qdcount(&m), zn_dns_ancount(&m),
       zn_dns_nscount(&m), zn_dns_arcount(&m));
  snprintf(r->info, sizeof r->info, "Standard query%s 0x%04x",
           zn_dns_qr(&m) ? " response" : "", zn_dns_id(&m));

  zn_dns_iter_init(&it, &m);
  while ((err = zn_dns_iter_question(&it, &q)) == ZN_OK) {
    l = next_line(r);
    addf(l, 400, "Q %s %s", name_text(&q.name, nb),
         type_name(q.qtype, tb));
    if (q.qclass != ZN_DNS_CLASS_IN)
      addf(l, 400, " class=%u", q.qclass);
    addf(r->info, sizeof r->info, " %s %s", tb, nb);
    if (dm->mdns)
      addf(r->info, sizeof r->info, ", \"%s\" question",
           q.qclass & 0x8000 ? "QU" : "QM");
  }
  if (err == ZN_EOF) {
    while ((err = zn_dns_iter_rr(&it, &rr)) == ZN_OK) {
      err = zn_dns_rr_rdata(&m, &rr, &rd);
      if (err != ZN_OK)
        break;
      l = next_line(r);
      if (rr.type == ZN_DNS_TYPE_OPT)
        addf(l, 400, "%s %s OPT", sec[rr.section], name_text(&rr.name, nb));
      else
        addf(l, 400, "%s %s %u %s", sec[rr.section], name_text(&rr.name, nb),
             rr.ttl, type_name(rr.type, tb));
      addf(r->info, sizeof r->info, " %s", type_name(rr.type, tb));
      rdata_text(&rd, l, 400, r->info, sizeof r->info);
      if (rr.rclass != ZN_DNS_CLASS_IN && rr.type != ZN_DNS_TYPE_OPT)
        addf(l, 400, " class=%u", rr.rclass);
    }
  }
  if (err != ZN_EOF) {
    r->err = err;
    l = next_line(r);
    addf(l, 400, "ERR %s", zn_err_name(err));
    addf(r->info, sizeof r->info, "[Malformed Packet]");
  }
}

/* ---- what the captures hold ---------------------------------------------- */

#define L(...) ((const char *const[]){__VA_ARGS__, NULL})

struct want {
  int frame;
  const char *const *lines;
};

/* netxduo__dns_responses_set1: decode/<file>.txt and tcpdump -vvv. */
static const struct want netxduo[] = {
    {1, L("id=0002 flags=8180 counts=1/11/0/0", "Q google.com A",
          "AN google.com 142 A 74.125.224.194",
          "AN google.com 142 A 74.125.224.195",
          "AN google.com 142 A 74.125.224.196",
          "AN google.com 142 A 74.125.224.197",
          "AN google.com 142 A 74.125.224.198",
          "AN google.com 142 A 74.125.224.199",
          "AN google.com 142 A 74.125.224.200",
          "AN google.com 142 A 74.125.224.201",
          "AN google.com 142 A 74.125.224.206",
          "AN google.com 142 A 74.125.224.192",
          "AN google.com 142 A 74.125.224.193")},
    {2, L("id=0003 flags=8180 counts=1/1/0/0", "Q berkeley.edu AAAA",
          "AN berkeley.edu 3593 AAAA 2607:f140:0:81::f")},
    {3, L("id=0002 flags=8180 counts=1/1/0/0", "Q www.baidu.com CNAME",
          "AN www.baidu.com 487 CNAME www.a.shifen.com")},
    {4, L("id=0002 flags=8180 counts=1/5/0/0", "Q google.com MX",
          "AN google.com 600 MX 50 alt4.aspmx.l.google.com",
          "AN google.com 600 MX 30 alt2.aspmx.l.google.com",
          "AN google.com 600 MX 10 aspmx.l.google.com",
          "AN google.com 600 MX 20 alt1.aspmx.l.google.com",
          "AN google.com 600 MX 40 alt3.aspmx.l.google.com")},
    {5, L("id=0002 flags=8180 counts=1/1/0/0", "Q google.com SOA",
          "AN google.com 43011 SOA ns1.google.com dns-admin.google.com "
          "2012090400 7200 1800 1209600 300")},
    {6, L("id=0002 flags=8180 counts=1/1/0/0", "Q google.com TXT",
          "AN google.com 3600 TXT \"v=spf1 include:_netblocks.google.com "
          "ip4:216.73.93.70/31 ip4:216.73.93.72/31 ~all\"")},
    /* The first answer's owner should be the pointer c0 0c; it is 3e 0c, a
     * 62-byte label running past the end of the message. */
    {7, L("id=88cc flags=8180 counts=1/2/0/0", "Q clients4.google.com A",
          "ERR ETRUNCATED")},
    /* The question's first length octet is 0x3e instead of 8. */
    {8, L("id=88cc flags=8180 counts=1/2/0/0", "ERR ETRUNCATED")},
    {0, NULL},
};

static const struct want pcpp_dns[] = {
    {1, L("id=2d6d flags=8180 counts=1/17/0/0",
          "Q www.google-analytics.com A",
          "AN www.google-analytics.com 57008 CNAME "
          "www-google-analytics.l.google.com",
          "AN www-google-analytics.L.google.com 117 A 212.199.219.237",
          "AN www-google-analytics.L.google.com 117 A 212.199.219.227",
          "AN www-google-analytics.L.google.com 117 A 212.199.219.246",
          "AN www-google-analytics.L.google.com 117 A 212.199.219.241",
          "AN www-google-analytics.L.google.com 117 A 212.199.219.222",
          "AN www-google-analytics.L.google.com 117 A 212.199.219.251",
          "AN www-google-analytics.L.google.com 117 A 212.199.219.212",
          "AN www-google-analytics.L.google.com 117 A 212.199.219.247",
          "AN www-google-analytics.L.google.com 117 A 212.199.219.232",
          "AN www-google-analytics.L.google.com 117 A 212.199.219.242",
          "AN www-google-analytics.L.google.com 117 A 212.199.219.216",
          "AN www-google-analytics.L.google.com 117 A 212.199.219.221",
          "AN www-google-analytics.L.google.com 117 A 212.199.219.217",
          "AN www-google-analytics.L.google.com 117 A 212.199.219.226",
          "AN www-google-analytics.L.google.com 117 A 212.199.219.231",
          "AN www-google-analytics.L.google.com 117 A 212.199.219.236")},
    /* mDNS probes: QU (class bit 15) over IPv6, QM over IPv4. */
    {2, L("id=0000 flags=0000 counts=2/0/2/1",
          "Q Yaels-iPhone.local ANY class=32769",
          "Q Yaels-iPhone.local ANY class=32769",
          "NS Yaels-iPhone.local 120 A 10.0.0.2",
          "NS Yaels-iPhone.local 120 AAAA fe80::5a1f:aaff:fe4f:3f9d",
          "AR . OPT udp=1440 rcode=0 v=0 do=0 opt4=00df581faa4f3f9d")},
    {3, L("id=0000 flags=0000 counts=2/0/2/1", "Q Yaels-iPhone.local ANY",
          "Q Yaels-iPhone.local ANY", "NS Yaels-iPhone.local 120 A 10.0.0.2",
          "NS Yaels-iPhone.local 120 AAAA fe80::5a1f:aaff:fe4f:3f9d",
          "AR . OPT udp=1440 rcode=0 v=0 do=0 opt4=00df581faa4f3f9d")},
    {0, NULL},
};

static const struct want dns_udp[] = {
    {1, L("id=5934 flags=0120 counts=1/0/0/1", "Q www.tcpdump.org A",
          "AR . OPT udp=4096 rcode=0 v=0 do=0 opt10=42f5d00996f90b13")},
    {2, L("id=5934 flags=8500 counts=1/2/2/5", "Q www.tcpdump.org A",
          "AN www.tcpdump.org 60 A 192.139.46.66",
          "AN www.tcpdump.org 60 A 198.199.88.104",
          "NS tcpdump.org 86400 NS sns.cooperix.net",
          "NS tcpdump.org 86400 NS nic.sandelman.ca",
          "AR nic.sandelman.ca 300 A 209.87.249.18",
          "AR nic.sandelman.ca 300 AAAA 2607:f0b0:f::babe:f00d",
          "AR sns.cooperix.net 7200 A 97.107.133.15",
          "AR sns.cooperix.net 7200 AAAA 2600:3c03::f03c:91ff:fe96:e8ef",
          "AR . OPT udp=4096 rcode=0 v=0 do=0")},
    {0, NULL},
};

static const struct want dns_tcp[] = {
    {4, L("id=4319 flags=0120 counts=1/0/0/1", "Q www.tcpdump.org A",
          "AR . OPT udp=4096 rcode=0 v=0 do=0 opt10=8f06be7d691442f0")},
    {6, L("id=4319 flags=8500 counts=1/2/2/5", "Q www.tcpdump.org A",
          "AN www.tcpdump.org 60 A 192.139.46.66",
          "AN www.tcpdump.org 60 A 198.199.88.104",
          "NS tcpdump.org 86400 NS nic.sandelman.ca",
          "NS tcpdump.org 86400 NS sns.cooperix.net",
          "AR nic.sandelman.ca 300 A 209.87.249.18",
          "AR nic.sandelman.ca 300 AAAA 2607:f0b0:f::babe:f00d",
          "AR sns.cooperix.net 7200 A 97.107.133.15",
          "AR sns.cooperix.net 7200 AAAA 2600:3c03::f03c:91ff:fe96:e8ef",
          "AR . OPT udp=4096 rcode=0 v=0 do=0")},
    {0, NULL},
};

/* Scrambled UDP checksums only: the DNS bytes are fine. */
static const struct want corrupt[] = {
    {1, L("id=b823 flags=0120 counts=1/0/0/1", "Q zeek.org A",
          "AR . OPT udp=1232 rcode=0 v=0 do=0 opt10=2d60bc4a43748ba7")},
    {2, L("id=b823 flags=8180 counts=1/2/0/1", "Q zeek.org A",
          "AN zeek.org 60 A 192.0.78.212", "AN zeek.org 60 A 192.0.78.150",
          "AR . OPT udp=512 rcode=0 v=0 do=0")},
    {0, NULL},
};

static const struct want invalid_names[] = {
    /* "\003a" and the message ends. */
    {1, L("id=2222 flags=0100 counts=1/0/0/0", "ERR ETRUNCATED")},
    /* The question's name is a pointer to itself. */
    {2, L("id=2223 flags=0100 counts=1/0/0/0", "ERR EMALFORMED")},
    /* "\003abc" with no root label. */
    {3, L("id=2224 flags=0100 counts=1/0/0/0", "ERR ETRUNCATED")},
    {0, NULL},
};

/* A question name whose first length octet is 0x80 (a reserved label
 * type, read as 128 by naive parsers), then 40 answers. */
static const struct want stack_overflow[] = {
    {1, L("id=0000 flags=8100 counts=1/40/0/0", "ERR EMALFORMED")},
    {0, NULL},
};

static const struct want raw_ipv4[] = {
    {1, L("id=1234 flags=0100 counts=1/0/0/0", "Q example.com A")},
    {0, NULL},
};

static const struct want linktype_ipv4[] = {
    {1, L("id=6305 flags=0100 counts=1/0/0/0", "Q www.ynet.co.il A")},
    {2, L("id=6305 flags=8180 counts=1/3/0/0", "Q www.ynet.co.il A",
          "AN www.ynet.co.il 105 CNAME www.ynet.co.il.edgekey.net",
          "AN www.ynet.co.il.edgekey.net 13702 CNAME e12476.b.akamaiedge.net",
          "AN e12476.b.akamaiedge.net 18 A 23.221.143.117")},
    {0, NULL},
};

/* ---- the checks ----------------------------------------------------------- */

/* The summary tshark printed for `frame` (after "DNS <len> " or "MDNS <len>
 * "), or "" if none. */
static void tshark_info(const char *file, int frame, char *out, size_t size) {
  char path[1024], line[8192];
  FILE *f;

  out[0] = '\0';
  snprintf(path, sizeof path, "%s/decode/%s.txt", dir, file);
  f = fopen(path, "r");
  if (f == NULL)
    return;
  while (fgets(line, sizeof line, f) != NULL) {
    int no = 0, n = 0;
    char *p;
    if (sscanf(line, "%d%n", &no, &n) != 1 || no != frame)
      continue;
    p = strstr(line, " DNS ");
    if (p == NULL)
      p = strstr(line, " MDNS ");
    if (p == NULL)
      break;
    p = strchr(p + 1, ' ');      /* after the protocol */
    p = p ? strchr(p + 1, ' ') : NULL; /* after the length */
    if (p == NULL)
      break;
    snprintf(out, size, "%s", p + 1);
    out[strcspn(out, "\r\n")] = '\0';
    break;
  }
  fclose(f);
}

/* Rebuild a well-formed message with the builder from what was parsed. */
static int reemit(const struct dmsg *dm, uint8_t *buf, size_t cap,
                  size_t *len) {
  struct zn_dns_msg m;
  struct zn_dns_iter it;
  struct zn_dns_question q;
  struct zn_dns_rr rr;
  struct zn_dns_rdata rd;
  struct zn_dns_hdr h;
  struct zn_dns_builder b;
  int err;

  if ((err = zn_dns_msg_init(&m, dm->p, dm->len)) != ZN_OK)
    return err;
  zn_dns_msg_hdr(&m, &h);
  if ((err = zn_dns_build_init(&b, buf, cap, &h)) != ZN_OK)
    return err;
  zn_dns_iter_init(&it, &m);
  while ((err = zn_dns_iter_question(&it, &q)) == ZN_OK)
    if ((err = zn_dns_build_question(&b, &q.name, q.qtype, q.qclass)) != 0)
      return err;
  while ((err = zn_dns_iter_rr(&it, &rr)) == ZN_OK) {
    if ((err = zn_dns_rr_rdata(&m, &rr, &rd)) != ZN_OK)
      return err;
    if (rr.type == ZN_DNS_TYPE_OPT)
      err = zn_dns_build_opt(&b, &rd.u.opt);
    else
      err = zn_dns_build_rr(&b, (enum zn_dns_section)rr.section, &rr.name,
                            rr.rclass, rr.ttl, &rd);
    if (err != ZN_OK)
      return err;
  }
  *len = b.len;
  return err == ZN_EOF ? ZN_OK : err;
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Frames whose tshark summary is not "what parsed + [Malformed Packet]". */
static bool info_exempt(const char *file, int frame) {
  /* tshark: "Standard query 0x2223 A <Name contains a pointer that loops>" */
  return strcmp(file, "zeek__dns__dns-invalid-names.pcap") == 0 &&
         frame == 2;
}

static void check_capture(const char *file, const struct want *w,
                          int nmsgs) {
  struct capture *c = malloc(sizeof *c);
  static struct render r, r2;
  int n;

  ZT_REQUIRE(c != NULL);
  n = load(file, c);
  ZT_EQ(n, nmsgs);
  for (int i = 0; i < c->n; i++) {
    const struct dmsg *dm = &c->m[i];
    const struct want *e = NULL;
    struct zn_dns_msg m;
    char info[8192];
    double t0 = now_ms(), dt;
    int k;

    render(dm, &r);
    dt = now_ms() - t0;
    if (dt > 100)
      zt_fail(__FILE__, __LINE__, "%s frame %d: %.1f ms", file, dm->frame,
              dt);
    for (int j = 0; w[j].lines != NULL; j++)
      if (w[j].frame == dm->frame)
        e = &w[j];
    if (e == NULL) {
      zt_fail(__FILE__, __LINE__, "%s: unexpected message in frame %d", file,
              dm->frame);
      continue;
    }
    /* Line by line against the expected contents. */
    for (k = 0; e->lines[k] != NULL && k < r.n; k++)
      if (strcmp(r.line[k], e->lines[k]) != 0)
        zt_fail(__FILE__, __LINE__, "%s frame %d line %d:\n#   got  %s\n#   "
                "want %s", file, dm->frame, k, r.line[k], e->lines[k]);
    if (e->lines[k] != NULL || k != r.n)
      zt_fail(__FILE__, __LINE__, "%s frame %d: %d lines, want %d", file,
              dm->frame, r.n, k + (e->lines[k] != NULL));
    /* zn_dns_msg_check() says the same. */
    ZT_REQUIRE(zn_dns_msg_init(&m, dm->p, dm->len) == ZN_OK);
    ZT_EQ(zn_dns_msg_check(&m), r.err);
    /* And tshark's summary. */
    if (!info_exempt(file, dm->frame)) {
      tshark_info(file, dm->frame, info, sizeof info);
      if (strcmp(info, r.info) != 0)
        zt_fail(__FILE__, __LINE__, "%s frame %d tshark:\n#   got  %s\n#   "
                "want %s", file, dm->frame, r.info, info);
    }
    if (r.err != ZN_OK)
      continue;
    /* Re-emitted with the builder, it reads back the same. */
    {
      static uint8_t out[65535];
      size_t olen = 0;
      struct dmsg d2;
      int err = reemit(dm, out, sizeof out, &olen);
      ZT_EQ(err, ZN_OK);
      d2 = *dm;
      d2.p = malloc(olen);
      memcpy(d2.p, out, olen);
      d2.len = olen;
      render(&d2, &r2);
      ZT_EQ(r2.n, r.n);
      for (k = 0; k < r.n && k < r2.n; k++)
        ZT_STREQ(r2.line[k], r.line[k]);
      free(d2.p);
    }
    /* Every prefix is a truncated message. */
    for (size_t len = 12; len < dm->len; len++) {
      uint8_t *p = malloc(len);
      int err;
      memcpy(p, dm->p, len);
      ZT_REQUIRE(zn_dns_msg_init(&m, p, len) == ZN_OK);
      err = zn_dns_msg_check(&m);
      if (err != ZN_ETRUNCATED)
        zt_fail(__FILE__, __LINE__, "%s frame %d prefix %zu: %s", file,
                dm->frame, len, zn_err_name(err));
      free(p);
    }
  }
  unload(c);
  free(c);
}

ZT_TEST(test_netxduo_responses) {
  check_capture("netxduo__dns_responses_set1.pcap", netxduo, 8);
}

ZT_TEST(test_pcpp_dns) {
  check_capture("pcpp__Dns.pcap", pcpp_dns, 3);
}

ZT_TEST(test_tcpdump_dns_udp) {
  check_capture("tcpdump__dns_udp.pcap", dns_udp, 2);
}

ZT_TEST(test_tcpdump_dns_tcp) {
  check_capture("tcpdump__dns_tcp.pcap", dns_tcp, 2);
}

ZT_TEST(test_zeek_dns_corrupt) {
  check_capture("zeek__dns__dns-corrupt.pcap", corrupt, 2);
}

ZT_TEST(test_zeek_dns_invalid_names) {
  check_capture("zeek__dns__dns-invalid-names.pcap", invalid_names, 3);
}

ZT_TEST(test_pcpp_dns_stack_overflow) {
  check_capture("pcpp__dns_stack_overflow.pcap", stack_overflow, 1);
}

ZT_TEST(test_linktype_raw_ipv4) {
  check_capture("tcpdump__LINKTYPE_RAW_ipv4.pcap", raw_ipv4, 1);
}

ZT_TEST(test_linktype_ipv4) {
  check_capture("pcpp__linktype_ipv4.pcap", linktype_ipv4, 2);
}

/* Follow the CNAME chain of a real response to its addresses, comparing
 * names without case as a resolver must (the owners spell "L", the CNAME
 * target "l"). */
ZT_TEST(test_cname_chain) {
  static const struct {
    const char *file;
    int frame;
    const char *qname;
    unsigned naddr;
    uint32_t first;
  } cases[] = {
      {"pcpp__Dns.pcap", 1, "www.google-analytics.com", 16, 0xd4c7dbedu},
      {"pcpp__linktype_ipv4.pcap", 2, "www.ynet.co.il", 1, 0x17dd8f75u},
      {"netxduo__dns_responses_set1.pcap", 1, "google.com", 11, 0x4a7de0c2u},
  };
  for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
    struct capture *c = malloc(sizeof *c);
    struct zn_dns_name want;
    struct zn_dns_msg m;
    unsigned naddr = 0, hops = 0;
    uint32_t first = 0;
    ZT_REQUIRE(c != NULL);
    load(cases[ci].file, c);
    ZT_REQUIRE(zn_dns_name_from_text(&want, cases[ci].qname,
                                     strlen(cases[ci].qname)) == ZN_OK);
    for (int i = 0; i < c->n; i++) {
      struct zn_dns_iter it;
      struct zn_dns_rr rr;
      struct zn_dns_rdata rd;
      if (c->m[i].frame != cases[ci].frame)
        continue;
      ZT_REQUIRE(zn_dns_msg_init(&m, c->m[i].p, c->m[i].len) == ZN_OK);
      zn_dns_iter_init(&it, &m);
      while (zn_dns_iter_rr(&it, &rr) == ZN_OK) {
        if (rr.section != ZN_DNS_SEC_ANSWER ||
            !zn_dns_name_eq(&rr.name, &want))
          continue;
        ZT_REQUIRE(zn_dns_rr_rdata(&m, &rr, &rd) == ZN_OK);
        if (rd.type == ZN_DNS_TYPE_CNAME) {
          want = rd.u.name; /* records follow the chain in order here */
          hops++;
        } else if (rd.type == ZN_DNS_TYPE_A) {
          if (naddr++ == 0)
            first = rd.u.a;
        }
      }
    }
    ZT_EQU(naddr, cases[ci].naddr);
    ZT_EQU(first, cases[ci].first);
    ZT_CHECK(hops <= 2);
    unload(c);
    free(c);
  }
}

/* The blocker's path: a response skeleton for each query in the captures
 * echoes ID and question, and one for the malformed queries is a bare
 * FORMERR header. */
ZT_TEST(test_responses_to_captured_queries) {
  static const char *const files[] = {
      "tcpdump__dns_udp.pcap", "tcpdump__LINKTYPE_RAW_ipv4.pcap",
      "pcpp__linktype_ipv4.pcap", "zeek__dns__dns-invalid-names.pcap"};
  unsigned nq = 0, nbad = 0;
  for (size_t fi = 0; fi < sizeof files / sizeof files[0]; fi++) {
    struct capture *c = malloc(sizeof *c);
    ZT_REQUIRE(c != NULL);
    load(files[fi], c);
    for (int i = 0; i < c->n; i++) {
      struct zn_dns_msg q, r;
      struct zn_dns_builder b;
      struct zn_dns_iter qi, ri;
      struct zn_dns_question qq, rq;
      uint8_t buf[512];
      int err;
      ZT_REQUIRE(zn_dns_msg_init(&q, c->m[i].p, c->m[i].len) == ZN_OK);
      if (zn_dns_qr(&q))
        continue;
      err = zn_dns_build_response(&b, buf, sizeof buf, &q,
                                  ZN_DNS_RCODE_NXDOMAIN);
      ZT_REQUIRE(zn_dns_msg_init(&r, buf, b.len) == ZN_OK);
      ZT_EQU(zn_dns_id(&r), zn_dns_id(&q));
      ZT_CHECK(zn_dns_qr(&r));
      ZT_EQ(zn_dns_rd(&r), zn_dns_rd(&q));
      ZT_EQ(zn_dns_msg_check(&r), ZN_OK);
      if (err != ZN_OK) {
        nbad++;
        ZT_EQU(b.len, 12);
        ZT_EQU(zn_dns_qdcount(&r), 0);
        continue;
      }
      nq++;
      ZT_EQU(zn_dns_rcode(&r), ZN_DNS_RCODE_NXDOMAIN);
      ZT_EQU(zn_dns_qdcount(&r), zn_dns_qdcount(&q));
      zn_dns_iter_init(&qi, &q);
      zn_dns_iter_init(&ri, &r);
      ZT_REQUIRE(zn_dns_iter_question(&qi, &qq) == ZN_OK);
      ZT_REQUIRE(zn_dns_iter_question(&ri, &rq) == ZN_OK);
      ZT_EQU(rq.name.len, qq.name.len);
      ZT_MEMEQ(rq.name.b, qq.name.b, qq.name.len);
      ZT_EQU(rq.qtype, qq.qtype);
    }
    unload(c);
    free(c);
  }
  ZT_EQU(nq, 3);   /* tcpdump udp, raw ipv4, linktype ipv4 */
  ZT_EQU(nbad, 3); /* the three invalid names */
}

int main(int argc, char **argv) {
  if (argc > 1)
    dir = argv[1];
  th_shared_all(dir);
  ZT_RUN(test_netxduo_responses);
  ZT_RUN(test_pcpp_dns);
  ZT_RUN(test_tcpdump_dns_udp);
  ZT_RUN(test_tcpdump_dns_tcp);
  ZT_RUN(test_zeek_dns_corrupt);
  ZT_RUN(test_zeek_dns_invalid_names);
  ZT_RUN(test_pcpp_dns_stack_overflow);
  ZT_RUN(test_linktype_raw_ipv4);
  ZT_RUN(test_linktype_ipv4);
  ZT_RUN(test_cname_chain);
  ZT_RUN(test_responses_to_captured_queries);
  return zt_done();
}
