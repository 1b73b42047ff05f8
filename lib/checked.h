/* checked.h: size arithmetic that cannot wrap.  Every sum or product of sizes
 * that comes from input goes through these; they return 1 on success and 0
 * (errno EOVERFLOW) when the result would not fit. */
#ifndef YUBIN_CHECKED_H
#define YUBIN_CHECKED_H
#include <errno.h>
#include <stddef.h>

static inline int size_add(size_t a, size_t b, size_t *r)
{
  if (__builtin_add_overflow(a, b, r)) { errno = EOVERFLOW; return 0; }
  return 1;
}

static inline int size_mul(size_t a, size_t b, size_t *r)
{
  if (__builtin_mul_overflow(a, b, r)) { errno = EOVERFLOW; return 0; }
  return 1;
}

#endif
