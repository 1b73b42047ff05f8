#include "imapcmd.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

void imap_parser_init(imap_parser *p, const char *s, size_t n)
{
  p->s = s;
  p->n = n;
  p->pos = 0;
  p->err = 0;
}

static int fail(imap_parser *p, const char *why)
{
  p->err = why;
  return 0;
}

static int is_ctl(unsigned char c) { return c < 0x20 || c == 0x7f; }

static int is_atom_char(unsigned char c)
{
  if (is_ctl(c) || c >= 0x80) return 0;
  return !strchr("(){ %*\"\\]", c);
}

static int is_astring_char(unsigned char c) { return is_atom_char(c) || c == ']'; }
static int is_list_char(unsigned char c) { return is_astring_char(c) || c == '%' || c == '*'; }

int imap_literal_at_end(const char *line, size_t n, uint64_t *size, int *nonsync)
{
  size_t i, end;
  uint64_t v = 0;
  if (n < 3 || line[n - 1] != '}') return 0;
  end = n - 1;
  *nonsync = 0;
  if (line[end - 1] == '+') { *nonsync = 1; end--; }
  i = end;
  while (i > 0 && line[i - 1] >= '0' && line[i - 1] <= '9') i--;
  if (i == 0 || line[i - 1] != '{') return 0;
  if (i == end) return -1;
  if (i > 1 && line[i - 2] == '~') return -1;   /* literal8 needs BINARY, not offered */
  if (end - i > 10) return -1;
  for (; i < end; i++) v = v * 10 + (uint64_t)(line[i] - '0');
  if (v > IMAP_LITERAL_LIMIT) return -1;
  *size = v;
  return 1;
}

int imap_peek(const imap_parser *p) { return p->pos < p->n ? (unsigned char)p->s[p->pos] : -1; }

int imap_char(imap_parser *p, char c)
{
  if (p->pos >= p->n || p->s[p->pos] != c) return fail(p, "unexpected character");
  p->pos++;
  return 1;
}

int imap_sp(imap_parser *p)
{
  if (p->pos >= p->n || p->s[p->pos] != ' ') return fail(p, "missing space");
  p->pos++;
  return 1;
}

int imap_eol(imap_parser *p)
{
  if (p->pos != p->n) return fail(p, "junk at end of command");
  return 1;
}

static int run(imap_parser *p, imap_span *out, int (*ok)(unsigned char), size_t max, const char *why)
{
  size_t i = p->pos;
  while (i < p->n && ok((unsigned char)p->s[i])) {
    if (i - p->pos >= max) return fail(p, "argument too long");
    i++;
  }
  if (i == p->pos) return fail(p, why);
  out->s = p->s + p->pos;
  out->len = i - p->pos;
  p->pos = i;
  return 1;
}

static int is_tag_char(unsigned char c) { return is_astring_char(c) && c != '+'; }

int imap_tag(imap_parser *p, imap_span *tag)
{
  return run(p, tag, is_tag_char, IMAP_TAG_MAX, "bad tag");
}

int imap_atom(imap_parser *p, imap_span *atom)
{
  return run(p, atom, is_atom_char, IMAP_ATOM_MAX, "atom expected");
}

int imap_is(imap_span a, const char *s)
{
  size_t i, l = strlen(s);
  if (a.len != l) return 0;
  for (i = 0; i < l; i++) {
    unsigned char x = (unsigned char)a.s[i], y = (unsigned char)s[i];
    if (x >= 'a' && x <= 'z') x = (unsigned char)(x - 32);
    if (y >= 'a' && y <= 'z') y = (unsigned char)(y - 32);
    if (x != y) return 0;
  }
  return 1;
}

int imap_string_raw(imap_parser *p, imap_span *raw, int *is_literal)
{
  size_t i = p->pos;
  if (i >= p->n) return fail(p, "string expected");
  if (p->s[i] == '"') {
    i++;
    while (i < p->n && p->s[i] != '"') {
      unsigned char c = (unsigned char)p->s[i];
      if (c == '\r' || c == '\n' || c == 0) return fail(p, "bad character in quoted string");
      if (c == '\\') {
        if (i + 1 >= p->n || (p->s[i + 1] != '\\' && p->s[i + 1] != '"'))
          return fail(p, "bad escape in quoted string");
        i++;
      }
      i++;
    }
    if (i >= p->n) return fail(p, "unterminated quoted string");
    raw->s = p->s + p->pos + 1;
    raw->len = i - p->pos - 1;
    *is_literal = 0;
    p->pos = i + 1;
    return 1;
  }
  if (p->s[i] == '{') {
    uint64_t v = 0;
    size_t d = 0;
    i++;
    while (i < p->n && p->s[i] >= '0' && p->s[i] <= '9') {
      if (++d > 10) return fail(p, "literal too big");
      v = v * 10 + (uint64_t)(p->s[i] - '0');
      i++;
    }
    if (!d || v > IMAP_LITERAL_LIMIT) return fail(p, "bad literal");
    if (i < p->n && p->s[i] == '+') i++;
    if (p->n - i < 3 || p->s[i] != '}' || p->s[i + 1] != '\r' || p->s[i + 2] != '\n')
      return fail(p, "bad literal");
    i += 3;
    if (p->n - i < v) return fail(p, "literal shorter than announced");
    raw->s = p->s + i;
    raw->len = (size_t)v;
    *is_literal = 1;
    p->pos = i + (size_t)v;
    return 1;
  }
  return fail(p, "string expected");
}

