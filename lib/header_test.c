#include <string.h>

#include "header.h"
#include "test.h"

/* Parses list and returns the addresses joined by spaces, or "ERR: why". */
static const char *parse(const char *list, const char *dflt)
{
  static char res[4096];
  sa out = SA_ZERO;
  size_t count = 0, i;
  const char *why = 0;
  if (!hdr_addrlist(list, strlen(list), dflt, &out, &count, &why)) {
    snprintf(res, sizeof res, "ERR: %s", why);
    sa_free(&out);
    return res;
  }
  res[0] = 0;
  for (i = 0; i < out.len; i++) {
    size_t l = strlen(res);
    if (l + 2 >= sizeof res) break;
    res[l] = out.s[i] ? out.s[i] : ' ';
    res[l + 1] = 0;
  }
  if (*res && res[strlen(res) - 1] == ' ') res[strlen(res) - 1] = 0;
  {
    /* count agrees with the NULs */
    size_t nuls = 0;
    for (i = 0; i < out.len; i++) nuls += out.s[i] == 0;
    if (nuls != count) strcpy(res, "COUNT MISMATCH");
  }
  sa_free(&out);
  return res;
}

TEST(plain)
{
  CHECK_STR(parse("a@b.example", 0), "a@b.example");
  CHECK_STR(parse(" a@b.example , c@d.example ", 0), "a@b.example c@d.example");
  CHECK_STR(parse("", 0), "");
  CHECK_STR(parse(" , ,a@b,, ", 0), "a@b");
}

TEST(display_names)
{
  CHECK_STR(parse("Joe Q. Public <john.q.public@example.com>", 0), "john.q.public@example.com");
  CHECK_STR(parse("\"Smith, Joe\" <joe@x.example>, Mary <mary@x.example>", 0),
            "joe@x.example mary@x.example");
  CHECK_STR(parse("<bare@x.example>", 0), "bare@x.example");
  CHECK_STR(parse("=?UTF-8?B?w6k=?= <e@x.example>", 0), "e@x.example");
  CHECK_STR(parse("J\xc3\xa9r\xc3\xb4me <j@x.example>", 0), "j@x.example");
}

TEST(comments_and_folding)
{
  CHECK_STR(parse("Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>", 0),
            "pete@silly.test");
  CHECK_STR(parse("a@b (x (nested) y), c@d", 0), "a@b c@d");
  CHECK_STR(parse("Mary\r\n Smith <mary@x.test>,\n\tjdoe@one.test", 0), "mary@x.test jdoe@one.test");
  CHECK_STR(parse("john . q @ example . com", 0), "john.q@example.com");
}

TEST(groups)
{
  CHECK_STR(parse("A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;", 0),
            "c@a.test joe@where.test jdoe@one.test");
  CHECK_STR(parse("undisclosed-recipients:;", 0), "");
  CHECK_STR(parse("g: a@b ; , c@d", 0), "a@b c@d");
  CHECK_STR(parse("g: a@b", 0), "ERR: unterminated group");
  CHECK_STR(parse("g: h: a@b;;", 0), "ERR: group inside a group");
}

TEST(quoted_and_literal)
{
  CHECK_STR(parse("\"john doe\"@example.com", 0), "\"john doe\"@example.com");
  CHECK_STR(parse("\"a\\\"b\"@x", 0), "\"a\\\"b\"@x");
  CHECK_STR(parse("user@[192.0.2.1]", 0), "user@[192.0.2.1]");
  CHECK_STR(parse("<@route.test,@b.test:user@c.test>", 0), "user@c.test");
}

TEST(default_domain)
{
  CHECK_STR(parse("joe", "example.org"), "joe@example.org");
  CHECK_STR(parse("Joe <joe>, x@y", "example.org"), "joe@example.org x@y");
  CHECK_STR(parse("joe", 0), "ERR: address without a domain");
}

TEST(errors)
{
  CHECK_STR(parse("a@b c@d", 0), "ERR: expected , between addresses");
  CHECK_STR(parse("<a@b", 0), "ERR: expected >");
  CHECK_STR(parse("<>", 0), "ERR: empty address");
  CHECK_STR(parse("\"unterminated@x", 0), "ERR: unterminated quoted string");
  CHECK_STR(parse("a@b (comment", 0), "ERR: unterminated comment");
  CHECK_STR(parse("a@", 0), "ERR: bad domain");
  CHECK_STR(parse("a@b..c", 0), "ERR: bad domain");
  CHECK_STR(parse("@b", 0), "ERR: expected an address");
  CHECK_STR(parse("a@b)", 0), "ERR: unexpected character");
  CHECK_STR(parse("a\x01@b", 0), "ERR: bad character in address");
  CHECK_STR(parse("\"a\x01\"@b", 0), "ERR: control character in address");
  CHECK_STR(parse("\"a\\\x01\"@b", 0), "ERR: control character in address");
  CHECK_STR(parse("(((((((((((((((((((((((((((((((((((x)))))))))))))))))))))))))))))))))) a@b", 0),
            "ERR: comments nested too deeply");
}

TEST(fields)
{
  static const char h[] = "From: a@b\nTo: c@d,\n  e@f\nX-Empty:\nSubject: hi\n\nbody\n";
  size_t pos = 0;
  int sep;
  hdr_field f;
  CHECK(hdr_next(h, sizeof h - 1, &pos, &f, &sep) == 1 && hdr_is(&f, "from"));
  CHECK(f.value_len == 4 && memcmp(f.value, " a@b", 4) == 0 && f.raw_len == 10);
  CHECK(hdr_next(h, sizeof h - 1, &pos, &f, &sep) == 1 && hdr_is(&f, "TO"));
  CHECK(f.value_len == 11 && memcmp(f.value, " c@d,\n  e@f", 11) == 0);
  CHECK(hdr_next(h, sizeof h - 1, &pos, &f, &sep) == 1 && hdr_is(&f, "x-empty") && f.value_len == 0);
  CHECK(hdr_next(h, sizeof h - 1, &pos, &f, &sep) == 1 && hdr_is(&f, "Subject"));
  CHECK(hdr_next(h, sizeof h - 1, &pos, &f, &sep) == 0 && sep == 1);
  CHECK(strcmp(h + pos, "body\n") == 0);
}

TEST(fields_no_separator)
{
  static const char h[] = "Subject: x\nthis is body text\n";
  static const char h2[] = "Subject: x";
  size_t pos = 0;
  int sep;
  hdr_field f;
  CHECK(hdr_next(h, sizeof h - 1, &pos, &f, &sep) == 1);
  CHECK(hdr_next(h, sizeof h - 1, &pos, &f, &sep) == 0 && sep == 0 && pos == 11);
  pos = 0;
  CHECK(hdr_next(h2, sizeof h2 - 1, &pos, &f, &sep) == 1 && f.value_len == 2 && f.raw_len == 10);
  CHECK(hdr_next(h2, sizeof h2 - 1, &pos, &f, &sep) == 0 && sep == 0 && pos == 10);
  pos = 0;
  CHECK(hdr_next(": x\n", 4, &pos, &f, &sep) == 0 && pos == 0);
  CHECK(hdr_next("Bad Name: x\n", 12, &pos, &f, &sep) == 0);
}

int main(void)
{
  RUN(plain);
  RUN(display_names);
  RUN(comments_and_folding);
  RUN(groups);
  RUN(quoted_and_literal);
  RUN(default_domain);
  RUN(errors);
  RUN(fields);
  RUN(fields_no_separator);
  return test_report();
}
