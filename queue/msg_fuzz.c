/* libFuzzer target: the sendmail input filter, fed in pieces of any size,
 * gives the same output as fed at once, never overruns its n + 2 bound, and
 * (when a dot does not end the input) keeps every line end. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"

static size_t run(const char *in, size_t n, size_t step, int dots, char *out)
{
  msgfilter m;
  size_t i, o = 0;
  msgf_init(&m, dots);
  for (i = 0; i < n; i += step) {
    size_t k = n - i < step ? n - i : step;
    o += msgf_feed(&m, in + i, k, out + o);
    if (o > i + k + 2) __builtin_trap();
  }
  o += msgf_end(&m, out + o);
  return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  size_t step, a, b, i;
  int dots;
  char *x, *y;
  if (size < 1) return 0;
  step = (size_t)(data[0] & 15) + 1;
  dots = data[0] >> 7;
  x = malloc(size + 2);
  y = malloc(size + 2);
  if (!x || !y) abort();
  a = run((const char *)data + 1, size - 1, size, dots, x);
  b = run((const char *)data + 1, size - 1, step, dots, y);
  if (a != b || memcmp(x, y, a) != 0) __builtin_trap();
  if (!dots) {
    size_t lf_in = 0, lf_out = 0;
    for (i = 1; i < size; i++) lf_in += data[i] == '\n';
    for (i = 0; i < a; i++) lf_out += x[i] == '\n';
    if (lf_in != lf_out) __builtin_trap();
  }
  free(x);
  free(y);
  return 0;
}
