/* test.h: the tiny in-tree assert harness for C unit tests.
 *   TEST(name) { CHECK(expr); CHECK_STR(a, b); }
 *   int main(void) { RUN(name); ...; return test_report(); }
 * test_report() prints "N passed, N failed" (tests/run.py reads it) and
 * returns the exit code. */
#ifndef YUBIN_TEST_H
#define YUBIN_TEST_H
#include <stdio.h>
#include <string.h>

static int test_passed, test_failed, test_cur_failed;

#define TEST(name) static void test_##name(void)
#define CHECK(e) do { if (!(e)) { test_cur_failed = 1; \
  fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #e); } } while (0)
#define CHECK_STR(a, b) do { const char *a_ = (a), *b_ = (b); \
  if (!a_ || !b_ || strcmp(a_, b_) != 0) { test_cur_failed = 1; \
  fprintf(stderr, "%s:%d: CHECK_STR failed: \"%s\" != \"%s\"\n", __FILE__, __LINE__, \
          a_ ? a_ : "(null)", b_ ? b_ : "(null)"); } } while (0)
#define RUN(name) do { test_cur_failed = 0; test_##name(); \
  if (test_cur_failed) { test_failed++; fprintf(stderr, "FAIL %s\n", #name); } \
  else test_passed++; } while (0)

static inline int test_report(void)
{
  printf("%d passed, %d failed\n", test_passed, test_failed);
  return test_failed ? 1 : 0;
}

#endif
