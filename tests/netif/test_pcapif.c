/* Unit tests of netif/pcap.c: replay of the shared traces (directory given
 * as argv[1]), the virtual clock, the output capture, and bad input. */
#include <pcap/pcap.h>
#include <stdio.h>
#include <unistd.h>

#include "harness.h"
#include "nif_test.h"
#include "znet/pcap.h"

static const char *traces = "../shared/traces";
static char tmp_out[64], tmp_in[64];

static const char *trace(const char *name) {
  static char buf[4096];
  snprintf(buf, sizeof(buf), "%s/%s", traces, name);
  return buf;
}

/* Runs body(pool, path of the capture name) with a pool of count buffers
 * of size bytes and frees the pool however body ends: a ZT_REQUIRE
 * returns from body, not from here, so a failed case leaks nothing.  With
 * no name the body reads no capture (path NULL); with one, and no traces
 * directory, the case skips (th_shared) before anything is made. */
static void with_pool(uint32_t count, uint32_t size, const char *name,
                      void (*body)(struct nt_pool *, const char *)) {
  if (name != NULL && !th_shared(traces))
    return;
  struct nt_pool p;
  ZT_REQUIRE(nt_pool_init(&p, count, size) == ZN_OK);
  body(&p, name != NULL ? trace(name) : NULL);
  nt_pool_fini(&p);
}

/* What libpcap itself reads from a file: timestamps (ns) and frames. */
struct ref_frame {
  uint64_t ts;
  uint32_t caplen;
  uint8_t data[2048];
};

static int ref_read(const char *path, struct ref_frame *fr, int max) {
  char err[PCAP_ERRBUF_SIZE];
  pcap_t *pc = pcap_open_offline_with_tstamp_precision(
      path, PCAP_TSTAMP_PRECISION_NANO, err);
  if (pc == NULL)
    return -1;
  struct pcap_pkthdr *h;
  const u_char *d;
  int n = 0;
  while (n < max && pcap_next_ex(pc, &h, &d) == 1) {
    fr[n].ts = (uint64_t)h->ts.tv_sec * 1000000000u + (uint64_t)h->ts.tv_usec;
    fr[n].caplen = h->caplen < 2048 ? h->caplen : 2048;
    memcpy(fr[n].data, d, fr[n].caplen);
    n++;
  }
  pcap_close(pc);
  return n;
}

/*
 * Replay through the netif as zn_loop_run() would: recv until EAGAIN,
 * then wait for the next deadline.  Checks that every frame comes out at
 * exactly its timestamp.  Returns the final recv result (ZN_EOF, ...).
 */
struct got {
  uint64_t ts;
  uint32_t len;
  uint8_t data[2048];
};

static int replay(struct zn_netif *nif, struct got *g, int max, int *n) {
  *n = 0;
  for (int guard = 0; guard < 100000; guard++) {
    struct zn_buf *b = NULL;
    uint64_t now = zn_netif_now(nif);
    nif->now = now; /* as zn_stack_poll() does */
    int rc = zn_netif_recv(nif, &b);
    if (rc == ZN_OK) {
      if (*n < max) {
        g[*n].ts = now;
        g[*n].len = b->len;
        memcpy(g[*n].data, b->data, b->len < 2048 ? b->len : 2048);
      }
      (*n)++;
      zn_buf_free(b);
      continue;
    }
    if (rc != ZN_EAGAIN)
      return rc;
    uint64_t dl = zn_netif_next_deadline(nif);
    ZT_CHECK(dl > now && dl != ZN_TIME_NEVER);
    ZT_EQ(zn_netif_wait(nif, ZN_TIME_NEVER), ZN_OK);
    ZT_EQU(zn_netif_now(nif), dl);
  }
  zt_fail(__FILE__, __LINE__, "replay did not end");
  return ZN_EIO;
}

static struct ref_frame ref[64];
static struct got got[64];

