/* znet-boot's parts (oci/): what the container's network is, read from
 * rtnetlink and /etc/resolv.conf, and the netlink requests that join a
 * TAP to it.  Only oci/'s files and the fuzz harness include this.
 *
 * Every byte of a netlink answer, of /etc/resolv.conf and of the
 * environment is checked here before it is used: the parsers
 * (boot_parse.c) take a buffer and its length, read nothing past it, and
 * refuse what does not fit their structures. */
#ifndef ZN_OCI_BOOT_H
#define ZN_OCI_BOOT_H

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- what the container's interface is ------------------------------- */

/* The routes of the interface kept to be put back when znet-boot ends
 * (removing its last IPv4 address makes the kernel drop them): the main
 * table's unicast routes through it that the kernel did not make from an
 * address.  A pod has two or three (a /32's link route to its gateway,
 * the default); more than this many are not put back, and said so. */
#define BOOT_MAX_ROUTES 16
/* /etc/resolv.conf's nameservers passed on: the runtime takes three
 * (rt/start.c's MAX_DNS), as the C library's resolver does. */
#define BOOT_MAX_DNS 3

struct boot_link {
  int ifindex;
  char name[IF_NAMESIZE];
  uint8_t mac[6];
  uint32_t mtu;
  bool is_ether; /* ARPHRD_ETHER with a 6-byte address */
  bool is_loopback;
};

struct boot_addr4 {
  struct in_addr local;   /* IFA_LOCAL: the address */
  struct in_addr peer;    /* IFA_ADDRESS (the same but on point to point) */
  struct in_addr brd;     /* IFA_BROADCAST, if has_brd */
  uint8_t prefix;         /* 0..32 */
  uint8_t scope;
  bool has_brd;
};

struct boot_addr6 {
  struct in6_addr addr;
  uint8_t prefix; /* 0..128 */
};

struct boot_route {
  struct in_addr dst;     /* RTA_DST; 0.0.0.0 for the default */
  struct in_addr gw;      /* RTA_GATEWAY, if has_gw */
  struct in_addr prefsrc; /* RTA_PREFSRC, if has_prefsrc */
  uint32_t priority;      /* RTA_PRIORITY, if has_priority */
  uint8_t dst_len;
  uint8_t scope;
  uint8_t protocol;
  bool has_gw;
  bool has_prefsrc;
  bool has_priority;
};

/* What a link, address or route message of a dump said, for the one
 * interface that matters. */
struct boot_net {
  struct boot_link link;     /* the container's interface */
  struct boot_addr4 addr4;   /* its first IPv4 address, if has_addr4 */
  struct boot_addr6 addr6;   /* its first global IPv6 address, if has_addr6 */
  struct boot_route routes[BOOT_MAX_ROUTES];
  int nroutes;
  int routes_left_out;       /* past BOOT_MAX_ROUTES */
  struct in_addr gateway;    /* the default route's, if has_gateway */
  uint32_t gateway_priority;
  struct in6_addr gateway6;  /* IPv6's default route's, if has_gateway6 */
  uint32_t gateway6_priority;
  bool has_gateway6;
  bool has_addr4;
  bool has_addr6;
  bool has_gateway;
  int naddr4;                /* IPv4 addresses seen on it (only the first used) */
};

/* ---- parsers: pure, over bytes (boot_parse.c) ------------------------ */

/* The attributes of one level (a message's payload after its fixed
 * header, or a nest): tb[type] is the last attribute of each type up to
 * max (those above max are skipped), its payload inside [p, p + len).
 * Returns false, tb left partly filled, if an attribute's length runs
 * past len or is shorter than its header. */
bool boot_attrs(const void *p, size_t len, const struct rtattr **tb,
                unsigned max);

/* One RTM_NEWLINK message (the whole nlmsghdr, len bytes of it) into l.
 * false if it is not a well-formed link message (l then undefined). */
bool boot_parse_link(const struct nlmsghdr *h, size_t len,
                     struct boot_link *l);

