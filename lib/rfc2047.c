/* RFC 2047 encoded words and charset conversion to UTF-8 (rfc2047.h). */
#include <errno.h>
#include <stdint.h>
#include <iconv.h>
#include <string.h>
#include <strings.h>

#include "cte.h"
#include "rfc2047.h"

/* Appends, keeping out->len at most max. */
static int put(sa *out, const char *s, size_t n, size_t max)
{
  if (n > max || out->len > max - n) { errno = ERANGE; return 0; }
  return sa_catb(out, s, n);
}

static int put_cp(sa *out, unsigned cp, size_t max)
{
  char b[4];
  size_t n;
  if (cp < 0x80) { b[0] = (char)cp; n = 1; }
  else if (cp < 0x800) { b[0] = (char)(0xc0 | cp >> 6); b[1] = (char)(0x80 | (cp & 0x3f)); n = 2; }
  else if (cp < 0x10000) {
    b[0] = (char)(0xe0 | cp >> 12); b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
    b[2] = (char)(0x80 | (cp & 0x3f)); n = 3;
  } else {
    b[0] = (char)(0xf0 | cp >> 18); b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    b[2] = (char)(0x80 | ((cp >> 6) & 0x3f)); b[3] = (char)(0x80 | (cp & 0x3f)); n = 4;
  }
  return put(out, b, n, max);
}

/* Length of the valid UTF-8 sequence at s (n > 0 octets left), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
  unsigned c = s[0];
  size_t len, i;
  unsigned cp;
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) { len = 2; cp = c & 0x1f; }
  else if (c >= 0xe0 && c <= 0xef) { len = 3; cp = c & 0x0f; }
  else if (c >= 0xf0 && c <= 0xf4) { len = 4; cp = c & 0x07; }
  else return 0;
  if (n < len) return 0;
  for (i = 1; i < len; i++) {
    if ((s[i] & 0xc0) != 0x80) return 0;
    cp = cp << 6 | (s[i] & 0x3f);
  }
  if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
    return 0;
  return len;
}

/* UTF-8 (or US-ASCII) copied, each invalid octet replaced by U+FFFD. */
static int from_utf8(const char *s, size_t n, sa *out, size_t max)
{
  size_t i = 0, k;
  while (i < n) {
    k = utf8_seq((const unsigned char *)s + i, n - i);
    if (!k) { if (!put_cp(out, 0xfffd, max)) return 0; i++; continue; }
    if (!put(out, s + i, k, max)) return 0;
    i += k;
  }
  return 1;
}

static int from_latin1(const char *s, size_t n, sa *out, size_t max)
{
  size_t i;
  for (i = 0; i < n; i++)
    if (!put_cp(out, (unsigned char)s[i], max)) return 0;
  return 1;
}

static int name_is(const char *name, const char *const *list)
{
  size_t i;
  for (i = 0; list[i]; i++)
    if (strcasecmp(name, list[i]) == 0) return 1;
  return 0;
}

/* One iconv descriptor kept for the last charset used: opening one loads
 * conversion tables, too slow to do for every header of a large folder. */
static char cached_name[RFC2047_CHARSET_MAX + 1];
static iconv_t cached_cd = (iconv_t)-1;

static int via_iconv(const char *name, const char *s, size_t n, sa *out, size_t max)
{
  char buf[1024];
  char *in = (char *)s, *o;
  size_t inleft = n, oleft, r;
  if (cached_cd == (iconv_t)-1 || strcmp(cached_name, name) != 0) {
    if (cached_cd != (iconv_t)-1) iconv_close(cached_cd);
    cached_name[0] = 0;
    cached_cd = iconv_open("UTF-8", name);
    if (cached_cd == (iconv_t)-1) { errno = EINVAL; return 0; }
    memcpy(cached_name, name, strlen(name) + 1);
  }
  (void)iconv(cached_cd, 0, 0, 0, 0);
  for (;;) {
    o = buf;
    oleft = sizeof buf;
    r = iconv(cached_cd, inleft ? &in : 0, &inleft, &o, &oleft);
    if (!put(out, buf, sizeof buf - oleft, max)) return 0;
    if (r != (size_t)-1) {
      if (inleft) continue;
      /* the final shift sequence, for stateful charsets */
      o = buf;
      oleft = sizeof buf;
      if (iconv(cached_cd, 0, 0, &o, &oleft) == (size_t)-1) { errno = EINVAL; return 0; }
      return put(out, buf, sizeof buf - oleft, max);
    }
    if (errno != E2BIG) { errno = EINVAL; return 0; }
  }
}

