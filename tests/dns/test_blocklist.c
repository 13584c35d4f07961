/* The blocklist matcher (dns/blocklist.c): exact names and the names
 * below them, any case; the list text (hosts lines, plain names,
 * comments, local names, bad tokens counted); a full set; measuring. */
#include <stdlib.h>

#include "znet/dns.h"
#include "znet/err.h"
#include "zt.h"

static const uint8_t key[16] = {9, 8, 7, 6, 5, 4, 3, 2, 1};

static struct zn_dns_blocklist *load(const char *text, uint32_t extra,
                                     struct zn_dns_blocklist_stats *st,
                                     void **mem) {
  struct zn_dns_blocklist_cfg cfg;
  struct zn_dns_blocklist *bl = NULL;
  zn_dns_blocklist_measure(text, strlen(text), extra, &cfg);
  size_t len = zn_dns_blocklist_mem_size(&cfg);
  *mem = malloc(len);
  memset(st, 0, sizeof(*st));
  if (*mem == NULL || zn_dns_blocklist_init(&cfg, key, *mem, len, &bl) != ZN_OK)
    return NULL;
  if (zn_dns_blocklist_parse(bl, text, strlen(text), NULL, NULL, st) != ZN_OK)
    return NULL;
  return bl;
}

static bool blocked(const struct zn_dns_blocklist *bl, const char *name) {
  struct zn_dns_name n;
  zn_dns_name_from_text(&n, name, strlen(name));
  return zn_dns_blocklist_match(bl, &n);
}

static int nrejects;
static uint64_t last_line;
static char last_tok[64];

static void on_reject(void *arg, uint64_t line, const char *tok, size_t len) {
  (void)arg;
  nrejects++;
  last_line = line;
  snprintf(last_tok, sizeof(last_tok), "%.*s", (int)len, tok);
}

ZT_TEST(test_match) {
  struct zn_dns_blocklist_stats st;
  void *mem;
  struct zn_dns_blocklist *bl =
      load("0.0.0.0 ads.example.com\nTracker.NET\n", 0, &st, &mem);
  ZT_REQUIRE(bl);
  ZT_EQ(zn_dns_blocklist_count(bl), 2);
  ZT_CHECK(blocked(bl, "ads.example.com"));
  ZT_CHECK(blocked(bl, "ADS.Example.COM"));
  ZT_CHECK(blocked(bl, "x.y.ads.example.com"));
  ZT_CHECK(!blocked(bl, "example.com"));        /* the parent is not */
  ZT_CHECK(!blocked(bl, "badads.example.com")); /* nor a lookalike */
  ZT_CHECK(!blocked(bl, "com"));
  ZT_CHECK(!blocked(bl, "."));
  ZT_CHECK(blocked(bl, "tracker.net"));
  ZT_CHECK(blocked(bl, "a.tracker.net"));
  ZT_CHECK(!blocked(bl, "tracker.net.evil"));
  free(mem);
}

ZT_TEST(test_list_text) {
  static const char text[] =
      "# a hosts file\n"
      "127.0.0.1 localhost\n"
      "::1 ip6-localhost ip6-loopback\n"
      "0.0.0.0 a.test b.test   c.test # trailing comment\n"
      "\n"
      "   \t\r\n"
      "*.wild.test\n"
      "d.test\r\n"
      "A.TEST\n"
      "bad!name ok.test\n"
      "fe80::1%lo0 e.test\n"
      "0.0.0.0\n"
      "1.2.3.4.5\n"
      "too..dots\n"
      "last.test";
  struct zn_dns_blocklist_cfg cfg;
  zn_dns_blocklist_measure(text, strlen(text), 0, &cfg);
  size_t len = zn_dns_blocklist_mem_size(&cfg);
  void *mem = malloc(len);
  struct zn_dns_blocklist *bl = NULL;
  ZT_REQUIRE(zn_dns_blocklist_init(&cfg, key, mem, len, &bl) == ZN_OK);
  struct zn_dns_blocklist_stats st;
  memset(&st, 0, sizeof(st));
  nrejects = 0;
  ZT_EQ(zn_dns_blocklist_parse(bl, text, strlen(text), on_reject, NULL, &st),
        ZN_OK);
  ZT_EQ(st.lines, 15);
  /* a b c wild d ok e 1.2.3.4.5 last (a host name by its characters) */
  ZT_EQ(st.added, 9);
  ZT_EQ(st.duplicates, 1); /* A.TEST */
  ZT_EQ(st.ignored, 3);
  ZT_EQ(st.invalid, 2); /* bad!name, too..dots */
  ZT_EQ(st.full, 0);
  ZT_EQ(nrejects, 2);
  ZT_EQ(last_line, 14);
  ZT_STREQ(last_tok, "too..dots");
  ZT_CHECK(blocked(bl, "x.wild.test"));
  ZT_CHECK(blocked(bl, "d.test"));
  ZT_CHECK(blocked(bl, "e.test"));
  ZT_CHECK(blocked(bl, "last.test"));
  ZT_CHECK(!blocked(bl, "localhost"));
  ZT_CHECK(!blocked(bl, "test"));
  ZT_EQ(zn_dns_blocklist_count(bl), 9);
  free(mem);
}

