/* Logging: a small freestanding formatter, and level names. */
#include <stdarg.h>
#include <string.h>

#include "core/stack_int.h"
#include "znet/addr.h"

static const char *const level_names[] = {"error", "warn", "info", "debug",
                                          "trace"};

const char *zn_log_level_name(int level) {
  if (level < 0 || level > ZN_LOG_TRACE)
    return "?";
  return level_names[level];
}

int zn_log_level_parse(const char *name) {
  for (int i = 0; i <= ZN_LOG_TRACE; i++) {
    const char *a = name, *b = level_names[i];
    while (*a && *a == *b) {
      a++;
      b++;
    }
    if (*a == 0 && *b == 0)
      return i;
  }
  return -1;
}

struct out {
  char *p;
  size_t left; /* room for characters, NUL excluded */
};

static void put(struct out *o, char c) {
  if (o->left) {
    *o->p++ = c;
    o->left--;
  }
}

static void puts_(struct out *o, const char *s) {
  if (!s)
    s = "(null)";
  while (*s)
    put(o, *s++);
}

static void putu(struct out *o, unsigned long long v, unsigned base,
                 int neg) {
  char tmp[24];
  int n = 0;
  do {
    tmp[n++] = "0123456789abcdef"[v % base];
    v /= base;
  } while (v);
  if (neg)
    put(o, '-');
  while (n)
    put(o, tmp[--n]);
}

/* buf is written through o.p, which clang-tidy does not follow:
 * NOLINTNEXTLINE(readability-non-const-parameter) */
void zn__vfmt(char *buf, size_t size, const char *fmt, va_list ap) {
  if (size == 0)
    return;
  struct out o = {buf, size - 1};
  for (const char *f = fmt; *f; f++) {
    if (*f != '%') {
      put(&o, *f);
      continue;
    }
    f++;
    int lng = 0, sz = 0;
    while (*f == 'l') {
      lng++;
      f++;
    }
    if (*f == 'z') {
      sz = 1;
      f++;
    }
    switch (*f) {
    case 'd': {
      long long v = lng >= 2 ? va_arg(ap, long long)
                    : lng == 1 ? va_arg(ap, long)
                    : sz ? (long long)va_arg(ap, size_t)
                         : va_arg(ap, int);
      putu(&o, v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v,
           10, v < 0);
      break;
    }
    case 'u':
    case 'x': {
      unsigned long long v = lng >= 2 ? va_arg(ap, unsigned long long)
                             : lng == 1 ? va_arg(ap, unsigned long)
                             : sz ? va_arg(ap, size_t)
                                  : va_arg(ap, unsigned);
      putu(&o, v, *f == 'x' ? 16u : 10u, 0);
      break;
    }
    case 's':
      puts_(&o, va_arg(ap, const char *));
      break;
    case 'c':
      put(&o, (char)va_arg(ap, int));
      break;
    case 'I': {
      char ip[ZN_IPV4_STRLEN];
      puts_(&o, zn_ipv4_format(va_arg(ap, uint32_t), ip));
      break;
    }
    case 'M': {
      char mac[ZN_MAC_STRLEN];
      puts_(&o, zn_mac_format(va_arg(ap, const uint8_t *), mac));
      break;
    }
    case '%':
      put(&o, '%');
      break;
    case 0:
      f--; /* lone '%' at the end */
      break;
    default:
      put(&o, '%');
      put(&o, *f);
      break;
    }
  }
  *o.p = 0;
}

void zn__fmt(char *buf, size_t size, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  zn__vfmt(buf, size, fmt, ap);
  va_end(ap);
}

void zn__log(const struct zn_stack *st, int level, const char *fmt, ...) {
  char line[256];
  va_list ap;
  if (!st->cfg.log || level > st->cfg.log_level)
    return;
  va_start(ap, fmt);
  zn__vfmt(line, sizeof(line), fmt, ap);
  va_end(ap);
  st->cfg.log(st->cfg.log_ctx, level, line);
}
