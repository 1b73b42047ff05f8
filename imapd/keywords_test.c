#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keywords.h"
#include "mailbox.h"
#include "test.h"

TEST(parse)
{
  kwmap k = { 0 };
  static const char text[] = "0 $Junk\n1 bad(name\nnonsense\n99 Far\n0 Again\n 1 x\n3 $JUNK\n4\n"
                             "\xff 5\n1 Second\r\n25 Last\n26 Over\n007 Octal\n";
  CHECK(kw_parse(&k, text, sizeof text - 1));
  CHECK_STR(k.name[0], "$Junk");
  CHECK_STR(k.name[1], "Second");
  CHECK(!k.name[3] && !k.name[4] && !k.name[7]);
  CHECK_STR(k.name[25], "Last");
  CHECK(kw_named(&k) == (1u | 2u | (1u << 25)));
  CHECK(kw_find(&k, "$junk", 5) == 0 && kw_find(&k, "second", 6) == 1 && kw_find(&k, "Far", 3) == -1);
  kw_free(&k);
  CHECK(kw_parse(&k, "", 0) && kw_named(&k) == 0);
  CHECK(kw_valid("$Forwarded", 10) && kw_valid("NonJunk", 7));
  CHECK(!kw_valid("\\Seen", 5) && !kw_valid("a b", 3) && !kw_valid("", 0) && !kw_valid("a]", 2));
}

TEST(assign)
{
  char dir[256], path[512], buf[256];
  kwmap k = { 0 }, other = { 0 };
  kw_name n1[] = { { "$Junk", 5 }, { "Work", 4 } }, n2[] = { { "work", 4 }, { "New", 3 } };
  uint32_t mask;
  FILE *f;
  size_t got, i;
  snprintf(dir, sizeof dir, "/tmp/yubin-kw-test.%ld", (long)getpid());
  mkdir(dir, 0700);
  CHECK(kw_load(&k, dir) && kw_named(&k) == 0);
  CHECK(kw_assign(&k, dir, n1, 2, 1u, &mask) && mask == (2u | 4u));  /* 'a' avoided */
  CHECK(kw_load(&other, dir) && kw_same(&k, &other));
  CHECK(kw_assign(&other, dir, n2, 2, 0, &mask) && mask == (4u | 1u));
  CHECK(kw_stale(&k, dir));
  snprintf(path, sizeof path, "%s/%s", dir, KW_FILE);
  f = fopen(path, "r");
  got = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
  if (f) fclose(f);
  buf[got] = 0;
  CHECK_STR(buf, "0 New\n1 $Junk\n2 Work\n");
  for (i = 0; i < 23; i++) {
    char nm[8];
    kw_name x = { nm, 0 };
    x.len = (size_t)snprintf(nm, sizeof nm, "k%zu", i);
    CHECK(kw_assign(&k, dir, &x, 1, 0, &mask));
  }
  CHECK(kw_named(&k) == (1u << KW_MAX) - 1);
  CHECK(!kw_assign(&k, dir, n1 + 0, 1, 0, &mask) || mask == 2u);
  {
    kw_name x = { "more", 4 };
    CHECK(!kw_assign(&k, dir, &x, 1, 0, &mask));
  }
  kw_free(&k);
  kw_free(&other);
  unlink(path);
  snprintf(path, sizeof path, "%s/%s", dir, MBOX_LOCK_FILE);
  unlink(path);
  CHECK(rmdir(dir) == 0);
}

TEST(letters)
{
  CHECK(mbox_name_keywords("1.M2.h,U=5.7:2,FSabz") == (1u | 2u | (1u << 25)));
  CHECK(mbox_name_keywords("1.M2.h,U=5.7:2,FS") == 0);
  CHECK(mbox_name_keywords("1.M2.h") == 0);
}

/* mailbox.c keeps the keyword letters: parsed into keywords, written back
 * in order after the system flags, other unknown letters untouched. */
TEST(mailbox_letters)
{
  char dir[256], p[512];
  mbox mb;
  FILE *f;
  snprintf(dir, sizeof dir, "/tmp/yubin-kwmb-test.%ld", (long)getpid());
  mkdir(dir, 0700);
  snprintf(p, sizeof p, "%s/cur", dir); mkdir(p, 0700);
  snprintf(p, sizeof p, "%s/new", dir); mkdir(p, 0700);
  snprintf(p, sizeof p, "%s/tmp", dir); mkdir(p, 0700);
  snprintf(p, sizeof p, "%s/cur/1000.A.h,S=5:2,PSbz", dir);
  if ((f = fopen(p, "w"))) { fputs("x\n\ny\n", f); fclose(f); }
  CHECK(mbox_open(&mb, dir, 0) && mb.n == 1);
  CHECK(mb.n == 1 && mbox_keywords(&mb, 0) == (2u | (1u << 25)) && (mb.m[0].flags & MF_SEEN));
  CHECK(mb.n == 1 && strstr(mb.m[0].name, ":2,PSbz"));
  CHECK(mb.n == 1 && mbox_set_flags_kw(&mb, 0, MF_FLAGGED | MF_SEEN, 1u | 4u));
  CHECK(mb.n == 1 && strstr(mb.m[0].name, ":2,FPSac") && mbox_keywords(&mb, 0) == 5u);
  CHECK(mb.n == 1 && mbox_set_flags(&mb, 0, MF_SEEN) && strstr(mb.m[0].name, ":2,PSac"));
  mbox_close(&mb);
  CHECK(mbox_open(&mb, dir, 0) && mb.n == 1 && mbox_keywords(&mb, 0) == 5u);
  mbox_close(&mb);
  snprintf(p, sizeof p, "rm -rf '%s'", dir);
  CHECK(system(p) == 0);
}

int main(void)
{
  RUN(parse);
  RUN(assign);
  RUN(letters);
  RUN(mailbox_letters);
  return test_report();
}
