/* Per-folder mod-sequences: the file, the comparison with the folder, and
 * the VANISHED sets (see modseq.h). */
#include "modseq.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic.h"
#include "mailbox.h"

#define MODSEQ_ENTRIES_MAX MBOX_MESSAGES_MAX

void modseq_free(modseq *ms)
{
  free(ms->e);
  free(ms->g);
  ms->e = 0;
  ms->g = 0;
  ms->n = ms->cap = ms->ng = ms->gcap = 0;
}

static uint64_t max64(uint64_t a, uint64_t b) { return a > b ? a : b; }

/* Forgets the table, keeping what it had given out as a lower bound. */
static void clear(modseq *ms)
{
  ms->lower_bound = max64(ms->lower_bound, ms->highest);
  ms->n = ms->ng = 0;
  ms->uidvalidity = 0;
  ms->highest = ms->floor = 0;
}

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
  size_t nc = *cap ? *cap : 64;
  void *np;
  if (need <= *cap) return 1;
  while (nc < need) {
    if (nc > ((size_t)-1) / 2 / size) { errno = ENOMEM; return 0; }
    nc *= 2;
  }
  if (!(np = realloc(*p, nc * size))) return 0;
  *p = np;
  *cap = nc;
  return 1;
}

/* ---- the text ---------------------------------------------------------- */

typedef struct rd {
  const char *s;
  size_t n, pos;
} rd;

static int rd_lit(rd *r, const char *w)
{
  size_t l = strlen(w);
  if (r->n - r->pos < l || memcmp(r->s + r->pos, w, l)) return 0;
  r->pos += l;
  return 1;
}

/* A decimal number without sign or leading zeros, at most max. */
static int rd_num(rd *r, uint64_t max, uint64_t *v)
{
  uint64_t x = 0;
  size_t start = r->pos;
  while (r->pos < r->n && r->s[r->pos] >= '0' && r->s[r->pos] <= '9') {
    unsigned d = (unsigned)(r->s[r->pos] - '0');
    if (x > (max - d) / 10) return 0;
    x = x * 10 + d;
    r->pos++;
  }
  if (r->pos == start || (r->s[start] == '0' && r->pos - start > 1)) return 0;
  *v = x;
  return 1;
}

