#include "conn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

static int wait_fd(int fd, short ev, int timeout_ms)
{
  struct pollfd p = { fd, ev, 0 };
  for (;;) {
    int r = poll(&p, 1, timeout_ms > 0 ? timeout_ms : -1);
    if (r > 0) return 1;
    if (r == 0) { errno = ETIMEDOUT; return 0; }
    if (errno != EINTR) return 0;
  }
}

int conn_open(conn *c, const struct sockaddr *sa, socklen_t len, int timeout_ms)
{
  int fd, err = 0;
  socklen_t el = sizeof err;
  memset(c, 0, sizeof *c);
  c->fd = -1;
  fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return 0;
  if (connect(fd, sa, len) < 0) {
    if (errno != EINPROGRESS) { int e = errno; close(fd); errno = e; return 0; }
    if (!wait_fd(fd, POLLOUT, timeout_ms)) { int e = errno; close(fd); errno = e; return 0; }
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0) { int e = errno; close(fd); errno = e; return 0; }
    if (err) { close(fd); errno = err; return 0; }
  }
  c->fd = fd;
  return 1;
}

void conn_close(conn *c)
{
  if (c->tls) tlsclient_close(c->tls);
  c->tls = 0;
  if (c->fd >= 0) close(c->fd);
  c->fd = -1;
}

int conn_write(conn *c, const void *buf, size_t n)
{
  const char *p = buf;
  if (c->tls) {
    c->tls->timeout_ms = c->timeout_ms;
    return tlsclient_write(c->tls, buf, n);
  }
  while (n) {
    ssize_t w;
    if (!wait_fd(c->fd, POLLOUT, c->timeout_ms)) return 0;
    w = write(c->fd, p, n);
    if (w < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return 0;
    }
    p += w;
    n -= (size_t)w;
  }
  return 1;
}

static int fill(conn *c, int timeout_ms)
{
  ssize_t r;
  if (c->start > 0) {
    memmove(c->in, c->in + c->start, c->end - c->start);
    c->end -= c->start;
    c->start = 0;
  }
  if (c->end == sizeof c->in) { errno = ERANGE; return 0; }
  if (c->tls) {
    c->tls->timeout_ms = timeout_ms;
    r = tlsclient_read(c->tls, c->in + c->end, sizeof c->in - c->end);
  } else {
    for (;;) {
      if (!wait_fd(c->fd, POLLIN, timeout_ms)) return 0;
      r = read(c->fd, c->in + c->end, sizeof c->in - c->end);
      if (r >= 0 || (errno != EINTR && errno != EAGAIN)) break;
    }
  }
  if (r < 0) return 0;
  if (r == 0) { errno = EPIPE; return 0; }
  c->end += (size_t)r;
  return 1;
}

/* One line without its LF (a CR stays; reply_feed drops it). */
static int getline_(conn *c, const char **line, size_t *len, int timeout_ms)
{
  size_t have = 0;
  for (;;) {
    char *nl = memchr(c->in + c->start, '\n', c->end - c->start);
    if (nl) {
      size_t n = (size_t)(nl - (c->in + c->start));
      if (have + n > REPLY_LINE_MAX + 1) { errno = ERANGE; return 0; }
      memcpy(c->line + have, c->in + c->start, n);
      have += n;
      c->start += n + 1;
      *line = c->line;
      *len = have;
      return 1;
    }
    /* No LF yet: keep what we have in the line buffer and read more. */
    {
      size_t n = c->end - c->start;
      if (have + n > REPLY_LINE_MAX + 1) { errno = ERANGE; return 0; }
      memcpy(c->line + have, c->in + c->start, n);
      have += n;
      c->start = c->end = 0;
    }
    if (!fill(c, timeout_ms)) return 0;
  }
}

int conn_reply(conn *c, reply *r, int timeout_ms)
{
  reply_reset(r);
  for (;;) {
    const char *line;
    size_t len;
    int f;
    if (!getline_(c, &line, &len, timeout_ms)) return 0;
    f = reply_feed(r, line, len);
    if (f < 0) { errno = EPROTO; return 0; }
    if (f == 1) return 1;
  }
}

int conn_pending(const conn *c)
{
  return c->end > c->start;
}
