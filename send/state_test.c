#include "state.h"
#include "ns.h"
#include "test.h"

#define ENV(s) s, sizeof(s) - 1

TEST(info_roundtrip)
{
  sa s = SA_ZERO;
  info in = { 1700000000ULL, 33, 4444, "who@where.example" }, out;
  CHECK(info_format(&s, &in));
  CHECK(info_parse(s.s, s.len, &out) == 1);
  CHECK(out.birth == in.birth && out.uid == 33 && out.pid == 4444);
  CHECK_STR(out.sender, "who@where.example");
  CHECK(!info_parse(s.s, s.len - 1, &out));          /* cut short */
  CHECK(!info_parse(ENV("b1\0u1\0p1\0Fa\0X"), &out)); /* extra */
  sa_free(&s);
}

TEST(rcpt_marks)
{
  char b[] = "Ta@x\0Db@y\0Tc@z\0";
  size_t pending;
  CHECK(rcpt_check(b, sizeof b - 1, &pending) == 1 && pending == 2);
  b[0] = 'D';
  CHECK(rcpt_check(b, sizeof b - 1, &pending) == 1 && pending == 1);
  b[0] = 'Q';
  CHECK(!rcpt_check(b, sizeof b - 1, &pending));
  CHECK(!rcpt_check(ENV("Ta@x"), &pending));          /* unterminated */
  CHECK(!rcpt_check(ENV("Ta@x\0\0"), &pending));     /* stray NUL */
  CHECK(rcpt_check(ENV(""), &pending) == 1 && pending == 0);
}

TEST(bounce_lines)
{
  sa s = SA_ZERO;
  size_t pos = 0;
  failure f;
  CHECK(bounce_line(&s, "5.1.1", "a@b", "-", "no\tsuch\nuser"));
  CHECK(bounce_line(&s, "4.4.7", "c@d", "mx.d", "421 busy"));
  CHECK(bounce_next(s.s, s.len, &pos, &f) == 1);
  CHECK_STR(f.status, "5.1.1");
  CHECK_STR(f.rcpt, "a@b");
  CHECK_STR(f.text, "no such user");
  CHECK(bounce_next(s.s, s.len, &pos, &f) == 1);
  CHECK_STR(f.host, "mx.d");
  CHECK(bounce_next(s.s, s.len, &pos, &f) == 0);
  {
    char bad[] = "5.1.1\ta@b\t-\n";
    pos = 0;
    CHECK(bounce_next(bad, sizeof bad - 1, &pos, &f) == -1);
  }
  sa_free(&s);
}

TEST(status_codes)
{
  char st[16];
  status_of("5.1.1 sorry", "5.0.0", st); CHECK_STR(st, "5.1.1");
  status_of("550 5.7.1 denied", "5.0.0", st); CHECK_STR(st, "5.7.1");
  status_of("550 denied", "5.0.0", st); CHECK_STR(st, "5.0.0");
  status_of("4.4.0 remote delivery is not installed", "4.0.0", st); CHECK_STR(st, "4.4.0");
  status_of("5.1234.1 x", "5.0.0", st); CHECK_STR(st, "5.0.0");
  status_of("", "4.4.7", st); CHECK_STR(st, "4.4.7");
}

TEST(netstrings)
{
  const char *d;
  size_t n, used;
  sa s = SA_ZERO;
  CHECK(ns_parse(ENV("5:hello,"), &d, &n, &used) == 1 && n == 5 && used == 8 && memcmp(d, "hello", 5) == 0);
  CHECK(ns_parse(ENV("0:,"), &d, &n, &used) == 1 && n == 0);
  CHECK(ns_parse(ENV("5:hel"), &d, &n, &used) == 0);
  CHECK(ns_parse(ENV("5"), &d, &n, &used) == 0);
  CHECK(ns_parse(ENV("5:hello;"), &d, &n, &used) == -1);
  CHECK(ns_parse(ENV("05:hello,"), &d, &n, &used) == -1);
  CHECK(ns_parse(ENV(":x,"), &d, &n, &used) == -1);
  CHECK(ns_parse(ENV("99999999:"), &d, &n, &used) == -1);
  CHECK(ns_parse(ENV("2000000:"), &d, &n, &used) == -1);  /* over NS_MAX */
  CHECK(ns_append(&s, "ab\0c", 4));
  CHECK(s.len == 7 && memcmp(s.s, "4:ab\0c,", 7) == 0);
  sa_free(&s);
}

int main(void)
{
  RUN(info_roundtrip);
  RUN(rcpt_marks);
  RUN(bounce_lines);
  RUN(status_codes);
  RUN(netstrings);
  return test_report();
}
