#include "wire.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void reply_reset(reply *r)
{
  r->code = 0;
  r->nlines = 0;
  r->text.len = 0;
  r->lines.len = 0;
}

void reply_free(reply *r)
{
  sa_free(&r->text);
  sa_free(&r->lines);
  r->code = 0;
  r->nlines = 0;
}

int reply_feed(reply *r, const char *line, size_t len)
{
  int code;
  size_t i;
  char sep;

  while (len && (line[len - 1] == '\n' || line[len - 1] == '\r')) len--;
  if (len > REPLY_LINE_MAX) { errno = ERANGE; return -1; }
  if (len < 3) { errno = EPROTO; return -1; }
  for (i = 0; i < 3; i++) if (line[i] < '0' || line[i] > '9') { errno = EPROTO; return -1; }
  code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
  if (code < 200 || code > 599) { errno = EPROTO; return -1; }
  sep = len > 3 ? line[3] : ' ';
  if (sep != ' ' && sep != '-') { errno = EPROTO; return -1; }
  if (r->nlines && code != r->code) { errno = EPROTO; return -1; }
  if (r->nlines >= REPLY_LINES_MAX) { errno = ERANGE; return -1; }
  r->code = code;
  /* The report text: "550 first / second", printable ASCII, no TAB. */
  if (r->text.len < REPLY_TEXT_MAX) {
    size_t start = r->nlines ? 4 : 0;
    if (r->nlines && !sa_cats(&r->text, " / ")) return -1;
    for (i = start; i < len && r->text.len < REPLY_TEXT_MAX; i++) {
      unsigned char c = (unsigned char)line[i];
      if (!r->nlines && i == 3) c = ' ';
      if (c < 0x20 || c > 0x7e) c = '?';
      if (!sa_catc(&r->text, (char)c)) return -1;
    }
  }
  if (!sa_catb(&r->lines, len > 4 ? line + 4 : "", len > 4 ? len - 4 : 0) || !sa_catc(&r->lines, 0)) return -1;
  r->nlines++;
  if (sep == '-') return 0;
  if (!sa_0(&r->text)) return -1;
  return 1;
}

static int word_is(const char *w, size_t n, const char *kw)
{
  return strlen(kw) == n && strncasecmp(w, kw, n) == 0;
}

void ehlo_parse(const reply *r, ehlo_ext *e)
{
  const char *p = r->lines.s;
  size_t i;
  memset(e, 0, sizeof *e);
  if (!p) return;
  for (i = 0; i < r->nlines; i++) {
    size_t n = strlen(p);
    const char *next = p + n + 1;
    if (i > 0) {
      size_t k = 0;
      while (k < n && p[k] != ' ' && p[k] != '=') k++;
      if (word_is(p, k, "PIPELINING")) e->pipelining = 1;
      else if (word_is(p, k, "STARTTLS")) e->starttls = 1;
      else if (word_is(p, k, "8BITMIME")) e->eightbit = 1;
      else if (word_is(p, k, "SMTPUTF8")) e->smtputf8 = 1;
      else if (word_is(p, k, "SIZE")) {
        unsigned long long v = 0;
        size_t j = k + 1;
        int ok = 1;
        e->size = 1;
        if (k < n) {
          for (; j < n; j++) {
            if (p[j] < '0' || p[j] > '9' || v > (~0ULL - 9) / 10) { ok = 0; break; }
            v = v * 10 + (unsigned)(p[j] - '0');
          }
          if (ok) e->size_max = v;
        }
      } else if (word_is(p, k, "AUTH")) {
        size_t j = k;
        while (j < n) {
          size_t s;
          while (j < n && (p[j] == ' ' || p[j] == '=')) j++;
          s = j;
          while (j < n && p[j] != ' ') j++;
          if (word_is(p + s, j - s, "PLAIN")) e->auth_plain = 1;
          if (word_is(p + s, j - s, "LOGIN")) e->auth_login = 1;
        }
      }
    }
    p = next;
  }
}

int wire_encode_data(const char *msg, size_t n, sa *out)
{
  size_t i = 0, need;
  /* Worst case every byte is a dot at a line start or an LF: 2n + 5. */
  if (__builtin_mul_overflow(n, (size_t)2, &need) || __builtin_add_overflow(need, out->len + 5, &need)) {
    errno = EOVERFLOW;
    return 0;
  }
  if (!sa_ready(out, need)) return 0;
  while (i < n) {
    const char *nl = memchr(msg + i, '\n', n - i);
    size_t end = nl ? (size_t)(nl - msg) : n;
    size_t len = end - i;
    if (len && msg[i + len - 1] == '\r') len--;   /* CRLF in: same out */
    if (len && msg[i] == '.') out->s[out->len++] = '.';
    memcpy(out->s + out->len, msg + i, len);
    out->len += len;
    out->s[out->len++] = '\r';
    out->s[out->len++] = '\n';
    i = nl ? end + 1 : n;
  }
  memcpy(out->s + out->len, ".\r\n", 3);
  out->len += 3;
  return 1;
}

int wire_has_8bit(const char *msg, size_t n)
{
  size_t i;
  for (i = 0; i < n; i++) if ((unsigned char)msg[i] >= 0x80) return 1;
  return 0;
}
