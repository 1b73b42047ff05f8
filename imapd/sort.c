/* SORT and THREAD: the messages the criteria select, their keys read once
 * through msghdr.h (the folder's cache), then sorted or threaded. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "envaddr.h"
#include "imapd.h"
#include "msgdate.h"
#include "msghdr.h"
#include "rfc2047.h"
#include "search.h"
#include "sort.h"
#include "subject.h"
#include "thread.h"
#include "utf8fold.h"

enum skey { K_ARRIVAL, K_CC, K_DATE, K_FROM, K_SIZE, K_SUBJECT, K_TO, K_DISPLAYFROM, K_DISPLAYTO };

typedef struct crit {
  enum skey key;
  int reverse;
  long long *num;      /* numeric keys, per selected message */
  size_t *off;         /* string keys: offsets into the arena */
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
    c[*nc].off = 0;
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
 * appended to arena with a NUL. */
static int address_key(const char *v, size_t n, int display, sa *arena)
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
    if (!rfc2047_decode(pick[0], strlen(pick[0]), &dec)) goto done;
  } else if (display && pick[2]) {
    if (!sa_cats(&dec, pick[2]) || (pick[3] && (!sa_catc(&dec, '@') || !sa_cats(&dec, pick[3])))) goto done;
  } else if (pick[2]) {
    if (!sa_cats(&dec, pick[2])) goto done;
  }
  ok = utf8_fold(dec.s ? dec.s : "", dec.len, arena) && sa_catc(arena, 0);
done:
  sa_free(&list);
  sa_free(&dec);
  return ok;
}

static const crit *cmp_c;
static size_t cmp_nc;
static const char *cmp_arena;

static int cmp_sel(const void *a, const void *b)
{
  size_t x = *(const size_t *)a, y = *(const size_t *)b, k;
  for (k = 0; k < cmp_nc; k++) {
    const crit *c = &cmp_c[k];
    int r;
    if (c->num) r = c->num[x] < c->num[y] ? -1 : c->num[x] > c->num[y];
    else r = strcmp(cmp_arena + c->off[x], cmp_arena + c->off[y]);
    if (r) return c->reverse ? -r : r;
  }
  return x < y ? -1 : x > y;     /* sequence order breaks ties */
}

/* The selected messages: their indexes into *sel, their count returned
 * (-1: BAD or NO, with *rc set as the command returns). */
static long select_msgs(mbox *mb, imap_parser *p, size_t **sel, int *rc)
{
  unsigned char *hit = 0;
  size_t i, k = 0;
  int r;
  *sel = 0;
  if ((r = search_charset(p)) != 1 || !imap_sp(p)) { *rc = r == -2 ? -2 : 0; return -1; }
  if (mb->n && (!(hit = calloc(mb->n, 1)) || !(*sel = calloc(mb->n, sizeof **sel)))) {
    free(hit);
    p->err = "[SERVERBUG] out of memory";
    *rc = -2;
    return -1;
  }
  r = search_match(mb, p, hit);
  if (r == 0) { free(hit); free(*sel); *sel = 0; *rc = 0; return -1; }
  for (i = 0; i < mb->n; i++)
    if (hit[i]) (*sel)[k++] = i;
  free(hit);
  *rc = r;
  return (long)k;
}

/* ESORT (RFC 5267): MIN and MAX are the first and last in the sort order,
 * ALL the numbers in that order (runs going up by one as ranges). */
static void esort(const mbox *mb, const size_t *sel, const size_t *ord, size_t n, int uid, int opts,
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
  out_puts("\r\n");
#undef NUM
}

