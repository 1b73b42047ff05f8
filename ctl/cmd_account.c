/* yubinctl account add|del|list|passwd|disable|enable */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "fsx.h"
#include "log.h"
#include "names.h"
#include "out.h"
#include "privs.h"
#include "pwhash.h"

#define PASSWORD_MAX 1024

typedef struct acct_arg {
  char name[ACCT_NAME_MAX + 1];
  char domain[ADDR_DOMAIN_MAX + 1];
  char address[ADDR_MAX + 1];
} acct_arg;

static void address_arg(const char *in, acct_arg *a)
{
  const char *why = 0;
  if (!name_split(in, a->name, a->domain, &why)) ctl_fail(CTL_USAGE, "invalid account address %s: %s", in, why);
  snprintf(a->address, sizeof a->address, "%s@%s", a->name, a->domain);
}

/* The first line of stdin, without its line end.  Fails on an empty or
 * over-long password, or one holding a NUL or other control character. */
static void read_password(char out[PASSWORD_MAX + 1])
{
  size_t n = 0;
  for (;;) {
    char c;
    ssize_t r = read(0, &c, 1);
    if (r < 0) { if (errno == EINTR) continue; ctl_fail_sys(CTL_TEMP, "unable to read the password"); }
    if (r == 0 || c == '\n') break;
    if (n >= PASSWORD_MAX) ctl_fail(CTL_USAGE, "password longer than %d bytes", PASSWORD_MAX);
    out[n++] = c;
  }
  if (n && out[n - 1] == '\r') n--;
  out[n] = 0;
  if (n == 0) ctl_fail(CTL_USAGE, "empty password (give it as the first line of stdin)");
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f) ctl_fail(CTL_USAGE, "password holds a control character");
}

/* The passwd line's value for the password on stdin: the argon2id string,
 * and with cram " cram:PASSWORD" (the CRAM-MD5 secret must be recoverable). */
static void password_value(char *out, size_t n, int cram)
{
  char pw[PASSWORD_MAX + 1], hash[PWHASH_STR_MAX];
  read_password(pw);
  if (sodium_init() < 0) ctl_fail(CTL_TEMP, "unable to initialise libsodium");
  if (!pwhash_make(hash, pw, strlen(pw))) {
    sodium_memzero(pw, sizeof pw);
    ctl_fail(CTL_TEMP, "unable to hash the password: out of memory");
  }
  if ((size_t)snprintf(out, n, "%s%s%s", hash, cram ? " cram:" : "", cram ? pw : "") >= n) {
    sodium_memzero(pw, sizeof pw);
    ctl_fail(CTL_USAGE, "password too long");
  }
  sodium_memzero(pw, sizeof pw);
  sodium_memzero(hash, sizeof hash);
}

static void get_account(ctl_db *db, const acct_arg *a, db_acct *acct)
{
  trow *r = table_get(&db->accounts, a->address);
  if (!r) ctl_fail(CTL_USAGE, "no account %s", a->address);
  if (!db_acct_parse(r->val, acct)) ctl_fail(CTL_TEMP, "accounts/accounts: malformed line for %s", a->address);
}

static void put_account(ctl_db *db, const acct_arg *a, const db_acct *acct)
{
  char line[TABLE_LINE_MAX];
  if (!db_acct_format(acct, line, sizeof line) || !table_set(&db->accounts, a->address, line))
    ctl_fail_sys(CTL_TEMP, "unable to record %s", a->address);
}

/* The home and its Maildir, owned by the account.  An existing home (kept
 * with del --keep-mail) is taken over; every step goes through descriptors
 * opened without following symlinks, as the account may own what is there. */
