#include "sched.h"
#include "test.h"

#define S 1000LL
#define WEEK (604800LL * S)

TEST(first_retries)
{
  long long b = 1700000000LL * S;
  CHECK(sched_next(b, b, 0, 1, WEEK) == b + 100 * S);
  CHECK(sched_next(b, b + 100 * S - 1, 0, 1, WEEK) == b + 100 * S);
  CHECK(sched_next(b, b + 100 * S, 0, 1, WEEK) == b + 400 * S);
  CHECK(sched_next(b, b + 500 * S, 0, 1, WEEK) == b + 900 * S);
  CHECK(sched_next(b, b, 1, 1, WEEK) == b + 400 * S);
  CHECK(sched_next(b, b + 400 * S, 1, 1, WEEK) == b + 1600 * S);
}

TEST(grows_to_hours)
{
  long long b = 0, t = 0, prev = 0, gap = 0;
  int n = 0;
  while ((t = sched_next(b, t, 1, 1, WEEK)) < WEEK) { gap = t - prev; prev = t; n++; }
  CHECK(t == WEEK);                 /* the last attempt is at the end of the lifetime */
  CHECK(gap > 3600 * S);            /* hours apart near the end */
  CHECK(n > 20 && n < 60);
}

TEST(deterministic_and_monotonic)
{
  long long b = 12345678LL * S, t;
  for (t = b; t < b + 100000 * S; t += 777 * S) {
    long long n = sched_next(b, t, 0, 1, WEEK);
    CHECK(n > t);
    CHECK(n == sched_next(b, t, 0, 1, WEEK));
    CHECK(sched_next(b, t + 1, 0, 1, WEEK) >= n);
  }
}

TEST(scale)
{
  long long b = 0;
  CHECK(sched_next(b, b, 0, 1000, WEEK) == 100);      /* 100 s / 1000 */
  CHECK(sched_next(b, 100, 0, 1000, WEEK) == 400);
  CHECK(sched_next(b, b, 1, 1000, WEEK) == 400);
  CHECK(sched_next(b, b, 0, 0, WEEK) == 100 * S);     /* scale 0 is treated as 1 */
}

TEST(lifetime)
{
  long long b = 0;
  CHECK(sched_next(b, 0, 0, 1, 5 * S) == 5 * S);      /* first retry would be later */
  CHECK(sched_next(b, 6 * S, 0, 1, 5 * S) == 6 * S);  /* after it: now */
  CHECK(sched_expired(b, 5 * S, 5 * S));
  CHECK(!sched_expired(b, 5 * S - 1, 5 * S));
  CHECK(sched_next(b, -50 * S, 0, 1, WEEK) == 100 * S); /* clock before birth */
}

int main(void)
{
  RUN(first_retries);
  RUN(grows_to_hours);
  RUN(deterministic_and_monotonic);
  RUN(scale);
  RUN(lifetime);
  return test_report();
}
