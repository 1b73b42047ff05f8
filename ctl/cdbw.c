#include "cdbw.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic.h"

int cdbw_start(cdbw *w, const char *path)
{
  w->fd = -1;
  if ((size_t)snprintf(w->path, sizeof w->path, "%s", path) >= sizeof w->path ||
      (size_t)snprintf(w->tmp, sizeof w->tmp, "%s.tmp.%ld", path, (long)getpid()) >= sizeof w->tmp) {
    errno = ENAMETOOLONG;
    return 0;
  }
  w->fd = open(w->tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (w->fd < 0) return 0;
  if (cdb_make_start(&w->cm, w->fd) != 0) return 0;
  return 1;
}

int cdbw_add(cdbw *w, const void *key, size_t klen, const void *val, size_t vlen)
{
  if (klen > UINT_MAX / 2 || vlen > UINT_MAX / 2) { errno = EOVERFLOW; return 0; }
  return cdb_make_add(&w->cm, key, (unsigned)klen, val, (unsigned)vlen) == 0;
}

int cdbw_finish(cdbw *w, mode_t mode, uid_t uid, gid_t gid)
{
  int e;
  if (cdb_make_finish(&w->cm) != 0) goto fail;
  if (uid != (uid_t)-1 && fchown(w->fd, uid, gid) != 0) goto fail;
  if (fchmod(w->fd, mode) != 0) goto fail;
  if (fsync(w->fd) != 0) goto fail;
  if (close(w->fd) != 0) { w->fd = -1; goto fail; }
  w->fd = -1;
  if (rename(w->tmp, w->path) != 0) goto fail;
  return fsync_dir_of(w->path);
fail:
  e = errno;
  cdbw_abort(w);
  errno = e;
  return 0;
}

void cdbw_abort(cdbw *w)
{
  int e = errno;
  if (w->fd >= 0) close(w->fd);
  w->fd = -1;
  unlink(w->tmp);
  errno = e;
}
