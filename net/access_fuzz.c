/* libFuzzer target: one access rule line. */
#include <stdint.h>
#include <stdlib.h>

#include "access.h"

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t n)
{
  access_key k;
  char v[ACCESS_VALUE_MAX];
  size_t vl = 0;
  int r;
  if (n > ACCESS_LINE_MAX) return 0;
  r = access_parse_line((const char *)buf, n, &k, v, &vl);
  if (r == 1 && (vl == 0 || vl > ACCESS_VALUE_MAX || (k.len != 6 && k.len != 18))) abort();
  return 0;
}
