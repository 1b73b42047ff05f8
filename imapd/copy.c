#include "copy.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "atomic.h"
#include "maildir.h"

/* After new files named base[i] were put into dir: open it (which gives
 * them UIDs) and look them up. */
static int learn_uids(const char *dir, char **base, size_t k, uint32_t *uids, uint32_t *validity)
{
  mbox mb;
  size_t i, j, found = 0;
  if (!mbox_open(&mb, dir, 0)) return 0;
  for (i = 0; i < k; i++) uids[i] = 0;
  for (j = mb.n; j-- > 0 && found < k;) {
    for (i = 0; i < k; i++) {
      size_t l = strlen(base[i]);
      if (!uids[i] && strncmp(mb.m[j].name, base[i], l) == 0 &&
          (mb.m[j].name[l] == ',' || mb.m[j].name[l] == ':')) {
        uids[i] = mb.m[j].uid;
        found++;
        break;
      }
    }
  }
  *validity = mb.uidvalidity;
  mbox_close(&mb);
  if (found != k) { errno = ENOENT; return 0; }
  return 1;
}

static void flag_letters(unsigned flags, uint32_t kw, char *out)
{
  int i;
  /* in ASCII order, as Maildir wants */
  if (flags & MF_DRAFT) *out++ = 'D';
  if (flags & MF_FLAGGED) *out++ = 'F';
  if (flags & MF_ANSWERED) *out++ = 'R';
  if (flags & MF_SEEN) *out++ = 'S';
  if (flags & MF_DELETED) *out++ = 'T';
  for (i = 0; i < 26; i++)
    if (kw & ((uint32_t)1 << i)) *out++ = (char)('a' + i);
  *out = 0;
}

int copy_append(const char *dir, const char *data, size_t n, unsigned flags, uint32_t kw, time_t t,
                uint32_t *validity, uint32_t *uid)
{
  maildir_tmp tmp;
  char from[MBOX_PATH_MAX], to[MBOX_PATH_MAX], letters[40], *base;
  size_t i, st;
  struct stat sb;
  if (!maildir_open_tmp(&tmp, dir)) return 0;
  for (i = st = 0; i <= n; i++) {
    if (i < n && !(data[i] == '\r' && i + 1 < n && data[i + 1] == '\n')) continue;
    if (!write_all(tmp.fd, data + st, i - st)) { maildir_abort(&tmp); return 0; }
    st = i + 1;
  }
  if (!maildir_commit(&tmp)) return 0;
  /* new/NAME,S=SIZE to cur/NAME,S=SIZE:2,FLAGS, so the flags are there
   * before any session lists it */
  flag_letters(flags & ~MF_RECENT, kw, letters);
  if (snprintf(from, sizeof from, "%s/new/%s", dir, tmp.newname) >= (int)sizeof from ||
      snprintf(to, sizeof to, "%s/cur/%s:2,%s", dir, tmp.newname, letters) >= (int)sizeof to) {
    errno = ENAMETOOLONG;
    return 0;
  }
  if (rename(from, to) < 0) {
    if (errno != ENOENT) return 0;      /* a session already took it from new/: flags are lost */
  } else if (t) {
    struct timeval tv[2] = { { t, 0 }, { t, 0 } };
    (void)utimes(to, tv);
  }
  if (stat(to, &sb) < 0 && errno != ENOENT) return 0;
  base = tmp.name;
  return learn_uids(dir, &base, 1, uid, validity);
}

/* link() across file systems (a folder that is a link to another disk):
 * the file is copied through dir/tmp/ instead, keeping its date. */
static int copy_file(const char *from, const char *dir, const char *nm, const char *to)
{
  char tmp[MBOX_PATH_MAX], buf[65536];
  struct stat sb;
  int in, out, ok = 0;
  ssize_t r;
  if (snprintf(tmp, sizeof tmp, "%s/tmp/%s", dir, nm) >= (int)sizeof tmp) { errno = ENAMETOOLONG; return 0; }
  if ((in = open(from, O_RDONLY | O_CLOEXEC)) < 0) return 0;
  if (fstat(in, &sb) < 0 || (out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0) {
    close(in);
    return 0;
  }
  while ((r = read(in, buf, sizeof buf)) > 0)
    if (!write_all(out, buf, (size_t)r)) break;
  if (r == 0 && fsync(out) == 0) {
    struct timespec ts[2] = { sb.st_atim, sb.st_mtim };
    (void)futimens(out, ts);
    ok = 1;
  }
  if (close(out) < 0) ok = 0;
  close(in);
  if (ok && rename(tmp, to) == 0) return 1;
  { int e = errno; unlink(tmp); errno = e; }
  return 0;
}

int copy_messages(mbox *src, const size_t *idx, size_t k, const uint32_t *kw, const char *dir,
                  uint32_t *validity,
                  sa *srcuids, sa *dstuids)
{
  char from[MBOX_PATH_MAX], to[MBOX_PATH_MAX], letters[40], nm[MAILDIR_NAME_MAX + 1];
  char **base = calloc(k ? k : 1, sizeof *base), **paths = calloc(k ? k : 1, sizeof *paths);
  uint32_t *uids = calloc(k ? k : 1, sizeof *uids);
  size_t i, made = 0;
  int ok = 0, saved;
  if (!base || !uids || !paths) goto done;
  for (i = 0; i < k; i++) {
    const mbox_msg *m = &src->m[idx[i]];
    uint32_t v, u;
    unsigned f;
    long long sz;
    mbox_parse_name(m->name, &v, &u, &f, &sz);
    if (!maildir_uniq(nm, sizeof nm)) { errno = ENAMETOOLONG; goto undo; }
    flag_letters(m->flags & ~MF_RECENT, kw ? kw[i] : 0, letters);
    if (!mbox_path(src, idx[i], from, sizeof from) ||
        (sz >= 0 ? snprintf(to, sizeof to, "%s/cur/%s,S=%lld:2,%s", dir, nm, sz, letters)
                 : snprintf(to, sizeof to, "%s/cur/%s:2,%s", dir, nm, letters)) >= (int)sizeof to) {
      errno = ENAMETOOLONG;
      goto undo;
    }
    if (link(from, to) < 0 &&
        (errno != ENOENT || !mbox_relocate(src, idx[i]) || !mbox_path(src, idx[i], from, sizeof from) ||
         link(from, to) < 0) &&
        (errno != EXDEV || !copy_file(from, dir, nm, to)))
      goto undo;   /* (ENOENT first: another session renamed it; then it is gone) */
    if (!(paths[i] = strdup(to))) { unlink(to); goto undo; }
    made++;
    if (!(base[i] = strdup(nm))) goto undo;
  }
  if (made && !fsync_dir_of(to)) goto undo;
  if (!learn_uids(dir, base, k, uids, validity)) goto done;
  for (i = 0; i < k; i++) {
    if ((i && (!sa_catc(srcuids, ',') || !sa_catc(dstuids, ','))) ||
        !sa_catu(srcuids, src->m[idx[i]].uid) || !sa_catu(dstuids, uids[i]))
      goto done;
  }
  ok = 1;
  goto done;
undo:
  /* no session has listed the folder yet unless one did so meanwhile */
  saved = errno;
  for (i = 0; i < made; i++) unlink(paths[i]);
  errno = saved;
done:
  for (i = 0; i < k && base; i++) free(base[i]);
  for (i = 0; i < k && paths; i++) free(paths[i]);
  free(base);
  free(paths);
  free(uids);
  return ok;
}
