/* SEARCH (RFC 3501 6.4.4) with ESEARCH (RFC 4731) and SEARCHRES (RFC
 * 5182).  The criteria are parsed again for each message (no tree to
 * build), depth-limited; header values, sizes and dates come from msghdr.h.
 * Text keys compare after RFC 2047 decoding, transfer decoding of text
 * parts and conversion to UTF-8, with simple Unicode case folding on both
 * sides. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "condstore.h"
#include "cte.h"
#include "header.h"
#include "imapd.h"
#include "keywords.h"
#include "mime.h"
#include "msgdate.h"
#include "msghdr.h"
#include "rfc2047.h"
#include "search.h"
#include "utf8fold.h"

#define SEARCH_DEPTH_MAX 32
#define SEARCH_NEEDLES_MAX 16       /* folded search strings kept per command */
#define SEARCH_SETS_MAX 4           /* resolved sequence sets kept per command */
#define SEARCH_PARTS_MAX 256        /* MIME parts of one message searched */
#define SEARCH_TEXT_MAX ((size_t)16 << 20)  /* decoded text of one message searched */

typedef struct needle {
  size_t pos, end;     /* where the string was in the command */
  sa folded;
} needle;

typedef struct keptset {
  size_t pos, end;     /* where the set was in the command */
  int searchres;
  imap_seqset set;     /* resolved; ranges malloc'd */
} keptset;

typedef struct ctx {
  mbox *mb;
  size_t i;            /* the message */
  int dry;             /* syntax only: no message */
  int failed;          /* a message could not be read */
  imap_range *ranges;
  needle nd[SEARCH_NEEDLES_MAX];
  size_t nnd;
  keptset ks[SEARCH_SETS_MAX];
  size_t nks;
  sa tmp;              /* one needle beyond the table */
  sa val, dec, fold;   /* a header value, decoded, folded */
  long text_for;       /* the message whose text is in head/body, or -1 */
  sa head, body;       /* folded decoded header, and text parts */
} ctx;

/* ---- the saved result (RFC 5182) ---------------------------------------- */

static uint32_t *saved;       /* UIDs, ascending */
static size_t nsaved;

void searchres_reset(void)
{
  free(saved);
  saved = 0;
  nsaved = 0;
}

int searchres_save(const mbox *mb, const unsigned char *hit)
{
  size_t i, k = 0;
  searchres_reset();
  for (i = 0; i < mb->n; i++) k += hit[i] != 0;
  if (!k) return 1;
  if (!(saved = calloc(k, sizeof *saved))) return 0;
  for (i = 0; i < mb->n; i++)
    if (hit[i]) saved[nsaved++] = mb->m[i].uid;
  return 1;
}

static int saved_has(uint32_t uid)
{
  size_t lo = 0, hi = nsaved;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (saved[mid] == uid) return 1;
    if (saved[mid] < uid) lo = mid + 1;
    else hi = mid;
  }
  return 0;
}

int searchres_fill(const mbox *mb, imap_seqset *set, int uid, const char **why)
{
  size_t i;
  set->n = 0;
  set->searchres = 0;
  for (i = 0; i < mb->n; i++) {
    uint32_t v = uid ? mb->m[i].uid : (uint32_t)(i + 1);
    if (!saved_has(mb->m[i].uid)) continue;
    if (set->n && set->r[set->n - 1].hi + 1 == v) { set->r[set->n - 1].hi = v; continue; }
    if (set->n == set->cap) { *why = "saved result too large"; return 0; }
    set->r[set->n].lo = set->r[set->n].hi = v;
    set->n++;
  }
  return 1;
}

/* ---- text ---------------------------------------------------------------- */

/* The search string at p, folded (kept per command: the same criteria are
 * read again for every message). */
