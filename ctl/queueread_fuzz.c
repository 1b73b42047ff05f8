/* Fuzz target: the queue envelope reader of yubinctl queue list. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "queueread.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  qmsg m;
  memset(&m, 0, sizeof m);
  qread_envelope((const char *)data, size, &m);
  qread_info((const char *)data, size, &m);
  qread_rcpts((const char *)data, size, &m);
  sa_free(&m.rcpts);
  return 0;
}
