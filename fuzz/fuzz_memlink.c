/*
 * Two stacks over a memlink, driven through the API by the fuzzer, with
 * the fault injector (loss, duplication, corruption, delay, reordering,
 * all fuzzer-chosen) on the link, checking what TCP and UDP promise:
 *
 *   - every byte read is the byte the peer wrote at that offset of its
 *     stream (in order, nothing invented, nothing corrupted);
 *   - a connection that both ends shut down cleanly delivered exactly
 *     what was written, no more, no less;
 *   - every zn_tcp_write_ref is released; every handle gets on_closed;
 *     after everything is closed no connection, socket or buffer is left,
 *     and every frame is accounted for.
 *
 * Input: the link (fault seed, loss, duplication, corruption, reordering
 * in units of 0.1%, delay and jitter in 100 us, memlink queue length,
 * congestion control), then operations of 3 bytes: op, target, argument
 * (the first 512: a run stays short; the rest of the input is not read).
 * Stack A (10.0.0.1) connects, stack B (10.0.0.2) listens on ports 5000
 * to 5002 (5003 has no listener).
 *
 * fuzz_memlink6.c builds the same harness over IPv6 (A 2001:db8::1, B
 * 2001:db8::2, neighbor discovery, ICMPv6 and IPv6 fragments on the
 * faulty link) by defining FZ_MEMLINK_V6 before including this file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "znet/fault.h"

#define IP_A ZN_IPV4(10, 0, 0, 1)
#define IP_B ZN_IPV4(10, 0, 0, 2)

#ifndef FZ_MEMLINK_V6
#define FZ_MEMLINK_V6 0
#endif
static const bool v6 = FZ_MEMLINK_V6;
static const uint8_t IP6_A[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const uint8_t IP6_B[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};

/* Stack A's (i 0) or B's (i 1) address in the family fuzzed. */
static struct zn_ip ip_of(int i) {
  if (v6)
    return zn_ip_from_v6(i ? IP6_B : IP6_A);
  return zn_ip_from_v4(i ? IP_B : IP_A);
}

/* An address as the pattern's key and the reports see it: the IPv4
 * address, or an IPv6 address's last 32 bits (A and B differ there). */
static uint32_t addr_key(const struct zn_ip *a) {
  if (a->family == ZN_AF_INET6)
    return zn_rd32(a->bytes + 12);
  return zn_ip_v4(a);
}

/* The byte at offset k of the stream sent from addr:port is
 * pat[(key(addr, port) + k) % PLEN]; pat holds two periods so any run of
 * up to PLEN bytes is contiguous (zn_tcp_write_ref sends from it). */
#define PLEN 8191u
#define MAX_IO 4096u
static uint8_t pat[2 * PLEN];

struct ent {
  struct zn_tcp_conn *c;
  uint32_t laddr, raddr;
  uint16_t lport, rport;
  uint64_t wr, rd;       /* bytes written (taken by the stack) and read */
  bool autoread;         /* read whenever readable */
  bool shut, eof, err, gone, app_closed;
  bool keepalive;        /* zn_tcp_set_keepalive was called */
};

#define NENT 16
#define MAX_OPS 512 /* operations read (scripts/fuzz: -max_len 1545) */
static struct ent ents[NENT];
static struct fz_pair pair;
static struct zn_fault fault;
static struct zn_tcp_conn *listeners[3];
static struct zn_udp_sock *usock[2];
static uint32_t opened, closed, refs_out;
static bool ending; /* connections accepted from now on read at once */
static uint8_t buf[MAX_IO];

static uint32_t key(uint32_t addr, uint16_t port) {
  return (addr * 2654435761u ^ port * 40503u) % PLEN;
}

static struct ent *ent_of(const struct zn_tcp_conn *c) {
  for (int i = 0; i < NENT; i++)
    if (ents[i].c == c && !ents[i].gone)
      return &ents[i];
  return NULL;
}

static void track(struct zn_tcp_conn *c) {
  opened++;
  for (int i = 0; i < NENT; i++) {
    struct ent *e = &ents[i];
    if (e->c && !e->gone)
      continue;
    memset(e, 0, sizeof(*e));
    e->c = c;
    struct zn_tcp_info ti;
    zn_tcp_get_info(c, &ti);
    e->laddr = addr_key(&ti.laddr);
    e->lport = ti.lport;
    e->raddr = addr_key(&ti.raddr);
    e->rport = ti.rport;
    e->autoread = ending;
    return;
  }
  zn_tcp_close(c);
}

