# zrt_clone on Linux, for znet-cc's programs run where they are built
# (rt/musl/clone.c calls it): the kernel's clone(2).
#
#   int zrt_clone(int (*func)(void *), void *stack, int flags, void *arg,
#                 int *ptid, void *tls, int *ctid)
#
# The child starts on `stack` with func and arg popped from it, calls
# func(arg) and exits with its value; the parent gets the child's id.
	.text
	.global zrt_clone
	.type   zrt_clone,@function
zrt_clone:
	and $-16,%rsi
	sub $16,%rsi
	mov %rdi,(%rsi)         # func and arg, for the child
	mov %rcx,8(%rsi)
	mov %edx,%edi           # flags
	mov %r8,%rdx            # parent's tid pointer
	mov 8(%rsp),%r10        # child's tid pointer
	mov %r9,%r8             # tls
	mov $56,%eax            # SYS_clone
	syscall
	test %eax,%eax
	jnz 1f
	xor %ebp,%ebp           # the child: a fresh frame chain
	pop %rax
	pop %rdi
	call *%rax
	mov %eax,%edi
	mov $60,%eax            # SYS_exit (this thread only)
	syscall
	hlt
1:	ret
	.size zrt_clone,.-zrt_clone
	.section .note.GNU-stack,"",@progbits
