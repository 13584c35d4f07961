/* A program of libznet-http's, built by scripts/install-check with
 * `pkg-config znet-http` alone: a request head fed in two pieces to the
 * parser, what it read of it, and a path out of the root refused. */
#include <stdio.h>
#include <string.h>

#include "znet/err.h"
#include "znet/http.h"

int main(void) {
  static const char req[] = "GET /docs/./index.html?q=1 HTTP/1.1\r\n"
                            "Host: example.com\r\n"
                            "Connection: close\r\n\r\n";
  char buf[ZN_DEFAULT_HTTP_HEAD_MAX];
  struct zn_http_head h;
  size_t used = 0, used2 = 0;
  if (zn_http_head_init(&h, NULL, buf, sizeof buf) != ZN_OK)
    return 1;
  if (zn_http_head_feed(&h, req, 20, &used) != ZN_HTTP_HEAD_NEED_MORE ||
      zn_http_head_feed(&h, req + 20, sizeof req - 21, &used2) !=
          ZN_HTTP_HEAD_DONE)
    return 1;
  char path[256];
  struct zn_http_path p;
  if (zn_http_target_path(h.req.target.p, h.req.target.len, path, sizeof path,
                          &p) != ZN_OK)
    return 1;
  int ok = h.req.method == ZN_HTTP_METHOD_GET && !h.req.keep_alive &&
           h.req.host.len == 11 && strcmp(path, "docs/index.html") == 0 &&
           zn_http_target_path("/a/../b", 7, path, sizeof path, &p) == ZN_EPERM;
  printf("GET of /docs/./index.html on %.*s, \"..\" refused: %s\n",
         (int)h.req.host.len, h.req.host.p, ok ? "as sent" : "WRONG");
  return ok ? 0 : 1;
}
