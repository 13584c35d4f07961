/*
 * hvt only (znet-image links it into --target hvt images): run the
 * program at CPL 3 where the hypervisor emulates CPL 0.
 *
 * Solo5's hvt tender starts the guest at CPL 0.  Where /dev/kvm is PVM
 * (kvm_pvm, a KVM that needs no VMX or SVM: the "pagetable-based virtual
 * machine" of some nested clouds, this machine's among them) guest user
 * mode runs on the CPU, but guest kernel mode of a guest not written for
 * PVM is stepped through KVM's instruction emulator: thousands of cycles
 * an instruction, and the first instruction the emulator lacks -- SSE
 * arithmetic, "movq %rbx,%xmm0", x87 arithmetic, stmxcsr -- stops the
 * guest with "KVM: internal error exit: suberror=0x1"
 * (KVM_INTERNAL_ERROR_EMULATION).  musl and the runtime use SSE from
 * their first lines.  At CPL 3 the same code runs natively, SSE and
 * all (tests/solo5/hvt-probe.sh shows both).
 *
 * zrt_plat_enter, first thing in solo5_app_main, times a few hundred
 * instructions; at more than ZRT_HVT_EMULATED cycles an instruction it
 * drops to CPL 3: the tender's own mapping copied with U set
 * (copy_tender_map), a GDT of Solo5's entries and two user segments,
 * and iretq.  What Solo5's bindings still do that CPL 3 may not -- the
 * tender's hypercalls (outl %eax,(%dx)), cli/sti, wrmsr of FS_BASE
 * (solo5_set_tls_base, at each thread switch) -- raise #GP; zrt_hvt_gp,
 * at CPL 0 on Solo5's trap stack, does the OUT or the WRMSR itself,
 * skips cli/sti, and returns past the instruction: a hypercall costs an
 * exception and a few dozen emulated instructions more.  Any other #GP
 * goes on to Solo5's handler, which reports it as before, as Solo5
 * reports every other trap.  Where CPL 0 runs at the CPU's speed (KVM
 * on VMX or SVM) nothing changes.
 *
 * The TSC reads the same at both levels there (the probe's "clock"
 * step), so Solo5's clocks run on across the switch.
 *
 * Compiled -mgeneral-regs-only: nothing here may use SSE before the
 * switch.
 */
#include <solo5.h>
#include <stdbool.h>
#include <stdint.h>

#include "rt.h"

/* Cycles an instruction above which CPL 0 counts as emulated: natively
 * about 1, under PVM's emulator thousands. */
#define ZRT_HVT_EMULATED 50u
#define PROBE_ITERATIONS 200ull

#define GDT_USER_DATA 5
#define GDT_USER_CODE 6
#define SEL_USER_DATA (GDT_USER_DATA * 8 + 3)
#define SEL_USER_CODE (GDT_USER_CODE * 8 + 3)
#define GP_VECTOR 13
#define IST_TRAP 2 /* Solo5's trap stack */

#define PTE_P 0x1ull
#define PTE_RW 0x2ull
#define PTE_U 0x4ull
#define PTE_PS 0x80ull
#define ADDR_MASK 0x000ffffffffff000ull

static uint64_t pml4[512] __attribute__((aligned(4096)));
static uint64_t pdpt[512] __attribute__((aligned(4096)));
static uint64_t pd[4][512] __attribute__((aligned(4096)));
static uint64_t pt0[512] __attribute__((aligned(4096)));
static uint64_t gdt[GDT_USER_CODE + 1] __attribute__((aligned(16)));

struct __attribute__((packed)) dtr {
  uint16_t limit;
  uint64_t base;
};

/* Solo5's #GP handler, where zrt_hvt_gp sends what it does not do. */
uint64_t zrt_hvt_gp_next;
void zrt_hvt_gp(void);

/* On Solo5's trap stack: rcx, rax (pushed here), then the CPU's error
 * code, rip, cs, rflags, rsp, ss. */
