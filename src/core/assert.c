/*
 * Failed assertions (znet/assert.h): the process-wide handler, else a
 * trap.  The only mutable state of the core outside a stack, because an
 * assertion has no stack to report through; set once by the application
 * (or a test) before anything runs.
 *
 * Out of line and cold, so that an assertion that holds costs its test
 * and a branch the compiler lays out of the way, nothing more.
 */
#include <stddef.h>

#include "znet/assert.h"

static zn_assert_fn handler;
static void *handler_ctx;

void zn_assert_set_handler(zn_assert_fn fn, void *ctx) {
  handler = fn;
  handler_ctx = ctx;
}

__attribute__((cold)) void zn_assert_fail(const char *expr, const char *file,
                                          int line) {
  if (handler == NULL)
    __builtin_trap();
  handler(handler_ctx, expr, file, line);
}
