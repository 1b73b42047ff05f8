/* libFuzzer target: modified UTF-7 both ways never crashes, and whatever
 * decodes re-encodes to exactly the input (one wire form per name). */
#include <stdint.h>
#include <string.h>

#include "imaputf7.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  sa a = SA_ZERO, b = SA_ZERO;
  const char *s = (const char *)data;
  if (imaputf7_decode(s, size, &a)) {
    if (!imaputf7_encode(a.s, a.len, &b)) __builtin_trap();
    if (b.len != size || memcmp(b.s, s, size) != 0) __builtin_trap();
  }
  a.len = b.len = 0;
  if (imaputf7_encode(s, size, &a)) {
    if (!imaputf7_decode(a.s, a.len, &b)) __builtin_trap();
    if (b.len != size || memcmp(b.s, s, size) != 0) __builtin_trap();
  }
  sa_free(&a);
  sa_free(&b);
  return 0;
}
