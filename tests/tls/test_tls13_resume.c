/* A client's TLS 1.3 resumption (zn_tls_config.resume) between two znet
 * stacks: the ticket kept after a full handshake is offered on the next
 * connection to the same name and resumes it (no certificate sent, both
 * sides say so); it is offered once; not for another name, nor past its
 * lifetime, nor under a suite of another hash; a server that cannot
 * open it gives a full handshake.  And the store itself: the oldest
 * ticket out first, the newest offered first, lengths and errors. */
#include "tls13_int.h"
#include "tls_fixture.h"
#include "znet/err.h"

#define ENTRIES 4

/* The server's ticket keys (one test at a time). */
static _Alignas(64) uint8_t tmem[256];

struct resume_env {
  struct tpair t;
  struct zn_tls_tickets *tk;
  void *rmem;
  struct zn_tls_resume *store;
};

/* A pair whose server issues tickets (lifetime_s) and whose client keeps
 * them. */
static void env_init(struct resume_env *v, uint32_t lifetime_s) {
  static const uint8_t secret[32] = {4, 5, 6};
  tf_init(&v->t, NULL);
  ZT_EQ(zn_tls_tickets_init(tmem, sizeof(tmem), secret, lifetime_s, &v->tk),
        ZN_OK);
  v->t.scfg.tickets = v->tk;
  size_t len = zn_tls_resume_mem_size(ENTRIES);
  v->rmem = aligned_alloc(64, (len + 63) / 64 * 64);
  ZT_EQ(zn_tls_resume_init(v->rmem, len, ENTRIES, &v->store), ZN_OK);
  v->t.ccfg.resume = v->store;
}

static void env_free(struct resume_env *v) {
  tf_free(&v->t);
  free(v->rmem);
}

/* One connection to name, a message each way, closed by both: how the
 * client saw it (opened or not). */
static bool one_connection(struct tpair *t, const char *name,
                           struct zn_tls_info *ci, struct zn_tls_info *si) {
  free(t->cli.mem);
  free(t->srv.mem);
  free(t->cli.rx);
  free(t->srv.rx);
  memset(&t->cli, 0, sizeof(t->cli));
  memset(&t->srv, 0, sizeof(t->srv));
  t->accepted = 0;
  tf_rx(&t->srv, 64);
  tf_rx(&t->cli, 64);
  ZT_EQ(tf_connect(t, name), ZN_OK);
  tf_run(t, ZN_MS(200));
  bool open = t->cli.opened == 1 && t->srv.opened == 1;
  if (open) {
    ZT_EQ(zn_tls_get_info(t->cli.s, ci), ZN_OK);
    ZT_EQ(zn_tls_get_info(t->srv.s, si), ZN_OK);
    ZT_EQ(zn_stream_write(t->cli.s, "ping", 4), 4);
    tf_run(t, ZN_MS(50));
    ZT_EQU(t->srv.rx_len, 4);
    ZT_EQ(zn_stream_write(t->srv.s, "pong", 4), 4);
    tf_run(t, ZN_MS(50));
    ZT_EQU(t->cli.rx_len, 4);
  }
  if (t->cli.s && !t->cli.closed)
    zn_stream_close(t->cli.s);
  if (t->srv.s && !t->srv.closed)
    zn_stream_close(t->srv.s);
  tf_run(t, ZN_SEC(1));
  return open;
}

