/* The per-folder cache (cache.h): the record format, pure, then the file
 * of the selected folder: index, look-ups, appends, rewrites. */
#include "cache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic.h"

#define CACHE_MAGIC "yubin-imap-cache"
#define CACHE_WINDOW ((size_t)512 << 10)   /* bytes read at once; > CACHE_RECORD_MAX */
#define CACHE_RECORD_MIN (4 + 4 + 8 + 8 + 8 + 2 + 1 + CACHE_FIELDS * 2 + 4 + 4 + 8)
#define CACHE_STALE_MIN 1000                /* stale records before a rewrite pays */
#define CACHE_LEARNED_MIN 1000              /* new offsets worth saving the listing again */

const char *const cache_field_names[CACHE_FIELDS] = {
  "date", "subject", "from", "sender", "reply-to", "to", "cc", "bcc", "in-reply-to", "message-id",
  "references",
};

/* ---- the format ---------------------------------------------------------- */

static uint64_t rd(const char *p, size_t n)
{
  uint64_t v = 0;
  while (n--) v = (v << 8) | (unsigned char)p[n];
  return v;
}

static void wr(char *p, uint64_t v, size_t n)
{
  size_t i;
  for (i = 0; i < n; i++) { p[i] = (char)(v & 0xff); v >>= 8; }
}

static int put(sa *out, uint64_t v, size_t n)
{
  char b[8];
  wr(b, v, n);
  return sa_catb(out, b, n);
}

uint64_t cache_sum(const char *p, size_t n)
{
  uint64_t h = 0x9e3779b97f4a7c15ULL ^ (uint64_t)n;
  size_t i;
  for (i = 0; i + 8 <= n; i += 8) {
    h = (h ^ rd(p + i, 8)) * 0x100000001b3ULL;
    h ^= h >> 29;
  }
  for (; i < n; i++) h = (h ^ (unsigned char)p[i]) * 0x100000001b3ULL;
  return h ^ (h >> 32);
}

void cache_header(char out[CACHE_HEADER_LEN], uint32_t uidvalidity)
{
  memcpy(out, CACHE_MAGIC, 16);
  wr(out + 16, CACHE_VERSION, 4);
  wr(out + 20, uidvalidity, 4);
  wr(out + 24, cache_sum(out, 24), 8);
}

int cache_header_ok(const char *buf, size_t n, uint32_t uidvalidity)
{
  return n >= CACHE_HEADER_LEN && memcmp(buf, CACHE_MAGIC, 16) == 0 && rd(buf + 16, 4) == CACHE_VERSION &&
         rd(buf + 20, 4) == uidvalidity && rd(buf + 24, 8) == cache_sum(buf, 24);
}

int cache_encode(const cache_entry *e, sa *out)
{
  size_t start = out->len, k;
  if (!e->uid || !e->keylen || e->keylen > CACHE_KEY_MAX || e->bslen > CACHE_STRUCT_MAX ||
      e->bodylen > CACHE_STRUCT_MAX) {
    errno = ERANGE;
    return 0;
  }
  for (k = 0; k < CACHE_FIELDS; k++)
    if (e->field[k] && e->flen[k] > CACHE_FIELD_MAX) { errno = ERANGE; return 0; }
  if (!put(out, 0, 4) || !put(out, e->uid, 4) || !put(out, e->ino, 8) || !put(out, e->size, 8) ||
      !put(out, (uint64_t)e->mtime, 8) || !put(out, e->keylen, 2) || !sa_catb(out, e->key, e->keylen))
    goto fail;
  for (k = 0; k < CACHE_FIELDS; k++) {
    if (!e->field[k]) { if (!put(out, 0xffff, 2)) goto fail; continue; }
    if (!put(out, e->flen[k], 2) || !sa_catb(out, e->field[k], e->flen[k])) goto fail;
  }
  if (!put(out, e->bslen, 4) || !sa_catb(out, e->bs, e->bslen) || !put(out, e->bodylen, 4) ||
      !sa_catb(out, e->body, e->bodylen))
    goto fail;
  wr(out->s + start, out->len - start + 8, 4);
  if (!put(out, cache_sum(out->s + start, out->len - start), 8)) goto fail;
  return 1;
fail:
  out->len = start;
  return 0;
}

