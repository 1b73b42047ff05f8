/* THREAD=ORDEREDSUBJECT and THREAD=REFERENCES (RFC 5256 section 3), the
 * steps numbered as in the RFC.  Containers live in one array and refer to
 * each other by 32-bit index; message ids are 64-bit keyed hashes in an
 * open-addressing table that lives only during step 1; every walk is a
 * loop with a bound or an explicit stack, so a long reply chain costs no C
 * stack. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "checked.h"
#include "strrank.h"
#include "thread.h"

/* ---- output ------------------------------------------------------------- */

static int put_num(sa *out, uint32_t v, int space)
{
  return (!space || sa_catc(out, ' ')) && sa_catu(out, v);
}

static void maybe_flush(sa *out, thread_flush *flush)
{
  if (flush && out->len >= THREAD_FLUSH) {
    flush(out->s, out->len);
    out->len = 0;
  }
}

/* ---- ORDEREDSUBJECT ------------------------------------------------------ */

static const thread_msg *sort_m;

static int cmp_date(size_t a, size_t b)
{
  if (sort_m[a].date != sort_m[b].date) return sort_m[a].date < sort_m[b].date ? -1 : 1;
  return a < b ? -1 : a > b;
}

static int cmp_subject_date(const void *x, const void *y)
{
  uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
  if (sort_m[a].subject != sort_m[b].subject) return sort_m[a].subject < sort_m[b].subject ? -1 : 1;
  return cmp_date(a, b);
}

static const uint32_t *sort_ord;

static int cmp_first(const void *x, const void *y)
{
  /* x and y: where a thread starts in the subject order */
  return cmp_date(sort_ord[*(const uint32_t *)x], sort_ord[*(const uint32_t *)y]);
}

int thread_orderedsubject(const thread_msg *m, size_t n, sa *out, thread_flush *flush)
{
  uint32_t *ord = 0, *thr = 0;
  size_t i, k, nt = 0;
  int ok = 0;
  if (!n) return 1;
  if (n > UINT32_MAX) { errno = ERANGE; return 0; }
  if (!(ord = calloc(n, sizeof *ord)) || !(thr = calloc(n, sizeof *thr))) {
    errno = ENOMEM;
    goto done;
  }
  for (i = 0; i < n; i++) ord[i] = (uint32_t)i;
  sort_m = m;
  qsort(ord, n, sizeof *ord, cmp_subject_date);
  /* a thread per subject, started by its earliest message */
  for (i = 0; i < n; i++)
    if (!i || m[ord[i]].subject != m[ord[i - 1]].subject) thr[nt++] = (uint32_t)i;
  /* the threads by the date of their first message */
  sort_ord = ord;
  qsort(thr, nt, sizeof *thr, cmp_first);
  for (i = 0; i < nt; i++) {
    size_t s = thr[i], len;
    for (len = 1; s + len < n && m[ord[s + len]].subject == m[ord[s]].subject; len++) {}
    if (!sa_catc(out, '(') || !put_num(out, m[ord[s]].num, 0)) goto done;
    for (k = 1; k < len; k++) {
      int many = len > 2;
      if ((k == 1 && !sa_catc(out, ' ')) || (many && !sa_catc(out, '(')) ||
          !put_num(out, m[ord[s + k]].num, 0) || (many && !sa_catc(out, ')')))
        goto done;
    }
    if (!sa_catc(out, ')')) goto done;
    maybe_flush(out, flush);
  }
  ok = 1;
done:
  free(ord);
  free(thr);
  return ok;
}

/* ---- REFERENCES ------------------------------------------------------------ */

/* Container i < n is message i's; dummies (ids no message has had yet, and
 * the ones step 5 makes) come after.  A dummy whose id turns up as a later
 * message's is moved into that message's container and its slot reused. */
typedef struct cont {
  int32_t parent, child, next;   /* -1 none; parent -2: a free slot */
} cont;

struct thread_refs {
  size_t n, added;
  cont *c;
  size_t nc, ccap;
  uint64_t *idh;           /* per container: the hash of its id (step 1 only) */
  int32_t *tab;            /* id hash -> container, -1 empty (step 1 only) */
  size_t tsize, tused;     /* at most three quarters full */
  size_t extra;            /* dummies in use for ids */
  long freed;              /* free dummy slots, linked by next */
  const thread_msg *m;
  long root;
};

#define IS_MSG(t, c) ((size_t)(c) < (t)->n)