static void ethernet_replay(struct nt_pool *p, const char *path) {
  int nref = ref_read(path, ref, 64);
  ZT_REQUIRE(nref == 10);

  struct zn_pcapif_opts o = {.out_path = tmp_out};
  struct zn_pcapif *pi = NULL;
  ZT_REQUIRE(zn_pcapif_open(path, &o, &pi, NULL) == ZN_OK);
  struct zn_netif *nif = zn_pcapif_netif(pi);
  nt_attach(nif, p);
  ZT_STREQ(nif->ops->kind, "pcap");
  ZT_CHECK(!nif->has_mac); /* Ethernet capture, no local_mac */
  ZT_EQU(nif->mtu, ZN_DEFAULT_MTU);
  ZT_EQU(zn_pcapif_start_time(pi), ref[0].ts);
  ZT_EQU(zn_pcapif_start_time(pi), 1607454603986596000u);
  ZT_EQU(zn_netif_now(nif), ref[0].ts);
  ZT_CHECK(!zn_pcapif_eof(pi));

  int n;
  ZT_EQ(replay(nif, got, 64, &n), ZN_EOF);
  ZT_EQ(n, 10);
  for (int i = 0; i < n && i < nref; i++) {
    ZT_EQU(got[i].ts, ref[i].ts);
    ZT_EQU(got[i].len, ref[i].caplen);
    ZT_MEMEQ(got[i].data, ref[i].data, ref[i].caplen);
  }
  ZT_CHECK(zn_pcapif_eof(pi));
  /* Nothing left and no deadline: wait says so instead of hanging. */
  ZT_EQ(zn_netif_wait(nif, ZN_TIME_NEVER), ZN_EOF);
  ZT_EQU(zn_netif_next_deadline(nif), ZN_TIME_NEVER);
  /* With a deadline the clock moves to it. */
  uint64_t last = ref[9].ts;
  ZT_EQ(zn_netif_wait(nif, last + ZN_SEC(2)), ZN_OK);
  ZT_EQU(zn_netif_now(nif), last + ZN_SEC(2));
  ZT_EQ(zn_netif_wait(nif, last), ZN_OK); /* never backwards */
  ZT_EQU(zn_netif_now(nif), last + ZN_SEC(2));

  /* What the stack sends goes to the output capture at the virtual time. */
  struct zn_buf *b = nt_frame(p, 60, 1);
  nif->now = zn_netif_now(nif);
  ZT_EQ(zn_netif_send(nif, b), ZN_OK);
  nif->now = last + ZN_SEC(3) + 5;
  ZT_EQ(zn_netif_send(nif, nt_frame(p, 1514, 2)), ZN_OK);

  struct zn_pcapif_stats st;
  zn_pcapif_get_stats(pi, &st);
  ZT_EQU(st.frames_read, 10);
  ZT_EQU(st.frames_delivered, 10);
  ZT_EQU(st.frames_truncated, 0);
  ZT_EQU(st.frames_skipped, 0);
  ZT_EQU(st.frames_written, 2);
  ZT_EQU(st.read_errors, 0);
  zn_netif_close(nif);

  nref = ref_read(tmp_out, ref, 64);
  ZT_EQ(nref, 2);
  struct zn_buf *w = nt_frame(p, 60, 1);
  ZT_REQUIRE(w);
  ZT_EQU(ref[0].ts, last + ZN_SEC(2));
  ZT_EQU(ref[0].caplen, 60);
  ZT_MEMEQ(ref[0].data, w->data, 60);
  zn_buf_free(w);
  w = nt_frame(p, 1514, 2);
  ZT_REQUIRE(w);
  ZT_EQU(ref[1].ts, last + ZN_SEC(3) + 5);
  ZT_EQU(ref[1].caplen, 1514);
  ZT_MEMEQ(ref[1].data, w->data, 1514);
  zn_buf_free(w);
  char err[PCAP_ERRBUF_SIZE];
  pcap_t *pc = pcap_open_offline(tmp_out, err);
  ZT_REQUIRE(pc);
  ZT_EQ(pcap_datalink(pc), DLT_EN10MB);
  pcap_close(pc);
  unlink(tmp_out);
}

ZT_TEST(test_ethernet_replay) {
  with_pool(16, ZN_BUF_SIZE, "zeek__icmp__5-pings.pcap",
            ethernet_replay);
}

