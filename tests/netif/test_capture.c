/* Unit tests of netif/capture.c: frames both ways through a capture around
 * a memlink end, then the file parsed by hand. */
#include <stdio.h>
#include <unistd.h>

#include "nif_test.h"
#include "znet/capture.h"

struct rec {
  uint32_t sec, nsec, incl, orig;
  uint8_t data[2048];
};

static int rd32(FILE *fp, uint32_t *v) {
  return fread(v, sizeof(*v), 1, fp) == 1 ? 0 : -1;
}

static int read_rec(FILE *fp, struct rec *r) {
  if (rd32(fp, &r->sec) || rd32(fp, &r->nsec) || rd32(fp, &r->incl) ||
      rd32(fp, &r->orig))
    return -1;
  if (r->incl > sizeof(r->data) || fread(r->data, 1, r->incl, fp) != r->incl)
    return -1;
  return 0;
}

static char path[64];

static void tmp_path(void) {
  snprintf(path, sizeof(path), "/tmp/zn_capture_%d.pcap", (int)getpid());
}

ZT_TEST(test_capture_both_ways) {
  struct nt_pool p;
  ZT_REQUIRE(nt_pool_init(&p, 32, ZN_BUF_SIZE) == ZN_OK);
  struct zn_memlink l;
  zn_memlink_init(&l, 1400, 0);
  struct zn_capture c;
  tmp_path();
  ZT_REQUIRE(zn_capture_open(&c, &l.a.nif, path) == ZN_OK);
  nt_attach(&c.nif, &p);
  nt_attach(&l.b.nif, &p);
  ZT_EQU(c.nif.mtu, 1400);
  ZT_STREQ(c.nif.ops->kind, "capture");
  /* A memlink neither waits nor tells time: nor does its capture. */
  ZT_CHECK(c.nif.ops->wait == NULL && c.nif.ops->now == NULL);

  /* Sent through the capture at t = 1.5 s; received at t = 2 s + 7 ns. */
  const uint64_t t_tx = ZN_MS(1500), t_rx = ZN_SEC(2) + 7;
  c.nif.now = t_tx;
  ZT_EQ(zn_netif_send(&c.nif, nt_frame(&p, 60, 1)), ZN_OK);
  ZT_EQ(zn_netif_send(&c.nif, nt_frame(&p, 1514, 2)), ZN_OK);
  struct zn_buf *b;
  for (uint32_t i = 0; i < 2; i++) {
    ZT_REQUIRE(zn_netif_recv(&l.b.nif, &b) == ZN_OK);
    zn_buf_free(b);
  }
  ZT_EQ(zn_netif_send(&l.b.nif, nt_frame(&p, 98, 3)), ZN_OK);
  c.nif.now = t_rx;
  ZT_REQUIRE(zn_netif_recv(&c.nif, &b) == ZN_OK);
  ZT_CHECK(nt_frame_ok(b, 98, 3));
  zn_buf_free(b);
  ZT_EQ(zn_netif_recv(&c.nif, &b), ZN_EAGAIN); /* not recorded */
  ZT_EQU(c.frames, 3);
  ZT_EQU(c.errors, 0);
  zn_netif_close(&c.nif);
  ZT_CHECK(c.fp == NULL);
  zn_netif_close(&c.nif); /* twice is harmless */

  FILE *fp = fopen(path, "rb");
  ZT_REQUIRE(fp);
  uint32_t magic, snaplen, linktype;
  uint16_t vmaj, vmin;
  uint32_t zone, sigfigs;
  ZT_EQ(rd32(fp, &magic), 0);
  ZT_EQ(fread(&vmaj, 2, 1, fp), 1);
  ZT_EQ(fread(&vmin, 2, 1, fp), 1);
  ZT_EQ(rd32(fp, &zone), 0);
  ZT_EQ(rd32(fp, &sigfigs), 0);
  ZT_EQ(rd32(fp, &snaplen), 0);
  ZT_EQ(rd32(fp, &linktype), 0);
  ZT_EQU(magic, 0xa1b23c4du);
  ZT_EQU(vmaj, 2);
  ZT_EQU(vmin, 4);
  ZT_EQU(zone, 0);
  ZT_EQU(snaplen, 262144);
  ZT_EQU(linktype, 1);

  static struct rec r;
  const uint32_t lens[3] = {60, 1514, 98}, tags[3] = {1, 2, 3};
  const uint64_t times[3] = {t_tx, t_tx, t_rx};
  for (int i = 0; i < 3; i++) {
    ZT_REQUIRE(read_rec(fp, &r) == 0);
    ZT_EQU(r.sec, times[i] / 1000000000u);
    ZT_EQU(r.nsec, times[i] % 1000000000u);
    ZT_EQU(r.incl, lens[i]);
    ZT_EQU(r.orig, lens[i]);
    struct zn_buf *want = nt_frame(&p, lens[i], tags[i]);
    ZT_REQUIRE(want);
    ZT_MEMEQ(r.data, want->data, lens[i]);
    zn_buf_free(want);
  }
  ZT_CHECK(read_rec(fp, &r) != 0); /* nothing more */
  fclose(fp);
  unlink(path);
  nt_pool_fini(&p);
}

