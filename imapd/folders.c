#include "folders.h"

#include <dirent.h>
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
#include "cache.h"
#include "keywords.h"
#include "log.h"
#include "maildir.h"
#include "mailbox.h"
#include "sa.h"

#define SUBSCRIPTIONS_MAX ((size_t)1 << 20)   /* bytes of MAILDIR/subscriptions read */

/* ---- the list of folders ---------------------------------------------- */

void folder_list_free(folder_list *l)
{
  size_t i;
  for (i = 0; i < l->n; i++) free(l->e[i].name);
  free(l->e);
  memset(l, 0, sizeof *l);
}

static int add(folder_list *l, const char *name, size_t n, int exists, int subscribed)
{
  folder_entry *x;
  if (!n || n > FOLDER_NAME_MAX) return 1;    /* not a name we show */
  if (l->n >= FOLDERS_MAX) return 1;          /* the rest is not listed */
  if (l->n == l->cap) {
    size_t nc = l->cap ? l->cap * 2 : 32;
    folder_entry *g = realloc(l->e, nc * sizeof *g);
    if (!g) return 0;
    l->e = g;
    l->cap = nc;
  }
  x = &l->e[l->n];
  memset(x, 0, sizeof *x);
  if (n == 5 && !strncasecmp(name, "INBOX", 5)) name = "INBOX";
  if (!(x->name = strndup(name, n))) return 0;
  x->exists = exists != 0;
  x->subscribed = subscribed != 0;
  l->n++;
  return 1;
}

/* Byte order, but INBOX first. */
static int cmp_name(const char *a, const char *b, size_t bn)
{
  int ai = !strcmp(a, "INBOX"), bi = bn == 5 && !strncmp(b, "INBOX", 5), c;
  if (ai || bi) return bi - ai;
  c = strncmp(a, b, bn);
  return c ? c : a[bn] != 0;
}

static int cmp_entry(const void *a, const void *b)
{
  const char *y = ((const folder_entry *)b)->name;
  return cmp_name(((const folder_entry *)a)->name, y, strlen(y));
}

static long find(const folder_list *l, const char *name, size_t n)
{
  size_t lo = 0, hi = l->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = cmp_name(l->e[mid].name, name, n);
    if (c > 0) hi = mid;
    else if (c < 0) lo = mid + 1;
    else return (long)mid;
  }
  return -1;
}

static void sort_merge(folder_list *l)
{
  size_t i, o = 0;
  if (!l->n) return;
  qsort(l->e, l->n, sizeof l->e[0], cmp_entry);
  for (i = 1; i < l->n; i++) {
    if (!strcmp(l->e[o].name, l->e[i].name)) {
      l->e[o].exists |= l->e[i].exists;
      l->e[o].subscribed |= l->e[i].subscribed;
      free(l->e[i].name);
    } else {
      l->e[++o] = l->e[i];
    }
  }
  l->n = o + 1;
}

