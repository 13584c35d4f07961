/* Address text conversion (src/core/addr.c). */
#include <string.h>

#include "zt.h"
#include "znet.h"

ZT_TEST(test_ipv4_parse) {
  uint32_t a = 0;
  ZT_EQ(zn_ipv4_parse("192.0.2.1", &a), ZN_OK);
  ZT_EQU(a, 0xc0000201u);
  ZT_EQ(zn_ipv4_parse("0.0.0.0", &a), ZN_OK);
  ZT_EQU(a, 0);
  ZT_EQ(zn_ipv4_parse("255.255.255.255", &a), ZN_OK);
  ZT_EQU(a, 0xffffffffu);
  const char *bad[] = {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.4 ",
                       " 1.2.3.4", "01.2.3.4", "1..2.3", "1.2.3.-4", "a.b.c.d",
                       "1.2.3.4/8", "1234.1.1.1", "1.2.3.4."};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    a = 77;
    if (zn_ipv4_parse(bad[i], &a) != ZN_EINVAL || a != 77)
      zt_fail(__FILE__, __LINE__, "accepted \"%s\"", bad[i]);
  }
  ZT_EQ(zn_ipv4_parse(NULL, &a), ZN_EINVAL);
}

ZT_TEST(test_ipv4_cidr) {
  uint32_t a;
  uint8_t p;
  ZT_EQ(zn_ipv4_parse_cidr("10.1.2.3/24", &a, &p, -1), ZN_OK);
  ZT_EQU(a, ZN_IPV4(10, 1, 2, 3));
  ZT_EQ(p, 24);
  ZT_EQ(zn_ipv4_parse_cidr("10.1.2.3/0", &a, &p, -1), ZN_OK);
  ZT_EQ(p, 0);
  ZT_EQ(zn_ipv4_parse_cidr("10.1.2.3/32", &a, &p, -1), ZN_OK);
  ZT_EQ(zn_ipv4_parse_cidr("10.1.2.3/33", &a, &p, -1), ZN_EINVAL);
  ZT_EQ(zn_ipv4_parse_cidr("10.1.2.3/", &a, &p, -1), ZN_EINVAL);
  ZT_EQ(zn_ipv4_parse_cidr("10.1.2.3", &a, &p, -1), ZN_EINVAL);
  ZT_EQ(zn_ipv4_parse_cidr("10.1.2.3", &a, &p, 32), ZN_OK);
  ZT_EQ(p, 32);
  ZT_EQ(zn_ipv4_parse_cidr("10.1.2.3/24x", &a, &p, -1), ZN_EINVAL);
  ZT_EQU(zn_ipv4_mask(24), 0xffffff00u);
  ZT_EQU(zn_ipv4_mask(0), 0);
  ZT_EQU(zn_ipv4_mask(32), 0xffffffffu);
}

ZT_TEST(test_format) {
  char buf[ZN_IPV4_STRLEN];
  ZT_STREQ(zn_ipv4_format(ZN_IPV4(255, 255, 255, 255), buf), "255.255.255.255");
  ZT_STREQ(zn_ipv4_format(0, buf), "0.0.0.0");
  ZT_STREQ(zn_ipv4_format(ZN_IPV4(10, 0, 100, 9), buf), "10.0.100.9");
  char m[ZN_MAC_STRLEN];
  uint8_t mac[6] = {0x02, 0xab, 0, 0x10, 0xff, 0x09};
  ZT_STREQ(zn_mac_format(mac, m), "02:ab:00:10:ff:09");
}

