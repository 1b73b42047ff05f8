#include "queueread.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int is_id(const char *s)
{
  size_t i;
  for (i = 0; i < QUEUE_ID_LEN; i++) {
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return 0;
  }
  return s[QUEUE_ID_LEN] == 0;
}

int qread_envelope(const char *s, size_t n, qmsg *m)
{
  size_t i = 0;
  int have_f = 0;
  m->sender[0] = 0;
  m->rcpts.len = 0;
  m->nrcpts = 0;
  while (i < n) {
    const char *f = s + i, *z = memchr(f, 0, n - i);
    size_t l;
    if (!z) goto bad;
    l = (size_t)(z - f);
    i += l + 1;
    if (l == 0) {
      if (i != n || !have_f || m->nrcpts == 0) goto bad;
      return 1;
    }
    switch (f[0]) {
    case 'u': {
      char *end;
      errno = 0;
      m->uid = strtoul(f + 1, &end, 10);
      if (errno || end != z || l == 1) goto bad;
      break;
    }
    case 'p':
      break;
    case 'F':
      if (have_f || m->nrcpts || l - 1 > ADDR_MAX) goto bad;
      memcpy(m->sender, f + 1, l - 1);
      m->sender[l - 1] = 0;
      have_f = 1;
      break;
    case 'T':
      if (!have_f || l - 1 > ADDR_MAX || l == 1) goto bad;
      if (!sa_catb(&m->rcpts, f + 1, l)) return 0;
      m->nrcpts++;
      break;
    default:
      goto bad;
    }
  }
bad:
  errno = EINVAL;
  return 0;
}

/* The next NUL-terminated field at *i; NULL when there is no NUL left. */
static const char *field(const char *s, size_t n, size_t *i, size_t *len)
{
  const char *f = s + *i, *z;
  if (*i >= n) return 0;
  z = memchr(f, 0, n - *i);
  if (!z) return 0;
  *len = (size_t)(z - f);
  *i += *len + 1;
  return f;
}

static int number(const char *f, size_t l, unsigned long *out)
{
  char *end;
  if (l < 2 || f[1] < '0' || f[1] > '9') return 0;
  errno = 0;
  *out = strtoul(f + 1, &end, 10);
  return !errno && end == f + l;
}

int qread_info(const char *s, size_t n, qmsg *m)
{
  static const char order[] = "bupF";
  size_t i = 0, k, l;
  unsigned long v;
  for (k = 0; order[k]; k++) {
    const char *f = field(s, n, &i, &l);
    if (!f || l == 0 || f[0] != order[k]) goto bad;
    if (order[k] == 'F') {
      if (l - 1 > ADDR_MAX) goto bad;
      memcpy(m->sender, f + 1, l - 1);
      m->sender[l - 1] = 0;
    } else {
      if (!number(f, l, &v)) goto bad;
      if (order[k] == 'b') m->injected = (time_t)v;
      if (order[k] == 'u') m->uid = v;
    }
  }
  if (i != n) goto bad;
  return 1;
bad:
  errno = EINVAL;
  return 0;
}

int qread_rcpts(const char *s, size_t n, qmsg *m)
{
  size_t i = 0, l;
  while (i < n) {
    const char *f = field(s, n, &i, &l);
    if (!f || l < 2 || l - 1 > ADDR_MAX || (f[0] != 'T' && f[0] != 'D')) { errno = EINVAL; return 0; }
    if (f[0] == 'T') {
      if (!sa_catb(&m->rcpts, f + 1, l)) return 0;
      m->nrcpts++;
    }
  }
  return 1;
}

static int read_bounded(const char *path, sa *out, size_t max)
{
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  out->len = 0;
  if (fd < 0) return 0;
  for (;;) {
    ssize_t r;
    if (!sa_ready(out, out->len + 4096)) { close(fd); return 0; }
    r = read(fd, out->s + out->len, 4096);
    if (r < 0) { if (errno == EINTR) continue; close(fd); return 0; }
    if (r == 0) break;
    out->len += (size_t)r;
    if (out->len > max) { close(fd); errno = EFBIG; return 0; }
  }
  close(fd);
  return 1;
}

/* Sender and pending recipients from yubin-send's state; whatever cannot be
 * read (a file being rewritten, no permission) is left empty. */
static void taken_in(const char *root, unsigned b, sa *buf, qmsg *m)
{
  static const char *const dirs[] = { "local", "remote" };
  char p[PATH_MAX];
  size_t k;
  if ((size_t)snprintf(p, sizeof p, "%s/queue/info/%02x/%s", root, b, m->id) < sizeof p &&
      read_bounded(p, buf, QREAD_ENVELOPE_MAX))
    qread_info(buf->s, buf->len, m);
  for (k = 0; k < 2; k++) {
    size_t keep = m->rcpts.len, kept = m->nrcpts;
    if ((size_t)snprintf(p, sizeof p, "%s/queue/%s/%02x/%s", root, dirs[k], b, m->id) >= sizeof p) continue;
    if (read_bounded(p, buf, QREAD_ENVELOPE_MAX) && !qread_rcpts(buf->s, buf->len, m)) {
      m->rcpts.len = keep;
      m->nrcpts = kept;
    }
  }
}

int qread_each(const char *root, int (*fn)(const qmsg *m, void *arg), void *arg)
{
  char dir[PATH_MAX], p[PATH_MAX];
  sa env = SA_ZERO;
  qmsg m;
  unsigned b;
  memset(&m, 0, sizeof m);
  for (b = 0; b < 256; b++) {
    DIR *d;
    struct dirent *de;
    if ((size_t)snprintf(dir, sizeof dir, "%s/queue/mess/%02x", root, b) >= sizeof dir) { errno = ENAMETOOLONG; return 0; }
    d = opendir(dir);
    if (!d) { if (errno == ENOENT) continue; sa_free(&env); sa_free(&m.rcpts); return 0; }
    while ((de = readdir(d))) {
      struct stat st;
      int r;
      if (!is_id(de->d_name)) continue;
      if ((size_t)snprintf(p, sizeof p, "%s/%s", dir, de->d_name) >= sizeof p) continue;
      if (lstat(p, &st) != 0 || !S_ISREG(st.st_mode)) continue;
      memcpy(m.id, de->d_name, QUEUE_ID_LEN + 1);
      m.size = st.st_size;
      {
        char t[9];
        memcpy(t, m.id, 8);
        t[8] = 0;
        m.injected = (time_t)strtoul(t, 0, 16);
      }
      m.uid = 0;
      m.sender[0] = 0;
      m.rcpts.len = 0;
      m.nrcpts = 0;
      if ((size_t)snprintf(p, sizeof p, "%s/queue/todo/%02x/%s", root, b, m.id) >= sizeof p) continue;
      if (read_bounded(p, &env, QREAD_ENVELOPE_MAX) && qread_envelope(env.s, env.len, &m)) {
        m.state = QREAD_TODO;
      } else {
        m.state = QREAD_SENDING;
        m.sender[0] = 0;
        m.rcpts.len = 0;
        m.nrcpts = 0;
        taken_in(root, b, &env, &m);
      }
      r = fn(&m, arg);
      if (!r) { closedir(d); sa_free(&env); sa_free(&m.rcpts); return 0; }
    }
    closedir(d);
  }
  sa_free(&env);
  sa_free(&m.rcpts);
  return 1;
}
