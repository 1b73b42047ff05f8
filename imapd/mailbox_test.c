#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mailbox.h"
#include "test.h"

static char dir[256];

static void put(const char *sub, const char *name)
{
  char p[512];
  FILE *f;
  snprintf(p, sizeof p, "%s/%s/%s", dir, sub, name);
  f = fopen(p, "w");
  if (f) { fputs("Subject: x\n\nbody\n", f); fclose(f); }
}

static void setup(void)
{
  char p[512];
  snprintf(dir, sizeof dir, "/tmp/yubin-mbox-test.%ld", (long)getpid());
  mkdir(dir, 0700);
  snprintf(p, sizeof p, "%s/cur", dir); mkdir(p, 0700);
  snprintf(p, sizeof p, "%s/new", dir); mkdir(p, 0700);
  snprintf(p, sizeof p, "%s/tmp", dir); mkdir(p, 0700);
}

static size_t ngone;
static size_t gone_seq[16];
static void gone(size_t seq, void *ctx) { (void)ctx; if (ngone < 16) gone_seq[ngone++] = seq; }

TEST(names)
{
  uint32_t v, u;
  unsigned f;
  long long s;
  mbox_parse_name("1700000000.M1P2Q3R4.host,S=1234,U=99.7:2,FRSa", &v, &u, &f, &s);
  CHECK(v == 99 && u == 7 && s == 1234);
  CHECK(f == (MF_FLAGGED | MF_ANSWERED | MF_SEEN));
  mbox_parse_name("x,U=0.7:2,T", &v, &u, &f, &s);
  CHECK(v == 0 && u == 0 && f == MF_DELETED && s == -1);
  mbox_parse_name("x,U=5.99999999999", &v, &u, &f, &s);
  CHECK(u == 0 && f == 0);
}

TEST(uids_survive_state_loss)
{
  mbox mb;
  char p[512];
  uint32_t validity;
  size_t added;
  put("new", "1000.A.h,S=17");
  put("new", "1001.B.h,S=17");
  put("cur", "1002.C.h,S=17:2,S");
  CHECK(mbox_open(&mb, dir, 0));
  CHECK(mb.n == 3 && mb.uidnext == 4);
  CHECK(mb.m[0].uid == 1 && mb.m[2].uid == 3 && (mb.m[2].flags & MF_SEEN));
  CHECK(strstr(mb.m[0].name, ",U=") && strstr(mb.m[0].name, ":2,"));
  CHECK(mb.m[0].flags & MF_RECENT);
  validity = mb.uidvalidity;
  CHECK(mbox_set_flags(&mb, 1, MF_FLAGGED | MF_DELETED));
  CHECK(strstr(mb.m[1].name, ":2,FT") != 0);
  mbox_close(&mb);

  /* lose the state file: same UIDVALIDITY, same UIDs, UIDNEXT from the names */
  snprintf(p, sizeof p, "%s/%s", dir, MBOX_STATE_FILE);
  CHECK(unlink(p) == 0);
  put("new", "1003.D.h");
  CHECK(mbox_open(&mb, dir, 0));
  CHECK(mb.uidvalidity == validity);
  CHECK(mb.n == 4 && mb.m[1].uid == 2 && (mb.m[1].flags & MF_FLAGGED) && mb.m[3].uid == 4);
  CHECK(!(mb.m[0].flags & MF_RECENT) && (mb.m[3].flags & MF_RECENT));

  /* expunge 2; another delivery and a removal by someone else */
  ngone = 0;
  CHECK(mbox_expunge(&mb, gone, 0) && ngone == 1 && gone_seq[0] == 2 && mb.n == 3);
  put("new", "1004.E.h");
  CHECK(mbox_path(&mb, 0, p, sizeof p) && unlink(p) == 0);
  ngone = 0;
  CHECK(mbox_refresh(&mb, &added, gone, 0));
  CHECK(added == 1 && ngone == 1 && gone_seq[0] == 1);
  CHECK(mb.n == 3 && mb.m[2].uid == 5 && mb.uidnext == 6);
  CHECK(mbox_find_uid(&mb, 5) == 2 && mbox_find_uid(&mb, 2) == -1);
  mbox_close(&mb);

  /* a corrupt state file is rebuilt the same way; UIDs never go back */
  snprintf(p, sizeof p, "%s/%s", dir, MBOX_STATE_FILE);
  { FILE *f = fopen(p, "w"); if (f) { fputs("garbage", f); fclose(f); } }
  CHECK(mbox_open(&mb, dir, 0));
  CHECK(mb.uidvalidity == validity && mb.uidnext == 6 && mb.n == 3);
  mbox_close(&mb);
}

