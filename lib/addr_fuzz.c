/* libFuzzer target: SMTP paths and mailboxes must never crash or overrun. */
#include <stdint.h>
#include <string.h>

#include "addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  addr a;
  size_t used = 0;
  char out[ADDR_MAX + 1];
  unsigned flags = size ? data[0] & 7u : 0;
  const char *s = (const char *)data + (size ? 1 : 0);
  size_t n = size ? size - 1 : 0;
  if (addr_parse_path(s, n, flags, &a, &used, 0)) {
    if (used > n) __builtin_trap();
    addr_format(&a, out, sizeof out);
  }
  if (addr_parse_mailbox(s, n, flags, &a, 0)) {
    if (addr_format(&a, out, sizeof out) != n) __builtin_trap();
  }
  (void)utf8_valid(s, n);
  return 0;
}