static void make_home(ctl_db *db, const acct_arg *a, const db_acct *acct)
{
  static const char *const sub[] = { "cur", "new", "tmp" };
  char p[PATH_MAX];
  uid_t admin = geteuid() == 0 ? db->owner : FSX_NOCHOWN;
  uid_t u = geteuid() == 0 ? (uid_t)acct->uid : FSX_NOCHOWN;
  gid_t g = (gid_t)acct->gid;
  int dom, home, md, fd;
  size_t i;
  if (!db_path(db, p, sizeof p, "mail") || !fsx_dir(p, 0755, admin, db->owner_gid))
    ctl_fail_sys(CTL_TEMP, "unable to create %s", p);
  if (snprintf(p, sizeof p, "%s/mail/%s", db->root, a->domain) >= (int)sizeof p || !fsx_dir(p, 0755, admin, db->owner_gid))
    ctl_fail_sys(CTL_TEMP, "unable to create %s", p);
  dom = open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dom < 0) ctl_fail_sys(CTL_TEMP, "unable to open %s", p);
  home = fsx_dir_at(dom, a->name, 0700, u, g);
  if (home < 0) ctl_fail_sys(CTL_TEMP, "unable to create %s", acct->home);
  md = fsx_dir_at(home, "Maildir", 0700, u, g);
  if (md < 0) ctl_fail_sys(CTL_TEMP, "unable to create %s/Maildir", acct->home);
  for (i = 0; i < sizeof sub / sizeof sub[0]; i++) {
    fd = fsx_dir_at(md, sub[i], 0700, u, g);
    if (fd < 0) ctl_fail_sys(CTL_TEMP, "unable to create %s/Maildir/%s", acct->home, sub[i]);
    close(fd);
  }
  close(md);
  close(home);
  close(dom);
}

static int add(const char *root, int argc, char **argv)
{
  char hash[TABLE_LINE_MAX];
  const char *addr = 0, *user = 0;
  int virt = 0, cram = 0, i;
  acct_arg a;
  db_acct acct;
  ctl_db db;

  for (i = 0; i < argc; i++) {
    if (!strcmp(argv[i], "--virtual")) virt = 1;
    else if (!strcmp(argv[i], "--cram")) cram = 1;
    else if (!strcmp(argv[i], "--uid") && i + 1 < argc) user = argv[++i];
    else if (argv[i][0] == '-' || addr) ctl_fail(CTL_USAGE, "usage: yubinctl account add ADDRESS [--uid USER|--virtual] [--cram]");
    else addr = argv[i];
  }
  if (!addr || (virt && user)) ctl_fail(CTL_USAGE, "usage: yubinctl account add ADDRESS [--uid USER|--virtual] [--cram]");
  address_arg(addr, &a);
  memset(&acct, 0, sizeof acct);
  if (user) {
    struct passwd *pw = getpwnam(user);
    if (!pw) ctl_fail(CTL_USAGE, "no Unix user %s", user);
    if (pw->pw_uid == 0) ctl_fail(CTL_USAGE, "an account may not run as root");
    if (geteuid() != 0 && pw->pw_uid != geteuid())
      ctl_fail(CTL_USAGE, "only root may give an account another Unix user");
    acct.uid = pw->pw_uid;
    acct.gid = pw->pw_gid;
  }
  password_value(hash, sizeof hash, cram);   /* before the lock: it takes a while */

  cmd_open(&db, root, 1);
  if (!table_get(&db.domains, a.domain)) ctl_fail(CTL_USAGE, "no domain %s (add it first)", a.domain);
  if (table_get(&db.accounts, a.address)) ctl_fail(CTL_USAGE, "account %s already exists", a.address);
  if (table_get(&db.aliases, a.address)) ctl_fail(CTL_USAGE, "%s is an alias", a.address);
  if (!user) {
    if (db.owner == 0) {
      uid_t u;
      gid_t g;
      struct passwd *pw = getpwnam(YUBIN_USER_VIRTUAL);
      if (!pw) ctl_fail(CTL_TEMP, "no Unix user %s (run yubin-setup as root)", YUBIN_USER_VIRTUAL);
      u = pw->pw_uid;
      g = pw->pw_gid;
      acct.uid = u;
      acct.gid = g;
    } else {
      acct.uid = db.owner;
      acct.gid = db.owner_gid;
    }
    db_flag_set(&acct, 'v', 1);
  }
  db_flag_set(&acct, 'c', cram);
  if (snprintf(acct.home, sizeof acct.home, "%s/mail/%s/%s", db.root, a.domain, a.name) >= (int)sizeof acct.home)
    ctl_fail(CTL_USAGE, "home directory path too long");
  make_home(&db, &a, &acct);
  put_account(&db, &a, &acct);
  if (!table_set(&db.passwd, a.address, hash)) ctl_fail_sys(CTL_TEMP, "unable to record the password");
  sodium_memzero(hash, sizeof hash);
  cmd_commit(&db);
  log_info("account add address=%s uid=%lu virtual=%s", a.address, acct.uid, db_flag(&acct, 'v') ? "yes" : "no");
  db_close(&db);
  out_done();
  return 0;
}

