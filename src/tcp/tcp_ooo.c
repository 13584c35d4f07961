/*
 * Out-of-order receive queue (RFC 9293 §3.10.7.4: segments beyond rcv_nxt
 * "may be held for later processing").
 *
 * The held buffers are the nodes of an AVL tree keyed by the sequence
 * number of their first byte; the node fields live in each buffer's cb.
 * AVL rather than a treap or skip list because the peer chooses the keys:
 * a hash-priority treap with a fixed hash could be fed keys that make it a
 * list, an AVL tree stays within 1.45 * log2(n) levels whatever arrives.
 *
 * Invariants (zn__tcp_ooo_check tests all of them):
 *   - held segments never overlap and are non-empty; in-order walk gives
 *     them by rising sequence, all within [rcv_nxt, rcv_nxt + 2^31) of the
 *     latest rcv_nxt seen, so modulo-2^32 comparison is a total order;
 *   - each node summarizes its subtree: lowest start (sub_lo), highest end
 *     (sub_hi), payload bytes (sub_bytes).  A subtree holds one contiguous
 *     run exactly when sub_hi - sub_lo == sub_bytes.  These summaries let
 *     "where does the run around x end", "how many bytes are held below x"
 *     and "first held byte after x" be answered in O(log n), so inserting
 *     a segment that straddles many held ones, and every SACK block, cost
 *     O(log n) instead of a walk;
 *   - a held FIN lies at or after every held byte.
 *
 * Only two tree updates are needed: insert a node and remove the lowest.
 * Both are recursive, to a depth bounded by the tree height (< 48 even for
 * 2^32 nodes).
 */
#include <stdalign.h>
#include <string.h>

#include "tcp/tcp_ooo.h"
#include "tcp/tcp_seq.h"

struct ooo_node {
  struct zn_buf *left, *right;
  uint32_t seq;       /* sequence number of data[0] */
  uint32_t sub_lo;    /* lowest seq in this subtree */
  uint32_t sub_hi;    /* end (one past) of the highest segment in it */
  uint32_t sub_bytes; /* payload bytes in it */
  uint8_t height;     /* AVL height: a leaf is 1 */
};

_Static_assert(sizeof(struct ooo_node) <= ZN_BUF_CB_SIZE,
               "ooo node must fit in a buffer's cb");
_Static_assert(alignof(struct ooo_node) <= 8, "cb is only 8-aligned");

/* Largest distance from rcv_nxt that can still be ordered. */
#define OOO_SPAN 0x7fffffffu

static struct ooo_node *nd(struct zn_buf *b) {
  return (struct ooo_node *)(void *)b->cb;
}

static const struct ooo_node *cnd(const struct zn_buf *b) {
  return (const struct ooo_node *)(const void *)b->cb;
}

static uint32_t seg_end(const struct zn_buf *b) {
  return cnd(b)->seq + b->len;
}

static unsigned height(const struct zn_buf *b) {
  return b ? cnd(b)->height : 0u;
}

static bool contiguous(const struct ooo_node *n) {
  return n->sub_hi - n->sub_lo == n->sub_bytes;
}

/* Recompute b's height and summaries from its children. */
static void update(struct zn_buf *b) {
  struct ooo_node *n = nd(b);
  unsigned hl = height(n->left), hr = height(n->right);
  n->height = (uint8_t)(1u + (hl > hr ? hl : hr));
  n->sub_bytes = b->len;
  n->sub_lo = n->seq;
  n->sub_hi = n->seq + b->len;
  if (n->left) {
    n->sub_bytes += nd(n->left)->sub_bytes;
    n->sub_lo = nd(n->left)->sub_lo;
  }
  if (n->right) {
    n->sub_bytes += nd(n->right)->sub_bytes;
    n->sub_hi = nd(n->right)->sub_hi;
  }
}

static struct zn_buf *rotate_right(struct zn_buf *t) {
  struct zn_buf *l = nd(t)->left;
  nd(t)->left = nd(l)->right;
  update(t);
  nd(l)->right = t;
  update(l);
  return l;
}

static struct zn_buf *rotate_left(struct zn_buf *t) {
  struct zn_buf *r = nd(t)->right;
  nd(t)->right = nd(r)->left;
  update(t);
  nd(r)->left = t;
  update(r);
  return r;
}

/* Restore the AVL balance at t, whose subtrees are balanced and differ in
 * height by at most 2; returns the new subtree root. */