/* The next "<id>" of a field value at *pos: 1 with id and len, else 0. */
static int next_id(const char *s, size_t *pos, const char **id, size_t *len)
{
  size_t i = *pos;
  for (;;) {
    const char *lt = strchr(s + i, '<'), *gt;
    size_t b, e;
    if (!lt) return 0;
    gt = strchr(lt + 1, '>');
    if (!gt) return 0;
    *pos = (size_t)(gt - s) + 1;
    i = *pos;
    b = (size_t)(lt - s) + 1;
    e = (size_t)(gt - s);
    while (b < e && (s[b] == ' ' || s[b] == '\t' || s[b] == '\r' || s[b] == '\n')) b++;
    while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r' || s[e - 1] == '\n')) e--;
    if (e == b || e - b > THREAD_ID_MAX || memchr(s + b, '<', e - b)) continue;
    *id = s + b;
    *len = e - b;
    return 1;
  }
}

static size_t count_ids(const char *s)
{
  size_t pos = 0, k = 0, len;
  const char *id;
  if (!s) return 0;
  while (next_id(s, &pos, &id, &len)) k++;
  return k;
}

/* A dummy container, from the free slots or new. */
static long new_cont(thread_refs *t)
{
  long k;
  if (t->freed >= 0) {
    k = t->freed;
    t->freed = t->c[k].next;
  } else {
    if (t->nc == t->ccap) {
      size_t cap = t->ccap + t->ccap / 2 + 16, bytes;
      cont *nc;
      if (cap > INT32_MAX) cap = INT32_MAX;
      if (t->nc == cap || !size_mul(cap, sizeof *t->idh, &bytes)) { errno = ERANGE; return -1; }
      if (!(nc = realloc(t->c, cap * sizeof *nc))) { errno = ENOMEM; return -1; }   /* smaller than bytes */
      t->c = nc;
      if (t->idh) {
        uint64_t *h = realloc(t->idh, bytes);
        if (!h) { errno = ENOMEM; return -1; }
        t->idh = h;
      }
      t->ccap = cap;
    }
    k = (long)t->nc++;
  }
  t->c[k].parent = t->c[k].child = t->c[k].next = -1;
  if (t->idh) t->idh[k] = 0;
  return k;
}

/* Where hash h starts in a table of size slots (any size below 2^32). */
static size_t home(uint64_t h, size_t size)
{
  return (size_t)(((h >> 32) * (uint64_t)size) >> 32);
}

static int grow_tab(thread_refs *t, size_t want)
{
  size_t size = want + want / 3 + 64, i, bytes;
  int32_t *tab;
  if (size <= t->tsize) return 1;
  if (size > UINT32_MAX || !size_mul(size, sizeof *tab, &bytes)) { errno = ERANGE; return 0; }
  if (!(tab = malloc(bytes))) { errno = ENOMEM; return 0; }
  for (i = 0; i < size; i++) tab[i] = -1;
  for (i = 0; i < t->tsize; i++)
    if (t->tab[i] >= 0) {
      size_t h = home(t->idh[t->tab[i]], size);
      while (tab[h] >= 0) h = h + 1 == size ? 0 : h + 1;
      tab[h] = t->tab[i];
    }
  free(t->tab);
  t->tab = tab;
  t->tsize = size;
  return 1;
}

/* The slot of hash h: its container's or the empty one where it goes. */
static size_t slot(const thread_refs *t, uint64_t h)
{
  size_t k = home(h, t->tsize);
  while (t->tab[k] >= 0 && t->idh[t->tab[k]] != h) k = k + 1 == t->tsize ? 0 : k + 1;
  return k;
}

/* Container c, id hash h, goes in the table at k. */
static int insert(thread_refs *t, size_t k, uint64_t h, long c)
{
  t->idh[c] = h;
  t->tab[k] = (int32_t)c;
  t->tused++;
  return t->tused * 4 <= t->tsize * 3 || grow_tab(t, t->tused + t->tused / 2);
}

thread_refs *thread_refs_new(size_t n)
{
  thread_refs *t = calloc(1, sizeof *t);
  if (!t) { errno = ENOMEM; return 0; }
  if (n > (size_t)INT32_MAX / 2) { free(t); errno = ERANGE; return 0; }
  t->n = t->nc = n;
  t->root = t->freed = -1;
  t->ccap = n + n / 16 + 16;
  if (!(t->c = calloc(t->ccap, sizeof *t->c)) || !(t->idh = calloc(t->ccap, sizeof *t->idh)) ||
      !grow_tab(t, n + 16)) {
    thread_refs_free(t);
    errno = ENOMEM;
    return 0;
  }
  memset(t->c, 0xff, t->ccap * sizeof *t->c);     /* every link -1 */
  return t;
}

