/*
 * Replay every capture in ../shared/traces through a stack under the
 * sanitizers.  The stack takes the role of the destination of the first
 * frame addressed to a host (the target of the first ARP request, or the
 * destination of the first IPv4 datagram), with a static ARP entry for its
 * peer, so that the replay reaches the protocols rather than stopping at
 * "not for us".  Every capture must replay without crash or leak, with
 * every frame accounted for; some have their answers checked frame by
 * frame in the output capture.
 */
#include <dirent.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/stack_int.h"
#include "internals.h"
#include "harness.h"
#include "zt.h"
#include "znet/loop.h"
#include "znet/pcap.h"

static const char *dir;
static int ipv6_mode; /* --ipv6: the stack runs IPv6 and may play an IPv6 host */
static char outdir[256];

struct role {
  uint32_t ip, peer_ip;
  uint8_t mac[6], peer_mac[6];
  uint16_t vid;
  int have;
  int v6;                  /* plays ip6, its peer peer_ip6 */
  uint8_t ip6[16], peer_ip6[16];
};

/* Find the first frame that names a host to play. */
static void pick_role(const char *path, struct role *r) {
  char err[PCAP_ERRBUF_SIZE];
  memset(r, 0, sizeof(*r));
  pcap_t *p = pcap_open_offline(path, err);
  if (!p)
    return;
  int dlt = pcap_datalink(p);
  struct pcap_pkthdr *h;
  const u_char *d;
  uint8_t first_dst[6] = {0};
  int have_first = 0;
  while (!r->have && pcap_next_ex(p, &h, &d) == 1) {
    if (!have_first && dlt == DLT_EN10MB && h->caplen >= 6 && !(d[0] & 1)) {
      memcpy(first_dst, d, 6);
      have_first = 1;
    }
    const uint8_t *ip = NULL;
    size_t len = h->caplen;
    if (dlt == DLT_EN10MB) {
      struct zn_eth_view e;
      if (zn_eth_view_init(&e, d, len) != ZN_OK)
        continue;
      const uint8_t *l3 = d + e.hdr_len;
      size_t l3len = len - e.hdr_len;
      if (e.type == ZN_ETHERTYPE_ARP) {
        struct zn_arp_view a;
        if (zn_arp_view_init(&a, l3, l3len) != ZN_OK || !zn_arp_is_eth_ipv4(&a) ||
            a.op != ZN_ARP_OP_REQUEST)
          continue;
        r->ip = zn_arp_tpa(&a);
        r->peer_ip = zn_arp_spa(&a);
        memcpy(r->peer_mac, zn_arp_sha(&a), 6);
        memcpy(r->mac, "\x02\x7a\x6e\x00\x00\x01", 6);
        r->vid = e.tagged ? zn_eth_vid(&e) : 0;
        r->have = 1;
        break;
      }
      /* IPv6 to a unicast address: play it.  Some synthetic captures
       * send it to the broadcast MAC: then any MAC of ours will do. */
      if (ipv6_mode && e.type == ZN_ETHERTYPE_IPV6 &&
          (!zn_eth_is_mcast(zn_eth_dst(&e)) || zn_eth_is_bcast(zn_eth_dst(&e))) &&
          l3len >= 40 && (l3[0] >> 4) == 6 && l3[24] != 0xff) {
        memcpy(r->ip6, l3 + 24, 16);
        memcpy(r->peer_ip6, l3 + 8, 16);
        if (zn_eth_is_bcast(zn_eth_dst(&e)))
          memcpy(r->mac, "\x02\x7a\x6e\x00\x00\x01", 6);
        else
          memcpy(r->mac, zn_eth_dst(&e), 6);
        memcpy(r->peer_mac, zn_eth_src(&e), 6);
        r->vid = e.tagged ? zn_eth_vid(&e) : 0;
        r->v6 = 1;
        r->have = 1;
        break;
      }
      if (e.type != ZN_ETHERTYPE_IPV4 || zn_eth_is_mcast(zn_eth_dst(&e)))
        continue;
      ip = l3;
      len = l3len;
      memcpy(r->mac, zn_eth_dst(&e), 6);
      memcpy(r->peer_mac, zn_eth_src(&e), 6);
      r->vid = e.tagged ? zn_eth_vid(&e) : 0;
    } else {
      ip = d;
      memcpy(r->mac, "\x02\x7a\x6e\x65\x74\x00", 6); /* pcapif's default */
      memcpy(r->peer_mac, "\x02\x7a\x6e\x65\x74\x01", 6);
      if (ipv6_mode && len >= 40 && (ip[0] >> 4) == 6 && ip[24] != 0xff) {
        memcpy(r->ip6, ip + 24, 16);
        memcpy(r->peer_ip6, ip + 8, 16);
        r->v6 = 1;
        r->have = 1;
        break;
      }
    }
    if (len < 20 || (ip[0] >> 4) != 4)
      continue;
    r->ip = zn_rd32(ip + 16);
    r->peer_ip = zn_rd32(ip + 12);
    if (r->ip == 0xffffffffu || zn_ipv4_is_mcast(r->ip) || r->peer_ip == 0)
      continue;
    r->have = 1;
  }
  /* Nothing names a host: at least take the station the first frame is
   * addressed to, so its bytes get past the Ethernet layer. */
  if (!r->have && have_first)
    memcpy(r->mac, first_dst, 6);
  pcap_close(p);
}

