/*
 * The Solo5 runtime's <limits.h> (examples/solo5/include/limits.h), made
 * of the compiler's predefined macros, against the C library's: every
 * limit has the same value and the same type (ULONG_MAX is an unsigned
 * long, UCHAR_MAX an int, as C11 §5.2.4.2.1 says: the type a value of
 * the type becomes after the integer promotions).  The runtime's header
 * is read first, its values kept, its macros undefined, and then the C
 * library's is read; MB_LEN_MAX differs on purpose (the runtime has no
 * multibyte functions: 1).
 */
#include "../../examples/solo5/include/limits.h"

#define TYPE_NAME(x)                                                           \
  _Generic((x),                                                                \
      int: "int",                                                              \
      unsigned: "unsigned",                                                    \
      long: "long",                                                            \
      unsigned long: "unsigned long",                                          \
      long long: "long long",                                                  \
      unsigned long long: "unsigned long long",                                \
      default: "another type")

/* The value converted to unsigned long long: with the type, it is the
 * value. */
struct limit {
  const char *name;
  unsigned long long bits;
  const char *type;
};

#define LIMIT(n) {#n, (unsigned long long)(n), TYPE_NAME(n)},
#define LIMITS(X)                                                              \
  X(CHAR_BIT)                                                                  \
  X(SCHAR_MIN)                                                                 \
  X(SCHAR_MAX)                                                                 \
  X(UCHAR_MAX)                                                                 \
  X(CHAR_MIN)                                                                  \
  X(CHAR_MAX)                                                                  \
  X(SHRT_MIN)                                                                  \
  X(SHRT_MAX)                                                                  \
  X(USHRT_MAX)                                                                 \
  X(INT_MIN)                                                                   \
  X(INT_MAX)                                                                   \
  X(UINT_MAX)                                                                  \
  X(LONG_MIN)                                                                  \
  X(LONG_MAX)                                                                  \
  X(ULONG_MAX)                                                                 \
  X(LLONG_MIN)                                                                 \
  X(LLONG_MAX)                                                                 \
  X(ULLONG_MAX)

static const struct limit runtime[] = {LIMITS(LIMIT)};
static const int runtime_mb_len_max = MB_LEN_MAX;
/* BearSSL's test for a 64-bit unsigned long (src/inner.h), in #if
 * arithmetic. */
#if ((ULONG_MAX >> 31) >> 31) == 3
#define RUNTIME_IN_IF 1
#else
#define RUNTIME_IN_IF 0
#endif

#undef CHAR_BIT
#undef MB_LEN_MAX
#undef SCHAR_MIN
#undef SCHAR_MAX
#undef UCHAR_MAX
#undef CHAR_MIN
#undef CHAR_MAX
#undef SHRT_MIN
#undef SHRT_MAX
#undef USHRT_MAX
#undef INT_MIN
#undef INT_MAX
#undef UINT_MAX
#undef LONG_MIN
#undef LONG_MAX
#undef ULONG_MAX
#undef LLONG_MIN
#undef LLONG_MAX
#undef ULLONG_MAX

#include <limits.h>

#include "zt.h"

static const struct limit libc[] = {LIMITS(LIMIT)};

ZT_TEST(test_limits_values_are_the_c_librarys) {
  ZT_EQU(sizeof(runtime) / sizeof(runtime[0]), sizeof(libc) / sizeof(libc[0]));
  for (size_t i = 0; i < sizeof(libc) / sizeof(libc[0]); i++) {
    ZT_STREQ(runtime[i].name, libc[i].name);
    ZT_EQU(runtime[i].bits, libc[i].bits);
  }
  ZT_EQ(runtime_mb_len_max, 1);
}

ZT_TEST(test_limits_types_are_the_c_librarys) {
  for (size_t i = 0; i < sizeof(libc) / sizeof(libc[0]); i++) {
    if (strcmp(runtime[i].type, libc[i].type) != 0)
      zt_fail(__FILE__, __LINE__, "%s: %s, not %s", libc[i].name,
              runtime[i].type, libc[i].type);
  }
}

#if ((ULONG_MAX >> 31) >> 31) == 3
#define LIBC_IN_IF 1
#else
#define LIBC_IN_IF 0
#endif

ZT_TEST(test_limits_usable_in_if) {
  ZT_EQ(RUNTIME_IN_IF, LIBC_IN_IF);
  ZT_EQ(RUNTIME_IN_IF, sizeof(unsigned long) == 8);
}

int main(void) {
  ZT_RUN(test_limits_values_are_the_c_librarys);
  ZT_RUN(test_limits_types_are_the_c_librarys);
  ZT_RUN(test_limits_usable_in_if);
  return zt_done();
}