static int unescape(imap_parser *p, imap_span raw, int is_literal, sa *out)
{
  size_t i;
  out->len = 0;
  if (raw.len > IMAP_STRING_MAX) return fail(p, "string too long");
  if (is_literal) {
    if (memchr(raw.s, 0, raw.len)) return fail(p, "NUL in string");
    if (!sa_copyb(out, raw.s, raw.len)) return fail(p, "out of memory");
    return 1;
  }
  if (!sa_ready(out, raw.len)) return fail(p, "out of memory");
  for (i = 0; i < raw.len; i++) {
    char c = raw.s[i];
    if (c == '\\') c = raw.s[++i];   /* imap_string_raw checked the escapes */
    out->s[out->len++] = c;
  }
  return 1;
}

int imap_string(imap_parser *p, sa *out)
{
  size_t save = p->pos;
  imap_span raw;
  int lit;
  if (!imap_string_raw(p, &raw, &lit)) return 0;
  if (!unescape(p, raw, lit, out)) { p->pos = save; return 0; }
  return 1;
}

static int astring_like(imap_parser *p, sa *out, int (*ok)(unsigned char), const char *why)
{
  imap_span a;
  int c = imap_peek(p);
  if (c == '"' || c == '{') return imap_string(p, out);
  if (!run(p, &a, ok, IMAP_ATOM_MAX, why)) return 0;
  if (!sa_copyb(out, a.s, a.len)) { p->pos -= a.len; return fail(p, "out of memory"); }
  return 1;
}

int imap_astring(imap_parser *p, sa *out)
{
  return astring_like(p, out, is_astring_char, "astring expected");
}

int imap_list_mailbox(imap_parser *p, sa *out)
{
  return astring_like(p, out, is_list_char, "mailbox pattern expected");
}

int imap_nstring(imap_parser *p, sa *out, int *nil)
{
  if (p->n - p->pos >= 3 && strncasecmp(p->s + p->pos, "NIL", 3) == 0 &&
      (p->n - p->pos == 3 || !is_atom_char((unsigned char)p->s[p->pos + 3]))) {
    p->pos += 3;
    *nil = 1;
    out->len = 0;
    return 1;
  }
  *nil = 0;
  return imap_string(p, out);
}

static int digits(imap_parser *p, uint64_t max, uint64_t *v)
{
  size_t i = p->pos;
  uint64_t x = 0;
  while (i < p->n && p->s[i] >= '0' && p->s[i] <= '9') {
    x = x * 10 + (uint64_t)(p->s[i] - '0');
    if (x > max) return fail(p, "number too big");
    i++;
  }
  if (i == p->pos) return fail(p, "number expected");
  *v = x;
  p->pos = i;
  return 1;
}

int imap_number(imap_parser *p, uint32_t *v)
{
  uint64_t x;
  if (!digits(p, 0xffffffffULL, &x)) return 0;
  *v = (uint32_t)x;
  return 1;
}

int imap_nznumber(imap_parser *p, uint32_t *v)
{
  size_t save = p->pos;
  if (!imap_number(p, v)) return 0;
  if (*v == 0 || p->s[save] == '0') { p->pos = save; return fail(p, "non-zero number expected"); }
  return 1;
}

int imap_number64(imap_parser *p, uint64_t *v)
{
  return digits(p, 0x7fffffffffffffffULL, v);
}

static int seq_number(imap_parser *p, uint32_t *v)
{
  if (imap_peek(p) == '*') { p->pos++; *v = 0; return 1; }
  return imap_nznumber(p, v);
}

int imap_seqset_parse(imap_parser *p, imap_seqset *set)
{
  size_t save = p->pos;
  set->n = 0;
  set->searchres = 0;
  if (imap_peek(p) == '$') { p->pos++; set->searchres = 1; return 1; }
  for (;;) {
    imap_range r;
    if (!seq_number(p, &r.lo)) { p->pos = save; return fail(p, "bad sequence set"); }
    r.hi = r.lo;
    if (imap_peek(p) == ':') {
      p->pos++;
      if (!seq_number(p, &r.hi)) { p->pos = save; return fail(p, "bad sequence set"); }
    }
    if (set->n >= set->cap) { p->pos = save; return fail(p, "sequence set too long"); }
    set->r[set->n++] = r;
    if (imap_peek(p) != ',') return 1;
    p->pos++;
  }
}

static int range_cmp(const void *a, const void *b)
{
  const imap_range *x = a, *y = b;
  return x->lo < y->lo ? -1 : x->lo > y->lo;
}

