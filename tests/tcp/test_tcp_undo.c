/*
 * Window reductions found needless (RFC 3522 Eifel detection with
 * timestamps, restored as RFC 4015 and Linux do: src/tcp/tcp_ack.c
 * undo_check), and what an RTO's recovery presumes lost (RFC 6675 §5.1),
 * against a scripted peer (tcp_fixture.h) with a 20 ms round trip.
 */
#include "tcp_fixture.h"
#include "harness.h"
#include "znet/fault.h"

#define M 1448u /* a full segment with timestamps */

/* ESTABLISHED with timestamps and SACK, SRTT 20 ms; n segments written
 * and sent at once.  Returns the first one's sequence number; *tsval is
 * the TSval they carried. */
static uint32_t undo_flight(struct fx *f, uint32_t n, uint32_t *tsval) {
  fx_init(f, NULL);
  f->rtt = ZN_MS(20);
  f->peer_syn.present |= ZN_TCP_OPTF_SACK_PERM | ZN_TCP_OPTF_TS;
  fx_established(f);
  ZT_CHECK(f->ts);
  uint32_t una = f->s_nxt;
  ZT_EQ(fx_write(f, n * M), (long)(n * M));
  fx_poll(f);
  for (uint32_t k = 0; k < n; k++)
    EXPECT(f, .seq = una + k * M, .ack = f->p_nxt,
           .flags = k == n - 1 ? ACK | PSH : ACK, .len = M);
  *tsval = f->s_tsval;
  return una;
}

/* Run until the RTO fires, taking the loss probes before it (each
 * resends the last segment: nothing new is queued).  Then the RTO's
 * retransmission of SND.UNA; returns the TSval it carried. */
static uint32_t run_to_rto(struct fx *f, uint32_t una, uint32_t n) {
  for (int ms = 0; ms < 5000 && fx_stat(f, ZN_STAT_tcp_rto) == 0; ms++) {
    fx_run(f, ZN_MS(1));
    if (fx_stat(f, ZN_STAT_tcp_rto) == 0)
      while (fx_pending(f))
        EXPECT(f, .seq = una + (n - 1) * M, .ack = f->p_nxt,
               .flags = ACK | PSH, .len = M);
  }
  ZT_EQ(fx_stat(f, ZN_STAT_tcp_rto), 1);
  EXPECT(f, .seq = una, .ack = f->p_nxt, .flags = ACK, .len = M);
  EXPECT_NONE(f);
  return f->s_tsval;
}

/* An ACK of everything up to ack, echoing tsecr, with one SACK block
 * [left, right) unless left == right. */
static void ack_sack_echo(struct fx *f, uint32_t ack, uint32_t tsecr,
                          uint32_t left, uint32_t right) {
  struct zn_tcp_seg_opts o = {.present = ZN_TCP_OPTF_TS};
  o.tsval = fx_tsval(f);
  o.tsecr = tsecr;
  if (left != right) {
    o.present |= ZN_TCP_OPTF_SACK;
    o.nsack = 1;
    o.sack[0].left = left;
    o.sack[0].right = right;
  }
  SEND(f, .seq = f->p_nxt, .ack = ack, .flags = ACK, .o = o);
}

/* A delay spike and no loss: the flight's ACK comes after the RTO,
 * echoing the TSval of the original transmission.  The RTO was needless:
 * the window and threshold are back, the RTO's recovery ends and nothing
 * more goes again. */
ZT_TEST(test_undo_spurious_rto) {
  struct fx f;
  uint32_t tsv;
  uint32_t una = undo_flight(&f, 4, &tsv);
  struct zn_tcp_info before = fx_info(&f);
  run_to_rto(&f, una, 4);
  ZT_EQ(fx_info(&f).cwnd, fx_info(&f).mss);
  ZT_CHECK(fx_conn(&f)->flags & ZN__TCPF_RTO_RECOVERY);
  ack_sack_echo(&f, una + 4 * M, tsv, 0, 0);
  EXPECT_NONE(&f);
  struct zn_tcp_info after = fx_info(&f);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_undo_rto), 1);
  ZT_CHECK(after.cwnd >= before.cwnd);
  ZT_EQ(after.ssthresh, before.ssthresh);
  ZT_CHECK(!(fx_conn(&f)->flags &
             (ZN__TCPF_IN_RECOVERY | ZN__TCPF_RTO_RECOVERY)));
  ZT_EQ(after.unacked, 0);
  fx_free(&f);
}