ZT_TEST(test_add_text_and_full) {
  struct zn_dns_blocklist_cfg cfg = {.max_names = 2, .name_bytes = 1000};
  size_t len = zn_dns_blocklist_mem_size(&cfg);
  void *mem = malloc(len);
  struct zn_dns_blocklist *bl = NULL;
  ZT_EQ(zn_dns_blocklist_init(&cfg, key, mem, len - 1, &bl), ZN_ENOMEM);
  ZT_REQUIRE(zn_dns_blocklist_init(&cfg, key, mem, len, &bl) == ZN_OK);
  struct zn_dns_blocklist_stats st;
  memset(&st, 0, sizeof(st));
  ZT_EQ(zn_dns_blocklist_add_text(bl, "one.test", 8, &st), ZN_OK);
  ZT_EQ(zn_dns_blocklist_add_text(bl, "ONE.test.", 9, &st), ZN_EEXIST);
  ZT_EQ(zn_dns_blocklist_add_text(bl, "Localhost", 9, &st), ZN_ENOTSUP);
  ZT_EQ(zn_dns_blocklist_add_text(bl, "", 0, &st), ZN_EINVAL);
  ZT_EQ(zn_dns_blocklist_add_text(bl, ".", 1, &st), ZN_EINVAL);
  ZT_EQ(zn_dns_blocklist_add_text(bl, "*.two.test", 10, &st), ZN_OK);
  ZT_EQ(zn_dns_blocklist_add_text(bl, "three.test", 10, &st), ZN_ENOSPC);
  ZT_EQ(st.added, 2);
  ZT_EQ(st.duplicates, 1);
  ZT_EQ(st.ignored, 1);
  ZT_EQ(st.invalid, 2);
  ZT_EQ(st.full, 1);
  ZT_CHECK(blocked(bl, "a.two.test"));
  ZT_CHECK(!blocked(bl, "three.test"));
  /* Bytes run out before names do. */
  struct zn_dns_blocklist_cfg tiny = {.max_names = 10, .name_bytes = 12};
  len = zn_dns_blocklist_mem_size(&tiny);
  void *mem2 = malloc(len);
  ZT_REQUIRE(zn_dns_blocklist_init(&tiny, key, mem2, len, &bl) == ZN_OK);
  memset(&st, 0, sizeof(st));
  ZT_EQ(zn_dns_blocklist_parse(bl, "a.test\nbb.test\n", 15, NULL, NULL, &st),
        ZN_ENOSPC);
  ZT_EQ(st.added, 1);
  ZT_EQ(st.full, 1);
  struct zn_dns_blocklist_cfg bad = {.max_names = 0, .name_bytes = 10};
  ZT_EQ(zn_dns_blocklist_mem_size(&bad), 0);
  free(mem2);
  free(mem);
}

/* measure's sizes always hold the whole list: names of every length,
 * packed as tightly as the text allows. */
ZT_TEST(test_measure_is_enough) {
  char text[4000];
  size_t at = 0;
  for (int i = 1; i < 60 && at + 70 < sizeof(text); i++) {
    for (int j = 0; j < i; j++)
      text[at++] = (char)('a' + j % 26);
    text[at++] = (i % 3 == 0) ? '\n' : ' ';
  }
  memcpy(text + at, "x.y.z", 6);
  struct zn_dns_blocklist_stats st;
  void *mem;
  struct zn_dns_blocklist *bl = load(text, 0, &st, &mem);
  ZT_REQUIRE(bl);
  ZT_EQ(st.full, 0);
  ZT_EQ(st.added, 60);
  free(mem);
}

int main(void) {
  ZT_RUN(test_match);
  ZT_RUN(test_list_text);
  ZT_RUN(test_add_text_and_full);
  ZT_RUN(test_measure_is_enough);
  return zt_done();
}
