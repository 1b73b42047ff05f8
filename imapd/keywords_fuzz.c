/* libFuzzer target: any dovecot-keywords file gives a map of valid,
 * distinct keywords, and never a crash. */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "keywords.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  kwmap k = { 0 };
  int i, j;
  if (!kw_parse(&k, (const char *)data, size)) return 0;
  for (i = 0; i < KW_MAX; i++) {
    if (!k.name[i]) continue;
    if (!kw_valid(k.name[i], strlen(k.name[i]))) __builtin_trap();
    for (j = 0; j < i; j++)
      if (k.name[j] && !strcasecmp(k.name[i], k.name[j])) __builtin_trap();
    if (kw_find(&k, k.name[i], strlen(k.name[i])) != i) __builtin_trap();
  }
  kw_free(&k);
  return 0;
}
