/* libFuzzer target: the Delivered-To loop check must never crash or read
 * outside the header it is given. */
#include <stdint.h>
#include <string.h>

#include "local.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  (void)header_has_delivered_to((const char *)data, size, "joe@example.com");
  (void)header_has_delivered_to((const char *)data, size, "");
  return 0;
}
