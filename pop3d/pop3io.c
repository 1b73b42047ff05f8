#include "pop3io.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static char obuf[POP3_OUT_SIZE];
static size_t olen;
static int ofd = 1, otimeout = 600000;

void out_init(int fd, int timeout_ms) { ofd = fd; otimeout = timeout_ms; olen = 0; }

void out_flush(void)
{
  size_t done = 0;
  while (done < olen) {
    struct pollfd p = { ofd, POLLOUT, 0 };
    ssize_t w;
    int r = poll(&p, 1, otimeout);
    if (r < 0) { if (errno == EINTR) continue; die_sys(111, "unable to write to the client"); }
    if (r == 0) { log_info("write timed out, session dropped"); exit(0); }
    w = write(ofd, obuf + done, olen - done);
    if (w < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      if (errno == EPIPE || errno == ECONNRESET) { log_info("client went away, session dropped"); exit(0); }
      die_sys(111, "unable to write to the client");
    }
    done += (size_t)w;
  }
  olen = 0;
}

char *out_room(size_t want)
{
  if (want > sizeof obuf) return 0;
  if (sizeof obuf - olen < want) out_flush();
  return obuf + olen;
}

void out_commit(size_t n) { olen += n; }

void out_put(const char *s, size_t n)
{
  while (n) {
    size_t k;
    if (olen == sizeof obuf) out_flush();
    k = sizeof obuf - olen;
    if (k > n) k = n;
    memcpy(obuf + olen, s, k);
    olen += k;
    s += k;
    n -= k;
  }
}

void out_puts(const char *s) { out_put(s, strlen(s)); }

void out_printf(const char *fmt, ...)
{
  char b[1024];
  va_list ap;
  int n;
  va_start(ap, fmt);
  n = vsnprintf(b, sizeof b, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  out_put(b, (size_t)n < sizeof b ? (size_t)n : sizeof b - 1);
}
