#include "sched.h"

/* offset in ms of scheduled attempt k */
static long long offset_ms(long long c, long long k, unsigned long scale)
{
  long double v = (long double)(c * k) * (long double)(c * k) * 1000.0L / (long double)scale;
  if (v > 9.0e18L) return (long long)9e18;
  return (long long)v;
}

long long sched_next(long long birth_ms, long long now_ms, int remote,
                     unsigned long retryscale, long long lifetime_ms)
{
  long long c = remote ? SCHED_C_REMOTE : SCHED_C_LOCAL;
  long long age, lo = 1, hi = 1, t, end;

  if (retryscale < 1) retryscale = 1;
  end = birth_ms + lifetime_ms;
  if (now_ms >= end) return now_ms;
  age = now_ms - birth_ms;
  if (age < 0) age = 0;
  /* smallest k >= 1 with offset(k) > age, by doubling then bisection */
  while (offset_ms(c, hi, retryscale) <= age) { lo = hi + 1; hi *= 2; }
  while (lo < hi) {
    long long mid = lo + (hi - lo) / 2;
    if (offset_ms(c, mid, retryscale) > age) hi = mid; else lo = mid + 1;
  }
  t = birth_ms + offset_ms(c, lo, retryscale);
  if (t > end) t = end;
  return t;
}

int sched_expired(long long birth_ms, long long now_ms, long long lifetime_ms)
{
  return now_ms >= birth_ms + lifetime_ms;
}
