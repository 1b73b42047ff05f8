#include "maildir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "atomic.h"
#include "control.h"
#include "uniq.h"

static int cat(char *out, size_t n, size_t *pos, const char *s)
{
  size_t l = strlen(s);
  if (l >= n - *pos) return 0;
  memcpy(out + *pos, s, l + 1);
  *pos += l;
  return 1;
}

size_t maildir_name(char *out, size_t n, const struct timeval *tv, pid_t pid, unsigned long counter,
                    const char *random, const char *host)
{
  char num[96];
  size_t pos = 0;
  const char *h;
  int r;
  if (n == 0) return 0;
  out[0] = 0;
  r = snprintf(num, sizeof num, "%lld.M%06ldP%ldQ%luR", (long long)tv->tv_sec, (long)tv->tv_usec,
               (long)pid, counter);
  if (r < 0 || (size_t)r >= sizeof num) return 0;
  if (!cat(out, n, &pos, num) || !cat(out, n, &pos, random) || !cat(out, n, &pos, ".")) return 0;
  for (h = host; *h; h++) {
    char c[2] = { *h, 0 };
    const char *piece = c;
    if (*h == '/') piece = "\\057";
    else if (*h == ':') piece = "\\072";
    else if ((unsigned char)*h < 0x21 || (unsigned char)*h > 0x7e) piece = "_";
    if (!cat(out, n, &pos, piece)) return 0;
  }
  return pos;
}

size_t maildir_uniq(char *out, size_t n)
{
  static unsigned long counter;
  struct timeval tv;
  char rnd[17];
  gettimeofday(&tv, 0);
  uniq_hex(rnd, 16);
  return maildir_name(out, n, &tv, getpid(), ++counter, rnd, control_me());
}

static int mkdir_ok(const char *path)
{
  if (mkdir(path, 0700) == 0) return 1;
  return errno == EEXIST;
}

int maildir_make(const char *dir)
{
  char p[MAILDIR_PATH_MAX];
  static const char *sub[] = { "tmp", "new", "cur" };
  size_t i;
  if (!mkdir_ok(dir)) return 0;
  for (i = 0; i < 3; i++) {
    if ((size_t)snprintf(p, sizeof p, "%s/%s", dir, sub[i]) >= sizeof p) { errno = ENAMETOOLONG; return 0; }
    if (!mkdir_ok(p)) return 0;
  }
  return 1;
}

static int path3(char *out, size_t n, const char *dir, const char *sub, const char *name)
{
  if ((size_t)snprintf(out, n, "%s/%s/%s", dir, sub, name) >= n) { errno = ENAMETOOLONG; return 0; }
  return 1;
}

int maildir_open_tmp(maildir_tmp *t, const char *dir)
{
  char p[MAILDIR_PATH_MAX];
  size_t l = strlen(dir);
  int tries;
  t->fd = -1;
  t->size = 0;
  t->newname[0] = 0;
  while (l > 1 && dir[l - 1] == '/') l--;
  if (l >= sizeof t->dir) { errno = ENAMETOOLONG; return 0; }
  memcpy(t->dir, dir, l);
  t->dir[l] = 0;
  for (tries = 0; tries < 3; tries++) {
    if (!maildir_uniq(t->name, sizeof t->name)) { errno = ENAMETOOLONG; return 0; }
    if (!path3(p, sizeof p, t->dir, "tmp", t->name)) return 0;
    t->fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (t->fd >= 0) return 1;
    if (errno != EEXIST) return 0;
  }
  return 0;
}

void maildir_abort(maildir_tmp *t)
{
  char p[MAILDIR_PATH_MAX];
  int e = errno;
  if (t->fd >= 0) close(t->fd);
  t->fd = -1;
  if (path3(p, sizeof p, t->dir, "tmp", t->name)) unlink(p);
  errno = e;
}

int maildir_commit(maildir_tmp *t)
{
  char from[MAILDIR_PATH_MAX], to[MAILDIR_PATH_MAX], nd[MAILDIR_PATH_MAX];
  struct stat st;
  int r;
  if (fsync(t->fd) != 0 || fstat(t->fd, &st) != 0) goto fail;
  r = close(t->fd);
  t->fd = -1;
  if (r != 0) goto fail;
  t->size = st.st_size;
  r = snprintf(t->newname, sizeof t->newname, "%s,S=%lld", t->name, (long long)st.st_size);
  if (r < 0 || (size_t)r >= sizeof t->newname) { errno = ENAMETOOLONG; goto fail; }
  if (!path3(from, sizeof from, t->dir, "tmp", t->name) || !path3(to, sizeof to, t->dir, "new", t->newname))
    goto fail;
  /* link, not rename: an existing name in new/ is never replaced. */
  if (link(from, to) != 0) {
    if (errno == EEXIST) goto fail;
    if (rename(from, to) != 0) goto fail;   /* file systems without hard links */
  } else {
    unlink(from);
  }
  if ((size_t)snprintf(nd, sizeof nd, "%s/new", t->dir) >= sizeof nd) { errno = ENAMETOOLONG; goto undo; }
  if (!fsync_dir(nd)) goto undo;
  return 1;
undo:
  {
    int e = errno;
    unlink(to);
    t->newname[0] = 0;
    errno = e;
    return 0;
  }
fail:
  t->newname[0] = 0;
  maildir_abort(t);
  return 0;
}
