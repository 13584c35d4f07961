/*
 * hvt_probe: a bare Solo5 program (no znet) that runs one CPU feature
 * at a time and says so before and after, to find which instruction a
 * hypervisor cannot run.  Built with Solo5's own toolchain (hvt-probe.sh):
 *
 *   solo5-hvt hvt_probe.hvt STEP...
 *
 * Each STEP prints "probe: STEP at cpl N" before and "probe: STEP ok
 * ..." after; the step the guest does not survive is the last "at"
 * line, and the tender says why.  Compiled -mgeneral-regs-only: the only
 * SSE/x87 instructions in the image are the probe_* routines below (objdump -d
 * shows them).
 *
 * Steps: regs cpuid loop yield clock sse-reg sse-ld-stack sse-ld-data
 * sse-ld-fresh sse-st pxor mulps mulps-mem cvtsi2sd x87 fxsave stmxcsr
 * xgetbv ring3.  "ring3" drops to CPL 3 (page tables with U set, user
 * segments, a #GP handler that does the tender's port hypercalls and
 * skips cli/sti for CPL 3); the steps after it run in user mode.  regs
 * and xgetbv need CPL 0.
 */
#include "solo5.h"

typedef unsigned long u64;
typedef unsigned int u32;

/* ---- output, without the C library ------------------------------------ */

static u64 slen(const char *s) {
  u64 n = 0;
  while (s[n])
    n++;
  return n;
}

static void say(const char *s) { solo5_console_write(s, slen(s)); }

static void hex(u64 v) {
  char b[19];
  b[0] = '0';
  b[1] = 'x';
  for (int i = 0; i < 16; i++)
    b[2 + i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 15];
  b[18] = 0;
  int z = 2;
  while (z < 17 && b[z] == '0')
    z++;
  b[z - 2] = '0';
  b[z - 1] = 'x';
  say(b + z - 2);
}

static void dec(u64 v) {
  char b[21];
  int i = 20;
  b[i] = 0;
  do
    b[--i] = (char)('0' + v % 10);
  while ((v /= 10) != 0);
  say(b + i);
}

static int same(const char *a, const char *b) {
  while (*a && *a == *b)
    a++, b++;
  return *a == *b;
}

/* ---- the instructions under test, each its own routine ------------------ */

__asm__(".text\n"
        ".globl probe_sse_reg\n"
        "probe_sse_reg:\n"
        "  movaps %xmm1, %xmm0\n"
        "  ret\n"
        ".globl probe_ld_a\n"
        "probe_ld_a:\n" /* aligned 16-byte load from (%rdi) */
        "  movdqa (%rdi), %xmm0\n"
        "  ret\n"
        ".globl probe_ld_u\n"
        "probe_ld_u:\n" /* unaligned 16-byte load from (%rdi) */
        "  movups (%rdi), %xmm0\n"
        "  ret\n"
        ".globl probe_st\n"
        "probe_st:\n" /* aligned 16-byte store to (%rdi) */
        "  movaps %xmm0, (%rdi)\n"
        "  ret\n"
        ".globl probe_pxor\n"
        "probe_pxor:\n"
        "  pxor %xmm0, %xmm0\n"
        "  ret\n"
        ".globl probe_mulps\n"
        "probe_mulps:\n"
        "  mulps %xmm1, %xmm0\n"
        "  ret\n"
        ".globl probe_mulps_mem\n"
        "probe_mulps_mem:\n"
        "  mulps (%rdi), %xmm0\n"
        "  ret\n"
        ".globl probe_cvtsi2sd\n"
        "probe_cvtsi2sd:\n"
        "  cvtsi2sd %edi, %xmm0\n"
        "  ret\n"
        ".globl probe_x87\n"
        "probe_x87:\n"
        "  fld1\n"
        "  fstp %st(0)\n"
        "  ret\n"
        ".globl probe_fxsave\n"
        "probe_fxsave:\n"
        "  fxsave (%rdi)\n"
        "  ret\n"
        ".globl probe_stmxcsr\n"
        "probe_stmxcsr:\n"
        "  stmxcsr (%rdi)\n"
        "  ret\n"
        ".globl probe_xgetbv\n"
        "probe_xgetbv:\n"
        "  xorl %ecx, %ecx\n"
        "  xgetbv\n"
        "  shlq $32, %rdx\n"
        "  orq %rdx, %rax\n"
        "  ret\n"
        ".globl probe_loop\n"
        "probe_loop:\n" /* %rdi iterations of three integer instructions */
        "1: addq $1, %rax\n"
        "  subq $1, %rdi\n"
        "  jnz 1b\n"
        "  ret\n"
        /*
         * #GP at CPL 0 on behalf of CPL 3: the tender's hypercalls are
         * "outl %eax, %dx" (0xef) and Solo5 brackets some code with
         * cli/sti (0xfa/0xfb), all refused at CPL 3 with IOPL 0.  Do
         * the OUT here, skip cli/sti, step over the byte, return.
         * Stack: rcx rdx rax | error code, rip, cs, rflags, rsp, ss.
         */
        ".globl probe_gp\n"
        "probe_gp:\n"
        "  pushq %rax\n"
        "  pushq %rdx\n"
        "  pushq %rcx\n"
        "  movq 32(%rsp), %rcx\n"
        "  movzbl (%rcx), %ecx\n"
        "  cmpl $0xef, %ecx\n"
        "  jne 2f\n"
        "  movq 8(%rsp), %rdx\n"
        "  movq 16(%rsp), %rax\n"
        "  outl %eax, %dx\n"
        "  jmp 3f\n"
        "2: cmpl $0xfa, %ecx\n"
        "  je 3f\n"
        "  cmpl $0xfb, %ecx\n"
        "  je 3f\n"
        "  ud2\n"
        "3: addq $1, 32(%rsp)\n"
        "  popq %rcx\n"
        "  popq %rdx\n"
        "  popq %rax\n"
        "  addq $8, %rsp\n"
        "  iretq\n");

