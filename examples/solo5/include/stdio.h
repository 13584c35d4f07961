/* Console output for znet's Solo5 runtime (examples/solo5/printf.c).
 * stdout and stderr both go to solo5_console_write(), line-buffered.
 * printf knows the integer, string, character and pointer conversions with
 * flags, width, precision and length modifiers; no floating point (a
 * build without SSE has none).  There are no files: fopen() fails with
 * ENOSYS. */
#ifndef ZN_SOLO5_STDIO_H
#define ZN_SOLO5_STDIO_H

#include <stdarg.h>
#include <stddef.h>

typedef struct zn_solo5_file FILE;
typedef long ssize_t;

extern FILE *const stdout;
extern FILE *const stderr;

#define EOF (-1)

#define ZN_PRINTF(f, a) __attribute__((format(printf, f, a)))

int printf(const char *fmt, ...) ZN_PRINTF(1, 2);
int fprintf(FILE *fp, const char *fmt, ...) ZN_PRINTF(2, 3);
int vfprintf(FILE *fp, const char *fmt, va_list ap) ZN_PRINTF(2, 0);
int snprintf(char *buf, size_t size, const char *fmt, ...) ZN_PRINTF(3, 4);
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
    ZN_PRINTF(3, 0);
int fputc(int c, FILE *fp);
int putchar(int c);
int fputs(const char *s, FILE *fp);
int puts(const char *s);
size_t fwrite(const void *p, size_t size, size_t n, FILE *fp);
int fflush(FILE *fp);

FILE *fopen(const char *path, const char *mode);
int fclose(FILE *fp);
int ferror(FILE *fp);
ssize_t getline(char **line, size_t *cap, FILE *fp);

#endif