int folder_list_build(folder_list *l, const char *maildir)
{
  char path[MBOX_PATH_MAX + 300];
  DIR *d;
  struct dirent *e;
  FILE *f;
  size_t i, n0, total = 0;
  memset(l, 0, sizeof *l);
  if (!add(l, "INBOX", 5, 1, 1)) goto fail;
  if (!(d = opendir(maildir))) goto fail;
  while ((e = readdir(d))) {
    const char *n = e->d_name;
    if (n[0] != '.' || !n[1] || n[1] == '.') continue;
    if (e->d_type != DT_DIR) {          /* a file such as ".customflags" is no folder */
      struct stat st;
      snprintf(path, sizeof path, "%s/%s", maildir, n);
      if (e->d_type != DT_UNKNOWN || stat(path, &st) < 0 || !S_ISDIR(st.st_mode)) continue;
    }
    if (!add(l, n + 1, strlen(n + 1), 1, 0)) { closedir(d); goto fail; }
  }
  closedir(d);
  snprintf(path, sizeof path, "%s/subscriptions", maildir);
  if ((f = fopen(path, "r"))) {
    char line[FOLDER_NAME_MAX + 2];
    while (total < SUBSCRIPTIONS_MAX && fgets(line, sizeof line, f)) {
      size_t len = strlen(line);
      total += len;
      if (!len || line[len - 1] != '\n') {      /* too long: skip the rest of it */
        int c;
        while ((c = getc(f)) != EOF && c != '\n') total++;
        continue;
      }
      line[--len] = 0;
      if (!add(l, line, len, 0, 1)) { fclose(f); goto fail; }
    }
    fclose(f);
  }
  /* every level above a name is a name too (a parent that may not exist) */
  n0 = l->n;
  for (i = 0; i < n0; i++) {
    const char *nm = l->e[i].name, *p;
    for (p = strchr(nm, '.'); p; p = strchr(p + 1, '.'))
      if (!add(l, nm, (size_t)(p - nm), 0, 0)) goto fail;
  }
  sort_merge(l);
  for (i = 0; i < l->n; i++) {
    const char *nm = l->e[i].name, *p;
    if (!l->e[i].exists && !l->e[i].subscribed) continue;
    for (p = strchr(nm, '.'); p; p = strchr(p + 1, '.')) {
      long k = find(l, nm, (size_t)(p - nm));
      if (k < 0) continue;
      if (l->e[i].exists) l->e[k].children = 1;
      if (l->e[i].subscribed) l->e[k].subchildren = 1;
    }
  }
  return 1;
fail:
  {
    int saved = errno;
    folder_list_free(l);
    errno = saved;
  }
  return 0;
}

/* '*' matches anything, '%' anything but the delimiter.  Row by row over
 * the pattern (d[j]: the pattern so far matches the first j octets of the
 * name), so the work is at most pattern length times name length. */
static int wild(const char *p, size_t pn, const char *s, size_t sn)
{
  unsigned char d[FOLDER_NAME_MAX + 2];
  size_t i, j;
  int alive;
  if (sn > FOLDER_NAME_MAX) return 0;
  memset(d, 0, sn + 1);
  d[0] = 1;
  for (i = 0; i < pn; i++) {
    if (p[i] == '*' || p[i] == '%') {
      int on = 0;
      for (j = 0; j <= sn; j++) {
        if (p[i] == '%' && j && s[j - 1] == '.') on = 0;
        on |= d[j];
        d[j] = (unsigned char)on;
      }
    } else {
      for (j = sn; j > 0; j--) d[j] = d[j - 1] && s[j - 1] == p[i];
      d[0] = 0;
    }
    for (alive = 0, j = 0; j <= sn && !alive; j++) alive = d[j];
    if (!alive) return 0;
  }
  return d[sn];
}

int folder_match(const char *pat, size_t pn, const char *name, size_t nn)
{
  if (wild(pat, pn, name, nn)) return 1;
  /* INBOX in any case: "inbox", "Inbox.%" ... */
  if (nn >= 5 && !strncmp(name, "INBOX", 5) && (nn == 5 || name[5] == '.') && pn >= 5 &&
      !strncasecmp(pat, "INBOX", 5))
    return wild(pat + 5, pn - 5, name + 5, nn - 5);
  return 0;
}

int folder_list_match(folder_list *l, const char *ref, size_t rl, const folder_pattern *pats, size_t np)
{
  sa full = SA_ZERO;
  size_t i, k;
  for (i = 0; i < l->n; i++) l->e[i].matched = l->e[i].childinfo = 0;
  for (k = 0; k < np; k++) {
    if (!sa_copyb(&full, ref, rl) || !sa_catb(&full, pats[k].s, pats[k].len)) {
      sa_free(&full);
      errno = ENAMETOOLONG;
      return 0;
    }
    for (i = 0; i < l->n; i++)
      if (!l->e[i].matched) l->e[i].matched = folder_match(full.s ? full.s : "", full.len, l->e[i].name, strlen(l->e[i].name)) != 0;
  }
  sa_free(&full);
  for (i = 0; i < l->n; i++) {
    const char *nm = l->e[i].name, *p;
    if (!l->e[i].subscribed || l->e[i].matched) continue;
    for (p = strchr(nm, '.'); p; p = strchr(p + 1, '.')) {
      long a = find(l, nm, (size_t)(p - nm));
      if (a >= 0) l->e[a].childinfo = 1;
    }
  }
  return 1;
}

/* ---- special use -------------------------------------------------------- */