static void drop_exts(table *t, const char *address)
{
  size_t i = 0, l = strlen(address);
  while (i < t->n) {
    if (!strncmp(t->r[i].key, address, l) && t->r[i].key[l] == ' ') {
      char key[TABLE_LINE_MAX + 1];
      snprintf(key, sizeof key, "%s", t->r[i].key);
      table_del(t, key);
    } else {
      i++;
    }
  }
}

/* Takes address out of every alias's target list; an alias left without
 * targets goes.  Returns the number of aliases changed. */
static size_t drop_from_aliases(table *t, const char *address)
{
  size_t i = 0, changed = 0, l = strlen(address);
  while (i < t->n) {
    char line[TABLE_LINE_MAX + 1], key[TABLE_LINE_MAX + 1];
    const char *v = t->r[i].val;
    size_t len = 0;
    int hit = 0;
    while (*v) {
      const char *e = strchr(v, ',');
      size_t n = e ? (size_t)(e - v) : strlen(v);
      if (n == l && !strncasecmp(v, address, l)) {
        hit = 1;
      } else if (len + n + 1 < sizeof line) {
        if (len) line[len++] = ',';
        memcpy(line + len, v, n);
        len += n;
      }
      v += n + (e != 0);
    }
    line[len] = 0;
    if (!hit) { i++; continue; }
    changed++;
    snprintf(key, sizeof key, "%s", t->r[i].key);
    if (!len) { table_del(t, key); continue; }
    if (!table_set(t, key, line)) ctl_fail_sys(CTL_TEMP, "unable to update alias %s", key);
    i++;
  }
  return changed;
}

static int del(const char *root, int argc, char **argv)
{
  const char *addr = 0;
  int keep = 0, i;
  size_t aliases;
  acct_arg a;
  db_acct acct;
  ctl_db db;
  for (i = 0; i < argc; i++) {
    if (!strcmp(argv[i], "--keep-mail")) keep = 1;
    else if (argv[i][0] == '-' || addr) ctl_fail(CTL_USAGE, "usage: yubinctl account del ADDRESS [--keep-mail]");
    else addr = argv[i];
  }
  if (!addr) ctl_fail(CTL_USAGE, "usage: yubinctl account del ADDRESS [--keep-mail]");
  address_arg(addr, &a);
  cmd_open(&db, root, 1);
  get_account(&db, &a, &acct);
  table_del(&db.accounts, a.address);
  table_del(&db.passwd, a.address);
  drop_exts(&db.extensions, a.address);
  table_del(&db.senders, a.address);
  aliases = drop_from_aliases(&db.aliases, a.address);
  cmd_commit(&db);
  /* the account is gone from the database first: nothing delivers there now */
  if (!keep && !fsx_rmtree(acct.home)) ctl_fail_sys(CTL_TEMP, "account deleted, but unable to remove %s", acct.home);
  log_info("account del address=%s mail=%s aliases=%zu", a.address, keep ? "kept" : "removed", aliases);
  db_close(&db);
  out_done();
  return 0;
}