/* Check n bytes just read at the reader's offset. */
static void got(struct ent *e, const uint8_t *p, size_t n) {
  const uint8_t *want = pat + (key(e->raddr, e->rport) + e->rd) % PLEN;
  if (memcmp(p, want, n) != 0)
    fz_fail(__FILE__, __LINE__,
            "%u:%u read %zu bytes at offset %llu that %u:%u did not send",
            e->laddr & 0xff, e->lport, n, (unsigned long long)e->rd,
            e->raddr & 0xff, e->rport);
  e->rd += n;
}

static void do_read(struct ent *e, size_t max) {
  long n = zn_tcp_read(e->c, buf, max < sizeof(buf) ? max : sizeof(buf));
  if (n > 0)
    got(e, buf, (size_t)n);
  else if (n == 0)
    e->eof = true;
}

static void on_readable(struct zn_tcp_conn *c, void *arg) {
  (void)arg;
  struct ent *e = ent_of(c);
  if (!e || !e->autoread)
    return;
  for (int i = 0; i < 64 && !e->eof; i++) {
    uint64_t before = e->rd;
    do_read(e, sizeof(buf));
    if (e->rd == before)
      break;
  }
}

static void on_accept(struct zn_tcp_conn *l, void *arg) {
  (void)arg;
  struct zn_tcp_conn *c;
  for (int i = 0; i < NENT && zn_tcp_accept(l, &c) == ZN_OK; i++)
    track(c);
}

static void on_error(struct zn_tcp_conn *c, void *arg, int err) {
  (void)arg;
  struct ent *e = ent_of(c);
  FZ_CHECK(err == ZN_ECONNREFUSED || err == ZN_ECONNRESET ||
           err == ZN_ETIMEDOUT || err == ZN_EHOSTUNREACH);
  if (e)
    e->err = true;
}

static void on_closed(struct zn_tcp_conn *c, void *arg) {
  (void)arg;
  closed++;
  struct ent *e = ent_of(c);
  if (e)
    e->gone = true;
  for (int i = 0; i < 3; i++)
    if (listeners[i] == c)
      listeners[i] = NULL;
}

static const struct zn_tcp_callbacks cbs = {
    .on_accept = on_accept, .on_readable = on_readable,
    .on_error = on_error, .on_closed = on_closed};

static void on_release(void *arg) {
  (void)arg;
  FZ_CHECK(refs_out > 0);
  refs_out--;
}

/* Datagrams: a 2-byte number n, then pat from offset n.  The link
 * corrupts one bit of a frame at most, which every checksum catches; but a
 * datagram sent as several fragments can take one flip in each, and two
 * flips of the same bit of a 16-bit word in opposite directions leave the
 * Internet checksum unchanged (RFC 1071: it cannot see them).  Such a
 * datagram is delivered corrupted by any stack (a fuzz finding, of the
 * checksum, not of znet): with corruption on, only single-frame datagrams
 * are checked byte for byte. */
static bool corrupting;

static void on_dgram(struct zn_udp_sock *s, void *arg,
                     const struct zn_udp_dgram *d) {
  (void)s;
  (void)arg;
  FZ_CHECK(d->len >= 2 && d->len - 2 <= MAX_IO);
  if (corrupting && d->len > 1500u - (v6 ? 40u : 20u) - 8u)
    return;
  FZ_CHECK(memcmp(d->data + 2, pat + zn_rd16(d->data) % PLEN, d->len - 2) ==
           0);
}

static void udp_send(uint8_t t, uint8_t arg) {
  size_t n = (size_t)arg * 8u;
  uint16_t off = (uint16_t)(t * 31u + arg);
  zn_wr16(buf, off);
  memcpy(buf + 2, pat + off % PLEN, n);
  int i = t & 1;
  struct zn_ip to = ip_of(!i);
  (void)zn_udp_sendto(usock[i], &to, 6000, buf, n + 2);
}

