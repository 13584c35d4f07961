/* Timers and the timing wheel (src/core/timer.c). */
#include <stdlib.h>

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

/* Random arms, stops and clock jumps against the rule "fires at the first
 * poll with now >= expiry rounded up to a tick, exactly once". */
ZT_TEST(test_random_model) {
  enum { N = 4000 };
  struct zn_stack *st = mk();
  ZT_REQUIRE(st);
  struct tt *t = calloc(N, sizeof(*t));
  uint64_t now = 12345;
  zn_stack_poll(st, now);
  for (int i = 0; i < N; i++)
    zn_timer_init(&t[i].t, on_fire);
  const uint64_t spans[] = {ZN_MS(5), ZN_MS(300), ZN_SEC(20), ZN_SEC(3600),
                            ZN_SEC(86400 * 10)};
  for (int round = 0; round < 400; round++) {
    for (int k = 0; k < 50; k++) {
      struct tt *x = &t[rnd() % N];
      if (rnd() % 4 == 0) {
        zn_timer_stop(st, &x->t);
        x->when = 0;
      } else {
        x->when = now + rnd() % spans[rnd() % 5];
        x->fired = 0;
        x->fired_at = 0;
        zn_timer_start(st, &x->t, x->when);
      }
    }
    /* Sometimes step to the deadline, sometimes jump far. */
    uint64_t next = zn_stack_next_deadline(st);
    if (rnd() % 3 == 0 || next == ZN_TIME_NEVER)
      now += rnd() % spans[rnd() % 5];
    else
      now = next > now ? next : now;
    zn_stack_poll(st, now);
    for (int i = 0; i < N; i++) {
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
          round = 1 << 20;
          break;
        }
        x->when = 0;
      } else if (due_ns(x->when) <= now) {
        zt_fail(__FILE__, __LINE__, "timer %d due at %llu not fired at %llu",
                i, (unsigned long long)due_ns(x->when),
                (unsigned long long)now);
        round = 1 << 20;
        break;
      }
    }
  }
  /* The deadline never lies: stepping by it fires everything left. */
  int polls = 0;
  while (zn_stack_next_deadline(st) != ZN_TIME_NEVER && polls < 100000) {
    uint64_t next = zn_stack_next_deadline(st);
    ZT_CHECK(next >= now);
    now = next;
    zn_stack_poll(st, now);
    polls++;
  }
  for (int i = 0; i < N; i++)
    ZT_CHECK(!zn_timer_pending(&t[i].t));
  free(t);
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
  ZT_RUN(test_many_timers);
  return zt_done();
}
