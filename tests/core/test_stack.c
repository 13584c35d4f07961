/* The stack object: memory, configuration, poll and deadlines. */
#include <stdlib.h>

#include "core/stack_int.h"
#include "harness.h"
#include "zt.h"

ZT_TEST(test_create_errors) {
  struct zn_config cfg;
  struct zn_stack *st;
  th_config(&cfg, ZN_IPV4(10, 0, 0, 1), 24, 1);
  size_t need = zn_stack_mem_size(&cfg);
  ZT_CHECK(need > 0);
  void *mem = malloc(need);
  ZT_EQ(zn_stack_create(&cfg, mem, need - 1, &st), ZN_ENOMEM);
  ZT_EQ(zn_stack_create(&cfg, NULL, need, &st), ZN_EINVAL);
  struct zn_config bad = cfg;
  bad.nbufs = 0;
  ZT_EQU(zn_stack_mem_size(&bad), 0);
  ZT_EQ(zn_stack_create(&bad, mem, need, &st), ZN_EINVAL);
  bad = cfg;
  bad.ipv4_prefix = 33;
  ZT_EQ(zn_stack_create(&bad, mem, need, &st), ZN_EINVAL);
  bad = cfg;
  bad.vlan_id = 4095;
  ZT_EQ(zn_stack_create(&bad, mem, need, &st), ZN_EINVAL);
  /* Memory grows with what is configured. */
  bad = cfg;
  bad.nbufs = cfg.nbufs * 2;
  ZT_CHECK(zn_stack_mem_size(&bad) > need + (size_t)cfg.nbufs * ZN_BUF_SIZE);
  ZT_EQ(zn_stack_create(&cfg, mem, need, &st), ZN_OK);
  zn_stack_destroy(st);
  free(mem);
}

/* The lines logged at ZN_LOG_ERROR, kept for the ABI test. */
struct kept_log {
  int lines;
  char first[256];
};

static void keep_log(void *ctx, int level, const char *line) {
  struct kept_log *k = ctx;
  if (level == ZN_LOG_ERROR && k->lines++ == 0)
    snprintf(k->first, sizeof(k->first), "%s", line);
}

/* A program compiled with other layout values than the library (another
 * -DZN_BUF_CB_SIZE, other headers) is refused, told which, and builds no
 * stack; its own values, which zn_stack_create() passes, are accepted. */
ZT_TEST(test_create_abi_mismatch_refused) {
  struct zn_config cfg;
  struct zn_stack *st = NULL;
  struct kept_log kept = {0, ""};
  th_config(&cfg, ZN_IPV4(10, 0, 0, 1), 24, 1);
  cfg.log = keep_log;
  cfg.log_ctx = &kept;
  cfg.log_level = ZN_LOG_ERROR;
  size_t need = zn_stack_mem_size(&cfg);
  void *mem = malloc(need);
  ZT_REQUIRE(mem);

  /* As a program built with -DZN_BUF_CB_SIZE=<ours + 24> sees it. */
  struct zn_abi abi = zn_abi_current();
  abi.buf_cb_size += 24;
  abi.buf_struct_size += 24;
  ZT_EQ(zn_stack_create_abi(&cfg, mem, need, &st, &abi), ZN_EABI);
  ZT_CHECK(st == NULL);
  ZT_EQ(kept.lines, 2); /* the knob, and the struct it sizes */
  char want[256];
  snprintf(want, sizeof(want),
           "znet: ZN_BUF_CB_SIZE is %u in the program, %u in the library: "
           "build the program with pkg-config --cflags znet",
           (unsigned)ZN_BUF_CB_SIZE + 24u, (unsigned)ZN_BUF_CB_SIZE);
  ZT_STREQ(kept.first, want);
  ZT_STREQ(zn_err_name(ZN_EABI), "EABI");

  /* Every row is compared. */
#define ZN_ABI_ROW_(field, value)                                             \
  abi = zn_abi_current();                                                     \
  abi.field++;                                                                \
  ZT_EQ(zn_stack_create_abi(&cfg, mem, need, &st, &abi), ZN_EABI);
  ZN_ABI_MAP(ZN_ABI_ROW_)
#undef ZN_ABI_ROW_

  /* Other headers: the program's struct zn_config (or struct zn_abi) is
   * another, so not even its log is used. */
  kept.lines = 0;
  abi = zn_abi_current();
  abi.config_struct_size += 8;
  ZT_EQ(zn_stack_create_abi(&cfg, mem, need, &st, &abi), ZN_EABI);
  abi = zn_abi_current();
  abi.size += 4;
  ZT_EQ(zn_stack_create_abi(&cfg, mem, need, &st, &abi), ZN_EABI);
  ZT_EQ(kept.lines, 0);
  ZT_EQ(zn_stack_create_abi(&cfg, mem, need, &st, NULL), ZN_EINVAL);
  ZT_CHECK(st == NULL);

  /* The right values: the library's own, as this test was compiled. */
  abi = zn_abi_current();
  ZT_EQ(zn_stack_create_abi(&cfg, mem, need, &st, &abi), ZN_OK);
  ZT_REQUIRE(st);
  zn_stack_destroy(st);
  st = NULL;
  ZT_EQ(zn_stack_create(&cfg, mem, need, &st), ZN_OK);
  ZT_REQUIRE(st);
  zn_stack_destroy(st);
  ZT_EQ(kept.lines, 0);
  free(mem);
}

