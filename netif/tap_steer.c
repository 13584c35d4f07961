/*
 * The steering rule (znet/steer.h) as an eBPF program for a multi-queue
 * TAP (TUNSETSTEERINGEBPF): the kernel runs it on each frame it sends to
 * the device, and the queue it returns is the shard's.  Assembled here,
 * instruction by instruction, so that nothing beyond the kernel's headers
 * is needed (no compiler for BPF, no libbpf).  netif/steer.c is the same
 * rule in C; test_steer holds the two together.
 *
 * Registers: r6 the packet (BPF_LD_ABS/IND read it, in host order,
 * leaving 0 and ending the program, slot 0, when past its end), r7 the
 * offset of the transport header, r8 the protocol, r9 the bucket.  The
 * flow key (struct zn_steer_key, 24 bytes) is built at r10-24; the port
 * key (u32) at r10-32.
 */
#include "znet/tap.h"

#include <errno.h>
#include <linux/bpf.h>
#include <linux/if_tun.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "znet/err.h"
#include "znet/steer.h"

#define KEY (-24)  /* the flow key's place on the stack */
#define PKEY (-32) /* the port key's */
#define K_FAMILY (KEY + (int)offsetof(struct zn_steer_key, family))
#define K_PROTO (KEY + (int)offsetof(struct zn_steer_key, proto))
#define K_LPORT (KEY + (int)offsetof(struct zn_steer_key, local_port))
#define K_PPORT (KEY + (int)offsetof(struct zn_steer_key, peer_port))
#define K_PEER(i) (KEY + (int)offsetof(struct zn_steer_key, peer) + 4 * (i))

_Static_assert(sizeof(struct zn_steer_key) == 24, "the program's key layout");

/* Labels: jumps are resolved when the program is finished. */
enum label {
  L_OTHER, L_V4, L_V4_PORTS, L_V4_ICMP, L_V4_ERR, L_V4_ERR_L4,
  L_V6, L_V6_PORTS, L_V6_ICMP, L_V6_ERR_L4, L_LOOKUP, L_PORTS, L_NLABELS
};

#define MAX_INSNS 160

struct prog {
  struct bpf_insn insn[MAX_INSNS];
  int n;
  int label[L_NLABELS];      /* instruction index of each label, -1 */
  int fixup[MAX_INSNS];      /* the label a jump at i goes to, or -1 */
  bool overflow;
};

static void emit(struct prog *p, struct bpf_insn i) {
  if (p->n >= MAX_INSNS) {
    p->overflow = true;
    return;
  }
  p->fixup[p->n] = -1;
  p->insn[p->n++] = i;
}

static struct bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src,
                            int16_t off, int32_t imm) {
  struct bpf_insn i;
  memset(&i, 0, sizeof(i));
  i.code = code;
  i.dst_reg = (uint8_t)(dst & 0xfu) & 0xfu;
  i.src_reg = (uint8_t)(src & 0xfu) & 0xfu;
  i.off = off;
  i.imm = imm;
  return i;
}

static void mark(struct prog *p, enum label l) { p->label[l] = p->n; }

/* A jump to l (if cond: BPF_JEQ... with imm; BPF_JA always). */
static void jump(struct prog *p, uint8_t op, uint8_t reg, int32_t imm,
                 enum label l) {
  int at = p->n;
  emit(p, insn((uint8_t)(BPF_JMP | op | BPF_K), reg, 0, 0, imm));
  if (at < MAX_INSNS)
    p->fixup[at] = (int)l;
}

static void mov_imm(struct prog *p, uint8_t dst, int32_t imm) {
  emit(p, insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm));
}

static void mov_reg(struct prog *p, uint8_t dst, uint8_t src) {
  emit(p, insn(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0));
}

static void alu_imm(struct prog *p, uint8_t op, uint8_t dst, int32_t imm) {
  emit(p, insn((uint8_t)(BPF_ALU64 | op | BPF_K), dst, 0, 0, imm));
}