static int get_needle(imap_parser *p, ctx *c, const sa **out)
{
  size_t k, start = p->pos;
  sa raw = SA_ZERO, *dst;
  for (k = 0; k < c->nnd; k++)
    if (c->nd[k].pos == start) { p->pos = c->nd[k].end; *out = &c->nd[k].folded; return 1; }
  if (!imap_astring(p, &raw)) return 0;
  dst = c->nnd < SEARCH_NEEDLES_MAX ? &c->nd[c->nnd].folded : &c->tmp;
  dst->len = 0;
  if (!sa_ready(dst, 1) || !utf8_fold(raw.s ? raw.s : "", raw.len, dst)) {
    sa_free(&raw);
    p->err = "out of memory";
    return 0;
  }
  sa_free(&raw);
  if (c->nnd < SEARCH_NEEDLES_MAX) {
    c->nd[c->nnd].pos = start;
    c->nd[c->nnd].end = p->pos;
    c->nnd++;
  }
  *out = dst;
  return 1;
}

static int has(const sa *hay, const sa *n)
{
  if (!n->len) return 1;
  return hay->len >= n->len && memmem(hay->s, hay->len, n->s, n->len) != 0;
}

/* A header value decoded and folded into c->fold. */
static int fold_value(ctx *c, const char *s, size_t n)
{
  c->fold.len = 0;
  if (!rfc2047_decode(s, n, &c->dec)) {
    /* a value whose decoding passes RFC2047_OUT_MAX is compared as written,
     * rather than failing the whole SEARCH */
    if (errno != ERANGE) return 0;
    return utf8_fold(s, n, &c->fold);
  }
  return utf8_fold(c->dec.s ? c->dec.s : "", c->dec.len, &c->fold);
}

static int fold_header(ctx *c, const char *h, size_t n, sa *out)
{
  size_t pos = 0;
  hdr_field f;
  int sep;
  while (hdr_next(h, n, &pos, &f, &sep)) {
    if (!fold_value(c, f.value, f.value_len)) return 0;
    if (!utf8_fold(f.name, f.name_len, out) || !sa_cats(out, ": ") ||
        !sa_catb(out, c->fold.s ? c->fold.s : "", c->fold.len) ||
        !sa_catc(out, '\n'))
      return 0;
  }
  return 1;
}

static int text_part(ctx *c, const mime_part *pt, sa *out)
{
  sa raw = SA_ZERO, cs = SA_ZERO;
  int ok = 0;
  raw.cap = SEARCH_TEXT_MAX;
  if (!cte_decode(pt->encoding.s, pt->encoding.len, pt->body.s, pt->body.len, &raw)) goto done;
  c->dec.len = 0;
  if (!mime_param_get(pt->params, "charset", &cs) ||
      !rfc2047_to_utf8(cs.s, cs.len, raw.s ? raw.s : "", raw.len, &c->dec)) {
    c->dec.len = 0;
    if (!rfc2047_to_utf8("UTF-8", 5, raw.s ? raw.s : "", raw.len, &c->dec)) goto done;
  }
  ok = utf8_fold(c->dec.s ? c->dec.s : "", c->dec.len, out) && sa_catc(out, '\n');
done:
  sa_free(&raw);
  sa_free(&cs);
  return ok;
}

/* The message's text, decoded and folded: the header in c->head, the text
 * parts (and the headers of attached messages) in c->body. */
static int load_text(ctx *c)
{
  static mime_part parts[SEARCH_PARTS_MAX];
  mime_msg mm;
  const char *buf;
  size_t len, hl, k;
  if (c->text_for == (long)c->i) return 1;
  c->text_for = -1;
  c->head.len = c->body.len = 0;
  if (!fetch_load(c->mb, c->i, &buf, &len, &hl)) return 0;
  if (!mime_parse(&mm, buf, len, parts, SEARCH_PARTS_MAX)) return 0;
  if (!fold_header(c, buf, hl, &c->head) && errno != ERANGE) return 0;
  for (k = 0; k < mm.count; k++) {
    const mime_part *pt = &parts[k];
    /* text past SEARCH_TEXT_MAX (ERANGE) is not searched */
    if (k && pt->parent >= 0 && parts[pt->parent].is_message &&
        !fold_header(c, pt->header.s, pt->header.len, &c->body) && errno != ERANGE)
      return 0;
    if (pt->is_multipart || pt->is_message || pt->first_child >= 0) continue;
    if (!(pt->type_default || mime_is(pt->type, "text"))) {
      /* other parts as they are (a name in a base64 attachment is not found) */
      if ((!utf8_fold(pt->body.s, pt->body.len, &c->body) || !sa_catc(&c->body, '\n')) && errno != ERANGE)
        return 0;
      continue;
    }
    if (!text_part(c, pt, &c->body) && errno != ERANGE) return 0;
  }
  c->text_for = (long)c->i;
  return 1;
}

