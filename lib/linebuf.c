#include "linebuf.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

void lb_init(linebuf *lb, int fd, char *buf, size_t size, int timeout_ms)
{
  lb->fd = fd;
  lb->buf = buf;
  lb->size = size;
  lb->start = lb->end = 0;
  lb->timeout_ms = timeout_ms;
  lb->eof = 0;
  lb->bytes_in = 0;
}

size_t lb_pending(const linebuf *lb) { return lb->end - lb->start; }
void lb_discard(linebuf *lb) { lb->start = lb->end = 0; }

static int fill(linebuf *lb)
{
  ssize_t r;
  if (lb->eof) return 0;
  if (lb->start > 0) {
    memmove(lb->buf, lb->buf + lb->start, lb->end - lb->start);
    lb->end -= lb->start;
    lb->start = 0;
  }
  if (lb->end == lb->size) { errno = ERANGE; return -1; }
  for (;;) {
    if (lb->timeout_ms > 0) {
      struct pollfd p = { lb->fd, POLLIN, 0 };
      int pr = poll(&p, 1, lb->timeout_ms);
      if (pr < 0) { if (errno == EINTR) continue; return -1; }
      if (pr == 0) { errno = ETIMEDOUT; return -1; }
    }
    r = read(lb->fd, lb->buf + lb->end, lb->size - lb->end);
    if (r < 0) { if (errno == EINTR) continue; return -1; }
    if (r == 0) { lb->eof = 1; return 0; }
    lb->end += (size_t)r;
    lb->bytes_in += (unsigned long long)r;
    return 1;
  }
}

int lb_getline(linebuf *lb, const char **line, size_t *len)
{
  size_t scanned = 0;
  for (;;) {
    char *nl = memchr(lb->buf + lb->start + scanned, '\n', lb->end - lb->start - scanned);
    int r;
    if (nl) {
      *line = lb->buf + lb->start;
      *len = (size_t)(nl - *line) + 1;
      lb->start += *len;
      return 1;
    }
    scanned = lb->end - lb->start;
    if (scanned == lb->size) {
      /* Over-long line: drop what we have, then skip through the next '\n'. */
      lb->start = lb->end = 0;
      for (;;) {
        r = fill(lb);
        if (r <= 0) break;
        nl = memchr(lb->buf, '\n', lb->end);
        if (nl) { lb->start = (size_t)(nl - lb->buf) + 1; break; }
        lb->start = lb->end = 0;
      }
      errno = ERANGE;
      return -1;
    }
    r = fill(lb);
    if (r < 0) return -1;
    if (r == 0) {
      if (lb->end > lb->start) {
        *line = lb->buf + lb->start;
        *len = lb->end - lb->start;
        lb->start = lb->end;
        return 1;
      }
      return 0;
    }
    scanned = 0; /* buffer may have moved */
  }
}

ssize_t lb_read(linebuf *lb, char *out, size_t max)
{
  size_t n;
  if (lb->end == lb->start) {
    int r = fill(lb);
    if (r <= 0) return r;
  }
  n = lb->end - lb->start;
  if (n > max) n = max;
  memcpy(out, lb->buf + lb->start, n);
  lb->start += n;
  return (ssize_t)n;
}
