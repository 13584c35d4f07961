/* Memory and process exit for znet's Solo5 runtime.  malloc takes from
 * the heap solo5_app_main() was given (examples/solo5/malloc.c); exit
 * flushes the console and calls solo5_exit(). */
#ifndef ZN_SOLO5_STDLIB_H
#define ZN_SOLO5_STDLIB_H

#include <stddef.h>

#define EXIT_SUCCESS 0
#define EXIT_FAILURE 1

void *malloc(size_t n);
void *calloc(size_t count, size_t size);
void *realloc(void *p, size_t n);
void free(void *p);
/* Decimal (base 10), hexadecimal (16, optional 0x) or base 0 (0x: 16,
 * leading 0: 8, else 10); no sign accepted but '-' as strtoull does. */
unsigned long long strtoull(const char *s, char **end, int base);
unsigned long strtoul(const char *s, char **end, int base);
__attribute__((noreturn)) void exit(int status);
__attribute__((noreturn)) void abort(void);

#endif
