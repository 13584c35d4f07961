/* The string functions of znet's Solo5 runtime (examples/solo5/libc.c).
 * Only what znet and its examples use; the compiler may also emit calls to
 * the mem* four on its own. */
#ifndef ZN_SOLO5_STRING_H
#define ZN_SOLO5_STRING_H

#include <stddef.h>

void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
void *memchr(const void *p, int c, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
char *strpbrk(const char *s, const char *accept);
char *strtok_r(char *restrict s, const char *restrict delim,
               char **restrict save);
/* A fixed text per errno value (errno.h); "unknown error" otherwise. */
char *strerror(int e);

#endif
