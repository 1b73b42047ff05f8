#include "control.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "instance.h"
#include "log.h"

int control_readfile(const char *name, sa *out)
{
  char path[INSTANCE_PATH_MAX], rel[INSTANCE_PATH_MAX];
  int fd;
  size_t cap = out->cap;

  if ((size_t)snprintf(rel, sizeof rel, "control/%s", name) >= sizeof rel) { errno = ENAMETOOLONG; return -1; }
  if (!instance_path(path, sizeof path, rel)) return -1;
  fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT) return 0;
    return -1;
  }
  out->len = 0;
  out->cap = CONTROL_FILE_MAX + 1;
  for (;;) {
    ssize_t r;
    if (!sa_ready(out, out->len + 4096 + 1)) { close(fd); out->cap = cap; errno = ERANGE; return -1; }
    r = read(fd, out->s + out->len, 4096);
    if (r < 0) { if (errno == EINTR) continue; close(fd); out->cap = cap; return -1; }
    if (r == 0) break;
    out->len += (size_t)r;
    if (out->len > CONTROL_FILE_MAX) { close(fd); out->cap = cap; errno = ERANGE; return -1; }
  }
  close(fd);
  out->cap = cap;
  out->s[out->len] = 0;
  return 1;
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

int control_readline(const char *name, sa *out)
{
  int r = control_readfile(name, out);
  char *nl;
  if (r != 1) return r;
  nl = memchr(out->s, '\n', out->len);
  if (nl) out->len = (size_t)(nl - out->s);
  while (out->len && is_space(out->s[out->len - 1])) out->len--;
  out->s[out->len] = 0;
  return 1;
}

int control_readulong(const char *name, unsigned long min, unsigned long max, unsigned long *out)
{
  sa line = SA_ZERO;
  char *end;
  unsigned long v;
  int r = control_readline(name, &line);
  if (r != 1) { sa_free(&line); return r; }
  if (line.len == 0 || line.s[0] < '0' || line.s[0] > '9') { sa_free(&line); errno = EINVAL; return -1; }
  errno = 0;
  v = strtoul(line.s, &end, 10);
  if (errno || *end || v < min || v > max) { sa_free(&line); errno = EINVAL; return -1; }
  sa_free(&line);
  *out = v;
  return 1;
}

int control_readlines(const char *name, sa *out, size_t *count)
{
  sa raw = SA_ZERO;
  size_t i = 0;
  int r = control_readfile(name, &raw);
  *count = 0;
  out->len = 0;
  if (r != 1) { sa_free(&raw); return r; }
  while (i < raw.len) {
    size_t start = i, end;
    while (i < raw.len && raw.s[i] != '\n') i++;
    end = i;
    if (i < raw.len) i++;
    while (start < end && is_space(raw.s[start])) start++;
    while (end > start && is_space(raw.s[end - 1])) end--;
    if (start == end || raw.s[start] == '#') continue;
    if (!sa_catb(out, raw.s + start, end - start) || !sa_catc(out, 0)) { sa_free(&raw); return -1; }
    (*count)++;
  }
  sa_free(&raw);
  return 1;
}

unsigned long control_ulong_or(const char *name, unsigned long dflt, unsigned long min, unsigned long max)
{
  unsigned long v;
  int r = control_readulong(name, min, max, &v);
  if (r == 1) return v;
  if (r < 0) log_warn("control/%s is not a number in [%lu,%lu]: using %lu", name, min, max, dflt);
  return dflt;
}

const char *control_me(void)
{
  static char me[256];
  sa line = SA_ZERO;
  if (me[0]) return me;
  if (control_readline("me", &line) == 1 && line.len > 0 && line.len < sizeof me) {
    memcpy(me, line.s, line.len + 1);
  } else if (gethostname(me, sizeof me - 1) != 0 || !me[0]) {
    strcpy(me, "localhost");
  }
  me[sizeof me - 1] = 0;
  sa_free(&line);
  return me;
}
