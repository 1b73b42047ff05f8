#include "mailbox.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "atomic.h"

static const struct { char c; unsigned bit; } flagmap[] = {
  { 'D', MF_DRAFT }, { 'F', MF_FLAGGED }, { 'R', MF_ANSWERED }, { 'S', MF_SEEN }, { 'T', MF_DELETED },
};

static int parse_u32(const char *s, size_t n, uint32_t *v)
{
  uint64_t x = 0;
  size_t i;
  if (n == 0 || n > 10) return 0;
  for (i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return 0;
    x = x * 10 + (uint64_t)(s[i] - '0');
  }
  if (x > 0xffffffffULL) return 0;
  *v = (uint32_t)x;
  return 1;
}

void mbox_parse_name(const char *name, uint32_t *validity, uint32_t *uid, unsigned *flags,
                     long long *size)
{
  const char *colon = strchr(name, ':'), *end = colon ? colon : name + strlen(name), *p, *q;
  size_t i;
  *validity = *uid = 0;
  *flags = 0;
  *size = -1;
  for (p = name; p < end; p = q) {
    q = memchr(p + 1, ',', (size_t)(end - p - 1));
    if (!q) q = end;
    if (*p != ',') continue;
    if (q - p > 3 && p[1] == 'S' && p[2] == '=') {
      uint32_t s;
      if (parse_u32(p + 3, (size_t)(q - p - 3), &s)) *size = s;
    } else if (q - p > 3 && p[1] == 'U' && p[2] == '=') {
      const char *dot = memchr(p + 3, '.', (size_t)(q - p - 3));
      uint32_t v, u;
      if (dot && parse_u32(p + 3, (size_t)(dot - p - 3), &v) &&
          parse_u32(dot + 1, (size_t)(q - dot - 1), &u) && v && u) {
        *validity = v;
        *uid = u;
      }
    }
  }
  if (colon && colon[1] == '2' && colon[2] == ',')
    for (p = colon + 3; *p; p++)
      for (i = 0; i < sizeof flagmap / sizeof flagmap[0]; i++)
        if (*p == flagmap[i].c) *flags |= flagmap[i].bit;
}

/* Letters after ":2," that are not IMAP flags, to keep on renames: *out
 * is NULL when there are none (most messages: no allocation).  Returns 1,
 * or 0 when out of memory. */
static int extra_letters(const char *name, char **out)
{
  const char *colon = strchr(name, ':'), *p;
  char buf[64];
  size_t o = 0, i;
  *out = 0;
  if (!colon || colon[1] != '2' || colon[2] != ',') return 1;
  for (p = colon + 3; *p && o + 1 < sizeof buf; p++) {
    int mapped = 0;
    for (i = 0; i < sizeof flagmap / sizeof flagmap[0]; i++) mapped |= *p == flagmap[i].c;
    if (!mapped && *p >= 'A' && *p <= 'Z') buf[o++] = *p;   /* a..z are keywords */
  }
  buf[o] = 0;
  if (!o) return 1;
  return (*out = strdup(buf)) != 0;
}

uint32_t mbox_name_keywords(const char *name)
{
  const char *colon = strchr(name, ':'), *p;
  uint32_t k = 0;
  if (!colon || colon[1] != '2' || colon[2] != ',') return 0;
  for (p = colon + 3; *p; p++)
    if (*p >= 'a' && *p <= 'z') k |= (uint32_t)1 << (*p - 'a');
  return k;
}

/* BASE without any ",U=" part: its length in name. */
static size_t base_len_without_u(const char *name, char *out, size_t outn)
{
  const char *colon = strchr(name, ':'), *end = colon ? colon : name + strlen(name), *p, *q;
  size_t o = 0;
  for (p = name; p < end; p = q) {
    q = memchr(p + 1, ',', (size_t)(end - p - 1));
    if (!q) q = end;
    if (*p == ',' && q - p > 3 && p[1] == 'U' && p[2] == '=') continue;
    if (o + (size_t)(q - p) >= outn) return 0;
    memcpy(out + o, p, (size_t)(q - p));
    o += (size_t)(q - p);
  }
  out[o] = 0;
  return o;
}

