/* Unit tests for RFC 2047 decoding (rfc2047.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rfc2047.h"
#include "test.h"

static const char *dec(const char *in)
{
  static sa out;
  if (!rfc2047_decode(in, strlen(in), &out) || !sa_0(&out)) return "(failed)";
  return out.s;
}

TEST(rfc_examples)
{
  /* RFC 2047 section 8 */
  CHECK_STR(dec("(=?ISO-8859-1?Q?a?=)"), "(a)");
  CHECK_STR(dec("(=?ISO-8859-1?Q?a?= b)"), "(a b)");
  CHECK_STR(dec("(=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)"), "(ab)");
  CHECK_STR(dec("(=?ISO-8859-1?Q?a?=  =?ISO-8859-1?Q?b?=)"), "(ab)");
  CHECK_STR(dec("(=?ISO-8859-1?Q?a?=\r\n    =?ISO-8859-1?Q?b?=)"), "(ab)");
  CHECK_STR(dec("(=?ISO-8859-1?Q?a_b?=)"), "(a b)");
  CHECK_STR(dec("(=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=)"), "(a b)");
  CHECK_STR(dec("=?ISO-8859-1?Q?Andr=E9?= Pirard <PIRARD@vm1.ulg.ac.be>"),
            "Andr\xc3\xa9 Pirard <PIRARD@vm1.ulg.ac.be>");
  CHECK_STR(dec("=?US-ASCII?Q?Keith_Moore?= <moore@cs.utk.edu>"), "Keith Moore <moore@cs.utk.edu>");
}

TEST(b_and_q)
{
  CHECK_STR(dec("=?UTF-8?B?w6nDqMOg?="), "\xc3\xa9\xc3\xa8\xc3\xa0");
  CHECK_STR(dec("=?utf-8?q?caf=c3=a9?="), "caf\xc3\xa9");
  CHECK_STR(dec("=?utf-8?b?YWI?="), "ab");                 /* padding left out */
  CHECK_STR(dec("x=?utf-8?q?y?=z"), "xyz");                /* taken inside words too */
  CHECK_STR(dec("=?utf-8*en?q?z?="), "z");                 /* RFC 2231 language */
  CHECK_STR(dec("=?utf-8?q?a=?="), "a=");                  /* a lone "=" stays */
}

TEST(joined)
{
  /* a 4-octet character split over two words comes out whole */
  CHECK_STR(dec("=?utf-8?b?8J+Y?= =?utf-8?b?gA==?="), "\xf0\x9f\x98\x80");
  CHECK_STR(dec("=?utf-8?q?a?= b =?utf-8?q?c?="), "a b c");
}

TEST(charsets)
{
  CHECK_STR(dec("=?iso-8859-2?B?vw==?="), "\xc5\xbc");                      /* z with dot */
  CHECK_STR(dec("=?windows-1251?Q?=CF=F0=E8?="), "\xd0\x9f\xd1\x80\xd0\xb8"); /* Cyrillic */
  CHECK_STR(dec("=?koi8-r?B?8NLJ?="), "\xd0\x9f\xd1\x80\xd0\xb8");
  CHECK_STR(dec("=?windows-1252?q?=80?="), "\xe2\x82\xac");                 /* euro sign */
  CHECK_STR(dec("=?utf-8?q?=FF?="), "\xef\xbf\xbd");                        /* invalid UTF-8 */
}

TEST(left_as_written)
{
  CHECK_STR(dec("=?bad-charset?Q?y?="), "=?bad-charset?Q?y?=");
  CHECK_STR(dec("=?utf-8?X?y?="), "=?utf-8?X?y?=");
  CHECK_STR(dec("=?utf-8?b?!!!?="), "=?utf-8?b?!!!?=");
  CHECK_STR(dec("=?utf-8?q?a b?="), "=?utf-8?q?a b?=");
  CHECK_STR(dec("=?utf-8?q?ab"), "=?utf-8?q?ab");
  CHECK_STR(dec("=?UTF-8//TRANSLIT?q?a?="), "=?UTF-8//TRANSLIT?q?a?=");
  CHECK_STR(dec("plain text, 8-bit \xe9 too"), "plain text, 8-bit \xe9 too");
  CHECK_STR(dec(""), "");
  /* a bad word between two good ones keeps its white space */
  CHECK_STR(dec("=?utf-8?q?a?= =?x?q?b?= =?utf-8?q?c?="), "a =?x?q?b?= c");
}

TEST(bounded)
{
  sa out = SA_ZERO;
  char *big = malloc(RFC2047_OUT_MAX + 10);
  CHECK(big != 0);
  if (!big) return;
  memset(big, 'a', RFC2047_OUT_MAX + 10);
  CHECK(!rfc2047_decode(big, RFC2047_OUT_MAX + 10, &out) && errno == ERANGE);
  CHECK(rfc2047_decode(big, RFC2047_OUT_MAX, &out) && out.len == RFC2047_OUT_MAX);
  free(big);
  sa_free(&out);
}

TEST(to_utf8)
{
  sa out = SA_ZERO;
  CHECK(rfc2047_to_utf8("ISO-8859-15", 11, "\xa4", 1, &out) && out.len == 3 && !memcmp(out.s, "\xe2\x82\xac", 3));
  out.len = 0;
  CHECK(!rfc2047_to_utf8("no-such-charset", 15, "a", 1, &out) && errno == EINVAL && out.len == 0);
  CHECK(!rfc2047_to_utf8("", 0, "a", 1, &out) && errno == EINVAL);
  {
    /* whole bodies are not held to the limit of header values */
    size_t n = RFC2047_OUT_MAX + 100;
    char *big = malloc(n);
    CHECK(big != 0);
    if (big) {
      memset(big, '\xe9', n);
      out.len = 0;
      CHECK(rfc2047_to_utf8("iso-8859-1", 10, big, n, &out) && out.len == 2 * n);
      out.len = 0;
      CHECK(rfc2047_to_utf8("iso-8859-15", 11, big, n, &out) && out.len == 2 * n);
      free(big);
    }
  }
  sa_free(&out);
}

int main(void)
{
  RUN(rfc_examples);
  RUN(b_and_q);
  RUN(joined);
  RUN(charsets);
  RUN(left_as_written);
  RUN(bounded);
  RUN(to_utf8);
  return test_report();
}
