/*
 * Private to the DNS codec (znet/dns_wire.h): the RDATA layout checks
 * that the parser (dns_wire.c) and the builder (dns_build.c) share.  Case
 * folding (RFC 4343) is public (zn_dns_lower, zn_dns_eq_nocase in
 * znet/dns_wire.h): libznet-dns's cache and blocklist key on it too.
 */
#ifndef ZN_WIRE_DNS_WIRE_INT_H
#define ZN_WIRE_DNS_WIRE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* TXT RDATA: one or more character-strings exactly filling len bytes. */
bool zn__dns_txt_ok(const uint8_t *p, size_t len);

/* OPT RDATA: options {code, length, data} exactly filling len bytes (0
 * bytes is well formed). */
bool zn__dns_opts_ok(const uint8_t *p, size_t len);

#endif /* ZN_WIRE_DNS_WIRE_INT_H */