static int rd_hex32(rd *r, uint32_t *v)
{
  uint32_t x = 0;
  size_t start = r->pos;
  while (r->pos < r->n && r->pos - start < 8) {
    char c = r->s[r->pos];
    unsigned d;
    if (c >= '0' && c <= '9') d = (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f') d = (unsigned)(c - 'a' + 10);
    else break;
    x = x << 4 | d;
    r->pos++;
  }
  if (r->pos == start || (r->s[start] == '0' && r->pos - start > 1)) return 0;
  *v = x;
  return 1;
}

/* The parser takes one line at a time (with its "\n"), so that the file
 * is read in small pieces.  stage: 0 before the first line, 1 in the m
 * lines, 2 in the g lines, 3 after "end", 4 broken. */
typedef struct reader {
  int stage;
  uint64_t v, h, f;
} reader;

static void parse_begin(modseq *ms, reader *st)
{
  clear(ms);
  memset(st, 0, sizeof *st);
}

static int parse_line(modseq *ms, reader *st, const char *line, size_t n)
{
  rd r = { line, n, 0 };
  uint64_t a, b, c, count;
  uint32_t state;
  if (st->stage == 0) {
    if (!rd_lit(&r, "yubin-imap-modseq 1 ") || !rd_num(&r, 0xffffffffULL, &st->v) || !st->v ||
        !rd_lit(&r, " ") || !rd_num(&r, MODSEQ_MAX, &st->h) || !st->h)
      goto bad;
    /* the file claims h was given out: never go below it, even if the rest is bad */
    ms->lower_bound = max64(ms->lower_bound, st->h);
    if (!rd_lit(&r, " ") || !rd_num(&r, st->h, &st->f) || !rd_lit(&r, "\n") || r.pos != n) goto bad;
    st->stage = 1;
    return 1;
  }
  if (st->stage == 1 && rd_lit(&r, "m ")) {
    if (!rd_num(&r, 0xffffffffULL, &a) || !a || !rd_lit(&r, " ") || !rd_num(&r, st->h, &b) || !b ||
        !rd_lit(&r, " ") || !rd_hex32(&r, &state) || !rd_lit(&r, "\n") || r.pos != n)
      goto bad;
    if ((ms->n && a <= ms->e[ms->n - 1].uid) || ms->n >= MODSEQ_ENTRIES_MAX) goto bad;
    if (!grow((void **)&ms->e, &ms->cap, ms->n + 1, sizeof *ms->e)) goto bad;
    ms->e[ms->n++] = (ms_entry){ (uint32_t)a, state, b };
    return 1;
  }
  if ((st->stage == 1 || st->stage == 2) && rd_lit(&r, "g ")) {
    if (!rd_num(&r, 0xffffffffULL, &a) || !a || !rd_lit(&r, " ") || !rd_num(&r, 0xffffffffULL, &b) ||
        b < a || !rd_lit(&r, " ") || !rd_num(&r, st->h, &c) || !c || !rd_lit(&r, "\n") || r.pos != n)
      goto bad;
    if ((ms->ng && a <= ms->g[ms->ng - 1].hi) || ms->ng >= MODSEQ_GONE_MAX) goto bad;
    if (!grow((void **)&ms->g, &ms->gcap, ms->ng + 1, sizeof *ms->g)) goto bad;
    ms->g[ms->ng++] = (ms_gone){ (uint32_t)a, (uint32_t)b, c };
    st->stage = 2;
    return 1;
  }
  if ((st->stage == 1 || st->stage == 2) && rd_lit(&r, "end ")) {
    if (!rd_num(&r, 0xffffffffULL, &count) || !rd_lit(&r, "\n") || r.pos != n || count != ms->n + ms->ng)
      goto bad;
    st->stage = 3;
    return 1;
  }
bad:
  st->stage = 4;
  return 0;
}

/* 1 if the lines made a whole file; ms is set, else emptied. */
static int parse_end(modseq *ms, reader *st)
{
  if (st->stage != 3) {
    clear(ms);
    return 0;
  }
  ms->uidvalidity = (uint32_t)st->v;
  ms->highest = st->h;
  ms->floor = st->f;
  return 1;
}

int modseq_parse(modseq *ms, const char *buf, size_t n)
{
  reader st;
  size_t pos = 0;
  parse_begin(ms, &st);
  while (pos < n) {
    const char *nl = memchr(buf + pos, '\n', n - pos);
    size_t len = nl ? (size_t)(nl - buf - pos) + 1 : n - pos;
    if (!nl || !parse_line(ms, &st, buf + pos, len)) { st.stage = 4; break; }
    pos += len;
  }
  return parse_end(ms, &st);
}

/* The text of the file, a line at a time, to put(ctx, line, length). */
static int format_lines(const modseq *ms, int (*put)(void *, const char *, size_t), void *ctx)
{
  char line[96];
  size_t i;
  int k;
  k = snprintf(line, sizeof line, "yubin-imap-modseq 1 %u %llu %llu\n", (unsigned)ms->uidvalidity,
               (unsigned long long)ms->highest, (unsigned long long)ms->floor);
  if (!put(ctx, line, (size_t)k)) return 0;
  for (i = 0; i < ms->n; i++) {
    k = snprintf(line, sizeof line, "m %u %llu %x\n", (unsigned)ms->e[i].uid,
                 (unsigned long long)ms->e[i].modseq, (unsigned)ms->e[i].state);
    if (!put(ctx, line, (size_t)k)) return 0;
  }
  for (i = 0; i < ms->ng; i++) {
    k = snprintf(line, sizeof line, "g %u %u %llu\n", (unsigned)ms->g[i].lo, (unsigned)ms->g[i].hi,
                 (unsigned long long)ms->g[i].modseq);
    if (!put(ctx, line, (size_t)k)) return 0;
  }
  k = snprintf(line, sizeof line, "end %zu\n", ms->n + ms->ng);
  return put(ctx, line, (size_t)k);
}

static int put_sa(void *ctx, const char *s, size_t n) { return sa_catb(ctx, s, n); }

int modseq_format(const modseq *ms, sa *out)
{
  out->len = 0;
  return format_lines(ms, put_sa, out);
}

/* ---- comparing with the folder ----------------------------------------- */

static long find_entry(const ms_entry *e, size_t n, uint32_t uid)
{
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (uid < e[mid].uid) hi = mid;
    else if (uid > e[mid].uid) lo = mid + 1;
    else return (long)mid;
  }
  return -1;
}

