/* yubinctl forward set|clear|show, and yubinctl rebuild */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "atomic.h"
#include "cmd.h"
#include "control.h"
#include "log.h"
#include "names.h"
#include "out.h"
#include "privs.h"

#define FORWARDS_DEFAULT 10
#define FORWARDS_LIMIT 1000
#define DOTFILE_MAX 65536

typedef struct fwd_target {
  char account[ADDR_MAX + 1];      /* NAME@DOMAIN */
  char ext[ACCT_EXT_MAX + 1];      /* "" for the account's .yubin */
  db_acct acct;
  char file[PATH_MAX];             /* HOME/.yubin or HOME/.yubin-EXT */
} fwd_target;

static int account_row(ctl_db *db, const char *name, size_t nl, const char *dom, fwd_target *f)
{
  trow *r;
  if (nl == 0 || nl > ACCT_NAME_MAX) return 0;
  snprintf(f->account, sizeof f->account, "%.*s@%s", (int)nl, name, dom);
  r = table_get(&db->accounts, f->account);
  if (!r) return 0;
  if (!db_acct_parse(r->val, &f->acct)) ctl_fail(CTL_TEMP, "accounts/accounts: malformed line for %s", f->account);
  return 1;
}

/* ADDRESS as acct@dom, acct-ext@dom or ext@acct.dom (subdomain domains), as
 * lib/accounts.c resolves it, but from the tables just loaded under the lock. */
static void resolve(ctl_db *db, const char *in, fwd_target *f)
{
  char local[ADDR_LOCAL_MAX + 1], dom[ADDR_DOMAIN_MAX + 1], full[ADDR_MAX + 1];
  const char *at = strrchr(in, '@'), *why = 0;
  size_t ll, dl, i;
  memset(f, 0, sizeof *f);
  if (!at) ctl_fail(CTL_USAGE, "invalid address %s: needs an '@'", in);
  ll = (size_t)(at - in);
  dl = strlen(at + 1);
  if (ll == 0 || ll > ADDR_LOCAL_MAX || dl == 0 || dl > 253) ctl_fail(CTL_USAGE, "invalid address %s: bad length", in);
  addr_lower(local, in, ll);
  addr_lower(dom, at + 1, dl);
  if (!name_domain_ok(dom, &why)) ctl_fail(CTL_USAGE, "invalid address %s: %s", in, why);
  snprintf(full, sizeof full, "%s@%s", local, dom);
  if (table_get(&db->domains, dom)) {
    if (table_get(&db->aliases, full)) ctl_fail(CTL_USAGE, "%s is an alias (use yubinctl alias)", full);
    for (i = ll + 1; i-- > 0;) {
      if (i != ll && local[i] != '-') continue;
      if (account_row(db, local, i, dom, f)) {
        if (i < ll) snprintf(f->ext, sizeof f->ext, "%s", local + i + 1);
        break;
      }
    }
    if (!f->account[0] || !table_get(&db->accounts, f->account)) ctl_fail(CTL_USAGE, "no account for %s", full);
  } else {
    const char *dot = strchr(dom, '.');
    trow *d = dot ? table_get(&db->domains, dot + 1) : 0;
    if (!d || !strstr(d->val, "subdomains")) ctl_fail(CTL_USAGE, "%s is not in a hosted domain", full);
    if (!account_row(db, dom, (size_t)(dot - dom), dot + 1, f)) ctl_fail(CTL_USAGE, "no account for %s", full);
    snprintf(f->ext, sizeof f->ext, "%s", local);
  }
  if (f->ext[0] && !name_ext_ok(f->ext, &why)) ctl_fail(CTL_USAGE, "invalid extension in %s: %s", full, why);
  if (!f->ext[0] && strchr(local, '-') && strcmp(f->account, full) != 0)
    ctl_fail(CTL_USAGE, "invalid address %s: empty extension", full);
  if ((size_t)snprintf(f->file, sizeof f->file, "%s/.yubin%s%s", f->acct.home, f->ext[0] ? "-" : "", f->ext) >= sizeof f->file)
    ctl_fail(CTL_USAGE, "path of the control file too long");
}

/* Writes (data) or removes (data NULL) the account's control file as the
 * account: when yubinctl runs as root, a child drops to the account's uid
 * first, so a symbolic link the account placed anywhere in its home's path
 * cannot make root write or remove a file elsewhere.  1, or 0 with errno. */
