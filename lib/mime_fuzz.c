/* libFuzzer target: the MIME parser never crashes, never reads past the
 * input, keeps every span inside it, and section lookups agree with the
 * tree. */
#include <stdint.h>
#include <string.h>

#include "mime.h"

static int inside(const char *buf, size_t n, mime_span s)
{
  return s.len == 0 || (s.s >= buf && s.s <= buf + n && s.len <= (size_t)(buf + n - s.s));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static mime_part parts[200];
  const char *buf = (const char *)data;
  mime_msg m;
  size_t i, pos;
  mime_span k, v, tok, rest;
  sa out = SA_ZERO;
  char sec[8];

  if (!mime_parse(&m, buf, size, parts, 200)) __builtin_trap();
  if (m.count < 1 || m.count > 200) __builtin_trap();
  for (i = 0; i < m.count; i++) {
    const mime_part *p = &parts[i];
    if (!inside(buf, size, p->header) || !inside(buf, size, p->body)) __builtin_trap();
    if (!inside(buf, size, p->disposition) || !inside(buf, size, p->encoding)) __builtin_trap();
    if (p->depth > MIME_DEPTH_MAX) __builtin_trap();
    pos = 0;
    while (mime_param_next(p->params.s, p->params.len, &pos, &k, &v)) {
      if (!mime_unquote(v, &out)) __builtin_trap();
      if (out.len > v.len) __builtin_trap();
    }
    if (mime_first_token(p->disposition, &tok, &rest) && !inside(buf, size, rest)) __builtin_trap();
  }
  for (i = 1; i <= 9; i++) {
    int r;
    sec[0] = (char)('0' + i);
    r = mime_section(&m, 0, sec, 1);
    if (r >= (int)m.count) __builtin_trap();
    sec[1] = '.'; sec[2] = '1';
    r = mime_section(&m, 0, sec, 3);
    if (r >= (int)m.count) __builtin_trap();
  }
  sa_free(&out);
  return 0;
}