static void alu_reg(struct prog *p, uint8_t op, uint8_t dst, uint8_t src) {
  emit(p, insn((uint8_t)(BPF_ALU64 | op | BPF_X), dst, src, 0, 0));
}

/* r0 = the packet's SIZE at offset imm (BPF_LD_ABS). */
static void ld_abs(struct prog *p, uint8_t size, int32_t imm) {
  emit(p, insn((uint8_t)(BPF_LD | BPF_ABS | size), 0, 0, 0, imm));
}

/* r0 = the packet's SIZE at offset reg + imm (BPF_LD_IND). */
static void ld_ind(struct prog *p, uint8_t size, uint8_t reg, int32_t imm) {
  emit(p, insn((uint8_t)(BPF_LD | BPF_IND | size), 0, reg, 0, imm));
}

/* *(SIZE *)(r10 + off) = reg */
static void st_reg(struct prog *p, uint8_t size, int16_t off, uint8_t reg) {
  emit(p, insn((uint8_t)(BPF_STX | BPF_MEM | size), BPF_REG_10, reg, off, 0));
}

static void st_imm(struct prog *p, uint8_t size, int16_t off, int32_t imm) {
  emit(p, insn((uint8_t)(BPF_ST | BPF_MEM | size), BPF_REG_10, 0, off, imm));
}

static void ld_mem(struct prog *p, uint8_t size, uint8_t dst, uint8_t src,
                   int16_t off) {
  emit(p, insn((uint8_t)(BPF_LDX | BPF_MEM | size), dst, src, off, 0));
}

/* r1 = the map of fd (a 16-byte BPF_LD_IMM64 with BPF_PSEUDO_MAP_FD). */
static void ld_map(struct prog *p, int fd) {
  /* BPF_LD | BPF_DW | BPF_IMM: the class and the mode are 0. */
  emit(p, insn(BPF_DW, BPF_REG_1, BPF_PSEUDO_MAP_FD, 0, fd));
  emit(p, insn(0, 0, 0, 0, 0));
}

static void call(struct prog *p, int32_t helper) {
  emit(p, insn(BPF_JMP | BPF_CALL, 0, 0, 0, helper));
}

