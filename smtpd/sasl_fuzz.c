/* libFuzzer target: SASL decoding of AUTH responses. */
#include <stdint.h>
#include <string.h>

#include "sasl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  sasl_creds c;
  const char *s = (const char *)data;
  memset(&c, 0, sizeof c);
  if (sasl_plain(s, size, &c) && (strlen(c.user) > SASL_USER_MAX || c.pass_len > SASL_PASS_MAX)) __builtin_trap();
  sasl_login_user(s, size, &c);
  sasl_login_pass(s, size, &c);
  if (sasl_cram(s, size, &c) && c.pass_len != 32) __builtin_trap();
  sasl_wipe(&c);
  return 0;
}
