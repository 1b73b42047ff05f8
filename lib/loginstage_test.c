#include <string.h>
#include <sodium.h>

#include "loginstage.h"
#include "test.h"

static unsigned char dec[512];
static const char *user, *pass;

static int plain(const char *b64)
{
  user = pass = 0;
  return loginstage_plain(b64, strlen(b64), dec, sizeof dec, &user, &pass);
}

TEST(plain_ok)
{
  /* "\0user@example.org\0secret" */
  CHECK(plain("AHVzZXJAZXhhbXBsZS5vcmcAc2VjcmV0") == PLAIN_OK);
  CHECK_STR(user, "user@example.org");
  CHECK_STR(pass, "secret");
  /* an authzid equal to the authcid is the same user */
  CHECK(plain("dXNlckBleGFtcGxlLm9yZwB1c2VyQGV4YW1wbGUub3JnAHB3") == PLAIN_OK);
  CHECK_STR(user, "user@example.org");
  CHECK_STR(pass, "pw");
  /* "\0u\0": an empty password is the password's business, not the syntax's */
  CHECK(plain("AHUA") == PLAIN_OK);
  CHECK_STR(user, "u");
  CHECK_STR(pass, "");
}

TEST(plain_refused)
{
  CHECK(plain("*") == PLAIN_CANCELLED);
  CHECK(plain("b3RoZXJAZXhhbXBsZS5vcmcAdXNlckBleGFtcGxlLm9yZwBwdw==") == PLAIN_PROXY);
  CHECK(plain("dXNlcgBwYXNz") == PLAIN_MALFORMED);   /* one NUL only */
  CHECK(plain("AABwYXNz") == PLAIN_MALFORMED);       /* empty authcid */
  CHECK(plain("AHUAcAB4") == PLAIN_MALFORMED);       /* a third NUL */
  CHECK(plain("=") == PLAIN_MALFORMED);              /* empty response */
  CHECK(plain("") == PLAIN_MALFORMED);
  CHECK(plain("AHUA!") == PLAIN_BASE64);
  CHECK(plain("AHUA AHUA") == PLAIN_BASE64);
  CHECK(plain("AHU") == PLAIN_BASE64);               /* not padded */
  CHECK(user == 0 && pass == 0);
}

TEST(plain_bounds)
{
  unsigned char raw[ADDR_MAX + 8];
  char b64[sizeof raw * 2];
  size_t n;
  /* "\0" + ADDR_MAX+1 letters + "\0p": too long for an address */
  memset(raw, 'a', sizeof raw);
  raw[0] = 0;
  raw[ADDR_MAX + 2] = 0;
  raw[ADDR_MAX + 3] = 'p';
  sodium_bin2base64(b64, sizeof b64, raw, ADDR_MAX + 4, sodium_base64_VARIANT_ORIGINAL);
  CHECK(plain(b64) == PLAIN_TOO_LONG);
  /* exactly ADDR_MAX letters is fine */
  raw[ADDR_MAX + 1] = 0;
  raw[ADDR_MAX + 2] = 'p';
  sodium_bin2base64(b64, sizeof b64, raw, ADDR_MAX + 3, sodium_base64_VARIANT_ORIGINAL);
  CHECK(plain(b64) == PLAIN_OK);
  CHECK(user && strlen(user) == ADDR_MAX);
  /* more decoded octets than the buffer holds (one is kept for the NUL) */
  n = strlen(b64);
  CHECK(loginstage_plain(b64, n, dec, 8, &user, &pass) == PLAIN_BASE64);
  CHECK(loginstage_plain(b64, n, dec, 0, &user, &pass) == PLAIN_MALFORMED);
}

TEST(plain_in_the_clear)
{
  loginstage ls;
  memset(&ls, 0, sizeof ls);
  strcpy(ls.ip, "192.0.2.1");
  CHECK(!loginstage_plain_ok(&ls));
  ls.plain_loopback = 1;
  CHECK(!loginstage_plain_ok(&ls));
  strcpy(ls.ip, "127.0.0.1");
  CHECK(loginstage_plain_ok(&ls));
  strcpy(ls.ip, "::1");
  CHECK(loginstage_plain_ok(&ls));
  strcpy(ls.ip, "::ffff:127.0.0.2");
  CHECK(loginstage_plain_ok(&ls));
  strcpy(ls.ip, "1127.0.0.1");
  CHECK(!loginstage_plain_ok(&ls));
  ls.plain_loopback = 0;
  CHECK(!loginstage_plain_ok(&ls));
  ls.tls = 1;
  strcpy(ls.ip, "192.0.2.1");
  CHECK(loginstage_plain_ok(&ls));
}

int main(void)
{
  RUN(plain_ok);
  RUN(plain_refused);
  RUN(plain_bounds);
  RUN(plain_in_the_clear);
  return test_report();
}
