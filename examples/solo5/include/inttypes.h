/* printf formats for <stdint.h> types on the LP64 targets Solo5 runs on
 * (x86_64, aarch64): uint64_t is unsigned long. */
#ifndef ZN_SOLO5_INTTYPES_H
#define ZN_SOLO5_INTTYPES_H

#include <stdint.h>

#if !defined(__LP64__)
#error "znet's Solo5 runtime assumes an LP64 target"
#endif

#define PRId32 "d"
#define PRIi32 "i"
#define PRIu32 "u"
#define PRIx32 "x"
#define PRIX32 "X"
#define PRId64 "ld"
#define PRIi64 "li"
#define PRIu64 "lu"
#define PRIx64 "lx"
#define PRIX64 "lX"
#define PRIu16 "u"
#define PRIx16 "x"
#define PRIu8 "u"
#define PRIx8 "x"

#endif
