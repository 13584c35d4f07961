/* Unit tests of netif/memlink.c. */
#include "nif_test.h"

ZT_TEST(test_defaults) {
  struct zn_memlink l;
  zn_memlink_init(&l, 0, 0);
  ZT_EQU(l.a.nif.mtu, ZN_DEFAULT_MTU);
  ZT_EQU(l.b.nif.mtu, ZN_DEFAULT_MTU);
  ZT_EQU(l.a.qlen, 256);
  ZT_CHECK(!l.a.nif.has_mac && !l.b.nif.has_mac);
  ZT_STREQ(l.a.nif.ops->kind, "memlink");
  ZT_CHECK(l.a.peer == &l.b && l.b.peer == &l.a);
  ZT_EQU(zn_netif_now(&l.a.nif), ZN_TIME_NEVER);
  ZT_EQ(zn_netif_wait(&l.a.nif, 0), ZN_OK);

  zn_memlink_init(&l, 9000, 7);
  ZT_EQU(l.a.nif.mtu, 9000);
  ZT_EQU(l.b.qlen, 7);
}

ZT_TEST(test_both_ways_byte_exact) {
  struct nt_pool pa, pb;
  ZT_REQUIRE(nt_pool_init(&pa, 32, ZN_BUF_SIZE) == ZN_OK);
  ZT_REQUIRE(nt_pool_init(&pb, 32, ZN_BUF_SIZE) == ZN_OK);
  struct zn_memlink l;
  zn_memlink_init(&l, 0, 0);
  nt_attach(&l.a.nif, &pa);
  nt_attach(&l.b.nif, &pb);

  struct zn_buf *b;
  ZT_EQ(zn_netif_recv(&l.b.nif, &b), ZN_EAGAIN);
  const uint32_t lens[] = {14, 60, 1514, 1518, 100};
  for (uint32_t i = 0; i < 5; i++)
    ZT_EQ(zn_netif_send(&l.a.nif, nt_frame(&pa, lens[i], i)), ZN_OK);
  ZT_EQU(l.b.rxq.count, 5);
  ZT_EQU(zn_pool_in_use(&pa.pool), 5); /* queued by reference */
  for (uint32_t i = 0; i < 5; i++) {
    b = NULL;
    ZT_REQUIRE(zn_netif_recv(&l.b.nif, &b) == ZN_OK);
    ZT_CHECK(b->pool == &pb.pool); /* copied into the receiver's pool */
    ZT_EQU(zn_buf_headroom(b), ZN_BUF_HEADROOM);
    ZT_CHECK(nt_frame_ok(b, lens[i], i));
    zn_buf_free(b);
  }
  ZT_EQ(zn_netif_recv(&l.b.nif, &b), ZN_EAGAIN);
  ZT_EQU(zn_pool_in_use(&pa.pool), 0);

  ZT_EQ(zn_netif_send(&l.b.nif, nt_frame(&pb, 77, 42)), ZN_OK);
  ZT_REQUIRE(zn_netif_recv(&l.a.nif, &b) == ZN_OK);
  ZT_CHECK(b->pool == &pa.pool);
  ZT_CHECK(nt_frame_ok(b, 77, 42));
  zn_buf_free(b);

  ZT_EQU(l.a.tx_frames, 5);
  ZT_EQU(l.b.rx_frames, 5);
  ZT_EQU(l.b.tx_frames, 1);
  ZT_EQU(l.a.rx_frames, 1);
  ZT_EQU(l.a.drops + l.b.drops, 0);
  nt_pool_fini(&pa);
  nt_pool_fini(&pb);
}

ZT_TEST(test_queue_bound) {
  struct nt_pool p;
  ZT_REQUIRE(nt_pool_init(&p, 32, ZN_BUF_SIZE) == ZN_OK);
  struct zn_memlink l;
  zn_memlink_init(&l, 0, 4);
  nt_attach(&l.a.nif, &p);
  nt_attach(&l.b.nif, &p);
  int ok = 0, full = 0;
  for (uint32_t i = 0; i < 10; i++) {
    int rc = zn_netif_send(&l.a.nif, nt_frame(&p, 60, i));
    ok += rc == ZN_OK;
    full += rc == ZN_ENOBUFS;
  }
  ZT_EQ(ok, 4);
  ZT_EQ(full, 6);
  ZT_EQU(l.a.drops, 6);
  ZT_EQU(l.b.rxq.count, 4);
  ZT_EQU(zn_pool_in_use(&p.pool), 4); /* the dropped ones were freed */
  /* The first four made it, in order. */
  for (uint32_t i = 0; i < 4; i++) {
    struct zn_buf *b;
    ZT_REQUIRE(zn_netif_recv(&l.b.nif, &b) == ZN_OK);
    ZT_CHECK(nt_frame_ok(b, 60, i));
    zn_buf_free(b);
  }
  /* Room again. */
  ZT_EQ(zn_netif_send(&l.a.nif, nt_frame(&p, 60, 99)), ZN_OK);
  zn_memlink_purge(&l);
  nt_pool_fini(&p);
}

