#include "uniq.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "log.h"

void uniq_random(void *buf, size_t n)
{
  char *p = buf;
  while (n) {
    ssize_t r = getrandom(p, n, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      die_sys(111, "unable to get random bytes");
    }
    p += r;
    n -= (size_t)r;
  }
}

void uniq_hex(char *out, size_t n)
{
  static const char hex[] = "0123456789abcdef";
  unsigned char b[64];
  size_t i;
  while (n > 2 * sizeof b) { uniq_hex(out, 2 * sizeof b); out += 2 * sizeof b; n -= 2 * sizeof b; }
  uniq_random(b, (n + 1) / 2);
  for (i = 0; i < n; i++) out[i] = hex[(b[i / 2] >> ((i & 1) * 4)) & 15];
  out[n] = 0;
}

void uniq_queue_id(char out[QUEUE_ID_LEN + 1])
{
  unsigned long t = (unsigned long)time(0) & 0xffffffffUL;
  snprintf(out, 9, "%08lx", t);
  uniq_hex(out + 8, 8);
}

void uniq_bucket(const char *id, char out[3])
{
  size_t n = strlen(id);
  out[0] = n >= 2 ? id[n - 2] : '0';
  out[1] = n >= 1 ? id[n - 1] : '0';
  out[2] = 0;
}
