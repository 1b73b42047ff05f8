#include "imaputf7.h"

#include <errno.h>

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

static int b64val(unsigned char c)
{
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == ',') return 63;
  return -1;
}

static int bad(void)
{
  errno = EILSEQ;
  return 0;
}

/* Reads one UTF-8 character at s[*i]; -1 if invalid. */
static long utf8_next(const unsigned char *s, size_t n, size_t *i)
{
  unsigned char c = s[*i];
  long cp, min;
  size_t len, k;
  if (c < 0x80) { (*i)++; return c ? c : -1; }
  if (c >= 0xc2 && c <= 0xdf) { len = 2; cp = c & 0x1f; min = 0x80; }
  else if (c >= 0xe0 && c <= 0xef) { len = 3; cp = c & 0x0f; min = 0x800; }
  else if (c >= 0xf0 && c <= 0xf4) { len = 4; cp = c & 0x07; min = 0x10000; }
  else return -1;
  if (n - *i < len) return -1;
  for (k = 1; k < len; k++) {
    if ((s[*i + k] & 0xc0) != 0x80) return -1;
    cp = (cp << 6) | (s[*i + k] & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return -1;
  *i += len;
  return cp;
}

static int printable(long c) { return c >= 0x20 && c <= 0x7e; }

int imaputf7_encode(const char *str, size_t n, sa *out)
{
  const unsigned char *s = (const unsigned char *)str;
  size_t i = 0;
  while (i < n) {
    unsigned long bits = 0;
    int nbits = 0;
    long cp;
    if (printable(s[i])) {
      if (!sa_catc(out, (char)s[i])) return 0;
      if (s[i] == '&' && !sa_catc(out, '-')) return 0;
      i++;
      continue;
    }
    if (!sa_catc(out, '&')) return 0;
    while (i < n && !printable(s[i])) {
      unsigned units[2];
      int nu, u;
      if ((cp = utf8_next(s, n, &i)) < 0) return bad();
      if (cp >= 0x10000) {
        units[0] = 0xd800u + (unsigned)((cp - 0x10000) >> 10);
        units[1] = 0xdc00u + (unsigned)((cp - 0x10000) & 0x3ff);
        nu = 2;
      } else {
        units[0] = (unsigned)cp;
        nu = 1;
      }
      for (u = 0; u < nu; u++) {
        bits = (bits << 16) | units[u];
        nbits += 16;
        while (nbits >= 6) {
          nbits -= 6;
          if (!sa_catc(out, b64[(bits >> nbits) & 0x3f])) return 0;
        }
        bits &= (1ul << nbits) - 1;
      }
    }
    if (nbits && !sa_catc(out, b64[(bits << (6 - nbits)) & 0x3f])) return 0;
    if (!sa_catc(out, '-')) return 0;
  }
  return 1;
}

static int put_utf8(sa *out, unsigned long cp)
{
  char b[4];
  size_t l;
  if (cp < 0x80) { b[0] = (char)cp; l = 1; }
  else if (cp < 0x800) { b[0] = (char)(0xc0 | (cp >> 6)); b[1] = (char)(0x80 | (cp & 0x3f)); l = 2; }
  else if (cp < 0x10000) {
    b[0] = (char)(0xe0 | (cp >> 12)); b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
    b[2] = (char)(0x80 | (cp & 0x3f)); l = 3;
  } else {
    b[0] = (char)(0xf0 | (cp >> 18)); b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    b[2] = (char)(0x80 | ((cp >> 6) & 0x3f)); b[3] = (char)(0x80 | (cp & 0x3f)); l = 4;
  }
  return sa_catb(out, b, l);
}

int imaputf7_decode(const char *str, size_t n, sa *out)
{
  const unsigned char *s = (const unsigned char *)str;
  size_t i = 0;
  while (i < n) {
    unsigned long bits = 0, hi = 0;
    int nbits = 0, v;
    size_t start;
    if (!printable(s[i])) return bad();
    if (s[i] != '&') {
      if (!sa_catc(out, (char)s[i])) return 0;
      i++;
      continue;
    }
    start = ++i;
    while (i < n && (v = b64val(s[i])) >= 0) {
      bits = (bits << 6) | (unsigned long)v;
      nbits += 6;
      i++;
      if (nbits >= 16) {
        unsigned long u;
        nbits -= 16;
        u = (bits >> nbits) & 0xffff;
        bits &= (1ul << nbits) - 1;
        if (hi) {
          if (u < 0xdc00 || u > 0xdfff) return bad();
          if (!put_utf8(out, 0x10000 + ((hi - 0xd800) << 10) + (u - 0xdc00))) return 0;
          hi = 0;
        } else if (u >= 0xd800 && u <= 0xdbff) {
          hi = u;
        } else if (u >= 0xdc00 && u <= 0xdfff) {
          return bad();
        } else {
          if (printable((long)u) || u == 0) return bad();
          if (!put_utf8(out, u)) return 0;
        }
      }
    }
    if (i >= n || s[i] != '-') return bad();
    i++;
    if (i - 1 == start) {   /* "&-" */
      if (!sa_catc(out, '&')) return 0;
      continue;
    }
    if (hi || nbits >= 6 || bits != 0) return bad();
    /* two shifts in a row are one shift in canonical form */
    if (i + 1 < n && s[i] == '&' && s[i + 1] != '-') return bad();
  }
  return 1;
}
