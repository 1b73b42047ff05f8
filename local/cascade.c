#include "local.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dotfile.h"

/* 1 read, 0 absent, -1 error (r set). */
static int try_file(const char *name, sa *content, result *r)
{
  struct stat st;
  int fd;
  content->len = 0;
  if (strchr(name, '/')) return 0;   /* an extension never names another directory */
  fd = open(name, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    if (errno == ENOENT) return 0;
    result_sys(r, name, errno);
    return -1;
  }
  if (fstat(fd, &st) != 0) { result_sys(r, name, errno); close(fd); return -1; }
  if (!S_ISREG(st.st_mode)) { result_set(r, RES_TEMP, "4.3.5 %s is not a regular file", name); close(fd); return -1; }
  if (st.st_mode & S_IWOTH) { result_set(r, RES_TEMP, "4.7.0 %s is writable by others", name); close(fd); return -1; }
  if ((size_t)st.st_size > DOTFILE_SIZE_MAX) { result_set(r, RES_TEMP, "4.3.5 %s is too long", name); close(fd); return -1; }
  if (!sa_ready(content, DOTFILE_SIZE_MAX + 1)) { result_sys(r, name, errno); close(fd); return -1; }
  for (;;) {
    ssize_t n = read(fd, content->s + content->len, DOTFILE_SIZE_MAX + 1 - content->len);
    if (n < 0) { if (errno == EINTR) continue; result_sys(r, name, errno); close(fd); return -1; }
    if (n == 0) break;
    content->len += (size_t)n;
    if (content->len > DOTFILE_SIZE_MAX) { result_set(r, RES_TEMP, "4.3.5 %s is too long", name); close(fd); return -1; }
  }
  close(fd);
  return 1;
}

static int try_name(const char *base, size_t blen, const char *suffix, char *name, size_t namelen, sa *content, result *r)
{
  int n = snprintf(name, namelen, ".yubin%s%.*s%s", blen || suffix[0] ? "-" : "", (int)blen, base, suffix);
  if (n < 0 || (size_t)n >= namelen) return 0;
  return try_file(name, content, r);
}

int cascade_find(const char *ext, int fallback, char *name, size_t namelen, sa *content, result *r)
{
  size_t n = strlen(ext);
  int got;
  if (n == 0) return try_name("", 0, "", name, namelen, content, r);
  got = try_name(ext, n, "", name, namelen, content, r);
  if (got) return got;
  /* .yubin-PREFIX-default for every '-' in ext, longest prefix first */
  while (n > 0) {
    while (n > 0 && ext[n - 1] != '-') n--;
    if (n == 0) break;
    got = try_name(ext, n, "default", name, namelen, content, r);
    if (got) return got;
    n--;
  }
  got = try_name("", 0, "default", name, namelen, content, r);
  if (got || !fallback) return got;
  return try_name("", 0, "", name, namelen, content, r);
}
