/* SORT and THREAD: the messages the criteria select, their keys read once
 * through msghdr.h (the folder's cache), then sorted or threaded. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "condstore.h"
#include "envaddr.h"
#include "imapd.h"
#include "msgdate.h"
#include "msghdr.h"
#include "rfc2047.h"
#include "search.h"
#include "sort.h"
#include "strrank.h"
#include "subject.h"
#include "thread.h"
#include "utf8fold.h"

enum skey { K_ARRIVAL, K_CC, K_DATE, K_FROM, K_SIZE, K_SUBJECT, K_TO, K_DISPLAYFROM, K_DISPLAYTO };

typedef struct crit {
  enum skey key;
  int reverse;
  long long *num;      /* per selected message: numeric keys */
  uint32_t *rank;      /* string keys: the string's rank (strrank.h) */
} crit;

static const struct { const char *name; enum skey key; } keynames[] = {
  { "ARRIVAL", K_ARRIVAL }, { "CC", K_CC }, { "DATE", K_DATE }, { "FROM", K_FROM }, { "SIZE", K_SIZE },
  { "SUBJECT", K_SUBJECT }, { "TO", K_TO }, { "DISPLAYFROM", K_DISPLAYFROM }, { "DISPLAYTO", K_DISPLAYTO },
};

/* "(" sort-criterion *(SP sort-criterion) ")" */
static int parse_criteria(imap_parser *p, crit *c, size_t *nc)
{
  imap_span a;
  size_t k;
  *nc = 0;
  if (!imap_char(p, '(')) return 0;
  for (;;) {
    int rev = 0;
    if (!imap_atom(p, &a)) return 0;
    if (imap_is(a, "REVERSE")) {
      rev = 1;
      if (!imap_sp(p) || !imap_atom(p, &a)) return 0;
    }
    for (k = 0; k < sizeof keynames / sizeof keynames[0]; k++)
      if (imap_is(a, keynames[k].name)) break;
    if (k == sizeof keynames / sizeof keynames[0]) { p->err = "unknown sort key"; return 0; }
    if (*nc == SORT_KEYS_MAX) { p->err = "too many sort keys"; return 0; }
    c[*nc].key = keynames[k].key;
    c[*nc].reverse = rev;
    c[*nc].num = 0;
    c[*nc].rank = 0;
    (*nc)++;
    if (imap_peek(p) == ')') { p->pos++; return 1; }
    if (!imap_sp(p)) return 0;
  }
}

/* The sent date (RFC 5256 2.2): Date in UTC, else INTERNALDATE.  -1 on error. */
static int sent_date(mbox *mb, size_t i, sa *tmp, long long *out)
{
  time_t u, d;
  int r = msghdr_get(mb, i, "Date", tmp);
  if (r < 0) return 0;
  if (r && msgdate_parse(tmp->s, tmp->len, &u, &d)) { *out = (long long)u; return 1; }
  if ((u = msghdr_internaldate(mb, i)) == (time_t)-1) return 0;
  *out = (long long)u;
  return 1;
}

/* The first mailbox of an address field: its local part (RFC 5256), or for
 * DISPLAY its decoded display name, else its address (RFC 5957); folded,
 * into key (replaced). */
static int address_key(const char *v, size_t n, int display, sa *key)
{
  sa list = SA_ZERO, dec = SA_ZERO;
  size_t count = 0, e, pos = 0;
  const char *f[4] = { 0, 0, 0, 0 }, *pick[4] = { 0, 0, 0, 0 };
  int ok = 0;
  if (!envaddr_parse(v, n, &list, &count)) goto done;
  for (e = 0; e < count; e++) {
    size_t k;
    for (k = 0; k < 4; k++) {
      f[k] = list.s[pos] == 'S' ? list.s + pos + 1 : 0;
      pos += 1 + (f[k] ? strlen(f[k]) : 0) + 1;
    }
    if (f[2] && f[3]) { memcpy(pick, f, sizeof pick); break; }      /* a mailbox */
    if (f[2] && !pick[2]) memcpy(pick, f, sizeof pick);             /* something without a domain */
  }
  if (display && pick[0] && *pick[0]) {
    size_t dn = strlen(pick[0]);
    if (!rfc2047_decode(pick[0], dn < SUBJECT_BASE_IN_MAX ? dn : SUBJECT_BASE_IN_MAX, &dec)) goto done;
  } else if (display && pick[2]) {
    if (!sa_cats(&dec, pick[2]) || (pick[3] && (!sa_catc(&dec, '@') || !sa_cats(&dec, pick[3])))) goto done;
  } else if (pick[2]) {
    if (!sa_cats(&dec, pick[2])) goto done;
  }
  key->len = 0;
  ok = utf8_fold(dec.s ? dec.s : "", dec.len, key);
done:
  sa_free(&list);
  sa_free(&dec);
  return ok;
}