/* Fields that appear once in a message: msghdr_get (the cache) has them. */
static int single_field(const char *name)
{
  static const char *const f[] = { "From", "To", "Cc", "Bcc", "Subject", "Date", "Message-ID",
                                   "In-Reply-To", "References", "Reply-To", "Sender", 0 };
  size_t i;
  for (i = 0; f[i]; i++)
    if (strcasecmp(name, f[i]) == 0) return 1;
  return 0;
}

static int header_has(ctx *c, const char *field, const sa *needle)
{
  int r;
  if (c->dry) return 0;
  if (single_field(field)) {
    r = msghdr_get(c->mb, c->i, field, &c->val);
    if (r < 0) { c->failed = 1; return 0; }
    if (!r) return 0;
    if (!fold_value(c, c->val.s ? c->val.s : "", c->val.len)) { c->failed = 1; return 0; }
    return has(&c->fold, needle);
  }
  {
    const char *buf;
    size_t len, hl, pos = 0;
    hdr_field f;
    int sep;
    if (!fetch_load(c->mb, c->i, &buf, &len, &hl)) { c->failed = 1; return 0; }
    while (hdr_next(buf, hl, &pos, &f, &sep)) {
      if (!hdr_is(&f, field)) continue;
      if (!fold_value(c, f.value, f.value_len)) { c->failed = 1; return 0; }
      if (has(&c->fold, needle)) return 1;
    }
    return 0;
  }
}

static int text_has(ctx *c, int body_only, const sa *needle)
{
  if (c->dry) return 0;
  if (!load_text(c)) { c->failed = 1; return 0; }
  return has(&c->body, needle) || (!body_only && has(&c->head, needle));
}

/* ---- criteria ------------------------------------------------------------- */

static int key(imap_parser *p, ctx *c, int depth);

/* search-key *(SP search-key), up to ')' or the end. */
static int keys(imap_parser *p, ctx *c, int depth, int in_paren)
{
  int all = 1, r;
  for (;;) {
    if ((r = key(p, c, depth)) < 0) return -1;
    all &= r;
    if (in_paren && imap_peek(p) == ')') return all;
    if (!in_paren && p->pos == p->n) return all;
    if (!imap_sp(p)) return -1;
  }
}

static int flag_key(imap_span k, unsigned flags, int *r)
{
  static const struct { const char *name; unsigned bit; int want; } fk[] = {
    { "SEEN", MF_SEEN, 1 }, { "UNSEEN", MF_SEEN, 0 }, { "DELETED", MF_DELETED, 1 },
    { "UNDELETED", MF_DELETED, 0 }, { "FLAGGED", MF_FLAGGED, 1 }, { "UNFLAGGED", MF_FLAGGED, 0 },
    { "ANSWERED", MF_ANSWERED, 1 }, { "UNANSWERED", MF_ANSWERED, 0 }, { "DRAFT", MF_DRAFT, 1 },
    { "UNDRAFT", MF_DRAFT, 0 }, { "RECENT", MF_RECENT, 1 }, { "OLD", MF_RECENT, 0 },
  };
  size_t i;
  for (i = 0; i < sizeof fk / sizeof fk[0]; i++)
    if (imap_is(k, fk[i].name)) { *r = ((flags & fk[i].bit) != 0) == fk[i].want; return 1; }
  if (imap_is(k, "NEW")) { *r = (flags & MF_RECENT) && !(flags & MF_SEEN); return 1; }
  return 0;
}

