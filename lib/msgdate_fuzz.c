/* libFuzzer target: any Date value parses or not without crashing, and a
 * parsed date's day is a whole day no later than a day after the moment. */
#include <stdint.h>

#include "msgdate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  time_t u, d;
  if (msgdate_parse((const char *)data, size, &u, &d)) {
    if (d % 86400 != 0) __builtin_trap();
    if (u - d > 2 * 86400 || d - u > 86400) __builtin_trap();
  }
  return 0;
}
