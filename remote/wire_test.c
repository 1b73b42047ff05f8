#include <errno.h>
#include <string.h>

#include "test.h"
#include "wire.h"

static int feed(reply *r, const char *s)
{
  return reply_feed(r, s, strlen(s));
}

TEST(single_line_reply)
{
  reply r = REPLY_ZERO;
  CHECK(feed(&r, "250 2.0.0 ok\r\n") == 1);
  CHECK(r.code == 250);
  CHECK_STR(r.text.s, "250 2.0.0 ok");
  reply_free(&r);
}

TEST(multi_line_reply_joined)
{
  reply r = REPLY_ZERO;
  CHECK(feed(&r, "550-5.1.1 no such user\r\n") == 0);
  CHECK(feed(&r, "550-5.1.1 see\tthe docs\r\n") == 0);
  CHECK(feed(&r, "550 5.1.1 bye") == 1);
  CHECK_STR(r.text.s, "550 5.1.1 no such user / 5.1.1 see?the docs / 5.1.1 bye");
  CHECK(r.nlines == 3);
  reply_free(&r);
}

TEST(bare_code)
{
  reply r = REPLY_ZERO;
  CHECK(feed(&r, "354\r\n") == 1);
  CHECK(r.code == 354);
  CHECK_STR(r.text.s, "354");
  reply_free(&r);
}

TEST(malformed_replies)
{
  reply r = REPLY_ZERO;
  CHECK(feed(&r, "25") == -1);
  reply_reset(&r);
  CHECK(feed(&r, "abc hello") == -1);
  reply_reset(&r);
  CHECK(feed(&r, "250x hello") == -1);
  reply_reset(&r);
  CHECK(feed(&r, "150 too low") == -1);
  reply_reset(&r);
  CHECK(feed(&r, "250-one") == 0);
  CHECK(feed(&r, "251 other code") == -1);
  reply_reset(&r);
  {
    char big[REPLY_LINE_MAX + 10];
    memset(big, 'a', sizeof big);
    memcpy(big, "250 ", 4);
    CHECK(reply_feed(&r, big, sizeof big) == -1 && errno == ERANGE);
  }
  reply_reset(&r);
  for (int i = 0; i < REPLY_LINES_MAX; i++) CHECK(feed(&r, "250-x") == 0);
  CHECK(feed(&r, "250 x") == -1);
  reply_free(&r);
}

TEST(ehlo_keywords)
{
  reply r = REPLY_ZERO;
  ehlo_ext e;
  feed(&r, "250-mx.example.org hello");
  feed(&r, "250-PIPELINING");
  feed(&r, "250-SIZE 10240000");
  feed(&r, "250-starttls");
  feed(&r, "250-AUTH=LOGIN");
  feed(&r, "250-AUTH CRAM-MD5 PLAIN");
  feed(&r, "250-8BITMIME");
  CHECK(feed(&r, "250 SMTPUTF8") == 1);
  ehlo_parse(&r, &e);
  CHECK(e.pipelining && e.starttls && e.eightbit && e.smtputf8 && e.size);
  CHECK(e.size_max == 10240000ULL);
  CHECK(e.auth_plain && e.auth_login);
  reply_free(&r);
}

TEST(ehlo_greeting_line_is_not_a_keyword)
{
  reply r = REPLY_ZERO;
  ehlo_ext e;
  feed(&r, "250-STARTTLS");
  CHECK(feed(&r, "250 SIZE") == 1);
  ehlo_parse(&r, &e);
  CHECK(!e.starttls);
  CHECK(e.size && e.size_max == 0);
  reply_free(&r);
}

TEST(encode_crlf_and_dots)
{
  sa out = SA_ZERO;
  const char *m = "a\n.b\n..c\n.\nend";
  CHECK(wire_encode_data(m, strlen(m), &out));
  CHECK(sa_0(&out));
  CHECK_STR(out.s, "a\r\n..b\r\n...c\r\n..\r\nend\r\n.\r\n");
  out.len = 0;
  CHECK(wire_encode_data("x\r\ny\n", 5, &out));
  CHECK(sa_0(&out));
  CHECK_STR(out.s, "x\r\ny\r\n.\r\n");
  out.len = 0;
  CHECK(wire_encode_data("", 0, &out));
  CHECK(sa_0(&out));
  CHECK_STR(out.s, ".\r\n");
  sa_free(&out);
}

TEST(eight_bit)
{
  CHECK(!wire_has_8bit("plain", 5));
  CHECK(wire_has_8bit("caf\xc3\xa9", 5));
}

int main(void)
{
  RUN(single_line_reply);
  RUN(multi_line_reply_joined);
  RUN(bare_code);
  RUN(malformed_replies);
  RUN(ehlo_keywords);
  RUN(ehlo_greeting_line_is_not_a_keyword);
  RUN(encode_crlf_and_dots);
  RUN(eight_bit);
  return test_report();
}