/* A sequence set or UID set key; "$" is the saved result. */
static int set_key(imap_parser *p, ctx *c, int uid)
{
  imap_seqset set = { c->ranges, IMAP_SEQSET_MAX, 0, 0 };
  const mbox_msg *m = &c->mb->m[c->i];
  size_t k, start = p->pos;
  keptset *ks;
  imap_range *copy;
  /* parsed and resolved once per command, not once per message */
  for (k = 0; k < c->nks; k++)
    if (c->ks[k].pos == start) {
      p->pos = c->ks[k].end;
      if (c->ks[k].searchres) return saved_has(m->uid);
      return imap_seqset_has(&c->ks[k].set, uid ? m->uid : (uint32_t)(c->i + 1));
    }
  if (!imap_seqset_parse(p, &set)) return -1;
  if (c->dry) return 0;
  if (!set.searchres)
    imap_seqset_resolve(&set, uid ? (c->mb->n ? c->mb->m[c->mb->n - 1].uid : 0) : (uint32_t)c->mb->n);
  copy = 0;
  if (c->nks < SEARCH_SETS_MAX && (set.searchres || !set.n || (copy = malloc(set.n * sizeof *copy)))) {
    ks = &c->ks[c->nks++];
    ks->pos = start;
    ks->end = p->pos;
    ks->searchres = set.searchres;
    ks->set = set;
    ks->set.r = copy;
    if (copy) memcpy(copy, set.r, set.n * sizeof *copy);
  }
  if (set.searchres) return saved_has(m->uid);
  return imap_seqset_has(&set, uid ? m->uid : (uint32_t)(c->i + 1));
}

static int date_key(imap_parser *p, ctx *c, imap_span k)
{
  time_t d, t, u;
  int sent = k.len > 4 && strncasecmp(k.s, "SENT", 4) == 0;
  imap_span op = sent ? (imap_span){ k.s + 4, k.len - 4 } : k;
  if (!imap_sp(p) || !imap_date(p, &d)) return -1;
  if (c->dry) return 0;
  if (sent) {
    int r = msghdr_get(c->mb, c->i, "Date", &c->val);
    if (r < 0) { c->failed = 1; return 0; }
    if (!r || !msgdate_parse(c->val.s, c->val.len, &u, &t)) return 0;  /* no date: never matches */
  } else if ((t = msghdr_internaldate(c->mb, c->i)) == (time_t)-1) {
    c->failed = 1;
    return 0;
  }
  if (imap_is(op, "BEFORE")) return t < d;
  if (imap_is(op, "ON")) return t >= d && t < d + 86400;
  return t >= d;
}

static int key(imap_parser *p, ctx *c, int depth)
{
  imap_span k;
  const sa *nd;
  int r = -1, a, b;
  const mbox_msg *m = &c->mb->m[c->i];
  if (depth > SEARCH_DEPTH_MAX) { p->err = "search too deep"; return -1; }
  if (imap_peek(p) == '(') {
    p->pos++;
    r = keys(p, c, depth + 1, 1);
    if (r >= 0 && !imap_char(p, ')')) r = -1;
    return r;
  }
  if ((imap_peek(p) >= '0' && imap_peek(p) <= '9') || imap_peek(p) == '*' || imap_peek(p) == '$')
    return set_key(p, c, 0);
  if (!imap_atom(p, &k)) return -1;
  if (imap_is(k, "ALL")) return 1;
  if (flag_key(k, m->flags, &r)) return r;
  if (imap_is(k, "KEYWORD") || imap_is(k, "UNKEYWORD")) {
    imap_span w;
    int letter;
    if (!imap_sp(p) || !imap_atom(p, &w)) return -1;
    letter = c->mb->kw ? kw_find(c->mb->kw, w.s, w.len) : -1;
    r = letter >= 0 && (mbox_name_keywords(m->name) >> letter & 1);
    return imap_is(k, "KEYWORD") ? r : !r;
  }
  if (imap_is(k, "NOT")) {
    if (!imap_sp(p) || (r = key(p, c, depth + 1)) < 0) return -1;
    return !r;
  }
  if (imap_is(k, "OR")) {
    if (!imap_sp(p) || (a = key(p, c, depth + 1)) < 0 || !imap_sp(p) || (b = key(p, c, depth + 1)) < 0)
      return -1;
    return a || b;
  }
  if (imap_is(k, "UID")) {
    if (!imap_sp(p)) return -1;
    return set_key(p, c, 1);
  }
  if (imap_is(k, "LARGER") || imap_is(k, "SMALLER")) {
    uint32_t v;
    long long sz;
    if (!imap_sp(p) || !imap_number(p, &v)) return -1;
    if (c->dry) return 0;
    if ((sz = msghdr_size(c->mb, c->i)) < 0) { c->failed = 1; return 0; }
    return imap_is(k, "LARGER") ? sz > (long long)v : sz < (long long)v;
  }
  if (imap_is(k, "BEFORE") || imap_is(k, "ON") || imap_is(k, "SINCE") || imap_is(k, "SENTBEFORE") ||
      imap_is(k, "SENTON") || imap_is(k, "SENTSINCE"))
    return date_key(p, c, k);
  if (imap_is(k, "HEADER")) {
    sa field = SA_ZERO;
    if (!imap_sp(p) || !imap_astring(p, &field) || !imap_sp(p) || !get_needle(p, c, &nd) ||
        !sa_0(&field) || memchr(field.s, 0, field.len)) {
      sa_free(&field);
      return -1;
    }
    r = header_has(c, field.s, nd);
    sa_free(&field);
    return r;
  }
  {
    static const char *const hk[] = { "FROM", "TO", "CC", "BCC", "SUBJECT", 0 };
    size_t i;
    for (i = 0; hk[i]; i++)
      if (imap_is(k, hk[i])) {
        if (!imap_sp(p) || !get_needle(p, c, &nd)) return -1;
        return header_has(c, hk[i], nd);
      }
  }
  if (imap_is(k, "MODSEQ")) return cs_search_key(p, c->mb, c->i);
  if (imap_is(k, "BODY") || imap_is(k, "TEXT")) {
    if (!imap_sp(p) || !get_needle(p, c, &nd)) return -1;
    return text_has(c, imap_is(k, "BODY"), nd);
  }
  p->err = "unknown or unsupported search key";
  return -1;
}

