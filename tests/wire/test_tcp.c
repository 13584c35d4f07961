/*
 * Tests of src/wire/tcp_wire.c: real segments from the shared captures and
 * fuzz seeds parsed field by field and option by option, Linux's SYNs and
 * SYN-ACKs re-emitted byte for byte, every truncation of the header and
 * of the option area (in blocks of exactly that size, so ASan sees any
 * overread), the checksum, adversarial option lists, and a round trip of
 * every combination of options through zn_tcp_seg_opts_emit and
 * zn_tcp_seg_opts_parse, and the input path's inline parser
 * (zn__tcp_seg_opts_parse, wire/wire_inline.h) against it.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire/wire_inline.h"
#include "znet/err.h"
#include "znet/wire.h"
#include "frames.h"
#include "zt.h"

/* Whole Ethernet frames, unchanged.  The TCP checksums of smol_syn,
 * smol_fin, smol_data and lwip_syn were captured before checksum offload
 * and are wrong; they are used for parsing only.  Every other segment's
 * checksum verifies. */

/* SYN 141.142.228.5:59856 -> 192.150.187.43:80, BSD option order:
 * MSS 1460, NOP, WS 4, NOP, NOP, TS 374005024/0, SACK_PERM, EOL, EOL. */
/* zeek__tcp__syn-synack.pcap frame 1 (78 bytes) */
static const uint8_t bsd_syn[78] = {
    0x00, 0x10, 0xdb, 0x88, 0xd2, 0xef, 0xc8, 0xbc, 0xc8, 0x96, 0xd2, 0xa0,
    0x08, 0x00, 0x45, 0x00, 0x00, 0x40, 0xdf, 0x8e, 0x40, 0x00, 0x40, 0x06,
    0x6d, 0xd3, 0x8d, 0x8e, 0xe4, 0x05, 0xc0, 0x96, 0xbb, 0x2b, 0xe9, 0xd0,
    0x00, 0x50, 0xfe, 0x21, 0x32, 0x3a, 0x00, 0x00, 0x00, 0x00, 0xb0, 0x02,
    0xff, 0xff, 0x3b, 0xc0, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x01, 0x03,
    0x03, 0x04, 0x01, 0x01, 0x08, 0x0a, 0x16, 0x4a, 0xdd, 0x20, 0x00, 0x00,
    0x00, 0x00, 0x04, 0x02, 0x00, 0x00,
};

/* SYN-ACK from Linux 192.150.187.43:80 -> 141.142.228.5:59856: MSS 1460,
 * SACK_PERM, TS 797524569/374005024, NOP, WS 7. */
/* zeek__tcp__syn-synack.pcap frame 2 (74 bytes) */
static const uint8_t linux_synack[74] = {
    0xc8, 0xbc, 0xc8, 0x96, 0xd2, 0xa0, 0x00, 0x10, 0xdb, 0x88, 0xd2, 0xef,
    0x08, 0x00, 0x45, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x40, 0x00, 0x2f, 0x06,
    0x5e, 0x66, 0xc0, 0x96, 0xbb, 0x2b, 0x8d, 0x8e, 0xe4, 0x05, 0x00, 0x50,
    0xe9, 0xd0, 0xa5, 0xaf, 0xce, 0x3e, 0xfe, 0x21, 0x32, 0x3b, 0xa0, 0x12,
    0x38, 0x90, 0x2e, 0x50, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02,
    0x08, 0x0a, 0x2f, 0x89, 0x42, 0x59, 0x16, 0x4a, 0xdd, 0x20, 0x01, 0x03,
    0x03, 0x07,
};

/* SYNs 127.0.0.1:20 -> 127.0.0.1:80 carrying a SACK option of 1..4 blocks
 * (1-16, 256-4096, 65536-1048576, 16777216-268435456) then EOL, EOL. */
/* zeek__tcp__option-sack.pcap frame 1 (66 bytes) */
static const uint8_t sack1[66] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x08, 0x00, 0x45, 0x00, 0x00, 0x34, 0x00, 0x01, 0x00, 0x00, 0x40, 0x06,
    0x7c, 0xc1, 0x7f, 0x00, 0x00, 0x01, 0x7f, 0x00, 0x00, 0x01, 0x00, 0x14,
    0x00, 0x50, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0x02,
    0x20, 0x00, 0x5c, 0x55, 0x00, 0x00, 0x05, 0x0a, 0x00, 0x00, 0x00, 0x01,
    0x00, 0x00, 0x00, 0x10, 0x00, 0x00,
};

/* zeek__tcp__option-sack.pcap frame 2 (74 bytes) */
static const uint8_t sack2[74] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x08, 0x00, 0x45, 0x00, 0x00, 0x3c, 0x00, 0x01, 0x00, 0x00, 0x40, 0x06,
    0x7c, 0xb9, 0x7f, 0x00, 0x00, 0x01, 0x7f, 0x00, 0x00, 0x01, 0x00, 0x14,
    0x00, 0x50, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02,
    0x20, 0x00, 0x2b, 0x45, 0x00, 0x00, 0x05, 0x12, 0x00, 0x00, 0x00, 0x01,
    0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x10, 0x00,
    0x00, 0x00,
};

/* zeek__tcp__option-sack.pcap frame 3 (82 bytes) */
static const uint8_t sack3[82] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x08, 0x00, 0x45, 0x00, 0x00, 0x44, 0x00, 0x01, 0x00, 0x00, 0x40, 0x06,
    0x7c, 0xb1, 0x7f, 0x00, 0x00, 0x01, 0x7f, 0x00, 0x00, 0x01, 0x00, 0x14,
    0x00, 0x50, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0x02,
    0x20, 0x00, 0x0b, 0x24, 0x00, 0x00, 0x05, 0x1a, 0x00, 0x00, 0x00, 0x01,
    0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x10, 0x00,
    0x00, 0x01, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00,
};

/* zeek__tcp__option-sack.pcap frame 4 (90 bytes) */
static const uint8_t sack4[90] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x08, 0x00, 0x45, 0x00, 0x00, 0x4c, 0x00, 0x01, 0x00, 0x00, 0x40, 0x06,
    0x7c, 0xa9, 0x7f, 0x00, 0x00, 0x01, 0x7f, 0x00, 0x00, 0x01, 0x00, 0x14,
    0x00, 0x50, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xe0, 0x02,
    0x20, 0x00, 0xda, 0x13, 0x00, 0x00, 0x05, 0x22, 0x00, 0x00, 0x00, 0x01,
    0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x10, 0x00,
    0x00, 0x01, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
    0x10, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* SYN 10.0.0.1:40000 -> 10.0.0.2:80: MSS 1460, WS 255 (out of range), EOL. */
/* zeek__tcp__window-scale-range.pcap frame 1 (62 bytes) */
static const uint8_t ws255_syn[62] = {
    0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
    0x08, 0x00, 0x45, 0x00, 0x00, 0x30, 0x00, 0x01, 0x00, 0x00, 0x40, 0x06,
    0x66, 0xc5, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02, 0x9c, 0x40,
    0x00, 0x50, 0x00, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x00, 0x00, 0x70, 0x02,
    0x20, 0x00, 0xb1, 0xa3, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x03, 0x03,
    0xff, 0x00,
};

/* SYN-ACK 10.0.0.2:80 -> 10.0.0.1:40000: MSS 1460, WS 7, EOL. */
/* zeek__tcp__window-scale-range.pcap frame 2 (62 bytes) */
static const uint8_t ws7_synack[62] = {
    0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
    0x08, 0x00, 0x45, 0x00, 0x00, 0x30, 0x00, 0x01, 0x00, 0x00, 0x40, 0x06,
    0x66, 0xc5, 0x0a, 0x00, 0x00, 0x02, 0x0a, 0x00, 0x00, 0x01, 0x00, 0x50,
    0x9c, 0x40, 0x00, 0x00, 0x13, 0x88, 0x00, 0x00, 0x03, 0xe9, 0x70, 0x12,
    0x20, 0x00, 0x96, 0x0b, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x03, 0x03,
    0x07, 0x00,
};

/* PSH-ACK 10.0.0.1:40000 -> 10.0.0.2:80 with the 5-byte payload "hello". */
/* zeek__tcp__window-scale-range.pcap frame 4 (59 bytes) */
static const uint8_t ws_hello[59] = {
    0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
    0x08, 0x00, 0x45, 0x00, 0x00, 0x2d, 0x00, 0x01, 0x00, 0x00, 0x40, 0x06,
    0x66, 0xc8, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02, 0x9c, 0x40,
    0x00, 0x50, 0x00, 0x00, 0x03, 0xe9, 0x00, 0x00, 0x13, 0x89, 0x50, 0x18,
    0xff, 0xff, 0xa3, 0xf0, 0x00, 0x00, 0x68, 0x65, 0x6c, 0x6c, 0x6f,
};

/* ACK 172.19.42.74:49671 -> 87.240.131.240:25014: a 20-byte segment (IP
 * total length 40, 6 bytes of link padding) whose data offset says 28. */