/* Is s one parenthesised IMAP list as out_structure() writes it: lists,
 * atoms, numbers, NIL, quoted strings and literals, single spaces?  The
 * cached answers are sent as they are, so they must not be able to break
 * the protocol's framing even if the file was forged. */
int cache_struct_ok(const char *s, size_t n)
{
  size_t i = 0, depth = 0;
  if (!n || s[0] != '(') return 0;
  while (i < n) {
    char c = s[i];
    if (c == '(') { if (++depth > 64) return 0; i++; continue; }
    if (c == ')') { if (!depth--) return 0; i++; if (!depth) return i == n; continue; }
    if (c == ' ') { if (i + 1 >= n || s[i + 1] == ' ' || s[i + 1] == ')') return 0; i++; continue; }
    if (c == '"') {
      for (i++; i < n && s[i] != '"'; i++) {
        if (s[i] == '\\') i++;
        else if (s[i] == '\r' || s[i] == '\n' || s[i] == 0) return 0;
      }
      if (i >= n) return 0;
      i++;
      continue;
    }
    if (c == '{') {
      size_t len = 0, d = 0;
      for (i++; i < n && s[i] >= '0' && s[i] <= '9' && d < 6; i++, d++) len = len * 10 + (size_t)(s[i] - '0');
      if (!d || i + 3 > n || s[i] != '}' || s[i + 1] != '\r' || s[i + 2] != '\n' || n - (i + 3) < len) return 0;
      i += 3 + len;
      continue;
    }
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.') {
      while (i < n && ((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
                       (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '.'))
        i++;
      continue;
    }
    return 0;
  }
  return 0;
}

/* verify 0: the structure only (a record whose checksum was checked before) */
static long decode(const char *buf, size_t n, cache_entry *e, int verify)
{
  size_t len, p = 4, end, k, l;
  if (n < 4) return 0;
  len = (size_t)rd(buf, 4);
  if (len < CACHE_RECORD_MIN || len > CACHE_RECORD_MAX) return -1;
  if (n < len) return 0;
  end = len - 8;
  if (verify && cache_sum(buf, end) != rd(buf + end, 8)) return -1;
  memset(e, 0, sizeof *e);
  e->uid = (uint32_t)rd(buf + p, 4);
  e->ino = rd(buf + p + 4, 8);
  e->size = rd(buf + p + 12, 8);
  e->mtime = (int64_t)rd(buf + p + 20, 8);
  p += 28;
  l = (size_t)rd(buf + p, 2);
  p += 2;
  if (!e->uid || !l || l > CACHE_KEY_MAX || l > end - p) return -1;
  e->key = buf + p;
  e->keylen = l;
  p += l;
  for (k = 0; k < CACHE_FIELDS; k++) {
    if (end - p < 2) return -1;
    l = (size_t)rd(buf + p, 2);
    p += 2;
    if (l == 0xffff) continue;
    if (l > CACHE_FIELD_MAX || l > end - p) return -1;
    e->field[k] = buf + p;
    e->flen[k] = l;
    p += l;
  }
  if (end - p < 4) return -1;
  l = (size_t)rd(buf + p, 4);
  p += 4;
  if (l > CACHE_STRUCT_MAX || l > end - p) return -1;
  e->bs = buf + p;
  e->bslen = l;
  p += l;
  if (end - p < 4) return -1;
  l = (size_t)rd(buf + p, 4);
  p += 4;
  if (l > CACHE_STRUCT_MAX || l != end - p) return -1;
  e->body = buf + p;
  e->bodylen = l;
  return (long)len;
}

long cache_decode(const char *buf, size_t n, cache_entry *e) { return decode(buf, n, e, 1); }

size_t cache_key_len(const char *name)
{
  const char *c = strchr(name, ':');
  return c ? (size_t)(c - name) : strlen(name);
}

/* ---- the selected folder's file --------------------------------------------- */

typedef struct cache {
  int fd;               /* -1: no cache for this session */
  uint64_t file_ino;    /* of the file fd is */
  uint64_t scanned;     /* bytes indexed */
  size_t live, stale;   /* records matching a message, and not */
  size_t learned;       /* offsets found or made since the listing was saved */
  int rewrite;          /* a bad record or too many stale: rewrite at the next index */
  char *win;            /* CACHE_WINDOW bytes of the file from woff */
  uint64_t woff;
  size_t wlen;
  sa rec;
} cache;

static int cache_path(const mbox *mb, char *out, size_t n, const char *suffix)
{
  int r = snprintf(out, n, "%s/%s%s", mb->dir, CACHE_FILE, suffix);
  return r > 0 && (size_t)r < n;
}

static void drop_offsets(mbox *mb)
{
  size_t i;
  for (i = 0; i < mb->n; i++) mb->m[i].cache_off = mb->m[i].cache_ok = 0;
}

static int open_file(mbox *mb, cache *c)
{
  char path[MBOX_PATH_MAX], h[CACHE_HEADER_LEN];
  struct stat st;
  if (c->fd >= 0) close(c->fd);
  c->fd = -1;
  c->wlen = 0;
  c->scanned = CACHE_HEADER_LEN;
  c->live = c->stale = 0;
  if (!cache_path(mb, path, sizeof path, "")) return 0;
  c->fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (c->fd < 0 && (errno == ENOENT || errno == ELOOP)) {   /* none, or a symbolic link: a new file */
    cache_header(h, mb->uidvalidity);
    if (!atomic_write(path, h, sizeof h, 0600, (uid_t)-1, (gid_t)-1)) return 0;
    c->fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  }
  if (c->fd < 0) return 0;
  if (fstat(c->fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > CACHE_FILE_MAX ||
      pread(c->fd, h, sizeof h, 0) != (ssize_t)sizeof h || !cache_header_ok(h, sizeof h, mb->uidvalidity)) {
    /* foreign, corrupt or too big: start again */
    close(c->fd);
    c->fd = -1;
    cache_header(h, mb->uidvalidity);
    if (!atomic_write(path, h, sizeof h, 0600, (uid_t)-1, (gid_t)-1)) return 0;
    c->fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (c->fd < 0 || fstat(c->fd, &st) < 0) return 0;
  }
  c->file_ino = (uint64_t)st.st_ino;
  return 1;
}

/* The record at off into *e (and its bytes into *raw); 1, or 0. */
static int read_at(cache *c, uint64_t off, cache_entry *e, const char **raw, size_t *rawlen, int verify)
{
  long r = -1;
  if (off >= c->woff && off < c->woff + c->wlen)
    r = decode(c->win + (off - c->woff), c->wlen - (size_t)(off - c->woff), e, verify);
  if (r == 0 || r < 0) {
    /* read a window around it: most look-ups go forward, some backward */
    uint64_t start = off;
    ssize_t got;
    if (off < c->woff && off > CACHE_WINDOW - CACHE_RECORD_MAX) start = off - (CACHE_WINDOW - CACHE_RECORD_MAX);
    if (off < c->woff && off <= CACHE_WINDOW - CACHE_RECORD_MAX) start = 0;
    got = pread(c->fd, c->win, CACHE_WINDOW, (off_t)start);
    c->wlen = got > 0 ? (size_t)got : 0;
    c->woff = start;
    if (off - start >= c->wlen) return 0;
    r = decode(c->win + (off - start), c->wlen - (size_t)(off - start), e, verify);
  }
  if (r <= 0) return 0;
  *raw = c->win + (off - c->woff);
  *rawlen = (size_t)r;
  return 1;
}

/* A record is message i's when UID and inode agree: the UID is in the name
 * and never reused, and a file replaced under the same name has another
 * inode.  (The name is not compared: that would touch every name.) */
static int matches(const mbox *mb, size_t i, const cache_entry *e)
{
  return e->uid == mb->m[i].uid && e->ino == mb->m[i].ino;
}

/* Writes a new file with the records of the messages listed, and uses it. */
static int rewrite(mbox *mb, cache *c)
{
  char path[MBOX_PATH_MAX], tmp[MBOX_PATH_MAX], h[CACHE_HEADER_LEN];
  uint32_t *noff = 0;
  sa out = SA_ZERO;
  uint64_t total = CACHE_HEADER_LEN;
  size_t i, live = 0;
  int fd = -1, ok = 0;
  cache_entry e;
  const char *raw;
  size_t rawlen;
  char suffix[32];
  snprintf(suffix, sizeof suffix, ".%ld.tmp", (long)getpid());
  if (!cache_path(mb, path, sizeof path, "") || !cache_path(mb, tmp, sizeof tmp, suffix)) return 0;
  if (mb->n && !(noff = calloc(mb->n, sizeof *noff))) return 0;
  unlink(tmp);
  if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0) goto done;
  cache_header(h, mb->uidvalidity);
  if (!sa_catb(&out, h, sizeof h)) goto done;
  for (i = 0; i < mb->n; i++) {
    if (!mb->m[i].cache_off) continue;
    if (!read_at(c, mb->m[i].cache_off, &e, &raw, &rawlen, 1) || !matches(mb, i, &e)) continue;
    if (total + rawlen > CACHE_FILE_MAX / 2) break;
    if (!sa_catb(&out, raw, rawlen)) goto done;
    noff[i] = (uint32_t)total;
    total += rawlen;
    live++;
    if (out.len >= CACHE_WINDOW) {
      if (write(fd, out.s, out.len) != (ssize_t)out.len) goto done;
      out.len = 0;
    }
  }
  if (out.len && write(fd, out.s, out.len) != (ssize_t)out.len) goto done;
  if (close(fd) < 0) { fd = -1; goto done; }
  fd = -1;
  if (rename(tmp, path) < 0) goto done;
  for (i = 0; i < mb->n; i++) {
    mb->m[i].cache_off = noff[i];
    mb->m[i].cache_ok = noff[i] ? CACHE_OK_SUM : 0;
  }
  if (!open_file(mb, c)) goto done;
  c->scanned = total;
  c->live = live;
  ok = 1;
done:
  if (fd >= 0) close(fd);
  if (!ok) unlink(tmp);
  free(noff);
  sa_free(&out);
  return ok;
}

static void give_up(mbox *mb, cache *c)
{
  if (c->fd >= 0) close(c->fd);
  c->fd = -1;
  drop_offsets(mb);
}

void cache_index(mbox *mb)
{
  cache *c = mb->cache;
  char path[MBOX_PATH_MAX];
  struct stat st;
  if (!c) {
    if (!(c = calloc(1, sizeof *c))) return;
    c->fd = -1;
    c->rec.cap = CACHE_RECORD_MAX;
    if (!(c->win = malloc(CACHE_WINDOW))) { free(c); return; }
    mb->cache = c;
    if (!open_file(mb, c)) { give_up(mb, c); return; }
    if (fstat(c->fd, &st) == 0 && mb->list_cache_ino == (uint64_t)st.st_ino &&
        mb->list_cache_scanned >= CACHE_HEADER_LEN && mb->list_cache_scanned <= (uint64_t)st.st_size) {
      /* the saved listing's offsets are into this file: read only what came after */
      c->scanned = mb->list_cache_scanned;
    } else {
      drop_offsets(mb);
    }
  } else if (c->fd < 0) {
    return;   /* given up for this session */
  } else if (!cache_path(mb, path, sizeof path, "") || stat(path, &st) < 0 ||
             (uint64_t)st.st_ino != c->file_ino) {
    /* rewritten or removed by another session: start from its new file */
    drop_offsets(mb);
    if (!open_file(mb, c)) { give_up(mb, c); return; }
  }
  if (fstat(c->fd, &st) < 0) { give_up(mb, c); return; }
  while (!c->rewrite && c->scanned < (uint64_t)st.st_size) {
    cache_entry e;
    const char *raw;
    size_t rawlen;
    long i;
    if (!read_at(c, c->scanned, &e, &raw, &rawlen, 1)) { c->rewrite = 1; break; }
    i = mbox_find_uid(mb, e.uid);
    if (i >= 0 && matches(mb, (size_t)i, &e)) {
      if (mb->m[i].cache_off != c->scanned) {
        if (mb->m[i].cache_off) c->stale++; else { c->live++; c->learned++; }
        mb->m[i].cache_off = (uint32_t)c->scanned;
      }
      mb->m[i].cache_ok |= CACHE_OK_SUM;
    } else {
      c->stale++;
    }
    c->scanned += rawlen;
  }
  if (c->stale >= CACHE_STALE_MIN && c->stale > c->live) c->rewrite = 1;
  if (c->rewrite) {
    c->rewrite = 0;
    if (!rewrite(mb, c)) { give_up(mb, c); return; }
    c->learned = mb->n;
  }
  /* many offsets the saved listing lacks: the next session need not scan */
  if (c->learned >= CACHE_LEARNED_MIN) {
    (void)mbox_save_listing(mb, c->file_ino, c->scanned);
    c->learned = 0;
  }
}

int cache_get_answers(mbox *mb, size_t i, cache_entry *e)
{
  if (!cache_get(mb, i, e)) return 0;
  if (mb->m[i].cache_ok & CACHE_OK_LISTS) return 1;
  if (!cache_struct_ok(e->bs, e->bslen) || !cache_struct_ok(e->body, e->bodylen)) {
    mb->m[i].cache_off = mb->m[i].cache_ok = 0;
    return 0;
  }
  mb->m[i].cache_ok |= CACHE_OK_LISTS;
  return 1;
}

int cache_get(mbox *mb, size_t i, cache_entry *e)
{
  cache *c = mb->cache;
  const char *raw;
  size_t rawlen;
  if (!c) { cache_index(mb); c = mb->cache; }
  if (!c || c->fd < 0 || !mb->m[i].cache_off) return 0;
  /* each record's checksum is checked once a session (records are only
   * appended, never changed in place) */
  if (read_at(c, mb->m[i].cache_off, e, &raw, &rawlen, !(mb->m[i].cache_ok & CACHE_OK_SUM)) && matches(mb, i, e)) {
    mb->m[i].cache_ok |= CACHE_OK_SUM;
    return 1;
  }
  mb->m[i].cache_off = mb->m[i].cache_ok = 0;
  c->stale++;
  return 0;
}

void cache_put(mbox *mb, size_t i, cache_entry *e)
{
  cache *c = mb->cache;
  off_t end;
  if (!c) { cache_index(mb); c = mb->cache; }
  if (!c || c->fd < 0) return;
  e->uid = mb->m[i].uid;
  e->ino = mb->m[i].ino;
  e->key = mb->m[i].name;
  e->keylen = cache_key_len(mb->m[i].name);
  c->rec.len = 0;
  if (!cache_encode(e, &c->rec)) return;
  if ((end = lseek(c->fd, 0, SEEK_END)) < 0 || (uint64_t)end + c->rec.len > CACHE_FILE_MAX) return;
  if (write(c->fd, c->rec.s, c->rec.len) != (ssize_t)c->rec.len) {
    give_up(mb, c);    /* a torn record: the next session rewrites the file */
    return;
  }
  /* with O_APPEND the offset is just past our record, whoever else appends */
  if ((end = lseek(c->fd, 0, SEEK_CUR)) < 0) return;
  mb->m[i].cache_off = (uint32_t)((uint64_t)end - c->rec.len);
  mb->m[i].cache_ok = CACHE_OK_SUM;
  c->learned++;
}

void cache_close(mbox *mb)
{
  cache *c = mb->cache;
  if (!c) return;
  if (c->fd >= 0) close(c->fd);
  free(c->win);
  sa_free(&c->rec);
  free(c);
  mb->cache = 0;
}
