#include "mbox.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char from_[] = "From ";
#define FROM_LEN 5

static int put_gts(size_t k, mbox_put put, void *ctx)
{
  static const char gts[64] = ">>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>";
  while (k) {
    size_t c = k < sizeof gts ? k : sizeof gts;
    if (!put(ctx, gts, c)) return 0;
    k -= c;
  }
  return 1;
}

/* Writes what the line start held back: the '>'s and the matched part. */
static int flush_pending(mbox_quoter *q, int quote, mbox_put put, void *ctx)
{
  if (q->gts + (size_t)quote + q->matched == 0) return 1;
  if (!put_gts(q->gts + (size_t)quote, put, ctx)) return 0;
  if (q->matched && !put(ctx, from_, q->matched)) return 0;
  q->last = q->matched ? from_[q->matched - 1] : '>';
  q->gts = 0;
  q->matched = 0;
  return 1;
}

int mbox_quote(mbox_quoter *q, const char *in, size_t n, mbox_put put, void *ctx)
{
  size_t i = 0;
  while (i < n) {
    char c = in[i];
    if (q->state == 3) {
      /* copy up to and including the next LF in one piece */
      const char *nl = memchr(in + i, '\n', n - i);
      size_t len = nl ? (size_t)(nl - (in + i)) + 1 : n - i;
      if (!put(ctx, in + i, len)) return 0;
      q->last = in[i + len - 1];
      if (nl) q->state = 0;
      i += len;
      continue;
    }
    if (q->state == 0 || q->state == 1) {
      if (c == '>') { q->gts++; q->state = 1; i++; continue; }
      q->state = 2;
    }
    /* state 2: matching "From " */
    if (c == from_[q->matched]) {
      q->matched++;
      i++;
      if (q->matched == FROM_LEN) {
        if (!flush_pending(q, 1, put, ctx)) return 0;
        q->state = 3;
      }
      continue;
    }
    if (!flush_pending(q, 0, put, ctx)) return 0;
    q->state = 3;
  }
  return 1;
}

int mbox_quote_end(mbox_quoter *q, mbox_put put, void *ctx)
{
  if (!flush_pending(q, 0, put, ctx)) return 0;
  if (q->last != -1 && q->last != '\n') {
    if (!put(ctx, "\n", 1)) return 0;
  }
  if (!put(ctx, "\n", 1)) return 0;
  q->state = 0;
  q->last = '\n';
  return 1;
}

size_t mbox_from_line(char *out, size_t n, const char *sender, time_t t)
{
  struct tm tm;
  char date[64];
  int r;
  if (!gmtime_r(&t, &tm) || !strftime(date, sizeof date, "%a %b %e %H:%M:%S %Y", &tm)) return 0;
  r = snprintf(out, n, "From %s %s\n", sender && *sender ? sender : "MAILER-DAEMON", date);
  if (r < 0 || (size_t)r >= n) return 0;
  return (size_t)r;
}

static void sleep_ms(long ms)
{
  struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

static int dotlock(mbox *m, const char *path, time_t deadline)
{
  int r = snprintf(m->lock, sizeof m->lock, "%s.lock", path);
  if (r < 0 || (size_t)r >= sizeof m->lock) { m->lock[0] = 0; errno = ENAMETOOLONG; return 0; }
  for (;;) {
    struct stat st;
    int fd = open(m->lock, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd >= 0) { close(fd); return 1; }
    if (errno == EACCES || errno == EROFS) { m->lock[0] = 0; return 1; }   /* fcntl alone */
    if (errno != EEXIST) { m->lock[0] = 0; return 0; }
    if (lstat(m->lock, &st) == 0 && time(0) - st.st_mtime > MBOX_DOTLOCK_STALE) {
      unlink(m->lock);
      continue;
    }
    if (time(0) >= deadline) { m->lock[0] = 0; errno = ETIMEDOUT; return 0; }
    sleep_ms(100);
  }
}

int mbox_open(mbox *m, const char *path, unsigned timeout)
{
  time_t deadline = time(0) + (time_t)timeout;
  struct flock fl;
  struct stat st;
  int e;
  m->lock[0] = 0;
  m->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
  if (m->fd < 0) return 0;
  if (fstat(m->fd, &st) != 0) goto fail;
  if (!S_ISREG(st.st_mode)) { errno = EINVAL; goto fail; }
  for (;;) {
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    if (fcntl(m->fd, F_SETLK, &fl) == 0) break;
    if (errno != EACCES && errno != EAGAIN && errno != EINTR) goto fail;
    if (time(0) >= deadline) { errno = ETIMEDOUT; goto fail; }
    sleep_ms(100);
  }
  if (!dotlock(m, path, deadline)) goto fail;
  if (fstat(m->fd, &st) != 0) { e = errno; mbox_abort(m); errno = e; return 0; }
  m->oldsize = st.st_size;
  return 1;
fail:
  e = errno;
  close(m->fd);
  m->fd = -1;
  errno = e;
  return 0;
}

static void unlock(mbox *m)
{
  if (m->lock[0]) unlink(m->lock);
  m->lock[0] = 0;
  if (m->fd >= 0) close(m->fd);   /* drops the fcntl lock */
  m->fd = -1;
}

void mbox_abort(mbox *m)
{
  int e = errno;
  if (m->fd >= 0) (void)!ftruncate(m->fd, m->oldsize);
  unlock(m);
  errno = e;
}

int mbox_close(mbox *m)
{
  if (fsync(m->fd) != 0) { mbox_abort(m); return 0; }
  unlock(m);
  return 1;
}