static const crit *cmp_c;
static size_t cmp_nc;

static int cmp_sel(const void *a, const void *b)
{
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  size_t k;
  for (k = 0; k < cmp_nc; k++) {
    const crit *c = &cmp_c[k];
    int r = c->num ? (c->num[x] < c->num[y] ? -1 : c->num[x] > c->num[y])
                   : (c->rank[x] < c->rank[y] ? -1 : c->rank[x] > c->rank[y]);
    if (r) return c->reverse ? -r : r;
  }
  return x < y ? -1 : x > y;     /* sequence order breaks ties */
}

/* The messages the criteria select: *hit (mb->n flags), their count
 * returned (-1: BAD or NO, with *rc set as the command returns). */
static long select_hits(mbox *mb, imap_parser *p, unsigned char **hit, int *rc)
{
  size_t i, k = 0;
  int r;
  *hit = 0;
  if ((r = search_charset(p)) != 1 || !imap_sp(p)) { *rc = r == -2 ? -2 : 0; return -1; }
  if (mb->n && !(*hit = calloc(mb->n, 1))) {
    p->err = "[SERVERBUG] out of memory";
    *rc = -2;
    return -1;
  }
  r = search_match(mb, p, *hit);
  if (r == 0) { free(*hit); *hit = 0; *rc = 0; return -1; }
  cs_search_hits(mb, *hit);   /* MODSEQ criterion: the highest of the matches (RFC 7162 3.1.5) */
  for (i = 0; i < mb->n; i++) k += (*hit)[i] != 0;
  *rc = r;
  return (long)k;
}

/* The same as indexes into *sel. */
static long select_msgs(mbox *mb, imap_parser *p, uint32_t **sel, int *rc)
{
  unsigned char *hit;
  size_t i, k = 0;
  long n = select_hits(mb, p, &hit, rc);
  *sel = 0;
  if (n < 0) return -1;
  if (n && !(*sel = calloc((size_t)n, sizeof **sel))) {
    free(hit);
    p->err = "[SERVERBUG] out of memory";
    *rc = -2;
    return -1;
  }
  for (i = 0; i < mb->n; i++)
    if (hit[i]) (*sel)[k++] = (uint32_t)i;
  free(hit);
  return n;
}

/* ESORT (RFC 5267): MIN and MAX are the first and last in the sort order,
 * ALL the numbers in that order (runs going up by one as ranges). */
static void esort(const mbox *mb, const uint32_t *sel, const uint32_t *ord, size_t n, int uid, int opts,
                  const char *tag, size_t taglen)
{
  size_t i, j;
#define NUM(k) (uid ? (unsigned)mb->m[sel[ord[k]]].uid : (unsigned)(sel[ord[k]] + 1))
  out_printf("* ESEARCH (TAG \"%.*s\")", (int)taglen, tag);
  if (uid) out_puts(" UID");
  if (n && (opts & RET_MIN)) out_printf(" MIN %u", NUM(0));
  if (n && (opts & RET_MAX)) out_printf(" MAX %u", NUM(n - 1));
  if (n && (opts & RET_ALL)) {
    out_puts(" ALL ");
    for (i = 0; i < n; i = j) {
      for (j = i + 1; j < n && NUM(j) == NUM(j - 1) + 1; j++) {}
      if (i) out_puts(",");
      if (j - i > 1) out_printf("%u:%u", NUM(i), NUM(j - 1));
      else out_printf("%u", NUM(i));
    }
  }
  if (opts & RET_COUNT) out_printf(" COUNT %zu", n);
  cs_esearch_tail();
  out_puts("\r\n");
#undef NUM
}

/* The string key of selected message m for criterion key into *str:
 * 1, or 0 with errno; *failed set when the message could not be read. */
static int string_key(mbox *mb, size_t m, enum skey key, sa *tmp, sa *str, int *failed)
{
  int r, reply;
  str->len = 0;
  if (key == K_SUBJECT) {
    if ((r = msghdr_get(mb, m, "Subject", tmp)) < 0) *failed = 1;
    return r <= 0 || subject_base(tmp->s, tmp->len, str, &reply);
  } else {
    const char *field = key == K_CC ? "Cc" : key == K_TO || key == K_DISPLAYTO ? "To" : "From";
    if ((r = msghdr_get(mb, m, field, tmp)) < 0) *failed = 1;
    return r <= 0 || address_key(tmp->s, tmp->len, key == K_DISPLAYFROM || key == K_DISPLAYTO, str);
  }
}

