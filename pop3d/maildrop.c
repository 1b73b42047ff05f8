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
#include "linebuf.h"
#include "log.h"
#include "msgconv.h"

#define LOCK_FILE "yubin-pop3.lock"
#define INDEX_FILE "yubin-pop3.index"
#define INDEX_TMP "yubin-pop3.index.tmp"
#define INDEX_HEAD "yubin-pop3-index 1\n"

/* len bytes at off in the index file, through the block cache. */
static int fetch(maildrop *d, size_t off, size_t len, char *out)
{
  if (off < d->blk_off || off + len > d->blk_off + d->blk_len) {
    ssize_t r;
    do r = pread(d->idxfd, d->blk, MAILDROP_BLOCK, (off_t)off); while (r < 0 && errno == EINTR);
    if (r < 0) return 0;
    d->blk_off = off;
    d->blk_len = (size_t)r;
    if (len > d->blk_len) { errno = EIO; return 0; }
  }
  memcpy(out, d->blk + (off - d->blk_off), len);
  return 1;
}

int maildrop_uid(maildrop *d, size_t i, char *out)
{
  const maildrop_msg *m = &d->msg[i];
  if (d->idxfd < 0) memcpy(out, d->arena + m->name, m->ulen);
  else if (!fetch(d, m->name, m->ulen, out)) return 0;
  out[m->ulen] = 0;
  return 1;
}

int maildrop_uidl(maildrop *d, size_t i, char *out)
{
  char *u;
  if (!maildrop_uid(d, i, out)) return 0;
  u = strstr(out, ",U=");
  if (u) {
    /* ",U=" then digits, '.', digits, up to the next ',' or the end */
    char *e = u + 3;
    while ((*e >= '0' && *e <= '9') || *e == '.') e++;
    memmove(u, e, strlen(e) + 1);
  }
  return 1;
}

int maildrop_path(maildrop *d, size_t i, char *out)
{
  const maildrop_msg *m = &d->msg[i];
  if (d->idxfd < 0) {
    snprintf(out, MAILDROP_PATH_MAX, "cur/%s", d->arena + m->name);
    return 1;
  }
  memcpy(out, "cur/", 4);
  if (!maildrop_uid(d, i, out + 4)) return 0;
  snprintf(out + 4 + m->ulen, MAILDROP_PATH_MAX - 4 - m->ulen, "%s", d->infos[m->info]);
  return 1;
}

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
  if (need > UINT32_MAX) { errno = EFBIG; return 0; }
  if (!grow((void **)&d->arena, &d->arena_a, need, 1)) return 0;
  if (!grow((void **)&d->msg, &d->a, d->n + 1, sizeof *d->msg)) return 0;
  memcpy(d->arena + d->arena_len, name, len + 1);
  colon = strchr(name, ':');
  m = &d->msg[d->n++];
  m->name = (uint32_t)d->arena_len;
  m->ulen = (uint16_t)(colon ? (size_t)(colon - name) : len);
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
    if (e->d_name[0] == '.' || len > MAILDROP_NAME_MAX - 3) continue;
    snprintf(from, sizeof from, "new/%s", e->d_name);
    /* a name that already carries an info part keeps it */
    snprintf(to, sizeof to, "cur/%s%s", e->d_name, strchr(e->d_name, ':') ? "" : ":2,");
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

/* Parses one index line "UNIQUE SIZE\n"; 0 on junk. */
static int index_entry(const char *s, size_t len, const char **u, size_t *ul, unsigned long long *size)
{
  const char *sp;
  unsigned long long v = 0;
  size_t i;
  if (len < 4 || s[len - 1] != '\n') return 0;
  sp = memchr(s, ' ', len);
  if (!sp || sp == s || (size_t)(sp - s) > MAILDROP_NAME_MAX) return 0;
  i = (size_t)(sp - s) + 1;
  if (i >= len - 1 || len - 1 - i > 19) return 0;
  for (; i < len - 1; i++) {
    if (s[i] < '0' || s[i] > '9') return 0;
    v = v * 10 + (unsigned long long)(s[i] - '0');
  }
  if (v > UINT32_MAX) return 0;
  *u = s;
  *ul = (size_t)(sp - s);
  *size = v;
  return 1;
}

static int measure_msg(maildrop *d, maildrop_msg *m)
{
  char path[MAILDROP_PATH_MAX];
  unsigned long long size;
  snprintf(path, sizeof path, "cur/%s", d->arena + m->name);
  d->measured++;
  if (maildrop_measure(path, &size)) {
    if (size <= UINT32_MAX) { m->size = (uint32_t)size; return 1; }
    log_warn("not listing %s: 4 GiB or larger", path);
    m->deleted = 2;
    return 1;
  }
  if (errno != ENOENT) return 0;
  m->deleted = 2;   /* gone meanwhile */
  return 1;
}

/* Fills in sizes from the index (both sorted by unique name, merged in one
 * pass; the index is streamed, never held whole); measures the rest. */