static int dotfile_as_account(const fwd_target *f, const char *data, size_t n)
{
  pid_t pid;
  int st, e;
  if (geteuid() != 0) {
    if (data) return atomic_write(f->file, data, n, 0600, (uid_t)-1, (gid_t)-1);
    if (unlink(f->file) != 0 && errno != ENOENT) return 0;
    return fsync_dir_of(f->file);
  }
  if ((pid = fork()) < 0) return 0;
  if (pid == 0) {
    if (!privs_drop((uid_t)f->acct.uid, (gid_t)f->acct.gid)) _exit(errno ? errno : EPERM);
    umask(077);
    if (data) {
      if (!atomic_write(f->file, data, n, 0600, (uid_t)-1, (gid_t)-1)) _exit(errno ? errno : EIO);
    } else {
      if (unlink(f->file) != 0 && errno != ENOENT) _exit(errno ? errno : EIO);
      if (!fsync_dir_of(f->file)) _exit(errno ? errno : EIO);
    }
    _exit(0);
  }
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) return 0;
  e = WIFEXITED(st) ? WEXITSTATUS(st) : EIO;
  if (e) { errno = e; return 0; }
  return 1;
}

static void ext_key(const fwd_target *f, char *key, size_t n)
{
  snprintf(key, n, "%s %s", f->account, f->ext);
}

static int set(const char *root, int argc, char **argv)
{
  char t[ADDR_MAX + 1], self[ADDR_MAX + 1], key[TABLE_LINE_MAX];
  unsigned long max = control_ulong_or("maxforwards", FORWARDS_DEFAULT, 0, FORWARDS_LIMIT);
  const char *address = 0;
  int keep = 0, i, ntargets = 0;
  sa body = SA_ZERO;
  fwd_target f;
  ctl_db db;

  for (i = 0; i < argc; i++) if (!strcmp(argv[i], "--keep-copy")) keep = 1;
  for (i = 0; i < argc; i++) {
    if (!strcmp(argv[i], "--keep-copy")) continue;
    if (argv[i][0] == '-' && argv[i][1]) ctl_fail(CTL_USAGE, "unknown option %s", argv[i]);
    if (!address) { address = argv[i]; continue; }
    ntargets++;
  }
  if (!address || ntargets == 0) ctl_fail(CTL_USAGE, "usage: yubinctl forward set ADDRESS [--keep-copy] TARGET...");
  if ((unsigned long)ntargets > max)
    ctl_fail(CTL_USAGE, "too many forwarding targets: %d (control/maxforwards allows %lu)", ntargets, max);
  cmd_open(&db, root, 1);
  resolve(&db, address, &f);
  {
    /* the address itself, lower-cased (resolve checked its length) */
    size_t l = strlen(address);
    addr_lower(self, address, l < ADDR_MAX ? l : ADDR_MAX);
  }
  if (keep && !sa_cats(&body, "./Maildir/\n")) ctl_fail_sys(CTL_TEMP, "out of memory");
  for (i = 0; i < argc; i++) {
    const char *why = 0;
    if (!strcmp(argv[i], "--keep-copy") || argv[i] == address) continue;
    if (!name_target_ok(argv[i], t, &why)) ctl_fail(CTL_USAGE, "invalid target %s: %s", argv[i], why);
    if (!strcasecmp(t, self)) ctl_fail(CTL_USAGE, "an address may not forward to itself: %s", t);
    if (!sa_catc(&body, '&') || !sa_cats(&body, t) || !sa_catc(&body, '\n')) ctl_fail_sys(CTL_TEMP, "out of memory");
  }
  if (!dotfile_as_account(&f, body.s ? body.s : "", body.len))
    ctl_fail_sys(CTL_TEMP, "unable to write %s", f.file);
  sa_free(&body);
  if (f.ext[0]) {
    ext_key(&f, key, sizeof key);
    if (!table_set(&db.extensions, key, "")) ctl_fail_sys(CTL_TEMP, "unable to record the extension");
  }
  cmd_commit(&db);
  log_info("forward set address=%s targets=%d keep_copy=%s", self, ntargets, keep ? "yes" : "no");
  db_close(&db);
  out_done();
  return 0;
}

static int clear(const char *root, int argc, char **argv)
{
  char key[TABLE_LINE_MAX];
  fwd_target f;
  ctl_db db;
  if (argc != 1) ctl_fail(CTL_USAGE, "usage: yubinctl forward clear ADDRESS");
  cmd_open(&db, root, 1);
  resolve(&db, argv[0], &f);
  if (!dotfile_as_account(&f, 0, 0)) ctl_fail_sys(CTL_TEMP, "unable to remove %s", f.file);
  if (f.ext[0]) {
    ext_key(&f, key, sizeof key);
    table_del(&db.extensions, key);
  }
  cmd_commit(&db);
  log_info("forward clear account=%s ext=%s", f.account, f.ext[0] ? f.ext : "-");
  db_close(&db);
  out_done();
  return 0;
}