/* One RTM_NEWADDR message: if it is an address of ifindex, records it in
 * net (the first IPv4 one, the first global IPv6 one that is neither
 * tentative nor deprecated).  false if malformed. */
bool boot_parse_addr(const struct nlmsghdr *h, size_t len, int ifindex,
                     struct boot_net *net);

/* One RTM_NEWROUTE message: if it is a main-table unicast IPv4 route
 * through ifindex, records the default gateway (the lowest priority's)
 * and keeps the route in net->routes unless the kernel made it from an
 * address; if it is IPv6's default route through ifindex, records its
 * gateway (IPv6 routes outlive the address: none is kept).  false if
 * malformed. */
bool boot_parse_route(const struct nlmsghdr *h, size_t len, int ifindex,
                      struct boot_net *net);

/* resolv.conf(5)'s text, len bytes: the addresses of its first
 * BOOT_MAX_DNS "nameserver" lines that are IPv4 or IPv6 addresses (a
 * scope suffix "%eth0" left out), as text into out[i] (INET6_ADDRSTRLEN
 * each).  Returns how many. */
int boot_parse_resolv(const char *text, size_t len,
                      char out[BOOT_MAX_DNS][INET6_ADDRSTRLEN]);

/* A decimal number of MiB for --mem, 1..65536, with nothing after it.
 * false otherwise. */
bool boot_parse_mem(const char *s, unsigned *mib);

/* ---- the container's memory ------------------------------------------ */

#define BOOT_MEM_UNLIMITED UINT64_MAX
/* cgroup v1 has no word for "no limit": it writes the largest
 * page-aligned long.  Anything from 2^62 on is taken as none. */
#define BOOT_MEM_LIMIT_NONE_ABOVE (1ull << 62)

/* A cgroup file's text, len bytes: cgroup v2's memory.max ("max" or a
 * number of bytes) or v1's memory.limit_in_bytes, a newline after it or
 * not.  True and *bytes (BOOT_MEM_UNLIMITED for none), or false. */
bool boot_parse_mem_limit(const char *text, size_t len, uint64_t *bytes);

/* The image's memory under a limit: limit less reserve, in whole MiB
 * (down), at most 65536; 0 when the reserve takes it all. */
unsigned boot_mem_under_limit(uint64_t limit, uint64_t reserve);

/* Word w written into out (cap bytes, with its NUL) so that the image,
 * which splits its command line as a shell splits words (rt/start.c's
 * next_word), reads it back as it is: as it is when every byte is a
 * letter, a digit or one of _-+=/.,:@%^, else in single quotes, each
 * quote in it as '''.  Its length, or 0 if it does not fit. */
size_t boot_quote_word(const char *w, char *out, size_t cap);

/* The host name, if it is 1..63 letters, digits, '-' or '.' (what the
 * runtime's --hostname and a DNS label take): true. */
bool boot_hostname_ok(const char *s);

/* ---- the image's disks (ZNET_VOLUMES) --------------------------------- */

#define BOOT_MAX_VOLUMES 8
#define BOOT_VOLUME_DEFAULT (1ull << 30) /* a disk file made without SIZE */

/* One of the image's disks: its device (znet-image --volume NAME), the
 * container's directory that holds its file (a PersistentVolumeClaim's
 * mount: DIR/NAME.disk) and where the image mounts it (the same DIR),
 * and the file's size when znet-boot makes it. */
struct boot_volume {
  char name[64];
  char dir[256];
  uint64_t bytes;
};

/* One word of ZNET_VOLUMES, len bytes: NAME:DIR[:SIZE], NAME 1..63
 * letters and digits, DIR absolute (under 250 bytes, no ':'), SIZE
 * bytes or a number and K, M, G or T (powers of 1024), 64 KiB to 16
 * TiB.  True and *v, or false. */
bool boot_parse_volume(const char *s, size_t len, struct boot_volume *v);

/* The stop signal for an image's --signal-port: the UDP datagram `text`
 * from src (the image's gateway: the only source it takes a signal
 * from) to dst:port, in an Ethernet frame to mac from a locally
 * administered address.  Its length, or 0 if it does not fit cap. */
