/*
 * The HTTP server under load (http/http_server.c): small slots and
 * a shared pool of request contexts, and whom the server closes when
 * either runs out.  Over memlink on the virtual clock, with the fixture
 * of test_http_server.c: idle connections go first, then the slowest
 * head, body or reader, never the newcomer and never one younger than
 * grace_ms; a connection finding every context taken waits unread and
 * is served in its turn, nothing lost; the counters say who was closed
 * and why; the block's size for more than 65,535 connections.
 */
#include "httpd_fixture.h"

#define GET(path) "GET " path " HTTP/1.1\r\nHost: a\r\n\r\n"

static bool body_is(const struct hresp *r, const char *path) {
  size_t n;
  const uint8_t *want = hf_file(path, &n);
  return r->body_len == n && memcmp(r->body, want, n) == 0;
}

/* The first response cl has, its status (0: none). */
static int first_status(const struct hcli *cl) {
  struct hresp r;
  if (hr_parse(cl->rx, cl->rx_len, false, &r) == 0)
    return 0;
  return r.status;
}

static uint32_t ctx_open(struct hfix *hf) {
  struct zn_http_server_stats s;
  zn_http_server_get_stats(hf->srv, &s);
  return s.ctx_open;
}

ZT_TEST(test_idle_connection_evicted_before_slow_heads) {
  struct hfix hf;
  hf_init(&hf);
  hf.cfg.max_conns = 3;
  hf.cfg.grace_ms = 200;
  hf_start(&hf);
  struct hcli slow0, kept, slow1, fresh;
  hcli_open(&hf, &slow0, HF_PORT);
  hcli_sends(&slow0, "GET / HT");
  hcli_open(&hf, &kept, HF_PORT);
  hcli_sends(&kept, GET("/hello.txt")); /* served, then idle */
  hcli_open(&hf, &slow1, HF_PORT);
  hcli_sends(&slow1, "GET / HT");
  hf_run(&hf, ZN_MS(500)); /* the slow heads are judged by now */
  ZT_EQ(first_status(&kept), 200);
  hcli_open(&hf, &fresh, HF_PORT);
  hcli_sends(&fresh, GET("/hello.txt"));
  hf_run(&hf, ZN_MS(50));
  ZT_EQ(first_status(&fresh), 200);
  ZT_EQ(kept.eof, 1); /* the idle one closed, gracefully */
  ZT_EQ(slow0.errors + slow0.eof + slow1.errors + slow1.eof, 0);
  ZT_EQU(HF_STAT(&hf, conns_evicted_idle), 1);
  ZT_EQU(HF_STAT(&hf, conns_evicted_slow_head), 0);
  hcli_done(&hf, &slow0);
  hcli_done(&hf, &kept);
  hcli_done(&hf, &slow1);
  hcli_done(&hf, &fresh);
  hf_free(&hf);
}

ZT_TEST(test_full_slots_close_slowest_head_not_newcomer) {
  struct hfix hf;
  hf_init(&hf);
  hf.cfg.max_conns = 3;
  hf.cfg.grace_ms = 200;
  hf_start(&hf);
  struct hcli a, b, c, fresh;
  hcli_open(&hf, &a, HF_PORT);
  hcli_open(&hf, &b, HF_PORT);
  hcli_open(&hf, &c, HF_PORT);
  /* a sends a line now and then, b one byte and no more, c a little. */
  hcli_sends(&a, "GET /hello.txt HTTP/1.1\r\n");
  hcli_sends(&b, "G");
  hcli_sends(&c, "GET /hel");
  for (int i = 0; i < 4; i++) {
    hf_run(&hf, ZN_MS(100));
    hcli_sends(&a, "X-Pad: more\r\n");
  }
  hcli_open(&hf, &fresh, HF_PORT);
  hcli_sends(&fresh, GET("/hello.txt"));
  hf_run(&hf, ZN_MS(50));
  ZT_EQ(first_status(&fresh), 200); /* the newcomer is served */
  ZT_EQ(b.errors, 1);               /* the slowest head was reset */
  ZT_EQ(b.last_err, ZN_ECONNRESET);
  ZT_EQ(a.errors + a.eof + c.errors + c.eof, 0);
  ZT_EQU(HF_STAT(&hf, conns_evicted_slow_head), 1);
  ZT_EQU(HF_STAT(&hf, conns_evicted_idle), 0);
  ZT_EQU(HF_STAT(&hf, conns_refused), 0);
  /* The others finish their heads and are served. */
  hcli_sends(&a, "Host: a\r\n\r\n");
  hcli_sends(&c, "lo.txt HTTP/1.1\r\nHost: a\r\n\r\n");
  hf_run(&hf, ZN_MS(50));
  ZT_EQ(first_status(&a), 200);
  ZT_EQ(first_status(&c), 200);
  hcli_done(&hf, &a);
  hcli_done(&hf, &b);
  hcli_done(&hf, &c);
  hcli_done(&hf, &fresh);
  hf_free(&hf);
}