/* Index of the first entry with a UID above uid. */
static size_t first_above(const ms_entry *e, size_t n, uint32_t uid)
{
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (e[mid].uid <= uid) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/* The mod-sequence of uid's expunge if it is in one of the first ng
 * expunged ranges (sorted), else 0. */
static uint64_t in_gone(const modseq *ms, size_t ng, uint32_t uid)
{
  size_t lo = 0, hi = ng;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (uid < ms->g[mid].lo) hi = mid;
    else if (uid > ms->g[mid].hi) lo = mid + 1;
    else return ms->g[mid].modseq;
  }
  return 0;
}

static int cmp_gone(const void *a, const void *b)
{
  const ms_gone *x = a, *y = b;
  return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static int cmp_u64(const void *a, const void *b)
{
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

/* Sorts the expunged ranges and joins neighbours with no message between
 * them (the UIDs between were expunged or never used: reporting them as
 * vanished is allowed); then keeps at most MODSEQ_GONE_MAX, dropping the
 * oldest and raising the floor to them. */
static int compact(modseq *ms)
{
  size_t i, o = 0;
  if (!ms->ng) return 1;
  qsort(ms->g, ms->ng, sizeof *ms->g, cmp_gone);
  for (i = 1; i < ms->ng; i++) {
    ms_gone *a = &ms->g[o], *b = &ms->g[i];
    size_t k = first_above(ms->e, ms->n, a->hi);
    if (b->lo <= a->hi || k == ms->n || ms->e[k].uid > b->lo) {
      if (b->hi > a->hi) a->hi = b->hi;
      a->modseq = max64(a->modseq, b->modseq);
    } else {
      ms->g[++o] = *b;
    }
  }
  ms->ng = o + 1;
  if (ms->ng > MODSEQ_GONE_MAX) {
    uint64_t *ord = malloc(ms->ng * sizeof *ord), cut;
    if (!ord) return 0;
    for (i = 0; i < ms->ng; i++) ord[i] = ms->g[i].modseq;
    qsort(ord, ms->ng, sizeof *ord, cmp_u64);
    cut = ord[ms->ng - MODSEQ_GONE_MAX / 2];   /* keep the newest half, at most */
    free(ord);
    for (i = 0, o = 0; i < ms->ng; i++)
      if (ms->g[i].modseq >= cut) ms->g[o++] = ms->g[i];
      else ms->floor = max64(ms->floor, ms->g[i].modseq);
    ms->ng = o;
  }
  return 1;
}

static int same(const modseq *ms, const ms_view *v, size_t nv)
{
  size_t i;
  if (ms->n != nv) return 0;
  for (i = 0; i < nv; i++)
    if (ms->e[i].uid != v[i].uid || ms->e[i].state != v[i].state) return 0;
  return 1;
}

int modseq_merge(modseq *ms, const ms_view *v, size_t nv, uint32_t validity, uint32_t view_next,
                 uint64_t now)
{
  ms_entry *ne;
  size_t i = 0, j = 0, o = 0, need, ng0 = ms->ng;   /* the ranges before this merge (sorted) */
  uint64_t limit = nv && (uint64_t)v[nv - 1].uid >= view_next ? (uint64_t)v[nv - 1].uid + 1 : view_next;
  uint64_t next, unseen = 0;   /* the least mod-sequence of a change the view has not seen */
  int changed = 0;

  if (ms->uidvalidity && ms->uidvalidity == validity && same(ms, v, nv)) {
    ms->reportable = ms->highest;
    return 0;
  }
  if (nv > MODSEQ_ENTRIES_MAX) { errno = EFBIG; return -1; }
  if (!ms->uidvalidity || ms->uidvalidity != validity) {
    uint64_t start = max64(max64(ms->highest, ms->lower_bound), now) + 1;
    if (start > MODSEQ_MAX) start = MODSEQ_MAX;
    if (ms->uidvalidity) ms->restarted = "uidvalidity";
    else if (!ms->restarted) ms->restarted = "new";
    clear(ms);
    if (!grow((void **)&ms->e, &ms->cap, nv ? nv : 1, sizeof *ms->e)) return -1;
    for (i = 0; i < nv; i++) ms->e[i] = (ms_entry){ v[i].uid, v[i].state, start };
    ms->n = nv;
    ms->uidvalidity = validity;
    ms->highest = ms->floor = ms->lower_bound = ms->reportable = start;
    return 1;
  }
  next = ms->highest < MODSEQ_MAX ? ms->highest + 1 : MODSEQ_MAX;
  /* the size of the merged table, so that it is allocated once */
  for (need = 0; i < ms->n || j < nv;) {
    if (j == nv || (i < ms->n && ms->e[i].uid < v[j].uid)) need += ms->e[i++].uid >= limit;
    else if (i == ms->n || v[j].uid < ms->e[i].uid) need += !in_gone(ms, ng0, v[j++].uid);
    else { need++; i++; j++; }
  }
  i = j = 0;
  if (!(ne = malloc((need ? need : 1) * sizeof *ne))) return -1;
  while (i < ms->n || j < nv) {
    if (j == nv || (i < ms->n && ms->e[i].uid < v[j].uid)) {
      if (ms->e[i].uid < limit) {
        /* expunged: remember it (the ranges are sorted and joined below) */
        if (!grow((void **)&ms->g, &ms->gcap, ms->ng + 1, sizeof *ms->g)) { free(ne); return -1; }
        ms->g[ms->ng++] = (ms_gone){ ms->e[i].uid, ms->e[i].uid, next };
        changed = 1;
      } else {
        ne[o++] = ms->e[i];   /* newer than this view */
        if (!unseen || ms->e[i].modseq < unseen) unseen = ms->e[i].modseq;
      }
      i++;
    } else if (i == ms->n || v[j].uid < ms->e[i].uid) {
      uint64_t went = in_gone(ms, ng0, v[j].uid);
      if (!went) {
        ne[o++] = (ms_entry){ v[j].uid, v[j].state, next };
        changed = 1;
      } else if (!unseen || went < unseen) {
        unseen = went;   /* expunged, and this view does not know yet */
      }
      j++;
    } else {
      ne[o] = ms->e[i];
      if (ne[o].state != v[j].state) {
        ne[o].state = v[j].state;
        ne[o].modseq = next;
        changed = 1;
      }
      o++;
      i++;
      j++;
    }
  }
  free(ms->e);
  ms->e = ne;
  ms->n = o;
  ms->cap = need ? need : 1;
  if (changed) ms->highest = next;
  ms->reportable = unseen && unseen - 1 < ms->highest ? unseen - 1 : ms->highest;
  if (!changed) return 0;
  if (!compact(ms)) return -1;
  return 1;
}

uint64_t modseq_of(const modseq *ms, uint32_t uid)
{
  long k = find_entry(ms->e, ms->n, uid);
  return k < 0 ? 0 : ms->e[k].modseq;
}

/* ---- VANISHED ---------------------------------------------------------- */

typedef struct emitter {
  sa *out;
  uint32_t lo, hi;
  int have;
  int ok;
} emitter;

static void flush_range(emitter *m)
{
  char b[32];
  int k;
  if (!m->have) return;
  if (m->lo == m->hi) k = snprintf(b, sizeof b, "%s%u", m->out->len ? "," : "", (unsigned)m->lo);
  else k = snprintf(b, sizeof b, "%s%u:%u", m->out->len ? "," : "", (unsigned)m->lo, (unsigned)m->hi);
  if (!sa_catb(m->out, b, (size_t)k)) m->ok = 0;
  m->have = 0;
}

static void emit(emitter *m, uint32_t lo, uint32_t hi)
{
  if (m->have && m->hi != 0xffffffffU && lo <= m->hi + 1) {
    if (hi > m->hi) m->hi = hi;
    return;
  }
  flush_range(m);
  m->lo = lo;
  m->hi = hi;
  m->have = 1;
}

/* Emits lo..hi intersected with the set, from set range *k on (ranges
 * before lo are skipped for good: the callers go up in UID order). */
static void emit_in_set(emitter *m, uint32_t lo, uint32_t hi, const imap_range *set, size_t nset,
                        size_t *k)
{
  size_t i;
  while (*k < nset && set[*k].hi < lo) (*k)++;
  for (i = *k; i < nset && set[i].lo <= hi; i++) {
    uint32_t a = set[i].lo > lo ? set[i].lo : lo, b = set[i].hi < hi ? set[i].hi : hi;
    if (a <= b) emit(m, a, b);
  }
}

int modseq_vanished(const modseq *ms, uint64_t since, const imap_range *set, size_t nset,
                    uint32_t uidnext, sa *out)
{
  emitter m = { out, 0, 0, 0, 1 };
  size_t i, k = 0;
  out->len = 0;
  if (since >= ms->floor) {
    for (i = 0; i < ms->ng; i++)
      if (ms->g[i].modseq > since) emit_in_set(&m, ms->g[i].lo, ms->g[i].hi, set, nset, &k);
  } else {
    uint32_t prev = 0;
    for (i = 0; i <= ms->n; i++) {
      uint32_t u = i < ms->n ? ms->e[i].uid : uidnext;
      if (i == ms->n && u <= prev) break;
      if (u > prev + 1) emit_in_set(&m, prev + 1, u - 1, set, nset, &k);
      prev = u;
    }
  }
  flush_range(&m);
  if (!m.ok) return 0;
  return sa_0(out);
}

/* ---- the file ---------------------------------------------------------- */

static int file_path(const char *dir, const char *name, char *out, size_t n)
{
  int r = snprintf(out, n, "%s/%s", dir, name);
  if (r < 0 || (size_t)r >= n) { errno = ENAMETOOLONG; return 0; }
  return 1;
}

static void note_id(modseq *ms, const struct stat *st)
{
  ms->have_id = 1;
  ms->dev = st->st_dev;
  ms->ino = st->st_ino;
  ms->size = st->st_size;
  ms->mtime = st->st_mtim;
}

static int same_id(const modseq *ms, const struct stat *st)
{
  return ms->have_id && ms->dev == st->st_dev && ms->ino == st->st_ino && ms->size == st->st_size &&
         ms->mtime.tv_sec == st->st_mtim.tv_sec && ms->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

static int load(modseq *ms, const char *dir)
{
  char path[MBOX_PATH_MAX + 32], buf[65536];
  struct stat st;
  reader rs;
  size_t have = 0;
  int fd;
  if (!file_path(dir, MODSEQ_FILE, path, sizeof path)) return 0;
  if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
    if (errno != ENOENT) return 0;
    if (ms->uidvalidity) ms->restarted = "missing";
    clear(ms);   /* lost: start again above what we knew */
    ms->have_id = 0;
    return 1;
  }
  if (fstat(fd, &st) < 0) { close(fd); return 0; }
  if (same_id(ms, &st)) { close(fd); return 1; }
  /* read in pieces of buf, a line at a time (lines are short: a longer
   * one, or more than MODSEQ_FILE_MAX bytes, is a damaged file) */
  parse_begin(ms, &rs);
  if ((size_t)st.st_size > MODSEQ_FILE_MAX) rs.stage = 4;
  while (rs.stage != 4) {
    ssize_t r = read(fd, buf + have, sizeof buf - have);
    size_t pos = 0;
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) { int e = errno; close(fd); clear(ms); ms->have_id = 0; errno = e; return 0; }
    if (r == 0) {
      if (have) rs.stage = 4;   /* no newline at the end */
      break;
    }
    have += (size_t)r;
    for (;;) {
      char *nl = memchr(buf + pos, '\n', have - pos);
      if (!nl) break;
      if (!parse_line(ms, &rs, buf + pos, (size_t)(nl - buf - pos) + 1)) break;
      pos = (size_t)(nl - buf) + 1;
    }
    memmove(buf, buf + pos, have - pos);
    have -= pos;
    if (have == sizeof buf) rs.stage = 4;
  }
  if (!parse_end(ms, &rs)) ms->restarted = "damaged";   /* empty: starts again above its first line */
  note_id(ms, &st);
  close(fd);
  return 1;
}

typedef struct writer {
  int fd;
  char buf[65536];
  size_t n;
} writer;

static int put_fd(void *ctx, const char *s, size_t n)
{
  writer *w = ctx;
  if (w->n + n > sizeof w->buf) {
    if (!write_all(w->fd, w->buf, w->n)) return 0;
    w->n = 0;
  }
  memcpy(w->buf + w->n, s, n);
  w->n += n;
  return 1;
}

/* As atomic_write, writing the text in pieces instead of from one buffer. */
static int save(modseq *ms, const char *dir)
{
  static writer w;
  char path[MBOX_PATH_MAX + 32], tmp[MBOX_PATH_MAX + 64];
  struct stat st;
  int e;
  ms->have_id = 0;
  if (!file_path(dir, MODSEQ_FILE, path, sizeof path)) return 0;
  if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp) {
    errno = ENAMETOOLONG;
    return 0;
  }
  if ((w.fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0) return 0;
  w.n = 0;
  if (!format_lines(ms, put_fd, &w) || !write_all(w.fd, w.buf, w.n) || fsync(w.fd) != 0) goto fail;
  if (close(w.fd) != 0) { w.fd = -1; goto fail; }
  w.fd = -1;
  if (rename(tmp, path) != 0) goto fail;
  if (!fsync_dir_of(path)) return 0;
  if (stat(path, &st) == 0) note_id(ms, &st);
  return 1;
fail:
  e = errno;
  if (w.fd >= 0) close(w.fd);
  unlink(tmp);
  errno = e;
  return 0;
}

int modseq_lock(const char *dir)
{
  char path[MBOX_PATH_MAX + 32];
  int fd;
  if (!file_path(dir, MBOX_LOCK_FILE, path, sizeof path)) return -1;
  fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  while (flock(fd, LOCK_EX) < 0) {
    if (errno != EINTR) { close(fd); return -1; }
  }
  return fd;
}

void modseq_unlock(int fd)
{
  if (fd >= 0) close(fd);
}

int modseq_sync_locked(modseq *ms, const char *dir, uint32_t validity, uint32_t view_next,
                       const ms_view *v, size_t nv)
{
  struct timespec ts;
  uint64_t now;
  int r;
  if (!load(ms, dir)) return 0;
  clock_gettime(CLOCK_REALTIME, &ts);
  now = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
  r = modseq_merge(ms, v, nv, validity, view_next, now);
  if (r < 0) { clear(ms); ms->have_id = 0; return 0; }
  if (r > 0) return save(ms, dir);
  return 1;
}

int modseq_sync(modseq *ms, const char *dir, uint32_t validity, uint32_t view_next, const ms_view *v,
                size_t nv)
{
  int fd = modseq_lock(dir), ok, saved;
  if (fd < 0) return 0;
  ok = modseq_sync_locked(ms, dir, validity, view_next, v, nv);
  saved = errno;
  modseq_unlock(fd);
  errno = saved;
  return ok;
}