ZT_TEST(test_mac_parse) {
  uint8_t m[6], want[6] = {0x02, 0xab, 0xcd, 0xef, 0x01, 0x23};
  ZT_EQ(zn_mac_parse("02:ab:CD:ef:01:23", m), ZN_OK);
  ZT_MEMEQ(m, want, 6);
  ZT_EQ(zn_mac_parse("02-ab-cd-ef-01-23", m), ZN_OK);
  ZT_MEMEQ(m, want, 6);
  const char *bad[] = {"02:ab:cd:ef:01", "02:ab:cd:ef:01:23:45", "02:ab-cd:ef:01:23",
                       "2:ab:cd:ef:01:23", "02:ab:cd:ef:01:2g", "", "02abcdef0123"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    if (zn_mac_parse(bad[i], m) != ZN_EINVAL)
      zt_fail(__FILE__, __LINE__, "accepted \"%s\"", bad[i]);
}

/* A text that ends after its first pair ends there: its NUL is not taken
 * as the separator, and nothing after it is read (the bytes behind it
 * here would make a valid address). */
ZT_TEST(test_mac_parse_short_text_refused_at_its_end) {
  static const char text[] = "16\0" "23:45:67:89:ab";
  uint8_t m[6];
  ZT_EQ(zn_mac_parse(text, m), ZN_EINVAL);
  ZT_EQ(zn_mac_parse("16", m), ZN_EINVAL);
  ZT_EQ(zn_mac_parse("1", m), ZN_EINVAL);
}

/* RFC 4291 §2.2's three forms in, RFC 5952's one form out. */
ZT_TEST(test_ipv6_parse_and_format) {
  static const struct {
    const char *in, *out;
  } ok[] = {
      {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},  /* RFC 5952 §4.2.3 */
      {"2001:0db8:0:0::1", "2001:db8::1"},            /* §4.1 */
      {"2001:db8::0:1", "2001:db8::1"},
      {"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"}, /* §4.2.2: one 0 */
      {"2001:db8:0:0:1:0:0:0", "2001:db8:0:0:1::"},   /* longest run */
      {"2001:DB8::AAAA", "2001:db8::aaaa"},           /* §4.3 lower case */
      {"::", "::"},
      {"::1", "::1"},
      {"1::", "1::"},
      {"0:0:0:0:0:0:0:0", "::"},
      {"fe80::0202:b3ff:fe1e:8329", "fe80::202:b3ff:fe1e:8329"},
      {"::ffff:192.0.2.1", "::ffff:192.0.2.1"},       /* §5 mapped */
      {"0:0:0:0:0:ffff:c000:0201", "::ffff:192.0.2.1"},
      {"::192.0.2.1", "::c000:201"},                  /* compatible: hex */
      {"64:ff9b::192.0.2.33", "64:ff9b::c000:221"},
      {"1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"},
      {"1:0:0:2:0:0:0:3", "1:0:0:2::3"},
      {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
       "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
      {"1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"},          /* "::" for one 0 in */
  };
  for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
    uint8_t a[16];
    char buf[ZN_IPV6_STRLEN];
    if (zn_ipv6_parse(ok[i].in, a) != ZN_OK) {
      zt_fail(__FILE__, __LINE__, "refused \"%s\"", ok[i].in);
      continue;
    }
    zn_ipv6_format(a, buf);
    if (strcmp(buf, ok[i].out) != 0)
      zt_fail(__FILE__, __LINE__, "\"%s\" -> \"%s\", want \"%s\"", ok[i].in,
              buf, ok[i].out);
    uint8_t b[16];
    ZT_EQ(zn_ipv6_parse(buf, b), ZN_OK); /* the output reads back */
    ZT_CHECK(memcmp(a, b, 16) == 0);
  }
  uint8_t a[16];
  ZT_EQ(zn_ipv6_parse("2001:db8::1", a), ZN_OK);
  static const uint8_t want[16] = {0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0,
                                   0,    0, 0,    0,    0, 0, 0, 1};
  ZT_CHECK(memcmp(a, want, 16) == 0);
  char buf[ZN_IPV6_STRLEN];
  static const uint8_t longest[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                      0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                      0xff, 0xff, 0xff, 0xff};
  ZT_EQU(strlen(zn_ipv6_format(longest, buf)), 39);
  static const uint8_t mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
                                     255, 255, 255, 255};
  ZT_EQU(strlen(zn_ipv6_format(mapped, buf)), 22);
}