/* pcpp__tcp-malformed.pcap frame 1 (60 bytes) */
static const uint8_t malformed_doff[60] = {
    0x00, 0x00, 0x5e, 0x00, 0x01, 0x02, 0x6c, 0x27, 0x79, 0x36, 0x30, 0x1c,
    0x08, 0x00, 0x45, 0x00, 0x00, 0x28, 0x09, 0x58, 0x40, 0x00, 0x80, 0x06,
    0x3f, 0x3a, 0xac, 0x13, 0x2a, 0x4a, 0x57, 0xf0, 0x83, 0xf0, 0xc2, 0x07,
    0x61, 0xb6, 0x57, 0x44, 0x50, 0x5b, 0x4d, 0xa4, 0x90, 0xb9, 0x70, 0x10,
    0x08, 0x91, 0xbb, 0xe7, 0xe0, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* SYN from Linux 192.168.101.106:47472 -> 178.62.108.238:443: MSS 1460,
 * SACK_PERM, TS 654655029/0, NOP, WS 7.  Checksum wrong (pre-offload). */
/* smoltcp/tcpv4_syn.bin (74 bytes) */
static const uint8_t smol_syn[74] = {
    0xc0, 0xc1, 0xc0, 0xe8, 0xe9, 0xc1, 0x9c, 0xb6, 0xd0, 0xd5, 0x80, 0xa3,
    0x08, 0x00, 0x45, 0x00, 0x00, 0x3c, 0x6e, 0x02, 0x40, 0x00, 0x40, 0x06,
    0x87, 0x7a, 0xc0, 0xa8, 0x65, 0x6a, 0xb2, 0x3e, 0x6c, 0xee, 0xb9, 0x70,
    0x01, 0xbb, 0xde, 0xfc, 0x50, 0x37, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02,
    0x72, 0x10, 0x45, 0x6e, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02,
    0x08, 0x0a, 0x27, 0x05, 0x3e, 0x35, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03,
    0x03, 0x07,
};


/* FIN-ACK 192.168.101.106:42670 -> 104.25.218.21:443.  Checksum wrong. */
/* smoltcp/tcpv4_fin.bin (54 bytes) */
static const uint8_t smol_fin[54] = {
    0xc0, 0xc1, 0xc0, 0xe8, 0xe9, 0xc1, 0x9c, 0xb6, 0xd0, 0xd5, 0x80, 0xa3,
    0x08, 0x00, 0x45, 0x00, 0x00, 0x28, 0xe3, 0xb3, 0x40, 0x00, 0x40, 0x06,
    0xee, 0xda, 0xc0, 0xa8, 0x65, 0x6a, 0x68, 0x19, 0xda, 0x15, 0xa6, 0xae,
    0x01, 0xbb, 0xf4, 0xb5, 0x67, 0x93, 0x97, 0x02, 0x9f, 0xca, 0x50, 0x11,
    0x0a, 0xa4, 0x68, 0x5c, 0x00, 0x00,
};

/* PSH-ACK 192.168.101.106:50300 -> 78.47.61.83:50002, NOP NOP TS, 100 bytes
 * of TLS application data.  Checksum wrong. */
/* smoltcp/tcpv4_data.bin (166 bytes) */
static const uint8_t smol_data[166] = {
    0xc0, 0xc1, 0xc0, 0xe8, 0xe9, 0xc1, 0x9c, 0xb6, 0xd0, 0xd5, 0x80, 0xa3,
    0x08, 0x00, 0x45, 0x00, 0x00, 0x98, 0x47, 0x6a, 0x40, 0x00, 0x40, 0x06,
    0x41, 0x61, 0xc0, 0xa8, 0x65, 0x6a, 0x4e, 0x2f, 0x3d, 0x53, 0xc4, 0x7c,
    0xc3, 0x52, 0x95, 0x85, 0xc4, 0x49, 0xed, 0xe7, 0x64, 0x63, 0x80, 0x18,
    0x05, 0xa4, 0xb2, 0x1f, 0x00, 0x00, 0x01, 0x01, 0x08, 0x0a, 0x27, 0x05,
    0x44, 0xb5, 0x31, 0xf4, 0x06, 0x43, 0x17, 0x03, 0x03, 0x00, 0x5f, 0x0f,
    0xe3, 0x04, 0x2e, 0xec, 0xc4, 0x24, 0x37, 0xf9, 0xfb, 0xc1, 0xc7, 0x11,
    0x5d, 0xab, 0x9d, 0x54, 0x91, 0x59, 0xa8, 0x66, 0x81, 0x91, 0x08, 0xaa,
    0x69, 0xcd, 0x95, 0x6d, 0xd1, 0xeb, 0x4b, 0x3d, 0x5d, 0x91, 0x41, 0x3c,
    0xd5, 0x04, 0x38, 0x9d, 0x32, 0x7b, 0x58, 0x4c, 0x7c, 0x65, 0x06, 0x5d,
    0x37, 0x40, 0xa1, 0x18, 0x5a, 0xa9, 0x2b, 0xb4, 0x26, 0xd9, 0xf4, 0x51,
    0xc8, 0xd2, 0x3a, 0x24, 0x34, 0xd1, 0xc0, 0xba, 0x30, 0xec, 0x20, 0x67,
    0x64, 0x28, 0xc2, 0x00, 0x16, 0xe3, 0x82, 0x49, 0xb2, 0x87, 0x08, 0x9a,
    0x95, 0xf7, 0x8e, 0x96, 0x61, 0xd2, 0x64, 0x13, 0x65, 0xfb,
};

/* SYN from Linux 172.30.115.37:59205 -> 172.30.115.84:1200: MSS 1460,
 * SACK_PERM, TS 411457484/0, NOP, WS 7.  Checksum wrong. */
/* lwip/tcp/tcp_syn.bin (74 bytes) */
static const uint8_t lwip_syn[74] = {
    0x00, 0x23, 0xc1, 0xde, 0xd0, 0x0d, 0x38, 0x00, 0x00, 0x22, 0x2b, 0x38,
    0x08, 0x00, 0x45, 0x00, 0x00, 0x3c, 0xc0, 0x05, 0x40, 0x00, 0x40, 0x06,
    0x3c, 0x00, 0xac, 0x1e, 0x73, 0x25, 0xac, 0x1e, 0x73, 0x54, 0xe7, 0x45,
    0x04, 0xb0, 0x93, 0xd8, 0x97, 0xc9, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02,
    0x72, 0x10, 0x3e, 0xe5, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02,
    0x08, 0x0a, 0x18, 0x86, 0x57, 0xcc, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03,
    0x03, 0x07,
};

static uint8_t *exact_copy(const uint8_t *p, size_t len) {
  uint8_t *c = malloc(len ? len : 1);
  if (c && len)
    memcpy(c, p, len);
  return c;
}

/* The TCP segment inside an untagged Ethernet/IPv4 frame, with the
 * addresses of its pseudo-header; len 0 if the frame does not parse. */
struct seg {
  const uint8_t *p;
  size_t len;
  uint32_t src, dst;
};

static struct seg seg_of(const uint8_t *frame, size_t flen) {
  struct seg s = {NULL, 0, 0, 0};
  struct zn_ipv4_view ip;
  if (flen < ZN_ETH_HDR_LEN ||
      zn_ipv4_view_init(&ip, frame + ZN_ETH_HDR_LEN, flen - ZN_ETH_HDR_LEN) !=
          ZN_OK ||
      ip.proto != ZN_IPPROTO_TCP)
    return s;
  s.p = zn_ipv4_payload(&ip);
  s.len = zn_ipv4_payload_len(&ip);
  s.src = ip.src;
  s.dst = ip.dst;
  return s;
}
#define SEG(frame) seg_of(frame, sizeof frame)

static struct zn_tcp_seg_opts mkopts(uint8_t present, uint16_t mss, uint8_t ws,
                                     uint32_t tsval, uint32_t tsecr) {
  struct zn_tcp_seg_opts o;
  memset(&o, 0, sizeof o);
  o.present = present;
  o.mss = mss;
  o.wscale = ws;
  o.tsval = tsval;
  o.tsecr = tsecr;
  return o;
}

static void add_sack(struct zn_tcp_seg_opts *o, uint32_t left, uint32_t right) {
  o->sack[o->nsack].left = left;
  o->sack[o->nsack].right = right;
  o->nsack++;
  o->present |= ZN_TCP_OPTF_SACK;
}

/* Every field, including the ones that must stay 0 when absent. */
static bool opts_eq(const struct zn_tcp_seg_opts *a,
                    const struct zn_tcp_seg_opts *b) {
  if (a->present != b->present || a->mss != b->mss ||
      a->wscale != b->wscale || a->tsval != b->tsval ||
      a->tsecr != b->tsecr || a->nsack != b->nsack)
    return false;
  for (size_t i = 0; i < ZN_TCP_MAX_SACK; i++)
    if (a->sack[i].left != b->sack[i].left ||
        a->sack[i].right != b->sack[i].right)
      return false;
  return true;
}

static void print_opts(const char *label, const struct zn_tcp_seg_opts *o) {
  printf("#   %s: present 0x%02x mss %u ws %u ts %" PRIu32 "/%" PRIu32
         " nsack %u",
         label, o->present, o->mss, o->wscale, o->tsval, o->tsecr, o->nsack);
  for (size_t i = 0; i < ZN_TCP_MAX_SACK; i++)
    printf(" [%" PRIu32 ",%" PRIu32 ")", o->sack[i].left, o->sack[i].right);
  printf("\n");
}

#define CHECK_OPTS(got, want)                                                 \
  do {                                                                        \
    if (!opts_eq((got), (want))) {                                            \
      zt_fail(__FILE__, __LINE__, "options %s != %s", #got, #want);           \
      print_opts("got", (got));                                               \
      print_opts("want", (want));                                             \
    }                                                                         \
  } while (0)

/* Parse the n-byte option area at a (n a multiple of 4, at most 40) in a
 * header-only segment malloc'd to exactly 20 + n bytes, so that reading
 * one byte past the header is an ASan error.  *o is filled with garbage
 * first: the parser must write all of it. */
static int parse_area(const uint8_t *a, size_t n, struct zn_tcp_seg_opts *o) {
  uint8_t *h = malloc(ZN_TCP_HDR_LEN + n);
  struct zn_tcp_view v;
  int err;

  if (h == NULL || n % 4 != 0 || n > ZN_TCP_MAX_OPT_LEN) {
    free(h);
    return 1; /* not an error code: the checks against ZN_* fail */
  }
  zn_tcp_emit(h, 1000, 2000, 1, 2, ZN_TCP_ACK, 100, n);
  if (n > 0)
    memcpy(h + ZN_TCP_HDR_LEN, a, n);
  err = zn_tcp_view_init(&v, h, ZN_TCP_HDR_LEN + n);
  if (err == ZN_OK) {
    memset(o, 0xa5, sizeof *o);
    err = zn_tcp_seg_opts_parse(&v, o);
  }
  free(h);
  return err;
}
#define PARSE_AREA(a, o) parse_area(a, sizeof a, o)

static const struct zn_tcp_seg_opts no_opts; /* all zero */

/* ---- real segments ----------------------------------------------------- */

ZT_TEST(test_parse_bsd_syn) {
  struct seg s = SEG(bsd_syn);
  struct zn_tcp_view v;
  struct zn_tcp_seg_opts o;
  ZT_REQUIRE(s.len == 44);
  ZT_EQ(zn_tcp_view_init(&v, s.p, s.len), ZN_OK);
  ZT_CHECK(v.p == s.p);
  ZT_EQU(v.len, 44);
  ZT_EQU(v.hdr_len, 44);
  ZT_EQU(v.sport, 59856);
  ZT_EQU(v.dport, 80);
  ZT_EQU(v.seq, 0xfe21323au);
  ZT_EQU(v.ack, 0);
  ZT_EQU(v.flags, ZN_TCP_SYN);
  ZT_EQU(v.win, 65535);
  ZT_EQU(v.csum, 0x3bc0);
  ZT_EQU(v.urp, 0);
  ZT_EQU(zn_tcp_payload_len(&v), 0);
  ZT_CHECK(zn_tcp_payload(&v) == s.p + 44);
  ZT_EQU(s.src, 0x8d8ee405u); /* 141.142.228.5 */
  ZT_EQU(s.dst, 0xc096bb2bu); /* 192.150.187.43 */
  ZT_CHECK(zn_tcp_csum_ok(&v, s.src, s.dst));

  memset(&o, 0xa5, sizeof o);
  ZT_EQ(zn_tcp_seg_opts_parse(&v, &o), ZN_OK);
  struct zn_tcp_seg_opts want = mkopts(
      ZN_TCP_OPTF_MSS | ZN_TCP_OPTF_WS | ZN_TCP_OPTF_TS | ZN_TCP_OPTF_SACK_PERM,
      1460, 4, 374005024u, 0);
  CHECK_OPTS(&o, &want);
}

ZT_TEST(test_linux_synack_both_ways) {
  struct seg s = SEG(linux_synack);
  struct zn_tcp_view v;
  struct zn_tcp_seg_opts o;
  ZT_REQUIRE(s.len == 40);
  ZT_EQ(zn_tcp_view_init(&v, s.p, s.len), ZN_OK);
  ZT_EQU(v.hdr_len, 40);
  ZT_EQU(v.sport, 80);
  ZT_EQU(v.dport, 59856);
  ZT_EQU(v.seq, 0xa5afce3eu);
  ZT_EQU(v.ack, 0xfe21323bu);
  ZT_EQU(v.flags, ZN_TCP_SYN | ZN_TCP_ACK);
  ZT_EQU(v.win, 14480);
  ZT_EQU(v.csum, 0x2e50);
  ZT_EQU(v.urp, 0);
  ZT_EQU(zn_tcp_payload_len(&v), 0);
  ZT_CHECK(zn_tcp_csum_ok(&v, s.src, s.dst));
  /* The addresses swapped give the same sum; a wrong one does not. */
  ZT_CHECK(zn_tcp_csum_ok(&v, s.dst, s.src));
  ZT_CHECK(!zn_tcp_csum_ok(&v, s.src + 1, s.dst));
  ZT_CHECK(!zn_tcp_csum_ok(&v, s.src, 0));

  ZT_EQ(zn_tcp_seg_opts_parse(&v, &o), ZN_OK);
  struct zn_tcp_seg_opts want = mkopts(ZN_TCP_OPTF_MSS | ZN_TCP_OPTF_SACK_PERM |
                                           ZN_TCP_OPTF_TS | ZN_TCP_OPTF_WS,
                                       1460, 7, 797524569u, 374005024u);
  CHECK_OPTS(&o, &want);

  /* Linux's layout, so the emitted SYN-ACK is the captured one, checksum
   * and all. */
  uint8_t out[64];
  memset(out, 0xee, sizeof out);
  size_t optlen = zn_tcp_seg_opts_emit(out + ZN_TCP_HDR_LEN, &want);
  ZT_EQU(optlen, 20);
  ZT_EQU(zn_tcp_emit(out, 80, 59856, 0xa5afce3eu, 0xfe21323bu,
                     ZN_TCP_SYN | ZN_TCP_ACK, 14480, optlen),
         20);
  zn_tcp_finish(out, 20 + optlen, s.src, s.dst);
  ZT_MEMEQ(out, s.p, 40);
  ZT_EQU(out[40], 0xee);
}

/* Linux SYNs from the fuzz seeds: same layout, so every byte but the
 * (pre-offload, wrong) checksum matches; ours verifies. */
static void check_linux_syn(struct seg s, uint16_t sport, uint16_t dport,
                            uint32_t seq, uint32_t tsval, uint16_t bad_csum) {
  struct zn_tcp_view v;
  struct zn_tcp_seg_opts o;
  ZT_REQUIRE(s.len == 40);
  ZT_EQ(zn_tcp_view_init(&v, s.p, s.len), ZN_OK);
  ZT_EQU(v.sport, sport);
  ZT_EQU(v.dport, dport);
  ZT_EQU(v.seq, seq);
  ZT_EQU(v.ack, 0);
  ZT_EQU(v.flags, ZN_TCP_SYN);
  ZT_EQU(v.win, 29200);
  ZT_EQU(v.csum, bad_csum);
  ZT_CHECK(!zn_tcp_csum_ok(&v, s.src, s.dst));
  ZT_EQ(zn_tcp_seg_opts_parse(&v, &o), ZN_OK);
  struct zn_tcp_seg_opts want = mkopts(ZN_TCP_OPTF_MSS | ZN_TCP_OPTF_SACK_PERM |
                                           ZN_TCP_OPTF_TS | ZN_TCP_OPTF_WS,
                                       1460, 7, tsval, 0);
  CHECK_OPTS(&o, &want);

  uint8_t out[40];
  size_t optlen = zn_tcp_seg_opts_emit(out + 20, &want);
  ZT_EQU(optlen, 20);
  zn_tcp_emit(out, sport, dport, seq, 0, ZN_TCP_SYN, 29200, optlen);
  ZT_EQU(zn_rd16(out + 16), 0);
  ZT_MEMEQ(out, s.p, 16);
  ZT_MEMEQ(out + 18, s.p + 18, 22);
  zn_tcp_finish(out, sizeof out, s.src, s.dst);
  ZT_EQ(zn_tcp_view_init(&v, out, sizeof out), ZN_OK);
  ZT_CHECK(zn_tcp_csum_ok(&v, s.src, s.dst));
  ZT_CHECK(v.csum != bad_csum);
}

ZT_TEST(test_linux_syns_emit) {
  check_linux_syn(SEG(smol_syn), 47472, 443, 0xdefc5037u, 654655029u,
                  0x456e);
  check_linux_syn(SEG(lwip_syn), 59205, 1200, 0x93d897c9u, 411457484u,
                  0x3ee5);
}

ZT_TEST(test_rst_fin_data) {
  struct zn_tcp_view v;
  struct zn_tcp_seg_opts o;
  uint8_t out[64];

  /* RST: the only seed whose checksum verifies; emitted byte for byte. */
  struct seg s = SEG(tcpv4_rst);
  ZT_REQUIRE(s.len == 20);
  ZT_EQ(zn_tcp_view_init(&v, s.p, s.len), ZN_OK);
  ZT_EQU(v.hdr_len, 20);
  ZT_EQU(v.sport, 443);
  ZT_EQU(v.dport, 47472);
  ZT_EQU(v.seq, 0);
  ZT_EQU(v.ack, 0xdefc5038u);
  ZT_EQU(v.flags, ZN_TCP_RST | ZN_TCP_ACK);
  ZT_EQU(v.win, 0);
  ZT_EQU(v.csum, 0x8030);
  ZT_CHECK(zn_tcp_csum_ok(&v, s.src, s.dst));
  memset(&o, 0xa5, sizeof o);
  ZT_EQ(zn_tcp_seg_opts_parse(&v, &o), ZN_OK);
  ZT_CHECK(memcmp(&o, &no_opts, sizeof o) == 0); /* fully written */
  memset(out, 0xee, sizeof out);
  ZT_EQU(zn_tcp_seg_opts_emit(out + 20, &no_opts), 0);
  ZT_EQU(out[20], 0xee);
  zn_tcp_emit(out, 443, 47472, 0, 0xdefc5038u, ZN_TCP_RST | ZN_TCP_ACK, 0,
              0);
  zn_tcp_finish(out, 20, s.src, s.dst);
  ZT_MEMEQ(out, s.p, 20);

  /* FIN. */
  s = SEG(smol_fin);
  ZT_REQUIRE(s.len == 20);
  ZT_EQ(zn_tcp_view_init(&v, s.p, s.len), ZN_OK);
  ZT_EQU(v.sport, 42670);
  ZT_EQU(v.dport, 443);
  ZT_EQU(v.seq, 0xf4b56793u);
  ZT_EQU(v.ack, 0x97029fcau);
  ZT_EQU(v.flags, ZN_TCP_FIN | ZN_TCP_ACK);
  ZT_EQU(v.win, 2724);
  ZT_EQU(v.csum, 0x685c);
  ZT_CHECK(!zn_tcp_csum_ok(&v, s.src, s.dst));
  zn_tcp_emit(out, 42670, 443, 0xf4b56793u, 0x97029fcau,
              ZN_TCP_FIN | ZN_TCP_ACK, 2724, 0);
  ZT_MEMEQ(out, s.p, 16);
  ZT_MEMEQ(out + 18, s.p + 18, 2);

  /* Data with NOP NOP TS and 100 bytes of TLS. */
  s = SEG(smol_data);
  ZT_REQUIRE(s.len == 132);
  ZT_EQ(zn_tcp_view_init(&v, s.p, s.len), ZN_OK);
  ZT_EQU(v.hdr_len, 32);
  ZT_EQU(v.sport, 50300);
  ZT_EQU(v.dport, 50002);
  ZT_EQU(v.seq, 0x9585c449u);
  ZT_EQU(v.ack, 0xede76463u);
  ZT_EQU(v.flags, ZN_TCP_PSH | ZN_TCP_ACK);
  ZT_EQU(v.win, 1444);
  ZT_EQU(v.csum, 0xb21f);
  ZT_EQU(zn_tcp_payload_len(&v), 100);
  ZT_CHECK(zn_tcp_payload(&v) == s.p + 32);
  ZT_EQU(zn_rd32(zn_tcp_payload(&v)), 0x17030300u); /* TLS record */
  ZT_EQU(zn_tcp_payload(&v)[4], 0x5f);              /* of 95 bytes */
  ZT_EQU(zn_rd32(zn_tcp_payload(&v) + 96), 0x641365fbu);
  ZT_CHECK(!zn_tcp_csum_ok(&v, s.src, s.dst));
  ZT_EQ(zn_tcp_seg_opts_parse(&v, &o), ZN_OK);
  struct zn_tcp_seg_opts want =
      mkopts(ZN_TCP_OPTF_TS, 0, 0, 0x270544b5u, 0x31f40643u);
  CHECK_OPTS(&o, &want);
  /* Rebuilt whole: header and options match, and the checksum we give
   * the same bytes verifies. */
  uint8_t seg[132];
  size_t optlen = zn_tcp_seg_opts_emit(seg + 20, &want);
  ZT_EQU(optlen, 12);
  zn_tcp_emit(seg, 50300, 50002, 0x9585c449u, 0xede76463u,
              ZN_TCP_PSH | ZN_TCP_ACK, 1444, optlen);
  memcpy(seg + 32, s.p + 32, 100);
  ZT_MEMEQ(seg, s.p, 16);
  ZT_MEMEQ(seg + 18, s.p + 18, 132 - 18);
  zn_tcp_finish(seg, sizeof seg, s.src, s.dst);
  ZT_EQ(zn_tcp_view_init(&v, seg, sizeof seg), ZN_OK);
  ZT_CHECK(zn_tcp_csum_ok(&v, s.src, s.dst));
}

ZT_TEST(test_sack_capture) {
  struct {
    const uint8_t *frame;
    size_t flen, hdr_len;
    uint16_t csum;
  } c[] = {
      {sack1, sizeof sack1, 32, 0x5c55},
      {sack2, sizeof sack2, 40, 0x2b45},
      {sack3, sizeof sack3, 48, 0x0b24},
      {sack4, sizeof sack4, 56, 0xda13},
  };
  static const uint32_t edges[4][2] = {
      {1, 16}, {256, 4096}, {65536, 1048576}, {16777216, 268435456}};
  for (size_t i = 0; i < 4; i++) {
    struct seg s = seg_of(c[i].frame, c[i].flen);
    struct zn_tcp_view v;
    struct zn_tcp_seg_opts o;
    ZT_REQUIRE(s.len == c[i].hdr_len);
    ZT_EQU(s.src, 0x7f000001u);
    ZT_EQ(zn_tcp_view_init(&v, s.p, s.len), ZN_OK);
    ZT_EQU(v.hdr_len, c[i].hdr_len);
    ZT_EQU(v.sport, 20);
    ZT_EQU(v.dport, 80);
    ZT_EQU(v.flags, ZN_TCP_SYN);
    ZT_EQU(v.win, 8192);
    ZT_EQU(v.csum, c[i].csum);
    ZT_CHECK(zn_tcp_csum_ok(&v, s.src, s.dst));
    ZT_EQ(zn_tcp_seg_opts_parse(&v, &o), ZN_OK);
    struct zn_tcp_seg_opts want = mkopts(0, 0, 0, 0, 0);
    for (size_t k = 0; k <= i; k++)
      add_sack(&want, edges[k][0], edges[k][1]);
    CHECK_OPTS(&o, &want);
    ZT_EQU(o.nsack, i + 1);

    /* Emitted on a non-SYN in Linux's layout (NOP NOP SACK) and parsed
     * back to the same blocks. */
    uint8_t out[60];
    size_t optlen = zn_tcp_seg_opts_emit(out + 20, &o);
    ZT_EQU(optlen, 4 + 8 * (i + 1));
    ZT_EQU(out[20], ZN_TCP_OPT_NOP);
    ZT_EQU(out[21], ZN_TCP_OPT_NOP);
    ZT_EQU(out[22], ZN_TCP_OPT_SACK);
    ZT_EQU(out[23], 2 + 8 * (i + 1));
    ZT_MEMEQ(out + 24, s.p + 22, 8 * (i + 1)); /* the blocks, verbatim */
    zn_tcp_emit(out, 20, 80, 0, 0, ZN_TCP_ACK, 8192, optlen);
    struct zn_tcp_seg_opts back;
    ZT_EQ(zn_tcp_view_init(&v, out, 20 + optlen), ZN_OK);
    ZT_EQ(zn_tcp_seg_opts_parse(&v, &back), ZN_OK);
    CHECK_OPTS(&back, &want);
  }
}

ZT_TEST(test_window_scale_capture) {
  struct zn_tcp_view v;
  struct zn_tcp_seg_opts o, want;

  /* WS 255 is reported as received; clamping to 14 is the caller's. */
  struct seg s = SEG(ws255_syn);
  ZT_REQUIRE(s.len == 28);
  ZT_EQ(zn_tcp_view_init(&v, s.p, s.len), ZN_OK);
  ZT_EQU(v.hdr_len, 28);
  ZT_EQU(v.sport, 40000);
  ZT_EQU(v.dport, 80);
  ZT_EQU(v.seq, 1000);
  ZT_EQU(v.flags, ZN_TCP_SYN);
  ZT_EQU(v.win, 8192);
  ZT_CHECK(zn_tcp_csum_ok(&v, s.src, s.dst));
  ZT_EQ(zn_tcp_seg_opts_parse(&v, &o), ZN_OK);
  want = mkopts(ZN_TCP_OPTF_MSS | ZN_TCP_OPTF_WS, 1460, 255, 0, 0);
  CHECK_OPTS(&o, &want);

  s = SEG(ws7_synack);
  ZT_REQUIRE(s.len == 28);
  ZT_EQ(zn_tcp_view_init(&v, s.p, s.len), ZN_OK);
  ZT_EQU(v.seq, 5000);
  ZT_EQU(v.ack, 1001);
  ZT_EQU(v.flags, ZN_TCP_SYN | ZN_TCP_ACK);
  ZT_CHECK(zn_tcp_csum_ok(&v, s.src, s.dst));
  ZT_EQ(zn_tcp_seg_opts_parse(&v, &o), ZN_OK);
  want = mkopts(ZN_TCP_OPTF_MSS | ZN_TCP_OPTF_WS, 1460, 7, 0, 0);
  CHECK_OPTS(&o, &want);

  /* A data segment, rebuilt byte for byte with its checksum. */
  s = SEG(ws_hello);
  ZT_REQUIRE(s.len == 25);
  ZT_EQ(zn_tcp_view_init(&v, s.p, s.len), ZN_OK);
  ZT_EQU(v.hdr_len, 20);
  ZT_EQU(v.seq, 1001);
  ZT_EQU(v.ack, 5001);
  ZT_EQU(v.flags, ZN_TCP_PSH | ZN_TCP_ACK);
  ZT_EQU(v.win, 65535);
  ZT_EQU(v.csum, 0xa3f0);
  ZT_EQU(zn_tcp_payload_len(&v), 5);
  ZT_MEMEQ(zn_tcp_payload(&v), "hello", 5);
  ZT_CHECK(zn_tcp_csum_ok(&v, s.src, s.dst));
  uint8_t out[25];
  zn_tcp_emit(out, 40000, 80, 1001, 5001, ZN_TCP_PSH | ZN_TCP_ACK, 65535, 0);
  memcpy(out + 20, "hello", 5);
  zn_wr16(out + 16, 0x1234); /* finish ignores what is there */
  zn_tcp_finish(out, sizeof out, s.src, s.dst);
  ZT_MEMEQ(out, s.p, 25);
}

/* A data offset of 7 (28 bytes) in a 20-byte segment. */
ZT_TEST(test_malformed_capture) {
  struct seg s = SEG(malformed_doff);
  struct zn_tcp_view v;
  ZT_REQUIRE(s.len == 20);
  ZT_EQU(s.p[12] >> 4, 7);
  memset(&v, 0, sizeof v);
  ZT_EQ(zn_tcp_view_init(&v, s.p, s.len), ZN_EMALFORMED);
  ZT_CHECK(v.p == NULL);
  /* Not even with the 6 bytes of link padding after it. */
  ZT_EQU(sizeof malformed_doff - 34, 26);
  ZT_EQ(zn_tcp_view_init(&v, s.p, 26), ZN_EMALFORMED);
  ZT_CHECK(v.p == NULL);
  /* With 28 bytes it would be a header with an 8-byte option area. */
  uint8_t big[28];
  memcpy(big, s.p, 20);
  memset(big + 20, ZN_TCP_OPT_NOP, 8);
  ZT_EQ(zn_tcp_view_init(&v, big, sizeof big), ZN_OK);
  ZT_EQU(v.hdr_len, 28);
  ZT_EQU(v.sport, 49671);
  ZT_EQU(v.dport, 25014);
  ZT_EQU(v.seq, 0x5744505bu);
  ZT_EQU(v.ack, 0x4da490b9u);
  ZT_EQU(v.flags, ZN_TCP_ACK);
  ZT_EQU(v.win, 2193);
  ZT_EQU(zn_tcp_payload_len(&v), 0);
}

/* ---- truncation -------------------------------------------------------- */

/* Every prefix of real segments, each in a block of exactly that size:
 * below 20 bytes truncated, then short of the data offset malformed, then
 * whole with all its options. */
ZT_TEST(test_truncated) {
  struct {
    struct seg s;
    size_t hdr_len;
  } c[] = {
      {SEG(bsd_syn), 44},  {SEG(linux_synack), 40}, {SEG(sack4), 56},
      {SEG(smol_data), 32}, {SEG(ws_hello), 20},    {SEG(tcpv4_rst), 20},
  };
  for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
    struct zn_tcp_view full;
    struct zn_tcp_seg_opts want;
    ZT_REQUIRE(c[i].s.len >= c[i].hdr_len);
    ZT_EQ(zn_tcp_view_init(&full, c[i].s.p, c[i].s.len), ZN_OK);
    ZT_EQ(zn_tcp_seg_opts_parse(&full, &want), ZN_OK);
    for (size_t len = 0; len <= c[i].s.len; len++) {
      uint8_t *b = exact_copy(c[i].s.p, len);
      ZT_REQUIRE(b != NULL);
      struct zn_tcp_view v;
      memset(&v, 0, sizeof v);
      int err = zn_tcp_view_init(&v, b, len);
      if (len < 20) {
        ZT_EQ(err, ZN_ETRUNCATED);
      } else if (len < c[i].hdr_len) {
        ZT_EQ(err, ZN_EMALFORMED);
      } else {
        ZT_EQ(err, ZN_OK);
        ZT_EQU(v.len, len);
        ZT_EQU(v.hdr_len, c[i].hdr_len);
        ZT_EQU(zn_tcp_payload_len(&v), len - c[i].hdr_len);
        struct zn_tcp_seg_opts o;
        ZT_EQ(zn_tcp_seg_opts_parse(&v, &o), ZN_OK);
        CHECK_OPTS(&o, &want);
      }
      if (err != ZN_OK)
        ZT_CHECK(v.p == NULL);
      free(b);
    }
  }
}

/* The option area cut short by a smaller data offset, in a block of
 * exactly that size: an option that no longer fits is a structural error,
 * the ones before the cut are kept when nothing is cut in half. */
struct cut {
  size_t area;
  int err;
  uint8_t present;
};

static void check_cuts(const uint8_t *frame, size_t flen,
                       const struct cut *cuts, size_t ncuts) {
  struct seg s = seg_of(frame, flen);
  struct zn_tcp_view full;
  struct zn_tcp_seg_opts all;
  ZT_REQUIRE(s.len >= 20);
  ZT_EQ(zn_tcp_view_init(&full, s.p, s.len), ZN_OK);
  ZT_EQ(zn_tcp_seg_opts_parse(&full, &all), ZN_OK);
  for (size_t i = 0; i < ncuts; i++) {
    size_t hl = 20 + cuts[i].area;
    uint8_t *b = exact_copy(s.p, hl);
    ZT_REQUIRE(b != NULL);
    b[12] = (uint8_t)(hl / 4 << 4 | (b[12] & 0x0f));
    struct zn_tcp_view v;
    struct zn_tcp_seg_opts o;
    ZT_EQ(zn_tcp_view_init(&v, b, hl), ZN_OK);
    memset(&o, 0xa5, sizeof o);
    int err = zn_tcp_seg_opts_parse(&v, &o);
    ZT_EQ(err, cuts[i].err);
    ZT_EQU(o.present, cuts[i].present);
    if (err != ZN_OK) {
      CHECK_OPTS(&o, &no_opts);
    } else {
      /* What was found has the values of the whole header. */
      if (o.present & ZN_TCP_OPTF_MSS)
        ZT_EQU(o.mss, all.mss);
      if (o.present & ZN_TCP_OPTF_WS)
        ZT_EQU(o.wscale, all.wscale);
      else
        ZT_EQU(o.wscale, 0);
      if (o.present & ZN_TCP_OPTF_TS) {
        ZT_EQU(o.tsval, all.tsval);
        ZT_EQU(o.tsecr, all.tsecr);
      }
    }
    free(b);
  }
}

ZT_TEST(test_truncated_options) {
  const uint8_t mss = ZN_TCP_OPTF_MSS, ws = ZN_TCP_OPTF_WS,
                ts = ZN_TCP_OPTF_TS, sp = ZN_TCP_OPTF_SACK_PERM;
  /* MSS[0,4) SACK_PERM[4,6) TS[6,16) NOP WS[17,20) */
  const struct cut linux_cuts[] = {
      {0, ZN_OK, 0},
      {4, ZN_OK, mss},
      {8, ZN_EMALFORMED, 0},  /* TS with 2 bytes left */
      {12, ZN_EMALFORMED, 0}, /* TS with 6 bytes left */
      {16, ZN_OK, (uint8_t)(mss | sp | ts)},
      {20, ZN_OK, (uint8_t)(mss | sp | ts | ws)},
  };
  check_cuts(linux_synack, sizeof linux_synack, linux_cuts,
             sizeof linux_cuts / sizeof linux_cuts[0]);
  /* MSS[0,4) NOP WS[5,8) NOP NOP TS[10,20) SACK_PERM[20,22) EOL EOL */
  const struct cut bsd_cuts[] = {
      {0, ZN_OK, 0},
      {4, ZN_OK, mss},
      {8, ZN_OK, (uint8_t)(mss | ws)},
      {12, ZN_EMALFORMED, 0},
      {16, ZN_EMALFORMED, 0},
      {20, ZN_OK, (uint8_t)(mss | ws | ts)},
      {24, ZN_OK, (uint8_t)(mss | ws | ts | sp)},
  };
  check_cuts(bsd_syn, sizeof bsd_syn, bsd_cuts,
             sizeof bsd_cuts / sizeof bsd_cuts[0]);
  /* SACK[0,34) EOL EOL: every cut splits the one option. */
  struct cut sack_cuts[10];
  for (size_t i = 0; i < 10; i++) {
    sack_cuts[i].area = 4 * i;
    sack_cuts[i].err = i == 0 || i == 9 ? ZN_OK : ZN_EMALFORMED;
    sack_cuts[i].present = i == 9 ? ZN_TCP_OPTF_SACK : 0;
  }
  check_cuts(sack4, sizeof sack4, sack_cuts, 10);
}

ZT_TEST(test_bad_offset) {
  uint8_t h[60];
  struct zn_tcp_view v;
  zn_tcp_emit(h, 1, 2, 3, 4, ZN_TCP_ACK, 5, 0);
  memset(h + 20, ZN_TCP_OPT_NOP, 40);
  for (unsigned off = 0; off < 5; off++) {
    h[12] = (uint8_t)(off << 4);
    ZT_EQ(zn_tcp_view_init(&v, h, sizeof h), ZN_EMALFORMED);
    ZT_EQ(zn_tcp_view_init(&v, h, 20), ZN_EMALFORMED);
  }
  for (unsigned off = 5; off < 16; off++) {
    h[12] = (uint8_t)(off << 4 | 0x0f); /* reserved bits are ignored */
    ZT_EQ(zn_tcp_view_init(&v, h, off * 4 - 1),
          off == 5 ? ZN_ETRUNCATED : ZN_EMALFORMED);
    ZT_EQ(zn_tcp_view_init(&v, h, off * 4), ZN_OK);
    ZT_EQU(v.hdr_len, off * 4);
    ZT_EQU(zn_tcp_payload_len(&v), 0);
    ZT_EQ(zn_tcp_view_init(&v, h, 60), ZN_OK);
    ZT_EQU(zn_tcp_payload_len(&v), 60 - off * 4);
  }
  /* Truncation is reported before the data offset is looked at. */
  h[12] = 0x00;
  ZT_EQ(zn_tcp_view_init(&v, h, 19), ZN_ETRUNCATED);
  ZT_EQ(zn_tcp_view_init(&v, h, 12), ZN_ETRUNCATED);
}

/* On failure the view is not written at all. */
ZT_TEST(test_view_unwritten) {
  uint8_t h[20];
  struct zn_tcp_view v, before;
  zn_tcp_emit(h, 1, 2, 3, 4, ZN_TCP_ACK, 5, 0);
  memset(&before, 0x5a, sizeof before);
  memcpy(&v, &before, sizeof v);
  ZT_EQ(zn_tcp_view_init(&v, h, 19), ZN_ETRUNCATED);
  ZT_CHECK(memcmp(&v, &before, sizeof v) == 0);
  h[12] = 0x40;
  ZT_EQ(zn_tcp_view_init(&v, h, 20), ZN_EMALFORMED);
  ZT_CHECK(memcmp(&v, &before, sizeof v) == 0);
  h[12] = 0x60;
  ZT_EQ(zn_tcp_view_init(&v, h, 20), ZN_EMALFORMED);
  ZT_CHECK(memcmp(&v, &before, sizeof v) == 0);
}

/* ---- checksum ---------------------------------------------------------- */

ZT_TEST(test_csum) {
  struct seg s = SEG(linux_synack);
  uint8_t b[40];
  struct zn_tcp_view v;
  ZT_REQUIRE(s.len == 40);
  memcpy(b, s.p, 40);
  /* Any bit of the header or options counts. */
  for (size_t i = 0; i < 40 * 8; i++) {
    b[i / 8] ^= (uint8_t)(1u << (i % 8));
    if (zn_tcp_view_init(&v, b, sizeof b) == ZN_OK)
      ZT_CHECK(!zn_tcp_csum_ok(&v, s.src, s.dst));
    b[i / 8] ^= (uint8_t)(1u << (i % 8));
  }
  ZT_EQ(zn_tcp_view_init(&v, b, sizeof b), ZN_OK);
  ZT_CHECK(zn_tcp_csum_ok(&v, s.src, s.dst));
  /* The payload counts, and so does the length in the pseudo-header. */
  s = SEG(ws_hello);
  uint8_t d[26];
  memcpy(d, s.p, 25);
  d[25] = 0;
  ZT_EQ(zn_tcp_view_init(&v, d, 25), ZN_OK);
  ZT_CHECK(zn_tcp_csum_ok(&v, s.src, s.dst));
  ZT_EQ(zn_tcp_view_init(&v, d, 26), ZN_OK); /* + a zero byte */
  ZT_CHECK(!zn_tcp_csum_ok(&v, s.src, s.dst));
  d[24] ^= 0x20;
  ZT_EQ(zn_tcp_view_init(&v, d, 25), ZN_OK);
  ZT_CHECK(!zn_tcp_csum_ok(&v, s.src, s.dst));
}

/* TCP has no "no checksum": a 0 field is checked like any other, and a
 * segment whose checksum really is 0x0000 verifies. */
ZT_TEST(test_csum_zero) {
  struct seg s = SEG(tcpv4_rst);
  uint8_t b[24];
  struct zn_tcp_view v;
  ZT_REQUIRE(s.len == 20);
  memcpy(b, s.p, 20);
  zn_wr16(b + 16, 0);
  ZT_EQ(zn_tcp_view_init(&v, b, 20), ZN_OK);
  ZT_CHECK(!zn_tcp_csum_ok(&v, s.src, s.dst));

  /* Add 4 payload bytes, the last word chosen so the checksum is 0. */
  zn_tcp_emit(b, 443, 47472, 0, 0xdefc5038u, ZN_TCP_RST | ZN_TCP_ACK, 0, 0);
  zn_wr16(b + 20, 0x1234);
  zn_wr16(b + 22, 0);
  zn_tcp_finish(b, sizeof b, s.src, s.dst);
  uint16_t c = zn_rd16(b + 16); /* ~sum: adding it makes the sum 0xffff */
  ZT_CHECK(c != 0);
  zn_wr16(b + 22, c);
  zn_tcp_finish(b, sizeof b, s.src, s.dst);
  ZT_EQU(zn_rd16(b + 16), 0);
  ZT_EQ(zn_tcp_view_init(&v, b, sizeof b), ZN_OK);
  ZT_EQU(v.csum, 0);
  ZT_CHECK(zn_tcp_csum_ok(&v, s.src, s.dst));
  /* 0xffff, the other ones'-complement zero, verifies too. */
  zn_wr16(b + 16, 0xffff);
  ZT_EQ(zn_tcp_view_init(&v, b, sizeof b), ZN_OK);
  ZT_CHECK(zn_tcp_csum_ok(&v, s.src, s.dst));
  zn_wr16(b + 16, 0x0001);
  ZT_EQ(zn_tcp_view_init(&v, b, sizeof b), ZN_OK);
  ZT_CHECK(!zn_tcp_csum_ok(&v, s.src, s.dst));
}

/* The largest segment IPv4 carries, and one byte more. */
ZT_TEST(test_csum_long) {
  uint8_t *b = malloc(65536);
  struct zn_tcp_view v;
  ZT_REQUIRE(b != NULL);
  memset(b, 0x5c, 65536);
  zn_tcp_emit(b, 1, 2, 3, 4, ZN_TCP_ACK, 5, 0);
  zn_tcp_finish(b, 65535, 0x0a000001u, 0x0a000002u);
  ZT_EQ(zn_tcp_view_init(&v, b, 65535), ZN_OK);
  ZT_CHECK(zn_tcp_csum_ok(&v, 0x0a000001u, 0x0a000002u));
  /* With a zero byte more the data sums the same, and a length of 65536
   * cut to 16 bits (0) is congruent to 65535: only the length check
   * tells them apart. */
  b[65535] = 0;
  ZT_EQ(zn_tcp_view_init(&v, b, 65536), ZN_OK);
  ZT_CHECK(!zn_tcp_csum_ok(&v, 0x0a000001u, 0x0a000002u));
  free(b);
}

/* ---- adversarial option lists ------------------------------------------ */

ZT_TEST(test_opts_none) {
  struct zn_tcp_seg_opts o;
  static const uint8_t eol[4] = {0, 0, 0, 0};
  static const uint8_t nop[40] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
                                  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
                                  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
  ZT_EQ(parse_area(NULL, 0, &o), ZN_OK);
  ZT_CHECK(memcmp(&o, &no_opts, sizeof o) == 0);
  ZT_EQ(PARSE_AREA(eol, &o), ZN_OK);
  ZT_CHECK(memcmp(&o, &no_opts, sizeof o) == 0);
  ZT_EQ(PARSE_AREA(nop, &o), ZN_OK);
  ZT_CHECK(memcmp(&o, &no_opts, sizeof o) == 0);
}

/* NOP, NOP, TS in a 12-byte area (read at once, without the loop) gives
 * what the loop gives for the same options followed by EOL in a 16-byte
 * area; the same first bytes with anything else after them, or in a
 * longer area, go through the loop. */
ZT_TEST(test_opts_nop_nop_ts) {
  struct zn_tcp_seg_opts o, want;
  uint8_t a[12] = {1, 1, 8, 10}, b[16];
  for (int i = 0; i < 1000; i++) {
    for (int k = 4; k < 12; k++)
      a[k] = (uint8_t)(i * 37 + k * 101 + (i >> 3));
    memset(b, 0, sizeof b);
    memcpy(b, a, sizeof a);
    ZT_EQ(PARSE_AREA(b, &want), ZN_OK);
    ZT_EQ(PARSE_AREA(a, &o), ZN_OK);
    CHECK_OPTS(&o, &want);
    ZT_EQU(o.present, ZN_TCP_OPTF_TS);
    ZT_EQU(o.tsval, zn_rd32(a + 4));
    ZT_EQU(o.tsecr, zn_rd32(a + 8));
  }
  /* TS with a length of 11 there runs past the area: malformed. */
  static const uint8_t c[12] = {1, 1, 8, 11, 0, 0, 0, 0, 0, 0, 0, 0};
  ZT_EQ(PARSE_AREA(c, &o), ZN_EMALFORMED);
  CHECK_OPTS(&o, &no_opts);
  /* NOP, NOP, TS, then a second TS: the first wins, by the loop. */
  static const uint8_t d[24] = {1, 1, 8, 10, 0, 0, 0, 5, 0, 0, 0, 6,
                                1, 1, 8, 10, 0, 0, 0, 7, 0, 0, 0, 8};
  ZT_EQ(PARSE_AREA(d, &o), ZN_OK);
  want = mkopts(ZN_TCP_OPTF_TS, 0, 0, 5, 6);
  CHECK_OPTS(&o, &want);
}

/* optlen 0 and 1 would loop forever or step backwards in a naive parser;
 * for any kind but EOL and NOP they are structural errors.  o is reset
 * even if good options came first. */
ZT_TEST(test_opts_short_len) {
  struct zn_tcp_seg_opts o;
  static const uint8_t kinds[] = {ZN_TCP_OPT_MSS, ZN_TCP_OPT_WS,
                                  ZN_TCP_OPT_SACK_PERM, ZN_TCP_OPT_SACK,
                                  ZN_TCP_OPT_TS, 6, 30, 34, 254, 255};
  for (size_t k = 0; k < sizeof kinds; k++) {
    for (uint8_t len = 0; len < 2; len++) {
      uint8_t a[8] = {2, 4, 0x05, 0xb4, kinds[k], len, 1, 1};
      ZT_EQ(PARSE_AREA(a, &o), ZN_EMALFORMED);
      CHECK_OPTS(&o, &no_opts);
      uint8_t b[4] = {kinds[k], len, 0, 0};
      ZT_EQ(PARSE_AREA(b, &o), ZN_EMALFORMED);
      CHECK_OPTS(&o, &no_opts);
    }
  }
}

ZT_TEST(test_opts_past_header) {
  struct zn_tcp_seg_opts o;
  /* MSS says 4 with 2 bytes left; TS says 10 with 8 left. */
  static const uint8_t a[4] = {1, 1, 2, 4};
  static const uint8_t b[12] = {2, 4, 5, 0xb4, 1, 1, 8, 10, 0, 0, 0, 0};
  /* An unknown kind with length 255; one with exactly the bytes left. */
  static const uint8_t c[8] = {3, 3, 7, 99, 255, 0, 0, 0};
  static const uint8_t d[8] = {3, 3, 7, 99, 5, 0, 0, 0};
  ZT_EQ(PARSE_AREA(a, &o), ZN_EMALFORMED);
  CHECK_OPTS(&o, &no_opts);
  ZT_EQ(PARSE_AREA(b, &o), ZN_EMALFORMED);
  CHECK_OPTS(&o, &no_opts);
  ZT_EQ(PARSE_AREA(c, &o), ZN_EMALFORMED);
  CHECK_OPTS(&o, &no_opts);
  ZT_EQ(PARSE_AREA(d, &o), ZN_OK);
  struct zn_tcp_seg_opts want = mkopts(ZN_TCP_OPTF_WS, 0, 7, 0, 0);
  CHECK_OPTS(&o, &want);
  /* Lengths 2..40 at the start of a 40-byte area: fine up to 40. */
  uint8_t e[40];
  for (unsigned len = 2; len <= 41; len++) {
    memset(e, 0, sizeof e);
    e[0] = 30;
    e[1] = (uint8_t)len;
    ZT_EQ(PARSE_AREA(e, &o), len <= 40 ? ZN_OK : ZN_EMALFORMED);
    ZT_EQU(o.present, 0);
  }
}

/* A kind byte alone in the last byte of the header: no length to read. */
ZT_TEST(test_opts_lone_kind) {
  struct zn_tcp_seg_opts o;
  static const uint8_t kinds[] = {ZN_TCP_OPT_MSS, ZN_TCP_OPT_WS,
                                  ZN_TCP_OPT_SACK_PERM, ZN_TCP_OPT_SACK,
                                  ZN_TCP_OPT_TS, 30, 255};
  for (size_t k = 0; k < sizeof kinds; k++) {
    uint8_t a[8] = {2, 4, 5, 0xb4, 1, 1, 1, kinds[k]};
    ZT_EQ(PARSE_AREA(a, &o), ZN_EMALFORMED);
    CHECK_OPTS(&o, &no_opts);
  }
  /* A lone NOP or EOL there is fine. */
  static const uint8_t nop[8] = {2, 4, 5, 0xb4, 1, 1, 1, 1};
  static const uint8_t eol[8] = {2, 4, 5, 0xb4, 1, 1, 1, 0};
  struct zn_tcp_seg_opts want = mkopts(ZN_TCP_OPTF_MSS, 1460, 0, 0, 0);
  ZT_EQ(PARSE_AREA(nop, &o), ZN_OK);
  CHECK_OPTS(&o, &want);
  ZT_EQ(PARSE_AREA(eol, &o), ZN_OK);
  CHECK_OPTS(&o, &want);
}

/* Nothing after EOL is looked at, not even a broken option. */
ZT_TEST(test_opts_eol_garbage) {
  struct zn_tcp_seg_opts o;
  static const uint8_t a[12] = {2, 4, 5, 0xb4, 0, 2, 0, 8, 1, 3, 3, 9};
  static const uint8_t b[12] = {0, 2, 4, 5, 0xb4, 3, 3, 9, 8, 255, 1, 2};
  struct zn_tcp_seg_opts want = mkopts(ZN_TCP_OPTF_MSS, 1460, 0, 0, 0);
  ZT_EQ(PARSE_AREA(a, &o), ZN_OK);
  CHECK_OPTS(&o, &want);
  ZT_EQ(PARSE_AREA(b, &o), ZN_OK);
  CHECK_OPTS(&o, &no_opts);
}

/* NOPs before, between and after every option, in any alignment. */
ZT_TEST(test_opts_nop_padding) {
  struct zn_tcp_seg_opts o;
  static const uint8_t a[40] = {
      1, 2, 4, 0x02, 0x18,                          /* MSS 536 */
      1, 1, 1, 3, 3, 14,                            /* WS 14 */
      1, 4, 2,                                      /* SACK_PERM */
      1, 8, 10, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, /* TS 1/0xffffffff */
      1, 1, 5, 10, 0x80, 0, 0, 0, 0x80, 0, 0, 1,    /* SACK 1 block */
      1, 1, 1};
  ZT_EQ(PARSE_AREA(a, &o), ZN_OK);
  struct zn_tcp_seg_opts want = mkopts(
      ZN_TCP_OPTF_MSS | ZN_TCP_OPTF_WS | ZN_TCP_OPTF_SACK_PERM | ZN_TCP_OPTF_TS,
      536, 14, 1, 0xffffffffu);
  add_sack(&want, 0x80000000u, 0x80000001u);
  CHECK_OPTS(&o, &want);
}

/* A known kind with the wrong length is skipped by that length and
 * ignored; what follows it is still parsed. */
ZT_TEST(test_opts_wrong_length) {
  struct zn_tcp_seg_opts o;
  struct zn_tcp_seg_opts ws9 = mkopts(ZN_TCP_OPTF_WS, 0, 9, 0, 0);
  static const struct {
    uint8_t a[16];
  } c[] = {
      {{2, 3, 5, 3, 3, 9}},                         /* MSS len 3 */
      {{2, 5, 5, 0xb4, 0, 3, 3, 9}},                /* MSS len 5 */
      {{2, 2, 3, 3, 9}},                            /* MSS len 2 */
      {{3, 2, 3, 3, 9}},                            /* WS len 2: then WS 9 */
      {{3, 4, 7, 7, 3, 3, 9}},                      /* WS len 4 */
      {{4, 3, 0, 3, 3, 9}},                         /* SACK_PERM len 3 */
      {{4, 6, 0, 0, 0, 0, 3, 3, 9}},                /* SACK_PERM len 6 */
      {{8, 8, 1, 2, 3, 4, 5, 6, 3, 3, 9}},          /* TS len 8 */
      {{8, 12, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 3, 3, 9}}, /* TS len 12 */
      {{5, 2, 3, 3, 9}},                            /* SACK, no block */
      {{5, 9, 0, 0, 0, 1, 0, 0, 0, 3, 3, 9}},       /* SACK len 9 */
      {{5, 11, 0, 0, 0, 1, 0, 0, 0, 2, 0, 3, 3, 9}}, /* SACK len 11 */
      {{5, 3, 0, 3, 3, 9}},                         /* SACK len 3 */
  };
  for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
    ZT_EQ(PARSE_AREA(c[i].a, &o), ZN_OK);
    CHECK_OPTS(&o, &ws9);
  }
  /* An ignored MSS does not count as the first one. */
  static const uint8_t d[8] = {2, 3, 0, 2, 4, 0x05, 0xb4, 0};
  ZT_EQ(PARSE_AREA(d, &o), ZN_OK);
  struct zn_tcp_seg_opts mss = mkopts(ZN_TCP_OPTF_MSS, 1460, 0, 0, 0);
  CHECK_OPTS(&o, &mss);
}

