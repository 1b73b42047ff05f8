/* Fuzzes the SMTP reply parser, the EHLO keyword reader and the DATA encoder. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  reply r = REPLY_ZERO;
  ehlo_ext e;
  sa out = SA_ZERO;
  const char *p = (const char *)data, *end = p + size;
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
    int f = reply_feed(&r, p, n);
    if (f == 1) ehlo_parse(&r, &e);
    if (f != 0) reply_reset(&r);
    p += n + (nl ? 1 : 0);
  }
  if (wire_encode_data((const char *)data, size, &out)) {
    if (out.len < 3 || memcmp(out.s + out.len - 3, ".\r\n", 3) != 0) __builtin_trap();
  }
  (void)wire_has_8bit((const char *)data, size);
  sa_free(&out);
  reply_free(&r);
  return 0;
}