ZT_TEST(test_ipv6_parse_refuses) {
  static const char *const bad[] = {
      "", ":", ":::", "1:2", "1::2::3", "::1::", "12345::", "1:2:3:4:5:6:7:8:9",
      "1:2:3:4:5:6:7:8::", "::1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7", ":1::",
      "1:2:", "1::2:", "g::", "1:2:3:4:5:6:7:1.2.3.4", "::ffff:1.2.3",
      "::ffff:1.2.3.4.5", "::1.2.3.04", "1.2.3.4", "::1 ", " ::1", "fe80::1%eth0",
      "[::1]", "::-1", "0x1::", "1:2:3:4:5:6:7:8:",
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    uint8_t a[16];
    memset(a, 0x77, sizeof(a));
    if (zn_ipv6_parse(bad[i], a) != ZN_EINVAL || a[0] != 0x77)
      zt_fail(__FILE__, __LINE__, "accepted \"%s\"", bad[i]);
  }
  uint8_t a[16];
  ZT_EQ(zn_ipv6_parse(NULL, a), ZN_EINVAL);
  /* Every proper prefix of a valid address that is not itself valid is
   * refused without reading past its end (ASan watches). */
  const char *full = "2001:db8:85a3::8a2e:370:7334";
  char cut[64];
  for (size_t n = 0; n < strlen(full); n++) {
    memcpy(cut, full, n);
    cut[n] = 0;
    (void)zn_ipv6_parse(cut, a);
  }
}

ZT_TEST(test_ip_family_neutral) {
  struct zn_ip a, b;
  char buf[ZN_IP_STRLEN];
  ZT_EQ(zn_ip_parse("10.1.2.3", &a), ZN_OK);
  ZT_EQ(a.family, ZN_AF_INET);
  ZT_EQU(zn_ip_v4(&a), ZN_IPV4(10, 1, 2, 3));
  b = zn_ip_from_v4(ZN_IPV4(10, 1, 2, 3));
  ZT_CHECK(zn_ip_eq(&a, &b));
  ZT_STREQ(zn_ip_format(&a, buf), "10.1.2.3");
  ZT_EQ(zn_ip_parse("2001:db8::2", &b), ZN_OK);
  ZT_EQ(b.family, ZN_AF_INET6);
  ZT_EQU(zn_ip_v4(&b), 0);
  ZT_CHECK(!zn_ip_eq(&a, &b));
  ZT_STREQ(zn_ip_format(&b, buf), "2001:db8::2");
  /* The mapped form is another address until unmapped. */
  ZT_EQ(zn_ip_parse("::ffff:10.1.2.3", &b), ZN_OK);
  ZT_CHECK(zn_ip_is_v4mapped(&b) && !zn_ip_eq(&a, &b));
  struct zn_ip u = zn_ip_unmap(&b);
  ZT_CHECK(zn_ip_eq(&a, &u));
  u = zn_ip_unmap(&a);
  ZT_CHECK(zn_ip_eq(&a, &u));
  ZT_CHECK(!zn_ip_is_v4mapped(&a));
  /* Unspecified in each family, and no address at all. */
  ZT_EQ(zn_ip_parse("0.0.0.0", &a), ZN_OK);
  ZT_CHECK(zn_ip_is_unspecified(&a));
  ZT_EQ(zn_ip_parse("::", &a), ZN_OK);
  ZT_CHECK(zn_ip_is_unspecified(&a));
  struct zn_ip none = {0};
  ZT_CHECK(zn_ip_is_unspecified(&none));
  ZT_STREQ(zn_ip_format(&none, buf), "");
  ZT_EQ(zn_ip_parse("1.2.3", &a), ZN_EINVAL);
  ZT_EQ(zn_ip_parse("1::2::3", &a), ZN_EINVAL);
}

