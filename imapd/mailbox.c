#include "mailbox.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "atomic.h"
#include "cache.h"

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
  const char *colon = name ? strchr(name, ':') : 0, *p;
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

/* While a listing is built, each entry's name is an offset in the arena
 * (kept in cache_off), then the UIDVALIDITY of its name is kept there and
 * MF_FROM_NEW marks the files of new/; load() sets them right before it
 * returns. */
#define MF_FROM_NEW 0x100u
#define MF_BORROWED 0x200u   /* the name is the previous listing's (refresh) */
#define ARENA_MAX ((size_t)0xffffffffu)
#define TRUST_MARGIN_S 2   /* directory times coarser than this are not trusted */

typedef struct listing {
  mbox_msg *m;
  size_t n, cap;
  char *arena;
  size_t alen, acap;
} listing;

static void free_list(mbox_msg *m, size_t n)
{
  size_t i;
  for (i = 0; i < n; i++) {
    if (m[i].own) free(m[i].name);
  }
  free(m);
}

static void free_entry(mbox_msg *x)
{
  if (x->own) free(x->name);
  x->name = 0;
  x->own = 0;
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

/* The name of prev's message with that name, when a refresh may keep using
 * it (its own allocation, or in prev's first arena), or NULL. */
static char *known_name(const mbox *prev, const char *name)
{
  uint32_t v, u;
  unsigned f;
  long long s;
  long j;
  char *p;
  mbox_parse_name(name, &v, &u, &f, &s);
  if (!u || v != prev->uidvalidity || (j = mbox_find_uid(prev, u)) < 0) return 0;
  p = prev->m[j].name;
  if (strcmp(p, name) != 0) return 0;
  if (prev->m[j].own || (prev->arena && p >= prev->arena && p < prev->arena + prev->arena_len)) return p;
  return 0;
}

/* Lists dir/sub into *l; names prev (when not NULL) has already are not
 * copied: the entry points at prev's (MF_BORROWED). */
static int list_dir(const char *dir, const char *sub, listing *l, int from_new, const mbox *prev)
{
  char path[MBOX_PATH_MAX];
  DIR *d;
  struct dirent *e;
  if (snprintf(path, sizeof path, "%s/%s", dir, sub) >= (int)sizeof path) { errno = ENAMETOOLONG; return 0; }
  if (!(d = opendir(path))) return 0;
  while ((e = readdir(d))) {
    size_t len;
    mbox_msg *x;
    char *known;
    if (e->d_name[0] == '.') continue;
    len = strlen(e->d_name) + 1;
    known = prev && !from_new ? known_name(prev, e->d_name) : 0;
    if (known) len = 0;
    if (l->n >= MBOX_MESSAGES_MAX || l->alen + len > ARENA_MAX) { closedir(d); errno = EFBIG; return 0; }
    if (l->n == l->cap) {
      size_t nc = l->cap ? l->cap * 2 : 64;
      mbox_msg *nm = realloc(l->m, nc * sizeof *nm);
      if (!nm) { closedir(d); return 0; }
      l->m = nm;
      l->cap = nc;
    }
    if (len && l->alen + len > l->acap) {
      size_t na = l->acap ? l->acap * 2 : 4096;
      char *a;
      while (na < l->alen + len) na *= 2;
      if (!(a = realloc(l->arena, na))) { closedir(d); return 0; }
      l->arena = a;
      l->acap = na;
    }
    x = &l->m[l->n++];
    memset(x, 0, sizeof *x);
    x->ino = (uint64_t)e->d_ino;
    x->flags = from_new ? MF_FROM_NEW : 0;
    if (known) {
      x->name = known;
      x->flags |= MF_BORROWED;
      continue;
    }
    memcpy(l->arena + l->alen, e->d_name, len);
    x->cache_off = (uint32_t)l->alen;
    l->alen += len;
  }
  closedir(d);
  return 1;
}

static int cmp_u32(const void *a, const void *b)
{
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

/* Known messages (a UID) first, by UID; then the new ones by name, which
 * is delivery order. */
static int cmp_listed(const void *a, const void *b)
{
  const mbox_msg *x = a, *y = b;
  if (x->uid && y->uid) return x->uid < y->uid ? -1 : x->uid > y->uid;
  if (x->uid || y->uid) return x->uid ? -1 : 1;
  return strcmp(x->name, y->name);
}

/* Sorts m in place by cmp_listed (a heap sort: qsort would take a copy
 * of the whole list, 3 MB at 100,000 messages). */
static void sift_down(mbox_msg *m, size_t root, size_t n)
{
  for (;;) {
    size_t c = 2 * root + 1;
    mbox_msg t;
    if (c >= n) return;
    if (c + 1 < n && cmp_listed(&m[c], &m[c + 1]) < 0) c++;
    if (cmp_listed(&m[root], &m[c]) >= 0) return;
    t = m[root];
    m[root] = m[c];
    m[c] = t;
    root = c;
  }
}

static void sort_listed(mbox_msg *m, size_t n)
{
  size_t i;
  if (n < 2) return;
  for (i = n / 2; i-- > 0;) sift_down(m, i, n);
  for (i = n - 1; i > 0; i--) {
    mbox_msg t = m[0];
    m[0] = m[i];
    m[i] = t;
    sift_down(m, 0, i);
  }
}

/* The UIDVALIDITY most names in cur/ carry, or 0. */
static uint32_t common_validity(const mbox_msg *m, size_t n)
{
  uint32_t *v, best = 0;
  size_t i, k = 0, run = 0, bestn = 0;
  if (!n || !(v = malloc(n * sizeof *v))) return 0;
  for (i = 0; i < n; i++)
    if (!(m[i].flags & MF_FROM_NEW) && m[i].cache_off) v[k++] = m[i].cache_off;
  if (k) qsort(v, k, sizeof *v, cmp_u32);
  for (i = 0; i < k; i++) {
    run = (i && v[i] == v[i - 1]) ? run + 1 : 1;
    if (run > bestn) { bestn = run; best = v[i]; }
  }
  free(v);
  return best;
}

static int dir_times(const char *dir, struct timespec *cur, struct timespec *new)
{
  char path[MBOX_PATH_MAX];
  struct stat st;
  if (snprintf(path, sizeof path, "%s/cur", dir) >= (int)sizeof path || stat(path, &st) < 0) return 0;
  *cur = st.st_mtim;
  if (snprintf(path, sizeof path, "%s/new", dir) >= (int)sizeof path || stat(path, &st) < 0) return 0;
  *new = st.st_mtim;
  return 1;
}

/* ---- the saved listing (MBOX_LIST_FILE) ----------------------------------
 * The names in cur/ as they were at the times of cur/ and new/ it records,
 * written when a listing came a safe time after those times and new/ was
 * empty: while both times are unchanged it is what readdir would give.
 * With each name the offset of its record in the folder's cache file, good
 * while that file is the one it names (cache.c checks each record again).
 *   "yubin-imap-list\n" u32 version u32 count i64 cur s u32 ns i64 new s
 *   u32 ns u64 cache inode u64 cache bytes indexed u64 sum u64 0; then
 *   count times u64 inode u32 cache offset, name, NUL */
#define LIST_MAGIC "yubin-imap-list\n"
#define LIST_VERSION 2
#define LIST_HEADER 80
#define LIST_MIN_MESSAGES 1000   /* smaller folders are listed as fast */
#define LIST_NAME_MAX 255

static uint64_t getle(const char *p, size_t n)
{
  uint64_t v = 0;
  while (n--) v = (v << 8) | (unsigned char)p[n];
  return v;
}

static void putle(char *p, uint64_t v, size_t n)
{
  size_t i;
  for (i = 0; i < n; i++) { p[i] = (char)(v & 0xff); v >>= 8; }
}

static void list_times(char *h, const mbox *mb)
{
  putle(h + 24, (uint64_t)mb->cur_mt.tv_sec, 8);
  putle(h + 32, (uint64_t)mb->cur_mt.tv_nsec, 4);
  putle(h + 36, (uint64_t)mb->new_mt.tv_sec, 8);
  putle(h + 44, (uint64_t)mb->new_mt.tv_nsec, 4);
}

/* cache_sum (cache.h) of n octets given in pieces: every piece but the
 * last a multiple of 8 octets long. */
typedef struct sum_state { uint64_t h; } sum_state;

static void sum_start(sum_state *st, size_t n) { st->h = 0x9e3779b97f4a7c15ULL ^ (uint64_t)n; }

static void sum_blocks(sum_state *st, const char *p, size_t n)
{
  size_t i;
  for (i = 0; i + 8 <= n; i += 8) {
    st->h = (st->h ^ getle(p + i, 8)) * 0x100000001b3ULL;
    st->h ^= st->h >> 29;
  }
}

static uint64_t sum_end(sum_state *st, const char *p, size_t n)
{
  size_t i, whole = n - n % 8;
  sum_blocks(st, p, whole);
  for (i = whole; i < n; i++) st->h = (st->h ^ (unsigned char)p[i]) * 0x100000001b3ULL;
  return st->h ^ (st->h >> 32);
}

/* While load() works on a saved listing's entries, each one's cache
 * offset waits in own (high half) and cache_ok (low half). */
static void stash_set(mbox_msg *x, uint32_t v) { x->own = (uint16_t)(v >> 16); x->cache_ok = (uint16_t)(v & 0xffff); }
static uint32_t stash_get(const mbox_msg *x) { return (uint32_t)x->own << 16 | x->cache_ok; }

#define LIST_READ_BUF 65536   /* the listing is read in pieces of this size */

/* The saved listing into *l, when it is valid and its times are those of
 * cur/ and new/ now: read in pieces, the names into an arena of just
 * their size, the checksum computed on the way.  Each entry's name is at
 * its cache_off in the arena, its cache offset stashed (stash_set).
 * 1, or 0 (list the folder). */
static int read_listing(mbox *mb, listing *l)
{
  char path[MBOX_PATH_MAX], h[LIST_HEADER];
  struct stat st;
  size_t count, k, body, names, have = 0, pos = 0, done = 0, an = 0, unh = 0;
  char *buf = 0, *arena = 0;
  sum_state sum;
  int fd;
  if (snprintf(path, sizeof path, "%s/%s", mb->dir, MBOX_LIST_FILE) >= (int)sizeof path) return 0;
  if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)) < 0) return 0;
  if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size < LIST_HEADER ||
      (uint64_t)st.st_size > ARENA_MAX || read(fd, h, LIST_HEADER) != LIST_HEADER)
    goto bad;
  body = (size_t)st.st_size - LIST_HEADER;
  count = (size_t)getle(h + 20, 4);
  {
    char want[LIST_HEADER];
    memcpy(want, h, LIST_HEADER);
    list_times(want, mb);
    if (memcmp(h, LIST_MAGIC, 16) != 0 || getle(h + 16, 4) != LIST_VERSION || memcmp(h + 24, want + 24, 24) != 0 ||
        count > MBOX_MESSAGES_MAX || body < count * 14)
      goto bad;
  }
  names = body - count * 12;   /* each entry: 12 octets, then its name and NUL */
  if (!(buf = malloc(LIST_READ_BUF)) || !(arena = malloc(names ? names : 1)) ||
      (count && !(l->m = malloc(count * sizeof *l->m))))
    goto bad;
  sum_start(&sum, body);
  for (k = 0; k < count; k++) {
    const char *nul;
    mbox_msg *x = &l->m[k];
    size_t len;
    while (have - pos < 12 + LIST_NAME_MAX + 1 && done < body) {   /* refill */
      size_t from = pos < unh ? pos : unh, want;
      ssize_t r;
      memmove(buf, buf + from, have - from);
      have -= from;
      pos -= from;
      unh -= from;
      want = LIST_READ_BUF - have < body - done ? LIST_READ_BUF - have : body - done;
      if ((r = read(fd, buf + have, want)) <= 0) goto bad;
      done += (size_t)r;
      have += (size_t)r;
      sum_blocks(&sum, buf + unh, (have - unh) - (have - unh) % 8);   /* whole blocks: the rest waits */
      unh = have - (have - unh) % 8;
    }
    if (have - pos < 12 + 2) goto bad;
    nul = memchr(buf + pos + 12, 0, have - pos - 12 < LIST_NAME_MAX + 1 ? have - pos - 12 : LIST_NAME_MAX + 1);
    if (!nul || nul == buf + pos + 12 || buf[pos + 12] == '.' ||
        memchr(buf + pos + 12, '/', (size_t)(nul - buf - pos - 12)))
      goto bad;
    len = (size_t)(nul - buf - pos - 12) + 1;
    if (an + len > names) goto bad;
    memset(x, 0, sizeof *x);
    x->ino = getle(buf + pos, 8);
    stash_set(x, (uint32_t)getle(buf + pos + 8, 4));
    memcpy(arena + an, buf + pos + 12, len);
    x->cache_off = (uint32_t)an;
    an += len;
    pos += 12 + len;
  }
  if (pos != have || done != body || an != names || getle(h + 64, 8) != (cache_sum(h, 64) ^ sum_end(&sum, buf + unh, have - unh)))
    goto bad;
  close(fd);
  fd = -1;
  free(buf);
  l->n = l->cap = count;
  l->arena = arena;
  l->alen = l->acap = names;
  mb->list_cache_ino = getle(h + 48, 8);
  mb->list_cache_scanned = getle(h + 56, 8);
  return 1;
