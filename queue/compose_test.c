#include <string.h>

#include "compose.h"
#include "test.h"

static const compose_opts base = { 0, "me@example.org", 0, "Mon, 23 Nov 2026 10:00:00 +0000",
                                   "<id@example.org>", "example.org" };

static char res[4096], rlist[1024];
static size_t body;

static int run(const char *in, int at_end, const compose_opts *o)
{
  sa out = SA_ZERO, r = SA_ZERO;
  size_t count = 0, i, fl = 0;
  const char *why = 0, *field = 0;
  int code = compose_header(in, strlen(in), at_end, o, &out, &r, &count, &body, &why, &field, &fl);
  res[0] = rlist[0] = 0;
  if (code == COMPOSE_OK) {
    memcpy(res, out.s, out.len < sizeof res - 1 ? out.len : sizeof res - 1);
    res[out.len < sizeof res - 1 ? out.len : sizeof res - 1] = 0;
    for (i = 0; i < r.len && i < sizeof rlist - 1; i++) rlist[i] = r.s[i] ? r.s[i] : ' ';
    rlist[i] = 0;
  } else if (code == COMPOSE_E_ADDR) {
    snprintf(res, sizeof res, "%.*s: %s", (int)fl, field, why);
  }
  sa_free(&out);
  sa_free(&r);
  return code;
}

TEST(adds_missing_fields)
{
  CHECK(run("Subject: x\n\nbody\n", 1, &base) == COMPOSE_OK);
  CHECK_STR(res, "Subject: x\nFrom: me@example.org\nDate: Mon, 23 Nov 2026 10:00:00 +0000\n"
                 "Message-ID: <id@example.org>\n\n");
  CHECK(body == 12);
}

TEST(keeps_present_fields)
{
  const char *in = "from: A <a@b.test>\nDATE: today\nMessage-Id: <x@y>\n\nb\n";
  CHECK(run(in, 1, &base) == COMPOSE_OK);
  CHECK_STR(res, "from: A <a@b.test>\nDATE: today\nMessage-Id: <x@y>\n\n");
}

TEST(from_name)
{
  compose_opts o = base;
  o.from_name = "Web Shop";
  CHECK(run("Date: d\nMessage-ID: <m@x>\n\n", 1, &o) == COMPOSE_OK);
  CHECK_STR(res, "Date: d\nMessage-ID: <m@x>\nFrom: \"Web Shop\" <me@example.org>\n\n");
}

TEST(bcc_and_t)
{
  compose_opts o = base;
  const char *in = "To: A <a@x.test>, b\nCc: c@x.test,\n d@x.test\nBcc: e@x.test\nResent-Bcc: f@x.test\n"
                   "Date: d\nMessage-ID: <m@x>\nFrom: f@x.test\n\nbody\n";
  CHECK(run(in, 1, &o) == COMPOSE_OK);   /* without -t: Bcc still removed, no recipients */
  CHECK_STR(rlist, "");
  CHECK(strstr(res, "Bcc") == 0 && strstr(res, "e@x.test") == 0 && strstr(res, "f@x.test\n\n") != 0);
  o.take_rcpts = 1;
  CHECK(run(in, 1, &o) == COMPOSE_OK);
  CHECK_STR(rlist, "a@x.test b@example.org c@x.test d@x.test e@x.test ");
  CHECK_STR(res, "To: A <a@x.test>, b\nCc: c@x.test,\n d@x.test\nDate: d\nMessage-ID: <m@x>\nFrom: f@x.test\n\n");
}

TEST(bad_address)
{
  compose_opts o = base;
  o.take_rcpts = 1;
  CHECK(run("To: a@x b@y\n\n", 1, &o) == COMPOSE_E_ADDR);
  CHECK_STR(res, "To: expected , between addresses");
  o.take_rcpts = 0;
  CHECK(run("To: a@x b@y\n\n", 1, &o) == COMPOSE_OK);   /* not read without -t */
}

TEST(no_header_or_separator)
{
  CHECK(run("just a body line\nmore\n", 1, &base) == COMPOSE_OK && body == 0);
  CHECK(strncmp(res, "From: me@example.org\n", 21) == 0);
  CHECK(run("Subject: s\nbody without blank line\n", 1, &base) == COMPOSE_OK && body == 11);
  CHECK(run("Subject: s", 1, &base) == COMPOSE_OK && body == 10);
  CHECK(strncmp(res, "Subject: s\nFrom:", 16) == 0);
  CHECK(run("Subject: cut off in the midd", 0, &base) == COMPOSE_E_LONG);
  CHECK(run("", 1, &base) == COMPOSE_OK && body == 0);
}

TEST(mbox_line)
{
  CHECK(run("From someone Mon Nov 23 10:00:00 2026\nSubject: m\n\nb\n", 1, &base) == COMPOSE_OK);
  CHECK(strncmp(res, "Subject: m\nFrom: me@example.org\n", 32) == 0);
}

int main(void)
{
  RUN(adds_missing_fields);
  RUN(keeps_present_fields);
  RUN(from_name);
  RUN(bcc_and_t);
  RUN(bad_address);
  RUN(no_header_or_separator);
  RUN(mbox_line);
  return test_report();
}
