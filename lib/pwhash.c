#include "pwhash.h"

#include <errno.h>
#include <string.h>
#include <sodium.h>

_Static_assert(PWHASH_STR_MAX == crypto_pwhash_STRBYTES, "PWHASH_STR_MAX is libsodium's size");

/* Made once with pwhash_make from 16 random octets that were then thrown
 * away; lib/pwhash_test.c checks that its parameters are the ones above. */
const char pwhash_dummy[] =
  "$argon2id$v=19$m=19456,t=2,p=1$fuVZEOfo55HibfI3yBgpqQ$"
  "blTPqCieMy1k58UnYZrYDh/CSupnAa0LndVn41d8lFQ";

int pwhash_make(char *out, const char *pw, size_t len)
{
  if (sodium_init() < 0) { errno = EIO; return 0; }
  if (crypto_pwhash_str_alg(out, pw, len, PWHASH_OPSLIMIT, PWHASH_MEMLIMIT,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    errno = ENOMEM;
    return 0;
  }
  return 1;
}

int pwhash_stale(const char *hash)
{
  if (sodium_init() < 0) return 0;
  return strncmp(hash, crypto_pwhash_argon2id_STRPREFIX, strlen(crypto_pwhash_argon2id_STRPREFIX)) != 0 ||
         crypto_pwhash_str_needs_rehash(hash, PWHASH_OPSLIMIT, PWHASH_MEMLIMIT) != 0;
}
