# libznet-rt: musl's cancellable system call on x86_64 (installed over
# its syscall_cp.s).  Same contract as the one it replaces, which
# pthread_cancel relies on: __syscall_cp_asm(&cancel_flag, n, a, b, c,
# d, e, f) tests the flag between __cp_begin and the call, and
# __cp_cancel is where a cancelled thread goes.  The call is a call of
# zrt_syscall(n, a, b, c, d, e, f), not the syscall instruction.
	.text
	.global __cp_begin
	.hidden __cp_begin
	.global __cp_end
	.hidden __cp_end
	.global __cp_cancel
	.hidden __cp_cancel
	.hidden __cancel
	.global __syscall_cp_asm
	.hidden __syscall_cp_asm
	.type   __syscall_cp_asm,@function
__syscall_cp_asm:
__cp_begin:
	mov (%rdi),%eax
	test %eax,%eax
	jnz __cp_cancel
	# (flag, n, a, b, c, d | e, f on the stack) -> (n, a, b, c, d, e | f)
	mov %rsi,%rdi
	mov %rdx,%rsi
	mov %rcx,%rdx
	mov %r8,%rcx
	mov %r9,%r8
	mov 8(%rsp),%r9
	mov 16(%rsp),%rax
	# f as the seventh argument; the push also aligns the stack to 16.
	push %rax
	call zrt_syscall
	add $8,%rsp
__cp_end:
	ret
__cp_cancel:
	jmp __cancel