void probe_gp(void);
void probe_sse_reg(void);
void probe_ld_a(const void *);
void probe_ld_u(const void *);
void probe_st(void *);
void probe_pxor(void);
void probe_mulps(void);
void probe_mulps_mem(const void *);
void probe_cvtsi2sd(int);
void probe_x87(void);
void probe_fxsave(void *);
void probe_stmxcsr(void *);
u64 probe_xgetbv(void);
void probe_loop(u64);

static u64 rdtsc(void) {
  u32 lo, hi;
  __asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
  return ((u64)hi << 32) | lo;
}

static void cpuid(u32 leaf, u32 r[4]) {
  __asm__ __volatile__("cpuid"
                       : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
                       : "a"(leaf), "c"(0));
}

/* ---- CPL 3 ----------------------------------------------------------- */

static u64 pt[3][512] __attribute__((aligned(4096)));
static u64 gdt[8] __attribute__((aligned(16)));

struct __attribute__((packed)) dtr {
  unsigned short limit;
  u64 base;
};

/*
 * Identity-map the first GiB with 2 MiB pages, user-accessible (the
 * probe needs no more: 512 MiB at most, no net ring); a GDT with Solo5's
 * five entries (null, code, data, TSS) and user data (5) and user code
 * (6); #GP to probe_gp; iretq to CPL 3, interrupts off as Solo5 keeps
 * them.
 */
static void enter_ring3(void) {
  for (u64 i = 0; i < 512; i++)
    pt[2][i] = (i << 21) | 0x87; /* P RW U PS */
  pt[1][0] = (u64)pt[2] | 7;
  pt[0][0] = (u64)pt[1] | 7;
  __asm__ __volatile__("movq %0, %%cr3" ::"r"((u64)pt[0]) : "memory");

  struct dtr old;
  __asm__ __volatile__("sgdt %0" : "=m"(old));
  const u64 *g = (const u64 *)old.base;
  for (int i = 0; i < 5; i++)
    gdt[i] = g[i];
  gdt[5] = 0x00cff3000000ffffUL; /* data, DPL 3 */
  gdt[6] = 0x00affb000000ffffUL; /* 64-bit code, DPL 3 */
  struct dtr d = {sizeof gdt - 1, (u64)gdt};
  __asm__ __volatile__("lgdt %0" ::"m"(d));

  /* vector 13 (#GP): probe_gp, kernel code, IST 2 (Solo5's trap stack) */
  struct dtr idt;
  __asm__ __volatile__("sidt %0" : "=m"(idt));
  u64 *gate = (u64 *)idt.base + 2 * 13, f = (u64)probe_gp;
  gate[0] = (f & 0xffff) | (8UL << 16) | (2UL << 32) | (0x8eUL << 40) |
            ((f >> 16 & 0xffff) << 48);
  gate[1] = f >> 32;

  __asm__ __volatile__("movq %%rsp, %%rax\n"
                       "pushq $(5 * 8 + 3)\n"
                       "pushq %%rax\n"
                       "pushq $0x0002\n"
                       "pushq $(6 * 8 + 3)\n"
                       "leaq 1f(%%rip), %%rax\n"
                       "pushq %%rax\n"
                       "iretq\n"
                       "1:\n" ::
                           : "rax", "memory");
}

static int cpl(void) {
  unsigned short cs;
  __asm__ __volatile__("movw %%cs, %0" : "=r"(cs));
  return cs & 3;
}

/* ---- the steps ---------------------------------------------------------- */

static unsigned char data16[32] __attribute__((aligned(16))) = {1, 2, 3};

