/* strrank.h: many strings (base subjects, address keys) turned into ranks
 * for SORT and THREAD without keeping every string: each distinct string is
 * kept once, and of it at most STRRANK_KEEP octets plus a 64-bit keyed hash
 * of the whole (SipHash, libsodium crypto_shorthash, a random key per
 * process).  Equal strings get equal ranks; ranks follow the octet order
 * (strcmp), "" is always rank 0.  Two strings equal in their first
 * STRRANK_KEEP octets are told apart by their hashes and ordered by them.
 * Memory: about 24 octets per string added, plus the distinct text. */
#ifndef YUBIN_IMAPD_STRRANK_H
#define YUBIN_IMAPD_STRRANK_H
#include <stddef.h>
#include <stdint.h>

#define STRRANK_KEEP 256        /* octets kept of each distinct string for ordering */
#define STRRANK_MAX (1L << 24)  /* distinct strings at most */

typedef struct strrank strrank;

/* A keyed 64-bit hash of s (the same key for the life of the process). */
uint64_t strrank_hash(const char *s, size_t n);

/* A table expecting about n strings (it grows past that).  NULL: ENOMEM. */
strrank *strrank_new(size_t n);
/* The id of s (n octets), added when new.  Returns 1 with *id, or 0 with
 * errno (ENOMEM, ERANGE past STRRANK_MAX distinct strings). */
int strrank_add(strrank *r, const char *s, size_t n, uint32_t *id);
/* Ranks every string added: 1, or 0 with errno.  Nothing may be added
 * after it. */
int strrank_finish(strrank *r);
/* After strrank_finish: the rank of id. */
uint32_t strrank_rank(const strrank *r, uint32_t id);
void strrank_free(strrank *r);

#endif
