/*
 * Tests of the HTTP-date functions (http/http_date.c): the three
 * forms of RFC 9110 §5.6.7 parsed to known Unix times, IMF-fixdate
 * written, round trips over leap days and the 1970, 2038, 2100 and 2400
 * boundaries (and every day of 1969..2101 against a day counter kept
 * here), RFC 850's two-digit years around now, and malformed dates.
 */
#include <string.h>

#include "znet/err.h"
#include "znet/http.h"
#include "zt.h"

#define NOW_2025 1750000000LL /* 2025-06-15 */

static int parse(const char *s, int64_t now, int64_t *t) {
  return zn_http_date_parse(s, strlen(s), now, t);
}

ZT_TEST(test_three_forms_of_rfc_example) {
  int64_t t = 0;
  ZT_EQ(parse("Sun, 06 Nov 1994 08:49:37 GMT", NOW_2025, &t), ZN_OK);
  ZT_EQ(t, 784111777);
  t = 0;
  ZT_EQ(parse("Sunday, 06-Nov-94 08:49:37 GMT", NOW_2025, &t), ZN_OK);
  ZT_EQ(t, 784111777);
  t = 0;
  ZT_EQ(parse("Sun Nov  6 08:49:37 1994", NOW_2025, &t), ZN_OK);
  ZT_EQ(t, 784111777);
  t = 0;
  ZT_EQ(parse("Sun Nov 06 08:49:37 1994", NOW_2025, &t), ZN_OK);
  ZT_EQ(t, 784111777);
}

ZT_TEST(test_known_instants) {
  static const struct {
    const char *s;
    int64_t t;
  } ks[] = {
      {"Thu, 01 Jan 1970 00:00:00 GMT", 0},
      {"Wed, 31 Dec 1969 23:59:59 GMT", -1},
      {"Tue, 19 Jan 2038 03:14:07 GMT", 2147483647LL},
      {"Tue, 19 Jan 2038 03:14:08 GMT", 2147483648LL},
      {"Sat, 01 Jan 2000 00:00:00 GMT", 946684800LL},
      {"Tue, 29 Feb 2000 12:00:00 GMT", 951825600LL},
      {"Thu, 29 Feb 2024 00:00:00 GMT", 1709164800LL},
      {"Fri, 01 Mar 2024 00:00:00 GMT", 1709251200LL},
      {"Sun, 28 Feb 2100 23:59:59 GMT", 4107542399LL},
      {"Mon, 01 Mar 2100 00:00:00 GMT", 4107542400LL},
      {"Fri, 31 Dec 9999 23:59:59 GMT", 253402300799LL},
      {"Sat, 01 Jan 0000 00:00:00 GMT", -62167219200LL},
      {"Tue, 29 Feb 2400 00:00:00 GMT", 13574563200LL},
      /* A leap second reads as the next minute's 00. */
      {"Sat, 31 Dec 2016 23:59:60 GMT", 1483228800LL},
  };
  for (size_t i = 0; i < sizeof(ks) / sizeof(ks[0]); i++) {
    int64_t t = 12345;
    ZT_EQ(parse(ks[i].s, NOW_2025, &t), ZN_OK);
    ZT_EQ(t, ks[i].t);
    if (i == sizeof(ks) / sizeof(ks[0]) - 1)
      break; /* 60 seconds is not written */
    char out[ZN_HTTP_DATE_LEN + 1];
    memset(out, 'x', sizeof(out));
    ZT_EQ(zn_http_date_format(ks[i].t, out), ZN_OK);
    ZT_STREQ(out, ks[i].s);
  }
}

ZT_TEST(test_format_range) {
  char out[ZN_HTTP_DATE_LEN + 1] = "unchanged";
  ZT_EQ(zn_http_date_format(253402300800LL, out), ZN_ERANGE);
  ZT_EQ(zn_http_date_format(-62167219201LL, out), ZN_ERANGE);
  ZT_EQ(zn_http_date_format(INT64_MIN, out), ZN_ERANGE);
  ZT_EQ(zn_http_date_format(INT64_MAX, out), ZN_ERANGE);
  ZT_STREQ(out, "unchanged");
}

/* Every day from 1969 to 2101 (leap years, 2000, 2100 included): the
 * date written for a day counter kept here reads back to the same time,
 * and in all three forms; the weekday cycles. */