bad:
  if (fd >= 0) close(fd);
  free(buf);
  free(arena);
  free(l->m);
  l->m = 0;
  return 0;
}

#define LIST_WRITE_BUF 65536   /* the listing goes out in pieces of this size */

/* Saves m (the messages of cur/, as listed at mb's times) with their cache
 * offsets in the cache file cache_ino, indexed up to cache_scanned: written
 * through a small buffer, the checksum computed on the way (no copy of the
 * whole listing in memory). */
static void save_listing(const mbox *mb, const mbox_msg *m, size_t n, uint64_t cache_ino, uint64_t cache_scanned)
{
  char path[MBOX_PATH_MAX], tmp[MBOX_PATH_MAX];
  char *buf = 0;
  size_t i, body = 0, used = 0;
  int fd = -1, ok = 0;
  char h[LIST_HEADER];
  sum_state st;
  if (snprintf(path, sizeof path, "%s/%s", mb->dir, MBOX_LIST_FILE) >= (int)sizeof path ||
      snprintf(tmp, sizeof tmp, "%s/%s.%ld.tmp", mb->dir, MBOX_LIST_FILE, (long)getpid()) >= (int)sizeof tmp)
    return;
  for (i = 0; i < n; i++) {
    size_t len = strlen(m[i].name);
    if (len > LIST_NAME_MAX) return;
    body += 12 + len + 1;   /* at most 1,000,000 * 268: no overflow */
  }
  if (body > ARENA_MAX - LIST_HEADER || !(buf = malloc(LIST_WRITE_BUF))) goto done;
  memset(h, 0, sizeof h);
  memcpy(h, LIST_MAGIC, 16);
  putle(h + 16, LIST_VERSION, 4);
  putle(h + 20, n, 4);
  list_times(h, mb);
  putle(h + 48, cache_ino, 8);
  putle(h + 56, cache_scanned, 8);
  unlink(tmp);
  if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0) goto done;
  if (!write_all(fd, h, sizeof h)) goto done;   /* the checksum is written last */
  sum_start(&st, body);
  for (i = 0; i < n; i++) {
    size_t len = strlen(m[i].name) + 1;
    if (used + 12 + len > LIST_WRITE_BUF) {
      size_t whole = used - used % 8;   /* whole 8-octet blocks go; the rest stays */
      sum_blocks(&st, buf, whole);
      if (!write_all(fd, buf, whole)) goto done;
      memmove(buf, buf + whole, used - whole);
      used -= whole;
    }
    putle(buf + used, m[i].ino, 8);
    putle(buf + used + 8, cache_ino ? m[i].cache_off : 0, 4);
    memcpy(buf + used + 12, m[i].name, len);
    used += 12 + len;
  }
  putle(h + 64, cache_sum(h, 64) ^ sum_end(&st, buf, used), 8);
  if (!write_all(fd, buf, used) || pwrite(fd, h + 64, 8, 64) != 8) goto done;
  ok = close(fd) == 0;
  fd = -1;
  if (ok && rename(tmp, path) < 0) ok = 0;
