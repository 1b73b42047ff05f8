#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "modseq.h"
#include "test.h"

static modseq fresh(void)
{
  modseq ms = MODSEQ_ZERO;
  return ms;
}

static int find_uid_in_table(const modseq *ms, uint32_t uid)
{
  size_t i;
  for (i = 0; i < ms->n; i++)
    if (ms->e[i].uid == uid) return 1;
  return 0;
}

static const char *vanished(const modseq *ms, uint64_t since, uint32_t lo, uint32_t hi, uint32_t next)
{
  static sa out = SA_ZERO;
  imap_range r = { lo, hi };
  if (!modseq_vanished(ms, since, &r, 1, next, &out)) return "(error)";
  return out.len ? out.s : "";
}

TEST(parse_format_round_trip)
{
  static const char text[] = "yubin-imap-modseq 1 77 120 100\n"
                             "m 1 101 5\nm 4 120 1f\n"
                             "g 2 3 110\ng 9 9 120\n"
                             "end 4\n";
  modseq ms = fresh();
  sa out = SA_ZERO;
  CHECK(modseq_parse(&ms, text, sizeof text - 1));
  CHECK(ms.uidvalidity == 77 && ms.highest == 120 && ms.floor == 100);
  CHECK(ms.n == 2 && ms.e[1].uid == 4 && ms.e[1].state == 0x1f && ms.e[1].modseq == 120);
  CHECK(ms.ng == 2 && ms.g[0].lo == 2 && ms.g[0].hi == 3);
  CHECK(modseq_of(&ms, 1) == 101);
  CHECK(modseq_of(&ms, 3) == 0);   /* not a message */
  CHECK(modseq_format(&ms, &out) && sa_0(&out));
  CHECK_STR(out.s, text);
  sa_free(&out);
  modseq_free(&ms);
}

TEST(parse_is_strict)
{
  static const char *const bad[] = {
    "",
    "yubin-imap-modseq 1 77 120 100\nend 0",                 /* no newline */
    "yubin-imap-modseq 1 77 120 100\n",                       /* truncated: no end */
    "yubin-imap-modseq 1 77 120 100\nm 1 101 5\nend 0\n",     /* count */
    "yubin-imap-modseq 1 77 120 100\nm 2 101 5\nm 2 102 5\nend 2\n",   /* order */
    "yubin-imap-modseq 1 77 120 100\nm 1 121 5\nend 1\n",     /* above the highest */
    "yubin-imap-modseq 1 77 120 130\nend 0\n",                 /* floor above the highest */
    "yubin-imap-modseq 1 0 120 100\nend 0\n",                  /* no UIDVALIDITY */
    "yubin-imap-modseq 1 77 0120 100\nend 0\n",                /* leading zero */
    "yubin-imap-modseq 1 77 120 100\ng 5 4 110\nend 1\n",      /* backwards range */
    "yubin-imap-modseq 1 77 120 100\ng 1 4 110\ng 4 6 110\nend 2\n",  /* overlap */
    "yubin-imap-modseq 1 77 120 100\nm 1 101 123456789\nend 1\n",    /* state too long */
    "yubin-imap-modseq 1 77 120 100\nm 1 101 05\nend 1\n",           /* leading zero */
    "yubin-imap-modseq 1 77 9223372036854775808 100\nend 0\n",        /* 64 bits */
    "yubin-imap-modseq 1 77 120 100\nend 0\nx\n",              /* trailing bytes */
  };
  size_t i;
  for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    modseq ms = fresh();
    CHECK(!modseq_parse(&ms, bad[i], strlen(bad[i])));
    CHECK(ms.uidvalidity == 0 && ms.n == 0 && ms.ng == 0);
    modseq_free(&ms);
  }
}

TEST(damaged_file_keeps_its_highest)
{
  static const char text[] = "yubin-imap-modseq 1 77 5000 100\nm 1 101 5\n";  /* cut short */
  modseq ms = fresh();
  ms_view v[] = { { 1, 5 } };
  CHECK(!modseq_parse(&ms, text, sizeof text - 1));
  CHECK(modseq_merge(&ms, v, 1, 77, 2, 10) == 1);
  CHECK(ms.highest > 5000 && modseq_of(&ms, 1) == ms.highest && ms.floor == ms.highest);
  modseq_free(&ms);
}

