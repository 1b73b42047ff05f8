#include "addr.h"
#include "test.h"

static int mb(const char *s, unsigned f)
{
  addr a;
  return addr_parse_mailbox(s, strlen(s), f, &a, 0);
}

static int path(const char *s, unsigned f, char *out, size_t n)
{
  addr a;
  size_t used;
  if (!addr_parse_path(s, strlen(s), f, &a, &used, 0)) return 0;
  if (used != strlen(s)) return 0;
  addr_format(&a, out, n);
  return 1;
}

TEST(mailbox_valid)
{
  CHECK(mb("user@example.com", 0));
  CHECK(mb("first.last+tag@sub.example.co.uk", 0));
  CHECK(mb("\"quoted user\"@example.com", 0));
  CHECK(mb("\"a@b\"@example.com", 0));
  CHECK(mb("user@[192.0.2.1]", 0));
  CHECK(mb("user@[IPv6:2001:db8::1]", 0));
  CHECK(mb("ユーザー@例え.jp", ADDR_UTF8));
}

TEST(mailbox_invalid)
{
  CHECK(!mb("", 0));
  CHECK(!mb("user", 0));
  CHECK(!mb("@example.com", 0));
  CHECK(!mb("user@", 0));
  CHECK(!mb(".user@example.com", 0));
  CHECK(!mb("us..er@example.com", 0));
  CHECK(!mb("user.@example.com", 0));
  CHECK(!mb("user@-example.com", 0));
  CHECK(!mb("user@example..com", 0));
  CHECK(!mb("user@exa_mple.com", 0));
  CHECK(!mb("us er@example.com", 0));
  CHECK(!mb("user@b@example.com", 0));
  CHECK(!mb("user%other.com@example.com", 0) == 0); /* '%' is atext: syntactically fine */
  CHECK(!mb("ユーザー@例え.jp", 0));
  CHECK(!mb("user@[300.1.1.1]", 0));
  CHECK(!mb("user@[1.2.3]", 0));
  CHECK(!mb("user@[1.2.3.4]", ADDR_NO_LITERAL));
  CHECK(!mb("\"unterminated@example.com", 0));
  CHECK(!mb("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@example.com", 0));
  CHECK(!mb("\xc3\x28@example.com", ADDR_UTF8));
}

TEST(paths)
{
  char out[ADDR_MAX + 1];
  CHECK(path("<user@example.com>", 0, out, sizeof out));
  CHECK_STR(out, "user@example.com");
  CHECK(path("<@relay.example,@other.example:user@example.com>", 0, out, sizeof out));
  CHECK_STR(out, "user@example.com");
  CHECK(path("<>", ADDR_ALLOW_NULL, out, sizeof out));
  CHECK(!path("<>", 0, out, sizeof out));
  CHECK(!path("user@example.com", 0, out, sizeof out));
  CHECK(!path("<user@example.com", 0, out, sizeof out));
  CHECK(!path("<@:user@example.com>", 0, out, sizeof out));
  CHECK(path("<\"a>b\"@example.com>", 0, out, sizeof out));
  CHECK_STR(out, "\"a>b\"@example.com");
}

TEST(domains)
{
  CHECK(addr_domain_valid("example.com", 11, 0));
  CHECK(addr_domain_valid("localhost", 9, 0));
  CHECK(!addr_domain_valid("a..b", 4, 0));
  CHECK(!addr_domain_valid(".a", 2, 0));
  CHECK(!addr_domain_valid("a.", 2, 0));
  CHECK(!addr_domain_valid("a-.b", 4, 0));
}

int main(void)
{
  RUN(mailbox_valid);
  RUN(mailbox_invalid);
  RUN(paths);
  RUN(domains);
  return test_report();
}