static int make_name(char *out, size_t n, const char *base, uint32_t validity, uint32_t uid,
                     unsigned flags, uint32_t keywords, const char *extra)
{
  char letters[80];
  size_t o = 0, i;
  const char *e;
  int r;
  /* Maildir wants the letters in ASCII order: merge ours and the extra ones. */
  for (i = 0; i < 26 * 2; i++) {
    char c = (char)(i < 26 ? 'A' + i : 'a' + (i - 26));
    size_t k;
    int on = 0;
    for (k = 0; k < sizeof flagmap / sizeof flagmap[0]; k++)
      if (flagmap[k].c == c && (flags & flagmap[k].bit)) on = 1;
    for (e = extra; e && *e; e++) if (*e == c) on = 1;
    if (i >= 26 && (keywords & ((uint32_t)1 << (i - 26)))) on = 1;
    if (on && o + 1 < sizeof letters) letters[o++] = c;
  }
  letters[o] = 0;
  r = snprintf(out, n, "%s,U=%u.%u:2,%s", base, (unsigned)validity, (unsigned)uid, letters);
  return r > 0 && (size_t)r < n;
}

static int cmp_uid(const void *a, const void *b)
{
  const mbox_msg *x = a, *y = b;
  return x->uid < y->uid ? -1 : x->uid > y->uid;
}

typedef struct cand {
  char *name;
  int from_new;
} cand;

static int cmp_cand(const void *a, const void *b)
{
  return strcmp(((const cand *)a)->name, ((const cand *)b)->name);
}

static void free_list(mbox_msg *m, size_t n)
{
  size_t i;
  for (i = 0; i < n; i++) { free(m[i].name); free(m[i].extra_flags); }
  free(m);
}

/* Appends a message; takes ownership of name (freed on failure). */
static int push_msg(mbox_msg **m, size_t *n, size_t *cap, uint32_t uid, char *name)
{
  uint32_t v, u;
  long long sz;
  mbox_msg *x;
  if (!name) return 0;
  if (*n >= MBOX_MESSAGES_MAX) { free(name); errno = EFBIG; return 0; }
  if (*n == *cap) {
    size_t nc = *cap ? *cap * 2 : 64;
    mbox_msg *nm = realloc(*m, nc * sizeof *nm);
    if (!nm) { free(name); return 0; }
    *m = nm;
    *cap = nc;
  }
  x = &(*m)[*n];
  memset(x, 0, sizeof *x);
  x->uid = uid;
  x->name = name;
  if (!extra_letters(name, &x->extra_flags)) { free(name); return 0; }
  mbox_parse_name(name, &v, &u, &x->flags, &sz);
  x->keywords = mbox_name_keywords(name);
  (*n)++;
  return 1;
}

static int read_state(const char *path, uint32_t *validity, uint32_t *next)
{
  char buf[128];
  FILE *f = fopen(path, "r");
  unsigned long v, n;
  char tail;
  int ok;
  if (!f) return 0;
  ok = fgets(buf, sizeof buf, f) && sscanf(buf, "yubin-imap-uid 1 %lu %lu%c", &v, &n, &tail) == 3 &&
       tail == '\n' && v > 0 && v <= 0xffffffffUL && n > 0 && n <= 0xffffffffUL;
  fclose(f);
  if (!ok) return 0;
  *validity = (uint32_t)v;
  *next = (uint32_t)n;
  return 1;
}

static int write_state(const char *path, uint32_t validity, uint32_t next)
{
  char buf[64];
  int n = snprintf(buf, sizeof buf, "yubin-imap-uid 1 %u %u\n", (unsigned)validity, (unsigned)next);
  return atomic_write(path, buf, (size_t)n, 0600, (uid_t)-1, (gid_t)-1);
}

