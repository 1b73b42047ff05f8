/* libFuzzer target: composing the sendmail header from any input never
 * crashes, the body offset stays inside the input, and the result always
 * ends with the empty line and holds no Bcc field. */
#include <stdint.h>
#include <string.h>

#include "compose.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  compose_opts o = { 1, "me@example.org", "N\xc3\xa4me", "Mon, 23 Nov 2026 10:00:00 +0000", "<id@x>", "example.org" };
  sa out = SA_ZERO, r = SA_ZERO;
  size_t count = 0, body = 0, fl = 0;
  const char *why, *field;
  int at_end = size && (data[0] & 1);
  if (compose_header((const char *)data, size, at_end, &o, &out, &r, &count, &body, &why, &field, &fl) == COMPOSE_OK) {
    if (body > size) __builtin_trap();
    if (out.len < 2 || out.s[out.len - 1] != '\n' || out.s[out.len - 2] != '\n') __builtin_trap();
    if (out.len >= 4 && (!memcmp(out.s, "Bcc:", 4) || memmem(out.s, out.len, "\nBcc:", 5))) __builtin_trap();
  }
  sa_free(&out);
  sa_free(&r);
  return 0;
}
