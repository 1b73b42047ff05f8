/* acctwatch.h: the accounts database, reopened when yubinctl replaces it
 * (its inode or mtime changes).  Checked at most once per call site use. */
#ifndef YUBIN_SEND_ACCTWATCH_H
#define YUBIN_SEND_ACCTWATCH_H
#include <sys/stat.h>
#include "accounts.h"

typedef struct acctwatch {
  accounts_db db;
  int state;           /* result of the last accounts_open: 1, 0, -1 */
  dev_t dev;
  ino_t ino;
  struct timespec mtime;
  int inited;
} acctwatch;

/* Reopens the database if it changed.  Returns the open state: 1 open,
 * 0 no database (no accounts yet), -1 error. */
int acctwatch_refresh(acctwatch *w);

#endif