static struct zn_buf *rebalance(struct zn_buf *t) {
  struct ooo_node *n = nd(t);
  unsigned hl = height(n->left), hr = height(n->right);
  if (hl > hr + 1) {
    if (height(nd(n->left)->left) < height(nd(n->left)->right))
      n->left = rotate_left(n->left);
    return rotate_right(t);
  }
  if (hr > hl + 1) {
    if (height(nd(n->right)->right) < height(nd(n->right)->left))
      n->right = rotate_right(n->right);
    return rotate_left(t);
  }
  update(t);
  return t;
}

/* NOLINTNEXTLINE(misc-no-recursion): depth <= the AVL height, < 48 */
static struct zn_buf *tree_insert(struct zn_buf *t, struct zn_buf *b) {
  if (t == NULL)
    return b;
  struct ooo_node *n = nd(t);
  if (zn__seq_lt(nd(b)->seq, n->seq))
    n->left = tree_insert(n->left, b);
  else
    n->right = tree_insert(n->right, b);
  return rebalance(t);
}

/* Unlink the lowest node of t into *min; returns the new subtree root.
 * NOLINTNEXTLINE(misc-no-recursion): depth <= the AVL height, < 48 */
static struct zn_buf *tree_remove_min(struct zn_buf *t, struct zn_buf **min) {
  struct ooo_node *n = nd(t);
  if (n->left == NULL) {
    *min = t;
    return n->right;
  }
  n->left = tree_remove_min(n->left, min);
  return rebalance(t);
}

static struct zn_buf *tree_min(struct zn_buf *t) {
  if (t)
    while (nd(t)->left)
      t = nd(t)->left;
  return t;
}

/* The held node with start <= x < end, or NULL. */
static const struct zn_buf *find_containing(const struct zn_buf *t,
                                            uint32_t x) {
  while (t) {
    const struct ooo_node *n = cnd(t);
    if (zn__seq_lt(x, n->seq))
      t = n->left;
    else if (zn__seq_lt(x, seg_end(t)))
      return t;
    else
      t = n->right;
  }
  return NULL;
}

/* The held node with the lowest start >= x, or NULL. */
static const struct zn_buf *find_ceil(const struct zn_buf *t, uint32_t x) {
  const struct zn_buf *best = NULL;
  while (t) {
    if (zn__seq_geq(cnd(t)->seq, x)) {
      best = t;
      t = cnd(t)->left;
    } else {
      t = cnd(t)->right;
    }
  }
  return best;
}

/* Held bytes below x. */
static uint32_t held_below(const struct zn_buf *t, uint32_t x) {
  uint32_t acc = 0;
  while (t) {
    const struct ooo_node *n = cnd(t);
    if (zn__seq_leq(x, n->seq)) {
      t = n->left;
      continue;
    }
    if (n->left)
      acc += cnd(n->left)->sub_bytes;
    if (zn__seq_leq(x, seg_end(t)))
      return acc + (x - n->seq);
    acc += t->len;
    t = n->right;
  }
  return acc;
}

/*
 * End of the run of held data that continues from cur, where cur is a
 * segment boundary (a held segment starts there, or one ends there).
 * Subtrees wholly below cur are skipped, subtrees wholly above that hold
 * one run are taken or refused in O(1); the walk goes down one path to cur
 * and at most one more path to the first gap, so it is O(height).
 * NOLINTNEXTLINE(misc-no-recursion): depth <= the AVL height, < 48 */
static uint32_t run_end(const struct zn_buf *t, uint32_t cur) {
  if (t == NULL)
    return cur;
  const struct ooo_node *n = cnd(t);
  if (zn__seq_leq(n->sub_hi, cur))
    return cur;
  if (zn__seq_geq(n->sub_lo, cur) && contiguous(n))
    return n->sub_lo == cur ? n->sub_hi : cur;
  cur = run_end(n->left, cur);
  if (n->seq == cur)
    cur = seg_end(t);
  else if (zn__seq_gt(n->seq, cur))
    return cur; /* a gap before n */
  return run_end(n->right, cur);
}

/* Start of the run of held data that reaches cur from below; the mirror
 * image of run_end.
 * NOLINTNEXTLINE(misc-no-recursion): depth <= the AVL height, < 48 */