static void op(uint8_t o, uint8_t t, uint8_t arg) {
  struct ent *e = &ents[t % NENT];
  bool live = e->c && !e->gone && !e->app_closed;
  size_t n = ((size_t)arg * 17u) % MAX_IO + 1u;
  struct zn_tcp_conn *c;
  struct zn_ip b = ip_of(1);
  switch (o % 14) {
  case 0:
    if (zn_tcp_connect(pair.a, &b, (uint16_t)(5000 + arg % 4), &cbs, NULL,
                       &c) == ZN_OK)
      track(c);
    break;
  case 1:
    if (live) {
      long w = zn_tcp_write(e->c, pat + (key(e->laddr, e->lport) + e->wr) %
                                           PLEN, n);
      if (w > 0)
        e->wr += (uint64_t)w;
    }
    break;
  case 2:
    if (live &&
        zn_tcp_write_ref(e->c, pat + (key(e->laddr, e->lport) + e->wr) % PLEN,
                         n, on_release, NULL) == ZN_OK) {
      e->wr += n;
      refs_out++;
    }
    break;
  case 3:
    if (live)
      do_read(e, n);
    break;
  case 4:
    if (live) {
      const uint8_t *p;
      long m = zn_tcp_peek(e->c, &p);
      if (m > 0) {
        size_t k = n < (size_t)m ? n : (size_t)m;
        got(e, p, k);
        FZ_CHECK(zn_tcp_consume(e->c, k) == ZN_OK);
      } else if (m == 0) {
        e->eof = true;
      }
    }
    break;
  case 5:
    if (live && zn_tcp_shutdown(e->c) == ZN_OK)
      e->shut = true;
    break;
  case 6:
    if (live) {
      zn_tcp_close(e->c);
      e->app_closed = true;
    }
    break;
  case 7:
    if (live) {
      zn_tcp_abort(e->c);
      e->app_closed = true;
    }
    break;
  case 8:
    fz_pair_run(&pair, ZN_MS(arg) * 4u);
    break;
  case 9:
    udp_send(t, arg);
    break;
  case 10:
    if (live) {
      e->autoread = true;
      on_readable(e->c, NULL);
    }
    break;
  case 11:
    if (live)
      zn_tcp_set_nodelay(e->c, arg & 1);
    break;
  case 12:
    if (live) {
      zn_tcp_set_keepalive(e->c, 200u + arg * 10u, 100, 3);
      e->keepalive = true;
    }
    break;
  default:
    if (live)
      (void)zn_tcp_set_cc(e->c, (enum zn_tcp_cc_algo)(arg % 3u));
    break;
  }
}

static void setup(struct fz_in *in) {
  struct zn_fault_cfg fc;
  memset(&fc, 0, sizeof(fc));
  fc.seed = fz_u8(in);
  fc.dirs = ZN_FAULT_RX | ZN_FAULT_TX;
  fc.loss_ppm = fz_u8(in) % 200u * 1000u;   /* up to 20% */
  fc.dup_ppm = fz_u8(in) * 1000u;
  fc.corrupt_ppm = fz_u8(in) * 1000u;
  corrupting = fc.corrupt_ppm != 0;
  fc.reorder_ppm = fz_u8(in) * 1000u;
  fc.delay_ns = fz_u8(in) * 100000u;
  fc.jitter_ns = fz_u8(in) * 100000u;
  fc.reorder_delay_ns = ZN_MS(3);
  fc.max_held = 64;
  uint32_t qlen = fz_u8(in) % 64u + 4u;
  uint8_t cc = fz_u8(in) & 1;
  struct zn_config ca, cb;
  fz_config(&ca, 1);
  fz_config(&cb, 2);
  ca.tcp_cc = cb.tcp_cc = cc;
  /* Loss must not end connections that the checks want whole. */
  ca.tcp_retries = cb.tcp_retries = 8;
  ca.ipv6 = cb.ipv6 = v6;
  ca.ipv6_dad_transmits = cb.ipv6_dad_transmits = 0; /* usable at once */
  memset(&pair, 0, sizeof(pair));
  memset(ents, 0, sizeof(ents));
  opened = closed = refs_out = 0;
  ending = false;
  zn_memlink_init(&pair.link, 0, qlen);
  pair.a = th_stack_new(&ca);
  pair.b = th_stack_new(&cb);
  FZ_CHECK(pair.a && pair.b);
  zn_fault_init(&fault, &pair.link.a.nif, &fc);
  FZ_CHECK(zn_stack_attach(pair.a, &fault.nif) == ZN_OK);
  FZ_CHECK(zn_stack_attach(pair.b, &pair.link.b.nif) == ZN_OK);
  for (int i = 0; v6 && i < 2; i++) {
    struct zn_ip a = ip_of(i);
    FZ_CHECK(zn_stack_add_ipv6(i ? pair.b : pair.a, &a, 64) == ZN_OK);
  }
  zn_stack_poll(pair.a, 0);
  zn_stack_poll(pair.b, 0);
  for (int i = 0; i < 3; i++) {
    FZ_CHECK(zn_tcp_listen(pair.b, NULL, (uint16_t)(5000 + i), 4, &cbs, NULL,
                           &listeners[i]) == ZN_OK);
    opened++;
  }
  for (int i = 0; i < 2; i++) {
    FZ_CHECK(zn_udp_open(i ? pair.b : pair.a, &usock[i]) == ZN_OK);
    FZ_CHECK(zn_udp_bind(usock[i], NULL, 6000) == ZN_OK);
    zn_udp_set_recv_cb(usock[i], on_dgram, NULL);
  }
}

