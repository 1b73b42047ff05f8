#include "local.h"
#include "test.h"

static int has(const char *m, const char *r) { return header_has_delivered_to(m, strlen(m), r); }

TEST(loop)
{
  CHECK(has("Delivered-To: joe@example.com\nSubject: x\n\nbody\n", "joe@example.com"));
  CHECK(has("Received: x\nDELIVERED-TO:JOE@Example.COM  \n\n", "joe@example.com"));
  CHECK(has("Delivered-To: other@example.com\nDelivered-To: joe@example.com\r\n\r\n", "joe@example.com"));
  CHECK(has("Delivered-To:\n joe@example.com\n\n", "joe@example.com"));
  CHECK(has("Delivered-To: joe@example.com", "joe@example.com"));
}

TEST(no_loop)
{
  CHECK(!has("Delivered-To: joe@example.com.evil\n\n", "joe@example.com"));
  CHECK(!has("Delivered-To: xjoe@example.com\n\n", "joe@example.com"));
  CHECK(!has("Subject: x\n\nDelivered-To: joe@example.com\n", "joe@example.com"));
  CHECK(!has("Subject: x\r\n\r\nDelivered-To: joe@example.com\n", "joe@example.com"));
  CHECK(!has("X-Delivered-To: joe@example.com\n\n", "joe@example.com"));
  CHECK(!has("Delivered-Top: joe@example.com\n\n", "joe@example.com"));
  CHECK(!has("", "joe@example.com"));
  CHECK(!has("Delivered-To: joe@example.com\n", "jo"));
}

TEST(long_values)
{
  static char m[4000];
  memset(m, 'a', sizeof m - 1);
  memcpy(m, "Delivered-To: ", 14);
  CHECK(!has(m, "joe@example.com"));
}

int main(void)
{
  RUN(loop);
  RUN(no_loop);
  RUN(long_values);
  return test_report();
}