static void pcapng_replay(struct nt_pool *p, const char *path) {
  int nref = ref_read(path, ref, 64);
  ZT_REQUIRE(nref == 15);
  struct zn_pcapif *pi;
  ZT_REQUIRE(zn_pcapif_open(path, NULL, &pi, NULL) == ZN_OK);
  struct zn_netif *nif = zn_pcapif_netif(pi);
  nt_attach(nif, p);
  int n;
  ZT_EQ(replay(nif, got, 64, &n), ZN_EOF);
  ZT_EQ(n, 15);
  for (int i = 0; i < n && i < nref; i++) {
    ZT_EQU(got[i].ts, ref[i].ts);
    ZT_MEMEQ(got[i].data, ref[i].data, ref[i].caplen);
  }
  /* Sending without an output file just frees. */
  ZT_EQ(zn_netif_send(nif, nt_frame(p, 60, 1)), ZN_OK);
  struct zn_pcapif_stats st;
  zn_pcapif_get_stats(pi, &st);
  ZT_EQU(st.frames_written, 0);
  zn_pcapif_close(pi);
}

ZT_TEST(test_pcapng_replay) {
  with_pool(16, ZN_BUF_SIZE, "pcpp__IcmpPackets.pcap", pcapng_replay);
}

/* Raw IP: an Ethernet header goes in front, addressed local <- peer. */
static void check_raw(struct nt_pool *p, const char *path, int want,
                      const uint8_t *local, const uint8_t *peer,
                      const struct zn_pcapif_opts *o) {
  int nref = ref_read(path, ref, 64);
  ZT_REQUIRE(nref == want);
  struct zn_pcapif *pi;
  ZT_REQUIRE(zn_pcapif_open(path, o, &pi, NULL) == ZN_OK);
  struct zn_netif *nif = zn_pcapif_netif(pi);
  nt_attach(nif, p);
  ZT_CHECK(nif->has_mac);
  ZT_MEMEQ(nif->mac, local, 6);
  int n;
  ZT_EQ(replay(nif, got, 64, &n), ZN_EOF);
  ZT_EQ(n, want);
  for (int i = 0; i < n && i < nref; i++) {
    ZT_EQU(got[i].ts, ref[i].ts);
    ZT_EQU(got[i].len, ref[i].caplen + 14);
    ZT_MEMEQ(got[i].data, local, 6);
    ZT_MEMEQ(got[i].data + 6, peer, 6);
    ZT_EQU(got[i].data[12], 0x08);
    ZT_EQU(got[i].data[13], 0x00);
    ZT_MEMEQ(got[i].data + 14, ref[i].data, ref[i].caplen);
  }
  zn_netif_close(nif);
}

static void linktype_raw(struct nt_pool *p, const char *path) {
  static const uint8_t dl[6] = {0x02, 0x7a, 0x6e, 0x65, 0x74, 0x00};
  static const uint8_t dp[6] = {0x02, 0x7a, 0x6e, 0x65, 0x74, 0x01};
  check_raw(p, path, 1, dl, dp, NULL);
}

ZT_TEST(test_linktype_raw) {
  with_pool(16, ZN_BUF_SIZE, "tcpdump__LINKTYPE_RAW_ipv4.pcap",
            linktype_raw);
}

static void linktype_ipv4(struct nt_pool *p, const char *path) {
  struct zn_pcapif_opts o = {
      .local_mac = {0x02, 0, 0, 0, 0, 0x01},
      .peer_mac = {0x02, 0, 0, 0, 0, 0x02},
      .mtu = 1400,
  };
  check_raw(p, path, 2, o.local_mac, o.peer_mac, &o);
}

ZT_TEST(test_linktype_ipv4) {
  with_pool(16, ZN_BUF_SIZE, "pcpp__linktype_ipv4.pcap",
            linktype_ipv4);
}

/* A frame cut by the snap length is delivered cut, and counted. */
static void snapped_frame(struct nt_pool *p, const char *path) {
  struct zn_pcapif *pi;
  ZT_REQUIRE(zn_pcapif_open(path, NULL, &pi, NULL) == ZN_OK);
  struct zn_netif *nif = zn_pcapif_netif(pi);
  nt_attach(nif, p);
  int n;
  ZT_EQ(replay(nif, got, 64, &n), ZN_EOF);
  ZT_EQ(n, 1);
  ZT_EQU(got[0].len, 20);
  struct zn_pcapif_stats st;
  zn_pcapif_get_stats(pi, &st);
  ZT_EQU(st.frames_truncated, 1);
  ZT_EQU(st.frames_delivered, 1);
  zn_pcapif_close(pi);
}