/* Five SACK blocks need 42 bytes, more than any header holds: the length
 * runs past the header.  A 4-block SACK fills 34 of the 40 bytes. */
ZT_TEST(test_opts_five_sack) {
  struct zn_tcp_seg_opts o;
  uint8_t a[40];
  memset(a, 0, sizeof a);
  a[0] = ZN_TCP_OPT_SACK;
  a[1] = 2 + 8 * 5;
  for (size_t i = 0; i < 38; i++)
    a[2 + i] = (uint8_t)(i + 1);
  ZT_EQ(PARSE_AREA(a, &o), ZN_EMALFORMED);
  CHECK_OPTS(&o, &no_opts);
  a[1] = 2 + 8 * 4;
  memset(a + 34, ZN_TCP_OPT_EOL, 6);
  ZT_EQ(PARSE_AREA(a, &o), ZN_OK);
  ZT_EQU(o.present, ZN_TCP_OPTF_SACK);
  ZT_EQU(o.nsack, 4);
  ZT_EQU(o.sack[0].left, 0x01020304u);
  ZT_EQU(o.sack[0].right, 0x05060708u);
  ZT_EQU(o.sack[3].left, 0x191a1b1cu);
  ZT_EQU(o.sack[3].right, 0x1d1e1f20u);
  /* After NOP NOP TS only 28 bytes are left: 4 blocks do not fit. */
  uint8_t b[40] = {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 5, 34};
  ZT_EQ(PARSE_AREA(b, &o), ZN_EMALFORMED);
  b[13] = 26;
  ZT_EQ(PARSE_AREA(b, &o), ZN_OK);
  ZT_EQU(o.present, ZN_TCP_OPTF_TS | ZN_TCP_OPTF_SACK);
  ZT_EQU(o.nsack, 3);
}