ZT_TEST(test_ip_cidr_and_endpoint) {
  struct zn_ip a;
  uint8_t p = 99;
  uint16_t port = 0;
  char buf[ZN_IP_STRLEN];
  ZT_EQ(zn_ip_parse_cidr("2001:db8::1/64", &a, &p, -1), ZN_OK);
  ZT_EQ(p, 64);
  ZT_STREQ(zn_ip_format(&a, buf), "2001:db8::1");
  ZT_EQ(zn_ip_parse_cidr("2001:db8::1/128", &a, &p, -1), ZN_OK);
  ZT_EQ(zn_ip_parse_cidr("2001:db8::1/129", &a, &p, -1), ZN_EINVAL);
  ZT_EQ(zn_ip_parse_cidr("10.0.0.2/33", &a, &p, -1), ZN_EINVAL);
  ZT_EQ(zn_ip_parse_cidr("10.0.0.2/24", &a, &p, -1), ZN_OK);
  ZT_EQ(p, 24);
  ZT_EQ(zn_ip_parse_cidr("fe80::1", &a, &p, 64), ZN_OK);
  ZT_EQ(p, 64);
  ZT_EQ(zn_ip_parse_cidr("10.0.0.2", &a, &p, 64), ZN_EINVAL); /* > 32 */
  ZT_EQ(zn_ip_parse_cidr("fe80::1", &a, &p, -1), ZN_EINVAL);
  ZT_EQ(zn_ip_parse_cidr("fe80::1/", &a, &p, -1), ZN_EINVAL);
  ZT_EQ(zn_ip_parse_cidr("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255/96",
                         &a, &p, -1),
        ZN_OK);
  ZT_EQ(zn_ip_parse_cidr("0000ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255/9",
                         &a, &p, -1),
        ZN_EINVAL); /* longer than any address text */

  ZT_EQ(zn_ip_parse_endpoint("10.0.0.1:53", &a, &port, 0), ZN_OK);
  ZT_EQU(zn_ip_v4(&a), ZN_IPV4(10, 0, 0, 1));
  ZT_EQ(port, 53);
  ZT_EQ(zn_ip_parse_endpoint("10.0.0.1", &a, &port, 5353), ZN_OK);
  ZT_EQ(port, 5353);
  ZT_EQ(zn_ip_parse_endpoint("10.0.0.1", &a, &port, 0), ZN_EINVAL);
  ZT_EQ(zn_ip_parse_endpoint("[2001:db8::53]:853", &a, &port, 53), ZN_OK);
  ZT_EQ(a.family, ZN_AF_INET6);
  ZT_EQ(port, 853);
  ZT_EQ(zn_ip_parse_endpoint("[2001:db8::53]", &a, &port, 53), ZN_OK);
  ZT_EQ(port, 53);
  ZT_EQ(zn_ip_parse_endpoint("2001:db8::53", &a, &port, 53), ZN_OK);
  ZT_EQ(port, 53);
  ZT_EQ(zn_ip_parse_endpoint("::ffff:1.2.3.4", &a, &port, 7), ZN_OK);
  ZT_CHECK(zn_ip_is_v4mapped(&a));
  static const char *const bad[] = {
      "10.0.0.1:", "10.0.0.1:0", "10.0.0.1:65536", "10.0.0.1:053",
      "10.0.0.1:5x", "[2001:db8::1", "[2001:db8::1]x", "[2001:db8::1]:",
      "[10.0.0.1]:53", "[]:53", "10.0.0.1:53:1", ":53", "",
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    port = 77;
    if (zn_ip_parse_endpoint(bad[i], &a, &port, 53) != ZN_EINVAL || port != 77)
      zt_fail(__FILE__, __LINE__, "accepted \"%s\"", bad[i]);
  }
}

/* zn_ip_len: the bytes a hash or a wire format takes of each family. */
ZT_TEST(test_ip_len_by_family) {
  struct zn_ip none = {0}, v4 = zn_ip_from_v4(0x0a000001u), v6;
  ZT_REQUIRE(zn_ip_parse("2001:db8::1", &v6) == ZN_OK);
  ZT_EQ(zn_ip_len(&none), 0);
  ZT_EQ(zn_ip_len(&v4), 4);
  ZT_EQ(zn_ip_len(&v6), 16);
}

int main(void) {
  ZT_RUN(test_ipv6_parse_and_format);
  ZT_RUN(test_ipv6_parse_refuses);
  ZT_RUN(test_ip_family_neutral);
  ZT_RUN(test_ip_cidr_and_endpoint);
  ZT_RUN(test_ipv4_parse);
  ZT_RUN(test_ipv4_cidr);
  ZT_RUN(test_format);
  ZT_RUN(test_mac_parse);
  ZT_RUN(test_mac_parse_short_text_refused_at_its_end);
  ZT_RUN(test_ip_len_by_family);
  return zt_done();
}
