#include "maildrop.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checked.h"
#include "msgconv.h"

#define LOCK_FILE "yubin-pop3.lock"
#define INDEX_FILE "yubin-pop3.index"
#define INDEX_TMP "yubin-pop3.index.tmp"
#define INDEX_HEAD "yubin-pop3-index 1\n"

const char *maildrop_name(const maildrop *d, size_t i) { return d->arena + d->msg[i].name; }

static int grow(void **p, size_t *a, size_t need, size_t elem)
{
  size_t na = *a ? *a : 64, bytes;
  void *q;
  if (need <= *a) return 1;
  while (na < need) if (!size_mul(na, 2, &na)) return 0;
  if (!size_mul(na, elem, &bytes)) return 0;
  q = realloc(*p, bytes);
  if (!q) return 0;
  *p = q;
  *a = na;
  return 1;
}

static int add(maildrop *d, const char *name)
{
  size_t len = strlen(name), need;
  const char *colon;
  maildrop_msg *m;
  if (len == 0 || len > MAILDROP_NAME_MAX || name[0] == '.') return 1;  /* not a message */
  if (d->n >= MAILDROP_MAX_MESSAGES) { errno = EFBIG; return 0; }
  if (!size_add(d->arena_len, len + 1, &need)) return 0;
  if (!grow((void **)&d->arena, &d->arena_a, need, 1)) return 0;
  if (!grow((void **)&d->msg, &d->a, d->n + 1, sizeof *d->msg)) return 0;
  memcpy(d->arena + d->arena_len, name, len + 1);
  colon = strchr(name, ':');
  m = &d->msg[d->n++];
  m->name = d->arena_len;
  m->ulen = (unsigned short)(colon ? (size_t)(colon - name) : len);
  m->size = 0;
  m->deleted = 0;
  d->arena_len = need;
  return 1;
}

/* new/NAME -> cur/NAME:2, (the message has been seen by a mail reader). */
static int take_new(void)
{
  DIR *dir = opendir("new");
  struct dirent *e;
  char from[MAILDROP_NAME_MAX + 8], to[MAILDROP_NAME_MAX + 16];
  if (!dir) return errno == ENOENT;
  while ((errno = 0, e = readdir(dir)) != 0) {
    size_t len = strlen(e->d_name);
    if (e->d_name[0] == '.' || len > MAILDROP_NAME_MAX - 3 || strchr(e->d_name, ':')) continue;
    snprintf(from, sizeof from, "new/%s", e->d_name);
    snprintf(to, sizeof to, "cur/%s:2,", e->d_name);
    if (rename(from, to) != 0 && errno != ENOENT) { int s = errno; closedir(dir); errno = s; return 0; }
  }
  if (errno) { int s = errno; closedir(dir); errno = s; return 0; }
  closedir(dir);
  return 1;
}

static int list_cur(maildrop *d)
{
  DIR *dir = opendir("cur");
  struct dirent *e;
  if (!dir) return 0;
  while ((errno = 0, e = readdir(dir)) != 0) {
    if (e->d_type == DT_DIR) continue;
    if (!add(d, e->d_name)) { int s = errno; closedir(dir); errno = s; return 0; }
  }
  if (errno) { int s = errno; closedir(dir); errno = s; return 0; }
  closedir(dir);
  return 1;
}

static int ucmp(const char *a, size_t al, const char *b, size_t bl)
{
  int c = memcmp(a, b, al < bl ? al : bl);
  if (c) return c;
  return al < bl ? -1 : al > bl;
}

static int msg_cmp(const void *x, const void *y, void *arg)
{
  const maildrop_msg *a = x, *b = y;
  const char *arena = arg;
  return ucmp(arena + a->name, a->ulen, arena + b->name, b->ulen);
}

int maildrop_measure(const char *path, unsigned long long *size)
{
  static char in[32768], out[65536];
  msgconv m;
  unsigned long long total = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return 0;
  msgconv_init(&m, 0, -1);
  for (;;) {
    ssize_t r = read(fd, in, sizeof in);
    if (r < 0) { if (errno == EINTR) continue; int s = errno; close(fd); errno = s; return 0; }
    if (r == 0) break;
    total += msgconv_feed(&m, in, (size_t)r, out);
  }
  total += msgconv_finish(&m, out);
  close(fd);
  *size = total;
  return 1;
}

/* Reads the whole index; NULL (and *len 0) when absent or unusable. */
static char *read_index(size_t *len)
{
  struct stat st;
  char *buf;
  size_t got = 0;
  int fd = open(INDEX_FILE, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  *len = 0;
  if (fd < 0) return 0;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > MAILDROP_INDEX_MAX ||
      !(buf = malloc((size_t)st.st_size + 1))) { close(fd); return 0; }
  while (got < (size_t)st.st_size) {
    ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += (size_t)r;
  }
  close(fd);
  buf[got] = 0;
  *len = got;
  return buf;
}