/* The keys of criterion c for the n selected messages into c->num or
 * c->rank. */
static int gather(mbox *mb, const uint32_t *sel, size_t n, crit *c, sa *tmp, int *failed)
{
  strrank *rk = 0;
  sa str = SA_ZERO;
  size_t i;
  int ok = 0;
  if (c->key == K_ARRIVAL || c->key == K_DATE || c->key == K_SIZE) {
    if (!(c->num = calloc(n, sizeof *c->num))) return 0;
  } else if (!(c->rank = calloc(n, sizeof *c->rank)) || !(rk = strrank_new(n))) {
    goto done;
  }
  for (i = 0; i < n; i++) {
    size_t m = sel[i];
    switch (c->key) {
    case K_ARRIVAL: {
      time_t t = msghdr_internaldate(mb, m);
      if (t == (time_t)-1) { *failed = 1; t = 0; }
      c->num[i] = (long long)t;
      break;
    }
    case K_DATE:
      if (!sent_date(mb, m, tmp, &c->num[i])) { *failed = 1; c->num[i] = 0; }
      break;
    case K_SIZE:
      if ((c->num[i] = msghdr_size(mb, m)) < 0) { *failed = 1; c->num[i] = 0; }
      break;
    default:
      if (!string_key(mb, m, c->key, tmp, &str, failed) || !strrank_add(rk, str.s ? str.s : "", str.len, &c->rank[i]))
        goto done;
    }
  }
  if (rk) {
    if (!strrank_finish(rk)) goto done;
    for (i = 0; i < n; i++) c->rank[i] = strrank_rank(rk, c->rank[i]);
  }
  ok = 1;
done:
  strrank_free(rk);
  sa_free(&str);
  return ok;
}

/* SAVE (RFC 5182) after SORT: the selected messages as a set; with MIN
 * and/or MAX alone, the first and/or last in the sort order. */
static int sort_save(mbox *mb, const uint32_t *sel, const uint32_t *ord, size_t n, int opts)
{
  unsigned char *hit = 0;
  size_t i;
  int ok;
  if (mb->n && !(hit = calloc(mb->n, 1))) return 0;
  if (n && !(opts & (RET_ALL | RET_COUNT)) && (opts & (RET_MIN | RET_MAX))) {
    if (opts & RET_MIN) hit[sel[ord[0]]] = 1;
    if (opts & RET_MAX) hit[sel[ord[n - 1]]] = 1;
  } else {
    for (i = 0; i < n; i++) hit[sel[i]] = 1;
  }
  ok = searchres_save(mb, hit);
  free(hit);
  return ok;
}

int sort_command(mbox *mb, imap_parser *p, int uid, const char *tag, size_t taglen)
{
  crit c[SORT_KEYS_MAX];
  size_t nc = 0, i, k;
  uint32_t *sel = 0, *ord = 0;
  sa tmp = SA_ZERO;
  long n;
  int rc, failed = 0, ret = -2, opts = 0;
  if (p->n - p->pos >= 7 && strncasecmp(p->s + p->pos, "RETURN ", 7) == 0) {
    p->pos += 7;
    if ((opts = search_return_options(p)) < 0) { searchres_reset(); return 0; }
  }
  if (!parse_criteria(p, c, &nc) || !imap_sp(p)) {
    if (opts & RET_SAVE) searchres_reset();
    return 0;
  }
  if ((n = select_msgs(mb, p, &sel, &rc)) < 0) {
    if (opts & RET_SAVE) searchres_reset();
    return rc;
  }
  if (rc < 0) failed = 1;
  if (n && !(ord = calloc((size_t)n, sizeof *ord))) goto oom;
  for (k = 0; n && k < nc; k++)
    if (!gather(mb, sel, (size_t)n, &c[k], &tmp, &failed)) goto oom;
  for (i = 0; i < (size_t)n; i++) ord[i] = (uint32_t)i;
  cmp_c = c;
  cmp_nc = nc;
  if (n > 1) qsort(ord, (size_t)n, sizeof *ord, cmp_sel);
  if ((opts & RET_SAVE) && !sort_save(mb, sel, ord, (size_t)n, opts)) goto oom;
  if (opts & ~RET_SAVE) esort(mb, sel, ord, (size_t)n, uid, opts, tag, taglen);
  else if (!opts) {
    out_puts("* SORT");
    for (i = 0; i < (size_t)n; i++) {
      size_t m = sel[ord[i]];
      out_printf(" %u", uid ? (unsigned)mb->m[m].uid : (unsigned)(m + 1));
    }
    cs_search_tail();
    out_puts("\r\n");
  }
  ret = failed ? -1 : 1;
  goto done;
oom:
  if (opts & RET_SAVE) searchres_reset();
  p->err = "[SERVERBUG] out of memory";
done:
  for (k = 0; k < nc; k++) { free(c[k].num); free(c[k].rank); }
  free(sel);
  free(ord);
  sa_free(&tmp);
  return ret;
}

