#include <string.h>

#include "envaddr.h"
#include "test.h"

/* Renders the entries as IMAP would: ("name" NIL "local" "host") ... */
static const char *render(const char *in)
{
  static char buf[2048];
  sa out = SA_ZERO;
  size_t count = 0, i = 0, o = 0, k;
  buf[0] = 0;
  if (!envaddr_parse(in, strlen(in), &out, &count)) return "(error)";
  for (k = 0; k < count * 4; k++) {
    const char *f = out.s + i;
    size_t l = strlen(f + 1);
    if (k % 4 == 0) o += (size_t)snprintf(buf + o, sizeof buf - o, "%s(", k ? " " : "");
    if (f[0] == 'N') o += (size_t)snprintf(buf + o, sizeof buf - o, "NIL");
    else o += (size_t)snprintf(buf + o, sizeof buf - o, "\"%s\"", f + 1);
    o += (size_t)snprintf(buf + o, sizeof buf - o, k % 4 == 3 ? ")" : " ");
    i += l + 2;
  }
  sa_free(&out);
  return buf;
}

TEST(simple)
{
  CHECK_STR(render("bob@example.com"), "(NIL NIL \"bob\" \"example.com\")");
  CHECK_STR(render(" Alice Example <alice@example.org>"), "(\"Alice Example\" NIL \"alice\" \"example.org\")");
  CHECK_STR(render("\"Doe, John\" <jd@x.y>, c@d.e"),
            "(\"Doe, John\" NIL \"jd\" \"x.y\") (NIL NIL \"c\" \"d.e\")");
  CHECK_STR(render("a@b (comment), <@route.x:e@f.g>"), "(NIL NIL \"a\" \"b\") (NIL NIL \"e\" \"f.g\")");
  CHECK_STR(render("\"q\\\"uote\" <q@x>"), "(\"q\"uote\" NIL \"q\" \"x\")");   /* unquoted: q"uote */
}

TEST(groups_and_junk)
{
  CHECK_STR(render("Friends: a@b, C <c@d>;, e@f"),
            "(NIL NIL \"Friends\" NIL) (NIL NIL \"a\" \"b\") (\"C\" NIL \"c\" \"d\") (NIL NIL NIL NIL) "
            "(NIL NIL \"e\" \"f\")");
  CHECK_STR(render("undisclosed-recipients:;"), "(NIL NIL \"undisclosed-recipients\" NIL) (NIL NIL NIL NIL)");
  CHECK_STR(render(""), "");
  CHECK_STR(render("nobody"), "(NIL NIL \"nobody\" NIL)");
  CHECK_STR(render(",,,"), "");
  CHECK_STR(render("<unterminated@x"), "(NIL NIL \"unterminated\" \"x\")");
  CHECK_STR(render("((((("), "");
}

int main(void)
{
  RUN(simple);
  RUN(groups_and_junk);
  return test_report();
}
