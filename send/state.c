#include "state.h"

#include <string.h>

/* one field: tag byte, then at most max bytes up to \0 at or before n */
static int field(const char *buf, size_t n, size_t *pos, char tag, size_t max, const char **val)
{
  const char *z;
  size_t p = *pos;
  if (p >= n || buf[p] != tag) return 0;
  z = memchr(buf + p + 1, 0, n - p - 1);
  if (!z) return 0;
  if ((size_t)(z - (buf + p + 1)) > max) return 0;
  *val = buf + p + 1;
  *pos = (size_t)(z - buf) + 1;
  return 1;
}

static int number(const char *s, unsigned long long *out)
{
  unsigned long long v = 0;
  if (!*s || (s[0] == '0' && s[1])) return 0;
  for (; *s; s++) {
    if (*s < '0' || *s > '9') return 0;
    if (v > (~0ULL - 9) / 10) return 0;
    v = v * 10 + (unsigned long long)(*s - '0');
  }
  *out = v;
  return 1;
}

static int addr_ok(const char *a)
{
  for (; *a; a++) if ((unsigned char)*a < 32 || *a == 127) return 0;
  return 1;
}

int info_format(sa *out, const info *in)
{
  return sa_catc(out, 'b') && sa_catu(out, in->birth) && sa_catc(out, 0) &&
         sa_catc(out, 'u') && sa_catu(out, in->uid) && sa_catc(out, 0) &&
         sa_catc(out, 'p') && sa_catu(out, in->pid) && sa_catc(out, 0) &&
         sa_catc(out, 'F') && sa_cats(out, in->sender) && sa_catc(out, 0);
}

int info_parse(const char *buf, size_t n, info *in)
{
  size_t pos = 0;
  const char *v;
  if (!field(buf, n, &pos, 'b', 20, &v) || !number(v, &in->birth)) return 0;
  if (!field(buf, n, &pos, 'u', 20, &v) || !number(v, &in->uid)) return 0;
  if (!field(buf, n, &pos, 'p', 20, &v) || !number(v, &in->pid)) return 0;
  if (!field(buf, n, &pos, 'F', STATE_ADDR_MAX, &in->sender) || !addr_ok(in->sender)) return 0;
  return pos == n;
}

int rcpt_next(const char *buf, size_t n, size_t *pos, char *mark, const char **addr, size_t *at)
{
  size_t p = *pos;
  const char *v;
  if (p >= n) return 0;
  if (buf[p] != 'T' && buf[p] != 'D') return -1;
  *mark = buf[p];
  *at = p;
  if (!field(buf, n, &p, buf[p], STATE_ADDR_MAX, &v) || !*v || !addr_ok(v)) return -1;
  *addr = v;
  *pos = p;
  return 1;
}

int rcpt_check(const char *buf, size_t n, size_t *pending)
{
  size_t pos = 0, at;
  char mark;
  const char *a;
  int r;
  *pending = 0;
  while ((r = rcpt_next(buf, n, &pos, &mark, &a, &at)) == 1)
    if (mark == 'T') (*pending)++;
  return r == 0 && pos == n;
}

static int cat_clean(sa *out, const char *s, size_t max)
{
  size_t i;
  for (i = 0; s[i] && i < max; i++) {
    char c = s[i];
    if (c == '\t' || c == '\n' || c == '\r') c = ' ';
    if (!sa_catc(out, c)) return 0;
  }
  return 1;
}

int bounce_line(sa *out, const char *status, const char *rcpt, const char *host, const char *text)
{
  return cat_clean(out, status, 15) && sa_catc(out, '\t') &&
         cat_clean(out, rcpt, STATE_ADDR_MAX) && sa_catc(out, '\t') &&
         cat_clean(out, host, STATE_ADDR_MAX) && sa_catc(out, '\t') &&
         cat_clean(out, text, STATE_TEXT_MAX) && sa_catc(out, '\n');
}

int bounce_next(char *buf, size_t n, size_t *pos, failure *f)
{
  char *line, *nl, *t1, *t2, *t3;
  size_t slen;
  if (*pos >= n) return 0;
  line = buf + *pos;
  nl = memchr(line, '\n', n - *pos);
  if (!nl) return -1;
  if (memchr(line, 0, (size_t)(nl - line))) return -1;
  *nl = 0;
  t1 = strchr(line, '\t');
  if (!t1) return -1;
  *t1 = 0;
  t2 = strchr(t1 + 1, '\t');
  if (!t2) return -1;
  *t2 = 0;
  t3 = strchr(t2 + 1, '\t');
  if (!t3) return -1;
  *t3 = 0;
  if (strchr(t3 + 1, '\t')) return -1;
  slen = strlen(line);
  if (slen < 5 || slen > 15 || !t1[1]) return -1;
  memcpy(f->status, line, slen + 1);
  f->rcpt = t1 + 1;
  f->host = t2 + 1;
  f->text = t3 + 1;
  *pos = (size_t)(nl - buf) + 1;
  return 1;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* "D.D{1,3}.D{1,3}" at s; returns its length or 0 */
static size_t enh(const char *s)
{
  size_t i = 0, k;
  if (s[0] != '2' && s[0] != '4' && s[0] != '5') return 0;
  if (s[1] != '.') return 0;
  i = 2;
  for (k = 0; k < 3 && is_digit(s[i]); k++) i++;
  if (k == 0 || s[i] != '.') return 0;
  i++;
  for (k = 0; k < 3 && is_digit(s[i]); k++) i++;
  if (k == 0) return 0;
  if (s[i] && s[i] != ' ') return 0;
  return i;
}

void status_of(const char *text, const char *dflt, char out[16])
{
  size_t l = enh(text);
  if (!l && is_digit(text[0]) && is_digit(text[1]) && is_digit(text[2]) && (text[3] == ' ' || text[3] == '-'))
    { text += 4; l = enh(text); }
  if (l) { memcpy(out, text, l); out[l] = 0; return; }
  strncpy(out, dflt, 15);
  out[15] = 0;
}
