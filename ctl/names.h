/* names.h: the names yubinctl accepts (doc/accounts.md "Names").  Pure
 * functions over strings: no I/O.  Each returns 1 if valid, else 0 and, when
 * why is not NULL, a static reason. */
#ifndef YUBIN_CTL_NAMES_H
#define YUBIN_CTL_NAMES_H
#include <stddef.h>

#include "accounts.h"
#include "addr.h"

/* Lower case LDH labels, at least two, each 1..63, at most 253 in all. */
int name_domain_ok(const char *s, const char **why);
/* Lower case a-z 0-9 . _ -, 1..64, starts with a letter or digit, no "..",
 * does not end in '-' or '.'. */
int name_account_ok(const char *s, const char **why);
/* Lower case a-z 0-9 . _ + = -, 1..64. */
int name_ext_ok(const char *s, const char **why);

/* Splits "name@domain" (lower-cased into the outputs) and checks both parts
 * with the rules above. */
int name_split(const char *address, char name[ACCT_NAME_MAX + 1], char domain[ADDR_DOMAIN_MAX + 1],
               const char **why);
/* A forwarding or alias target: an RFC 5321 mailbox, no address literal,
 * ASCII only; written lower-cased in its domain into out. */
int name_target_ok(const char *s, char out[ADDR_MAX + 1], const char **why);

#endif