done:
  if (fd >= 0) close(fd);
  if (!ok) unlink(tmp);
  free(buf);
}

/* Lists the folder under the lock, naming new messages; the result in *l
 * (sorted by UID); *recent_from is the first UID given out now. */
static int load(mbox *mb, listing *l, uint32_t *recent_from, const mbox *prev)
{
  char path[MBOX_PATH_MAX], from[MBOX_PATH_MAX], to[MBOX_PATH_MAX], nm[512], base[512];
  size_t i, k, nnew = 0;
  uint32_t validity = 0, next = 0, maxuid = 0;
  int lockfd, have_state, ok = 0, saved, from_saved, renamed = 0, pass = 0, relist;
  struct timespec now;

  memset(l, 0, sizeof *l);
  if (snprintf(path, sizeof path, "%s/%s", mb->dir, MBOX_LOCK_FILE) >= (int)sizeof path) {
    errno = ENAMETOOLONG;
    return 0;
  }
  lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lockfd < 0 && mb->readonly) lockfd = open(path, O_RDONLY | O_CLOEXEC);
  if (lockfd < 0) return 0;
  if (flock(lockfd, LOCK_EX) < 0) goto done;
again:
  nnew = 0;
  validity = next = maxuid = 0;
  /* the times first: a change after them shows in the next look */
  if (!dir_times(mb->dir, &mb->cur_mt, &mb->new_mt)) goto done;
  clock_gettime(CLOCK_REALTIME, &now);
  mb->listing_trusted = now.tv_sec - TRUST_MARGIN_S > mb->cur_mt.tv_sec &&
                        now.tv_sec - TRUST_MARGIN_S > mb->new_mt.tv_sec;
  from_saved = !prev && mb->listing_trusted && read_listing(mb, l);
  if (!from_saved && (!list_dir(mb->dir, "cur", l, 0, prev) || !list_dir(mb->dir, "new", l, 1, prev))) goto done;
  for (i = 0; i < l->n; i++) {
    mbox_msg *x = &l->m[i];
    uint32_t v, u;
    long long s;
    unsigned f;
    if (!(x->flags & MF_BORROWED)) x->name = l->arena + x->cache_off;
    x->cache_off = 0;
    mbox_parse_name(x->name, &v, &u, &f, &s);
    x->cache_off = v;
    x->uid = u;
    x->flags |= f;
  }

  if (snprintf(path, sizeof path, "%s/%s", mb->dir, MBOX_STATE_FILE) >= (int)sizeof path) {
    errno = ENAMETOOLONG;
    goto done;
  }
  have_state = read_state(path, &validity, &next);
  if (!have_state) {
    /* rebuild from the names: the UIDVALIDITY most messages carry */
    validity = common_validity(l->m, l->n);
    if (!validity) validity = (uint32_t)time(0);
    next = 1;
  }
  for (i = 0; i < l->n; i++) {
    mbox_msg *x = &l->m[i];
    if ((x->flags & MF_FROM_NEW) || x->cache_off != validity) x->uid = 0;
    if (x->uid > maxuid) maxuid = x->uid;
    if (!x->uid) nnew++;
  }
  if (maxuid >= next) next = maxuid + 1;
  /* a saved listing is in order already */
  for (i = 1; i < l->n && cmp_listed(&l->m[i - 1], &l->m[i]) <= 0; i++) continue;
  if (i < l->n) sort_listed(l->m, l->n);

  if (!pass) *recent_from = next;
  if (nnew && mb->readonly) nnew = 0;  /* EXAMINE names nothing; new mail waits for a writer */
  if (nnew || !have_state) {
    if (nnew > 0xffffffffUL - next) { errno = EOVERFLOW; goto done; }
    if (!write_state(path, validity, next + (uint32_t)nnew) && !mb->readonly) goto done;
  }
  /* many new messages (a folder filled by other means): rename them, then
   * list the folder again rather than keep a second copy of every name */
  relist = !pass && nnew >= LIST_MIN_MESSAGES;
  for (i = 0; i < l->n; i++) {
    mbox_msg *x = &l->m[i];
    int from_new = (x->flags & MF_FROM_NEW) != 0;
    char *ex, *copy;
    int fits;
    x->cache_off = from_saved ? stash_get(x) : 0;   /* the saved listing's cache offset */
    x->own = x->cache_ok = 0;
    x->flags &= ~(MF_FROM_NEW | MF_BORROWED);
    if (x->uid) continue;
    x->cache_off = 0;
    if (!nnew) continue;
    /* a new message: name it with the next UID */
    if (!base_len_without_u(x->name, base, sizeof base)) continue;
    fits = extra_letters(x->name, &ex) &&
           make_name(nm, sizeof nm, base, validity, next, x->flags, mbox_name_keywords(x->name), ex);
    free(ex);
    if (!fits) continue;
    if (snprintf(from, sizeof from, "%s/%s/%s", mb->dir, from_new ? "new" : "cur", x->name) >=
            (int)sizeof from ||
        snprintf(to, sizeof to, "%s/cur/%s", mb->dir, nm) >= (int)sizeof to) {
      next++;
      continue;
    }
    if (rename(from, to) < 0) { next++; continue; }  /* gone meanwhile: the UID stays unused */
    if (relist) {
      next++;
      continue;
    }
    if (!(copy = strdup(nm))) goto done;
    x->name = copy;
    x->own = 1;
    x->uid = next++;
    renamed = 1;
  }
  if (relist) {
    free(l->m);   /* no name of its own yet */
    free(l->arena);
    memset(l, 0, sizeof *l);
    pass = 1;
    goto again;
  }
  /* keep the messages with a UID */
  for (i = k = 0; i < l->n; i++)
    if (l->m[i].uid) l->m[k++] = l->m[i];
  l->n = k;
  mb->uidvalidity = validity;
  mb->uidnext = next;
  /* a listing that may be trusted later: save it for the next session */
  if (!from_saved && mb->listing_trusted && !renamed && nnew == 0 && k >= LIST_MIN_MESSAGES &&
      !mb->readonly)
    save_listing(mb, l->m, l->n, 0, 0);
  if (!from_saved) mb->list_cache_ino = mb->list_cache_scanned = 0;
  ok = 1;