ZT_TEST(test_full_slots_close_slowest_body) {
  struct hfix hf;
  hf_init(&hf);
  hf.cfg.max_conns = 2;
  hf.cfg.grace_ms = 200;
  hf_start(&hf);
  struct hcli body, head, fresh;
  hcli_open(&hf, &body, HF_PORT);
  hcli_sends(&body, "GET /hello.txt HTTP/1.1\r\nHost: a\r\n"
                    "Content-Length: 4000\r\n\r\nab");
  hcli_open(&hf, &head, HF_PORT);
  hcli_sends(&head, "GET /hello.txt HTTP/1.1\r\nHost: a\r\n");
  hf_run(&hf, ZN_MS(100));
  ZT_EQ(first_status(&body), 200); /* answered; its body is dropped */
  ZT_EQU(ctx_open(&hf), 1);        /* none held to drop a body */
  for (int i = 0; i < 4; i++) {    /* both trickle */
    hcli_sends(&body, "c");
    hcli_sends(&head, "X-Pad: more bytes here\r\n");
    hf_run(&hf, ZN_MS(100));
  }
  hcli_open(&hf, &fresh, HF_PORT);
  hcli_sends(&fresh, GET("/hello.txt"));
  hf_run(&hf, ZN_MS(50));
  ZT_EQ(first_status(&fresh), 200);
  ZT_EQ(body.errors, 1);
  ZT_EQ(head.errors + head.eof, 0);
  ZT_EQU(HF_STAT(&hf, conns_evicted_slow_body), 1);
  hcli_done(&hf, &body);
  hcli_done(&hf, &head);
  hcli_done(&hf, &fresh);
  hf_free(&hf);
}

ZT_TEST(test_slowest_context_holder_closed_for_a_waiter) {
  struct hfix hf;
  hf_init(&hf);
  hf.cfg.busy_max = 2;
  hf.cfg.grace_ms = 200;
  hf_start(&hf);
  struct hcli moving, stuck, fresh;
  hcli_open(&hf, &moving, HF_PORT);
  hcli_open(&hf, &stuck, HF_PORT);
  hcli_sends(&moving, "GET /hello.txt HTTP/1.1\r\n");
  hcli_sends(&stuck, "GET /hello.txt HTTP/1.1\r\n");
  for (int i = 0; i < 4; i++) {
    hf_run(&hf, ZN_MS(100));
    hcli_sends(&moving, "X-Pad: more\r\n");
  }
  ZT_EQU(ctx_open(&hf), 2);
  hcli_open(&hf, &fresh, HF_PORT);
  hcli_sends(&fresh, GET("/hello.txt"));
  hf_run(&hf, ZN_MS(50));
  ZT_EQ(first_status(&fresh), 200);
  ZT_EQ(stuck.errors, 1);
  ZT_EQ(moving.errors + moving.eof, 0);
  ZT_EQU(HF_STAT(&hf, conns_evicted_slow_head), 1);
  ZT_EQU(HF_STAT(&hf, busy_waits), 0); /* served at once */
  hcli_sends(&moving, "Host: a\r\n\r\n");
  hf_run(&hf, ZN_MS(50));
  ZT_EQ(first_status(&moving), 200);
  ZT_EQU(ctx_open(&hf), 0); /* all idle: every context back */
  hcli_done(&hf, &moving);
  hcli_done(&hf, &stuck);
  hcli_done(&hf, &fresh);
  hf_free(&hf);
}

