/*
 * printf and console streams for a Solo5 unikernel.  stdout and stderr are
 * both the Solo5 console (solo5_console_write through zn_rt_console),
 * each line-buffered so a line is one write.  The format engine knows
 * %d %i %u %x %X %o %c %s %p %% with the flags "-0+ #", a width and a
 * precision (numbers or '*'), and the length modifiers hh h l ll z j t;
 * floating point conversions print "?" (no FPU in a build without SSE).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "rt.h"

#define LINE_MAX_BYTES 256

struct zn_solo5_file {
  char buf[LINE_MAX_BYTES];
  size_t len;
};

static struct zn_solo5_file out_file, err_file;
FILE *const stdout = &out_file;
FILE *const stderr = &err_file;

int fflush(FILE *fp) {
  if (fp == NULL) {
    fflush(stdout);
    return fflush(stderr);
  }
  if (fp->len) {
    zn_rt_console(fp->buf, fp->len);
    fp->len = 0;
  }
  return 0;
}

void zn_rt_flush_all(void) { fflush(NULL); }

static void file_put(FILE *fp, const char *p, size_t n) {
  for (size_t i = 0; i < n; i++) {
    fp->buf[fp->len++] = p[i];
    if (p[i] == '\n' || fp->len == sizeof(fp->buf))
      fflush(fp);
  }
}

/* Where formatted bytes go: a stream, or a bounded string. */
struct sink {
  FILE *fp;
  char *buf;
  size_t size, len; /* len counts every byte, even those cut off */
};

static void sink_put(struct sink *k, const char *p, size_t n) {
  if (k->fp) {
    file_put(k->fp, p, n);
  } else if (k->size > 0 && k->len < k->size - 1) {
    size_t room = k->size - 1 - k->len;
    memcpy(k->buf + k->len, p, n < room ? n : room);
  }
  k->len += n;
}

static void sink_pad(struct sink *k, char c, size_t n) {
  while (n--)
    sink_put(k, &c, 1);
}

struct spec {
  bool left, zero, plus, space, alt;
  int width, prec; /* prec -1: none */
};

/* One integer conversion: digits of v in base, with sign and prefix. */
static void put_int(struct sink *k, const struct spec *sp, uint64_t v,
                    bool neg, unsigned base, bool upper) {
  char digits[24];
  size_t nd = 0;
  const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  while (v) {
    digits[nd++] = set[v % base];
    v /= base;
  }
  /* Precision is the least number of digits; "%.0d" of 0 prints none. */
  size_t want = sp->prec >= 0 ? (size_t)sp->prec : 1;
  size_t zeros = want > nd ? want - nd : 0;
  const char *prefix = neg ? "-" : sp->plus ? "+" : sp->space ? " " : "";
  if (sp->alt && base == 16 && nd)
    prefix = upper ? "0X" : "0x";
  if (sp->alt && base == 8 && zeros == 0)
    zeros = 1;
  size_t plen = strlen(prefix);
  size_t total = plen + zeros + nd;
  size_t pad = sp->width > 0 && (size_t)sp->width > total
                   ? (size_t)sp->width - total
                   : 0;
  if (sp->zero && !sp->left && sp->prec < 0) {
    zeros += pad;
    pad = 0;
  }
  if (!sp->left)
    sink_pad(k, ' ', pad);
  sink_put(k, prefix, plen);
  sink_pad(k, '0', zeros);
  while (nd)
    sink_put(k, &digits[--nd], 1);
  if (sp->left)
    sink_pad(k, ' ', pad);
}

static void put_str(struct sink *k, const struct spec *sp, const char *s) {
  if (s == NULL)
    s = "(null)";
  size_t n = 0;
  while (s[n] && (sp->prec < 0 || n < (size_t)sp->prec))
    n++;
  size_t pad = sp->width > 0 && (size_t)sp->width > n
                   ? (size_t)sp->width - n
                   : 0;
  if (!sp->left)
    sink_pad(k, ' ', pad);
  sink_put(k, s, n);
  if (sp->left)
    sink_pad(k, ' ', pad);
}

enum len_mod { L_INT, L_CHAR, L_SHORT, L_LONG, L_LLONG, L_SIZE, L_MAX, L_PTR };

static uint64_t arg_unsigned(va_list *ap, enum len_mod m) {
  switch (m) {
  case L_CHAR:
    return (unsigned char)va_arg(*ap, unsigned);
  case L_SHORT:
    return (unsigned short)va_arg(*ap, unsigned);
  case L_LONG:
    return va_arg(*ap, unsigned long);
  case L_LLONG:
    return va_arg(*ap, unsigned long long);
  case L_SIZE:
    return va_arg(*ap, size_t);
  case L_MAX:
    return va_arg(*ap, uintmax_t);
  case L_PTR:
    return (uint64_t)va_arg(*ap, ptrdiff_t);
  default:
    return va_arg(*ap, unsigned);
  }
}

static int64_t arg_signed(va_list *ap, enum len_mod m) {
  switch (m) {
  case L_CHAR:
    return (signed char)va_arg(*ap, int);
  case L_SHORT:
    return (short)va_arg(*ap, int);
  case L_LONG:
    return va_arg(*ap, long);
  case L_LLONG:
    return va_arg(*ap, long long);
  case L_SIZE:
    return (int64_t)va_arg(*ap, size_t);
  case L_MAX:
    return va_arg(*ap, intmax_t);
  case L_PTR:
    return va_arg(*ap, ptrdiff_t);
  default:
    return va_arg(*ap, int);
  }
}

static int parse_num(const char **f) {
  int v = 0;
  while (**f >= '0' && **f <= '9') {
    if (v < 100000)
      v = v * 10 + (**f - '0');
    (*f)++;
  }
  return v;
}