static int list_dir(const char *dir, const char *sub, cand **c, size_t *n, size_t *cap, int from_new)
{
  char path[MBOX_PATH_MAX];
  DIR *d;
  struct dirent *e;
  if (snprintf(path, sizeof path, "%s/%s", dir, sub) >= (int)sizeof path) { errno = ENAMETOOLONG; return 0; }
  if (!(d = opendir(path))) return 0;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    if (*n >= MBOX_MESSAGES_MAX) { closedir(d); errno = EFBIG; return 0; }
    if (*n == *cap) {
      size_t nc = *cap ? *cap * 2 : 64;
      cand *nn = realloc(*c, nc * sizeof *nn);
      if (!nn) { closedir(d); return 0; }
      *c = nn;
      *cap = nc;
    }
    (*c)[*n].name = strdup(e->d_name);
    (*c)[*n].from_new = from_new;
    if (!(*c)[*n].name) { closedir(d); return 0; }
    (*n)++;
  }
  closedir(d);
  return 1;
}

/* Lists the folder under the lock, naming new messages; the result in
 * *out (sorted by UID); *recent_from is the first UID given out now. */
static int load(mbox *mb, mbox_msg **out, size_t *outn, uint32_t *recent_from)
{
  char path[MBOX_PATH_MAX], from[MBOX_PATH_MAX], to[MBOX_PATH_MAX], nm[512], base[512];
  cand *c = 0;
  size_t nc = 0, cc = 0, i, nnew = 0, n = 0, cap = 0;
  mbox_msg *m = 0;
  uint32_t validity = 0, next = 0, maxuid = 0;
  int lockfd, have_state, ok = 0, saved;

  if (snprintf(path, sizeof path, "%s/%s", mb->dir, MBOX_LOCK_FILE) >= (int)sizeof path) {
    errno = ENAMETOOLONG;
    return 0;
  }
  lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lockfd < 0 && mb->readonly) lockfd = open(path, O_RDONLY | O_CLOEXEC);
  if (lockfd < 0) return 0;
  if (flock(lockfd, LOCK_EX) < 0) goto done;
  if (!list_dir(mb->dir, "cur", &c, &nc, &cc, 0) || !list_dir(mb->dir, "new", &c, &nc, &cc, 1)) goto done;

  if (snprintf(path, sizeof path, "%s/%s", mb->dir, MBOX_STATE_FILE) >= (int)sizeof path) {
    errno = ENAMETOOLONG;
    goto done;
  }
  have_state = read_state(path, &validity, &next);
  if (!have_state) {
    /* rebuild from the names: the UIDVALIDITY most messages carry */
    uint32_t best = 0;
    size_t bestn = 0;
    for (i = 0; i < nc; i++) {
      uint32_t v, u, v2, u2;
      unsigned f;
      long long s;
      size_t k, cnt = 0;
      if (c[i].from_new) continue;
      mbox_parse_name(c[i].name, &v, &u, &f, &s);
      if (!v || v == best) continue;
      for (k = 0; k < nc; k++) {
        if (c[k].from_new) continue;
        mbox_parse_name(c[k].name, &v2, &u2, &f, &s);
        if (v2 == v) cnt++;
        if (cnt > nc / 2) break;
      }
      if (cnt > bestn) { best = v; bestn = cnt; }
      if (bestn > nc / 2) break;
    }
    validity = best ? best : (uint32_t)time(0);
    next = 1;
  }
  for (i = 0; i < nc; i++) {
    uint32_t v, u;
    unsigned f;
    long long s;
    if (c[i].from_new) continue;
    mbox_parse_name(c[i].name, &v, &u, &f, &s);
    if (v == validity && u > maxuid) maxuid = u;
  }
  if (maxuid >= next) next = maxuid + 1;

  if (nc) qsort(c, nc, sizeof c[0], cmp_cand);
  for (i = 0; i < nc; i++) {
    uint32_t v, u;
    unsigned f;
    long long s;
    mbox_parse_name(c[i].name, &v, &u, &f, &s);
    if (c[i].from_new || v != validity || !u) nnew++;
  }
  *recent_from = next;
  if (nnew && mb->readonly) nnew = 0;  /* EXAMINE names nothing; new mail waits for a writer */
  if (nnew || !have_state) {
    if (nnew > 0xffffffffUL - next) { errno = EOVERFLOW; goto done; }
    if (!write_state(path, validity, next + (uint32_t)nnew) && !mb->readonly) goto done;
  }
  for (i = 0; i < nc; i++) {
    uint32_t v, u;
    unsigned f;
    long long s;
    mbox_parse_name(c[i].name, &v, &u, &f, &s);
    if (!c[i].from_new && v == validity && u) {
      char *own = c[i].name;
      c[i].name = 0;
      if (!push_msg(&m, &n, &cap, u, own)) goto done;
      continue;
    }
    if (!nnew) continue;
    /* a new message: name it with the next UID */
    if (!base_len_without_u(c[i].name, base, sizeof base)) continue;
    {
      char *ex;
      int fits = extra_letters(c[i].name, &ex) && make_name(nm, sizeof nm, base, validity, next, f,
                                                           mbox_name_keywords(c[i].name), ex);
      free(ex);
      if (!fits) continue;
    }
    u = next++;
    if (snprintf(from, sizeof from, "%s/%s/%s", mb->dir, c[i].from_new ? "new" : "cur", c[i].name) >=
            (int)sizeof from ||
        snprintf(to, sizeof to, "%s/cur/%s", mb->dir, nm) >= (int)sizeof to)
      continue;
    if (rename(from, to) < 0) continue;   /* gone meanwhile: the UID stays unused */
    if (!push_msg(&m, &n, &cap, u, strdup(nm))) goto done;
  }
  if (n) qsort(m, n, sizeof m[0], cmp_uid);
  mb->uidvalidity = validity;
  mb->uidnext = next;
  *out = m;
  *outn = n;
  m = 0;
  ok = 1;
