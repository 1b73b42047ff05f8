/* FETCH: the data items of RFC 3501 6.4.5 over a message loaded into
 * memory with CRLF line ends (what the client sees), and its MIME tree. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "condstore.h"
#include "envaddr.h"
#include "header.h"
#include "imapd.h"
#include "keywords.h"
#include "mime.h"
#include "search.h"

#define FETCH_ATTS_MAX 64
#define FETCH_PARTS_MAX 512     /* MIME parts of one message looked at */

enum fa_kind {
  FA_FLAGS, FA_UID, FA_SIZE, FA_INTERNALDATE, FA_ENVELOPE, FA_BODYSTRUCTURE, FA_BODY,
  FA_SECTION, FA_RFC822, FA_RFC822_HEADER, FA_RFC822_TEXT, FA_MODSEQ
};
enum sec_what { SW_ALL, SW_HEADER, SW_FIELDS, SW_FIELDS_NOT, SW_TEXT, SW_MIME };

typedef struct fatt {
  enum fa_kind kind;
  int peek;
  imap_span raw;        /* the section text between the brackets, echoed back */
  imap_span part;       /* "1.2" or empty */
  enum sec_what what;
  imap_span fields;     /* HEADER.FIELDS: the names between the parentheses */
  int partial;
  uint32_t origin, count;
} fatt;

/* the message being looked at */
static sa msg = { 0, 0, 0, IMAP_MESSAGE_MAX };
static mime_part parts[FETCH_PARTS_MAX];
static mime_msg mm;
static long loaded = -1;      /* index in the mailbox */
static uint32_t loaded_uid;
static time_t loaded_mtime;

static int header_value(mime_span h, const char *name, mime_span *v);
static void out_structure(int idx, int ext);

/* Records the loaded message i in the folder's cache, when all of it fits. */
static void remember(mbox *mb, size_t i)
{
  static sa bs = { 0, 0, 0, CACHE_STRUCT_MAX }, body = { 0, 0, 0, CACHE_STRUCT_MAX };
  cache_entry e;
  mime_span v;
  size_t k;
  memset(&e, 0, sizeof e);
  e.size = mm.len;
  e.mtime = loaded_mtime;
  for (k = 0; k < CACHE_FIELDS; k++) {
    if (!header_value(parts[0].header, cache_field_names[k], &v)) continue;
    /* a value ending in a line break would not read back the same */
    if (v.len > CACHE_FIELD_MAX || (v.len && v.s[v.len - 1] == '\n')) return;
    e.field[k] = v.s;
    e.flen[k] = v.len;
  }
  bs.len = body.len = 0;
  out_capture(&bs);
  out_structure(0, 1);
  if (!out_capture(0)) return;
  out_capture(&body);
  out_structure(0, 0);
  if (!out_capture(0)) return;
  e.bs = bs.s ? bs.s : "";
  e.bslen = bs.len;
  e.body = body.s ? body.s : "";
  e.bodylen = body.len;
  cache_put(mb, i, &e);
}

static int load(mbox *mb, size_t i)
{
  char path[MBOX_PATH_MAX];
  char buf[65536];
  int fd;
  ssize_t r;
  size_t k;
  if (loaded == (long)i && loaded_uid == mb->m[i].uid) return 1;
  loaded = -1;
  msg.len = 0;
  if (!mbox_path(mb, i, path, sizeof path)) return 0;
  if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 &&
      (errno != ENOENT || !mbox_relocate(mb, i) || !mbox_path(mb, i, path, sizeof path) ||
       (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0))
    return 0;
  {
    struct stat st;
    if (fstat(fd, &st) < 0) { close(fd); return 0; }
    loaded_mtime = st.st_mtime;
  }
  while ((r = read(fd, buf, sizeof buf)) > 0) {
    for (k = 0; k < (size_t)r; k++) {
      if (buf[k] == '\n' && (msg.len == 0 || msg.s[msg.len - 1] != '\r') && !sa_catc(&msg, '\r')) {
        close(fd);
        return 0;
      }
      if (!sa_catc(&msg, buf[k])) { close(fd); return 0; }
    }
  }
  close(fd);
  if (r < 0) return 0;
  mime_parse(&mm, msg.s ? msg.s : "", msg.len, parts, FETCH_PARTS_MAX);
  loaded = (long)i;
  loaded_uid = mb->m[i].uid;
  if (!mb->cache) cache_index(mb);
  if (!mb->m[i].cache_off) remember(mb, i);
  return 1;
}