static uint32_t run_start(const struct zn_buf *t, uint32_t cur) {
  if (t == NULL)
    return cur;
  const struct ooo_node *n = cnd(t);
  if (zn__seq_geq(n->sub_lo, cur))
    return cur;
  if (zn__seq_leq(n->sub_hi, cur) && contiguous(n))
    return n->sub_hi == cur ? n->sub_lo : cur;
  cur = run_start(n->right, cur);
  if (seg_end(t) == cur)
    cur = n->seq;
  else if (zn__seq_lt(seg_end(t), cur))
    return cur; /* a gap after n */
  return run_start(n->left, cur);
}

void zn__tcp_ooo_init(struct zn__tcp_ooo *q) {
  memset(q, 0, sizeof(*q));
}

static void account_add(struct zn__tcp_ooo *q, const struct zn_buf *b) {
  q->nbufs++;
  q->bytes += b->len;
  q->mem += b->pool->size;
}

static void account_sub(struct zn__tcp_ooo *q, const struct zn_buf *b) {
  q->nbufs--;
  q->bytes -= b->len;
  q->mem -= b->pool->size;
}

/* Does [seq, seq + len) fit a gap of what is held: no held segment covers
 * its start, and the next one starts at its end or after? */
static bool fits_gap(const struct zn__tcp_ooo *q, uint32_t seq,
                     uint32_t len) {
  const struct zn_buf *next = find_ceil(q->root, seq);
  return len > 0 && find_containing(q->root, seq) == NULL &&
         (next == NULL || zn__seq_geq(cnd(next)->seq, seq + len));
}

static void hold(struct zn__tcp_ooo *q, struct zn_buf *b, uint32_t seq) {
  /* Held segments are non-empty and never overlap: the key order is the
   * byte order. */
  ZN_ASSERT(fits_gap(q, seq, b->len));
  struct ooo_node *n = nd(b);
  n->left = n->right = NULL;
  n->seq = seq;
  update(b);
  q->root = tree_insert(q->root, b);
  account_add(q, b);
}

static struct zn_buf *unhold_min(struct zn__tcp_ooo *q) {
  struct zn_buf *m = NULL;
  q->root = tree_remove_min(q->root, &m);
  account_sub(q, m);
  return m;
}

/* Free held data (and a FIN) below rcv_nxt; trim a segment straddling it.
 * Afterwards everything held is at or beyond rcv_nxt. */
static void prune(struct zn__tcp_ooo *q, uint32_t rcv_nxt) {
  struct zn_buf *m;
  while ((m = tree_min(q->root)) != NULL &&
         zn__seq_lt(nd(m)->seq, rcv_nxt)) {
    m = unhold_min(q);
    if (zn__seq_leq(seg_end(m), rcv_nxt)) {
      zn_buf_free(m);
      continue;
    }
    /* Straddles: its key changes but it stays the lowest. */
    zn_buf_pull(m, rcv_nxt - nd(m)->seq);
    hold(q, m, rcv_nxt);
    break;
  }
  if (q->have_fin && zn__seq_lt(q->fin_seq, rcv_nxt))
    q->have_fin = false;
}

