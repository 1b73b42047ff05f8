#include "accounts.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "instance.h"

int accounts_open(accounts_db *db, const char *path)
{
  char p[INSTANCE_PATH_MAX];
  memset(db, 0, sizeof *db);
  db->fd = -1;
  if (!path) {
    if (!instance_path(p, sizeof p, "accounts/accounts.cdb")) return -1;
    path = p;
  }
  db->fd = open(path, O_RDONLY | O_CLOEXEC);
  if (db->fd < 0) return errno == ENOENT ? 0 : -1;
  if (cdb_init(&db->cdb, db->fd) != 0) {
    int e = errno;
    close(db->fd);
    db->fd = -1;
    errno = e ? e : EINVAL;
    return -1;
  }
  db->open = 1;
  return 1;
}

void accounts_close(accounts_db *db)
{
  if (db->open) cdb_free(&db->cdb);
  if (db->fd >= 0) close(db->fd);
  db->fd = -1;
  db->open = 0;
}

/* Looks up type+key; copies the value (NUL-terminated) into val if given.
 * 1 found, 0 not, -1 error (ERANGE: value too big). */
static int lookup(accounts_db *db, char type, const char *key, size_t klen, char *val, size_t vmax, size_t *vlen)
{
  char k[1 + ADDR_MAX + 1 + ACCT_EXT_MAX + 2];
  unsigned vl;
  int r;
  if (!db->open) return 0;
  if (klen + 1 > sizeof k) return 0;
  k[0] = type;
  memcpy(k + 1, key, klen);
  r = cdb_find(&db->cdb, k, (unsigned)(klen + 1));
  if (r <= 0) return r < 0 ? -1 : 0;
  vl = cdb_datalen(&db->cdb);
  if (vlen) *vlen = vl;
  if (val) {
    if (vl + 1 > vmax) { errno = ERANGE; return -1; }
    if (cdb_read(&db->cdb, val, vl, cdb_datapos(&db->cdb)) != 0) return -1;
    val[vl] = 0;
  }
  return 1;
}

int accounts_domain(accounts_db *db, const char *domain, unsigned *flags)
{
  char d[ADDR_DOMAIN_MAX + 1], v[64];
  size_t n = strlen(domain), vl;
  int r;
  if (n == 0 || n > ADDR_DOMAIN_MAX) return 0;
  addr_lower(d, domain, n);
  r = lookup(db, 'D', d, n, v, sizeof v, &vl);
  if (r != 1) return r;
  if (flags) *flags = strchr(v, 's') ? ACCT_DOM_SUBDOMAINS : 0;
  return 1;
}

int accounts_is_local_domain(accounts_db *db, const char *domain)
{
  unsigned f = 0;
  const char *dot;
  if (accounts_domain(db, domain, &f) == 1) return 1;
  dot = strchr(domain, '.');
  if (dot && accounts_domain(db, dot + 1, &f) == 1 && (f & ACCT_DOM_SUBDOMAINS)) return 1;
  return 0;
}

/* Parses an A record value "uid\0gid\0home\0flags\0" into e. */
static int parse_account(const char *v, size_t vl, acct_entry *e)
{
  const char *f[4];
  size_t i, nf = 0, start = 0;
  char *end;
  unsigned long u;
  for (i = 0; i < vl && nf < 4; i++) {
    if (v[i] == 0) { f[nf++] = v + start; start = i + 1; }
  }
  if (nf != 4) { errno = EINVAL; return -1; }
  errno = 0;
  u = strtoul(f[0], &end, 10);
  if (errno || *end || !*f[0]) { errno = EINVAL; return -1; }
  e->uid = (uid_t)u;
  u = strtoul(f[1], &end, 10);
  if (errno || *end || !*f[1]) { errno = EINVAL; return -1; }
  e->gid = (gid_t)u;
  if (f[2][0] != '/' || strlen(f[2]) > ACCT_HOME_MAX) { errno = EINVAL; return -1; }
  strcpy(e->home, f[2]);
  e->disabled = strchr(f[3], 'd') != 0;
  e->virtual_user = strchr(f[3], 'v') != 0;
  e->cram = strchr(f[3], 'c') != 0;
  return 1;
}