void thread_refs_free(thread_refs *t)
{
  if (!t) return;
  free(t->c);
  free(t->idh);
  free(t->tab);
  free(t);
}

/* Would making c a child of p make a loop (c is p or one of its
 * ancestors)?  Too deep counts as a loop: the link is not made. */
static int would_loop(const thread_refs *t, long p, long c)
{
  size_t d = 0;
  for (; p >= 0; p = t->c[p].parent)
    if (p == c || ++d > THREAD_DEPTH_MAX) return 1;
  return 0;
}

static void unlink_child(thread_refs *t, long c)
{
  long p = t->c[c].parent;
  int32_t *at;
  if (p < 0) return;
  for (at = &t->c[p].child; *at >= 0; at = &t->c[*at].next)
    if (*at == c) { *at = t->c[c].next; break; }
  t->c[c].parent = t->c[c].next = -1;
}

static void add_child(thread_refs *t, long p, long c)
{
  t->c[c].parent = (int32_t)p;
  t->c[c].next = t->c[p].child;
  t->c[p].child = (int32_t)c;
}

/* Message container i takes dummy d's place and links; d's slot is freed. */
static void take_over(thread_refs *t, long i, long d)
{
  long k, p = t->c[d].parent;
  int32_t *at;
  t->c[i].child = t->c[d].child;
  for (k = t->c[i].child; k >= 0; k = t->c[k].next) t->c[k].parent = (int32_t)i;
  if (p >= 0) {
    for (at = &t->c[p].child; *at >= 0; at = &t->c[*at].next)
      if (*at == d) { *at = (int32_t)i; break; }
    t->c[i].parent = (int32_t)p;
    t->c[i].next = t->c[d].next;
  }
  t->c[d].parent = -2;
  t->c[d].child = -1;
  t->c[d].next = (int32_t)t->freed;
  t->freed = d;
  t->extra--;
}

/* Step 1 for one message: its container, then its references. */
int thread_refs_add(thread_refs *t, const char *msgid, const char *refs, const char *inreplyto)
{
  long i = (long)t->added, prev = -1, c;
  size_t pos = 0, len, total, skip, k = 0, sk;
  const char *id;
  int only_first = 0;
  uint64_t h;
  if (t->added >= t->n || !t->tab) { errno = ERANGE; return 0; }
  if (msgid && next_id(msgid, &pos, &id, &len)) {
    h = strrank_hash(id, len);
    sk = slot(t, h);
    if ((c = t->tab[sk]) < 0) {
      if (!insert(t, sk, h, i)) return 0;
    } else if (!IS_MSG(t, c)) {
      take_over(t, i, c);
      t->idh[i] = h;
      t->tab[sk] = (int32_t)i;
    }                       /* else a duplicate id: the message keeps a container of its own */
  }
  /* no id in References: the first of In-Reply-To is the parent */
  if (!(total = count_ids(refs))) {
    refs = inreplyto;
    only_first = 1;
    total = count_ids(refs) ? 1 : 0;
  }
  skip = total > THREAD_REFS_MAX ? total - THREAD_REFS_MAX : 0;
  /* (A) the references, each the parent of the next */
  pos = 0;
  while (total && next_id(refs, &pos, &id, &len)) {
    if (k++ < skip) continue;
    h = strrank_hash(id, len);
    sk = slot(t, h);
    if ((c = t->tab[sk]) < 0 && t->extra < (size_t)THREAD_EXTRA_IDS) {
      if ((c = new_cont(t)) < 0 || !insert(t, sk, h, c)) return 0;
      t->extra++;
    }                       /* (past THREAD_EXTRA_IDS: a gap in the chain) */
    if (c >= 0 && prev >= 0 && c != prev && t->c[c].parent < 0 && !would_loop(t, prev, c)) add_child(t, prev, c);
    prev = c;
    if (only_first) break;
  }
  /* (B) the last reference is the message's parent */
  if (prev >= 0 && prev != i && !would_loop(t, prev, i)) {
    unlink_child(t, i);
    add_child(t, prev, i);
  }
  t->added++;
  return 1;
}

/* Step 4 for the children of p: dummies without children go, dummies with
 * children give them to p (at the root only when there is one). */
