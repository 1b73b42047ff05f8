#include <sys/wait.h>

#include "results.h"
#include "test.h"

#define EXITED(c) ((c) << 8)   /* a wait status for exit code c */

static const char *body(sa *s) { sa_0(s); return s->s; }

TEST(local_codes)
{
  sa s = SA_ZERO;
  CHECK(EXITED(100) >> 8 == 100 && WIFEXITED(EXITED(100)));
  CHECK(results_local(&s, "a@b", "2.0.0 delivered to ./Maildir/\n", 30, EXITED(0), 0));
  CHECK_STR(body(&s), "ok\ta@b\t-\t2.0.0 delivered to ./Maildir/\n");
  s.len = 0;
  CHECK(results_local(&s, "a@b", "5.1.1 no\tsuch\r\n", 15, EXITED(100), 0));
  CHECK_STR(body(&s), "perm\ta@b\t-\t5.1.1 no such\n");
  s.len = 0;
  CHECK(results_local(&s, "a@b", "", 0, EXITED(111), 0));
  CHECK_STR(body(&s), "temp\ta@b\t-\t4.0.0 temporary failure\n");
  s.len = 0;
  CHECK(results_local(&s, "a@b", "2.0.0 fine\n", 11, EXITED(3), 0));
  CHECK_STR(body(&s), "temp\ta@b\t-\t4.3.0 yubin-local crashed\n");
  s.len = 0;
  CHECK(results_local(&s, "a@b", "", 0, 9 /* killed by SIGKILL */, 1));
  CHECK_STR(body(&s), "temp\ta@b\t-\t4.3.0 local delivery timed out\n");
  sa_free(&s);
}

TEST(remote_lines)
{
  sa s = SA_ZERO;
  const char *r[3] = { "x@d", "y@d", "z@d" };
  static const char o[] = "ok\tx@d\tmx.d\t250 2.0.0 ok\nperm\ty@d\tmx.d\t550 5.1.1 no\ntemp\tz@d\t-\t4.4.1 no answer\n";
  CHECK(results_remote(&s, r, 3, o, sizeof o - 1, 0));
  CHECK_STR(body(&s), o);
  sa_free(&s);
}

TEST(remote_missing_and_bad)
{
  sa s = SA_ZERO;
  const char *r[3] = { "x@d", "y@d", "z@d" };
  static const char o1[] = "ok\tx@d\tmx.d\t250 ok\n";                     /* then it died */
  static const char o2[] = "ok\ty@d\tmx.d\t250 ok\nok\tx@d\tmx.d\t250 ok\n"; /* wrong order */
  static const char o3[] = "fine\tx@d\tmx.d\t250 ok\n";                   /* unknown result */
  static const char o4[] = "ok\tx@d\tmx.d\t250 ok";                       /* no LF */
  CHECK(results_remote(&s, r, 3, o1, sizeof o1 - 1, 0));
  CHECK_STR(body(&s), "ok\tx@d\tmx.d\t250 ok\ntemp\ty@d\t-\t4.3.0 yubin-remote crashed\n"
                      "temp\tz@d\t-\t4.3.0 yubin-remote crashed\n");
  s.len = 0;
  CHECK(results_remote(&s, r, 1, o2, sizeof o2 - 1, 0));
  CHECK_STR(body(&s), "temp\tx@d\t-\t4.3.0 yubin-remote crashed\n");
  s.len = 0;
  CHECK(results_remote(&s, r, 1, o3, sizeof o3 - 1, 0));
  CHECK_STR(body(&s), "temp\tx@d\t-\t4.3.0 yubin-remote crashed\n");
  s.len = 0;
  CHECK(results_remote(&s, r, 1, o4, sizeof o4 - 1, 1));
  CHECK_STR(body(&s), "temp\tx@d\t-\t4.4.2 remote delivery timed out\n");
  s.len = 0;
  CHECK(results_remote(&s, r, 1, "ok\tx@d\t\t\n", 9, 0));        /* empty host and text */
  CHECK_STR(body(&s), "ok\tx@d\t-\t2.0.0 delivered\n");
  sa_free(&s);
}

int main(void)
{
  RUN(local_codes);
  RUN(remote_lines);
  RUN(remote_missing_and_bad);
  return test_report();
}