static const char *const known_uses[] = { "\\All", "\\Archive", "\\Drafts", "\\Flagged",
                                          "\\Junk", "\\Sent", "\\Trash", 0 };

const char *folder_special_use_known(const char *a, size_t n)
{
  size_t i;
  for (i = 0; known_uses[i]; i++)
    if (strlen(known_uses[i]) == n && !strncasecmp(known_uses[i], a, n)) return known_uses[i];
  return 0;
}

int folder_special_use(const char *maildir, const char *name, char *out, size_t n)
{
  static const struct { const char *name, *attr; } su[] = {
    { "Sent", "\\Sent" }, { "Drafts", "\\Drafts" }, { "Trash", "\\Trash" },
    { "Junk", "\\Junk" }, { "Archive", "\\Archive" },
  };
  char path[MBOX_PATH_MAX + 300], buf[32];
  size_t i;
  int fd;
  ssize_t r;
  if (!n) return 0;
  if (strcmp(name, "INBOX") && snprintf(path, sizeof path, "%s/.%s/%s", maildir, name, FOLDER_SPECIALUSE_FILE) <
                                   (int)sizeof path &&
      (fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
    r = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (r > 0) {
      const char *k;
      buf[r] = 0;
      buf[strcspn(buf, "\r\n")] = 0;
      if ((k = folder_special_use_known(buf, strlen(buf)))) {
        snprintf(out, n, "%s", k);
        return 1;
      }
    }
  }
  for (i = 0; i < sizeof su / sizeof su[0]; i++)
    if (!strcmp(name, su[i].name)) {
      snprintf(out, n, "%s", su[i].attr);
      return 1;
    }
  return 0;
}

int folder_special_use_set(const char *dir, const char *attr)
{
  char path[MBOX_PATH_MAX + 64], buf[32];
  int n = snprintf(buf, sizeof buf, "%s\n", attr);
  if (n < 0 || (size_t)n >= sizeof buf || snprintf(path, sizeof path, "%s/%s", dir, FOLDER_SPECIALUSE_FILE) >=
                                               (int)sizeof path) {
    errno = ENAMETOOLONG;
    return 0;
  }
  return atomic_write(path, buf, (size_t)n, 0600, (uid_t)-1, (gid_t)-1);
}

/* ---- STATUS ------------------------------------------------------------- */

static int read_state(const char *dir, uint32_t *validity, uint32_t *next)
{
  char path[MBOX_PATH_MAX + 32], buf[128], tail;
  unsigned long v, n;
  FILE *f;
  int ok;
  snprintf(path, sizeof path, "%s/%s", dir, MBOX_STATE_FILE);
  if (!(f = fopen(path, "r"))) return 0;
  ok = fgets(buf, sizeof buf, f) && sscanf(buf, "yubin-imap-uid 1 %lu %lu%c", &v, &n, &tail) == 3 &&
       tail == '\n' && v > 0 && v <= 0xffffffffUL && n > 0 && n <= 0xffffffffUL;
  fclose(f);
  if (!ok) return 0;
  *validity = (uint32_t)v;
  *next = (uint32_t)n;
  return 1;
}

static int count(const char *dir, const char *sub, folder_status *st)
{
  char path[MBOX_PATH_MAX + 8];
  DIR *d;
  struct dirent *e;
  snprintf(path, sizeof path, "%s/%s", dir, sub);
  if (!(d = opendir(path))) return 0;
  while ((e = readdir(d))) {
    uint32_t v, u;
    unsigned f;
    long long sz;
    if (e->d_name[0] == '.') continue;
    if (st->messages >= MBOX_MESSAGES_MAX) break;
    st->messages++;
    if (sub[0] == 'n') {                   /* new/: unseen, and it gets a UID */
      st->unseen++;
      st->recent++;
      continue;
    }
    mbox_parse_name(e->d_name, &v, &u, &f, &sz);
    if (!(f & MF_SEEN)) st->unseen++;
    if (v != st->uidvalidity || !u) st->recent++;
  }
  closedir(d);
  return 1;
}

int folder_status_get(const char *dir, folder_status *st)
{
  memset(st, 0, sizeof *st);
  if (!read_state(dir, &st->uidvalidity, &st->uidnext)) {
    mbox mb;
    if (!mbox_open(&mb, dir, 0)) return 0;   /* rebuilds the state file */
    mbox_close(&mb);
    if (!read_state(dir, &st->uidvalidity, &st->uidnext)) { errno = EIO; return 0; }
  }
  if (!count(dir, "cur", st) || !count(dir, "new", st)) return 0;
  /* the next UID once the messages without one got theirs */
  if (st->recent > 0xffffffffUL - st->uidnext) st->uidnext = 0xffffffffUL;
  else st->uidnext += (uint32_t)st->recent;
  return 1;
}

/* ---- RENAME -------------------------------------------------------------- */

/* Rewrites the subscriptions: names from and from.* become to and to.*. */
static int rename_subscriptions(const char *maildir, const char *from, const char *to)
{
  char path[MBOX_PATH_MAX + 32], line[FOLDER_NAME_MAX + 2];
  size_t fl = strlen(from);
  sa out = SA_ZERO;
  FILE *f;
  int changed = 0, ok;
  snprintf(path, sizeof path, "%s/subscriptions", maildir);
  if (!(f = fopen(path, "r"))) return errno == ENOENT;
  while (fgets(line, sizeof line, f)) {
    size_t len = strlen(line);
    if (!len || line[len - 1] != '\n') break;   /* a damaged file: keep what we read */
    line[--len] = 0;
    if (!strncmp(line, from, fl) && (!line[fl] || line[fl] == '.')) {
      if (!sa_cats(&out, to) || !sa_cats(&out, line + fl)) goto oom;
      changed = 1;
    } else if (!sa_cats(&out, line)) {
      goto oom;
    }
    if (!sa_catc(&out, '\n')) goto oom;
  }
  fclose(f);
  ok = !changed || atomic_write(path, out.s ? out.s : "", out.len, 0600, (uid_t)-1, (gid_t)-1);
  sa_free(&out);
  return ok;
oom:
  fclose(f);
  sa_free(&out);
  return 0;
}

int folder_rename(const char *maildir, const char *from, const char *to)
{
  char **names = 0, src[MBOX_PATH_MAX], dst[MBOX_PATH_MAX];
  size_t fl = strlen(from), tl = strlen(to), n = 0, cap = 0, i, done = 0;
  struct stat st;
  DIR *d;
  struct dirent *e;
  int ok = 0, saved;
  if (tl > fl && !strncmp(to, from, fl) && to[fl] == '.') { errno = EINVAL; return 0; }
  if (snprintf(src, sizeof src, "%s/.%s", maildir, from) >= (int)sizeof src) { errno = ENAMETOOLONG; return 0; }
  if (stat(src, &st) < 0) return 0;
  if (!(d = opendir(maildir))) return 0;
  while ((e = readdir(d))) {
    const char *nm = e->d_name;
    if (nm[0] != '.' || strncmp(nm + 1, from, fl) || (nm[1 + fl] && nm[1 + fl] != '.')) continue;
    if (n == cap) {
      char **g = realloc(names, (cap = cap ? cap * 2 : 8) * sizeof *g);
      if (!g) goto done;
      names = g;
    }
    if (!(names[n] = strdup(nm + 1 + fl))) goto done;   /* the part after from: "" or ".child" */
    n++;
  }
  closedir(d);
  d = 0;
  for (i = 0; i < n; i++) {
    if (tl + strlen(names[i]) > FOLDER_NAME_MAX) { errno = ENAMETOOLONG; goto done; }
    if (snprintf(dst, sizeof dst, "%s/.%s%s", maildir, to, names[i]) >= (int)sizeof dst) {
      errno = ENAMETOOLONG;
      goto done;
    }
    if (lstat(dst, &st) == 0) { errno = EEXIST; goto done; }
  }
  for (i = 0; i < n; i++) {
    snprintf(src, sizeof src, "%s/.%s%s", maildir, from, names[i]);
    snprintf(dst, sizeof dst, "%s/.%s%s", maildir, to, names[i]);
    /* the folders keep their UIDVALIDITY and UIDs: they travel in their files */
    if (rename(src, dst) < 0) goto undo;
    done++;
  }
  if (!fsync_dir(maildir)) goto undo;
  /* the folders moved: a failure here leaves only the old subscriptions */
  if (!rename_subscriptions(maildir, from, to)) warn_sys("unable to rename the subscriptions of %s", from);
  ok = 1;
  goto done;
undo:
  saved = errno;
  while (done--) {
    snprintf(src, sizeof src, "%s/.%s%s", maildir, from, names[done]);
    snprintf(dst, sizeof dst, "%s/.%s%s", maildir, to, names[done]);
    (void)rename(dst, src);
  }
  errno = saved;
done:
  saved = errno;
  if (d) closedir(d);
  for (i = 0; i < n; i++) free(names[i]);
  free(names);
  errno = saved;
  return ok;
}

static int copy_small_file(const char *from, const char *to)
{
  char buf[KW_FILE_MAX];
  ssize_t r;
  int fd = open(from, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT;
  r = read(fd, buf, sizeof buf);
  close(fd);
  if (r < 0) return 0;
  return atomic_write(to, buf, (size_t)r, 0600, (uid_t)-1, (gid_t)-1);
}

static int move_all(const char *maildir, const char *to, const char *sub)
{
  char src[MBOX_PATH_MAX + 300], dst[MBOX_PATH_MAX + 300];
  DIR *d;
  struct dirent *e;
  snprintf(src, sizeof src, "%s/%s", maildir, sub);
  if (!(d = opendir(src))) return 0;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    snprintf(src, sizeof src, "%s/%s/%s", maildir, sub, e->d_name);
    snprintf(dst, sizeof dst, "%s/.%s/%s/%s", maildir, to, sub, e->d_name);
    if (rename(src, dst) < 0 && errno != ENOENT) { int s = errno; closedir(d); errno = s; return 0; }
  }
  closedir(d);
  snprintf(dst, sizeof dst, "%s/.%s/%s", maildir, to, sub);
  snprintf(src, sizeof src, "%s/%s", maildir, sub);
  return fsync_dir(dst) && fsync_dir(src);
}

int folder_rename_inbox(const char *maildir, const char *to)
{
  char dir[MBOX_PATH_MAX], a[MBOX_PATH_MAX + 32], b[MBOX_PATH_MAX + 32];
  int lockfd, ok = 0, saved, fd;
  mbox mb;
  if (snprintf(dir, sizeof dir, "%s/.%s", maildir, to) >= (int)sizeof dir) { errno = ENAMETOOLONG; return 0; }
  if (mkdir(dir, 0700) < 0) return 0;   /* EEXIST: the name is taken */
  /* new mail gets its INBOX UIDs first, so INBOX's UIDNEXT passes them */
  if (!mbox_open(&mb, maildir, 0)) return 0;
  mbox_close(&mb);
  if (!maildir_make(dir)) return 0;
  snprintf(a, sizeof a, "%s/maildirfolder", dir);
  if ((fd = open(a, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) >= 0) close(fd);
  snprintf(a, sizeof a, "%s/%s", maildir, MBOX_LOCK_FILE);
  if ((lockfd = open(a, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) return 0;
  if (flock(lockfd, LOCK_EX) < 0) goto done;
  /* UIDVALIDITY and UIDNEXT first, so the moved messages keep their UIDs */
  snprintf(a, sizeof a, "%s/%s", maildir, MBOX_STATE_FILE);
  snprintf(b, sizeof b, "%s/%s", dir, MBOX_STATE_FILE);
  if (!copy_small_file(a, b)) goto done;
  snprintf(a, sizeof a, "%s/%s", maildir, KW_FILE);
  snprintf(b, sizeof b, "%s/%s", dir, KW_FILE);
  if (!copy_small_file(a, b)) goto done;
  if (!move_all(maildir, to, "cur") || !move_all(maildir, to, "new")) goto done;
  /* the cache goes with the messages (its records are theirs: same UIDs,
   * same files); INBOX starts a new one */
  snprintf(a, sizeof a, "%s/%s", maildir, CACHE_FILE);
  snprintf(b, sizeof b, "%s/%s", dir, CACHE_FILE);
  if (rename(a, b) < 0 && errno != ENOENT) goto done;
  ok = 1;
done:
  saved = errno;
  close(lockfd);
  errno = saved;
  return ok;
}