int fetch_load(mbox *mb, size_t i, const char **buf, size_t *len, size_t *hdrlen)
{
  if (!load(mb, i)) return 0;
  *buf = mm.buf;
  *len = mm.len;
  *hdrlen = parts[0].header.len;
  return 1;
}

/* ---- parsing the request ------------------------------------------------ */

static int kw(imap_parser *p, const char *w)
{
  size_t l = strlen(w);
  if (p->n - p->pos < l || strncasecmp(p->s + p->pos, w, l) != 0) return 0;
  p->pos += l;
  return 1;
}

/* Each number of a section part is an nz-number (RFC 3501 section 9):
 * 1 to 4294967295, no leading zero. */
static int part_numbers_ok(const char *s, size_t n)
{
  size_t i = 0;
  while (i < n) {
    size_t b = i;
    unsigned long long v = 0;
    while (i < n && s[i] != '.') {
      v = v * 10 + (unsigned)(s[i] - '0');
      if (v > 0xffffffffULL) return 0;
      i++;
    }
    if (i == b || s[b] == '0') return 0;
    i++;
  }
  return 1;
}

static int parse_section(imap_parser *p, fatt *a)
{
  size_t st;
  if (!imap_char(p, '[')) return 0;
  st = p->pos;
  a->part.s = p->s + p->pos;
  while (p->pos < p->n && ((p->s[p->pos] >= '0' && p->s[p->pos] <= '9') ||
                           (p->s[p->pos] == '.' && p->pos + 1 < p->n && p->s[p->pos + 1] >= '0' &&
                            p->s[p->pos + 1] <= '9')))
    p->pos++;
  a->part.len = (size_t)(p->s + p->pos - a->part.s);
  if (!part_numbers_ok(a->part.s, a->part.len)) { p->err = "bad section number"; return 0; }
  if (a->part.len && p->pos < p->n && p->s[p->pos] == '.') p->pos++;
  else if (a->part.len && imap_peek(p) != ']') { p->err = "bad section"; return 0; }
  a->what = SW_ALL;
  if (imap_peek(p) == ']') {
    if (a->part.len && p->s[p->pos - 1] == '.') { p->err = "bad section"; return 0; }
  } else if ((kw(p, "HEADER.FIELDS.NOT ") && (a->what = SW_FIELDS_NOT)) ||
             (kw(p, "HEADER.FIELDS ") && (a->what = SW_FIELDS))) {
    size_t fs;
    if (!imap_char(p, '(')) return 0;
    fs = p->pos;
    for (;;) {
      sa tmp = SA_ZERO;
      int ok = imap_astring(p, &tmp);
      sa_free(&tmp);
      if (!ok) return 0;
      if (imap_peek(p) == ')') break;
      if (!imap_sp(p)) return 0;
    }
    a->fields.s = p->s + fs;
    a->fields.len = p->pos - fs;
    p->pos++;
  } else if (kw(p, "HEADER")) {
    a->what = SW_HEADER;
  } else if (kw(p, "TEXT")) {
    a->what = SW_TEXT;
  } else if (a->part.len && kw(p, "MIME")) {
    a->what = SW_MIME;
  } else {
    p->err = "bad section";
    return 0;
  }
  a->raw.s = p->s + st;
  a->raw.len = p->pos - st;
  if (!imap_char(p, ']')) { p->err = "bad section"; return 0; }
  if (imap_peek(p) == '<') {
    p->pos++;
    if (!imap_number(p, &a->origin) || !imap_char(p, '.') || !imap_nznumber(p, &a->count) ||
        !imap_char(p, '>')) {
      p->err = "bad partial";
      return 0;
    }
    a->partial = 1;
  }
  return 1;
}

