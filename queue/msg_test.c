#include <string.h>

#include "msg.h"
#include "test.h"

/* Feeds s in pieces of step bytes; returns the output. */
static const char *filt(const char *s, int dot_ends, size_t step)
{
  static char out[1024];
  msgfilter m;
  size_t n = strlen(s), i, o = 0;
  msgf_init(&m, dot_ends);
  for (i = 0; i < n; i += step) {
    size_t k = n - i < step ? n - i : step;
    o += msgf_feed(&m, s + i, k, out + o);
  }
  o += msgf_end(&m, out + o);
  out[o] = 0;
  return out;
}

static void both(const char *in, int dot_ends, const char *want)
{
  size_t step;
  for (step = 1; step <= 7; step++) CHECK_STR(filt(in, dot_ends, step), want);
  CHECK_STR(filt(in, dot_ends, 4096), want);
}

TEST(crlf)
{
  both("a\r\nb\r\n", 0, "a\nb\n");
  both("a\rb\r", 0, "a\rb\r");
  both("a\r\r\nb", 0, "a\r\nb");
  both("", 0, "");
}

TEST(dots)
{
  both("a\n.\nafter\n", 1, "a\n");
  both("a\r\n.\r\nafter\n", 1, "a\n");
  both(".\n", 1, "");
  both("a\n..\nb\n", 1, "a\n..\nb\n");
  both("a\n.x\n", 1, "a\n.x\n");
  both("a\n.", 1, "a\n.");
  both("a\n.\r", 1, "a\n.\r");
  both("a\n.\rx", 1, "a\n.\rx");
  both("a.\nb\n", 1, "a.\nb\n");
  both("a\n.\nafter\n", 0, "a\n.\nafter\n");
}

TEST(from_field)
{
  sa s = SA_ZERO;
  CHECK(msg_from_field(&s, 0, "a@b.test") && sa_0(&s));
  CHECK_STR(s.s, "From: a@b.test\n");
  s.len = 0;
  CHECK(msg_from_field(&s, "Shop \"Bot\"", "a@b.test") && sa_0(&s));
  CHECK_STR(s.s, "From: \"Shop \\\"Bot\\\"\" <a@b.test>\n");
  s.len = 0;
  CHECK(msg_from_field(&s, "J\xc3\xa9r\xc3\xb4me", "j@b.test") && sa_0(&s));
  CHECK_STR(s.s, "From: =?UTF-8?B?SsOpcsO0bWU=?= <j@b.test>\n");
  sa_free(&s);
}

int main(void)
{
  RUN(crlf);
  RUN(dots);
  RUN(from_field);
  return test_report();
}