ZT_TEST(test_snapped_frame) {
  with_pool(4, ZN_BUF_SIZE, "zeek__trunc__ip4-trunc.pcap",
            snapped_frame);
}

ZT_TEST(test_open_errors) {
  struct zn_pcapif *pi = (struct zn_pcapif *)&pi;
  char err[ZN_PCAPIF_ERRLEN], err2[ZN_PCAPIF_ERRLEN];
  memset(err, 'x', sizeof(err));
  ZT_EQ(zn_pcapif_open("/nonexistent/x.pcap", NULL, &pi, err), ZN_ENOENT);
  ZT_CHECK(pi == NULL);
  ZT_CHECK(err[0] != '\0' && memchr(err, '\0', sizeof(err)) != NULL);
  ZT_EQ(zn_pcapif_open("x", NULL, NULL, err), ZN_EINVAL);
  ZT_CHECK(strstr(err, "NULL") != NULL);
  ZT_EQ(zn_pcapif_open(NULL, NULL, &pi, NULL), ZN_EINVAL);

  FILE *fp = fopen(tmp_in, "wb");
  ZT_REQUIRE(fp);
  fputs("this is not a capture file, just some words\n", fp);
  fclose(fp);
  ZT_EQ(zn_pcapif_open(tmp_in, NULL, &pi, err), ZN_EIO);
  ZT_CHECK(pi == NULL);
  ZT_CHECK(err[0] != '\0');

  fp = fopen(tmp_in, "wb"); /* empty */
  ZT_REQUIRE(fp);
  fclose(fp);
  ZT_EQ(zn_pcapif_open(tmp_in, NULL, &pi, NULL), ZN_EIO);
  unlink(tmp_in);

  /* Output that cannot be created; each caller's buffer holds its own
   * reason (no state shared between opens), and success clears it. */
  if (!th_shared(traces))
    return;
  const char *path = trace("zeek__icmp__5-pings.pcap");
  struct zn_pcapif_opts o = {.out_path = "/nonexistent/out.pcap"};
  ZT_EQ(zn_pcapif_open(path, &o, &pi, err), ZN_EIO);
  ZT_CHECK(pi == NULL);
  ZT_CHECK(strstr(err, "out.pcap") != NULL);
  ZT_EQ(zn_pcapif_open("/nonexistent/y.pcap", NULL, &pi, err2), ZN_ENOENT);
  ZT_CHECK(strstr(err, "out.pcap") != NULL);
  ZT_CHECK(strstr(err2, "out.pcap") == NULL);
  ZT_REQUIRE(zn_pcapif_open(path, NULL, &pi, err) == ZN_OK);
  ZT_EQ(err[0], '\0');
  ZT_EQ(zn_pcapif_error(pi)[0], '\0');
  zn_pcapif_close(pi);
}

/* A classic little-endian microsecond pcap with the given records. */
struct mk_rec {
  uint32_t sec, usec, len;
};

static void write_pcap(const char *path, uint32_t linktype,
                       const struct mk_rec *r, int n) {
  FILE *fp = fopen(path, "wb");
  if (fp == NULL)
    return;
  uint32_t gh[6] = {0xa1b2c3d4u, 0x00040002u, 0, 0, 65535, linktype};
  fwrite(gh, sizeof(gh), 1, fp);
  for (int i = 0; i < n; i++) {
    uint32_t rh[4] = {r[i].sec, r[i].usec, r[i].len, r[i].len};
    fwrite(rh, sizeof(rh), 1, fp);
    uint8_t d[2048] = {0x45};
    for (uint32_t k = 1; k < r[i].len && k < sizeof(d); k++)
      d[k] = (uint8_t)(k + (uint32_t)i);
    fwrite(d, 1, r[i].len, fp);
  }
  fclose(fp);
}

