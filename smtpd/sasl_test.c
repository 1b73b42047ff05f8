#include "sasl.h"
#include "test.h"

static int plain(const char *b64, sasl_creds *c) { return sasl_plain(b64, strlen(b64), c); }

TEST(plain)
{
  sasl_creds c;
  /* "\0joe@example.com\0secret" */
  CHECK(plain("AGpvZUBleGFtcGxlLmNvbQBzZWNyZXQ=", &c));
  CHECK_STR(c.user, "joe@example.com");
  CHECK_STR(c.pass, "secret");
  CHECK(c.pass_len == 6);
  /* authzid equal to authcid: "joe\0joe\0pw" */
  CHECK(plain("am9lAGpvZQBwdw==", &c));
  /* authzid different: "bob\0joe\0pw" refused */
  CHECK(!plain("Ym9iAGpvZQBwdw==", &c));
  /* no password: "\0joe\0" */
  CHECK(!plain("AGpvZQA=", &c));
  /* one NUL only: "\0joe" */
  CHECK(!plain("AGpvZQ==", &c));
  CHECK(!plain("not base64!", &c));
  CHECK(!plain("AGpvZQBwdw", &c)); /* missing padding */
  CHECK(!plain("", &c));
}

TEST(login)
{
  sasl_creds c;
  memset(&c, 0, sizeof c);
  CHECK(sasl_login_user("am9lQGV4YW1wbGUuY29t", 20, &c));
  CHECK_STR(c.user, "joe@example.com");
  CHECK(sasl_login_pass("c2VjcmV0", 8, &c));
  CHECK_STR(c.pass, "secret");
  CHECK(!sasl_login_user("=", 1, &c));
  CHECK(!sasl_login_pass("=", 1, &c));
}

TEST(cram)
{
  sasl_creds c;
  /* RFC 2195 example: "tim b913a602c7eda7a495b4e6e7334d3890" */
  const char *r = "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw";
  CHECK(sasl_cram(r, strlen(r), &c));
  CHECK_STR(c.user, "tim");
  CHECK_STR(c.pass, "b913a602c7eda7a495b4e6e7334d3890");
  /* "tim xyz" */
  CHECK(!sasl_cram("dGltIHh5eg==", 12, &c));
}

TEST(b64_roundtrip)
{
  char enc[64];
  unsigned char dec[64];
  CHECK(sasl_b64_encode((const unsigned char *)"hello", 5, enc, sizeof enc) == 8);
  CHECK_STR(enc, "aGVsbG8=");
  CHECK(sasl_b64_decode(enc, 8, dec, sizeof dec) == 5);
  CHECK(memcmp(dec, "hello", 5) == 0);
  CHECK(sasl_b64_decode("=", 1, dec, sizeof dec) == 0);
}

int main(void)
{
  RUN(plain);
  RUN(login);
  RUN(cram);
  RUN(b64_roundtrip);
  return test_report();
}