static void step(const char *name, const struct solo5_start_info *si) {
  static unsigned char area[512] __attribute__((aligned(16)));
  unsigned char stack16[32] __attribute__((aligned(16))) = {4, 5, 6};
  u32 r[4];
  u64 v;

  say("probe: ");
  say(name);
  say(" at cpl ");
  dec((u64)cpl());
  say("\n");

  if (same(name, "regs")) {
    u64 cr0, cr4;
    u32 lo, hi;
    __asm__ __volatile__("movq %%cr0, %0" : "=r"(cr0));
    __asm__ __volatile__("movq %%cr4, %0" : "=r"(cr4));
    __asm__ __volatile__("rdmsr" : "=a"(lo), "=d"(hi) : "c"(0xc0000080));
    say("probe: regs ok cr0=");
    hex(cr0);
    say(" cr4=");
    hex(cr4);
    say(" (osfxsr ");
    dec((cr4 >> 9) & 1);
    say(" osxmmexcpt ");
    dec((cr4 >> 10) & 1);
    say(" osxsave ");
    dec((cr4 >> 18) & 1);
    say(") efer=");
    hex(((u64)hi << 32) | lo);
    say("\n");
    return;
  }
  if (same(name, "cpuid")) {
    char sig[13];
    cpuid(1, r);
    say("probe: cpuid ok leaf1 ecx=");
    hex(r[2]);
    say(" edx=");
    hex(r[3]);
    say(" (sse2 ");
    dec((r[3] >> 26) & 1);
    say(" xsave ");
    dec((r[2] >> 26) & 1);
    say(" osxsave ");
    dec((r[2] >> 27) & 1);
    say(" hypervisor ");
    dec((r[2] >> 31) & 1);
    cpuid(0x40000000, r);
    for (int i = 0; i < 4; i++) {
      sig[i] = (char)(r[1] >> (8 * i));
      sig[4 + i] = (char)(r[2] >> (8 * i));
      sig[8 + i] = (char)(r[3] >> (8 * i));
    }
    for (int i = 0; i < 12; i++)
      if (sig[i] < 32 || sig[i] > 126)
        sig[i] = '.';
    sig[12] = 0;
    say(") 0x40000000 eax=");
    hex(r[0]);
    say(" '");
    say(sig);
    say("'\n");
    return;
  }
  if (same(name, "loop")) {
    u64 n = 20000, t0 = rdtsc(), t1;
    probe_loop(n);
    t1 = rdtsc();
    say("probe: loop ok ");
    dec(n);
    say(" iterations of 3 instructions, ");
    dec((t1 - t0) / n);
    say(" TSC cycles each\n");
    return;
  }
  if (same(name, "yield")) {
    /* a hypercall (HVT_HYPERCALL_POLL) that returns at once */
    solo5_handle_set_t ready;
    u64 n = 200, t0 = rdtsc(), t1;
    for (u64 i = 0; i < n; i++)
      solo5_yield(0, &ready);
    t1 = rdtsc();
    say("probe: yield ok ");
    dec(n);
    say(" hypercalls, ");
    dec((t1 - t0) / n);
    say(" TSC cycles each\n");
    return;
  }
  if (same(name, "clock")) {
    say("probe: clock ok tsc=");
    dec(rdtsc());
    say(" monotonic=");
    dec(solo5_clock_monotonic());
    say(" wall=");
    dec(solo5_clock_wall());
    say("\n");
    return;
  }
  if (same(name, "sse-reg"))
    probe_sse_reg();
  else if (same(name, "sse-ld-stack"))
    probe_ld_a(stack16);
  else if (same(name, "sse-ld-data"))
    probe_ld_u(data16 + 1);
  else if (same(name, "sse-ld-fresh")) {
    /* a heap page never touched before, written, then loaded */
    unsigned char *p = (unsigned char *)((si->heap_start + 0x10fff) & ~0xfffUL);
    p[0] = 9;
    probe_ld_a(p);
  } else if (same(name, "sse-st"))
    probe_st(stack16);
  else if (same(name, "pxor"))
    probe_pxor();
  else if (same(name, "mulps"))
    probe_mulps();
  else if (same(name, "mulps-mem"))
    probe_mulps_mem(data16);
  else if (same(name, "cvtsi2sd"))
    probe_cvtsi2sd(3);
  else if (same(name, "x87"))
    probe_x87();
  else if (same(name, "fxsave"))
    probe_fxsave(area);
  else if (same(name, "stmxcsr")) {
    probe_stmxcsr(area);
    say("probe: mxcsr=");
    hex(*(u32 *)area);
    say("\n");
  } else if (same(name, "xgetbv")) {
    v = probe_xgetbv();
    say("probe: xcr0=");
    hex(v);
    say("\n");
  } else if (same(name, "ring3")) {
    enter_ring3();
  } else {
    say("probe: unknown step\n");
    return;
  }
  say("probe: ");
  say(name);
  say(" ok\n");
}

int solo5_app_main(const struct solo5_start_info *si) {
  const char *p = si->cmdline;
  char w[32];

  say("probe: start\n");
  while (*p) {
    while (*p == ' ')
      p++;
    int n = 0;
    while (*p && *p != ' ' && n < 31)
      w[n++] = *p++;
    w[n] = 0;
    if (n)
      step(w, si);
  }
  say("probe: done\n");
  return 0;
}