void imap_seqset_resolve(imap_seqset *set, uint32_t star)
{
  size_t i, o = 0;
  for (i = 0; i < set->n; i++) {
    imap_range r = set->r[i];
    if (r.lo == 0) r.lo = star;
    if (r.hi == 0) r.hi = star;
    if (r.lo > r.hi) { uint32_t t = r.lo; r.lo = r.hi; r.hi = t; }
    if (r.lo == 0) continue;        /* "*" in an empty mailbox */
    set->r[o++] = r;
  }
  set->n = o;
  if (!o) return;
  qsort(set->r, set->n, sizeof set->r[0], range_cmp);
  for (i = 1, o = 0; i < set->n; i++) {
    if (set->r[i].lo <= set->r[o].hi || set->r[i].lo - 1 == set->r[o].hi) {
      if (set->r[i].hi > set->r[o].hi) set->r[o].hi = set->r[i].hi;
    } else {
      set->r[++o] = set->r[i];
    }
  }
  set->n = o + 1;
}

int imap_seqset_has(const imap_seqset *set, uint32_t v)
{
  size_t lo = 0, hi = set->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (v < set->r[mid].lo) hi = mid;
    else if (v > set->r[mid].hi) lo = mid + 1;
    else return 1;
  }
  return 0;
}

int imap_flag(imap_parser *p, imap_span *flag)
{
  size_t save = p->pos;
  imap_span a;
  if (imap_peek(p) == '\\') p->pos++;
  if (!imap_atom(p, &a)) { p->pos = save; return fail(p, "flag expected"); }
  flag->s = p->s + save;
  flag->len = p->pos - save;
  return 1;
}

static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";

static int month(imap_parser *p, int *m)
{
  int i;
  if (p->n - p->pos < 3) return fail(p, "month expected");
  for (i = 0; i < 12; i++)
    if (strncasecmp(p->s + p->pos, months + 3 * i, 3) == 0) {
      *m = i + 1;
      p->pos += 3;
      return 1;
    }
  return fail(p, "bad month");
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static long long days_from_civil(long long y, int m, int d)
{
  long long era, yoe, doy, doe;
  y -= m <= 2;
  era = (y >= 0 ? y : y - 399) / 400;
  yoe = y - era * 400;
  doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
  static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
  return dm[m - 1];
}

static int fixed_digits(imap_parser *p, size_t k, int *v)
{
  size_t i;
  int x = 0;
  if (p->n - p->pos < k) return fail(p, "digits expected");
  for (i = 0; i < k; i++) {
    char c = p->s[p->pos + i];
    if (c < '0' || c > '9') return fail(p, "digits expected");
    x = x * 10 + (c - '0');
  }
  p->pos += k;
  *v = x;
  return 1;
}

/* d-Mon-yyyy (day of one or two digits, or " d" when space_day). */
static int date_text(imap_parser *p, int space_day, int *y, int *m, int *d)
{
  uint32_t day;
  if (space_day && imap_peek(p) == ' ') {
    p->pos++;
    if (!fixed_digits(p, 1, d)) return 0;
  } else {
    size_t st = p->pos;
    if (!imap_number(p, &day) || p->pos - st > 2) return fail(p, "bad day");
    *d = (int)day;
  }
  if (!imap_char(p, '-') || !month(p, m) || !imap_char(p, '-') || !fixed_digits(p, 4, y))
    return fail(p, "bad date");
  if (*d < 1 || *d > days_in_month(*y, *m)) return fail(p, "bad day");
  return 1;
}

int imap_date(imap_parser *p, time_t *t)
{
  size_t save = p->pos;
  int y, m, d, q = imap_peek(p) == '"';
  if (q) p->pos++;
  if (!date_text(p, 0, &y, &m, &d) || (q && !imap_char(p, '"'))) {
    p->pos = save;
    return fail(p, "bad date");
  }
  *t = (time_t)(days_from_civil(y, m, d) * 86400);
  return 1;
}

int imap_datetime(imap_parser *p, time_t *t)
{
  size_t save = p->pos;
  int y, mo, d, h, mi, s, zh, zm, sign;
  if (!imap_char(p, '"') || !date_text(p, 1, &y, &mo, &d) || !imap_sp(p) ||
      !fixed_digits(p, 2, &h) || !imap_char(p, ':') || !fixed_digits(p, 2, &mi) ||
      !imap_char(p, ':') || !fixed_digits(p, 2, &s) || !imap_sp(p))
    goto bad;
  if (imap_peek(p) != '+' && imap_peek(p) != '-') goto bad;
  sign = imap_peek(p) == '-' ? -1 : 1;
  p->pos++;
  if (!fixed_digits(p, 2, &zh) || !fixed_digits(p, 2, &zm) || !imap_char(p, '"')) goto bad;
  if (h > 23 || mi > 59 || s > 60 || zh > 23 || zm > 59) goto bad;
  *t = (time_t)(days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s -
                sign * (zh * 3600 + zm * 60));
  return 1;
bad:
  p->pos = save;
  return fail(p, "bad date-time");
}
