/* Fuzz target: the strict parser of the accounts text files. */
#include <stddef.h>
#include <stdint.h>

#include "table.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  table t = TABLE_ZERO;
  sa out = SA_ZERO;
  t.whole = size > 0 && (data[0] & 1);
  if (table_parse(&t, (const char *)data, size)) table_format(&t, &out);
  sa_free(&out);
  table_free(&t);
  return 0;
}
