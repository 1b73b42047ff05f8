#include "addr.h"

#include <string.h>

static int is_alpha(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

/* RFC 5322 atext */
static int is_atext(unsigned char c)
{
  if (is_alpha(c) || is_digit(c)) return 1;
  return c && strchr("!#$%&'*+-/=?^_`{|}~", c) != 0;
}

/* Length of one well-formed UTF-8 sequence at s (0 if malformed). */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
  unsigned char c = s[0];
  size_t len, i;
  unsigned long cp;
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) { len = 2; cp = c & 0x1f; }
  else if (c >= 0xe0 && c <= 0xef) { len = 3; cp = c & 0x0f; }
  else if (c >= 0xf0 && c <= 0xf4) { len = 4; cp = c & 0x07; }
  else return 0;
  if (n < len) return 0;
  for (i = 1; i < len; i++) {
    if ((s[i] & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (s[i] & 0x3f);
  }
  if (len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) return 0;
  if (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) return 0;
  return len;
}

int utf8_valid(const char *s, size_t n)
{
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0;
  while (i < n) {
    size_t l = utf8_seq(p + i, n - i);
    if (!l) return 0;
    i += l;
  }
  return 1;
}

char *addr_lower(char *out, const char *in, size_t n)
{
  size_t i;
  for (i = 0; i < n; i++) {
    char c = in[i];
    out[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
  }
  out[n] = 0;
  return out;
}

int addr_local_valid(const char *s, size_t n, unsigned flags)
{
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0;
  int atom_len = 0;
  if (n == 0 || n > ADDR_LOCAL_MAX) return 0;
  while (i < n) {
    if (p[i] == '.') {
      if (atom_len == 0) return 0;
      atom_len = 0;
      i++;
      continue;
    }
    if (p[i] >= 0x80) {
      size_t l;
      if (!(flags & ADDR_UTF8)) return 0;
      l = utf8_seq(p + i, n - i);
      if (!l) return 0;
      i += l;
    } else if (is_atext(p[i])) {
      i++;
    } else {
      return 0;
    }
    atom_len++;
  }
  return atom_len > 0;
}

static int label_ok(const unsigned char *p, size_t n, unsigned flags)
{
  size_t i = 0;
  int utf8 = 0;
  if (n == 0 || n > 63) return 0;
  while (i < n) {
    if (p[i] >= 0x80) {
      size_t l;
      if (!(flags & ADDR_UTF8)) return 0;
      l = utf8_seq(p + i, n - i);
      if (!l) return 0;
      utf8 = 1;
      i += l;
    } else if (is_alpha(p[i]) || is_digit(p[i]) || p[i] == '-') {
      i++;
    } else {
      return 0;
    }
  }
  /* Let-dig at both ends (RFC 5321 sub-domain) */
  if (p[0] == '-' || p[n - 1] == '-') return 0;
  (void)utf8;
  return 1;
}

int addr_domain_valid(const char *s, size_t n, unsigned flags)
{
  const unsigned char *p = (const unsigned char *)s;
  size_t start = 0, i;
  if (n == 0 || n > ADDR_DOMAIN_MAX) return 0;
  for (i = 0; i <= n; i++) {
    if (i == n || p[i] == '.') {
      if (!label_ok(p + start, i - start, flags)) return 0;
      start = i + 1;
    }
  }
  return 1;
}

static int ipv4_ok(const char *s, size_t n)
{
  size_t i = 0;
  int parts = 0;
  while (parts < 4) {
    unsigned v = 0;
    size_t d = 0;
    while (i < n && is_digit((unsigned char)s[i]) && d < 3) { v = v * 10 + (unsigned)(s[i] - '0'); i++; d++; }
    if (d == 0 || v > 255 || (d > 1 && s[i - d] == '0')) return 0;
    parts++;
    if (parts < 4) { if (i >= n || s[i] != '.') return 0; i++; }
  }
  return i == n;
}

static int ipv6_ok(const char *s, size_t n)
{
  /* hex groups separated by ':', at most one "::", an optional IPv4 tail. */
  size_t i = 0;
  int groups = 0, dbl = 0;
  if (n >= 2 && s[0] == ':' && s[1] == ':') { dbl = 1; i = 2; if (i == n) return 1; }
  else if (n && s[0] == ':') return 0;
  while (i < n) {
    size_t j = i, h = 0;
    while (j < n && h < 5 && (is_digit((unsigned char)s[j]) || (s[j] >= 'a' && s[j] <= 'f') || (s[j] >= 'A' && s[j] <= 'F'))) { j++; h++; }
    if (j < n && s[j] == '.') { /* IPv4 tail */
      if (!ipv4_ok(s + i, n - i)) return 0;
      groups += 2;
      i = n;
      break;
    }
    if (h == 0 || h > 4) return 0;
    groups++;
    i = j;
    if (i == n) break;
    if (s[i] != ':') return 0;
    i++;
    if (i < n && s[i] == ':') { if (dbl) return 0; dbl = 1; i++; if (i == n) break; }
    else if (i == n) return 0;
  }
  return dbl ? groups <= 7 : groups == 8;
}

static int literal_ok(const char *s, size_t n)
{
  /* s is the inside of [...] */
  if (n >= 5 && strncasecmp(s, "IPv6:", 5) == 0) return ipv6_ok(s + 5, n - 5);
  return ipv4_ok(s, n);
}

static int set_why(const char **why, const char *w) { if (why) *why = w; return 0; }

int addr_parse_mailbox(const char *s, size_t n, unsigned flags, addr *out, const char **why)
{
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0, at;
  memset(out, 0, sizeof *out);
  if (n == 0) return set_why(why, "empty address");
  if (p[0] == '"') {
    /* Quoted-string: qtextSMTP / quoted-pairSMTP */
    i = 1;
    for (;;) {
      if (i >= n) return set_why(why, "unterminated quoted local part");
      if (p[i] == '"') { i++; break; }
      if (p[i] == '\\') {
        if (i + 1 >= n || p[i + 1] < 32 || p[i + 1] > 126) return set_why(why, "bad quoted pair");
        i += 2;
        continue;
      }
      if (p[i] >= 0x80) {
        size_t l;
        if (!(flags & ADDR_UTF8)) return set_why(why, "8-bit local part without SMTPUTF8");
        l = utf8_seq(p + i, n - i);
        if (!l) return set_why(why, "invalid UTF-8");
        out->utf8 = 1;
        i += l;
        continue;
      }
      if (p[i] < 32 || p[i] > 126) return set_why(why, "control character in local part");
      i++;
    }
    out->quoted = 1;
    if (i > ADDR_LOCAL_MAX) return set_why(why, "local part too long");
    if (i >= n || p[i] != '@') return set_why(why, "missing @ after local part");
    at = i;
  } else {
    const char *a = memchr(s, '@', n);
    /* The last '@' is the separator only for quoted local parts; a dot-string
     * cannot contain '@', so the first one must be it. */
    if (!a) return set_why(why, "missing @domain");
    at = (size_t)(a - s);
    if (at == 0) return set_why(why, "empty local part");
    if (at > ADDR_LOCAL_MAX) return set_why(why, "local part too long");
    if (!addr_local_valid(s, at, flags)) return set_why(why, "invalid local part");
  }
  memcpy(out->local, s, at);
  out->local_len = at;
  out->local[at] = 0;
  i = at + 1;
  if (i >= n) return set_why(why, "empty domain");
  if (p[i] == '[') {
    if (flags & ADDR_NO_LITERAL) return set_why(why, "address literals are not accepted");
    if (p[n - 1] != ']' || n - i < 3) return set_why(why, "invalid address literal");
    if (!literal_ok(s + i + 1, n - i - 2)) return set_why(why, "invalid address literal");
    out->literal = 1;
  } else if (!addr_domain_valid(s + i, n - i, flags)) {
    return set_why(why, "invalid domain");
  }
  if (n - i > ADDR_DOMAIN_MAX) return set_why(why, "domain too long");
  memcpy(out->domain, s + i, n - i);
  out->domain_len = n - i;
  out->domain[n - i] = 0;
  if (!out->utf8) {
    size_t k;
    for (k = 0; k < n; k++) if (p[k] >= 0x80) { out->utf8 = 1; break; }
  }
  return 1;
}

int addr_parse_path(const char *s, size_t n, unsigned flags, addr *out, size_t *used, const char **why)
{
  size_t i = 1, end;
  int inq = 0;
  memset(out, 0, sizeof *out);
  if (n == 0 || s[0] != '<') return set_why(why, "address must be in angle brackets");
  /* Find the closing '>' outside a quoted string. */
  for (end = 1; end < n; end++) {
    if (inq) {
      if (s[end] == '\\' && end + 1 < n) { end++; continue; }
      if (s[end] == '"') inq = 0;
      continue;
    }
    if (s[end] == '"') inq = 1;
    else if (s[end] == '>') break;
  }
  if (end >= n) return set_why(why, "missing closing angle bracket");
  if (end + 1 > ADDR_PATH_MAX) return set_why(why, "path too long");
  *used = end + 1;
  if (end == 1) {
    if (!(flags & ADDR_ALLOW_NULL)) return set_why(why, "null address not allowed here");
    out->null = 1;
    return 1;
  }
  if (s[1] == '@') {
    /* A-d-l ":" -- a source route; each hop must be a valid domain, then it
     * is ignored (RFC 5321 section 3.3 and appendix C). */
    size_t colon = i;
    while (colon < end && s[colon] != ':') colon++;
    if (colon >= end) return set_why(why, "bad source route");
    while (i < colon) {
      size_t j;
      if (s[i] != '@') return set_why(why, "bad source route");
      i++;
      j = i;
      while (j < colon && s[j] != ',') j++;
      if (!addr_domain_valid(s + i, j - i, flags)) return set_why(why, "bad source route");
      i = j;
      if (i < colon) i++; /* ',' */
    }
    i = colon + 1;
  }
  return addr_parse_mailbox(s + i, end - i, flags, out, why);
}

size_t addr_format(const addr *a, char *out, size_t n)
{
  size_t need;
  if (a->null) { if (n) out[0] = 0; return n ? 0 : 0; }
  need = a->local_len + 1 + a->domain_len;
  if (need + 1 > n) return 0;
  memcpy(out, a->local, a->local_len);
  out[a->local_len] = '@';
  memcpy(out + a->local_len + 1, a->domain, a->domain_len);
  out[need] = 0;
  return need;
}