ZT_TEST(test_ticket_resumes_next_connection) {
  struct resume_env v;
  env_init(&v, 3600);
  struct zn_tls_info ci, si;
  ZT_REQUIRE(one_connection(&v.t, "localhost", &ci, &si));
  ZT_CHECK(!ci.resumed && !si.resumed);
  ZT_EQU(v.t.cstats.v[ZN_TLS_STAT_tickets_kept], 1);
  ZT_EQU(zn_tls_resume_count(v.store), 1);
  ZT_REQUIRE(one_connection(&v.t, "localhost", &ci, &si));
  ZT_CHECK(ci.resumed && si.resumed);
  ZT_EQ(ci.version, 0x0304);
  ZT_EQU(v.t.cstats.v[ZN_TLS_STAT_tickets_offered], 1);
  ZT_EQU(v.t.cstats.v[ZN_TLS_STAT_handshakes_resumed], 1);
  ZT_EQU(v.t.sstats.v[ZN_TLS_STAT_handshakes_resumed], 1);
  /* The offered ticket is gone; the resumed session's is kept. */
  ZT_EQU(v.t.cstats.v[ZN_TLS_STAT_tickets_kept], 2);
  ZT_EQU(zn_tls_resume_count(v.store), 1);
  /* And a third resumes with that one. */
  ZT_REQUIRE(one_connection(&v.t, "localhost", &ci, &si));
  ZT_CHECK(ci.resumed && si.resumed);
  ZT_EQU(v.t.cstats.v[ZN_TLS_STAT_handshakes_resumed], 2);
  ZT_EQU(v.t.cstats.v[ZN_TLS_STAT_handshakes_ok], 3);
  env_free(&v);
}

/* Kept under the name connected to: another name gets none (and fails
 * on the certificate's name, as it would anyway). */
ZT_TEST(test_ticket_not_offered_to_another_name) {
  struct resume_env v;
  env_init(&v, 3600);
  struct zn_tls_info ci, si;
  ZT_REQUIRE(one_connection(&v.t, "localhost", &ci, &si));
  ZT_CHECK(!one_connection(&v.t, "other.test", &ci, &si));
  ZT_EQU(v.t.cstats.v[ZN_TLS_STAT_tickets_offered], 0);
  ZT_EQU(zn_tls_resume_count(v.store), 1);
  ZT_EQU(v.t.cstats.v[ZN_TLS_STAT_failed_name_mismatch], 1);
  env_free(&v);
}

/* §4.6.1: not past its lifetime (the server's: 2 s here); the dead
 * ticket is dropped when met. */
ZT_TEST(test_ticket_not_offered_past_lifetime) {
  struct resume_env v;
  env_init(&v, 2);
  struct zn_tls_info ci, si;
  ZT_REQUIRE(one_connection(&v.t, "localhost", &ci, &si));
  ZT_EQU(zn_tls_resume_count(v.store), 1);
  tf_run(&v.t, ZN_SEC(3));
  ZT_REQUIRE(one_connection(&v.t, "localhost", &ci, &si));
  ZT_CHECK(!ci.resumed && !si.resumed);
  ZT_EQU(v.t.cstats.v[ZN_TLS_STAT_tickets_offered], 0);
  ZT_EQU(zn_tls_resume_count(v.store), 1); /* the new session's */
  env_free(&v);
}

/* A ticket the server cannot open (its keys changed): offered, not
 * taken, a full handshake. */
ZT_TEST(test_ticket_refused_gives_full_handshake) {
  struct resume_env v;
  env_init(&v, 3600);
  struct zn_tls_info ci, si;
  ZT_REQUIRE(one_connection(&v.t, "localhost", &ci, &si));
  static const uint8_t other[32] = {7};
  ZT_EQ(zn_tls_tickets_init(tmem, sizeof(tmem), other, 3600, &v.tk), ZN_OK);
  ZT_REQUIRE(one_connection(&v.t, "localhost", &ci, &si));
  ZT_CHECK(!ci.resumed && !si.resumed);
  ZT_EQU(v.t.cstats.v[ZN_TLS_STAT_tickets_offered], 1);
  ZT_EQU(v.t.cstats.v[ZN_TLS_STAT_handshakes_resumed], 0);
  env_free(&v);
}

/* The PSK is for its suite's hash (§4.2.11): a SHA-384 session's ticket
 * is not offered by a client that offers only SHA-256 suites, and one
 * offered to a server that picks a SHA-256 suite is not taken. */
