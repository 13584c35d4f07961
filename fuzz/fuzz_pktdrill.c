/*
 * The packetdrill script parser of znet-pktdrill (tests/conformance/
 * pd_parse.c): any text must parse or fail with a message, without
 * reading out of bounds or leaking; what parses is printed back and its
 * options encoded, as the runner does.  Scripts are only parsed here,
 * never run (they may hold shell commands).  The same bytes also go to
 * the runner's frame decoder (pd_frame_decode, pd_match.c), as an
 * Ethernet frame the stack might have sent.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "pd.h"

static const char *const defines[] = {"STANDARD", NULL};

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
  char *text = malloc(n + 1);
  if (!text)
    return 0;
  memcpy(text, d, n);
  text[n] = 0;
  struct pd_script s;
  char err[256];
  int rc = pd_parse(text, defines, &s, err, sizeof(err));
  if (rc != 0)
    FZ_CHECK(rc == -1 && err[0] != 0 && strlen(err) < sizeof(err));
  FZ_CHECK(s.nevents >= 0 && s.nevents <= s.cap);
  for (int i = 0; i < s.nevents; i++) {
    const struct pd_event *e = &s.events[i];
    char buf[512];
    if (e->kind == PD_E_PKT) {
      pd_pkt_str(&e->pkt, buf, sizeof(buf));
      FZ_CHECK(strlen(buf) < sizeof(buf));
      FZ_CHECK(e->pkt.nopts >= 0 && e->pkt.nopts <= PD_MAX_OPTS);
      uint8_t opts[40];
      if (e->pkt.has_opts && !e->pkt.opts_any) {
        int len = pd_opts_encode(e->pkt.opts, e->pkt.nopts, opts);
        FZ_CHECK(len >= -1 && len <= 40);
      }
    } else if (e->kind == PD_E_SYSCALL) {
      FZ_CHECK(e->call.nargs >= 0 && e->call.nargs <= PD_MAX_ARGS);
    }
  }
  (void)pd_option(&s, "mtu");
  struct pd_seg g;
  char why[96];
  int fr = pd_frame_decode(d, n, &g, why, sizeof(why));
  FZ_CHECK(fr >= -1 && fr <= 1);
  if (fr == 1)
    FZ_CHECK((g.ipv == 4 || g.ipv == 6) && g.optlen <= 40 && g.len < n);
  if (fr == -1)
    FZ_CHECK(why[0] != 0 && strlen(why) < sizeof(why));
  pd_free(&s);
  free(text);
  return 0;
}