/* The first well-formed copy of an option wins. */
ZT_TEST(test_opts_duplicates) {
  struct zn_tcp_seg_opts o;
  static const uint8_t a[40] = {
      2, 4, 0x05, 0xb4, 2, 4, 0x02, 0x18,            /* MSS 1460, MSS 536 */
      3, 3, 7, 3, 3, 14,                             /* WS 7, WS 14 */
      4, 2, 4, 2,                                    /* SACK_PERM twice */
      8, 10, 0, 0, 0, 1, 0, 0, 0, 2,                 /* TS 1/2 */
      8, 10, 0, 0, 0, 3, 0, 0, 0, 4,                 /* TS 3/4 */
      1, 1};
  ZT_EQ(PARSE_AREA(a, &o), ZN_OK);
  struct zn_tcp_seg_opts want = mkopts(
      ZN_TCP_OPTF_MSS | ZN_TCP_OPTF_WS | ZN_TCP_OPTF_SACK_PERM | ZN_TCP_OPTF_TS,
      1460, 7, 1, 2);
  CHECK_OPTS(&o, &want);
  /* Two SACK options: the blocks of the first only. */
  static const uint8_t b[36] = {
      5, 18, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, /* 2 blocks */
      5, 10, 0, 0, 0, 5, 0, 0, 0, 6,                         /* 1 block */
      1, 1, 1, 1, 1, 1};
  ZT_EQ(PARSE_AREA(b, &o), ZN_OK);
  want = mkopts(0, 0, 0, 0, 0);
  add_sack(&want, 1, 2);
  add_sack(&want, 3, 4);
  CHECK_OPTS(&o, &want);
}

