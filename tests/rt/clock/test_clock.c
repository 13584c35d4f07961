/* rt/clock.c: the monotonic clock over the time-stamp counter, against a
 * platform clock the test moves, then against the host's own. */
#define _GNU_SOURCE
#include <time.h>

#include "clock.h"
#include "zt.h"

#define US 1000ull
#define MS 1000000ull

/* The fake platform: the true time, and a counter at 2.5 GHz over it
 * (`skew` parts per million fast).  A reading of the platform may take
 * `platform_delay` of true time (the thread preempted around it); the
 * counter may be made to answer `counter_fixed`, the values queued, or at 1,001 ticks for
 * 1,000 from `fast_from` on (a rate measured wrong). */
static uint64_t true_ns, platform_delay, counter_fixed, fast_from;
static int64_t skew;
static uint64_t platform_ns(void) {
  true_ns += platform_delay;
  return true_ns;
}
static uint64_t tsc_at(uint64_t ns, int64_t skew_ppm) {
  return 1000u + (ns * 5u / 2u) + (uint64_t)((int64_t)(ns * 5u / 2u) / 1000000 * skew_ppm);
}
static uint64_t queued[2];
static unsigned nqueued, queue_at;
static void queue_counter(uint64_t first, uint64_t second) {
  queued[0] = first;
  queued[1] = second;
  nqueued = 2;
  queue_at = 0;
}
static uint64_t counter_fake(void) {
  if (queue_at < nqueued)
    return queued[queue_at++];
  if (counter_fixed)
    return counter_fixed;
  if (fast_from && true_ns > fast_from)
    return tsc_at(fast_from, 0) + (tsc_at(true_ns, 0) - tsc_at(fast_from, 0)) * 1001 / 1000;
  return tsc_at(true_ns, skew);
}

static void start(struct zrt_clock *c, bool counter_ok) {
  true_ns = 5 * MS;
  platform_delay = counter_fixed = fast_from = 0;
  nqueued = queue_at = 0;
  skew = 0;
  zrt_clock_init(c, platform_ns, counter_fake, MS, counter_ok);
}

/* Read at `ns` of true time; the counter `skew` ppm off. */
static uint64_t read_at(struct zrt_clock *c, uint64_t ns, int64_t skew_ppm) {
  true_ns = ns;
  skew = skew_ppm;
  return zrt_clock_now(c);
}

static uint64_t diff(uint64_t a, uint64_t b) { return a > b ? a - b : b - a; }

ZT_TEST(test_clock_reads_platform_until_base_long_enough) {
  struct zrt_clock c;
  start(&c, true);
  for (uint64_t t = 5 * MS; t < 5 * MS + ZRT_CLOCK_RATE_BASE_NS; t += 100 * US)
    ZT_EQU(read_at(&c, t, 0), t);
  ZT_EQU(c.platform_reads, ZRT_CLOCK_RATE_BASE_NS / (100 * US));
  ZT_CHECK(!c.rated);
  read_at(&c, 5 * MS + ZRT_CLOCK_RATE_BASE_NS, 0);
  ZT_CHECK(c.rated);
}

ZT_TEST(test_clock_counts_ticks_between_readings) {
  struct zrt_clock c;
  start(&c, true);
  read_at(&c, 5 * MS, 0);
  read_at(&c, 10 * MS, 0);
  ZT_REQUIRE(c.rated);
  uint64_t reads = c.platform_reads;
  /* 999 reads within the millisecond after the last reading: none of
   * them asks the platform, each within 2 ns of the truth. */
  for (uint64_t t = 10 * MS + US; t < 11 * MS; t += US)
    ZT_CHECK(diff(read_at(&c, t, 0), t) <= 2);
  ZT_EQU(c.platform_reads, reads);
  /* A millisecond on: the platform again. */
  ZT_EQU(read_at(&c, 11 * MS + 10 * US, 0), 11 * MS + 10 * US);
  ZT_EQU(c.platform_reads, reads + 1);
}

