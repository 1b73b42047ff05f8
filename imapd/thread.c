/* THREAD=ORDEREDSUBJECT and THREAD=REFERENCES (RFC 5256 section 3), the
 * steps numbered as in the RFC.  Containers live in one array and refer to
 * each other by index; every walk is a loop with a bound or an explicit
 * stack, so a long reply chain costs no C stack. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "checked.h"
#include "thread.h"

/* ---- output ------------------------------------------------------------- */

static int put_num(sa *out, uint32_t v, int space)
{
  return (!space || sa_catc(out, ' ')) && sa_catu(out, v);
}

/* ---- ORDEREDSUBJECT ------------------------------------------------------ */

static const thread_msg *sort_m;

static int cmp_date(const thread_msg *a, size_t ia, const thread_msg *b, size_t ib)
{
  if (a->date != b->date) return a->date < b->date ? -1 : 1;
  return ia < ib ? -1 : ia > ib;
}

static int cmp_subject_date(const void *x, const void *y)
{
  size_t a = *(const size_t *)x, b = *(const size_t *)y;
  int r = strcmp(sort_m[a].subject, sort_m[b].subject);
  return r ? r : cmp_date(&sort_m[a], a, &sort_m[b], b);
}

static int cmp_first(const void *x, const void *y)
{
  /* x and y: the start of a thread in the subject order (an index into it) */
  size_t a = *(const size_t *)x, b = *(const size_t *)y;
  return cmp_date(&sort_m[a], a, &sort_m[b], b);
}

int thread_orderedsubject(const thread_msg *m, size_t n, sa *out)
{
  size_t *ord = 0, *first = 0, *len = 0, *tm = 0, i, k, nt = 0;
  int ok = 0;
  if (!n) return 1;
  if (!(ord = calloc(n, sizeof *ord)) || !(first = calloc(n, sizeof *first)) ||
      !(len = calloc(n, sizeof *len)) || !(tm = calloc(n, sizeof *tm))) {
    errno = ENOMEM;
    goto done;
  }
  for (i = 0; i < n; i++) ord[i] = i;
  sort_m = m;
  qsort(ord, n, sizeof *ord, cmp_subject_date);
  for (i = 0; i < n; i = k) {
    for (k = i + 1; k < n && strcmp(m[ord[k]].subject, m[ord[i]].subject) == 0; k++) {}
    first[nt] = i;
    len[nt] = k - i;
    tm[nt] = ord[i];
    nt++;
  }
  /* the threads by the date of their first message: sort the thread
   * numbers by that message, then map back */
  {
    size_t *idx = calloc(nt, sizeof *idx), *pos = calloc(n, sizeof *pos);
    if (!idx || !pos) { free(idx); free(pos); errno = ENOMEM; goto done; }
    for (i = 0; i < nt; i++) { idx[i] = tm[i]; pos[tm[i]] = i; }
    qsort(idx, nt, sizeof *idx, cmp_first);
    for (i = 0; i < nt; i++) {
      size_t t = pos[idx[i]], j;
      if (!sa_catc(out, '(') || !put_num(out, m[ord[first[t]]].num, 0)) { free(idx); free(pos); goto done; }
      for (j = 1; j < len[t]; j++) {
        int many = len[t] > 2;
        if ((j == 1 && !sa_catc(out, ' ')) || (many && !sa_catc(out, '(')) ||
            !put_num(out, m[ord[first[t] + j]].num, 0) || (many && !sa_catc(out, ')'))) {
          free(idx);
          free(pos);
          goto done;
        }
      }
      if (!sa_catc(out, ')')) { free(idx); free(pos); goto done; }
    }
    free(idx);
    free(pos);
  }
  ok = 1;
done:
  free(ord);
  free(first);
  free(len);
  free(tm);
  return ok;
}

/* ---- REFERENCES ------------------------------------------------------------ */

/* Indexes are 32 bits: containers number at most MBOX_MESSAGES_MAX twice
 * plus THREAD_IDS_MAX; small entries keep a large folder's threading in a
 * few megabytes. */
typedef struct cont {
  const char *id;          /* message id (in the caller's strings), or NULL */
  time_t date;             /* sort key: the message's, or a dummy's first child's */
  int32_t msg;             /* index in m, or -1 for a dummy */
  int32_t parent, child, next;
  int32_t seq;
  uint32_t idlen;
} cont;

