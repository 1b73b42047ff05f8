/* libFuzzer target: the cache record reader (cache.h) on hostile bytes.
 * Half the inputs get a correct checksum so the parser behind it is
 * reached; a record read must lie inside the input and within the
 * limits; the check of its answers (cache_struct_ok) runs on them too. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"

static void inside(const char *p, size_t n, const char *buf, size_t len)
{
  if (n && (p < buf || p + n > buf + len)) __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *buf;
  cache_entry e;
  size_t pos = 0, k;
  if (size < 1) return 0;
  if (!(buf = malloc(size))) return 0;
  memcpy(buf, data + 1, size - 1);
  size--;
  if ((data[0] & 1) && size >= 12) {
    size_t len = (size_t)(unsigned char)buf[0] | (size_t)(unsigned char)buf[1] << 8 |
                 (size_t)(unsigned char)buf[2] << 16 | (size_t)(unsigned char)buf[3] << 24;
    if (len >= 12 && len <= size) {
      uint64_t s = cache_sum(buf, len - 8);
      for (k = 0; k < 8; k++) buf[len - 8 + k] = (char)(s >> (8 * k));
    }
  }
  while (pos < size) {
    long r = cache_decode(buf + pos, size - pos, &e);
    if (r <= 0) break;
    if ((size_t)r > size - pos || (size_t)r > CACHE_RECORD_MAX) __builtin_trap();
    inside(e.key, e.keylen, buf + pos, (size_t)r);
    for (k = 0; k < CACHE_FIELDS; k++) {
      if (e.field[k] && e.flen[k] > CACHE_FIELD_MAX) __builtin_trap();
      if (e.field[k]) inside(e.field[k], e.flen[k], buf + pos, (size_t)r);
    }
    (void)cache_struct_ok(e.bs, e.bslen);
    (void)cache_struct_ok(e.body, e.bodylen);
    inside(e.bs, e.bslen, buf + pos, (size_t)r);
    inside(e.body, e.bodylen, buf + pos, (size_t)r);
    pos += (size_t)r;
  }
  (void)cache_header_ok(buf, size, 1);
  free(buf);
  return 0;
}
