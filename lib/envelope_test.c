#include <stdlib.h>
#include <string.h>

#include "envelope.h"
#include "test.h"

#define P(lit, e) envelope_parse(lit, sizeof lit - 1, e)
#define PF(lit, e) envelope_parse_file(lit, sizeof lit - 1, e)

TEST(good)
{
  envelope_view e;
  size_t pos = 0, len;
  const char *a;
  CHECK(P("Fa@b\0Tc@d\0Te@f\0\0", &e) == ENV_OK);
  CHECK(e.sender_len == 3 && memcmp(e.sender, "a@b", 3) == 0);
  CHECK(e.nrcpt == 2);
  CHECK(e.wire_len == 16);
  CHECK(envelope_rcpt_next(&e, &pos, &a, &len) && len == 3 && memcmp(a, "c@d", 3) == 0);
  CHECK(envelope_rcpt_next(&e, &pos, &a, &len) && len == 3 && memcmp(a, "e@f", 3) == 0);
  CHECK(!envelope_rcpt_next(&e, &pos, &a, &len));
}

TEST(null_sender)
{
  envelope_view e;
  CHECK(P("F\0Tx@y\0\0", &e) == ENV_OK);
  CHECK(e.sender_len == 0 && e.nrcpt == 1);
}

TEST(bad)
{
  envelope_view e;
  CHECK(P("", &e) == ENV_E_TRUNC);
  CHECK(P("Fa@b\0", &e) == ENV_E_TRUNC);
  CHECK(P("Fa@b\0Tc@d\0", &e) == ENV_E_TRUNC);
  CHECK(P("Fa@b\0Tc@d", &e) == ENV_E_TRUNC);
  CHECK(P("Fa@b\0\0", &e) == ENV_E_NORCPT);
  CHECK(P("Tc@d\0\0", &e) == ENV_E_FORMAT);
  CHECK(P("Fa@b\0Fc@d\0\0", &e) == ENV_E_FORMAT);
  CHECK(P("Fa@b\0T\0\0", &e) == ENV_E_FORMAT);
  CHECK(P("Fa@b\0Xc@d\0\0", &e) == ENV_E_FORMAT);
  CHECK(P("Fa@b\0Tc@d\0\0x", &e) == ENV_E_TRAILING);
  CHECK(P("Fa@b\0Tc@d\0\0\0", &e) == ENV_E_TRAILING);
  CHECK(P("Fa@b\0Tc\n@d\0\0", &e) == ENV_E_FORMAT);
  CHECK(P("Fa\r@b\0Tc@d\0\0", &e) == ENV_E_FORMAT);
  CHECK(P("Fa@b\0Tc\x7f@d\0\0", &e) == ENV_E_FORMAT);
}

TEST(lengths)
{
  envelope_view e;
  char *buf = malloc(ENV_ADDR_MAX + 20);
  size_t n;
  /* exactly ENV_ADDR_MAX is fine */
  n = 0;
  buf[n++] = 'F'; buf[n++] = 0; buf[n++] = 'T';
  memset(buf + n, 'x', ENV_ADDR_MAX); n += ENV_ADDR_MAX;
  buf[n++] = 0; buf[n++] = 0;
  CHECK(envelope_parse(buf, n, &e) == ENV_OK);
  /* one more is "too long", also when the input stops in the address */
  n = 0;
  buf[n++] = 'F'; buf[n++] = 0; buf[n++] = 'T';
  memset(buf + n, 'x', ENV_ADDR_MAX + 1); n += ENV_ADDR_MAX + 1;
  CHECK(envelope_parse(buf, n, &e) == ENV_E_TOOLONG);
  buf[n++] = 0; buf[n++] = 0;
  CHECK(envelope_parse(buf, n, &e) == ENV_E_TOOLONG);
  free(buf);
}

TEST(too_many)
{
  sa s = SA_ZERO;
  envelope_view e;
  size_t i;
  CHECK(envelope_put_sender(&s, "", 0));
  for (i = 0; i < ENV_RCPT_MAX; i++) CHECK(envelope_put_rcpt(&s, "r@x", 3));
  CHECK(envelope_put_end(&s));
  CHECK(envelope_parse(s.s, s.len, &e) == ENV_OK && e.nrcpt == ENV_RCPT_MAX);
  s.len--;
  CHECK(envelope_put_rcpt(&s, "r@x", 3) && envelope_put_end(&s));
  CHECK(envelope_parse(s.s, s.len, &e) == ENV_E_TOOMANY);
  sa_free(&s);
}

TEST(file_form)
{
  envelope_view e;
  CHECK(PF("u1000\0p4242\0Fa@b\0Tc@d\0\0", &e) == ENV_OK);
  CHECK(e.uid == 1000 && e.pid == 4242 && e.nrcpt == 1);
  CHECK(PF("u0\0p1\0F\0Tc@d\0\0", &e) == ENV_OK && e.uid == 0);
  CHECK(PF("p1\0u0\0F\0Tc@d\0\0", &e) == ENV_E_ID);
  CHECK(PF("u\0p1\0F\0Tc@d\0\0", &e) == ENV_E_ID);
  CHECK(PF("u01\0p1\0F\0Tc@d\0\0", &e) == ENV_E_ID);
  CHECK(PF("u1x\0p1\0F\0Tc@d\0\0", &e) == ENV_E_ID);
  CHECK(PF("u99999999999999999999999\0p1\0F\0Tc@d\0\0", &e) == ENV_E_ID);
  CHECK(PF("u1\0p1\0F\0Tc@d\0\0z", &e) == ENV_E_TRAILING);
  CHECK(PF("Fa@b\0Tc@d\0\0", &e) == ENV_E_ID);
}

TEST(writer)
{
  sa s = SA_ZERO;
  envelope_view e;
  CHECK(envelope_put_ids(&s, 7, 99));
  CHECK(envelope_put_sender(&s, "a@b", 3));
  CHECK(envelope_put_rcpt(&s, "c@d", 3));
  CHECK(!envelope_put_rcpt(&s, "", 0));
  CHECK(!envelope_put_rcpt(&s, "c\n@d", 4));
  CHECK(envelope_put_end(&s));
  CHECK(s.len == 18 && memcmp(s.s, "u7\0p99\0Fa@b\0Tc@d\0\0", 18) == 0);
  CHECK(envelope_parse_file(s.s, s.len, &e) == ENV_OK && e.uid == 7 && e.pid == 99);
  CHECK_STR(envelope_strerror(ENV_E_TOOLONG), "address too long");
  sa_free(&s);
}

int main(void)
{
  RUN(good);
  RUN(null_sender);
  RUN(bad);
  RUN(lengths);
  RUN(too_many);
  RUN(file_form);
  RUN(writer);
  return test_report();
}
