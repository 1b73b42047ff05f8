/* libFuzzer target: header field splitting and address-list parsing never
 * crash, never read past the input, and fields tile the header exactly. */
#include <stdint.h>
#include <string.h>

#include "header.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *buf = (const char *)data;
  size_t pos = 0, count = 0, i, nuls = 0;
  hdr_field f;
  int sep;
  sa out = SA_ZERO;
  const char *why;
  while (hdr_next(buf, size, &pos, &f, &sep)) {
    if (f.raw + f.raw_len != buf + pos || f.value + f.value_len > buf + size) __builtin_trap();
    (void)hdr_addrlist(f.value, f.value_len, 0, &out, &count, &why);
  }
  if (pos > size) __builtin_trap();
  (void)hdr_addrlist(buf, size, (size & 1) ? "example.org" : 0, &out, &count, &why);
  for (i = 0; i < out.len; i++) nuls += out.s[i] == 0;
  if (nuls != count) __builtin_trap();
  sa_free(&out);
  return 0;
}
