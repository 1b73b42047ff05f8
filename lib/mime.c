#include "mime.h"

#include <errno.h>
#include <string.h>

#include "header.h"

static int lower(int c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

static int is_tspecial(unsigned char c)
{
  return c && strchr("()<>@,;:\\\"/[]?=", c) != 0;
}

static int is_tokenchar(unsigned char c) { return c > 32 && c < 127 && !is_tspecial(c); }

/* Skips white space, folds and ( comments ) from s[*p]. */
static void skip_cfws(const char *s, size_t n, size_t *p)
{
  size_t i = *p;
  int depth = 0;
  while (i < n) {
    char c = s[i];
    if (depth == 0 && (c == ' ' || c == '\t' || c == '\r' || c == '\n')) { i++; continue; }
    if (c == '(') {
      if (depth >= MIME_COMMENT_DEPTH) { i = n; break; }
      depth++; i++; continue;
    }
    if (depth == 0) break;
    if (c == '\\') { i += (i + 1 < n) ? 2 : 1; continue; }
    if (c == ')') depth--;
    i++;
  }
  *p = i;
}

static int token(const char *s, size_t n, size_t *p, mime_span *t)
{
  size_t i = *p;
  while (i < n && is_tokenchar((unsigned char)s[i]) && i - *p < MIME_TOKEN_MAX) i++;
  if (i == *p || (i < n && is_tokenchar((unsigned char)s[i]))) return 0;
  t->s = s + *p;
  t->len = i - *p;
  *p = i;
  return 1;
}

/* A quoted string including its quotes. */
static int quoted(const char *s, size_t n, size_t *p, mime_span *t)
{
  size_t i = *p + 1;
  if (*p >= n || s[*p] != '"') return 0;
  while (i < n && s[i] != '"') i += (s[i] == '\\' && i + 1 < n) ? 2 : 1;
  if (i >= n) return 0;
  t->s = s + *p;
  t->len = i + 1 - *p;
  *p = i + 1;
  return 1;
}

int mime_is(mime_span sp, const char *s)
{
  size_t i, l = strlen(s);
  if (sp.len != l) return 0;
  for (i = 0; i < l; i++)
    if (lower((unsigned char)sp.s[i]) != lower((unsigned char)s[i])) return 0;
  return 1;
}

int mime_param_next(const char *s, size_t n, size_t *pos, mime_span *name, mime_span *value)
{
  size_t p = *pos, q;
  for (;;) {
    skip_cfws(s, n, &p);
    if (p >= n || s[p] != ';') { *pos = n; return 0; }
    p++;
    skip_cfws(s, n, &p);
    if (p < n && s[p] == ';') continue;  /* an empty parameter */
    break;
  }
  if (!token(s, n, &p, name)) { *pos = n; return 0; }
  skip_cfws(s, n, &p);
  if (p >= n || s[p] != '=') { *pos = n; return 0; }
  p++;
  skip_cfws(s, n, &p);
  if (p < n && s[p] == '"') {
    if (!quoted(s, n, &p, value)) { *pos = n; return 0; }
  } else {
    /* a token; leniently also a bare value with specials, up to ';' */
    q = p;
    while (q < n && s[q] != ';' && s[q] != ' ' && s[q] != '\t' && s[q] != '\r' && s[q] != '\n') q++;
    if (q == p) { *pos = n; return 0; }
    value->s = s + p;
    value->len = q - p;
    p = q;
  }
  *pos = p;
  return 1;
}

/* Unquotes into out (max bytes); returns the length or (size_t)-1. */
static size_t unquote_to(mime_span v, char *out, size_t max)
{
  size_t i, o = 0, end = v.len;
  i = 0;
  if (v.len >= 2 && v.s[0] == '"' && v.s[v.len - 1] == '"') { i = 1; end = v.len - 1; }
  for (; i < end; i++) {
    char c = v.s[i];
    if (c == '\\' && i + 1 < end && v.s[0] == '"') c = v.s[++i];
    if (c == '\r' || c == '\n') continue;  /* folding inside a quoted string */
    if (o >= max) return (size_t)-1;
    out[o++] = c;
  }
  return o;
}

int mime_unquote(mime_span v, sa *out)
{
  size_t l;
  if (!sa_ready(out, v.len + 1)) return 0;
  l = unquote_to(v, out->s, v.len);
  if (l == (size_t)-1) { errno = EINVAL; return 0; }
  out->len = l;
  return 1;
}

int mime_param_get(mime_span params, const char *name, sa *value)
{
  size_t pos = 0;
  mime_span k, v;
  while (mime_param_next(params.s, params.len, &pos, &k, &v))
    if (mime_is(k, name)) return mime_unquote(v, value);
  return 0;
}

int mime_first_token(mime_span v, mime_span *tok, mime_span *params)
{
  size_t p = 0;
  skip_cfws(v.s, v.len, &p);
  if (!token(v.s, v.len, &p, tok)) return 0;
  params->s = v.s + p;
  params->len = v.len - p;
  return 1;
}

static mime_span span(const char *s, size_t len)
{
  mime_span r;
  r.s = s;
  r.len = len;
  return r;
}

static mime_span trim(const char *s, size_t n)
{
  while (n && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')) { s++; n--; }
  while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n')) n--;
  return span(s, n);
}

static int parse_ctype(mime_part *pt, const char *v, size_t n)
{
  size_t p = 0;
  mime_span t, st;
  skip_cfws(v, n, &p);
  if (!token(v, n, &p, &t)) return 0;
  skip_cfws(v, n, &p);
  if (p >= n || v[p] != '/') return 0;
  p++;
  skip_cfws(v, n, &p);
  if (!token(v, n, &p, &st)) return 0;
  pt->type = t;
  pt->subtype = st;
  pt->params = span(v + p, n - p);
  return 1;
}

static size_t count_lines(const char *s, size_t n)
{
  size_t c = 0;
  const char *e = s + n, *q;
  while (s < e && (q = memchr(s, '\n', (size_t)(e - s)))) { c++; s = q + 1; }
  if (s < e) c++;
  return c;
}

static int parse_entity(mime_msg *m, size_t start, size_t end, int depth, int parent, int digest);

/* Is the line at p a delimiter "--boundary" (close: "--boundary--")?  On
 * yes, *next is the start of the following line. */
static int delimiter(const char *s, size_t end, size_t p, const char *b, size_t bl, int *close,
                     size_t *next)
{
  size_t q;
  if (end - p < 2 + bl || s[p] != '-' || s[p + 1] != '-' || memcmp(s + p + 2, b, bl) != 0) return 0;
  q = p + 2 + bl;
  *close = 0;
  if (end - q >= 2 && s[q] == '-' && s[q + 1] == '-') { *close = 1; q += 2; }
  while (q < end && (s[q] == ' ' || s[q] == '\t' || s[q] == '\r')) q++;
  if (q < end && s[q] != '\n') return 0;
  *next = q < end ? q + 1 : end;
  return 1;
}

/* The line break before position p (which starts a line) belongs to the
 * delimiter that follows it; returns where the content before it ends. */
static size_t before_break(const char *s, size_t from, size_t p)
{
  if (p > from && s[p - 1] == '\n') p--;
  if (p > from && s[p - 1] == '\r') p--;
  return p;
}

static void add_child(mime_msg *m, int parent, int child)
{
  mime_part *pp = &m->parts[parent];
  int c;
  pp->nchildren++;
  if (pp->first_child < 0) { pp->first_child = child; return; }
  c = pp->first_child;
  while (m->parts[c].next_sibling >= 0) c = m->parts[c].next_sibling;
  m->parts[c].next_sibling = child;
}

static void parse_multipart(mime_msg *m, int idx, const char *b, size_t bl)
{
  const char *s = m->buf;
  size_t bstart = (size_t)(m->parts[idx].body.s - s);
  size_t end = bstart + m->parts[idx].body.len;
  size_t p = bstart, next = 0, part_start = 0;
  int in_part = 0, close = 0, digest = mime_is(m->parts[idx].subtype, "digest"), c;
  const char *nl;

  for (;;) {
    if (delimiter(s, end, p, b, bl, &close, &next)) {
      if (in_part) {
        c = parse_entity(m, part_start, before_break(s, part_start, p), m->parts[idx].depth + 1, idx,
                         digest);
        if (c < 0) return;
        add_child(m, idx, c);
      }
      if (close) return;
      in_part = 1;
      part_start = next;
      p = next;
      if (p >= end) break;
      continue;
    }
    nl = memchr(s + p, '\n', end - p);
    if (!nl) break;
    p = (size_t)(nl - s) + 1;
    if (p >= end) break;
  }
  /* no close delimiter: the last part runs to the end */
  if (in_part && (c = parse_entity(m, part_start, end, m->parts[idx].depth + 1, idx, digest)) >= 0)
    add_child(m, idx, c);
}

static int parse_entity(mime_msg *m, size_t start, size_t end, int depth, int parent, int digest)
{
  const char *s = m->buf;
  mime_part *pt;
  hdr_field f;
  size_t pos = 0;
  int sep, idx, c;
  char bnd[MIME_BOUNDARY_MAX];
  size_t bl;
  mime_span bv;

  if (m->count >= m->cap) return -1;
  idx = (int)m->count++;
  pt = &m->parts[idx];
  memset(pt, 0, sizeof *pt);
  pt->parent = parent;
  pt->first_child = pt->next_sibling = -1;
  pt->depth = depth;
  pt->ctype = span(s + start, 0);

  while (hdr_next(s + start, end - start, &pos, &f, &sep)) {
    if (hdr_is(&f, "content-type")) {
      pt->ctype = span(f.value, f.value_len);
    } else if (hdr_is(&f, "content-transfer-encoding")) pt->encoding = trim(f.value, f.value_len);
    else if (hdr_is(&f, "content-id")) pt->id = trim(f.value, f.value_len);
    else if (hdr_is(&f, "content-description")) pt->description = trim(f.value, f.value_len);
    else if (hdr_is(&f, "content-disposition")) pt->disposition = trim(f.value, f.value_len);
    else if (hdr_is(&f, "content-language")) pt->language = trim(f.value, f.value_len);
    else if (hdr_is(&f, "content-location")) pt->location = trim(f.value, f.value_len);
    else if (hdr_is(&f, "content-md5")) pt->md5 = trim(f.value, f.value_len);
  }
  pt->header = span(s + start, pos);
  pt->body = span(s + start + pos, end - start - pos);
  if (!pt->ctype.len || !parse_ctype(pt, pt->ctype.s, pt->ctype.len)) {
    pt->type_default = 1;
    pt->type = span(digest ? "message" : "text", digest ? 7 : 4);
    pt->subtype = span(digest ? "rfc822" : "plain", digest ? 6 : 5);
    pt->params = span(pt->ctype.s + pt->ctype.len, 0);
  }
  pt->lines = count_lines(pt->body.s, pt->body.len);

  if (depth >= MIME_DEPTH_MAX) return idx;
  if (mime_is(pt->type, "multipart")) {
    size_t ppos = 0;
    mime_span k;
    bl = (size_t)-1;
    while (mime_param_next(pt->params.s, pt->params.len, &ppos, &k, &bv))
      if (mime_is(k, "boundary")) { bl = unquote_to(bv, bnd, sizeof bnd); break; }
    if (bl == (size_t)-1 || bl == 0) return idx;
    pt->is_multipart = 1;
    parse_multipart(m, idx, bnd, bl);
  } else if (mime_is(pt->type, "message") &&
             (mime_is(pt->subtype, "rfc822") || mime_is(pt->subtype, "global"))) {
    size_t bs = (size_t)(pt->body.s - s);
    c = parse_entity(m, bs, bs + m->parts[idx].body.len, depth + 1, idx, 0);
    if (c >= 0) {
      m->parts[idx].is_message = 1;
      add_child(m, idx, c);
    }
  }
  return idx;
}

int mime_parse(mime_msg *m, const char *buf, size_t n, mime_part *parts, size_t cap)
{
  if (!cap) { errno = EINVAL; return 0; }
  m->buf = buf;
  m->len = n;
  m->parts = parts;
  m->cap = cap;
  m->count = 0;
  (void)parse_entity(m, 0, n, 0, -1, 0);
  return 1;
}

static int child(const mime_msg *m, int p, unsigned long k)
{
  int c = m->parts[p].first_child;
  while (c >= 0 && --k) c = m->parts[c].next_sibling;
  return c;
}

int mime_section(const mime_msg *m, int from, const char *sec, size_t n)
{
  size_t i = 0;
  int cur = from, in_msg = 1;
  if (from < 0 || (size_t)from >= m->count || n == 0) return -1;
  while (i < n) {
    unsigned long k = 0;
    size_t st = i;
    while (i < n && sec[i] >= '0' && sec[i] <= '9') {
      if (k > 100000000UL) return -1;
      k = k * 10 + (unsigned long)(sec[i] - '0');
      i++;
    }
    if (i == st || k == 0 || sec[st] == '0') return -1;
    if (i < n) {
      if (sec[i] != '.' || i + 1 == n) return -1;
      i++;
    }
    if (!in_msg) {
      if (m->parts[cur].is_multipart) { cur = child(m, cur, k); if (cur < 0) return -1; continue; }
      if (!m->parts[cur].is_message) return -1;
      cur = m->parts[cur].first_child;
    }
    in_msg = 0;
    if (m->parts[cur].is_multipart) cur = child(m, cur, k);
    else if (k != 1) return -1;
    if (cur < 0) return -1;
  }
  return cur;
}
