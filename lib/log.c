#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *prog = "yubin";

void log_init(const char *argv0)
{
  const char *slash;
  if (!argv0 || !*argv0) return;
  slash = strrchr(argv0, '/');
  prog = slash ? slash + 1 : argv0;
}

const char *log_prog(void) { return prog; }

static void emit(const char *level, const char *fmt, va_list ap, const char *tail)
{
  char line[2048];
  int n = snprintf(line, sizeof line, "%s: %s: ", prog, level);
  if (n < 0) return;
  if ((size_t)n < sizeof line) vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
  if (tail) {
    size_t l = strlen(line);
    snprintf(line + l, sizeof line - l, ": %s", tail);
  }
  /* One write per event so that concurrent writers do not interleave. */
  size_t l = strlen(line);
  if (l + 1 < sizeof line) { line[l] = '\n'; line[l + 1] = 0; }
  else line[sizeof line - 2] = '\n';
  fputs(line, stderr);
  fflush(stderr);
}

void log_info(const char *fmt, ...)
{
  va_list ap; va_start(ap, fmt); emit("info", fmt, ap, 0); va_end(ap);
}

void log_warn(const char *fmt, ...)
{
  va_list ap; va_start(ap, fmt); emit("warning", fmt, ap, 0); va_end(ap);
}

void warn_sys(const char *fmt, ...)
{
  const char *e = strerror(errno);
  va_list ap; va_start(ap, fmt); emit("warning", fmt, ap, e); va_end(ap);
}

void die(int code, const char *fmt, ...)
{
  va_list ap; va_start(ap, fmt); emit("fatal", fmt, ap, 0); va_end(ap);
  exit(code);
}

void die_sys(int code, const char *fmt, ...)
{
  const char *e = strerror(errno);
  va_list ap; va_start(ap, fmt); emit("fatal", fmt, ap, e); va_end(ap);
  exit(code);
}

const char *log_safe(const char *s, char *out, unsigned long n)
{
  unsigned long i = 0;
  if (!n) return "";
  for (; s && *s && i + 1 < n; s++) {
    unsigned char c = (unsigned char)*s;
    out[i++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
  }
  out[i] = 0;
  return out;
}

#ifdef YUBIN_SAN
#include <unistd.h>
/* Sanitizer builds (make check): LeakSanitizer cannot inspect a setuid
 * process (it is not dumpable), so leak checks are off there. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
  return getuid() != geteuid() ? "detect_leaks=0" : "";
}
#endif