done:
  saved = errno;
  if (!ok) {
    for (i = 0; i < l->n; i++)   /* names still in the arena are not their own */
      if (l->m[i].name >= l->arena && l->m[i].name < l->arena + l->alen) l->m[i].own = 0;
    free_list(l->m, l->n);
    free(l->arena);
    memset(l, 0, sizeof *l);
  }
  close(lockfd);
  errno = saved;
  return ok;
}

/* Whether a message's name is in the arena a of len octets. */
static int arena_used(const mbox *mb, const char *a, size_t len)
{
  size_t i;
  if (!a) return 0;
  for (i = 0; i < mb->n; i++)
    if (mb->m[i].name >= a && mb->m[i].name < a + len) return 1;
  return 0;
}

int mbox_open(mbox *mb, const char *dir, int readonly)
{
  uint32_t rf;
  size_t i;
  listing l;
  memset(mb, 0, sizeof *mb);
  if (snprintf(mb->dir, sizeof mb->dir, "%s", dir) >= (int)sizeof mb->dir) {
    errno = ENAMETOOLONG;
    return 0;
  }
  mb->readonly = readonly;
  if (!load(mb, &l, &rf, 0)) return 0;
  mb->m = l.m;
  mb->n = l.n;
  mb->cap = l.cap;
  mb->arena = l.arena;
  mb->arena_len = l.alen;
  for (i = 0; i < mb->n; i++)
    if (mb->m[i].uid >= rf) mb->m[i].flags |= MF_RECENT;
  if (!arena_used(mb, mb->arena, mb->arena_len)) {   /* every message renamed */
    free(mb->arena);
    mb->arena = 0;
    mb->arena_len = 0;
  }
  return 1;
}