ZT_TEST(test_ticket_bound_to_its_hash) {
  struct resume_env v;
  env_init(&v, 3600);
  struct zn_tls_info ci, si;
  v.t.ccfg.suites = ZN_TLS_SUITE(AES_256_GCM_SHA384);
  ZT_REQUIRE(one_connection(&v.t, "localhost", &ci, &si));
  ZT_EQ(ci.suite, 0x1302);
  v.t.ccfg.suites =
      ZN_TLS_SUITE(AES_128_GCM_SHA256) | ZN_TLS_SUITE(CHACHA20_POLY1305_SHA256);
  ZT_REQUIRE(one_connection(&v.t, "localhost", &ci, &si));
  ZT_CHECK(!ci.resumed);
  ZT_EQU(v.t.cstats.v[ZN_TLS_STAT_tickets_offered], 0);
  /* Now a SHA-256 ticket, offered to a server that takes only SHA-384. */
  v.t.ccfg.suites = 0;
  v.t.scfg.suites = ZN_TLS_SUITE(AES_256_GCM_SHA384);
  ZT_REQUIRE(one_connection(&v.t, "localhost", &ci, &si));
  ZT_EQ(ci.suite, 0x1302);
  ZT_CHECK(!ci.resumed && !si.resumed);
  ZT_EQU(v.t.cstats.v[ZN_TLS_STAT_tickets_offered], 1);
  env_free(&v);
}

/* A server that issues none: nothing kept, nothing offered. */
ZT_TEST(test_no_tickets_from_server) {
  struct resume_env v;
  env_init(&v, 3600);
  v.t.scfg.tickets = NULL;
  struct zn_tls_info ci, si;
  ZT_REQUIRE(one_connection(&v.t, "localhost", &ci, &si));
  ZT_REQUIRE(one_connection(&v.t, "localhost", &ci, &si));
  ZT_CHECK(!ci.resumed);
  ZT_EQU(v.t.cstats.v[ZN_TLS_STAT_tickets_kept], 0);
  ZT_EQU(v.t.cstats.v[ZN_TLS_STAT_tickets_offered], 0);
  env_free(&v);
}

/* A client that writes a millisecond after it is open (its Finished
 * gone in a segment of its own), to a server that sends nothing after
 * the handshake (no tickets): the request is not held by Nagle for the
 * server's delayed ACK of the Finished (40 ms); the echo is back at
 * once.  With tickets, the ticket's segment ACKs it anyway. */
static void request_after_open(bool tickets) {
  static const uint8_t req[100];
  struct resume_env v;
  env_init(&v, 3600);
  if (!tickets)
    v.t.scfg.tickets = NULL;
  tf_rx(&v.t.srv, 256);
  tf_rx(&v.t.cli, 256);
  v.t.srv.echo = true;
  ZT_EQ(tf_connect(&v.t, "localhost"), ZN_OK);
  for (int i = 0; i < 2000 && v.t.cli.opened == 0; i++)
    tf_run(&v.t, ZN_US(100));
  ZT_REQUIRE(v.t.cli.opened == 1);
  tf_run(&v.t, ZN_MS(1));
  ZT_EQ(zn_stream_write(v.t.cli.s, req, sizeof(req)), (long)sizeof(req));
  int i;
  for (i = 0; i < 2000 && v.t.cli.rx_len < sizeof(req); i++)
    tf_run(&v.t, ZN_US(100));
  printf("# tickets %s: the echo after %d.%d ms\n", tickets ? "on" : "off",
         i / 10, i % 10);
  ZT_CHECK(i <= 20);
  env_free(&v);
}

ZT_TEST(test_request_after_open_not_held) {
  request_after_open(false);
  request_after_open(true);
}

/* Connect, from a clock between two ticks of the timers, and poll the
 * pair one stack at a time, the clock moving only when no frame is on
 * the link, until the client is open: its Finished is then on the link
 * to the server, which has not read it. */
