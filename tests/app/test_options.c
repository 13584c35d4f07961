/* libznet-app's table-driven command line (app/common.c): values of
 * every kind land where the table says, ranges hold, --help is generated
 * from the tables, and every bad input exits 2 with one line naming it. */
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "app_int.h"
#include "zt.h"

struct prog_opts {
  uint16_t port;
  uint32_t count;
  uint64_t size;
  uint64_t wait_ns;
  bool verbose;
  const char *file;
  int mode;
  int fn_calls;
};

static int parse_twice(void *base, const char *val, const char *prog) {
  (void)prog;
  struct prog_opts *p = base;
  if (strcmp(val, "bad") == 0)
    return -1;
  p->fn_calls++;
  return 0;
}

static const struct zn__app_choice modes[] = {
    {"fast", 1}, {"slow", 2}, {NULL, 0}};

#define OFF(f) offsetof(struct prog_opts, f)
static const struct zn__app_opt table[] = {
    {"port", 'p', ZN__APP_U16, OFF(port), 1, 65535, .arg = "N",
     .help = "a port"},
    {"count", 'c', ZN__APP_U32, OFF(count), 0, 1000, .arg = "N",
     .help = "a count\nover two lines"},
    {"size", 0, ZN__APP_SIZE, OFF(size), 1, 1u << 30, .arg = "BYTES",
     .help = "a size"},
    {"wait", 0, ZN__APP_MS, OFF(wait_ns), 1, 60000, .arg = "MS",
     .help = "a wait"},
    {"verbose", 'v', ZN__APP_FLAG, OFF(verbose), .help = "more words"},
    {"file", 0, ZN__APP_STR, OFF(file), .arg = "FILE", .help = "a file"},
    {"mode", 0, ZN__APP_CHOICE, OFF(mode), .choices = modes, .arg = "fast|slow",
     .help = "a mode"},
    {"twice", 0, ZN__APP_FN, .fn = parse_twice, .arg = "X", .help = "by a fn"},
    {.name = NULL},
};
#undef OFF

static struct prog_opts mine;
static const struct zn__app_prog prog = {.name = "tprog",
                                         .synopsis = "[OPTIONS]",
                                         .summary = "A test program.",
                                         .opts = table,
                                         .arg = &mine};

/* Parse a NULL-terminated argv in this process. */
static int parse(struct zn__app_opts *o, const char *const *args) {
  static char store[32][64]; /* argv is mutable; the cases are not */
  char *argv[32];
  int argc = 0;
  strcpy(store[0], "tprog");
  argv[argc++] = store[0];
  for (; *args != NULL && argc < 31; args++) {
    snprintf(store[argc], sizeof(store[argc]), "%s", *args);
    argv[argc] = store[argc];
    argc++;
  }
  argv[argc] = NULL;
  optind = 1;
  memset(&mine, 0, sizeof(mine));
  zn__app_opts_default(o);
  return zn__app_parse(o, argc, argv, &prog);
}