static int show(const char *root, int argc, char **argv)
{
  char buf[DOTFILE_MAX + 1];
  size_t n = 0;
  int fd, keep = 0, first = 1;
  fwd_target f;
  ctl_db db;
  const char *p;
  if (argc != 1) ctl_fail(CTL_USAGE, "usage: yubinctl forward show ADDRESS");
  cmd_open(&db, root, 0);
  resolve(&db, argv[0], &f);
  fd = open(f.file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0 && errno != ENOENT) ctl_fail_sys(CTL_TEMP, "unable to read %s", f.file);
  if (fd >= 0) {
    for (;;) {
      ssize_t r = read(fd, buf + n, DOTFILE_MAX - n);
      if (r < 0) { if (errno == EINTR) continue; ctl_fail_sys(CTL_TEMP, "unable to read %s", f.file); }
      if (r == 0) break;
      n += (size_t)r;
      if (n == DOTFILE_MAX) ctl_fail(CTL_TEMP, "%s is larger than %d bytes", f.file, DOTFILE_MAX);
    }
    close(fd);
  }
  buf[n] = 0;
  for (p = buf; *p; p += strcspn(p, "\n"), p += *p == '\n') {
    size_t l = strcspn(p, "\n");
    if (l == 10 && !strncmp(p, "./Maildir/", 10)) keep = 1;
  }
  if (out_json) {
    fputs("{\"address\": ", stdout);
    json_str(argv[0]);
    fputs(", \"account\": ", stdout);
    json_str(f.account);
    fputs(", \"extension\": ", stdout);
    json_str(f.ext);
    fputs(", \"file\": ", stdout);
    json_str(f.file);
    printf(", \"exists\": %s, \"keep_copy\": %s, \"targets\": [", fd >= 0 ? "true" : "false", keep ? "true" : "false");
  }
  for (p = buf; *p;) {
    char line[ADDR_MAX + 2];
    size_t l = strcspn(p, "\n");
    const char *s = p;
    p += l;
    if (*p == '\n') p++;
    if (l && *s == '&') { s++; l--; }
    if (l == 0 || l > ADDR_MAX || *s == '#' || *s == '.' || *s == '/' || *s == '|') continue;
    memcpy(line, s, l);
    line[l] = 0;
    if (out_json) { if (!first) fputs(", ", stdout); json_str(line); }
    else printf("%s\n", line);
    first = 0;
  }
  if (out_json) puts("]}");
  else if (keep) puts("./Maildir/");
  db_close(&db);
  return 0;
}

int cmd_forward(const char *root, int argc, char **argv)
{
  if (argc >= 1 && !strcmp(argv[0], "set")) return set(root, argc - 1, argv + 1);
  if (argc >= 1 && !strcmp(argv[0], "clear")) return clear(root, argc - 1, argv + 1);
  if (argc >= 1 && !strcmp(argv[0], "show")) return show(root, argc - 1, argv + 1);
  ctl_fail(CTL_USAGE, "usage: yubinctl forward set|clear|show ...");
}

int cmd_rebuild(const char *root, int argc, char **argv)
{
  table fresh = TABLE_ZERO;
  size_t i, found = 0;
  ctl_db db;
  (void)argv;
  if (argc) ctl_fail(CTL_USAGE, "usage: yubinctl rebuild");
  fresh.whole = 1;
  cmd_open(&db, root, 1);
  for (i = 0; i < db.accounts.n; i++) {
    const trow *r = &db.accounts.r[i];
    db_acct a;
    DIR *d;
    struct dirent *de;
    if (!db_acct_parse(r->val, &a)) ctl_fail(CTL_TEMP, "accounts/accounts: malformed line for %s", r->key);
    d = opendir(a.home);
    if (!d) {
      if (errno == ENOENT) { log_warn("%s: home %s is missing", r->key, a.home); continue; }
      ctl_fail_sys(CTL_TEMP, "unable to read %s", a.home);
    }
    while ((de = readdir(d))) {
      char key[TABLE_LINE_MAX], p[PATH_MAX];
      struct stat st;
      const char *ext = de->d_name + 7;
      if (strncmp(de->d_name, ".yubin-", 7) != 0 || strstr(ext, ".tmp.")) continue;
      if (!name_ext_ok(ext, 0)) continue;
      if ((size_t)snprintf(p, sizeof p, "%s/%s", a.home, de->d_name) >= sizeof p) continue;
      if (lstat(p, &st) != 0 || !S_ISREG(st.st_mode)) continue;
      snprintf(key, sizeof key, "%s %s", r->key, ext);
      if (!table_set(&fresh, key, "")) ctl_fail_sys(CTL_TEMP, "out of memory");
      found++;
    }
    closedir(d);
  }
  table_free(&db.extensions);
  db.extensions = fresh;
  cmd_commit(&db);
  log_info("rebuild accounts=%zu extensions=%zu", db.accounts.n, found);
  db_close(&db);
  out_done();
  return 0;
}
