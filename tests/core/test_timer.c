/* Timers and the timing wheel (src/core/timer.c). */
#include <stdlib.h>

#include "core/stack_int.h"
#include "core/timer_inline.h"
#include "internals.h"
#include "harness.h"
#include "zt.h"

struct tt {
  struct zn_timer t;
  uint64_t when;      /* ns it was armed for */
  uint64_t fired_at;  /* `now` of the poll that ran it, 0 = not fired */
  int fired;
};

static uint64_t now_of(struct zn_stack *st) { return zn_stack_now(st); }

static void on_fire(struct zn_stack *st, struct zn_timer *t) {
  struct tt *x = ZN_CONTAINER_OF(t, struct tt, t);
  x->fired++;
  x->fired_at = now_of(st);
}

static struct zn_stack *mk(void) {
  struct zn_config cfg;
  th_config(&cfg, 0, 0, 1);
  cfg.nbufs = 4;
  cfg.nbigbufs = 0;
  return th_stack_new(&cfg);
}

static uint64_t due_ns(uint64_t when) {
  uint64_t tick = when / ZN_TIMER_TICK_NS + (when % ZN_TIMER_TICK_NS != 0);
  return tick * ZN_TIMER_TICK_NS;
}

ZT_TEST(test_fires_on_time_not_before) {
  struct zn_stack *st = mk();
  ZT_REQUIRE(st);
  zn_stack_poll(st, 0);
  struct tt a = {0};
  zn_timer_init(&a.t, on_fire);
  zn_timer_start(st, &a.t, ZN_SEC(1));
  ZT_CHECK(zn_timer_pending(&a.t));
  zn_stack_poll(st, ZN_SEC(1) - 1);
  ZT_EQ(a.fired, 0);
  ZT_CHECK(zn_stack_next_deadline(st) <= ZN_SEC(1));
  ZT_CHECK(zn_stack_next_deadline(st) > ZN_SEC(1) - ZN_MS(1) - 1);
  zn_stack_poll(st, ZN_SEC(1));
  ZT_EQ(a.fired, 1);
  ZT_CHECK(!zn_timer_pending(&a.t));
  ZT_EQU(zn_stack_next_deadline(st), ZN_TIME_NEVER);
  /* A time in the past fires on the next poll. */
  zn_timer_start(st, &a.t, 5);
  ZT_EQU(zn_stack_next_deadline(st), ZN_SEC(1));
  zn_stack_poll(st, ZN_SEC(1));
  ZT_EQ(a.fired, 2);
  /* Sub-tick expiry rounds up, never down. */
  zn_timer_start(st, &a.t, ZN_SEC(2) + 1);
  zn_stack_poll(st, ZN_SEC(2) + 1);
  ZT_EQ(a.fired, 2);
  zn_stack_poll(st, ZN_SEC(2) + ZN_MS(1));
  ZT_EQ(a.fired, 3);
  th_stack_free(st);
}

ZT_TEST(test_stop_and_restart) {
  struct zn_stack *st = mk();
  ZT_REQUIRE(st);
  zn_stack_poll(st, 0);
  struct tt a = {0}, b = {0};
  zn_timer_init(&a.t, on_fire);
  zn_timer_init(&b.t, on_fire);
  zn_timer_start(st, &a.t, ZN_MS(100));
  zn_timer_start(st, &b.t, ZN_SEC(100));
  zn_timer_stop(st, &a.t);
  zn_timer_stop(st, &a.t); /* harmless twice */
  ZT_CHECK(!zn_timer_pending(&a.t));
  zn_timer_start(st, &b.t, ZN_MS(50)); /* restart moves it */
  zn_stack_poll(st, ZN_MS(60));
  ZT_EQ(b.fired, 1);
  zn_stack_poll(st, ZN_SEC(200));
  ZT_EQ(a.fired, 0);
  ZT_EQ(b.fired, 1);
  th_stack_free(st);
}

/* A callback that re-arms itself (a periodic timer) and stops another
 * timer that is due in the same poll. */
static struct tt *victim;
static void periodic(struct zn_stack *st, struct zn_timer *t) {
  struct tt *x = ZN_CONTAINER_OF(t, struct tt, t);
  x->fired++;
  if (victim)
    zn_timer_stop(st, &victim->t);
  if (x->fired < 10)
    zn_timer_start_in(st, t, ZN_MS(10));
}

