/*
 * DNS over TCP framing (RFC 1035 4.2.2, RFC 7766 8): see znet/dns_wire.h.
 *
 * The decoder is a two-state machine, reading the length prefix (hlen <
 * 2) or the message (need bytes into buf); a message complete sets
 * `ready`, and the next call starts over.  Errors are sticky: once the
 * framing is lost no later byte can be trusted to start a message.
 */
#include <string.h>

#include "znet/dns_wire.h"
#include "znet/err.h"

void zn_dns_tcp_decoder_init(struct zn_dns_tcp_decoder *d, uint8_t *buf,
                             size_t cap) {
  memset(d, 0, sizeof(*d));
  d->buf = buf;
  d->cap = cap > ZN_DNS_MSG_MAX ? ZN_DNS_MSG_MAX : cap;
}

bool zn_dns_tcp_decoder_idle(const struct zn_dns_tcp_decoder *d) {
  return d->err == ZN_OK && (d->ready || d->hlen == 0);
}

/* The prefix is complete: is the length one a message can have here? */
static int check_length(struct zn_dns_tcp_decoder *d) {
  d->need = zn_rd16(d->hdr);
  d->have = 0;
  if (d->need < ZN_DNS_HDR_LEN)
    d->err = ZN_EMALFORMED;
  else if (d->need > d->cap)
    d->err = ZN_EMSGSIZE;
  return d->err;
}

int zn_dns_tcp_decode(struct zn_dns_tcp_decoder *d, const uint8_t *p,
                      size_t len, size_t *used) {
  size_t i = 0;
  *used = 0;
  if (d->err != ZN_OK)
    return d->err;
  if (d->ready) {
    d->ready = false;
    d->hlen = 0;
  }
  while (i < len && d->hlen < 2) {
    d->hdr[d->hlen++] = p[i++];
    if (d->hlen == 2 && check_length(d) != ZN_OK) {
      *used = i;
      return d->err;
    }
  }
  if (d->hlen == 2) {
    size_t k = d->need - d->have;
    if (k > len - i)
      k = len - i;
    if (k > 0)
      memcpy(d->buf + d->have, p + i, k);
    d->have += k;
    i += k;
    d->ready = d->have == d->need;
  }
  *used = i;
  return d->ready ? 1 : 0;
}

int zn_dns_tcp_encode_len(size_t len, uint8_t hdr[2]) {
  if (len == 0 || len > ZN_DNS_MSG_MAX)
    return ZN_EMSGSIZE;
  zn_wr16(hdr, (uint16_t)len);
  return ZN_OK;
}
