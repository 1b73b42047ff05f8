#include "atomic.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int write_all(int fd, const void *buf, size_t n)
{
  const char *p = buf;
  while (n) {
    ssize_t w = write(fd, p, n);
    if (w < 0) { if (errno == EINTR) continue; return 0; }
    p += w;
    n -= (size_t)w;
  }
  return 1;
}

int fsync_dir(const char *dir)
{
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int r;
  if (fd < 0) return 0;
  r = fsync(fd);
  close(fd);
  return r == 0;
}

int fsync_dir_of(const char *path)
{
  char dir[PATH_MAX];
  const char *slash = strrchr(path, '/');
  if (!slash) return fsync_dir(".");
  if ((size_t)(slash - path) >= sizeof dir) { errno = ENAMETOOLONG; return 0; }
  if (slash == path) return fsync_dir("/");
  memcpy(dir, path, (size_t)(slash - path));
  dir[slash - path] = 0;
  return fsync_dir(dir);
}

int atomic_write(const char *path, const void *data, size_t len, mode_t mode, uid_t uid, gid_t gid)
{
  char tmp[PATH_MAX];
  int fd, e;
  if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= sizeof tmp) {
    errno = ENAMETOOLONG;
    return 0;
  }
  fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) return 0;
  if (!write_all(fd, data, len)) goto fail;
  if (fchmod(fd, mode) != 0) goto fail;
  if (uid != (uid_t)-1 && fchown(fd, uid, gid) != 0) goto fail;
  if (fsync(fd) != 0) goto fail;
  if (close(fd) != 0) { fd = -1; goto fail; }
  fd = -1;
  if (rename(tmp, path) != 0) goto fail;
  if (!fsync_dir_of(path)) return 0;
  return 1;
fail:
  e = errno;
  if (fd >= 0) close(fd);
  unlink(tmp);
  errno = e;
  return 0;
}
