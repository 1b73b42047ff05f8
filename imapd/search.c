/* SEARCH (RFC 3501 6.4.4): the criteria are parsed again for each message
 * (no tree to build), depth-limited.  Text keys compare case-insensitively
 * (ASCII) against the raw header field or the message as sent; the charset
 * may be US-ASCII or UTF-8. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "condstore.h"
#include "header.h"
#include "imapd.h"
#include "msghdr.h"

#define SEARCH_DEPTH_MAX 32

typedef struct ctx {
  mbox *mb;
  size_t i;            /* the message */
  int uid;
  int failed;          /* a message could not be read */
  imap_range *ranges;
} ctx;

static int contains(const char *h, size_t hn, const char *n, size_t nn)
{
  size_t i;
  if (!nn) return 1;
  for (i = 0; i + nn <= hn; i++)
    if (strncasecmp(h + i, n, nn) == 0) return 1;
  return 0;
}

static int header_has(ctx *c, const char *field, size_t flen, const sa *needle)
{
  static sa v = SA_ZERO;
  char name[HDR_NAME_MAX + 1];
  int r;
  if (flen > HDR_NAME_MAX) return 0;
  memcpy(name, field, flen);
  name[flen] = 0;
  /* the first such field, unfolded (msghdr.h: from the cache when it has it) */
  if ((r = msghdr_get(c->mb, c->i, name, &v)) < 0) { c->failed = 1; return 0; }
  return r && contains(v.s ? v.s : "", v.len, needle->s ? needle->s : "", needle->len);
}

static int text_has(ctx *c, int body_only, const sa *needle)
{
  const char *buf;
  size_t len, hl;
  if (!fetch_load(c->mb, c->i, &buf, &len, &hl)) { c->failed = 1; return 0; }
  if (body_only) return contains(buf + hl, len - hl, needle->s ? needle->s : "", needle->len);
  return contains(buf, len, needle->s ? needle->s : "", needle->len);
}

static time_t internaldate(ctx *c)
{
  char path[MBOX_PATH_MAX];
  struct stat st;
  if (!mbox_path(c->mb, c->i, path, sizeof path) || stat(path, &st) < 0) return 0;
  return st.st_mtime;
}

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