/* Unknown kinds (MPTCP 30, Fast Open 34, experimental 253/254, the
 * obsolete echo 6 and MD5 19) are skipped by their length. */
ZT_TEST(test_opts_unknown) {
  struct zn_tcp_seg_opts o;
  static const uint8_t a[40] = {
      30, 12, 0x10, 0, 1, 2, 3, 4, 5, 6, 7, 8, /* MPTCP */
      34, 2,                                  /* TFO cookie request */
      253, 4, 0xf9, 0x89,                     /* RFC 6994 */
      6, 6, 0, 0, 0, 0,                       /* echo */
      19, 3, 0,                               /* MD5, bad length: unknown */
      2, 4, 0x23, 0x28,                       /* MSS 9000 */
      254, 2, 1, 1, 1, 1, 1, 1, 1};
  ZT_EQ(PARSE_AREA(a, &o), ZN_OK);
  struct zn_tcp_seg_opts want = mkopts(ZN_TCP_OPTF_MSS, 9000, 0, 0, 0);
  CHECK_OPTS(&o, &want);
}

/* Every (kind, length) pair at the start of a 12-byte area of NOPs:
 * exactly the rules, no more.  A NOP kind makes the length byte the next
 * kind, whose own length is then 1 (a NOP). */
ZT_TEST(test_opts_all_kind_len) {
  struct zn_tcp_seg_opts o;
  uint8_t a[12];
  for (unsigned kind = 0; kind < 256; kind++) {
    for (unsigned len = 0; len < 256; len++) {
      memset(a, ZN_TCP_OPT_NOP, sizeof a);
      a[0] = (uint8_t)kind;
      a[1] = (uint8_t)len;
      int err = PARSE_AREA(a, &o);
      int want_err;
      uint8_t present = 0;
      if (kind == ZN_TCP_OPT_EOL)
        want_err = ZN_OK;
      else if (kind == ZN_TCP_OPT_NOP)
        want_err = len <= ZN_TCP_OPT_NOP ? ZN_OK : ZN_EMALFORMED;
      else
        want_err = len >= 2 && len <= 12 ? ZN_OK : ZN_EMALFORMED;
      if (want_err == ZN_OK && kind > ZN_TCP_OPT_NOP) {
        if ((kind == ZN_TCP_OPT_MSS && len == 4) ||
            (kind == ZN_TCP_OPT_WS && len == 3) ||
            (kind == ZN_TCP_OPT_SACK_PERM && len == 2) ||
            (kind == ZN_TCP_OPT_TS && len == 10))
          present = (uint8_t)(1u << (kind == ZN_TCP_OPT_TS ? 3 : kind - 2));
        if (kind == ZN_TCP_OPT_SACK && len == 10)
          present = ZN_TCP_OPTF_SACK;
      }
      if (err != want_err || o.present != present)
        zt_fail(__FILE__, __LINE__, "kind %u len %u: err %d present 0x%x",
                kind, len, err, o.present);
      if (err != ZN_OK)
        CHECK_OPTS(&o, &no_opts);
      if (present == ZN_TCP_OPTF_MSS)
        ZT_EQU(o.mss, 0x0101);
      if (present == ZN_TCP_OPTF_WS)
        ZT_EQU(o.wscale, 1);
      if (present == ZN_TCP_OPTF_TS) {
        ZT_EQU(o.tsval, 0x01010101u);
        ZT_EQU(o.tsecr, 0x01010101u);
      }
      if (present == ZN_TCP_OPTF_SACK) {
        ZT_EQU(o.nsack, 1);
        ZT_EQU(o.sack[0].left, 0x01010101u);
        ZT_EQU(o.sack[0].right, 0x01010101u);
      } else {
        ZT_EQU(o.nsack, 0);
      }
    }
  }
}

