#include "table.h"

#include <errno.h>

#include "test.h"

#define S(x) x, sizeof x - 1

TEST(parse_and_format)
{
  table t = TABLE_ZERO;
  sa out = SA_ZERO;
  CHECK(table_parse(&t, S("b.org subdomains\na.org\n\n")));
  CHECK(t.n == 2);
  CHECK(table_get(&t, "a.org") != 0);
  CHECK_STR(table_get(&t, "b.org")->val, "subdomains");
  CHECK(table_set(&t, "c.org", ""));
  CHECK(table_set(&t, "a.org", "x y"));
  CHECK(table_del(&t, "b.org") == 1);
  CHECK(table_del(&t, "b.org") == 0);
  CHECK(table_format(&t, &out));
  CHECK(sa_0(&out));
  CHECK_STR(out.s, "a.org x y\nc.org\n");
  sa_free(&out);
  table_free(&t);
}

TEST(strict)
{
  table t = TABLE_ZERO;
  CHECK(!table_parse(&t, S("a.org\na.org\n")));          /* duplicate */
  CHECK(t.bad_line == 2);
  table_free(&t);
  CHECK(!table_parse(&t, S("a.org")));                   /* no final newline */
  table_free(&t);
  CHECK(!table_parse(&t, S("a\0b\n")));                  /* NUL */
  table_free(&t);
  CHECK(!table_parse(&t, S("a\tb\n")));                  /* control character */
  table_free(&t);
  CHECK(!table_parse(&t, S(" a\n")));                    /* empty key */
  table_free(&t);
  CHECK(!table_set(&t, "a b", ""));                      /* space in a key */
  CHECK(!table_set(&t, "a", "x\ny"));                    /* newline in a value */
  CHECK(!table_set(&t, "", "x"));
  table_free(&t);
}

TEST(whole_lines)
{
  table t = TABLE_ZERO;
  sa out = SA_ZERO;
  t.whole = 1;
  CHECK(table_parse(&t, S("joe@a.org sales\njoe@a.org list-default\n")));
  CHECK(t.n == 2);
  CHECK(table_get(&t, "joe@a.org sales") != 0);
  CHECK(table_set(&t, "ann@a.org x", ""));
  CHECK(!table_set(&t, "ann@a.org", "value"));
  CHECK(table_format(&t, &out) && sa_0(&out));
  CHECK_STR(out.s, "ann@a.org x\njoe@a.org list-default\njoe@a.org sales\n");
  sa_free(&out);
  table_free(&t);
}

TEST(long_line)
{
  static char buf[TABLE_LINE_MAX + 10];
  table t = TABLE_ZERO;
  size_t i;
  for (i = 0; i < TABLE_LINE_MAX + 1; i++) buf[i] = 'a';
  buf[TABLE_LINE_MAX + 1] = '\n';
  CHECK(!table_parse(&t, buf, TABLE_LINE_MAX + 2));
  CHECK(errno == EINVAL);
  table_free(&t);
}

int main(void)
{
  RUN(parse_and_format);
  RUN(strict);
  RUN(whole_lines);
  RUN(long_line);
  return test_report();
}
