#include <string.h>

#include "route.h"
#include "test.h"

/* Builds NUL-separated lines as control_readlines() returns them. */
static size_t lines(char *buf, const char *const *l)
{
  size_t n = 0, off = 0;
  for (; l[n]; n++) {
    size_t k = strlen(l[n]) + 1;
    memcpy(buf + off, l[n], k);
    off += k;
  }
  return n;
}

TEST(routes_exact_parent_default)
{
  char buf[512];
  const char *l[] = { "example.com:relay1.net", ".example.com:relay2.net:2525", ":smart.host", "mx.org:", 0 };
  size_t n = lines(buf, l);
  route r;
  CHECK(route_find(buf, n, "example.com", &r) == 1);
  CHECK_STR(r.host, "relay1.net");
  CHECK(r.port == 0);
  CHECK(route_find(buf, n, "sub.EXAMPLE.com", &r) == 1);
  CHECK_STR(r.host, "relay2.net");
  CHECK(r.port == 2525);
  CHECK(route_find(buf, n, "other.net", &r) == 1);
  CHECK_STR(r.host, "smart.host");
  CHECK(route_find(buf, n, "mx.org", &r) == 1);
  CHECK_STR(r.host, "");
  CHECK(route_find(buf, n, "notexample.com", &r) == 1);
  CHECK_STR(r.host, "smart.host");
}

TEST(routes_closest_parent_wins)
{
  char buf[512];
  const char *l[] = { ".com:a.net", ".b.example.com:c.net", ".example.com:b.net", 0 };
  size_t n = lines(buf, l);
  route r;
  CHECK(route_find(buf, n, "x.b.example.com", &r) == 1);
  CHECK_STR(r.host, "c.net");
  CHECK(route_find(buf, n, "x.example.com", &r) == 1);
  CHECK_STR(r.host, "b.net");
  CHECK(route_find(buf, n, "example.org", &r) == 0);
}

TEST(route_hosts)
{
  route r;
  CHECK(route_parse_host("[192.0.2.1]:587", 15, &r) && r.literal && r.port == 587);
  CHECK_STR(r.host, "192.0.2.1");
  CHECK(route_parse_host("[2001:db8::1]", 13, &r) && r.literal && r.port == 0);
  CHECK_STR(r.host, "2001:db8::1");
  CHECK(!route_parse_host("host:0", 6, &r));
  CHECK(!route_parse_host("host:65536", 10, &r));
  CHECK(!route_parse_host("host:25x", 8, &r));
  CHECK(!route_parse_host("ho st", 5, &r));
  CHECK(!route_parse_host("[1.2.3.4", 8, &r));
  CHECK(!route_parse_host("[1.2.3.4]x", 10, &r));
  CHECK(!route_parse_host("[1.2.3.4]:", 10, &r));
}

TEST(malformed_route_is_an_error)
{
  char buf[128];
  const char *l[] = { "example.com:bad host", 0 };
  size_t n = lines(buf, l);
  route r;
  CHECK(route_find(buf, n, "example.com", &r) == -1);
  CHECK(route_find(buf, n, "example.net", &r) == 0);
}

TEST(relay_credentials)
{
  char buf[512], user[RELAY_USER_MAX + 1], pass[RELAY_PASS_MAX + 1];
  const char *l[] = { "relay.net joe p4ss", "plain.net ann pw allowplain", "bad.net onlyuser",
                      "odd.net u p something", 0 };
  size_t n = lines(buf, l);
  int allow = -1;
  CHECK(relayauth_find(buf, n, "RELAY.net", user, pass, &allow) == 1);
  CHECK_STR(user, "joe");
  CHECK_STR(pass, "p4ss");
  CHECK(allow == 0);
  CHECK(relayauth_find(buf, n, "plain.net", user, pass, &allow) == 1 && allow == 1);
  CHECK(relayauth_find(buf, n, "bad.net", user, pass, &allow) == -1);
  CHECK(relayauth_find(buf, n, "odd.net", user, pass, &allow) == -1);
  CHECK(relayauth_find(buf, n, "none.net", user, pass, &allow) == 0);
}

TEST(tls_policies)
{
  char buf[512];
  const char *l[] = { "secure.org:verify", ".bank.example:verify", "legacy.net:none", "mx.relay.net:verify",
                      "broken.org:sometimes", 0 };
  size_t n = lines(buf, l);
  CHECK(tlspolicy_find(buf, n, "secure.org", "mx.secure.org") == TLS_VERIFY);
  CHECK(tlspolicy_find(buf, n, "a.bank.example", 0) == TLS_VERIFY);
  CHECK(tlspolicy_find(buf, n, "legacy.net", "mx.relay.net") == TLS_NONE);
  CHECK(tlspolicy_find(buf, n, "other.com", "mx.relay.net") == TLS_VERIFY);
  CHECK(tlspolicy_find(buf, n, "other.com", "mx.other.com") == TLS_MAY);
  CHECK(tlspolicy_find(buf, n, "broken.org", 0) == -1);
  {
    const char *d[] = { ":verify", "legacy.net:none", 0 };
    n = lines(buf, d);
    CHECK(tlspolicy_find(buf, n, "any.com", "mx.any.com") == TLS_VERIFY);
    CHECK(tlspolicy_find(buf, n, "legacy.net", "mx.any.com") == TLS_NONE);
  }
}

int main(void)
{
  RUN(routes_exact_parent_default);
  RUN(routes_closest_parent_wins);
  RUN(route_hosts);
  RUN(malformed_route_is_an_error);
  RUN(relay_credentials);
  RUN(tls_policies);
  return test_report();
}
