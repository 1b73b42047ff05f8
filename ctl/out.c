#include "out.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

int out_json;

void json_str(const char *s)
{
  const unsigned char *p = (const unsigned char *)s;
  putchar('"');
  for (; *p; p++) {
    if (*p == '"' || *p == '\\') printf("\\%c", *p);
    else if (*p == '\n') fputs("\\n", stdout);
    else if (*p < 0x20 || *p == 0x7f) printf("\\u%04x", *p);
    else putchar(*p);
  }
  putchar('"');
}

static _Noreturn void fail(int code, const char *msg)
{
  fflush(stdout);
  if (out_json) {
    fputs("{\"error\": ", stdout);
    json_str(msg);
    fputs("}\n", stdout);
    fflush(stdout);
  }
  die(code, "%s", msg);
}

void ctl_fail(int code, const char *fmt, ...)
{
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  fail(code, msg);
}

void ctl_fail_sys(int code, const char *fmt, ...)
{
  char msg[1024];
  const char *e = strerror(errno);
  size_t l;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  l = strlen(msg);
  snprintf(msg + l, sizeof msg - l, ": %s", e);
  fail(code, msg);
}

void out_done(void)
{
  if (out_json) puts("{\"ok\": true}");
}

void json_csv(const char *csv)
{
  const char *p = csv;
  fputs("[", stdout);
  while (*p) {
    char item[1024];
    size_t l = strcspn(p, ",");
    if (l >= sizeof item) l = sizeof item - 1;
    memcpy(item, p, l);
    item[l] = 0;
    if (p != csv) fputs(", ", stdout);
    json_str(item);
    p += strcspn(p, ",");
    if (*p == ',') p++;
  }
  fputs("]", stdout);
}
