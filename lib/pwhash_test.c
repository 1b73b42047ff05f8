#include <string.h>
#include <sodium.h>

#include "pwhash.h"
#include "test.h"

/* what the parameters of lib/pwhash.h look like in a hash string */
#define CURRENT "$argon2id$v=19$m=19456,t=2,p=1$"

TEST(made_with_the_named_parameters)
{
  char h[PWHASH_STR_MAX];
  CHECK(pwhash_make(h, "correct horse", 13));
  CHECK(!strncmp(h, CURRENT, strlen(CURRENT)));
  CHECK(crypto_pwhash_str_verify(h, "correct horse", 13) == 0);
  CHECK(crypto_pwhash_str_verify(h, "correct horsE", 13) != 0);
  CHECK(!pwhash_stale(h));
}

TEST(dummy_costs_what_a_real_hash_costs)
{
  /* unknown accounts are verified against it: same algorithm, same cost */
  CHECK(!strncmp(pwhash_dummy, CURRENT, strlen(CURRENT)));
  CHECK(!pwhash_stale(pwhash_dummy));
  CHECK(strlen(pwhash_dummy) < PWHASH_STR_MAX);
}

TEST(older_hashes_verify_and_are_stale)
{
  char h[PWHASH_STR_MAX];
  /* the earlier default: crypto_pwhash_str at the interactive limits (64 MiB) */
  CHECK(crypto_pwhash_str(h, "pw", 2, crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE) == 0);
  CHECK(crypto_pwhash_str_verify(h, "pw", 2) == 0);
  CHECK(pwhash_stale(h));
  /* argon2i is another algorithm */
  CHECK(crypto_pwhash_str_alg(h, "pw", 2, 3, PWHASH_MEMLIMIT, crypto_pwhash_ALG_ARGON2I13) == 0);
  CHECK(crypto_pwhash_str_verify(h, "pw", 2) == 0);
  CHECK(pwhash_stale(h));
  CHECK(pwhash_stale("not a hash"));
}

int main(void)
{
  RUN(made_with_the_named_parameters);
  RUN(dummy_costs_what_a_real_hash_costs);
  RUN(older_hashes_verify_and_are_stale);
  return test_report();
}
