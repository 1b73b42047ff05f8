#include "starttls.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomic.h"

static int ctl_fd(void)
{
  const char *s = getenv("TLSCTL");
  char *end;
  long v;
  if (!s || !*s) return -1;
  v = strtol(s, &end, 10);
  if (*end || v < 3 || v > 1000) return -1;
  return (int)v;
}

int starttls_available(void) { return ctl_fd() >= 0; }

/* Reads one '\n'-terminated message of at most n-1 bytes from fd. */
static ssize_t read_msg(int fd, char *buf, size_t n)
{
  size_t got = 0;
  while (got < n - 1) {
    ssize_t r = read(fd, buf + got, 1);
    if (r < 0) { if (errno == EINTR) continue; return -1; }
    if (r == 0) return -1;
    got++;
    if (buf[got - 1] == '\n') { buf[got] = 0; return (ssize_t)got; }
  }
  errno = ERANGE;
  return -1;
}

int starttls_begin(linebuf *lb, const char *reply, size_t len)
{
  int fd = ctl_fd();
  char msg[512], *end, head[24];
  unsigned long long sent;
  ssize_t n;
  int hl;
  if (fd < 0 || len > STARTTLS_REPLY_MAX) return 0;
  hl = snprintf(head, sizeof head, "S%zu\n", len);
  if (!write_all(fd, head, (size_t)hl) || !write_all(fd, reply, len)) return 0;
  n = read_msg(fd, msg, sizeof msg);
  if (n < 3 || msg[0] != 'T') return 0;
  errno = 0;
  sent = strtoull(msg + 1, &end, 10);
  if (errno || *end != '\n' || sent < lb->bytes_in) return 0;
  /* Drop what is buffered and what is still on its way: a client must not
   * smuggle commands into the TLS session by pipelining them after STARTTLS. */
  lb_discard(lb);
  while (lb->bytes_in < sent) {
    char junk[4096];
    unsigned long long left = sent - lb->bytes_in;
    ssize_t r = read(lb->fd, junk, left < sizeof junk ? (size_t)left : sizeof junk);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return 0;
    lb->bytes_in += (unsigned long long)r;
  }
  lb->eof = 0;
  /* Wait for the handshake: "K" NAME=VALUE\0 ... "\n" */
  {
    size_t got = 0;
    for (;;) {
      ssize_t r = read(fd, msg + got, sizeof msg - 1 - got);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return 0;
      got += (size_t)r;
      if (msg[got - 1] == '\n') break;
      if (got == sizeof msg - 1) return 0;
    }
    if (msg[0] != 'K') return 0;
    msg[got - 1] = 0;
    for (char *p = msg + 1; p < msg + got - 1; p += strlen(p) + 1) {
      char *eq = strchr(p, '=');
      if (eq) { *eq = 0; setenv(p, eq + 1, 1); *eq = '='; }
    }
  }
  setenv("TLS", "1", 1);
  unsetenv("TLSCTL");
  close(fd);
  return 1;
}
