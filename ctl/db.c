#include "db.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic.h"
#include "cdbw.h"
#include "sa.h"

int db_path(const ctl_db *db, char *out, size_t n, const char *rel)
{
  int r = snprintf(out, n, "%s/%s", db->root, rel);
  if (r < 0 || (size_t)r >= n) { errno = ENAMETOOLONG; return 0; }
  return 1;
}

static int load(ctl_db *db, table *t, const char *rel)
{
  char p[PATH_MAX];
  if (!db_path(db, p, sizeof p, rel)) return 0;
  if (table_load(t, p)) return 1;
  db->bad_line = t->bad_line;
  return 0;
}

int db_open(ctl_db *db, const char *root, int lock, const char **what)
{
  char p[PATH_MAX];
  struct stat st;
  memset(db, 0, sizeof *db);
  db->extensions.whole = 1;
  db->lockfd = -1;
  if ((size_t)snprintf(db->root, sizeof db->root, "%s", root) >= sizeof db->root) {
    errno = ENAMETOOLONG;
    *what = "find the instance";
    return 0;
  }
  *what = "open accounts/";
  if (!db_path(db, p, sizeof p, "accounts") || stat(p, &st) != 0) return 0;
  if (!S_ISDIR(st.st_mode)) { errno = ENOTDIR; return 0; }
  db->owner = st.st_uid;
  db->owner_gid = st.st_gid;
  if (geteuid() != 0 && geteuid() != db->owner) {
    *what = "change the instance (run as root or as its owner)";
    errno = EPERM;
    return 0;
  }
  if (lock) {
    *what = "lock accounts/lock";
    if (!db_path(db, p, sizeof p, "accounts/lock")) return 0;
    db->lockfd = open(p, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (db->lockfd < 0) return 0;
    while (flock(db->lockfd, LOCK_EX) != 0) if (errno != EINTR) return 0;
  }
  *what = "read accounts/domains";
  if (!load(db, &db->domains, "accounts/domains")) return 0;
  *what = "read accounts/accounts";
  if (!load(db, &db->accounts, "accounts/accounts")) return 0;
  *what = "read accounts/aliases";
  if (!load(db, &db->aliases, "accounts/aliases")) return 0;
  *what = "read accounts/extensions";
  if (!load(db, &db->extensions, "accounts/extensions")) return 0;
  *what = "read accounts/senders";
  if (!load(db, &db->senders, "accounts/senders")) return 0;
  if (lock) {
    /* only a changing run needs the hashes (and may read them) */
    *what = "read accounts/passwd";
    if (!load(db, &db->passwd, "accounts/passwd")) return 0;
  }
  return 1;
}

void db_close(ctl_db *db)
{
  table_free(&db->domains);
  table_free(&db->accounts);
  table_free(&db->aliases);
  table_free(&db->extensions);
  table_free(&db->passwd);
  table_free(&db->senders);
  if (db->lockfd >= 0) close(db->lockfd);
  db->lockfd = -1;
}

int db_acct_parse(const char *val, db_acct *a)
{
  char home[ACCT_HOME_MAX + 2], flags[16];
  const char *p = val;
  char *end;
  size_t hl;
  const char *sp;
  memset(a, 0, sizeof *a);
  errno = 0;
  if (*p < '0' || *p > '9') goto bad;
  a->uid = strtoul(p, &end, 10);
  if (errno || *end != ' ') goto bad;
  p = end + 1;
  if (*p < '0' || *p > '9') goto bad;
  a->gid = strtoul(p, &end, 10);
  if (errno || *end != ' ') goto bad;
  p = end + 1;
  sp = strchr(p, ' ');
  if (!sp || *p != '/') goto bad;
  hl = (size_t)(sp - p);
  if (hl > ACCT_HOME_MAX) goto bad;
  memcpy(home, p, hl);
  home[hl] = 0;
  p = sp + 1;
  if (strlen(p) >= sizeof a->flags || strchr(p, ' ') || !*p) goto bad;
  if (strcmp(p, "-") != 0) {
    size_t i;
    for (i = 0; p[i]; i++) if (!strchr("dvc", p[i])) goto bad;
    snprintf(flags, sizeof flags, "%s", p);
  } else {
    flags[0] = 0;
  }
  memcpy(a->home, home, hl + 1);
  memcpy(a->flags, flags, strlen(flags) + 1);
  return 1;
bad:
  errno = EINVAL;
  return 0;
}

int db_acct_format(const db_acct *a, char *out, size_t n)
{
  int r = snprintf(out, n, "%lu %lu %s %s", a->uid, a->gid, a->home, a->flags[0] ? a->flags : "-");
  return r > 0 && (size_t)r < n;
}

int db_flag(const db_acct *a, char f) { return strchr(a->flags, f) != 0; }

void db_flag_set(db_acct *a, char f, int on)
{
  static const char order[] = "dvc";
  char out[8];
  size_t i, n = 0;
  for (i = 0; order[i]; i++) {
    int has = order[i] == f ? on : db_flag(a, order[i]);
    if (has) out[n++] = order[i];
  }
  out[n] = 0;
  memcpy(a->flags, out, n + 1);
}

size_t db_count_in_domain(const table *t, const char *domain)
{
  size_t i, c = 0, dl = strlen(domain);
  for (i = 0; i < t->n; i++) {
    const char *k = t->r[i].key, *at = strchr(k, '@');
    size_t rest;
    if (!at) continue;
    rest = strcspn(at + 1, " ");
    if (rest == dl && !memcmp(at + 1, domain, dl)) c++;
  }
  return c;
}

static int write_table(ctl_db *db, const table *t, const char *rel, mode_t mode)
{
  char p[PATH_MAX];
  sa out = SA_ZERO;
  int r;
  if (!db_path(db, p, sizeof p, rel)) return 0;
  if (!table_format(t, &out)) { sa_free(&out); return 0; }
  r = atomic_write(p, out.s ? out.s : "", out.len, mode, geteuid() == 0 ? db->owner : (uid_t)-1, db->owner_gid);
  sa_free(&out);
  return r;
}

static int add_kv(cdbw *w, char type, const char *key, size_t kl, const char *val, size_t vl)
{
  char k[TABLE_LINE_MAX + 2];
  if (kl + 1 > sizeof k) { errno = EINVAL; return 0; }
  k[0] = type;
  memcpy(k + 1, key, kl);
  return cdbw_add(w, k, kl + 1, val, vl);
}

static int compile_accounts(ctl_db *db)
{
  char p[PATH_MAX], v[TABLE_LINE_MAX + 8];
  cdbw w;
  size_t i;
  if (!db_path(db, p, sizeof p, "accounts/accounts.cdb")) return 0;
  if (!cdbw_start(&w, p)) goto fail;
  for (i = 0; i < db->domains.n; i++) {
    const trow *r = &db->domains.r[i];
    const char *f = strstr(r->val, "subdomains") ? "s" : "";
    if (!add_kv(&w, 'D', r->key, strlen(r->key), f, strlen(f))) goto fail;
  }
  for (i = 0; i < db->accounts.n; i++) {
    const trow *r = &db->accounts.r[i];
    db_acct a;
    int n;
    if (!db_acct_parse(r->val, &a)) goto fail;
    n = snprintf(v, sizeof v, "%lu%c%lu%c%s%c%s%c", a.uid, 0, a.gid, 0, a.home, 0, a.flags, 0);
    if (n < 0 || (size_t)n >= sizeof v) { errno = EINVAL; goto fail; }
    if (!add_kv(&w, 'A', r->key, strlen(r->key), v, (size_t)n)) goto fail;
    /* U<uid> -> NAME@DOMAIN, once per account with its own Unix uid: the
     * sender policy of the sendmail wrapper (queue/policy.c). */
    if (!strchr(a.flags, 'v')) {
      char k[24];
      const char *at = strrchr(r->key, '@');
      int kn = snprintf(k, sizeof k, "%lu", a.uid);
      if (at && kn > 0 && !add_kv(&w, 'U', k, (size_t)kn, r->key, strlen(r->key))) goto fail;
    }
  }
  for (i = 0; i < db->extensions.n; i++) {
    const char *k = db->extensions.r[i].key, *sp = strchr(k, ' ');
    size_t kl = strlen(k);
    if (!sp || kl + 1 > sizeof v) { errno = EINVAL; goto fail; }
    memcpy(v, k, kl + 1);
    v[sp - k] = 0;   /* NAME@DOMAIN \0 EXT */
    if (!add_kv(&w, 'X', v, kl, "", 0)) goto fail;
  }
  for (i = 0; i < db->senders.n; i++) {
    /* S ACCOUNT \0 ADDRESS -> "": an extra sender address of the account */
    const trow *r = &db->senders.r[i];
    const char *p = r->val;
    size_t kl = strlen(r->key);
    while (*p) {
      size_t l = strcspn(p, ",");
      if (kl + 1 + l > sizeof v) { errno = EINVAL; goto fail; }
      memcpy(v, r->key, kl);
      v[kl] = 0;
      addr_lower(v + kl + 1, p, l);
      if (!add_kv(&w, 'S', v, kl + 1 + l, "", 0)) goto fail;
      p += l;
      if (*p == ',') p++;
    }
  }
  for (i = 0; i < db->aliases.n; i++) {
    const trow *r = &db->aliases.r[i];
    size_t vl = strlen(r->val), j;
    if (vl + 2 > sizeof v) { errno = EINVAL; goto fail; }
    for (j = 0; j < vl; j++) v[j] = r->val[j] == ',' ? 0 : r->val[j];
    v[vl] = 0;
    if (!add_kv(&w, 'L', r->key, strlen(r->key), v, vl + 1)) goto fail;
  }
  return cdbw_finish(&w, 0644, geteuid() == 0 ? db->owner : (uid_t)-1, db->owner_gid);
fail:
  cdbw_abort(&w);
  return 0;
}

static int compile_passwd(ctl_db *db)
{
  char p[PATH_MAX];
  cdbw w;
  size_t i;
  if (!db_path(db, p, sizeof p, "accounts/passwd.cdb")) return 0;
  if (!cdbw_start(&w, p)) goto fail;
  for (i = 0; i < db->passwd.n; i++) {
    /* "HASH" or "HASH cram:SECRET" (the secret may hold spaces) */
    const trow *r = &db->passwd.r[i];
    size_t hl = strcspn(r->val, " ");
    if (!add_kv(&w, 'P', r->key, strlen(r->key), r->val, hl)) goto fail;
    if (r->val[hl]) {
      const char *c = r->val + hl + 1;
      if (strncmp(c, "cram:", 5) != 0 || !c[5]) { errno = EINVAL; goto fail; }
      if (!add_kv(&w, 'C', r->key, strlen(r->key), c + 5, strlen(c + 5))) goto fail;
    }
  }
  return cdbw_finish(&w, 0600, geteuid() == 0 ? db->owner : (uid_t)-1, db->owner_gid);
fail:
  cdbw_abort(&w);
  return 0;
}

int db_commit(ctl_db *db, const char **what)
{
  *what = "write accounts/domains";
  if (!write_table(db, &db->domains, "accounts/domains", 0644)) return 0;
  *what = "write accounts/accounts";
  if (!write_table(db, &db->accounts, "accounts/accounts", 0644)) return 0;
  *what = "write accounts/aliases";
  if (!write_table(db, &db->aliases, "accounts/aliases", 0644)) return 0;
  *what = "write accounts/extensions";
  if (!write_table(db, &db->extensions, "accounts/extensions", 0644)) return 0;
  *what = "write accounts/senders";
  if (!write_table(db, &db->senders, "accounts/senders", 0644)) return 0;
  *what = "write accounts/passwd";
  if (!write_table(db, &db->passwd, "accounts/passwd", 0600)) return 0;
  *what = "compile accounts/accounts.cdb";
  if (!compile_accounts(db)) return 0;
  *what = "compile accounts/passwd.cdb";
  return compile_passwd(db);
}