/* The same RTO, but the ACK echoes the retransmission's TSval: the
 * retransmission is what arrived, the loss was real, and slow start from
 * one segment goes on. */
ZT_TEST(test_undo_not_for_real_loss) {
  struct fx f;
  uint32_t tsv;
  uint32_t una = undo_flight(&f, 4, &tsv);
  struct zn_tcp_info before = fx_info(&f);
  uint32_t rtx_tsv = run_to_rto(&f, una, 4);
  ZT_CHECK(rtx_tsv > tsv);
  ack_sack_echo(&f, una + 4 * M, rtx_tsv, 0, 0);
  EXPECT_NONE(&f);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_undo_rto), 0);
  ZT_CHECK(fx_info(&f).cwnd < before.cwnd);
  ZT_CHECK(fx_info(&f).ssthresh < before.cwnd);
  fx_free(&f);
}

/* Fast recovery for a segment that was only late (reordered beyond what
 * RACK waits for): the first ACK past it echoes the original's TSval.
 * The reduction is undone and recovery ends. */
ZT_TEST(test_undo_spurious_fast_recovery) {
  struct fx f;
  uint32_t tsv;
  uint32_t una = undo_flight(&f, 5, &tsv);
  uint32_t cwnd0 = fx_info(&f).cwnd;
  fx_run(&f, ZN_MS(20));
  ack_sack_echo(&f, una, tsv, una + M, una + 4 * M);
  EXPECT(&f, .seq = una, .ack = f.p_nxt, .flags = ACK, .len = M);
  ZT_CHECK(fx_conn(&f)->flags & ZN__TCPF_IN_RECOVERY);
  ZT_CHECK(fx_info(&f).cwnd < cwnd0);
  ack_sack_echo(&f, una + 5 * M, tsv, 0, 0);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_undo_recovery), 1);
  ZT_CHECK(!(fx_conn(&f)->flags & ZN__TCPF_IN_RECOVERY));
  ZT_CHECK(fx_info(&f).cwnd >= cwnd0);
  fx_free(&f);
}

/* After an RTO the sender resends what was in flight then, skipping what
 * is SACKed (RFC 6675 §5.1), and sends new data as the window opens; the
 * new data is not presumed lost with the rest (it used to go twice). */
ZT_TEST(test_rto_recovery_new_data_once) {
  struct fx f;
  uint32_t tsv;
  uint32_t una = undo_flight(&f, 4, &tsv);
  uint32_t rtx_tsv = run_to_rto(&f, una, 4);
  /* Four more written after the RTO wait for the window. */
  ZT_EQ(fx_write(&f, 4 * M), (long)(4 * M));
  fx_poll(&f);
  EXPECT_NONE(&f);
  /* The RTO's retransmission arrived; the second segment is lost, the
   * third and fourth SACKed.  cwnd 2: the hole, then new data. */
  ack_sack_echo(&f, una + M, rtx_tsv, una + 2 * M, una + 4 * M);
  EXPECT(&f, .seq = una + M, .ack = f.p_nxt, .flags = ACK, .len = M);
  EXPECT(&f, .seq = una + 4 * M, .ack = f.p_nxt, .flags = ACK, .len = M);
  EXPECT_NONE(&f);
  /* Both arrive: the recovery is over, and the rest of the new data goes
   * in order, none of it twice. */
  ack_sack_echo(&f, una + 5 * M, f.s_tsval, 0, 0);
  ZT_CHECK(!(fx_conn(&f)->flags & ZN__TCPF_IN_RECOVERY));
  uint32_t next = una + 5 * M;
  while (fx_pending(&f)) {
    EXPECT(&f, .seq = next, .ack = f.p_nxt, .any_opts = true, .len = M,
           .flags = next + M == una + 8 * M ? ACK | PSH : ACK);
    next += M;
    if (next == una + 8 * M)
      break;
  }
  ack_sack_echo(&f, next, f.s_tsval, 0, 0);
  while (next < una + 8 * M && fx_pending(&f)) {
    EXPECT(&f, .seq = next, .ack = f.p_nxt, .any_opts = true, .len = M,
           .flags = next + M == una + 8 * M ? ACK | PSH : ACK);
    next += M;
  }
  ZT_EQ(next, una + 8 * M);
  ack_sack_echo(&f, next, f.s_tsval, 0, 0);
  EXPECT_NONE(&f);
  ZT_EQ(fx_info(&f).unacked, 0);
  fx_free(&f);
}

