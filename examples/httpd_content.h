/*
 * What znet-httpd serves: the files under --root (httpd_files.c: opened
 * beneath the root, mmap'ed, cached), on a host or, in a Solo5 image,
 * from the root archive on its block device (libznet-rt's files).
 */
#ifndef ZN_EXAMPLES_HTTPD_CONTENT_H
#define ZN_EXAMPLES_HTTPD_CONTENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "znet/http.h"

struct httpd_content;

/* The content of root, with a cache of up to
 * cache_files open files.  NULL (message printed) on failure. */
struct httpd_content *httpd_content_new(const char *root, uint32_t cache_files,
                                        const char *prog);

/* The source the server is given. */
struct zn_http_content *httpd_content_source(struct httpd_content *c);

/* "DIR", into buf. */
void httpd_content_describe(const struct httpd_content *c, char *buf,
                            size_t size);

/* The source's counters that are not zero, "  files.NAME VALUE". */
void httpd_content_print_stats(FILE *fp, const struct httpd_content *c);

/* After the server has stopped and the stack is gone: every file the
 * cache holds is unmapped (held ones too: nothing can use them now). */
void httpd_content_free(struct httpd_content *c);

#endif /* ZN_EXAMPLES_HTTPD_CONTENT_H */
