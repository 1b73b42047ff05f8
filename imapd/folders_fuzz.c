/* libFuzzer target: LIST pattern matching ends (bounded work) for any
 * pattern and name, and a pattern without wildcards matches only itself. */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "folders.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *s = (const char *)data, *nul = memchr(s, 0, size);
  size_t pn = nul ? (size_t)(nul - s) : size, nn = nul ? size - pn - 1 : 0;
  const char *name = nul ? nul + 1 : "";
  int r = folder_match(s, pn, name, nn);
  if (!memchr(s, '*', pn) && !memchr(s, '%', pn) && r) {
    int inbox = pn >= 5 && !strncasecmp(s, "INBOX", 5);
    if (!inbox && (pn != nn || memcmp(s, name, pn))) __builtin_trap();
  }
  return 0;
}
