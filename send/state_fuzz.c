/* libFuzzer target: the parsers of every state and framing format yubin-send
 * reads, and of the delivery programs' results. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ns.h"
#include "results.h"
#include "state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *b = malloc(size + 1);
  info in;
  size_t pos, at, pending, used, n;
  char mark, st[16];
  const char *a, *d;
  failure f;

  if (!b) return 0;
  memcpy(b, data, size);
  b[size] = 0;
  pos = 0;
  while (rcpt_next(b, size, &pos, &mark, &a, &at) == 1) {}
  (void)info_parse(b, size, &in);
  (void)rcpt_check(b, size, &pending);
  pos = 0;
  while (ns_parse(b + pos, size - pos, &d, &n, &used) == 1) pos += used;
  status_of(b, "5.0.0", st);
  pos = 0;
  while (bounce_next(b, size, &pos, &f) == 1) {}
  {
    const char *r[3] = { "x@d", "y@d", "z@d" };
    sa out = SA_ZERO;
    (void)results_remote(&out, r, 3, (const char *)data, size, 0);
    out.len = 0;
    (void)results_local(&out, "x@d", (const char *)data, size, 0, 0);
    sa_free(&out);
  }
  free(b);
  return 0;
}
