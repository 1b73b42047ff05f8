/* Unit tests for the DATA/BDAT state machine. */
#include <string.h>

#include "data.h"
#include "test.h"

static char out[70000];
static size_t outlen;

/* Feeds s in pieces of step bytes; returns the bytes consumed in all. */
static size_t feed(data_state *d, const char *s, size_t n, size_t step)
{
  size_t used = 0;
  outlen = 0;
  while (used < n && !d->done) {
    size_t k = n - used < step ? n - used : step, on;
    size_t u = data_feed(d, s + used, k, out + outlen, &on);
    outlen += on;
    used += u;
  }
  out[outlen] = 0;
  return used;
}

static void run(const char *in, size_t step, data_state *d, unsigned long long limit)
{
  data_init(d, 0, limit);
  feed(d, in, strlen(in), step);
}

TEST(simple)
{
  data_state d;
  size_t steps[] = { 1, 2, 3, 7, 1000 }, i;
  for (i = 0; i < 5; i++) {
    const char *in = "Subject: x\r\n\r\nbody\r\n.\r\nQUIT\r\n";
    data_init(&d, 0, 0);
    CHECK(feed(&d, in, strlen(in), steps[i]) == strlen(in) - 6);
    CHECK(d.done);
    CHECK(d.bad == 0);
    CHECK_STR(out, "Subject: x\n\nbody\n");
    CHECK(d.size == 17);
  }
}

TEST(dot_unstuffing)
{
  data_state d;
  run("..a\r\n...\r\n.\r\n", 1, &d, 0);
  CHECK(d.done && d.bad == 0);
  CHECK_STR(out, ".a\n..\n");
  run(".\r\n", 1, &d, 0);
  CHECK(d.done && outlen == 0);
  run("a.\r\n.b\r\n.\r\n", 2, &d, 0);
  CHECK_STR(out, "a.\nb\n");
}

TEST(smuggling_never_ends)
{
  data_state d;
  run("a\n.\nb\r\n", 1, &d, 0);
  CHECK(!d.done && (d.bad & DATA_BARE_LF));
  run("a\r\n.\nb\r\n", 1, &d, 0);
  CHECK(!d.done && (d.bad & DATA_BARE_LF));
  run("a\n.\r\nb\r\n", 1, &d, 0);
  CHECK(!d.done && (d.bad & DATA_BARE_LF));
  run("a\r.\r\nb\r\n", 1, &d, 0);
  CHECK(!d.done && (d.bad & DATA_BARE_CR));
  run("a\r\n.\rb\r\n", 1, &d, 0);
  CHECK(!d.done && (d.bad & DATA_BARE_CR));
  /* and the real end still ends it, message refused */
  run("a\nb\r\n.\r\n", 1, &d, 0);
  CHECK(d.done && (d.bad & DATA_BARE_LF));
}

TEST(limits)
{
  data_state d;
  static char big[3000];
  memset(big, 'x', 998);
  memcpy(big + 998, "\r\n.\r\n", 6);
  run(big, 100, &d, 0);
  CHECK(d.done && d.bad == 0 && outlen == 999);
  memset(big, 'x', 999);
  memcpy(big + 999, "\r\n.\r\n", 6);
  run(big, 100, &d, 0);
  CHECK(d.done && (d.bad & DATA_LONG_LINE));
  run("12345\r\n6789\r\n.\r\n", 3, &d, 8);
  CHECK(d.done && (d.bad & DATA_TOO_BIG));
  CHECK(d.size == 11);
  run("1234567\r\n.\r\n", 3, &d, 8);
  CHECK(d.done && d.bad == 0);
}

TEST(nul_and_8bit)
{
  data_state d;
  data_init(&d, 0, 0);
  feed(&d, "a\0b\r\n.\r\n", 8, 1);
  CHECK(d.done && (d.bad & DATA_NUL));
  run("caf\xc3\xa9\r\n.\r\n", 1, &d, 0);
  CHECK(d.done && d.bad == 0 && d.eightbit);
}

TEST(bdat)
{
  data_state d;
  char tail[2];
  data_init(&d, 1, 0);
  feed(&d, "a\r", 2, 10);
  CHECK(outlen == 1);
  feed(&d, "\n.b\r\n.\r\n", 8, 10);
  CHECK(!d.done && d.bad == 0);
  CHECK_STR(out, "\n.b\n.\n");
  CHECK(data_end_bdat(&d, tail) == 0);
  data_init(&d, 1, 0);
  feed(&d, "a\r", 2, 10);
  data_end_bdat(&d, tail);
  CHECK(d.bad & DATA_BARE_CR);
  data_init(&d, 1, 0);
  feed(&d, "a\nb", 3, 10);
  CHECK(d.bad & DATA_BARE_LF);
}

int main(void)
{
  RUN(simple);
  RUN(dot_unstuffing);
  RUN(smuggling_never_ends);
  RUN(limits);
  RUN(nul_and_8bit);
  RUN(bdat);
  return test_report();
}
