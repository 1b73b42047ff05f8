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

int main(void)
{
  RUN(envelope);
  RUN(malformed);
  return test_report();
}