ZT_TEST(test_every_day_round_trips) {
  static const char *const wk[7] = {"Thu", "Fri", "Sat", "Sun",
                                    "Mon", "Tue", "Wed"};
  static const char *const mon[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  int64_t day = -365; /* 1969-01-01 */
  for (int y = 1969; y <= 2101; y++) {
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    int dim[12] = {31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    for (int m = 0; m < 12; m++)
      for (int d = 1; d <= dim[m]; d++, day++) {
        int64_t t = day * 86400 + 3723; /* 01:02:03 */
        char want[64], out[ZN_HTTP_DATE_LEN + 1];
        int w = (int)(((day % 7) + 7) % 7);
        snprintf(want, sizeof(want), "%s, %02d %s %04d 01:02:03 GMT", wk[w], d,
                 mon[m], y);
        ZT_EQ(zn_http_date_format(t, out), ZN_OK);
        if (strcmp(out, want) != 0) {
          zt_fail(__FILE__, __LINE__, "day %lld: %s, want %s", (long long)day,
                  out, want);
          return;
        }
        int64_t back = 0;
        ZT_EQ(parse(out, NOW_2025, &back), ZN_OK);
        ZT_EQ(back, t);
        /* asctime */
        char asc[64];
        snprintf(asc, sizeof(asc), "%s %s %2d 01:02:03 %04d", wk[w], mon[m], d,
                 y);
        back = 0;
        ZT_EQ(parse(asc, NOW_2025, &back), ZN_OK);
        ZT_EQ(back, t);
      }
  }
  ZT_EQ(day, 48212); /* 2102-01-01 */
}

ZT_TEST(test_rfc850_two_digit_years) {
  int64_t t = 0;
  /* now 2025: 75 is 2075 (exactly 50 years on), 76 is 1976. */
  ZT_EQ(parse("Tuesday, 01-Jan-75 00:00:00 GMT", NOW_2025, &t), ZN_OK);
  ZT_EQ(t, 3313526400LL);
  ZT_EQ(parse("Thursday, 01-Jan-76 00:00:00 GMT", NOW_2025, &t), ZN_OK);
  ZT_EQ(t, 189302400LL);
  ZT_EQ(parse("Wednesday, 01-Jan-70 00:00:00 GMT", NOW_2025, &t), ZN_OK);
  ZT_EQ(t, 3155760000LL); /* 2070 */
  ZT_EQ(parse("Saturday, 01-Jan-00 00:00:00 GMT", NOW_2025, &t), ZN_OK);
  ZT_EQ(t, 946684800LL);
  /* now 1970: 70 is 1970, 20 is 2020, 21 is 1921. */
  ZT_EQ(parse("Thursday, 01-Jan-70 00:00:00 GMT", 0, &t), ZN_OK);
  ZT_EQ(t, 0);
  ZT_EQ(parse("Wednesday, 01-Jan-20 00:00:00 GMT", 0, &t), ZN_OK);
  ZT_EQ(t, 1577836800LL);
  ZT_EQ(parse("Saturday, 01-Jan-21 00:00:00 GMT", 0, &t), ZN_OK);
  ZT_EQ(t, -1546300800LL);
  /* Every full day name. */
  static const char *const days[] = {"Monday",   "Tuesday", "Wednesday",
                                     "Thursday", "Friday",  "Saturday",
                                     "Sunday"};
  for (int i = 0; i < 7; i++) {
    char s[64];
    snprintf(s, sizeof(s), "%s, 06-Nov-94 08:49:37 GMT", days[i]);
    ZT_EQ(parse(s, NOW_2025, &t), ZN_OK);
    ZT_EQ(t, 784111777);
  }
}

ZT_TEST(test_malformed_dates) {
  static const char *const bad[] = {
      "",
      "Sun, 06 Nov 1994 08:49:37 GMT ",
      " Sun, 06 Nov 1994 08:49:37 GMT",
      "Sun, 06 Nov 1994 08:49:37 UTC",
      "Sun, 06 Nov 1994 08:49:37 gmt",
      "sun, 06 Nov 1994 08:49:37 GMT",
      "Sun, 06 nov 1994 08:49:37 GMT",
      "Sun, 06 Nov 94 08:49:37 GMT",
      "Sun, 6 Nov 1994 08:49:37 GMT",
      "Sun 06 Nov 1994 08:49:37 GMT",
      "Sun, 06-Nov-1994 08:49:37 GMT",
      "Sun, 06 Nov 1994 8:49:37 GMT",
      "Sun, 06 Nov 1994 24:00:00 GMT",
      "Sun, 06 Nov 1994 23:60:00 GMT",
      "Sun, 06 Nov 1994 23:59:61 GMT",
      "Sun, 00 Nov 1994 08:49:37 GMT",
      "Sun, 31 Nov 1994 08:49:37 GMT",
      "Sun, 30 Feb 2000 08:49:37 GMT",
      "Sun, 29 Feb 1900 08:49:37 GMT",
      "Sun, 29 Feb 2100 08:49:37 GMT",
      "Sun, 29 Feb 2023 08:49:37 GMT",
      "Sun, 32 Jan 2023 08:49:37 GMT",
      "Xyz, 06 Nov 1994 08:49:37 GMT",
      "Sun, 06 Nov 1994 08.49.37 GMT",
      "Sun, 06 Nov 199a 08:49:37 GMT",
      "Sun, +6 Nov 1994 08:49:37 GMT",
      "Sunday, 06-Nov-94 08:49:37 UTC",
      "Sundy, 06-Nov-94 08:49:37 GMT",
      "Sun, 06-Nov-94 08:49:37 GMT",
      "Sunday 06-Nov-94 08:49:37 GMT",
      "Sunday, 06 Nov 94 08:49:37 GMT",
      "Sunday, 06-Nov-1994 08:49:37 GMT",
      "Sunday, 31-Apr-94 08:49:37 GMT",
      "Sun Nov  6 08:49:37 94",
      "Sun Nov 6 08:49:37 1994",
      "Sun Nov  6 08:49:37 1994 ",
      "Sun Nov 31 08:49:37 1994",
      "Sun Nov  0 08:49:37 1994",
      "Sun, 06 Nov 1994 08:49:37",
      "784111777",
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    int64_t t = 4242;
    if (parse(bad[i], NOW_2025, &t) != ZN_EMALFORMED)
      zt_fail(__FILE__, __LINE__, "\"%s\" parsed", bad[i]);
    ZT_EQ(t, 4242);
  }
}

int main(void) {
  ZT_RUN(test_three_forms_of_rfc_example);
  ZT_RUN(test_known_instants);
  ZT_RUN(test_format_range);
  ZT_RUN(test_every_day_round_trips);
  ZT_RUN(test_rfc850_two_digit_years);
  ZT_RUN(test_malformed_dates);
  return zt_done();
}