/* cur/ and new/ as they were at the last listing, which came a safe time
 * after their last change: nothing can have been added or removed. */
static int unchanged(const mbox *mb)
{
  struct timespec c, n;
  if (!mb->listing_trusted || !dir_times(mb->dir, &c, &n)) return 0;
  return c.tv_sec == mb->cur_mt.tv_sec && c.tv_nsec == mb->cur_mt.tv_nsec &&
         n.tv_sec == mb->new_mt.tv_sec && n.tv_nsec == mb->new_mt.tv_nsec;
}

int mbox_refresh(mbox *mb, size_t *added, void (*gone)(size_t seq, void *ctx), void *ctx)
{
  listing l;
  size_t i, j, k, oldn = mb->n;
  uint32_t rf, lastuid = mb->n ? mb->m[mb->n - 1].uid : 0;
  *added = 0;
  if (unchanged(mb)) return 1;
  if (!load(mb, &l, &rf, mb)) return 0;
  /* the messages that are gone, from the highest sequence number */
  for (i = oldn; i-- > 0;) {
    if (mbox_find_uid(&(mbox){ .m = l.m, .n = l.n }, mb->m[i].uid) >= 0) continue;
    mb->m[i].uid = 0;
    if (gone) gone(i + 1, ctx);
  }
  /* the new listing, with what this session knows of each message; the
   * new ones at the end; any other (an old UID come back) left out */
  for (i = j = k = 0; i < l.n; i++) {
    mbox_msg *x = &l.m[i];
    while (j < oldn && mb->m[j].uid < x->uid) j++;
    /* cache offsets only from this session's list: the saved listing's
     * may be of another cache file than the one open */
    x->cache_off = x->cache_ok = 0;
    if (j < oldn && mb->m[j].uid == x->uid) {
      x->flags |= mb->m[j].flags & MF_RECENT;
      if (x->name == mb->m[j].name && mb->m[j].own) {   /* the name passes on */
        x->own = 1;
        mb->m[j].own = 0;
      }
      if (mb->m[j].ino == x->ino) {
        x->cache_off = mb->m[j].cache_off;
        x->cache_ok = mb->m[j].cache_ok;
      }
    } else if (x->uid > lastuid) {
      if (x->uid >= rf) x->flags |= MF_RECENT;
      (*added)++;
    } else {
      free_entry(x);
      continue;
    }
    l.m[k++] = *x;
  }
  l.n = k;
  free_list(mb->m, oldn);
  free(mb->arena2);   /* its names were copied, not kept */
  mb->arena2 = 0;
  mb->m = l.m;
  mb->n = l.n;
  mb->cap = l.cap;
  if (!arena_used(mb, mb->arena, mb->arena_len)) {
    free(mb->arena);
    mb->arena = l.arena;
    mb->arena_len = l.alen;
  } else {
    mb->arena2 = l.arena;
  }
  return 1;
}

