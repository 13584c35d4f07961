/* Counters: names, texts and kinds from the table in znet/stats.h. */
#include <string.h>

#include "core/stack_int.h"

#define CNT 0
#define DROP 1

static const struct {
  const char *name;
  const char *text;
  unsigned char drop;
} stat_info[ZN_STAT_COUNT] = {
#define ZN_STAT_INFO_(name, kind, text) {#name, text, kind},
    ZN_STATS_MAP(ZN_STAT_INFO_)
#undef ZN_STAT_INFO_
};

void zn_stats_get(const struct zn_stack *st, struct zn_stats *out) {
  memcpy(out, &st->stats, sizeof(*out));
}

uint64_t zn_stat(const struct zn_stack *st, enum zn_stat which) {
  if ((unsigned)which >= ZN_STAT_COUNT)
    return 0;
  return st->stats.v[which];
}

void zn_stats_reset(struct zn_stack *st) {
  memset(&st->stats, 0, sizeof(st->stats));
}

const char *zn_stat_name(int which) {
  if (which < 0 || which >= ZN_STAT_COUNT)
    return NULL;
  return stat_info[which].name;
}

const char *zn_stat_text(int which) {
  if (which < 0 || which >= ZN_STAT_COUNT)
    return NULL;
  return stat_info[which].text;
}

bool zn_stat_is_drop(int which) {
  if (which < 0 || which >= ZN_STAT_COUNT)
    return false;
  return stat_info[which].drop == DROP;
}

uint64_t zn_stats_drops(const struct zn_stats *s) {
  uint64_t sum = 0;
  for (int i = 0; i < ZN_STAT_COUNT; i++)
    if (stat_info[i].drop == DROP)
      sum += s->v[i];
  return sum;
}