static enum len_mod parse_len(const char **f) {
  switch (**f) {
  case 'h':
    (*f)++;
    if (**f == 'h') {
      (*f)++;
      return L_CHAR;
    }
    return L_SHORT;
  case 'l':
    (*f)++;
    if (**f == 'l') {
      (*f)++;
      return L_LLONG;
    }
    return L_LONG;
  case 'z':
    (*f)++;
    return L_SIZE;
  case 'j':
    (*f)++;
    return L_MAX;
  case 't':
    (*f)++;
    return L_PTR;
  default:
    return L_INT;
  }
}

static void convert(struct sink *k, struct spec *sp, char c, enum len_mod m,
                    va_list *ap) {
  switch (c) {
  case 'd':
  case 'i': {
    int64_t v = arg_signed(ap, m);
    put_int(k, sp, v < 0 ? 0 - (uint64_t)v : (uint64_t)v, v < 0, 10, false);
    break;
  }
  case 'u':
    put_int(k, sp, arg_unsigned(ap, m), false, 10, false);
    break;
  case 'x':
  case 'X':
    put_int(k, sp, arg_unsigned(ap, m), false, 16, c == 'X');
    break;
  case 'o':
    put_int(k, sp, arg_unsigned(ap, m), false, 8, false);
    break;
  case 'p':
    sp->alt = true;
    put_int(k, sp, (uintptr_t)va_arg(*ap, void *), false, 16, false);
    break;
  case 'c': {
    char ch = (char)va_arg(*ap, int);
    struct spec one = *sp;
    one.prec = -1;
    char s[2] = {ch, '\0'};
    if (ch == '\0') {
      sink_put(k, s, 1);
      break;
    }
    put_str(k, &one, s);
    break;
  }
  case 's':
    put_str(k, sp, va_arg(*ap, const char *));
    break;
  case 'f':
  case 'F':
  case 'e':
  case 'E':
  case 'g':
  case 'G':
  case 'a':
  case 'A':
    /* A double was passed: it cannot be read without FP registers.  The
     * examples format no floating point on Solo5. */
    sink_put(k, "?", 1);
    break;
  default:
    sink_put(k, "%", 1);
    sink_put(k, &c, 1);
    break;
  }
}

static int format(struct sink *k, const char *f, va_list ap_in) {
  va_list ap;
  va_copy(ap, ap_in);
  while (*f) {
    if (*f != '%') {
      const char *run = f;
      while (*f && *f != '%')
        f++;
      sink_put(k, run, (size_t)(f - run));
      continue;
    }
    f++;
    if (*f == '%') {
      sink_put(k, "%", 1);
      f++;
      continue;
    }
    struct spec sp = {.prec = -1};
    for (;; f++) {
      if (*f == '-')
        sp.left = true;
      else if (*f == '0')
        sp.zero = true;
      else if (*f == '+')
        sp.plus = true;
      else if (*f == ' ')
        sp.space = true;
      else if (*f == '#')
        sp.alt = true;
      else
        break;
    }
    if (*f == '*') {
      sp.width = va_arg(ap, int);
      if (sp.width < 0) {
        sp.left = true;
        sp.width = -sp.width;
      }
      f++;
    } else {
      sp.width = parse_num(&f);
    }
    if (*f == '.') {
      f++;
      if (*f == '*') {
        sp.prec = va_arg(ap, int);
        if (sp.prec < 0)
          sp.prec = -1;
        f++;
      } else {
        sp.prec = parse_num(&f);
      }
    }
    enum len_mod m = parse_len(&f);
    if (*f == '\0')
      break;
    convert(k, &sp, *f++, m, &ap);
  }
  va_end(ap);
  return k->len > INT32_MAX ? INT32_MAX : (int)k->len;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap) {
  struct sink k = {.buf = buf, .size = size};
  int n = format(&k, fmt, ap);
  if (size > 0)
    buf[k.len < size ? k.len : size - 1] = '\0';
  return n;
}

int snprintf(char *buf, size_t size, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, size, fmt, ap);
  va_end(ap);
  return n;
}

int vfprintf(FILE *fp, const char *fmt, va_list ap) {
  struct sink k = {.fp = fp};
  return format(&k, fmt, ap);
}

int fprintf(FILE *fp, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vfprintf(fp, fmt, ap);
  va_end(ap);
  return n;
}

int printf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vfprintf(stdout, fmt, ap);
  va_end(ap);
  return n;
}

int fputc(int c, FILE *fp) {
  char ch = (char)c;
  file_put(fp, &ch, 1);
  return (unsigned char)c;
}

int putchar(int c) { return fputc(c, stdout); }

int fputs(const char *s, FILE *fp) {
  file_put(fp, s, strlen(s));
  return 0;
}

int puts(const char *s) {
  fputs(s, stdout);
  return fputc('\n', stdout) == EOF ? EOF : 0;
}

size_t fwrite(const void *p, size_t size, size_t n, FILE *fp) {
  if (size == 0 || n == 0)
    return 0;
  if (n > SIZE_MAX / size)
    return 0;
  file_put(fp, p, size * n);
  return n;
}

/* No file system on Solo5. */
FILE *fopen(const char *path, const char *mode) {
  (void)path;
  (void)mode;
  errno = ENOSYS;
  return NULL;
}

int fclose(FILE *fp) {
  (void)fp;
  return EOF;
}

int ferror(FILE *fp) {
  (void)fp;
  return 1;
}

ssize_t getline(char **line, size_t *cap, FILE *fp) {
  (void)line;
  (void)cap;
  (void)fp;
  errno = ENOSYS;
  return -1;
}