/* Linux's SYN options, MSS SACK_PERM TS NOP WS in a 20-byte area, are
 * read at once, without the loop: what the loop makes of the same bytes,
 * whatever their values; with any byte of the layout changed the loop
 * decides. */
ZT_TEST(test_opts_linux_syn) {
  struct zn_tcp_seg_opts o, want;
  static const uint8_t syn[20] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0,
                                  0, 1, 0, 0, 0, 0, 1, 3, 3, 7};
  uint8_t a[20];
  ZT_EQ(PARSE_AREA(syn, &o), ZN_OK);
  want = mkopts(ZN_TCP_OPTF_MSS | ZN_TCP_OPTF_SACK_PERM | ZN_TCP_OPTF_TS |
                    ZN_TCP_OPTF_WS,
                1460, 7, 1, 0);
  CHECK_OPTS(&o, &want);
  for (int i = 0; i < 4000; i++) {
    memcpy(a, syn, sizeof a);
    for (int k = 8; k < 16; k++) /* the timestamps */
      a[k] = (uint8_t)(i * 37 + k * 101 + (i >> 3));
    a[2] = (uint8_t)i;
    a[19] = (uint8_t)(i >> 2);
    if (i % 2) /* one byte of the layout itself changed */
      a[(size_t)(i / 2) % 20] ^= (uint8_t)(1u << (i % 8));
    memset(&want, 0, sizeof want);
    int err = zn__tcp_seg_opts_walk(a, sizeof a, &want); /* the loop alone */
    if (err != ZN_OK)
      memset(&want, 0, sizeof want);
    ZT_EQ(PARSE_AREA(a, &o), err);
    CHECK_OPTS(&o, &want);
  }
}