static void age_dirs(void)
{
  char p[512];
  struct timespec ts[2];
  clock_gettime(CLOCK_REALTIME, &ts[0]);
  ts[0].tv_sec -= 60;
  ts[1] = ts[0];
  snprintf(p, sizeof p, "%s/cur", dir); utimensat(AT_FDCWD, p, ts, 0);
  snprintf(p, sizeof p, "%s/new", dir); utimensat(AT_FDCWD, p, ts, 0);
}

/* A large folder: the listing saved by one open serves the next while cur/
 * and new/ are unchanged, and never hides a change. */
TEST(saved_listing)
{
  mbox mb;
  char p[512], name[64];
  size_t i, n0;
  struct stat st;
  for (i = 0; i < 1200; i++) {
    snprintf(name, sizeof name, "%zu.L%zu.h", 2000 + i, i);
    put("new", name);
  }
  CHECK(mbox_open(&mb, dir, 0));   /* names them: nothing saved (cur/ just changed) */
  n0 = mb.n;
  CHECK(n0 >= 1200);
  mbox_close(&mb);
  snprintf(p, sizeof p, "%s/%s", dir, MBOX_LIST_FILE);
  CHECK(stat(p, &st) < 0);
  age_dirs();
  CHECK(mbox_open(&mb, dir, 0));   /* a listing that can be trusted: saved */
  CHECK(mb.n == n0);
  mbox_close(&mb);
  CHECK(stat(p, &st) == 0 && st.st_size > 1200 * 20);
  CHECK(mbox_open(&mb, dir, 0));   /* read back: the same messages and UIDs */
  CHECK(mb.n == n0 && mb.m[n0 - 1].uid == mb.uidnext - 1 && strstr(mb.m[5].name, ".L"));
  CHECK(mbox_path(&mb, 7, p, sizeof p) && stat(p, &st) == 0 && (uint64_t)st.st_ino == mb.m[7].ino);
  /* someone removes one: cur/ changed, the folder is listed again */
  CHECK(unlink(p) == 0);
  mbox_close(&mb);
  CHECK(mbox_open(&mb, dir, 0));
  CHECK(mb.n == n0 - 1);
  mbox_close(&mb);
  /* a damaged listing is not used */
  age_dirs();
  CHECK(mbox_open(&mb, dir, 0));
  mbox_close(&mb);
  snprintf(p, sizeof p, "%s/%s", dir, MBOX_LIST_FILE);
  {
    FILE *f = fopen(p, "r+");
    if (f) { fseek(f, 200, SEEK_SET); fputs("garbage", f); fclose(f); }
  }
  CHECK(mbox_open(&mb, dir, 0));
  CHECK(mb.n == n0 - 1);
  mbox_close(&mb);
  /* a delivery changes new/: seen */
  put("new", "9999.Z.h");
  CHECK(mbox_open(&mb, dir, 0));
  CHECK(mb.n == n0 && strstr(mb.m[mb.n - 1].name, "9999.Z.h"));
  mbox_close(&mb);
}

/* cur/ and new/ times set to a fixed moment (a minute ago, same each call). */
static void fix_dirs(const struct timespec *t)
{
  char p[512];
  struct timespec ts[2];
  ts[0] = ts[1] = *t;
  snprintf(p, sizeof p, "%s/cur", dir); utimensat(AT_FDCWD, p, ts, 0);
  snprintf(p, sizeof p, "%s/new", dir); utimensat(AT_FDCWD, p, ts, 0);
}

/* The saved listing (written in pieces, its checksum computed on the way)
 * is what the next open reads: a change made behind its back with the
 * directory times put back is not seen, which shows the file was used. */
