/* libFuzzer target: address lists for ENVELOPE never crash, and the output
 * holds exactly four well-formed fields per entry. */
#include <stdint.h>
#include <string.h>

#include "envaddr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  sa out = SA_ZERO;
  size_t count = 0, i = 0, k;
  if (!envaddr_parse((const char *)data, size, &out, &count)) return 0;
  if (count > ENVADDR_MAX * 2 + 2) __builtin_trap();
  for (k = 0; k < count * 4; k++) {
    const char *nul;
    if (i >= out.len || (out.s[i] != 'N' && out.s[i] != 'S')) __builtin_trap();
    nul = memchr(out.s + i + 1, 0, out.len - i - 1);
    if (!nul || (out.s[i] == 'N' && nul != out.s + i + 1)) __builtin_trap();
    i = (size_t)(nul - out.s) + 1;
  }
  if (i != out.len) __builtin_trap();
  sa_free(&out);
  return 0;
}
