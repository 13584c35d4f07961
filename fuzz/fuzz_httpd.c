/*
 * The HTTP server (zn_http_server_*) on stack B (10.0.0.2:80) over
 * memlink, against clients on stack A sending fuzzer-chosen bytes in
 * fuzzer-chosen pieces, reading or not, closing, resetting, letting time
 * pass.  The content is a small bundle made here (an index, a text file,
 * a file bigger than the sends, a directory, a forbidden file), behind a
 * wrapper that gives the files a counted hold/release.
 *
 * Input: a configuration byte (bit 0: copy no body, bit 1: one body by
 * reference in flight, bit 2: two slots, bit 3: the server formats the
 * fields itself, bits 4-5: short header/idle/send timeouts), then
 * records, an op byte and its operands:
 *   0 K           open client connection K (of 4)
 *   1 K LEN BYTES write BYTES to K (one segment: nodelay)
 *   2 K           close K
 *   3 K           reset K
 *   4 K           K stops reading, or reads again
 *   5 K           shut K's sending side down
 *   6 T           let T * 10 ms pass
 *   7 K N         write N copies of a valid GET (pipelining)
 * Checks: whatever a client receives starts, and goes on after each
 * complete response, with "HTTP/1.1 " and a status of three digits; no
 * response head is longer than the server's bound; every parsed head and
 * every head refused got exactly one response (the counters of requests
 * and parse errors equal the status counters' sum); at the end (every
 * client closed, time passed) no connection is left in a slot, the
 * content's holds and releases balance, and after the server stops no
 * buffer, connection or frame is unaccounted for.
 */
#define _GNU_SOURCE /* memmem */
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "znet/http.h"

#define NCLI 4
#define PORT 80
#define RX_MAX (1u << 16) /* what a client keeps to check */

/* ---- the content ---- */

static uint8_t blob[40000];
static char fields[4][ZN_HTTP_FIELDS_MAX];
static struct zn_http_bundle_entry entries[] = {
    {"big.bin", 7, 0, 30000, 1700000000, "\"b1\"", "application/octet-stream",
     NULL, 0},
    {"dir/index.html", 14, 30016, 40, 1700000001, "\"d1\"",
     "text/html; charset=utf-8", NULL, 0},
    {"hello.txt", 9, 30080, 13, 1700000002, "\"h1\"",
     "text/plain; charset=utf-8", NULL, 0},
    {"secret.txt", 10, 30144, 5, 1700000003, "\"s1\"",
     "text/plain; charset=utf-8", NULL, 0},
};
static const struct zn_http_bundle bundle = {entries, 4, blob, sizeof(blob)};

struct counted {
  struct zn_http_content content;
  struct zn_http_bundle_content inner;
  bool no_fields;
  long holds, releases;
};
static struct counted src;

static void c_hold(void *ref) { ((struct counted *)ref)->holds++; }
static void c_release(void *ref) { ((struct counted *)ref)->releases++; }

static int c_open(struct zn_http_content *self, const char *path, size_t len,
                  struct zn_http_file *f) {
  struct counted *c = (struct counted *)(void *)self;
  FZ_CHECK(path[len] == '\0');
  for (size_t i = 0; i < len; i++)
    FZ_CHECK(path[i] != '\0' && path[i] != '\\');
  FZ_CHECK(len == 0 || (path[0] != '/' && path[len - 1] != '/'));
  if (len == 10 && memcmp(path, "secret.txt", 10) == 0)
    return ZN_EACCES;
  int rc = c->inner.content.open(&c->inner.content, path, len, f);
  if (rc == ZN_OK) {
    f->hold = c_hold;
    f->release = c_release;
    f->ref = c;
    if (c->no_fields)
      f->fields = NULL;
  }
  return rc;
}

static void content_init(void) {
  for (size_t i = 0; i < sizeof(blob); i++)
    blob[i] = (uint8_t)(i * 7 + 3);
  for (int i = 0; i < 4; i++) {
    struct zn_http_file f = {.size = entries[i].size,
                             .mtime = entries[i].mtime,
                             .etag = entries[i].etag,
                             .etag_len = strlen(entries[i].etag),
                             .type = entries[i].type};
    entries[i].fields_len =
        (uint32_t)zn_http_file_fields(&f, fields[i], sizeof(fields[i]));
    entries[i].fields = fields[i];
  }
  memset(&src, 0, sizeof(src));
  FZ_CHECK(zn_http_bundle_content_init(&src.inner, &bundle) == ZN_OK);
  src.content.open = c_open;
}

