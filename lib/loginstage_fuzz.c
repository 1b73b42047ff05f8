/* libFuzzer target: a SASL PLAIN response never crashes the decoder, and
 * what it accepts is an authcid of at most ADDR_MAX octets with no NUL in
 * either part. */
#include <stdint.h>
#include <string.h>

#include "loginstage.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static unsigned char dec[1024];
  const char *user = 0, *pass = 0;
  if (loginstage_plain((const char *)data, size, dec, sizeof dec, &user, &pass) == PLAIN_OK) {
    if (!user || !pass || !*user || strlen(user) > ADDR_MAX) __builtin_trap();
    if (user < (const char *)dec || pass >= (const char *)dec + sizeof dec) __builtin_trap();
  }
  return 0;
}