static int key(imap_parser *p, ctx *c, int depth)
{
  imap_span k;
  sa arg = SA_ZERO;
  int r = -1, a, b;
  const mbox_msg *m = &c->mb->m[c->i];
  if (depth > SEARCH_DEPTH_MAX) { p->err = "search too deep"; return -1; }
  if (imap_peek(p) == '(') {
    p->pos++;
    r = keys(p, c, depth + 1, 1);
    if (r >= 0 && !imap_char(p, ')')) r = -1;
    return r;
  }
  if ((imap_peek(p) >= '0' && imap_peek(p) <= '9') || imap_peek(p) == '*') {
    imap_seqset set = { c->ranges, IMAP_SEQSET_MAX, 0, 0 };
    if (!imap_seqset_parse(p, &set)) return -1;
    imap_seqset_resolve(&set, (uint32_t)c->mb->n);
    return imap_seqset_has(&set, (uint32_t)(c->i + 1));
  }
  if (!imap_atom(p, &k)) return -1;
  if (imap_is(k, "ALL")) return 1;
  if (flag_key(k, m->flags, &r)) return r;
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
    imap_seqset set = { c->ranges, IMAP_SEQSET_MAX, 0, 0 };
    if (!imap_sp(p) || !imap_seqset_parse(p, &set)) return -1;
    imap_seqset_resolve(&set, c->mb->n ? c->mb->m[c->mb->n - 1].uid : 0);
    return imap_seqset_has(&set, m->uid);
  }
  if (imap_is(k, "LARGER") || imap_is(k, "SMALLER")) {
    uint32_t v;
    const char *buf;
    size_t len, hl;
    if (!imap_sp(p) || !imap_number(p, &v)) return -1;
    if (!fetch_load(c->mb, c->i, &buf, &len, &hl)) { c->failed = 1; return 0; }
    return imap_is(k, "LARGER") ? len > v : len < v;
  }
  if (imap_is(k, "BEFORE") || imap_is(k, "ON") || imap_is(k, "SINCE")) {
    time_t d, t;
    if (!imap_sp(p) || !imap_date(p, &d)) return -1;
    t = internaldate(c);
    if (imap_is(k, "BEFORE")) return t < d;
    if (imap_is(k, "ON")) return t >= d && t < d + 86400;
    return t >= d;
  }
  if (imap_is(k, "HEADER")) {
    sa field = SA_ZERO;
    if (!imap_sp(p) || !imap_astring(p, &field) || !imap_sp(p) || !imap_astring(p, &arg)) {
      sa_free(&field);
      sa_free(&arg);
      return -1;
    }
    r = header_has(c, field.s ? field.s : "", field.len, &arg);
    sa_free(&field);
    sa_free(&arg);
    return r;
  }
  {
    static const char *const hk[] = { "FROM", "TO", "CC", "BCC", "SUBJECT", 0 };
    size_t i;
    for (i = 0; hk[i]; i++)
      if (imap_is(k, hk[i])) {
        if (!imap_sp(p) || !imap_astring(p, &arg)) { sa_free(&arg); return -1; }
        r = header_has(c, hk[i], strlen(hk[i]), &arg);
        sa_free(&arg);
        return r;
      }
  }
  if (imap_is(k, "MODSEQ")) return cs_search_key(p, c->mb, c->i);
  if (imap_is(k, "BODY") || imap_is(k, "TEXT")) {
    if (!imap_sp(p) || !imap_astring(p, &arg)) { sa_free(&arg); return -1; }
    r = text_has(c, imap_is(k, "BODY"), &arg);
    sa_free(&arg);
    return r;
  }
  p->err = "unknown or unsupported search key";
  return -1;
}

int search_command(mbox *mb, imap_parser *p, int uid)
{
  static imap_range ranges[IMAP_SEQSET_MAX];
  ctx c = { mb, 0, uid, 0, ranges };
  size_t start, i;
  sa cs = SA_ZERO;
  cs_search_reset();
  if (p->n - p->pos >= 8 && strncasecmp(p->s + p->pos, "CHARSET ", 8) == 0) {
    p->pos += 8;
    if (!imap_astring(p, &cs) || !imap_sp(p)) { sa_free(&cs); return 0; }
    if (!((cs.len == 5 && !strncasecmp(cs.s, "UTF-8", 5)) || (cs.len == 8 && !strncasecmp(cs.s, "US-ASCII", 8)))) {
      sa_free(&cs);
      p->err = "[BADCHARSET (UTF-8 US-ASCII)] unsupported charset";
      return -2;
    }
    sa_free(&cs);
  }
  start = p->pos;
  /* check the syntax once even in an empty mailbox */
  if (!mb->n) {
    mbox_msg dummy = { 0 };
    mbox one = *mb;
    one.m = &dummy;
    one.n = 1;
    c.mb = &one;
    if (keys(p, &c, 0, 0) < 0) { if (!p->err) p->err = "bad search"; return 0; }
    out_puts("* SEARCH\r\n");
    return 1;
  }
  for (i = 0; i < mb->n; i++) {
    int r;
    p->pos = start;
    c.i = i;
    r = keys(p, &c, 0, 0);
    if (r < 0) { if (!p->err) p->err = "bad search"; return 0; }
    if (i == 0) out_puts("* SEARCH");
    if (r) out_printf(" %u", uid ? (unsigned)mb->m[i].uid : (unsigned)(i + 1));
    if (r) cs_search_note(mb, i);
  }
  cs_search_tail();
  out_puts("\r\n");
  return c.failed ? -1 : 1;
}