ZT_TEST(test_clock_fast_counter_pauses_never_goes_back) {
  struct zrt_clock c;
  start(&c, true);
  read_at(&c, 5 * MS, 0);
  read_at(&c, 10 * MS, 0);
  ZT_REQUIRE(c.rated);
  /* The counter now runs 1,000 ppm fast (a rate measured wrong): the
   * estimate runs ahead by at most 1 us before the next reading, which
   * is behind it; what is returned holds still, then goes on. */
  uint64_t prev = 0, worst = 0;
  fast_from = 10 * MS;
  for (uint64_t t = 10 * MS; t < 20 * MS; t += 7 * US) {
    uint64_t now = read_at(&c, t, 0);
    ZT_CHECK(now >= prev);
    if (diff(now, t) > worst)
      worst = diff(now, t);
    prev = now;
  }
  ZT_CHECK(worst <= 2 * US);
}

ZT_TEST(test_clock_counter_backwards_trusted_no_more) {
  struct zrt_clock c;
  start(&c, true);
  read_at(&c, 5 * MS, 0);
  read_at(&c, 10 * MS, 0);
  ZT_REQUIRE(c.rated);
  /* Another CPU's counter, behind the first reading's. */
  counter_fixed = 10;
  ZT_EQU(read_at(&c, 10 * MS + 300 * US, 0), 10 * MS + 300 * US);
  ZT_CHECK(!c.counter_ok);
  counter_fixed = 0;
  uint64_t reads = c.platform_reads;
  for (uint64_t t = 10 * MS + 400 * US; t < 11 * MS; t += 100 * US)
    ZT_EQU(read_at(&c, t, 0), t);
  ZT_EQU(c.platform_reads, reads + 6);
}

ZT_TEST(test_clock_without_invariant_counter_reads_platform) {
  struct zrt_clock c;
  start(&c, false);
  uint64_t n = 0;
  for (uint64_t t = 5 * MS; t < 50 * MS; t += MS / 3, n++)
    ZT_EQU(read_at(&c, t, 0), t);
  ZT_CHECK(!c.rated);
  ZT_EQU(c.platform_reads, n);
}

ZT_TEST(test_clock_platform_behind_estimate_clamped) {
  struct zrt_clock c;
  start(&c, true);
  read_at(&c, 5 * MS, 0);
  read_at(&c, 10 * MS, 0);
  uint64_t a = read_at(&c, 10 * MS + 900 * US, 0);
  /* The platform's next reading is 3 us behind what was returned (the
   * counter says 1.1 ms have passed since the last). */
  counter_fixed = tsc_at(11 * MS + 100 * US, 0);
  ZT_EQU(read_at(&c, a - 3 * US, 0), a);
}

/* The thread preempted around a reading of the platform: its bracket
 * is 300 us wide.  It is not made the base (the estimates after it stay
 * true); read wide three times in a row, it is. */
ZT_TEST(test_clock_wide_reading_kept_out) {
  struct zrt_clock c;
  start(&c, true);
  read_at(&c, 5 * MS, 0);
  read_at(&c, 10 * MS, 0);
  ZT_REQUIRE(c.rated);
  uint64_t t = 11 * MS + 10 * US;
  platform_delay = 300 * US;
  ZT_CHECK(diff(read_at(&c, t, 0), t) <= 2);
  ZT_EQU(c.kept_out, 1);
  uint64_t reads = c.platform_reads;
  platform_delay = 0;
  ZT_CHECK(diff(read_at(&c, t + 20 * US, 0), t + 20 * US) <= 2);
  ZT_EQU(c.platform_reads, reads + 1); /* read again at once, narrow */
  /* Wide at each reading (1.1 ms apart): the third is taken (a platform
   * that got slower, not a preemption). */
  t += 20 * US;
  platform_delay = 300 * US;
  for (int i = 0; i < 2; i++) {
    t += 1100 * US;
    ZT_CHECK(diff(read_at(&c, t, 0), t) <= 2);
  }
  t += 1100 * US;
  ZT_EQU(read_at(&c, t, 0), t + 300 * US);
  ZT_EQU(c.kept_out, 3);
}

/* A wide reading bounds what is returned: the platform was read
 * between the bracket's two counter reads, so the time at the first is
 * at most the reading and at least the reading less the bracket. */
