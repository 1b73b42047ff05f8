#include "ipstate.h"
#include "test.h"

TEST(ip_names)
{
  CHECK(ipstate_ip_ok("127.0.0.1"));
  CHECK(ipstate_ip_ok("2001:db8::1"));
  CHECK(!ipstate_ip_ok("../etc/passwd"));
  CHECK(!ipstate_ip_ok(""));
  CHECK(!ipstate_ip_ok("1.2.3.4/5"));
  CHECK(!ipstate_ip_ok(".."));
}

TEST(delays_grow_and_cap)
{
  CHECK(authfail_delay_ms(0) == 0);
  CHECK(authfail_delay_ms(1) == 1000);
  CHECK(authfail_delay_ms(2) == 2000);
  CHECK(authfail_delay_ms(3) == 4000);
  CHECK(authfail_delay_ms(10) == 16000);
  CHECK(authfail_delay_ms(1000000) == 16000);
}

int main(void)
{
  RUN(ip_names);
  RUN(delays_grow_and_cap);
  return test_report();
}
