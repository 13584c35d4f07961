/*
 * Private to src/dns: RDATA layout checks shared by the parser and the
 * builder.
 */
#ifndef ZNET_DNS_INT_H
#define ZNET_DNS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* TXT RDATA: one or more character-strings exactly filling len bytes. */
bool zn__dns_txt_ok(const uint8_t *p, size_t len);

/* OPT RDATA: options {code, length, data} exactly filling len bytes (0
 * bytes is well formed). */
bool zn__dns_opts_ok(const uint8_t *p, size_t len);

#endif /* ZNET_DNS_INT_H */