TEST(merge_changes)
{
  modseq ms = fresh();
  ms_view v1[] = { { 1, 0 }, { 2, 0 }, { 3, 0 } };
  ms_view v2[] = { { 1, 1 }, { 2, 0 }, { 3, 0 }, { 4, 0 } };
  ms_view v3[] = { { 1, 1 }, { 3, 0 }, { 4, 0 } };
  uint64_t h0, h1;
  CHECK(modseq_merge(&ms, v1, 3, 9, 4, 1000) == 1);   /* first time: all at one new value */
  h0 = ms.highest;
  CHECK(h0 == 1001 && modseq_of(&ms, 2) == h0);
  CHECK(modseq_merge(&ms, v1, 3, 9, 4, 1000) == 0);   /* nothing changed */
  CHECK(ms.highest == h0);
  CHECK(modseq_merge(&ms, v2, 4, 9, 5, 1000) == 1);   /* a flag, a new message */
  h1 = ms.highest;
  CHECK(h1 == h0 + 1 && modseq_of(&ms, 1) == h1 && modseq_of(&ms, 4) == h1 && modseq_of(&ms, 2) == h0);
  CHECK(modseq_merge(&ms, v3, 3, 9, 5, 1000) == 1);   /* 2 expunged */
  CHECK(ms.highest == h1 + 1 && ms.n == 3 && ms.ng == 1);
  CHECK_STR(vanished(&ms, h1, 1, 10, 5), "2");
  CHECK_STR(vanished(&ms, h1 + 1, 1, 10, 5), "");
  CHECK_STR(vanished(&ms, h1, 3, 10, 5), "");          /* outside the client's range */
  /* a client older than the floor: every UID that does not exist */
  CHECK_STR(vanished(&ms, h0 - 1, 1, 0xffffffffU, 5), "2");
  CHECK_STR(vanished(&ms, h0 - 1, 1, 0xffffffffU, 9), "2,5:8");
  modseq_free(&ms);
}

TEST(merge_stale_and_newer_views)
{
  modseq ms = fresh();
  ms_view now[] = { { 1, 0 }, { 3, 0 }, { 5, 0 } };
  ms_view old[] = { { 1, 0 }, { 2, 0 }, { 3, 0 } };   /* listed before 2 went and 5 came */
  uint64_t h;
  ms_view first[] = { { 1, 0 }, { 2, 0 }, { 3, 0 } };
  CHECK(modseq_merge(&ms, first, 3, 9, 4, 0) == 1);
  CHECK(modseq_merge(&ms, now, 3, 9, 6, 0) == 1);
  h = ms.highest;
  CHECK(ms.reportable == h);
  CHECK(modseq_merge(&ms, old, 3, 9, 4, 0) == 0);     /* 2 stays expunged, 5 stays */
  CHECK(ms.highest == h && ms.n == 3 && ms.e[2].uid == 5);
  /* that view has not seen the expunge of 2 nor the arrival of 5 (both at
   * h): its client may be told no more than h - 1 */
  CHECK(ms.reportable == h - 1);
  CHECK(modseq_merge(&ms, now, 3, 9, 6, 0) == 0);
  CHECK(ms.reportable == h);
  modseq_free(&ms);
}

TEST(inconsistent_file_merges_safely)
{
  /* a message recorded inside an expunged range (a file edited by hand):
   * the merge stays within its table and keeps its promises */
  static const char text[] = "yubin-imap-modseq 1 77 120 100\nm 2 101 5\nm 4 120 1f\n"
                             "g 2 3 110\ng 9 9 120\nend 4\n";
  modseq ms = fresh();
  ms_view v[] = { { 1, 0 }, { 3, 1 }, { 9, 0 }, { 12, 2 } };
  CHECK(modseq_parse(&ms, text, sizeof text - 1));
  CHECK(modseq_merge(&ms, v, 4, 77, 13, 0) == 1);
  CHECK(ms.highest == 121);
  CHECK(modseq_of(&ms, 1) == 121 && modseq_of(&ms, 12) == 121);
  CHECK(find_uid_in_table(&ms, 3) == 0 && find_uid_in_table(&ms, 9) == 0);   /* stay expunged */
  CHECK_STR(vanished(&ms, 120, 1, 20, 13), "2:9");   /* joined: nothing lives between */
  modseq_free(&ms);
}

