/*
 * Tests of zn_http_range_resolve (http/http_range.c): the three
 * range-spec forms against representations of several lengths, the
 * edges (0-0, the last byte, past the end, -0, empty representations),
 * numbers too long for 64 bits, and what is ignored (other units,
 * several ranges, malformed values).
 */
#include <string.h>

#include "znet/http.h"
#include "zt.h"

#define NONE ZN_HTTP_RANGE_NONE
#define PART ZN_HTTP_RANGE_PARTIAL
#define UNSAT ZN_HTTP_RANGE_UNSATISFIABLE

static const struct {
  const char *v;
  uint64_t size;
  enum zn_http_range want;
  uint64_t first, count;
} cases[] = {
    {"bytes=0-0", 100, PART, 0, 1},
    {"bytes=0-99", 100, PART, 0, 100},
    {"bytes=0-100", 100, PART, 0, 100},
    {"bytes=0-", 100, PART, 0, 100},
    {"bytes=10-19", 100, PART, 10, 10},
    {"bytes=99-99", 100, PART, 99, 1},
    {"bytes=99-", 100, PART, 99, 1},
    {"bytes=99-1000", 100, PART, 99, 1},
    {"bytes=100-", 100, UNSAT, 0, 0},
    {"bytes=100-200", 100, UNSAT, 0, 0},
    {"bytes=1000-2000", 100, UNSAT, 0, 0},
    {"bytes=-1", 100, PART, 99, 1},
    {"bytes=-10", 100, PART, 90, 10},
    {"bytes=-100", 100, PART, 0, 100},
    {"bytes=-1000", 100, PART, 0, 100},
    {"bytes=-0", 100, UNSAT, 0, 0},
    {"bytes=-000", 100, UNSAT, 0, 0},
    {"bytes=0-0", 1, PART, 0, 1},
    {"bytes=0-0", 0, UNSAT, 0, 0},
    {"bytes=0-", 0, UNSAT, 0, 0},
    {"bytes=-5", 0, NONE, 0, 0},
    {"bytes=-0", 0, UNSAT, 0, 0},
    {"BYTES=1-2", 100, PART, 1, 2},
    {"Bytes=1-2", 100, PART, 1, 2},
    {"bytes= 1-2 ", 100, PART, 1, 2},
    {"bytes=1-2,", 100, PART, 1, 2},
    {"bytes=,1-2", 100, PART, 1, 2},
    {"bytes=007-008", 100, PART, 7, 2},
    /* Numbers too long for 64 bits. */
    {"bytes=0-99999999999999999999999999", 100, PART, 0, 100},
    {"bytes=99999999999999999999999999-", 100, UNSAT, 0, 0},
    {"bytes=99999999999999999999-99999999999999999999", 100, UNSAT, 0, 0},
    {"bytes=-99999999999999999999999999", 100, PART, 0, 100},
    {"bytes=18446744073709551615-", 100, UNSAT, 0, 0},
    {"bytes=0-18446744073709551615", UINT64_MAX, PART, 0, UINT64_MAX},
    {"bytes=18446744073709551614-", UINT64_MAX, PART, UINT64_MAX - 1, 1},
    {"bytes=-18446744073709551615", UINT64_MAX, PART, 0, UINT64_MAX},
    /* Ignored: the whole representation. */
    {"bytes=5-4", 100, NONE, 0, 0},
    {"bytes=99999999999999999999999-9999999999999999999999", 100, NONE, 0, 0},
    {"bytes=0-1,3-4", 100, NONE, 0, 0},
    {"bytes=0-1, -5", 100, NONE, 0, 0},
    {"bytes=", 100, NONE, 0, 0},
    {"bytes=,", 100, NONE, 0, 0},
    {"bytes", 100, NONE, 0, 0},
    {"bytes=-", 100, NONE, 0, 0},
    {"bytes=1", 100, NONE, 0, 0},
    {"bytes=a-b", 100, NONE, 0, 0},
    {"bytes=1-b", 100, NONE, 0, 0},
    {"bytes=+1-2", 100, NONE, 0, 0},
    {"bytes=1--2", 100, NONE, 0, 0},
    {"bytes=1 -2", 100, NONE, 0, 0},
    {"bytes=--1", 100, NONE, 0, 0},
    {"bytes=0x1-2", 100, NONE, 0, 0},
    {"bytes =1-2", 100, NONE, 0, 0},
    {"items=1-2", 100, NONE, 0, 0},
    {"", 100, NONE, 0, 0},
    {"=1-2", 100, NONE, 0, 0},
};

ZT_TEST(test_range_cases) {
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    uint64_t first = 777, count = 777;
    enum zn_http_range r = zn_http_range_resolve(cases[i].v, strlen(cases[i].v),
                                                 cases[i].size, &first, &count);
    if (r != cases[i].want) {
      zt_fail(__FILE__, __LINE__, "\"%s\" of %llu: %d, want %d", cases[i].v,
              (unsigned long long)cases[i].size, r, cases[i].want);
      continue;
    }
    if (r == PART) {
      ZT_EQU(first, cases[i].first);
      ZT_EQU(count, cases[i].count);
    } else {
      ZT_EQU(first, 777); /* untouched */
      ZT_EQU(count, 777);
    }
  }
}

ZT_TEST(test_range_absent_or_emptied) {
  uint64_t first, count;
  ZT_EQ(zn_http_range_resolve(NULL, 0, 100, &first, &count), NONE);
  /* A repeated Range is made present and empty by the parser. */
  ZT_EQ(zn_http_range_resolve("x", 0, 100, &first, &count), NONE);
}

/* Every satisfiable "a-b" on a small representation lands inside it. */
ZT_TEST(test_range_exhaustive_small) {
  char v[32];
  for (uint64_t size = 0; size < 6; size++)
    for (uint64_t a = 0; a < 8; a++)
      for (uint64_t b = 0; b < 8; b++) {
        uint64_t first = 0, count = 0;
        int n = snprintf(v, sizeof(v), "bytes=%llu-%llu", (unsigned long long)a,
                         (unsigned long long)b);
        enum zn_http_range r =
            zn_http_range_resolve(v, (size_t)n, size, &first, &count);
        if (b < a)
          ZT_EQ(r, NONE);
        else if (a >= size)
          ZT_EQ(r, UNSAT);
        else {
          ZT_EQ(r, PART);
          ZT_EQU(first, a);
          ZT_EQU(first + count - 1, b < size ? b : size - 1);
        }
      }
}

int main(void) {
  ZT_RUN(test_range_cases);
  ZT_RUN(test_range_absent_or_emptied);
  ZT_RUN(test_range_exhaustive_small);
  return zt_done();
}