/* zn__tcp_seg_opts_parse, what TCP input runs, is zn_tcp_seg_opts_parse but for
 * the SACK blocks past nsack, which it does not clear: on random option
 * areas and on the common layouts. */
static void check_inline(const uint8_t *a, size_t n) {
  uint8_t h[ZN_TCP_MAX_HDR_LEN];
  struct zn_tcp_view v;
  struct zn_tcp_seg_opts pub, in;
  zn_tcp_emit(h, 1000, 2000, 1, 2, ZN_TCP_ACK, 100, n);
  if (n > 0)
    memcpy(h + ZN_TCP_HDR_LEN, a, n);
  ZT_REQUIRE(zn_tcp_view_init(&v, h, ZN_TCP_HDR_LEN + n) == ZN_OK);
  memset(&in, 0xa5, sizeof in);
  int err = zn_tcp_seg_opts_parse(&v, &pub);
  ZT_EQ(zn__tcp_seg_opts_parse(&v, &in), err);
  for (size_t i = in.nsack; i < ZN_TCP_MAX_SACK; i++)
    in.sack[i] = pub.sack[i];
  CHECK_OPTS(&in, &pub);
}

ZT_TEST(test_opts_inline_parser) {
  static const uint8_t kinds[] = {0, 1, 2, 3, 4, 5, 8, 30};
  static const uint8_t lens[] = {2, 3, 4, 10, 18, 34};
  uint8_t a[ZN_TCP_MAX_OPT_LEN];
  for (int i = 0; i < 200000; i++) {
    size_t n = 4 * (size_t)(i % 11);
    /* Options of plausible kinds and lengths, with stray bytes. */
    for (size_t k = 0; k < n; k++) {
      uint32_t r = (uint32_t)i * 2654435761u + (uint32_t)k * 40503u;
      r ^= r >> 13;
      a[k] = (r & 3) ? kinds[(r >> 3) % sizeof kinds]
                     : lens[(r >> 5) % sizeof lens];
      if (r % 7 == 0)
        a[k] = (uint8_t)(r >> 9);
    }
    check_inline(a, n);
  }
  static const uint8_t syn[20] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0,
                                  0, 1, 0, 0, 0, 0, 1, 3, 3, 7};
  static const uint8_t ts[12] = {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2};
  static const uint8_t sack[36] = {1, 1, 8,  10, 0, 0, 0, 1, 0, 0, 0, 2,
                                   1, 1, 5,  18, 0, 0, 0, 3, 0, 0, 0, 4,
                                   0, 0, 0, 5, 0, 0, 0, 6};
  static const uint8_t bad[12] = {1, 1, 8, 11};
  check_inline(syn, sizeof syn);
  check_inline(ts, sizeof ts);
  check_inline(sack, sizeof sack);
  check_inline(bad, sizeof bad);
  check_inline(NULL, 0);
}

/* ---- emit -------------------------------------------------------------- */

ZT_TEST(test_emit_header) {
  uint8_t out[24];
  struct zn_tcp_view v;
  memset(out, 0xee, sizeof out);
  ZT_EQU(zn_tcp_emit(out, 0xfedc, 0x0102, 0x80000001u, 0xfffffffeu,
                     ZN_TCP_FIN | ZN_TCP_SYN | ZN_TCP_RST | ZN_TCP_PSH |
                         ZN_TCP_ACK | ZN_TCP_URG | ZN_TCP_ECE | ZN_TCP_CWR,
                     0xabcd, 40),
         20);
  static const uint8_t want[20] = {0xfe, 0xdc, 0x01, 0x02, 0x80, 0x00, 0x00,
                                   0x01, 0xff, 0xff, 0xff, 0xfe, 0xf0, 0xff,
                                   0xab, 0xcd, 0x00, 0x00, 0x00, 0x00};
  ZT_MEMEQ(out, want, 20);
  ZT_EQU(out[20], 0xee);
  for (size_t optlen = 0; optlen <= 40; optlen += 4) {
    zn_tcp_emit(out, 1, 2, 3, 4, ZN_TCP_ACK, 5, optlen);
    ZT_EQU(out[12], (20 + optlen) / 4 << 4);
  }
  zn_tcp_emit(out, 1, 2, 3, 4, ZN_TCP_ACK, 5, 0);
  ZT_EQ(zn_tcp_view_init(&v, out, 20), ZN_OK);
  ZT_EQU(v.flags, ZN_TCP_ACK);
  ZT_EQU(v.urp, 0);
}

/* Each layout, byte for byte. */
ZT_TEST(test_emit_layouts) {
  uint8_t out[48];
  struct zn_tcp_seg_opts o;
  struct {
    struct zn_tcp_seg_opts o;
    size_t len;
    uint8_t bytes[40];
  } c[] = {
      {mkopts(ZN_TCP_OPTF_MSS | ZN_TCP_OPTF_SACK_PERM | ZN_TCP_OPTF_TS |
                  ZN_TCP_OPTF_WS,
              1460, 7, 0x01020304u, 0x05060708u),
       20,
       {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8, 1, 3, 3, 7}},
      {mkopts(ZN_TCP_OPTF_MSS | ZN_TCP_OPTF_TS | ZN_TCP_OPTF_WS, 536, 14, 9,
              0),
       20,
       {2, 4, 0x02, 0x18, 1, 1, 8, 10, 0, 0, 0, 9, 0, 0, 0, 0, 1, 3, 3, 14}},
      {mkopts(ZN_TCP_OPTF_MSS | ZN_TCP_OPTF_SACK_PERM | ZN_TCP_OPTF_WS, 1400,
              0, 0, 0),
       12,
       {2, 4, 0x05, 0x78, 1, 1, 4, 2, 1, 3, 3, 0}},
      {mkopts(ZN_TCP_OPTF_MSS, 65535, 0, 0, 0), 4, {2, 4, 0xff, 0xff}},
      {mkopts(ZN_TCP_OPTF_SACK_PERM, 0, 0, 0, 0), 4, {1, 1, 4, 2}},
      {mkopts(ZN_TCP_OPTF_WS, 0, 255, 0, 0), 4, {1, 3, 3, 255}},
      {mkopts(ZN_TCP_OPTF_TS, 0, 0, 0xffffffffu, 0x80000000u),
       12,
       {1, 1, 8, 10, 0xff, 0xff, 0xff, 0xff, 0x80, 0, 0, 0}},
  };
  for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
    memset(out, 0xee, sizeof out);
    ZT_EQU(zn_tcp_seg_opts_emit(out, &c[i].o), c[i].len);
    ZT_MEMEQ(out, c[i].bytes, c[i].len);
    ZT_EQU(out[c[i].len], 0xee);
  }

  /* Non-SYN: NOP NOP TS, NOP NOP SACK; 3 blocks fit with TS, 4 without;
   * blocks are dropped from the end. */
  o = mkopts(ZN_TCP_OPTF_TS, 0, 0, 0x11111111u, 0x22222222u);
  for (uint32_t i = 0; i < 4; i++)
    add_sack(&o, 0x10 * (i + 1), 0x10 * (i + 1) + 8);
  static const uint8_t ts3[40] = {
      1, 1, 8, 10, 0x11, 0x11, 0x11, 0x11, 0x22, 0x22, 0x22, 0x22,
      1, 1, 5, 26, 0, 0, 0, 0x10, 0, 0, 0, 0x18, 0, 0, 0, 0x20,
      0, 0, 0, 0x28, 0, 0, 0, 0x30, 0, 0, 0, 0x38};
  memset(out, 0xee, sizeof out);
  ZT_EQU(zn_tcp_seg_opts_emit(out, &o), 40);
  ZT_MEMEQ(out, ts3, 40);
  ZT_EQU(out[40], 0xee);
  o.present = ZN_TCP_OPTF_SACK;
  static const uint8_t s4[36] = {
      1, 1, 5, 34, 0, 0, 0, 0x10, 0, 0, 0, 0x18, 0, 0, 0, 0x20,
      0, 0, 0, 0x28, 0, 0, 0, 0x30, 0, 0, 0, 0x38, 0, 0, 0, 0x40,
      0, 0, 0, 0x48};
  memset(out, 0xee, sizeof out);
  ZT_EQU(zn_tcp_seg_opts_emit(out, &o), 36);
  ZT_MEMEQ(out, s4, 36);
  ZT_EQU(out[36], 0xee);
  /* nsack beyond ZN_TCP_MAX_SACK is clamped, never read past sack[3]. */
  o.nsack = 200;
  ZT_EQU(zn_tcp_seg_opts_emit(out, &o), 36);
  ZT_MEMEQ(out, s4, 36);
  /* The SACK bit alone, without blocks, writes nothing. */
  o.nsack = 0;
  ZT_EQU(zn_tcp_seg_opts_emit(out, &o), 0);
  /* A SYN layout never carries SACK blocks. */
  o = mkopts(ZN_TCP_OPTF_SACK_PERM, 0, 0, 0, 0);
  add_sack(&o, 1, 2);
  memset(out, 0xee, sizeof out);
  ZT_EQU(zn_tcp_seg_opts_emit(out, &o), 4);
  ZT_EQU(out[4], 0xee);
}