/* A header field of message m, NUL-terminated, for THREAD: its value or
 * NULL (absent, or unreadable with *failed set). */
static const char *field0(mbox *mb, size_t m, const char *name, sa *v, int *failed, int *oom)
{
  int r = msghdr_get(mb, m, name, v);
  if (r < 0) *failed = 1;
  if (r <= 0) return 0;
  if (!sa_0(v)) { *oom = 1; return 0; }
  return v->s;
}

static void put_out(const char *s, size_t n)
{
  out_put(s, n);
}

int thread_command(mbox *mb, imap_parser *p, int uid)
{
  imap_span alg;
  int refs, rc, failed = 0, ret = -2, reply, oom = 0, started = 0;
  size_t i, m;
  unsigned char *hit = 0;
  uint32_t id;
  thread_msg *tm = 0;
  thread_refs *tr = 0;
  strrank *rk = 0;
  sa tmp = SA_ZERO, base = SA_ZERO, out = SA_ZERO, idv = SA_ZERO, rv = SA_ZERO, iv = SA_ZERO;
  long n;
  if (!imap_atom(p, &alg) || !imap_sp(p)) return 0;
  if (imap_is(alg, "REFERENCES")) refs = 1;
  else if (imap_is(alg, "ORDEREDSUBJECT")) refs = 0;
  else { p->err = "unknown threading algorithm"; return 0; }
  if ((n = select_hits(mb, p, &hit, &rc)) < 0) return rc;
  if (rc < 0) failed = 1;
  if (n && (!(tm = calloc((size_t)n, sizeof *tm)) || !(rk = strrank_new((size_t)n)) ||
            (refs && !(tr = thread_refs_new((size_t)n)))))
    goto oom;
  /* one pass: the keys of each message, its ids straight into step 1 */
  for (i = m = 0; i < (size_t)n; i++, m++) {
    long long d;
    int r;
    while (!hit[m]) m++;
    tm[i].num = uid ? mb->m[m].uid : (uint32_t)(m + 1);
    if (!sent_date(mb, m, &tmp, &d)) { failed = 1; d = 0; }
    tm[i].date = (time_t)d;
    base.len = 0;
    reply = 0;
    if ((r = msghdr_get(mb, m, "Subject", &tmp)) < 0) failed = 1;
    if (r > 0 && !subject_base(tmp.s, tmp.len, &base, &reply)) goto oom;
    if (!strrank_add(rk, base.s ? base.s : "", base.len, &id)) goto oom;
    tm[i].subject = id & 0x7fffffffu;     /* ids stay below STRRANK_MAX */
    tm[i].reply = reply ? 1u : 0u;
    if (refs) {
      const char *a = field0(mb, m, "Message-ID", &idv, &failed, &oom);
      const char *b = field0(mb, m, "References", &rv, &failed, &oom);
      const char *c = field0(mb, m, "In-Reply-To", &iv, &failed, &oom);
      if (oom || !thread_refs_add(tr, a, b, c)) goto oom;
    }
  }
  free(hit);
  hit = 0;
  if (n && !strrank_finish(rk)) goto oom;
  for (i = 0; i < (size_t)n; i++) tm[i].subject = strrank_rank(rk, tm[i].subject) & 0x7fffffffu;
  strrank_free(rk);
  rk = 0;
  sa_free(&idv);
  sa_free(&rv);
  sa_free(&iv);
  sa_free(&tmp);
  sa_free(&base);
  /* the thread list is written out as it is made */
  out_puts(n ? "* THREAD " : "* THREAD");
  started = 1;
  if (n && !(refs ? thread_references(tr, tm, (size_t)n, &out, put_out)
                  : thread_orderedsubject(tm, (size_t)n, &out, put_out)))
    goto oom;
  out_put(out.s, out.len);
  out_puts("\r\n");
  ret = failed ? -1 : 1;
  goto done;
oom:
  if (started) out_puts("\r\n");      /* a cut short list, then NO */
  p->err = "[SERVERBUG] out of memory";
done:
  free(hit);
  free(tm);
  thread_refs_free(tr);
  strrank_free(rk);
  sa_free(&tmp);
  sa_free(&base);
  sa_free(&out);
  sa_free(&idv);
  sa_free(&rv);
  sa_free(&iv);
  return ret;
}