int sort_command(mbox *mb, imap_parser *p, int uid, const char *tag, size_t taglen)
{
  crit c[SORT_KEYS_MAX];
  size_t nc, *sel = 0, *ord = 0, i, k;
  sa arena = SA_ZERO, tmp = SA_ZERO;
  long n;
  int rc, failed = 0, ret = -2, opts = 0;
  if (p->n - p->pos >= 7 && strncasecmp(p->s + p->pos, "RETURN ", 7) == 0) {
    p->pos += 7;
    if ((opts = search_return_options(p)) < 0) return 0;
    if (opts & RET_SAVE) { p->err = "SAVE is not offered with SORT"; return 0; }
  }
  if (!parse_criteria(p, c, &nc) || !imap_sp(p)) return 0;
  if ((n = select_msgs(mb, p, &sel, &rc)) < 0) return rc;
  if (rc < 0) failed = 1;
  if (n && !(ord = calloc((size_t)n, sizeof *ord))) goto oom;
  for (k = 0; k < nc; k++) {
    int is_num = c[k].key == K_ARRIVAL || c[k].key == K_DATE || c[k].key == K_SIZE;
    if (!n) break;
    if (is_num ? !(c[k].num = calloc((size_t)n, sizeof *c[k].num)) : !(c[k].off = calloc((size_t)n, sizeof *c[k].off)))
      goto oom;
    for (i = 0; i < (size_t)n; i++) {
      size_t m = sel[i];
      int r = 1;
      switch (c[k].key) {
      case K_ARRIVAL: {
        time_t t = msghdr_internaldate(mb, m);
        if (t == (time_t)-1) { failed = 1; t = 0; }
        c[k].num[i] = (long long)t;
        break;
      }
      case K_DATE:
        if (!sent_date(mb, m, &tmp, &c[k].num[i])) { failed = 1; c[k].num[i] = 0; }
        break;
      case K_SIZE:
        if ((c[k].num[i] = msghdr_size(mb, m)) < 0) { failed = 1; c[k].num[i] = 0; }
        break;
      case K_SUBJECT: {
        int reply;
        sa base = SA_ZERO;
        c[k].off[i] = arena.len;
        if ((r = msghdr_get(mb, m, "Subject", &tmp)) < 0) failed = 1;
        if (r > 0 && !subject_base(tmp.s, tmp.len, &base, &reply)) { sa_free(&base); goto oom; }
        if (!sa_catb(&arena, base.s ? base.s : "", r > 0 ? base.len : 0) || !sa_catc(&arena, 0)) {
          sa_free(&base);
          goto oom;
        }
        sa_free(&base);
        break;
      }
      default: {
        const char *field = c[k].key == K_CC ? "Cc" : c[k].key == K_TO || c[k].key == K_DISPLAYTO ? "To" : "From";
        c[k].off[i] = arena.len;
        if ((r = msghdr_get(mb, m, field, &tmp)) < 0) failed = 1;
        if (r > 0 ? !address_key(tmp.s, tmp.len, c[k].key == K_DISPLAYFROM || c[k].key == K_DISPLAYTO, &arena)
                  : !sa_catc(&arena, 0))
          goto oom;
      }
      }
    }
  }
  for (i = 0; i < (size_t)n; i++) ord[i] = i;
  cmp_c = c;
  cmp_nc = nc;
  cmp_arena = arena.s;
  if (n > 1) qsort(ord, (size_t)n, sizeof *ord, cmp_sel);
  if (opts) esort(mb, sel, ord, (size_t)n, uid, opts, tag, taglen);
  else {
    out_puts("* SORT");
    for (i = 0; i < (size_t)n; i++) {
      size_t m = sel[ord[i]];
      out_printf(" %u", uid ? (unsigned)mb->m[m].uid : (unsigned)(m + 1));
    }
    out_puts("\r\n");
  }
  ret = failed ? -1 : 1;
  goto done;
oom:
  p->err = "[SERVERBUG] out of memory";
done:
  for (k = 0; k < nc; k++) { free(c[k].num); free(c[k].off); }
  free(sel);
  free(ord);
  sa_free(&arena);
  sa_free(&tmp);
  return ret;
}

/* What THREAD keeps of a message, as offsets into the arena (-1: none). */
typedef struct tkeep {
  long subject, msgid, refs, inreplyto;
} tkeep;