/* ---- clients ---- */

struct cli {
  struct zn_tcp_conn *c;
  bool hold;
  uint8_t rx[RX_MAX];
  size_t rx_len;
  bool bad;
};
static struct cli cl[NCLI];
static struct fz_pair pair;

/* Everything received is a sequence of responses: check each head as it
 * completes and skip its body by Content-Length (a HEAD's has none: a
 * status line where a body was expected is taken as the next head). */
static void check_rx(struct cli *k) {
  size_t off = 0;
  while (k->rx_len - off >= 12) {
    const uint8_t *p = k->rx + off;
    size_t n = k->rx_len - off;
    FZ_CHECK(memcmp(p, "HTTP/1.1 ", 9) == 0);
    FZ_CHECK(p[9] >= '1' && p[9] <= '5' && p[10] >= '0' && p[10] <= '9' &&
             p[11] >= '0' && p[11] <= '9');
    /* (memmem, not a loop of compares: the harness's own scanning
     * would swamp libFuzzer with features) */
    const uint8_t *e = memmem(p, n, "\r\n\r\n", 4);
    size_t end = e ? (size_t)(e - p) + 4 : 0;
    if (end == 0) {
      FZ_CHECK(n < 4096); /* a head is never longer */
      break;
    }
    FZ_CHECK(end < 4096);
    uint64_t body = 0;
    static const char cl_name[] = "\r\nContent-Length: ";
    const uint8_t *c = memmem(p, end, cl_name, sizeof(cl_name) - 1);
    for (const uint8_t *d = c ? c + sizeof(cl_name) - 1 : NULL;
         d && *d >= '0' && *d <= '9'; d++)
      body = body * 10 + (uint64_t)(*d - '0');
    bool head = n - end >= 9 && memcmp(p + end, "HTTP/1.1 ", 9) == 0;
    if (head || body == 0) {
      off += end;
      continue;
    }
    if (n - end < body)
      break;
    off += end + (size_t)body;
  }
  /* Keep what is not checked yet, at the front. */
  memmove(k->rx, k->rx + off, k->rx_len - off);
  k->rx_len -= off;
}

static void cli_readable(struct zn_tcp_conn *c, void *arg) {
  struct cli *k = arg;
  if (k->hold)
    return;
  for (;;) {
    FZ_CHECK(k->rx_len < RX_MAX); /* no response is this long */
    long n = zn_tcp_read(c, k->rx + k->rx_len, RX_MAX - k->rx_len);
    if (n <= 0)
      return;
    k->rx_len += (size_t)n;
    check_rx(k);
  }
}

static void cli_closed(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  struct cli *k = arg;
  k->c = NULL;
}

static const struct zn_tcp_callbacks cli_cbs = {.on_readable = cli_readable,
                                                .on_closed = cli_closed};

static void op(struct fz_in *in, uint8_t code) {
  uint8_t arg = fz_u8(in);
  struct cli *k = &cl[arg % NCLI];
  switch (code % 8) {
  case 0:
    if (k->c == NULL) {
      k->hold = false;
      k->rx_len = 0;
      if (zn_tcp_connect(
              pair.a,
              (const struct zn_ip[1]){zn_ip_from_v4(ZN_IPV4(10, 0, 0, 2))},
              PORT, &cli_cbs, k, &k->c) == ZN_OK)
        zn_tcp_set_nodelay(k->c, true);
      else
        k->c = NULL;
    }
    break;
  case 1: {
    const uint8_t *p;
    size_t n = fz_bytes(in, fz_u8(in), &p);
    if (k->c && n)
      (void)zn_tcp_write(k->c, p, n);
    break;
  }
  case 2:
    if (k->c)
      zn_tcp_close(k->c);
    break;
  case 3:
    if (k->c)
      zn_tcp_abort(k->c);
    break;
  case 4:
    k->hold = !k->hold;
    if (!k->hold && k->c)
      cli_readable(k->c, k);
    break;
  case 5:
    if (k->c)
      (void)zn_tcp_shutdown(k->c);
    break;
  case 6:
    fz_pair_run(&pair, ZN_MS(10) * arg);
    return;
  case 7: {
    static const char *const reqs[] = {
        "GET /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET /big.bin HTTP/1.1\r\nHost: a\r\n\r\n",
        "HEAD /dir/ HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET /big.bin HTTP/1.1\r\nHost: a\r\nRange: bytes=100-\r\n\r\n",
    };
    uint8_t n = fz_u8(in);
    for (int i = 0; i < n % 32 && k->c; i++)
      (void)zn_tcp_write(k->c, reqs[(n + i) % 4], strlen(reqs[(n + i) % 4]));
    break;
  }
  default:
    break;
  }
  fz_pair_run(&pair, ZN_MS(1));
}

