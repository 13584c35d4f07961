/* The freestanding formatter and error/stat tables. */
#include "core/stack_int.h"
#include "internals.h"
#include "zt.h"
#include "znet.h"

ZT_TEST(test_fmt) {
  char b[64];
  uint8_t mac[6] = {2, 0, 0, 0, 0, 1};
  zn__fmt(b, sizeof(b), "a%db%uc%xd%se%%", -42, 42u, 0xbeefu, "str");
  ZT_STREQ(b, "a-42b42cbeefdstre%");
  zn__fmt(b, sizeof(b), "%I %M", ZN_IPV4(10, 0, 0, 1), mac);
  ZT_STREQ(b, "10.0.0.1 02:00:00:00:00:01");
  zn__fmt(b, sizeof(b), "%lld %llu %zu %ld", -9000000000ll, 18000000000ull,
          (size_t)7, -5l);
  ZT_STREQ(b, "-9000000000 18000000000 7 -5");
  zn__fmt(b, 8, "%s", "truncated string");
  ZT_STREQ(b, "truncat");
  zn__fmt(b, sizeof(b), "%s %c", NULL, 'x');
  ZT_STREQ(b, "(null) x");
  zn__fmt(b, sizeof(b), "end%");
  ZT_STREQ(b, "end");
}

ZT_TEST(test_err_table) {
  ZT_STREQ(zn_strerror(ZN_OK), "success");
  ZT_STREQ(zn_err_name(ZN_EAGAIN), "EAGAIN");
  ZT_STREQ(zn_err_name(ZN_ETLS), "ETLS");
  ZT_STREQ(zn_strerror(12345), "unknown error");
  ZT_STREQ(zn_err_name(-9999), "UNKNOWN");
  ZT_STREQ(zn_log_level_name(ZN_LOG_DEBUG), "debug");
  ZT_EQ(zn_log_level_parse("trace"), ZN_LOG_TRACE);
  ZT_EQ(zn_log_level_parse("tracex"), -1);
  ZT_EQ(zn_log_level_parse("trac"), -1);
}

ZT_TEST(test_stat_table) {
  ZT_STREQ(zn_stat_name(ZN_STAT_ip_drop_checksum), "ip_drop_checksum");
  ZT_CHECK(zn_stat_is_drop(ZN_STAT_ip_drop_checksum));
  ZT_CHECK(!zn_stat_is_drop(ZN_STAT_ip_rx));
  ZT_CHECK(zn_stat_name(ZN_STAT_COUNT) == NULL);
  ZT_CHECK(zn_stat_name(-1) == NULL);
  /* Every name is unique and every text is there. */
  for (int i = 0; i < ZN_STAT_COUNT; i++) {
    ZT_CHECK(zn_stat_text(i) && zn_stat_text(i)[0]);
    for (int j = 0; j < i; j++)
      ZT_CHECK(strcmp(zn_stat_name(i), zn_stat_name(j)) != 0);
  }
  struct zn_stats s;
  memset(&s, 0, sizeof(s));
  s.v[ZN_STAT_ip_drop_checksum] = 3;
  s.v[ZN_STAT_ip_rx] = 100;
  s.v[ZN_STAT_eth_drop_short] = 2;
  ZT_EQU(zn_stats_drops(&s), 5);
}

int main(void) {
  ZT_RUN(test_fmt);
  ZT_RUN(test_err_table);
  ZT_RUN(test_stat_table);
  return zt_done();
}
