/*
 * The runtime's console lines (rt.h: zrt_log, zrt_panic), with a
 * formatter of its own: the runtime speaks from inside system calls,
 * where musl's stdio (its locks, its buffers, perhaps malloc) must not
 * be entered again.
 */
#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#include "rt.h"

#define LINE_MAX_BYTES 512

struct line {
  char buf[LINE_MAX_BYTES];
  size_t len;
};

static void put(struct line *l, char c) {
  if (l->len < sizeof(l->buf) - 1)
    l->buf[l->len++] = c;
}

static void put_str(struct line *l, const char *s) {
  if (s == NULL)
    s = "(null)";
  while (*s)
    put(l, *s++);
}

/* v in base 10 or 16, at least `width` digits wide (padded with pad). */
static void put_num(struct line *l, uint64_t v, unsigned base, unsigned width,
                    char pad) {
  char digits[24];
  unsigned n = 0;
  do {
    unsigned d = (unsigned)(v % base);
    digits[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
    v /= base;
  } while (v && n < sizeof(digits));
  while (width > n && width-- > 0)
    put(l, pad);
  while (n)
    put(l, digits[--n]);
}

static void put_signed(struct line *l, int64_t v, unsigned width, char pad) {
  if (v < 0) {
    put(l, '-');
    put_num(l, (uint64_t)0 - (uint64_t)v, 10, width ? width - 1 : 0, pad);
  } else {
    put_num(l, (uint64_t)v, 10, width, pad);
  }
}

/* One conversion after '%' (and its flags): returns where the format
 * goes on. */
static const char *convert(struct line *l, const char *f, va_list *ap) {
  char pad = ' ';
  unsigned width = 0;
  if (*f == '0')
    pad = *f++;
  while (*f >= '0' && *f <= '9')
    width = width * 10 + (unsigned)(*f++ - '0');
  int longs = 0;
  while (*f == 'l' || *f == 'z')
    longs = 1, f++;
  switch (*f) {
  case 's':
    put_str(l, va_arg(*ap, const char *));
    break;
  case 'c':
    put(l, (char)va_arg(*ap, int));
    break;
  case 'd':
  case 'i':
    put_signed(l, longs ? va_arg(*ap, long) : va_arg(*ap, int), width, pad);
    break;
  case 'u':
    put_num(l, longs ? va_arg(*ap, unsigned long) : va_arg(*ap, unsigned), 10,
            width, pad);
    break;
  case 'x':
    put_num(l, longs ? va_arg(*ap, unsigned long) : va_arg(*ap, unsigned), 16,
            width, pad);
    break;
  case 'p':
    put_str(l, "0x");
    put_num(l, (uintptr_t)va_arg(*ap, void *), 16, width, pad);
    break;
  case '%':
    put(l, '%');
    break;
  default:
    put(l, '?');
    return *f ? f + 1 : f;
  }
  return f + 1;
}

void zrt_vlog(const char *fmt, va_list ap) {
  struct line l = {.len = 0};
  va_list aq;
  va_copy(aq, ap);
  put_str(&l, "znet-rt: ");
  for (const char *f = fmt; *f;) {
    if (*f != '%') {
      put(&l, *f++);
      continue;
    }
    f = convert(&l, f + 1, &aq);
  }
  va_end(aq);
  l.buf[l.len++] = '\n';
  zrt_plat_console(l.buf, l.len);
}

void zrt_log(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  zrt_vlog(fmt, ap);
  va_end(ap);
}

void zrt_panic(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  zrt_vlog(fmt, ap);
  va_end(ap);
  zrt_plat_abort();
}
