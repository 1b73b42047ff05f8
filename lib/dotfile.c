#include "dotfile.h"

#include <string.h>

#include "addr.h"

const char *dotfile_type_name(int type)
{
  switch (type) {
  case DOT_MAILDIR: return "maildir";
  case DOT_MBOX: return "mbox";
  case DOT_FORWARD: return "forward";
  case DOT_PROGRAM: return "program";
  }
  return "unknown";
}

static int fail(dotfile_error *err, size_t lineno, const char *why)
{
  err->lineno = lineno;
  err->why = why;
  return 0;
}

static int is_blank(char c) { return c == ' ' || c == '\t'; }

/* Classifies one line (no LF, not blank, not a comment) into d. */
static int parse_line(const char *s, size_t n, size_t lineno, dotfile_line *d, dotfile_error *err)
{
  size_t i;
  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if ((c < 0x20 && c != '\t') || c == 0x7f) return fail(err, lineno, "control character in line");
  }
  d->lineno = lineno;
  if (s[0] == '|') {
    if (n < 2) return fail(err, lineno, "empty program");
    for (i = 1; i < n && is_blank(s[i]); i++) {}
    if (i == n) return fail(err, lineno, "empty program");
    d->type = DOT_PROGRAM;
    d->arg = s + 1;
    d->len = n - 1;
    return 1;
  }
  /* Everything else is one word: trailing blanks are already gone. */
  for (i = 0; i < n; i++)
    if (is_blank(s[i])) return fail(err, lineno, "space inside a path or address");
  if (s[0] == '.' || s[0] == '/') {
    if (n == 1 || (n == 2 && s[0] == '.' && s[1] == '/')) return fail(err, lineno, "path names no file");
    if (s[0] == '.' && s[1] == '.') return fail(err, lineno, "path starts with ..");
    d->type = s[n - 1] == '/' ? DOT_MAILDIR : DOT_MBOX;
    d->arg = s;
    d->len = n;
    return 1;
  }
  {
    addr a;
    const char *why = 0;
    const char *p = s;
    size_t l = n;
    if (s[0] == '&') { p++; l--; }
    if (l == 0) return fail(err, lineno, "empty forward address");
    if (!addr_parse_mailbox(p, l, ADDR_UTF8, &a, &why))
      return fail(err, lineno, s[0] == '&' ? "bad forward address" : "not a path, address, program or comment");
    d->type = DOT_FORWARD;
    d->arg = p;
    d->len = l;
    return 1;
  }
}

int dotfile_parse(const char *buf, size_t n, dotfile_line *out, size_t max, size_t *count, dotfile_error *err)
{
  size_t pos = 0, lineno = 0;
  *count = 0;
  err->lineno = 0;
  err->why = 0;
  if (n > DOTFILE_SIZE_MAX) return fail(err, 0, "file too long");
  if (memchr(buf, 0, n)) {
    const char *z = memchr(buf, 0, n);
    size_t i, l = 1;
    for (i = 0; i < (size_t)(z - buf); i++) if (buf[i] == '\n') l++;
    return fail(err, l, "NUL byte in file");
  }
  while (pos < n) {
    const char *s = buf + pos;
    const char *nl = memchr(s, '\n', n - pos);
    size_t len = nl ? (size_t)(nl - s) : n - pos;
    size_t i;
    pos += len + (nl ? 1 : 0);
    lineno++;
    if (lineno > DOTFILE_LINES_MAX) return fail(err, lineno, "too many lines");
    if (len > DOTFILE_LINE_MAX) return fail(err, lineno, "line too long");
    if (len && s[len - 1] == '\r') len--;
    for (i = 0; i < len && is_blank(s[i]); i++) {}
    if (i == len) continue;                 /* blank */
    if (s[0] == '#') continue;              /* comment */
    if (i > 0) return fail(err, lineno, "line starts with a space");
    if (s[0] != '|')
      while (len && is_blank(s[len - 1])) len--;
    if (*count >= max || *count >= DOTFILE_DELIVERIES_MAX) return fail(err, lineno, "too many deliveries");
    if (!parse_line(s, len, lineno, &out[*count], err)) return 0;
    (*count)++;
  }
  return 1;
}
