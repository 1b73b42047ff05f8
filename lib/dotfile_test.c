#include "dotfile.h"
#include "test.h"

static dotfile_line d[DOTFILE_DELIVERIES_MAX];
static size_t nd;
static dotfile_error de;

static int parse(const char *s)
{
  return dotfile_parse(s, strlen(s), d, DOTFILE_DELIVERIES_MAX, &nd, &de);
}

static int arg_is(size_t i, const char *s)
{
  return d[i].len == strlen(s) && memcmp(d[i].arg, s, d[i].len) == 0;
}

TEST(each_kind)
{
  CHECK(parse("# my rules\n./Maildir/\n/var/mail/joe\n&a@example.com\nb@example.org\n|/usr/bin/filter -x 'a b'\n\n   \n./mbox"));
  CHECK(nd == 6);
  CHECK(d[0].type == DOT_MAILDIR && arg_is(0, "./Maildir/") && d[0].lineno == 2);
  CHECK(d[1].type == DOT_MBOX && arg_is(1, "/var/mail/joe"));
  CHECK(d[2].type == DOT_FORWARD && arg_is(2, "a@example.com"));
  CHECK(d[3].type == DOT_FORWARD && arg_is(3, "b@example.org"));
  CHECK(d[4].type == DOT_PROGRAM && arg_is(4, "/usr/bin/filter -x 'a b'"));
  CHECK(d[5].type == DOT_MBOX && arg_is(5, "./mbox") && d[5].lineno == 9);
}

TEST(trimming)
{
  CHECK(parse("./Maildir/  \t\r\n|cmd  \r\n"));
  CHECK(nd == 2);
  CHECK(arg_is(0, "./Maildir/"));
  CHECK(arg_is(1, "cmd  "));
}

TEST(empty_and_comments)
{
  CHECK(parse(""));
  CHECK(nd == 0);
  CHECK(parse("#only\n\n# comments\n"));
  CHECK(nd == 0);
}

TEST(bad_lines)
{
  CHECK(!parse("./Maildir/\nuser@\n"));
  CHECK(de.lineno == 2);
  CHECK(de.why != 0);
  CHECK(!parse("&\n"));
  CHECK(!parse("&not an address\n"));
  CHECK(!parse("Maildir/\n"));
  CHECK(!parse(" ./Maildir/\n"));
  CHECK(!parse("|\n"));
  CHECK(!parse("|   \n"));
  CHECK(!parse("./\n"));
  CHECK(!parse(".\n"));
  CHECK(!parse("/\n"));
  CHECK(!parse("../other/Maildir/\n"));
  CHECK(!parse("./Mail dir/\n"));
  CHECK(!parse("./mbox\x01\n"));
  CHECK(!dotfile_parse("./a\0b\n", 6, d, DOTFILE_DELIVERIES_MAX, &nd, &de));
  CHECK(de.lineno == 1);
  CHECK(!parse("user@exa mple.com\n"));
  CHECK(!parse("<user@example.com>\n"));
}

TEST(limits)
{
  static char big[DOTFILE_SIZE_MAX + 2];
  size_t i;
  memset(big, 'x', DOTFILE_LINE_MAX + 1);
  big[0] = '/';
  big[DOTFILE_LINE_MAX + 1] = 0;
  CHECK(!parse(big));
  big[DOTFILE_LINE_MAX] = 0;
  CHECK(parse(big));
  /* as many delivery lines as allowed, and one more */
  big[0] = 0;
  for (i = 0; i < DOTFILE_DELIVERIES_MAX; i++) strcat(big, "./m\n");
  CHECK(parse(big));
  CHECK(nd == DOTFILE_DELIVERIES_MAX);
  strcat(big, "./m\n");
  CHECK(!parse(big));
  CHECK(de.lineno == DOTFILE_DELIVERIES_MAX + 1);
  /* too many physical lines */
  memset(big, '\n', DOTFILE_LINES_MAX + 1);
  big[DOTFILE_LINES_MAX + 1] = 0;
  CHECK(!parse(big));
  big[DOTFILE_LINES_MAX] = 0;
  CHECK(parse(big));
  /* too big as a whole */
  CHECK(!dotfile_parse(big, DOTFILE_SIZE_MAX + 1, d, DOTFILE_DELIVERIES_MAX, &nd, &de));
  /* caller's table is honoured */
  CHECK(!dotfile_parse("./a\n./b\n", 8, d, 1, &nd, &de));
  CHECK_STR(de.why, "too many deliveries");
  CHECK(de.lineno == 2);
}

TEST(utf8_forward)
{
  CHECK(parse("ユーザー@例え.jp\n"));
  CHECK(nd == 1 && d[0].type == DOT_FORWARD);
}

int main(void)
{
  RUN(each_kind);
  RUN(trimming);
  RUN(empty_and_comments);
  RUN(bad_lines);
  RUN(limits);
  RUN(utf8_forward);
  return test_report();
}