ZT_TEST(test_unsupported_linktype) {
  struct mk_rec r = {1, 0, 60};
  write_pcap(tmp_in, 105 /* 802.11 */, &r, 1);
  struct zn_pcapif *pi;
  char err[ZN_PCAPIF_ERRLEN];
  ZT_EQ(zn_pcapif_open(tmp_in, NULL, &pi, err), ZN_ENOTSUP);
  ZT_CHECK(pi == NULL);
  ZT_CHECK(strstr(err, "105") != NULL);
  unlink(tmp_in);
}

/* A file cut in the middle of a record: the frames before it, then
 * ZN_EIO once with libpcap's reason, then EOF. */
static void truncated_file(struct nt_pool *p, const char *path) {
  FILE *in = fopen(path, "rb");
  ZT_REQUIRE(in);
  static uint8_t buf[4096];
  size_t len = fread(buf, 1, sizeof(buf), in);
  fclose(in);
  /* 24-byte header, then records of 16 + 98 bytes: cut the third. */
  ZT_REQUIRE(len > 24 + 2 * 114 + 50);
  FILE *out = fopen(tmp_in, "wb");
  ZT_REQUIRE(out);
  fwrite(buf, 1, 24 + 2 * 114 + 50, out);
  fclose(out);

  struct zn_pcapif *pi;
  ZT_REQUIRE(zn_pcapif_open(tmp_in, NULL, &pi, NULL) == ZN_OK);
  struct zn_netif *nif = zn_pcapif_netif(pi);
  nt_attach(nif, p);
  int n;
  ZT_EQ(replay(nif, got, 64, &n), ZN_EIO);
  ZT_EQ(n, 2);
  ZT_CHECK(strstr(zn_pcapif_error(pi), "truncated") != NULL);
  struct zn_buf *b;
  ZT_EQ(zn_netif_recv(nif, &b), ZN_EOF);
  struct zn_pcapif_stats st;
  zn_pcapif_get_stats(pi, &st);
  ZT_EQU(st.read_errors, 1);
  zn_pcapif_close(pi);

  /* Cut inside the first record header. */
  out = fopen(tmp_in, "wb");
  ZT_REQUIRE(out);
  fwrite(buf, 1, 24 + 7, out);
  fclose(out);
  ZT_REQUIRE(zn_pcapif_open(tmp_in, NULL, &pi, NULL) == ZN_OK);
  nif = zn_pcapif_netif(pi);
  nt_attach(nif, p);
  ZT_EQ(zn_netif_recv(nif, &b), ZN_EIO);
  ZT_EQ(zn_netif_recv(nif, &b), ZN_EOF);
  zn_pcapif_close(pi);
  unlink(tmp_in);
}

ZT_TEST(test_truncated_file) {
  with_pool(4, ZN_BUF_SIZE, "zeek__icmp__5-pings.pcap",
            truncated_file);
}

/* Timestamps going back are clamped; frames too big or without a buffer
 * are skipped and counted; bad raw-IP versions too. */
