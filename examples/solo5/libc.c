/*
 * The few C library functions znet's examples use, for a Solo5 unikernel
 * (which has no libc): memory and string functions, ASCII classes,
 * strtoull, strtok_r, strerror, getopt_long, exit.  Console output is
 * printf.c, the heap malloc.c.
 *
 * The mem* four are also what the compiler emits for struct copies and
 * zeroing, so they must never be compiled into calls to themselves: on
 * x86_64 they are `rep movsb`/`rep stosb` (fast on every CPU since Ivy
 * Bridge, and no vector registers, which a build without SSE forbids);
 * elsewhere plain loops, built with -fno-tree-loop-distribute-patterns.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rt.h"

int errno;

/* ---- memory ------------------------------------------------------------ */

void *memcpy(void *restrict dst, const void *restrict src, size_t n) {
#if defined(__x86_64__)
  void *d = dst;
  __asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
#else
  unsigned char *d = dst;
  const unsigned char *s = src;
  while (n--)
    *d++ = *s++;
#endif
  return dst;
}

void *memmove(void *dst, const void *src, size_t n) {
  unsigned char *d = dst;
  const unsigned char *s = src;
  if (d == s || n == 0)
    return dst;
  if (d < s || d >= s + n)
    return memcpy(dst, src, n);
  /* Overlap with dst above src: copy backwards. */
#if defined(__x86_64__)
  const unsigned char *sl = s + n - 1;
  unsigned char *dl = d + n - 1;
  __asm__ volatile("std\n\trep movsb\n\tcld"
                   : "+D"(dl), "+S"(sl), "+c"(n)
                   :
                   : "memory");
#else
  while (n--)
    d[n] = s[n];
#endif
  return dst;
}

void *memset(void *dst, int c, size_t n) {
#if defined(__x86_64__)
  void *d = dst;
  __asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
#else
  unsigned char *d = dst;
  while (n--)
    *d++ = (unsigned char)c;
#endif
  return dst;
}

int memcmp(const void *a, const void *b, size_t n) {
  const unsigned char *x = a, *y = b;
  for (size_t i = 0; i < n; i++)
    if (x[i] != y[i])
      return x[i] < y[i] ? -1 : 1;
  return 0;
}

void *memchr(const void *p, int c, size_t n) {
  const unsigned char *s = p;
  for (size_t i = 0; i < n; i++)
    if (s[i] == (unsigned char)c)
      return (void *)(uintptr_t)(s + i);
  return NULL;
}

/* ---- strings ----------------------------------------------------------- */

size_t strlen(const char *s) {
  size_t n = 0;
  while (s[n])
    n++;
  return n;
}

int strcmp(const char *a, const char *b) {
  return strncmp(a, b, SIZE_MAX);
}

int strncmp(const char *a, const char *b, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
    if (x != y)
      return x < y ? -1 : 1;
    if (x == 0)
      break;
  }
  return 0;
}

int strcasecmp(const char *a, const char *b) {
  for (;; a++, b++) {
    int x = tolower((unsigned char)*a), y = tolower((unsigned char)*b);
    if (x != y)
      return x < y ? -1 : 1;
    if (x == 0)
      return 0;
  }
}

char *strchr(const char *s, int c) {
  for (;; s++) {
    if (*s == (char)c)
      return (char *)(uintptr_t)s;
    if (*s == '\0')
      return NULL;
  }
}

char *strpbrk(const char *s, const char *accept) {
  for (; *s; s++)
    if (strchr(accept, *s))
      return (char *)(uintptr_t)s;
  return NULL;
}

char *strtok_r(char *restrict s, const char *restrict delim,
               char **restrict save) {
  if (s == NULL)
    s = *save;
  if (s == NULL)
    return NULL;
  while (*s && strchr(delim, *s))
    s++;
  if (*s == '\0') {
    *save = NULL;
    return NULL;
  }
  char *tok = s;
  while (*s && !strchr(delim, *s))
    s++;
  if (*s) {
    *s = '\0';
    *save = s + 1;
  } else {
    *save = NULL;
  }
  return tok;
}

