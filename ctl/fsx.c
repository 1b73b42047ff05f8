#include "fsx.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic.h"

int fsx_isdir(const char *path)
{
  struct stat st;
  return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Through a descriptor opened without following a symlink, so a name that
 * is swapped for a link meanwhile never redirects the change. */
int fsx_own(const char *path, mode_t mode, uid_t uid, gid_t gid)
{
  int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC), r = 1, e;
  if (fd < 0) return 0;
  if (uid != FSX_NOCHOWN && fchown(fd, uid, gid) != 0) r = 0;
  if (r && fchmod(fd, mode) != 0) r = 0;
  e = errno;
  close(fd);
  errno = e;
  return r;
}

int fsx_dir_at(int dfd, const char *name, mode_t mode, uid_t uid, gid_t gid)
{
  int fd, e;
  if (mkdirat(dfd, name, 0700) != 0 && errno != EEXIST) return -1;
  fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return -1;
  if ((uid != FSX_NOCHOWN && fchown(fd, uid, gid) != 0) || fchmod(fd, mode) != 0) {
    e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  return fd;
}

int fsx_dir(const char *path, mode_t mode, uid_t uid, gid_t gid)
{
  struct stat st;
  if (mkdir(path, 0700) != 0 && errno != EEXIST) return 0;
  if (lstat(path, &st) != 0) return 0;
  if (!S_ISDIR(st.st_mode)) { errno = ENOTDIR; return 0; }
  return fsx_own(path, mode, uid, gid);
}

int fsx_file_default(const char *path, const void *data, size_t len, mode_t mode, uid_t uid, gid_t gid)
{
  struct stat st;
  if (lstat(path, &st) == 0) {
    if (!S_ISREG(st.st_mode)) { errno = EEXIST; return 0; }
    return fsx_own(path, mode, uid, gid);
  }
  if (errno != ENOENT) return 0;
  return atomic_write(path, data, len, mode, uid, gid);
}

int fsx_copy(const char *src, const char *dst, mode_t mode, uid_t uid, gid_t gid)
{
  char tmp[PATH_MAX], buf[65536];
  int in, out = -1, e;
  if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.%ld", dst, (long)getpid()) >= sizeof tmp) {
    errno = ENAMETOOLONG;
    return 0;
  }
  in = open(src, O_RDONLY | O_CLOEXEC);
  if (in < 0) return 0;
  out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0700);
  if (out < 0) goto fail;
  for (;;) {
    ssize_t r = read(in, buf, sizeof buf);
    if (r < 0) { if (errno == EINTR) continue; goto fail; }
    if (r == 0) break;
    if (!write_all(out, buf, (size_t)r)) goto fail;
  }
  if (uid != FSX_NOCHOWN && fchown(out, uid, gid) != 0) goto fail;
  if (fchmod(out, mode) != 0) goto fail;
  if (fsync(out) != 0) goto fail;
  if (close(out) != 0) { out = -1; goto fail; }
  out = -1;
  close(in);
  in = -1;
  if (rename(tmp, dst) != 0) goto fail;
  return fsync_dir_of(dst);
fail:
  e = errno;
  if (in >= 0) close(in);
  if (out >= 0) close(out);
  unlink(tmp);
  errno = e;
  return 0;
}

int fsx_symlink(const char *target, const char *dst)
{
  char tmp[PATH_MAX], cur[PATH_MAX];
  ssize_t n = readlink(dst, cur, sizeof cur - 1);
  if (n >= 0) {
    cur[n] = 0;
    if (strcmp(cur, target) == 0) return 1;
  }
  if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.%ld", dst, (long)getpid()) >= sizeof tmp) {
    errno = ENAMETOOLONG;
    return 0;
  }
  unlink(tmp);
  if (symlink(target, tmp) != 0) return 0;
  if (rename(tmp, dst) != 0) { int e = errno; unlink(tmp); errno = e; return 0; }
  return 1;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  (void)st; (void)ftw;
  if (flag == FTW_DP) return rmdir(path) != 0 && errno != ENOENT ? -1 : 0;
  return unlink(path) != 0 && errno != ENOENT ? -1 : 0;
}

int fsx_rmtree(const char *path)
{
  struct stat st;
  if (lstat(path, &st) != 0) return errno == ENOENT;
  if (!S_ISDIR(st.st_mode)) return unlink(path) == 0;
  return nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) == 0;
}
