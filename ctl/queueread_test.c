#include "queueread.h"

#include <string.h>

#include "test.h"

#define S(x) x, sizeof x - 1

TEST(envelope)
{
  qmsg m;
  memset(&m, 0, sizeof m);
  CHECK(qread_envelope(S("u1000\0p42\0Fa@b.org\0Tc@d.org\0Te@f.org\0\0"), &m));
  CHECK(m.uid == 1000);
  CHECK_STR(m.sender, "a@b.org");
  CHECK(m.nrcpts == 2);
  CHECK_STR(m.rcpts.s, "c@d.org");
  CHECK_STR(m.rcpts.s + 8, "e@f.org");
  CHECK(qread_envelope(S("u0\0p1\0F\0Tc@d.org\0\0"), &m));   /* null sender */
  CHECK_STR(m.sender, "");
  sa_free(&m.rcpts);
}

TEST(malformed)
{
  qmsg m;
  memset(&m, 0, sizeof m);
  CHECK(!qread_envelope(S("u1\0p1\0Fa@b.org\0\0"), &m));              /* no recipient */
  CHECK(!qread_envelope(S("u1\0p1\0Fa@b.org\0Tc@d.org\0"), &m));      /* no final NUL */
  CHECK(!qread_envelope(S("u1\0p1\0Tc@d.org\0\0"), &m));              /* no sender */
  CHECK(!qread_envelope(S("u1\0Fa\0Tc\0\0junk"), &m));                /* bytes after the end */
  CHECK(!qread_envelope(S("ux\0Fa\0Tc\0\0"), &m));                    /* bad uid */
  CHECK(!qread_envelope(S("Fa\0Fb\0Tc\0\0"), &m));                    /* two senders */
  CHECK(!qread_envelope(S("Fa\0T\0\0"), &m));                         /* empty recipient */
  CHECK(!qread_envelope(S("Fa\0Xc\0\0"), &m));                        /* unknown field */
  CHECK(!qread_envelope(S(""), &m));
  sa_free(&m.rcpts);
}

TEST(send_state)
{
  qmsg m;
  memset(&m, 0, sizeof m);
  CHECK(qread_info(S("b1700000000\0u33\0p7\0Fweb@shop.example\0"), &m));
  CHECK(m.injected == 1700000000 && m.uid == 33);
  CHECK_STR(m.sender, "web@shop.example");
  CHECK(qread_info(S("b1\0u0\0p1\0F\0"), &m));
  CHECK_STR(m.sender, "");
  CHECK(!qread_info(S("b1\0u0\0p1\0"), &m));                   /* no sender */
  CHECK(!qread_info(S("u0\0b1\0p1\0F\0"), &m));               /* order */
  CHECK(!qread_info(S("bx\0u0\0p1\0F\0"), &m));
  CHECK(!qread_info(S("b1\0u0\0p1\0F\0junk"), &m));
  m.rcpts.len = 0;
  m.nrcpts = 0;
  CHECK(qread_rcpts(S("Da@x.example\0Tb@x.example\0"), &m));
  CHECK(qread_rcpts(S("Tc@y.example\0"), &m));
  CHECK(m.nrcpts == 2);
  CHECK_STR(m.rcpts.s, "b@x.example");
  CHECK_STR(m.rcpts.s + 12, "c@y.example");
  CHECK(qread_rcpts(S(""), &m));
  CHECK(!qread_rcpts(S("Xa@b\0"), &m));
  CHECK(!qread_rcpts(S("Ta@b"), &m));
  CHECK(!qread_rcpts(S("T\0"), &m));
  sa_free(&m.rcpts);
}

int main(void)
{
  RUN(envelope);
  RUN(malformed);
  RUN(send_state);
  return test_report();
}