/* Every head (parsed or refused) got one response. */
static void check_stats(const struct zn_http_server *srv) {
  struct zn_http_server_stats s;
  zn_http_server_get_stats(srv, &s);
  uint64_t heads = s.v[ZN_HTTP_SRV_requests] + s.v[ZN_HTTP_SRV_parse_errors];
  uint64_t answered = s.v[ZN_HTTP_SRV_status_other];
  for (int i = ZN_HTTP_SRV_status_200; i < ZN_HTTP_SRV_status_other; i++)
    answered += s.v[i];
  FZ_CHECK(heads == answered);
  uint64_t kinds = 0;
  for (int i = ZN_HTTP_SRV_parse_NONE; i < ZN_HTTP_SRV_NSTATS; i++)
    kinds += s.v[i];
  FZ_CHECK(kinds == s.v[ZN_HTTP_SRV_parse_errors]);
  FZ_CHECK(s.v[ZN_HTTP_SRV_parse_NONE] == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct fz_in in;
  struct zn_config ca, cb;
  fz_in_init(&in, data, size);
  content_init();
  uint8_t conf = fz_u8(&in);
  fz_config(&ca, 1);
  fz_config(&cb, 2);
  cb.nbufs = 256;
  memset(&pair, 0, sizeof(pair));
  memset(cl, 0, sizeof(cl));
  zn_memlink_init(&pair.link, 0, 256);
  pair.a = th_stack_new(&ca);
  pair.b = th_stack_new(&cb);
  FZ_CHECK(zn_stack_attach(pair.a, &pair.link.a.nif) == ZN_OK);
  FZ_CHECK(zn_stack_attach(pair.b, &pair.link.b.nif) == ZN_OK);
  struct zn_http_server_cfg sc;
  zn_http_server_cfg_default(&sc);
  sc.content = &src.content;
  sc.max_conns = conf & 4 ? 2 : 6;
  sc.copy_max = conf & 1 ? 0 : 4096;
  sc.pipeline_max = conf & 2 ? 1 : 8;
  src.no_fields = conf & 8;
  uint32_t t = 200u + 400u * ((conf >> 4) & 3);
  sc.header_timeout_ms = sc.idle_timeout_ms = sc.send_timeout_ms = t;
  sc.linger_ms = 300;
  size_t len = zn_http_server_mem_size(&sc);
  void *mem = aligned_alloc(64, (len + 63) / 64 * 64);
  struct zn_http_server *srv;
  FZ_CHECK(mem && zn_http_server_init(pair.b, &sc, mem, len, &srv) == ZN_OK);
  fz_pair_run(&pair, ZN_MS(1));
  for (int i = 0; i < 128 && fz_more(&in); i++) {
    op(&in, fz_u8(&in));
    check_stats(srv);
  }
  /* Every client goes; the server must give back every slot. */
  for (int i = 0; i < NCLI; i++)
    if (cl[i].c) {
      cl[i].hold = false;
      zn_tcp_close(cl[i].c);
    }
  fz_pair_run(&pair, ZN_SEC(30));
  check_stats(srv);
  struct zn_http_server_stats s;
  zn_http_server_get_stats(srv, &s);
  FZ_CHECK(s.conns_open == 0);
  FZ_CHECK(src.holds == src.releases);
  zn_http_server_stop(srv);
  for (int i = 0; i < NCLI; i++)
    if (cl[i].c)
      zn_tcp_abort(cl[i].c);
  fz_pair_run(&pair, ZN_SEC(10));
  FZ_CHECK(fz_tcp_used(pair.a) == 0 && fz_tcp_used(pair.b) == 0);
  fz_pair_free(&pair);
  free(mem);
  return 0;
}