static int keep_field(mbox *mb, size_t m, const char *name, size_t tail, sa *tmp, sa *arena, long *off, int *failed)
{
  int r = msghdr_get(mb, m, name, tmp);
  size_t from = 0;
  *off = -1;
  if (r < 0) { *failed = 1; return 1; }
  if (!r) return 1;
  if (tail && tmp->len > tail) from = tmp->len - tail;
  *off = (long)arena->len;
  return sa_catb(arena, tmp->s + from, tmp->len - from) && sa_catc(arena, 0);
}

int thread_command(mbox *mb, imap_parser *p, int uid)
{
  imap_span alg;
  int refs, rc, failed = 0, ret = -2, reply;
  size_t *sel = 0, i;
  thread_msg *tm = 0;
  tkeep *kp = 0;
  sa arena = SA_ZERO, tmp = SA_ZERO, base = SA_ZERO, out = SA_ZERO;
  long n;
  if (!imap_atom(p, &alg) || !imap_sp(p)) return 0;
  if (imap_is(alg, "REFERENCES")) refs = 1;
  else if (imap_is(alg, "ORDEREDSUBJECT")) refs = 0;
  else { p->err = "unknown threading algorithm"; return 0; }
  if ((n = select_msgs(mb, p, &sel, &rc)) < 0) return rc;
  if (rc < 0) failed = 1;
  if (n && (!(tm = calloc((size_t)n, sizeof *tm)) || !(kp = calloc((size_t)n, sizeof *kp)))) goto oom;
  for (i = 0; i < (size_t)n; i++) {
    size_t m = sel[i];
    long long d;
    int r;
    tm[i].num = uid ? mb->m[m].uid : (uint32_t)(m + 1);
    if (!sent_date(mb, m, &tmp, &d)) { failed = 1; d = 0; }
    tm[i].date = (time_t)d;
    kp[i].subject = (long)arena.len;
    base.len = 0;
    reply = 0;
    if ((r = msghdr_get(mb, m, "Subject", &tmp)) < 0) failed = 1;
    if (r > 0 && !subject_base(tmp.s, tmp.len, &base, &reply)) goto oom;
    if (!sa_catb(&arena, base.s ? base.s : "", r > 0 ? base.len : 0) || !sa_catc(&arena, 0)) goto oom;
    tm[i].reply = reply;
    if (refs && (!keep_field(mb, m, "Message-ID", 0, &tmp, &arena, &kp[i].msgid, &failed) ||
                 !keep_field(mb, m, "References", SORT_REFS_KEEP, &tmp, &arena, &kp[i].refs, &failed) ||
                 !keep_field(mb, m, "In-Reply-To", SORT_REFS_KEEP, &tmp, &arena, &kp[i].inreplyto, &failed)))
      goto oom;
  }
  /* the arena no longer moves: pointers now */
  for (i = 0; i < (size_t)n; i++) {
    tm[i].subject = arena.s + kp[i].subject;
    if (refs) {
      tm[i].msgid = kp[i].msgid >= 0 ? arena.s + kp[i].msgid : 0;
      tm[i].refs = kp[i].refs >= 0 ? arena.s + kp[i].refs : 0;
      tm[i].inreplyto = kp[i].inreplyto >= 0 ? arena.s + kp[i].inreplyto : 0;
    }
  }
  if (!sa_ready(&out, 1) || !(refs ? thread_references(tm, (size_t)n, &out) : thread_orderedsubject(tm, (size_t)n, &out)))
    goto oom;
  out_puts("* THREAD");
  if (out.len) { out_puts(" "); out_put(out.s, out.len); }
  out_puts("\r\n");
  ret = failed ? -1 : 1;
  goto done;
oom:
  p->err = "[SERVERBUG] out of memory";
done:
  free(sel);
  free(tm);
  free(kp);
  sa_free(&arena);
  sa_free(&tmp);
  sa_free(&base);
  sa_free(&out);
  return ret;
}