typedef struct tctx {
  const thread_msg *m;
  size_t n;
  cont *c;
  size_t nc, cap;
  int32_t *hash;           /* message id -> container */
  size_t hsize;            /* power of two */
  long root;               /* the virtual root: its children are the root set */
  size_t per;              /* ids taken from one message's references */
} tctx;

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

static size_t hash_of(const char *s, size_t n)
{
  size_t h = 2166136261u, i;
  for (i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 16777619u;
  return h;
}

static long new_cont(tctx *t, long msg)
{
  cont *c;
  if (t->nc == t->cap) { errno = ENOMEM; return -1; }   /* sized in advance: cannot happen */
  c = &t->c[t->nc];
  c->msg = (int32_t)msg;
  c->parent = c->child = c->next = -1;
  c->id = 0;
  c->idlen = 0;
  c->date = 0;
  c->seq = (int32_t)msg;
  return (long)t->nc++;
}

/* The container of id, made (a dummy) when new; *found set when it was there. */
static long find_id(tctx *t, const char *id, size_t len, int *found)
{
  size_t h = hash_of(id, len) & (t->hsize - 1);
  long k;
  while (t->hash[h] >= 0) {
    cont *c = &t->c[t->hash[h]];
    if (c->idlen == len && memcmp(c->id, id, len) == 0) { *found = 1; return t->hash[h]; }
    h = (h + 1) & (t->hsize - 1);
  }
  *found = 0;
  if ((k = new_cont(t, -1)) < 0) return -1;
  t->c[k].id = id;
  t->c[k].idlen = (uint32_t)len;
  t->hash[h] = (int32_t)k;
  return k;
}

/* Would making c a child of p make a loop (c is p or one of its
 * ancestors)?  Too deep counts as a loop: the link is not made. */
static int would_loop(const tctx *t, long p, long c)
{
  size_t d = 0;
  for (; p >= 0; p = t->c[p].parent)
    if (p == c || ++d > THREAD_DEPTH_MAX) return 1;
  return 0;
}

static void unlink_child(tctx *t, long c)
{
  long p = t->c[c].parent;
  int32_t *at;
  if (p < 0) return;
  for (at = &t->c[p].child; *at >= 0; at = &t->c[*at].next)
    if (*at == c) { *at = t->c[c].next; break; }
  t->c[c].parent = t->c[c].next = -1;
}

static void add_child(tctx *t, long p, long c)
{
  t->c[c].parent = p;
  t->c[c].next = t->c[p].child;
  t->c[p].child = c;
}

/* Step 1: containers for every message and every id it refers to. */
static int step1(tctx *t)
{
  size_t i;
  for (i = 0; i < t->n; i++) {
    const thread_msg *m = &t->m[i];
    const char *refs = count_ids(m->refs) ? m->refs : m->inreplyto, *id;
    size_t pos = 0, len, total = count_ids(refs), skip = total > t->per ? total - t->per : 0, k = 0;
    long mc = -1, prev = -1, c;
    int found;
    if (m->msgid && next_id(m->msgid, &pos, &id, &len)) {
      if ((mc = find_id(t, id, len, &found)) < 0) return 0;
      if (t->c[mc].msg >= 0) mc = -1;       /* a duplicate id: a container of its own */
      else { t->c[mc].msg = (int32_t)i; t->c[mc].seq = (int32_t)i; }
    }
    if (mc < 0 && (mc = new_cont(t, (long)i)) < 0) return 0;
    /* (A) the references, each the parent of the next */
    pos = 0;
    while (refs && next_id(refs, &pos, &id, &len)) {
      if (k++ < skip) continue;
      if ((c = find_id(t, id, len, &found)) < 0) return 0;
      if (prev >= 0 && c != prev && t->c[c].parent < 0 && !would_loop(t, prev, c)) add_child(t, prev, c);
      prev = c;
    }
    /* (B) the last reference is the message's parent */
    if (prev >= 0 && prev != mc && !would_loop(t, prev, mc)) {
      unlink_child(t, mc);
      add_child(t, prev, mc);
    }
  }
  return 1;
}

/* Step 4 for the children of p: dummies without children go, dummies with
 * children give them to p (at the root only when there is one). */
static void prune(tctx *t, long p)
{
  int is_root = p == t->root;
  long prev = -1, c = t->c[p].child;
  while (c >= 0) {
    cont *x = &t->c[c];
    long next = x->next;
    if (x->msg < 0 && (x->child < 0 || !is_root || t->c[x->child].next < 0)) {
      long first = x->child, last = -1, k;
      if (first < 0) {
        if (prev < 0) t->c[p].child = next;
        else t->c[prev].next = next;
        x->parent = x->next = -1;
        c = next;
        continue;
      }
      for (k = first; k >= 0; k = t->c[k].next) { t->c[k].parent = p; last = k; }
      t->c[last].next = next;
      if (prev < 0) t->c[p].child = first;
      else t->c[prev].next = first;
      x->child = -1;
      x->parent = x->next = -1;
      c = first;              /* the promoted children are looked at in turn */
      continue;
    }
    prev = c;
    c = next;
  }
}

static const cont *sort_c;

static int cmp_cont(const void *a, const void *b)
{
  const cont *x = &sort_c[*(const long *)a], *y = &sort_c[*(const long *)b];
  if (x->date != y->date) return x->date < y->date ? -1 : 1;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Sorts the children of p by date, then sequence; buf has room for all. */
static void sort_children(tctx *t, long p, long *buf)
{
  size_t k = 0, i;
  long c;
  for (c = t->c[p].child; c >= 0; c = t->c[c].next) buf[k++] = c;
  if (k < 2) return;
  sort_c = t->c;
  qsort(buf, k, sizeof *buf, cmp_cont);
  t->c[p].child = buf[0];
  for (i = 0; i + 1 < k; i++) t->c[buf[i]].next = buf[i + 1];
  t->c[buf[k - 1]].next = -1;
}

/* Step 6: every set of siblings by date; a dummy (only at the root after
 * step 4) dates from its first child. */
static void sort_all(tctx *t, long *buf)
{
  size_t i;
  long c;
  for (i = 0; i < t->nc; i++)
    if ((long)i != t->root) sort_children(t, (long)i, buf);
  for (c = t->c[t->root].child; c >= 0; c = t->c[c].next)
    if (t->c[c].msg < 0 && t->c[c].child >= 0) {
      t->c[c].date = t->c[t->c[c].child].date;
      t->c[c].seq = t->c[t->c[c].child].seq;
    }
  sort_children(t, t->root, buf);
}

static const char *subj(const tctx *t, long c)
{
  long k = t->c[c].msg >= 0 ? c : t->c[c].child;
  if (k < 0 || t->c[k].msg < 0) return "";
  return t->m[t->c[k].msg].subject;
}

static int is_reply(const tctx *t, long c)
{
  return t->c[c].msg >= 0 && t->m[t->c[c].msg].reply;
}

/* Step 5: root threads with the same base subject gathered. */
static int step5(tctx *t)
{
  size_t nr = 0, i, hs = 1;
  long c, *ra = 0, *tab = 0, *pos = 0;
  int ok = 0;
  for (c = t->c[t->root].child; c >= 0; c = t->c[c].next) nr++;
  if (!nr) return 1;
  while (hs < nr * 2) hs <<= 1;
  if (!(ra = calloc(nr, sizeof *ra)) || !(tab = malloc(hs * sizeof *tab)) || !(pos = malloc(t->cap * sizeof *pos))) {
    errno = ENOMEM;
    goto done;
  }
  for (i = 0; i < hs; i++) tab[i] = -1;
  for (i = 0, c = t->c[t->root].child; c >= 0; c = t->c[c].next, i++) { ra[i] = c; pos[c] = (long)i; }
  /* (A, B) the subject table */
  for (i = 0; i < nr; i++) {
    const char *s = subj(t, ra[i]);
    size_t h;
    if (!*s) continue;
    for (h = hash_of(s, strlen(s)) & (hs - 1); tab[h] >= 0 && strcmp(subj(t, tab[h]), s) != 0; h = (h + 1) & (hs - 1)) {}
    if (tab[h] < 0) tab[h] = ra[i];
    else if (t->c[tab[h]].msg >= 0 && (t->c[ra[i]].msg < 0 || (is_reply(t, tab[h]) && !is_reply(t, ra[i]))))
      tab[h] = ra[i];
  }
  /* (C) merging */
  for (i = 0; i < nr; i++) {
    long r = ra[i], x;
    const char *s;
    size_t h;
    if (r < 0) continue;
    s = subj(t, r);
    if (!*s) continue;
    for (h = hash_of(s, strlen(s)) & (hs - 1); tab[h] >= 0 && strcmp(subj(t, tab[h]), s) != 0; h = (h + 1) & (hs - 1)) {}
    x = tab[h];
    if (x < 0 || x == r) continue;
    ra[i] = -1;
    t->c[r].parent = t->c[r].next = -1;
    if (t->c[x].msg < 0 && t->c[r].msg < 0) {
      long k = t->c[r].child, nk;
      for (; k >= 0; k = nk) { nk = t->c[k].next; add_child(t, x, k); }
      t->c[r].child = -1;
    } else if (t->c[x].msg < 0 || (is_reply(t, r) && !is_reply(t, x))) {
      add_child(t, x, r);
    } else {
      long d = new_cont(t, -1);
      if (d < 0) goto done;
      ra[pos[x]] = d;
      pos[d] = pos[x];
      t->c[x].parent = t->c[x].next = -1;
      add_child(t, d, x);
      add_child(t, d, r);
      tab[h] = d;
    }
  }
  /* the root set again, from the table of roots */
  t->c[t->root].child = -1;
  for (i = nr; i-- > 0;)
    if (ra[i] >= 0) { t->c[ra[i]].parent = -1; add_child(t, t->root, ra[i]); }
  ok = 1;
done:
  free(ra);
  free(tab);
  free(pos);
  return ok;
}

/* Step 7: one thread, depth first, with an explicit stack of the siblings
 * still to write. */
static int emit(const tctx *t, long top, long *stack, sa *out)
{
  size_t sp = 0;
  long cur = top;
  int space = 0;
  for (;;) {
    for (;;) {
      const cont *x = &t->c[cur];
      if (x->msg >= 0) {     /* dummies are only at the root, written by the caller */
        if (!put_num(out, t->m[x->msg].num, space)) return 0;
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

int thread_references(const thread_msg *m, size_t n, sa *out)
{
  tctx t;
  size_t i, ids = 0, cap;
  long *buf = 0, c;
  int ok = 0;
  memset(&t, 0, sizeof t);
  if (!n) return 1;
  t.m = m;
  t.n = n;
  t.per = THREAD_REFS_MAX;
  while (t.per > 1 && (!size_mul(n, t.per + 1, &cap) || cap > (size_t)THREAD_IDS_MAX)) t.per /= 2;
  for (i = 0; i < n; i++) {
    size_t r = count_ids(m[i].refs);
    if (!r) r = count_ids(m[i].inreplyto);
    ids += 1 + (r > t.per ? t.per : r);
  }
  /* every id, a dummy per message for step 5, the root */
  if (!size_add(ids, n, &cap) || !size_add(cap, 1, &cap)) return 0;
  if (cap > INT32_MAX) { errno = ERANGE; return 0; }
  t.cap = cap;
  t.hsize = 1;
  while (t.hsize <= ids + ids / 2) t.hsize <<= 1;    /* at most two thirds full */
  if (!(t.c = calloc(cap, sizeof *t.c)) || !(t.hash = malloc(t.hsize * sizeof *t.hash)) ||
      !(buf = calloc(cap, sizeof *buf))) {
    errno = ENOMEM;
    goto done;
  }
  for (i = 0; i < t.hsize; i++) t.hash[i] = -1;
  if (!step1(&t)) goto done;
  for (i = 0; i < t.nc; i++)
    if (t.c[i].msg >= 0) t.c[i].date = m[t.c[i].msg].date;
  /* (2) the root set; (3) the id table is not needed after this */
  if ((t.root = new_cont(&t, -1)) < 0) goto done;
  for (i = t.nc - 1; i-- > 0;)
    if (t.c[i].parent < 0) add_child(&t, t.root, (long)i);
  free(t.hash);
  t.hash = 0;
  /* (4): below the root first, so that the root's dummies are judged by
   * the children they keep */
  for (i = 0; i < t.nc; i++)
    if ((long)i != t.root) prune(&t, (long)i);
  prune(&t, t.root);
  /* (5), with the siblings in date order first so "first child" means the earliest */
  sort_all(&t, buf);
  if (!step5(&t)) goto done;
  /* (6) */
  sort_all(&t, buf);
  /* (7) */
  for (c = t.c[t.root].child; c >= 0; c = t.c[c].next) {
    if (!sa_catc(out, '(')) goto done;
    if (t.c[c].msg >= 0) {
      if (!emit(&t, c, buf, out)) goto done;
    } else {
      long k;
      for (k = t.c[c].child; k >= 0; k = t.c[k].next)
        if (!sa_catc(out, '(') || !emit(&t, k, buf, out) || !sa_catc(out, ')')) goto done;
    }
    if (!sa_catc(out, ')')) goto done;
  }
  ok = 1;
done:
  free(t.c);
  free(t.hash);
  free(buf);
  return ok;
}
