/* libFuzzer target: decoding encoded words never crashes, stays within its
 * bound, and text without "=?" comes back unchanged. */
#include <stdint.h>
#include <string.h>

#include "rfc2047.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  sa out = SA_ZERO;
  const char *s = (const char *)data;
  int has_word = 0;
  size_t i;
  for (i = 0; i + 1 < size; i++)
    if (s[i] == '=' && s[i + 1] == '?') has_word = 1;
  if (rfc2047_decode(s, size, &out)) {
    if (out.len > RFC2047_OUT_MAX) __builtin_trap();
    if (!has_word && (out.len != size || (size && memcmp(out.s, s, size) != 0))) __builtin_trap();
  }
  sa_free(&out);
  return 0;
}