ZT_TEST(test_clock_wide_reading_bounds_estimate) {
  struct zrt_clock c;
  start(&c, true);
  read_at(&c, 5 * MS, 0);
  read_at(&c, 10 * MS, 0);
  ZT_REQUIRE(c.rated);
  /* The estimate (11.1 ms) behind a 400 us bracket ending at 12 ms. */
  queue_counter(tsc_at(11 * MS + 100 * US, 0), tsc_at(11 * MS + 500 * US, 0));
  ZT_CHECK(diff(read_at(&c, 12 * MS, 0), 11 * MS + 600 * US) <= 2);
  ZT_EQU(c.kept_out, 1);
  /* The estimate (13.5 ms) ahead of the reading (13.2 ms). */
  queue_counter(tsc_at(13 * MS + 500 * US, 0), tsc_at(13 * MS + 900 * US, 0));
  ZT_EQU(read_at(&c, 13 * MS + 200 * US, 0), 13 * MS + 200 * US);
  ZT_EQU(c.kept_out, 2);
}

/* The first reading preempted (a 1 ms bracket): the rate's base starts
 * at the next narrow one instead, and the estimates are true once rated.
 * Taken as the base, it would leave the rate 20% off at 5 ms. */
ZT_TEST(test_clock_wide_first_reading_not_base) {
  struct zrt_clock c;
  start(&c, true);
  platform_delay = MS;
  read_at(&c, 5 * MS, 0);
  platform_delay = 0;
  uint64_t worst = 0;
  for (uint64_t t = 6 * MS + 50 * US; t < 30 * MS; t += 37 * US) {
    uint64_t now = read_at(&c, t, 0);
    if (c.rated && diff(now, t) > worst)
      worst = diff(now, t);
  }
  ZT_REQUIRE(c.rated);
  ZT_EQU(c.first_ns, 6 * MS + 50 * US);
  ZT_CHECK(worst <= 2);
}

static uint64_t host_mono(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t host_counter(void) { return __builtin_ia32_rdtsc(); }

/* The host's counter and clock for 300 ms of reads, each compared with
 * the host's clock read just before and just after it: once rated, at
 * most one in a thousand more than 5 us outside those (the rate's error,
 * or a reading of the platform's clock preempted after the counter was
 * read), and about one reading of
 * the host's clock a millisecond (every read before the rate is known
 * is one). */
ZT_TEST(test_clock_tracks_host_clock) {
  struct zrt_clock c;
  zrt_clock_init(&c, host_mono, host_counter, MS, true);
  uint64_t start_ns = host_mono(), reads = 0, off = 0, rated_at = 0;
  uint64_t before;
  while ((before = host_mono()) - start_ns < 300 * MS) {
    uint64_t now = zrt_clock_now(&c);
    uint64_t after = host_mono();
    if (!c.rated)
      continue;
    if (!rated_at)
      rated_at = c.platform_reads;
    reads++;
    /* Within the host's two reads around it, give or take 5 us: a
     * preemption between them widens the window, not the error. */
    off += now + 5 * US < before || now > after + 5 * US;
  }
  ZT_REQUIRE(c.rated);
  ZT_CHECK(off <= reads / 1000);
  ZT_CHECK(c.platform_reads - rated_at <= 300 + 30);
  printf("# %llu reads once rated, %llu more than 5 us off; %llu of the "
         "host's clock before the rate, %llu after\n",
         (unsigned long long)reads, (unsigned long long)off,
         (unsigned long long)rated_at,
         (unsigned long long)(c.platform_reads - rated_at));
}

int main(void) {
  ZT_RUN(test_clock_reads_platform_until_base_long_enough);
  ZT_RUN(test_clock_counts_ticks_between_readings);
  ZT_RUN(test_clock_fast_counter_pauses_never_goes_back);
  ZT_RUN(test_clock_counter_backwards_trusted_no_more);
  ZT_RUN(test_clock_without_invariant_counter_reads_platform);
  ZT_RUN(test_clock_platform_behind_estimate_clamped);
  ZT_RUN(test_clock_wide_reading_kept_out);
  ZT_RUN(test_clock_wide_reading_bounds_estimate);
  ZT_RUN(test_clock_wide_first_reading_not_base);
  ZT_RUN(test_clock_tracks_host_clock);
  return zt_done();
}