/* The decorator passes the clock, wait and deadlines through, and copies
 * the stack's `now` down before calling the inner netif. */
ZT_TEST(test_capture_around_fault) {
  struct nt_pool p;
  ZT_REQUIRE(nt_pool_init(&p, 8, ZN_BUF_SIZE) == ZN_OK);
  struct zn_memlink l;
  zn_memlink_init(&l, 0, 0);
  struct zn_fault_cfg cfg = {
      .seed = 1, .dirs = ZN_FAULT_TX, .delay_ns = ZN_MS(2)};
  struct zn_fault f;
  zn_fault_init(&f, &l.a.nif, &cfg);
  struct zn_capture c;
  tmp_path();
  ZT_REQUIRE(zn_capture_open(&c, &f.nif, path) == ZN_OK);
  nt_attach(&c.nif, &p);
  nt_attach(&l.b.nif, &p);

  c.nif.now = ZN_MS(1);
  c.nif.ops->poll(&c.nif);
  ZT_EQU(f.nif.now, ZN_MS(1));
  ZT_EQ(zn_netif_send(&c.nif, nt_frame(&p, 60, 1)), ZN_OK);
  ZT_EQU(zn_netif_next_deadline(&c.nif), ZN_MS(3));
  c.nif.now = ZN_MS(3);
  c.nif.ops->poll(&c.nif);
  struct zn_buf *b;
  ZT_REQUIRE(zn_netif_recv(&l.b.nif, &b) == ZN_OK);
  zn_buf_free(b);
  zn_netif_close(&c.nif);
  zn_netif_close(&f.nif);
  unlink(path);
  nt_pool_fini(&p);
}

ZT_TEST(test_capture_open_error) {
  struct zn_memlink l;
  zn_memlink_init(&l, 0, 0);
  struct zn_capture c;
  ZT_EQ(zn_capture_open(&c, &l.a.nif, "/nonexistent-dir/x.pcap"), ZN_EIO);
  ZT_CHECK(c.fp == NULL);
  ZT_EQ(zn_capture_open(&c, &l.a.nif, NULL), ZN_EINVAL);
  zn_netif_close(&c.nif); /* closing a failed capture is harmless */
}

/* Write errors are counted and the frames still flow. */
ZT_TEST(test_capture_write_error) {
  struct nt_pool p;
  ZT_REQUIRE(nt_pool_init(&p, 8, ZN_BUF_SIZE) == ZN_OK);
  struct zn_memlink l;
  zn_memlink_init(&l, 0, 0);
  struct zn_capture c;
  if (access("/dev/full", W_OK) != 0) {
    zt_skip("no /dev/full");
    nt_pool_fini(&p);
    return;
  }
  ZT_REQUIRE(zn_capture_open(&c, &l.a.nif, "/dev/full") == ZN_OK);
  nt_attach(&c.nif, &p);
  nt_attach(&l.b.nif, &p);
  /* stdio buffers: 100 full frames overflow its buffer, and the flush at
   * close fails for what is left. */
  struct zn_buf *b;
  for (uint32_t i = 0; i < 100; i++) {
    ZT_EQ(zn_netif_send(&c.nif, nt_frame(&p, 1514, i)), ZN_OK);
    ZT_REQUIRE(zn_netif_recv(&l.b.nif, &b) == ZN_OK);
    ZT_CHECK(nt_frame_ok(b, 1514, i));
    zn_buf_free(b);
  }
  ZT_CHECK(c.errors > 0);
  ZT_CHECK(c.frames < 100);
  uint64_t before = c.errors;
  zn_netif_close(&c.nif);
  ZT_CHECK(c.errors > before);
  nt_pool_fini(&p);
}

int main(void) {
  ZT_RUN(test_capture_both_ways);
  ZT_RUN(test_capture_around_fault);
  ZT_RUN(test_capture_open_error);
  ZT_RUN(test_capture_write_error);
  return zt_done();
}