static int to_utf8(const char *cs, size_t cslen, const char *s, size_t n, sa *out, size_t max)
{
  static const char *const utf8[] = { "UTF-8", "UTF8", "US-ASCII", "ASCII", "ANSI_X3.4-1968", "us", 0 };
  static const char *const latin1[] = { "ISO-8859-1", "ISO8859-1", "ISO_8859-1", "LATIN1", "L1", 0 };
  char name[RFC2047_CHARSET_MAX + 1];
  size_t i, len, keep = out->len;
  int ok;
  for (len = 0; len < cslen && cs[len] != '*'; len++) {}   /* RFC 2231 language */
  if (!len || len > RFC2047_CHARSET_MAX) { errno = EINVAL; return 0; }
  for (i = 0; i < len; i++) {
    char c = cs[i];
    /* only the characters of registered charset names: no iconv "//" options */
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
          c == '-' || c == '_' || c == '.' || c == ':')) { errno = EINVAL; return 0; }
    name[i] = c;
  }
  name[len] = 0;
  if (name_is(name, utf8)) ok = from_utf8(s, n, out, max);
  else if (name_is(name, latin1)) ok = from_latin1(s, n, out, max);
  else ok = via_iconv(name, s, n, out, max);
  if (!ok) {
    int e = errno;
    out->len = keep;
    errno = e;
  }
  return ok;
}

int rfc2047_to_utf8(const char *cs, size_t cslen, const char *s, size_t n, sa *out)
{
  return to_utf8(cs, cslen, s, n, out, SIZE_MAX);
}

/* The payload of a word, decoded, appended to out.  0 if malformed (EINVAL;
 * the callers tell it from ERANGE), or past RFC2047_OUT_MAX (ERANGE). */
static int decode_payload(char enc, const char *t, size_t n, sa *out)
{
  size_t i;
  if (enc == 'Q' || enc == 'q') {
    for (i = 0; i < n; i++) {
      char c = t[i];
      if (c == '_') c = ' ';
      else if (c == '=' && i + 2 < n && cte_hexval(t[i + 1]) >= 0 && cte_hexval(t[i + 2]) >= 0) {
        c = (char)(cte_hexval(t[i + 1]) << 4 | cte_hexval(t[i + 2]));
        i += 2;
      }
      if (!put(out, &c, 1, RFC2047_OUT_MAX)) return 0;
    }
    return 1;
  }
  {
    unsigned acc = 0;
    int bits = 0, v;
    size_t data = n;
    while (data && t[data - 1] == '=') data--;
    if (n - data > 2 || data % 4 == 1) { errno = EINVAL; return 0; }   /* malformed, not an error */
    for (i = 0; i < data; i++) {
      char c;
      if ((v = cte_b64val(t[i])) < 0) { errno = EINVAL; return 0; }
      acc = (acc << 6 | (unsigned)v) & 0xffffff;
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        c = (char)(acc >> bits);
        if (!put(out, &c, 1, RFC2047_OUT_MAX)) return 0;
      }
    }
    return 1;
  }
}

typedef struct word {
  const char *cs;
  size_t cslen;
  char enc;
  const char *text;
  size_t textlen;
  size_t end;           /* offset after "?=" */
} word;