int mbox_save_listing(mbox *mb, uint64_t cache_ino, uint64_t cache_scanned)
{
  if (mb->readonly || mb->n < LIST_MIN_MESSAGES || !unchanged(mb)) return 0;
  save_listing(mb, mb->m, mb->n, cache_ino, cache_scanned);
  return 1;
}

void mbox_close(mbox *mb)
{
  cache_close(mb);
  free_list(mb->m, mb->n);
  free(mb->arena);
  free(mb->arena2);
  mb->m = 0;
  mb->arena = mb->arena2 = 0;
  mb->arena_len = 0;
  mb->n = mb->cap = 0;
}

int mbox_path(const mbox *mb, size_t i, char *out, size_t n)
{
  int r = snprintf(out, n, "%s/cur/%s", mb->dir, mb->m[i].name);
  return r > 0 && (size_t)r < n;
}

int mbox_set_flags(mbox *mb, size_t i, unsigned flags)
{
  return mbox_set_flags_kw(mb, i, flags, mbox_keywords(mb, i));
}

int mbox_set_flags_kw(mbox *mb, size_t i, unsigned flags, uint32_t keywords)
{
  char base[512], nm[512], from[MBOX_PATH_MAX], to[MBOX_PATH_MAX];
  char *copy, *ex;
  mbox_msg *x = &mb->m[i];
  unsigned keep = x->flags & MF_RECENT;
  int fits;
  flags &= ~MF_RECENT;
  if ((x->flags & ~MF_RECENT) == flags && mbox_name_keywords(x->name) == keywords) return 1;
  if (!extra_letters(x->name, &ex)) return 0;   /* the Maildir letters we do not map stay */
  fits = base_len_without_u(x->name, base, sizeof base) &&
         make_name(nm, sizeof nm, base, mb->uidvalidity, x->uid, flags, keywords, ex) &&
         mbox_path(mb, i, from, sizeof from) && snprintf(to, sizeof to, "%s/cur/%s", mb->dir, nm) < (int)sizeof to;
  free(ex);
  if (!fits) {
    errno = ENAMETOOLONG;
    return 0;
  }
  if (rename(from, to) < 0) {
    /* renamed by another session meanwhile: take its name and try again */
    if (errno != ENOENT || !mbox_relocate(mb, i)) return 0;
    return mbox_set_flags_kw(mb, i, flags, keywords);
  }
  if (!(copy = strdup(nm))) return 0;
  if (x->own) free(x->name);
  x->name = copy;
  x->own = 1;
  x->flags = flags | keep;
  return 1;
}

