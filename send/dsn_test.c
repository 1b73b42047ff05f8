#include "dsn.h"
#include "test.h"

static int has(const sa *s, const char *needle)
{
  return memmem(s->s, s->len, needle, strlen(needle)) != NULL;
}

TEST(two_failures)
{
  static const char orig[] = "Received: from x\nSubject: hello\nFrom: a@b.example\n\nbody must not appear\n";
  failure f[2] = {
    { "5.1.1", "nobody@shop.example", "-", "5.1.1 sorry, no mailbox here by that name" },
    { "5.7.1", "x@remote.example", "mx.remote.example", "550 5.7.1 go away \x01" },
  };
  dsn_in in = { "mail.example", "a@b.example", "6b0414640000abcd", "BOUNDARY0123", 1700000000, 1700000100,
                0, f, 2, orig, sizeof orig - 1 };
  sa s = SA_ZERO;
  CHECK(dsn_build(&s, &in));
  CHECK(has(&s, "From: MAILER-DAEMON@mail.example\n"));
  CHECK(has(&s, "To: a@b.example\n"));
  CHECK(has(&s, "Content-Type: multipart/report; report-type=delivery-status;\n\tboundary=\"BOUNDARY0123\"\n"));
  CHECK(has(&s, "\n--BOUNDARY0123\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mail.example\n"));
  CHECK(has(&s, "Final-Recipient: rfc822; nobody@shop.example\nAction: failed\nStatus: 5.1.1\n"));
  CHECK(has(&s, "Remote-MTA: dns; mx.remote.example\nDiagnostic-Code: smtp; 550 5.7.1 go away ?\n"));
  CHECK(has(&s, "Content-Type: text/rfc822-headers"));
  CHECK(has(&s, "Subject: hello\nFrom: a@b.example\n"));
  CHECK(!has(&s, "body must not appear"));
  CHECK(has(&s, "\n--BOUNDARY0123--\n"));
  sa_free(&s);
}

TEST(header_len)
{
  CHECK(dsn_header_len("A: b\n\nbody", 10) == 5);
  CHECK(dsn_header_len("A: b\nC: d", 9) == 9);
  CHECK(dsn_header_len("", 0) == 0);
}

TEST(double_bounce)
{
  failure f[1] = { { "4.4.7", "a@b", "-", "4.2.2 mailbox full" } };
  dsn_in in = { "me.example", "postmaster@me.example", "0000000000000000", "B", 0, 0, 1, f, 1, "", 0 };
  sa s = SA_ZERO;
  CHECK(dsn_build(&s, &in));
  CHECK(has(&s, "double bounce"));
  CHECK(has(&s, "in the queue too long"));
  CHECK(has(&s, "Status: 4.4.7\n"));
  sa_free(&s);
}

int main(void)
{
  RUN(two_failures);
  RUN(header_len);
  RUN(double_bounce);
  return test_report();
}