ZT_TEST(test_slowest_reader_closed_for_a_waiter) {
  struct hfix hf;
  hf_init(&hf);
  hf.cfg.busy_max = 1;
  hf.cfg.grace_ms = 200;
  hf_start(&hf);
  struct hcli reader, fresh;
  hcli_open(&hf, &reader, HF_PORT);
  reader.hold = true; /* reads nothing: the window closes */
  hcli_pipeline(&reader, "/big.bin", 100);
  hf_run(&hf, ZN_MS(500));
  ZT_EQU(ctx_open(&hf), 1); /* its response waits on the client */
  hcli_open(&hf, &fresh, HF_PORT);
  hcli_sends(&fresh, GET("/hello.txt"));
  hf_run(&hf, ZN_MS(50));
  ZT_EQ(first_status(&fresh), 200);
  ZT_EQ(reader.errors, 1);
  ZT_EQU(HF_STAT(&hf, conns_evicted_slow_read), 1);
  ZT_EQ(hf.src.holds, hf.src.releases);
  hcli_done(&hf, &reader);
  hcli_done(&hf, &fresh);
  hf_free(&hf);
}

ZT_TEST(test_young_holders_kept_waiters_served_in_order) {
  struct hfix hf;
  hf_init(&hf);
  hf.cfg.busy_max = 1;
  hf.cfg.grace_ms = 5000;
  hf_start(&hf);
  struct hcli holder, w1, w2;
  hcli_open(&hf, &holder, HF_PORT);
  hcli_open(&hf, &w1, HF_PORT);
  hcli_open(&hf, &w2, HF_PORT);
  hcli_sends(&holder, "GET /hello.txt HTTP/1.1\r\n");
  hf_run(&hf, ZN_MS(10));
  hcli_sends(&w1, GET("/hello.txt"));
  hf_run(&hf, ZN_MS(10));
  hcli_sends(&w2, GET("/index.html"));
  hf_run(&hf, ZN_MS(500));
  /* Nobody is judged yet: the two wait, unread. */
  ZT_EQU(HF_STAT(&hf, busy_waits), 2);
  ZT_EQU(HF_STAT(&hf, requests), 0);
  ZT_EQU(w1.rx_len + w2.rx_len, 0);
  hcli_sends(&holder, "Host: a\r\n\r\n");
  hf_run(&hf, ZN_MS(50));
  ZT_EQ(first_status(&holder), 200);
  ZT_EQ(first_status(&w1), 200);
  ZT_EQ(first_status(&w2), 200);
  ZT_STREQ(hf.last_target, "/index.html"); /* w2's, after w1's */
  ZT_EQU(HF_STAT(&hf, requests), 3);
  ZT_EQU(HF_STAT(&hf, conns_evicted_slow_head), 0);
  struct zn_http_server_stats s;
  zn_http_server_get_stats(hf.srv, &s);
  ZT_EQU(s.ctx_max, 1);
  ZT_EQU(s.ctx_open, 0);
  hcli_done(&hf, &holder);
  hcli_done(&hf, &w1);
  hcli_done(&hf, &w2);
  hf_free(&hf);
}

/* A context given back hands itself to the waiter in the same poll:
 * the kick is armed for a time gone by, not for the next 1 ms tick
 * (which the clock, off a tick here, has not reached).  The holder's
 * body is copied, not referenced, so its context comes back as its
 * response is written. */
ZT_TEST(test_context_given_back_serves_waiter_in_same_poll) {
  struct hfix hf;
  hf_init(&hf);
  hf.cfg.busy_max = 1;
  hf.cfg.grace_ms = 5000;
  hf.src.holdable = false;
  hf_start(&hf);
  struct hcli holder, w;
  hcli_open(&hf, &holder, HF_PORT);
  hcli_open(&hf, &w, HF_PORT);
  hcli_sends(&holder, "GET /hello.txt HTTP/1.1\r\n");
  hf_run(&hf, ZN_MS(10));
  hcli_sends(&w, GET("/index.html"));
  hf_run(&hf, ZN_MS(10) + ZN_US(250));
  ZT_EQU(HF_STAT(&hf, busy_waits), 1);
  ZT_EQU(w.rx_len, 0);
  ZT_CHECK(hf.p.now % ZN_MS(1) != 0);
  uint64_t t = hf.p.now;
  hcli_sends(&holder, "Host: a\r\n\r\n");
  hf_run(&hf, 0); /* this instant only */
  ZT_EQU(hf.p.now, t);
  ZT_EQ(first_status(&holder), 200);
  ZT_EQ(first_status(&w), 200);
  ZT_STREQ(hf.last_target, "/index.html");
  hcli_done(&hf, &holder);
  hcli_done(&hf, &w);
  hf_free(&hf);
}

#define MANY 40

/* MANY connections, 2 contexts: each sends half a head, then the rest
 * and two more requests pipelined; every response arrives whole, in
 * order, and nobody is closed. */