/* A loss probe resends the last segment (nothing new is queued).  The
 * ACK of everything with a D-SACK of it says the original had arrived
 * (its ACK was late or lost): the probe repaired nothing and the window
 * stays (RFC 8985 §7.4).  Without the D-SACK the probe repaired a loss,
 * and the window is cut as for one. */
static void probe_then_ack(bool dsack) {
  struct fx f;
  uint32_t tsv;
  uint32_t una = undo_flight(&f, 2, &tsv);
  uint32_t cwnd0 = fx_info(&f).cwnd;
  fx_run(&f, ZN_MS(45));
  EXPECT(&f, .seq = una + M, .ack = f.p_nxt, .flags = ACK | PSH, .len = M);
  EXPECT_NONE(&f);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_probe), 1);
  ack_sack_echo(&f, una + 2 * M, f.s_tsval, dsack ? una + M : 0,
                dsack ? una + 2 * M : 0);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_probe_needless), dsack ? 1 : 0);
  if (dsack)
    ZT_EQ(fx_info(&f).cwnd, cwnd0);
  else
    ZT_CHECK(fx_info(&f).cwnd < cwnd0);
  fx_free(&f);
}

ZT_TEST(test_probe_dsacked_keeps_window) { probe_then_ack(true); }
ZT_TEST(test_probe_repair_cuts_window) { probe_then_ack(false); }

/* A recovery that begins right after one that was undone does not
 * resend again what the undone one resent: those resends are in
 * flight, and whether they are lost is RACK's to say, as for any
 * resend.  Eight segments; at 20 ms the 2nd and the 4th..6th SACKed:
 * recovery resends the 1st and the 3rd.  At 21 ms the ACK of the first
 * two echoes the original TSval (the 1st was late, not lost: undone)
 * and SACKs the 8th: the 7th, sent before it, is lost, and a new
 * recovery resends it, and only it (the 3rd went again too, twice in a
 * millisecond, when each recovery began its walk at SND.UNA). */
ZT_TEST(test_recovery_after_undo_keeps_resends) {
  struct fx f;
  uint32_t tsv;
  uint32_t una = undo_flight(&f, 8, &tsv);
  fx_run(&f, ZN_MS(20));
  ack_sack_echo(&f, una, tsv, una + M, una + 2 * M);
  EXPECT_NONE(&f);
  ack_sack_echo(&f, una, tsv, una + 3 * M, una + 6 * M);
  EXPECT(&f, .seq = una, .ack = f.p_nxt, .flags = ACK, .len = M);
  EXPECT(&f, .seq = una + 2 * M, .ack = f.p_nxt, .flags = ACK, .len = M);
  EXPECT_NONE(&f);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_fast_rtx), 1);
  fx_run(&f, ZN_MS(1));
  ack_sack_echo(&f, una + 2 * M, tsv, una + 7 * M, una + 8 * M);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_undo_recovery), 1);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_fast_rtx), 2);
  EXPECT(&f, .seq = una + 6 * M, .ack = f.p_nxt, .flags = ACK, .len = M);
  EXPECT_NONE(&f);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_rtx), 3);
  ack_sack_echo(&f, una + 8 * M, f.s_tsval, 0, 0);
  ZT_EQ(fx_info(&f).unacked, 0);
  fx_free(&f);
}

/* ---- two stacks: a receiver that stalls ---- */

struct stall_app {
  struct zn_tcp_conn *server;
  size_t rx;
  uint8_t sum;
};