static int sizes(maildrop *d)
{
  static char buf[65536];
  char prev[MAILDROP_NAME_MAX];
  size_t i = 0, ul = 0, prevl = 0, matched = 0, entries = 0, len;
  const char *u = 0, *line;
  unsigned long long sz = 0;
  int have = 0, fd = open(INDEX_FILE, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  linebuf lb;

  if (fd >= 0) {
    lb_init(&lb, fd, buf, sizeof buf, 0);
    if (lb_getline(&lb, &line, &len) == 1 && len == sizeof INDEX_HEAD - 1 &&
        memcmp(line, INDEX_HEAD, len) == 0)
      have = lb_getline(&lb, &line, &len) == 1 && index_entry(line, len, &u, &ul, &sz);
  }
  while (i < d->n) {
    maildrop_msg *m = &d->msg[i];
    int c = have ? ucmp(d->arena + m->name, m->ulen, u, ul) : -1;
    if (c < 0) {
      if (!measure_msg(d, m)) { if (fd >= 0) close(fd); return 0; }
      i++;
      continue;
    }
    if (c == 0) {
      m->size = (uint32_t)sz;
      matched++;
      i++;
    }
    /* advance the index, which must stay strictly sorted */
    entries++;
    memcpy(prev, u, ul);
    prevl = ul;
    have = lb_getline(&lb, &line, &len) == 1 && index_entry(line, len, &u, &ul, &sz) &&
           ucmp(prev, prevl, u, ul) < 0;
  }
  if (have) entries++;   /* entries left over: messages gone since */
  if (fd >= 0) close(fd);
  d->index_stale = d->measured > 0 || entries != matched;
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
 * harmless (the next session measures again), so it is not fsynced.
 * Returns 1 if the new index is in place. */
static int write_index(maildrop *d)
{
  char u[MAILDROP_NAME_MAX + 1];
  FILE *f;
  size_t i;
  int fd = open(INDEX_TMP, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return 0;
  f = fdopen(fd, "w");
  if (!f) { close(fd); unlink(INDEX_TMP); return 0; }
  fputs(INDEX_HEAD, f);
  for (i = 0; i < d->n; i++) {
    const maildrop_msg *m = &d->msg[i];
    if (m->deleted) continue;
    if (!maildrop_uid(d, i, u)) { fclose(f); unlink(INDEX_TMP); return 0; }
    fprintf(f, "%s %lu\n", u, (unsigned long)m->size);
  }
  if (fclose(f) != 0 || rename(INDEX_TMP, INDEX_FILE) != 0) { unlink(INDEX_TMP); return 0; }
  return 1;
}

static size_t line_len(const maildrop_msg *m)
{
  char num[24];
  return (size_t)m->ulen + 1 + (size_t)snprintf(num, sizeof num, "%lu", (unsigned long)m->size) + 1;
}

/* Drops the names from memory when the index holds exactly them, in order
 * (what write_index makes); otherwise keeps them.  Never fails. */
static void drop_names(maildrop *d)
{
  char u[MAILDROP_NAME_MAX + 1];
  size_t i, off = sizeof INDEX_HEAD - 1;
  struct stat st;
  d->ninfo = 0;
  for (i = 0; i < d->n; i++) {
    const char *info = d->arena + d->msg[i].name + d->msg[i].ulen;   /* ":2,S" or "" */
    size_t k, l = strlen(info);
    if (l > MAILDROP_INFO_LEN) return;
    for (k = 0; k < d->ninfo && strcmp(d->infos[k], info) != 0; k++) ;
    if (k == d->ninfo) {
      if (k == MAILDROP_INFO_MAX) return;
      memcpy(d->infos[k], info, l + 1);
      d->ninfo++;
    }
    d->msg[i].info = (uint8_t)k;
  }
  for (i = 0; i < d->n; i++) off += line_len(&d->msg[i]);
  if (off > UINT32_MAX) return;
  d->idxfd = open(INDEX_FILE, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (d->idxfd < 0) return;
  if (fstat(d->idxfd, &st) != 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size != off ||
      !(d->blk = malloc(MAILDROP_BLOCK)))
    goto keep;
  d->blk_off = d->blk_len = 0;
  /* every line must hold its message's name where expected */
  for (i = 0, off = sizeof INDEX_HEAD - 1; i < d->n; i++) {
    const maildrop_msg *m = &d->msg[i];
    if (!fetch(d, off, (size_t)m->ulen + 1, u) || memcmp(u, d->arena + m->name, m->ulen) != 0 ||
        u[m->ulen] != ' ')
      goto keep;
    off += line_len(m);
  }
  for (i = 0, off = sizeof INDEX_HEAD - 1; i < d->n; i++) {
    size_t l = line_len(&d->msg[i]);
    d->msg[i].name = (uint32_t)off;
    off += l;
  }
  free(d->arena);
  d->arena = 0;
  d->arena_len = d->arena_a = 0;
  return;
keep:
  free(d->blk);
  d->blk = 0;
  close(d->idxfd);
  d->idxfd = -1;
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
  if (d->index_stale && !write_index(d)) return 1;
  drop_names(d);
  return 1;
}

size_t maildrop_update(maildrop *d)
{
  size_t i, failed = 0, gone = 0;
  char path[MAILDROP_PATH_MAX];
  for (i = 0; i < d->n; i++) {
    if (!d->msg[i].deleted) continue;
    if (!maildrop_path(d, i, path) || (unlink(path) != 0 && errno != ENOENT)) { failed++; d->msg[i].deleted = 0; }
    else gone++;
  }
  if (gone) write_index(d);
  return failed;
}

void maildrop_close(maildrop *d)
{
  if (d->lockfd >= 0) close(d->lockfd);
  d->lockfd = -1;
  if (d->idxfd >= 0) close(d->idxfd);
  d->idxfd = -1;
  free(d->blk);
  free(d->arena);
  free(d->msg);
  d->blk = 0;
  d->arena = 0;
  d->msg = 0;
  d->n = d->a = d->arena_len = d->arena_a = 0;
}