ZT_TEST(test_two_stacks_independent) {
  struct zn_config c1, c2;
  th_config(&c1, ZN_IPV4(10, 0, 0, 1), 24, 1);
  th_config(&c2, ZN_IPV4(10, 0, 0, 2), 16, 2);
  struct zn_stack *a = th_stack_new(&c1), *b = th_stack_new(&c2);
  ZT_REQUIRE(a && b);
  uint32_t ip;
  uint8_t pfx;
  zn_stack_get_ipv4(a, &ip, &pfx, NULL);
  ZT_EQU(ip, ZN_IPV4(10, 0, 0, 1));
  ZT_EQ(pfx, 24);
  zn_stack_get_ipv4(b, &ip, &pfx, NULL);
  ZT_EQ(pfx, 16);
  struct zn_buf *x = zn_stack_buf_alloc(a, 100);
  ZT_REQUIRE(x);
  ZT_EQ(zn_stack_bufs_in_use(a), 1);
  ZT_EQ(zn_stack_bufs_in_use(b), 0);
  zn_buf_free(x);
  /* Different seeds, different random streams. */
  ZT_CHECK(zn_random_u32(a) != zn_random_u32(b));
  th_stack_free(a);
  th_stack_free(b);
}

ZT_TEST(test_set_ipv4) {
  struct zn_config c;
  th_config(&c, 0, 0, 1);
  struct zn_stack *st = th_stack_new(&c);
  ZT_REQUIRE(st);
  ZT_EQ(zn_stack_set_ipv4(st, ZN_IPV4(192, 168, 1, 5), 24, ZN_IPV4(192, 168, 1, 1)), ZN_OK);
  ZT_EQ(zn_stack_set_ipv4(st, ZN_IPV4(192, 168, 1, 5), 40, 0), ZN_EINVAL);
  /* Not a gateway: ourselves, 0/8, 127/8, multicast, 240/4. */
  static const uint32_t bad[] = {ZN_IPV4(192, 168, 1, 5), ZN_IPV4(0, 1, 2, 3),
                                 ZN_IPV4(127, 0, 0, 1), ZN_IPV4(224, 0, 0, 1),
                                 ZN_IPV4(240, 0, 0, 1), 0xffffffffu};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    ZT_EQ(zn_stack_set_ipv4(st, ZN_IPV4(192, 168, 1, 5), 24, bad[i]),
          ZN_EINVAL);
  uint32_t gw;
  zn_stack_get_ipv4(st, NULL, NULL, &gw);
  ZT_EQU(gw, ZN_IPV4(192, 168, 1, 1));
  /* Off the prefix: a pod's /32 and its network plugin's gateway. */
  ZT_EQ(zn_stack_set_ipv4(st, ZN_IPV4(10, 244, 1, 5), 32,
                          ZN_IPV4(169, 254, 1, 1)), ZN_OK);
  ZT_EQ(zn_stack_set_ipv4(st, ZN_IPV4(192, 168, 1, 5), 24,
                          ZN_IPV4(192, 168, 2, 1)), ZN_OK);
  uint8_t prefix;
  zn_stack_get_ipv4(st, NULL, &prefix, &gw);
  ZT_EQU(gw, ZN_IPV4(192, 168, 2, 1));
  ZT_EQ(prefix, 24);
  th_stack_free(st);
}

