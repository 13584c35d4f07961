/*
 * The stack switch of rt/'s cooperative threads (x86_64, System V).
 *
 * zrt__switch(void **save, void *load) pushes what a call must keep
 * (rbx, rbp, r12-r15) and the floating point controls (the x87 control
 * word and MXCSR, which a thread may change with fesetround and which
 * the ABI says survive a call), stores rsp at *save, loads `load` and
 * pops the same frame from there.  The frame, from the saved rsp up:
 *
 *   0  x87 control word (2 bytes), 2 bytes unused, MXCSR (4 bytes)
 *   8  r15, r14, r13, r12, rbx, rbp
 *  56  the return address
 *
 * A new thread's stack holds such a frame (sched.c makes it) whose
 * return address is zrt__switch_trampoline.  Built without SSE
 * (-mgeneral-regs-only, for hypervisors that trap vector code) the
 * controls are neither saved nor loaded: no code touches them there.
 */
#ifdef __SSE__
#define FPU_SAVE(reg) fnstcw (reg); stmxcsr 4(reg)
#define FPU_LOAD(reg) fldcw (reg); ldmxcsr 4(reg)
#else
#define FPU_SAVE(reg)
#define FPU_LOAD(reg)
#endif

	.text

	.globl zrt__switch
	.hidden zrt__switch
	.type zrt__switch, @function
zrt__switch:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	subq $8, %rsp
	FPU_SAVE(%rsp)
	movq %rsp, (%rdi)
	movq %rsi, %rsp
	FPU_LOAD(%rsp)
	addq $8, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret
	.size zrt__switch, .-zrt__switch

/* Entered by zrt__switch's ret with rsp 16-byte aligned: a call from
 * here meets the ABI.  rbp 0 ends a debugger's walk of the frames. */
	.globl zrt__switch_trampoline
	.hidden zrt__switch_trampoline
	.type zrt__switch_trampoline, @function
zrt__switch_trampoline:
	xorl %ebp, %ebp
	call zrt__sched_thread_main@PLT
	ud2
	.size zrt__switch_trampoline, .-zrt__switch_trampoline

/* zrt__call_on_stack(fn, arg, top): fn(arg) with rsp at `top` (rounded
 * down to 16 bytes), then back on the caller's stack: a signal handler on
 * the sigaltstack.  rbp, which fn keeps, holds the caller's rsp. */
	.globl zrt__call_on_stack
	.hidden zrt__call_on_stack
	.type zrt__call_on_stack, @function
zrt__call_on_stack:
	pushq %rbp
	movq %rsp, %rbp
	andq $-16, %rdx
	movq %rdx, %rsp
	movq %rdi, %rax
	movq %rsi, %rdi
	call *%rax
	movq %rbp, %rsp
	popq %rbp
	ret
	.size zrt__call_on_stack, .-zrt__call_on_stack

	.globl zrt__switch_fpu_save
	.hidden zrt__switch_fpu_save
	.type zrt__switch_fpu_save, @function
zrt__switch_fpu_save:
	movq $0, (%rdi)
	FPU_SAVE(%rdi)
	ret
	.size zrt__switch_fpu_save, .-zrt__switch_fpu_save

	.section .note.GNU-stack, "", @progbits