ZT_TEST(test_no_buffer_drops) {
  struct nt_pool p;
  ZT_REQUIRE(nt_pool_init(&p, 8, ZN_BUF_SIZE) == ZN_OK);
  struct zn_memlink l;
  zn_memlink_init(&l, 0, 0);
  nt_attach(&l.a.nif, &p);
  /* b has no alloc hook: every frame it reads is dropped, one per call. */
  ZT_EQ(zn_netif_send(&l.a.nif, nt_frame(&p, 60, 1)), ZN_OK);
  ZT_EQ(zn_netif_send(&l.a.nif, nt_frame(&p, 60, 2)), ZN_OK);
  struct zn_buf *b = NULL;
  ZT_EQ(zn_netif_recv(&l.b.nif, &b), ZN_EAGAIN);
  ZT_CHECK(b == NULL);
  ZT_EQU(l.b.drops, 1);
  ZT_EQU(l.b.rxq.count, 1);
  ZT_EQU(zn_pool_in_use(&p.pool), 1);
  ZT_EQ(zn_netif_recv(&l.b.nif, &b), ZN_EAGAIN);
  ZT_EQU(l.b.drops, 2);
  ZT_EQU(l.b.rx_frames, 0);
  nt_pool_fini(&p);
}

ZT_TEST(test_too_big_for_receiver) {
  struct nt_pool pa, pb;
  ZT_REQUIRE(nt_pool_init(&pa, 8, ZN_BUF_SIZE) == ZN_OK);
  ZT_REQUIRE(nt_pool_init(&pb, 8, ZN_BUF_HEADROOM + 64) == ZN_OK);
  struct zn_memlink l;
  zn_memlink_init(&l, 0, 0);
  nt_attach(&l.a.nif, &pa);
  nt_attach(&l.b.nif, &pb);
  ZT_EQ(zn_netif_send(&l.a.nif, nt_frame(&pa, 100, 1)), ZN_OK);
  ZT_EQ(zn_netif_send(&l.a.nif, nt_frame(&pa, 64, 2)), ZN_OK);
  struct zn_buf *b;
  ZT_EQ(zn_netif_recv(&l.b.nif, &b), ZN_EAGAIN);
  ZT_EQU(l.b.drops, 1);
  ZT_REQUIRE(zn_netif_recv(&l.b.nif, &b) == ZN_OK);
  ZT_CHECK(nt_frame_ok(b, 64, 2));
  zn_buf_free(b);
  nt_pool_fini(&pa);
  nt_pool_fini(&pb);
}

/* A buffer someone else still holds is copied, not linked into the queue
 * (its `next` belongs to the other holder). */
ZT_TEST(test_shared_buffer_copied) {
  struct nt_pool p;
  ZT_REQUIRE(nt_pool_init(&p, 8, ZN_BUF_SIZE) == ZN_OK);
  struct zn_memlink l;
  zn_memlink_init(&l, 0, 0);
  nt_attach(&l.a.nif, &p);
  nt_attach(&l.b.nif, &p);
  struct zn_buf *orig = nt_frame(&p, 90, 5);
  ZT_REQUIRE(orig);
  struct zn_buf sentinel;
  orig->next = &sentinel;
  ZT_EQ(zn_netif_send(&l.a.nif, zn_buf_ref(orig)), ZN_OK);
  ZT_EQ(zn_netif_send(&l.a.nif, zn_buf_ref(orig)), ZN_OK); /* twice */
  ZT_EQU(orig->ref, 1);
  ZT_CHECK(orig->next == &sentinel);
  ZT_CHECK(l.b.rxq.head != orig && l.b.rxq.tail != orig);
  ZT_EQU(l.b.rxq.count, 2);
  for (int i = 0; i < 2; i++) {
    struct zn_buf *b;
    ZT_REQUIRE(zn_netif_recv(&l.b.nif, &b) == ZN_OK);
    ZT_CHECK(nt_frame_ok(b, 90, 5));
    zn_buf_free(b);
  }
  ZT_CHECK(nt_frame_ok(orig, 90, 5));
  orig->next = NULL;
  zn_buf_free(orig);
  nt_pool_fini(&p);
}

