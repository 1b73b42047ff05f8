/* accounts.h: reading the accounts database, ROOT/accounts/accounts.cdb.
 * The format (written only by yubinctl) is in doc/accounts.md.  Readers map
 * the database read-only; yubinctl replaces it atomically, so an open reader
 * keeps a consistent snapshot and a new open sees the new one.
 * Password hashes are NOT in this database (see passwd.cdb). */
#ifndef YUBIN_ACCOUNTS_H
#define YUBIN_ACCOUNTS_H
#include <stddef.h>
#include <sys/types.h>
#include <cdb.h>

#include "addr.h"

#define ACCT_NAME_MAX 64
#define ACCT_EXT_MAX 64
#define ACCT_HOME_MAX 512

#define ACCT_NONE    0
#define ACCT_ACCOUNT 1
#define ACCT_ALIAS   2

/* domain flags (value of a D record) */
#define ACCT_DOM_SUBDOMAINS 1u   /* ext@acct.domain reaches acct */

typedef struct accounts_db {
  int fd;
  struct cdb cdb;
  int open;
} accounts_db;

typedef struct acct_entry {
  int kind;                          /* ACCT_NONE, ACCT_ACCOUNT, ACCT_ALIAS */
  char account[ACCT_NAME_MAX + 1];   /* account name, lower case */
  char domain[ADDR_DOMAIN_MAX + 1];  /* the hosted domain, lower case */
  char ext[ACCT_EXT_MAX + 1];        /* extension, lower case, "" if none */
  int via_subdomain;                 /* reached as ext@acct.domain */
  int ext_known;                     /* ext is "" or a dot-file matches (db view) */
  uid_t uid;
  gid_t gid;
  char home[ACCT_HOME_MAX + 1];      /* absolute path of the account's home */
  int disabled;
  int virtual_user;                  /* runs as yubinv rather than its own uid */
  int cram;                          /* CRAM-MD5 secret stored */
} acct_entry;

/* Opens ROOT/accounts/accounts.cdb (or path if not NULL).  Returns 1, 0 if the
 * file does not exist (an instance with no accounts yet), -1 on error. */
int accounts_open(accounts_db *db, const char *path);
void accounts_close(accounts_db *db);

/* 1 if domain (any case) is a hosted domain; *flags gets its flags. */
int accounts_domain(accounts_db *db, const char *domain, unsigned *flags);
/* 1 if domain is hosted, or is SUB.hosted where hosted has subdomain addressing. */
int accounts_is_local_domain(accounts_db *db, const char *domain);

/* Resolves a recipient local@domain (as in the envelope) to an account or
 * alias (doc/accounts.md gives the order).  Returns 1 with e->kind set
 * (ACCT_NONE when nothing matches), -1 on a database error. */
int accounts_resolve(accounts_db *db, const char *local, const char *domain, acct_entry *e);

/* For an ACCT_ALIAS entry: the targets, each NUL-terminated, one after another,
 * into out (size n); *count set.  Returns 1, 0 if none, -1 on error/ERANGE. */
int accounts_alias_targets(accounts_db *db, const acct_entry *e, char *out, size_t n, size_t *count);

/* The hosted domains of the accounts that run as uid (their own Unix uid;
 * virtual accounts are not counted): fn is called for each; a non-zero
 * return from fn stops the walk and is returned.  0 when none, -1 on error. */
int accounts_uid_domains(accounts_db *db, unsigned long uid, int (*fn)(const char *domain, void *arg), void *arg);
/* The same walk over the accounts' addresses (NAME@DOMAIN). */
int accounts_uid_accounts(accounts_db *db, unsigned long uid, int (*fn)(const char *address, void *arg), void *arg);

/* 1 if sender (any case) is listed for the account NAME@DOMAIN as an extra
 * sender address (yubinctl sender add), 0 if not, -1 on error. */
int accounts_sender_listed(accounts_db *db, const char *account, const char *sender);

/* Accepts the address at RCPT time?  1 if local@domain resolves to an enabled
 * account with a known extension, or to an alias. */
int accounts_rcpt_ok(accounts_db *db, const char *local, const char *domain);

#endif