ZT_TEST(test_callback_rearms_and_stops_other) {
  struct zn_stack *st = mk();
  ZT_REQUIRE(st);
  zn_stack_poll(st, 0);
  struct tt p = {0}, v = {0};
  zn_timer_init(&p.t, periodic);
  zn_timer_init(&v.t, on_fire);
  zn_timer_start(st, &p.t, ZN_MS(10));
  zn_timer_start(st, &v.t, ZN_MS(10));
  victim = &v;
  uint64_t now = 0;
  int polls = 0;
  while (zn_stack_next_deadline(st) != ZN_TIME_NEVER && polls < 100) {
    now = zn_stack_next_deadline(st);
    zn_stack_poll(st, now);
    polls++;
  }
  victim = NULL;
  /* Whichever ran first, the victim must not run after being stopped:
   * either it fired before the periodic one in the first poll, or never. */
  ZT_CHECK(v.fired <= 1);
  ZT_EQ(p.fired, 10);
  ZT_EQU(now, ZN_MS(100));
  /* 10 firings; the deadline of a timer on level 1 is its slot's start, so
   * one early wake-up (at 64 ms) may be needed to cascade it. */
  ZT_CHECK(polls >= 10 && polls <= 12);
  th_stack_free(st);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

/* What the wheel's `next` must be for the timers x[0..n) (the only ones
 * armed): cur if one is due, else the earliest start of the slots they sit
 * in, UINT64_MAX if none is armed.  A timer not yet cascaded sits at the
 * level of the highest 6-bit group in which its expiry differs from the
 * current tick (cur only moves towards it), so the slot follows from the
 * expiry alone. */
static uint64_t model_next(const struct zn_stack *st, const struct tt *x, int n,
                           uint32_t *armed) {
  uint64_t cur = st->wheel.cur, next = UINT64_MAX;
  *armed = 0;
  for (int i = 0; i < n; i++) {
    if (!zn_timer_pending(&x[i].t))
      continue;
    ++*armed;
    uint64_t e = x[i].t.expires, start = cur;
    if (e > cur) {
      unsigned shift = (63u - (unsigned)__builtin_clzll(e ^ cur)) / 6u * 6u;
      start = e >> shift << shift;
    }
    next = start < next ? start : next;
  }
  return next;
}

/* The kept deadline is never later than the one a search of the timers
 * would find (stops may leave it early), and once refreshed it is that
 * one. */
static int check_next(const struct zn_stack *st, const struct tt *x, int n,
                      const char *after) {
  uint32_t armed;
  uint64_t want = model_next(st, x, n, &armed);
  uint64_t kept = st->wheel.next, got = zn__wheel_next(&st->wheel);
  if (kept <= want && got == want && st->wheel.count == armed)
    return 0;
  zt_fail(__FILE__, __LINE__,
          "after %s: next %llu kept %llu, want %llu (cur %llu), count %u, "
          "want %u",
          after, (unsigned long long)got, (unsigned long long)kept,
          (unsigned long long)want, (unsigned long long)st->wheel.cur,
          st->wheel.count, armed);
  return 1;
}

/* For callbacks that stop and restart other timers (model tests). */
static struct tt *model_timers;
static int model_n;

static void on_fire_meddle(struct zn_stack *st, struct zn_timer *t) {
  on_fire(st, t);
  struct tt *y = &model_timers[rnd() % (uint64_t)model_n];
  if (rnd() % 8 == 0) {
    zn_timer_stop(st, &y->t);
    y->when = 0;
  } else if (rnd() % 8 == 0 && y->when == 0) {
    /* (Only an idle one: a restart in a callback is checked above, and the
     * model below wants each armed timer's time kept.) */
    y->when = now_of(st) + 1 + rnd() % ZN_SEC(2);
    y->fired = 0;
    y->fired_at = 0;
    zn_timer_start(st, &y->t, y->when);
  }
}

/* Random arms, stops and clock jumps against the rule "fires at the first
 * poll with now >= expiry rounded up to a tick, exactly once", with the
 * clock starting at `now` (ns); after every step the wheel's kept deadline
 * is the one a search would find. */
static void random_model(uint64_t now, bool meddle) {
  enum { N = 4000 };
  struct zn_stack *st = mk();
  ZT_REQUIRE(st);
  struct tt *t = calloc(N, sizeof(*t));
  model_timers = t;
  model_n = N;
  zn_stack_poll(st, now);
  for (int i = 0; i < N; i++)
    zn_timer_init(&t[i].t, meddle ? on_fire_meddle : on_fire);
  const uint64_t spans[] = {ZN_MS(5), ZN_MS(300), ZN_SEC(20), ZN_SEC(3600),
                            ZN_SEC(86400 * 10)};
  int bad = 0;
  for (int round = 0; round < 400 && !bad; round++) {
    for (int k = 0; k < 50 && !bad; k++) {
      struct tt *x = &t[rnd() % N];
      if (rnd() % 4 == 0) {
        zn_timer_stop(st, &x->t);
        x->when = 0;
        bad += check_next(st, t, N, "stop");
      } else {
        /* Mostly ahead; sometimes in the past (due at the next poll). */
        uint64_t span = spans[rnd() % 5];
        x->when = rnd() % 16 || now < ZN_MS(3) ? now + rnd() % span
                                               : now - rnd() % ZN_MS(3);
        x->fired = 0;
        x->fired_at = 0;
        zn_timer_start(st, &x->t, x->when);
        bad += check_next(st, t, N, "start");
      }
    }
    /* Sometimes step to the deadline, sometimes jump far. */
    uint64_t next = zn_stack_next_deadline(st);
    if (rnd() % 3 == 0 || next == ZN_TIME_NEVER)
      now += rnd() % spans[rnd() % 5];
    else
      now = next > now ? next : now;
    zn_stack_poll(st, now);
    bad += check_next(st, t, N, "poll");
    for (int i = 0; i < N && !bad; i++) {
      struct tt *x = &t[i];
      if (x->when == 0)
        continue;
      if (x->fired) {
        if (x->fired != 1 || x->fired_at < due_ns(x->when) ||
            x->fired_at != now) {
          zt_fail(__FILE__, __LINE__,
                  "timer %d armed for %llu fired %d times at %llu", i,
                  (unsigned long long)x->when, x->fired,
                  (unsigned long long)x->fired_at);
          bad++;
        }
        x->when = 0;
      } else if (due_ns(x->when) <= now) {
        zt_fail(__FILE__, __LINE__, "timer %d due at %llu not fired at %llu", i,
                (unsigned long long)due_ns(x->when), (unsigned long long)now);
        bad++;
      }
    }
  }
  /* The deadline never lies: stepping by it fires everything left. */
  int polls = 0;
  while (!bad && zn_stack_next_deadline(st) != ZN_TIME_NEVER &&
         polls < 100000) {
    uint64_t next = zn_stack_next_deadline(st);
    ZT_CHECK(next >= now);
    now = next;
    zn_stack_poll(st, now);
    bad += check_next(st, t, N, "final poll");
    polls++;
  }
  for (int i = 0; i < N; i++)
    ZT_CHECK(!zn_timer_pending(&t[i].t));
  model_timers = NULL;
  free(t);
  th_stack_free(st);
}

ZT_TEST(test_random_model) { random_model(12345, false); }

/* Callbacks that stop and start other timers, some of them due in the
 * same run, keep the deadline right. */
ZT_TEST(test_random_model_callbacks_meddle) { random_model(ZN_SEC(7), true); }

/* Where the tick's higher 6-bit groups roll over (2^36, 2^42 ticks), a
 * timer's expiry differs from the current tick in a group above all those
 * it spans: each still fires at its time, never before. */
ZT_TEST(test_random_model_across_group_rollovers) {
  random_model(((1ull << 36) - 3) * ZN_TIMER_TICK_NS, false);
  random_model(((1ull << 42) - 3) * ZN_TIMER_TICK_NS + 999999, false);
}

/* A timer set years ahead, or for the end of time, waits for its time
 * (the wheel clamps no expiry: it has a level for every tick). */
ZT_TEST(test_far_future_not_early) {
  struct zn_stack *st = mk();
  ZT_REQUIRE(st);
  uint64_t t0 = ZN_SEC(5), years = ZN_SEC(86400ull * 1000);
  zn_stack_poll(st, t0);
  struct tt a = {0}, b = {0};
  zn_timer_init(&a.t, on_fire);
  zn_timer_init(&b.t, on_fire);
  zn_timer_start_in(st, &a.t, ZN_TIME_NEVER); /* saturates */
  zn_timer_start(st, &b.t, t0 + years);
  zn_stack_poll(st, t0 + ZN_SEC(1));
  ZT_EQ(a.fired + b.fired, 0);
  uint64_t next = zn_stack_next_deadline(st);
  ZT_CHECK(next > t0 + ZN_SEC(1) && next <= t0 + years);
  /* Stepping by the deadline reaches b in a few wake-ups, one a level. */
  int polls = 0;
  while (!b.fired && polls < 20) {
    uint64_t now = zn_stack_next_deadline(st);
    ZT_CHECK(now <= t0 + years);
    zn_stack_poll(st, now);
    polls++;
  }
  ZT_EQ(b.fired, 1);
  ZT_EQU(b.fired_at, t0 + years);
  ZT_EQ(a.fired, 0);
  /* The end of time's tick begins after the last ns a clock can name. */
  ZT_CHECK(zn_timer_pending(&a.t));
  zn_stack_poll(st, ZN_TIME_NEVER - 1);
  ZT_EQ(a.fired, 0);
  ZT_CHECK(zn_stack_next_deadline(st) >= ZN_TIME_NEVER - 1);
  zn_timer_stop(st, &a.t);
  ZT_EQU(zn_stack_next_deadline(st), ZN_TIME_NEVER);
  th_stack_free(st);
}

/* The kept deadline, step by step: it follows a stop of the earliest
 * timer, a restart earlier and later, a cascade, and an empty wheel. */
ZT_TEST(test_deadline_follows_stop_restart_cascade) {
  struct zn_stack *st = mk();
  ZT_REQUIRE(st);
  zn_stack_poll(st, 0);
  struct tt a = {0}, b = {0}, c = {0};
  zn_timer_init(&a.t, on_fire);
  zn_timer_init(&b.t, on_fire);
  zn_timer_init(&c.t, on_fire);
  ZT_EQU(zn_stack_next_deadline(st), ZN_TIME_NEVER);
  zn_timer_start(st, &a.t, ZN_MS(10));
  zn_timer_start(st, &b.t, ZN_MS(100)); /* level 1: slot from 64 ms */
  zn_timer_start(st, &c.t, ZN_SEC(5));  /* level 2: slot from 4096 ms */
  ZT_EQU(zn_stack_next_deadline(st), ZN_MS(10));
  zn_timer_stop(st, &a.t);
  ZT_EQU(zn_stack_next_deadline(st), ZN_MS(64));
  zn_timer_start(st, &b.t, ZN_MS(3)); /* restart earlier */
  ZT_EQU(zn_stack_next_deadline(st), ZN_MS(3));
  zn_timer_start(st, &b.t, ZN_MS(70)); /* and later again */
  ZT_EQU(zn_stack_next_deadline(st), ZN_MS(64));
  /* At 64 ms b drops to level 0, and the deadline becomes exact. */
  zn_stack_poll(st, ZN_MS(64));
  ZT_EQ(b.fired, 0);
  ZT_EQU(zn_stack_next_deadline(st), ZN_MS(70));
  zn_stack_poll(st, ZN_MS(70));
  ZT_EQ(b.fired, 1);
  ZT_EQU(zn_stack_next_deadline(st), ZN_MS(4096));
  /* A timer already due makes the deadline now, until it has run. */
  zn_timer_start(st, &a.t, ZN_MS(1));
  ZT_EQU(zn_stack_next_deadline(st), ZN_MS(70));
  zn_timer_stop(st, &a.t);
  ZT_EQU(zn_stack_next_deadline(st), ZN_MS(4096));
  zn_timer_stop(st, &c.t);
  ZT_EQU(zn_stack_next_deadline(st), ZN_TIME_NEVER);
  ZT_EQ(st->wheel.count, 0);
  th_stack_free(st);
}

/* Hundreds of thousands of timers: every one fires once, in order. */
static uint64_t last_fired_when;
static int out_of_order;
static void ordered(struct zn_stack *st, struct zn_timer *tm) {
  struct tt *x = ZN_CONTAINER_OF(tm, struct tt, t);
  (void)st;
  if (due_ns(x->when) < due_ns(last_fired_when))
    out_of_order++;
  last_fired_when = x->when > last_fired_when ? x->when : last_fired_when;
  x->fired++;
}

ZT_TEST(test_many_timers) {
  enum { N = 300000 };
  struct zn_stack *st = mk();
  ZT_REQUIRE(st);
  struct tt *t = calloc(N, sizeof(*t));
  zn_stack_poll(st, 0);
  for (int i = 0; i < N; i++) {
    zn_timer_init(&t[i].t, ordered);
    t[i].when = ZN_MS(1) + rnd() % ZN_SEC(7200);
    zn_timer_start(st, &t[i].t, t[i].when);
  }
  uint64_t now = 0;
  long polls = 0;
  while (zn_stack_next_deadline(st) != ZN_TIME_NEVER && polls < 10 * N) {
    now = zn_stack_next_deadline(st);
    zn_stack_poll(st, now);
    polls++;
  }
  int once = 0;
  for (int i = 0; i < N; i++)
    once += t[i].fired == 1;
  ZT_EQ(once, N);
  ZT_EQ(out_of_order, 0);
  printf("# %d timers fired in %ld polls\n", N, polls);
  free(t);
  th_stack_free(st);
}

int main(void) {
  ZT_RUN(test_fires_on_time_not_before);
  ZT_RUN(test_stop_and_restart);
  ZT_RUN(test_callback_rearms_and_stops_other);
  ZT_RUN(test_random_model);
  ZT_RUN(test_random_model_callbacks_meddle);
  ZT_RUN(test_random_model_across_group_rollovers);
  ZT_RUN(test_far_future_not_early);
  ZT_RUN(test_deadline_follows_stop_restart_cascade);
  ZT_RUN(test_many_timers);
  return zt_done();
}