static int find_account(accounts_db *db, const char *acct, size_t alen, const char *domain, acct_entry *e)
{
  char key[ADDR_MAX + 2], v[ACCT_HOME_MAX + 128];
  size_t dl = strlen(domain), vl;
  int r;
  if (alen == 0 || alen > ACCT_NAME_MAX || alen + 1 + dl >= sizeof key) return 0;
  memcpy(key, acct, alen);
  key[alen] = '@';
  memcpy(key + alen + 1, domain, dl);
  r = lookup(db, 'A', key, alen + 1 + dl, v, sizeof v, &vl);
  if (r != 1) return r;
  if (parse_account(v, vl, e) < 0) return -1;
  memcpy(e->account, acct, alen);
  e->account[alen] = 0;
  return 1;
}

static int ext_exists(accounts_db *db, const acct_entry *e, const char *ext)
{
  char key[ADDR_MAX + ACCT_EXT_MAX + 4];
  int n = snprintf(key, sizeof key, "%s@%s", e->account, e->domain);
  size_t el = strlen(ext);
  if (n < 0 || (size_t)n + 1 + el >= sizeof key) return 0;
  key[n] = 0;
  memcpy(key + n + 1, ext, el);
  return lookup(db, 'X', key, (size_t)n + 1 + el, 0, 0, 0) == 1;
}

/* The dot-file cascade as the database knows it: for "a-b": a-b, a-default, default. */
static int ext_known(accounts_db *db, const acct_entry *e, const char *ext)
{
  char buf[ACCT_EXT_MAX + 16];
  size_t n = strlen(ext);
  if (n == 0) return 1;
  if (ext_exists(db, e, ext)) return 1;
  while (n > 0) {
    while (n > 0 && ext[n - 1] != '-') n--;
    if (n == 0) break;
    /* ext[0..n) ends in '-' */
    if (n + 7 >= sizeof buf) return 0;
    memcpy(buf, ext, n);
    strcpy(buf + n, "default");
    if (ext_exists(db, e, buf)) return 1;
    n--;
  }
  return ext_exists(db, e, "default");
}

int accounts_resolve(accounts_db *db, const char *local, const char *domain, acct_entry *e)
{
  char l[ADDR_LOCAL_MAX + 1], d[ADDR_DOMAIN_MAX + 1], key[ADDR_MAX + 2];
  size_t ll = strlen(local), dl = strlen(domain), i;
  unsigned flags = 0;
  int r;
  memset(e, 0, sizeof *e);
  e->kind = ACCT_NONE;
  if (ll == 0 || ll > ADDR_LOCAL_MAX || dl == 0 || dl > ADDR_DOMAIN_MAX) return 1;
  addr_lower(l, local, ll);
  addr_lower(d, domain, dl);

  r = accounts_domain(db, d, &flags);
  if (r < 0) return -1;
  if (r == 1) {
    strcpy(e->domain, d);
    /* 1. an alias */
    snprintf(key, sizeof key, "%s@%s", l, d);
    r = lookup(db, 'L', key, strlen(key), 0, 0, 0);
    if (r < 0) return -1;
    if (r == 1) {
      e->kind = ACCT_ALIAS;
      strcpy(e->account, l);
      e->ext_known = 1;
      return 1;
    }
    /* 2. the account itself, then the longest account prefix at a '-' */
    for (i = ll + 1; i-- > 0;) {
      if (i != ll && l[i] != '-') continue;
      r = find_account(db, l, i, d, e);
      if (r < 0) return -1;
      if (r == 1) {
        const char *ext = i < ll ? l + i + 1 : "";
        if (strlen(ext) > ACCT_EXT_MAX) { e->kind = ACCT_NONE; return 1; }
        strcpy(e->ext, ext);
        e->kind = ACCT_ACCOUNT;
        e->ext_known = ext_known(db, e, e->ext);
        return 1;
      }
    }
    return 1;
  }
  /* 3. ext@acct.domain for domains with per-account subdomains */
  {
    const char *dot = strchr(d, '.');
    if (!dot) return 1;
    r = accounts_domain(db, dot + 1, &flags);
    if (r < 0) return -1;
    if (r == 0 || !(flags & ACCT_DOM_SUBDOMAINS)) return 1;
    strcpy(e->domain, dot + 1);
    r = find_account(db, d, (size_t)(dot - d), e->domain, e);
    if (r < 0) return -1;
    if (r == 0) { e->kind = ACCT_NONE; return 1; }
    if (ll > ACCT_EXT_MAX) { e->kind = ACCT_NONE; return 1; }
    strcpy(e->ext, l);
    e->kind = ACCT_ACCOUNT;
    e->via_subdomain = 1;
    /* Every local part of a subdomain reaches the account: a missing
     * .yubin-EXT falls back to the account's default delivery. */
    e->ext_known = 1;
    return 1;
  }
}