int zn__tcp_ooo_insert(struct zn__tcp_ooo *q, struct zn_buf *b, uint32_t seq,
                       bool fin, uint32_t rcv_nxt) {
  prune(q, rcv_nxt);

  /* Work in offsets from rcv_nxt, wide enough not to wrap. */
  int64_t so = zn__seq_diff(seq, rcv_nxt);
  int64_t eo = so + (int64_t)(b ? b->len : 0u);
  if (eo > (int64_t)OOO_SPAN || eo < 0) {
    zn_buf_free(b); /* beyond any window, or wholly old */
    return ZN__OOO_DUP;
  }
  bool news = false;

  /* FIN: first arrival wins.  A held FIN also cuts data beyond it. */
  if (q->have_fin) {
    int64_t fo = (int64_t)(q->fin_seq - rcv_nxt);
    if (fin && eo != fo)
      q->drop_bad_fin++;
    if (eo > fo) {
      q->drop_fin_bytes += (uint32_t)(eo - (so > fo ? so : fo));
      eo = fo;
    }
  } else if (fin) {
    if (q->root && zn__seq_gt(nd(q->root)->sub_hi, rcv_nxt + (uint32_t)eo)) {
      q->drop_bad_fin++;
    } else {
      q->have_fin = true;
      q->fin_seq = rcv_nxt + (uint32_t)eo;
      news = true;
    }
  }

  if (so < 0)
    so = 0;
  if (so >= eo) {
    zn_buf_free(b);
    return news ? ZN__OOO_QUEUED : ZN__OOO_DUP;
  }
  uint32_t s = rcv_nxt + (uint32_t)so, e = rcv_nxt + (uint32_t)eo;
  q->last_left = s;
  q->last_right = e;

  /* Skip the held run s falls in: the piece starts in the first gap. */
  const struct zn_buf *a = find_containing(q->root, s);
  if (a) {
    s = run_end(q->root, cnd(a)->seq);
    if (zn__seq_geq(s, e)) {
      zn_buf_free(b);
      return news ? ZN__OOO_QUEUED : ZN__OOO_DUP;
    }
  }
  /* ... and ends where held data begins again. */
  const struct zn_buf *c = find_ceil(q->root, s);
  if (c && zn__seq_lt(cnd(c)->seq, e)) {
    uint32_t cs = cnd(c)->seq;
    uint32_t held = held_below(q->root, e) - held_below(q->root, cs);
    q->drop_split_bytes += (e - cs) - held;
    e = cs;
  }
  zn_buf_pull(b, s - seq);
  zn_buf_trim(b, e - s);
  hold(q, b, s);
  return ZN__OOO_QUEUED;
}

/* The most gaps one segment fills (one insert and one copy each): the
 * peer chooses the gaps, and the work a segment costs is bounded. */
#define OOO_WHOLE_GAPS 64

unsigned zn__tcp_ooo_insert_whole(struct zn__tcp_ooo *q, struct zn_buf *b,
                                  uint32_t seq, bool fin, uint32_t rcv_nxt,
                                  uint32_t mem_max, zn__tcp_ooo_alloc_fn alloc,
                                  void *ctx) {
  uint32_t split0 = q->drop_split_bytes;
  unsigned res = 0;
  for (int i = 0; i < OOO_WHOLE_GAPS; i++) {
    if (q->mem + (b ? b->pool->size : 0) > mem_max) {
      res |= ZN__OOO_OVER_MEM;
      zn_buf_free(b);
      return res;
    }
    /* The part beyond the first gap, copied before the insert trims b. */
    struct zn_buf *rest = NULL;
    uint32_t lo, hi;
    if (b && b->len && zn__tcp_ooo_range(q, &lo, &hi) &&
        zn__seq_lt(lo, seq + b->len) && zn__seq_gt(hi, seq)) {
      rest = alloc(ctx, b->len);
      if (rest)
        memcpy(zn_buf_put(rest, b->len), b->data, b->len);
    }
    uint32_t split = q->drop_split_bytes;
    if (zn__tcp_ooo_insert(q, b, seq, fin && i == 0, rcv_nxt) !=
        ZN__OOO_QUEUED) {
      zn_buf_free(rest);
      return res;
    }
    res |= ZN__OOO_HELD;
    /* What this insert split off is in `rest`, not lost: count only the
     * last insert's split. */
    q->drop_split_bytes = split0 + (q->drop_split_bytes - split);
    b = rest;
    if (!b)
      return res;
  }
  /* Gaps left unfilled at the bound: the copy of what lies beyond them,
   * already counted in drop_split_bytes by the last insert. */
  zn_buf_free(b);
  return res;
}

struct zn_buf *zn__tcp_ooo_pop(struct zn__tcp_ooo *q, uint32_t rcv_nxt,
                               bool *fin) {
  struct zn_buf *m, *out = NULL;
  bool f = false;
  while ((m = tree_min(q->root)) != NULL &&
         zn__seq_leq(nd(m)->seq, rcv_nxt)) {
    uint32_t seq = nd(m)->seq;
    m = unhold_min(q);
    if (zn__seq_leq(seq + m->len, rcv_nxt)) {
      zn_buf_free(m); /* wholly old: in-order data overtook it */
      continue;
    }
    zn_buf_pull(m, rcv_nxt - seq);
    rcv_nxt += m->len;
    out = m;
    break;
  }
  /* rcv_nxt is now where the FIN must be to follow what is handed out. */
  if (q->have_fin && zn__seq_leq(q->fin_seq, rcv_nxt)) {
    f = q->fin_seq == rcv_nxt; /* before it: stale, forget it */
    q->have_fin = false;
  }
  if (fin)
    *fin = f;
  return out;
}