__asm__(".text\n"
        ".globl zrt_hvt_gp\n"
        ".type zrt_hvt_gp, @function\n"
        "zrt_hvt_gp:\n"
        "  pushq %rax\n"
        "  pushq %rcx\n"
        "  movq 24(%rsp), %rax\n"
        "  movzbl (%rax), %ecx\n"
        "  cmpl $0xef, %ecx\n"
        "  je 1f\n"
        "  cmpl $0xfa, %ecx\n"
        "  je 3f\n"
        "  cmpl $0xfb, %ecx\n"
        "  je 3f\n"
        "  cmpw $0x300f, (%rax)\n"
        "  je 2f\n"
        "0:\n"
        "  popq %rcx\n"
        "  popq %rax\n"
        "  jmp *zrt_hvt_gp_next(%rip)\n"
        "1:\n" /* outl %eax, (%dx): the program's eax and dx */
        "  movq 8(%rsp), %rax\n"
        "  outl %eax, (%dx)\n"
        "  jmp 3f\n"
        "2:\n" /* wrmsr, of FS_BASE only */
        "  movq (%rsp), %rcx\n"
        "  cmpl $0xc0000100, %ecx\n"
        "  jne 0b\n"
        "  movq 8(%rsp), %rax\n"
        "  wrmsr\n"
        "  addq $1, 24(%rsp)\n"
        "3:\n"
        "  addq $1, 24(%rsp)\n"
        "  popq %rcx\n"
        "  popq %rax\n"
        "  addq $8, %rsp\n"
        "  iretq\n"
        ".size zrt_hvt_gp, .-zrt_hvt_gp\n");

static void say(const char *s) {
  size_t n = 0;
  while (s[n])
    n++;
  solo5_console_write(s, n);
}

static void say_u(uint64_t v) {
  char b[21];
  int i = 20;
  b[i] = 0;
  do
    b[--i] = (char)('0' + v % 10);
  while ((v /= 10) != 0);
  say(b + i);
}

static inline uint64_t tsc(void) {
  uint32_t lo, hi;
  __asm__ __volatile__("lfence; rdtsc" : "=a"(lo), "=d"(hi)::"memory");
  return ((uint64_t)hi << 32) | lo;
}

/* The fewest cycles, of three runs, for PROBE_ITERATIONS iterations of
 * a three-instruction loop. */
static uint64_t probe_cycles(void) {
  uint64_t best = UINT64_MAX;
  for (int run = 0; run < 3; run++) {
    uint64_t n = PROBE_ITERATIONS, t0 = tsc();
    __asm__ __volatile__("1: addq $1, %%rax\n"
                         "   subq $1, %0\n"
                         "   jnz 1b\n"
                         : "+r"(n)::"rax", "cc");
    uint64_t t = tsc() - t0;
    if (t < best)
      best = t;
  }
  return best;
}

static inline void load_cr3(uint64_t v) {
  __asm__ __volatile__("movq %0, %%cr3" ::"r"(v) : "memory");
}

/* The tender's mapping, with U set.  Its tables lie in the first 64 KiB,
 * which it leaves unmapped: read them through an identity map of the
 * first 4 GiB first.  Its layout: one PML4 entry, up to four PDPT
 * entries, 2 MiB pages but for a table of 4 KiB pages for the first
 * 2 MiB.  false (the tender's tables still in use) for any other. */