static void ctx_free(ctx *c)
{
  size_t k;
  for (k = 0; k < c->nnd; k++) sa_free(&c->nd[k].folded);
  for (k = 0; k < c->nks; k++) free(c->ks[k].set.r);
  sa_free(&c->tmp);
  sa_free(&c->val);
  sa_free(&c->dec);
  sa_free(&c->fold);
  sa_free(&c->head);
  sa_free(&c->body);
}

int search_charset(imap_parser *p)
{
  sa cs = SA_ZERO;
  int ok;
  if (!imap_astring(p, &cs)) return 0;
  ok = (cs.len == 5 && !strncasecmp(cs.s, "UTF-8", 5)) || (cs.len == 8 && !strncasecmp(cs.s, "US-ASCII", 8));
  sa_free(&cs);
  if (!ok) { p->err = "[BADCHARSET (UTF-8 US-ASCII)] unsupported charset"; return -2; }
  return 1;
}

int search_match(mbox *mb, imap_parser *p, unsigned char *hit)
{
  static imap_range ranges[IMAP_SEQSET_MAX];
  static ctx c;
  size_t start = p->pos, i;
  int r = 1;
  cs_search_reset();
  memset(&c, 0, sizeof c);
  c.mb = mb;
  c.ranges = ranges;
  c.text_for = -1;
  c.head.cap = c.body.cap = SEARCH_TEXT_MAX;
  if (!mb->n) {
    /* the syntax is checked even in an empty mailbox */
    mbox_msg dummy = { 0 };
    mbox one = *mb;
    one.m = &dummy;
    one.n = 1;
    c.mb = &one;
    c.dry = 1;
    if (keys(p, &c, 0, 0) < 0) { if (!p->err) p->err = "bad search"; r = 0; }
    ctx_free(&c);
    return r;
  }
  for (i = 0; i < mb->n; i++) {
    int k;
    p->pos = start;
    c.i = i;
    k = keys(p, &c, 0, 0);
    if (k < 0) { if (!p->err) p->err = "bad search"; r = 0; break; }
    hit[i] = (unsigned char)k;
  }
  if (r && c.failed) r = -1;
  ctx_free(&c);
  return r;
}

/* ---- the SEARCH command --------------------------------------------------- */

int search_return_options(imap_parser *p)
{
  static const struct { const char *name; int bit; } ro[] = {
    { "MIN", RET_MIN }, { "MAX", RET_MAX }, { "ALL", RET_ALL }, { "COUNT", RET_COUNT }, { "SAVE", RET_SAVE },
  };
  imap_span o;
  int opts = 0;
  size_t k;
  if (!imap_char(p, '(')) return -1;
  while (imap_peek(p) != ')') {
    if (opts && !imap_sp(p)) return -1;
    if (!imap_atom(p, &o)) return -1;
    for (k = 0; k < sizeof ro / sizeof ro[0]; k++)
      if (imap_is(o, ro[k].name)) break;
    if (k == sizeof ro / sizeof ro[0]) { p->err = "unknown RETURN option"; return -1; }
    opts |= ro[k].bit;
  }
  p->pos++;
  if (!imap_sp(p)) return -1;
  return opts ? opts : RET_ALL;
}

