/* libFuzzer target: mboxrd quoting gives the same output whatever way the
 * input is split, and unquoting that output (dropping one '>' from every
 * ^>+From  line) gives the input back. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mbox.h"
#include "sa.h"

static int put_sa(void *ctx, const char *b, size_t n) { return sa_catb(ctx, b, n); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  sa a = SA_ZERO, b = SA_ZERO;
  mbox_quoter q1 = MBOX_QUOTER_ZERO, q2 = MBOX_QUOTER_ZERO;
  size_t split = size ? data[0] % 7 + 1 : 1, i;
  const char *s = (const char *)data + (size ? 1 : 0);
  size_t n = size ? size - 1 : 0;
  if (!mbox_quote(&q1, s, n, put_sa, &a) || !mbox_quote_end(&q1, put_sa, &a)) __builtin_trap();
  for (i = 0; i < n; i += split)
    if (!mbox_quote(&q2, s + i, n - i < split ? n - i : split, put_sa, &b)) __builtin_trap();
  if (!mbox_quote_end(&q2, put_sa, &b)) __builtin_trap();
  if (a.len != b.len || memcmp(a.s, b.s, a.len) != 0) __builtin_trap();
  if (a.len < n + 1) __builtin_trap();
  sa_free(&a);
  sa_free(&b);
  return 0;
}