TEST(empty_folder_records_expunges)
{
  modseq ms = fresh();
  ms_view one[] = { { 7, 0 } };
  CHECK(modseq_merge(&ms, one, 1, 9, 8, 0) == 1);
  CHECK(modseq_merge(&ms, 0, 0, 9, 8, 0) == 1);
  CHECK(ms.n == 0);
  CHECK_STR(vanished(&ms, ms.highest - 1, 1, 100, 8), "7");
  modseq_free(&ms);
}

TEST(new_uidvalidity_starts_above)
{
  modseq ms = fresh();
  ms_view v[] = { { 1, 0 } };
  uint64_t h;
  CHECK(modseq_merge(&ms, v, 1, 9, 2, 50) == 1);
  CHECK(modseq_merge(&ms, v, 1, 9, 2, 50) == 0);
  h = ms.highest;
  CHECK(modseq_merge(&ms, v, 1, 10, 2, 0) == 1);
  CHECK(ms.highest > h && ms.uidvalidity == 10);
  modseq_free(&ms);
}

TEST(compaction_bounds_history)
{
  modseq ms = fresh();
  ms_view *v = calloc(3 * MODSEQ_GONE_MAX, sizeof *v);
  size_t i, n = 3 * MODSEQ_GONE_MAX;
  uint64_t first;
  for (i = 0; i < n; i++) v[i] = (ms_view){ (uint32_t)(i + 1), 0 };
  CHECK(modseq_merge(&ms, v, n, 9, (uint32_t)n + 1, 0) == 1);
  first = ms.highest;
  /* expunge every other message, one at a time: ranges cannot join */
  for (i = 0; i < n; i += 2) {
    size_t k, o = 0;
    ms_view *w = calloc(n, sizeof *w);
    for (k = 0; k < n; k++)
      if (!(k % 2 == 0 && k <= i)) w[o++] = v[k];
    CHECK(modseq_merge(&ms, w, o, 9, (uint32_t)n + 1, 0) == 1);
    free(w);
  }
  CHECK(ms.ng <= MODSEQ_GONE_MAX);
  CHECK(ms.floor > first);
  /* a client from before: every missing UID, as ranges */
  CHECK_STR(vanished(&ms, first, 1, 6, (uint32_t)n + 1), "1,3,5");
  free(v);
  modseq_free(&ms);
}

TEST(sync_through_the_file)
{
  char dir[128], path[256];
  modseq a = fresh(), b = fresh();
  ms_view v1[] = { { 1, 0 }, { 2, 0 } }, v2[] = { { 1, 8 }, { 2, 0 } };
  uint64_t h;
  snprintf(dir, sizeof dir, "/tmp/yubin-modseq-test.%ld", (long)getpid());
  CHECK(mkdir(dir, 0700) == 0);
  CHECK(modseq_sync(&a, dir, 5, 3, v1, 2));
  CHECK(modseq_sync(&b, dir, 5, 3, v1, 2));
  CHECK(a.highest == b.highest);
  h = a.highest;
  CHECK(modseq_sync(&a, dir, 5, 3, v2, 2));           /* a changes message 1 */
  CHECK(a.highest == h + 1);
  CHECK(modseq_sync(&b, dir, 5, 3, v2, 2));           /* b sees it: no second change */
  CHECK(b.highest == h + 1 && modseq_of(&b, 1) == h + 1 && modseq_of(&b, 2) == h);
  snprintf(path, sizeof path, "%s/%s", dir, MODSEQ_FILE);
  CHECK(unlink(path) == 0);                           /* lost: never lower */
  CHECK(modseq_sync(&b, dir, 5, 3, v2, 2));
  CHECK(b.highest > h + 1 && modseq_of(&b, 2) == b.highest);
  {
    modseq c = fresh();                               /* a new reader of the new file */
    CHECK(modseq_sync(&c, dir, 5, 3, v2, 2));
    CHECK(c.highest == b.highest);
    modseq_free(&c);
  }
  unlink(path);
  snprintf(path, sizeof path, "%s/yubin-imap.lock", dir);
  unlink(path);
  rmdir(dir);
  modseq_free(&a);
  modseq_free(&b);
}

int main(void)
{
  RUN(parse_format_round_trip);
  RUN(parse_is_strict);
  RUN(damaged_file_keeps_its_highest);
  RUN(merge_changes);
  RUN(merge_stale_and_newer_views);
  RUN(inconsistent_file_merges_safely);
  RUN(empty_folder_records_expunges);
  RUN(new_uidvalidity_starts_above);
  RUN(compaction_bounds_history);
  RUN(sync_through_the_file);
  return test_report();
}