static void stall_accept(struct zn_tcp_conn *l, void *arg) {
  struct stall_app *a = arg;
  struct zn_tcp_conn *c;
  if (zn_tcp_accept(l, &c) == ZN_OK)
    a->server = c;
}

static void stall_readable(struct zn_tcp_conn *c, void *arg) {
  struct stall_app *a = arg;
  uint8_t buf[4096];
  long n;
  while ((n = zn_tcp_read(c, buf, sizeof(buf))) > 0) {
    for (long i = 0; i < n; i++)
      ZT_CHECK(buf[i] == (uint8_t)((a->rx + (size_t)i) * 7u));
    a->rx += (size_t)n;
  }
}

/* The bytes a transfer sends (n at most 4 MiB): stall_readable checks
 * each against its offset. */
static const uint8_t *pattern(size_t n) {
  static uint8_t data[4 << 20];
  if (n > sizeof(data))
    n = sizeof(data); /* (the transfer then fails its byte check) */
  for (size_t i = 0; i < n; i++)
    data[i] = (uint8_t)(i * 7u);
  return data;
}

/* B listens on 9 and A connects to it. */
static void transfer_open(struct th_pair *p, struct stall_app *app,
                          struct zn_tcp_conn **l, struct zn_tcp_conn **c) {
  static const struct zn_tcp_callbacks scb = {.on_accept = stall_accept,
                                              .on_readable = stall_readable};
  ZT_EQ(zn_tcp_listen(p->b, NULL, 9, 0, &scb, app, l), ZN_OK);
  ZT_EQ(zn_tcp_connect(p->a, TH_IP(ZN_IPV4(10, 0, 0, 2)), 9, NULL, NULL, c),
        ZN_OK);
}

/* Queue what the send buffer takes of data[*sent..n). */
static void write_more(struct zn_tcp_conn *c, const uint8_t *data, size_t n,
                       size_t *sent) {
  if (*sent < n) {
    long w = zn_tcp_write(c, data + *sent, n - *sent);
    if (w > 0)
      *sent += (size_t)w;
  }
}

/* Both ends close, and every connection is gone before the pair is. */
static void transfer_close(struct th_pair *p, struct stall_app *app,
                           struct zn_tcp_conn *l, struct zn_tcp_conn *c) {
  zn_tcp_close(c);
  th_pair_run(p, ZN_SEC(1));
  zn_tcp_close(app->server);
  zn_tcp_close(l);
  th_pair_run(p, ZN_SEC(130));
}

/* A sender's RTO because the receiving host stood still for 500 ms (a
 * VM paused, say): nothing was lost.  When it wakes, its ACKs echo the
 * TSvals of the originals, the RTO is undone, the window is back, and
 * the transfer ends byte for byte. */
ZT_TEST(test_undo_receiver_stall) {
  struct th_pair p;
  struct zn_config ca, cb;
  th_config(&ca, ZN_IPV4(10, 0, 0, 1), 24, 1);
  th_config(&cb, ZN_IPV4(10, 0, 0, 2), 24, 2);
  ca.arp_announce = cb.arp_announce = false;
  ca.nbufs = cb.nbufs = 1024;
  th_pair_init(&p, &ca, &cb);
  ZT_REQUIRE(p.a && p.b);
  struct stall_app app = {0};
  struct zn_tcp_conn *l, *c;
  transfer_open(&p, &app, &l, &c);
  enum { N = 1 << 20 };
  const uint8_t *data = pattern(N);
  size_t sent = 0;
  uint32_t cwnd_before = 0;
  bool stalled = false;
  for (int us = 0; us < 5000000 && app.rx < N; us += 100) {
    write_more(c, data, N, &sent);
    if (!stalled && app.rx >= N / 8) {
      stalled = true;
      /* The receiver stands still; the sender runs on its own. */
      struct zn_tcp_info in;
      zn_tcp_get_info(c, &in);
      cwnd_before = in.cwnd;
      for (int k = 0; k < 500; k++) {
        p.now += ZN_MS(1);
        zn_stack_poll(p.a, p.now);
      }
      ZT_CHECK(zn_stat(p.a, ZN_STAT_tcp_rto) >= 1);
    }
    th_pair_run(&p, ZN_US(100));
  }
  ZT_CHECK(stalled);
  ZT_EQU(app.rx, N);
  ZT_EQU(zn_stat(p.a, ZN_STAT_tcp_undo_rto), 1);
  struct zn_tcp_info in;
  zn_tcp_get_info(c, &in);
  ZT_CHECK(in.cwnd >= cwnd_before);
  ZT_EQU(zn_stat(p.a, ZN_STAT_tcp_blackhole), 0);
  transfer_close(&p, &app, l, c);
  th_pair_free(&p);
}