static void odd_records(struct nt_pool *p, const char *unused) {
  (void)unused;
  const struct mk_rec r[] = {
      {10, 0, 40}, {5, 0, 40}, {20, 500, 300}, {20, 600, 40}, {30, 0, 40},
  };
  write_pcap(tmp_in, 101 /* LINKTYPE_RAW */, r, 5);
  struct zn_pcapif *pi;
  ZT_REQUIRE(zn_pcapif_open(tmp_in, NULL, &pi, NULL) == ZN_OK);
  struct zn_netif *nif = zn_pcapif_netif(pi);
  nt_attach(nif, p);
  ZT_EQU(zn_pcapif_start_time(pi), ZN_SEC(10));
  int n;
  ZT_EQ(replay(nif, got, 64, &n), ZN_EOF);
  ZT_EQ(n, 4); /* the 300-byte one does not fit */
  ZT_EQU(got[0].ts, ZN_SEC(10));
  ZT_EQU(got[1].ts, ZN_SEC(10)); /* clamped, not 5 s */
  ZT_EQU(got[2].ts, ZN_SEC(20) + ZN_US(600));
  ZT_EQU(got[3].ts, ZN_SEC(30));
  struct zn_pcapif_stats st;
  zn_pcapif_get_stats(pi, &st);
  ZT_EQU(st.frames_read, 5);
  ZT_EQU(st.frames_skipped, 1);
  zn_pcapif_close(pi);

  /* No alloc hook: every frame skipped, replay still ends. */
  ZT_REQUIRE(zn_pcapif_open(tmp_in, NULL, &pi, NULL) == ZN_OK);
  nif = zn_pcapif_netif(pi);
  ZT_EQ(replay(nif, got, 64, &n), ZN_EOF);
  ZT_EQ(n, 0);
  zn_pcapif_get_stats(pi, &st);
  ZT_EQU(st.frames_skipped, 5);
  zn_pcapif_close(pi);

  /* Not IPv4 inside a LINKTYPE_IPV4 capture. */
  const struct mk_rec r6 = {1, 0, 40};
  write_pcap(tmp_in, 228, &r6, 1);
  FILE *fp = fopen(tmp_in, "r+b");
  ZT_REQUIRE(fp);
  fseek(fp, 24 + 16, SEEK_SET);
  fputc(0x60, fp); /* version 6 */
  fclose(fp);
  ZT_REQUIRE(zn_pcapif_open(tmp_in, NULL, &pi, NULL) == ZN_OK);
  nif = zn_pcapif_netif(pi);
  nt_attach(nif, p);
  ZT_EQ(replay(nif, got, 64, &n), ZN_EOF);
  ZT_EQ(n, 0);
  zn_pcapif_get_stats(pi, &st);
  ZT_EQU(st.frames_skipped, 1);
  zn_pcapif_close(pi);
  unlink(tmp_in);
}

ZT_TEST(test_odd_records) {
  with_pool(4, ZN_BUF_HEADROOM + 256, NULL, odd_records);
}

/* A caller driving the stack with its own clock gets every frame whose
 * time has come in one go. */
static void external_clock(struct nt_pool *p, const char *path) {
  struct zn_pcapif *pi;
  ZT_REQUIRE(zn_pcapif_open(path, NULL, &pi, NULL) == ZN_OK);
  struct zn_netif *nif = zn_pcapif_netif(pi);
  nt_attach(nif, p);
  uint64_t t0 = zn_pcapif_start_time(pi);
  nif->now = t0 + ZN_SEC(2) + ZN_MS(100); /* pings 1..3 and replies 1..2 */
  int n = 0;
  struct zn_buf *b;
  int rc;
  while ((rc = zn_netif_recv(nif, &b)) == ZN_OK) {
    n++;
    zn_buf_free(b);
  }
  ZT_EQ(rc, ZN_EAGAIN);
  ZT_EQ(n, 6);
  ZT_EQU(zn_netif_now(nif), t0 + ZN_SEC(2) + ZN_MS(100));
  nif->now = ZN_TIME_NEVER - 1;
  while ((rc = zn_netif_recv(nif, &b)) == ZN_OK) {
    n++;
    zn_buf_free(b);
  }
  ZT_EQ(rc, ZN_EOF);
  ZT_EQ(n, 10);
  zn_pcapif_close(pi);
}

ZT_TEST(test_external_clock) {
  with_pool(16, ZN_BUF_SIZE, "zeek__icmp__5-pings.pcap",
            external_clock);
}

int main(int argc, char **argv) {
  if (argc > 1)
    traces = argv[1];
  snprintf(tmp_out, sizeof(tmp_out), "/tmp/zn_pcapif_out_%d.pcap",
           (int)getpid());
  snprintf(tmp_in, sizeof(tmp_in), "/tmp/zn_pcapif_in_%d.pcap", (int)getpid());
  ZT_RUN(test_ethernet_replay);
  ZT_RUN(test_pcapng_replay);
  ZT_RUN(test_linktype_raw);
  ZT_RUN(test_linktype_ipv4);
  ZT_RUN(test_snapped_frame);
  ZT_RUN(test_open_errors);
  ZT_RUN(test_unsupported_linktype);
  ZT_RUN(test_truncated_file);
  ZT_RUN(test_odd_records);
  ZT_RUN(test_external_clock);
  return zt_done();
}
