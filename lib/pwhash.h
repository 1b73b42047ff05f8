/* pwhash.h: the one place that says how account passwords are hashed
 * (doc/accounts.md): argon2id (libsodium's crypto_pwhash_str_alg with
 * crypto_pwhash_ALG_ARGON2ID13) at the OWASP-recommended minimum of 19 MiB
 * of memory, 2 iterations and 1 lane (libsodium always uses one lane).
 * Every login pays one verification, so the cost is kept at that minimum;
 * the parameters are written in each hash string, so hashes made with other
 * parameters keep verifying. */
#ifndef YUBIN_PWHASH_H
#define YUBIN_PWHASH_H
#include <stddef.h>

#define PWHASH_OPSLIMIT 2ULL                   /* argon2id t: iterations */
#define PWHASH_MEMLIMIT ((size_t)19 * 1024 * 1024) /* argon2id m: bytes (19 MiB) */
#define PWHASH_STR_MAX 128                     /* crypto_pwhash_STRBYTES */

/* Hashes the password (len octets) into out (PWHASH_STR_MAX bytes, NUL
 * terminated).  1 ok, 0 with errno (ENOMEM). */
int pwhash_make(char *out, const char *pw, size_t len);
/* 1 when hash was made with other parameters (or another algorithm) than
 * the ones above: renewing the password gives it the current ones. */
int pwhash_stale(const char *hash);

/* A hash with the current parameters of a password nobody has: verifying
 * against it spends on unknown accounts the same work as on known ones. */
extern const char pwhash_dummy[];

#endif
