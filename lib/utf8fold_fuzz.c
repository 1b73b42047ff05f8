/* libFuzzer target: case folding and transfer decoding never crash;
 * folding is idempotent and never changes the length of ASCII text. */
#include <stdint.h>
#include <string.h>

#include "cte.h"
#include "utf8fold.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  sa a = SA_ZERO, b = SA_ZERO;
  const char *s = (const char *)data;
  if (utf8_fold(s, size, &a)) {
    if (!utf8_fold(a.s ? a.s : "", a.len, &b)) __builtin_trap();
    if (a.len != b.len || (a.len && memcmp(a.s, b.s, a.len) != 0)) __builtin_trap();
  }
  a.len = 0;
  (void)cte_decode("base64", 6, s, size, &a);
  if (a.len > size) __builtin_trap();
  a.len = 0;
  (void)cte_decode("quoted-printable", 16, s, size, &a);
  if (a.len > size) __builtin_trap();
  sa_free(&a);
  sa_free(&b);
  return 0;
}
