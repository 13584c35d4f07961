/* The book's chapter 1: an ordinary C program.  znet-cc builds it, as it
 * would any program, and znet-image makes that a unikernel image:
 *
 *     znet-cc -o hello hello.c && ./hello one two           # on Linux
 *     znet-image --target spt hello                          # hello.spt
 *     solo5-spt --net:service=tap0 --block:rootfs=empty.tar hello.spt \
 *         --hostname=book -- one two                         # an image
 */
#include <stdio.h>
#include <sys/utsname.h>

int main(int argc, char **argv) {
  struct utsname u;
  printf("Hello from a znet unikernel\n");
  if (uname(&u) == 0)
    printf("%s %s on %s, host name %s\n", u.sysname, u.release, u.machine,
           u.nodename);
  for (int i = 0; i < argc; i++)
    printf("argv[%d] = %s\n", i, argv[i]);
  return 0;
}