/* Parses "UNIQUE SIZE\n" at *p; 1 with the fields, 0 at the end or on junk. */
static int index_entry(char **p, char *end, const char **u, size_t *ul, unsigned long long *size)
{
  char *s = *p, *sp, *nl, *e;
  if (s >= end) return 0;
  nl = memchr(s, '\n', (size_t)(end - s));
  if (!nl) return 0;
  sp = memchr(s, ' ', (size_t)(nl - s));
  if (!sp || sp == s || (size_t)(sp - s) > MAILDROP_NAME_MAX || sp[1] < '0' || sp[1] > '9') return 0;
  errno = 0;
  *size = strtoull(sp + 1, &e, 10);
  if (errno || e != nl) return 0;
  *u = s;
  *ul = (size_t)(sp - s);
  *p = nl + 1;
  return 1;
}

/* Fills in sizes from the index (both sorted by unique name); measures the rest. */
static int sizes(maildrop *d)
{
  size_t len, i = 0, ul = 0, matched = 0, entries = 0;
  char *buf = read_index(&len), *p, *end;
  const char *u = 0, *prev = 0;
  size_t prevl = 0;
  unsigned long long sz = 0;
  int have = 0;

  if (buf && len >= sizeof INDEX_HEAD - 1 && memcmp(buf, INDEX_HEAD, sizeof INDEX_HEAD - 1) == 0) {
    p = buf + sizeof INDEX_HEAD - 1;
    end = buf + len;
    have = index_entry(&p, end, &u, &ul, &sz);
    while (i < d->n) {
      maildrop_msg *m = &d->msg[i];
      int c = have ? ucmp(d->arena + m->name, m->ulen, u, ul) : -1;
      if (c == 0) {
        m->size = sz;
        matched++;
        i++;
      }
      if (c < 0) {
        char path[MAILDROP_NAME_MAX + 8];
        snprintf(path, sizeof path, "cur/%s", d->arena + m->name);
        if (!maildrop_measure(path, &m->size)) { if (errno != ENOENT) { free(buf); return 0; } m->deleted = 2; }
        d->measured++;
        i++;
        continue;
      }
      /* c >= 0: advance the index, which must stay sorted */
      entries++;
      prev = u;
      prevl = ul;
      have = index_entry(&p, end, &u, &ul, &sz);
      if (have && ucmp(prev, prevl, u, ul) >= 0) have = 0;
    }
    while (have) {
      entries++;
      have = index_entry(&p, end, &u, &ul, &sz);
    }
    free(buf);
    d->index_stale = d->measured > 0 || entries != matched;
    return 1;
  }
  free(buf);
  for (; i < d->n; i++) {
    maildrop_msg *m = &d->msg[i];
    char path[MAILDROP_NAME_MAX + 8];
    snprintf(path, sizeof path, "cur/%s", d->arena + m->name);
    if (!maildrop_measure(path, &m->size)) { if (errno != ENOENT) return 0; m->deleted = 2; }
    d->measured++;
  }
  d->index_stale = 1;
  return 1;
}

/* Drops messages that vanished while being measured (deleted == 2). */
static void compact(maildrop *d)
{
  size_t i, o = 0;
  for (i = 0; i < d->n; i++) if (d->msg[i].deleted != 2) d->msg[o++] = d->msg[i];
  d->n = o;
}

/* Rewrites the index from the messages not deleted.  A cache: failure is
 * harmless (the next session measures again), so it is not fsynced. */
static void write_index(maildrop *d)
{
  FILE *f;
  size_t i;
  int fd = open(INDEX_TMP, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return;
  f = fdopen(fd, "w");
  if (!f) { close(fd); unlink(INDEX_TMP); return; }
  fputs(INDEX_HEAD, f);
  for (i = 0; i < d->n; i++) {
    const maildrop_msg *m = &d->msg[i];
    if (m->deleted) continue;
    fwrite(d->arena + m->name, 1, m->ulen, f);
    fprintf(f, " %llu\n", m->size);
  }
  if (fclose(f) != 0 || rename(INDEX_TMP, INDEX_FILE) != 0) unlink(INDEX_TMP);
}

int maildrop_open(maildrop *d)
{
  int fd;
  d->measured = 0;
  d->index_stale = 0;
  fd = open(LOCK_FILE, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return 0;
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) { int s = errno; close(fd); errno = s == EINTR ? EWOULDBLOCK : s; return 0; }
  d->lockfd = fd;
  if (!take_new() || !list_cur(d)) return 0;
  if (d->n > 1) qsort_r(d->msg, d->n, sizeof *d->msg, msg_cmp, d->arena);
  if (!sizes(d)) return 0;
  compact(d);
  if (d->index_stale) write_index(d);
  return 1;
}

size_t maildrop_update(maildrop *d)
{
  size_t i, failed = 0, gone = 0;
  char path[MAILDROP_NAME_MAX + 8];
  for (i = 0; i < d->n; i++) {
    if (!d->msg[i].deleted) continue;
    snprintf(path, sizeof path, "cur/%s", maildrop_name(d, i));
    if (unlink(path) != 0 && errno != ENOENT) { failed++; d->msg[i].deleted = 0; }
    else gone++;
  }
  if (gone) write_index(d);
  return failed;
}

void maildrop_close(maildrop *d)
{
  if (d->lockfd >= 0) close(d->lockfd);
  d->lockfd = -1;
  free(d->arena);
  free(d->msg);
  d->arena = 0;
  d->msg = 0;
  d->n = d->a = d->arena_len = d->arena_a = 0;
}