static int list(const char *root, int argc, char **argv)
{
  char dom[ADDR_DOMAIN_MAX + 1] = "";
  ctl_db db;
  size_t i, shown = 0;
  if (argc > 1) ctl_fail(CTL_USAGE, "usage: yubinctl account list [DOMAIN]");
  if (argc == 1) {
    const char *why = 0;
    size_t n = strlen(argv[0]);
    if (n == 0 || n > 253) ctl_fail(CTL_USAGE, "invalid domain");
    addr_lower(dom, argv[0], n);
    if (!name_domain_ok(dom, &why)) ctl_fail(CTL_USAGE, "invalid domain %s: %s", dom, why);
  }
  cmd_open(&db, root, 0);
  if (dom[0] && !table_get(&db.domains, dom)) ctl_fail(CTL_USAGE, "no domain %s", dom);
  if (out_json) fputs("[", stdout);
  for (i = 0; i < db.accounts.n; i++) {
    const trow *r = &db.accounts.r[i];
    const char *at = strchr(r->key, '@');
    db_acct a;
    if (dom[0] && (!at || strcmp(at + 1, dom) != 0)) continue;
    if (!db_acct_parse(r->val, &a)) ctl_fail(CTL_TEMP, "accounts/accounts: malformed line for %s", r->key);
    if (out_json) {
      fputs(shown ? ", {\"address\": " : "{\"address\": ", stdout);
      json_str(r->key);
      printf(", \"uid\": %lu, \"gid\": %lu, \"home\": ", a.uid, a.gid);
      json_str(a.home);
      printf(", \"virtual\": %s, \"disabled\": %s, \"cram\": %s}", db_flag(&a, 'v') ? "true" : "false",
             db_flag(&a, 'd') ? "true" : "false", db_flag(&a, 'c') ? "true" : "false");
    } else {
      printf("%s %s\n", r->key, r->val);
    }
    shown++;
  }
  if (out_json) puts("]");
  db_close(&db);
  return 0;
}

static int passwd(const char *root, int argc, char **argv)
{
  char hash[TABLE_LINE_MAX];
  const char *addr = 0;
  int cram = 0, i;
  acct_arg a;
  db_acct acct;
  ctl_db db;
  for (i = 0; i < argc; i++) {
    if (!strcmp(argv[i], "--cram")) cram = 1;
    else if (argv[i][0] == '-' || addr) ctl_fail(CTL_USAGE, "usage: yubinctl account passwd ADDRESS [--cram] (password on stdin)");
    else addr = argv[i];
  }
  if (!addr) ctl_fail(CTL_USAGE, "usage: yubinctl account passwd ADDRESS [--cram] (password on stdin)");
  address_arg(addr, &a);
  password_value(hash, sizeof hash, cram);
  cmd_open(&db, root, 1);
  get_account(&db, &a, &acct);
  db_flag_set(&acct, 'c', cram);
  put_account(&db, &a, &acct);
  if (!table_set(&db.passwd, a.address, hash)) ctl_fail_sys(CTL_TEMP, "unable to record the password");
  sodium_memzero(hash, sizeof hash);
  cmd_commit(&db);
  log_info("account passwd address=%s cram=%s", a.address, cram ? "yes" : "no");
  db_close(&db);
  out_done();
  return 0;
}

static int able(const char *root, int argc, char **argv, int disable)
{
  acct_arg a;
  db_acct acct;
  ctl_db db;
  if (argc != 1 || argv[0][0] == '-') ctl_fail(CTL_USAGE, "usage: yubinctl account %s ADDRESS", disable ? "disable" : "enable");
  address_arg(argv[0], &a);
  cmd_open(&db, root, 1);
  get_account(&db, &a, &acct);
  db_flag_set(&acct, 'd', disable);
  put_account(&db, &a, &acct);
  cmd_commit(&db);
  log_info("account %s address=%s", disable ? "disable" : "enable", a.address);
  db_close(&db);
  out_done();
  return 0;
}

int cmd_account(const char *root, int argc, char **argv)
{
  if (argc >= 1) {
    if (!strcmp(argv[0], "add")) return add(root, argc - 1, argv + 1);
    if (!strcmp(argv[0], "del")) return del(root, argc - 1, argv + 1);
    if (!strcmp(argv[0], "list")) return list(root, argc - 1, argv + 1);
    if (!strcmp(argv[0], "passwd")) return passwd(root, argc - 1, argv + 1);
    if (!strcmp(argv[0], "disable")) return able(root, argc - 1, argv + 1, 1);
    if (!strcmp(argv[0], "enable")) return able(root, argc - 1, argv + 1, 0);
  }
  ctl_fail(CTL_USAGE, "usage: yubinctl account add|del|list|passwd|disable|enable ...");
}