size_t zn__tcp_ooo_sack(const struct zn__tcp_ooo *q,
                        struct zn__tcp_sack_block *out, size_t n) {
  const struct zn_buf *t = q->root;
  size_t k = 0;
  if (t == NULL || n == 0)
    return 0;
  struct zn__tcp_sack_block first = {0, 0};
  const struct zn_buf *a = find_containing(t, q->last_left);
  if (a) {
    first.left = run_start(t, seg_end(a));
    first.right = run_end(t, cnd(a)->seq);
    out[k++] = first;
  }
  uint32_t x = cnd(t)->sub_lo;
  while (k < n) {
    uint32_t r = run_end(t, x);
    if (!a || x != first.left) {
      out[k].left = x;
      out[k].right = r;
      k++;
    }
    const struct zn_buf *c = find_ceil(t, r);
    if (c == NULL)
      break;
    x = cnd(c)->seq;
  }
  return k;
}

/* NOLINTNEXTLINE(misc-no-recursion): depth <= the AVL height, < 48 */
static void free_tree(struct zn_buf *t) {
  while (t) {
    struct zn_buf *r = nd(t)->right;
    free_tree(nd(t)->left);
    zn_buf_free(t);
    t = r;
  }
}

void zn__tcp_ooo_purge(struct zn__tcp_ooo *q) {
  free_tree(q->root);
  q->root = NULL;
  q->nbufs = q->bytes = q->mem = 0;
  q->have_fin = false;
}

bool zn__tcp_ooo_range(const struct zn__tcp_ooo *q, uint32_t *lo,
                       uint32_t *hi) {
  if (q->root == NULL)
    return false;
  *lo = cnd(q->root)->sub_lo;
  *hi = cnd(q->root)->sub_hi;
  return true;
}

unsigned zn__tcp_ooo_height(const struct zn__tcp_ooo *q) {
  return height(q->root);
}

struct check_acc {
  uint32_t nbufs, bytes, mem;
  bool any;
  uint32_t prev_end; /* end of the previous segment in order */
};

/* Check the subtree at t; 0 or the number of the broken invariant.
 * NOLINTNEXTLINE(misc-no-recursion): depth <= the AVL height, < 48 */
static int check_tree(const struct zn_buf *t, struct check_acc *acc) {
  if (t == NULL)
    return 0;
  const struct ooo_node *n = cnd(t);
  int r = check_tree(n->left, acc);
  if (r)
    return r;
  if (t->len == 0)
    return 1; /* empty segment held */
  if (t->ref == 0)
    return 2; /* freed buffer held */
  if (acc->any && zn__seq_lt(n->seq, acc->prev_end))
    return 3; /* out of order or overlapping */
  acc->any = true;
  acc->prev_end = seg_end(t);
  acc->nbufs++;
  acc->bytes += t->len;
  acc->mem += t->pool->size;
  unsigned hl = height(n->left), hr = height(n->right);
  if (n->height != 1u + (hl > hr ? hl : hr))
    return 4; /* height wrong */
  if (hl > hr + 1 || hr > hl + 1)
    return 5; /* unbalanced */
  uint32_t lo = n->left ? cnd(n->left)->sub_lo : n->seq;
  uint32_t hi = n->right ? cnd(n->right)->sub_hi : seg_end(t);
  uint32_t bytes = t->len + (n->left ? cnd(n->left)->sub_bytes : 0u) +
                   (n->right ? cnd(n->right)->sub_bytes : 0u);
  if (n->sub_lo != lo || n->sub_hi != hi || n->sub_bytes != bytes)
    return 6; /* summaries wrong */
  return check_tree(n->right, acc);
}

int zn__tcp_ooo_check(const struct zn__tcp_ooo *q) {
  struct check_acc acc = {0, 0, 0, false, 0};
  int r = check_tree(q->root, &acc);
  if (r)
    return r;
  if (acc.nbufs != q->nbufs || acc.bytes != q->bytes || acc.mem != q->mem)
    return 7; /* accounting wrong */
  if (q->root && cnd(q->root)->sub_hi - cnd(q->root)->sub_lo > OOO_SPAN)
    return 8; /* wider than can be ordered */
  if (q->root && q->have_fin && zn__seq_lt(q->fin_seq, cnd(q->root)->sub_hi))
    return 9; /* data held beyond the FIN */
  return 0;
}