struct result {
  uint64_t frames_in, frames_out;
  uint64_t echo_replies, arp_replies;
  int accounting_bad;
  struct zn_stats stats;
};

/* Replay `name` with role r; output capture goes to outdir. */
static int replay(const char *name, const struct role *r, struct result *res) {
  char in[512], out[512];
  snprintf(in, sizeof(in), "%s/%s", dir, name);
  snprintf(out, sizeof(out), "%s/%s.out.pcap", outdir, name);
  struct zn_config cfg;
  th_config(&cfg, r->ip, 24, 1);
  memcpy(cfg.mac, r->mac, 6);
  cfg.vlan_id = r->vid;
  cfg.arp_announce = false;
  cfg.ipv6 = ipv6_mode != 0;
  /* The capture's host address is ours from the first frame: no DAD. */
  cfg.ipv6_dad_transmits = 0;
  struct zn_stack *st = th_stack_new(&cfg);
  if (!st)
    return -1;
  if (r->v6) {
    struct zn_ip a6 = zn_ip_from_v6(r->ip6);
    (void)zn_stack_add_ipv6(st, &a6, 64);
    if (!zn_ipv6_addr_is_unspecified(r->peer_ip6) &&
        !zn_ipv6_addr_is_mcast(r->peer_ip6))
      zn__nd_learn(st, r->peer_ip6, r->peer_mac, false);
  }
  if (r->peer_ip && !zn_eth_is_mcast(r->peer_mac) &&
      (r->peer_ip ^ r->ip) >> 8 == 0)
    zn_arp_add_static(st, r->peer_ip, r->peer_mac);
  else if (r->peer_ip && !zn_eth_is_mcast(r->peer_mac)) {
    /* An off-link peer: route through a gateway with the peer's MAC. */
    uint32_t gw = (r->ip & 0xffffff00u) | ((r->ip & 0xff) == 1 ? 2 : 1);
    zn_stack_set_ipv4(st, r->ip, 24, gw);
    zn_arp_add_static(st, gw, r->peer_mac);
  }
  struct zn_pcapif_opts o;
  memset(&o, 0, sizeof(o));
  o.out_path = out;
  memcpy(o.local_mac, r->mac, 6);
  memcpy(o.peer_mac, r->peer_mac, 6);
  struct zn_pcapif *pi;
  char why[ZN_PCAPIF_ERRLEN];
  int rc = zn_pcapif_open(in, &o, &pi, why);
  if (rc != ZN_OK) {
    zt_fail(__FILE__, __LINE__, "open %s: %s (%s)", name, zn_strerror(rc),
            why);
    th_stack_free(st);
    return -1;
  }
  zn_stack_attach(st, zn_pcapif_netif(pi));
  zn_stack_poll(st, zn_pcapif_start_time(pi));
  struct zn_loop_opts lo;
  memset(&lo, 0, sizeof(lo));
  lo.eof_linger = ZN_SEC(60); /* past the reassembly timeout */
  rc = zn_loop_run(st, zn_pcapif_netif(pi), &lo);
  if (rc != ZN_OK)
    zt_fail(__FILE__, __LINE__, "%s: loop: %s", name, zn_strerror(rc));
  struct zn_pcapif_stats ps;
  zn_pcapif_get_stats(pi, &ps);
  res->frames_in = ps.frames_delivered;
  res->frames_out = ps.frames_written;
  zn_stats_get(st, &res->stats);
  ZT_EQU(res->stats.v[ZN_STAT_if_rx_frames], ps.frames_delivered);
  th_stack_free(st); /* checks accounting and leaks */
  zn_pcapif_close(pi);
  /* Count the answers in the output capture. */
  char err[PCAP_ERRBUF_SIZE];
  pcap_t *p = pcap_open_offline(out, err);
  if (!p) {
    zt_fail(__FILE__, __LINE__, "%s: output unreadable: %s", name, err);
    return -1;
  }
  struct pcap_pkthdr *h;
  const u_char *d;
  while (pcap_next_ex(p, &h, &d) == 1) {
    struct zn_eth_view e;
    if (zn_eth_view_init(&e, d, h->caplen) != ZN_OK) {
      zt_fail(__FILE__, __LINE__, "%s: bad frame in output", name);
      continue;
    }
    ZT_MEMEQ(zn_eth_src(&e), r->mac, 6);
    ZT_EQ(e.tagged ? zn_eth_vid(&e) : 0, r->vid);
    const uint8_t *l3 = d + e.hdr_len;
    size_t l3len = h->caplen - e.hdr_len;
    if (e.type == ZN_ETHERTYPE_ARP) {
      struct zn_arp_view a;
      if (zn_arp_view_init(&a, l3, l3len) == ZN_OK && a.op == ZN_ARP_OP_REPLY &&
          zn_arp_spa(&a) == r->ip && zn_arp_tpa(&a) == r->peer_ip &&
          memcmp(zn_arp_sha(&a), r->mac, 6) == 0 &&
          memcmp(zn_eth_dst(&e), r->peer_mac, 6) == 0)
        res->arp_replies++;
    } else if (e.type == ZN_ETHERTYPE_IPV4) {
      struct zn_ipv4_view v;
      struct zn_icmp_view iv;
      if (zn_ipv4_view_init(&v, l3, l3len) != ZN_OK || !zn_ipv4_csum_ok(&v)) {
        zt_fail(__FILE__, __LINE__, "%s: we sent a bad IPv4 header", name);
        continue;
      }
      if (v.proto == ZN_IPPROTO_ICMP && !zn_ipv4_is_fragment(&v) &&
          zn_icmp_view_init(&iv, zn_ipv4_payload(&v), zn_ipv4_payload_len(&v)) ==
              ZN_OK &&
          iv.type == ZN_ICMP_ECHO_REPLY && zn_icmp_csum_ok(&iv) && v.src == r->ip)
        res->echo_replies++;
    } else if (e.type == ZN_ETHERTYPE_IPV6) {
      struct zn_ipv6_view v;
      if (zn_ipv6_view_init(&v, l3, l3len) != ZN_OK) {
        zt_fail(__FILE__, __LINE__, "%s: we sent a bad IPv6 header", name);
        continue;
      }
      if (v.nxt == ZN_IPPROTO_ICMPV6 && zn_ipv6_payload_len(&v) >= 8 &&
          zn_ipv6_payload(&v)[0] == ZN_ICMP6_ECHO_REPLY)
        res->echo_replies++;
    }
  }
  pcap_close(p);
  return 0;
}

