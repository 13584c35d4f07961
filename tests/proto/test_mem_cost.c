/*
 * What a stack's memory block holds and what a connection costs, with
 * the default configuration: the figures of docs/ARCHITECTURE.md
 * ("Memory"), printed as TAP comments,
 *
 *     BUILD/tests/proto/test_mem_cost | grep '^#'
 *
 * and the rules they rest on checked: the block is the core's part (the
 * stack object and the two pools) and each module's state and tables,
 * nothing else; and beyond the pools of flight blocks and BBR models,
 * whose sizes do not grow with the table, a TCP connection costs its
 * slot, its TIME_WAIT record and their hash buckets, so an idle
 * connection carries no loss-recovery state.
 */
#include <stdio.h>

#include "harness.h"
#include "internals.h"
#include "znet/http.h"
#include "zt.h"

static const char *const modules[] = {"eth", "arp",     "inet", "ip",
                                      "icmp", "ip6",    "ip6conf", "udp",
                                      "tcp", "dhcp4"};
#define NMODULES (sizeof(modules) / sizeof(modules[0]))

/* One figure: a TAP comment, the label padded to one column. */
static void row(const char *label, size_t bytes) {
  printf("# %-40s %9zu\n", label, bytes);
}

static size_t module_bytes(const struct zn__module *m,
                           const struct zn_config *cfg) {
  return zn__carve_size(m->state_size) + (m->mem_size ? m->mem_size(cfg) : 0);
}

static size_t mem_with_conns(uint32_t n) {
  struct zn_config cfg;
  zn_config_default(&cfg);
  cfg.tcp_conns = n;
  return zn_stack_mem_size(&cfg);
}

ZT_TEST(test_block_is_core_and_modules) {
  struct zn_config cfg;
  zn_config_default(&cfg);
  size_t total = zn_stack_mem_size(&cfg);
  size_t core = zn__core_mem_size(&cfg);
  char label[64];
  row("zn_stack_mem_size(default)", total);
  row("  core", core);
  row("    struct zn_stack", sizeof(struct zn_stack));
  snprintf(label, sizeof(label), "    frame pool (%u x %u)", cfg.nbufs,
           (unsigned)ZN_BUF_SIZE);
  row(label, zn_pool_mem_size(cfg.nbufs, ZN_BUF_SIZE));
  snprintf(label, sizeof(label), "    large pool (%u x %u)", cfg.nbigbufs,
           (unsigned)ZN_BIGBUF_SIZE);
  row(label, zn_pool_mem_size(cfg.nbigbufs, ZN_BIGBUF_SIZE));
  size_t sum = core;
  for (size_t i = 0; i < NMODULES; i++) {
    const struct zn__module *m = zn__module_find(modules[i]);
    ZT_CHECK(m != NULL);
    if (!m)
      return;
    size_t n = module_bytes(m, &cfg);
    snprintf(label, sizeof(label), "  %s: state %zu + tables", modules[i],
             m->state_size);
    row(label, n);
    sum += n;
  }
  ZT_EQU(total, sum);
}

ZT_TEST(test_idle_connection_costs_slot_and_record) {
  struct zn_config cfg;
  zn_config_default(&cfg);
  size_t flight = sizeof(struct zn__tcp_flight) +
                  zn__tcp_sack_ranges(&cfg) * sizeof(struct zn__tcp_sack_block);
  char label[64];
  row("struct zn_tcp_conn", sizeof(struct zn_tcp_conn));
  row("TIME_WAIT record", zn__tcp_tw_size());
  snprintf(label, sizeof(label), "flight block (%u SACK ranges)",
           zn__tcp_sack_ranges(&cfg));
  row(label, flight);
  row("BBR model (struct zn__tcp_bbr)", sizeof(struct zn__tcp_bbr));
  struct zn_stack *st = th_stack_new(&cfg);
  row("flight blocks in the pool", ZN__MOD(st, tcp)->fl_count);
  row("BBR models in the pool", ZN__MOD(st, tcp)->model_count);
  row("TIME_WAIT records", ZN__MOD(st, tcp)->tw_count);
  th_stack_free(st);
  /* Table sizes one below powers of two, both beyond the pools' caps
   * (flight blocks: the TCP buffer bound; models: 64), so that the
   * difference is whole connections and whole buckets. */
  uint32_t lo = 2047, hi = 4095;
  ZT_CHECK(zn__tcp_mem_bound(&cfg) < lo);
  size_t per = (mem_with_conns(hi) - mem_with_conns(lo)) / (hi - lo);
  snprintf(label, sizeof(label), "each connection from %u to %u", lo, hi);
  row(label, per);
  const uint32_t tables[] = {0, 64, 1024, 16384};
  for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
    snprintf(label, sizeof(label), "zn_stack_mem_size, tcp_conns %u",
             tables[i]);
    row(label, mem_with_conns(tables[i]));
  }
  /* The slot, the record and a few bytes of buckets: no flight block, no
   * model. */
  ZT_CHECK(per >= sizeof(struct zn_tcp_conn) + zn__tcp_tw_size());
  ZT_CHECK(per < sizeof(struct zn_tcp_conn) + zn__tcp_tw_size() + 32);
}

/* A content source for sizing a server: never asked for a file. */
static int no_file(struct zn_http_content *self, const char *path, size_t len,
                   struct zn_http_file *f) {
  (void)self, (void)path, (void)len, (void)f;
  return ZN_ENOENT;
}

ZT_TEST(test_print_other_tables) {
  row("struct zn_buf", sizeof(struct zn_buf));
  row("struct zn_udp_sock", sizeof(struct zn_udp_sock));
  row("struct zn__arp_entry", sizeof(struct zn__arp_entry));
  row("HTTP server slot", zn_http_server_slot_size());
  /* A request context: the difference one more makes. */
  struct zn_http_server_cfg hc;
  zn_http_server_cfg_default(&hc);
  struct zn_http_content content = {.open = no_file};
  hc.content = &content;
  hc.busy_max = 8;
  size_t a = zn_http_server_mem_size(&hc);
  hc.busy_max = 9;
  size_t b = zn_http_server_mem_size(&hc);
  ZT_CHECK(a != 0 && b > a);
  char label[64];
  snprintf(label, sizeof(label), "HTTP request context (head_max %u)",
           hc.head_max);
  row(label, b - a);
}

int main(void) {
  ZT_RUN(test_block_is_core_and_modules);
  ZT_RUN(test_idle_connection_costs_slot_and_record);
  ZT_RUN(test_print_other_tables);
  return zt_done();
}