int accounts_alias_targets(accounts_db *db, const acct_entry *e, char *out, size_t n, size_t *count)
{
  char key[ADDR_MAX + 2];
  size_t vl, i;
  int r;
  *count = 0;
  snprintf(key, sizeof key, "%s@%s", e->account, e->domain);
  r = lookup(db, 'L', key, strlen(key), out, n, &vl);
  if (r != 1) return r;
  for (i = 0; i < vl; i++) if (out[i] == 0) (*count)++;
  return *count ? 1 : 0;
}

int accounts_rcpt_ok(accounts_db *db, const char *local, const char *domain)
{
  acct_entry e;
  if (accounts_resolve(db, local, domain, &e) < 0) return -1;
  if (e.kind == ACCT_ALIAS) return 1;
  return e.kind == ACCT_ACCOUNT && e.ext_known;
}

/* U records hold NAME@DOMAIN (older databases: DOMAIN alone). */
static int uid_walk(accounts_db *db, unsigned long uid, int domain_only,
                    int (*fn)(const char *s, void *arg), void *arg)
{
  char key[32], v[ADDR_MAX + 1];
  struct cdb_find f;
  int n = snprintf(key, sizeof key, "U%lu", uid), r;
  if (!db->open) return 0;
  if (cdb_findinit(&f, &db->cdb, key, (unsigned)n) < 0) return -1;
  while ((r = cdb_findnext(&f)) > 0) {
    unsigned vl = cdb_datalen(&db->cdb);
    const char *at;
    int got;
    if (vl == 0 || vl > ADDR_MAX) continue;
    if (cdb_read(&db->cdb, v, vl, cdb_datapos(&db->cdb)) != 0) return -1;
    v[vl] = 0;
    at = strrchr(v, '@');
    if (!domain_only && !at) continue;
    if ((got = fn(domain_only && at ? at + 1 : v, arg)) != 0) return got;
  }
  return r < 0 ? -1 : 0;
}

int accounts_uid_domains(accounts_db *db, unsigned long uid, int (*fn)(const char *domain, void *arg), void *arg)
{
  return uid_walk(db, uid, 1, fn, arg);
}

int accounts_uid_accounts(accounts_db *db, unsigned long uid, int (*fn)(const char *address, void *arg), void *arg)
{
  return uid_walk(db, uid, 0, fn, arg);
}

int accounts_sender_listed(accounts_db *db, const char *account, const char *sender)
{
  char key[2 * ADDR_MAX + 2];
  size_t al = strlen(account), sl = strlen(sender);
  if (al == 0 || al > ADDR_MAX || sl == 0 || sl > ADDR_MAX) return 0;
  addr_lower(key, account, al);
  addr_lower(key + al + 1, sender, sl);
  key[al] = 0;
  return lookup(db, 'S', key, al + 1 + sl, 0, 0, 0);
}
