#include "ipstate.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "instance.h"

int ipstate_ip_ok(const char *s)
{
  size_t n = 0;
  if (!s || !*s) return 0;
  for (; s[n]; n++) {
    char c = s[n];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == '.' || c == ':'))
      return 0;
    if (n > 45) return 0;
  }
  return s[0] != '.';
}

static int state_path(char *out, size_t n, const char *kind, const char *ip)
{
  char rel[128];
  if (ip && !ipstate_ip_ok(ip)) { errno = EINVAL; return 0; }
  snprintf(rel, sizeof rel, "run/%s%s%s", kind, ip ? "/" : "", ip ? ip : "");
  return instance_path(out, n, rel);
}

int pbs_record(const char *ip)
{
  char path[INSTANCE_PATH_MAX];
  int fd;
  if (!state_path(path, sizeof path, "pbs", ip)) return 0;
  fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return 0;
  if (futimens(fd, 0) != 0) { close(fd); return 0; }
  close(fd);
  return 1;
}

int pbs_allowed(const char *ip, unsigned long minutes)
{
  char path[INSTANCE_PATH_MAX];
  struct stat st;
  time_t now = time(0);
  if (minutes == 0 || !state_path(path, sizeof path, "pbs", ip)) return 0;
  if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode)) return 0;
  return st.st_mtime <= now && (unsigned long)(now - st.st_mtime) < minutes * 60;
}

int pbs_clean(unsigned long minutes)
{
  char dir[INSTANCE_PATH_MAX];
  DIR *d;
  struct dirent *de;
  int n = 0;
  time_t now = time(0);
  if (!state_path(dir, sizeof dir, "pbs", 0)) return -1;
  d = opendir(dir);
  if (!d) return -1;
  while ((de = readdir(d)) != 0) {
    struct stat st;
    if (!ipstate_ip_ok(de->d_name)) continue;
    if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if ((unsigned long)(now - st.st_mtime) >= minutes * 60 && unlinkat(dirfd(d), de->d_name, 0) == 0) n++;
  }
  closedir(d);
  return n;
}

static unsigned long read_count(const char *path, unsigned long window)
{
  struct stat st;
  char buf[24];
  ssize_t r;
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return 0;
  (void)flock(fd, LOCK_SH);   /* not half-way through authfail_add's rewrite */
  if (fstat(fd, &st) != 0 || (unsigned long)(time(0) - st.st_mtime) >= window) { close(fd); return 0; }
  r = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (r <= 0) return 0;
  buf[r] = 0;
  return strtoul(buf, 0, 10);
}

unsigned long authfail_count(const char *ip, unsigned long window)
{
  char path[INSTANCE_PATH_MAX];
  if (!state_path(path, sizeof path, "authfail", ip)) return 0;
  return read_count(path, window);
}

/* Under an flock on the count file itself: parallel failures from one IP
 * (one connection each) must each count, or a guesser gets more tries. */
unsigned long authfail_add(const char *ip, unsigned long window)
{
  char path[INSTANCE_PATH_MAX], buf[24];
  struct stat st;
  unsigned long c = 0;
  ssize_t r;
  int fd, l;
  if (!state_path(path, sizeof path, "authfail", ip)) return 1;
  fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return 1;
  if (flock(fd, LOCK_EX) != 0) { close(fd); return 1; }
  if (fstat(fd, &st) == 0 && (unsigned long)(time(0) - st.st_mtime) < window &&
      (r = pread(fd, buf, sizeof buf - 1, 0)) > 0) {
    buf[r] = 0;
    c = strtoul(buf, 0, 10);
  }
  c++;
  l = snprintf(buf, sizeof buf, "%lu\n", c);
  if (ftruncate(fd, 0) != 0 || pwrite(fd, buf, (size_t)l, 0) != l) { close(fd); return c; }
  close(fd);
  return c;
}

void authfail_clear(const char *ip)
{
  char path[INSTANCE_PATH_MAX];
  if (state_path(path, sizeof path, "authfail", ip)) unlink(path);
}

unsigned long authfail_delay_ms(unsigned long count)
{
  unsigned long d = 1000;
  if (count == 0) return 0;
  while (--count && d < 16000) d *= 2;
  return d > 16000 ? 16000 : d;
}