/* The texts of the errno values the runtime and libznet-posix set (as
 * glibc words them); text[] is writable only because strerror's type
 * says char *, and never written. */
static struct {
  int e;
  char text[48];
} e_text[] = {
    {0, "Success"},
    {EPERM, "Operation not permitted"},
    {ENOENT, "No such file or directory"},
    {EINTR, "Interrupted system call"},
    {EIO, "Input/output error"},
    {EBADF, "Bad file descriptor"},
    {EAGAIN, "Resource temporarily unavailable"},
    {ENOMEM, "Cannot allocate memory"},
    {EACCES, "Permission denied"},
    {EFAULT, "Bad address"},
    {EEXIST, "File exists"},
    {EINVAL, "Invalid argument"},
    {EMFILE, "Too many open files"},
    {ENOTTY, "Inappropriate ioctl for device"},
    {ENOSPC, "No space left on device"},
    {EPIPE, "Broken pipe"},
    {ERANGE, "Numerical result out of range"},
    {ENOSYS, "Not available on Solo5 (no files, no signals)"},
    {ENOTSOCK, "Socket operation on non-socket"},
    {EDESTADDRREQ, "Destination address required"},
    {EMSGSIZE, "Message too long"},
    {EPROTOTYPE, "Protocol wrong type for socket"},
    {ENOPROTOOPT, "Protocol not available"},
    {EPROTONOSUPPORT, "Protocol not supported"},
    {ESOCKTNOSUPPORT, "Socket type not supported"},
    {EOPNOTSUPP, "Operation not supported"},
    {EAFNOSUPPORT, "Address family not supported by protocol"},
    {EADDRINUSE, "Address already in use"},
    {EADDRNOTAVAIL, "Cannot assign requested address"},
    {ENETDOWN, "Network is down"},
    {ENETUNREACH, "Network is unreachable"},
    {ECONNABORTED, "Software caused connection abort"},
    {ECONNRESET, "Connection reset by peer"},
    {ENOBUFS, "No buffer space available"},
    {EISCONN, "Transport endpoint is already connected"},
    {ENOTCONN, "Transport endpoint is not connected"},
    {ETIMEDOUT, "Connection timed out"},
    {ECONNREFUSED, "Connection refused"},
    {EHOSTUNREACH, "No route to host"},
    {EALREADY, "Operation already in progress"},
    {EINPROGRESS, "Operation now in progress"},
};

static char unknown_error[] = "Unknown error";

char *strerror(int e) {
  for (size_t i = 0; i < sizeof(e_text) / sizeof(e_text[0]); i++)
    if (e_text[i].e == e)
      return e_text[i].text;
  return unknown_error;
}

/* ---- ASCII classes ----------------------------------------------------- */