/* Parse in a child; its exit status, its stderr (or stdout) in out. */
static int parse_child(const char *const *args, char *out, size_t cap,
                       bool want_stdout) {
  int fd[2];
  if (pipe(fd) != 0)
    return -1;
  pid_t pid = fork();
  if (pid == 0) {
    close(fd[0]);
    dup2(fd[1], want_stdout ? 1 : 2);
    struct zn__app_opts o;
    parse(&o, args);
    fflush(NULL);
    _exit(100); /* parsed without exiting */
  }
  close(fd[1]);
  size_t n = 0;
  ssize_t r;
  while (n + 1 < cap && (r = read(fd[0], out + n, cap - 1 - n)) > 0)
    n += (size_t)r;
  out[n] = '\0';
  close(fd[0]);
  int st = 0;
  waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

ZT_TEST(test_every_kind_lands) {
  struct zn__app_opts o;
  static const char *const args[] = {
      "--netif", "tap:zt0", "--ipv4", "10.1.2.3/24", "-p", "8080",
      "--count=7", "--size", "2M", "--wait", "1.5", "-v", "--file", "x.txt",
      "--mode", "SLOW", "--twice", "a", "--twice", "b", "--tcp-sndbuf", "64K",
      "rest", NULL};
  int first = parse(&o, args);
  ZT_EQ(first, 23);
  ZT_EQU(mine.port, 8080);
  ZT_EQU(mine.count, 7);
  ZT_EQU(mine.size, 2u << 20);
  ZT_EQU(mine.wait_ns, 1500000u);
  ZT_CHECK(mine.verbose);
  ZT_STREQ(mine.file, "x.txt");
  ZT_EQ(mine.mode, 2);
  ZT_EQ(mine.fn_calls, 2);
  ZT_EQ(o.netif, ZN__APP_NETIF_TAP);
  ZT_STREQ(o.tap_name, "zt0");
  ZT_EQU(o.ipv4, ZN_IPV4(10, 1, 2, 3));
  ZT_EQU(o.prefix, 24);
  ZT_EQU(o.tcp_sndbuf, 64u << 10);
}

ZT_TEST(test_bad_input_exits_2_with_one_line) {
  static const char *const bad[][6] = {
      {"--netif", "tap:zt0", "--ipv4", "10.1.2.3/24", "--port", "0"},
      {"--netif", "tap:zt0", "--ipv4", "10.1.2.3/24", "--port", "65536"},
      {"--netif", "tap:zt0", "--ipv4", "10.1.2.3/24", "--count", "12x"},
      {"--netif", "tap:zt0", "--ipv4", "10.1.2.3/24", "--mode", "medium"},
      {"--netif", "tap:zt0", "--ipv4", "10.1.2.3/24", "--twice", "bad"},
      {"--netif", "tap:zt0", "--ipv4", "10.1.2.3/24", "--nope", NULL},
      {"--netif", "tap:zt0", "--ipv4", "10.1.2.3/24", "--port", NULL},
      {"--netif", "tap:zt0", "--ipv4", "10.1.2.3/33", NULL, NULL},
      {"--netif", "bogus:zt0", "--ipv4", "10.1.2.3/24", NULL, NULL},
  };
  static const char *const names[] = {"0", "65536", "12x", "medium", "bad",
                                      "--nope", "--port", "10.1.2.3/33",
                                      "bogus"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    const char *args[8];
    size_t k = 0;
    for (; k < 6 && bad[i][k] != NULL; k++)
      args[k] = bad[i][k];
    args[k] = NULL;
    char out[1024];
    int rc = parse_child(args, out, sizeof(out), false);
    ZT_EQ(rc, ZN__APP_EXIT_USAGE);
    ZT_CHECK(strncmp(out, "tprog: ", 7) == 0);
    char *nl = strchr(out, '\n');
    ZT_CHECK(nl != NULL && nl[1] == '\0'); /* one line */
    if (strstr(out, names[i]) == NULL)
      zt_fail(__FILE__, __LINE__, "case %zu: '%s' not named in: %s", i,
              names[i], out);
  }
}

ZT_TEST(test_help_from_the_tables) {
  static const char *const args[] = {"--help", NULL};
  char out[16384];
  ZT_EQ(parse_child(args, out, sizeof(out), true), 0);
  ZT_CHECK(strstr(out, "A test program.") != NULL);
  /* Each flag of the program's table and of the shared one, with its
   * value's name and help; continuation lines indented under it. */
  ZT_CHECK(strstr(out, "-p, --port N") != NULL);
  ZT_CHECK(strstr(out, "a count\n") != NULL);
  ZT_CHECK(strstr(out, "\n                                over two lines") !=
           NULL);
  ZT_CHECK(strstr(out, "--mode fast|slow") != NULL);
  ZT_CHECK(strstr(out, "--netif") != NULL);
  ZT_CHECK(strstr(out, "--no-offload") != NULL);
  ZT_CHECK(strstr(out, "--tcp-sndbuf") != NULL);
  ZT_CHECK(strstr(out, "--ipv6 ADDR/PREFIX") != NULL);
  ZT_CHECK(strstr(out, "--slaac") != NULL);
  ZT_CHECK(strstr(out, "--dhcp ") != NULL);
  ZT_CHECK(strstr(out, "--dhcp-hostname NAME") != NULL);
}

/* --ipv6 repeats up to its bound and turns IPv6 on; --slaac turns SLAAC
 * on; either makes --ipv4 optional. */
ZT_TEST(test_ipv6_flags) {
  struct zn__app_opts o;
  static const char *const args[] = {"--netif", "tap:zt0", "--ipv6",
                                     "2001:db8:1::2/64", "--ipv6",
                                     "fd00::7/48", NULL};
  ZT_EQ(parse(&o, args), 7);
  ZT_EQU(o.nipv6, 2);
  ZT_EQU(o.ipv4, 0);
  ZT_CHECK(!o.slaac);
  struct zn_ip want;
  ZT_EQ(zn_ip_parse("2001:db8:1::2", &want), ZN_OK);
  ZT_CHECK(zn_ip_eq(&o.ipv6[0].addr, &want));
  ZT_EQU(o.ipv6[0].prefix, 64);
  ZT_EQ(zn_ip_parse("fd00::7", &want), ZN_OK);
  ZT_CHECK(zn_ip_eq(&o.ipv6[1].addr, &want));
  ZT_EQU(o.ipv6[1].prefix, 48);
  zn__app_require_address(&o, "tprog"); /* returns */
  struct zn_config cfg;
  o.has_seed = true;
  ZT_EQ(zn__app_config(&o, &cfg, "tprog"), 0);
  ZT_CHECK(cfg.ipv6);
  ZT_CHECK(!cfg.ipv6_slaac);

  static const char *const slaac[] = {"--netif", "tap:zt0", "--slaac", NULL};
  ZT_EQ(parse(&o, slaac), 4);
  ZT_CHECK(o.slaac);
  ZT_EQU(o.nipv6, 0);
  zn__app_require_address(&o, "tprog");
  o.has_seed = true;
  ZT_EQ(zn__app_config(&o, &cfg, "tprog"), 0);
  ZT_CHECK(cfg.ipv6 && cfg.ipv6_slaac);

  /* IPv4 only: IPv6 stays off. */
  static const char *const v4[] = {"--netif", "tap:zt0", "--ipv4",
                                   "10.1.2.3/24", NULL};
  parse(&o, v4);
  o.has_seed = true;
  ZT_EQ(zn__app_config(&o, &cfg, "tprog"), 0);
  ZT_CHECK(!cfg.ipv6 && !cfg.ipv6_slaac);
}

/* --dad-transmits: unset keeps the library's default, 0 turns DAD off,
 * 255 is the most; 256 and junk are usage errors. */
ZT_TEST(test_dad_transmits) {
  struct zn__app_opts o;
  struct zn_config cfg, def;
  zn_config_default(&def);
  static const char *const none[] = {"--netif", "tap:zt0", "--ipv6",
                                     "2001:db8::2/64", NULL};
  ZT_EQ(parse(&o, none), 5);
  o.has_seed = true;
  ZT_EQ(zn__app_config(&o, &cfg, "tprog"), 0);
  ZT_EQU(cfg.ipv6_dad_transmits, def.ipv6_dad_transmits);
  static const char *const vals[] = {"0", "5", "255"};
  for (size_t i = 0; i < 3; i++) {
    const char *args[] = {"--netif", "tap:zt0", "--ipv6", "2001:db8::2/64",
                          "--dad-transmits", vals[i], NULL};
    ZT_EQ(parse(&o, args), 7);
    o.has_seed = true;
    ZT_EQ(zn__app_config(&o, &cfg, "tprog"), 0);
    ZT_EQU(cfg.ipv6_dad_transmits, (unsigned)atoi(vals[i]));
  }
  static const char *const bad[] = {"256", "-1", "x"};
  for (size_t i = 0; i < 3; i++) {
    const char *args[] = {"--netif", "tap:zt0", "--ipv6", "2001:db8::2/64",
                          "--dad-transmits", bad[i], NULL};
    char out[1024];
    ZT_EQ(parse_child(args, out, sizeof(out), false), ZN__APP_EXIT_USAGE);
    if (strstr(out, "--dad-transmits") == NULL)
      zt_fail(__FILE__, __LINE__, "'%s' not refused by name: %s", bad[i], out);
  }
}

/* Bad --ipv6 values, one too many, and no address at all. */
ZT_TEST(test_ipv6_bad_input) {
  static const char *const bad[][4] = {
      {"--ipv6", "10.1.2.3/24", NULL, NULL},
      {"--ipv6", "2001:db8::1", NULL, NULL}, /* no prefix */
      {"--ipv6", "2001:db8::1/129", NULL, NULL},
      {"--ipv6", "ff02::1/64", NULL, NULL},
      {"--ipv6", "::/64", NULL, NULL},
      {"--ipv6", "::1/128", NULL, NULL},
      {"--ipv6", "2001:db8::zz/64", NULL, NULL},
  };
  static const char *const names[] = {"10.1.2.3/24", "2001:db8::1",
                                      "2001:db8::1/129", "ff02::1/64",
                                      "::/64", "::1/128", "2001:db8::zz/64"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    const char *args[] = {"--netif", "tap:zt0", bad[i][0], bad[i][1], NULL};
    char out[1024];
    ZT_EQ(parse_child(args, out, sizeof(out), false), ZN__APP_EXIT_USAGE);
    if (strstr(out, names[i]) == NULL || strstr(out, "--ipv6") == NULL)
      zt_fail(__FILE__, __LINE__, "case %zu: '%s' not named in: %s", i,
              names[i], out);
  }
  const char *many[2 + 2 * (ZN__APP_MAX_IPV6 + 1) + 1];
  static char addrs[ZN__APP_MAX_IPV6 + 1][32];
  size_t k = 0;
  many[k++] = "--netif";
  many[k++] = "tap:zt0";
  for (int i = 0; i <= ZN__APP_MAX_IPV6; i++) {
    snprintf(addrs[i], sizeof(addrs[i]), "2001:db8::%x/64", i + 1);
    many[k++] = "--ipv6";
    many[k++] = addrs[i];
  }
  many[k] = NULL;
  char out[1024];
  ZT_EQ(parse_child(many, out, sizeof(out), false), ZN__APP_EXIT_USAGE);
  ZT_CHECK(strstr(out, "too many --ipv6") != NULL);

  /* No address of any kind: zn__app_require_address exits 2 naming all. */
  pid_t pid = fork();
  if (pid == 0) {
    int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 2);
    struct zn__app_opts o;
    static const char *const none[] = {"--netif", "tap:zt0", NULL};
    parse(&o, none);
    zn__app_require_address(&o, "tprog");
    _exit(100);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  ZT_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == ZN__APP_EXIT_USAGE);
}