static void prune(thread_refs *t, long p)
{
  int is_root = p == t->root;
  long prev = -1, c = t->c[p].child;
  while (c >= 0) {
    cont *x = &t->c[c];
    long next = x->next;
    if (!IS_MSG(t, c) && (x->child < 0 || !is_root || t->c[x->child].next < 0)) {
      long first = x->child, last = -1, k;
      if (first < 0) {
        if (prev < 0) t->c[p].child = (int32_t)next;
        else t->c[prev].next = (int32_t)next;
        x->parent = x->next = -1;
        c = next;
        continue;
      }
      for (k = first; k >= 0; k = t->c[k].next) { t->c[k].parent = (int32_t)p; last = k; }
      t->c[last].next = (int32_t)next;
      if (prev < 0) t->c[p].child = (int32_t)first;
      else t->c[prev].next = (int32_t)first;
      x->child = -1;
      x->parent = x->next = -1;
      c = first;              /* the promoted children are looked at in turn */
      continue;
    }
    prev = c;
    c = next;
  }
}

static const thread_refs *sort_t;

/* The message that dates container c: its own, or a dummy's first child
 * (dummies are only at the root then, with messages below them). */
static long key_of(const thread_refs *t, long c)
{
  while (c >= 0 && !IS_MSG(t, c)) c = t->c[c].child;
  return c;
}

static int cmp_cont(const void *a, const void *b)
{
  long x = key_of(sort_t, *(const int32_t *)a), y = key_of(sort_t, *(const int32_t *)b);
  const thread_msg *m = sort_t->m;
  if (x < 0 || y < 0) return (x >= 0) - (y >= 0);
  if (m[x].date != m[y].date) return m[x].date < m[y].date ? -1 : 1;
  return x < y ? -1 : x > y;
}

/* Sorts the children of p by date, then sequence; buf has room for all. */
static void sort_children(thread_refs *t, long p, int32_t *buf)
{
  size_t k = 0, i;
  long c;
  for (c = t->c[p].child; c >= 0; c = t->c[c].next) buf[k++] = (int32_t)c;
  if (k < 2) return;
  sort_t = t;
  qsort(buf, k, sizeof *buf, cmp_cont);
  t->c[p].child = buf[0];
  for (i = 0; i + 1 < k; i++) t->c[buf[i]].next = buf[i + 1];
  t->c[buf[k - 1]].next = -1;
}

/* Step 6: every set of siblings by date; a dummy (only at the root after
 * step 4) dates from its first child. */
static void sort_all(thread_refs *t, int32_t *buf)
{
  size_t i;
  for (i = 0; i < t->nc; i++)
    if ((long)i != t->root && t->c[i].parent != -2) sort_children(t, (long)i, buf);
  sort_children(t, t->root, buf);
}

static uint32_t subj(const thread_refs *t, long c)
{
  long k = IS_MSG(t, c) ? c : t->c[c].child;
  if (k < 0 || !IS_MSG(t, k)) return 0;
  return t->m[k].subject;
}

static int is_reply(const thread_refs *t, long c)
{
  return IS_MSG(t, c) && t->m[c].reply;
}

/* Step 5: root threads with the same base subject gathered.  tab: by
 * subject rank, the index in the root list of the thread kept for it. */
static int step5(thread_refs *t)
{
  size_t nr = 0, i, ranks = 1;
  long c;
  int32_t *ra = 0, *tab = 0;
  int ok = 0;
  for (c = t->c[t->root].child; c >= 0; c = t->c[c].next) nr++;
  if (!nr) return 1;
  for (i = 0; i < t->n; i++)
    if (t->m[i].subject >= ranks) ranks = (size_t)t->m[i].subject + 1;
  if (!(ra = calloc(nr, sizeof *ra)) || !(tab = calloc(ranks, sizeof *tab))) {
    errno = ENOMEM;
    goto done;
  }
  for (i = 0; i < ranks; i++) tab[i] = -1;
  for (i = 0, c = t->c[t->root].child; c >= 0; c = t->c[c].next, i++) ra[i] = (int32_t)c;
  /* (A, B) the subject table */
  for (i = 0; i < nr; i++) {
    uint32_t s = subj(t, ra[i]);
    long x, r = ra[i];
    if (!s) continue;
    if (tab[s] < 0) { tab[s] = (int32_t)i; continue; }
    x = ra[tab[s]];
    if (IS_MSG(t, x) && (!IS_MSG(t, r) || (is_reply(t, x) && !is_reply(t, r)))) tab[s] = (int32_t)i;
  }
  /* (C) merging */
  for (i = 0; i < nr; i++) {
    long r = ra[i], x;
    uint32_t s;
    size_t j;
    if (r < 0 || !(s = subj(t, r))) continue;
    j = (size_t)tab[s];
    if (j == i) continue;
    x = ra[j];
    ra[i] = -1;
    t->c[r].parent = t->c[r].next = -1;
    if (!IS_MSG(t, x) && !IS_MSG(t, r)) {
      long k = t->c[r].child, nk;
      for (; k >= 0; k = nk) { nk = t->c[k].next; add_child(t, x, k); }
      t->c[r].child = -1;
    } else if (!IS_MSG(t, x) || (is_reply(t, r) && !is_reply(t, x))) {
      add_child(t, x, r);
    } else {
      long d = new_cont(t);
      if (d < 0) goto done;
      ra[j] = (int32_t)d;
      t->c[x].parent = t->c[x].next = -1;
      add_child(t, d, x);
      add_child(t, d, r);
    }
  }
  /* the root set again, from the list of roots */
  t->c[t->root].child = -1;
  for (i = nr; i-- > 0;)
    if (ra[i] >= 0) { t->c[ra[i]].parent = -1; add_child(t, t->root, ra[i]); }
  ok = 1;
done:
  free(ra);
  free(tab);
  return ok;
}

