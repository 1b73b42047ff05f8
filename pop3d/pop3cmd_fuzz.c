/* libFuzzer target: the POP3 command parser and the message converter. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "msgconv.h"
#include "pop3cmd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static char line[POP3_LINE_MAX + 1], out[2 * 4096 + 2];
  pop3_cmd c;
  msgconv m;
  size_t n = size < POP3_LINE_MAX ? size : POP3_LINE_MAX, o;
  memcpy(line, data, n);
  if (pop3_parse(line, n, &c) == POP3_OK) {
    if (c.text) (void)strlen(c.text);
    if (c.text2) (void)strlen(c.text2);
    if (c.nnum > 2 || c.num[0] > POP3_NUM_MAX || c.num[1] > POP3_NUM_MAX) __builtin_trap();
  }
  if (size > 4096) return 0;
  msgconv_init(&m, data[0] & 1, size > 1 ? (long)(data[1] % 5) - 1 : -1);
  o = msgconv_feed(&m, (const char *)data, size, out);
  o += msgconv_finish(&m, out + o);
  if (o > 2 * size + 2) __builtin_trap();
  return 0;
}