/* Writes " ALL set" of the hits as a compact sequence set. */
static void out_set(const mbox *mb, const unsigned char *hit, int uid)
{
  size_t i, j;
  int first = 1;
  for (i = 0; i < mb->n; i++) {
    uint32_t lo, hi;
    if (!hit[i]) continue;
    lo = hi = uid ? mb->m[i].uid : (uint32_t)(i + 1);
    for (j = i + 1; j < mb->n && hit[j]; j++) hi = uid ? mb->m[j].uid : (uint32_t)(j + 1);
    out_puts(first ? "" : ",");
    if (lo == hi) out_printf("%u", (unsigned)lo);
    else out_printf("%u:%u", (unsigned)lo, (unsigned)hi);
    first = 0;
    i = j - 1;
  }
}

int search_command(mbox *mb, imap_parser *p, int uid, const char *tag, size_t taglen)
{
  unsigned char *hit = 0;
  int opts = 0, r;
  size_t i, count = 0, min = 0, max = 0;
  if (p->n - p->pos >= 7 && strncasecmp(p->s + p->pos, "RETURN ", 7) == 0) {
    p->pos += 7;
    if ((opts = search_return_options(p)) < 0) { searchres_reset(); return 0; }
  }
  if (p->n - p->pos >= 8 && strncasecmp(p->s + p->pos, "CHARSET ", 8) == 0) {
    p->pos += 8;
    if ((r = search_charset(p)) != 1 || !imap_sp(p)) {
      if (opts & RET_SAVE) searchres_reset();
      return r == -2 ? -2 : 0;
    }
  }
  if (mb->n && !(hit = calloc(mb->n, 1))) { p->err = "[SERVERBUG] out of memory"; return -2; }
  r = search_match(mb, p, hit);
  if (r == 0) {
    if (opts & RET_SAVE) searchres_reset();
    free(hit);
    return 0;
  }
  for (i = 0; i < mb->n; i++)
    if (hit[i]) {
      if (!count) min = i;
      max = i;
      count++;
    }
  cs_search_hits(mb, hit);   /* the highest MODSEQ of the matches, if MODSEQ was a key */
  if (!opts) {
    out_puts("* SEARCH");
    for (i = 0; i < mb->n; i++)
      if (hit[i]) out_printf(" %u", uid ? (unsigned)mb->m[i].uid : (unsigned)(i + 1));
    cs_search_tail();
    out_puts("\r\n");
  } else {
    if (opts & RET_SAVE) {
      /* MIN and/or MAX alone with SAVE save only those (RFC 5182 2.1) */
      if (count && !(opts & (RET_ALL | RET_COUNT)) && (opts & (RET_MIN | RET_MAX))) {
        for (i = 0; i < mb->n; i++)
          hit[i] = (unsigned char)((i == min && (opts & RET_MIN)) || (i == max && (opts & RET_MAX)));
      }
      if (!searchres_save(mb, hit)) { free(hit); p->err = "[SERVERBUG] out of memory"; return -2; }
    }
    if (opts != RET_SAVE) {
      out_printf("* ESEARCH (TAG \"%.*s\")", (int)taglen, tag);
      if (uid) out_puts(" UID");
      if (count && (opts & RET_MIN)) out_printf(" MIN %u", uid ? (unsigned)mb->m[min].uid : (unsigned)(min + 1));
      if (count && (opts & RET_MAX)) out_printf(" MAX %u", uid ? (unsigned)mb->m[max].uid : (unsigned)(max + 1));
      if (count && (opts & RET_ALL)) { out_puts(" ALL "); out_set(mb, hit, uid); }
      if (opts & RET_COUNT) out_printf(" COUNT %zu", count);
      cs_esearch_tail();
      out_puts("\r\n");
    }
  }
  free(hit);
  return r;
}
