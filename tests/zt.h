/*
 * zt: the tiny test harness of znet's tests.  Output is TAP, so meson
 * counts every case:
 *
 *     ZT_TEST(test_push_pull) { ZT_EQ(zn_buf_headroom(b), 192); }
 *     int main(void) { ZT_RUN(test_push_pull); return zt_done(); }
 *
 * Checks record the failure with file and line and let the case go on.
 */
#ifndef ZT_H
#define ZT_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern int zt_case_failed;
extern int zt_ncases, zt_nfailed;
extern const char *zt_skip_reason;

void zt_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void zt_run(const char *name, void (*fn)(void));
int zt_done(void);
/* Mark the running case skipped (TAP "# SKIP reason"). */
void zt_skip(const char *reason);
void zt_hexdump(const char *label, const void *p, size_t len);

/* Failed assertions (znet/assert.h).  Every case runs with a handler that
 * prints the assertion and aborts, so one that fires fails the test where
 * it fired.  A case that breaks an invariant on purpose calls
 * zt_assert_catch() first: from there to the end of the case an assertion
 * that fails is counted in zt_asserts (its expression in
 * zt_assert_last) and the code goes on as a release build would. */
extern int zt_asserts;
extern const char *zt_assert_last;
void zt_assert_catch(void);

#define ZT_TEST(name) static void name(void)
#define ZT_RUN(name) zt_run(#name, name)

#define ZT_CHECK(cond)                                                        \
  do {                                                                        \
    if (!(cond))                                                              \
      zt_fail(__FILE__, __LINE__, "check failed: %s", #cond);                 \
  } while (0)

#define ZT_EQ(a, b)                                                           \
  do {                                                                        \
    long long zt_a_ = (long long)(a), zt_b_ = (long long)(b);                 \
    if (zt_a_ != zt_b_)                                                       \
      zt_fail(__FILE__, __LINE__, "%s == %s: %lld != %lld", #a, #b, zt_a_,    \
              zt_b_);                                                         \
  } while (0)

#define ZT_EQU(a, b)                                                          \
  do {                                                                        \
    unsigned long long zt_a_ = (unsigned long long)(a),                       \
                       zt_b_ = (unsigned long long)(b);                       \
    if (zt_a_ != zt_b_)                                                       \
      zt_fail(__FILE__, __LINE__, "%s == %s: %llu (0x%llx) != %llu (0x%llx)", \
              #a, #b, zt_a_, zt_a_, zt_b_, zt_b_);                            \
  } while (0)

#define ZT_MEMEQ(a, b, n)                                                     \
  do {                                                                        \
    if (memcmp((a), (b), (n)) != 0) {                                         \
      zt_fail(__FILE__, __LINE__, "memory %s != %s (%zu bytes)", #a, #b,      \
              (size_t)(n));                                                   \
      zt_hexdump("got", (a), (n));                                            \
      zt_hexdump("want", (b), (n));                                           \
    }                                                                         \
  } while (0)

#define ZT_STREQ(a, b)                                                        \
  do {                                                                        \
    const char *zt_a_ = (a), *zt_b_ = (b);                                    \
    if (strcmp(zt_a_, zt_b_) != 0)                                            \
      zt_fail(__FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"", #a, #b,       \
              zt_a_, zt_b_);                                                  \
  } while (0)

/* Stop the case here if cond fails (for pointers the rest depends on). */
#define ZT_REQUIRE(cond)                                                      \
  do {                                                                        \
    if (!(cond)) {                                                            \
      zt_fail(__FILE__, __LINE__, "required: %s", #cond);                     \
      return;                                                                 \
    }                                                                         \
  } while (0)

/* ZT_REQUIRE for a helper that returns a value: val on failure. */
#define ZT_REQUIRE_OR(cond, val)                                              \
  do {                                                                        \
    if (!(cond)) {                                                            \
      zt_fail(__FILE__, __LINE__, "required: %s", #cond);                     \
      return (val);                                                           \
    }                                                                         \
  } while (0)

#endif /* ZT_H */
