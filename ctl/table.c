#include "table.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checked.h"

static int text_ok(const char *s, size_t n, int allow_space)
{
  size_t i;
  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c < 0x20 || c == 0x7f) return 0;
    if (c == ' ' && !allow_space) return 0;
  }
  return 1;
}

/* Binary search: index of key, or where it would go (*found 0). */
static size_t find(const table *t, const char *key, int *found)
{
  size_t lo = 0, hi = t->n;
  *found = 0;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = strcmp(t->r[mid].key, key);
    if (c == 0) { *found = 1; return mid; }
    if (c < 0) lo = mid + 1; else hi = mid;
  }
  return lo;
}

static char *dup_n(const char *s, size_t n)
{
  char *p = malloc(n + 1);
  if (!p) return 0;
  memcpy(p, s, n);
  p[n] = 0;
  return p;
}

static int room(table *t)
{
  size_t na, bytes;
  trow *r;
  if (t->n < t->a) return 1;
  na = t->a ? t->a : 16;
  if (!size_mul(na, 2, &na) || !size_mul(na, sizeof *r, &bytes)) return 0;
  r = realloc(t->r, bytes);
  if (!r) return 0;
  t->r = r;
  t->a = na;
  return 1;
}

static int insert_at(table *t, size_t i, char *k, char *v)
{
  if (!room(t)) return 0;
  memmove(t->r + i + 1, t->r + i, (t->n - i) * sizeof *t->r);
  t->r[i].key = k;
  t->r[i].val = v;
  t->n++;
  return 1;
}

int table_set(table *t, const char *key, const char *val)
{
  size_t kl = strlen(key), vl = strlen(val), i;
  int found;
  char *k, *v;
  if (kl == 0 || kl + 1 + vl > TABLE_LINE_MAX || !text_ok(key, kl, t->whole) || !text_ok(val, vl, 1) ||
      (t->whole && vl)) {
    errno = EINVAL;
    return 0;
  }
  i = find(t, key, &found);
  v = dup_n(val, vl);
  if (!v) return 0;
  if (found) {
    free(t->r[i].val);
    t->r[i].val = v;
    return 1;
  }
  k = dup_n(key, kl);
  if (!k || !insert_at(t, i, k, v)) { free(k); free(v); return 0; }
  return 1;
}

trow *table_get(const table *t, const char *key)
{
  int found;
  size_t i = find(t, key, &found);
  return found ? &t->r[i] : 0;
}

int table_del(table *t, const char *key)
{
  int found;
  size_t i = find(t, key, &found);
  if (!found) return 0;
  free(t->r[i].key);
  free(t->r[i].val);
  memmove(t->r + i, t->r + i + 1, (t->n - i - 1) * sizeof *t->r);
  t->n--;
  return 1;
}

int table_parse(table *t, const char *s, size_t n)
{
  size_t i = 0, line = 0;
  while (i < n) {
    const char *nl = memchr(s + i, '\n', n - i), *sp;
    size_t len, kl, at;
    int found;
    char *k, *v;
    line++;
    t->bad_line = line;
    if (!nl) { errno = EINVAL; return 0; }
    len = (size_t)(nl - (s + i));
    if (len > TABLE_LINE_MAX || !text_ok(s + i, len, 1)) { errno = EINVAL; return 0; }
    if (len == 0) { i += 1; continue; }
    sp = t->whole ? 0 : memchr(s + i, ' ', len);
    kl = sp ? (size_t)(sp - (s + i)) : len;
    if (kl == 0) { errno = EINVAL; return 0; }
    k = dup_n(s + i, kl);
    v = sp ? dup_n(sp + 1, len - kl - 1) : dup_n("", 0);
    if (!k || !v) { free(k); free(v); return 0; }
    at = find(t, k, &found);
    if (found) { free(k); free(v); errno = EINVAL; return 0; }
    if (!insert_at(t, at, k, v)) { free(k); free(v); return 0; }
    i += len + 1;
  }
  t->bad_line = 0;
  return 1;
}

int table_load(table *t, const char *path)
{
  sa buf = SA_ZERO;
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), r;
  buf.cap = TABLE_FILE_MAX;
  if (fd < 0) return errno == ENOENT;
  for (;;) {
    ssize_t got;
    if (!sa_ready(&buf, buf.len + 65536)) { close(fd); sa_free(&buf); return 0; }
    got = read(fd, buf.s + buf.len, 65536);
    if (got < 0) { if (errno == EINTR) continue; close(fd); sa_free(&buf); return 0; }
    if (got == 0) break;
    buf.len += (size_t)got;
  }
  close(fd);
  r = table_parse(t, buf.s ? buf.s : "", buf.len);
  sa_free(&buf);
  return r;
}

int table_format(const table *t, sa *out)
{
  size_t i;
  for (i = 0; i < t->n; i++) {
    if (!sa_cats(out, t->r[i].key)) return 0;
    if (t->r[i].val[0] && (!sa_catc(out, ' ') || !sa_cats(out, t->r[i].val))) return 0;
    if (!sa_catc(out, '\n')) return 0;
  }
  return 1;
}

void table_free(table *t)
{
  size_t i;
  for (i = 0; i < t->n; i++) { free(t->r[i].key); free(t->r[i].val); }
  free(t->r);
  t->r = 0;
  t->n = t->a = 0;
}