/* An encoded word starting at s[pos] ("=?"): 1 with *w set, else 0. */
static int word_at(const char *s, size_t n, size_t pos, word *w)
{
  size_t i = pos + 2, start;
  if (i > n || s[pos] != '=' || s[pos + 1] != '?') return 0;
  start = i;
  while (i < n && s[i] != '?' && (unsigned char)s[i] > 32 && (unsigned char)s[i] < 127) i++;
  if (i == start || i == n || s[i] != '?' || i - start > RFC2047_CHARSET_MAX + 32) return 0;
  w->cs = s + start;
  w->cslen = i - start;
  i++;
  if (i + 1 >= n || !strchr("BbQq", s[i]) || s[i + 1] != '?') return 0;
  w->enc = s[i];
  i += 2;
  start = i;
  while (i < n && s[i] != '?' && (unsigned char)s[i] > 32 && (unsigned char)s[i] < 127) i++;
  if (i + 1 >= n || s[i] != '?' || s[i + 1] != '=') return 0;
  w->text = s + start;
  w->textlen = i - start;
  w->end = i + 2;
  return 1;
}

static int all_ws(const char *s, size_t n)
{
  size_t i;
  for (i = 0; i < n; i++)
    if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n') return 0;
  return 1;
}

static int flush_run(const word *run, size_t start, size_t end, const sa *octets, const char *s, sa *out)
{
  if (to_utf8(run->cs, run->cslen, octets->s ? octets->s : "", octets->len, out, RFC2047_OUT_MAX)) return 1;
  if (errno != EINVAL) return 0;
  return put(out, s + start, end - start, RFC2047_OUT_MAX);   /* does not convert: left as written */
}

int rfc2047_decode(const char *s, size_t n, sa *out)
{
  sa octets = SA_ZERO;
  word w, run = { 0, 0, 0, 0, 0, 0 };
  size_t pos = 0, lit = 0, run_start = 0, run_end = 0, mark;
  int have_run = 0, ok = 0;
  out->len = 0;
  if (!sa_ready(out, 1)) return 0;
  while (pos < n) {
    const char *q = memchr(s + pos, '=', n - pos);
    if (!q) break;
    pos = (size_t)(q - s);
    if (!word_at(s, n, pos, &w)) { pos++; continue; }
    mark = octets.len;
    if (have_run && all_ws(s + lit, pos - lit) && w.cslen == run.cslen &&
        strncasecmp(w.cs, run.cs, w.cslen) == 0) {
      if (!decode_payload(w.enc, w.text, w.textlen, &octets)) {
        if (errno == ERANGE || errno == ENOMEM) goto done;
        octets.len = mark;
        pos = w.end;         /* malformed: stays in the literal text */
        continue;
      }
      run_end = w.end;
      lit = pos = w.end;
      continue;
    }
    {
      sa one = SA_ZERO;
      /* an unknown charset makes the word plain text (its spaces kept) */
      if (!rfc2047_to_utf8(w.cs, w.cslen, "", 0, &one)) {
        if (errno != EINVAL) goto done;
        pos = w.end;
        continue;
      }
      if (!decode_payload(w.enc, w.text, w.textlen, &one)) {
        int e = errno;
        sa_free(&one);
        if (e == ERANGE || e == ENOMEM) { errno = e; goto done; }
        pos = w.end;
        continue;
      }
      if (have_run) {
        if (!flush_run(&run, run_start, run_end, &octets, s, out)) { sa_free(&one); goto done; }
        if (!all_ws(s + lit, pos - lit) && !put(out, s + lit, pos - lit, RFC2047_OUT_MAX)) { sa_free(&one); goto done; }
      } else if (!put(out, s + lit, pos - lit, RFC2047_OUT_MAX)) {
        sa_free(&one);
        goto done;
      }
      sa_free(&octets);
      octets = one;
      run = w;
      have_run = 1;
      run_start = pos;
      run_end = w.end;
      lit = pos = w.end;
    }
  }
  if (have_run && !flush_run(&run, run_start, run_end, &octets, s, out)) goto done;
  if (!put(out, s + lit, n - lit, RFC2047_OUT_MAX)) goto done;
  ok = 1;
done:
  {
    int e = errno;
    sa_free(&octets);
    errno = e;
  }
  return ok;
}
