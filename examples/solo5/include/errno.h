/* errno for znet's Solo5 runtime: one global (a unikernel has one
 * thread), and the values its functions set, numbered as on Linux. */
#ifndef ZN_SOLO5_ERRNO_H
#define ZN_SOLO5_ERRNO_H

extern int errno;

#define ENOENT 2
#define EIO 5
#define ENOMEM 12
#define EINVAL 22
#define ERANGE 34
#define ENOSYS 38

#endif