int isdigit(int c) { return c >= '0' && c <= '9'; }
int isupper(int c) { return c >= 'A' && c <= 'Z'; }
int islower(int c) { return c >= 'a' && c <= 'z'; }
int isalpha(int c) { return isupper(c) || islower(c); }
int isalnum(int c) { return isalpha(c) || isdigit(c); }
int isxdigit(int c) {
  return isdigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
int isspace(int c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
int isprint(int c) { return c >= 0x20 && c < 0x7f; }
int tolower(int c) { return isupper(c) ? c + ('a' - 'A') : c; }
int toupper(int c) { return islower(c) ? c - ('a' - 'A') : c; }

/* ---- numbers ----------------------------------------------------------- */

static int digit_value(int c) {
  if (isdigit(c))
    return c - '0';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'Z')
    return c - 'A' + 10;
  return 99;
}

unsigned long long strtoull(const char *s, char **end, int base) {
  const char *p = s;
  while (isspace((unsigned char)*p))
    p++;
  bool neg = false;
  if (*p == '+' || *p == '-')
    neg = *p++ == '-';
  if ((base == 0 || base == 16) && p[0] == '0' &&
      (p[1] == 'x' || p[1] == 'X') && digit_value(p[2]) < 16) {
    p += 2;
    base = 16;
  } else if (base == 0) {
    base = p[0] == '0' ? 8 : 10;
  }
  unsigned long long v = 0;
  bool any = false, over = false;
  for (; digit_value((unsigned char)*p) < base; p++) {
    unsigned d = (unsigned)digit_value((unsigned char)*p);
    if (v > (UINT64_MAX - d) / (unsigned)base)
      over = true;
    else
      v = v * (unsigned)base + d;
    any = true;
  }
  if (end)
    *end = (char *)(uintptr_t)(any ? p : s);
  if (over) {
    errno = ERANGE;
    return UINT64_MAX;
  }
  return neg ? 0 - v : v;
}

unsigned long strtoul(const char *s, char **end, int base) {
  return (unsigned long)strtoull(s, end, base);
}

/* ---- getopt_long ------------------------------------------------------- */

char *optarg;
int optind = 1, opterr = 1, optopt;
static int short_pos; /* within a cluster of short flags, 0 if none */

/* The entry `name` (up to '=' or its end) selects: an exact match, or
 * the only one it abbreviates.  NULL if none or ambiguous. */
static const struct option *find_long(const struct option *longs,
                                      const char *name, size_t len) {
  const struct option *hit = NULL;
  int hits = 0;
  for (const struct option *o = longs; o && o->name; o++) {
    if (strncmp(o->name, name, len) != 0)
      continue;
    if (o->name[len] == '\0')
      return o;
    hit = o;
    hits++;
  }
  return hits == 1 ? hit : NULL;
}

static int long_opt(int argc, char *const argv[], const struct option *longs,
                    int *index, char missing) {
  const char *name = argv[optind] + 2;
  const char *eq = strchr(name, '=');
  size_t len = eq ? (size_t)(eq - name) : strlen(name);
  optind++;
  const struct option *o = find_long(longs, name, len);
  optopt = 0;
  if (o == NULL)
    return '?';
  if (index)
    *index = (int)(o - longs);
  optopt = o->val;
  optarg = NULL;
  if (o->has_arg == no_argument && eq)
    return '?';
  if (o->has_arg != no_argument && eq) {
    optarg = (char *)(uintptr_t)(eq + 1);
  } else if (o->has_arg == required_argument) {
    if (optind >= argc)
      return missing;
    optarg = argv[optind++];
  }
  if (o->flag) {
    *o->flag = o->val;
    return 0;
  }
  return o->val;
}

int getopt_long(int argc, char *const argv[], const char *shorts,
                const struct option *longs, int *index) {
  char missing = shorts[0] == ':' ? ':' : '?';
  optarg = NULL;
  if (short_pos == 0) {
    if (optind >= argc || argv[optind] == NULL || argv[optind][0] != '-' ||
        argv[optind][1] == '\0')
      return -1;
    if (strcmp(argv[optind], "--") == 0) {
      optind++;
      return -1;
    }
    if (argv[optind][1] == '-')
      return long_opt(argc, argv, longs, index, missing);
    short_pos = 1;
  }
  const char *word = argv[optind];
  char c = word[short_pos++];
  const char *spec = c == ':' ? NULL : strchr(shorts, c);
  optopt = (unsigned char)c;
  bool last = word[short_pos] == '\0';
  if (spec == NULL) {
    if (last) {
      short_pos = 0;
      optind++;
    }
    return '?';
  }
  if (spec[1] == ':') {
    /* The value is the rest of the word, or the next word. */
    optind++;
    if (!last) {
      optarg = (char *)(uintptr_t)(word + short_pos);
    } else if (optind < argc) {
      optarg = argv[optind++];
    } else {
      short_pos = 0;
      return missing;
    }
    short_pos = 0;
    return (unsigned char)c;
  }
  if (last) {
    short_pos = 0;
    optind++;
  }
  return (unsigned char)c;
}

/* ---- exit -------------------------------------------------------------- */

void exit(int status) {
  zn_rt_exit(status);
}

void abort(void) {
  zn_rt_exit(ZN_RT_EXIT_ABORT);
}
