/*
 * Names inside an image: getaddrinfo of each argument (tests/rt/images.sh
 * boots it with --dns and a dnsmasq on the TAP's far side, and an
 * /etc/hosts in the root archive).  Prints "NAME: ok ADDR" or
 * "NAME: ERROR -".
 */
#include <stdio.h>
#include <netdb.h>
#include <arpa/inet.h>
#include <string.h>
int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *r = 0;
    int rc = getaddrinfo(argv[i], "80", &hints, &r);
    char buf[64] = "-";
    if (rc == 0) inet_ntop(AF_INET, &((struct sockaddr_in *)r->ai_addr)->sin_addr, buf, sizeof buf);
    printf("%s: %s %s\n", argv[i], rc ? gai_strerror(rc) : "ok", buf);
  }
  return 0;
}