static int parse_att(imap_parser *p, fatt *a)
{
  memset(a, 0, sizeof *a);
  if (kw(p, "BODY.PEEK")) { a->kind = FA_SECTION; a->peek = 1; return parse_section(p, a); }
  if (kw(p, "BODYSTRUCTURE")) { a->kind = FA_BODYSTRUCTURE; return 1; }
  if (kw(p, "BODY")) {
    if (imap_peek(p) == '[') { a->kind = FA_SECTION; return parse_section(p, a); }
    a->kind = FA_BODY;
    return 1;
  }
  if (kw(p, "RFC822.SIZE")) { a->kind = FA_SIZE; return 1; }
  if (kw(p, "RFC822.HEADER")) { a->kind = FA_RFC822_HEADER; return 1; }
  if (kw(p, "RFC822.TEXT")) { a->kind = FA_RFC822_TEXT; return 1; }
  if (kw(p, "RFC822")) { a->kind = FA_RFC822; return 1; }
  if (kw(p, "FLAGS")) { a->kind = FA_FLAGS; return 1; }
  if (kw(p, "UID")) { a->kind = FA_UID; return 1; }
  if (kw(p, "INTERNALDATE")) { a->kind = FA_INTERNALDATE; return 1; }
  if (kw(p, "ENVELOPE")) { a->kind = FA_ENVELOPE; return 1; }
  if (kw(p, "MODSEQ")) { a->kind = FA_MODSEQ; return 1; }
  p->err = "unknown FETCH item";
  return 0;
}

static int add(fatt *atts, size_t *n, enum fa_kind k)
{
  if (*n >= FETCH_ATTS_MAX) return 0;
  memset(&atts[*n], 0, sizeof atts[0]);
  atts[(*n)++].kind = k;
  return 1;
}

static int parse_atts(imap_parser *p, fatt *atts, size_t *n)
{
  *n = 0;
  if (kw(p, "ALL")) return add(atts, n, FA_FLAGS) && add(atts, n, FA_INTERNALDATE) &&
                           add(atts, n, FA_SIZE) && add(atts, n, FA_ENVELOPE);
  if (kw(p, "FAST")) return add(atts, n, FA_FLAGS) && add(atts, n, FA_INTERNALDATE) &&
                            add(atts, n, FA_SIZE);
  if (kw(p, "FULL")) return add(atts, n, FA_FLAGS) && add(atts, n, FA_INTERNALDATE) &&
                            add(atts, n, FA_SIZE) && add(atts, n, FA_ENVELOPE) && add(atts, n, FA_BODY);
  if (imap_peek(p) != '(') return parse_att(p, &atts[(*n)++]);
  p->pos++;
  for (;;) {
    if (*n >= FETCH_ATTS_MAX) { p->err = "too many FETCH items"; return 0; }
    if (!parse_att(p, &atts[(*n)++])) return 0;
    if (imap_peek(p) == ')') { p->pos++; return 1; }
    if (!imap_sp(p)) return 0;
  }
}

/* ---- writing ----------------------------------------------------------- */

static void out_span(mime_span s) { out_string(s.s, s.len); }

static void out_upper_span(mime_span s)
{
  char b[MIME_TOKEN_MAX];
  size_t i;
  if (s.len > sizeof b) { out_span(s); return; }
  for (i = 0; i < s.len; i++) b[i] = (s.s[i] >= 'a' && s.s[i] <= 'z') ? (char)(s.s[i] - 32) : s.s[i];
  out_string(b, s.len);
}

static void out_nspan(mime_span s)
{
  if (!s.len) out_puts("NIL");
  else out_span(s);
}

static void out_params(mime_span params)
{
  size_t pos = 0;
  mime_span k, v;
  sa val = SA_ZERO;
  int any = 0;
  while (mime_param_next(params.s, params.len, &pos, &k, &v)) {
    if (!mime_unquote(v, &val)) break;
    out_puts(any ? " " : "(");
    any = 1;
    out_upper_span(k);
    out_puts(" ");
    out_string(val.s ? val.s : "", val.len);
  }
  out_puts(any ? ")" : "NIL");
  sa_free(&val);
}