/* 30% of the ACKs lost and none of the data, 25 us each way: ACKs are
 * cumulative, so a lost one costs nothing while a later one arrives, and
 * a tail whose ACKs are all lost draws a loss probe, which the receiver
 * D-SACKs.  Nothing may be taken for a loss: no recovery, no RTO left
 * standing, no cut; and the window still grows. */
static void ack_loss_run(uint64_t seed) {
  struct th_pair p;
  struct zn_config ca, cb;
  th_config(&ca, ZN_IPV4(10, 0, 0, 1), 24, 1);
  th_config(&cb, ZN_IPV4(10, 0, 0, 2), 24, 2);
  ca.arp_announce = cb.arp_announce = false;
  ca.nbufs = cb.nbufs = 1024;
  memset(&p, 0, sizeof(p));
  zn_memlink_init(&p.link, 0, 1024);
  p.a = th_stack_new(&ca);
  p.b = th_stack_new(&cb);
  ZT_REQUIRE(p.a && p.b);
  zn_arp_add_static(p.a, ZN_IPV4(10, 0, 0, 2), MAC_B);
  zn_arp_add_static(p.b, ZN_IPV4(10, 0, 0, 1), MAC_A);
  struct zn_fault f;
  struct zn_fault_cfg fc;
  memset(&fc, 0, sizeof(fc));
  fc.seed = seed;
  fc.dirs = ZN_FAULT_RX; /* what reaches the sender: the ACKs */
  fc.loss_ppm = 300000;
  fc.delay_ns = ZN_US(25);
  fc.max_held = 4096;
  zn_fault_init(&f, &p.link.a.nif, &fc);
  zn_stack_attach(p.a, &f.nif);
  zn_stack_attach(p.b, &p.link.b.nif);
  struct stall_app app = {0};
  struct zn_tcp_conn *l, *c;
  transfer_open(&p, &app, &l, &c);
  enum { N = 4 << 20 };
  const uint8_t *data = pattern(N);
  size_t sent = 0;
  for (int us = 0; us < 60000000 && app.rx < N; us += 100) {
    write_more(c, data, N, &sent);
    th_pair_run(&p, ZN_US(100));
  }
  ZT_EQU(app.rx, N);
  ZT_CHECK(f.stats.lost > 0);
  ZT_EQU(zn_stat(p.a, ZN_STAT_tcp_fast_rtx), 0);
  ZT_EQU(zn_stat(p.a, ZN_STAT_tcp_rto) - zn_stat(p.a, ZN_STAT_tcp_undo_rto),
         0);
  struct zn_tcp_info in;
  zn_tcp_get_info(c, &in);
  ZT_CHECK(in.ssthresh == UINT32_MAX); /* never cut */
  ZT_CHECK(in.cwnd > 10u * in.mss);
  printf("# seed %llu: %llu ACKs lost, %llu probes (%llu D-SACKed), "
         "cwnd %u segments\n",
         (unsigned long long)seed, (unsigned long long)f.stats.lost,
         (unsigned long long)zn_stat(p.a, ZN_STAT_tcp_probe),
         (unsigned long long)zn_stat(p.a, ZN_STAT_tcp_probe_needless),
         in.cwnd / in.mss);
  transfer_close(&p, &app, l, c);
  zn_fault_purge(&f);
  th_pair_free(&p);
}

ZT_TEST(test_ack_loss_no_cut) {
  for (uint64_t seed = 1; seed <= 4; seed++)
    ack_loss_run(seed);
}

/* Without timestamps (RFC 3708): a fast retransmit for a segment that
 * was only late.  The late original completes the flight; then the
 * retransmission arrives too, and the peer D-SACKs it: all that was
 * resent arrived twice, so the reduction is undone. */
