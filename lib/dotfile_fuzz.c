/* libFuzzer target: the .yubin parser must never crash, overrun, or return
 * a delivery outside the buffer. */
#include <stdint.h>
#include <string.h>

#include "dotfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  dotfile_line d[DOTFILE_DELIVERIES_MAX];
  dotfile_error err;
  size_t n = 0, i;
  const char *s = (const char *)data;
  if (dotfile_parse(s, size, d, DOTFILE_DELIVERIES_MAX, &n, &err)) {
    if (n > DOTFILE_DELIVERIES_MAX) __builtin_trap();
    for (i = 0; i < n; i++) {
      if (d[i].arg < s || d[i].arg + d[i].len > s + size || d[i].len == 0) __builtin_trap();
      if (memchr(d[i].arg, '\n', d[i].len)) __builtin_trap();
      if (d[i].type < DOT_MAILDIR || d[i].type > DOT_PROGRAM) __builtin_trap();
    }
  } else if (!err.why) {
    __builtin_trap();
  }
  return 0;
}
