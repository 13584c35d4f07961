/*
 * HTTP-date (RFC 9110 §5.6.7): the three forms read, IMF-fixdate written,
 * to and from Unix seconds, with no libc time function: the proleptic
 * Gregorian calendar by the days-from-civil and civil-from-days
 * arithmetic (400-year eras of 146097 days, years starting in March so
 * the leap day is the last of its year), valid for any year here.
 */
#include <string.h>

#include "http_int.h"
#include "znet/err.h"

static const char wkday[7][4] = {"Sun", "Mon", "Tue", "Wed",
                                 "Thu", "Fri", "Sat"};
static const char *const weekday[7] = {"Sunday",    "Monday",   "Tuesday",
                                       "Wednesday", "Thursday", "Friday",
                                       "Saturday"};
static const char month_names[12][4] = {"Jan", "Feb", "Mar", "Apr",
                                        "May", "Jun", "Jul", "Aug",
                                        "Sep", "Oct", "Nov", "Dec"};

/* A broken-down UTC time. */
struct civil {
  int64_t year;
  unsigned mon; /* 1..12 */
  unsigned day; /* 1..31 */
  unsigned hour, min, sec;
};

/* Days from 1970-01-01 to y-m-d. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = (unsigned)(y - era * 400); /* 0..399 */
  unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; /* 0..146096 */
  return era * 146097 + (int64_t)doe - 719468;
}

/* The date of day z (days from 1970-01-01). */
static void civil_from_days(int64_t z, struct civil *c) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  unsigned doe = (unsigned)(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  c->day = doy - (153 * mp + 2) / 5 + 1;
  c->mon = mp < 10 ? mp + 3 : mp - 9;
  c->year = (int64_t)yoe + era * 400 + (c->mon <= 2);
}