static uint32_t dsack_flight(struct fx *f, uint32_t n) {
  fx_init(f, NULL);
  f->rtt = ZN_MS(20);
  f->peer_syn.present |= ZN_TCP_OPTF_SACK_PERM;
  fx_established(f);
  ZT_CHECK(!f->ts);
  uint32_t una = f->s_nxt;
  ZT_EQ(fx_write(f, n * 1460), (long)(n * 1460));
  fx_poll(f);
  for (uint32_t k = 0; k < n; k++)
    EXPECT(f, .seq = una + k * 1460, .ack = f->p_nxt,
           .flags = k == n - 1 ? ACK | PSH : ACK, .len = 1460);
  return una;
}

static void sack_block(struct fx *f, uint32_t ack, uint32_t l, uint32_t r) {
  struct zn_tcp_seg_opts o = {.present = ZN_TCP_OPTF_SACK, .nsack = 1};
  o.sack[0].left = l;
  o.sack[0].right = r;
  SEND(f, .seq = f->p_nxt, .ack = ack, .flags = ACK, .o = o);
}

ZT_TEST(test_undo_dsack_fast_recovery) {
  struct fx f;
  uint32_t una = dsack_flight(&f, 5);
  uint32_t cwnd0 = fx_info(&f).cwnd;
  fx_run(&f, ZN_MS(20));
  sack_block(&f, una, una + 1460, una + 4 * 1460);
  EXPECT(&f, .seq = una, .ack = f.p_nxt, .flags = ACK, .len = 1460);
  ZT_CHECK(fx_info(&f).cwnd < cwnd0);
  SEND(&f, .seq = f.p_nxt, .ack = una + 5 * 1460, .flags = ACK);
  ZT_CHECK(fx_info(&f).cwnd < cwnd0); /* no timestamps: no Eifel */
  sack_block(&f, una + 5 * 1460, una, una + 1460);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_undo_dsack), 1);
  ZT_CHECK(fx_info(&f).cwnd >= cwnd0);
  fx_free(&f);
}

/* Two segments resent, only one of them D-SACKed: the other was really
 * lost, and the reduction stands. */
ZT_TEST(test_undo_dsack_not_all) {
  struct fx f;
  uint32_t una = dsack_flight(&f, 6);
  uint32_t cwnd0 = fx_info(&f).cwnd;
  fx_run(&f, ZN_MS(20));
  struct zn_tcp_seg_opts o = {.present = ZN_TCP_OPTF_SACK, .nsack = 2};
  o.sack[0].left = una + 3 * 1460;
  o.sack[0].right = una + 6 * 1460;
  o.sack[1].left = una + 1460;
  o.sack[1].right = una + 2 * 1460;
  SEND(&f, .seq = f.p_nxt, .ack = una, .flags = ACK, .o = o);
  EXPECT(&f, .seq = una, .ack = f.p_nxt, .flags = ACK, .len = 1460);
  EXPECT(&f, .seq = una + 2 * 1460, .ack = f.p_nxt, .flags = ACK, .len = 1460);
  SEND(&f, .seq = f.p_nxt, .ack = una + 6 * 1460, .flags = ACK);
  sack_block(&f, una + 6 * 1460, una, una + 1460);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_undo_dsack), 0);
  ZT_CHECK(fx_info(&f).cwnd < cwnd0);
  fx_free(&f);
}

int main(void) {
  ZT_RUN(test_undo_spurious_rto);
  ZT_RUN(test_undo_not_for_real_loss);
  ZT_RUN(test_undo_spurious_fast_recovery);
  ZT_RUN(test_rto_recovery_new_data_once);
  ZT_RUN(test_probe_dsacked_keeps_window);
  ZT_RUN(test_probe_repair_cuts_window);
  ZT_RUN(test_recovery_after_undo_keeps_resends);
  ZT_RUN(test_undo_receiver_stall);
  ZT_RUN(test_ack_loss_no_cut);
  ZT_RUN(test_undo_dsack_fast_recovery);
  ZT_RUN(test_undo_dsack_not_all);
  return zt_done();
}
