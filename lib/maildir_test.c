#include "maildir.h"
#include "test.h"

#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static size_t count(const char *dir)
{
  DIR *d = opendir(dir);
  struct dirent *e;
  size_t n = 0;
  if (!d) return (size_t)-1;
  while ((e = readdir(d)))
    if (e->d_name[0] != '.') n++;
  closedir(d);
  return n;
}

TEST(names)
{
  char out[MAILDIR_NAME_MAX + 1];
  struct timeval tv = { 1795420800, 42 };
  CHECK(maildir_name(out, sizeof out, &tv, 1234, 7, "0123456789abcdef", "mx.example.com") > 0);
  CHECK_STR(out, "1795420800.M000042P1234Q7R0123456789abcdef.mx.example.com");
  CHECK(maildir_name(out, sizeof out, &tv, 1, 1, "ff", "a/b:c d") > 0);
  CHECK_STR(out, "1795420800.M000042P1Q1Rff.a\\057b\\072c_d");
  CHECK(maildir_name(out, 20, &tv, 1, 1, "ff", "host") == 0);
}

TEST(unique)
{
  char a[MAILDIR_NAME_MAX + 1], b[MAILDIR_NAME_MAX + 1];
  CHECK(maildir_uniq(a, sizeof a) > 0);
  CHECK(maildir_uniq(b, sizeof b) > 0);
  CHECK(strcmp(a, b) != 0);
  CHECK(strchr(a, '/') == 0 && strchr(a, ':') == 0);
}

TEST(deliver)
{
  char dir[] = "/tmp/maildir-test-XXXXXX", md[256], sub[300], path[600];
  maildir_tmp t;
  struct stat st;
  CHECK(mkdtemp(dir) != 0);
  snprintf(md, sizeof md, "%s/Maildir", dir);
  CHECK(maildir_make(md));
  CHECK(maildir_make(md));            /* exists: fine */
  CHECK(maildir_open_tmp(&t, md));
  CHECK(write(t.fd, "Subject: x\n\nhi\n", 15) == 15);
  CHECK(maildir_commit(&t));
  CHECK(t.size == 15);
  CHECK(strstr(t.newname, ",S=15") != 0);
  snprintf(path, sizeof path, "%s/new/%s", md, t.newname);
  CHECK(stat(path, &st) == 0 && st.st_size == 15);
  snprintf(sub, sizeof sub, "%s/tmp", md);
  CHECK(count(sub) == 0);
  /* abort leaves nothing behind */
  CHECK(maildir_open_tmp(&t, md));
  CHECK(count(sub) == 1);
  maildir_abort(&t);
  CHECK(count(sub) == 0);
  snprintf(sub, sizeof sub, "%s/new", md);
  CHECK(count(sub) == 1);
  unlink(path);
  /* a missing Maildir and a missing parent */
  snprintf(sub, sizeof sub, "%s/no/such/Maildir", dir);
  CHECK(!maildir_make(sub));
  CHECK(!maildir_open_tmp(&t, sub));
  for (const char *s = "tmp\0new\0cur\0"; *s; s += 4) {
    snprintf(path, sizeof path, "%s/%s", md, s);
    rmdir(path);
  }
  rmdir(md);
  rmdir(dir);
}

int main(void)
{
  RUN(names);
  RUN(unique);
  RUN(deliver);
  return test_report();
}
