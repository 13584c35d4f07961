# The threads and signals of znet-cc's programs run on Linux, where they are built
# (configure's test programs, a quick try): rt/musl/clone.c and
# __unmapself.c call these, which the kernel answers.  In an image the
# runtime's scheduler has the same two functions (rt/sched.c).
#
#   long zrt_clone(int (*fn)(void *), void *arg, void *stack,
#                  unsigned long flags, int *ptid, uintptr_t tls, int *ctid,
#                  void *floor)
#
# clone(2): the child starts on `stack` with fn and arg popped from it,
# calls fn(arg) and exits with its value; the parent gets the child's id
# or a negative errno.  `floor` (the stack's lowest byte, for the image's
# sentinel) is not read: the kernel's guard page is there.
#
#   void zrt_unmapself(void *base, size_t size)
#
# munmap(2) of the stack the caller runs on, then exit(2) of the thread,
# with nothing on the stack in between.
	.text
	.global zrt_clone
	.type   zrt_clone,@function
zrt_clone:
	and $-16,%rdx
	sub $16,%rdx
	mov %rdi,(%rdx)         # fn and arg, for the child
	mov %rsi,8(%rdx)
	mov %rcx,%rdi           # flags
	mov %rdx,%rsi           # the child's stack
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

	.global zrt_unmapself
	.type   zrt_unmapself,@function
zrt_unmapself:
	mov $11,%eax            # SYS_munmap(base, size)
	syscall
	xor %edi,%edi
	mov $60,%eax            # SYS_exit(0)
	syscall
	hlt
	.size zrt_unmapself,.-zrt_unmapself
	.section .note.GNU-stack,"",@progbits

# The return from a signal handler on Linux: musl's __restore_rt (rt/musl/
# restore.s), which the kernel returns to after a handler, jumps here,
# with the stack as the kernel left it; rt_sigreturn(2) resumes the
# interrupted code.  (In an image handlers are called directly and
# return normally: rt/sys.c's zrt_sigreturn is never reached.)
	.text
	.global zrt_sigreturn
	.type   zrt_sigreturn,@function
zrt_sigreturn:
	mov $15,%eax            # SYS_rt_sigreturn
	syscall
	hlt
	.size zrt_sigreturn,.-zrt_sigreturn
	.section .note.GNU-stack,"",@progbits
