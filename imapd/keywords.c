#include "keywords.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic.h"
#include "mailbox.h"
#include "sa.h"

int kw_valid(const char *s, size_t n)
{
  size_t i;
  if (!n || n > KW_NAME_MAX) return 0;
  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c <= 0x20 || c >= 0x7f || strchr("(){%*\"\\]", c)) return 0;
  }
  return 1;
}

void kw_free(kwmap *k)
{
  size_t i;
  for (i = 0; i < KW_MAX; i++) free(k->name[i]);
  memset(k, 0, sizeof *k);
}

int kw_find(const kwmap *k, const char *name, size_t n)
{
  int i;
  for (i = 0; i < KW_MAX; i++)
    if (k->name[i] && strlen(k->name[i]) == n && strncasecmp(k->name[i], name, n) == 0) return i;
  return -1;
}

uint32_t kw_named(const kwmap *k)
{
  uint32_t m = 0;
  int i;
  for (i = 0; i < KW_MAX; i++)
    if (k->name[i]) m |= (uint32_t)1 << i;
  return m;
}

int kw_same(const kwmap *a, const kwmap *b)
{
  int i;
  for (i = 0; i < KW_MAX; i++) {
    if (!a->name[i] != !b->name[i]) return 0;
    if (a->name[i] && strcmp(a->name[i], b->name[i])) return 0;
  }
  return 1;
}

int kw_parse(kwmap *k, const char *text, size_t n)
{
  size_t pos = 0;
  kw_free(k);
  while (pos < n) {
    const char *line = text + pos, *nl = memchr(line, '\n', n - pos), *sp;
    size_t len = nl ? (size_t)(nl - line) : n - pos, idx = 0, i;
    pos += len + (nl != 0);
    if (len && line[len - 1] == '\r') len--;
    sp = memchr(line, ' ', len);
    if (!sp || sp == line || sp - line > 2) continue;
    for (i = 0; line + i < sp; i++) {
      if (line[i] < '0' || line[i] > '9') break;
      idx = idx * 10 + (size_t)(line[i] - '0');
    }
    if (line + i != sp || idx >= KW_MAX || k->name[idx]) continue;
    sp++;
    len -= (size_t)(sp - line);
    if (!kw_valid(sp, len) || kw_find(k, sp, len) >= 0) continue;
    if (!(k->name[idx] = strndup(sp, len))) { kw_free(k); return 0; }
  }
  return 1;
}

static int path_of(char *out, size_t n, const char *dir, const char *file)
{
  int r = snprintf(out, n, "%s/%s", dir, file);
  if (r < 0 || (size_t)r >= n) { errno = ENAMETOOLONG; return 0; }
  return 1;
}

int kw_load(kwmap *k, const char *dir)
{
  char path[MBOX_PATH_MAX], buf[KW_FILE_MAX];
  struct stat st;
  size_t got = 0;
  int fd, ok;
  if (!path_of(path, sizeof path, dir, KW_FILE)) return 0;
  if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
    if (errno != ENOENT) return 0;
    kw_free(k);
    return 1;
  }
  if (fstat(fd, &st) < 0) { close(fd); return 0; }
  while (got < sizeof buf) {
    ssize_t r = read(fd, buf + got, sizeof buf - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) { int e = errno; close(fd); errno = e; return 0; }
    if (r == 0) break;
    got += (size_t)r;
  }
  close(fd);
  /* a file cut at KW_FILE_MAX: its last, partial line is not taken */
  if (got == sizeof buf)
    while (got && buf[got - 1] != '\n') got--;
  ok = kw_parse(k, buf, got);
  if (ok) {
    k->mtime = st.st_mtim;
    k->ino = st.st_ino;
    k->size = st.st_size;
  }
  return ok;
}

int kw_stale(const kwmap *k, const char *dir)
{
  char path[MBOX_PATH_MAX];
  struct stat st;
  if (!path_of(path, sizeof path, dir, KW_FILE)) return 0;
  if (stat(path, &st) < 0) return k->ino != 0;
  return st.st_ino != k->ino || st.st_size != k->size || st.st_mtim.tv_sec != k->mtime.tv_sec ||
         st.st_mtim.tv_nsec != k->mtime.tv_nsec;
}

static int save(const kwmap *k, const char *dir)
{
  char path[MBOX_PATH_MAX];
  sa out = SA_ZERO;
  int i, ok;
  if (!path_of(path, sizeof path, dir, KW_FILE)) return 0;
  for (i = 0; i < KW_MAX; i++)
    if (k->name[i] && (!sa_catu(&out, (unsigned)i) || !sa_catc(&out, ' ') || !sa_cats(&out, k->name[i]) ||
                       !sa_catc(&out, '\n'))) {
      sa_free(&out);
      return 0;
    }
  ok = atomic_write(path, out.s ? out.s : "", out.len, 0600, (uid_t)-1, (gid_t)-1);
  sa_free(&out);
  return ok;
}

/* The letter for a new name: free ones not in avoid first. */
static int free_letter(const kwmap *k, uint32_t avoid)
{
  int i, pass;
  for (pass = 0; pass < 2; pass++)
    for (i = 0; i < KW_MAX; i++)
      if (!k->name[i] && (pass || !(avoid & ((uint32_t)1 << i)))) return i;
  return -1;
}

int kw_assign(kwmap *k, const char *dir, const kw_name *names, size_t n, uint32_t avoid,
              uint32_t *mask)
{
  char path[MBOX_PATH_MAX];
  size_t i;
  int fd = -1, added = 0, ok = 0, saved, b;
  *mask = 0;
  for (i = 0; i < n; i++)
    if (!kw_valid(names[i].s, names[i].len)) { errno = EINVAL; return 0; }
  /* the usual case first: every name known already, no lock needed */
  for (i = 0; i < n; i++) {
    if ((b = kw_find(k, names[i].s, names[i].len)) < 0) break;
    *mask |= (uint32_t)1 << b;
  }
  if (i == n && !kw_stale(k, dir)) return 1;
  *mask = 0;
  if (!path_of(path, sizeof path, dir, MBOX_LOCK_FILE)) return 0;
  if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) return 0;
  if (flock(fd, LOCK_EX) < 0 || !kw_load(k, dir)) goto done;
  for (i = 0; i < n; i++) {
    if ((b = kw_find(k, names[i].s, names[i].len)) < 0) {
      if ((b = free_letter(k, avoid)) < 0) { errno = ENOSPC; goto done; }
      if (!(k->name[b] = strndup(names[i].s, names[i].len))) goto done;
      added = 1;
    }
    *mask |= (uint32_t)1 << b;
  }
  if (added && (!save(k, dir) || !kw_load(k, dir))) goto done;
  ok = 1;
done:
  saved = errno;
  if (!ok) (void)kw_load(k, dir);  /* what is on disk, not what we failed to write */
  close(fd);
  errno = saved;
  return ok;
}
