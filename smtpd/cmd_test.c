/* Unit tests for the SMTP command parser. */
#include <string.h>

#include "cmd.h"
#include "test.h"

#define S(x) x, strlen(x)

TEST(split)
{
  smtp_cmd c;
  CHECK(cmd_split(S("ehlo client.example"), &c));
  CHECK_STR(c.verb, "EHLO");
  CHECK(c.arglen == 14 && memcmp(c.arg, "client.example", 14) == 0);
  CHECK(cmd_split(S("QUIT"), &c) && c.arglen == 0);
  CHECK(!cmd_split(S(""), &c));
  CHECK(!cmd_split(S(" QUIT"), &c));
  CHECK(!cmd_split(S("QU1T"), &c));
  CHECK(!cmd_split(S("ABCDEFGHIJK x"), &c));
  CHECK(!cmd_split(S("MAIL FROM:<a\x01@b>"), &c));
}

TEST(mail)
{
  addr a;
  mail_params p;
  const char *why;
  CHECK(cmd_mail(S("FROM:<joe@example.com>"), &a, &p, &why) == CMD_OK);
  CHECK_STR(a.local, "joe");
  CHECK_STR(a.domain, "example.com");
  CHECK(cmd_mail(S("from: <>"), &a, &p, &why) == CMD_OK && a.null);
  CHECK(cmd_mail(S("FROM:<a@b.example> SIZE=1000 BODY=8BITMIME"), &a, &p, &why) == CMD_OK);
  CHECK(p.has_size && p.size == 1000 && p.body8);
  CHECK(cmd_mail(S("FROM:<@relay.example,@r2.example:joe@example.com>"), &a, &p, &why) == CMD_OK);
  CHECK_STR(a.domain, "example.com");
  CHECK(cmd_mail(S("FROM:<j\xc3\xb6@example.com> SMTPUTF8"), &a, &p, &why) == CMD_OK && p.smtputf8);
  CHECK(cmd_mail(S("FROM:<j\xc3\xb6@example.com>"), &a, &p, &why) == CMD_SYNTAX);
  CHECK(cmd_mail(S("FROM:joe@example.com"), &a, &p, &why) == CMD_SYNTAX);
  CHECK(cmd_mail(S("FROM:<joe@example.com> SIZE=x"), &a, &p, &why) == CMD_SYNTAX);
  CHECK(cmd_mail(S("FROM:<joe@example.com> SIZE=99999999999999999999999"), &a, &p, &why) == CMD_SYNTAX);
  CHECK(cmd_mail(S("FROM:<joe@example.com> RET=FULL"), &a, &p, &why) == CMD_BAD_PARAM);
  CHECK(cmd_mail(S("FROM:<joe@example.com>x"), &a, &p, &why) == CMD_SYNTAX);
  CHECK(cmd_mail(S("TO:<joe@example.com>"), &a, &p, &why) == CMD_SYNTAX);
}

TEST(rcpt)
{
  addr a;
  const char *why;
  CHECK(cmd_rcpt(S("TO:<joe@example.com>"), 0, &a, &why) == CMD_OK);
  CHECK(cmd_rcpt(S("TO:<>"), 0, &a, &why) == CMD_SYNTAX);
  CHECK(cmd_rcpt(S("TO:<\"a@b\"@example.com>"), 0, &a, &why) == CMD_OK && a.quoted);
  CHECK(cmd_rcpt(S("TO:<a%b@example.com>"), 0, &a, &why) == CMD_OK);
  CHECK(cmd_rcpt(S("TO:<joe@example.com> NOTIFY=NEVER"), 0, &a, &why) == CMD_BAD_PARAM);
  CHECK(cmd_rcpt(S("TO:<joe@[192.0.2.1]>"), 0, &a, &why) == CMD_OK && a.literal);
  CHECK(cmd_rcpt(S("TO:<joe@example..com>"), 0, &a, &why) == CMD_SYNTAX);
  CHECK(cmd_rcpt(S("TO:<joe@example.com"), 0, &a, &why) == CMD_SYNTAX);
}

TEST(bdat_and_helo)
{
  unsigned long long n;
  int last;
  CHECK(cmd_bdat(S("100"), &n, &last) == CMD_OK && n == 100 && !last);
  CHECK(cmd_bdat(S("0 LAST"), &n, &last) == CMD_OK && n == 0 && last);
  CHECK(cmd_bdat(S("0 last"), &n, &last) == CMD_OK && last);
  CHECK(cmd_bdat(S(""), &n, &last) == CMD_SYNTAX);
  CHECK(cmd_bdat(S("-1"), &n, &last) == CMD_SYNTAX);
  CHECK(cmd_bdat(S("10 FIRST"), &n, &last) == CMD_SYNTAX);
  CHECK(cmd_bdat(S("10  LAST"), &n, &last) == CMD_SYNTAX);
  CHECK(cmd_helo_ok(S("client.example")));
  CHECK(cmd_helo_ok(S("[192.0.2.1]")));
  CHECK(cmd_helo_ok(S("[IPv6:2001:db8::1]")));
  CHECK(!cmd_helo_ok(S("")));
  CHECK(!cmd_helo_ok(S("bad name")));
  CHECK(!cmd_helo_ok(S("[999.1.1.1]")));
}

int main(void)
{
  RUN(split);
  RUN(mail);
  RUN(rcpt);
  RUN(bdat_and_helo);
  return test_report();
}
