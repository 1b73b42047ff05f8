#include "local.h"

#include <string.h>
#include <strings.h>

#define VALUE_MAX 1024

static int is_ws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/* Compares a field value (unfolded, may hold CR/LF) with rcpt. */
static int value_is(const char *v, size_t n, const char *rcpt)
{
  size_t rl = strlen(rcpt);
  while (n && is_ws(*v)) { v++; n--; }
  while (n && is_ws(v[n - 1])) n--;
  return n == rl && strncasecmp(v, rcpt, n) == 0;
}

int header_has_delivered_to(const char *msg, size_t n, const char *rcpt)
{
  static const char name[] = "delivered-to:";
  size_t pos = 0;
  while (pos < n) {
    const char *line = msg + pos;
    const char *nl = memchr(line, '\n', n - pos);
    size_t len = nl ? (size_t)(nl - line) : n - pos;
    if (len == 0 || (len == 1 && line[0] == '\r')) return 0;   /* end of the header section */
    pos += len + (nl ? 1 : 0);
    if (len >= sizeof name - 1 && strncasecmp(line, name, sizeof name - 1) == 0) {
      /* The value runs on through continuation lines; a folded value is
       * compared with its line breaks counted as white space. */
      char v[VALUE_MAX];
      size_t vl = 0, i;
      int toolong = 0;
      const char *p = line + sizeof name - 1;
      size_t pl = len - (sizeof name - 1);
      for (;;) {
        for (i = 0; i < pl; i++) {
          if (vl >= sizeof v) { toolong = 1; break; }
          v[vl++] = p[i];
        }
        if (pos >= n || (msg[pos] != ' ' && msg[pos] != '\t')) break;
        line = msg + pos;
        nl = memchr(line, '\n', n - pos);
        len = nl ? (size_t)(nl - line) : n - pos;
        pos += len + (nl ? 1 : 0);
        p = line;
        pl = len;
        if (vl < sizeof v) v[vl++] = ' ';
      }
      if (!toolong && value_is(v, vl, rcpt)) return 1;
    }
  }
  return 0;
}
