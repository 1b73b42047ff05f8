#include "mbox.h"
#include "sa.h"
#include "test.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static int put_sa(void *ctx, const char *b, size_t n) { return sa_catb(ctx, b, n); }

/* Quotes s fed in pieces of k bytes; returns the output NUL-terminated. */
static const char *quote(const char *s, size_t k)
{
  static sa out = SA_ZERO;
  mbox_quoter q = MBOX_QUOTER_ZERO;
  size_t n = strlen(s), i;
  out.len = 0;
  for (i = 0; i < n; i += k) {
    size_t c = n - i < k ? n - i : k;
    if (!mbox_quote(&q, s + i, c, put_sa, &out)) return "(put failed)";
  }
  if (!mbox_quote_end(&q, put_sa, &out)) return "(put failed)";
  sa_0(&out);
  return out.s;
}

TEST(quoting)
{
  static const char *cases[][2] = {
    { "a\nb\n", "a\nb\n\n" },
    { "From me\nx\n", ">From me\nx\n\n" },
    { "x\nFrom me\n>From you\n>>From\n>>From them\nFrom\nFromage\n",
      "x\n>From me\n>>From you\n>>From\n>>>From them\nFrom\nFromage\n\n" },
    { "no newline", "no newline\n\n" },
    { "ends in >>", "ends in >>\n\n" },
    { ">>", ">>\n\n" },
    { "From ", ">From \n\n" },
    { "Fro", "Fro\n\n" },
    { " From x\n", " From x\n\n" },
    { "\n\nFrom x", "\n\n>From x\n\n" },
    { "", "\n" },
  };
  size_t i, k;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
    for (k = 1; k <= 7; k++) {
      const char *got = quote(cases[i][0], k);
      if (strcmp(got, cases[i][1]) != 0) {
        fprintf(stderr, "case %zu split %zu: got [%s]\n", i, k, got);
        CHECK(0);
      }
    }
}

TEST(from_line)
{
  char out[MBOX_FROM_MAX];
  CHECK(mbox_from_line(out, sizeof out, "a@example.com", 0) > 0);
  CHECK_STR(out, "From a@example.com Thu Jan  1 00:00:00 1970\n");
  CHECK(mbox_from_line(out, sizeof out, "", 1795420800) > 0);
  CHECK(strncmp(out, "From MAILER-DAEMON ", 19) == 0);
  CHECK(mbox_from_line(out, 10, "a@example.com", 0) == 0);
}

TEST(lock_and_truncate)
{
  char dir[] = "/tmp/mbox-test-XXXXXX", path[256], lock[300];
  mbox m, m2;
  struct stat st;
  CHECK(mkdtemp(dir) != 0);
  snprintf(path, sizeof path, "%s/mbox", dir);
  snprintf(lock, sizeof lock, "%s.lock", path);
  CHECK(mbox_open(&m, path, 5));
  CHECK(access(lock, F_OK) == 0);
  CHECK(write(m.fd, "From x\n\n", 8) == 8);
  CHECK(mbox_close(&m));
  CHECK(access(lock, F_OK) != 0);
  CHECK(stat(path, &st) == 0 && st.st_size == 8);
  /* an error after writing leaves the old size */
  CHECK(mbox_open(&m, path, 5));
  CHECK(m.oldsize == 8);
  CHECK(write(m.fd, "half a mess", 11) == 11);
  mbox_abort(&m);
  CHECK(stat(path, &st) == 0 && st.st_size == 8);
  /* a held dot-lock makes a second writer wait and give up */
  CHECK(mbox_open(&m, path, 5));
  close(m.fd);           /* drop the fcntl lock, keep the dot-lock */
  m.fd = -1;
  CHECK(!mbox_open(&m2, path, 1));
  CHECK(errno == ETIMEDOUT);
  /* a stale dot-lock is broken */
  {
    struct timespec old[2] = { { 1000, 0 }, { 1000, 0 } };
    CHECK(utimensat(AT_FDCWD, lock, old, 0) == 0);
    CHECK(mbox_open(&m2, path, 1));
    CHECK(mbox_close(&m2));
  }
  unlink(path);
  rmdir(dir);
}

int main(void)
{
  RUN(quoting);
  RUN(from_line);
  RUN(lock_and_truncate);
  return test_report();
}
