#include <string.h>

#include "msgconv.h"
#include "pop3cmd.h"
#include "test.h"

static int parse(const char *s, pop3_cmd *c)
{
  static char buf[POP3_LINE_MAX + 1];
  size_t n = strlen(s);
  memcpy(buf, s, n + 1);
  return pop3_parse(buf, n, c);
}

TEST(verbs_and_arguments)
{
  pop3_cmd c;
  CHECK(parse("STAT\r\n", &c) == POP3_OK && c.verb == POP3_STAT);
  CHECK(parse("stat\n", &c) == POP3_OK && c.verb == POP3_STAT);
  CHECK(parse("LIST\r\n", &c) == POP3_OK && c.verb == POP3_LIST && c.nnum == 0);
  CHECK(parse("LIST 12\r\n", &c) == POP3_OK && c.nnum == 1 && c.num[0] == 12);
  CHECK(parse("TOP 3 0\r\n", &c) == POP3_OK && c.verb == POP3_TOP && c.num[0] == 3 && c.num[1] == 0);
  CHECK(parse("RETR 999999999\r\n", &c) == POP3_OK && c.num[0] == 999999999UL);
  CHECK(parse("USER joe@example.com\r\n", &c) == POP3_OK);
  CHECK_STR(c.text, "joe@example.com");
  CHECK(parse("PASS a secret with spaces\r\n", &c) == POP3_OK);
  CHECK_STR(c.text, "a secret with spaces");
  CHECK(parse("AUTH\r\n", &c) == POP3_OK && c.verb == POP3_AUTH && !c.text);
  CHECK(parse("AUTH PLAIN\r\n", &c) == POP3_OK && !c.text2);
  CHECK_STR(c.text, "PLAIN");
  CHECK(parse("AUTH PLAIN AGpvZQBzZWNyZXQ=\r\n", &c) == POP3_OK);
  CHECK_STR(c.text2, "AGpvZQBzZWNyZXQ=");
  CHECK_STR(pop3_verb_name(POP3_UIDL), "UIDL");
}

TEST(bad_lines)
{
  pop3_cmd c;
  CHECK(parse("\r\n", &c) == POP3_EEMPTY);
  CHECK(parse("FOO\r\n", &c) == POP3_EUNKNOWN);
  CHECK(parse("STATS\r\n", &c) == POP3_EUNKNOWN);
  CHECK(parse("STAT 1\r\n", &c) == POP3_ESYNTAX);
  CHECK(parse("STAT \r\n", &c) == POP3_ESYNTAX);
  CHECK(parse("LIST \r\n", &c) == POP3_ESYNTAX);
  CHECK(parse("LIST 1 \r\n", &c) == POP3_ESYNTAX);
  CHECK(parse("LIST  1\r\n", &c) == POP3_ESYNTAX);
  CHECK(parse("LIST 1 2\r\n", &c) == POP3_ESYNTAX);
  CHECK(parse("LIST -1\r\n", &c) == POP3_ESYNTAX);
  CHECK(parse("LIST +1\r\n", &c) == POP3_ESYNTAX);
  CHECK(parse("LIST 1x\r\n", &c) == POP3_ESYNTAX);
  CHECK(parse("RETR\r\n", &c) == POP3_ESYNTAX);
  CHECK(parse("RETR 1000000000\r\n", &c) == POP3_ESYNTAX);
  CHECK(parse("RETR 99999999999999999999999\r\n", &c) == POP3_ESYNTAX);
  CHECK(parse("TOP 1\r\n", &c) == POP3_ESYNTAX);
  CHECK(parse("TOP 1 2 3\r\n", &c) == POP3_ESYNTAX);
  CHECK(parse("USER\r\n", &c) == POP3_ESYNTAX);
  CHECK(parse("USER \r\n", &c) == POP3_ESYNTAX);
  CHECK(parse("AUTH \r\n", &c) == POP3_ESYNTAX);
  CHECK(parse("AUTH PLAIN a b\r\n", &c) == POP3_ESYNTAX);
  CHECK(parse("AUTH PLAIN \r\n", &c) == POP3_ESYNTAX);
  {
    char nul[] = "USER a\0b\r\n";
    CHECK(pop3_parse(nul, sizeof nul - 1, &c) == POP3_ESYNTAX);
  }
}

/* Converts a whole message in one call per byte and in one call, checking
 * both give the same output. */
static const char *conv(const char *in, int stuff, long top)
{
  static char out[4096], out2[4096];
  msgconv m;
  size_t n = strlen(in), o = 0, o2 = 0, i;
  msgconv_init(&m, stuff, top);
  o = msgconv_feed(&m, in, n, out);
  o += msgconv_finish(&m, out + o);
  out[o] = 0;
  msgconv_init(&m, stuff, top);
  for (i = 0; i < n; i++) o2 += msgconv_feed(&m, in + i, 1, out2 + o2);
  o2 += msgconv_finish(&m, out2 + o2);
  out2[o2] = 0;
  if (strcmp(out, out2) != 0) return "split-mismatch";
  return out;
}

TEST(crlf_and_stuffing)
{
  CHECK_STR(conv("a\nb\n", 1, -1), "a\r\nb\r\n");
  CHECK_STR(conv("a\r\nb\r\n", 1, -1), "a\r\nb\r\n");
  CHECK_STR(conv("a\nno newline", 1, -1), "a\r\nno newline\r\n");
  CHECK_STR(conv("cr\rinside\n", 1, -1), "cr\rinside\r\n");
  CHECK_STR(conv("end cr\r", 1, -1), "end cr\r\n");
  CHECK_STR(conv(".a\n..b\nc.\n.\n", 1, -1), "..a\r\n...b\r\nc.\r\n..\r\n");
  CHECK_STR(conv(".a\n..b\n", 0, -1), ".a\r\n..b\r\n");
  CHECK_STR(conv("\r.x\n", 1, -1), "\r.x\r\n");
  CHECK_STR(conv("", 1, -1), "");
  CHECK_STR(conv("\n\n", 1, -1), "\r\n\r\n");
}

TEST(top_lines)
{
  const char *m = "H: 1\nH: 2\n\nb1\nb2\nb3\n";
  CHECK_STR(conv(m, 1, 0), "H: 1\r\nH: 2\r\n\r\n");
  CHECK_STR(conv(m, 1, 2), "H: 1\r\nH: 2\r\n\r\nb1\r\nb2\r\n");
  CHECK_STR(conv(m, 1, 10), "H: 1\r\nH: 2\r\n\r\nb1\r\nb2\r\nb3\r\n");
  CHECK_STR(conv("H: 1\r\n\r\n.b1\r\nb2", 1, 1), "H: 1\r\n\r\n..b1\r\n");
  CHECK_STR(conv("no body", 1, 0), "no body\r\n");
}

int main(void)
{
  RUN(verbs_and_arguments);
  RUN(bad_lines);
  RUN(crlf_and_stuffing);
  RUN(top_lines);
  return test_report();
}
