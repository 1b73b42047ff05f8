#include "names.h"

#include "test.h"

TEST(domains)
{
  const char *why = 0;
  CHECK(name_domain_ok("example.com", 0));
  CHECK(name_domain_ok("a-b.c0.example", 0));
  CHECK(!name_domain_ok("localhost", &why));
  CHECK_STR(why, "domain needs at least two labels");
  CHECK(!name_domain_ok("Example.com", 0));
  CHECK(!name_domain_ok("ex_ample.com", 0));
  CHECK(!name_domain_ok("-a.com", 0));
  CHECK(!name_domain_ok("a-.com", 0));
  CHECK(!name_domain_ok("a..com", 0));
  CHECK(!name_domain_ok(".a.com", 0));
  CHECK(!name_domain_ok("a.com.", 0));
  CHECK(!name_domain_ok("", 0));
  CHECK(!name_domain_ok("[1.2.3.4]", 0));
  CHECK(name_domain_ok("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com", 0));  /* 63 */
  CHECK(!name_domain_ok("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com", 0)); /* 64 */
}

TEST(accounts)
{
  CHECK(name_account_ok("joe", 0));
  CHECK(name_account_ok("j.o_e-1", 0));
  CHECK(name_account_ok("1joe", 0));
  CHECK(!name_account_ok("Joe", 0));
  CHECK(!name_account_ok("-joe", 0));
  CHECK(!name_account_ok(".joe", 0));
  CHECK(!name_account_ok("joe-", 0));
  CHECK(!name_account_ok("joe.", 0));
  CHECK(!name_account_ok("jo..e", 0));
  CHECK(!name_account_ok("jo+e", 0));
  CHECK(!name_account_ok("jo e", 0));
  CHECK(!name_account_ok("", 0));
  CHECK(name_account_ok("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0));   /* 64 */
  CHECK(!name_account_ok("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0)); /* 65 */
}

TEST(extensions)
{
  CHECK(name_ext_ok("sales", 0));
  CHECK(name_ext_ok("list-default", 0));
  CHECK(name_ext_ok("a+b=c.d_e", 0));
  CHECK(!name_ext_ok("", 0));
  CHECK(!name_ext_ok("A", 0));
  CHECK(!name_ext_ok("a/b", 0));
  CHECK(!name_ext_ok("a b", 0));
}

TEST(split)
{
  char n[ACCT_NAME_MAX + 1], d[ADDR_DOMAIN_MAX + 1];
  const char *why = 0;
  CHECK(name_split("Joe@Example.COM", n, d, 0));
  CHECK_STR(n, "joe");
  CHECK_STR(d, "example.com");
  CHECK(!name_split("joe", n, d, &why));
  CHECK(!name_split("@example.com", n, d, 0));
  CHECK(!name_split("joe@", n, d, 0));
  CHECK(!name_split("jo e@example.com", n, d, 0));
  CHECK(!name_split("joe@exa mple.com", n, d, 0));
}

TEST(targets)
{
  char out[ADDR_MAX + 1];
  const char *why = 0;
  CHECK(name_target_ok("Anna@Shop.Example", out, 0));
  CHECK_STR(out, "Anna@shop.example");
  CHECK(name_target_ok("a.b+c@x.org", out, 0));
  CHECK(!name_target_ok("a@[1.2.3.4]", out, &why));
  CHECK(!name_target_ok("\"a b\"@x.org", out, 0));
  CHECK(!name_target_ok("a@localhost", out, 0));
  CHECK(!name_target_ok("a", out, 0));
  CHECK(!name_target_ok("a@b@c.org", out, 0));
  CHECK(!name_target_ok("a@x.org\n|cmd", out, 0));
  CHECK(!name_target_ok("", out, 0));
}

int main(void)
{
  RUN(domains);
  RUN(accounts);
  RUN(extensions);
  RUN(split);
  RUN(targets);
  return test_report();
}