/* The two ends of one connection, both still the application's. */
static struct ent *peer_of(const struct ent *e) {
  for (int i = 0; i < NENT; i++) {
    struct ent *p = &ents[i];
    if (p != e && p->c && p->laddr == e->raddr && p->lport == e->rport &&
        p->raddr == e->laddr && p->rport == e->lport)
      return p;
  }
  return NULL;
}

/* For the report of a finding: every connection the harness knows. */
static void dump(void) {
  for (int i = 0; i < NENT; i++) {
    const struct ent *e = &ents[i];
    if (!e->c)
      continue;
    struct zn_tcp_info ti;
    memset(&ti, 0, sizeof(ti));
    if (!e->gone)
      zn_tcp_get_info(e->c, &ti);
    fprintf(stderr,
            "  %2d %u:%u-%u:%u %-11s wr %llu rd %llu%s%s%s%s%s\n", i,
            e->laddr & 0xff, e->lport, e->raddr & 0xff, e->rport,
            e->gone ? "(gone)" : zn_tcp_state_name((int)ti.state),
            (unsigned long long)e->wr, (unsigned long long)e->rd,
            e->eof ? " eof" : "", e->shut ? " shut" : "",
            e->err ? " err" : "", e->app_closed ? " closed" : "",
            e->autoread ? " autoread" : "");
  }
}

/* Connections whose both ends are clean and whose writer shut down, but
 * whose reader has not yet had everything and the end; with `fail`, the
 * first such is a finding. */
static bool unfinished(bool fail) {
  for (int i = 0; i < NENT; i++) {
    struct ent *e = &ents[i];
    if (!e->c || e->gone || e->app_closed || e->err)
      continue;
    on_readable(e->c, NULL);
    struct ent *p = peer_of(e);
    if (!p || p->gone || p->app_closed || p->err || !p->shut)
      continue;
    if (e->eof && e->rd == p->wr)
      continue;
    if (e->rd > p->wr || fail) {
      struct zn_tcp_info ei, pi;
      zn_tcp_get_info(e->c, &ei);
      zn_tcp_get_info(p->c, &pi);
      dump();
      fz_fail(__FILE__, __LINE__,
              "%u:%u (%s) read %llu bytes (eof %d), %u:%u (%s) wrote %llu",
              e->laddr & 0xff, e->lport, zn_tcp_state_name((int)ei.state),
              (unsigned long long)e->rd, e->eof, p->laddr & 0xff, p->lport,
              zn_tcp_state_name((int)pi.state), (unsigned long long)p->wr);
    }
    return true;
  }
  return false;
}

static void finish(void) {
  /* Read everything, shut every live connection down, let the data and
   * the FINs through. */
  ending = true;
  for (int i = 0; i < NENT; i++) {
    struct ent *e = &ents[i];
    if (e->c && !e->gone && !e->app_closed) {
      e->autoread = true;
      on_readable(e->c, NULL);
      if (zn_tcp_shutdown(e->c) == ZN_OK)
        e->shut = true;
    }
  }
  /* Under heavy loss a transfer takes a while: up to 10 minutes. */
  for (int round = 0; round < 20; round++) {
    fz_pair_run(&pair, ZN_SEC(30));
    if (!unfinished(false))
      break;
  }
  unfinished(true);
  for (int i = 0; i < NENT; i++)
    if (ents[i].c && !ents[i].gone && !ents[i].app_closed)
      zn_tcp_close(ents[i].c);
  for (int i = 0; i < 3; i++)
    if (listeners[i])
      zn_tcp_close(listeners[i]);
  zn_udp_close(usock[0]);
  zn_udp_close(usock[1]);
  fz_pair_run(&pair, ZN_SEC(120));
  if (refs_out)
    fz_fail(__FILE__, __LINE__, "%u write_ref never released", refs_out);
  fz_check_stack(pair.a);
  fz_check_stack(pair.b);
  fz_check_closed(pair.a, opened, closed);
  fz_check_closed(pair.b, opened, closed);
  zn_fault_purge(&fault);
  fz_pair_free(&pair);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static bool init;
  if (!init) {
    init = true;
    uint32_t x = 0x9e3779b9u;
    for (size_t i = 0; i < PLEN; i++) {
      x ^= x << 13;
      x ^= x >> 17;
      x ^= x << 5;
      pat[i] = pat[i + PLEN] = (uint8_t)x;
    }
  }
  struct fz_in in;
  fz_in_init(&in, data, size);
  setup(&in);
  for (int i = 0; i < MAX_OPS && fz_more(&in); i++) {
    uint8_t o = fz_u8(&in), t = fz_u8(&in), arg = fz_u8(&in);
    op(o, t, arg);
    fz_pair_run(&pair, ZN_MS(1));
  }
  finish();
  return 0;
}
