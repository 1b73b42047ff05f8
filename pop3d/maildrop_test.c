#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "maildrop.h"
#include "test.h"

static char top[256];

static void put(const char *path, const char *data)
{
  FILE *f = fopen(path, "w");
  if (!f) { perror(path); exit(1); }
  fputs(data, f);
  fclose(f);
}

static int exists(const char *path) { return access(path, F_OK) == 0; }

static const char *path_of(maildrop *d, size_t i)
{
  static char p[MAILDROP_PATH_MAX];
  if (!maildrop_path(d, i, p)) return "(error)";
  return p;
}

static const char *uid_of(maildrop *d, size_t i)
{
  static char u[MAILDROP_NAME_MAX + 1];
  if (!maildrop_uid(d, i, u)) return "(error)";
  return u;
}

static void fresh(void)
{
  char cmd[1200];
  snprintf(cmd, sizeof cmd, "rm -rf %s/Maildir && mkdir -p %s/Maildir/new %s/Maildir/cur %s/Maildir/tmp",
           top, top, top, top);
  if (system(cmd) != 0) exit(1);
  if (chdir(top) != 0 || chdir("Maildir") != 0) exit(1);
}

TEST(new_to_cur_sizes_and_order)
{
  maildrop d = MAILDROP_ZERO;
  fresh();
  put("new/1700000002.M2P1.host", "b\nline\n");
  put("new/1700000001.M1P1.host,S=5", "a\n.x\n");
  put("cur/1700000000.M0P1.host:2,S", "seen\r\nno newline");
  put("cur/.hidden", "x");
  put("new/1700000003.M3P1.host:2,F", "f\n");
  CHECK(maildrop_open(&d) == 1);
  CHECK(d.n == 4);
  CHECK_STR(path_of(&d, 3), "cur/1700000003.M3P1.host:2,F");
  CHECK_STR(path_of(&d, 0), "cur/1700000000.M0P1.host:2,S");
  CHECK_STR(path_of(&d, 1), "cur/1700000001.M1P1.host,S=5:2,");
  CHECK_STR(path_of(&d, 2), "cur/1700000002.M2P1.host:2,");
  CHECK_STR(uid_of(&d, 1), "1700000001.M1P1.host,S=5");
  /* the index was written: names are read back from it */
  CHECK(d.idxfd >= 0 && d.arena == 0);
  CHECK(d.msg[0].size == 6 + 10 + 2);
  CHECK(d.msg[1].size == 3 + 4);
  CHECK(d.msg[2].size == 3 + 6);
  CHECK(d.msg[0].ulen == strlen("1700000000.M0P1.host"));
  CHECK(d.measured == 4);
  CHECK(exists("cur/1700000002.M2P1.host:2,") && !exists("new/1700000002.M2P1.host"));
  maildrop_close(&d);
  /* the second session measures nothing */
  CHECK(maildrop_open(&d) == 1);
  CHECK(d.measured == 0 && d.n == 4 && d.msg[2].size == 9);
  CHECK(d.idxfd >= 0 && d.arena == 0);
  CHECK_STR(path_of(&d, 0), "cur/1700000000.M0P1.host:2,S");
  CHECK_STR(path_of(&d, 3), "cur/1700000003.M3P1.host:2,F");
  CHECK_STR(uid_of(&d, 2), "1700000002.M2P1.host");
  maildrop_close(&d);
}

TEST(lock_excludes_a_second_session)
{
  maildrop a = MAILDROP_ZERO, b = MAILDROP_ZERO;
  fresh();
  put("new/1.M1P1.h", "x\n");
  CHECK(maildrop_open(&a) == 1);
  /* flock is per open file description: a second open in this process conflicts */
  CHECK(maildrop_open(&b) == 0);
  maildrop_close(&b);
  maildrop_close(&a);
  CHECK(maildrop_open(&b) == 1);
  maildrop_close(&b);
}

TEST(damaged_or_stale_index_is_ignored)
{
  maildrop d = MAILDROP_ZERO;
  fresh();
  put("cur/1.M1P1.h:2,", "abc\n");
  put("cur/2.M2P1.h:2,", "de\n");
  put("yubin-pop3.index", "yubin-pop3-index 1\n1.M1P1.h 999\n0.gone 5\n2.M2P1.h x\n");
  CHECK(maildrop_open(&d) == 1);
  /* the unsorted entry ends the usable part: 1.M1P1.h keeps its (wrong but
   * trusted) cached size, 2.M2P1.h is measured */
  CHECK(d.msg[0].size == 999);
  CHECK(d.msg[1].size == 4);
  CHECK_STR(path_of(&d, 1), "cur/2.M2P1.h:2,");
  maildrop_close(&d);
  /* an index with the right names but not in canonical form keeps the names in memory */
  put("yubin-pop3.index", "yubin-pop3-index 1\n1.M1P1.h 0005\n2.M2P1.h 4\n");
  CHECK(maildrop_open(&d) == 1);
  CHECK(d.measured == 0 && d.msg[0].size == 5 && d.idxfd < 0 && d.arena != 0);
  CHECK_STR(path_of(&d, 0), "cur/1.M1P1.h:2,");
  maildrop_close(&d);
  put("yubin-pop3.index", "something else\n");
  CHECK(maildrop_open(&d) == 1);
  CHECK(d.msg[0].size == 5 && d.msg[1].size == 4 && d.measured == 2);
  maildrop_close(&d);
}

TEST(update_removes_only_deleted)
{
  maildrop d = MAILDROP_ZERO;
  fresh();
  put("cur/1.M1P1.h:2,", "a\n");
  put("cur/2.M2P1.h:2,", "b\n");
  CHECK(maildrop_open(&d) == 1);
  CHECK(d.idxfd >= 0);
  d.msg[0].deleted = 1;
  CHECK(maildrop_update(&d) == 0);
  maildrop_close(&d);
  CHECK(!exists("cur/1.M1P1.h:2,") && exists("cur/2.M2P1.h:2,"));
  CHECK(maildrop_open(&d) == 1);
  CHECK(d.n == 1 && d.measured == 0);
  maildrop_close(&d);
}

int main(void)
{
  char cmd[400];
  snprintf(top, sizeof top, "/tmp/yubin-maildrop-test.%ld", (long)getpid());
  if (mkdir(top, 0700) != 0) { perror(top); return 1; }
  RUN(new_to_cur_sizes_and_order);
  RUN(lock_excludes_a_second_session);
  RUN(damaged_or_stale_index_is_ignored);
  RUN(update_removes_only_deleted);
  if (chdir("/") != 0) return 1;
  snprintf(cmd, sizeof cmd, "rm -rf %s", top);
  if (system(cmd) != 0) {}
  return test_report();
}
