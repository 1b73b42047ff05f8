/* libFuzzer target: the SMTP command parser and the DATA/BDAT state machine.
 * The first input byte picks what is fed: commands (line by line), DATA, or
 * BDAT in chunks; the state machine's invariants are checked. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "data.h"

static void commands(const char *s, size_t n)
{
  size_t off = 0;
  while (off < n) {
    const char *nl = memchr(s + off, '\n', n - off);
    size_t len = nl ? (size_t)(nl - (s + off)) : n - off;
    smtp_cmd c;
    if (len <= SMTP_LINE_MAX && cmd_split(s + off, len, &c)) {
      addr a;
      mail_params p;
      const char *why;
      unsigned long long sz;
      int last;
      if (c.arg < s + off || c.arg + c.arglen > s + off + len) abort();
      if (cmd_mail(c.arg, c.arglen, &a, &p, &why) == CMD_OK) {
        if (a.local_len > ADDR_LOCAL_MAX || a.domain_len > ADDR_DOMAIN_MAX) abort();
      }
      if (cmd_rcpt(c.arg, c.arglen, ADDR_UTF8, &a, &why) == CMD_OK && a.null) abort();
      (void)cmd_bdat(c.arg, c.arglen, &sz, &last);
      (void)cmd_helo_ok(c.arg, c.arglen);
    }
    off += len + 1;
  }
}

static void data(const char *s, size_t n, int bdat, size_t step)
{
  static char out[5000];
  data_state d;
  size_t used = 0, total = 0;
  data_init(&d, bdat, 100);
  while (used < n && !d.done) {
    size_t k = n - used < step ? n - used : step, on, u;
    u = data_feed(&d, s + used, k, out, &on);
    if (u > k || on > k + 1) abort();
    used += u;
    total += on;
    if (total > 100) abort();   /* never more output than the limit */
  }
  if (bdat && d.done) abort();
  /* DATA ends only at CRLF "." CRLF */
  if (d.done && (used < 5 ? used != 3 || memcmp(s, ".\r\n", 3) != 0 : memcmp(s + used - 5, "\r\n.\r\n", 5) != 0))
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t n)
{
  const char *s = (const char *)buf;
  if (n < 1) return 0;
  switch (buf[0] % 3) {
  case 0: commands(s + 1, n - 1); break;
  case 1: data(s + 1, n - 1, 0, 1 + buf[0] / 3 % 17); break;
  default: data(s + 1, n - 1, 1, 1 + buf[0] / 3 % 17); break;
  }
  return 0;
}
