/* Address text conversion (src/core/addr.c). */
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

int main(void) {
  ZT_RUN(test_ipv4_parse);
  ZT_RUN(test_ipv4_cidr);
  ZT_RUN(test_format);
  ZT_RUN(test_mac_parse);
  return zt_done();
}