static void ret_imm(struct prog *p, int32_t v) {
  mov_imm(p, BPF_REG_0, v);
  emit(p, insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
}

/* The ports of the segment at reg: the peer's first as the peer sent
 * them, swapped for a segment we sent (quoted in an error). */
static void ports(struct prog *p, uint8_t reg, bool ours) {
  ld_ind(p, BPF_H, reg, 0);
  st_reg(p, BPF_H, (int16_t)(ours ? K_LPORT : K_PPORT), BPF_REG_0);
  ld_ind(p, BPF_H, reg, 2);
  st_reg(p, BPF_H, (int16_t)(ours ? K_PPORT : K_LPORT), BPF_REG_0);
}

/* r8 TCP or UDP: on to yes; else slot 0. */
static void want_l4(struct prog *p, enum label yes) {
  jump(p, BPF_JEQ, BPF_REG_8, 6, yes);
  jump(p, BPF_JEQ, BPF_REG_8, 17, yes);
  jump(p, BPF_JA, 0, 0, L_OTHER);
}

/* The peer's address, n words from the packet at off, into the key. */
static void peer_words(struct prog *p, uint8_t reg, int32_t off, int n) {
  for (int i = 0; i < n; i++) {
    if (reg == 0)
      ld_abs(p, BPF_W, off + 4 * i);
    else
      ld_ind(p, BPF_W, reg, off + 4 * i);
    st_reg(p, BPF_W, (int16_t)K_PEER(i), BPF_REG_0);
  }
}

/* dst = 4 * (the low nibble of the byte at reg + off), or slot 0 when
 * under 5 (an IPv4 header's length). */
static void ihl(struct prog *p, uint8_t dst, uint8_t reg, int32_t off) {
  if (reg == 0)
    ld_abs(p, BPF_B, off);
  else
    ld_ind(p, BPF_B, reg, off);
  alu_imm(p, BPF_AND, BPF_REG_0, 0xf);
  jump(p, BPF_JLT, BPF_REG_0, 5, L_OTHER);
  alu_imm(p, BPF_LSH, BPF_REG_0, 2);
  mov_reg(p, dst, BPF_REG_0);
}

static void ipv4(struct prog *p) {
  mark(p, L_V4);
  st_imm(p, BPF_B, K_FAMILY, 4);
  ld_abs(p, BPF_H, 14 + 6); /* a fragment: slot 0 */
  alu_imm(p, BPF_AND, BPF_REG_0, 0x3fff);
  jump(p, BPF_JNE, BPF_REG_0, 0, L_OTHER);
  ihl(p, BPF_REG_7, 0, 14); /* r7 = the transport header */
  alu_imm(p, BPF_ADD, BPF_REG_7, 14);
  ld_abs(p, BPF_B, 14 + 9);
  mov_reg(p, BPF_REG_8, BPF_REG_0);
  jump(p, BPF_JEQ, BPF_REG_8, 1, L_V4_ICMP);
  want_l4(p, L_V4_PORTS);

  mark(p, L_V4_PORTS);
  st_reg(p, BPF_B, K_PROTO, BPF_REG_8);
  peer_words(p, 0, 14 + 12, 1); /* the source */
  ports(p, BPF_REG_7, false);
  jump(p, BPF_JA, 0, 0, L_LOOKUP);

  mark(p, L_V4_ICMP); /* unreachable, time exceeded, parameter problem */
  ld_ind(p, BPF_B, BPF_REG_7, 0);
  jump(p, BPF_JEQ, BPF_REG_0, 3, L_V4_ERR);
  jump(p, BPF_JEQ, BPF_REG_0, 11, L_V4_ERR);
  jump(p, BPF_JEQ, BPF_REG_0, 12, L_V4_ERR);
  jump(p, BPF_JA, 0, 0, L_OTHER);
  mark(p, L_V4_ERR); /* the quoted header at r7 + 8; its segment at r9 */
  ihl(p, BPF_REG_9, BPF_REG_7, 8);
  alu_reg(p, BPF_ADD, BPF_REG_9, BPF_REG_7);
  alu_imm(p, BPF_ADD, BPF_REG_9, 8);
  ld_ind(p, BPF_B, BPF_REG_7, 8 + 9);
  mov_reg(p, BPF_REG_8, BPF_REG_0);
  want_l4(p, L_V4_ERR_L4);
  mark(p, L_V4_ERR_L4);
  st_reg(p, BPF_B, K_PROTO, BPF_REG_8);
  peer_words(p, BPF_REG_7, 8 + 16, 1); /* we sent it: the destination */
  ports(p, BPF_REG_9, true);
  jump(p, BPF_JA, 0, 0, L_LOOKUP);
}

static void ipv6(struct prog *p) {
  mark(p, L_V6);
  st_imm(p, BPF_B, K_FAMILY, 6);
  mov_imm(p, BPF_REG_7, 14 + 40);
  ld_abs(p, BPF_B, 14 + 6); /* the first next header */
  mov_reg(p, BPF_REG_8, BPF_REG_0);
  jump(p, BPF_JEQ, BPF_REG_8, 58, L_V6_ICMP);
  want_l4(p, L_V6_PORTS);

  mark(p, L_V6_PORTS);
  st_reg(p, BPF_B, K_PROTO, BPF_REG_8);
  peer_words(p, 0, 14 + 8, 4); /* the source */
  ports(p, BPF_REG_7, false);
  jump(p, BPF_JA, 0, 0, L_LOOKUP);

  mark(p, L_V6_ICMP); /* types 1 to 4: the quoted header at 62 */
  ld_abs(p, BPF_B, 14 + 40);
  alu_imm(p, BPF_SUB, BPF_REG_0, 1);
  jump(p, BPF_JGT, BPF_REG_0, 3, L_OTHER);
  ld_abs(p, BPF_B, 14 + 48 + 6);
  mov_reg(p, BPF_REG_8, BPF_REG_0);
  want_l4(p, L_V6_ERR_L4);
  mark(p, L_V6_ERR_L4);
  st_reg(p, BPF_B, K_PROTO, BPF_REG_8);
  peer_words(p, 0, 14 + 48 + 24, 4); /* we sent it: the destination */
  mov_imm(p, BPF_REG_9, 14 + 48 + 40);
  ports(p, BPF_REG_9, true);
  jump(p, BPF_JA, 0, 0, L_LOOKUP);
}

/* Steps 2 and 3: the flow table, else the bucket's slot in the port
 * table, else slot 0. */
static void lookup(struct prog *p, int flows_fd, int ports_fd) {
  mark(p, L_LOOKUP);
  mov_reg(p, BPF_REG_2, BPF_REG_10);
  alu_imm(p, BPF_ADD, BPF_REG_2, KEY);
  ld_map(p, flows_fd);
  call(p, BPF_FUNC_map_lookup_elem);
  jump(p, BPF_JEQ, BPF_REG_0, 0, L_PORTS);
  ld_mem(p, BPF_W, BPF_REG_0, BPF_REG_0, 0);
  emit(p, insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));

  mark(p, L_PORTS); /* r9 = zn_steer_bucket() */
  ld_mem(p, BPF_W, BPF_REG_1, BPF_REG_10, (int16_t)K_PEER(0));
  for (int i = 1; i < 4; i++) {
    ld_mem(p, BPF_W, BPF_REG_2, BPF_REG_10, (int16_t)K_PEER(i));
    alu_reg(p, BPF_XOR, BPF_REG_1, BPF_REG_2);
  }
  ld_mem(p, BPF_H, BPF_REG_2, BPF_REG_10, (int16_t)K_PPORT);
  alu_imm(p, BPF_LSH, BPF_REG_2, 16);
  ld_mem(p, BPF_H, BPF_REG_3, BPF_REG_10, (int16_t)K_LPORT);
  alu_reg(p, BPF_OR, BPF_REG_2, BPF_REG_3);
  alu_reg(p, BPF_XOR, BPF_REG_1, BPF_REG_2);
  emit(p, insn(BPF_ALU | BPF_MUL | BPF_K, BPF_REG_1, 0, 0,
               (int32_t)0x9e3779b1u));
  emit(p, insn(BPF_ALU | BPF_RSH | BPF_K, BPF_REG_1, 0, 0, 24));
  mov_reg(p, BPF_REG_9, BPF_REG_1);
  ld_mem(p, BPF_B, BPF_REG_1, BPF_REG_10, K_PROTO); /* zn_steer_port_key() */
  alu_imm(p, BPF_LSH, BPF_REG_1, 16);
  alu_reg(p, BPF_OR, BPF_REG_1, BPF_REG_3);
  st_reg(p, BPF_W, PKEY, BPF_REG_1);
  mov_reg(p, BPF_REG_2, BPF_REG_10);
  alu_imm(p, BPF_ADD, BPF_REG_2, PKEY);
  ld_map(p, ports_fd);
  call(p, BPF_FUNC_map_lookup_elem);
  jump(p, BPF_JEQ, BPF_REG_0, 0, L_OTHER);
  alu_reg(p, BPF_ADD, BPF_REG_0, BPF_REG_9);
  ld_mem(p, BPF_B, BPF_REG_0, BPF_REG_0, 0);
  emit(p, insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
}

static void assemble(struct prog *p, int flows_fd, int ports_fd) {
  memset(p, 0, sizeof(*p));
  for (int i = 0; i < L_NLABELS; i++)
    p->label[i] = -1;
  mov_reg(p, BPF_REG_6, BPF_REG_1);
  for (int off = KEY; off < 0; off += 8)
    st_imm(p, BPF_DW, (int16_t)off, 0);
  st_imm(p, BPF_DW, PKEY, 0);
  ld_abs(p, BPF_H, 12);
  jump(p, BPF_JEQ, BPF_REG_0, 0x0800, L_V4);
  jump(p, BPF_JEQ, BPF_REG_0, 0x86dd, L_V6);
  mark(p, L_OTHER);
  ret_imm(p, 0);
  ipv4(p);
  ipv6(p);
  lookup(p, flows_fd, ports_fd);
  for (int i = 0; i < p->n; i++)
    if (p->fixup[i] >= 0)
      p->insn[i].off = (int16_t)(p->label[p->fixup[i]] - i - 1);
}

static int sys_bpf(int cmd, union bpf_attr *a) {
  return (int)syscall(SYS_bpf, cmd, a, sizeof(*a));
}

static int errno_code(int e) {
  switch (e) {
  case EPERM:
  case EACCES:
    return ZN_EPERM;
  case ENOMEM:
  case E2BIG:
    return ZN_ENOMEM;
  case ENOENT:
    return ZN_ENOENT;
  case EINVAL:
    return ZN_EINVAL;
  case ENOSYS:
    return ZN_ENOTSUP;
  default:
    return ZN_EIO;
  }
}

static int map_create(uint32_t key, uint32_t value, uint32_t max, int *fd) {
  union bpf_attr a;
  memset(&a, 0, sizeof(a));
  a.map_type = BPF_MAP_TYPE_HASH;
  a.key_size = key;
  a.value_size = value;
  a.max_entries = max;
  a.map_flags = BPF_F_NO_PREALLOC;
  *fd = sys_bpf(BPF_MAP_CREATE, &a);
  return *fd < 0 ? errno_code(errno) : ZN_OK;
}

/* The program into the kernel; with s, the verifier's words into s->log. */
static int prog_load(const struct prog *p, struct zn_tap_steer *s) {
  union bpf_attr a;
  memset(&a, 0, sizeof(a));
  a.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
  a.insns = (uint64_t)(uintptr_t)p->insn;
  a.insn_cnt = (uint32_t)p->n;
  a.license = (uint64_t)(uintptr_t) "Dual BSD/GPL";
  if (s != NULL) {
    a.log_buf = (uint64_t)(uintptr_t)s->log;
    a.log_size = sizeof(s->log);
    a.log_level = 1;
  }
  return sys_bpf(BPF_PROG_LOAD, &a);
}

int zn_tap_steer_open(struct zn_tap_steer *s, uint32_t max_flows,
                      uint32_t max_ports) {
  if (s == NULL || max_flows == 0 || max_ports == 0)
    return ZN_EINVAL;
  memset(s, 0, sizeof(*s));
  s->prog_fd = s->flows_fd = s->ports_fd = -1;
  int rc = map_create(sizeof(struct zn_steer_key), 4, max_flows, &s->flows_fd);
  if (rc == ZN_OK)
    rc = map_create(4, ZN_STEER_BUCKETS, max_ports, &s->ports_fd);
  if (rc != ZN_OK) {
    zn_tap_steer_close(s);
    return rc;
  }
  static struct prog p; /* 2.5 KiB: not on a thread's small stack */
  assemble(&p, s->flows_fd, s->ports_fd);
  if (p.overflow) {
    zn_tap_steer_close(s);
    return ZN_ENOMEM;
  }
  s->prog_fd = prog_load(&p, NULL);
  if (s->prog_fd < 0) {
    /* Again with the verifier's words, for s->log (a log too small for
     * them is an error of its own: only the first error counts). */
    rc = errno_code(errno);
    (void)prog_load(&p, s);
    zn_tap_steer_close(s);
    return rc;
  }
  s->insns = (uint32_t)p.n;
  return ZN_OK;
}

int zn_tap_steer_attach(const struct zn_tap_steer *s, int queue_fd) {
  if (s == NULL || s->prog_fd < 0 || queue_fd < 0)
    return ZN_EINVAL;
  int fd = s->prog_fd;
  return ioctl(queue_fd, TUNSETSTEERINGEBPF, &fd) == 0 ? ZN_OK
                                                       : errno_code(errno);
}

static int map_update(int fd, const void *key, const void *value) {
  union bpf_attr a;
  memset(&a, 0, sizeof(a));
  a.map_fd = (uint32_t)fd;
  a.key = (uint64_t)(uintptr_t)key;
  a.value = (uint64_t)(uintptr_t)value;
  a.flags = BPF_ANY;
  return sys_bpf(BPF_MAP_UPDATE_ELEM, &a) == 0 ? ZN_OK : errno_code(errno);
}

static int map_delete(int fd, const void *key) {
  union bpf_attr a;
  memset(&a, 0, sizeof(a));
  a.map_fd = (uint32_t)fd;
  a.key = (uint64_t)(uintptr_t)key;
  return sys_bpf(BPF_MAP_DELETE_ELEM, &a) == 0 ? ZN_OK : errno_code(errno);
}

int zn_tap_steer_flow_set(const struct zn_tap_steer *s,
                          const struct zn_steer_key *key, uint32_t slot) {
  if (s == NULL || key == NULL)
    return ZN_EINVAL;
  return map_update(s->flows_fd, key, &slot);
}

int zn_tap_steer_flow_clear(const struct zn_tap_steer *s,
                            const struct zn_steer_key *key) {
  if (s == NULL || key == NULL)
    return ZN_EINVAL;
  return map_delete(s->flows_fd, key);
}

int zn_tap_steer_port_set(const struct zn_tap_steer *s, uint8_t proto,
                          uint16_t port,
                          const uint8_t slots[ZN_STEER_BUCKETS]) {
  if (s == NULL || slots == NULL)
    return ZN_EINVAL;
  uint32_t k = zn_steer_port_key(proto, port);
  return map_update(s->ports_fd, &k, slots);
}

int zn_tap_steer_port_clear(const struct zn_tap_steer *s, uint8_t proto,
                            uint16_t port) {
  if (s == NULL)
    return ZN_EINVAL;
  uint32_t k = zn_steer_port_key(proto, port);
  return map_delete(s->ports_fd, &k);
}

/* BPF_PROG_TEST_RUN hands a socket filter the frame after an Ethernet
 * header it strips (eth_type_trans), where the TAP hands it the whole
 * frame: put a header of padding in front. */
int zn_tap_steer_run(const struct zn_tap_steer *s, const uint8_t *frame,
                     size_t len, uint32_t *slot) {
  static uint8_t buf[14 + 65536];
  if (s == NULL || frame == NULL || slot == NULL || len > 65536)
    return ZN_EINVAL;
  memset(buf, 0, 14);
  buf[12] = 0x88, buf[13] = 0xb5; /* not IP: the kernel looks no further */
  memcpy(buf + 14, frame, len);
  union bpf_attr a;
  memset(&a, 0, sizeof(a));
  a.test.prog_fd = (uint32_t)s->prog_fd;
  a.test.data_in = (uint64_t)(uintptr_t)buf;
  a.test.data_size_in = (uint32_t)(len + 14);
  a.test.repeat = 1;
  if (sys_bpf(BPF_PROG_TEST_RUN, &a) != 0)
    return errno_code(errno);
  *slot = a.test.retval;
  return ZN_OK;
}

static void close_fd(int *fd) {
  if (*fd >= 0)
    close(*fd);
  *fd = -1;
}

void zn_tap_steer_close(struct zn_tap_steer *s) {
  if (s == NULL)
    return;
  close_fd(&s->prog_fd);
  close_fd(&s->flows_fd);
  close_fd(&s->ports_fd);
}