ZT_TEST(test_many_heads_at_once_share_two_contexts) {
  struct hfix hf;
  hf_init_conns(&hf, 2 * MANY + 16);
  hf.cfg.max_conns = MANY;
  hf.cfg.busy_max = 2;
  hf_start(&hf);
  static struct hcli cl[MANY];
  for (int i = 0; i < MANY; i++)
    hcli_open(&hf, &cl[i], HF_PORT);
  for (int i = 0; i < MANY; i++)
    hcli_sends(&cl[i], "GET /big.bin HTTP/1.1\r\nHo");
  hf_run(&hf, ZN_MS(20));
  ZT_EQU(HF_STAT(&hf, busy_waits), MANY - 2);
  for (int i = 0; i < MANY; i++)
    hcli_sends(&cl[i], "st: a\r\n\r\n" GET("/hello.txt") GET("/big.bin"));
  hf_run(&hf, ZN_SEC(3));
  int whole = 0;
  for (int i = 0; i < MANY; i++) {
    struct hresp rs[3];
    if (hr_all(&cl[i], rs, 3, NULL) == 3 && body_is(&rs[0], "big.bin") &&
        body_is(&rs[1], "hello.txt") && body_is(&rs[2], "big.bin"))
      whole++;
  }
  ZT_EQ(whole, MANY);
  ZT_EQU(HF_STAT(&hf, requests), 3 * MANY);
  ZT_EQU(HF_STAT(&hf, conns_evicted_slow_head) +
             HF_STAT(&hf, conns_evicted_slow_read) +
             HF_STAT(&hf, header_timeouts),
         0);
  struct zn_http_server_stats s;
  zn_http_server_get_stats(hf.srv, &s);
  ZT_EQU(s.ctx_max, 2);
  ZT_EQU(s.ctx_open, 0);
  ZT_EQ(hf.src.holds, hf.src.releases);
  for (int i = 0; i < MANY; i++)
    hcli_done(&hf, &cl[i]);
  hf_free(&hf);
}

/* A waiter's head is timed from its first byte, waiting included. */
ZT_TEST(test_waiter_closed_at_header_timeout) {
  struct hfix hf;
  hf_init(&hf);
  hf.cfg.busy_max = 1;
  hf.cfg.grace_ms = 60000;
  hf.cfg.header_timeout_ms = 500;
  hf_start(&hf);
  struct hcli holder, waiter;
  hcli_open(&hf, &holder, HF_PORT);
  hcli_sends(&holder, GET("/hello.txt") "GET /hel");
  hf_run(&hf, ZN_MS(300));
  hcli_open(&hf, &waiter, HF_PORT);
  hcli_sends(&waiter, GET("/hello.txt"));
  hf_run(&hf, ZN_MS(250)); /* the holder's head times out: the waiter's
                              turn */
  ZT_EQ(holder.eof, 1);
  ZT_EQ(first_status(&waiter), 200);
  /* Now a holder that will not let go for a long while (a reader that
   * reads nothing, its response waiting): the waiter's head times out
   * while it waits. */
  hcli_done(&hf, &holder);
  hcli_open(&hf, &holder, HF_PORT);
  holder.hold = true;
  hcli_pipeline(&holder, "/big.bin", 100);
  hf_run(&hf, ZN_MS(100));
  waiter.rx_len = 0;
  hcli_sends(&waiter, GET("/hello.txt"));
  hf_run(&hf, ZN_MS(600));
  /* Closed with its request unread: TCP resets (RFC 9293 §3.10.4). */
  ZT_EQ(waiter.eof + waiter.errors, 1);
  ZT_EQU(waiter.rx_len, 0);
  ZT_EQU(HF_STAT(&hf, header_timeouts), 2);
  hcli_done(&hf, &holder);
  hcli_done(&hf, &waiter);
  hf_free(&hf);
}

/* Responses copied into the stream and not read by the client: at the
 * idle timeout a FIN would wait behind them (and the stack's buffers
 * with it) as long as the client likes; a reset frees them. */
