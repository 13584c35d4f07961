# libznet-rt: musl's signal restorer on x86_64 (installed as
# src/signal/x86_64/restore.s; musl's own issues the syscall instruction
# itself).  The kernel returns here after a handler (musl's sigaction
# passes it as sa_restorer); a jump, not a call, so the stack stays as
# the kernel left it for rt_sigreturn(2): rt/linux_clone.s on Linux.  In
# an image the runtime calls handlers directly and never comes here.
	.text
	.global __restore
	.hidden __restore
	.type __restore,@function
__restore:
	.global __restore_rt
	.hidden __restore_rt
	.type __restore_rt,@function
__restore_rt:
	jmp zrt_sigreturn
	.size __restore,.-__restore
	.size __restore_rt,.-__restore_rt