/* Every combination of options, and 0..5 SACK blocks (the count in o
 * beyond 4 is clamped), through emit and parse: the length is what the
 * layout says, nothing is written past it or past 40 bytes (a block of
 * exactly 40 bytes), the segment verifies, and the options come back. */
ZT_TEST(test_emit_roundtrip) {
  size_t ncases = 0;
  for (unsigned bits = 0; bits < 32; bits++) {
    for (unsigned ns = 0; ns <= 5; ns++) {
      if (ns > 0 && !(bits & ZN_TCP_OPTF_SACK))
        continue;
      struct zn_tcp_seg_opts o =
          mkopts((uint8_t)bits, (uint16_t)(1000 + bits), (uint8_t)(bits % 15),
                 0xa0000000u + bits, 0x0b000000u + ns);
      for (unsigned k = 0; k < ns && k < ZN_TCP_MAX_SACK; k++) {
        o.sack[k].left = 0x1000u * bits + 100 * k;
        o.sack[k].right = 0x1000u * bits + 100 * k + 50;
      }
      o.nsack = (uint8_t)ns;

      bool syn = (bits & (ZN_TCP_OPTF_MSS | ZN_TCP_OPTF_WS |
                          ZN_TCP_OPTF_SACK_PERM)) != 0;
      bool ts = (bits & ZN_TCP_OPTF_TS) != 0;
      size_t want_len, nblocks = 0;
      struct zn_tcp_seg_opts want = o;
      if (syn) {
        want_len = (bits & ZN_TCP_OPTF_MSS ? 4u : 0u) +
                   (ts ? 12u : bits & ZN_TCP_OPTF_SACK_PERM ? 4u : 0u) +
                   (bits & ZN_TCP_OPTF_WS ? 4u : 0u);
        want.present &= (uint8_t)~ZN_TCP_OPTF_SACK;
      } else {
        nblocks = ns < 4 ? ns : 4;
        if (ts && nblocks > 3)
          nblocks = 3;
        want_len = (ts ? 12u : 0u) + (nblocks ? 4 + 8 * nblocks : 0u);
        if (nblocks == 0)
          want.present &= (uint8_t)~ZN_TCP_OPTF_SACK;
      }
      want.nsack = (uint8_t)(syn ? 0 : nblocks);
      for (size_t k = want.nsack; k < ZN_TCP_MAX_SACK; k++)
        want.sack[k].left = want.sack[k].right = 0;
      if (!(want.present & ZN_TCP_OPTF_MSS))
        want.mss = 0;
      if (!(want.present & ZN_TCP_OPTF_WS))
        want.wscale = 0;
      if (!(want.present & ZN_TCP_OPTF_TS))
        want.tsval = want.tsecr = 0;

      uint8_t *area = malloc(ZN_TCP_MAX_OPT_LEN);
      ZT_REQUIRE(area != NULL);
      memset(area, 0xee, ZN_TCP_MAX_OPT_LEN);
      size_t len = zn_tcp_seg_opts_emit(area, &o);
      ZT_EQU(len, want_len);
      ZT_EQU(len % 4, 0);
      ZT_CHECK(len <= ZN_TCP_MAX_OPT_LEN);
      for (size_t i = len; i < ZN_TCP_MAX_OPT_LEN; i++)
        ZT_EQU(area[i], 0xee);

      uint8_t seg[60 + 3];
      zn_tcp_emit(seg, 4242, 80, bits, ns, ZN_TCP_ACK, 512, len);
      memcpy(seg + 20, area, len);
      memcpy(seg + 20 + len, "xyz", 3);
      zn_tcp_finish(seg, 20 + len + 3, 0xc0000201u, 0xc6336401u);
      free(area);

      struct zn_tcp_view v;
      struct zn_tcp_seg_opts back;
      ZT_EQ(zn_tcp_view_init(&v, seg, 20 + len + 3), ZN_OK);
      ZT_EQU(v.hdr_len, 20 + len);
      ZT_EQU(zn_tcp_payload_len(&v), 3);
      ZT_CHECK(zn_tcp_csum_ok(&v, 0xc0000201u, 0xc6336401u));
      memset(&back, 0xa5, sizeof back);
      ZT_EQ(zn_tcp_seg_opts_parse(&v, &back), ZN_OK);
      CHECK_OPTS(&back, &want);
      ncases++;
    }
  }
  ZT_EQU(ncases, 16 + 16 * 6);
}

/* A 3,000-byte TSO frame (Ethernet, IPv4, TCP with the timestamp option)
 * cut at 1,400: headers copied, per-segment fields fixed, payload in
 * order, FIN/PSH on the last only, CWR on the first only. */
ZT_TEST(test_gso_segment) {
  enum { HDR = 14 + 20 + 32, PAY = 3000, MSS = 1400 };
  static uint8_t f[HDR + PAY], out[HDR + MSS];
  memset(f, 0, HDR);
  f[12] = 0x08;
  uint8_t *ip = f + 14;
  ip[0] = 0x45;
  zn_wr16(ip + 2, (uint16_t)(HDR - 14 + PAY));
  zn_wr16(ip + 4, 0xfffe); /* the IDs wrap */
  ip[6] = 0x40;
  ip[8] = 64;
  ip[9] = ZN_IPPROTO_TCP;
  uint8_t *th = ip + 20;
  zn_wr32(th + 4, 0xfffffc00u); /* and the sequence numbers */
  th[12] = 8 << 4;
  th[13] = ZN_TCP_ACK | ZN_TCP_PSH | ZN_TCP_FIN | ZN_TCP_CWR;
  zn_wr16(th + 16, 0x1234);
  for (size_t i = 0; i < PAY; i++)
    f[HDR + i] = (uint8_t)(i * 13 + 5);
  size_t off = 0;
  for (size_t i = 0; i < 3; i++, off += MSS) {
    size_t k = PAY - off < MSS ? PAY - off : MSS;
    bool last = off + k == PAY;
    zn_tcp_gso_segment(out, f, 14, 34, HDR, off, k, i, last);
    const uint8_t *q = out + 14, *t = q + 20;
    ZT_EQU(zn_rd16(q + 2), 20 + 32 + k);
    ZT_EQU(zn_rd16(q + 4), (uint16_t)(0xfffe + i));
    ZT_EQU(zn_csum(q, 20), 0);
    ZT_EQU(zn_rd32(t + 4), 0xfffffc00u + (uint32_t)off);
    uint8_t want = ZN_TCP_ACK;
    if (last)
      want |= ZN_TCP_PSH | ZN_TCP_FIN;
    if (i == 0)
      want |= ZN_TCP_CWR;
    ZT_EQU(t[13], want);
    ZT_EQU(zn_rd16(t + 16), 0x1234);
    ZT_CHECK(memcmp(out + HDR, f + HDR + off, k) == 0);
    ZT_CHECK(memcmp(out, f, 14) == 0);
  }
  ZT_EQU(off, 4200); /* 1400 + 1400 + 200 */
}

/* The same cut of a TCP/IPv6 frame with a destination options header
 * before TCP: the payload length fixed per segment (it counts the
 * extension header, not the fixed header), nothing else in the IPv6
 * headers touched (no ID, no header checksum), the TCP fields as for
 * IPv4. */
ZT_TEST(test_gso_segment_ipv6) {
  enum { L4 = 14 + 40 + 8, HDR = L4 + 20, PAY = 3000, MSS = 1400 };
  static uint8_t f[HDR + PAY], out[HDR + MSS];
  memset(f, 0, HDR);
  zn_wr16(f + 12, ZN_ETHERTYPE_IPV6);
  uint8_t *ip = f + 14;
  ip[0] = 0x60;
  zn_wr16(ip + 4, (uint16_t)(HDR - 14 - 40 + PAY));
  ip[6] = ZN_IPPROTO_DSTOPTS;
  ip[7] = 64;
  for (int i = 8; i < 40; i++)
    ip[i] = (uint8_t)(0xa0 + i);
  ip[40] = ZN_IPPROTO_TCP; /* destination options: PadN of 6 */
  ip[42] = 1;
  ip[43] = 4;
  uint8_t *th = f + L4;
  zn_wr32(th + 4, 0x10u);
  th[12] = 5 << 4;
  th[13] = ZN_TCP_ACK | ZN_TCP_PSH;
  zn_wr16(th + 16, 0x4321);
  for (size_t i = 0; i < PAY; i++)
    f[HDR + i] = (uint8_t)(i * 7 + 3);
  size_t off = 0;
  for (size_t i = 0; off < PAY; i++, off += MSS) {
    size_t k = PAY - off < MSS ? PAY - off : MSS;
    bool last = off + k == PAY;
    zn_tcp_gso_segment(out, f, 14, L4, HDR, off, k, i, last);
    const uint8_t *q = out + 14, *t = out + L4;
    ZT_EQU(zn_rd16(q + 4), 8 + 20 + k);
    ZT_CHECK(memcmp(q, ip, 4) == 0);
    ZT_CHECK(memcmp(q + 6, ip + 6, 40 - 6 + 8) == 0);
    ZT_EQU(zn_rd32(t + 4), 0x10u + (uint32_t)off);
    ZT_EQU(t[13], last ? ZN_TCP_ACK | ZN_TCP_PSH : ZN_TCP_ACK);
    ZT_EQU(zn_rd16(t + 16), 0x4321);
    ZT_CHECK(memcmp(out + HDR, f + HDR + off, k) == 0);
  }
  ZT_EQU(off, 4200);
}

int main(void) {
  ZT_RUN(test_parse_bsd_syn);
  ZT_RUN(test_linux_synack_both_ways);
  ZT_RUN(test_linux_syns_emit);
  ZT_RUN(test_rst_fin_data);
  ZT_RUN(test_gso_segment);
  ZT_RUN(test_gso_segment_ipv6);
  ZT_RUN(test_sack_capture);
  ZT_RUN(test_window_scale_capture);
  ZT_RUN(test_malformed_capture);
  ZT_RUN(test_truncated);
  ZT_RUN(test_truncated_options);
  ZT_RUN(test_bad_offset);
  ZT_RUN(test_view_unwritten);
  ZT_RUN(test_csum);
  ZT_RUN(test_csum_zero);
  ZT_RUN(test_csum_long);
  ZT_RUN(test_opts_none);
  ZT_RUN(test_opts_nop_nop_ts);
  ZT_RUN(test_opts_short_len);
  ZT_RUN(test_opts_past_header);
  ZT_RUN(test_opts_lone_kind);
  ZT_RUN(test_opts_eol_garbage);
  ZT_RUN(test_opts_nop_padding);
  ZT_RUN(test_opts_wrong_length);
  ZT_RUN(test_opts_five_sack);
  ZT_RUN(test_opts_duplicates);
  ZT_RUN(test_opts_unknown);
  ZT_RUN(test_opts_all_kind_len);
  ZT_RUN(test_opts_linux_syn);
  ZT_RUN(test_opts_inline_parser);
  ZT_RUN(test_emit_header);
  ZT_RUN(test_emit_layouts);
  ZT_RUN(test_emit_roundtrip);
  return zt_done();
}