/* --dhcp alone is an address; with --ipv4 the address is asked for
 * first (INIT-REBOOT) and not configured; --dhcp-hostname is option 12. */
ZT_TEST(test_dhcp_flags) {
  struct zn__app_opts o;
  struct zn_config cfg;
  static const char *const plain[] = {"--netif", "tap:zt0", "--dhcp", NULL};
  ZT_EQ(parse(&o, plain), 4);
  ZT_CHECK(o.dhcp);
  zn__app_require_address(&o, "tprog"); /* returns */
  o.has_seed = true;
  ZT_EQ(zn__app_config(&o, &cfg, "tprog"), 0);
  ZT_CHECK(cfg.dhcp4.enable);
  ZT_EQU(cfg.dhcp4.reboot_addr, 0);
  ZT_EQU(cfg.ipv4_addr, 0);
  ZT_EQU(cfg.dhcp4.start_delay_ms, ZN_DHCP4_START_DELAY_DEFAULT_MS);
  ZT_CHECK(zn_stack_mem_size(&cfg) > 0);
  char buf[64];
  ZT_STREQ(zn__app_ipv4_text(&o, buf, sizeof(buf)), "dhcp");

  static const char *const both[] = {"--netif",       "tap:zt0", "--ipv4",
                                     "10.1.2.3/24",   "--dhcp",
                                     "--dhcp-hostname", "box-1.lan", NULL};
  ZT_EQ(parse(&o, both), 8);
  o.has_seed = true;
  ZT_EQ(zn__app_config(&o, &cfg, "tprog"), 0);
  ZT_CHECK(cfg.dhcp4.enable);
  ZT_EQU(cfg.dhcp4.reboot_addr, ZN_IPV4(10, 1, 2, 3));
  ZT_EQU(cfg.ipv4_addr, 0);
  ZT_STREQ(cfg.dhcp4.hostname, "box-1.lan");
  ZT_CHECK(zn_stack_mem_size(&cfg) > 0);

  /* A pod's /32 with its network plugin's gateway, off the prefix. */
  static const char *const pod[] = {"--netif", "tap:zt0", "--ipv4",
                                    "10.244.1.5/32", "--gateway",
                                    "169.254.1.1", NULL};
  ZT_EQ(parse(&o, pod), 7);
  ZT_EQ(zn__app_config(&o, &cfg, "tprog"), 0);
  ZT_EQU(cfg.ipv4_prefix, 32);
  ZT_EQU(cfg.ipv4_gateway, ZN_IPV4(169, 254, 1, 1));
  ZT_CHECK(zn_stack_mem_size(&cfg) > 0);
  /* urunc's words for a Solo5 guest: --ipv4=IP/24 --ipv4-gateway=GW. */
  static const char *const urunc[] = {"--netif", "tap:zt0",
                                      "--ipv4=10.244.1.5/24",
                                      "--ipv4-gateway=169.254.1.1", NULL};
  ZT_EQ(parse(&o, urunc), 5);
  ZT_EQ(zn__app_config(&o, &cfg, "tprog"), 0);
  ZT_EQU(cfg.ipv4_addr, ZN_IPV4(10, 244, 1, 5));
  ZT_EQU(cfg.ipv4_gateway, ZN_IPV4(169, 254, 1, 1));
  /* A pod's IPv6 /128 with a link-local router (Calico's). */
  static const char *const pod6[] = {"--netif", "tap:zt0",
                                     "--ipv6=fd00:10:244::5/128",
                                     "--ipv6-gateway=fe80::ecee:eeff:feee:eeee",
                                     NULL};
  ZT_EQ(parse(&o, pod6), 5);
  ZT_EQ(zn__app_config(&o, &cfg, "tprog"), 0);
  ZT_CHECK(cfg.ipv6);
  ZT_EQ(o.ipv6[0].prefix, 128);
  ZT_EQ(o.ipv6_gateway.family, ZN_AF_INET6);
  ZT_EQ(o.ipv6_gateway.bytes[0], 0xfe);
  ZT_EQ(o.ipv6_gateway.bytes[15], 0xee);

  static const char *const bad[][6] = {
      {"--dhcp", "--ipv4", "10.1.2.3/24", "--gateway", "10.1.2.1", NULL},
      {"--dhcp-hostname", "box", NULL, NULL, NULL, NULL},
      {"--dhcp", "--dhcp-hostname", "a b", NULL, NULL, NULL},
      {"--dhcp", "--dhcp-hostname", "x_y", NULL, NULL, NULL},
      {"--ipv4", "10.1.2.3/24", "--gateway", "10.1.2.3", NULL, NULL},
      {"--ipv4", "10.1.2.3/24", "--gateway", "224.0.0.1", NULL, NULL},
      {"--ipv4", "10.1.2.3/24", "--ipv6-gateway", "fe80::1", NULL, NULL},
      {"--ipv6", "fd00::5/128", "--ipv6-gateway", "ff02::2", NULL, NULL},
      {"--ipv6", "fd00::5/128", "--ipv6-gateway", "10.0.0.1", NULL, NULL},
  };
  static const char *const names[] = {"--gateway", "--dhcp-hostname",
                                      "a b",       "x_y",
                                      "10.1.2.3: not a unicast",
                                      "224.0.0.1: not a unicast",
                                      "--ipv6-gateway needs --ipv6 or --slaac",
                                      "ff02::2", "10.0.0.1"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    const char *args[9] = {"--netif", "tap:zt0"};
    size_t k = 2;
    for (size_t j = 0; j < 6 && bad[i][j] != NULL; j++)
      args[k++] = bad[i][j];
    args[k] = NULL;
    char out[1024];
    ZT_EQ(parse_child(args, out, sizeof(out), false), ZN__APP_EXIT_USAGE);
    if (strstr(out, names[i]) == NULL)
      zt_fail(__FILE__, __LINE__, "case %zu: '%s' not named in: %s", i,
              names[i], out);
  }
}