done:
  saved = errno;
  for (i = 0; i < nc; i++) free(c[i].name);
  free(c);
  if (m) free_list(m, n);
  close(lockfd);
  errno = saved;
  return ok;
}

int mbox_open(mbox *mb, const char *dir, int readonly)
{
  uint32_t rf;
  size_t i;
  memset(mb, 0, sizeof *mb);
  if (snprintf(mb->dir, sizeof mb->dir, "%s", dir) >= (int)sizeof mb->dir) {
    errno = ENAMETOOLONG;
    return 0;
  }
  mb->readonly = readonly;
  if (!load(mb, &mb->m, &mb->n, &rf)) return 0;
  mb->cap = mb->n;
  for (i = 0; i < mb->n; i++)
    if (mb->m[i].uid >= rf) mb->m[i].flags |= MF_RECENT;
  return 1;
}

int mbox_refresh(mbox *mb, size_t *added, void (*gone)(size_t seq, void *ctx), void *ctx)
{
  mbox_msg *nm;
  size_t nn, i, j, k, oldn = mb->n;
  uint32_t rf, lastuid = mb->n ? mb->m[mb->n - 1].uid : 0;
  if (!load(mb, &nm, &nn, &rf)) return 0;
  /* drop the messages that are gone, from the highest sequence number */
  for (i = oldn; i-- > 0;) {
    if (mbox_find_uid(&(mbox){ .m = nm, .n = nn }, mb->m[i].uid) >= 0) continue;
    free(mb->m[i].name);
    free(mb->m[i].extra_flags);
    memmove(&mb->m[i], &mb->m[i + 1], (mb->n - i - 1) * sizeof mb->m[0]);
    mb->n--;
    if (gone) gone(i + 1, ctx);
  }
  /* take the others' names (flags changed elsewhere), add the new ones */
  for (i = 0, j = 0; i < nn; i++) {
    while (j < mb->n && mb->m[j].uid < nm[i].uid) j++;
    if (j < mb->n && mb->m[j].uid == nm[i].uid) {
      unsigned recent = mb->m[j].flags & MF_RECENT;
      free(mb->m[j].name);
      free(mb->m[j].extra_flags);
      mb->m[j] = nm[i];
      mb->m[j].flags |= recent;
      nm[i].name = nm[i].extra_flags = 0;
    }
  }
  *added = 0;
  for (i = 0; i < nn; i++) {
    if (!nm[i].name || nm[i].uid <= lastuid) continue;
    if (mb->n == mb->cap) {
      size_t nc = mb->cap ? mb->cap * 2 : 64;
      mbox_msg *g = realloc(mb->m, nc * sizeof *g);
      if (!g) { free_list(nm, nn); return 0; }
      mb->m = g;
      mb->cap = nc;
    }
    k = mb->n++;
    mb->m[k] = nm[i];
    if (nm[i].uid >= rf) mb->m[k].flags |= MF_RECENT;
    nm[i].name = nm[i].extra_flags = 0;
    (*added)++;
  }
  free_list(nm, nn);
  return 1;
}