ZT_TEST(test_shared_no_buffer) {
  struct nt_pool p;
  ZT_REQUIRE(nt_pool_init(&p, 1, ZN_BUF_SIZE) == ZN_OK);
  struct zn_memlink l;
  zn_memlink_init(&l, 0, 0);
  nt_attach(&l.a.nif, &p);
  struct zn_buf *orig = nt_frame(&p, 60, 1);
  ZT_REQUIRE(orig);
  /* The pool is empty, so the copy fails: dropped, counted, ref given
   * back. */
  ZT_EQ(zn_netif_send(&l.a.nif, zn_buf_ref(orig)), ZN_ENOBUFS);
  ZT_EQU(l.a.drops, 1);
  ZT_EQU(orig->ref, 1);
  zn_buf_free(orig);
  nt_pool_fini(&p);
}

ZT_TEST(test_next_deadline) {
  struct nt_pool p;
  ZT_REQUIRE(nt_pool_init(&p, 4, ZN_BUF_SIZE) == ZN_OK);
  struct zn_memlink l;
  zn_memlink_init(&l, 0, 0);
  nt_attach(&l.a.nif, &p);
  nt_attach(&l.b.nif, &p);
  l.b.nif.now = ZN_MS(5);
  ZT_EQU(zn_netif_next_deadline(&l.b.nif), ZN_TIME_NEVER);
  ZT_EQ(zn_netif_send(&l.a.nif, nt_frame(&p, 60, 1)), ZN_OK);
  ZT_EQU(zn_netif_next_deadline(&l.b.nif), ZN_MS(5)); /* due now */
  ZT_EQU(zn_netif_next_deadline(&l.a.nif), ZN_TIME_NEVER);
  struct zn_buf *b;
  ZT_REQUIRE(zn_netif_recv(&l.b.nif, &b) == ZN_OK);
  zn_buf_free(b);
  ZT_EQU(zn_netif_next_deadline(&l.b.nif), ZN_TIME_NEVER);
  nt_pool_fini(&p);
}

ZT_TEST(test_purge_and_close) {
  struct nt_pool p;
  ZT_REQUIRE(nt_pool_init(&p, 32, ZN_BUF_SIZE) == ZN_OK);
  struct zn_memlink l;
  zn_memlink_init(&l, 0, 0);
  nt_attach(&l.a.nif, &p);
  nt_attach(&l.b.nif, &p);
  for (uint32_t i = 0; i < 5; i++) {
    ZT_EQ(zn_netif_send(&l.a.nif, nt_frame(&p, 60, i)), ZN_OK);
    ZT_EQ(zn_netif_send(&l.b.nif, nt_frame(&p, 60, i)), ZN_OK);
  }
  ZT_EQU(zn_pool_in_use(&p.pool), 10);
  zn_memlink_purge(&l);
  ZT_EQU(zn_pool_in_use(&p.pool), 0);
  ZT_EQU(l.a.rxq.count + l.b.rxq.count, 0);

  /* zn_netif_close() on one end frees what waits at that end. */
  ZT_EQ(zn_netif_send(&l.a.nif, nt_frame(&p, 60, 1)), ZN_OK);
  ZT_EQ(zn_netif_send(&l.b.nif, nt_frame(&p, 60, 2)), ZN_OK);
  zn_netif_close(&l.b.nif);
  ZT_EQU(l.b.rxq.count, 0);
  ZT_EQU(l.a.rxq.count, 1);
  zn_netif_close(&l.a.nif);
  zn_memlink_purge(&l); /* idempotent */
  nt_pool_fini(&p);
}

int main(void) {
  ZT_RUN(test_defaults);
  ZT_RUN(test_both_ways_byte_exact);
  ZT_RUN(test_queue_bound);
  ZT_RUN(test_no_buffer_drops);
  ZT_RUN(test_too_big_for_receiver);
  ZT_RUN(test_shared_buffer_copied);
  ZT_RUN(test_shared_no_buffer);
  ZT_RUN(test_next_deadline);
  ZT_RUN(test_purge_and_close);
  return zt_done();
}