/* Step 7: one thread, depth first, with an explicit stack of the siblings
 * still to write. */
static int emit(const thread_refs *t, long top, int32_t *stack, sa *out)
{
  size_t sp = 0;
  long cur = top;
  int space = 0;
  for (;;) {
    for (;;) {
      const cont *x = &t->c[cur];
      if (IS_MSG(t, cur)) {  /* dummies are only at the root, written by the caller */
        if (!put_num(out, t->m[cur].num, space)) return 0;
        space = 1;
      }
      if (x->child < 0) break;
      if (t->c[x->child].next < 0) { cur = x->child; continue; }
      if (!sa_cats(out, " (")) return 0;
      stack[sp++] = t->c[x->child].next;
      cur = x->child;
      space = 0;
    }
    for (;;) {
      long sib;
      if (!sp) return 1;
      sib = stack[--sp];
      if (!sa_catc(out, ')')) return 0;
      if (sib >= 0) {
        if (!sa_catc(out, '(')) return 0;
        stack[sp++] = t->c[sib].next;
        cur = sib;
        space = 0;
        break;
      }
    }
  }
}

int thread_references(thread_refs *t, const thread_msg *m, size_t n, sa *out, thread_flush *flush)
{
  size_t i;
  int32_t *buf = 0;
  long c;
  int ok = 0;
  if (n != t->added || n != t->n || !t->tab) { errno = ERANGE; return 0; }
  if (!n) return 1;
  t->m = m;
  /* (3) the id table is not needed after step 1 */
  free(t->tab);
  t->tab = 0;
  free(t->idh);
  t->idh = 0;
  /* (2) the root set */
  if ((t->root = new_cont(t)) < 0) return 0;
  for (i = t->nc; i-- > 0;)
    if ((long)i != t->root && t->c[i].parent == -1) add_child(t, t->root, (long)i);
  /* (4): below the root first, so that the root's dummies are judged by
   * the children they keep */
  for (i = 0; i < t->nc; i++)
    if ((long)i != t->root && t->c[i].parent != -2) prune(t, (long)i);
  prune(t, t->root);
  /* (5), with the siblings in date order first so "first child" means the earliest */
  if (!(buf = calloc(t->nc, sizeof *buf))) { errno = ENOMEM; return 0; }
  sort_all(t, buf);
  if (!step5(t)) goto done;
  /* (6); step 5 may have made containers */
  free(buf);
  if (!(buf = calloc(t->nc, sizeof *buf))) { errno = ENOMEM; return 0; }
  sort_all(t, buf);
  /* (7) */
  for (c = t->c[t->root].child; c >= 0; c = t->c[c].next) {
    if (!sa_catc(out, '(')) goto done;
    if (IS_MSG(t, c)) {
      if (!emit(t, c, buf, out)) goto done;
    } else {
      long k;
      for (k = t->c[c].child; k >= 0; k = t->c[k].next)
        if (!sa_catc(out, '(') || !emit(t, k, buf, out) || !sa_catc(out, ')')) goto done;
    }
    if (!sa_catc(out, ')')) goto done;
    maybe_flush(out, flush);
  }
  ok = 1;
done:
  free(buf);
  return ok;
}
