/* libFuzzer target: the wire and file envelope parsers never crash or read
 * past the input, and what they accept walks back to the same recipients. */
#include <stdint.h>
#include <string.h>

#include "envelope.h"

static void walk(const envelope_view *e, const char *buf, size_t n)
{
  size_t pos = 0, count = 0, len;
  const char *a;
  while (envelope_rcpt_next(e, &pos, &a, &len)) {
    if (a < buf || a + len > buf + n || len == 0 || len > ENV_ADDR_MAX) __builtin_trap();
    count++;
  }
  if (count != e->nrcpt) __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *buf = (const char *)data;
  envelope_view e;
  if (envelope_parse(buf, size, &e) == ENV_OK) {
    if (e.wire_len != size) __builtin_trap();
    walk(&e, buf, size);
  }
  if (envelope_parse_file(buf, size, &e) == ENV_OK) walk(&e, buf, size);
  return 0;
}