/* The value of the first header field called name in header h, trimmed. */
static int header_value(mime_span h, const char *name, mime_span *v)
{
  size_t pos = 0;
  hdr_field f;
  int sep;
  while (hdr_next(h.s, h.len, &pos, &f, &sep))
    if (hdr_is(&f, name)) {
      const char *s = f.value;
      size_t n = f.value_len;
      while (n && (*s == ' ' || *s == '\t')) { s++; n--; }
      while (n && (s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
      v->s = s;
      v->len = n;
      return 1;
    }
  return 0;
}

static void out_addresses(mime_span h, const char *name)
{
  mime_span v;
  sa list = SA_ZERO;
  size_t count = 0, i, k;
  if (!header_value(h, name, &v) || !envaddr_parse(v.s, v.len, &list, &count) || !count) {
    out_puts("NIL");
    sa_free(&list);
    return;
  }
  out_puts("(");
  for (i = 0, k = 0; k < count * 4; k++) {
    const char *f = list.s + i;
    size_t l = strlen(f + 1);
    out_puts(k % 4 == 0 ? "(" : " ");
    if (f[0] == 'N') out_puts("NIL");
    else out_string(f + 1, l);
    if (k % 4 == 3) out_puts(")");
    i += l + 2;
  }
  out_puts(")");
  sa_free(&list);
}

static void out_envelope(mime_span h)
{
  mime_span v;
  out_puts("(");
  if (header_value(h, "date", &v)) out_span(v); else out_puts("NIL");
  out_puts(" ");
  if (header_value(h, "subject", &v)) out_span(v); else out_puts("NIL");
  out_puts(" ");
  out_addresses(h, "from");
  out_puts(" ");
  out_addresses(h, header_value(h, "sender", &v) ? "sender" : "from");
  out_puts(" ");
  out_addresses(h, header_value(h, "reply-to", &v) ? "reply-to" : "from");
  out_puts(" ");
  out_addresses(h, "to");
  out_puts(" ");
  out_addresses(h, "cc");
  out_puts(" ");
  out_addresses(h, "bcc");
  out_puts(" ");
  if (header_value(h, "in-reply-to", &v)) out_span(v); else out_puts("NIL");
  out_puts(" ");
  if (header_value(h, "message-id", &v)) out_span(v); else out_puts("NIL");
  out_puts(")");
}

/* The extension data both part kinds end with: body-fld-dsp, body-fld-lang,
 * body-fld-loc (RFC 3501 section 9). */
static void out_disposition_tail(const mime_part *pt)
{
  mime_span tok, rest;
  if (mime_first_token(pt->disposition, &tok, &rest)) {
    out_puts("(");
    out_upper_span(tok);
    out_puts(" ");
    out_params(rest);
    out_puts(")");
  } else out_puts("NIL");
  out_puts(" ");
  out_nspan(pt->language);
  out_puts(" ");
  out_nspan(pt->location);
}

static void out_structure(int idx, int ext)
{
  const mime_part *pt = &parts[idx];
  int c;
  if (pt->is_multipart) {
    out_puts("(");
    for (c = pt->first_child; c >= 0; c = parts[c].next_sibling) out_structure(c, ext);
    if (pt->first_child < 0) out_puts("(\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 0 0)");
    out_puts(" ");
    out_upper_span(pt->subtype);
    if (ext) {
      out_puts(" ");
      out_params(pt->params);
      out_puts(" ");
      out_disposition_tail(pt);
    }
    out_puts(")");
    return;
  }
  out_puts("(");
  out_upper_span(pt->type);
  out_puts(" ");
  out_upper_span(pt->subtype);
  out_puts(" ");
  if (mime_is(pt->type, "text") && pt->type_default) out_puts("(\"CHARSET\" \"US-ASCII\")");
  else out_params(pt->params);
  out_puts(" ");
  out_nspan(pt->id);
  out_puts(" ");
  out_nspan(pt->description);
  out_puts(" ");
  if (pt->encoding.len) out_upper_span(pt->encoding); else out_puts("\"7BIT\"");
  out_printf(" %zu", pt->body.len);
  if (pt->is_message && pt->first_child >= 0) {
    out_puts(" ");
    out_envelope(parts[pt->first_child].header);
    out_puts(" ");
    out_structure(pt->first_child, ext);
    out_printf(" %zu", pt->lines);
  } else if (mime_is(pt->type, "text")) {
    out_printf(" %zu", pt->lines);
  }
  if (ext) {
    out_puts(" ");
    out_nspan(pt->md5);
    out_puts(" ");
    out_disposition_tail(pt);
  }
  out_puts(")");
}

/* Is the field name in the parenthesised list of names? */
static int in_fields(imap_span fields, const hdr_field *f)
{
  imap_parser p;
  sa name = SA_ZERO;
  int found = 0;
  imap_parser_init(&p, fields.s, fields.len);
  while (!found && imap_astring(&p, &name)) {
    if (name.len == f->name_len && strncasecmp(name.s, f->name, name.len) == 0) found = 1;
    if (!imap_sp(&p)) break;
  }
  sa_free(&name);
  return found;
}

/* The bytes of a section into *s (pointing into the message, or into tmp). */
static int section_bytes(const fatt *a, sa *tmp, mime_span *s)
{
  int idx = 0;
  const mime_part *pt;
  mime_span hdr, text;
  if (a->part.len) {
    idx = mime_section(&mm, 0, a->part.s, a->part.len);
    if (idx < 0) { s->s = ""; s->len = 0; return 1; }   /* no such part: empty, as RFC 3501 allows */
  }
  pt = &parts[idx];
  if (a->what == SW_ALL) {
    if (!a->part.len) { s->s = mm.buf; s->len = mm.len; } else *s = pt->body;
    return 1;
  }
  if (a->what == SW_MIME) { *s = pt->header; return 1; }
  /* HEADER, TEXT, HEADER.FIELDS: of the message, or of a message/rfc822 part */
  if (a->part.len) {
    if (!pt->is_message || pt->first_child < 0) { s->s = ""; s->len = 0; return 1; }
    pt = &parts[pt->first_child];
  }
  hdr = pt->header;
  text = pt->body;
  if (a->what == SW_TEXT) { *s = text; return 1; }
  if (a->what == SW_HEADER) { *s = hdr; return 1; }
  {
    size_t pos = 0;
    hdr_field f;
    int sep;
    tmp->len = 0;
    while (hdr_next(hdr.s, hdr.len, &pos, &f, &sep))
      if (in_fields(a->fields, &f) == (a->what == SW_FIELDS) && !sa_catb(tmp, f.raw, f.raw_len)) return 0;
    if (!sa_catb(tmp, "\r\n", 2)) return 0;
    s->s = tmp->s;
    s->len = tmp->len;
  }
  return 1;
}

static void out_section_name(const fatt *a)
{
  size_t i;
  out_puts("BODY[");
  for (i = 0; i < a->raw.len; i++) {
    char c = a->raw.s[i];
    out_put((c >= 'a' && c <= 'z') ? &(char){ (char)(c - 32) } : &a->raw.s[i], 1);
  }
  out_puts("]");
  if (a->partial) out_printf("<%u>", (unsigned)a->origin);
}

static void out_bytes(mime_span s, const fatt *a)
{
  if (a && a->partial) {
    size_t o = a->origin < s.len ? a->origin : s.len;
    size_t n = s.len - o < a->count ? s.len - o : a->count;
    s.s += o;
    s.len = n;
  }
  out_printf("{%zu}\r\n", s.len);
  out_put(s.s, s.len);
}

/* "(\\Seen ...)" into b (at least FLAGS_TEXT_MAX bytes); its length. */
#define FLAGS_TEXT_MAX 64
static size_t flags_text(unsigned flags, char *b)
{
  static const struct { unsigned bit; const char *name; size_t len; } fl[] = {
    { MF_SEEN, "\\Seen", 5 }, { MF_ANSWERED, "\\Answered", 9 }, { MF_FLAGGED, "\\Flagged", 8 },
    { MF_DELETED, "\\Deleted", 8 }, { MF_DRAFT, "\\Draft", 6 }, { MF_RECENT, "\\Recent", 7 },
  };
  size_t k, o = 0;
  b[o++] = '(';
  for (k = 0; k < sizeof fl / sizeof fl[0]; k++)
    if (flags & fl[k].bit) {
      if (o > 1) b[o++] = ' ';
      memcpy(b + o, fl[k].name, fl[k].len);
      o += fl[k].len;
    }
  b[o++] = ')';
  return o;
}

static uint32_t has_keywords(const mbox *mb, size_t i) { return mb->kw ? mbox_keywords(mb, i) : 0; }

/* The system flags, then the keywords that have a name (keywords.h). */
void out_flags(const mbox *mb, size_t i)
{
  char b[FLAGS_TEXT_MAX];
  size_t n = flags_text(mb->m[i].flags, b), k;
  uint32_t kw = has_keywords(mb, i);
  int any = n > 2;
  if (!kw) { out_put(b, n); return; }
  out_put(b, n - 1);                /* without its ")" */
  for (k = 0; k < KW_MAX; k++)
    if ((kw >> k & 1) && mb->kw->name[k]) {
      if (any) out_puts(" ");
      out_puts(mb->kw->name[k]);
      any = 1;
    }
  out_puts(")");
}

/* Decimal digits of v at b; their count (at most 20). */
static size_t num_text(uint64_t v, char *b)
{
  char t[20];
  size_t n = 0, k;
  do { t[n++] = (char)('0' + v % 10); v /= 10; } while (v);
  for (k = 0; k < n; k++) b[k] = t[n - 1 - k];
  return n;
}

static void out_num(uint64_t v)
{
  char b[20];
  out_put(b, num_text(v, b));
}

/* The whole response for FLAGS and UID only, in one piece: the common
 * UID FETCH 1:* (FLAGS) of a client's resynchronisation. */
static void fetch_flags_only(const mbox *mb, size_t i, int with_uid, int with_flags)
{
  char b[128];
  size_t o = 0;
  memcpy(b, "* ", 2);
  o = 2 + num_text(i + 1, b + 2);
  memcpy(b + o, " FETCH (", 8);
  o += 8;
  if (with_uid) {
    memcpy(b + o, "UID ", 4);
    o += 4 + num_text(mb->m[i].uid, b + o + 4);
    if (with_flags) b[o++] = ' ';
  }
  if (with_flags) {
    memcpy(b + o, "FLAGS ", 6);
    o += 6 + flags_text(mb->m[i].flags, b + o + 6);
  }
  memcpy(b + o, ")\r\n", 3);
  out_put(b, o + 3);
}

/* The ENVELOPE of a cached entry: its fields as a header, read as one. */
static void out_cached_envelope(const cache_entry *e)
{
  static sa h = { 0, 0, 0, CACHE_FIELDS * (CACHE_FIELD_MAX + 32) + 8 };
  size_t k;
  mime_span sp;
  h.len = 0;
  for (k = 0; k < CACHE_FIELDS; k++) {
    if (!e->field[k]) continue;
    if (!sa_cats(&h, cache_field_names[k]) || !sa_catb(&h, ": ", 2) || !sa_catb(&h, e->field[k], e->flen[k]) ||
        !sa_catb(&h, "\r\n", 2))
      break;
  }
  sa_catb(&h, "\r\n", 2);
  sp.s = h.s ? h.s : "";
  sp.len = h.len;
  out_envelope(sp);
}

static void out_date(time_t t)
{
  char d[64];
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(d, sizeof d, "\"%d-%b-%Y %H:%M:%S +0000\"", &tm);
  out_puts(d);
}

static int fetch_one(mbox *mb, size_t i, const fatt *atts, size_t n, int uid)
{
  static sa tmp = { 0, 0, 0, IMAP_MESSAGE_MAX };
  size_t k;
  int need_file = 0, need_cache = 0, cached = 0, set_seen = 0, sent_flags = 0, sent_uid = 0, first = 1;
  int only_flags = 1, want_flags = 0, want_uid = uid, want_lists = 0, want_modseq = 0;
  cache_entry e;
  for (k = 0; k < n; k++) {
    switch (atts[k].kind) {
    case FA_FLAGS: want_flags = 1; break;
    case FA_UID: want_uid = 1; break;
    case FA_MODSEQ: want_modseq = 1; break;
    case FA_BODYSTRUCTURE: case FA_BODY:
      want_lists = 1; need_cache = 1; only_flags = 0; break;
    case FA_SIZE: case FA_INTERNALDATE: case FA_ENVELOPE:
      need_cache = 1; only_flags = 0; break;
    default: need_file = 1; only_flags = 0; break;
    }
    if ((atts[k].kind == FA_SECTION && !atts[k].peek) || atts[k].kind == FA_RFC822 ||
        atts[k].kind == FA_RFC822_TEXT)
      set_seen = 1;
  }
  if (only_flags && !has_keywords(mb, i) && !cs_fetch_adds(want_modseq, want_flags)) {
    fetch_flags_only(mb, i, want_uid, want_flags);
    return 1;
  }
  if (need_cache && !need_file) cached = want_lists ? cache_get_answers(mb, i, &e) : cache_get(mb, i, &e);
  if ((need_file || (need_cache && !cached)) && !load(mb, i)) return 0;
  if (set_seen && !mb->readonly && !(mb->m[i].flags & MF_SEEN)) {
    if (!mbox_set_flags(mb, i, mb->m[i].flags | MF_SEEN)) return 0;
  } else set_seen = 0;
  out_puts("* ");
  out_num(i + 1);
  out_puts(" FETCH (");
#define SEP() do { if (!first) out_puts(" "); first = 0; } while (0)
  if (uid) { SEP(); out_puts("UID "); out_num(mb->m[i].uid); sent_uid = 1; }
  for (k = 0; k < n; k++) {
    const fatt *a = &atts[k];
    mime_span s;
    switch (a->kind) {
    case FA_FLAGS:
      if (sent_flags) break;
      SEP(); out_puts("FLAGS "); out_flags(mb, i); sent_flags = 1;
      break;
    case FA_UID:
      if (sent_uid) break;
      SEP(); out_puts("UID "); out_num(mb->m[i].uid); sent_uid = 1;
      break;
    case FA_SIZE:
      SEP(); out_puts("RFC822.SIZE "); out_num(cached ? e.size : mm.len);
      break;
    case FA_INTERNALDATE:
      SEP(); out_puts("INTERNALDATE "); out_date(cached ? (time_t)e.mtime : loaded_mtime);
      break;
    case FA_ENVELOPE:
      SEP(); out_puts("ENVELOPE ");
      if (cached) out_cached_envelope(&e); else out_envelope(parts[0].header);
      break;
    case FA_BODYSTRUCTURE:
      SEP(); out_puts("BODYSTRUCTURE ");
      if (cached) out_put(e.bs, e.bslen); else out_structure(0, 1);
      break;
    case FA_BODY:
      SEP(); out_puts("BODY ");
      if (cached) out_put(e.body, e.bodylen); else out_structure(0, 0);
      break;
    case FA_RFC822:
      SEP(); out_puts("RFC822 "); s.s = mm.buf; s.len = mm.len; out_bytes(s, 0);
      break;
    case FA_RFC822_HEADER:
      SEP(); out_puts("RFC822.HEADER "); out_bytes(parts[0].header, 0);
      break;
    case FA_RFC822_TEXT:
      SEP(); out_puts("RFC822.TEXT "); out_bytes(parts[0].body, 0);
      break;
    case FA_MODSEQ:
      break;   /* cs_fetch_item, at the end */
    case FA_SECTION:
      if (!section_bytes(a, &tmp, &s)) return 0;
      SEP(); out_section_name(a); out_puts(" "); out_bytes(s, a);
      break;
    }
  }
  if (set_seen && !sent_flags) { SEP(); out_puts("FLAGS "); out_flags(mb, i); sent_flags = 1; }
  cs_fetch_item(mb, i, want_modseq, sent_flags, sent_uid, first);
  out_puts(")\r\n");
  return 1;
}

int fetch_command(mbox *mb, imap_parser *p, int uid)
{
  static imap_range ranges[IMAP_SEQSET_MAX];
  imap_seqset set = { ranges, IMAP_SEQSET_MAX, 0, 0 };
  fatt atts[FETCH_ATTS_MAX];
  size_t n, i;
  int failed = 0;
  if (!imap_seqset_parse(p, &set) || !imap_sp(p) || !parse_atts(p, atts, &n) || !imap_eol(p)) return 0;
  if (set.searchres && !searchres_fill(mb, &set, uid, &p->err)) return 0;
  if (!uid) {
    for (i = 0; i < set.n; i++)
      if ((set.r[i].lo && set.r[i].lo > mb->n) || (set.r[i].hi && set.r[i].hi > mb->n)) {
        p->err = "no such message";
        return 0;
      }
  }
  imap_seqset_resolve(&set, uid ? (mb->n ? mb->m[mb->n - 1].uid : 0) : (uint32_t)mb->n);
  for (i = 0; i < n; i++)
    if (atts[i].kind != FA_FLAGS && atts[i].kind != FA_UID) {
      cache_index(mb);   /* what other sessions added since */
      break;
    }
  for (i = 0; i < mb->n; i++) {
    if (!imap_seqset_has(&set, uid ? mb->m[i].uid : (uint32_t)(i + 1))) continue;
    if (!cs_fetch_wanted(mb, i)) continue;
    if (!fetch_one(mb, i, atts, n, uid)) failed = 1;
  }
  if (failed) errno = EIO;
  return failed ? -1 : 1;
}