static bool is_leap(int64_t y) {
  return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

static unsigned days_in_month(int64_t y, unsigned m) {
  static const uint8_t dim[12] = {31, 28, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* Exactly n digits at s, into *v. */
static bool digits(const char *s, size_t n, unsigned *v) {
  unsigned x = 0;
  for (size_t i = 0; i < n; i++) {
    if (!zn__http_is_digit((uint8_t)s[i]))
      return false;
    x = x * 10 + (unsigned)(s[i] - '0');
  }
  *v = x;
  return true;
}

/* "Jan".."Dec" at s (case-sensitive): 1..12, or 0. */
static unsigned month_of(const char *s) {
  for (unsigned m = 0; m < 12; m++)
    if (memcmp(s, month_names[m], 3) == 0)
      return m + 1;
  return 0;
}

static bool is_wkday(const char *s) {
  for (unsigned d = 0; d < 7; d++)
    if (memcmp(s, wkday[d], 3) == 0)
      return true;
  return false;
}

/* time-of-day "HH:MM:SS" at s. */
static bool time_of_day(const char *s, struct civil *c) {
  return digits(s, 2, &c->hour) && s[2] == ':' && digits(s + 3, 2, &c->min) &&
         s[5] == ':' && digits(s + 6, 2, &c->sec) && c->hour <= 23 &&
         c->min <= 59 && c->sec <= 60;
}

/* IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT" (29 bytes). */
static bool imf_fixdate(const char *s, struct civil *c) {
  unsigned y;
  c->mon = month_of(s + 8);
  if (!is_wkday(s) || memcmp(s + 3, ", ", 2) != 0 ||
      !digits(s + 5, 2, &c->day) || s[7] != ' ' || s[11] != ' ' ||
      !digits(s + 12, 4, &y) || s[16] != ' ' || !time_of_day(s + 17, c) ||
      memcmp(s + 25, " GMT", 4) != 0)
    return false;
  c->year = y;
  return true;
}

/* asctime-date, "Sun Nov  6 08:49:37 1994" (24 bytes): the day is two
 * digits or a space and one. */
static bool asctime_date(const char *s, struct civil *c) {
  unsigned y;
  bool day =
      s[8] == ' ' ? digits(s + 9, 1, &c->day) : digits(s + 8, 2, &c->day);
  c->mon = month_of(s + 4);
  if (!is_wkday(s) || s[3] != ' ' || s[7] != ' ' || !day || s[10] != ' ' ||
      !time_of_day(s + 11, c) || s[19] != ' ' || !digits(s + 20, 4, &y))
    return false;
  c->year = y;
  return true;
}

/* RFC 9110 §5.6.7: a two-digit year is the latest year with those digits
 * not more than 50 years after now's. */
static int64_t century_of(unsigned yy, int64_t now) {
  struct civil n;
  int64_t days = now / 86400 - (now % 86400 < 0);
  civil_from_days(days, &n);
  int64_t top = n.year + 50;
  int64_t back = (top - (int64_t)yy) % 100;
  if (back < 0)
    back += 100;
  return top - back;
}

/* A full day name ("Sunday") is s[0..n). */
static bool is_weekday(const char *s, size_t n) {
  static const uint8_t lens[7] = {6, 6, 7, 9, 8, 6, 8};
  for (unsigned d = 0; d < 7; d++)
    if (n == lens[d] && memcmp(s, weekday[d], n) == 0)
      return true;
  return false;
}

/* rfc850-date, "Sunday, 06-Nov-94 08:49:37 GMT": a full day name, a
 * comma, then 23 bytes. */
static bool rfc850_date(const char *s, size_t len, int64_t now,
                        struct civil *c) {
  size_t k = 0;
  while (k < len && s[k] != ',')
    k++;
  if (len != k + 24 || !is_weekday(s, k))
    return false;
  const char *r = s + k + 1;
  unsigned yy;
  c->mon = month_of(r + 4);
  if (r[0] != ' ' || !digits(r + 1, 2, &c->day) || r[3] != '-' || r[7] != '-' ||
      !digits(r + 8, 2, &yy) || r[10] != ' ' || !time_of_day(r + 11, c) ||
      memcmp(r + 19, " GMT", 4) != 0)
    return false;
  c->year = century_of(yy, now);
  return true;
}

static bool valid(const struct civil *c) {
  return c->mon >= 1 && c->mon <= 12 && c->day >= 1 &&
         c->day <= days_in_month(c->year, c->mon);
}

int zn_http_date_parse(const char *s, size_t len, int64_t now, int64_t *t) {
  struct civil c;
  bool ok;
  if (len == 29 && s[3] == ',')
    ok = imf_fixdate(s, &c);
  else if (len == 24 && s[3] == ' ')
    ok = asctime_date(s, &c);
  else
    ok = rfc850_date(s, len, now, &c);
  if (!ok || !valid(&c))
    return ZN_EMALFORMED;
  *t = days_from_civil(c.year, c.mon, c.day) * 86400 +
       (int64_t)c.hour * 3600 + (int64_t)c.min * 60 + (int64_t)c.sec;
  return ZN_OK;
}

static void put2(char *o, unsigned v) {
  o[0] = (char)('0' + v / 10);
  o[1] = (char)('0' + v % 10);
}

/* 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z. */
#define DATE_MIN (-62167219200LL)
#define DATE_MAX 253402300799LL

int zn_http_date_format(int64_t t, char out[ZN_HTTP_DATE_LEN + 1]) {
  if (t < DATE_MIN || t > DATE_MAX)
    return ZN_ERANGE;
  int64_t days = t / 86400 - (t % 86400 < 0);
  unsigned secs = (unsigned)(t - days * 86400);
  struct civil c;
  civil_from_days(days, &c);
  int64_t wd = (days % 7 + 11) % 7; /* 1970-01-01 was a Thursday */
  memcpy(out, wkday[wd], 3);
  memcpy(out + 3, ", ", 2);
  put2(out + 5, c.day);
  out[7] = ' ';
  memcpy(out + 8, month_names[c.mon - 1], 3);
  out[11] = ' ';
  put2(out + 12, (unsigned)(c.year / 100));
  put2(out + 14, (unsigned)(c.year % 100));
  out[16] = ' ';
  put2(out + 17, secs / 3600);
  out[19] = ':';
  put2(out + 20, secs / 60 % 60);
  out[22] = ':';
  put2(out + 23, secs % 60);
  memcpy(out + 25, " GMT", 4);
  out[29] = '\0';
  return ZN_OK;
}
