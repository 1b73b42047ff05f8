/* Unit tests for Date header parsing (msgdate.h). */
#include <string.h>

#include "msgdate.h"
#include "test.h"

static int parse(const char *s, time_t *utc, time_t *day)
{
  return msgdate_parse(s, strlen(s), utc, day);
}

TEST(rfc5322)
{
  time_t u, d;
  CHECK(parse("Mon, 23 Nov 2026 10:00:00 +0000", &u, &d) && u == 1795428000 && d == 1795392000);
  CHECK(parse("Mon, 23 Nov 2026 10:00:00 +0100", &u, &d) && u == 1795428000 - 3600 && d == 1795392000);
  /* late in the day west of UTC: the day as written, the moment in UTC */
  CHECK(parse("Mon, 23 Nov 2026 23:30:00 -0500", &u, &d) && u == 1795428000 + 13 * 3600 + 1800 + 5 * 3600 &&
        d == 1795392000);
  CHECK(parse("23 Nov 2026 10:00 +0000", &u, &d) && u == 1795428000);
  CHECK(parse("  Mon,\r\n 23 Nov 2026 10:00:00 +0000 (UTC)", &u, &d) && u == 1795428000);
  CHECK(parse("Monday, 23 November 2026 10:00:00 GMT", &u, &d) && u == 1795428000);
  CHECK(parse("Mon, 23 Nov 2026 10:00:00 EST", &u, &d) && u == 1795428000 + 5 * 3600);
  CHECK(parse("Mon, 23 Nov 2026 10:00:00", &u, &d) && u == 1795428000);      /* no zone */
  CHECK(parse("Mon, 23 Nov 2026 10:00:00 XYZ", &u, &d) && u == 1795428000);  /* unknown zone */
}

TEST(obsolete)
{
  time_t u, d;
  CHECK(parse("Mon, 23 Nov 26 10:00:00 +0000", &u, &d) && u == 1795428000);
  CHECK(parse("Tue, 2 Nov 99 10:00:00 +0000", &u, &d) && d == 941500800);
  CHECK(parse("Mon, 23 Nov 126 10:00:00 +0000", &u, &d) && u == 1795428000);
  CHECK(parse("23-Nov-2026 10:00:00 +0000", &u, &d) && u == 1795428000);
  CHECK(parse("Mon Nov 23 10:00:00 2026", &u, &d) && u == 1795428000);        /* asctime */
  CHECK(parse("Thu, 01 Jan 1970 00:00:00 +0000", &u, &d) && u == 0 && d == 0);
  CHECK(parse("Sat, 29 Feb 2020 12:00:00 +0000", &u, &d));
}

TEST(not_dates)
{
  time_t u, d;
  CHECK(!parse("", &u, &d));
  CHECK(!parse("yesterday", &u, &d));
  CHECK(!parse("Mon, 32 Nov 2026 10:00:00 +0000", &u, &d));
  CHECK(!parse("Mon, 29 Feb 2026 10:00:00 +0000", &u, &d));
  CHECK(!parse("Mon, 23 Foo 2026 10:00:00 +0000", &u, &d));
  CHECK(!parse("Mon, 23 Nov 2026 25:00:00 +0000", &u, &d));
  CHECK(!parse("Mon, 23 Nov 2026", &u, &d));
  CHECK(!parse("Mon, 23 Nov 20266 10:00:00 +0000", &u, &d));
}

int main(void)
{
  RUN(rfc5322);
  RUN(obsolete);
  RUN(not_dates);
  return test_report();
}