static bool copy_tender_map(void) {
  uint64_t cr3;
  __asm__ __volatile__("movq %%cr3, %0" : "=r"(cr3));
  for (uint64_t i = 0; i < 4; i++) {
    for (uint64_t j = 0; j < 512; j++)
      pd[i][j] = (i << 30 | j << 21) | PTE_P | PTE_RW | PTE_PS;
    pdpt[i] = (uint64_t)pd[i] | PTE_P | PTE_RW | PTE_U;
  }
  pml4[0] = (uint64_t)pdpt | PTE_P | PTE_RW | PTE_U;
  load_cr3((uint64_t)pml4);

  const uint64_t *t4 = (const uint64_t *)(cr3 & ADDR_MASK);
  const uint64_t *t3 = (const uint64_t *)(t4[0] & ADDR_MASK);
  bool ok = (t4[0] & PTE_P) != 0;
  for (int i = 1; i < 512 && ok; i++)
    ok = (t4[i] & PTE_P) == 0;
  for (int i = 4; i < 512 && ok; i++)
    ok = (t3[i] & PTE_P) == 0;
  static uint64_t copy[4][512] __attribute__((aligned(4096)));
  for (int i = 0; i < 4 && ok; i++) {
    if (!(t3[i] & PTE_P)) {
      pdpt[i] = 0;
      continue;
    }
    const uint64_t *t2 = (const uint64_t *)(t3[i] & ADDR_MASK);
    for (int j = 0; j < 512 && ok; j++) {
      uint64_t e = t2[j];
      if (!(e & PTE_P) || (e & PTE_PS)) {
        copy[i][j] = e & PTE_P ? e | PTE_U : 0;
        continue;
      }
      ok = i == 0 && j == 0; /* the one table of 4 KiB pages */
      const uint64_t *t1 = (const uint64_t *)(e & ADDR_MASK);
      for (int k = 0; k < 512 && ok; k++)
        pt0[k] = t1[k] & PTE_P ? t1[k] | PTE_U : 0;
      copy[i][j] = (uint64_t)pt0 | PTE_P | PTE_RW | PTE_U;
    }
  }
  if (!ok) {
    load_cr3(cr3);
    return false;
  }
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 512; j++)
      pd[i][j] = copy[i][j];
  load_cr3((uint64_t)pml4);
  return true;
}

/* Solo5's GDT (null, code, data, the TSS's two) and two user segments;
 * #GP to zrt_hvt_gp.  false, nothing changed, if Solo5's GDT is not of
 * five entries. */
static bool tables(void) {
  struct dtr d;
  __asm__ __volatile__("sgdt %0" : "=m"(d));
  if (d.limit + 1u != GDT_USER_DATA * 8u)
    return false;
  const uint64_t *old = (const uint64_t *)d.base;
  for (int i = 0; i < GDT_USER_DATA; i++)
    gdt[i] = old[i];
  gdt[GDT_USER_DATA] = 0x00cff3000000ffffull; /* data, DPL 3 */
  gdt[GDT_USER_CODE] = 0x00affb000000ffffull; /* 64-bit code, DPL 3 */
  struct dtr n = {sizeof gdt - 1, (uint64_t)gdt};
  __asm__ __volatile__("lgdt %0" ::"m"(n) : "memory");

  __asm__ __volatile__("sidt %0" : "=m"(d));
  /* gates of 16 bytes */
  uint64_t *gate = (uint64_t *)d.base + (size_t)2 * GP_VECTOR;
  zrt_hvt_gp_next =
      (gate[0] & 0xffff) | ((gate[0] >> 32) & 0xffff0000u) | (gate[1] << 32);
  uint64_t f = (uint64_t)zrt_hvt_gp;
  uint64_t sel = gate[0] >> 16 & 0xffff; /* Solo5's code segment */
  gate[1] = f >> 32;
  gate[0] = (f & 0xffff) | (sel << 16) | ((uint64_t)IST_TRAP << 32) |
            (0x8eull << 40) | ((f >> 16 & 0xffff) << 48);
  return true;
}

void zrt_plat_enter(void) {
  uint64_t per = probe_cycles() / (3 * PROBE_ITERATIONS);
  if (per <= ZRT_HVT_EMULATED)
    return;
  if (!copy_tender_map() || !tables()) {
    say("znet: hvt: the hypervisor emulates CPL 0, but the tender's page "
        "tables or Solo5's GDT are not as expected: staying at CPL 0\n");
    return;
  }
  __asm__ __volatile__("movq %%rsp, %%rax\n"
                       "pushq %0\n"
                       "pushq %%rax\n"
                       "pushfq\n"
                       "pushq %1\n"
                       "leaq 1f(%%rip), %%rax\n"
                       "pushq %%rax\n"
                       "iretq\n"
                       "1:\n"
                       :
                       : "i"(SEL_USER_DATA), "i"(SEL_USER_CODE)
                       : "rax", "memory");
  say("znet: hvt: the hypervisor emulates CPL 0 (");
  say_u(per);
  say(" cycles an instruction): the program runs at CPL 3\n");
}