/* zn__app_dhcp4_event's lines, as the e2e test reads them. */
ZT_TEST(test_dhcp_event_lines) {
  int fd[2];
  ZT_REQUIRE(pipe(fd) == 0);
  pid_t pid = fork();
  if (pid == 0) {
    close(fd[0]);
    dup2(fd[1], 1);
    struct zn__app_host h;
    memset(&h, 0, sizeof(h));
    h.prog = "tprog";
    struct zn_dhcp4_lease l;
    memset(&l, 0, sizeof(l));
    l.addr = ZN_IPV4(10, 0, 0, 50);
    l.prefix = 24;
    l.router = ZN_IPV4(10, 0, 0, 1);
    l.server = ZN_IPV4(10, 0, 0, 1);
    l.dns[0] = ZN_IPV4(10, 0, 0, 1);
    l.dns[1] = ZN_IPV4(9, 9, 9, 9);
    l.ndns = 2;
    l.lease_s = 120;
    l.t1_s = 60;
    l.t2_s = 105;
    zn__app_dhcp4_event(NULL, &h, ZN_DHCP4_EV_BOUND, &l);
    l.router = 0;
    l.ndns = 0;
    l.mtu = 1400;
    zn__app_dhcp4_event(NULL, &h, ZN_DHCP4_EV_RENEWED, &l);
    zn__app_dhcp4_event(NULL, &h, ZN_DHCP4_EV_LOST, &l);
    fflush(NULL);
    _exit(0);
  }
  close(fd[1]);
  char out[1024];
  size_t n = 0;
  ssize_t r;
  while (n + 1 < sizeof(out) &&
         (r = read(fd[0], out + n, sizeof(out) - 1 - n)) > 0)
    n += (size_t)r;
  out[n] = '\0';
  close(fd[0]);
  waitpid(pid, NULL, 0);
  ZT_STREQ(out,
           "tprog: dhcp4 bound 10.0.0.50/24 router 10.0.0.1 dns "
           "10.0.0.1,9.9.9.9 mtu - lease 120s t1 60s t2 105s server "
           "10.0.0.1\n"
           "tprog: dhcp4 renewed 10.0.0.50/24 router - dns - mtu 1400 lease "
           "120s t1 60s t2 105s server 10.0.0.1\n"
           "tprog: dhcp4 lost 10.0.0.50\n");
}

int main(void) {
  ZT_RUN(test_dhcp_flags);
  ZT_RUN(test_dhcp_event_lines);
  ZT_RUN(test_every_kind_lands);
  ZT_RUN(test_ipv6_flags);
  ZT_RUN(test_ipv6_bad_input);
  ZT_RUN(test_dad_transmits);
  ZT_RUN(test_bad_input_exits_2_with_one_line);
  ZT_RUN(test_help_from_the_tables);
  return zt_done();
}