ZT_TEST(test_buf_alloc_sizes) {
  struct zn_config c;
  th_config(&c, 0, 0, 1);
  c.nbufs = 2;
  c.nbigbufs = 1;
  struct zn_stack *st = th_stack_new(&c);
  ZT_REQUIRE(st);
  struct zn_buf *s = zn_stack_buf_alloc(st, ZN_BUF_SIZE - ZN_BUF_HEADROOM);
  struct zn_buf *big = zn_stack_buf_alloc(st, 9000);
  ZT_REQUIRE(s && big);
  ZT_CHECK(zn_buf_tailroom(s) >= ZN_BUF_SIZE - ZN_BUF_HEADROOM);
  ZT_CHECK(zn_buf_tailroom(big) >= 9000);
  ZT_CHECK(zn_stack_buf_alloc(st, 9000) == NULL); /* the one big is taken */
  ZT_CHECK(zn_stack_buf_alloc(st, 70000) == NULL);
  ZT_CHECK(zn_stat(st, ZN_STAT_buf_alloc_fail) >= 2);
  zn_buf_free(s);
  zn_buf_free(big);
  th_stack_free(st);
}

ZT_TEST(test_poll_without_netif) {
  struct zn_config c;
  th_config(&c, ZN_IPV4(10, 0, 0, 1), 24, 1);
  struct zn_stack *st = th_stack_new(&c);
  ZT_REQUIRE(st);
  ZT_EQU(zn_stack_next_deadline(st), 0); /* not started yet */
  ZT_EQ(zn_stack_poll(st, ZN_SEC(5)), 0);
  ZT_EQU(zn_stack_now(st), ZN_SEC(5));
  /* Time never goes back. */
  zn_stack_poll(st, ZN_SEC(1));
  ZT_EQU(zn_stack_now(st), ZN_SEC(5));
  ZT_EQU(zn_stack_next_deadline(st), ZN_TIME_NEVER);
  /* Sending with no netif: counted, not crashed, not leaked. */
  ZT_EQ(zn_icmp_echo_send(st, ZN_IPV4(10, 0, 0, 2), 1, 1, "x", 1), ZN_OK);
  zn_stack_poll(st, ZN_SEC(6));
  ZT_EQ(zn_stack_bufs_in_use(st), 1); /* queued on the ARP entry */
  for (int i = 0; i < 20 && zn_stack_next_deadline(st) != ZN_TIME_NEVER; i++)
    zn_stack_poll(st, zn_stack_next_deadline(st));
  ZT_EQ(zn_stack_bufs_in_use(st), 0);
  ZT_EQU(zn_stat(st, ZN_STAT_arp_drop_unresolved), 1);
  ZT_CHECK(zn_stat(st, ZN_STAT_if_no_netif) >= 1);
  th_stack_free(st);
}

/* The generator's key, counter and output, the tables' SipHash key and
 * the seed do not outlive the stack in the caller's memory. */
ZT_TEST(test_destroy_secrets_wiped) {
  struct zn_config cfg;
  struct zn_stack *st;
  th_config(&cfg, ZN_IPV4(10, 0, 0, 1), 24, 1);
  size_t need = zn_stack_mem_size(&cfg);
  void *mem = malloc(need);
  ZT_REQUIRE(mem != NULL);
  ZT_REQUIRE(zn_stack_create(&cfg, mem, need, &st) == ZN_OK);
  (void)zn_random_u32(st); /* a block made, part of it unread */
  static const uint8_t zero[64];
  const struct zn__rng *r = &st->rng;
  ZT_CHECK(memcmp(r->key, zero, sizeof(r->key)) != 0);
  ZT_CHECK(memcmp(r->block, zero, sizeof(r->block)) != 0);
  zn_stack_destroy(st);
  ZT_MEMEQ(r->key, zero, sizeof(r->key));
  ZT_MEMEQ(r->block, zero, sizeof(r->block));
  ZT_EQU(r->counter, 0);
  ZT_MEMEQ(st->hash_key, zero, sizeof(st->hash_key));
  ZT_MEMEQ(st->cfg.seed, zero, sizeof(st->cfg.seed));
  free(mem);
}

int main(void) {
  ZT_RUN(test_create_errors);
  ZT_RUN(test_create_abi_mismatch_refused);
  ZT_RUN(test_two_stacks_independent);
  ZT_RUN(test_set_ipv4);
  ZT_RUN(test_buf_alloc_sizes);
  ZT_RUN(test_poll_without_netif);
  ZT_RUN(test_destroy_secrets_wiped);
  return zt_done();
}
