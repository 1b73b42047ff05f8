/* Unit tests for case folding (utf8fold.h) and transfer decoding (cte.h). */
#include <string.h>

#include "cte.h"
#include "test.h"
#include "utf8fold.h"

static const char *fold(const char *s)
{
  static sa out;
  out.len = 0;
  if (!utf8_fold(s, strlen(s), &out) || !sa_0(&out)) return "(failed)";
  return out.s;
}

static const char *cte(const char *enc, const char *s)
{
  static sa out;
  out.len = 0;
  if (!cte_decode(enc, strlen(enc), s, strlen(s), &out) || !sa_0(&out)) return "(failed)";
  return out.s;
}

TEST(folding)
{
  CHECK_STR(fold("Hello WORLD"), "hello world");
  CHECK_STR(fold("\xc3\x89t\xc3\xa9 \xc3\x80"), "\xc3\xa9t\xc3\xa9 \xc3\xa0");           /* Été À */
  CHECK_STR(fold("\xc5\x81\xc3\xb3" "d\xc5\xba"), "\xc5\x82\xc3\xb3" "d\xc5\xba");             /* Łódź */
  CHECK_STR(fold("\xce\xa3\xce\x9f\xce\xa6\xce\x99\xce\x91"), "\xcf\x83\xce\xbf\xcf\x86\xce\xb9\xce\xb1"); /* ΣΟΦΙΑ */
  CHECK_STR(fold("\xcf\x82"), "\xcf\x83");                                               /* final sigma */
  CHECK_STR(fold("\xd0\x9f\xd0\xa0\xd0\x98\xd0\x92\xd0\x95\xd0\xa2 \xd0\x81"),
            "\xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 \xd1\x91");                /* ПРИВЕТ Ё */
  CHECK_STR(fold("\xe1\xba\x9e"), "\xc3\x9f");                                           /* capital sharp s */
  CHECK_STR(fold("bad \xff\xc3" " ok"), "bad \xff\xc3" " ok");
  CHECK_STR(fold("\xf0\x9f\x98\x80"), "\xf0\x9f\x98\x80");
}

TEST(transfer_encodings)
{
  CHECK_STR(cte("base64", "aGVs\r\nbG8=\r\n"), "hello");
  CHECK_STR(cte("BASE64", "aGVsbG8"), "hello");
  CHECK_STR(cte("quoted-printable", "caf=C3=A9 =\r\nau lait=\nx"), "caf\xc3\xa9 au laitx");
  CHECK_STR(cte("quoted-printable", "a=zz b=4"), "a=zz b=4");
  CHECK_STR(cte("7bit", "as=20is"), "as=20is");
  CHECK_STR(cte("", "plain"), "plain");
}

int main(void)
{
  RUN(folding);
  RUN(transfer_encodings);
  return test_report();
}
