#include "local.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define COPY_CHUNK 65536

void result_set(result *r, int code, const char *fmt, ...)
{
  va_list ap;
  char *p;
  r->code = code;
  va_start(ap, fmt);
  vsnprintf(r->text, sizeof r->text, fmt, ap);
  va_end(ap);
  /* The status line is one line of printable text. */
  for (p = r->text; *p; p++)
    if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f) *p = ' ';
}

void result_sys(result *r, const char *what, int err)
{
  if (err == ENOSPC) result_set(r, RES_TEMP, "4.3.1 %s: %s", what, strerror(err));
  else if (err == EDQUOT) result_set(r, RES_TEMP, "4.2.2 %s: %s", what, strerror(err));
  else result_set(r, RES_TEMP, "4.3.0 %s: %s", what, strerror(err));
}

int msg_feed(const char *prefix, size_t plen, msg_put put, void *ctx, int *readerr)
{
  static char buf[COPY_CHUNK];
  *readerr = 0;
  if (lseek(0, 0, SEEK_SET) != 0) { *readerr = 1; return 0; }
  if (plen && !put(ctx, prefix, plen)) return 0;
  for (;;) {
    ssize_t n = read(0, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      *readerr = 1;
      return 0;
    }
    if (n == 0) return 1;
    if (!put(ctx, buf, (size_t)n)) return 0;
  }
}

int msg_head(sa *out, size_t max)
{
  out->len = 0;
  if (!sa_ready(out, max + 1)) return 0;
  while (out->len < max) {
    ssize_t n = pread(0, out->s + out->len, max - out->len, (off_t)out->len);
    if (n < 0) { if (errno == EINTR) continue; return 0; }
    if (n == 0) break;
    out->len += (size_t)n;
  }
  return 1;
}