ZT_TEST(test_idle_timeout_resets_unread_responses) {
  struct hfix hf;
  hf_init(&hf);
  hf.cfg.idle_timeout_ms = 300;
  hf_start(&hf);
  struct hcli cl;
  hcli_open(&hf, &cl, HF_PORT);
  cl.hold = true; /* its window fills; the rest waits in ours */
  hcli_pipeline(&cl, "/index.html", 300);
  hf_run(&hf, ZN_MS(200));
  ZT_EQU(HF_STAT(&hf, requests), 300); /* all taken: idle */
  uint32_t bufs = zn_stack_bufs_in_use(hf.p.b);
  hf_run(&hf, ZN_MS(300));
  ZT_EQU(HF_STAT(&hf, idle_timeouts), 1);
  ZT_EQ(cl.errors, 1); /* reset */
  ZT_CHECK(zn_stack_bufs_in_use(hf.p.b) + 20 < bufs);
  hcli_done(&hf, &cl);
  hf_free(&hf);
}

/* Above bufs_high the stack's buffers go to newcomers: the oldest idle
 * connection with unread responses is reset when one arrives. */
ZT_TEST(test_newcomer_above_bufs_high_resets_unread) {
  struct hfix hf;
  hf_init(&hf);
  hf.cfg.bufs_high = 10;
  hf_start(&hf);
  struct hcli reader, quick, fresh;
  hcli_open(&hf, &quick, HF_PORT);
  hcli_sends(&quick, GET("/hello.txt")); /* idle, everything read */
  hcli_open(&hf, &reader, HF_PORT);
  reader.hold = true;
  hcli_pipeline(&reader, "/index.html", 300);
  hf_run(&hf, ZN_MS(200));
  ZT_CHECK(zn_stack_bufs_in_use(hf.p.b) > 10);
  hcli_open(&hf, &fresh, HF_PORT);
  hcli_sends(&fresh, GET("/hello.txt"));
  hf_run(&hf, ZN_MS(50));
  ZT_EQ(first_status(&fresh), 200);
  ZT_EQ(reader.errors, 1);
  ZT_EQ(quick.errors + quick.eof, 0); /* idle, but nothing unread */
  ZT_EQU(HF_STAT(&hf, conns_evicted_slow_read), 1);
  ZT_CHECK(zn_stack_bufs_in_use(hf.p.b) <= 10);
  hcli_done(&hf, &reader);
  hcli_done(&hf, &quick);
  hcli_done(&hf, &fresh);
  hf_free(&hf);
}

ZT_TEST(test_more_than_65535_slots_sized_exactly) {
  struct hfix hf;
  hf_init(&hf);
  struct zn_http_server_cfg c = hf.cfg;
  c.max_conns = 100000;
  c.busy_max = 16;
  size_t big = zn_http_server_mem_size(&c);
  ZT_CHECK(big > 0);
  c.max_conns = 99999;
  size_t less = zn_http_server_mem_size(&c);
  ZT_CHECK(less > 0 && big - less <= zn_http_server_slot_size() + 16);
  ZT_CHECK(zn_http_server_slot_size() <= 256);
  c.max_conns = ZN_HTTP_MAX_CONNS + 1;
  ZT_EQU(zn_http_server_mem_size(&c), 0);
  c.max_conns = 10;
  c.busy_max = 11; /* more contexts than connections */
  ZT_EQU(zn_http_server_mem_size(&c), 0);
  c.busy_max = 0;
  c.grace_ms = 3600001;
  ZT_EQU(zn_http_server_mem_size(&c), 0);
  /* Served from exactly its size: 100,000 slots. */
  hf.cfg.max_conns = 100000;
  hf.cfg.busy_max = 16;
  hf_start(&hf);
  struct hcli cl;
  ZT_EQ(hf_ask(&hf, &cl, GET("/hello.txt"), (struct hresp[1]){{0}}), 200);
  hcli_done(&hf, &cl);
  hf_free(&hf);
}

int main(void) {
  ZT_RUN(test_idle_connection_evicted_before_slow_heads);
  ZT_RUN(test_full_slots_close_slowest_head_not_newcomer);
  ZT_RUN(test_full_slots_close_slowest_body);
  ZT_RUN(test_slowest_context_holder_closed_for_a_waiter);
  ZT_RUN(test_slowest_reader_closed_for_a_waiter);
  ZT_RUN(test_young_holders_kept_waiters_served_in_order);
  ZT_RUN(test_context_given_back_serves_waiter_in_same_poll);
  ZT_RUN(test_many_heads_at_once_share_two_contexts);
  ZT_RUN(test_waiter_closed_at_header_timeout);
  ZT_RUN(test_idle_timeout_resets_unread_responses);
  ZT_RUN(test_newcomer_above_bufs_high_resets_unread);
  ZT_RUN(test_more_than_65535_slots_sized_exactly);
  return zt_done();
}
