/* linebuf.h: buffered input from a file descriptor with bounded lines.
 * The caller owns the buffer (BearSSL style): no allocation inside. */
#ifndef YUBIN_LINEBUF_H
#define YUBIN_LINEBUF_H
#include <stddef.h>
#include <sys/types.h>

typedef struct linebuf {
  int fd;
  char *buf;
  size_t size;      /* capacity of buf */
  size_t start;     /* first unread byte */
  size_t end;       /* one past the last buffered byte */
  int timeout_ms;   /* per read; <= 0 waits forever */
  int eof;
  unsigned long long bytes_in; /* every byte ever read from fd (for STARTTLS) */
} linebuf;

void lb_init(linebuf *lb, int fd, char *buf, size_t size, int timeout_ms);

/* Reads one line ending in '\n' (kept, as are any '\r').  *line points into the
 * buffer and stays valid until the next call.  Returns 1 with *len > 0,
 * 0 at end of input (a trailing partial line is returned first, without '\n'),
 * -1 on error: ERANGE for a line longer than the buffer (the rest of that line
 * is then skipped by the next call), ETIMEDOUT, or the read error. */
int lb_getline(linebuf *lb, const char **line, size_t *len);
/* Reads up to max bytes of whatever is available (at least 1 unless EOF).
 * Returns bytes read, 0 at EOF, -1 on error. */
ssize_t lb_read(linebuf *lb, char *out, size_t max);
/* Bytes buffered but not yet consumed (for pipelining decisions). */
size_t lb_pending(const linebuf *lb);
/* Drops everything buffered (e.g. after STARTTLS). */
void lb_discard(linebuf *lb);

#endif
