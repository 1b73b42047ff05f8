/* db.h: the accounts database as yubinctl edits it (doc/accounts.md): the
 * text files of ROOT/accounts/ loaded as tables, changed in memory, then
 * written back atomically and compiled into accounts.cdb and passwd.cdb, all
 * under an exclusive flock of accounts/lock. */
#ifndef YUBIN_CTL_DB_H
#define YUBIN_CTL_DB_H
#include <limits.h>
#include <sys/types.h>

#include "accounts.h"
#include "table.h"

typedef struct ctl_db {
  char root[PATH_MAX];          /* the instance */
  table domains, accounts, aliases, extensions, passwd;
  int lockfd;
  uid_t owner;                  /* owner of ROOT/accounts: 0 for a root instance */
  gid_t owner_gid;
  size_t bad_line;              /* after a malformed file: its line number */
} ctl_db;

/* An account line: "UID GID HOME FLAGS" (FLAGS "-" or letters d v c). */
typedef struct db_acct {
  unsigned long uid, gid;
  char home[ACCT_HOME_MAX + 1];
  char flags[8];                /* letters, "" for none */
} db_acct;

/* Opens the instance's database; with lock, first takes the lock (waits).
 * Returns 1, or 0 with errno; *what names the failing step. */
int db_open(ctl_db *db, const char *root, int lock, const char **what);
/* Writes every text file and both cdbs.  1, or 0 with errno and *what. */
int db_commit(ctl_db *db, const char **what);
void db_close(ctl_db *db);

int db_acct_parse(const char *val, db_acct *a);
/* "UID GID HOME FLAGS" into out; 1, or 0 if it does not fit. */
int db_acct_format(const db_acct *a, char *out, size_t n);
int db_flag(const db_acct *a, char f);
void db_flag_set(db_acct *a, char f, int on);

/* Path ROOT/rel into out; 1, or 0 with ENAMETOOLONG. */
int db_path(const ctl_db *db, char *out, size_t n, const char *rel);

/* Counts of rows whose key is NAME@DOMAIN (or, for extensions, starts with it)
 * for this domain. */
size_t db_count_in_domain(const table *t, const char *domain);

#endif