/* Drops entry i from the list. */
static void drop(mbox *mb, size_t i)
{
  free_entry(&mb->m[i]);
  memmove(&mb->m[i], &mb->m[i + 1], (mb->n - i - 1) * sizeof mb->m[0]);
  mb->n--;
}

int mbox_expunge(mbox *mb, void (*gone)(size_t seq, void *ctx), void *ctx)
{
  char path[MBOX_PATH_MAX];
  size_t i, k;
  int ok = 1;
  /* unlink from the highest sequence number (the order of the EXPUNGE
   * responses), then close the gaps in one pass */
  for (i = mb->n; i-- > 0;) {
    if (!(mb->m[i].flags & MF_DELETED)) continue;
    if (!mbox_path(mb, i, path, sizeof path) ||
        (unlink(path) < 0 && (errno != ENOENT || (mbox_relocate(mb, i) &&
                                                  (!mbox_path(mb, i, path, sizeof path) || unlink(path) < 0))))) {
      ok = 0;
      continue;
    }
    free_entry(&mb->m[i]);
    mb->m[i].uid = 0;
    if (gone) gone(i + 1, ctx);
  }
  for (i = k = 0; i < mb->n; i++)
    if (mb->m[i].uid) mb->m[k++] = mb->m[i];
  mb->n = k;
  if (!ok) errno = EIO;
  return ok;
}