size_t boot_signal_frame(uint8_t *out, size_t cap, const uint8_t mac[6],
                         struct in_addr src, struct in_addr dst,
                         uint16_t port, const char *text);

/* ---- netlink (boot_nl.c) --------------------------------------------- */

/* A request being built: the header, then the payload, then attributes. */
struct boot_msg {
  union {
    struct nlmsghdr h;
    unsigned char bytes[1024];
  } u;
};

struct boot_nl {
  int fd;
  uint32_t seq;
};

/* Each message of a dump; returns false to stop with an error (a
 * malformed message). */
typedef bool (*boot_nl_each)(const struct nlmsghdr *h, size_t len,
                             void *ctx);

int boot_nl_open(struct boot_nl *nl);
void boot_nl_close(struct boot_nl *nl);

/* A new message of type and flags (NLM_F_REQUEST is added), with a
 * zeroed fixed header of hdrlen bytes; returns that header. */
void *boot_msg_init(struct boot_msg *m, uint16_t type, uint16_t flags,
                    size_t hdrlen);
/* An attribute at the end of m.  Returns false if it does not fit (the
 * message is then not to be sent). */
bool boot_msg_put(struct boot_msg *m, uint16_t type, const void *data,
                  size_t len);
/* A nest opened and closed: open returns its offset in m, or 0 if it
 * does not fit. */
size_t boot_msg_nest(struct boot_msg *m, uint16_t type);
void boot_msg_nest_end(struct boot_msg *m, size_t at);

/* Sends m and reads the kernel's answer: with each, a dump whose every
 * message goes to each until NLMSG_DONE; without, the acknowledgment.
 * Returns 0, or -errno (the kernel's refusal, or a socket error, or
 * -EBADMSG for a malformed answer, -E2BIG for a dump past its bound). */
int boot_nl_talk(struct boot_nl *nl, struct boot_msg *m, boot_nl_each each,
                 void *ctx);

/* ---- the container's network (boot_net.c) ---------------------------- */

/* Reads the interface (eth0, else the only non-loopback Ethernet one),
 * its addresses and routes into net.  Returns 0 or -errno; *why names
 * what failed. */
int boot_net_read(struct boot_nl *nl, struct boot_net *net, const char **why);

/* The TAP the tender opens by name: persistent (nobody holds it until
 * the tender does; Solo5's attach by descriptor, @N, reads a stale errno
 * and fails), so removed by boot_tap_remove, and one a killed znet-boot
 * left is taken again rather than a second made. */
#define BOOT_TAP "zntap0"

/* BOOT_TAP made (or taken again), persistent and up; its index.  Returns
 * 0 or -errno. */
int boot_tap_make(int *ifindex);
int boot_tap_remove(struct boot_nl *nl, int ifindex);

/* tc between the interface and the TAP: an ingress qdisc on each and a
 * filter matching every frame that redirects it to the other's egress.
 * Returns 0 or -errno. */
int boot_join(struct boot_nl *nl, int ifindex, int tap_ifindex);

/* The interface's addresses taken away (the unikernel has them now), and
 * given back with the kept routes; the interface's ingress qdisc (and its
 * filter) removed.  Each returns 0 or the first -errno (and goes on). */
int boot_unaddr(struct boot_nl *nl, const struct boot_net *net);
int boot_restore(struct boot_nl *nl, const struct boot_net *net);
int boot_unjoin(struct boot_nl *nl, int ifindex);

/* ---- files for the image (boot_tar.c) ----------------------------------- */

/* Directory dir's tree (ZNET_FILES: a ConfigMap's or Secret's mount) as
 * a ustar archive written to the file out_fd (the caller's: left open):
 * 0 or -errno; *left_out the entries ustar cannot carry, or that could
 * not be read. */
int boot_tar_dir(const char *dir, int out_fd, unsigned *left_out);

/* A frame (boot_signal_frame's) sent on the TAP, which gives it to the
 * tender as the unikernel's input: 0 or -errno. */
int boot_signal_send(int tap_ifindex, const uint8_t *frame, size_t len);

#endif