/* What some captures must produce. */
static const struct expect {
  const char *file;
  int arp_replies, echo_replies;
  enum zn_stat stat; /* 0: none */
  uint64_t stat_min;
} expects[] = {
    {"zeek__arp-who-has.pcap", 1, 0, ZN_STAT_arp_req_rx, 1},
    /* Two stacked 802.1Q tags (VID 666 over 200): dropped by policy. */
    {"pcpp__ArpRequestWithVlan.pcap", 0, 0, ZN_STAT_eth_drop_vlan, 1},
    /* A fuzzer frame whose source equals its destination. */
    {"tcpdump__arp-too-long-tha.pcap", 0, 0, ZN_STAT_eth_drop_src, 1},
    {"pcpp__IPv4Frag.pcap", 0, 0, ZN_STAT_ip_reass_ok, 1},
    {"tcpdump__getname_2_read4_asan.pcap", 0, 0, ZN_STAT_eth_drop_type, 1},
    {"zeek__icmp__5-pings.pcap", 0, 5, ZN_STAT_icmp_echo_rx, 5},
    {"zeek__chksums__ip4-icmp-bad-chksum.pcap", 0, 0, ZN_STAT_icmp_drop_checksum, 1},
    {"zeek__trunc__ip4-trunc.pcap", 0, 0, ZN_STAT_ip_drop_short, 1},
    {"tcpdump__ipv4_invalid_total_length.pcap", 0, 0, ZN_STAT_ip_drop_totlen, 1},
    /* A first fragment of 18 bytes with MF (not a multiple of 8), then
     * fragments that disagree about where the datagram ends. */
    {"zeek__ipv4__fragmented-1.pcap", 0, 0, ZN_STAT_ip_reass_drop_bad, 3},
    /* Five fragments of a datagram whose end was never captured. */
    {"zeek__ipv4__fragmented-3.pcap", 0, 0, ZN_STAT_ip_reass_drop_timeout, 5},
    {"pcpp__frag_http_req.pcap", 0, 0, ZN_STAT_ip_reass_ok, 1},
    {"zeek__icmp__icmp-destunreach-udp.pcap", 0, 0, ZN_STAT_icmp_rx, 1},
    /* IPv6 (run with --ipv6 over v6-dhcp/). */
    {"zeek__ip6-icmp6-bad-chksum.pcap", 0, 0, ZN_STAT_icmp6_drop_checksum, 1},
    /* Type 0 routing header, segments left 2 (RFC 5095). */
    {"zeek__ipv6-hbh-routing0.pcap", 0, 0, ZN_STAT_ip6_drop_rh0, 1},
    {"zeek__icmp6-router-solicit.pcap", 0, 0, ZN_STAT_nd_rs_ignored, 1},
    {"zeek__icmp6-router-advert.pcap", 0, 0, ZN_STAT_icmp6_ra_rx, 1},
    /* Packet too big (MTU 1280) quoting fe80::beef's datagram. */
    {"zeek__icmp6-toobig.pcap", 0, 0, ZN_STAT_icmp6_pmtu_update, 1},
};

