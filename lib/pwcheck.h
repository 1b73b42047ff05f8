/* pwcheck.h: checking an account's credentials against ROOT/accounts/passwd.cdb
 * (doc/accounts.md).  Only yubin-auth calls these: nothing that parses a
 * network protocol may read passwd.cdb.  Secrets are compared in constant
 * time and wiped after use; an unknown account costs the same argon2id work
 * as a known one whose hash has the current parameters (lib/pwhash.h). */
#ifndef YUBIN_PWCHECK_H
#define YUBIN_PWCHECK_H
#include <stddef.h>

#define PWCHECK_OK 1
#define PWCHECK_OK_STALE 2  /* right password; its hash has older parameters
                               than lib/pwhash.h's (renew the password) */
#define PWCHECK_BAD 0
#define PWCHECK_TEMP -1

/* The address is lower-cased and written (NUL-terminated) to canon on success. */
int pwcheck_plain(const char *address, const char *password, size_t plen, char *canon, size_t n);
/* CRAM-MD5 (RFC 2195): response_hex is the 32 hex digits the client sent. */
int pwcheck_cram(const char *address, const char *challenge, size_t clen, const char *response_hex,
                 char *canon, size_t n);

#endif
