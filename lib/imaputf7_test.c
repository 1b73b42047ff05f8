#include <string.h>

#include "imaputf7.h"
#include "test.h"

static sa out = SA_ZERO;

static const char *enc(const char *s)
{
  out.len = 0;
  if (!imaputf7_encode(s, strlen(s), &out) || !sa_0(&out)) return "(error)";
  return out.s;
}

static const char *dec(const char *s)
{
  out.len = 0;
  if (!imaputf7_decode(s, strlen(s), &out) || !sa_0(&out)) return "(error)";
  return out.s;
}

TEST(rfc_examples)
{
  /* RFC 3501 5.1.3 */
  CHECK_STR(enc("~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"),
            "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
  CHECK_STR(dec("~peter/mail/&U,BTFw-/&ZeVnLIqe-"),
            "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e");
  CHECK_STR(enc("Tom & Jerry"), "Tom &- Jerry");
  CHECK_STR(dec("Tom &- Jerry"), "Tom & Jerry");
  CHECK_STR(enc("INBOX"), "INBOX");
  CHECK_STR(enc(""), "");
}

TEST(round_trips)
{
  static const char *names[] = {
    "Entw\xc3\xbc" "rfe", "Gel\xc3\xb6schte Elemente", "\xd0\x9e\xd1\x82\xd0\xbf\xd1\x80\xd0\xb0"
    "\xd0\xb2\xd0\xbb\xd0\xb5\xd0\xbd\xd0\xbd\xd1\x8b\xd0\xb5", "caf\xc3\xa9&co",
    "\xf0\x9f\x93\xa7 mail", "a\tb", "\xc3\xa9", "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac",
  };
  size_t i;
  sa e = SA_ZERO;
  for (i = 0; i < sizeof names / sizeof names[0]; i++) {
    e.len = 0;
    CHECK(imaputf7_encode(names[i], strlen(names[i]), &e) && sa_0(&e));
    CHECK_STR(dec(e.s), names[i]);
  }
  CHECK_STR(enc("Entw\xc3\xbc" "rfe"), "Entw&APw-rfe");
  CHECK_STR(enc("\xf0\x9f\x93\xa7"), "&2D3c5w-");
  sa_free(&e);
}

TEST(strict_decoder)
{
  CHECK_STR(dec("a\xc3\xa9"), "(error)");        /* raw 8-bit */
  CHECK_STR(dec("&APw"), "(error)");             /* unterminated */
  CHECK_STR(dec("&APx-"), "(error)");            /* non-zero pad bits */
  CHECK_STR(dec("&AGE-"), "(error)");            /* "a" encoded */
  CHECK_STR(dec("&2D0-"), "(error)");            /* lone high surrogate */
  CHECK_STR(dec("&3ec-"), "(error)");            /* lone low surrogate */
  CHECK_STR(dec("&AAA-"), "(error)");            /* NUL */
  CHECK_STR(dec("&AP/-"), "(error)");            /* '/' is not modified base64 */
  CHECK_STR(dec("&"), "(error)");
  CHECK_STR(dec("a\tb"), "(error)");
  CHECK_STR(dec("&APwA-"), "(error)");
  CHECK_STR(dec("&AOk-&AOk-"), "(error)");       /* must be one shift: &AOkA6Q- */
  CHECK_STR(dec("&AOkA6Q-&-"), "\xc3\xa9\xc3\xa9&");           /* a whole sextet of padding */
}

TEST(strict_encoder)
{
  CHECK_STR(enc("\xc0\xaf"), "(error)");         /* overlong */
  CHECK_STR(enc("\xed\xa0\x80"), "(error)");     /* surrogate */
  CHECK_STR(enc("\xf4\x90\x80\x80"), "(error)"); /* above U+10FFFF */
  CHECK_STR(enc("\xc3"), "(error)");             /* truncated */
  CHECK_STR(enc("\x80"), "(error)");
}

int main(void)
{
  RUN(rfc_examples);
  RUN(round_trips);
  RUN(strict_decoder);
  RUN(strict_encoder);
  sa_free(&out);
  return test_report();
}