static int cmp(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv) {
  dir = argc > 1 ? argv[1] : "../shared/traces";
  ipv6_mode = argc > 2 && strcmp(argv[2], "--ipv6") == 0;
  th_shared_all(dir);
  snprintf(outdir, sizeof(outdir), "/tmp/znet-replay-XXXXXX");
  if (!mkdtemp(outdir)) {
    perror("mkdtemp");
    return 1;
  }
  DIR *dp = opendir(dir);
  if (!dp) {
    perror(dir);
    rmdir(outdir);
    return 1;
  }
  char *names[256];
  int n = 0;
  struct dirent *de;
  while ((de = readdir(dp)) && n < 256) {
    size_t l = strlen(de->d_name);
    if (l > 5 && strcmp(de->d_name + l - 5, ".pcap") == 0)
      names[n++] = strdup(de->d_name);
  }
  closedir(dp);
  qsort(names, (size_t)n, sizeof(names[0]), cmp);
  uint64_t tot_in = 0, tot_out = 0, tot_drops = 0;
  for (int i = 0; i < n; i++) {
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
    struct role r;
    pick_role(path, &r);
    struct result res;
    memset(&res, 0, sizeof(res));
    zt_case_failed = 0;
    int before = zt_nfailed;
    (void)before;
    /* One TAP case per capture. */
    zt_ncases++;
    replay(names[i], &r, &res);
    for (size_t k = 0; k < sizeof(expects) / sizeof(expects[0]); k++) {
      const struct expect *x = &expects[k];
      if (strcmp(x->file, names[i]) != 0)
        continue;
      ZT_EQU(res.arp_replies, x->arp_replies);
      ZT_EQU(res.echo_replies, x->echo_replies);
      if (x->stat && res.stats.v[x->stat] < x->stat_min)
        zt_fail(__FILE__, __LINE__, "%s: %s = %llu, want >= %llu", names[i],
                zn_stat_name((int)x->stat),
                (unsigned long long)res.stats.v[x->stat],
                (unsigned long long)x->stat_min);
    }
    uint64_t drops = zn_stats_drops(&res.stats);
    tot_in += res.frames_in;
    tot_out += res.frames_out;
    tot_drops += drops;
    printf("# %-45s in %4llu out %3llu drops %4llu arp-replies %llu "
           "echo-replies %llu\n",
           names[i], (unsigned long long)res.frames_in,
           (unsigned long long)res.frames_out, (unsigned long long)drops,
           (unsigned long long)res.arp_replies,
           (unsigned long long)res.echo_replies);
    for (int s = 0; s < ZN_STAT_COUNT; s++)
      if (zn_stat_is_drop(s) && res.stats.v[s])
        printf("#     %s %llu\n", zn_stat_name(s),
               (unsigned long long)res.stats.v[s]);
    if (zt_case_failed) {
      zt_nfailed++;
      printf("not ok %d - %s\n", zt_ncases, names[i]);
    } else {
      printf("ok %d - %s\n", zt_ncases, names[i]);
    }
    free(names[i]);
  }
  printf("# %d captures: %llu frames in, %llu out, %llu dropped\n", n,
         (unsigned long long)tot_in, (unsigned long long)tot_out,
         (unsigned long long)tot_drops);
  char cmd[300];
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", outdir);
  if (system(cmd) != 0)
    printf("# could not remove %s\n", outdir);
  if (n < (ipv6_mode ? 20 : 40))
    zt_fail(__FILE__, __LINE__, "only %d captures found in %s", n, dir);
  return zt_done();
}