static void connect_until_client_open(struct tpair *t) {
  tf_rx(&t->srv, 256);
  tf_rx(&t->cli, 256);
  tf_run(t, ZN_US(250));
  ZT_EQ(tf_connect(t, "localhost"), ZN_OK);
  for (int i = 0; i < 100000 && t->cli.opened == 0; i++) {
    zn_stack_poll(t->p.a, t->p.now);
    if (t->cli.opened)
      break;
    zn_stack_poll(t->p.b, t->p.now);
    if (!t->p.link.a.rxq.count && !t->p.link.b.rxq.count)
      t->p.now += ZN_US(10);
  }
  ZT_REQUIRE(t->cli.opened == 1);
}

/* One poll of the server: the TCP segments it sent. */
static uint64_t server_poll_segments(struct tpair *t) {
  uint64_t before = zn_stat(t->p.b, ZN_STAT_tcp_seg_tx);
  zn_stack_poll(t->p.b, t->p.now);
  return zn_stat(t->p.b, ZN_STAT_tcp_seg_tx) - before;
}

/* The client's Finished and its request in segments of their own, read
 * by the server in one poll (openssl s_time writes them so): the ticket
 * made at the Finished leaves with the echo, in one segment, not in one
 * of its own ahead of it. */
ZT_TEST(test_ticket_rides_with_answer) {
  static const uint8_t req[100];
  struct resume_env v;
  env_init(&v, 3600);
  v.t.srv.echo = true;
  connect_until_client_open(&v.t);
  ZT_EQ(zn_stream_write(v.t.cli.s, req, sizeof(req)), (long)sizeof(req));
  zn_stack_flush(v.t.p.a);
  ZT_EQU(v.t.p.link.b.rxq.count, 2); /* the Finished, the request */
  ZT_EQU(server_poll_segments(&v.t), 1);
  tf_run(&v.t, ZN_MS(10));
  ZT_EQU(v.t.cli.rx_len, sizeof(req));
  ZT_EQU(v.t.cstats.v[ZN_TLS_STAT_tickets_kept], 1);
  env_free(&v);
}

/* No request behind the Finished: the ticket waits for none, it leaves
 * in the poll that read the Finished. */
ZT_TEST(test_ticket_alone_not_delayed) {
  struct resume_env v;
  env_init(&v, 3600);
  connect_until_client_open(&v.t);
  ZT_EQU(v.t.p.link.b.rxq.count, 1);
  ZT_EQU(server_poll_segments(&v.t), 1);
  zn_stack_poll(v.t.p.a, v.t.p.now);
  ZT_EQU(v.t.cstats.v[ZN_TLS_STAT_tickets_kept], 1);
  env_free(&v);
}

/* A client that closes as soon as it is open: its Finished and its
 * close_notify read in one poll.  The handshake counts as done on the
 * server (not as a close_notify in the middle of it), and the server
 * opens, reads the end and fails nothing. */
ZT_TEST(test_close_right_after_open_is_clean) {
  struct resume_env v;
  env_init(&v, 3600);
  v.t.srv.close_on_eof = true;
  connect_until_client_open(&v.t);
  zn_stream_close(v.t.cli.s);
  zn_stack_flush(v.t.p.a);
  tf_run(&v.t, ZN_SEC(1));
  ZT_EQU(v.t.sstats.v[ZN_TLS_STAT_handshakes_ok], 1);
  ZT_EQU(v.t.sstats.v[ZN_TLS_STAT_handshakes_failed], 0);
  ZT_EQ(v.t.srv.errors, 0);
  ZT_EQ(v.t.srv.opened, 1);
  ZT_EQ(v.t.srv.eof, 1);
  env_free(&v);
}

/* ---- the store ---- */

static void ticket(struct zn__tls13_resume_ticket *t, uint8_t tag,
                   uint64_t received_ms) {
  *t = (struct zn__tls13_resume_ticket){.received_ms = received_ms,
                                        .lifetime_s = 60,
                                        .suite = 0x1301,
                                        .psk_len = 32,
                                        .ticket_len = 100};
  memset(t->psk, tag, 32);
  memset(t->ticket, tag, 100);
}

