#include "ns.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "checked.h"

int ns_parse(const char *buf, size_t n, const char **data, size_t *dlen, size_t *used)
{
  size_t i = 0, len = 0, end;

  if (n == 0) return 0;
  if (buf[0] == '0' && n > 1 && buf[1] != ':') { errno = EPROTO; return -1; }
  while (i < n && buf[i] >= '0' && buf[i] <= '9') {
    if (i >= NS_LEN_DIGITS) { errno = EPROTO; return -1; }
    len = len * 10 + (size_t)(buf[i] - '0');
    i++;
  }
  if (i == n) return 0;
  if (i == 0 || buf[i] != ':' || len > NS_MAX) { errno = EPROTO; return -1; }
  i++;
  if (!size_add(i, len, &end)) { errno = EPROTO; return -1; }
  if (end >= n) return 0;
  if (buf[end] != ',') { errno = EPROTO; return -1; }
  *data = buf + i;
  *dlen = len;
  *used = end + 1;
  return 1;
}

int ns_append(sa *out, const char *data, size_t dlen)
{
  if (dlen > NS_MAX) { errno = ERANGE; return 0; }
  return sa_catu(out, dlen) && sa_catc(out, ':') && sa_catb(out, data, dlen) && sa_catc(out, ',');
}

void chan_init(chan *c, int rfd, int wfd)
{
  sa z = SA_ZERO;
  c->rfd = rfd;
  c->wfd = wfd;
  c->in = z;
  c->out = z;
  c->in.cap = NS_MAX * 2 + 64;
  c->inpos = 0;
  c->eof = 0;
}

int chan_fill(chan *c)
{
  for (;;) {
    ssize_t r;
    if (c->inpos > 0 && c->inpos == c->in.len) { c->in.len = 0; c->inpos = 0; }
    if (c->inpos > 65536) {
      memmove(c->in.s, c->in.s + c->inpos, c->in.len - c->inpos);
      c->in.len -= c->inpos;
      c->inpos = 0;
    }
    if (!sa_ready(&c->in, c->in.len + 65536)) return -1;
    r = read(c->rfd, c->in.s + c->in.len, 65536);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return 1;
      return -1;
    }
    if (r == 0) { c->eof = 1; return 0; }
    c->in.len += (size_t)r;
    if ((size_t)r < 65536) return 1;
  }
}

int chan_next(chan *c, const char **data, size_t *dlen)
{
  size_t used;
  int r = ns_parse(c->in.s + c->inpos, c->in.len - c->inpos, data, dlen, &used);
  if (r == 1) c->inpos += used;
  return r;
}

int chan_put(chan *c, const char *data, size_t dlen)
{
  return ns_append(&c->out, data, dlen);
}

int chan_flush(chan *c)
{
  size_t pos = 0;
  while (pos < c->out.len) {
    ssize_t w = write(c->wfd, c->out.s + pos, c->out.len - pos);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      return -1;
    }
    pos += (size_t)w;
  }
  if (pos) {
    memmove(c->out.s, c->out.s + pos, c->out.len - pos);
    c->out.len -= pos;
  }
  return 1;
}

int chan_pending(const chan *c)
{
  return c->out.len > 0;
}