int mbox_remove(mbox *mb, size_t i)
{
  char path[MBOX_PATH_MAX];
  if (!mbox_path(mb, i, path, sizeof path)) { errno = ENAMETOOLONG; return 0; }
  if (unlink(path) < 0) {
    if (errno != ENOENT) return 0;
    /* renamed by another session: remove it under its new name */
    if (mbox_relocate(mb, i) && (!mbox_path(mb, i, path, sizeof path) || unlink(path) < 0)) return 0;
  }
  drop(mb, i);
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

int mbox_relocate(mbox *mb, size_t i)
{
  static char scanned_dir[MBOX_PATH_MAX];
  static struct timespec scanned_mt;
  char path[MBOX_PATH_MAX + 8];
  struct stat st;
  DIR *d;
  struct dirent *e;
  int found = 0;
  if (snprintf(path, sizeof path, "%s/cur", mb->dir) >= (int)sizeof path) { errno = ENAMETOOLONG; return 0; }
  /* cur/ not changed since the last look: the message is gone, not renamed */
  if (stat(path, &st) < 0) return 0;
  if (!strcmp(scanned_dir, mb->dir) && st.st_mtim.tv_sec == scanned_mt.tv_sec &&
      st.st_mtim.tv_nsec == scanned_mt.tv_nsec) {
    errno = ENOENT;
    return 0;
  }
  if (!(d = opendir(path))) return 0;
  while ((e = readdir(d))) {
    uint32_t v, u;
    unsigned f;
    long long sz;
    long k;
    char *copy;
    if (e->d_name[0] == '.') continue;
    mbox_parse_name(e->d_name, &v, &u, &f, &sz);
    if (v != mb->uidvalidity || !u || (k = mbox_find_uid(mb, u)) < 0) continue;
    if (strcmp(mb->m[k].name, e->d_name)) {
      if (!(copy = strdup(e->d_name))) break;
      if (mb->m[k].own) free(mb->m[k].name);
      mb->m[k].name = copy;
      mb->m[k].own = 1;
      mb->m[k].flags = f | (mb->m[k].flags & MF_RECENT);
    }
    if (k == (long)i) found = 1;
  }
  closedir(d);
  snprintf(scanned_dir, sizeof scanned_dir, "%s", mb->dir);
  scanned_mt = st.st_mtim;
  if (!found) errno = ENOENT;
  return found;
}
