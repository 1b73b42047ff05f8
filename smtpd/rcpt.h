/* rcpt.h: who may send to which recipient (relay control and recipient
 * validation at RCPT time).
 *  - a domain hosted in the accounts database: the address must be known
 *    there (accounts_rcpt_ok), else 550 5.1.1, for every client;
 *  - a domain in control/rcpthosts (a line "example.com", or ".example.com"
 *    for every subdomain) or in control/morercpthosts.cdb: accepted from anyone;
 *  - any other domain: only for a relay client (RELAYCLIENT set; later also
 *    authenticated sessions), else 553 5.7.1;
 *  - the classic relay tricks (%, ! or @ in the local part, address literals)
 *    are refused with 553 5.7.1 unless the client may relay anyway. */
#ifndef YUBIN_SMTPD_RCPT_H
#define YUBIN_SMTPD_RCPT_H
#include <stddef.h>
#include <cdb.h>

#include "accounts.h"
#include "addr.h"
#include "sa.h"

typedef struct rcpt_policy {
  sa hosts;            /* control/rcpthosts lines, lower case, NUL-separated */
  size_t nhosts;
  int morefd;          /* control/morercpthosts.cdb, or -1 */
  struct cdb more;
  accounts_db db;
  int dbopen;
} rcpt_policy;

/* Reads control/rcpthosts, opens control/morercpthosts.cdb and the accounts
 * database.  Returns 1, or 0 with errno (a file that exists but cannot be read). */
int rcpt_policy_load(rcpt_policy *p);
/* 1 if the lower-case domain d is in rcpthosts or morercpthosts.cdb. */
int rcpt_rcpthosts(rcpt_policy *p, const char *d);
/* Checks one recipient.  Returns 1 (accept), or 0 with the full reply line
 * (without CRLF) in *reply; -1 (with *reply) on a database error (451). */
int rcpt_check(rcpt_policy *p, const addr *a, int may_relay, const char **reply);
/* Compiles control/morercpthosts (one domain a line) into
 * control/morercpthosts.cdb atomically.  Returns 1 or 0 with errno. */
int rcpt_compile_more(void);

#endif
