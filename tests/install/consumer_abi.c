/*
 * A program outside znet's tree that only creates a stack, built by
 * scripts/install-check against a staged install: once with `pkg-config
 * --cflags --libs znet` alone, which must work, and once with a
 * -DZN_BUF_CB_SIZE of its own after them, as a program built with other
 * znet/config.h values than the library's would be, which
 * zn_stack_create() must refuse with ZN_EABI and a log line naming the
 * value.
 *
 * Prints the lines the stack logs and zn_stack_create()'s answer; exits
 * 0 if it built a stack, 1 if not.
 */
#include <stdio.h>
#include <stdlib.h>

#include <znet.h>

static void print_line(void *ctx, int level, const char *line) {
  (void)ctx;
  printf("log %s: %s\n", zn_log_level_name(level), line);
}

int main(void) {
  struct zn_config cfg;
  zn_config_default(&cfg);
  cfg.nbufs = 16;
  cfg.nbigbufs = 0;
  cfg.log = print_line;
  size_t need = zn_stack_mem_size(&cfg);
  void *mem = need ? malloc(need) : NULL;
  struct zn_stack *st = NULL;
  int rc = mem ? zn_stack_create(&cfg, mem, need, &st) : ZN_ENOMEM;
  printf("zn_stack_create: %s (%s), compiled with ZN_BUF_CB_SIZE %d\n",
         zn_err_name(rc), zn_strerror(rc), (int)ZN_BUF_CB_SIZE);
  if (st)
    zn_stack_destroy(st);
  free(mem);
  return rc == ZN_OK ? 0 : 1;
}
