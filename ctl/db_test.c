/* The database yubinctl writes, read back with the library reader that
 * smtpd, send and local use (lib/accounts.c). */
#include "db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsx.h"
#include "sa.h"
#include "setup.h"
#include "test.h"

static char dir[64];

static void cdb_path(char *out, size_t n) { snprintf(out, n, "%s/accounts/accounts.cdb", dir); }

TEST(commit_and_resolve)
{
  ctl_db db;
  const char *what = 0;
  char p[256], home[300];
  accounts_db adb;
  acct_entry e;
  db_acct a;

  CHECK(db_open(&db, dir, 1, &what));
  CHECK(table_set(&db.domains, "shop.example", ""));
  CHECK(table_set(&db.domains, "sub.example", "subdomains"));
  snprintf(home, sizeof home, "1001 1002 %s/mail/shop.example/bob v", dir);
  CHECK(table_set(&db.accounts, "bob@shop.example", home));
  snprintf(home, sizeof home, "1003 1003 %s/mail/sub.example/carl d", dir);
  CHECK(table_set(&db.accounts, "carl@sub.example", home));
  CHECK(table_set(&db.extensions, "bob@shop.example orders", ""));
  CHECK(table_set(&db.aliases, "info@shop.example", "bob@shop.example,x@y.org"));
  CHECK(table_set(&db.passwd, "bob@shop.example", "$argon2id$fake"));
  CHECK(db_commit(&db, &what));
  db_close(&db);

  cdb_path(p, sizeof p);
  CHECK(accounts_open(&adb, p) == 1);
  CHECK(accounts_resolve(&adb, "Bob", "Shop.Example", &e) == 1);
  CHECK(e.kind == ACCT_ACCOUNT && e.uid == 1001 && e.gid == 1002 && e.virtual_user && !e.disabled);
  CHECK(accounts_resolve(&adb, "bob-orders", "shop.example", &e) == 1);
  CHECK(e.kind == ACCT_ACCOUNT && e.ext_known);
  CHECK_STR(e.ext, "orders");
  CHECK(accounts_rcpt_ok(&adb, "bob-other", "shop.example") == 0);
  CHECK(accounts_resolve(&adb, "anything", "carl.sub.example", &e) == 1);
  CHECK(e.kind == ACCT_ACCOUNT && e.via_subdomain && e.disabled);
  CHECK(accounts_resolve(&adb, "info", "shop.example", &e) == 1);
  CHECK(e.kind == ACCT_ALIAS);
  {
    char t[256];
    size_t n = 0;
    CHECK(accounts_alias_targets(&adb, &e, t, sizeof t, &n) == 1);
    CHECK(n == 2);
    CHECK_STR(t, "bob@shop.example");
    CHECK_STR(t + strlen(t) + 1, "x@y.org");
  }
  CHECK(accounts_resolve(&adb, "nobody", "shop.example", &e) == 1 && e.kind == ACCT_NONE);

  /* a change is seen by the next open; the old open keeps its snapshot */
  CHECK(db_open(&db, dir, 1, &what));
  CHECK(table_del(&db.accounts, "bob@shop.example") == 1);
  CHECK(db_commit(&db, &what));
  db_close(&db);
  CHECK(accounts_resolve(&adb, "bob", "shop.example", &e) == 1 && e.kind == ACCT_ACCOUNT);
  accounts_close(&adb);
  CHECK(accounts_open(&adb, p) == 1);
  CHECK(accounts_resolve(&adb, "bob", "shop.example", &e) == 1 && e.kind == ACCT_NONE);
  accounts_close(&adb);

  CHECK(db_acct_parse("5 6 /h/x dv", &a) && a.uid == 5 && a.gid == 6 && db_flag(&a, 'd') && db_flag(&a, 'v'));
  db_flag_set(&a, 'd', 0);
  CHECK_STR(a.flags, "v");
  CHECK(db_acct_format(&a, home, sizeof home));
  CHECK_STR(home, "5 6 /h/x v");
  CHECK(!db_acct_parse("5 6 relative -", &a));
  CHECK(!db_acct_parse("5 x /h -", &a));
  CHECK(!db_acct_parse("5 6 /h z", &a));
  CHECK(!db_acct_parse("5 6 /h", &a));
}

TEST(expand)
{
  setup_opts o = { "/srv/y", 100, 0, 0 };
  sa out = SA_ZERO;
  const char *t = "exec @LOGUSER@s6-log @ROOT@/log @PORT_SMTP@ @PORT_IMAPS@ a@b.c @UNKNOWN@";
  CHECK(setup_expand(&o, 1, t, strlen(t), &out) && sa_0(&out));
  CHECK_STR(out.s, "exec s6-setuidgid yubinlog s6-log /srv/y/log 2625 3093 a@b.c @UNKNOWN@");
  CHECK(setup_expand(&o, 0, t, strlen(t), &out) && sa_0(&out));
  CHECK_STR(out.s, "exec s6-log /srv/y/log 2625 3093 a@b.c @UNKNOWN@");
  o.standard_ports = 1;
  t = "@PORT_SMTP@ @PORT_SUBMISSION@ @PORT_SMTPS@ @PORT_POP3@ @PORT_POP3S@ @PORT_IMAP@ @PORT_IMAPS@";
  CHECK(setup_expand(&o, 0, t, strlen(t), &out) && sa_0(&out));
  CHECK_STR(out.s, "25 587 465 110 995 143 993");
  sa_free(&out);
}

int main(void)
{
  char p[128];
  snprintf(dir, sizeof dir, "/tmp/yubin-ctl-test-%ld", (long)getpid());
  mkdir(dir, 0755);
  snprintf(p, sizeof p, "%s/accounts", dir);
  mkdir(p, 0755);
  RUN(commit_and_resolve);
  RUN(expand);
  fsx_rmtree(dir);
  return test_report();
}