TEST(saved_listing_read_back)
{
  mbox mb;
  char p[512], q[600], name[64];
  size_t i, n0;
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  t.tv_sec -= 60;
  t.tv_nsec = 123456789;
  for (i = 0; i < 1500; i++) {   /* long names: the listing spans several write pieces */
    snprintf(name, sizeof name, "%zu.M%zuP77Q%zu.a-rather-long-host-name.example", 5000 + i, i, i);
    put("new", name);
  }
  CHECK(mbox_open(&mb, dir, 0));   /* names 1,500 new ones: renamed, then cur/ listed again */
  CHECK(mb.n >= 1500 && mb.m[mb.n - 1].uid == mb.uidnext - 1);
  for (i = mb.n - 1500; i < mb.n; i++)
    if (!(mb.m[i].flags & MF_RECENT) || !strstr(mb.m[i].name, ",U=") || !strstr(mb.m[i].name, ".example,U=")) break;
  CHECK(i == mb.n);
  for (i = 1; i < mb.n; i++) if (mb.m[i - 1].uid >= mb.m[i].uid) break;
  CHECK(i == mb.n);
  mbox_close(&mb);
  fix_dirs(&t);
  CHECK(mbox_open(&mb, dir, 0));   /* lists cur/, saves the listing */
  n0 = mb.n;
  CHECK(n0 >= 1500);
  CHECK(mbox_path(&mb, 100, p, sizeof p));
  mbox_close(&mb);
  snprintf(q, sizeof q, "%s.moved", p);
  CHECK(rename(p, q) == 0);
  fix_dirs(&t);
  CHECK(mbox_open(&mb, dir, 0));   /* from the saved listing: the old name */
  {
    char again[512];
    CHECK(mb.n == n0 && mbox_path(&mb, 100, again, sizeof again) && strcmp(again, p) == 0);
  }
  for (i = 1; i < mb.n; i++) if (mb.m[i - 1].uid >= mb.m[i].uid) break;
  CHECK(i == mb.n);
  mbox_close(&mb);
  CHECK(rename(q, p) == 0);
}

/* A refresh keeps the names it finds unchanged where they are (no second
 * copy), takes another session's flag change and removal, and hands a
 * renamed message's own name over without freeing it twice. */
TEST(refresh_keeps_names)
{
  mbox a, b;
  char p[512];
  const char *kept;
  size_t added = 0, i;
  CHECK(mbox_open(&a, dir, 0) && a.n > 300);
  CHECK(mbox_open(&b, dir, 0) && b.n == a.n);
  CHECK(mbox_set_flags(&a, 5, MF_SEEN | MF_FLAGGED));   /* a's own name now */
  kept = a.m[7].name;
  CHECK(mbox_set_flags(&b, 10, MF_ANSWERED));            /* changed by the other */
  CHECK(mbox_path(&b, 20, p, sizeof p) && unlink(p) == 0);
  {
    const char *own5 = a.m[5].name;
    ngone = 0;
    CHECK(mbox_refresh(&a, &added, gone, 0));
    CHECK(added == 0 && ngone == 1 && gone_seq[0] == 21 && a.n == b.n - 1);
    CHECK(a.m[7].name == kept && a.m[5].name == own5 && a.m[5].own);
  }
  CHECK(a.m[10].uid == b.m[10].uid && (a.m[10].flags & MF_ANSWERED) && strcmp(a.m[10].name, b.m[10].name) == 0);
  CHECK((a.m[5].flags & (MF_SEEN | MF_FLAGGED)) == (MF_SEEN | MF_FLAGGED));
  for (i = 1; i < a.n; i++) if (a.m[i - 1].uid >= a.m[i].uid) break;
  CHECK(i == a.n);
  /* a second change, after one refresh: names in the refresh's own arena */
  CHECK(mbox_set_flags(&b, 11, MF_DRAFT));
  CHECK(mbox_refresh(&a, &added, gone, 0) && (a.m[10].flags & MF_ANSWERED) && (a.m[11].flags & MF_DRAFT));
  CHECK(mbox_refresh(&a, &added, gone, 0) && a.n == b.n - 1);
  mbox_close(&b);
  mbox_close(&a);
}

int main(void)
{
  char cmd[600];
  setup();
  RUN(names);
  RUN(uids_survive_state_loss);
  RUN(saved_listing);
  RUN(saved_listing_read_back);
  RUN(refresh_keeps_names);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0) return 1;
  return test_report();
}
