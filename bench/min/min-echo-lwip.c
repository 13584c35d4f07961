/*
 * The smallest TCP echo server on lwIP 2.1 (NO_SYS=1, raw API), for the
 * footprint comparison beside min-echo-znet.c: the same driver (drv.h),
 * the same service (TCP echo on port 7, one copy into the send buffer),
 * bench/lwip/lwipopts.h.  Built by bench/lwip/build at -Os; never run.
 */
#include <string.h>

#include "drv.h"
#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/tcp.h"
#include "lwip/timeouts.h"
#include "netif/ethernet.h"
#include "lwip/etharp.h"

static struct netif nif;
static uint8_t txbuf[1514];

u32_t sys_now(void) { return (u32_t)(drv_now_ns() / 1000000u); }

static err_t linkoutput(struct netif *n, struct pbuf *p) {
  (void)n;
  u16_t len = pbuf_copy_partial(p, txbuf, sizeof(txbuf), 0);
  drv_tx(txbuf, len);
  return ERR_OK;
}

static err_t nif_init(struct netif *n) {
  n->output = etharp_output;
  n->linkoutput = linkoutput;
  n->mtu = 1500;
  n->hwaddr_len = 6;
  n->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_LINK_UP;
  return ERR_OK;
}

static err_t echo(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err) {
  (void)arg;
  (void)err;
  if (p == NULL) {
    tcp_close(pcb);
    return ERR_OK;
  }
  for (struct pbuf *q = p; q != NULL; q = q->next)
    if (tcp_write(pcb, q->payload, q->len, TCP_WRITE_FLAG_COPY) != ERR_OK)
      break;
  tcp_recved(pcb, p->tot_len);
  pbuf_free(p);
  tcp_output(pcb);
  return ERR_OK;
}

static err_t accept_one(void *arg, struct tcp_pcb *pcb, err_t err) {
  (void)arg;
  (void)err;
  tcp_recv(pcb, echo);
  return ERR_OK;
}

int main(void) {
  lwip_init();
  ip4_addr_t addr, mask, gw;
  IP4_ADDR(&addr, 10, 0, 0, 2);
  IP4_ADDR(&mask, 255, 255, 255, 0);
  ip4_addr_set_zero(&gw);
  netif_add(&nif, &addr, &mask, &gw, NULL, nif_init, netif_input);
  netif_set_default(&nif);
  netif_set_up(&nif);
  struct tcp_pcb *l = tcp_new();
  tcp_bind(l, IP_ADDR_ANY, 7);
  l = tcp_listen(l);
  tcp_accept(l, accept_one);
  for (;;) {
    struct pbuf *p = pbuf_alloc(PBUF_RAW, PBUF_POOL_BUFSIZE, PBUF_POOL);
    if (p != NULL) {
      size_t n = drv_rx(p->payload, p->len);
      if (n > 0) {
        pbuf_realloc(p, (u16_t)n);
        if (nif.input(p, &nif) != ERR_OK)
          pbuf_free(p);
      } else {
        pbuf_free(p);
      }
    }
    sys_check_timeouts();
    drv_wait((uint64_t)sys_timeouts_sleeptime() * 1000000u + drv_now_ns());
  }
}