ZT_TEST(test_store_oldest_out_newest_offered) {
  static _Alignas(64) uint8_t mem[4096];
  struct zn_tls_resume *r;
  ZT_REQUIRE(zn_tls_resume_mem_size(3) <= sizeof(mem));
  ZT_EQ(zn_tls_resume_init(mem, sizeof(mem), 3, &r), ZN_OK);
  struct zn__tls13_resume_ticket t, out;
  for (uint8_t i = 1; i <= 4; i++) { /* 1 goes out for 4 */
    ticket(&t, i, 1000);
    ZT_EQ(zn__tls13_resume_keep(r, i == 3 ? "b.test" : "a.test", &t), ZN_OK);
  }
  ZT_EQU(zn_tls_resume_count(r), 3);
  ZT_REQUIRE(zn__tls13_resume_take(r, "a.test", 2000, &out));
  ZT_EQ(out.ticket[0], 4);
  ZT_EQU(out.ticket_len, 100);
  ZT_REQUIRE(zn__tls13_resume_take(r, "a.test", 2000, &out));
  ZT_EQ(out.ticket[0], 2);
  ZT_CHECK(!zn__tls13_resume_take(r, "a.test", 2000, &out)); /* 1: out */
  ZT_REQUIRE(zn__tls13_resume_take(r, "b.test", 2000, &out));
  ZT_EQ(out.psk[31], 3);
  ZT_EQU(zn_tls_resume_count(r), 0);
  /* No name is a name of its own; a dead ticket is dropped when met;
   * one too long is not kept; a clock gone back finds none alive. */
  ticket(&t, 5, 1000);
  ZT_EQ(zn__tls13_resume_keep(r, NULL, &t), ZN_OK);
  ZT_CHECK(!zn__tls13_resume_take(r, "a.test", 2000, &out));
  ZT_CHECK(!zn__tls13_resume_take(r, NULL, 500, &out));
  ZT_CHECK(!zn__tls13_resume_take(r, NULL, 1000 + 60000, &out));
  ZT_EQU(zn_tls_resume_count(r), 0);
  t.ticket_len = ZN_TLS_RESUME_TICKET_MAX + 1;
  ZT_EQ(zn__tls13_resume_keep(r, "a.test", &t), ZN_EMSGSIZE);
  ZT_EQU(zn_tls_resume_count(r), 0);
}

ZT_TEST(test_store_init_checked) {
  static _Alignas(64) uint8_t mem[2048];
  struct zn_tls_resume *r;
  ZT_EQ(zn_tls_resume_init(mem, sizeof(mem), 0, &r), ZN_EINVAL);
  ZT_EQ(zn_tls_resume_init(NULL, sizeof(mem), 1, &r), ZN_EINVAL);
  ZT_EQ(zn_tls_resume_init(mem + 1, sizeof(mem) - 1, 1, &r), ZN_EINVAL);
  ZT_EQ(zn_tls_resume_init(mem, sizeof(mem), 65537, &r), ZN_EINVAL);
  ZT_EQ(zn_tls_resume_init(mem, zn_tls_resume_mem_size(2) - 1, 2, &r),
        ZN_ENOMEM);
  ZT_EQ(zn_tls_resume_init(mem, zn_tls_resume_mem_size(2), 2, &r), ZN_OK);
  ZT_EQU(zn_tls_resume_count(r), 0);
}

int main(void) {
  ZT_RUN(test_ticket_resumes_next_connection);
  ZT_RUN(test_ticket_not_offered_to_another_name);
  ZT_RUN(test_ticket_not_offered_past_lifetime);
  ZT_RUN(test_ticket_refused_gives_full_handshake);
  ZT_RUN(test_ticket_bound_to_its_hash);
  ZT_RUN(test_no_tickets_from_server);
  ZT_RUN(test_request_after_open_not_held);
  ZT_RUN(test_ticket_rides_with_answer);
  ZT_RUN(test_ticket_alone_not_delayed);
  ZT_RUN(test_close_right_after_open_is_clean);
  ZT_RUN(test_store_oldest_out_newest_offered);
  ZT_RUN(test_store_init_checked);
  return zt_done();
}
