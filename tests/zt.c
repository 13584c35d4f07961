#include "zt.h"

#include <stdarg.h>

#include "znet/assert.h"

int zt_case_failed;
int zt_ncases, zt_nfailed;
const char *zt_skip_reason;
static const char *zt_current;
int zt_asserts;
const char *zt_assert_last;

void zt_fail(const char *file, int line, const char *fmt, ...) {
  va_list ap;
  printf("# FAIL %s: %s:%d: ", zt_current ? zt_current : "?", file, line);
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  printf("\n");
  fflush(stdout);
  zt_case_failed = 1;
}

void zt_skip(const char *reason) { zt_skip_reason = reason; }

void zt_hexdump(const char *label, const void *p, size_t len) {
  const unsigned char *b = p;
  printf("#   %s:", label);
  for (size_t i = 0; i < len; i++) {
    if (i % 16 == 0)
      printf("\n#     %04zx:", i);
    printf(" %02x", b[i]);
  }
  printf("\n");
}

static void assert_abort(void *ctx, const char *expr, const char *file,
                         int line) {
  (void)ctx;
  printf("# FAIL %s: assertion failed: %s (%s:%d)\n",
         zt_current ? zt_current : "?", expr, file, line);
  printf("Bail out! assertion failed in %s\n", zt_current ? zt_current : "?");
  fflush(stdout);
  fprintf(stderr, "assertion failed: %s (%s:%d)\n", expr, file, line);
  abort();
}

static void assert_count(void *ctx, const char *expr, const char *file,
                         int line) {
  (void)ctx;
  printf("# caught assertion: %s (%s:%d)\n", expr, file, line);
  zt_asserts++;
  zt_assert_last = expr;
}

void zt_assert_catch(void) { zn_assert_set_handler(assert_count, NULL); }

void zt_run(const char *name, void (*fn)(void)) {
  zt_current = name;
  zt_case_failed = 0;
  zt_skip_reason = NULL;
  zt_asserts = 0;
  zt_assert_last = NULL;
  zn_assert_set_handler(assert_abort, NULL);
  fn();
  zn_assert_set_handler(assert_abort, NULL);
  zt_ncases++;
  if (zt_case_failed) {
    zt_nfailed++;
    printf("not ok %d - %s\n", zt_ncases, name);
  } else if (zt_skip_reason) {
    printf("ok %d - %s # SKIP %s\n", zt_ncases, name, zt_skip_reason);
  } else {
    printf("ok %d - %s\n", zt_ncases, name);
  }
  fflush(stdout);
  zt_current = NULL;
}

int zt_done(void) {
  printf("1..%d\n", zt_ncases);
  return zt_nfailed ? 1 : 0;
}