void mbox_close(mbox *mb)
{
  free_list(mb->m, mb->n);
  mb->m = 0;
  mb->n = mb->cap = 0;
}

int mbox_path(const mbox *mb, size_t i, char *out, size_t n)
{
  int r = snprintf(out, n, "%s/cur/%s", mb->dir, mb->m[i].name);
  return r > 0 && (size_t)r < n;
}

int mbox_set_flags(mbox *mb, size_t i, unsigned flags)
{
  return mbox_set_flags_kw(mb, i, flags, mb->m[i].keywords);
}

int mbox_set_flags_kw(mbox *mb, size_t i, unsigned flags, uint32_t keywords)
{
  char base[512], nm[512], from[MBOX_PATH_MAX], to[MBOX_PATH_MAX];
  char *copy;
  mbox_msg *x = &mb->m[i];
  unsigned keep = x->flags & MF_RECENT;
  flags &= ~MF_RECENT;
  if ((x->flags & ~MF_RECENT) == flags && x->keywords == keywords) return 1;
  if (!base_len_without_u(x->name, base, sizeof base) ||
      !make_name(nm, sizeof nm, base, mb->uidvalidity, x->uid, flags, keywords, x->extra_flags) ||
      !mbox_path(mb, i, from, sizeof from) ||
      snprintf(to, sizeof to, "%s/cur/%s", mb->dir, nm) >= (int)sizeof to) {
    errno = ENAMETOOLONG;
    return 0;
  }
  if (rename(from, to) < 0) return 0;
  if (!(copy = strdup(nm))) return 0;
  free(x->name);
  x->name = copy;
  x->flags = flags | keep;
  x->keywords = keywords;
  return 1;
}

int mbox_expunge(mbox *mb, void (*gone)(size_t seq, void *ctx), void *ctx)
{
  char path[MBOX_PATH_MAX];
  size_t i;
  int ok = 1;
  for (i = mb->n; i-- > 0;) {
    if (!(mb->m[i].flags & MF_DELETED)) continue;
    if (!mbox_path(mb, i, path, sizeof path) || (unlink(path) < 0 && errno != ENOENT)) {
      ok = 0;
      continue;
    }
    free(mb->m[i].name);
    free(mb->m[i].extra_flags);
    memmove(&mb->m[i], &mb->m[i + 1], (mb->n - i - 1) * sizeof mb->m[0]);
    mb->n--;
    if (gone) gone(i + 1, ctx);
  }
  if (!ok) errno = EIO;
  return ok;
}

int mbox_remove(mbox *mb, size_t i)
{
  char path[MBOX_PATH_MAX];
  if (!mbox_path(mb, i, path, sizeof path)) { errno = ENAMETOOLONG; return 0; }
  if (unlink(path) < 0 && errno != ENOENT) return 0;
  free(mb->m[i].name);
  free(mb->m[i].extra_flags);
  memmove(&mb->m[i], &mb->m[i + 1], (mb->n - i - 1) * sizeof mb->m[0]);
  mb->n--;
  return 1;
}

long mbox_find_uid(const mbox *mb, uint32_t uid)
{
  size_t lo = 0, hi = mb->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (uid < mb->m[mid].uid) hi = mid;
    else if (uid > mb->m[mid].uid) lo = mid + 1;
    else return (long)mid;
  }
  return -1;
}
